//! Writing a study's report: a draft is rewritten, a final one is amended.

use serde_json::json;

use super::UseCaseError;
use super::audit_trail::append;
use crate::domain::{Actor, AuditEvent, AuditKind, Intent, Report, ReportError, StudySummary, Timestamp, User};
use crate::ports::{AuditLog, ReportStore};

/// Longest report body accepted (characters).
pub const MAX_REPORT_LEN: usize = 200_000;

/// What an author submits.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub body: &'a str,
    pub intent: Intent,
    /// The report's revision the author edited (0: none was stored); `None`
    /// saves over whatever is stored.
    pub based_on: Option<u64>,
}

pub async fn write_report(
    reports: &dyn ReportStore,
    audit: &dyn AuditLog,
    author: &User,
    study: &StudySummary,
    submission: Submission<'_>,
    now: Timestamp,
) -> Result<Report, UseCaseError> {
    let Submission { body, intent, based_on } = submission;
    if body.chars().count() > MAX_REPORT_LEN {
        return Err(UseCaseError::invalid("body", format!("a report has at most {MAX_REPORT_LEN} characters")));
    }
    let before = reports.get(study.id).await?;
    let previous = before.as_ref().and_then(|r| r.current().map(|v| (v.version, v.status)));
    // The author edited the report as stored at revision `based_on` (0: not
    // yet written). If anyone saved since, theirs must not silently replace it.
    let stored_revision = before.as_ref().map_or(0, |r| r.revision);
    if let Some(read) = based_on
        && read != stored_revision
    {
        return Err(UseCaseError::Conflict(
            "someone saved this report after you opened it; read their version, then save again".into(),
        ));
    }
    let report = Report::save(before, study.id, body, intent, author.id, now).map_err(|e| match e {
        ReportError::EmptyBody => UseCaseError::invalid("body", e),
        ReportError::DraftAfterFinal => UseCaseError::Conflict(e.to_string()),
    })?;
    let report = reports.save(&report).await?;
    let current = report.current().map(|v| (v.version, v.status));
    let version = |v: Option<(u32, crate::domain::ReportStatus)>| {
        v.map(|(version, status)| json!({"version": version, "status": status}))
    };
    append(
        audit,
        AuditEvent::new(AuditKind::ReportSaved, Actor::user(author), now)
            .for_facility(study.facility_id)
            .with_details(json!({"study_id": study.id, "before": version(previous), "after": version(current)})),
    )
    .await;
    Ok(report)
}
