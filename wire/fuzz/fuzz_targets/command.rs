//! A DIMSE command set as a peer sends it (reassembled from its PDVs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::command::Command;

fuzz_target!(|data: &[u8]| {
    let _ = Command::decode(data);
});
