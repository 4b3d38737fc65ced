//! One instance's data set on its way into storage (README "The receiver"),
//! from a C-STORE or a STOW-RS part alike: the first bytes are held to read
//! the header, then everything streams into the object store behind a Part-10
//! header; success only once stored and indexed.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use dicom_object::meta::FileMetaTableBuilder;
use noctis_core::domain::{Actor, AeTitle, Facility, InstanceRecord, ObjectKey, StudyId, Uid, User, now};
use noctis_core::ports::{ObjectStore, ObjectWriter, StudyIndex};
use noctis_core::usecases::instances::record_instance;
use noctis_core::usecases::query::Requester;

use noctis_core::domain::{SeriesAttributes, StudyAttributes};
use noctis_wire::command::{Command, Reply, status};
use noctis_wire::header::{InstanceHeader, scan_header};
use noctis_wire::transfer_syntax::DataSetEncoding;

use crate::operations::metrics::Metrics;

/// PS3.10 7.1: the File Meta names the implementation that wrote the file. A
/// `2.25` UID (derived from a UUID, PS3.5 B.2) needs no registered root.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.146297035425983530214958722446571011217";
pub const IMPLEMENTATION_VERSION_NAME: &str = concat!("NOCTIS_", env!("CARGO_PKG_VERSION"));

/// Shared by every association of a receiver, and by DICOMweb's STOW-RS.
#[derive(Debug)]
pub struct Intake {
    pub objects: Arc<dyn ObjectStore>,
    pub index: Arc<dyn StudyIndex>,
    pub metrics: Arc<Metrics>,
    /// The most bytes of a data set's start held to read its header: the
    /// identifying attributes must lie within them (inflated, for a deflated
    /// data set), or the instance is refused with C000.
    pub header_buffer: usize,
}

/// Who sent an instance, or asks a query or retrieve.
#[derive(Debug, Clone)]
pub struct Origin {
    pub facility: Facility,
    /// The association's calling AE title; over HTTP, the facility's own.
    pub calling_ae: AeTitle,
    pub peer: IpAddr,
    /// Who the audit trail names: the modality, or the signed-in user.
    pub actor: Actor,
}

impl Origin {
    /// A modality's association, admitted for `facility` as `calling_ae`.
    pub fn modality(facility: Facility, calling_ae: AeTitle, peer: IpAddr) -> Self {
        let actor = Actor::modality(&calling_ae);
        Self { facility, calling_ae, peer, actor }
    }

    /// A signed-in user acting on `facility` over HTTP (DICOMweb).
    pub fn for_user(facility: Facility, user: &User, peer: IpAddr) -> Self {
        let calling_ae = facility.ae_title.clone();
        Self { facility, calling_ae, peer, actor: Actor::user(user) }
    }

    pub fn requester(&self) -> Requester<'_> {
        Requester { facility: self.facility.id, actor: &self.actor, peer: self.peer }
    }
}

/// What the sender says an instance is before its bytes are read: a
/// C-STORE's command, or a STOW-RS part's File Meta Information.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub sop_class_uid: Option<String>,
    pub sop_instance_uid: Option<String>,
    /// The study it must belong to, when the request names one (STOW-RS to
    /// `/studies/{study}`); another study's instance is refused with A900.
    pub study_instance_uid: Option<String>,
}

/// The UIDs every instance needs before its bytes can be placed.
#[derive(Debug, Clone)]
struct Identity {
    sop_class: Uid,
    sop_instance: Uid,
    study: Uid,
    series: Uid,
    header: InstanceHeader,
}

enum Stage {
    /// Holding the start of the data set until the header can be read.
    Buffering(BytesMut),
    Streaming {
        writer: Box<dyn ObjectWriter>,
        key: ObjectKey,
        identity: Box<Identity>,
    },
    /// Refused: the rest of the data set is read and dropped, then answered.
    Refused(Reply),
    /// Answered or abandoned; nothing more happens.
    Done,
}

