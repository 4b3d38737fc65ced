//! How received instances make up their study and series. The embedded
//! adapter reads the current rows, calls `apply_instance`, and writes the
//! result in one transaction; the cloud adapter writes only the instance and
//! later recomputes the aggregates from the instances with `recount`. Both
//! follow the same rules, written here once.

use std::collections::BTreeMap;

use super::{
    InstanceRecord, InstanceSummary, Priority, Recorded, SeriesAttributes, SeriesSummary, StudyStatus, StudySummary,
    TotalsChange, Uid,
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
    let instance = record.summary();
    // A re-sent instance replaces itself: it adds no count, and its bytes replace the old ones.
    let (recorded, added_instances, old_bytes) = match &rows.instance {
        Some(old) => (Recorded::Replaced, 0, old.size_bytes),
        None => (Recorded::New, 1, 0),
    };
    let adjust = |total: u64| total.saturating_sub(old_bytes).saturating_add(record.size_bytes);

    let totals = TotalsChange {
        studies: i64::from(rows.study.is_none()),
        instances: i64::try_from(added_instances).unwrap_or(i64::MAX),
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
    fill_missing_series(&mut series.attributes, &record.series);

    let mut study = rows.study.unwrap_or_else(|| new_study(record));
    study.series_count += u64::from(new_series);
    study.instance_count += added_instances;
    study.total_bytes = adjust(study.total_bytes);
    study.last_received_at = study.last_received_at.max(record.received_at);
    study.first_received_at = study.first_received_at.min(record.received_at);
    fill_missing_study(&mut study, record);
    add_modality(&mut study.modalities, &record.series);

    IndexedRows { study, series, instance, recorded, totals }
}

/// The study `record` begins, before anything is counted: received, routine,
/// with the record's attributes.
pub fn new_study(record: &InstanceRecord) -> StudySummary {
    StudySummary {
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
    }
}

/// Keeps `modalities` sorted, upper case and without duplicates.
fn add_modality(modalities: &mut Vec<String>, series: &SeriesAttributes) {
    if let Some(modality) = series.modality.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        let modality = modality.to_ascii_uppercase();
        if let Err(at) = modalities.binary_search(&modality) {
            modalities.insert(at, modality);
        }
    }
}

/// An instance as the cloud index keeps it: its summary and the series
/// attributes it came with, so that its series can be rebuilt from the
/// instances alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedInstance {
    pub summary: InstanceSummary,
    pub series: SeriesAttributes,
}

/// A study's aggregates recomputed from every instance it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recount {
    pub study: StudySummary,
    /// One row per series that holds an instance, by Series Instance UID.
    pub series: Vec<SeriesSummary>,
    /// What the facility's totals gain from the counts `study` had before.
    pub totals: TotalsChange,
}

