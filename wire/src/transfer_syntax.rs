//! How a transfer syntax lays out the data set (PS3.5 Annex A). Every
//! encapsulated (compressed) syntax, and any syntax unknown here, encodes the
//! data set itself as Explicit VR Little Endian; only the pixel data differ.

use crate::elements::Encoding;

pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
pub const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
pub const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

/// The element layout of a data set sent in `transfer_syntax`, and whether the
/// whole data set is a raw deflate stream (PS3.5 A.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSetEncoding {
    pub elements: Encoding,
    pub deflated: bool,
}

impl DataSetEncoding {
    pub fn of(transfer_syntax: &str) -> Self {
        let elements = match transfer_syntax {
            IMPLICIT_VR_LE => Encoding::ImplicitLittle,
            EXPLICIT_VR_BE => Encoding::ExplicitBig,
            _ => Encoding::ExplicitLittle,
        };
        Self { elements, deflated: transfer_syntax == DEFLATED_EXPLICIT_VR_LE }
    }
}
