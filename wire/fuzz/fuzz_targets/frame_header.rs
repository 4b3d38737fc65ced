//! A stored compressed frame's own header, as WADO-RS rendered reads it
//! before any decoder: JPEG's and JPEG-LS's start of frame, JPEG 2000's SIZ.
//! Whatever the bytes, the readers answer a size or nothing, and read only
//! what is there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::bitstream;

fuzz_target!(|data: &[u8]| {
    if let Some(size) = bitstream::jpeg(data) {
        assert!(size.rows <= u32::from(u16::MAX) && size.columns <= u32::from(u16::MAX));
    }
    let _ = bitstream::jpeg2000(data);
});
