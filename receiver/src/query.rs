//! C-FIND requests (PS3.4 C.4.1) translated into the query use case, and its
//! matches into response identifiers. The rules of matching live in core.

use std::sync::Arc;

use noctis_core::domain::{Attribute, Condition, Query, QueryError, QueryLevel, QueryModel, QueryRow, now};
use noctis_core::ports::{AuditLog, StudyIndex};
use noctis_core::usecases::query::{FindError, answer};
use noctis_wire::command::{Reply, status};
use noctis_wire::elements::{Encoding, Tag};
use noctis_wire::identifier::{Key, decode_identifier, encode_identifier};
use noctis_wire::transfer_syntax::DataSetEncoding;

use crate::intake::Origin;

const QUERY_RETRIEVE_LEVEL: Tag = Tag(0x0008, 0x0052);

/// What every association's C-FIND requests share.
#[derive(Debug)]
pub struct QueryService {
    pub index: Arc<dyn StudyIndex>,
    pub audit: Arc<dyn AuditLog>,
    pub max_results: usize,
}

/// The answer to one C-FIND: its matches, each an encoded identifier sent
/// with `pending_status`, or a refusal sent alone.
#[derive(Debug)]
pub enum FindAnswer {
    Matches { identifiers: Vec<Vec<u8>>, pending_status: u16 },
    Refused(Reply),
}

impl QueryService {
    /// Answers the identifier `bytes`, received on a context of `model` in
    /// `transfer_syntax`, for the facility the association was admitted for.
    pub async fn find(&self, bytes: &[u8], model: QueryModel, transfer_syntax: &str, origin: &Origin) -> FindAnswer {
        let encoding = DataSetEncoding::of(transfer_syntax).elements;
        let request = match read_request(bytes, model, encoding) {
            Ok(request) => request,
            Err(refusal) => return FindAnswer::Refused(refusal),
        };
        let requester = origin.requester();
        let rows =
            match answer(self.index.as_ref(), self.audit.as_ref(), requester, &request.query, self.max_results, now())
                .await
            {
                Ok(rows) => rows,
                Err(FindError::TooMany(limit)) => {
                    return FindAnswer::Refused(Reply::failure(
                        status::OUT_OF_RESOURCES,
                        format!("more than {limit} matches: narrow the query"),
                    ));
                }
                Err(FindError::Store(e)) => {
                    tracing::error!(error = %e, "could not answer a C-FIND");
                    return FindAnswer::Refused(Reply::failure(status::UNABLE_TO_PROCESS, "the index is unavailable"));
                }
            };
        let mut identifiers = Vec::with_capacity(rows.len());
        for row in &rows {
            match encode_identifier(&request.response_elements(row), encoding) {
                Ok(identifier) => identifiers.push(identifier),
                Err(e) => {
                    tracing::error!(error = %e, "could not encode a C-FIND match");
                    return FindAnswer::Refused(Reply::failure(
                        status::UNABLE_TO_PROCESS,
                        "a match could not be encoded",
                    ));
                }
            }
        }
        let pending_status =
            if request.unsupported_keys { status::PENDING_WITH_UNSUPPORTED_KEYS } else { status::PENDING };
        FindAnswer::Matches { identifiers, pending_status }
    }
}

/// An identifier as a query of `model`, or the A900 refusal saying why not.
/// C-FIND and C-GET read theirs alike.
pub fn read_request(bytes: &[u8], model: QueryModel, encoding: Encoding) -> Result<FindRequest, Reply> {
    let keys = decode_identifier(bytes, encoding)
        .map_err(|e| Reply::failure(status::DATASET_MISMATCH, format!("identifier: {e}")))?;
    parse_request(model, &keys).map_err(|e| Reply::failure(status::DATASET_MISMATCH, e.to_string()))
}

/// A request as read: the query, and the keys to return in the order asked.
pub struct FindRequest {
    pub query: Query,
    return_keys: Vec<Tag>,
    /// A key with a value Noctis cannot match on (PS3.4 C.4.1.1.4: FF01).
    unsupported_keys: bool,
}

fn parse_request(model: QueryModel, keys: &[Key]) -> Result<FindRequest, QueryError> {
    let level = keys
        .iter()
        .find(|k| k.tag == QUERY_RETRIEVE_LEVEL)
        .and_then(|k| k.value.as_deref())
        .and_then(QueryLevel::parse)
        .ok_or(QueryError::Level)?;
    let mut conditions = Vec::new();
    let mut unsupported_keys = false;
    for key in keys.iter().filter(|k| k.tag != QUERY_RETRIEVE_LEVEL) {
        let attribute = Attribute::from_tag((key.tag.0, key.tag.1));
        match (attribute, key.value.as_deref()) {
            (Some(attribute), Some(value)) => {
                if let Some(condition) = Condition::parse(attribute.kind(), value)? {
                    conditions.push((attribute, condition));
                }
            }
            (None, Some(value)) if !value.is_empty() => unsupported_keys = true,
            _ => {}
        }
    }
    Ok(FindRequest {
        query: Query::new(model, level, conditions)?,
        return_keys: keys.iter().map(|k| k.tag).collect(),
        unsupported_keys,
    })
}

impl FindRequest {
    /// PS3.4 C.4.1.1.3.2: every key asked for comes back, with the match's
    /// value or empty, and the level always.
    fn response_elements(&self, row: &QueryRow) -> Vec<(Tag, Vec<String>)> {
        let mut elements: Vec<(Tag, Vec<String>)> = self
            .return_keys
            .iter()
            .map(|tag| {
                let values = if *tag == QUERY_RETRIEVE_LEVEL {
                    vec![self.query.level.as_str().to_owned()]
                } else {
                    Attribute::from_tag((tag.0, tag.1)).map(|a| row.values(a)).unwrap_or_default()
                };
                (*tag, values)
            })
            .collect();
        if !self.return_keys.contains(&QUERY_RETRIEVE_LEVEL) {
            elements.push((QUERY_RETRIEVE_LEVEL, vec![self.query.level.as_str().to_owned()]));
        }
        elements
    }
}
