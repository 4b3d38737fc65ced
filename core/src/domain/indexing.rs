//! How one received instance changes its study and series. Both adapters read the
//! current rows, call `apply_instance`, and write the result atomically, so the
//! aggregation rules live here once.

use super::{
    InstanceRecord, InstanceSummary, Priority, Recorded, SeriesSummary, StudyStatus, StudySummary, TotalsChange,
};

/// The rows an instance touches, as stored before it arrived.
#[derive(Debug, Clone, Default)]
pub struct IndexRows {
    pub study: Option<StudySummary>,
    pub series: Option<SeriesSummary>,
    pub instance: Option<InstanceSummary>,
}

/// The same rows after the instance is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRows {
    pub study: StudySummary,
    pub series: SeriesSummary,
    pub instance: InstanceSummary,
    pub recorded: Recorded,
    /// What the facility's totals gain.
    pub totals: TotalsChange,
}

pub fn apply_instance(rows: IndexRows, record: &InstanceRecord) -> IndexedRows {
    let instance = InstanceSummary {
        series_instance_uid: record.series_instance_uid.clone(),
        sop_instance_uid: record.sop_instance_uid.clone(),
        sop_class_uid: record.sop_class_uid.clone(),
        transfer_syntax_uid: record.transfer_syntax_uid.clone(),
        instance_number: record.instance_number,
        object_key: record.object_key.clone(),
        size_bytes: record.size_bytes,
        received_at: record.received_at,
    };
    // A re-sent instance replaces itself: it adds no count, and its bytes replace the old ones.
    let (recorded, added_instances, old_bytes) = match &rows.instance {
        Some(old) => (Recorded::Replaced, 0, old.size_bytes),
        None => (Recorded::New, 1, 0),
    };
    let adjust = |total: u64| total.saturating_sub(old_bytes).saturating_add(record.size_bytes);

    let totals = TotalsChange {
        studies: u64::from(rows.study.is_none()),
        instances: added_instances,
        bytes: i64::try_from(record.size_bytes).unwrap_or(i64::MAX) - i64::try_from(old_bytes).unwrap_or(i64::MAX),
        received_at: record.received_at,
    };
    let new_series = rows.series.is_none();
    let mut series = rows.series.unwrap_or_else(|| SeriesSummary {
        series_instance_uid: record.series_instance_uid.clone(),
        attributes: record.series.clone(),
        instance_count: 0,
        total_bytes: 0,
    });
    series.instance_count += added_instances;
    series.total_bytes = adjust(series.total_bytes);
    fill_missing_series(&mut series, record);

    let mut study = rows.study.unwrap_or_else(|| StudySummary {
        id: record.study_id(),
        facility_id: record.facility_id,
        study_instance_uid: record.study_instance_uid.clone(),
        attributes: record.study.clone(),
        modalities: Vec::new(),
        series_count: 0,
        instance_count: 0,
        total_bytes: 0,
        first_received_at: record.received_at,
        last_received_at: record.received_at,
        status: StudyStatus::Received,
        priority: Priority::Routine,
    });
    study.series_count += u64::from(new_series);
    study.instance_count += added_instances;
    study.total_bytes = adjust(study.total_bytes);
    study.last_received_at = study.last_received_at.max(record.received_at);
    study.first_received_at = study.first_received_at.min(record.received_at);
    fill_missing_study(&mut study, record);
    if let Some(modality) = record.series.modality.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        let modality = modality.to_ascii_uppercase();
        if let Err(at) = study.modalities.binary_search(&modality) {
            study.modalities.insert(at, modality);
        }
    }

    IndexedRows { study, series, instance, recorded, totals }
}

/// The first instance sets the study's descriptive attributes; later ones only
/// fill what it left empty (modalities may omit optional attributes).
fn fill_missing_study(study: &mut StudySummary, record: &InstanceRecord) {
    let have = &mut study.attributes;
    let new = &record.study;
    for (slot, value) in [
        (&mut have.patient_name, &new.patient_name),
        (&mut have.patient_id, &new.patient_id),
        (&mut have.patient_birth_date, &new.patient_birth_date),
        (&mut have.patient_sex, &new.patient_sex),
        (&mut have.study_date, &new.study_date),
        (&mut have.study_time, &new.study_time),
        (&mut have.accession_number, &new.accession_number),
        (&mut have.study_id, &new.study_id),
        (&mut have.study_description, &new.study_description),
        (&mut have.referring_physician, &new.referring_physician),
    ] {
        if slot.is_none() {
            slot.clone_from(value);
        }
    }
}

