use bytes::Bytes;
use noctis_core::domain::{FacilityId, ObjectKey, Uid, now};
use tokio::io::AsyncReadExt;

use crate::support::Fixture;

crate::contract_tests!(
    a_written_object_reads_back_byte_identical,
    an_object_larger_than_a_part_streams_through_in_parts,
    nothing_is_visible_before_finish,
    an_aborted_write_leaves_the_previous_object_untouched,
    a_dropped_writer_leaves_nothing_behind,
    missing_objects_are_absent_and_deleting_them_is_not_an_error,
    a_prefix_read_gives_the_first_bytes_of_an_object,
    a_listing_pages_through_every_object_once_and_resumes_after_a_key,
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

async fn a_prefix_read_gives_the_first_bytes_of_an_object(fx: &Fixture) {
    let key = key("1.2.3.4.7");
    let data = content(70_000);
    write(fx, &key, &data, 70_000).await;
    let objects = &fx.ports.objects;
    assert_eq!(objects.read_prefix(&key, 1000).await.expect("reads").as_deref(), Some(&data[..1000]));
    assert_eq!(objects.read_prefix(&key, 1).await.expect("reads").as_deref(), Some(&data[..1]));
    assert_eq!(
        objects.read_prefix(&key, 100_000).await.expect("reads").as_deref(),
        Some(&data[..]),
        "shorter than asked"
    );
    assert_eq!(objects.read_prefix(&self::key("1.2.3.4.8"), 1000).await.expect("reads"), None);
}

async fn a_listing_pages_through_every_object_once_and_resumes_after_a_key(fx: &Fixture) {
    let uid = |s: &str| Uid::parse(s).expect("uid");
    let (one, two) = (FacilityId::new_random(), FacilityId::new_random());
    let started = now() - chrono::Duration::seconds(5);
    let mut written = Vec::new();
    // Sibling names where one is a prefix of another ("1.2" and "1.2.3"), and series of several instances.
    for (facility, study, series, sop) in [
        (one, "1.2", "1.2.1", "1.2.1.1"),
        (one, "1.2", "1.2.1", "1.2.1.2"),
        (one, "1.2", "1.2.2", "1.2.2.1"),
        (one, "1.2.3", "1.2.3.1", "1.2.3.1.1"),
        (two, "1.2", "1.2.1", "1.2.1.1"),
        (two, "7.7", "7.7.1", "7.7.1.10"),
        (two, "7.7", "7.7.1", "7.7.1.9"),
    ] {
        let key = ObjectKey::for_instance(facility, &uid(study), &uid(series), &uid(sop));
        let size = write(fx, &key, &content(100 + written.len()), 64).await;
        written.push((key, size));
    }
    let objects = &fx.ports.objects;
    let mut listed: Vec<(ObjectKey, u64)> = Vec::new();
    let mut after: Option<ObjectKey> = None;
    loop {
        let page = objects.list("", after.as_ref(), 3).await.expect("lists");
        assert!(page.len() <= 3, "a page holds at most its limit");
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for object in page {
            assert!(object.modified >= started, "{} modified {}", object.key, object.modified);
            listed.push((object.key, object.size));
        }
    }
    let mut expected = written.clone();
    expected.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut sorted = listed.clone();
    sorted.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(sorted, expected, "every object, each once, with its size");

    // Resuming after any key lists exactly what followed it.
    let third = listed[2].0.clone();
    let rest = objects.list("", Some(&third), 100).await.expect("lists");
    assert_eq!(
        rest.iter().map(|o| o.key.clone()).collect::<Vec<_>>(),
        listed[3..].iter().map(|o| o.0.clone()).collect::<Vec<_>>()
    );

    let study = format!("{one}/1.2/");
    let in_study = objects.list(&study, None, 100).await.expect("lists");
    let mut keys: Vec<String> = in_study.iter().map(|o| o.key.to_string()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            format!("{one}/1.2/1.2.1/1.2.1.1.dcm"),
            format!("{one}/1.2/1.2.1/1.2.1.2.dcm"),
            format!("{one}/1.2/1.2.2/1.2.2.1.dcm")
        ]
    );
    let past = objects.list(&study, Some(&in_study[0].key), 100).await.expect("lists");
    assert_eq!(past.len(), 2, "a prefixed listing resumes too");
    assert!(objects.list(&format!("{}/", FacilityId::new_random()), None, 100).await.expect("lists").is_empty());
}
