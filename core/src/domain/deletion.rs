//! Deleting received images: a study, one of its series, or one instance;
//! and the source's end of a study moved to another facility.
//! A deletion is written down before any object goes, so that one
//! interrupted at any point is found and finished; which instances it takes
//! is decided here, once, for both backends.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    Actor, AuditEvent, AuditEventId, AuditKind, FacilityId, InstanceSummary, RetentionPeriod, StudyId, Timestamp, Uid,
};

/// What is deleted within one study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum DeletionScope {
    Study,
    Series { series_instance_uid: Uid },
    Instance { series_instance_uid: Uid, sop_instance_uid: Uid },
}

impl DeletionScope {
    pub fn covers(&self, instance: &InstanceSummary) -> bool {
        match self {
            DeletionScope::Study => true,
            DeletionScope::Series { series_instance_uid } => &instance.series_instance_uid == series_instance_uid,
            DeletionScope::Instance { series_instance_uid, sop_instance_uid } => {
                &instance.series_instance_uid == series_instance_uid && &instance.sop_instance_uid == sop_instance_uid
            }
        }
    }

    pub fn audit_kind(&self) -> AuditKind {
        match self {
            DeletionScope::Study => AuditKind::StudyDeleted,
            DeletionScope::Series { .. } => AuditKind::SeriesDeleted,
            DeletionScope::Instance { .. } => AuditKind::InstanceDeleted,
        }
    }
}

/// A deletion asked for and not yet finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub id: uuid::Uuid,
    pub study: StudyId,
    pub facility_id: FacilityId,
    pub study_instance_uid: Uid,
    pub scope: DeletionScope,
    pub requested_by: Actor,
    pub requested_at: Timestamp,
    /// How many instances, and how many bytes, it takes: counted when it
    /// was asked for, so its audit event says the same however often it is
    /// resumed.
    pub instances: u64,
    pub bytes: u64,
    /// Why it was asked for; its audit event says so.
    #[serde(default)]
    pub cause: DeletionCause,
}

/// Why a deletion was asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeletionCause {
    /// An administrator asked.
    #[default]
    Requested,
    /// It ends a move: the facility the study was moved to, whose copy is
    /// complete. Its audit event is the move's.
    Moved { to: FacilityId },
    /// The retention job: the study outlived its facility's period.
    Expired { retention: RetentionPeriod },
    /// Rebuilding the index found rows whose objects are gone from storage.
    ObjectMissing,
}

impl Deletion {
    /// Whether this deletion removes `instance`: in its scope, and recorded
    /// no later than the deletion was asked for. An instance a modality sent
    /// again afterwards is a new receipt, and stays.
    pub fn takes(&self, instance: &InstanceSummary) -> bool {
        self.scope.covers(instance) && instance.received_at <= self.requested_at
    }

    /// The audit event that ends it. Its id and time are the deletion's, so
    /// a deletion finished twice (a retry racing the sweep) leaves one event.
    /// It keeps identifiers and counts, never an image or a name.
    pub fn audit_event(&self) -> AuditEvent {
        let mut details = json!({
            "study_id": self.study,
            "study_instance_uid": self.study_instance_uid,
            "instances": self.instances,
            "bytes": self.bytes,
        });
        match &self.scope {
            DeletionScope::Study => {}
            DeletionScope::Series { series_instance_uid } => {
                details["series_instance_uid"] = json!(series_instance_uid);
            }
            DeletionScope::Instance { series_instance_uid, sop_instance_uid } => {
                details["series_instance_uid"] = json!(series_instance_uid);
                details["sop_instance_uid"] = json!(sop_instance_uid);
            }
        }
        let kind = match self.cause {
            DeletionCause::Requested => self.scope.audit_kind(),
            DeletionCause::Moved { to } => {
                details["moved_to_facility_id"] = json!(to);
                AuditKind::StudyMoved
            }
            DeletionCause::Expired { retention } => {
                details["retention_days"] = json!(retention.as_days());
                self.scope.audit_kind()
            }
            DeletionCause::ObjectMissing => {
                details["reason"] = json!("object_missing");
                self.scope.audit_kind()
            }
        };
        let mut event = AuditEvent::new(kind, self.requested_by.clone(), self.requested_at)
            .for_facility(self.facility_id)
            .with_details(details);
        event.id = AuditEventId::from_uuid(self.id);
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ObjectKey, now};

    fn instance(series: &str, sop: &str, received_at: Timestamp) -> InstanceSummary {
        let uid = |s: &str| Uid::parse(s).expect("valid uid");
        InstanceSummary {
            series_instance_uid: uid(series),
            sop_instance_uid: uid(sop),
            sop_class_uid: uid("1.2.840.10008.5.1.4.1.1.2"),
            transfer_syntax_uid: uid("1.2.840.10008.1.2.1"),
            instance_number: None,
            object_key: ObjectKey::from_stored(format!("f/1/{series}/{sop}.dcm")),
            size_bytes: 10,
            received_at,
        }
    }

    fn deletion(scope: DeletionScope, requested_at: Timestamp) -> Deletion {
        Deletion {
            id: uuid::Uuid::new_v4(),
            study: StudyId::new_random(),
            facility_id: FacilityId::new_random(),
            study_instance_uid: Uid::parse("1.2").expect("valid uid"),
            scope,
            requested_by: Actor::System,
            requested_at,
            instances: 1,
            bytes: 10,
            cause: DeletionCause::Requested,
        }
    }

    #[test]
    fn a_deletion_takes_its_scope_and_only_what_was_received_before_it() {
        let asked = now();
        let before = asked - chrono::Duration::seconds(5);
        let after = asked + chrono::Duration::seconds(5);
        let series = DeletionScope::Series { series_instance_uid: Uid::parse("1.2.3").expect("uid") };
        let one = DeletionScope::Instance {
            series_instance_uid: Uid::parse("1.2.3").expect("uid"),
            sop_instance_uid: Uid::parse("1.2.3.1").expect("uid"),
        };
        let study = deletion(DeletionScope::Study, asked);
        assert!(study.takes(&instance("1.2.4", "1.2.4.1", before)));
        assert!(!study.takes(&instance("1.2.4", "1.2.4.1", after)), "sent again after the deletion was asked");
        let series = deletion(series, asked);
        assert!(series.takes(&instance("1.2.3", "1.2.3.9", asked)));
        assert!(!series.takes(&instance("1.2.4", "1.2.4.1", before)));
        let one = deletion(one, asked);
        assert!(one.takes(&instance("1.2.3", "1.2.3.1", before)));
        assert!(!one.takes(&instance("1.2.3", "1.2.3.2", before)));
    }

    #[test]
    fn its_audit_event_is_named_by_the_deletion_and_keeps_identifiers_only() {
        let one = deletion(
            DeletionScope::Instance {
                series_instance_uid: Uid::parse("1.2.3").expect("uid"),
                sop_instance_uid: Uid::parse("1.2.3.1").expect("uid"),
            },
            now(),
        );
        let event = one.audit_event();
        assert_eq!(event.at, one.requested_at);
        assert_eq!(event.id.as_uuid(), one.id);
        assert_eq!(event.kind, AuditKind::InstanceDeleted);
        assert_eq!(event.facility_id, Some(one.facility_id));
        assert_eq!(event.details["sop_instance_uid"], "1.2.3.1");
        assert_eq!(event.details["instances"], 1);
    }
}
