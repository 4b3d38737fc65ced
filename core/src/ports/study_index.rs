use async_trait::async_trait;
use chrono::NaiveDate;

use super::StoreError;
use crate::domain::{
    AuditEvent, DailyActivity, Deletion, FacilityId, FacilityTotals, InstanceRecord, InstanceSummary, Page,
    PageRequest, Recorded, StudyChange, StudyDetail, StudyFilter, StudyId, StudySummary, Uid,
};

/// The index of received studies, series and instances.
#[async_trait]
pub trait StudyIndex: Send + Sync + std::fmt::Debug {
    /// Records an instance, together with `audit` when given, so the trail
    /// and the index never disagree. Once it returns, the instance is durable
    /// in the index: listed in its study, found by `find_instance`, and the
    /// study is listed. Recording the same (facility, study, series, SOP
    /// instance) again replaces it: counts stay, bytes follow the new size.
    ///
    /// Aggregates (a study's and its series' counts, bytes, modalities, last
    /// receipt; the facility's totals and daily activity) are exact once the
    /// study is settled (`settle`). The embedded backend keeps them in the
    /// same transaction, so its studies are always settled; the cloud one
    /// recomputes them from the instances when settled, so that concurrent
    /// writers into one study never contend for its row.
    async fn record_instance(
        &self,
        instance: &InstanceRecord,
        audit: Option<&AuditEvent>,
    ) -> Result<Recorded, StoreError>;

    /// Brings the aggregates of `studies` up to date with every instance
    /// recorded into them before the call. Idempotent, and safe to run
    /// concurrently with recording and with itself.
    async fn settle(&self, studies: &[StudyId]) -> Result<(), StoreError>;

    /// Settles every study holding an instance recorded more than
    /// `older_than` ago whose study was never settled since: the repair for
    /// a writer that stopped between recording and settling. Returns how many
    /// studies it settled.
    async fn settle_abandoned(&self, older_than: std::time::Duration) -> Result<usize, StoreError>;

    /// Studies matching `filter`, newest first received first, one page at a time.
    async fn list_studies(&self, filter: &StudyFilter, page: &PageRequest) -> Result<Page<StudySummary>, StoreError>;

    async fn get_study(&self, id: StudyId) -> Result<Option<StudyDetail>, StoreError>;

    /// The facility's totals, kept with the aggregates: one lookup. Exact
    /// once the facility's studies are settled (the cloud backend adds each
    /// study's change in the transaction that writes its new counts).
    async fn facility_totals(&self, facility: FacilityId) -> Result<FacilityTotals, StoreError>;

    /// What was received on each UTC day from `from` to `to` inclusive, by one
    /// facility or by all, ordered by day then facility; days a facility sent
    /// nothing are absent. Kept beside the totals (and as exact, see
    /// `facility_totals`): a bounded read per day however much was sent.
    async fn daily_activity(
        &self,
        facility: Option<FacilityId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyActivity>, StoreError>;

    /// The instance `sop_instance_uid` of `facility`, when it is stored and
    /// indexed: what Storage Commitment asks, which names neither study nor
    /// series. Read consistently with `record_instance`: an instance whose
    /// recording has returned is found.
    async fn find_instance(
        &self,
        facility: FacilityId,
        sop_instance_uid: &Uid,
    ) -> Result<Option<InstanceSummary>, StoreError>;

    /// Changes a study's workflow fields; `NotFound` for an unknown study.
    async fn update_study(&self, id: StudyId, change: StudyChange) -> Result<StudySummary, StoreError>;

    /// Writes `deletion` down before any of its objects is removed, so that
    /// one interrupted is found (`pending_deletions`) and finished.
    async fn begin_deletion(&self, deletion: &Deletion) -> Result<(), StoreError>;

    /// Deletions begun and not finished, oldest first.
    async fn pending_deletions(&self) -> Result<Vec<Deletion>, StoreError>;

    /// Removes the rows of the instances `deletion` takes (`Deletion::takes`),
    /// brings its study's and series' aggregates and the facility's totals to
    /// what remains, removes the study and its report when nothing remains,
    /// appends `audit`, and forgets the deletion. Daily activity keeps what
    /// was received: it is history. Idempotent: finishing a finished
    /// deletion changes nothing.
    async fn finish_deletion(&self, deletion: &Deletion, audit: &AuditEvent) -> Result<(), StoreError>;
}
