//! WADO-RS metadata (PS3.18 10.4.1.1.2): every instance of a study, series or
//! instance as DICOM JSON, its attributes read from the stored file up to
//! the pixel data, which is a Bulk Data URI to the instance's frames. Each
//! instance's JSON streams out as it is read.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use dicom_object::InMemDicomObject;
use noctis_core::domain::{InstanceSummary, QueryLevel};
use serde_json::{Map, Value, json};

use super::error::WebResult;
use super::json::{element, key};
use super::request::WebRequest;
use super::urls::ServiceBase;
use super::{DicomWeb, media, stored, wado};

pub async fn study(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    metadata(state, request, QueryLevel::Study).await
}

pub async fn series(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    metadata(state, request, QueryLevel::Series).await
}

pub async fn instance(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    metadata(state, request, QueryLevel::Image).await
}

async fn metadata(state: Arc<DicomWeb>, request: WebRequest, level: QueryLevel) -> WebResult<Response> {
    media::accepts_json(&request.headers)?;
    let (_, _, instances) = wado::instances_named(&state, &request.caller, &request.ids, level).await?;
    let study = request.ids.study.clone().unwrap_or_default();
    let (response, sender) = media::streamed(media::DICOM_JSON);
    let base = request.base.clone();
    tokio::spawn(async move {
        let mut separator = "[";
        for instance in &instances {
            let object = describe(&state, instance, &base, &study).await;
            let chunk = format!("{separator}{object}");
            separator = ",";
            if sender.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
        }
        let _ = sender.send(Ok(Bytes::from_static(if instances.is_empty() { b"[]" } else { b"]" }))).await;
    });
    Ok(response)
}

/// One instance as DICOM JSON: its stored attributes, or, when they cannot
/// be read, what the index holds of it.
async fn describe(state: &DicomWeb, instance: &InstanceSummary, base: &ServiceBase, study: &str) -> Value {
    let instance_url = base.url(&format!(
        "/studies/{study}/series/{}/instances/{}",
        instance.series_instance_uid, instance.sop_instance_uid
    ));
    let header = match stored::open(state.intake.objects.as_ref(), instance).await {
        Ok(opened) => opened.header,
        Err(_) => stored::StoredHeader { attributes: None, pixel_data: None },
    };
    let mut object = match header.attributes.as_ref().map(dicom_json::to_value) {
        Some(Ok(Value::Object(object))) => object,
        _ => indexed(instance, study),
    };
    if let Some(pixel_data) = header.pixel_data {
        let vr = pixel_data.header.vr.map(|vr| String::from_utf8_lossy(&vr).into_owned()).unwrap_or("OW".into());
        let frames = frame_count(header.attributes.as_ref());
        let list: Vec<String> = (1..=frames).map(|n| n.to_string()).collect();
        object.insert(
            "7FE00010".into(),
            json!({"vr": vr, "BulkDataURI": format!("{instance_url}/frames/{}", list.join(","))}),
        );
    }
    Value::Object(object)
}

/// Number of Frames (0028,0008), 1 when absent.
pub fn frame_count(attributes: Option<&InMemDicomObject>) -> u32 {
    attributes
        .and_then(|a| a.element(dicom_dictionary_std::tags::NUMBER_OF_FRAMES).ok())
        .and_then(|e| e.to_int::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// What the index knows, for an instance whose file cannot be read.
fn indexed(instance: &InstanceSummary, study: &str) -> Map<String, Value> {
    let uid = |value: &str| element("UI", vec![Value::String(value.to_owned())]);
    let mut object = Map::new();
    object.insert(key((0x0008, 0x0016)), uid(instance.sop_class_uid.as_str()));
    object.insert(key((0x0008, 0x0018)), uid(instance.sop_instance_uid.as_str()));
    object.insert(key((0x0020, 0x000D)), uid(study));
    object.insert(key((0x0020, 0x000E)), uid(instance.series_instance_uid.as_str()));
    if let Some(number) = instance.instance_number {
        object.insert(key((0x0020, 0x0013)), element("IS", vec![Value::from(number)]));
    }
    object
}
