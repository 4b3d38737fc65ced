//! A bounded walk over the elements of a data set (PS3.5 7.1, 7.5).
//!
//! dicom-rs's parser allocates a value's declared length before it reads the
//! value: a 72-byte command set declaring a 1 GiB element cost the receiver
//! 1 GiB. This walker never allocates: it hands out slices of the bytes it was
//! given, and every declared length is checked against what is present first.
//! Sequences and items of undefined length are walked to their delimiters with
//! a bounded nesting depth; one of defined length is stepped over whole.

/// How a data set's elements are laid out (PS3.5 7.1.1–7.1.3, 7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    ImplicitLittle,
    ExplicitLittle,
    ExplicitBig,
}

impl Encoding {
    fn u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Encoding::ExplicitBig => u16::from_be_bytes(bytes),
            _ => u16::from_le_bytes(bytes),
        }
    }

    fn u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Encoding::ExplicitBig => u32::from_be_bytes(bytes),
            _ => u32::from_le_bytes(bytes),
        }
    }
}

/// A data element tag, (group, element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u16, pub u16);

impl Tag {
    pub fn group(self) -> u16 {
        self.0
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({:04X},{:04X})", self.0, self.1)
    }
}

/// PS3.5 7.5: item and delimitation tags.
const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_DELIMITATION: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_DELIMITATION: Tag = Tag(0xFFFE, 0xE0DD);
const UNDEFINED_LENGTH: u32 = 0xFFFF_FFFF;
/// Deeper nesting than this is not a real data set; it would only cost stack.
const MAX_DEPTH: usize = 32;

/// One element's header, read; its value is not yet consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementHeader {
    pub tag: Tag,
    /// The VR as written, in explicit VR encodings.
    pub vr: Option<[u8; 2]>,
    /// `None`: undefined length (a sequence, an encapsulated value, or UN).
    pub length: Option<u32>,
}

impl ElementHeader {
    pub fn is_un(&self) -> bool {
        self.vr == Some(*b"UN")
    }
}

/// Why a walk stopped short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// The bytes end inside an element: more may make it whole.
    #[error("the data ends inside an element")]
    Truncated,
    #[error("malformed data set: {0}")]
    Malformed(&'static str),
}

/// Walks the top-level elements of a data set held in `bytes`.
#[derive(Debug, Clone)]
pub struct Walker<'a> {
    bytes: &'a [u8],
    position: usize,
    encoding: Encoding,
    /// The element whose header was read and whose value is still ahead.
    pending: Option<ElementHeader>,
}

impl<'a> Walker<'a> {
    pub fn new(bytes: &'a [u8], encoding: Encoding) -> Self {
        Self { bytes, position: 0, encoding, pending: None }
    }

    /// How many bytes the walk has consumed.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The next top-level element's header (stepping over the previous one's
    /// value if it was not taken), or `None` exactly at the end of the bytes.
    pub fn next_header(&mut self) -> Result<Option<ElementHeader>, WalkError> {
        self.skip_pending()?;
        if self.position == self.bytes.len() {
            return Ok(None);
        }
        let header = self.element_header(self.encoding)?;
        if matches!(header.tag, ITEM | ITEM_DELIMITATION | SEQUENCE_DELIMITATION) {
            return Err(WalkError::Malformed("an item or delimiter outside a sequence"));
        }
        self.pending = Some(header);
        Ok(Some(header))
    }

