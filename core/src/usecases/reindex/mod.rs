//! Rebuilding the index from the objects in storage, for an index lost,
//! restored from an older backup, or drifted from what storage holds.
//!
//! Two passes. The objects pass lists every object a page at a time and, for
//! each instance no index row names, reads its Part-10 header (its first
//! bytes only) and records it: received when the object was written, under
//! the facility its key names. Objects no registered facility owns, and
//! objects Noctis did not write, are reported and left alone. The rows pass
//! then walks each facility's studies and removes the rows of instances
//! whose objects are gone, as deletions would (`DeletionCause::ObjectMissing`).
//!
//! Every step is idempotent: an instance indexed already is only looked up,
//! so running it again changes nothing. After every page the run hands the
//! observer where it got to (`ReindexProgress`); handed back, a later run
//! resumes there. A dry run reports the same findings and writes nothing.

mod stored_header;

use std::collections::HashSet;

use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::json;

use self::stored_header::{HeaderRead, StoredHeader, read_stored_header};
use super::UseCaseError;
use super::audit_trail::append;
use super::deletion::begin_and_carry_out;
use crate::domain::{
    Actor, AeTitle, AuditEvent, AuditKind, Cursor, Deletion, DeletionCause, DeletionScope, EXPORTS, FacilityId,
    InstanceIdentity, InstanceRecord, InstanceSummary, ObjectKey, PageLimit, PageRequest, SeriesAttributes,
    StudyAttributes, StudyFilter, StudyId, StudySummary, Uid, now,
};
use crate::ports::{AuditLog, FacilityRegistry, ObjectStore, StoreError, StoredObject, StudyIndex};

/// The source AE title of a file whose File Meta names none.
const UNKNOWN_SOURCE: &str = "UNKNOWN";
/// Objects listed per study in the rows pass, per request.
const STUDY_LISTING: usize = 1000;
/// Studies checked per page in the rows pass.
const STUDIES_PER_PAGE: u32 = 100;

/// The ports a rebuild touches.
#[derive(Debug, Clone, Copy)]
pub struct ReindexPorts<'a> {
    pub facilities: &'a dyn FacilityRegistry,
    pub index: &'a dyn StudyIndex,
    pub objects: &'a dyn ObjectStore,
    pub audit: &'a dyn AuditLog,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReindexMode {
    /// Reports what would change; writes nothing.
    DryRun,
    Repair,
}

#[derive(Debug, Clone, Copy)]
pub struct ReindexOptions {
    pub mode: ReindexMode,
    /// Objects listed, and handed to the observer, per page.
    pub page_size: usize,
    /// Objects examined at once.
    pub concurrency: usize,
    /// Stop, resumable, once this many objects were examined in this run.
    pub max_objects: Option<u64>,
}

/// The pass a run is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    #[default]
    Objects,
    Rows,
    Done,
}

/// What a run found, over every run resumed from the same progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReindexCounts {
    /// Objects listed.
    pub objects: u64,
    /// Header bytes read to index them: a few kilobytes per object.
    pub header_bytes: u64,
    pub already_indexed: u64,
    /// Objects no row named, indexed now (or, on a dry run, to be).
    pub indexed: u64,
    /// Under a facility no longer registered.
    pub orphaned: u64,
    /// Not an instance key Noctis writes (study exports are not counted).
    pub foreign: u64,
    pub unreadable: u64,
    /// Whose header names another instance than its key.
    pub mismatched: u64,
    /// Instance rows checked against storage.
    pub rows: u64,
    /// Rows whose object is gone, removed now (or, on a dry run, to be).
    pub rows_without_object: u64,
}

/// Where a run got to: handed to the observer after every page, and handed
/// back to resume. Kept as JSON by the command line (`version` 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReindexProgress {
    pub version: u32,
    /// Whether the run it records changes nothing: a repair never resumes
    /// a dry run's progress, which skipped what it only reported.
    #[serde(default)]
    pub dry_run: bool,
    pub pass: Pass,
    /// The objects pass: the last key examined.
    pub objects_after: Option<ObjectKey>,
    /// The rows pass: the facility being checked (facilities go by id)…
    pub rows_facility: Option<FacilityId>,
    /// …and where its study listing got to.
    pub rows_after: Option<Cursor>,
    pub counts: ReindexCounts,
}

