use bytes::Bytes;
use noctis_core::domain::{FacilityId, ObjectKey, Uid};
use tokio::io::AsyncReadExt;

use crate::support::Fixture;

crate::contract_tests!(
    a_written_object_reads_back_byte_identical,
    an_object_larger_than_a_part_streams_through_in_parts,
    nothing_is_visible_before_finish,
    an_aborted_write_leaves_the_previous_object_untouched,
    a_dropped_writer_leaves_nothing_behind,
    missing_objects_are_absent_and_deleting_them_is_not_an_error,
);

fn key(sop: &str) -> ObjectKey {
    let uid = |s: &str| Uid::parse(s).expect("uid");
    ObjectKey::for_instance(FacilityId::new_random(), &uid("1.2.3"), &uid("1.2.3.4"), &uid(sop))
}

/// Deterministic, non-repeating content so a misplaced chunk is noticed.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + i / 4093) % 251) as u8).collect()
}

async fn read_all(fx: &Fixture, key: &ObjectKey) -> Option<Vec<u8>> {
    let mut reader = fx.ports.objects.read(key).await.expect("reads")?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).await.expect("reads to the end");
    Some(out)
}

async fn write(fx: &Fixture, key: &ObjectKey, data: &[u8], chunk: usize) -> u64 {
    let mut writer = fx.ports.objects.begin_write(key).await.expect("begins");
    for piece in data.chunks(chunk) {
        writer.write(Bytes::copy_from_slice(piece)).await.expect("writes");
    }
    writer.finish().await.expect("finishes")
}

async fn a_written_object_reads_back_byte_identical(fx: &Fixture) {
    let key = key("1.2.3.4.1");
    let data = content(70_000);
    assert_eq!(write(fx, &key, &data, 16_384).await, 70_000);
    assert_eq!(read_all(fx, &key).await, Some(data));
    assert_eq!(stored_size(fx, &key).await, Some(70_000));
}

async fn an_object_larger_than_a_part_streams_through_in_parts(fx: &Fixture) {
    // The default part is 8 MiB: this is two full parts and a tail.
    let key = key("1.2.3.4.2");
    let data = content(17 * 1024 * 1024 + 123);
    assert_eq!(write(fx, &key, &data, 64 * 1024 + 7).await, data.len() as u64);
    assert_eq!(stored_size(fx, &key).await, Some(data.len() as u64));
    assert!(read_all(fx, &key).await == Some(data), "content differs");
}

async fn nothing_is_visible_before_finish(fx: &Fixture) {
    let key = key("1.2.3.4.3");
    let mut writer = fx.ports.objects.begin_write(&key).await.expect("begins");
    writer.write(Bytes::from(content(9 * 1024 * 1024))).await.expect("writes");
    assert_eq!(stored_size(fx, &key).await, None);
    writer.finish().await.expect("finishes");
    assert_eq!(stored_size(fx, &key).await, Some(9 * 1024 * 1024));
}

async fn an_aborted_write_leaves_the_previous_object_untouched(fx: &Fixture) {
    let key = key("1.2.3.4.4");
    let original = content(1000);
    write(fx, &key, &original, 1000).await;
    for size in [500, 9 * 1024 * 1024] {
        let mut writer = fx.ports.objects.begin_write(&key).await.expect("begins");
        writer.write(Bytes::from(vec![0u8; size])).await.expect("writes");
        writer.abort().await.expect("aborts");
        assert_eq!(read_all(fx, &key).await, Some(original.clone()), "after aborting {size} bytes");
    }
}

async fn a_dropped_writer_leaves_nothing_behind(fx: &Fixture) {
    let key = key("1.2.3.4.5");
    let mut writer = fx.ports.objects.begin_write(&key).await.expect("begins");
    writer.write(Bytes::from(content(100))).await.expect("writes");
    drop(writer);
    assert_eq!(stored_size(fx, &key).await, None);
}

async fn missing_objects_are_absent_and_deleting_them_is_not_an_error(fx: &Fixture) {
    let key = key("1.2.3.4.6");
    assert!(fx.ports.objects.read(&key).await.expect("reads").is_none());
    assert_eq!(stored_size(fx, &key).await, None);
    fx.ports.objects.delete(&key).await.expect("deleting nothing is fine");
    write(fx, &key, b"DICM", 4).await;
    fx.ports.objects.delete(&key).await.expect("deletes");
    assert_eq!(stored_size(fx, &key).await, None);
}

/// The size of what is stored under `key`, read back whole.
async fn stored_size(fx: &Fixture, key: &ObjectKey) -> Option<u64> {
    read_all(fx, key).await.map(|data| data.len() as u64)
}
