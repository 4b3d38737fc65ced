//! The registry archive: what `noctis-api export` writes and `import`
//! restores, one JSON object per line (JSON Lines). Format
//! `noctis-registry`, version 1:
//!
//! - first, `{"type": "header", "format": "noctis-registry", "version": 1, "exported_at": …}`;
//! - then one line per record, `{"type": "facility" | "user" | "report" | "ban" | "audit_event", "record": {…}}`,
//!   each record as Noctis stores it (users with their password hashes);
//! - last, `{"type": "end", "counts": {…}}`, so a truncated archive is told
//!   from a whole one.
//!
//! Studies, series and instances are not in it: they are rebuilt from the
//! objects (`noctis-api reindex`).

use serde::{Deserialize, Serialize};

use super::{AuditEvent, Ban, Facility, Report, Timestamp, User};

pub const ARCHIVE_FORMAT: &str = "noctis-registry";
pub const ARCHIVE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ArchiveLine {
    Header { format: String, version: u32, exported_at: Timestamp },
    Facility { record: Box<Facility> },
    User { record: Box<User> },
    Report { record: Box<Report> },
    Ban { record: Box<Ban> },
    AuditEvent { record: Box<AuditEvent> },
    End { counts: ArchiveCounts },
}

/// How many records of each kind an archive holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveCounts {
    pub facilities: u64,
    pub users: u64,
    pub reports: u64,
    pub bans: u64,
    pub audit_events: u64,
}

impl ArchiveCounts {
    /// Counts `line` as one record more.
    pub fn count(&mut self, line: &ArchiveLine) {
        match line {
            ArchiveLine::Facility { .. } => self.facilities += 1,
            ArchiveLine::User { .. } => self.users += 1,
            ArchiveLine::Report { .. } => self.reports += 1,
            ArchiveLine::Ban { .. } => self.bans += 1,
            ArchiveLine::AuditEvent { .. } => self.audit_events += 1,
            ArchiveLine::Header { .. } | ArchiveLine::End { .. } => {}
        }
    }
}

impl ArchiveLine {
    pub fn header(exported_at: Timestamp) -> Self {
        ArchiveLine::Header { format: ARCHIVE_FORMAT.into(), version: ARCHIVE_VERSION, exported_at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_tagged_by_type_and_the_end_carries_the_counts() {
        let at = crate::domain::now();
        let header = serde_json::to_value(ArchiveLine::header(at)).expect("serialises");
        assert_eq!((header["type"].as_str(), header["version"].as_u64()), (Some("header"), Some(1)));
        assert_eq!(header["format"], "noctis-registry");
        let mut counts = ArchiveCounts::default();
        counts.count(&ArchiveLine::header(at));
        let end = ArchiveLine::End { counts };
        let text = serde_json::to_string(&end).expect("serialises");
        assert_eq!(serde_json::from_str::<ArchiveLine>(&text).expect("reads back"), end);
        assert!(serde_json::from_str::<ArchiveLine>(r#"{"type": "study", "record": {}}"#).is_err(), "unknown type");
    }
}
