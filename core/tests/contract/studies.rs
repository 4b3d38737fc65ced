use std::collections::HashSet;

use chrono::Duration;
use noctis_core::domain::{
    AeTitle, AuditEvent, FacilityId, FacilityTotals, InstanceRecord, ListingOrder, ObjectKey, PageLimit, PageRequest,
    Priority, Recorded, SeriesAttributes, StudyAttributes, StudyChange, StudyFilter, StudyId, StudyStatus, Timestamp,
    Uid, now,
};

use noctis_core::ports::{StoreError, StudyIndex};

use crate::support::Fixture;

crate::contract_tests!(
    recording_builds_study_and_series_aggregates,
    re_recording_an_instance_does_not_double_counts,
    concurrent_recording_into_one_study_counts_every_instance,
    one_study_uid_from_two_facilities_stays_two_studies,
    listing_filters_by_facility_modality_patient_and_received_time,
    pages_visit_every_study_once_in_either_order,
    a_study_reads_back_with_its_series_and_instances_in_uid_order,
    workflow_changes_are_kept_while_instances_keep_arriving,
    an_instance_and_its_audit_event_are_recorded_together,
    facility_totals_follow_new_resent_and_other_studies,
    daily_activity_counts_new_studies_and_new_instances_per_utc_day,
    an_instance_is_found_by_its_sop_instance_uid_within_its_facility_only,
    eight_writers_into_one_study_each_settling_count_it_exactly,
    a_study_its_writer_never_settled_is_settled_by_the_sweep,
);

/// Records an instance and settles its study, as a receiver does when the
/// association that sent it ends: the aggregates are exact from then on.
trait RecordSettled {
    async fn record_settled(&self, record: &InstanceRecord, audit: Option<&AuditEvent>)
    -> Result<Recorded, StoreError>;
}

impl<T: StudyIndex + ?Sized> RecordSettled for T {
    async fn record_settled(
        &self,
        record: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Recorded, StoreError> {
        let recorded = self.record_instance(record, audit).await?;
        self.settle(&[record.study_id()]).await?;
        Ok(recorded)
    }
}

fn uid(s: &str) -> Uid {
    Uid::parse(s).expect("uid")
}

pub struct Instance {
    pub facility: FacilityId,
    pub study: String,
    pub series: String,
    pub sop: String,
    pub size: u64,
    pub modality: &'static str,
    pub patient: &'static str,
    pub at: Timestamp,
}

impl Instance {
    pub fn new(facility: FacilityId, study: &str, series: &str, sop: &str) -> Self {
        Self {
            facility,
            study: study.into(),
            series: series.into(),
            sop: sop.into(),
            size: 1000,
            modality: "CT",
            patient: "DOE^JANE",
            at: now(),
        }
    }