/// A C-STORE in progress.
pub struct IncomingInstance {
    store: Arc<Intake>,
    origin: Origin,
    declared: Declared,
    transfer_syntax: Uid,
    stage: Stage,
    /// The buffered length at which the header is next scanned: it doubles up
    /// to the store's `header_buffer` while the header is incomplete.
    next_scan_at: usize,
}

/// Most headers end within a few KiB: the first scan comes early.
const FIRST_SCAN_AT: usize = 16 * 1024;

impl std::fmt::Debug for IncomingInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingInstance").field("declared", &self.declared).finish_non_exhaustive()
    }
}

impl Intake {
    /// Starts taking in the data set of `command`, received on a presentation
    /// context of `abstract_syntax` in `transfer_syntax`.
    pub fn begin(
        self: &Arc<Self>,
        command: Command,
        abstract_syntax: &str,
        transfer_syntax: &Uid,
        origin: Origin,
    ) -> IncomingInstance {
        // PS3.7 9.1.1.1: the command names the SOP class of the negotiated context.
        let refusal = match &command.affected_sop_class_uid {
            Some(class) if class == abstract_syntax => None,
            Some(_) => Some(Reply::failure(
                status::DATASET_MISMATCH,
                "Affected SOP Class differs from the presentation context",
            )),
            None => Some(Reply::failure(status::CANNOT_UNDERSTAND, "no Affected SOP Class UID")),
        };
        let declared = Declared {
            sop_class_uid: command.affected_sop_class_uid,
            sop_instance_uid: command.affected_sop_instance_uid,
            study_instance_uid: None,
        };
        let mut instance = self.begin_declared(declared, transfer_syntax, origin);
        if let Some(refusal) = refusal {
            instance.stage = Stage::Refused(refusal);
        }
        instance
    }

    /// Starts taking in a data set in `transfer_syntax` that the sender
    /// declared as `declared`.
    pub fn begin_declared(
        self: &Arc<Self>,
        declared: Declared,
        transfer_syntax: &Uid,
        origin: Origin,
    ) -> IncomingInstance {
        IncomingInstance {
            store: self.clone(),
            origin,
            declared,
            transfer_syntax: transfer_syntax.clone(),
            stage: Stage::Buffering(BytesMut::new()),
            next_scan_at: FIRST_SCAN_AT.min(self.header_buffer),
        }
    }
}

impl IncomingInstance {
    /// Takes the next fragment of the data set.
    pub async fn push(&mut self, chunk: Bytes) {
        match &mut self.stage {
            Stage::Buffering(buffer) => {
                buffer.extend_from_slice(&chunk);
                if buffer.len() >= self.next_scan_at {
                    self.start_streaming(false).await;
                }
            }
            Stage::Streaming { writer, .. } => {
                if let Err(e) = writer.write(chunk).await {
                    tracing::error!(error = %e, "object store write failed");
                    self.fail_streaming(Reply::failure(status::OUT_OF_RESOURCES, "storage failed")).await;
                }
            }
            Stage::Refused(_) | Stage::Done => {}
        }
    }

    /// The SOP Class and Instance UIDs the sender declared.
    pub fn declared_uids(&self) -> (Option<String>, Option<String>) {
        (self.declared.sop_class_uid.clone(), self.declared.sop_instance_uid.clone())
    }

