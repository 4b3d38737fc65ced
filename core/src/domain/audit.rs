//! The audit trail: who did what, when, from where, to which facility.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{AeTitle, AuditEventId, FacilityId, Timestamp, UserId, Username};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: Timestamp,
    pub kind: AuditKind,
    pub actor: Actor,
    pub facility_id: Option<FacilityId>,
    pub peer_address: Option<IpAddr>,
    /// Kind-specific facts (AE titles, reasons, before/after). Never patient names.
    pub details: serde_json::Value,
}

impl AuditEvent {
    pub fn new(kind: AuditKind, actor: Actor, at: Timestamp) -> Self {
        Self {
            id: AuditEventId::new_random(),
            at,
            kind,
            actor,
            facility_id: None,
            peer_address: None,
            details: serde_json::Value::Null,
        }
    }

    pub fn for_facility(mut self, facility: FacilityId) -> Self {
        self.facility_id = Some(facility);
        self
    }

    pub fn from_peer(mut self, addr: IpAddr) -> Self {
        self.peer_address = Some(addr);
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    AssociationAccepted,
    AssociationRejected,
    InstanceStored,
    /// A C-FIND answered (or refused) for a facility's modality or workstation.
    DicomQuery,
    /// A C-GET's instances sent back to a facility's workstation.
    DicomRetrieve,
    /// A Storage Commitment request answered, with how many were committed.
    StorageCommitment,
    SignIn,
    SignInFailed,
    FacilityCreated,
    FacilityUpdated,
    FacilityActivated,
    FacilityDeactivated,
    UserCreated,
    UserUpdated,
    PasswordChanged,
    StudyUpdated,
    /// A study, series or instance deleted by an administrator or by retention.
    StudyDeleted,
    SeriesDeleted,
    InstanceDeleted,
    /// A study moved to the facility it should have been sent to.
    StudyMoved,
    /// The index rebuilt from the objects in storage, with what was found.
    IndexRebuilt,
    ReportSaved,
    AddressBanned,
    BanLifted,
}

impl AuditKind {
    pub const ALL: [AuditKind; 24] = [
        AuditKind::AssociationAccepted,
        AuditKind::AssociationRejected,
        AuditKind::InstanceStored,
        AuditKind::DicomQuery,
        AuditKind::DicomRetrieve,
        AuditKind::StorageCommitment,
        AuditKind::SignIn,
        AuditKind::SignInFailed,
        AuditKind::FacilityCreated,
        AuditKind::FacilityUpdated,
        AuditKind::FacilityActivated,
        AuditKind::FacilityDeactivated,
        AuditKind::UserCreated,
        AuditKind::UserUpdated,
        AuditKind::PasswordChanged,
        AuditKind::StudyUpdated,
        AuditKind::StudyDeleted,
        AuditKind::SeriesDeleted,
        AuditKind::InstanceDeleted,
        AuditKind::StudyMoved,
        AuditKind::IndexRebuilt,
        AuditKind::ReportSaved,
        AuditKind::AddressBanned,
        AuditKind::BanLifted,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            AuditKind::AssociationAccepted => "association_accepted",
            AuditKind::AssociationRejected => "association_rejected",
            AuditKind::InstanceStored => "instance_stored",
            AuditKind::DicomQuery => "dicom_query",
            AuditKind::DicomRetrieve => "dicom_retrieve",
            AuditKind::StorageCommitment => "storage_commitment",
            AuditKind::SignIn => "sign_in",
            AuditKind::SignInFailed => "sign_in_failed",
            AuditKind::FacilityCreated => "facility_created",
            AuditKind::FacilityUpdated => "facility_updated",
            AuditKind::FacilityActivated => "facility_activated",
            AuditKind::FacilityDeactivated => "facility_deactivated",
            AuditKind::UserCreated => "user_created",
            AuditKind::UserUpdated => "user_updated",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::StudyUpdated => "study_updated",
            AuditKind::StudyDeleted => "study_deleted",
            AuditKind::SeriesDeleted => "series_deleted",
            AuditKind::InstanceDeleted => "instance_deleted",
            AuditKind::StudyMoved => "study_moved",
            AuditKind::IndexRebuilt => "index_rebuilt",
            AuditKind::ReportSaved => "report_saved",
            AuditKind::AddressBanned => "address_banned",
            AuditKind::BanLifted => "ban_lifted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    User {
        id: UserId,
        username: Username,
    },
    /// A modality, known by the calling AE title it presented.
    Modality {
        ae_title: String,
    },
    System,
}

impl Actor {
    /// The value the audit trail is filtered by: `user:<id>`, `ae:<title>`, `system`.
    pub fn key(&self) -> String {
        match self {
            Actor::User { id, .. } => format!("user:{id}"),
            Actor::Modality { ae_title } => format!("ae:{ae_title}"),
            Actor::System => "system".to_owned(),
        }
    }

    pub fn user(user: &super::User) -> Self {
        Actor::User { id: user.id, username: user.username.clone() }
    }

    pub fn modality(ae_title: &AeTitle) -> Self {
        Actor::Modality { ae_title: ae_title.to_string() }
    }
}

/// Audit trail filters; results come newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// At or after.
    pub from: Timestamp,
    /// Before.
    pub to: Timestamp,
    pub facility_id: Option<FacilityId>,
    /// An `Actor::key`.
    pub actor: Option<String>,
    pub kind: Option<AuditKind>,
}

impl AuditQuery {
    pub fn matches(&self, event: &AuditEvent) -> bool {
        event.at >= self.from
            && event.at < self.to
            && self.facility_id.is_none_or(|f| event.facility_id == Some(f))
            && self.actor.as_ref().is_none_or(|a| *a == event.actor.key())
            && self.kind.is_none_or(|k| k == event.kind)
    }
}

/// How many associations of one facility were accepted and refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssociationCounts {
    pub accepted: u64,
    pub rejected: u64,
}

impl AuditEvent {
    /// Which of a facility's daily association counts this event adds to:
    /// `Some(true)` accepted, `Some(false)` refused, `None` not counted.
    pub fn association_outcome(&self) -> Option<(FacilityId, bool)> {
        let facility = self.facility_id?;
        match self.kind {
            AuditKind::AssociationAccepted => Some((facility, true)),
            AuditKind::AssociationRejected => Some((facility, false)),
            _ => None,
        }
    }
}

impl AuditEvent {
    /// Why an association was refused, for the hourly refusal counts; `None`
    /// for any other event. The receiver's reasons are a fixed set of labels;
    /// anything else (missing, or too long to be one) counts as `unspecified`.
    pub fn refusal_reason(&self) -> Option<&str> {
        (self.kind == AuditKind::AssociationRejected).then(|| {
            self.details
                .get("reason")
                .and_then(serde_json::Value::as_str)
                .filter(|reason| !reason.is_empty() && reason.len() <= MAX_REASON_LEN)
                .unwrap_or("unspecified")
        })
    }
}

const MAX_REASON_LEN: usize = 64;

/// Associations refused, by reason, over whole UTC hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalCount {
    pub reason: String,
    pub refusals: u64,
}

/// The UTC hour an event falls in, as the refusal counts key it (`2026-11-27T09`).
pub fn audit_hour(at: Timestamp) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// The UTC day an event falls on, as the daily counts key it (`2026-11-27`).
pub fn audit_day(at: Timestamp) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Events are listed newest first by this key; cursors are these keys.
pub fn audit_sort_key(event: &AuditEvent) -> String {
    format!("{}#{}", super::sortable_time(event.at), event.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, serde_json::Value::String(kind.as_str().into()));
        }
    }
}
