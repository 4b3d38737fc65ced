//! WADO-RS rendered and thumbnail resources (PS3.18 10.4.1.1.4-5, with the
//! query parameters of 8.3.5.1): an instance's first frame, or a named frame,
//! as a JPEG or PNG picture; a thumbnail is the same at most 128 pixels a side,
//! a series' or study's that of its middle instance. Only the one frame's
//! bytes are read into memory, and pictures are made a few at a time, off the
//! async workers, so rendering cannot crowd out storing.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use dicom_dictionary_std::tags;
use dicom_pixeldata::VoiLutFunction;
use noctis_core::domain::{InstanceSummary, QueryLevel};

use super::cut::{self, FrameSink, Layout};
use super::error::{WebError, WebResult};
use super::media;
use super::metadata::frame_count;
use super::render::{self, Frame, Pixels, RenderError, Rendering, Window};
use super::request::WebRequest;
use super::{DicomWeb, stored, wado};

/// A thumbnail's largest side, unless the request's viewport says otherwise.
const THUMBNAIL_SIDE: u32 = 128;
/// The largest viewport side a picture is scaled to.
const MAX_VIEWPORT_SIDE: u32 = 4096;
/// A frame with more samples than this (a 64-megapixel RGB) is not rendered.
const MAX_FRAME_SAMPLES: u64 = 192 * 1024 * 1024;
const DEFAULT_QUALITY: u8 = 90;

/// An instance's first frame, or the frame the path names.
pub async fn rendered(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    picture(state, request, QueryLevel::Image, Purpose::Rendered).await
}

pub async fn study_thumbnail(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    picture(state, request, QueryLevel::Study, Purpose::Thumbnail).await
}

pub async fn series_thumbnail(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    picture(state, request, QueryLevel::Series, Purpose::Thumbnail).await
}

pub async fn instance_thumbnail(State(state): State<Arc<DicomWeb>>, request: WebRequest) -> WebResult<Response> {
    picture(state, request, QueryLevel::Image, Purpose::Thumbnail).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Rendered,
    Thumbnail,
}

async fn picture(
    state: Arc<DicomWeb>,
    request: WebRequest,
    level: QueryLevel,
    purpose: Purpose,
) -> WebResult<Response> {
    let rendering = rendering(&request.headers, &request.query, purpose)?;
    let encoding = rendering.encoding;
    let frame_asked = match request.ids.frames.as_deref() {
        Some(raw) => Some(
            raw.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| WebError::BadRequest("a picture is of one frame: /frames/{n}/rendered".into()))?,
        ),
        None => None,
    };
    let (_, _, instances) = wado::instances_named(&state, &request.caller, &request.ids, level).await?;
    let instance = representative(instances).ok_or(WebError::NotFound)?;
    let frame = read_frame(&state, &instance, frame_asked, purpose).await?;

    let _permit = state.renders.acquire().await.map_err(|_| WebError::Unavailable)?;
    let picture = tokio::task::spawn_blocking(move || render::render(frame, &rendering))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a rendering task failed");
            WebError::Unavailable
        })?
        .map_err(|e| match e {
            RenderError::Unsupported(why) => WebError::NotAcceptable(why),
            RenderError::Malformed(why) => {
                tracing::warn!(why, "a stored frame could not be rendered");
                WebError::NotAcceptable(why)
            }
        })?;
    let mut response = Bytes::from(picture).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(encoding.media_type()));
    Ok(response)
}

/// The instance a series' or study's thumbnail shows: the middle one in
/// series then instance number order; an instance's own otherwise.
fn representative(mut instances: Vec<InstanceSummary>) -> Option<InstanceSummary> {
    instances.sort_by(|a, b| {
        (a.series_instance_uid.as_str(), a.instance_number, a.sop_instance_uid.as_str()).cmp(&(
            b.series_instance_uid.as_str(),
            b.instance_number,
            b.sop_instance_uid.as_str(),
        ))
    });
    let middle = instances.len() / 2;
    instances.into_iter().nth(middle)
}

