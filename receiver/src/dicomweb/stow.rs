//! STOW-RS (PS3.18 10.5): Part-10 files in a `multipart/related;
//! type="application/dicom"` body, each stored through the same intake as a
//! C-STORE's data set — streamed, stored as received, durable and indexed
//! before the answer, audited with the user as actor — and answered with the
//! store-instances response (10.5.3): what was stored, and each failure's reason.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use noctis_core::domain::Uid;
use noctis_core::domain::access::Action;
use noctis_wire::command::{Reply, status};
use noctis_wire::multipart::{Event, MultipartReader, boundary_of};
use noctis_wire::part10::{PART10_PREFIX_LEN, dataset_offset, read_file_meta};
use serde_json::{Value, json};

use super::error::{WebError, WebResult};
use super::json::{RETRIEVE_URL, element, key};
use super::request::WebRequest;
use super::scope::facility_for;
use super::urls::ServiceBase;
use super::{DicomWeb, media};
use crate::intake::{Declared, IncomingInstance, Origin};
use crate::settlement::StoredStudies;

/// Parts one request may hold: each keeps a line of the answer until it is sent.
const MAX_PARTS: usize = 10_000;

/// PS3.18 Table 10.5.3-1 attributes.
const FAILED_SOP_SEQUENCE: (u16, u16) = (0x0008, 0x1198);
const REFERENCED_SOP_SEQUENCE: (u16, u16) = (0x0008, 0x1199);
const REFERENCED_SOP_CLASS: (u16, u16) = (0x0008, 0x1150);
const REFERENCED_SOP_INSTANCE: (u16, u16) = (0x0008, 0x1155);
const FAILURE_REASON: (u16, u16) = (0x0008, 0x1197);

pub async fn store(State(state): State<Arc<DicomWeb>>, request: WebRequest, body: Body) -> WebResult<Response> {
    let WebRequest { caller, ids, headers, base, .. } = request;
    media::accepts_json(&headers)?;
    let boundary = dicom_boundary(&headers)?;
    let study = ids
        .study
        .as_deref()
        .map(Uid::parse)
        .transpose()
        .map_err(|e| WebError::BadRequest(format!("the Study Instance UID in the path: {e}")))?;
    let facility = facility_for(&state, &caller, &ids, Action::StoreInstances).await?;
    if !facility.active {
        return Err(WebError::FacilityInactive);
    }
    let mut upload = Upload {
        state: state.clone(),
        origin: Origin::for_user(facility, &caller.user, caller.peer),
        study: study.clone(),
        stored: StoredStudies::new(state.intake.index.clone(), state.settle_interval, state.settling.clone()),
        part: Part::None,
        results: Vec::new(),
    };
    let read = upload.read_body(&boundary, body).await;
    if let Part::Instance(instance) = std::mem::replace(&mut upload.part, Part::None) {
        (*instance).abandon().await;
    }
    // Whatever was stored is counted before the answer, as an association's release waits.
    upload.stored.settle().await;
    read?;
    if upload.results.is_empty() {
        return Err(WebError::BadRequest("the body holds no part".into()));
    }
    Ok(answer(&upload.results, &base, study.as_ref()))
}

/// The boundary of a `multipart/related` body of `application/dicom` parts (415 otherwise).
fn dicom_boundary(headers: &HeaderMap) -> WebResult<String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mut parameters = content_type.split(';');
    let kind = parameters.next().unwrap_or_default().trim();
    let part_type = parameters
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("type"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned());
    if !kind.eq_ignore_ascii_case("multipart/related") || part_type.as_deref().is_some_and(|t| t != "application/dicom")
    {
        return Err(WebError::UnsupportedMediaType(
            "STOW-RS takes multipart/related; type=\"application/dicom\" (Part-10 files)".into(),
        ));
    }
    boundary_of(content_type)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| WebError::BadRequest("the Content-Type names no boundary".into()))
}

/// One part's outcome.
#[derive(Debug)]
struct PartResult {
    sop_class: Option<String>,
    sop_instance: Option<String>,
    reply: Reply,
}

enum Part {
    /// Between parts.
    None,
    /// Holding the file's start until its File Meta group is whole.
    Meta {
        bytes: BytesMut,
        declared: Option<usize>,
    },
    Instance(Box<IncomingInstance>),
    /// Refused before its data set (the result is recorded); the rest is dropped.
    Ignored,
}

struct Upload {
    state: Arc<DicomWeb>,
    origin: Origin,
    /// The study the request's path names: every instance must belong to it.
    study: Option<Uid>,
    stored: StoredStudies,
    part: Part,
    results: Vec<PartResult>,
}

impl Upload {
    async fn read_body(&mut self, boundary: &str, body: Body) -> WebResult<()> {
        let mut reader = MultipartReader::new(boundary).map_err(|e| WebError::BadRequest(e.to_string()))?;
        let mut stream = body.into_data_stream();
        loop {
            while let Some(event) = reader.next_event().map_err(|e| WebError::BadRequest(e.to_string()))? {
                match event {
                    Event::PartStart(_) if self.results.len() >= MAX_PARTS => {
                        return Err(WebError::BadRequest(format!(
                            "more than {MAX_PARTS} parts in one request: send them in several"
                        )));
                    }
                    Event::PartStart(headers) => self.start_part(&headers),
                    Event::Data(data) => self.part_data(data).await,
                    Event::PartEnd => self.end_part().await,
                    Event::End => return Ok(()),
                }
            }
            match stream.next().await {
                Some(Ok(chunk)) => reader.push(&chunk),
                Some(Err(e)) => return Err(WebError::BadRequest(format!("the body could not be read: {e}"))),
                None => reader.end(),
            }
        }
    }

