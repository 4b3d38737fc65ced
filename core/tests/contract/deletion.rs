//! Deletion across the study index and the object store (`usecases::deletion`):
//! objects and rows go together, aggregates follow, and a deletion stopped
//! part-way is finished by another process with nothing left behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use noctis_core::domain::{
    Actor, AeTitle, AuditKind, AuditQuery, DeletionScope, Facility, FacilityId, ObjectKey, PageLimit, PageRequest,
    StudyFilter, StudyId, Uid, now,
};
use noctis_core::ports::{ObjectReader, ObjectStore, ObjectWriter, StoreError, StoredObject};
use noctis_core::usecases::UseCaseError;
use noctis_core::usecases::deletion::{delete, finish_interrupted};
use noctis_core::usecases::relocation::{MovePorts, move_study};

use crate::studies::Instance;
use crate::support::Fixture;

crate::contract_tests!(
    an_instance_a_series_and_a_study_are_deleted_with_their_objects_and_counts,
    a_deleted_instance_sent_again_is_stored_again,
    a_deletion_interrupted_after_some_objects_is_finished_by_the_sweep,
    a_finished_deletion_finished_again_changes_nothing,
    a_move_stopped_while_removing_its_source_is_finished_as_a_move,
);

fn uid(s: &str) -> Uid {
    Uid::parse(s).expect("uid")
}

fn admin() -> Actor {
    Actor::System
}

/// Stores `instance`'s object and records it, as a receiver does.
async fn receive(fx: &Fixture, instance: &Instance) -> ObjectKey {
    let record = instance.record();
    let mut writer = fx.ports.objects.begin_write(&record.object_key).await.expect("begins");
    writer.write(vec![7u8; instance.size as usize].into()).await.expect("writes");
    writer.finish().await.expect("finishes");
    fx.ports.studies.record_instance(&record, None).await.expect("records");
    fx.ports.studies.settle(&[record.study_id()]).await.expect("settles");
    record.object_key
}

async fn exists(objects: &dyn ObjectStore, key: &ObjectKey) -> bool {
    objects.read(key).await.expect("reads").is_some()
}

async fn delete_scope(fx: &Fixture, study: StudyId, scope: DeletionScope) -> Result<(), UseCaseError> {
    let detail = fx.ports.studies.get_study(study).await.expect("reads").expect("the study");
    delete(fx.ports.studies.as_ref(), fx.ports.objects.as_ref(), &admin(), &detail, scope, now()).await.map(|_| ())
}

async fn deletion_events(fx: &Fixture, facility: FacilityId) -> Vec<(AuditKind, serde_json::Value)> {
    let query = AuditQuery {
        from: now() - chrono::Duration::hours(1),
        to: now() + chrono::Duration::hours(1),
        facility_id: Some(facility),
        actor: None,
        kind: None,
    };
    let page = fx
        .ports
        .audit
        .query(&query, &PageRequest::first(PageLimit::new(PageLimit::MAX).expect("limit")))
        .await
        .expect("queries");
    let deletions = [AuditKind::StudyDeleted, AuditKind::SeriesDeleted, AuditKind::InstanceDeleted];
    page.items.into_iter().filter(|e| deletions.contains(&e.kind)).map(|e| (e.kind, e.details)).collect()
}