    pub fn record(&self) -> InstanceRecord {
        InstanceRecord {
            facility_id: self.facility,
            study_instance_uid: uid(&self.study),
            series_instance_uid: uid(&self.series),
            sop_instance_uid: uid(&self.sop),
            sop_class_uid: uid("1.2.840.10008.5.1.4.1.1.2"),
            transfer_syntax_uid: uid("1.2.840.10008.1.2.1"),
            instance_number: Some(1),
            object_key: ObjectKey::for_instance(self.facility, &uid(&self.study), &uid(&self.series), &uid(&self.sop)),
            size_bytes: self.size,
            received_at: self.at,
            source_ae_title: AeTitle::parse("CT_1").expect("ae"),
            study: StudyAttributes {
                patient_name: Some(self.patient.into()),
                patient_id: Some(format!("ID-{}", self.patient.len())),
                study_date: Some("20261127".into()),
                accession_number: Some(format!("ACC-{}", self.study)),
                ..Default::default()
            },
            series: SeriesAttributes {
                modality: Some(self.modality.into()),
                series_number: Some(1),
                ..Default::default()
            },
        }
    }
}

fn all(limit: u32) -> PageRequest {
    PageRequest::first(PageLimit::new(limit).expect("limit"))
}

async fn recording_builds_study_and_series_aggregates(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let mut sr = Instance::new(facility, "1.2.3", "1.2.3.2", "1.2.3.2.1");
    sr.modality = "SR";
    sr.size = 10;
    for instance in [
        Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1"),
        Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.2"),
        sr,
    ] {
        let recorded = fx.ports.studies.record_settled(&instance.record(), None).await.expect("records");
        assert_eq!(recorded, Recorded::New);
    }
    let id = StudyId::for_study(facility, &uid("1.2.3"));
    let detail = fx.ports.studies.get_study(id).await.expect("reads").expect("exists");
    let study = &detail.study;
    assert_eq!((study.series_count, study.instance_count, study.total_bytes), (2, 3, 2010));
    assert_eq!(study.modalities, ["CT", "SR"]);
    assert_eq!(study.status, StudyStatus::Received);
    assert_eq!(study.attributes.patient_name.as_deref(), Some("DOE^JANE"));
    let counts: Vec<(String, u64, u64)> =
        detail.series.iter().map(|s| (s.series_instance_uid.to_string(), s.instance_count, s.total_bytes)).collect();
    assert_eq!(counts, [("1.2.3.1".to_string(), 2, 2000), ("1.2.3.2".to_string(), 1, 10)]);
}

async fn re_recording_an_instance_does_not_double_counts(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let mut instance = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1");
    fx.ports.studies.record_settled(&instance.record(), None).await.expect("records");
    instance.size = 1500;
    let again = fx.ports.studies.record_settled(&instance.record(), None).await.expect("records again");
    assert_eq!(again, Recorded::Replaced);
    let detail =
        fx.ports.studies.get_study(StudyId::for_study(facility, &uid("1.2.3"))).await.expect("reads").expect("exists");
    assert_eq!((detail.study.instance_count, detail.study.series_count, detail.study.total_bytes), (1, 1, 1500));
    assert_eq!(detail.instances.len(), 1);
    assert_eq!(detail.instances[0].size_bytes, 1500);
}

async fn concurrent_recording_into_one_study_counts_every_instance(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let other = fx.second_handle().await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let index = if i % 2 == 0 { fx.ports.studies.clone() } else { other.studies.clone() };
        let series = format!("1.2.3.{}", i % 3);
        let record = Instance::new(facility, "1.2.3", &series, &format!("{series}.{i}")).record();
        tasks.push(tokio::spawn(async move { index.record_settled(&record, None).await }));
    }
    // The same instances again, racing each other: still counted once each.
    for i in 0..4 {
        let index = other.studies.clone();
        let series = format!("1.2.3.{}", i % 3);
        let record = Instance::new(facility, "1.2.3", &series, &format!("{series}.{i}")).record();
        tasks.push(tokio::spawn(async move { index.record_settled(&record, None).await }));
    }
    for task in tasks {
        task.await.expect("task").expect("records");
    }
    let detail =
        fx.ports.studies.get_study(StudyId::for_study(facility, &uid("1.2.3"))).await.expect("reads").expect("exists");
    assert_eq!((detail.study.instance_count, detail.study.series_count, detail.study.total_bytes), (16, 3, 16_000));
    assert_eq!(detail.series.iter().map(|s| s.instance_count).sum::<u64>(), 16);
    let totals = fx.ports.studies.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (1, 16, 16_000), "racing writers keep them exact");
}

async fn one_study_uid_from_two_facilities_stays_two_studies(fx: &Fixture) {
    let (a, b) = (FacilityId::new_random(), FacilityId::new_random());
    for facility in [a, b] {
        fx.ports
            .studies
            .record_settled(&Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1").record(), None)
            .await
            .expect("records");
    }
    for facility in [a, b] {
        let filter = StudyFilter { facility_id: Some(facility), ..Default::default() };
        let page = fx.ports.studies.list_studies(&filter, &all(10)).await.expect("lists");
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].facility_id, facility);
        assert_eq!(page.items[0].instance_count, 1);
    }
}

