//! Studies as the worklist sees them, built up from the instances received.

use noctis_wire::header::InstanceHeader;
use serde::{Deserialize, Serialize};

use super::{AeTitle, FacilityId, ListingOrder, ObjectKey, StudyId, Timestamp, Uid};

/// Everything the index needs to know about one stored instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub facility_id: FacilityId,
    pub study_instance_uid: Uid,
    pub series_instance_uid: Uid,
    pub sop_instance_uid: Uid,
    pub sop_class_uid: Uid,
    pub transfer_syntax_uid: Uid,
    pub instance_number: Option<i32>,
    pub object_key: ObjectKey,
    pub size_bytes: u64,
    pub received_at: Timestamp,
    pub source_ae_title: AeTitle,
    pub study: StudyAttributes,
    pub series: SeriesAttributes,
}

impl InstanceRecord {
    pub fn study_id(&self) -> StudyId {
        StudyId::for_study(self.facility_id, &self.study_instance_uid)
    }

    /// The instance as its study lists it.
    pub fn summary(&self) -> InstanceSummary {
        InstanceSummary {
            series_instance_uid: self.series_instance_uid.clone(),
            sop_instance_uid: self.sop_instance_uid.clone(),
            sop_class_uid: self.sop_class_uid.clone(),
            transfer_syntax_uid: self.transfer_syntax_uid.clone(),
            instance_number: self.instance_number,
            object_key: self.object_key.clone(),
            size_bytes: self.size_bytes,
            received_at: self.received_at,
        }
    }
}

/// Study-level attributes read from an instance's header. Values are kept as the
/// modality sent them (trimmed), since a gateway must not reinterpret them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyAttributes {
    pub patient_name: Option<String>,
    pub patient_id: Option<String>,
    pub patient_birth_date: Option<String>,
    pub patient_sex: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub accession_number: Option<String>,
    /// Study ID (0020,0010): the modality's own short identifier.
    pub study_id: Option<String>,
    pub study_description: Option<String>,
    pub referring_physician: Option<String>,
}

impl StudyAttributes {
    /// Each attribute with the name it is stored under.
    pub fn named(&self) -> [(&'static str, Option<&str>); 10] {
        [
            ("patient_name", self.patient_name.as_deref()),
            ("patient_id", self.patient_id.as_deref()),
            ("patient_birth_date", self.patient_birth_date.as_deref()),
            ("patient_sex", self.patient_sex.as_deref()),
            ("study_date", self.study_date.as_deref()),
            ("study_time", self.study_time.as_deref()),
            ("accession_number", self.accession_number.as_deref()),
            ("study_id", self.study_id.as_deref()),
            ("study_description", self.study_description.as_deref()),
            ("referring_physician", self.referring_physician.as_deref()),
        ]
    }

    /// What `self` has that `stored` lacks: the attributes a later instance
    /// fills in, since the first one sets them and later ones only fill.
    pub fn missing_from(&self, stored: &StudyAttributes) -> Vec<(&'static str, &str)> {
        self.named()
            .into_iter()
            .zip(stored.named())
            .filter_map(|((name, ours), (_, theirs))| match (ours, theirs) {
                (Some(value), None) => Some((name, value)),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesAttributes {
    pub modality: Option<String>,
    pub series_number: Option<i32>,
    pub series_description: Option<String>,
}

/// What a received instance's header says of its study: the same whether it
/// was read as it arrived or, rebuilding the index, from the stored file.
impl From<&InstanceHeader> for StudyAttributes {
    fn from(header: &InstanceHeader) -> Self {
        Self {
            patient_name: header.patient_name.clone(),
            patient_id: header.patient_id.clone(),
            patient_birth_date: header.patient_birth_date.clone(),
            patient_sex: header.patient_sex.clone(),
            study_date: header.study_date.clone(),
            study_time: header.study_time.clone(),
            accession_number: header.accession_number.clone(),
            study_id: header.study_id.clone(),
            study_description: header.study_description.clone(),
            referring_physician: header.referring_physician.clone(),
        }
    }
}

impl From<&InstanceHeader> for SeriesAttributes {
    fn from(header: &InstanceHeader) -> Self {
        Self {
            modality: header.modality.clone(),
            series_number: header.series_number,
            series_description: header.series_description.clone(),
        }
    }
}

/// Received → in review → reported; the API moves it along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyStatus {
    Received,
    InReview,
    Reported,
}

impl StudyStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            StudyStatus::Received => "received",
            StudyStatus::InReview => "in_review",
            StudyStatus::Reported => "reported",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [StudyStatus::Received, StudyStatus::InReview, StudyStatus::Reported].into_iter().find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Routine,
    Urgent,
    Stat,
}

impl Priority {
    pub fn as_str(&self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
            Priority::Stat => "stat",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Priority::Routine, Priority::Urgent, Priority::Stat].into_iter().find(|p| p.as_str() == raw)
    }
}

/// One row of the worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudySummary {
    pub id: StudyId,
    pub facility_id: FacilityId,
    pub study_instance_uid: Uid,
    #[serde(flatten)]
    pub attributes: StudyAttributes,
    /// Sorted, without duplicates.
    pub modalities: Vec<String>,
    pub series_count: u64,
    pub instance_count: u64,
    pub total_bytes: u64,
    pub first_received_at: Timestamp,
    pub last_received_at: Timestamp,
    pub status: StudyStatus,
    pub priority: Priority,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesSummary {
    pub series_instance_uid: Uid,
    #[serde(flatten)]
    pub attributes: SeriesAttributes,
    pub instance_count: u64,
    pub total_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceSummary {
    pub series_instance_uid: Uid,
    pub sop_instance_uid: Uid,
    pub sop_class_uid: Uid,
    pub transfer_syntax_uid: Uid,
    pub instance_number: Option<i32>,
    pub object_key: ObjectKey,
    pub size_bytes: u64,
    pub received_at: Timestamp,
}

/// A study with everything in it, series and instances sorted by UID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyDetail {
    pub study: StudySummary,
    pub series: Vec<SeriesSummary>,
    pub instances: Vec<InstanceSummary>,
}

/// What a facility has sent, kept as instances are recorded so that reading
/// it costs one lookup however much the facility has sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacilityTotals {
    pub studies: u64,
    pub instances: u64,
    pub bytes: u64,
    pub last_received_at: Option<Timestamp>,
}

/// What one facility sent on one UTC day: studies whose first instance arrived
/// that day, and instances new that day (a re-sent copy is not counted again).
/// Kept as instances are recorded, like the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyActivity {
    pub facility_id: FacilityId,
    pub day: chrono::NaiveDate,
    pub studies: u64,
    pub instances: u64,
}

