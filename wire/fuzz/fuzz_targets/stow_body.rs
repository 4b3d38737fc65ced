//! A STOW-RS body: multipart parts as they arrive in chunks the fuzzer picks,
//! and each part's File Meta group. The reader's buffer must stay bounded by
//! one chunk, a delimiter and a header block, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noctis_wire::multipart::{Event, MAX_HEADER_BLOCK, MultipartReader};
use noctis_wire::part10::{PART10_PREFIX_LEN, dataset_offset, read_file_meta};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size, so splits fall everywhere.
    let Some((&size, body)) = data.split_first() else {
        return;
    };
    let Ok(mut reader) = MultipartReader::new("noctis") else {
        return;
    };
    let mut part = Vec::new();
    for chunk in body.chunks(usize::from(size).max(1)) {
        reader.push(chunk);
        loop {
            match reader.next_event() {
                Ok(Some(Event::Data(bytes))) => {
                    assert!(bytes.len() <= chunk.len() + MAX_HEADER_BLOCK + 80);
                    if part.len() < 70 * 1024 {
                        part.extend_from_slice(&bytes);
                    }
                }
                Ok(Some(Event::PartEnd)) => {
                    read_meta(&part);
                    part.clear();
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    reader.end();
    while let Ok(Some(_)) = reader.next_event() {}
});

fn read_meta(file: &[u8]) {
    let Some(prefix) = file.get(..PART10_PREFIX_LEN) else {
        return;
    };
    let mut head = [0u8; PART10_PREFIX_LEN];
    head.copy_from_slice(prefix);
    if let Ok(offset) = dataset_offset(&head)
        && let Some(meta) = file.get(PART10_PREFIX_LEN..offset)
    {
        let _ = read_file_meta(meta);
    }
}
