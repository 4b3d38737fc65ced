//! Running the receiver: large instances in bounded memory, storage failing
//! mid-transfer, graceful shutdown, and the health endpoint.

use std::io::Read;

use noctis_e2e::dcmtk::storescu;
use noctis_e2e::receiver::{Receiver, SCP_AE_TITLE};
use noctis_e2e::storage::{Kind, PrivateEmulator, Storage, split_part10};
use noctis_e2e::testdata;

noctis_e2e::on_both_backends!(
    a_large_instance_streams_through_in_bounded_memory,
    sigterm_lets_a_running_association_finish,
);

/// Resident memory the receiver may reach while a 200 MB instance passes through.
const RSS_BOUND_KIB: u64 = 160 * 1024;

async fn a_large_instance_streams_through_in_bounded_memory(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Big Imaging Center").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::large(200);
    let file = &data.files[0];
    assert!(file.size > 200 * 1000 * 1000, "the instance is {} bytes", file.size);
    let started = std::time::Instant::now();
    let run = storescu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE, &["-xe"], &[file.path.as_path()]);
    let elapsed = started.elapsed();
    assert_eq!(run.store_statuses(), ["Success"], "{}", run.text);
    let peak = receiver.peak_rss_kib();
    eprintln!(
        "large instance ({kind:?}): {} MB in {:.1} s, receiver peak RSS {} MiB",
        file.size / 1_000_000,
        elapsed.as_secs_f64(),
        peak / 1024
    );
    assert!(peak > 0 && peak < RSS_BOUND_KIB, "peak RSS {peak} KiB for a {} byte instance", file.size);

    let stored = storage.stored_object(&facility, file).await.expect("stored");
    let (syntax, dataset) = split_part10(&stored);
    assert_eq!(syntax, file.transfer_syntax);
    let mut sent = Vec::with_capacity(file.size as usize);
    std::fs::File::open(&file.path).and_then(|mut f| f.read_to_end(&mut sent)).expect("reads the file");
    assert!(dataset == &sent[file.dataset_offset..], "the data set is byte-identical");
    let detail = storage.study(&facility, &file.study_instance_uid).await.expect("indexed");
    assert_eq!(detail.study.total_bytes, stored.len() as u64);
}

async fn sigterm_lets_a_running_association_finish(kind: Kind) {
    let storage = Storage::new(kind).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::large(60);
    let path = data.files[0].path.clone();
    let port = receiver.dicom_port;
    let ae = facility.ae_title.to_string();
    let sender = std::thread::spawn(move || storescu(port, &ae, SCP_AE_TITLE, &["-xe"], &[path.as_path()]));
    noctis_e2e::eventually(30, "the association to start", || async {
        (receiver.metric("noctis_receiver_associations_active").await == 1.0).then_some(())
    })
    .await;
    let exit = receiver.terminate();
    let run = sender.join().expect("storescu finishes");
    assert_eq!(run.store_statuses(), ["Success"], "the running association completed: {}", run.text);
    assert!(exit.success(), "the receiver exits cleanly: {exit:?}");
    assert!(storage.stored_object(&facility, &data.files[0]).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_dying_mid_transfer_is_answered_with_a_failure_never_success() {
    let mut emulator = PrivateEmulator::start().await;
    let storage = Storage::aws(Some(emulator.endpoint.clone())).await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let data = testdata::large(80);
    let path = data.files[0].path.clone();
    let port = receiver.dicom_port;
    let ae = facility.ae_title.to_string();
    let sender = std::thread::spawn(move || storescu(port, &ae, SCP_AE_TITLE, &["-xe"], &[path.as_path()]));
    // Once a multipart upload is under way, the instance is mid-transfer.
    noctis_e2e::eventually(60, "a multipart upload to start", || async {
        (storage.unfinished_writes().await > 0).then_some(())
    })
    .await;
    emulator.kill();
    let run = sender.join().expect("storescu finishes");
    let statuses = run.store_statuses();
    eprintln!("storage died mid-transfer; storescu reported {statuses:?}");
    // PS3.4 B.2.3: A700, refused, out of resources; never success.
    assert_eq!(statuses, ["Refused: OutOfResources"], "{}", run.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_endpoint_answers_and_metrics_count_associations() {
    let storage = Storage::embedded().await;
    let facility = storage.facility("Mercy Clinic").await;
    let receiver = Receiver::start(&storage);
    let health = reqwest::get(format!("http://127.0.0.1:{}/healthz", receiver.health_port)).await.expect("answers");
    assert_eq!(health.status(), 200);
    assert!(noctis_e2e::dcmtk::echoscu(receiver.dicom_port, facility.ae_title.as_str(), SCP_AE_TITLE).success);
    assert!(!noctis_e2e::dcmtk::echoscu(receiver.dicom_port, "NOBODY", SCP_AE_TITLE).success);
    assert_eq!(receiver.metric("noctis_receiver_associations_total{outcome=\"accepted\"}").await, 1.0);
    assert_eq!(receiver.metric("noctis_receiver_associations_total{outcome=\"calling_ae_not_recognised\"}").await, 1.0);
}
