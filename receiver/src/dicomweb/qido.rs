//! QIDO-RS (PS3.18 10.6): search a facility's studies, a study's series, and
//! instances, with the query use case C-FIND answers from; matches as DICOM
//! JSON. The facility is the request's scope, never a query key.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use dicom_core::dictionary::DataDictionary;
use dicom_dictionary_std::StandardDataDictionary;
use noctis_core::domain::access::Action;
use noctis_core::domain::{Attribute, Condition, Query, QueryLevel, QueryModel, QueryRow, ValueKind, now};
use noctis_core::usecases::query::{FindError, answer_page};

use super::error::{WebError, WebResult};
use super::request::WebRequest;
use super::scope::{Ids, facility_for};
use super::urls::ServiceBase;
use super::{DicomWeb, json, media};
use crate::intake::Origin;

pub async fn studies(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    search(&state, &request, QueryLevel::Study).await
}

pub async fn series(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    search(&state, &request, QueryLevel::Series).await
}

pub async fn instances(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    search(&state, &request, QueryLevel::Image).await
}

/// What a search's query string asks, read before anything is looked up.
#[derive(Debug)]
struct Search {
    query: Query,
    offset: usize,
    limit: usize,
    /// Keys Noctis does not match on: named in a Warning (PS3.18 8.3.4.3).
    unsupported: Vec<String>,
}

async fn search(state: &DicomWeb, request: &WebRequest, level: QueryLevel) -> WebResult<Response> {
    media::accepts_json(&request.headers)?;
    let search = read_search(level, &request.ids, &request.query, state.max_results)?;
    let caller = &request.caller;
    let facility = facility_for(state, caller, &request.ids, Action::ReadStudies).await?;
    let origin = Origin::for_user(facility, &caller.user, caller.peer);
    let page = answer_page(
        state.intake.index.as_ref(),
        state.audit.as_ref(),
        origin.requester(),
        &search.query,
        search.offset,
        search.limit,
        now(),
    )
    .await
    .map_err(|e| match e {
        FindError::Store(e) => WebError::from(e),
        FindError::TooMany(limit) => WebError::BadRequest(format!("more than {limit} matches: narrow the query")),
    })?;
    let attributes: Vec<Attribute> = Attribute::ALL.into_iter().filter(|a| returned_at(*a, level)).collect();
    let body: Vec<serde_json::Value> =
        page.rows.iter().map(|row| json::query_row(row, &attributes, request.base.retrieve_url(row))).collect();
    let mut warnings = Vec::new();
    if !search.unsupported.is_empty() {
        warnings.push(format!(
            "299 noctis \"The following attribute key(s) are not supported: {}\"",
            search.unsupported.join(", ")
        ));
    }
    if page.more {
        warnings.push("299 noctis \"There are additional results that can be requested\"".to_owned());
    }
    let mut response = media::dicom_json(&serde_json::Value::Array(body));
    for warning in warnings {
        if let Ok(value) = HeaderValue::from_str(&warning) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    Ok(response)
}

/// A study search returns the patient's and the study's attributes; a series
/// search the series'; an instance search the instance's and its series'.
fn returned_at(attribute: Attribute, level: QueryLevel) -> bool {
    let at = match attribute.level() {
        QueryLevel::Patient => QueryLevel::Study,
        other => other,
    };
    match level {
        QueryLevel::Patient | QueryLevel::Study => at == QueryLevel::Study,
        QueryLevel::Series => at == QueryLevel::Series,
        QueryLevel::Image => at >= QueryLevel::Series,
    }
}

fn read_search(level: QueryLevel, ids: &Ids, raw: &str, max_results: usize) -> WebResult<Search> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|e| WebError::BadRequest(format!("the query string is malformed: {e}")))?;
    let mut conditions = Vec::new();
    let (mut offset, mut limit) = (0usize, max_results);
    let mut unsupported = Vec::new();
    let number = |name: &str, value: &str| {
        value.trim().parse::<usize>().map_err(|_| WebError::BadRequest(format!("{name} must be a whole number")))
    };
    for (name, value) in &pairs {
        match name.as_str() {
            "limit" => limit = number("limit", value)?.min(max_results),
            "offset" => offset = number("offset", value)?,
            // Every attribute the index holds is returned already; fuzzy matching is not offered.
            "includefield" | "fuzzymatching" => {}
            key => match attribute_named(key)? {
                Some(attribute) => {
                    let value =
                        if attribute.kind() == ValueKind::Uid { value.replace(',', "\\") } else { value.clone() };
                    let condition = Condition::parse(attribute.kind(), &value).map_err(bad_query)?;
                    if let Some(condition) = condition {
                        conditions.push((attribute, condition));
                    }
                }
                None if value.is_empty() => {}
                None => unsupported.push(key.to_owned()),
            },
        }
    }
    // The path's UIDs pin the search, whatever the query string says.
    for (uid, attribute) in [(&ids.study, Attribute::StudyInstanceUid), (&ids.series, Attribute::SeriesInstanceUid)] {
        if let Some(uid) = uid {
            conditions.retain(|(a, _)| *a != attribute);
            conditions.push((attribute, Condition::Uids(vec![uid.clone()])));
        }
    }
    let query = match level {
        QueryLevel::Patient | QueryLevel::Study => Query::new(QueryModel::StudyRoot, QueryLevel::Study, conditions),
        QueryLevel::Series | QueryLevel::Image => Query::within_study(level, conditions),
    }
    .map_err(bad_query)?;
    Ok(Search { query, offset, limit, unsupported })
}