async fn listing_filters_by_facility_modality_patient_and_received_time(fx: &Fixture) {
    let (a, b) = (FacilityId::new_random(), FacilityId::new_random());
    let base = now() - Duration::hours(10);
    let mut specs = Vec::new();
    for (i, (facility, modality, patient)) in
        [(a, "CT", "DOE^JANE"), (a, "MR", "ROE^RICHARD"), (b, "CT", "SMITH^ANNA"), (b, "US", "DOE^JOHN")]
            .into_iter()
            .enumerate()
    {
        let mut instance = Instance::new(facility, &format!("1.9.{i}"), &format!("1.9.{i}.1"), &format!("1.9.{i}.1.1"));
        instance.modality = modality;
        instance.patient = patient;
        instance.at = base + Duration::hours(i as i64);
        fx.ports.studies.record_settled(&instance.record(), None).await.expect("records");
        specs.push(instance);
    }
    let uids = |filter: StudyFilter| async move {
        let page = fx.ports.studies.list_studies(&filter, &all(50)).await.expect("lists");
        page.items.iter().map(|s| s.study_instance_uid.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(uids(StudyFilter::default()).await, ["1.9.3", "1.9.2", "1.9.1", "1.9.0"]);
    assert_eq!(uids(StudyFilter { facility_id: Some(a), ..Default::default() }).await, ["1.9.1", "1.9.0"]);
    assert_eq!(uids(StudyFilter { modality: Some("ct".into()), ..Default::default() }).await, ["1.9.2", "1.9.0"]);
    assert_eq!(uids(StudyFilter { patient: Some("doe".into()), ..Default::default() }).await, ["1.9.3", "1.9.0"]);
    assert_eq!(
        uids(StudyFilter { facility_id: Some(b), patient: Some("doe".into()), ..Default::default() }).await,
        ["1.9.3"]
    );
    let window = StudyFilter {
        received_from: Some(base + Duration::hours(1)),
        received_to: Some(base + Duration::hours(3)),
        ..Default::default()
    };
    assert_eq!(uids(window).await, ["1.9.2", "1.9.1"], "from is inclusive, to exclusive");
    assert!(uids(StudyFilter { status: Some(StudyStatus::Reported), ..Default::default() }).await.is_empty());
    assert_eq!(uids(StudyFilter { status: Some(StudyStatus::Received), ..Default::default() }).await.len(), 4);
    assert_eq!(uids(StudyFilter { priority: Some(Priority::Routine), ..Default::default() }).await.len(), 4);
    assert!(uids(StudyFilter { priority: Some(Priority::Stat), ..Default::default() }).await.is_empty());
    assert_eq!(uids(StudyFilter { accession: Some(" acc-1.9.2 ".into()), ..Default::default() }).await, ["1.9.2"]);
    assert!(uids(StudyFilter { accession: Some("ACC-1.9".into()), ..Default::default() }).await.is_empty());
}

async fn pages_visit_every_study_once_in_either_order(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let base = now() - Duration::days(1);
    for i in 0..7 {
        let mut instance = Instance::new(facility, &format!("1.8.{i}"), &format!("1.8.{i}.1"), &format!("1.8.{i}.1.1"));
        instance.modality = if i % 2 == 0 { "CT" } else { "MR" };
        instance.at = base + Duration::minutes(i);
        fx.ports.studies.record_settled(&instance.record(), None).await.expect("records");
    }
    let oldest = ListingOrder::OldestFirst;
    let (from, to) = (Some(base + Duration::minutes(2)), Some(base + Duration::minutes(5)));
    for (filter, expected) in [
        (StudyFilter::default(), vec!["1.8.6", "1.8.5", "1.8.4", "1.8.3", "1.8.2", "1.8.1", "1.8.0"]),
        (StudyFilter { modality: Some("CT".into()), ..Default::default() }, vec!["1.8.6", "1.8.4", "1.8.2", "1.8.0"]),
        (
            StudyFilter { order: oldest, ..Default::default() },
            vec!["1.8.0", "1.8.1", "1.8.2", "1.8.3", "1.8.4", "1.8.5", "1.8.6"],
        ),
        (
            StudyFilter {
                order: oldest,
                facility_id: Some(facility),
                modality: Some("CT".into()),
                ..Default::default()
            },
            vec!["1.8.0", "1.8.2", "1.8.4", "1.8.6"],
        ),
        // From is inclusive, to exclusive, in either order.
        (StudyFilter { received_from: from, received_to: to, ..Default::default() }, vec!["1.8.4", "1.8.3", "1.8.2"]),
        (
            StudyFilter { order: oldest, received_from: from, received_to: to, ..Default::default() },
            vec!["1.8.2", "1.8.3", "1.8.4"],
        ),
    ] {
        let mut seen = Vec::new();
        let mut request = all(3);
        let mut pages = 0;
        loop {
            let page = fx.ports.studies.list_studies(&filter, &request).await.expect("lists");
            assert!(page.items.len() <= 3);
            pages += 1;
            seen.extend(page.items.iter().map(|s| s.study_instance_uid.to_string()));
            match page.next_cursor {
                Some(cursor) => request.after = Some(cursor),
                None => break,
            }
        }
        assert_eq!(seen, expected);
        assert_eq!(pages, expected.len().div_ceil(3), "no empty trailing page");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
    }
}

async fn a_study_reads_back_with_its_series_and_instances_in_uid_order(fx: &Fixture) {
    let facility = FacilityId::new_random();
    for (series, sop) in [("1.5.2", "1.5.2.1"), ("1.5.10", "1.5.10.2"), ("1.5.10", "1.5.10.1"), ("1.5.2", "1.5.2.0")] {
        fx.ports
            .studies
            .record_settled(&Instance::new(facility, "1.5", series, sop).record(), None)
            .await
            .expect("records");
    }
    let detail =
        fx.ports.studies.get_study(StudyId::for_study(facility, &uid("1.5"))).await.expect("reads").expect("exists");
    let series: Vec<String> = detail.series.iter().map(|s| s.series_instance_uid.to_string()).collect();
    assert_eq!(series, ["1.5.10", "1.5.2"]);
    let sops: Vec<String> = detail.instances.iter().map(|i| i.sop_instance_uid.to_string()).collect();
    assert_eq!(sops, ["1.5.10.1", "1.5.10.2", "1.5.2.0", "1.5.2.1"]);
    assert_eq!(fx.ports.studies.get_study(StudyId::new_random()).await.expect("reads"), None);
}

async fn workflow_changes_are_kept_while_instances_keep_arriving(fx: &Fixture) {
    let facility = FacilityId::new_random();
    fx.ports
        .studies
        .record_settled(&Instance::new(facility, "1.6", "1.6.1", "1.6.1.1").record(), None)
        .await
        .expect("records");
    let id = StudyId::for_study(facility, &uid("1.6"));
    let change = StudyChange { status: Some(StudyStatus::InReview), priority: Some(Priority::Stat) };
    let updated = fx.ports.studies.update_study(id, change).await.expect("updates");
    assert_eq!((updated.status, updated.priority), (StudyStatus::InReview, Priority::Stat));
    fx.ports
        .studies
        .record_settled(&Instance::new(facility, "1.6", "1.6.1", "1.6.1.2").record(), None)
        .await
        .expect("records");
    let detail = fx.ports.studies.get_study(id).await.expect("reads").expect("exists");
    assert_eq!(
        (detail.study.status, detail.study.priority, detail.study.instance_count),
        (StudyStatus::InReview, Priority::Stat, 2)
    );
    let filter = StudyFilter { status: Some(StudyStatus::InReview), ..Default::default() };
    assert_eq!(fx.ports.studies.list_studies(&filter, &all(10)).await.expect("lists").items.len(), 1);
    let err = fx.ports.studies.update_study(StudyId::new_random(), change).await.expect_err("unknown");
    assert!(matches!(err, noctis_core::ports::StoreError::NotFound), "{err:?}");
}

async fn an_instance_and_its_audit_event_are_recorded_together(fx: &Fixture) {
    use noctis_core::domain::{Actor, AuditEvent, AuditKind, AuditQuery};
    let facility = FacilityId::new_random();
    let instance = Instance::new(facility, "1.7", "1.7.1", "1.7.1.1");
    let event = AuditEvent::new(AuditKind::InstanceStored, Actor::Modality { ae_title: "CT_1".into() }, now())
        .for_facility(facility)
        .with_details(serde_json::json!({"sop_instance_uid": "1.7.1.1"}));
    fx.ports.studies.record_settled(&instance.record(), Some(&event)).await.expect("records");
    let query = AuditQuery {
        from: now() - Duration::hours(1),
        to: now() + Duration::hours(1),
        facility_id: Some(facility),
        actor: None,
        kind: Some(AuditKind::InstanceStored),
    };
    let page = fx.ports.audit.query(&query, &all(10)).await.expect("queries");
    assert_eq!(page.items, [event]);
}

async fn facility_totals_follow_new_resent_and_other_studies(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let index = &fx.ports.studies;
    assert_eq!(index.facility_totals(facility).await.expect("reads"), FacilityTotals::default(), "nothing yet");
    let first = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1");
    index.record_settled(&first.record(), None).await.expect("records");
    let mut resent = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1");
    resent.size = 400;
    index.record_settled(&resent.record(), None).await.expect("records again");
    let mut later = Instance::new(facility, "1.2.4", "1.2.4.1", "1.2.4.1.1");
    later.at = first.at + Duration::seconds(5);
    index.record_settled(&later.record(), None).await.expect("records");
    index
        .record_settled(&Instance::new(FacilityId::new_random(), "1.2.5", "1.2.5.1", "1.2.5.1.1").record(), None)
        .await
        .expect("another facility's");
    let totals = index.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (2, 2, 1400), "a resend replaces its bytes");
    assert_eq!(
        totals.last_received_at.map(|t| t.timestamp_micros()),
        Some(later.at.timestamp_micros()),
        "the latest receipt"
    );
}

async fn daily_activity_counts_new_studies_and_new_instances_per_utc_day(fx: &Fixture) {
    let (a, b) = (FacilityId::new_random(), FacilityId::new_random());
    let index = &fx.ports.studies;
    let today = now();
    let (yesterday, long_ago) = (today - Duration::days(1), today - Duration::days(40));
    let mut sent = Vec::new();
    // Facility a: a study begun yesterday and continued today, re-sent today,
    // and a new study today; facility b: one study today; both: one long ago.
    for (facility, study, sop, at) in [
        (a, "1.2.3", "1.2.3.1.1", yesterday),
        (a, "1.2.3", "1.2.3.1.2", today),
        (a, "1.2.3", "1.2.3.1.2", today),
        (a, "1.2.4", "1.2.4.1.1", today),
        (b, "1.2.5", "1.2.5.1.1", today),
        (a, "1.2.6", "1.2.6.1.1", long_ago),
        (b, "1.2.7", "1.2.7.1.1", long_ago),
    ] {
        let series = sop.rsplit_once('.').map(|(series, _)| series).expect("a series");
        let mut instance = Instance::new(facility, study, series, sop);
        instance.at = at;
        sent.push(index.record_settled(&instance.record(), None).await.expect("records"));
    }
    assert_eq!(sent.iter().filter(|r| **r == Recorded::Replaced).count(), 1, "one copy was re-sent");
    let (from, to) = (yesterday.date_naive(), today.date_naive());
    let rows = |facility: Option<FacilityId>| async move {
        let days = index.daily_activity(facility, from, to).await.expect("reads");
        days.iter().map(|d| (d.day, d.facility_id, d.studies, d.instances)).collect::<Vec<_>>()
    };
    let mut everyone = vec![(from, a, 1, 1), (to, a, 1, 2), (to, b, 1, 1)];
    everyone.sort_by_key(|(day, facility, ..)| (*day, facility.to_string()));
    assert_eq!(
        rows(None).await,
        everyone,
        "by day, then facility; a re-sent copy and days outside the range are not counted"
    );
    assert_eq!(rows(Some(a)).await, [(from, a, 1, 1), (to, a, 1, 2)], "one facility's days");
    assert_eq!(rows(Some(FacilityId::new_random())).await, [], "a facility that sent nothing");
}

async fn an_instance_is_found_by_its_sop_instance_uid_within_its_facility_only(fx: &Fixture) {
    let (a, b) = (FacilityId::new_random(), FacilityId::new_random());
    let sent = Instance::new(a, "1.2.7", "1.2.7.1", "1.2.7.1.1");
    assert_eq!(fx.ports.studies.find_instance(a, &uid(&sent.sop)).await.expect("reads"), None, "not yet");
    fx.ports.studies.record_instance(&sent.record(), None).await.expect("records");
    let found = fx.ports.studies.find_instance(a, &uid(&sent.sop)).await.expect("reads").expect("found once recorded");
    assert_eq!((found.series_instance_uid.as_str(), found.sop_instance_uid.as_str()), ("1.2.7.1", "1.2.7.1.1"));
    assert_eq!(found.sop_class_uid.as_str(), "1.2.840.10008.5.1.4.1.1.2");
    assert_eq!(fx.ports.studies.find_instance(b, &uid(&sent.sop)).await.expect("reads"), None, "not another's");
    assert_eq!(fx.ports.studies.find_instance(a, &uid("1.2.7.1.2")).await.expect("reads"), None);
}

/// Eight associations forwarding one study, as a PACS does: each records its
/// share (a few copies twice) and settles the study when it ends, racing the
/// others' recordings and settlements.
async fn eight_writers_into_one_study_each_settling_count_it_exactly(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let other = fx.second_handle().await;
    let mut writers = Vec::new();
    for writer in 0..8 {
        let index = if writer % 2 == 0 { fx.ports.studies.clone() } else { other.studies.clone() };
        writers.push(tokio::spawn(async move {
            for i in 0..12 {
                let series = format!("1.9.{}", i % 4);
                let sop = format!("{series}.{writer}.{i}");
                let record = Instance::new(facility, "1.9", &series, &sop).record();
                index.record_instance(&record, None).await?;
                if i % 5 == 0 {
                    index.record_instance(&record, None).await?;
                }
            }
            index.settle(&[StudyId::for_study(facility, &uid("1.9"))]).await
        }));
    }
    for writer in writers {
        writer.await.expect("writer").expect("records and settles");
    }
    let detail =
        fx.ports.studies.get_study(StudyId::for_study(facility, &uid("1.9"))).await.expect("reads").expect("exists");
    assert_eq!((detail.study.instance_count, detail.study.series_count, detail.study.total_bytes), (96, 4, 96_000));
    assert_eq!(detail.series.iter().map(|s| s.instance_count).collect::<Vec<_>>(), [24, 24, 24, 24]);
    let totals = fx.ports.studies.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (1, 96, 96_000));
    let today = now().date_naive();
    let days = fx.ports.studies.daily_activity(Some(facility), today, today).await.expect("reads");
    assert_eq!(days.iter().map(|d| (d.studies, d.instances)).collect::<Vec<_>>(), [(1, 96)]);
}

