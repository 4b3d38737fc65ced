use chrono::Duration;
use noctis_core::domain::{
    Actor, AuditEvent, AuditKind, AuditQuery, FacilityId, PageLimit, PageRequest, RefusalCount, Timestamp, UserId,
    Username, now,
};

use crate::support::Fixture;

crate::contract_tests!(
    events_come_back_newest_first_within_the_time_range,
    events_filter_by_facility_actor_and_kind,
    pages_cover_the_trail_once_across_days,
    association_counts_cover_the_facilitys_days_in_the_window,
    refusals_are_counted_by_reason_over_whole_hours,
);

fn query(from: Timestamp, to: Timestamp) -> AuditQuery {
    AuditQuery { from, to, facility_id: None, actor: None, kind: None }
}

fn all(limit: u32) -> PageRequest {
    PageRequest::first(PageLimit::new(limit).expect("limit"))
}

async fn events_come_back_newest_first_within_the_time_range(fx: &Fixture) {
    let base = now() - Duration::hours(5);
    let mut ids = Vec::new();
    for i in 0..5 {
        let event = AuditEvent::new(AuditKind::SignIn, Actor::System, base + Duration::hours(i))
            .with_details(serde_json::json!({"n": i, "nested": {"ok": true}}))
            .from_peer("198.51.100.7".parse().expect("ip"));
        fx.ports.audit.append(&event).await.expect("appends");
        ids.push(event);
    }
    let page = fx
        .ports
        .audit
        .query(&query(base + Duration::hours(1), base + Duration::hours(4)), &all(50))
        .await
        .expect("queries");
    let got: Vec<_> = page.items.iter().map(|e| e.id).collect();
    assert_eq!(got, [ids[3].id, ids[2].id, ids[1].id]);
    assert_eq!(page.items[0], ids[3], "events round-trip whole");
}

async fn events_filter_by_facility_actor_and_kind(fx: &Fixture) {
    let base = now() - Duration::minutes(30);
    let facility = FacilityId::new_random();
    let admin = Actor::User { id: UserId::new_random(), username: Username::parse("admin").expect("name") };
    let modality = Actor::Modality { ae_title: "CT_1".into() };
    let events = [
        AuditEvent::new(AuditKind::AssociationAccepted, modality.clone(), base).for_facility(facility),
        AuditEvent::new(AuditKind::InstanceStored, modality.clone(), base + Duration::minutes(1))
            .for_facility(facility),
        AuditEvent::new(AuditKind::FacilityUpdated, admin.clone(), base + Duration::minutes(2)).for_facility(facility),
        AuditEvent::new(AuditKind::UserCreated, admin.clone(), base + Duration::minutes(3)),
        AuditEvent::new(
            AuditKind::AssociationRejected,
            Actor::Modality { ae_title: "UNKNOWN".into() },
            base + Duration::minutes(4),
        ),
    ];
    for event in &events {
        fx.ports.audit.append(event).await.expect("appends");
    }
    let run = |q: AuditQuery| async move {
        fx.ports.audit.query(&q, &all(50)).await.expect("queries").items.iter().map(|e| e.kind).collect::<Vec<_>>()
    };
    let window = query(base, now() + Duration::minutes(1));
    assert_eq!(
        run(AuditQuery { facility_id: Some(facility), ..window.clone() }).await,
        [AuditKind::FacilityUpdated, AuditKind::InstanceStored, AuditKind::AssociationAccepted]
    );
    assert_eq!(
        run(AuditQuery { actor: Some(admin.key()), ..window.clone() }).await,
        [AuditKind::UserCreated, AuditKind::FacilityUpdated]
    );
    assert_eq!(
        run(AuditQuery { kind: Some(AuditKind::AssociationRejected), ..window.clone() }).await,
        [AuditKind::AssociationRejected]
    );
    assert_eq!(
        run(AuditQuery {
            facility_id: Some(facility),
            actor: Some(modality.key()),
            kind: Some(AuditKind::InstanceStored),
            ..window
        })
        .await,
        [AuditKind::InstanceStored]
    );
}