async fn an_instance_a_series_and_a_study_are_deleted_with_their_objects_and_counts(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let index = &fx.ports.studies;
    let a1 = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1");
    let a2 = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.2");
    let mut b1 = Instance::new(facility, "1.2.3", "1.2.3.2", "1.2.3.2.1");
    b1.modality = "MR";
    let other = Instance::new(facility, "1.2.4", "1.2.4.1", "1.2.4.1.1");
    let keys = [receive(fx, &a1).await, receive(fx, &a2).await, receive(fx, &b1).await];
    let other_key = receive(fx, &other).await;
    let study = a1.record().study_id();

    delete_scope(
        fx,
        study,
        DeletionScope::Instance { series_instance_uid: uid("1.2.3.1"), sop_instance_uid: uid("1.2.3.1.1") },
    )
    .await
    .expect("deletes the instance");
    let detail = index.get_study(study).await.expect("reads").expect("the study stays");
    assert_eq!((detail.study.instance_count, detail.study.series_count, detail.study.total_bytes), (2, 2, 2000));
    assert_eq!(detail.series.iter().map(|s| s.instance_count).collect::<Vec<_>>(), [1, 1]);
    assert!(!exists(fx.ports.objects.as_ref(), &keys[0]).await, "the instance's object went");
    assert!(exists(fx.ports.objects.as_ref(), &keys[1]).await);
    assert!(index.find_instance(facility, &uid("1.2.3.1.1")).await.expect("reads").is_none());

    delete_scope(fx, study, DeletionScope::Series { series_instance_uid: uid("1.2.3.2") }).await.expect("deletes");
    let detail = index.get_study(study).await.expect("reads").expect("the study stays");
    assert_eq!((detail.study.instance_count, detail.study.series_count), (1, 1));
    assert_eq!(detail.study.modalities, ["CT"], "the MR series went, and its modality with it");
    assert!(!exists(fx.ports.objects.as_ref(), &keys[2]).await);

    let missing = delete_scope(fx, study, DeletionScope::Series { series_instance_uid: uid("1.2.3.9") }).await;
    assert!(matches!(missing, Err(UseCaseError::NotFound)), "a series the study does not hold: {missing:?}");

    delete_scope(fx, study, DeletionScope::Study).await.expect("deletes the study");
    assert!(index.get_study(study).await.expect("reads").is_none());
    assert!(!exists(fx.ports.objects.as_ref(), &keys[1]).await);
    assert!(exists(fx.ports.objects.as_ref(), &other_key).await, "another study is untouched");
    let listed = index
        .list_studies(
            &StudyFilter { facility_id: Some(facility), ..Default::default() },
            &PageRequest::first(PageLimit::new(PageLimit::MAX).expect("limit")),
        )
        .await
        .expect("lists");
    assert_eq!(listed.items.iter().map(|s| s.id).collect::<Vec<_>>(), [other.record().study_id()]);
    let totals = index.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (1, 1, 1000));
    assert!(index.pending_deletions().await.expect("reads").is_empty());

    let events = deletion_events(fx, facility).await;
    let kinds: Vec<AuditKind> = events.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, [AuditKind::StudyDeleted, AuditKind::SeriesDeleted, AuditKind::InstanceDeleted]);
    assert_eq!(events[2].1["sop_instance_uid"], "1.2.3.1.1");
    assert_eq!(events[0].1["instances"], 1);
    assert!(events.iter().all(|(_, d)| d.get("patient_name").is_none()), "identifiers, never names");
}

async fn a_deleted_instance_sent_again_is_stored_again(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let index = &fx.ports.studies;
    let first = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1");
    receive(fx, &first).await;
    let study = first.record().study_id();
    delete_scope(fx, study, DeletionScope::Study).await.expect("deletes");
    assert_eq!(index.facility_totals(facility).await.expect("reads").studies, 0);

    let mut again = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1");
    again.size = 1500;
    let key = receive(fx, &again).await;
    let detail = index.get_study(study).await.expect("reads").expect("stored again");
    assert_eq!((detail.study.instance_count, detail.study.total_bytes), (1, 1500));
    assert!(exists(fx.ports.objects.as_ref(), &key).await);
    let totals = index.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (1, 1, 1500), "counted once more, not twice");
    assert!(index.find_instance(facility, &uid("1.2.3.1.1")).await.expect("reads").is_some());
}

/// The object store of the process that stops: its first `allowed` removals
/// are made, and every later one fails once those are done, as in a process
/// killed after removing some objects. Everything else is the real store.
#[derive(Debug)]
struct StopsRemoving {
    store: Arc<dyn ObjectStore>,
    allowed: AtomicUsize,
    /// Opened once the allowed removals are made: removals run concurrently,
    /// and the first failure would otherwise cut them short.
    made: tokio::sync::Semaphore,
}

