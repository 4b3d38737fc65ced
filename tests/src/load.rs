//! A load generator of our own on dicom-ul's async client: N associations at
//! once, each sending its share of a file set as C-STOREs one after another,
//! timing each from the first byte of its request to its response.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use dicom_ul::ClientAssociationOptions;
use dicom_ul::pdu::{PDataValue, PDataValueType, Pdu, PresentationContextResultReason};
use noctis_wire::command::{Command, StoreRequest};
use tokio::io::AsyncWriteExt;

/// One file ready to send: its data set as stored, and what the request names.
#[derive(Debug, Clone)]
pub struct Instance {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    pub transfer_syntax_uid: String,
    pub dataset: Vec<u8>,
}

impl Instance {
    pub fn read(path: &std::path::Path) -> Self {
        let bytes = std::fs::read(path).expect("reads the file");
        let meta = crate::storage::Part10Meta::read(&bytes);
        Self {
            sop_class_uid: meta.sop_class_uid,
            sop_instance_uid: meta.sop_instance_uid,
            transfer_syntax_uid: meta.transfer_syntax_uid,
            dataset: bytes[meta.dataset_offset..].to_vec(),
        }
    }
}

/// Who sends where.
#[derive(Debug, Clone)]
pub struct Target {
    pub address: SocketAddr,
    pub calling: String,
    pub called: String,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Associations that were refused or failed to establish.
    pub refused: usize,
    /// Associations that broke after establishment.
    pub broken: usize,
    /// Store latency of each instance answered success.
    pub latencies: Vec<Duration>,
    /// Responses by status other than success.
    pub failures: BTreeMap<u16, usize>,
    pub elapsed: Duration,
    pub bytes: u64,
}

impl LoadReport {
    pub fn stored(&self) -> usize {
        self.latencies.len()
    }

    pub fn per_second(&self) -> f64 {
        self.stored() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }

    /// The latency below which `fraction` of the stores were answered.
    pub fn percentile(&self, fraction: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
        sorted.get(rank).copied().unwrap_or_default()
    }

    /// A latency histogram on power-of-two millisecond buckets, one line each.
    pub fn histogram(&self) -> String {
        let mut buckets: BTreeMap<u32, usize> = BTreeMap::new();
        for latency in &self.latencies {
            let ms = latency.as_secs_f64() * 1000.0;
            let bucket = if ms < 1.0 { 0 } else { (ms.log2().floor() as u32) + 1 };
            *buckets.entry(bucket).or_default() += 1;
        }
        let most = buckets.values().copied().max().unwrap_or(1);
        buckets
            .iter()
            .map(|(bucket, count)| {
                let (low, high) = if *bucket == 0 { (0, 1) } else { (1u64 << (bucket - 1), 1u64 << bucket) };
                let bar = "#".repeat((count * 50).div_ceil(most));
                format!("  {low:>6}–{high:<6} ms {count:>7}  {bar}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Sends `instances` over `associations` concurrent associations, each taking
/// an equal share in order; returns once every association has ended.
pub async fn run(target: &Target, instances: &[Instance], associations: usize) -> LoadReport {
    let share = instances.len().div_ceil(associations.max(1)).max(1);
    let started = Instant::now();
    let tasks: Vec<_> = instances
        .chunks(share)
        .map(|part| {
            let (target, part) = (target.clone(), part.to_vec());
            tokio::spawn(async move { one_association(&target, &part).await })
        })
        .collect();
    let mut report = LoadReport::default();
    for task in tasks {
        match task.await.expect("an association task ends") {
            Outcome::Refused => report.refused += 1,
            Outcome::Ended { latencies, failures, bytes, broken } => {
                report.latencies.extend(latencies);
                report.bytes += bytes;
                report.broken += usize::from(broken);
                for status in failures {
                    *report.failures.entry(status).or_default() += 1;
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    report
}

enum Outcome {
    Refused,
    Ended { latencies: Vec<Duration>, failures: Vec<u16>, bytes: u64, broken: bool },
}

async fn one_association(target: &Target, instances: &[Instance]) -> Outcome {
    let mut options = ClientAssociationOptions::new()
        .calling_ae_title(target.calling.as_str())
        .called_ae_title(target.called.as_str())
        .connection_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(120));
    let mut proposed: Vec<(&str, &str)> =
        instances.iter().map(|i| (i.sop_class_uid.as_str(), i.transfer_syntax_uid.as_str())).collect();
    proposed.sort();
    proposed.dedup();
    for (class, syntax) in &proposed {
        options = options.with_presentation_context(*class, vec![*syntax]);
    }
    let Ok(mut association) = options.establish_async(target.address).await else { return Outcome::Refused };
    let contexts: Vec<(String, String, u8)> = association
        .presentation_contexts()
        .iter()
        .filter(|c| c.reason == PresentationContextResultReason::Acceptance)
        .map(|c| (c.abstract_syntax.clone(), c.transfer_syntax.clone(), c.id))
        .collect();
    let (mut latencies, mut failures, mut bytes) = (Vec::new(), Vec::new(), 0u64);
    for (message_id, instance) in (1u16..).zip(instances) {
        let context = contexts
            .iter()
            .find(|(class, syntax, _)| *class == instance.sop_class_uid && *syntax == instance.transfer_syntax_uid)
            .map(|(_, _, id)| *id);
        let Some(context) = context else {
            failures.push(0x0122); // SOP class not supported: the context was refused.
            continue;
        };
        let started = Instant::now();
        match store(&mut association, context, message_id, instance).await {
            Some(0) => {
                latencies.push(started.elapsed());
                bytes += instance.dataset.len() as u64;
            }
            Some(status) => failures.push(status),
            None => return Outcome::Ended { latencies, failures, bytes, broken: true },
        }
    }
    let _ = association.release().await;
    Outcome::Ended { latencies, failures, bytes, broken: false }
}

/// One C-STORE; its response's status, or `None` when the association broke.
async fn store(
    association: &mut dicom_ul::association::client::AsyncClientAssociation<tokio::net::TcpStream>,
    context: u8,
    message_id: u16,
    instance: &Instance,
) -> Option<u16> {
    let request = StoreRequest {
        message_id,
        sop_class_uid: instance.sop_class_uid.clone(),
        sop_instance_uid: instance.sop_instance_uid.clone(),
        move_originator: None,
    };
    let command = PDataValue {
        presentation_context_id: context,
        value_type: PDataValueType::Command,
        is_last: true,
        data: request.encode().ok()?,
    };
    association.send(&Pdu::PData { data: vec![command] }).await.ok()?;
    let mut writer = association.send_pdata(context);
    writer.write_all(&instance.dataset).await.ok()?;
    writer.finish().await.ok()?;
    // The response's command set may span several PDVs.
    let mut response = Vec::new();
    loop {
        let Pdu::PData { data } = association.receive().await.ok()? else { return None };
        for value in data {
            response.extend_from_slice(&value.data);
            if value.value_type == PDataValueType::Command && value.is_last {
                return Command::decode(&response).ok()?.status;
            }
        }
    }
}

/// Reads every `.dcm` of `files` as an [`Instance`].
pub fn instances(files: &[PathBuf]) -> Vec<Instance> {
    files.iter().map(|f| Instance::read(f)).collect()
}
