//! Moving a study received under the wrong facility to the right one: its
//! objects are copied under the right facility's keys and recorded there,
//! its report and workflow go with it, and only then is the source deleted.
//!
//! Stopped before the source's deletion is written down, the source is
//! whole and the target holds a partial copy; asking again copies the rest
//! (recording a copied instance again replaces it) and goes on. From the
//! deletion on, it is a deletion like any other, finished by the sweep if
//! need be, and its audit event is the move's (`DeletionCause::Moved`).

use futures_util::{StreamExt, TryStreamExt, stream};
use tokio::io::AsyncReadExt;

use super::UseCaseError;
use super::deletion::begin_and_carry_out;
use crate::domain::{
    Actor, Deletion, DeletionCause, DeletionScope, Facility, InstanceRecord, InstanceSummary, ObjectKey, Report,
    SeriesAttributes, StudyChange, StudyDetail, StudyId, StudySummary, Timestamp,
};
use crate::ports::{ObjectStore, ReportStore, StoreError, StudyIndex};

/// How many instances are copied at once.
const CONCURRENT_COPIES: usize = 8;

/// How much of an object is held at a time while it is copied.
const COPY_CHUNK: usize = 256 * 1024;

/// The ports a move touches.
#[derive(Debug, Clone, Copy)]
pub struct MovePorts<'a> {
    pub index: &'a dyn StudyIndex,
    pub objects: &'a dyn ObjectStore,
    pub reports: &'a dyn ReportStore,
}

/// Moves `study` to facility `to`; returns the study as the target holds it.
pub async fn move_study(
    ports: MovePorts<'_>,
    actor: &Actor,
    study: &StudyDetail,
    to: &Facility,
    at: Timestamp,
) -> Result<StudySummary, UseCaseError> {
    let from = &study.study;
    if from.facility_id == to.id {
        return Err(UseCaseError::invalid("facility_id", "the study is already at this facility"));
    }
    let target = StudyId::for_study(to.id, &from.study_instance_uid);
    let report = ports.reports.get(from.id).await?;
    if let Some(report) = &report
        && let Some(theirs) = ports.reports.get(target).await?
        && theirs.versions != report.versions
    {
        return Err(UseCaseError::Conflict(
            "the facility already holds this study with a report of its own; delete one of them first".into(),
        ));
    }

    let copies: Vec<(ObjectKey, InstanceRecord)> =
        study.instances.iter().map(|i| (i.object_key.clone(), record_at(study, i, to))).collect();
    stream::iter(copies)
        .map(|(source, record)| async move { copy_instance(ports.index, ports.objects, &source, &record).await })
        .buffer_unordered(CONCURRENT_COPIES)
        .try_for_each(|()| async { Ok(()) })
        .await?;
    ports.index.settle(&[target]).await?;
    if let Some(report) = report {
        carry_report(ports.reports, report, target).await?;
    }
    let workflow = StudyChange { status: Some(from.status), priority: Some(from.priority) };
    let moved = ports.index.update_study(target, workflow).await?;

    let source = Deletion {
        id: uuid::Uuid::new_v4(),
        study: from.id,
        facility_id: from.facility_id,
        study_instance_uid: from.study_instance_uid.clone(),
        scope: DeletionScope::Study,
        requested_by: actor.clone(),
        requested_at: at,
        instances: study.instances.len() as u64,
        bytes: from.total_bytes,
        cause: DeletionCause::Moved { to: to.id },
    };
    begin_and_carry_out(ports.index, ports.objects, &source).await?;
    Ok(moved)
}

/// The instance as if the right facility's modality had sent it: same
/// UIDs, attributes and receipt time, under the right facility's key.
fn record_at(study: &StudyDetail, instance: &InstanceSummary, to: &Facility) -> InstanceRecord {
    let s = &study.study;
    let series: SeriesAttributes = study
        .series
        .iter()
        .find(|row| row.series_instance_uid == instance.series_instance_uid)
        .map(|row| row.attributes.clone())
        .unwrap_or_default();
    InstanceRecord {
        facility_id: to.id,
        study_instance_uid: s.study_instance_uid.clone(),
        series_instance_uid: instance.series_instance_uid.clone(),
        sop_instance_uid: instance.sop_instance_uid.clone(),
        sop_class_uid: instance.sop_class_uid.clone(),
        transfer_syntax_uid: instance.transfer_syntax_uid.clone(),
        instance_number: instance.instance_number,
        object_key: ObjectKey::for_instance(
            to.id,
            &s.study_instance_uid,
            &instance.series_instance_uid,
            &instance.sop_instance_uid,
        ),
        size_bytes: instance.size_bytes,
        received_at: instance.received_at,
        source_ae_title: to.ae_title.clone(),
        study: s.attributes.clone(),
        series,
    }
}

/// Copies one instance's object to its new key, durably, then records it there.
async fn copy_instance(
    index: &dyn StudyIndex,
    objects: &dyn ObjectStore,
    source: &ObjectKey,
    record: &InstanceRecord,
) -> Result<(), StoreError> {
    let Some(mut reader) = objects.read(source).await? else {
        // Copied and removed by an earlier attempt that went on to delete
        // the source: the copy is what remains, and it is recorded.
        return match objects.read(&record.object_key).await? {
            Some(_) => index.record_instance(record, None).await.map(|_| ()),
            None => Err(StoreError::NotFound),
        };
    };
    let mut writer = objects.begin_write(&record.object_key).await?;
    let mut buffer = vec![0u8; COPY_CHUNK];
    loop {
        let read = match reader.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) => {
                writer.abort().await?;
                return Err(StoreError::backend(e));
            }
        };
        writer.write(bytes::Bytes::copy_from_slice(&buffer[..read])).await?;
    }
    let size = writer.finish().await?;
    index.record_instance(&InstanceRecord { size_bytes: size, ..record.clone() }, None).await?;
    Ok(())
}

/// The report, with its whole history, under the target study.
async fn carry_report(reports: &dyn ReportStore, report: Report, target: StudyId) -> Result<(), StoreError> {
    let carried = Report { study_id: target, versions: report.versions, revision: 0 };
    match reports.save(&carried).await {
        // Carried by an earlier attempt.
        Err(StoreError::StaleRevision { .. }) => Ok(()),
        outcome => outcome.map(|_| ()),
    }
}
