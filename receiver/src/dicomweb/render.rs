//! One frame made into a picture: decoded by dicom-rs (native, RLE, JPEG
//! baseline, extended and lossless, JPEG 2000), through the modality LUT and
//! a VOI (the one asked for, else the instance's own, else its value range),
//! scaled to fit a viewport, and encoded as JPEG or PNG. Pure and blocking:
//! the caller runs it off the async workers.

use std::io::Cursor;

use dicom_core::value::PixelFragmentSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_pixeldata::{ConvertOptions, PixelDecoder, VoiLutFunction, VoiLutOption, WindowLevel};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use noctis_wire::bitstream;
use noctis_wire::transfer_syntax::{EXPLICIT_VR_BE, EXPLICIT_VR_LE};

/// One frame's bytes, as stored, and what the instance says about them.
pub struct Frame {
    /// The instance's attributes before its pixel data.
    pub attributes: InMemDicomObject,
    pub transfer_syntax: String,
    pub pixels: Pixels,
}

pub enum Pixels {
    /// The frame's samples, in the transfer syntax's byte order.
    Native(Vec<u8>),
    /// The frame's compressed bitstream (its fragments joined).
    Encapsulated(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Jpeg { quality: u8 },
    Png,
}

impl Encoding {
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Jpeg { .. } => "image/jpeg",
            Encoding::Png => "image/png",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub center: f64,
    pub width: f64,
    pub function: VoiLutFunction,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rendering {
    pub encoding: Encoding,
    /// Fit within these columns and rows, keeping the aspect ratio; `None`
    /// keeps the frame's own size.
    pub viewport: Option<(u32, u32)>,
    /// Whether a frame smaller than the viewport is scaled up to fill it
    /// (a thumbnail never is).
    pub enlarge: bool,
    pub window: Option<Window>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The frame cannot be made into a picture here (a syntax with no decoder,
    /// a photometric interpretation dicom-rs does not convert).
    #[error("{0}")]
    Unsupported(String),
    /// The frame is not what its instance says it is.
    #[error("{0}")]
    Malformed(String),
}

/// `frame` as an image file per `rendering`.
pub fn render(frame: Frame, rendering: &Rendering) -> Result<Vec<u8>, RenderError> {
    let object = single_frame_object(frame)?;
    let decoded = object
        .decode_pixel_data()
        .map_err(|e| RenderError::Unsupported(format!("this frame cannot be decoded here: {e}")))?;
    let voi = match rendering.window {
        Some(window) => VoiLutOption::CustomWithFunction(
            WindowLevel { center: window.center, width: window.width },
            window.function,
        ),
        None => VoiLutOption::First,
    };
    let options = ConvertOptions::new().with_voi_lut(voi).force_8bit();
    let mut picture = decoded
        .to_dynamic_image_with_options(0, &options)
        .map_err(|e| RenderError::Unsupported(format!("this frame cannot be shown as a picture: {e}")))?;
    if let Some((columns, rows)) = rendering.viewport {
        let fits = picture.width() <= columns && picture.height() <= rows;
        let fills = picture.width() == columns || picture.height() == rows;
        // Shrink what does not fit; grow what does not fill, when asked to.
        if !fits || (!fills && rendering.enlarge) {
            picture = picture.resize(columns, rows, FilterType::Triangle);
        }
    }
    let mut out = Cursor::new(Vec::new());
    let encoded = match rendering.encoding {
        Encoding::Jpeg { quality } => picture.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality)),
        Encoding::Png => picture.write_with_encoder(PngEncoder::new(&mut out)),
    };
    encoded.map_err(|e| RenderError::Unsupported(format!("the picture could not be encoded: {e}")))?;
    Ok(out.into_inner())
}

/// The instance's attributes with only `frame`'s pixel data, as dicom-rs
/// decodes a file. A compressed frame is measured first: decoders allocate
/// what its bitstream declares, so it must not declare more than the instance.
fn single_frame_object(frame: Frame) -> Result<dicom_object::DefaultDicomObject, RenderError> {
    let Frame { mut attributes, transfer_syntax, pixels } = frame;
    let number = |tag| attributes.element(tag).ok().and_then(|e| e.to_int::<u32>().ok());
    let (rows, columns) = (number(tags::ROWS).unwrap_or(0), number(tags::COLUMNS).unwrap_or(0));
    let bits = number(tags::BITS_ALLOCATED).unwrap_or(0);
    let (syntax, element) = match pixels {
        Pixels::Native(mut bytes) => {
            // dicom-rs reads native samples in little-endian order.
            let syntax = if transfer_syntax == EXPLICIT_VR_BE {
                swap_to_little_endian(&mut bytes, bits);
                EXPLICIT_VR_LE.to_owned()
            } else {
                transfer_syntax
            };
            let vr = if bits > 8 { VR::OW } else { VR::OB };
            (syntax, DataElement::new(tags::PIXEL_DATA, vr, PrimitiveValue::U8(bytes.into())))
        }
        Pixels::Encapsulated(bytes) => {
            check_declared_size(&transfer_syntax, &bytes, rows, columns)?;
            let fragments = PixelFragmentSequence::new(Vec::<u32>::new(), vec![bytes]);
            (transfer_syntax, DataElement::new(tags::PIXEL_DATA, VR::OB, fragments))
        }
    };
    attributes.put(element);
    attributes.put(DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from("1")));
    let text =
        |tag| attributes.element(tag).ok().and_then(|e| e.to_str().ok()).map(|s| s.trim_end_matches('\0').to_owned());
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(text(tags::SOP_CLASS_UID).unwrap_or_default())
        .media_storage_sop_instance_uid(text(tags::SOP_INSTANCE_UID).unwrap_or_default())
        .transfer_syntax(syntax);
    attributes.with_meta(meta).map_err(|e| RenderError::Malformed(format!("the instance's attributes: {e}")))
}

fn swap_to_little_endian(bytes: &mut [u8], bits_allocated: u32) {
    let width = (bits_allocated / 8) as usize;
    if width > 1 {
        for sample in bytes.chunks_exact_mut(width) {
            sample.reverse();
        }
    }
}

/// JPEG-family and JPEG 2000 frames declare their own size; it must fit the instance's.
fn check_declared_size(transfer_syntax: &str, bytes: &[u8], rows: u32, columns: u32) -> Result<(), RenderError> {
    let declared = match transfer_syntax {
        "1.2.840.10008.1.2.4.90" | "1.2.840.10008.1.2.4.91" => bitstream::jpeg2000(bytes),
        "1.2.840.10008.1.2.4.50"
        | "1.2.840.10008.1.2.4.51"
        | "1.2.840.10008.1.2.4.57"
        | "1.2.840.10008.1.2.4.70"
        | "1.2.840.10008.1.2.4.80"
        | "1.2.840.10008.1.2.4.81" => bitstream::jpeg(bytes),
        // RLE is decoded into the instance's own Rows and Columns; other
        // syntaxes have no decoder here, which decoding says.
        _ => return Ok(()),
    };
    match declared {
        Some(d) if d.rows <= rows && d.columns <= columns && d.rows > 0 && d.columns > 0 => Ok(()),
        Some(d) => Err(RenderError::Malformed(format!(
            "the frame's bitstream declares {}×{}, the instance {rows}×{columns}",
            d.rows, d.columns
        ))),
        None => Err(RenderError::Malformed("the frame's bitstream has no image header".into())),
    }
}