/// A query key by keyword (`PatientName`) or tag (`00100010`): `None` for an
/// attribute of the standard that Noctis does not match on; an error for a
/// name that is no attribute at all.
fn attribute_named(key: &str) -> WebResult<Option<Attribute>> {
    let tag = StandardDataDictionary
        .parse_tag(key)
        .ok_or_else(|| WebError::BadRequest(format!("{key} is neither a query parameter nor a DICOM attribute")))?;
    Ok(Attribute::from_tag((tag.group(), tag.element())))
}

fn bad_query(e: noctis_core::domain::QueryError) -> WebError {
    WebError::BadRequest(e.to_string())
}

/// Where a match is retrieved from (WADO-RS), for its RetrieveURL.
impl ServiceBase {
    fn retrieve_url(&self, row: &QueryRow) -> String {
        match row {
            QueryRow::Patient(_) => self.url(""),
            QueryRow::Study(study) => self.url(&format!("/studies/{}", study.study_instance_uid)),
            QueryRow::Series(study, series) => {
                self.url(&format!("/studies/{}/series/{}", study.study_instance_uid, series.series_instance_uid))
            }
            QueryRow::Image(study, series, instance) => self.url(&format!(
                "/studies/{}/series/{}/instances/{}",
                study.study_instance_uid, series.series_instance_uid, instance.sop_instance_uid
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(study: Option<&str>) -> Ids {
        Ids { facility: None, study: study.map(str::to_owned), series: None, instance: None, frames: None }
    }

    #[test]
    fn keywords_and_tags_name_the_same_key_and_paging_is_bounded() {
        let search =
            read_search(QueryLevel::Study, &ids(None), "PatientName=DOE*&00080050=A1&limit=5000&offset=10", 1000)
                .expect("a search");
        assert_eq!(search.limit, 1000);
        assert_eq!(search.offset, 10);
        assert!(search.query.conditions.contains(&(Attribute::PatientName, Condition::Wildcard("DOE*".into()))));
        assert!(search.query.conditions.contains(&(Attribute::AccessionNumber, Condition::Single("A1".into()))));
    }

    #[test]
    fn uid_lists_are_comma_separated_and_unknown_keys_are_refused_or_warned() {
        let search = read_search(QueryLevel::Study, &ids(None), "StudyInstanceUID=1.2,1.3&BodyPartExamined=HEAD", 10)
            .expect("a search");
        assert!(
            search
                .query
                .conditions
                .contains(&(Attribute::StudyInstanceUid, Condition::Uids(vec!["1.2".into(), "1.3".into()])))
        );
        assert_eq!(search.unsupported, ["BodyPartExamined"]);
        assert!(matches!(
            read_search(QueryLevel::Study, &ids(None), "NoSuchThing=1", 10),
            Err(WebError::BadRequest(_))
        ));
        assert!(matches!(read_search(QueryLevel::Study, &ids(None), "limit=-1", 10), Err(WebError::BadRequest(_))));
    }

    #[test]
    fn the_path_pins_the_study_of_a_series_search() {
        let search = read_search(QueryLevel::Series, &ids(Some("1.2.3")), "StudyInstanceUID=9.9&Modality=CT", 10)
            .expect("a search");
        assert_eq!(search.query.single_value(Attribute::StudyInstanceUid), Some("1.2.3"));
    }
}
