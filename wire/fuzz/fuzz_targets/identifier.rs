//! A C-FIND identifier as a peer sends it, in either encoding a query context
//! accepts (the first byte picks it); what decodes is encoded back as a
//! response would be, so no decoded text can break the writer either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::elements::Encoding;
use noctis_wire::identifier::{MAX_IDENTIFIER_LEN, decode_identifier, encode_identifier};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, identifier)) = data.split_first() else {
        return;
    };
    if identifier.len() > MAX_IDENTIFIER_LEN {
        return;
    }
    let encoding = if selector & 1 == 0 { Encoding::ImplicitLittle } else { Encoding::ExplicitLittle };
    if let Ok(keys) = decode_identifier(identifier, encoding) {
        let elements: Vec<_> = keys.into_iter().map(|k| (k.tag, k.value.into_iter().collect())).collect();
        let _ = encode_identifier(&elements, encoding);
    }
});
