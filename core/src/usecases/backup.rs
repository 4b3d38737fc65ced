//! Exporting the registry (facilities, users, reports, bans, the audit trail)
//! as a registry archive, and importing one into an empty backend: of either
//! kind, from either kind, so a site outgrowing one machine moves from the
//! embedded backend to AWS with its history. Together with a copy of the
//! objects and a rebuild of the index from them (`reindex`), it is a full
//! restore.
//!
//! An export reads a page at a time and hands each line on as it goes; an
//! import writes each record as it reads it. The archive ends with its
//! counts, and an import checks them: one cut short is refused at its end,
//! and what it wrote is in a backend to be discarded, never merged into.

use chrono::NaiveTime;

use super::UseCaseError;
use crate::domain::{
    ARCHIVE_FORMAT, ARCHIVE_VERSION, ArchiveCounts, ArchiveLine, AuditQuery, FacilityId, PageLimit, PageRequest,
    Report, StudyFilter, Timestamp,
};
use crate::ports::{AuditLog, BanList, FacilityRegistry, ReportStore, StoreError, StudyIndex, UserDirectory};

/// The ports a registry archive is made from and restored into.
#[derive(Debug, Clone, Copy)]
pub struct BackupPorts<'a> {
    pub facilities: &'a dyn FacilityRegistry,
    pub users: &'a dyn UserDirectory,
    pub reports: &'a dyn ReportStore,
    pub bans: &'a dyn BanList,
    pub audit: &'a dyn AuditLog,
    /// Where reports are found: each study's, a page of studies at a time.
    pub index: &'a dyn StudyIndex,
}

/// Writes the registry as archive lines to `write`, header first and end
/// last; returns the counts. Bans are those in force at `now`; audit events
/// from the day before the first facility or user was created.
pub async fn export(
    ports: BackupPorts<'_>,
    now: Timestamp,
    write: &mut (dyn FnMut(&ArchiveLine) -> std::io::Result<()> + Send),
) -> Result<ArchiveCounts, UseCaseError> {
    let mut counts = ArchiveCounts::default();
    let mut emit = |line: ArchiveLine| -> Result<(), UseCaseError> {
        counts.count(&line);
        write(&line).map_err(|e| UseCaseError::Store(StoreError::backend(e)))
    };
    emit(ArchiveLine::header(now))?;
    let facilities = ports.facilities.list().await?;
    let users = ports.users.list().await?;
    let first_record = facilities.iter().map(|f| f.created_at).chain(users.iter().map(|u| u.created_at)).min();
    let ids: Vec<FacilityId> = facilities.iter().map(|f| f.id).collect();
    for facility in facilities {
        emit(ArchiveLine::Facility { record: Box::new(facility) })?;
    }
    for user in users {
        emit(ArchiveLine::User { record: Box::new(user) })?;
    }
    for facility in ids {
        for report in reports_of(ports, facility).await? {
            emit(ArchiveLine::Report { record: Box::new(report) })?;
        }
    }
    for ban in ports.bans.list_active(now).await? {
        emit(ArchiveLine::Ban { record: Box::new(ban) })?;
    }
    if let Some(first) = first_record {
        let from = first.date_naive().pred_opt().unwrap_or(first.date_naive()).and_time(NaiveTime::MIN).and_utc();
        let query =
            AuditQuery { from, to: now + chrono::Duration::seconds(1), facility_id: None, actor: None, kind: None };
        let mut page = PageRequest::first(PageLimit::new(PageLimit::MAX).unwrap_or(PageLimit::DEFAULT));
        loop {
            let events = ports.audit.query(&query, &page).await?;
            for event in events.items {
                emit(ArchiveLine::AuditEvent { record: Box::new(event) })?;
            }
            match events.next_cursor {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
    }
    let end = ArchiveLine::End { counts };
    write(&end).map_err(|e| UseCaseError::Store(StoreError::backend(e)))?;
    Ok(counts)
}

/// Every report of a facility's studies.
async fn reports_of(ports: BackupPorts<'_>, facility: FacilityId) -> Result<Vec<Report>, UseCaseError> {
    let filter = StudyFilter { facility_id: Some(facility), ..StudyFilter::default() };
    let mut page = PageRequest::first(PageLimit::new(PageLimit::MAX).unwrap_or(PageLimit::DEFAULT));
    let mut reports = Vec::new();
    loop {
        let studies = ports.index.list_studies(&filter, &page).await?;
        for study in &studies.items {
            if let Some(report) = ports.reports.get(study.id).await? {
                reports.push(report);
            }
        }
        match studies.next_cursor {
            Some(after) => page.after = Some(after),
            None => return Ok(reports),
        }
    }
}

/// Restores archive `lines` into an empty backend (no facility, no user);
/// returns the counts it restored. Refuses a backend with records, an
/// archive of another format or version, and one that does not end with
/// the counts of what it holds.
pub async fn import<I>(ports: BackupPorts<'_>, lines: I) -> Result<ArchiveCounts, UseCaseError>
where
    I: IntoIterator<Item = Result<ArchiveLine, String>>,
{
    if !ports.facilities.list().await?.is_empty() || !ports.users.list().await?.is_empty() {
        return Err(UseCaseError::Conflict(
            "an archive is imported into an empty backend, and this one has facilities or users".into(),
        ));
    }
    let mut lines = lines.into_iter().enumerate();
    match lines.next() {
        Some((_, Ok(ArchiveLine::Header { format, version, .. })))
            if format == ARCHIVE_FORMAT && version == ARCHIVE_VERSION => {}
        Some((_, Ok(ArchiveLine::Header { format, version, .. }))) => {
            return Err(UseCaseError::invalid(
                "archive",
                format!("{format} version {version} is not {ARCHIVE_FORMAT} version {ARCHIVE_VERSION}"),
            ));
        }
        _ => return Err(UseCaseError::invalid("archive", "line 1 is not a registry archive's header")),
    }
    let mut restored = ArchiveCounts::default();
    for (index, line) in lines {
        let number = index + 1;
        let line = line.map_err(|e| UseCaseError::invalid("archive", format!("line {number}: {e}")))?;
        match &line {
            ArchiveLine::Header { .. } => {
                return Err(UseCaseError::invalid("archive", format!("line {number}: a second header")));
            }
            ArchiveLine::End { counts } if *counts == restored => return Ok(restored),
            ArchiveLine::End { counts } => {
                return Err(UseCaseError::invalid(
                    "archive",
                    format!("line {number}: it says it holds {counts:?}, and holds {restored:?}"),
                ));
            }
            ArchiveLine::Facility { record } => ports.facilities.insert(record, None).await?,
            ArchiveLine::User { record } => ports.users.insert(record).await?,
            ArchiveLine::Report { record } => {
                // Written as new, with its whole history.
                ports.reports.save(&Report { revision: 0, ..(**record).clone() }).await?;
            }
            ArchiveLine::Ban { record } => ports.bans.restore(record).await?,
            ArchiveLine::AuditEvent { record } => ports.audit.append(record).await?,
        }
        restored.count(&line);
    }
    Err(UseCaseError::invalid("archive", "it ends before its counts: it was cut short"))
}