impl ReindexProgress {
    pub const VERSION: u32 = 1;

    pub fn start() -> Self {
        Self { version: Self::VERSION, ..Self::default() }
    }

    /// Whether nothing was examined yet.
    fn is_fresh(&self) -> bool {
        self.pass == Pass::Objects && self.objects_after.is_none()
    }
}

/// Something a run found that an operator should hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// An object no index row named; indexed (or to be, on a dry run).
    Indexed {
        key: ObjectKey,
    },
    /// Under a facility no longer registered: left alone.
    Orphaned {
        key: ObjectKey,
    },
    /// Not a key Noctis writes: left alone.
    Foreign {
        key: ObjectKey,
    },
    Unreadable {
        key: ObjectKey,
        why: &'static str,
    },
    /// The header names another instance than the key: left alone.
    Mismatched {
        key: ObjectKey,
    },
    /// An index row whose object is gone; removed (or to be).
    RowWithoutObject {
        study: StudyId,
        key: ObjectKey,
    },
}

/// Hears what a run finds, and where it got to.
pub trait ReindexObserver: Send {
    fn found(&mut self, finding: &Finding);

    /// Called after every page with where to resume from. An error (the
    /// progress could not be kept) stops the run.
    fn reached(&mut self, progress: &ReindexProgress) -> std::io::Result<()>;
}

/// Rebuilds the index from `progress` on (`ReindexProgress::start()` for a
/// fresh run); returns where it got to, `Pass::Done` once complete.
pub async fn reindex(
    ports: ReindexPorts<'_>,
    options: ReindexOptions,
    mut progress: ReindexProgress,
    observer: &mut dyn ReindexObserver,
) -> Result<ReindexProgress, UseCaseError> {
    if progress.version != ReindexProgress::VERSION {
        return Err(UseCaseError::invalid("progress", "it was written by another version of the rebuild"));
    }
    let dry_run = options.mode == ReindexMode::DryRun;
    if progress.is_fresh() {
        progress.dry_run = dry_run;
    } else if progress.dry_run != dry_run {
        let which = if progress.dry_run { "a dry run's" } else { "a repairing run's" };
        return Err(UseCaseError::invalid(
            "progress",
            format!("it is {which}; resume it the same way, or start afresh"),
        ));
    }
    let mut facilities: Vec<FacilityId> = ports.facilities.list().await?.into_iter().map(|f| f.id).collect();
    facilities.sort();
    let registered: HashSet<FacilityId> = facilities.iter().copied().collect();
    if progress.pass == Pass::Objects && !objects_pass(ports, options, &registered, &mut progress, observer).await? {
        return Ok(progress);
    }
    if progress.pass == Pass::Rows {
        rows_pass(ports, options.mode, &facilities, &mut progress, observer).await?;
        progress.pass = Pass::Done;
        if options.mode == ReindexMode::Repair {
            let event = AuditEvent::new(AuditKind::IndexRebuilt, Actor::System, now())
                .with_details(json!({ "counts": progress.counts }));
            append(ports.audit, event).await;
        }
        reached(observer, &progress)?;
    }
    Ok(progress)
}

fn reached(observer: &mut dyn ReindexObserver, progress: &ReindexProgress) -> Result<(), UseCaseError> {
    observer.reached(progress).map_err(|e| UseCaseError::Store(StoreError::backend(e)))
}

