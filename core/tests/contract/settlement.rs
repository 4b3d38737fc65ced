//! The cloud index's settlement, interrupted inside: the state a crash leaves
//! at each step is set up on the emulator, and the sweep must finish it so
//! that every count is added once. (The embedded backend has no settlement:
//! it counts in the instance's transaction.)

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use noctis_core::aws::TableNames;
use noctis_core::domain::{FacilityId, StudyId, Uid, now, sortable_time};

use crate::studies::Instance;
use crate::support::Fixture;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// Three instances recorded and settled; returns the study and its generation.
async fn settled_study(fx: &Fixture, facility: FacilityId) -> (StudyId, u64, Client, TableNames) {
    let (client, tables) = fx.dynamodb().await.expect("an AWS fixture");
    for sop in ["1.4.1.1", "1.4.1.2", "1.4.2.1"] {
        let record = Instance::new(facility, "1.4", sop.rsplit_once('.').expect("series").0, sop).record();
        fx.ports.studies.record_instance(&record, None).await.expect("records");
    }
    let id = StudyId::for_study(facility, &Uid::parse("1.4").expect("uid"));
    fx.ports.studies.settle(&[id]).await.expect("settles");
    let row = client
        .get_item()
        .table_name(&tables.studies)
        .set_key(Some(key(&format!("study#{id}"), "study")))
        .send()
        .await
        .expect("reads")
        .item
        .expect("the study row");
    let generation = row["gen"].as_n().expect("a generation").parse().expect("a number");
    (id, generation, client, tables)
}

/// What a settlement killed after writing the study row leaves: its counts
/// pending on the row, and its instances still marked.
async fn leave_pending(client: &Client, tables: &TableNames, id: StudyId, facility: FacilityId, generation: u64) {
    let pending = AttributeValue::M(HashMap::from([
        ("generation".to_owned(), n(generation)),
        ("facility".to_owned(), s(facility.to_string())),
        ("studies".to_owned(), n(1)),
        ("instances".to_owned(), n(3)),
        ("bytes".to_owned(), n(3000)),
        ("received_at".to_owned(), s(now().to_rfc3339())),
    ]));
    client
        .update_item()
        .table_name(&tables.studies)
        .set_key(Some(key(&format!("study#{id}"), "study")))
        .update_expression("SET pending_counts = :pending")
        .expression_attribute_values(":pending", pending)
        .send()
        .await
        .expect("sets the pending counts");
    for (series, sop) in [("1.4.1", "1.4.1.1"), ("1.4.1", "1.4.1.2"), ("1.4.2", "1.4.2.1")] {
        client
            .update_item()
            .table_name(&tables.studies)
            .set_key(Some(key(&format!("study#{id}"), &format!("instance#{series}#{sop}"))))
            .update_expression("SET unsettled = :token, gsi_unsettled = :shard, unsettled_at = :at")
            .expression_attribute_values(":token", s(uuid::Uuid::new_v4().to_string()))
            .expression_attribute_values(":shard", s(format!("unsettled#{}", &id.to_string()[..1])))
            .expression_attribute_values(":at", s(sortable_time(now() - chrono::Duration::minutes(5))))
            .send()
            .await
            .expect("marks the instance again");
    }
}

async fn totals(fx: &Fixture, facility: FacilityId) -> (u64, u64, u64) {
    let totals = fx.ports.studies.facility_totals(facility).await.expect("reads");
    (totals.studies, totals.instances, totals.bytes)
}

/// Killed after its counters transaction and before clearing them from the
/// study row: the sweep finds the receipt and adds nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_a_killed_settlement_had_added_are_not_added_twice() {
    let fx = Fixture::aws().await;
    let facility = FacilityId::new_random();
    let (id, generation, client, tables) = settled_study(&fx, facility).await;
    assert_eq!(totals(&fx, facility).await, (1, 3, 3000));
    leave_pending(&client, &tables, id, facility, generation).await;
    fx.ports.studies.settle_abandoned(std::time::Duration::from_secs(60)).await.expect("sweeps");
    assert_eq!(totals(&fx, facility).await, (1, 3, 3000), "added once");
    let detail = fx.ports.studies.get_study(id).await.expect("reads").expect("exists");
    assert_eq!((detail.study.instance_count, detail.study.series_count), (3, 2));
    assert_eq!(fx.ports.studies.settle_abandoned(std::time::Duration::ZERO).await.expect("sweeps"), 0, "all clear");
}

/// Killed after writing the study row and before its counters transaction:
/// the sweep adds the pending counts, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_a_killed_settlement_left_pending_are_added_by_the_sweep() {
    let fx = Fixture::aws().await;
    let facility = FacilityId::new_random();
    let (id, generation, client, tables) = settled_study(&fx, facility).await;
    // As if its transaction never ran: no receipt, nothing added.
    client
        .delete_item()
        .table_name(&tables.counters)
        .set_key(Some(key(&format!("settled#{id}"), &generation.to_string())))
        .send()
        .await
        .expect("removes the receipt");
    client
        .update_item()
        .table_name(&tables.counters)
        .set_key(Some(key(&format!("facility-totals#{facility}"), "totals")))
        .update_expression("ADD studies :s, instances :i, bytes :b")
        .expression_attribute_values(":s", n(-1))
        .expression_attribute_values(":i", n(-3))
        .expression_attribute_values(":b", n(-3000))
        .send()
        .await
        .expect("takes the counts back");
    assert_eq!(totals(&fx, facility).await, (0, 0, 0));
    leave_pending(&client, &tables, id, facility, generation).await;
    fx.ports.studies.settle_abandoned(std::time::Duration::from_secs(60)).await.expect("sweeps");
    assert_eq!(totals(&fx, facility).await, (1, 3, 3000), "the pending counts, added");
    fx.ports.studies.settle_abandoned(std::time::Duration::ZERO).await.expect("sweeps again");
    fx.ports.studies.settle(&[id]).await.expect("settles again");
    assert_eq!(totals(&fx, facility).await, (1, 3, 3000), "and only once");
}
