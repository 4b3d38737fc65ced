//! The media types DICOMweb speaks (PS3.18 8.7): what a request accepts, and
//! the answers' types.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::{WebError, WebResult};
use super::render::Encoding;

pub const DICOM_JSON: &str = "application/dicom+json";

/// The request accepts DICOM JSON (or any JSON, or anything).
pub fn accepts_json(headers: &HeaderMap) -> WebResult<()> {
    accepts(headers, &[DICOM_JSON, "application/json", "application/*"])
}

/// The request accepts `multipart/related; type="application/dicom"`.
pub fn accepts_dicom_multipart(headers: &HeaderMap) -> WebResult<()> {
    let accept = accept_values(headers);
    let wanted = accept.is_empty()
        || accept.iter().any(|value| {
            let (kind, parameters) = value.split_once(';').unwrap_or((value, ""));
            let kind = kind.trim();
            let type_ok = parameters.split(';').all(|p| {
                p.split_once('=').is_none_or(|(name, v)| {
                    !name.trim().eq_ignore_ascii_case("type") || v.trim().trim_matches('"') == "application/dicom"
                })
            });
            kind == "*/*" || ((kind == "multipart/related" || kind == "multipart/*") && type_ok)
        });
    if wanted {
        Ok(())
    } else {
        Err(WebError::NotAcceptable(
            "instances are retrieved as multipart/related; type=\"application/dicom\", as stored".into(),
        ))
    }
}

fn accepts(headers: &HeaderMap, types: &[&str]) -> WebResult<()> {
    let accept = accept_values(headers);
    let wanted = accept.is_empty()
        || accept.iter().any(|value| {
            let kind = value.split(';').next().unwrap_or_default().trim();
            kind == "*/*" || types.iter().any(|t| kind.eq_ignore_ascii_case(t))
        });
    if wanted { Ok(()) } else { Err(WebError::NotAcceptable(format!("this resource is {DICOM_JSON}"))) }
}

/// JPEG unless the request accepts only PNG (PS3.18 8.7.4: image/jpeg is the default).
pub fn accepts_picture(headers: &HeaderMap, quality: u8) -> WebResult<Encoding> {
    let accept: Vec<String> = accept_values(headers)
        .iter()
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .collect();
    if accept.is_empty() {
        return Ok(Encoding::Jpeg { quality });
    }
    for kind in &accept {
        match kind.as_str() {
            "image/jpeg" | "image/*" | "*/*" => return Ok(Encoding::Jpeg { quality }),
            "image/png" => return Ok(Encoding::Png),
            _ => {}
        }
    }
    Err(WebError::NotAcceptable("pictures are image/jpeg or image/png".into()))
}

fn accept_values(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The sending half of a streamed answer's body: a few chunks in flight, so
/// memory stays bounded however long the answer.
pub type BodySender = tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>;

/// A streamed answer of `content_type`, and the sender its producer writes to.
/// An error sent ends the body early, so the client sees it broken, never whole.
pub fn streamed(content_type: &str) -> (Response, BodySender) {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let mut response = axum::body::Body::from_stream(body).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    (response, sender)
}

pub fn dicom_json(body: &serde_json::Value) -> Response {
    dicom_json_with(StatusCode::OK, body)
}

pub fn dicom_json_with(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(DICOM_JSON));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).expect("a header"));
        headers
    }

    #[test]
    fn json_and_multipart_accepts_are_told_apart() {
        assert!(accepts_json(&HeaderMap::new()).is_ok());
        assert!(accepts_json(&accept("application/dicom+json, multipart/related")).is_ok());
        assert!(accepts_json(&accept("application/dicom+xml")).is_err());
        assert!(accepts_dicom_multipart(&accept("multipart/related; type=\"application/dicom\"")).is_ok());
        assert!(accepts_dicom_multipart(&accept("multipart/related; type=\"image/jpeg\"")).is_err());
        assert!(accepts_dicom_multipart(&accept("*/*")).is_ok());
    }

    #[test]
    fn pictures_are_jpeg_by_default_and_png_when_asked_for() {
        assert_eq!(accepts_picture(&HeaderMap::new(), 90).ok(), Some(Encoding::Jpeg { quality: 90 }));
        assert_eq!(accepts_picture(&accept("image/png"), 90).ok(), Some(Encoding::Png));
        assert_eq!(accepts_picture(&accept("image/gif, image/*"), 50).ok(), Some(Encoding::Jpeg { quality: 50 }));
        assert!(accepts_picture(&accept("application/dicom"), 90).is_err());
    }
}