/// What examining one object came to.
enum Outcome {
    Export,
    Foreign,
    Orphaned,
    AlreadyIndexed,
    /// Deleted between the listing and the read.
    Vanished,
    Unreadable(&'static str),
    Mismatched,
    Indexed {
        study: StudyId,
        header_bytes: usize,
    },
}

/// Lists and examines every object; false when it stopped at `max_objects`.
async fn objects_pass(
    ports: ReindexPorts<'_>,
    options: ReindexOptions,
    registered: &HashSet<FacilityId>,
    progress: &mut ReindexProgress,
    observer: &mut dyn ReindexObserver,
) -> Result<bool, UseCaseError> {
    let mut examined = 0u64;
    loop {
        let budget = options.max_objects.map(|max| max.saturating_sub(examined));
        if budget == Some(0) {
            return Ok(false);
        }
        let limit = budget.map_or(options.page_size, |left| options.page_size.min(left as usize)).max(1);
        let page = ports.objects.list("", progress.objects_after.as_ref(), limit).await?;
        let Some(last) = page.last().map(|object| object.key.clone()) else {
            progress.pass = Pass::Rows;
            reached(observer, progress)?;
            return Ok(true);
        };
        let outcomes: Vec<Outcome> = stream::iter(&page)
            .map(|object| examine(ports, options.mode, registered, object))
            .buffered(options.concurrency.max(1))
            .try_collect()
            .await?;
        let mut touched = Vec::new();
        for (object, outcome) in page.iter().zip(outcomes) {
            let counts = &mut progress.counts;
            counts.objects += 1;
            let key = object.key.clone();
            match outcome {
                Outcome::Export | Outcome::Vanished => {}
                Outcome::AlreadyIndexed => counts.already_indexed += 1,
                Outcome::Foreign => {
                    counts.foreign += 1;
                    observer.found(&Finding::Foreign { key });
                }
                Outcome::Orphaned => {
                    counts.orphaned += 1;
                    observer.found(&Finding::Orphaned { key });
                }
                Outcome::Unreadable(why) => {
                    counts.unreadable += 1;
                    observer.found(&Finding::Unreadable { key, why });
                }
                Outcome::Mismatched => {
                    counts.mismatched += 1;
                    observer.found(&Finding::Mismatched { key });
                }
                Outcome::Indexed { study, header_bytes } => {
                    counts.indexed += 1;
                    counts.header_bytes += header_bytes as u64;
                    touched.push(study);
                    observer.found(&Finding::Indexed { key });
                }
            }
        }
        if options.mode == ReindexMode::Repair && !touched.is_empty() {
            touched.sort();
            touched.dedup();
            // The cloud index counts a study's aggregates when it is settled.
            ports.index.settle(&touched).await?;
        }
        examined += page.len() as u64;
        progress.objects_after = Some(last);
        reached(observer, progress)?;
    }
}

async fn examine(
    ports: ReindexPorts<'_>,
    mode: ReindexMode,
    registered: &HashSet<FacilityId>,
    object: &StoredObject,
) -> Result<Outcome, StoreError> {
    if object.key.as_str().starts_with(EXPORTS) {
        return Ok(Outcome::Export);
    }
    let Some(identity) = object.key.instance_identity() else { return Ok(Outcome::Foreign) };
    if !registered.contains(&identity.facility) {
        return Ok(Outcome::Orphaned);
    }
    if let Some(indexed) = ports.index.find_instance(identity.facility, &identity.sop_instance).await?
        && indexed.object_key == object.key
    {
        return Ok(Outcome::AlreadyIndexed);
    }
    let stored = match read_stored_header(ports.objects, &object.key).await? {
        HeaderRead::Read(stored) => stored,
        HeaderRead::Missing => return Ok(Outcome::Vanished),
        HeaderRead::Unreadable(why) => return Ok(Outcome::Unreadable(why)),
    };
    let record = match record_of(object, &identity, &stored) {
        Ok(record) => record,
        Err(outcome) => return Ok(outcome),
    };
    if mode == ReindexMode::Repair {
        ports.index.record_instance(&record, None).await?;
    }
    Ok(Outcome::Indexed { study: record.study_id(), header_bytes: stored.bytes_read })
}

/// The instance as the receiver would have recorded it, received when its
/// object was written; or why it cannot be.
fn record_of(
    object: &StoredObject,
    identity: &InstanceIdentity,
    stored: &StoredHeader,
) -> Result<InstanceRecord, Outcome> {
    let header = &stored.header;
    let names = |uid: &Option<String>, expected: &Uid| uid.as_deref() == Some(expected.as_str());
    if !names(&header.study_instance_uid, &identity.study)
        || !names(&header.series_instance_uid, &identity.series)
        || header.sop_instance_uid.as_deref().is_some_and(|uid| uid != identity.sop_instance.as_str())
    {
        return Err(Outcome::Mismatched);
    }
    let sop_class_uid = stored
        .sop_class_uid
        .as_deref()
        .and_then(|uid| Uid::parse(uid).ok())
        .ok_or(Outcome::Unreadable("it names no SOP class"))?;
    let transfer_syntax_uid =
        Uid::parse(&stored.transfer_syntax_uid).map_err(|_| Outcome::Unreadable("its transfer syntax is not a UID"))?;
    let source_ae_title = stored
        .source_ae_title
        .as_deref()
        .and_then(|title| AeTitle::parse(title).ok())
        .unwrap_or_else(|| AeTitle::parse(UNKNOWN_SOURCE).expect("a valid AE title"));
    Ok(InstanceRecord {
        facility_id: identity.facility,
        study_instance_uid: identity.study.clone(),
        series_instance_uid: identity.series.clone(),
        sop_instance_uid: identity.sop_instance.clone(),
        sop_class_uid,
        transfer_syntax_uid,
        instance_number: header.instance_number,
        object_key: object.key.clone(),
        size_bytes: object.size,
        received_at: chrono::SubsecRound::trunc_subsecs(object.modified, 6),
        source_ae_title,
        study: StudyAttributes::from(header),
        series: SeriesAttributes::from(header),
    })
}

/// Checks every facility's studies, from where the progress says, against
/// the objects under each study's prefix.
async fn rows_pass(
    ports: ReindexPorts<'_>,
    mode: ReindexMode,
    facilities: &[FacilityId],
    progress: &mut ReindexProgress,
    observer: &mut dyn ReindexObserver,
) -> Result<(), UseCaseError> {
    let limit = PageLimit::new(STUDIES_PER_PAGE).unwrap_or(PageLimit::DEFAULT);
    let resume_at = progress.rows_facility;
    for &facility in facilities.iter().filter(|id| resume_at.is_none_or(|current| **id >= current)) {
        if progress.rows_facility != Some(facility) {
            progress.rows_facility = Some(facility);
            progress.rows_after = None;
        }
        let filter = StudyFilter { facility_id: Some(facility), ..StudyFilter::default() };
        loop {
            let request = PageRequest { limit, after: progress.rows_after.clone() };
            let page = ports.index.list_studies(&filter, &request).await?;
            for study in &page.items {
                check_study(ports, mode, study, progress, observer).await?;
            }
            progress.rows_after = page.next_cursor;
            reached(observer, progress)?;
            if progress.rows_after.is_none() {
                break;
            }
        }
    }
    Ok(())
}

async fn check_study(
    ports: ReindexPorts<'_>,
    mode: ReindexMode,
    study: &StudySummary,
    progress: &mut ReindexProgress,
    observer: &mut dyn ReindexObserver,
) -> Result<(), UseCaseError> {
    let Some(detail) = ports.index.get_study(study.id).await? else { return Ok(()) };
    let prefix = format!("{}/{}/", study.facility_id, study.study_instance_uid);
    let mut present = HashSet::new();
    let mut after: Option<ObjectKey> = None;
    loop {
        let page = ports.objects.list(&prefix, after.as_ref(), STUDY_LISTING).await?;
        let full = page.len() == STUDY_LISTING;
        after = page.last().map(|object| object.key.clone());
        present.extend(page.into_iter().map(|object| object.key));
        if !full {
            break;
        }
    }
    for instance in &detail.instances {
        progress.counts.rows += 1;
        if present.contains(&instance.object_key) {
            continue;
        }
        progress.counts.rows_without_object += 1;
        observer.found(&Finding::RowWithoutObject { study: study.id, key: instance.object_key.clone() });
        if mode == ReindexMode::Repair {
            let deletion = row_removal(study, instance);
            begin_and_carry_out(ports.index, ports.objects, &deletion).await?;
        }
    }
    Ok(())
}

/// The deletion that removes the row of an instance whose object is gone.
fn row_removal(study: &StudySummary, instance: &InstanceSummary) -> Deletion {
    Deletion {
        id: uuid::Uuid::new_v4(),
        study: study.id,
        facility_id: study.facility_id,
        study_instance_uid: study.study_instance_uid.clone(),
        scope: DeletionScope::Instance {
            series_instance_uid: instance.series_instance_uid.clone(),
            sop_instance_uid: instance.sop_instance_uid.clone(),
        },
        requested_by: Actor::System,
        requested_at: now(),
        instances: 1,
        bytes: instance.size_bytes,
        cause: DeletionCause::ObjectMissing,
    }
}
