//! WADO-RS frames (PS3.18 10.4.1.1.3): the pixel data of chosen frames of an
//! instance, as stored — native frames cut from the value, compressed ones
//! passed through as the bitstream the modality sent, with its transfer
//! syntax — one part per frame, in frame order. The file streams past; only
//! one frame's bytes are held.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use bytes::Bytes;
use noctis_core::domain::QueryLevel;

use super::cut::{self, FrameSink, Layout};
use super::error::{WebError, WebResult};
use super::media::{self, BodySender};
use super::metadata::frame_count;
use super::request::WebRequest;
use super::stored;
use super::{DicomWeb, wado};

pub async fn frames(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    accepts_octet_stream(&request.headers)?;
    let wanted = frame_list(request.ids.frames.as_deref().unwrap_or_default())?;
    let (_, _, instances) = wado::instances_named(&state, &request.caller, &request.ids, QueryLevel::Image).await?;
    let Some(instance) = instances.into_iter().next() else {
        return Err(WebError::NotFound);
    };
    let opened = stored::open(state.intake.objects.as_ref(), &instance).await?;
    let attributes = opened.header.attributes.ok_or_else(|| {
        WebError::NotAcceptable("this instance's attributes cannot be read, so neither can its frames".into())
    })?;
    // An instance without pixel data (a report, a presentation state) has no frames.
    let pixel_data = opened.header.pixel_data.ok_or(WebError::NotFound)?;
    let count = frame_count(Some(&attributes));
    if let Some(beyond) = wanted.iter().find(|n| **n > count) {
        return Err(WebError::BadRequest(format!("frame {beyond} of an instance with {count}")));
    }
    let layout = Layout::of(&attributes, pixel_data, count)?;
    let transfer_syntax = instance.transfer_syntax_uid.to_string();
    let boundary = uuid::Uuid::new_v4().simple().to_string();
    let (response, sender) =
        media::streamed(&format!("multipart/related; type=\"application/octet-stream\"; boundary={boundary}"));
    let part_boundary = boundary.clone();
    tokio::spawn(async move {
        let mut reader = opened.reader;
        let mut parts = Parts { sender: &sender, boundary: &part_boundary, transfer_syntax: &transfer_syntax };
        match cut::cut(&mut reader, layout, pixel_data.value_at, count, &wanted, &mut parts).await {
            Ok(()) => {
                let _ = sender.send(Ok(Bytes::from(format!("\r\n--{part_boundary}--\r\n")))).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "frames could not be cut from a stored instance");
                let _ = sender.send(Err(e)).await;
            }
        }
    });
    Ok(response)
}

/// `1,3,5` (1-based), in frame order without repeats.
fn frame_list(raw: &str) -> WebResult<Vec<u32>> {
    let mut frames = raw
        .split(',')
        .map(|n| n.trim().parse::<u32>().ok().filter(|n| *n >= 1))
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| WebError::BadRequest("frames are listed as 1-based numbers: /frames/1,2,3".into()))?;
    frames.sort_unstable();
    frames.dedup();
    Ok(frames)
}

/// Frames are sent as stored: any Accept that takes octet streams (or anything) will do.
fn accepts_octet_stream(headers: &HeaderMap) -> WebResult<()> {
    let accept: Vec<&str> = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect();
    let takes = |value: &str| {
        let value = value.to_ascii_lowercase();
        value.contains("*/*") || value.contains("application/octet-stream") || value.contains("multipart/related")
    };
    if accept.is_empty() || accept.iter().any(|v| takes(v)) {
        Ok(())
    } else {
        Err(WebError::NotAcceptable("frames are sent as stored, as application/octet-stream parts".into()))
    }
}

/// Each frame a part of the multipart answer.
struct Parts<'a> {
    sender: &'a BodySender,
    boundary: &'a str,
    transfer_syntax: &'a str,
}

impl FrameSink for Parts<'_> {
    async fn begin(&mut self, _frame: u32) -> std::io::Result<()> {
        let head = format!(
            "\r\n--{}\r\nContent-Type: application/octet-stream; transfer-syntax={}\r\n\r\n",
            self.boundary, self.transfer_syntax
        );
        self.bytes(Bytes::from(head)).await
    }

    async fn bytes(&mut self, bytes: Bytes) -> std::io::Result<()> {
        self.sender
            .send(Ok(bytes))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
    }
}
