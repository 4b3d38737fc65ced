//! Answering a query for one facility: C-FIND today, QIDO-RS later. The
//! facility is the caller's, never the query's: a facility finds only what it
//! sent, even when it names another's Study Instance UID.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde_json::json;

use super::audit_trail::append;
use crate::domain::{
    Actor, AeTitle, Attribute, AuditEvent, AuditKind, FacilityId, PageLimit, PageRequest, PatientRow, Query,
    QueryLevel, QueryModel, QueryRow, StudyDetail, StudyFilter, StudyId, StudySummary, Timestamp, Uid,
};
use crate::ports::{AuditLog, StoreError, StudyIndex};

#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// More matches than the caller may receive; nothing is returned, so
    /// the requester narrows the query rather than reads a silent cut.
    #[error("more than {0} matches: narrow the query")]
    TooMany(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who asks: the facility its association was admitted for, as which AE title, from where.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    pub facility: FacilityId,
    pub calling_ae: &'a AeTitle,
    pub peer: IpAddr,
}

/// Answers `query` for the requester's facility and audits it: the level and
/// how many matched, never the keys (they may hold a patient's name).
pub async fn answer(
    index: &dyn StudyIndex,
    audit: &dyn AuditLog,
    requester: Requester<'_>,
    query: &Query,
    limit: usize,
    now: Timestamp,
) -> Result<Vec<QueryRow>, FindError> {
    let found = find(index, requester.facility, query, limit).await;
    let outcome = match &found {
        Ok(rows) => json!({"outcome": "answered", "matches": rows.len()}),
        Err(FindError::TooMany(limit)) => json!({"outcome": "too_many_matches", "limit": limit}),
        Err(FindError::Store(_)) => json!({"outcome": "failed"}),
    };
    let mut details = json!({
        "model": match query.model { QueryModel::PatientRoot => "patient_root", QueryModel::StudyRoot => "study_root" },
        "level": query.level.as_str(),
        "calling_ae_title": requester.calling_ae.as_str(),
    });
    if let (Some(details), Some(outcome)) = (details.as_object_mut(), outcome.as_object()) {
        details.extend(outcome.clone());
    }
    let event = AuditEvent::new(AuditKind::DicomQuery, Actor::modality(requester.calling_ae), now)
        .for_facility(requester.facility)
        .from_peer(requester.peer)
        .with_details(details);
    append(audit, event).await;
    found
}

/// Every match of `query` among `facility`'s studies, at most `limit`.
pub async fn find(
    index: &dyn StudyIndex,
    facility: FacilityId,
    query: &Query,
    limit: usize,
) -> Result<Vec<QueryRow>, FindError> {
    find_in(&mut StudyDetails::new(index), facility, query, limit).await
}

/// `find`, reading whole studies through `details`, so a caller that goes on
/// to read the same studies (a retrieve sending their instances) reads each once.
pub(crate) async fn find_in(
    details: &mut StudyDetails<'_>,
    facility: FacilityId,
    query: &Query,
    limit: usize,
) -> Result<Vec<QueryRow>, FindError> {
    let mut found = Found { rows: Vec::new(), limit };
    match query.level {
        QueryLevel::Patient => {
            let mut patients: BTreeMap<Option<String>, PatientRow> = BTreeMap::new();
            for study in candidate_studies(details, facility, query).await? {
                let patient =
                    patients.entry(study.attributes.patient_id.clone()).or_insert_with(|| PatientRow::of(&study));
                patient.add(&study);
            }
            for patient in patients.into_values() {
                found.offer(query, QueryRow::Patient(patient))?;
            }
        }
        QueryLevel::Study => {
            for study in candidate_studies(details, facility, query).await? {
                found.offer(query, QueryRow::Study(study))?;
            }
        }
        QueryLevel::Series | QueryLevel::Image => {
            // The model pinned the study (and, for images, the series).
            let uid = query.single_value(Attribute::StudyInstanceUid).unwrap_or_default();
            let Some(StudyDetail { study, series, instances }) = details.by_uid(facility, uid).await? else {
                return Ok(Vec::new());
            };
            if query.level == QueryLevel::Series {
                for one in series {
                    found.offer(query, QueryRow::Series(study.clone(), one.clone()))?;
                }
            } else {
                let series_uid = query.single_value(Attribute::SeriesInstanceUid).unwrap_or_default();
                let Some(one) = series.iter().find(|s| s.series_instance_uid.as_str() == series_uid) else {
                    return Ok(Vec::new());
                };
                for instance in instances.iter().filter(|i| i.series_instance_uid.as_str() == series_uid) {
                    found.offer(query, QueryRow::Image(study.clone(), one.clone(), instance.clone()))?;
                }
            }
        }
    }
    Ok(found.rows)
}

/// The studies one request reads whole, each read once however often the
/// request needs it.
pub(crate) struct StudyDetails<'a> {
    index: &'a dyn StudyIndex,
    read: HashMap<StudyId, Option<StudyDetail>>,
}

impl<'a> StudyDetails<'a> {
    pub(crate) fn new(index: &'a dyn StudyIndex) -> Self {
        Self { index, read: HashMap::new() }
    }

    pub(crate) async fn get(&mut self, id: StudyId) -> Result<Option<&StudyDetail>, StoreError> {
        if !self.read.contains_key(&id) {
            let detail = self.index.get_study(id).await?;
            self.read.insert(id, detail);
        }
        Ok(self.read.get(&id).and_then(Option::as_ref))
    }

    /// A study of this facility by its UID. The id is derived from the
    /// facility, so another facility's study with the same UID is never reached.
    async fn by_uid(&mut self, facility: FacilityId, uid: &str) -> Result<Option<&StudyDetail>, StoreError> {
        match Uid::parse(uid) {
            Ok(uid) => self.get(StudyId::for_study(facility, &uid)).await,
            Err(_) => Ok(None),
        }
    }
}

struct Found {
    rows: Vec<QueryRow>,
    limit: usize,
}

impl Found {
    fn offer(&mut self, query: &Query, row: QueryRow) -> Result<(), FindError> {
        if query.matches(&row) {
            if self.rows.len() == self.limit {
                return Err(FindError::TooMany(self.limit));
            }
            self.rows.push(row);
        }
        Ok(())
    }
}

/// The facility's studies the query can match: those it names by UID, or else
/// all of them (narrowed by accession number when it pins one).
async fn candidate_studies(
    details: &mut StudyDetails<'_>,
    facility: FacilityId,
    query: &Query,
) -> Result<Vec<StudySummary>, StoreError> {
    if let Some(uids) = query.study_uids() {
        let mut studies = Vec::new();
        for uid in uids {
            if let Some(detail) = details.by_uid(facility, uid).await? {
                studies.push(detail.study.clone());
            }
        }
        return Ok(studies);
    }
    let filter = StudyFilter {
        facility_id: Some(facility),
        accession: query.single_value(Attribute::AccessionNumber).map(str::to_owned),
        ..Default::default()
    };
    let mut page = PageRequest::first(PageLimit::new(PageLimit::MAX).unwrap_or(PageLimit::DEFAULT));
    let mut studies = Vec::new();
    loop {
        let listed = details.index.list_studies(&filter, &page).await?;
        studies.extend(listed.items);
        match listed.next_cursor {
            Some(after) => page.after = Some(after),
            None => return Ok(studies),
        }
    }
}