/// Reads `asked` (else the first frame, or a thumbnail's middle one) of the
/// instance's stored object.
async fn read_frame(
    state: &DicomWeb,
    instance: &InstanceSummary,
    asked: Option<u32>,
    purpose: Purpose,
) -> WebResult<Frame> {
    let opened = stored::open(state.intake.objects.as_ref(), instance).await?;
    let attributes = opened.header.attributes.ok_or_else(|| {
        WebError::NotAcceptable("this instance's attributes cannot be read, so neither can its pixels".into())
    })?;
    let pixel_data = opened.header.pixel_data.ok_or_else(|| {
        WebError::NotAcceptable("this instance has no pixel data to render (a report or a presentation state)".into())
    })?;
    let count = frame_count(Some(&attributes));
    let number = match (asked, purpose) {
        (Some(n), _) if n > count => {
            return Err(WebError::BadRequest(format!("frame {n} of an instance with {count}")));
        }
        (Some(n), _) => n,
        (None, Purpose::Thumbnail) => count / 2 + 1,
        (None, Purpose::Rendered) => 1,
    };
    let samples = samples_per_frame(&attributes);
    if samples > MAX_FRAME_SAMPLES {
        return Err(WebError::NotAcceptable(format!("a frame of {samples} samples is too large to render")));
    }
    let layout = Layout::of(&attributes, pixel_data, count)?;
    // A frame's stored bytes are at most its samples at 4 bytes each, compressed or not.
    let mut collected = Collected { bytes: Vec::new(), limit: samples * 4 };
    let mut reader = opened.reader;
    cut::cut(&mut reader, layout, pixel_data.value_at, count, &[number], &mut collected).await.map_err(|e| {
        tracing::warn!(error = %e, "a frame could not be cut from a stored instance");
        WebError::NotAcceptable(format!("frame {number} cannot be read from the stored instance: {e}"))
    })?;
    let pixels = match layout {
        Layout::Native { .. } => Pixels::Native(collected.bytes),
        Layout::Encapsulated => Pixels::Encapsulated(collected.bytes),
    };
    Ok(Frame { attributes, transfer_syntax: instance.transfer_syntax_uid.to_string(), pixels })
}

fn samples_per_frame(attributes: &dicom_object::InMemDicomObject) -> u64 {
    let number = |tag| attributes.element(tag).ok().and_then(|e| e.to_int::<u64>().ok()).unwrap_or(0);
    number(tags::ROWS) * number(tags::COLUMNS) * number(tags::SAMPLES_PER_PIXEL).max(1)
}

/// One frame's bytes, gathered up to a bound.
struct Collected {
    bytes: Vec<u8>,
    limit: u64,
}

impl FrameSink for Collected {
    async fn begin(&mut self, _frame: u32) -> std::io::Result<()> {
        Ok(())
    }

    async fn bytes(&mut self, bytes: Bytes) -> std::io::Result<()> {
        if (self.bytes.len() + bytes.len()) as u64 > self.limit {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "a frame larger than its samples"));
        }
        self.bytes.extend_from_slice(&bytes);
        Ok(())
    }
}

fn parameters(query: &str) -> WebResult<Vec<(String, String)>> {
    serde_urlencoded::from_str(query).map_err(|e| WebError::BadRequest(format!("the query string: {e}")))
}

fn parse_quality(raw: &str) -> WebResult<u8> {
    raw.trim()
        .parse::<u8>()
        .ok()
        .filter(|q| (1..=100).contains(q))
        .ok_or_else(|| WebError::BadRequest("quality is a number from 1 to 100".into()))
}