    fn start_part(&mut self, headers: &[(String, String)]) {
        let content_type = headers.iter().find(|(name, _)| name == "content-type").map(|(_, v)| v.as_str());
        let is_dicom = content_type
            .is_none_or(|t| t.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/dicom"));
        self.part = if is_dicom {
            Part::Meta { bytes: BytesMut::new(), declared: None }
        } else {
            self.refuse(None, "a part that is not application/dicom");
            Part::Ignored
        };
    }

    async fn part_data(&mut self, data: Bytes) {
        match &mut self.part {
            Part::Instance(instance) => instance.push(data).await,
            Part::Meta { bytes, declared } => {
                bytes.extend_from_slice(&data);
                if declared.is_none() && bytes.len() >= PART10_PREFIX_LEN {
                    let mut prefix = [0u8; PART10_PREFIX_LEN];
                    prefix.copy_from_slice(&bytes[..PART10_PREFIX_LEN]);
                    match dataset_offset(&prefix) {
                        Ok(offset) => *declared = Some(offset),
                        Err(e) => {
                            self.refuse(None, &e.to_string());
                            self.part = Part::Ignored;
                            return;
                        }
                    }
                }
                if let Some(offset) = *declared
                    && bytes.len() >= offset
                {
                    let file = std::mem::take(bytes).freeze();
                    self.begin_instance(file, offset).await;
                }
            }
            Part::None | Part::Ignored => {}
        }
    }

    /// The File Meta group is whole: the instance begins with the data set after it.
    async fn begin_instance(&mut self, file: Bytes, offset: usize) {
        let meta = match read_file_meta(&file[PART10_PREFIX_LEN..offset]) {
            Ok(meta) => meta,
            Err(e) => {
                self.refuse(None, &format!("the File Meta group: {e}"));
                self.part = Part::Ignored;
                return;
            }
        };
        let declared = Declared {
            sop_class_uid: meta.media_storage_sop_class_uid,
            sop_instance_uid: meta.media_storage_sop_instance_uid,
            study_instance_uid: self.study.as_ref().map(ToString::to_string),
        };
        let Some(transfer_syntax) = meta.transfer_syntax_uid.as_deref().and_then(|ts| Uid::parse(ts).ok()) else {
            let (class, instance) = (declared.sop_class_uid.clone(), declared.sop_instance_uid.clone());
            self.results.push(PartResult {
                sop_class: class,
                sop_instance: instance,
                reply: Reply::failure(status::CANNOT_UNDERSTAND, "no Transfer Syntax UID in the File Meta group"),
            });
            self.part = Part::Ignored;
            return;
        };
        let mut instance = self.state.intake.begin_declared(declared, &transfer_syntax, self.origin.clone());
        instance.push(file.slice(offset..)).await;
        self.part = Part::Instance(Box::new(instance));
    }

    async fn end_part(&mut self) {
        match std::mem::replace(&mut self.part, Part::None) {
            Part::Instance(instance) => {
                let (sop_class, sop_instance) = instance.declared_uids();
                let (reply, study) = (*instance).finish().await;
                if let Some(study) = study {
                    self.stored.stored(study);
                }
                self.results.push(PartResult { sop_class, sop_instance, reply });
            }
            Part::Meta { .. } => self.refuse(None, "a part shorter than a Part-10 file's File Meta group"),
            Part::None | Part::Ignored => {}
        }
    }

    fn refuse(&mut self, sop_instance: Option<String>, why: &str) {
        self.results.push(PartResult {
            sop_class: None,
            sop_instance,
            reply: Reply::failure(status::CANNOT_UNDERSTAND, why.to_owned()),
        });
    }
}

/// PS3.18 10.5.3: 200 when every instance was stored, 202 when some were,
/// 409 when none was; the body lists both.
fn answer(results: &[PartResult], base: &ServiceBase, study: Option<&Uid>) -> Response {
    let uid = |value: &Option<String>| element("UI", value.iter().map(|v| Value::String(v.clone())).collect());
    let mut referenced = Vec::new();
    let mut failed = Vec::new();
    for result in results {
        if result.reply.status == status::SUCCESS {
            referenced.push(json!({
                key(REFERENCED_SOP_CLASS): uid(&result.sop_class),
                key(REFERENCED_SOP_INSTANCE): uid(&result.sop_instance),
            }));
        } else {
            if let Some(comment) = &result.reply.comment {
                tracing::info!(reason = format!("{:04X}", result.reply.status), comment, "STOW-RS part refused");
            }
            failed.push(json!({
                key(REFERENCED_SOP_CLASS): uid(&result.sop_class),
                key(REFERENCED_SOP_INSTANCE): uid(&result.sop_instance),
                key(FAILURE_REASON): element("US", vec![Value::from(result.reply.status)]),
            }));
        }
    }
    let status = match (referenced.is_empty(), failed.is_empty()) {
        (false, true) => StatusCode::OK,
        (false, false) => StatusCode::ACCEPTED,
        (true, _) => StatusCode::CONFLICT,
    };
    let mut body = serde_json::Map::new();
    if let Some(study) = study {
        body.insert(key(RETRIEVE_URL), element("UR", vec![Value::String(base.url(&format!("/studies/{study}")))]));
    }
    if !referenced.is_empty() {
        body.insert(key(REFERENCED_SOP_SEQUENCE), element("SQ", referenced));
    }
    if !failed.is_empty() {
        body.insert(key(FAILED_SOP_SEQUENCE), element("SQ", failed));
    }
    media::dicom_json_with(status, &Value::Object(body))
}
