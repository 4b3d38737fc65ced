//! WADO-RS (PS3.18 10.4): a study, a series or an instance of the request's
//! facility as `multipart/related; type="application/dicom"`, each part the
//! Part-10 file exactly as stored (never transcoded), streamed from the object
//! store through a small channel: memory stays bounded whatever the study's size.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use noctis_core::domain::access::Action;
use noctis_core::domain::{Attribute, Condition, InstanceSummary, Query, QueryLevel, QueryModel, now};
use noctis_core::ports::ObjectStore;
use noctis_core::usecases::query::FindError;
use noctis_core::usecases::retrieve::{RetrieveOutcome, instances_to_retrieve, record_retrieve};

use super::DicomWeb;
use super::auth::Caller;
use super::error::{WebError, WebResult};
use super::media::{self, BodySender};
use super::request::WebRequest;
use super::scope::{Ids, facility_for};
use crate::intake::Origin;

const CHUNK_BYTES: usize = 256 * 1024;

pub async fn study(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    retrieve(state, request, QueryLevel::Study).await
}

pub async fn series(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    retrieve(state, request, QueryLevel::Series).await
}

pub async fn instance(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    retrieve(state, request, QueryLevel::Image).await
}

/// The instances `ids` names in the caller's scope, with what the retrieve
/// is audited as; 404 when there are none.
pub async fn instances_named(
    state: &DicomWeb,
    caller: &Caller,
    ids: &Ids,
    level: QueryLevel,
) -> WebResult<(Origin, Query, Vec<InstanceSummary>)> {
    let query = retrieve_query(ids, level)?;
    let facility = facility_for(state, caller, ids, Action::ReadStudies).await?;
    let origin = Origin::for_user(facility, &caller.user, caller.peer);
    let instances = instances_to_retrieve(state.intake.index.as_ref(), origin.requester(), &query, state.max_results)
        .await
        .map_err(|e| match e {
            FindError::Store(e) => WebError::from(e),
            FindError::TooMany(limit) => WebError::BadRequest(format!("more than {limit} matches")),
        })?;
    if instances.is_empty() {
        return Err(WebError::NotFound);
    }
    Ok((origin, query, instances))
}

/// The path's UIDs as a Study Root query at `level`.
fn retrieve_query(ids: &Ids, level: QueryLevel) -> WebResult<Query> {
    let pinned = [
        (Attribute::StudyInstanceUid, &ids.study),
        (Attribute::SeriesInstanceUid, &ids.series),
        (Attribute::SopInstanceUid, &ids.instance),
    ];
    let conditions = pinned
        .into_iter()
        .filter_map(|(attribute, uid)| uid.as_ref().map(|uid| (attribute, Condition::Uids(vec![uid.clone()]))))
        .collect();
    Query::new(QueryModel::StudyRoot, level, conditions).map_err(|e| WebError::BadRequest(e.to_string()))
}

async fn retrieve(state: Arc<DicomWeb>, request: WebRequest, level: QueryLevel) -> WebResult<Response> {
    media::accepts_dicom_multipart(&request.headers)?;
    let (origin, query, instances) = instances_named(&state, &request.caller, &request.ids, level).await?;
    let boundary = uuid::Uuid::new_v4().simple().to_string();
    let (response, sender) =
        media::streamed(&format!("multipart/related; type=\"application/dicom\"; boundary={boundary}"));
    let objects = state.intake.objects.clone();
    let audit = state.audit.clone();
    let part_boundary = boundary.clone();
    tokio::spawn(async move {
        let completed = stream_parts(objects.as_ref(), &instances, &part_boundary, &sender).await;
        let outcome =
            RetrieveOutcome { completed, failed: instances.len() as u64 - completed, ..RetrieveOutcome::default() };
        record_retrieve(audit.as_ref(), origin.requester(), &query, outcome, now()).await;
    });
    Ok(response)
}

/// Sends every instance as a part, then the closing delimiter; returns how
/// many were sent whole. An object that cannot be read ends the body without
/// its closing delimiter, so the client sees a broken answer, never a short
/// one that looks whole.
async fn stream_parts(
    objects: &dyn ObjectStore,
    instances: &[InstanceSummary],
    boundary: &str,
    sender: &BodySender,
) -> u64 {
    let mut sent = 0;
    for instance in instances {
        let reader = match objects.read(&instance.object_key).await {
            Ok(Some(reader)) => reader,
            Ok(None) => {
                tracing::error!(object = %instance.object_key, "an indexed instance has no object");
                fail(sender, "an indexed instance has no object").await;
                return sent;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not read an instance for WADO-RS");
                fail(sender, "the object store is unavailable").await;
                return sent;
            }
        };
        let head = format!(
            "\r\n--{boundary}\r\nContent-Type: application/dicom; transfer-syntax={}\r\n\r\n",
            instance.transfer_syntax_uid
        );
        if sender.send(Ok(Bytes::from(head))).await.is_err() {
            return sent;
        }
        let mut chunks = tokio_util::io::ReaderStream::with_capacity(reader, CHUNK_BYTES);
        while let Some(chunk) = chunks.next().await {
            let failed = chunk.is_err();
            if sender.send(chunk).await.is_err() || failed {
                // The client left, or the read failed (the error ends the body).
                return sent;
            }
        }
        sent += 1;
    }
    let _ = sender.send(Ok(Bytes::from(format!("\r\n--{boundary}--\r\n")))).await;
    sent
}

async fn fail(sender: &BodySender, why: &str) {
    let _ = sender.send(Err(std::io::Error::other(why.to_owned()))).await;
}
