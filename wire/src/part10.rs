//! Where a stored Part-10 file's data set starts (PS3.10 7.1): after the
//! 128-byte preamble, `DICM`, and the File Meta group whose length its first
//! element gives. A C-STORE sends only the data set.

/// Preamble, prefix, and (0002,0000) UL in explicit VR: enough to find the start.
pub const PART10_PREFIX_LEN: usize = 128 + 4 + 12;
/// Far more than any File Meta group; a larger one is not a file Noctis wrote.
const MAX_META_GROUP_LEN: u32 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Part10Error {
    #[error("not a Part-10 file: no DICM prefix or File Meta Group Length")]
    NotPart10,
    #[error("a File Meta group of {0} bytes")]
    MetaTooLong(u32),
}

/// The offset of the data set, read from the first `PART10_PREFIX_LEN` bytes.
pub fn dataset_offset(prefix: &[u8; PART10_PREFIX_LEN]) -> Result<usize, Part10Error> {
    let group_length_element = &prefix[132..];
    if &prefix[128..132] != b"DICM" || group_length_element[..8] != [0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0] {
        return Err(Part10Error::NotPart10);
    }
    let length = u32::from_le_bytes([
        group_length_element[8],
        group_length_element[9],
        group_length_element[10],
        group_length_element[11],
    ]);
    if length > MAX_META_GROUP_LEN {
        return Err(Part10Error::MetaTooLong(length));
    }
    Ok(PART10_PREFIX_LEN + length as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(group_length: u32) -> [u8; PART10_PREFIX_LEN] {
        let mut bytes = [0u8; PART10_PREFIX_LEN];
        bytes[128..132].copy_from_slice(b"DICM");
        bytes[132..140].copy_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
        bytes[140..].copy_from_slice(&group_length.to_le_bytes());
        bytes
    }

    #[test]
    fn the_data_set_starts_after_the_meta_group() {
        assert_eq!(dataset_offset(&prefix(198)), Ok(144 + 198));
    }

    #[test]
    fn anything_else_is_refused() {
        let mut wrong = prefix(10);
        wrong[128] = b'X';
        assert_eq!(dataset_offset(&wrong), Err(Part10Error::NotPart10));
        assert_eq!(dataset_offset(&prefix(u32::MAX)), Err(Part10Error::MetaTooLong(u32::MAX)));
    }
}