/// Recomputes `study`'s counts, bytes, modalities, receipt times and series
/// from `instances`, every instance it holds: the result does not depend on
/// how many times, or in which order, the instances were recorded. Series
/// keep the attributes already stored (`stored_series`) and fill what they
/// lack from their instances, earliest received first, as `apply_instance`
/// does.
pub fn recount(study: &StudySummary, stored_series: &[SeriesSummary], instances: &[CountedInstance]) -> Recount {
    let mut by_arrival: Vec<&CountedInstance> = instances.iter().collect();
    by_arrival.sort_by(|a, b| {
        (a.summary.received_at, &a.summary.sop_instance_uid).cmp(&(b.summary.received_at, &b.summary.sop_instance_uid))
    });
    let mut series: BTreeMap<&Uid, SeriesSummary> = BTreeMap::new();
    for instance in &by_arrival {
        let uid = &instance.summary.series_instance_uid;
        let row = series.entry(uid).or_insert_with(|| SeriesSummary {
            series_instance_uid: uid.clone(),
            attributes: stored_series
                .iter()
                .find(|s| &s.series_instance_uid == uid)
                .map(|s| s.attributes.clone())
                .unwrap_or_default(),
            instance_count: 0,
            total_bytes: 0,
        });
        row.instance_count += 1;
        row.total_bytes = row.total_bytes.saturating_add(instance.summary.size_bytes);
        fill_missing_series(&mut row.attributes, &instance.series);
    }
    let series: Vec<SeriesSummary> = series.into_values().collect();

    let mut counted = study.clone();
    counted.instance_count = instances.len() as u64;
    counted.series_count = series.len() as u64;
    counted.total_bytes = instances.iter().fold(0u64, |sum, i| sum.saturating_add(i.summary.size_bytes));
    counted.modalities = Vec::new();
    for row in &series {
        add_modality(&mut counted.modalities, &row.attributes);
    }
    if let (Some(first), Some(last)) = (by_arrival.first(), by_arrival.last()) {
        counted.first_received_at = counted.first_received_at.min(first.summary.received_at);
        counted.last_received_at = counted.last_received_at.max(last.summary.received_at);
    }
    let signed = |bytes: u64| i64::try_from(bytes).unwrap_or(i64::MAX);
    let held = |count: u64| i64::from(count > 0);
    let totals = TotalsChange {
        studies: held(counted.instance_count) - held(study.instance_count),
        instances: signed(counted.instance_count) - signed(study.instance_count),
        bytes: signed(counted.total_bytes) - signed(study.total_bytes),
        received_at: counted.last_received_at,
    };
    Recount { study: counted, series, totals }
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

fn fill_missing_series(have: &mut SeriesAttributes, new: &SeriesAttributes) {
    if have.modality.is_none() {
        have.modality.clone_from(&new.modality);
    }
    if have.series_number.is_none() {
        have.series_number = new.series_number;
    }
    if have.series_description.is_none() {
        have.series_description.clone_from(&new.series_description);
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

    fn counted(r: &InstanceRecord) -> CountedInstance {
        CountedInstance { summary: r.summary(), series: r.series.clone() }
    }

    #[test]
    fn a_recount_agrees_with_recording_one_by_one_whatever_the_order() {
        let records = [
            record("1.2.3.1", "1.2.3.1.1", 100, "ct"),
            record("1.2.3.1", "1.2.3.1.2", 50, "CT"),
            record("1.2.3.2", "1.2.3.2.1", 10, "SR"),
        ];
        let mut one_by_one = None;
        for r in &records {
            one_by_one = Some(absorb(one_by_one, r, false));
        }
        let expected = one_by_one.expect("recorded").study;
        let touched =
            StudySummary { instance_count: 0, series_count: 0, total_bytes: 0, modalities: vec![], ..expected.clone() };
        let mut instances: Vec<CountedInstance> = records.iter().map(counted).collect();
        instances.reverse();
        let again = recount(&touched, &[], &instances);
        assert_eq!(
            (again.study.instance_count, again.study.series_count, again.study.total_bytes),
            (expected.instance_count, expected.series_count, expected.total_bytes)
        );
        assert_eq!(again.study.modalities, ["CT", "SR"]);
        let counts: Vec<(u64, u64)> = again.series.iter().map(|s| (s.instance_count, s.total_bytes)).collect();
        assert_eq!(counts, [(2, 150), (1, 10)]);
    }

    #[test]
    fn a_recount_adds_to_the_totals_only_what_changed_since_the_last() {
        let a = record("1.2.3.1", "1.2.3.1.1", 100, "CT");
        let touched =
            StudySummary { instance_count: 0, series_count: 0, total_bytes: 0, ..absorb(None, &a, false).study };
        let first = recount(&touched, &[], &[counted(&a)]);
        assert_eq!((first.totals.studies, first.totals.instances, first.totals.bytes), (1, 1, 100));
        let same = recount(&first.study, &first.series, &[counted(&a)]);
        assert_eq!((same.totals.studies, same.totals.instances, same.totals.bytes), (0, 0, 0));
        assert_eq!(same.study, first.study, "a recount of the same instances changes nothing");
        let smaller = record("1.2.3.1", "1.2.3.1.1", 70, "CT");
        let resent = recount(&first.study, &first.series, &[counted(&smaller)]);
        assert_eq!((resent.totals.studies, resent.totals.instances, resent.totals.bytes), (0, 0, -30));
    }

    #[test]
    fn a_later_instance_fills_only_the_study_attributes_left_empty() {
        let stored = StudyAttributes { patient_id: Some("P1".into()), ..Default::default() };
        let later = StudyAttributes {
            patient_id: Some("P2".into()),
            accession_number: Some("A7".into()),
            ..Default::default()
        };
        assert_eq!(later.missing_from(&stored), [("accession_number", "A7")]);
        assert_eq!(stored.missing_from(&later), []);
    }

    #[test]
    fn study_attributes_are_named_as_they_are_stored() {
        let object = StudyAttributes::default()
            .named()
            .iter()
            .map(|(name, _)| ((*name).to_owned(), serde_json::json!("x")))
            .collect::<serde_json::Map<_, _>>();
        let parsed: StudyAttributes = serde_json::from_value(object.into()).expect("parses");
        assert!(parsed.named().iter().all(|(_, value)| *value == Some("x")), "{parsed:?}");
    }

    #[test]
    fn a_recount_keeps_stored_series_attributes_and_fills_the_missing_ones() {
        let mut a = record("1.2.3.1", "1.2.3.1.1", 100, "CT");
        a.series.series_description = Some("AXIAL".into());
        let stored = SeriesSummary {
            series_instance_uid: a.series_instance_uid.clone(),
            attributes: SeriesAttributes { modality: Some("MR".into()), ..Default::default() },
            instance_count: 0,
            total_bytes: 0,
        };
        let study = absorb(None, &a, false).study;
        let again = recount(&study, &[stored], &[counted(&a)]);
        assert_eq!(again.series[0].attributes.modality.as_deref(), Some("MR"));
        assert_eq!(again.series[0].attributes.series_description.as_deref(), Some("AXIAL"));
    }
}