/// A receiver killed after answering "success" and before settling leaves
/// its instances recorded but uncounted: the sweep settles them, with their
/// audit events, and a second sweep changes nothing.
async fn a_study_its_writer_never_settled_is_settled_by_the_sweep(fx: &Fixture) {
    use noctis_core::domain::{Actor, AuditKind, AuditQuery};
    let facility = FacilityId::new_random();
    let index = &fx.ports.studies;
    for sop in ["1.8.1.1", "1.8.1.2", "1.8.2.1"] {
        let instance = Instance::new(facility, "1.8", sop.rsplit_once('.').expect("series").0, sop);
        let event = AuditEvent::new(AuditKind::InstanceStored, Actor::Modality { ae_title: "CT_1".into() }, now())
            .for_facility(facility);
        index.record_instance(&instance.record(), Some(&event)).await.expect("records");
    }
    index.settle_abandoned(std::time::Duration::ZERO).await.expect("sweeps");
    let check = || async {
        let detail = index.get_study(StudyId::for_study(facility, &uid("1.8"))).await.expect("reads").expect("exists");
        let totals = index.facility_totals(facility).await.expect("reads");
        let query = AuditQuery {
            from: now() - Duration::hours(1),
            to: now() + Duration::hours(1),
            facility_id: Some(facility),
            actor: None,
            kind: Some(AuditKind::InstanceStored),
        };
        let events = fx.ports.audit.query(&query, &all(10)).await.expect("queries").items.len();
        (detail.study.instance_count, detail.study.series_count, detail.series.len(), totals.instances, events)
    };
    assert_eq!(check().await, (3, 2, 2, 3, 3), "counted, with the audit trail");
    assert_eq!(index.settle_abandoned(std::time::Duration::ZERO).await.expect("sweeps again"), 0, "nothing left");
    assert_eq!(check().await, (3, 2, 2, 3, 3), "a second sweep changes nothing");
}