impl DailyActivity {
    /// Rebuilds a stored row from its key: a facility id and a `YYYY-MM-DD` day.
    pub fn from_key(facility: &str, day: &str, studies: u64, instances: u64) -> Result<Self, String> {
        let facility_id = facility.parse().map_err(|e| format!("daily activity facility {facility:?}: {e}"))?;
        let day = day.parse().map_err(|e| format!("daily activity day {day:?}: {e}"))?;
        Ok(Self { facility_id, day, studies, instances })
    }
}

/// How recording one instance changes its facility's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalsChange {
    /// Negative when a deletion takes a study's or instances away.
    pub studies: i64,
    pub instances: i64,
    /// Negative when a re-sent instance is smaller than the copy it replaces.
    pub bytes: i64,
    pub received_at: Timestamp,
}

/// Whether recording an instance added it or replaced an earlier copy of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Replaced,
}

/// Worklist filters; every one that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudyFilter {
    pub facility_id: Option<FacilityId>,
    /// Received on or after.
    pub received_from: Option<Timestamp>,
    /// Received before.
    pub received_to: Option<Timestamp>,
    /// One of the study's modalities, compared case-insensitively.
    pub modality: Option<String>,
    /// Case-insensitive substring of the patient's name or ID.
    pub patient: Option<String>,
    pub status: Option<StudyStatus>,
    pub priority: Option<Priority>,
    /// The accession number, exactly (ignoring case and surrounding spaces).
    pub accession: Option<String>,
    /// Not a filter: which end of the receipt times the listing starts from.
    pub order: ListingOrder,
}

impl StudyFilter {
    /// The filters that are not part of the listing order (facility and received
    /// range are), applied to each candidate row by both adapters alike.
    pub fn matches_row(&self, study: &StudySummary) -> bool {
        let modality_ok =
            self.modality.as_ref().is_none_or(|m| study.modalities.iter().any(|have| have.eq_ignore_ascii_case(m)));
        let patient_ok = self.patient.as_ref().is_none_or(|needle| {
            let needle = needle.to_lowercase();
            [&study.attributes.patient_name, &study.attributes.patient_id]
                .into_iter()
                .flatten()
                .any(|v| v.to_lowercase().contains(&needle))
        });
        let status_ok = self.status.is_none_or(|s| s == study.status);
        let priority_ok = self.priority.is_none_or(|p| p == study.priority);
        let accession_ok = self.accession.as_ref().is_none_or(|wanted| {
            study
                .attributes
                .accession_number
                .as_deref()
                .is_some_and(|have| have.trim().eq_ignore_ascii_case(wanted.trim()))
        });
        modality_ok && patient_ok && status_ok && priority_ok && accession_ok
    }
}

/// The order studies are listed in, newest first: the first-received time and the
/// id, so the key is unique and stable while later instances arrive. Cursors are
/// these keys.
pub fn listing_key(first_received_at: Timestamp, id: StudyId) -> String {
    format!("{}#{}", super::sortable_time(first_received_at), id)
}

/// What the API may change on a study; unset fields stay as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StudyChange {
    pub status: Option<StudyStatus>,
    pub priority: Option<Priority>,
}

impl StudyChange {
    pub fn apply(&self, study: &mut StudySummary) {
        if let Some(status) = self.status {
            study.status = status;
        }
        if let Some(priority) = self.priority {
            study.priority = priority;
        }
    }
}