#[async_trait]
impl ObjectStore for StopsRemoving {
    async fn begin_write(&self, key: &ObjectKey) -> Result<Box<dyn ObjectWriter>, StoreError> {
        self.store.begin_write(key).await
    }

    async fn read(&self, key: &ObjectKey) -> Result<Option<ObjectReader>, StoreError> {
        self.store.read(key).await
    }

    async fn read_prefix(&self, key: &ObjectKey, len: usize) -> Result<Option<bytes::Bytes>, StoreError> {
        self.store.read_prefix(key, len).await
    }

    async fn list(
        &self,
        prefix: &str,
        after: Option<&ObjectKey>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreError> {
        self.store.list(prefix, after, limit).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        let spent = self.allowed.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match spent {
            Ok(1) => {
                let removed = self.store.delete(key).await;
                self.made.add_permits(tokio::sync::Semaphore::MAX_PERMITS);
                removed
            }
            Ok(_) => self.store.delete(key).await,
            Err(_) => {
                let _ = self.made.acquire().await;
                Err(StoreError::internal("the process stopped"))
            }
        }
    }

    async fn download_url(&self, key: &ObjectKey, valid_for: Duration) -> Result<Option<String>, StoreError> {
        self.store.download_url(key, valid_for).await
    }
}

async fn a_deletion_interrupted_after_some_objects_is_finished_by_the_sweep(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let mut keys = Vec::new();
    for sop in ["1.2.3.1.1", "1.2.3.1.2", "1.2.3.1.3"] {
        keys.push(receive(fx, &Instance::new(facility, "1.2.3", "1.2.3.1", sop)).await);
    }
    let study = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1").record().study_id();
    let stopping = StopsRemoving {
        store: fx.ports.objects.clone(),
        allowed: AtomicUsize::new(1),
        made: tokio::sync::Semaphore::new(0),
    };
    let detail = fx.ports.studies.get_study(study).await.expect("reads").expect("the study");
    let stopped = delete(fx.ports.studies.as_ref(), &stopping, &admin(), &detail, DeletionScope::Study, now()).await;
    assert!(stopped.is_err(), "the deletion stopped part-way");
    let mut left = 0;
    for key in &keys {
        left += usize::from(exists(fx.ports.objects.as_ref(), key).await);
    }
    assert_eq!(left, 2, "one object went before it stopped");
    let detail = fx.ports.studies.get_study(study).await.expect("reads").expect("rows wait for the objects");
    assert_eq!(detail.instances.len(), 3, "every row still names its object");
    assert_eq!(fx.ports.studies.pending_deletions().await.expect("reads").len(), 1);

    // Another process's sweep finds it and finishes it.
    let other = fx.second_handle().await;
    let finished =
        finish_interrupted(other.studies.as_ref(), other.objects.as_ref(), Duration::ZERO).await.expect("sweeps");
    assert_eq!(finished, 1);
    for key in &keys {
        assert!(!exists(fx.ports.objects.as_ref(), key).await, "no object left: {key}");
    }
    assert!(fx.ports.studies.get_study(study).await.expect("reads").is_none(), "no row left");
    assert!(fx.ports.studies.pending_deletions().await.expect("reads").is_empty());
    let totals = fx.ports.studies.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (0, 0, 0));
    let events = deletion_events(fx, facility).await;
    assert_eq!(events.len(), 1, "one audit event: {events:?}");
    assert_eq!(events[0].1["instances"], 3, "counted when it was asked for");
    let again = finish_interrupted(other.studies.as_ref(), other.objects.as_ref(), Duration::ZERO).await;
    assert_eq!(again.expect("sweeps"), 0, "nothing left to finish");
}

