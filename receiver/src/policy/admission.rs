//! Who may associate (README "The receiver", the table of checks), decided
//! before negotiation: ban list → called AE → calling AE → facility active →
//! source network → caps.

use std::net::IpAddr;
use std::sync::Arc;

use dicom_ul::pdu::{
    AssociationRJ, AssociationRJResult, AssociationRJServiceProviderASCEReason,
    AssociationRJServiceProviderPresentationReason, AssociationRJServiceUserReason, AssociationRJSource, AssociationRQ,
};
use noctis_core::domain::{Actor, AeTitle, AuditEvent, AuditKind, BanPolicy, Facility, FacilityId, now};
use noctis_core::ports::{AuditLog, BanList};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::policy::facility_cache::FacilityCache;
use crate::policy::limits::{AddressSlots, FacilitySlots, Slot};

/// Why an association was refused, and what A-ASSOCIATE-RJ says so (PS3.8 9.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 1/2/2: PS3.8 9.3.2 — bit 0 of the protocol version (version 1) is not set.
    ProtocolVersionNotSupported,
    /// The address is banned: transient 2/3/2, so the modality's operator sees a
    /// reason rather than a reset connection.
    Banned,
    /// 1/1/7.
    CalledAeNotRecognised,
    /// 1/1/3: not a valid AE title, or no facility holds it.
    CallingAeNotRecognised,
    /// 1/1/3: the facility exists but is deactivated.
    FacilityInactive,
    /// 1/1/3: the facility only sends from networks this address is not in.
    AddressNotAllowed,
    /// 2/3/2 for each cap.
    ProcessLimit,
    AddressLimit,
    FacilityLimit,
    /// 2/3/1 (temporary congestion): the registry could not be asked.
    RegistryUnavailable,
}

impl Rejection {
    pub fn pdu(&self) -> AssociationRJ {
        let (result, source) = match self {
            Rejection::ProtocolVersionNotSupported => (
                AssociationRJResult::Permanent,
                AssociationRJSource::ServiceProviderASCE(
                    AssociationRJServiceProviderASCEReason::ProtocolVersionNotSupported,
                ),
            ),
            Rejection::CalledAeNotRecognised => (
                AssociationRJResult::Permanent,
                AssociationRJSource::ServiceUser(AssociationRJServiceUserReason::CalledAETitleNotRecognized),
            ),
            Rejection::CallingAeNotRecognised | Rejection::FacilityInactive | Rejection::AddressNotAllowed => (
                AssociationRJResult::Permanent,
                AssociationRJSource::ServiceUser(AssociationRJServiceUserReason::CallingAETitleNotRecognized),
            ),
            Rejection::Banned | Rejection::ProcessLimit | Rejection::AddressLimit | Rejection::FacilityLimit => (
                AssociationRJResult::Transient,
                AssociationRJSource::ServiceProviderPresentation(
                    AssociationRJServiceProviderPresentationReason::LocalLimitExceeded,
                ),
            ),
            Rejection::RegistryUnavailable => (
                AssociationRJResult::Transient,
                AssociationRJSource::ServiceProviderPresentation(
                    AssociationRJServiceProviderPresentationReason::TemporaryCongestion,
                ),
            ),
        };
        AssociationRJ { result, source }
    }

    /// The name used in audit events, logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Rejection::ProtocolVersionNotSupported => "protocol_version_not_supported",
            Rejection::Banned => "banned",
            Rejection::CalledAeNotRecognised => "called_ae_not_recognised",
            Rejection::CallingAeNotRecognised => "calling_ae_not_recognised",
            Rejection::FacilityInactive => "facility_inactive",
            Rejection::AddressNotAllowed => "address_not_allowed",
            Rejection::ProcessLimit => "process_limit",
            Rejection::AddressLimit => "address_limit",
            Rejection::FacilityLimit => "facility_limit",
            Rejection::RegistryUnavailable => "registry_unavailable",
        }
    }

    /// Failures that suggest probing count toward a ban; load does not. Nor does
    /// a deactivated facility: its modality retrying is no probe, and banning
    /// its address would shut out everyone behind the same NAT, and outlast the
    /// facility's reactivation.
    fn counts_toward_ban(&self) -> bool {
        match self {
            Rejection::CalledAeNotRecognised | Rejection::CallingAeNotRecognised | Rejection::AddressNotAllowed => true,
            Rejection::ProtocolVersionNotSupported
            | Rejection::FacilityInactive
            | Rejection::Banned
            | Rejection::ProcessLimit
            | Rejection::AddressLimit
            | Rejection::FacilityLimit
            | Rejection::RegistryUnavailable => false,
        }
    }
}

/// An admitted association: who it is, plus the cap slots it holds until dropped.
#[derive(Debug)]
pub struct Admitted {
    pub facility: Facility,
    pub calling_ae: AeTitle,
    _process_slot: OwnedSemaphorePermit,
    _address_slot: Slot<IpAddr>,
    _facility_slot: Slot<FacilityId>,
}

