//! The PROXY protocol v2 header a load balancer puts before the DICOM bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::proxy::{FIXED_LEN, payload_length, source};

fuzz_target!(|data: &[u8]| {
    let Some(fixed) = data.get(..FIXED_LEN) else {
        return;
    };
    let mut head = [0u8; FIXED_LEN];
    head.copy_from_slice(fixed);
    let Ok(payload) = payload_length(&head) else {
        return;
    };
    if let Some(header) = data.get(..FIXED_LEN + payload) {
        let _ = source(header, "192.0.2.1:11112".parse().expect("a literal address"));
    }
});