    /// The data set is complete: store, index, and say how it went; and,
    /// when it was stored, into which study.
    pub async fn finish(mut self) -> (Reply, Option<StudyId>) {
        if matches!(self.stage, Stage::Buffering(_)) {
            self.start_streaming(true).await;
        }
        let started = Instant::now();
        let mut study = None;
        let outcome = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Streaming { writer, key, identity } => {
                study = Some(StudyId::for_study(self.origin.facility.id, &identity.study));
                self.commit(writer, key, *identity).await
            }
            Stage::Refused(outcome) => outcome,
            Stage::Buffering(_) | Stage::Done => {
                Reply::failure(status::CANNOT_UNDERSTAND, "the header could not be read")
            }
        };
        if outcome.status == status::SUCCESS {
            self.store.metrics.store_seconds.observe(started.elapsed().as_secs_f64());
        } else {
            study = None;
        }
        self.store.metrics.instance(outcome.status);
        (outcome, study)
    }

    /// The association ended mid-instance: nothing of it may remain.
    pub async fn abandon(mut self) {
        if let Stage::Streaming { writer, .. } = std::mem::replace(&mut self.stage, Stage::Done)
            && let Err(e) = writer.abort().await
        {
            tracing::warn!(error = %e, "could not abort an abandoned instance");
        }
    }

    /// Reads the header from the buffered bytes and, if the instance is
    /// acceptable, opens the object and writes what is held so far.
    async fn start_streaming(&mut self, whole: bool) {
        let Stage::Buffering(buffer) = &mut self.stage else {
            return;
        };
        let limit = self.store.header_buffer;
        let encoding = DataSetEncoding::of(self.transfer_syntax.as_str());
        let scan = scan_header(buffer, encoding, whole, limit);
        if !scan.complete && !whole {
            if buffer.len() < limit {
                self.next_scan_at = (self.next_scan_at * 2).min(limit);
                return;
            }
            // The bound is what one association may hold: refuse rather than grow.
            self.stage = Stage::Refused(Reply::failure(
                status::CANNOT_UNDERSTAND,
                format!("no Study/Series UID in the first {} KiB", limit / 1024),
            ));
            return;
        }
        if let Some(why) = scan.malformed {
            tracing::info!(why, "header scan stopped at a malformed element; storing as received");
        }
        let held = std::mem::take(buffer).freeze();
        let identity = match self.identify(scan.header) {
            Ok(identity) => identity,
            Err(outcome) => {
                self.stage = Stage::Refused(outcome);
                return;
            }
        };
        let preamble = match self.part10_preamble(&identity) {
            Ok(preamble) => preamble,
            Err(outcome) => {
                self.stage = Stage::Refused(outcome);
                return;
            }
        };
        let key =
            ObjectKey::for_instance(self.origin.facility.id, &identity.study, &identity.series, &identity.sop_instance);
        let opened = async {
            let mut writer = self.store.objects.begin_write(&key).await?;
            writer.write(preamble).await?;
            writer.write(held).await?;
            Ok::<_, noctis_core::ports::StoreError>(writer)
        }
        .await;
        self.stage = match opened {
            Ok(writer) => Stage::Streaming { writer, key, identity: Box::new(identity) },
            Err(e) => {
                tracing::error!(error = %e, "could not start writing an instance");
                Stage::Refused(Reply::failure(status::OUT_OF_RESOURCES, "storage failed"))
            }
        };
    }

    /// Checks the header against what was declared (PS3.4 B.2.3: A900 when they disagree)
    /// and finds the study and series the instance belongs to.
    fn identify(&self, header: InstanceHeader) -> Result<Identity, Reply> {
        let cannot_understand = |what: &str| Reply::failure(status::CANNOT_UNDERSTAND, what);
        let from_command = |uid: &Option<String>, what: &str| {
            uid.as_deref().and_then(|u| Uid::parse(u).ok()).ok_or_else(|| cannot_understand(what))
        };
        let sop_class = from_command(&self.declared.sop_class_uid, "invalid Affected SOP Class UID")?;
        let sop_instance = from_command(&self.declared.sop_instance_uid, "invalid Affected SOP Instance UID")?;
        // Where the header could not be read, the declared UIDs stand.
        if header.sop_instance_uid.as_deref().is_some_and(|uid| uid != sop_instance.as_str()) {
            return Err(Reply::failure(status::DATASET_MISMATCH, "SOP Instance UID differs from the command"));
        }
        if header.sop_class_uid.as_deref().is_some_and(|uid| uid != sop_class.as_str()) {
            return Err(Reply::failure(status::DATASET_MISMATCH, "SOP Class UID differs from the command"));
        }
        if let Some(expected) = &self.declared.study_instance_uid
            && header.study_instance_uid.as_deref() != Some(expected.as_str())
        {
            return Err(Reply::failure(status::DATASET_MISMATCH, "Study Instance UID differs from the request"));
        }
        let study = header.study_instance_uid.as_deref().and_then(|u| Uid::parse(u).ok());
        let series = header.series_instance_uid.as_deref().and_then(|u| Uid::parse(u).ok());
        match (study, series) {
            (Some(study), Some(series)) => Ok(Identity { sop_class, sop_instance, study, series, header }),
            _ => Err(cannot_understand("no valid Study or Series Instance UID")),
        }
    }

    /// PS3.10 7.1: 128-byte preamble, "DICM", and the File Meta Information.
    /// A meta group that cannot be written refuses the instance: a Part-10 file
    /// without one is not what the modality sent.
    fn part10_preamble(&self, identity: &Identity) -> Result<Bytes, Reply> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&[0u8; 128]);
        out.extend_from_slice(b"DICM");
        let written = FileMetaTableBuilder::new()
            .media_storage_sop_class_uid(identity.sop_class.as_str())
            .media_storage_sop_instance_uid(identity.sop_instance.as_str())
            .transfer_syntax(self.transfer_syntax.as_str())
            .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
            .implementation_version_name(IMPLEMENTATION_VERSION_NAME)
            .source_application_entity_title(self.origin.calling_ae.as_str())
            .build()
            .map_err(|e| e.to_string())
            .and_then(|meta| meta.write(&mut out).map_err(|e| e.to_string()));
        match written {
            Ok(()) => Ok(Bytes::from(out)),
            Err(e) => {
                tracing::error!(error = %e, "could not write the file meta information");
                Err(Reply::failure(status::CANNOT_UNDERSTAND, "file meta information could not be written"))
            }
        }
    }

    async fn fail_streaming(&mut self, outcome: Reply) {
        if let Stage::Streaming { writer, .. } = std::mem::replace(&mut self.stage, Stage::Refused(outcome))
            && let Err(e) = writer.abort().await
        {
            tracing::warn!(error = %e, "could not abort a failed instance");
        }
    }

    /// Makes the object durable, then indexes it; only both together are success.
    async fn commit(&self, writer: Box<dyn ObjectWriter>, key: ObjectKey, identity: Identity) -> Reply {
        let size = match writer.finish().await {
            Ok(size) => size,
            Err(e) => {
                tracing::error!(error = %e, "could not finish an instance");
                return Reply::failure(status::OUT_OF_RESOURCES, "storage failed");
            }
        };
        let received_at = now();
        let record = InstanceRecord {
            facility_id: self.origin.facility.id,
            study_instance_uid: identity.study.clone(),
            series_instance_uid: identity.series.clone(),
            sop_instance_uid: identity.sop_instance.clone(),
            sop_class_uid: identity.sop_class.clone(),
            transfer_syntax_uid: self.transfer_syntax.clone(),
            instance_number: identity.header.instance_number,
            object_key: key,
            size_bytes: size,
            received_at,
            source_ae_title: self.origin.calling_ae.clone(),
            study: StudyAttributes::from(&identity.header),
            series: SeriesAttributes::from(&identity.header),
        };
        if let Err(e) =
            record_instance(self.store.index.as_ref(), &record, self.origin.actor.clone(), self.origin.peer).await
        {
            tracing::error!(error = %e, "could not index an instance");
            return Reply::failure(status::OUT_OF_RESOURCES, "indexing failed");
        }
        self.store.metrics.bytes_stored.inc_by(size);
        tracing::info!(
            facility = %self.origin.facility.id,
            sop_instance_uid = %identity.sop_instance,
            bytes = size,
            "instance stored"
        );
        Reply::success()
    }
}