async fn pages_cover_the_trail_once_across_days(fx: &Fixture) {
    let base = now() - Duration::days(4);
    let mut expected = Vec::new();
    for i in 0..9 {
        let event = AuditEvent::new(AuditKind::InstanceStored, Actor::System, base + Duration::hours(i * 10));
        fx.ports.audit.append(&event).await.expect("appends");
        expected.push(event.id);
    }
    expected.reverse();
    let mut request = all(4);
    let mut seen = Vec::new();
    loop {
        let page = fx.ports.audit.query(&query(base, now()), &request).await.expect("queries");
        seen.extend(page.items.iter().map(|e| e.id));
        match page.next_cursor {
            Some(cursor) => request.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

async fn association_counts_cover_the_facilitys_days_in_the_window(fx: &Fixture) {
    let (facility, other) = (FacilityId::new_random(), FacilityId::new_random());
    let at = now();
    let association = |kind, facility: Option<FacilityId>, when: Timestamp| {
        let event = AuditEvent::new(kind, Actor::System, when);
        match facility {
            Some(facility) => event.for_facility(facility),
            None => event,
        }
    };
    for event in [
        association(AuditKind::AssociationAccepted, Some(facility), at),
        association(AuditKind::AssociationAccepted, Some(facility), at - Duration::days(2)),
        association(AuditKind::AssociationRejected, Some(facility), at),
        association(AuditKind::AssociationAccepted, Some(facility), at - Duration::days(40)),
        association(AuditKind::AssociationAccepted, Some(other), at),
        // An unknown calling AE names no facility: counted nowhere.
        association(AuditKind::AssociationRejected, None, at),
        association(AuditKind::SignIn, Some(facility), at),
    ] {
        fx.ports.audit.append(&event).await.expect("appends");
    }
    let counts = |from: Timestamp| fx.ports.audit.association_counts(facility, from, at);
    let last_30_days = counts(at - Duration::days(30)).await.expect("counts");
    assert_eq!((last_30_days.accepted, last_30_days.rejected), (2, 1));
    let last_50_days = counts(at - Duration::days(50)).await.expect("counts");
    assert_eq!((last_50_days.accepted, last_50_days.rejected), (3, 1));
    let nothing = fx.ports.audit.association_counts(FacilityId::new_random(), at - Duration::days(30), at);
    assert_eq!(nothing.await.expect("counts"), Default::default());
}

async fn refusals_are_counted_by_reason_over_whole_hours(fx: &Fixture) {
    let at = now();
    let refused = |reason: Option<&str>, when: Timestamp, facility: Option<FacilityId>| {
        let mut event = AuditEvent::new(AuditKind::AssociationRejected, Actor::System, when);
        if let Some(reason) = reason {
            event = event.with_details(serde_json::json!({"reason": reason}));
        }
        if let Some(facility) = facility {
            event = event.for_facility(facility);
        }
        event
    };
    let facility = FacilityId::new_random();
    let long_reason = "x".repeat(65);
    for event in [
        // An unknown AE title has no facility; a deactivated one has.
        refused(Some("calling_ae_title_unknown"), at, None),
        refused(Some("calling_ae_title_unknown"), at - Duration::hours(23), None),
        refused(Some("facility_inactive"), at, Some(facility)),
        refused(None, at, None),
        refused(Some(&long_reason), at, None),
        // Outside the window, and not a refusal.
        refused(Some("calling_ae_title_unknown"), at - Duration::hours(30), None),
        AuditEvent::new(AuditKind::AssociationAccepted, Actor::System, at).for_facility(facility),
    ] {
        fx.ports.audit.append(&event).await.expect("appends");
    }
    let counts = fx.ports.audit.refusals_by_reason(at - Duration::hours(23), at).await.expect("counts");
    let count = |reason: &str, refusals| RefusalCount { reason: reason.to_owned(), refusals };
    assert_eq!(counts, [count("calling_ae_title_unknown", 2), count("unspecified", 2), count("facility_inactive", 1)]);
}