    /// The value of the element `next_header` just returned, when every byte
    /// of it is present; `None` for a value of undefined length (stepped over).
    pub fn value(&mut self) -> Result<Option<&'a [u8]>, WalkError> {
        let Some(header) = self.pending else {
            return Err(WalkError::Malformed("no element to take a value from"));
        };
        match header.length {
            Some(length) => {
                let value = self.take(length as usize)?;
                self.pending = None;
                Ok(Some(value))
            }
            None => {
                self.skip_pending()?;
                Ok(None)
            }
        }
    }

    /// The items of the sequence `next_header` just returned, each as the
    /// bytes of its data set (without item header or delimiter), for a walker
    /// of its own. Every length is checked as the walk goes.
    pub fn items(&mut self) -> Result<Vec<&'a [u8]>, WalkError> {
        let Some(header) = self.pending.take() else {
            return Err(WalkError::Malformed("no element to take items from"));
        };
        // PS3.5 6.2.2: a UN sequence of undefined length is Implicit VR Little Endian.
        let encoding = if header.is_un() && header.length.is_none() { Encoding::ImplicitLittle } else { self.encoding };
        let mut items = Vec::new();
        match header.length {
            Some(length) => {
                let bytes = self.take(length as usize)?;
                let mut inner = Walker::new(bytes, encoding);
                while inner.position < bytes.len() {
                    let item = inner.item(encoding)?;
                    items.push(item.ok_or(WalkError::Malformed("a delimiter in a sequence of defined length"))?);
                }
            }
            None => {
                while let Some(item) = self.item(encoding)? {
                    items.push(item);
                }
            }
        }
        Ok(items)
    }

    /// One item's data set; `None` at the sequence delimiter.
    fn item(&mut self, encoding: Encoding) -> Result<Option<&'a [u8]>, WalkError> {
        let header = self.element_header(encoding)?;
        match (header.tag, header.length) {
            (SEQUENCE_DELIMITATION, _) => Ok(None),
            (ITEM, Some(length)) => Ok(Some(self.take(length as usize)?)),
            (ITEM, None) => {
                let start = self.position;
                self.skip_item(encoding, 1)?;
                // The item delimiter just read: its tag and its zero length.
                Ok(Some(&self.bytes[start..self.position - 8]))
            }
            _ => Err(WalkError::Malformed("a sequence holds something other than items")),
        }
    }

    fn skip_pending(&mut self) -> Result<(), WalkError> {
        let Some(header) = self.pending else {
            return Ok(());
        };
        match header.length {
            Some(length) => {
                self.take(length as usize)?;
            }
            // PS3.5 6.2.2: a UN value of undefined length holds a sequence
            // encoded in Implicit VR Little Endian, whatever the data set's encoding.
            None if header.is_un() => self.skip_sequence(Encoding::ImplicitLittle, 1)?,
            None => self.skip_sequence(self.encoding, 1)?,
        }
        self.pending = None;
        Ok(())
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], WalkError> {
        let end = self.position.checked_add(length).ok_or(WalkError::Truncated)?;
        let slice = self.bytes.get(self.position..end).ok_or(WalkError::Truncated)?;
        self.position = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WalkError> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn tag(&mut self, encoding: Encoding) -> Result<Tag, WalkError> {
        let group = encoding.u16(self.array()?);
        let element = encoding.u16(self.array()?);
        Ok(Tag(group, element))
    }

    fn peek_tag(&self, encoding: Encoding) -> Result<Tag, WalkError> {
        self.clone().tag(encoding)
    }

    /// PS3.5 7.1.2–7.1.3: tag, VR in explicit encodings, then a 2- or 4-byte length.
    /// Items and delimiters carry no VR in any encoding (PS3.5 7.5).
    fn element_header(&mut self, encoding: Encoding) -> Result<ElementHeader, WalkError> {
        let tag = self.tag(encoding)?;
        if tag.group() == 0xFFFE || encoding == Encoding::ImplicitLittle {
            let length = encoding.u32(self.array()?);
            return Ok(ElementHeader { tag, vr: None, length: defined(length) });
        }
        let vr: [u8; 2] = self.array()?;
        if !vr.iter().all(u8::is_ascii_uppercase) {
            return Err(WalkError::Malformed("a value representation that is not two capital letters"));
        }
        let length = if has_long_length(vr) {
            self.array::<2>()?;
            defined(encoding.u32(self.array()?))
        } else {
            Some(u32::from(encoding.u16(self.array()?)))
        };
        Ok(ElementHeader { tag, vr: Some(vr), length })
    }

    /// Steps over a sequence of undefined length: items up to the sequence
    /// delimiter (PS3.5 7.5.2). Encapsulated pixel data has the same shape.
    fn skip_sequence(&mut self, encoding: Encoding, depth: usize) -> Result<(), WalkError> {
        if depth > MAX_DEPTH {
            return Err(WalkError::Malformed("sequences nested too deeply"));
        }
        loop {
            let item = self.element_header(encoding)?;
            match (item.tag, item.length) {
                (SEQUENCE_DELIMITATION, _) => return Ok(()),
                (ITEM, Some(length)) => {
                    self.take(length as usize)?;
                }
                (ITEM, None) => self.skip_item(encoding, depth + 1)?,
                _ => return Err(WalkError::Malformed("a sequence holds something other than items")),
            }
        }
    }

    /// Steps over the elements of an item of undefined length, up to its delimiter.
    fn skip_item(&mut self, encoding: Encoding, depth: usize) -> Result<(), WalkError> {
        loop {
            if self.peek_tag(encoding)? == ITEM_DELIMITATION {
                self.element_header(encoding)?;
                return Ok(());
            }
            let element = self.element_header(encoding)?;
            match element.length {
                Some(length) => {
                    self.take(length as usize)?;
                }
                None if element.is_un() => self.skip_sequence(Encoding::ImplicitLittle, depth + 1)?,
                None => self.skip_sequence(encoding, depth + 1)?,
            }
        }
    }
}

