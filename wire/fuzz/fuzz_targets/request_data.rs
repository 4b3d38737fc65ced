//! The data set of a C-FIND or C-GET (an identifier) or of an N-ACTION (a
//! Storage Commitment request) as a peer sends it, in either encoding those
//! contexts accept: the first byte picks it. What decodes is encoded back as a
//! response would be, so no decoded text can break the writers either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::commitment::{MAX_COMMITMENT_REQUEST_LEN, decode_commitment_request, encode_commitment_result};
use noctis_wire::elements::Encoding;
use noctis_wire::identifier::{decode_identifier, encode_identifier};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    if bytes.len() > MAX_COMMITMENT_REQUEST_LEN {
        return;
    }
    let encoding = if selector & 1 == 0 { Encoding::ImplicitLittle } else { Encoding::ExplicitLittle };
    if let Ok(keys) = decode_identifier(bytes, encoding) {
        let elements: Vec<_> = keys.into_iter().map(|k| (k.tag, k.value.into_iter().collect())).collect();
        let _ = encode_identifier(&elements, encoding);
    }
    if let Ok(request) = decode_commitment_request(bytes, encoding) {
        let failed: Vec<_> = request.references.iter().map(|r| (r.clone(), 0x0112)).collect();
        let _ = encode_commitment_result(&request.transaction_uid, &request.references, &failed, encoding);
    }
});
