//! Reports: one per study, versioned. A draft can be rewritten; finalising freezes
//! that version; writing after that creates an amended version. History is kept.

use serde::{Deserialize, Serialize};

use super::{StudyId, Timestamp, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Draft,
    Final,
    Amended,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportVersion {
    pub version: u32,
    pub status: ReportStatus,
    pub body: String,
    pub author: UserId,
    pub created_at: Timestamp,
    pub finalised_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub study_id: StudyId,
    /// Oldest first; the last one is current.
    pub versions: Vec<ReportVersion>,
    /// The stored revision this state was read at (0: none stored yet); the
    /// store bumps it when it writes.
    pub revision: u64,
}

/// What an author asks for when saving: keep it a draft, or sign it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Draft,
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("a report body cannot be empty")]
    EmptyBody,
    #[error("a final report cannot go back to draft; save it as final to amend it")]
    DraftAfterFinal,
}

impl Report {
    /// What a save writes: `self` one revision on.
    pub fn revised(&self) -> Report {
        Report { revision: self.revision + 1, ..self.clone() }
    }

    pub fn current(&self) -> Option<&ReportVersion> {
        self.versions.last()
    }

    /// The report as those outside the reading room see it: what was signed
    /// off, without a draft in progress; `None` while nothing was.
    pub fn signed_off(&self) -> Option<Report> {
        let versions: Vec<ReportVersion> =
            self.versions.iter().filter(|v| v.status != ReportStatus::Draft).cloned().collect();
        (!versions.is_empty()).then(|| Report { versions, ..self.clone() })
    }

    /// Applies a save by `author` and returns the new state.
    pub fn save(
        report: Option<Report>,
        study_id: StudyId,
        body: &str,
        intent: Intent,
        author: UserId,
        now: Timestamp,
    ) -> Result<Report, ReportError> {
        if body.trim().is_empty() {
            return Err(ReportError::EmptyBody);
        }
        let mut report = report.unwrap_or(Report { study_id, versions: Vec::new(), revision: 0 });
        let finalised_at = (intent == Intent::Final).then_some(now);
        match report.versions.last_mut() {
            // A draft is edited in place: drafts are working copies, not history.
            Some(current) if current.status == ReportStatus::Draft => {
                current.body = body.to_owned();
                current.author = author;
                current.created_at = now;
                if intent == Intent::Final {
                    current.status = ReportStatus::Final;
                    current.finalised_at = finalised_at;
                }
            }
            Some(current) => {
                if intent == Intent::Draft {
                    return Err(ReportError::DraftAfterFinal);
                }
                let version = current.version + 1;
                report.versions.push(ReportVersion {
                    version,
                    status: ReportStatus::Amended,
                    body: body.to_owned(),
                    author,
                    created_at: now,
                    finalised_at,
                });
            }
            None => report.versions.push(ReportVersion {
                version: 1,
                status: if intent == Intent::Final { ReportStatus::Final } else { ReportStatus::Draft },
                body: body.to_owned(),
                author,
                created_at: now,
                finalised_at,
            }),
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_off_leaves_out_drafts_and_is_nothing_before_a_final() {
        let (study, author, now) = (StudyId::new_random(), UserId::new_random(), chrono::Utc::now());
        let draft = Report::save(None, study, "draft", Intent::Draft, author, now).expect("draft");
        assert_eq!(draft.signed_off(), None);
        let fin = Report::save(Some(draft), study, "signed", Intent::Final, author, now).expect("final");
        let amended = Report::save(Some(fin), study, "addendum", Intent::Final, author, now).expect("amended");
        let seen = amended.signed_off().expect("signed off");
        assert_eq!(seen.versions, amended.versions);
        assert_eq!(seen.revision, amended.revision);
    }

    #[test]
    fn drafts_are_edited_finals_are_frozen_and_later_saves_amend() {
        let study = StudyId::new_random();
        let author = UserId::new_random();
        let now = chrono::Utc::now();
        let draft = Report::save(None, study, "first", Intent::Draft, author, now).expect("draft");
        let draft = Report::save(Some(draft), study, "second", Intent::Draft, author, now).expect("edit");
        assert_eq!(draft.versions.len(), 1);
        let fin = Report::save(Some(draft), study, "signed", Intent::Final, author, now).expect("final");
        assert_eq!(fin.current().map(|v| (v.version, v.status)), Some((1, ReportStatus::Final)));
        assert_eq!(
            Report::save(Some(fin.clone()), study, "oops", Intent::Draft, author, now),
            Err(ReportError::DraftAfterFinal)
        );
        let amended = Report::save(Some(fin), study, "corrected", Intent::Final, author, now).expect("amend");
        assert_eq!(amended.versions.len(), 2);
        assert_eq!(amended.versions[0].body, "signed");
        assert_eq!(amended.current().map(|v| (v.version, v.status)), Some((2, ReportStatus::Amended)));
        assert_eq!(Report::save(None, study, "  ", Intent::Draft, author, now), Err(ReportError::EmptyBody));
    }
}