async fn a_finished_deletion_finished_again_changes_nothing(fx: &Fixture) {
    let facility = FacilityId::new_random();
    receive(fx, &Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1")).await;
    receive(fx, &Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.2")).await;
    let study = Instance::new(facility, "1.2.3", "1.2.3.1", "1.2.3.1.1").record().study_id();
    let detail = fx.ports.studies.get_study(study).await.expect("reads").expect("the study");
    let scope = DeletionScope::Instance { series_instance_uid: uid("1.2.3.1"), sop_instance_uid: uid("1.2.3.1.1") };
    let deletion = delete(fx.ports.studies.as_ref(), fx.ports.objects.as_ref(), &admin(), &detail, scope, now())
        .await
        .expect("deletes");
    // A second finish, as a retry racing the sweep would make.
    fx.ports.studies.finish_deletion(&deletion, &deletion.audit_event()).await.expect("finishes again");
    let detail = fx.ports.studies.get_study(study).await.expect("reads").expect("the study stays");
    assert_eq!(detail.study.instance_count, 1);
    let totals = fx.ports.studies.facility_totals(facility).await.expect("reads");
    assert_eq!((totals.studies, totals.instances, totals.bytes), (1, 1, 1000));
    assert_eq!(deletion_events(fx, facility).await.len(), 1);
}

async fn a_move_stopped_while_removing_its_source_is_finished_as_a_move(fx: &Fixture) {
    let (wrong, right) = (FacilityId::new_random(), FacilityId::new_random());
    let to = Facility {
        id: right,
        ..Facility::register(crate::facilities::draft("Right", "LIC-R"), AeTitle::parse("RIGHT").expect("ae"), now())
    };
    let mut keys = Vec::new();
    for sop in ["1.2.3.1.1", "1.2.3.1.2"] {
        keys.push(receive(fx, &Instance::new(wrong, "1.2.3", "1.2.3.1", sop)).await);
    }
    let source = Instance::new(wrong, "1.2.3", "1.2.3.1", "1.2.3.1.1").record().study_id();
    let detail = fx.ports.studies.get_study(source).await.expect("reads").expect("the study");
    let stopping = StopsRemoving {
        store: fx.ports.objects.clone(),
        allowed: AtomicUsize::new(1),
        made: tokio::sync::Semaphore::new(0),
    };
    let ports = MovePorts { index: fx.ports.studies.as_ref(), objects: &stopping, reports: fx.ports.reports.as_ref() };
    let stopped = move_study(ports, &admin(), &detail, &to, now()).await;
    assert!(stopped.is_err(), "the move stopped while removing its source");
    let target = Instance::new(right, "1.2.3", "1.2.3.1", "1.2.3.1.1").record().study_id();
    let copied = fx.ports.studies.get_study(target).await.expect("reads").expect("the copy is whole");
    assert_eq!(copied.study.instance_count, 2);

    let other = fx.second_handle().await;
    let finished =
        finish_interrupted(other.studies.as_ref(), other.objects.as_ref(), Duration::ZERO).await.expect("sweeps");
    assert_eq!(finished, 1);
    assert!(fx.ports.studies.get_study(source).await.expect("reads").is_none(), "the source is gone");
    for key in &keys {
        assert!(!exists(fx.ports.objects.as_ref(), key).await, "no source object left: {key}");
    }
    for instance in &copied.instances {
        assert!(exists(fx.ports.objects.as_ref(), &instance.object_key).await, "the copy keeps its objects");
    }
    let (from, to) = (fx.ports.studies.facility_totals(wrong).await, fx.ports.studies.facility_totals(right).await);
    let (from, to) = (from.expect("reads"), to.expect("reads"));
    assert_eq!(((from.studies, from.instances), (to.studies, to.instances)), ((0, 0), (1, 2)));
    let events = deletion_events(fx, wrong).await;
    assert!(events.is_empty(), "not a deletion: {events:?}");
    let query = AuditQuery {
        from: now() - chrono::Duration::hours(1),
        to: now() + chrono::Duration::hours(1),
        facility_id: Some(wrong),
        actor: None,
        kind: Some(AuditKind::StudyMoved),
    };
    let moved = fx.ports.audit.query(&query, &PageRequest::first(PageLimit::new(10).expect("limit"))).await;
    let moved = moved.expect("queries").items;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].details["moved_to_facility_id"], right.to_string());
}