fn defined(length: u32) -> Option<u32> {
    (length != UNDEFINED_LENGTH).then_some(length)
}

/// PS3.5 Table 7.1-1: VRs with a reserved field and a 4-byte length. A VR this
/// list does not know is read the same way, as PS3.5 7.1.2 asks of future VRs.
fn has_long_length(vr: [u8; 2]) -> bool {
    const SHORT: &[&[u8; 2]] = &[
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"PN", b"SH", b"SL", b"SS",
        b"ST", b"TM", b"UI", b"UL", b"US",
    ];
    !SHORT.contains(&&vr)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One element in Explicit VR Little Endian: the other modules' tests build data sets with it.
    pub(crate) fn explicit_le(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&group.to_le_bytes());
        out.extend_from_slice(&element.to_le_bytes());
        out.extend_from_slice(vr);
        if has_long_length(*vr) {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(value);
        out
    }

    /// Each top-level element's tag and value (`None`: undefined length).
    type Seen = Vec<(Tag, Option<Vec<u8>>)>;

    fn collect(bytes: &[u8], encoding: Encoding) -> (Seen, Option<WalkError>) {
        let mut walker = Walker::new(bytes, encoding);
        let mut seen = Vec::new();
        loop {
            match walker.next_header() {
                Ok(Some(header)) => match walker.value() {
                    Ok(value) => seen.push((header.tag, value.map(<[u8]>::to_vec))),
                    Err(e) => return (seen, Some(e)),
                },
                Ok(None) => return (seen, None),
                Err(e) => return (seen, Some(e)),
            }
        }
    }

    #[test]
    fn elements_are_read_with_their_values() {
        let mut bytes = explicit_le(0x0008, 0x0060, b"CS", b"CT");
        bytes.extend(explicit_le(0x0009, 0x1001, b"OB", &[1, 2, 3, 4]));
        let (seen, error) = collect(&bytes, Encoding::ExplicitLittle);
        assert_eq!(error, None);
        assert_eq!(seen, [(Tag(8, 0x60), Some(b"CT".to_vec())), (Tag(9, 0x1001), Some(vec![1, 2, 3, 4]))]);
    }

    #[test]
    fn a_declared_length_beyond_the_bytes_is_truncated_not_allocated() {
        // Private OB declaring 1 GiB, followed by four bytes.
        let mut bytes = explicit_le(0x0009, 0x1001, b"OB", &[]);
        bytes[8..12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        let (seen, error) = collect(&bytes, Encoding::ExplicitLittle);
        assert!(seen.is_empty());
        assert_eq!(error, Some(WalkError::Truncated));
    }

    #[test]
    fn undefined_length_sequences_are_stepped_over_to_their_delimiter() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[0x08, 0x00, 0x40, 0x11, b'S', b'Q', 0, 0, 0xff, 0xff, 0xff, 0xff]);
        bytes.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]); // item, undefined
        bytes.extend(explicit_le(0x0008, 0x1150, b"UI", b"1.2\0"));
        bytes.extend_from_slice(&[0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]); // item delimiter
        bytes.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0, 2, 0, 0, 0, 9, 9]); // item, defined
        bytes.extend_from_slice(&[0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]); // sequence delimiter
        bytes.extend(explicit_le(0x0020, 0x000D, b"UI", b"1.2.3\0"));
        let (seen, error) = collect(&bytes, Encoding::ExplicitLittle);
        assert_eq!(error, None);
        assert_eq!(seen, [(Tag(8, 0x1140), None), (Tag(0x20, 0x0D), Some(b"1.2.3\0".to_vec()))]);
    }

    #[test]
    fn a_un_sequence_of_undefined_length_is_walked_as_implicit_little_endian() {
        let mut bytes = vec![0x08, 0x00, 0x40, 0x11, b'U', b'N', 0, 0, 0xff, 0xff, 0xff, 0xff];
        bytes.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
        bytes.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, 4, 0, 0, 0, b'1', b'.', b'2', 0]); // implicit UI
        bytes.extend_from_slice(&[0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
        bytes.extend(explicit_le(0x0010, 0x0010, b"PN", b"A^B\0"));
        let (seen, error) = collect(&bytes, Encoding::ExplicitLittle);
        assert_eq!(error, None);
        assert_eq!(seen.last(), Some(&(Tag(0x10, 0x10), Some(b"A^B\0".to_vec()))));
    }

    #[test]
    fn nesting_past_the_limit_is_malformed_not_a_stack_overflow() {
        let mut bytes = vec![0x08, 0x00, 0x40, 0x11, b'S', b'Q', 0, 0, 0xff, 0xff, 0xff, 0xff];
        for _ in 0..10_000 {
            bytes.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
            bytes.extend_from_slice(&[0x08, 0x00, 0x40, 0x11, b'S', b'Q', 0, 0, 0xff, 0xff, 0xff, 0xff]);
        }
        let (_, error) = collect(&bytes, Encoding::ExplicitLittle);
        assert_eq!(error, Some(WalkError::Malformed("sequences nested too deeply")));
    }

    #[test]
    fn big_endian_and_implicit_encodings_are_read_in_their_byte_order() {
        let mut big = vec![0x00, 0x20, 0x00, 0x0D, b'U', b'I', 0x00, 0x04];
        big.extend_from_slice(b"1.2\0");
        let (seen, _) = collect(&big, Encoding::ExplicitBig);
        assert_eq!(seen, [(Tag(0x20, 0x0D), Some(b"1.2\0".to_vec()))]);
        let implicit = [0x20, 0x00, 0x0D, 0x00, 4, 0, 0, 0, b'1', b'.', b'2', 0];
        let (seen, _) = collect(&implicit, Encoding::ImplicitLittle);
        assert_eq!(seen, [(Tag(0x20, 0x0D), Some(b"1.2\0".to_vec()))]);
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for bytes in [&[0xffu8; 7][..], &[0x08, 0x00, 0x10, 0x00, b'?', b'!', 0, 0][..], &[][..]] {
            let _ = collect(bytes, Encoding::ExplicitLittle);
            let _ = collect(bytes, Encoding::ImplicitLittle);
        }
    }
}
