//! A whole study as one zip. Where the object store serves downloads itself
//! (S3), the zip is written there and the client redirected to it, as for one
//! instance: on Lambda the response passes through API Gateway, which holds at
//! most 6 MB. Otherwise it is streamed to the client as it is made.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::StreamExt;
use noctis_core::domain::{ObjectKey, StudyId};
use noctis_core::ports::ObjectStore;
use noctis_core::usecases::archive::{ArchiveEntry, archive_entries, export_archive, write_archive};

use super::studies::readable_study;
use crate::access::Action;
use crate::error::{ApiError, ApiResult};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// How long the link to a study's zip stays valid.
const LINK_LIFETIME: Duration = Duration::from_secs(300);
/// How much of a streamed zip is in flight between its writer and the response.
const PIPE_BYTES: usize = 256 * 1024;

#[utoipa::path(get, path = "/api/v1/studies/{id}/archive", params(("id" = String, Path, format = Uuid, description = "The study")), operation_id = "download_study", security(("bearer" = [])),
    responses(
        (status = 200, description = "The study's Part-10 files in one zip, streamed", content_type = "application/zip"),
        (status = 307, description = "Redirect to a time-limited object store URL of the zip")))]
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<StudyId>,
) -> ApiResult<Response> {
    let detail = readable_study(&state, &user, id, Action::ReadStudies).await?;
    let entries = archive_entries(&detail);
    let file_name = format!("study-{}.zip", detail.study.study_instance_uid);
    let objects = state.ports.objects.clone();
    if objects.offers_download_urls() {
        let key = ObjectKey::for_export(uuid::Uuid::new_v4(), &file_name);
        export_archive(objects.as_ref(), &entries, &key).await?;
        let url = objects.download_url(&key, LINK_LIFETIME).await?.ok_or(ApiError::Internal)?;
        return Ok(Redirect::temporary(&url).into_response());
    }
    Ok(streamed(objects, entries, &file_name))
}

/// The zip as the response body, written while it is sent. A failure part-way
/// ends the body with an error, so the client sees a broken download rather
/// than a shorter zip that looks whole.
fn streamed(objects: Arc<dyn ObjectStore>, entries: Vec<ArchiveEntry>, file_name: &str) -> Response {
    let (archive, writer) = tokio::io::duplex(PIPE_BYTES);
    let (done, outcome) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let _ = done.send(write_archive(objects.as_ref(), &entries, writer).await);
    });
    let failure = futures_util::stream::once(async move {
        match outcome.await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "a study archive failed part-way");
                Some(Err(std::io::Error::other("the study archive failed")))
            }
            Err(_) => Some(Err(std::io::Error::other("the study archive stopped"))),
        }
    })
    .filter_map(std::future::ready);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(archive).chain(failure));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        body,
    )
        .into_response()
}