/// The picture the query asks for (PS3.18 8.3.5.1): `viewport=vw,vh`,
/// `window=center,width,function`, `quality`; a thumbnail fits 128 pixels by default.
fn rendering(headers: &HeaderMap, query: &str, purpose: Purpose) -> WebResult<Rendering> {
    let mut viewport = match purpose {
        Purpose::Thumbnail => Some((THUMBNAIL_SIDE, THUMBNAIL_SIDE)),
        Purpose::Rendered => None,
    };
    let (mut window, mut quality) = (None, DEFAULT_QUALITY);
    for (name, value) in parameters(query)? {
        match name.as_str() {
            "viewport" => viewport = Some(parse_viewport(&value)?),
            "window" => window = Some(parse_window(&value)?),
            "quality" => quality = parse_quality(&value)?,
            // No ICC profile is embedded, which is what `no` asks for.
            "iccprofile" if value == "no" => {}
            "annotation" => {
                return Err(WebError::BadRequest("pictures carry no burned-in annotation here".into()));
            }
            other => {
                return Err(WebError::BadRequest(format!(
                    "unknown parameter {other}: pictures take viewport, window and quality"
                )));
            }
        }
    }
    let encoding = media::accepts_picture(headers, quality)?;
    Ok(Rendering { encoding, viewport, window, enlarge: purpose == Purpose::Rendered })
}

fn parse_viewport(raw: &str) -> WebResult<(u32, u32)> {
    let sides: Vec<&str> = raw.split(',').map(str::trim).collect();
    let side = |s: &str| s.parse::<u32>().ok().filter(|n| (1..=MAX_VIEWPORT_SIDE).contains(n));
    match sides.as_slice() {
        [columns, rows] => match (side(columns), side(rows)) {
            (Some(columns), Some(rows)) => Ok((columns, rows)),
            _ => Err(WebError::BadRequest(format!("viewport sides are 1 to {MAX_VIEWPORT_SIDE} pixels"))),
        },
        _ => Err(WebError::BadRequest("viewport is columns,rows (cropping is not offered)".into())),
    }
}

fn parse_window(raw: &str) -> WebResult<Window> {
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    let bad = || WebError::BadRequest("window is center,width,function (linear, linear-exact or sigmoid)".into());
    let [center, width, function] = parts.as_slice() else {
        return Err(bad());
    };
    let center = center.parse::<f64>().ok().filter(|c| c.is_finite()).ok_or_else(bad)?;
    let width = width.parse::<f64>().ok().filter(|w| w.is_finite() && *w > 0.0).ok_or_else(bad)?;
    let function = match function.to_ascii_lowercase().as_str() {
        "linear" => VoiLutFunction::Linear,
        "linear-exact" => VoiLutFunction::LinearExact,
        "sigmoid" => VoiLutFunction::Sigmoid,
        _ => return Err(bad()),
    };
    Ok(Window { center, width, function })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dicomweb::render::Encoding;

    #[test]
    fn the_query_names_a_viewport_a_window_and_a_quality_and_nothing_else() {
        let none = HeaderMap::new();
        let asked =
            rendering(&none, "viewport=256,128&window=40,400,linear&quality=75", Purpose::Rendered).expect("parsed");
        assert_eq!(asked.viewport, Some((256, 128)));
        assert_eq!(asked.window, Some(Window { center: 40.0, width: 400.0, function: VoiLutFunction::Linear }));
        assert_eq!(asked.encoding, Encoding::Jpeg { quality: 75 });
        let default = rendering(&none, "", Purpose::Rendered).expect("parsed");
        assert_eq!((default.viewport, default.encoding), (None, Encoding::Jpeg { quality: DEFAULT_QUALITY }));
        assert_eq!(rendering(&none, "", Purpose::Thumbnail).expect("parsed").viewport, Some((128, 128)));
        for bad in [
            "viewport=0,10",
            "viewport=10",
            "viewport=10,10,0,0,5,5",
            "window=40,0,linear",
            "window=a,b,c",
            "window=40,400,cubic",
            "annotation=patient",
            "frame=2",
            "quality=0",
            "quality=101",
        ] {
            assert!(rendering(&none, bad, Purpose::Rendered).is_err(), "{bad}");
        }
    }
}