fn fill_missing_series(series: &mut SeriesSummary, record: &InstanceRecord) {
    let have = &mut series.attributes;
    if have.modality.is_none() {
        have.modality.clone_from(&record.series.modality);
    }
    if have.series_number.is_none() {
        have.series_number = record.series.series_number;
    }
    if have.series_description.is_none() {
        have.series_description.clone_from(&record.series.series_description);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AeTitle, FacilityId, ObjectKey, SeriesAttributes, StudyAttributes, Uid};

    fn record(series: &str, sop: &str, size: u64, modality: &str) -> InstanceRecord {
        let uid = |s: &str| Uid::parse(s).expect("uid");
        let facility = FacilityId::from_uuid(uuid::Uuid::nil());
        InstanceRecord {
            facility_id: facility,
            study_instance_uid: uid("1.2.3"),
            series_instance_uid: uid(series),
            sop_instance_uid: uid(sop),
            sop_class_uid: uid("1.2.840.10008.5.1.4.1.1.2"),
            transfer_syntax_uid: uid("1.2.840.10008.1.2.1"),
            instance_number: Some(1),
            object_key: ObjectKey::for_instance(facility, &uid("1.2.3"), &uid(series), &uid(sop)),
            size_bytes: size,
            received_at: crate::domain::now(),
            source_ae_title: AeTitle::parse("CT1").expect("ae"),
            study: StudyAttributes { patient_id: Some("P1".into()), ..Default::default() },
            series: SeriesAttributes { modality: Some(modality.into()), ..Default::default() },
        }
    }

    fn absorb(rows: Option<IndexedRows>, r: &InstanceRecord, same_instance: bool) -> IndexedRows {
        let rows = match rows {
            None => IndexRows::default(),
            Some(prev) => IndexRows {
                study: Some(prev.study),
                series: (prev.series.series_instance_uid == r.series_instance_uid).then_some(prev.series),
                instance: same_instance.then_some(prev.instance),
            },
        };
        apply_instance(rows, r)
    }

    #[test]
    fn new_instances_and_series_are_counted_once() {
        let a = absorb(None, &record("1.2.3.1", "1.2.3.1.1", 100, "ct"), false);
        assert_eq!((a.study.series_count, a.study.instance_count, a.study.total_bytes), (1, 1, 100));
        assert_eq!(a.recorded, Recorded::New);
        let b = absorb(Some(a), &record("1.2.3.1", "1.2.3.1.2", 50, "CT"), false);
        assert_eq!((b.study.series_count, b.study.instance_count, b.series.instance_count), (1, 2, 2));
        let c = absorb(Some(b), &record("1.2.3.2", "1.2.3.2.1", 10, "SR"), false);
        assert_eq!((c.study.series_count, c.study.instance_count, c.study.total_bytes), (2, 3, 160));
        assert_eq!(c.study.modalities, ["CT", "SR"]);
        assert_eq!(c.study.attributes.patient_id.as_deref(), Some("P1"));
    }

    #[test]
    fn a_resent_instance_replaces_its_bytes_without_adding_a_count() {
        let first = absorb(None, &record("1.2.3.1", "1.2.3.1.1", 100, "CT"), false);
        let again = absorb(Some(first), &record("1.2.3.1", "1.2.3.1.1", 120, "CT"), true);
        assert_eq!(again.recorded, Recorded::Replaced);
        assert_eq!((again.study.instance_count, again.study.total_bytes), (1, 120));
        assert_eq!((again.series.instance_count, again.series.total_bytes), (1, 120));
    }

    #[test]
    fn the_facility_gains_a_study_once_and_a_resend_only_its_byte_difference() {
        let first = absorb(None, &record("1.2.3.1", "1.2.3.1.1", 100, "CT"), false);
        assert_eq!((first.totals.studies, first.totals.instances, first.totals.bytes), (1, 1, 100));
        let second = absorb(Some(first), &record("1.2.3.1", "1.2.3.1.2", 50, "CT"), false);
        assert_eq!((second.totals.studies, second.totals.instances, second.totals.bytes), (0, 1, 50));
        let smaller = absorb(Some(second), &record("1.2.3.1", "1.2.3.1.2", 20, "CT"), true);
        assert_eq!((smaller.totals.studies, smaller.totals.instances, smaller.totals.bytes), (0, 0, -30));
    }
}
