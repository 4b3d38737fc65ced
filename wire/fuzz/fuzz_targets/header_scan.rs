//! The start of a C-STORE data set in any of the encodings a transfer syntax
//! can give it; the first byte picks the encoding and whether the data set is whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::header::scan_header;
use noctis_wire::transfer_syntax::{
    DEFLATED_EXPLICIT_VR_LE, DataSetEncoding, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE,
};

const SYNTAXES: [&str; 4] = [IMPLICIT_VR_LE, EXPLICIT_VR_LE, EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, prefix)) = data.split_first() else {
        return;
    };
    let encoding = DataSetEncoding::of(SYNTAXES[usize::from(selector & 3)]);
    let _ = scan_header(prefix, encoding, selector & 4 != 0, 256 * 1024);
});
