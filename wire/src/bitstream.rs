//! The image size a compressed frame's own header declares: JPEG's and
//! JPEG-LS's start of frame, JPEG 2000's SIZ. Decoders allocate what the
//! bitstream declares, not what the instance's Rows and Columns say, so a
//! frame is measured here, without decoding, before any decoder sees it.

/// Rows and columns, as the bitstream declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    pub rows: u32,
    pub columns: u32,
}

/// How far into a frame its header may lie (JPEG 2000 files wrap the
/// codestream in boxes; JPEG's tables come before its start of frame).
const HEADER_SEARCH: usize = 64 * 1024;

/// A JPEG (ITU T.81) or JPEG-LS (T.87) frame's size: the first start-of-frame
/// marker's lines and samples per line. `None` when there is none before the
/// first scan, or the markers run past the bytes.
pub fn jpeg(bytes: &[u8]) -> Option<Declared> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    while at < bytes.len().min(HEADER_SEARCH) {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => at += 1,
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => at += 2,
            // A scan begins: no frame header came first.
            0xDA => return None,
            _ => {
                let length = usize::from(u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]));
                let is_frame = matches!(marker, 0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC)) || marker == 0xF7;
                if is_frame {
                    let segment = bytes.get(at + 4..at + 2 + length)?;
                    let rows = u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?]);
                    let columns = u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?]);
                    return Some(Declared { rows: u32::from(rows), columns: u32::from(columns) });
                }
                if length < 2 {
                    return None;
                }
                at += 2 + length;
            }
        }
    }
    None
}

/// A JPEG 2000 (ISO 15444-1) frame's size from its SIZ segment: the
/// reference grid less its image offset. The codestream may stand alone or
/// sit in a JP2 file's boxes; either way SOC is followed by SIZ.
pub fn jpeg2000(bytes: &[u8]) -> Option<Declared> {
    let window = &bytes[..bytes.len().min(HEADER_SEARCH)];
    let start = window.windows(4).position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])?;
    let siz = bytes.get(start + 4..start + 4 + 22)?;
    let word = |at: usize| u32::from_be_bytes([siz[at], siz[at + 1], siz[at + 2], siz[at + 3]]);
    // Lsiz (2), Rsiz (2), Xsiz, Ysiz, XOsiz, YOsiz.
    let (width, height, x_offset, y_offset) = (word(4), word(8), word(12), word(16));
    Some(Declared { rows: height.checked_sub(y_offset)?, columns: width.checked_sub(x_offset)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_frame(marker: u8, rows: u16, columns: u16) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8];
        // An application segment first, as real files have.
        bytes.extend([0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB]);
        bytes.extend([0xFF, marker, 0x00, 0x0B, 8]);
        bytes.extend(rows.to_be_bytes());
        bytes.extend(columns.to_be_bytes());
        bytes.extend([1, 1, 0x11, 0]);
        bytes.extend([0xFF, 0xDA, 0x00, 0x02]);
        bytes
    }

    #[test]
    fn a_jpeg_frame_header_gives_its_size_after_other_segments() {
        assert_eq!(jpeg(&jpeg_with_frame(0xC0, 512, 256)), Some(Declared { rows: 512, columns: 256 }));
        assert_eq!(jpeg(&jpeg_with_frame(0xC3, 64, 64)), Some(Declared { rows: 64, columns: 64 }));
        assert_eq!(jpeg(&jpeg_with_frame(0xF7, 1, 65535)), Some(Declared { rows: 1, columns: 65535 }));
    }

    #[test]
    fn a_jpeg_without_a_frame_header_or_cut_short_has_no_size() {
        // A Huffman table segment (C4) is not a frame header.
        assert_eq!(jpeg(&jpeg_with_frame(0xC4, 512, 256)), None);
        let whole = jpeg_with_frame(0xC0, 512, 256);
        for end in 0..12 {
            assert_eq!(jpeg(&whole[..end]), None, "cut at {end}");
        }
        assert_eq!(jpeg(b"not a jpeg"), None);
        // A segment claiming to run to the end of the world.
        assert_eq!(jpeg(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0, 0]), None);
    }

    fn siz(width: u32, height: u32, x_offset: u32, y_offset: u32) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
        for word in [width, height, x_offset, y_offset] {
            bytes.extend(word.to_be_bytes());
        }
        bytes.extend([0u8; 20]);
        bytes
    }

    #[test]
    fn a_jpeg2000_size_is_its_grid_less_its_offset_in_a_codestream_or_a_jp2_box() {
        assert_eq!(jpeg2000(&siz(64, 48, 0, 0)), Some(Declared { rows: 48, columns: 64 }));
        assert_eq!(jpeg2000(&siz(100, 90, 10, 30)), Some(Declared { rows: 60, columns: 90 }));
        let mut boxed = b"\0\0\0\x0cjP  \r\n\x87\n\0\0\0\0jp2c".to_vec();
        boxed.extend(siz(8, 8, 0, 0));
        assert_eq!(jpeg2000(&boxed), Some(Declared { rows: 8, columns: 8 }));
        assert_eq!(jpeg2000(&siz(10, 10, 20, 0)), None, "an offset past the grid");
        assert_eq!(jpeg2000(&siz(10, 10, 0, 0)[..12]), None, "cut short");
    }
}
