//! Answering a query for one facility: C-FIND today, QIDO-RS later. The
//! facility is the caller's, never the query's: a facility finds only what it
//! sent, even when it names another's Study Instance UID.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde_json::json;

use super::audit_trail::append;
use crate::domain::{
    Actor, Attribute, AuditEvent, AuditKind, FacilityId, PageLimit, PageRequest, PatientRow, Query, QueryLevel,
    QueryModel, QueryRow, StudyDetail, StudyFilter, StudyId, StudySummary, Timestamp, Uid,
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

/// Who asks: the facility its association was admitted for (or the one a
/// DICOMweb request names), who is asking, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    pub facility: FacilityId,
    /// A modality by its calling AE title, or a signed-in user.
    pub actor: &'a Actor,
    pub peer: IpAddr,
}

impl Requester<'_> {
    /// The calling AE title the audit details name; none for a user.
    pub fn calling_ae_title(&self) -> Option<&str> {
        match self.actor {
            Actor::Modality { ae_title } => Some(ae_title),
            Actor::User { .. } | Actor::System => None,
        }
    }
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
    audit_query(audit, requester, query, outcome, now).await;
    found
}

/// One page of the matches, for a search that pages (QIDO-RS `offset` and `limit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPage {
    pub rows: Vec<QueryRow>,
    /// More matches follow the page.
    pub more: bool,
}

/// Answers `query` a page at a time: `offset` matches skipped, at most
/// `limit` returned, and whether more follow; audited as `answer` is.
pub async fn answer_page(
    index: &dyn StudyIndex,
    audit: &dyn AuditLog,
    requester: Requester<'_>,
    query: &Query,
    offset: usize,
    limit: usize,
    now: Timestamp,
) -> Result<MatchPage, FindError> {
    let mut found = Found { rows: Vec::new(), limit: offset.saturating_add(limit), overflow: Overflow::Mark(false) };
    let read = collect(&mut StudyDetails::new(index), requester.facility, query, &mut found).await;
    let page = read.map(|()| {
        let more = matches!(found.overflow, Overflow::Mark(true));
        let rows: Vec<QueryRow> = found.rows.into_iter().skip(offset).collect();
        MatchPage { rows, more }
    });
    let outcome = match &page {
        Ok(page) => json!({"outcome": "answered", "matches": page.rows.len(), "offset": offset, "more": page.more}),
        Err(_) => json!({"outcome": "failed"}),
    };
    audit_query(audit, requester, query, outcome, now).await;
    page
}

async fn audit_query(
    audit: &dyn AuditLog,
    requester: Requester<'_>,
    query: &Query,
    outcome: serde_json::Value,
    now: Timestamp,
) {
    let mut details = json!({
        "model": match query.model { QueryModel::PatientRoot => "patient_root", QueryModel::StudyRoot => "study_root" },
        "level": query.level.as_str(),
        "calling_ae_title": requester.calling_ae_title(),
    });
    if let (Some(details), Some(outcome)) = (details.as_object_mut(), outcome.as_object()) {
        details.extend(outcome.clone());
    }
    let event = AuditEvent::new(AuditKind::DicomQuery, requester.actor.clone(), now)
        .for_facility(requester.facility)
        .from_peer(requester.peer)
        .with_details(details);
    append(audit, event).await;
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
    let mut found = Found { rows: Vec::new(), limit, overflow: Overflow::Refuse };
    collect(details, facility, query, &mut found).await?;
    Ok(found.rows)
}

/// Offers every candidate row of `query` among `facility`'s studies to `found`.
async fn collect(
    details: &mut StudyDetails<'_>,
    facility: FacilityId,
    query: &Query,
    found: &mut Found,
) -> Result<(), FindError> {
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
                return Ok(());
            };
            if query.level == QueryLevel::Series {
                for one in series {
                    found.offer(query, QueryRow::Series(study.clone(), one.clone()))?;
                }
            } else {
                // C-FIND pins the series (baseline search); QIDO-RS may span a study's.
                let pinned = query.single_value(Attribute::SeriesInstanceUid);
                for one in series.iter().filter(|s| pinned.is_none_or(|uid| s.series_instance_uid.as_str() == uid)) {
                    for instance in instances.iter().filter(|i| i.series_instance_uid == one.series_instance_uid) {
                        found.offer(query, QueryRow::Image(study.clone(), one.clone(), instance.clone()))?;
                    }
                }
            }
        }
    }
    Ok(())
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
    overflow: Overflow,
}

/// What a match past the limit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Refuses the whole answer (C-FIND: narrow the query).
    Refuse,
    /// Is left out, and marks that more matched (a paging search).
    Mark(bool),
}

impl Found {
    fn offer(&mut self, query: &Query, row: QueryRow) -> Result<(), FindError> {
        if query.matches(&row) {
            if self.rows.len() == self.limit {
                return match self.overflow {
                    Overflow::Refuse => Err(FindError::TooMany(self.limit)),
                    Overflow::Mark(_) => {
                        self.overflow = Overflow::Mark(true);
                        Ok(())
                    }
                };
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
