use noctis_core::domain::{ReceiverStatus, Timestamp, now};

use crate::support::Fixture;

crate::contract_tests!(
    a_report_replaces_the_receivers_previous_one,
    only_receivers_heard_from_since_are_listed_newest_first,
);

fn status(host: &str, reported_at: Timestamp) -> ReceiverStatus {
    ReceiverStatus {
        id: uuid::Uuid::new_v4(),
        host: host.into(),
        version: "0.1.0".into(),
        started_at: reported_at - chrono::Duration::minutes(5),
        reported_at,
        open_associations: 0,
        draining: false,
    }
}

async fn a_report_replaces_the_receivers_previous_one(fx: &Fixture) {
    let at = now();
    let mut first = status("task-a", at - chrono::Duration::seconds(30));
    fx.ports.receivers.report(&first).await.expect("reports");
    first.reported_at = at;
    first.open_associations = 7;
    first.draining = true;
    fx.ports.receivers.report(&first).await.expect("reports again");
    let listed = fx.ports.receivers.reported_since(at - chrono::Duration::minutes(1)).await.expect("lists");
    assert_eq!(listed, vec![first]);
}

async fn only_receivers_heard_from_since_are_listed_newest_first(fx: &Fixture) {
    let at = now();
    let quiet = status("task-quiet", at - chrono::Duration::minutes(10));
    let older = status("task-b", at - chrono::Duration::seconds(20));
    let newer = status("task-c", at - chrono::Duration::seconds(5));
    for s in [&quiet, &older, &newer] {
        fx.ports.receivers.report(s).await.expect("reports");
    }
    let listed = fx.ports.receivers.reported_since(at - chrono::Duration::minutes(1)).await.expect("lists");
    let hosts: Vec<&str> = listed.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(hosts, ["task-c", "task-b"]);
    let all = fx.ports.receivers.reported_since(at - chrono::Duration::hours(1)).await.expect("lists");
    assert_eq!(all.len(), 3);
}