#[derive(Debug)]
pub struct Admission {
    pub scp_ae_title: AeTitle,
    pub facilities: FacilityCache,
    pub audit: Arc<dyn AuditLog>,
    pub bans: Arc<dyn BanList>,
    pub ban_policy: BanPolicy,
    /// Associations served at once by this process.
    pub process_slots: Arc<Semaphore>,
    pub address_slots: Arc<AddressSlots>,
    pub facility_slots: Arc<FacilitySlots>,
}

impl Admission {
    /// Decides on `rq` from `peer`, records the decision in the audit trail and,
    /// for a failure that counts, toward a ban.
    pub async fn admit(&self, rq: &AssociationRQ, peer: IpAddr) -> Result<Admitted, Rejection> {
        let decision = self.decide(rq, peer).await;
        let (kind, facility, details) = match &decision {
            Ok(admitted) => (
                AuditKind::AssociationAccepted,
                Some(admitted.facility.id),
                serde_json::json!({"calling_ae": rq.calling_ae_title.trim(), "called_ae": rq.called_ae_title.trim()}),
            ),
            Err((rejection, facility)) => (
                AuditKind::AssociationRejected,
                *facility,
                serde_json::json!({
                    "calling_ae": rq.calling_ae_title.trim(),
                    "called_ae": rq.called_ae_title.trim(),
                    "reason": rejection.label(),
                }),
            ),
        };
        let mut event =
            AuditEvent::new(kind, Actor::Modality { ae_title: rq.calling_ae_title.trim().to_owned() }, now())
                .from_peer(peer)
                .with_details(details);
        if let Some(facility) = facility {
            event = event.for_facility(facility);
        }
        if let Err(e) = self.audit.append(&event).await {
            tracing::error!(error = %e, "could not write the admission audit event");
        }
        if let Err((rejection, _)) = &decision
            && rejection.counts_toward_ban()
        {
            self.count_failure(peer, rejection.label()).await;
        }
        decision.map_err(|(rejection, _)| rejection)
    }

    /// The decision, and the facility concerned when the calling AE title is known.
    async fn decide(&self, rq: &AssociationRQ, peer: IpAddr) -> Result<Admitted, (Rejection, Option<FacilityId>)> {
        if rq.protocol_version & 1 == 0 {
            return Err((Rejection::ProtocolVersionNotSupported, None));
        }
        match self.bans.active_ban(peer, now()).await {
            Ok(Some(_)) => return Err((Rejection::Banned, None)),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "ban list unavailable");
                return Err((Rejection::RegistryUnavailable, None));
            }
        }
        match AeTitle::parse(&rq.called_ae_title) {
            Ok(called) if called == self.scp_ae_title => {}
            _ => return Err((Rejection::CalledAeNotRecognised, None)),
        }
        let calling_ae = AeTitle::parse(&rq.calling_ae_title).map_err(|_| (Rejection::CallingAeNotRecognised, None))?;
        let facility = match self.facilities.lookup(&calling_ae).await {
            Ok(Some(facility)) => facility,
            Ok(None) => return Err((Rejection::CallingAeNotRecognised, None)),
            Err(e) => {
                tracing::error!(error = %e, "facility registry unavailable");
                return Err((Rejection::RegistryUnavailable, None));
            }
        };
        let refuse = |rejection| Err((rejection, Some(facility.id)));
        if !facility.active {
            return refuse(Rejection::FacilityInactive);
        }
        if !facility.allowed_networks.permits(peer) {
            return refuse(Rejection::AddressNotAllowed);
        }
        let Ok(process_slot) = self.process_slots.clone().try_acquire_owned() else {
            return refuse(Rejection::ProcessLimit);
        };
        let Some(address_slot) = self.address_slots.try_acquire(peer) else {
            return refuse(Rejection::AddressLimit);
        };
        let Some(facility_slot) = self.facility_slots.try_acquire(facility.id) else {
            return refuse(Rejection::FacilityLimit);
        };
        Ok(Admitted {
            facility,
            calling_ae,
            _process_slot: process_slot,
            _address_slot: address_slot,
            _facility_slot: facility_slot,
        })
    }

    /// Counts a failure toward a ban: a refusal that counts, or a connection
    /// that never made a readable request (silence past ARTIM, a malformed or
    /// unexpected PDU).
    pub async fn count_failure(&self, peer: IpAddr, reason: &str) {
        match self.bans.record_failure(peer, reason, &self.ban_policy, now()).await {
            Ok(count) => {
                if let Some(ban) = count.banned {
                    tracing::warn!(peer = %peer, failures = count.failures_in_window, until = %ban.expires_at, "address banned");
                    let event = AuditEvent::new(AuditKind::AddressBanned, Actor::System, now())
                        .from_peer(peer)
                        .with_details(serde_json::json!({"reason": reason, "failures": ban.failures, "expires_at": ban.expires_at}));
                    if let Err(e) = self.audit.append(&event).await {
                        tracing::error!(error = %e, "could not write the ban audit event");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "could not count a failed admission"),
        }
    }
}
