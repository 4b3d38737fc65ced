use noctis_core::Ports;
use noctis_core::domain::{
    Actor, AeTitle, AllowedNetworks, EmailAddress, Facility, FacilityDraft, FacilityName, LicenseNumber,
    MoveDestinations, PasswordHash, RetentionPeriod, Role, Timestamp, User, Username, now,
};
use noctis_core::ports::{StoreError, Taken};
use noctis_core::usecases::UseCaseError;
use noctis_core::usecases::facilities::{FirstUser, NewFacility, Registration, register_facility};

use crate::support::Fixture;

crate::contract_tests!(
    an_inserted_facility_reads_back_by_id_and_by_ae_title,
    a_taken_ae_title_is_refused,
    a_taken_licence_number_is_refused_whatever_its_case,
    racing_inserts_of_one_ae_title_have_exactly_one_winner,
    generated_titles_take_the_next_free_suffix,
    racing_registrations_from_one_name_get_distinct_titles,
    changing_the_ae_title_moves_its_uniqueness,
    an_update_from_a_stale_revision_is_refused,
    deactivation_is_stored_and_reversible,
    facilities_are_listed_by_name,
    unknown_facilities_are_absent,
    a_facility_and_its_first_user_are_registered_together,
    a_taken_first_username_leaves_no_facility_behind,
);

pub fn draft(name: &str, license: &str) -> FacilityDraft {
    FacilityDraft {
        name: FacilityName::parse(name).expect("name"),
        address: "1 Hospital Road".into(),
        phone: "+1 555 0100".into(),
        email: EmailAddress::parse("pacs@hospital.example").expect("email"),
        license_number: LicenseNumber::parse(license).expect("licence"),
        allowed_networks: AllowedNetworks::parse(&["203.0.113.0/24"]).expect("networks"),
        move_destinations: MoveDestinations::parse(&[("WS_1".into(), "ws1.hospital.example".into(), 104)])
            .expect("destinations"),
        retention: Some(RetentionPeriod::days(3650).expect("ten years")),
    }
}

fn ae(title: &str) -> AeTitle {
    AeTitle::parse(title).expect("ae title")
}

async fn an_inserted_facility_reads_back_by_id_and_by_ae_title(fx: &Fixture) {
    let facility = Facility::register(draft("Mercy Clinic", "LIC-1"), ae("MERCY"), now());
    fx.ports.facilities.insert(&facility, None).await.expect("inserts");
    assert_eq!(fx.ports.facilities.get(facility.id).await.expect("reads"), Some(facility.clone()));
    let found = fx.ports.facilities.find_by_ae_title(&ae("mercy")).await.expect("finds");
    assert_eq!(found, Some(facility));
}

async fn a_taken_ae_title_is_refused(fx: &Fixture) {
    let first = Facility::register(draft("Mercy", "LIC-1"), ae("MERCY"), now());
    fx.ports.facilities.insert(&first, None).await.expect("first inserts");
    let second = Facility::register(draft("Mercy Two", "LIC-2"), ae("MERCY"), now());
    let err = fx.ports.facilities.insert(&second, None).await.expect_err("second is refused");
    assert!(matches!(err, StoreError::Conflict(Taken::AeTitle)), "{err:?}");
    assert_eq!(fx.ports.facilities.get(second.id).await.expect("reads"), None, "nothing half-written");
}

async fn a_taken_licence_number_is_refused_whatever_its_case(fx: &Fixture) {
    let first = Facility::register(draft("Mercy", "moh-42"), ae("MERCY"), now());
    fx.ports.facilities.insert(&first, None).await.expect("first inserts");
    let second = Facility::register(draft("Other", "MOH-42"), ae("OTHER"), now());
    let err = fx.ports.facilities.insert(&second, None).await.expect_err("second is refused");
    assert!(matches!(err, StoreError::Conflict(Taken::LicenseNumber)), "{err:?}");
    // The refused insert did not keep its AE title either.
    let third = Facility::register(draft("Other", "MOH-43"), ae("OTHER"), now());
    fx.ports.facilities.insert(&third, None).await.expect("the title is still free");
}

async fn racing_inserts_of_one_ae_title_have_exactly_one_winner(fx: &Fixture) {
    let other = fx.second_handle().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let registry = if i % 2 == 0 { fx.ports.facilities.clone() } else { other.facilities.clone() };
        tasks.push(tokio::spawn(async move {
            let facility = Facility::register(draft("Racer", &format!("LIC-{i}")), ae("RACER"), now());
            registry.insert(&facility, None).await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => winners += 1,
            Err(StoreError::Conflict(Taken::AeTitle)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(fx.ports.facilities.list().await.expect("lists").len(), 1);
}

async fn generated_titles_take_the_next_free_suffix(fx: &Fixture) {
    let registry = &fx.ports;
    let a = register(registry, draft("City General Hospital", "L1"), None, None, now()).await.expect("first");
    let b = register(registry, draft("City General Hospital", "L2"), None, None, now()).await.expect("second");
    assert_eq!(a.facility.ae_title.as_str(), "CITY_GENERAL");
    assert_eq!(b.facility.ae_title.as_str(), "CITY_GENERAL_2");
    let chosen = register(registry, draft("Elsewhere", "L3"), Some(ae("CITY_GENERAL_2")), None, now()).await;
    assert!(chosen.is_err(), "a chosen title that is taken is refused, not renamed");
}

async fn racing_registrations_from_one_name_get_distinct_titles(fx: &Fixture) {
    let other = fx.second_handle().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let ports = if i % 2 == 0 { fx.ports.clone() } else { other.clone() };
        tasks.push(tokio::spawn(async move {
            register(&ports, draft("St Luke", &format!("SL-{i}")), None, None, now()).await
        }));
    }
    let mut titles = Vec::new();
    for task in tasks {
        titles.push(task.await.expect("task").expect("registers").facility.ae_title.to_string());
    }
    titles.sort();
    assert_eq!(titles, ["ST_LUKE", "ST_LUKE_2", "ST_LUKE_3", "ST_LUKE_4", "ST_LUKE_5", "ST_LUKE_6"]);
}

async fn changing_the_ae_title_moves_its_uniqueness(fx: &Fixture) {
    let registry = &fx.ports.facilities;
    let mut facility = Facility::register(draft("Mercy", "L1"), ae("MERCY"), now());
    registry.insert(&facility, None).await.expect("inserts");
    let blocker = Facility::register(draft("Blocker", "L2"), ae("TAKEN"), now());
    registry.insert(&blocker, None).await.expect("inserts");

    facility.ae_title = ae("TAKEN");
    let err = registry.update(&facility, now()).await.expect_err("taken title refused");
    assert!(matches!(err, StoreError::Conflict(Taken::AeTitle)), "{err:?}");

    facility.ae_title = ae("MERCY_NEW");
    let updated = registry.update(&facility, now()).await.expect("updates");
    assert_eq!(updated.revision, facility.revision + 1);
    assert_eq!(registry.find_by_ae_title(&ae("MERCY")).await.expect("reads"), None);
    assert_eq!(registry.find_by_ae_title(&ae("MERCY_NEW")).await.expect("reads").map(|f| f.id), Some(facility.id));
    let reuse = Facility::register(draft("Newcomer", "L3"), ae("MERCY"), now());
    registry.insert(&reuse, None).await.expect("the old title is free again");
}

async fn an_update_from_a_stale_revision_is_refused(fx: &Fixture) {
    let registry = &fx.ports.facilities;
    let facility = Facility::register(draft("Mercy", "L1"), ae("MERCY"), now());
    registry.insert(&facility, None).await.expect("inserts");
    let mut first = facility.clone();
    first.phone = "+1 555 0199".into();
    registry.update(&first, now()).await.expect("first edit");
    let mut second = facility.clone();
    second.address = "2 Other Road".into();
    let err = registry.update(&second, now()).await.expect_err("stale edit refused");
    assert!(matches!(err, StoreError::StaleRevision { .. }), "{err:?}");
    let stored = registry.get(facility.id).await.expect("reads").expect("exists");
    assert_eq!((stored.phone.as_str(), stored.address.as_str()), ("+1 555 0199", "1 Hospital Road"));
}

async fn deactivation_is_stored_and_reversible(fx: &Fixture) {
    let registry = &fx.ports.facilities;
    let facility = Facility::register(draft("Mercy", "L1"), ae("MERCY"), now());
    registry.insert(&facility, None).await.expect("inserts");
    let off = registry.set_active(facility.id, false, now()).await.expect("deactivates");
    assert!(!off.active);
    let found = registry.find_by_ae_title(&ae("MERCY")).await.expect("reads").expect("still registered");
    assert!(!found.active);
    let on = registry.set_active(facility.id, true, now()).await.expect("activates");
    assert!(on.active);
    assert_eq!(on.revision, facility.revision + 2);
}

async fn facilities_are_listed_by_name(fx: &Fixture) {
    for (name, license, title) in [("Zeta", "L1", "ZETA"), ("Alpha", "L2", "ALPHA"), ("Mid", "L3", "MID")] {
        fx.ports
            .facilities
            .insert(&Facility::register(draft(name, license), ae(title), now()), None)
            .await
            .expect("inserts");
    }
    let names: Vec<String> =
        fx.ports.facilities.list().await.expect("lists").iter().map(|f| f.name.to_string()).collect();
    assert_eq!(names, ["Alpha", "Mid", "Zeta"]);
}

async fn unknown_facilities_are_absent(fx: &Fixture) {
    let ghost = Facility::register(draft("Ghost", "L0"), ae("GHOST"), now());
    assert_eq!(fx.ports.facilities.get(ghost.id).await.expect("reads"), None);
    assert_eq!(fx.ports.facilities.find_by_ae_title(&ae("GHOST")).await.expect("reads"), None);
    let err = fx.ports.facilities.set_active(ghost.id, false, now()).await.expect_err("nothing to deactivate");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = fx.ports.facilities.update(&ghost, now()).await.expect_err("nothing to update");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

fn first_user(name: &str) -> FirstUser {
    FirstUser {
        username: Username::parse(name).expect("username"),
        email: EmailAddress::parse("staff@hospital.example").expect("email"),
        password: "a long enough password".into(),
    }
}

async fn a_facility_and_its_first_user_are_registered_together(fx: &Fixture) {
    let registration = register(&fx.ports, draft("Mercy", "L1"), None, Some(first_user("mercy.staff")), now())
        .await
        .expect("registers");
    let user = registration.first_user.expect("a first user");
    assert_eq!(user.role, Role::FacilityUser(registration.facility.id));
    let stored = fx.ports.users.find_by_username(&user.username).await.expect("reads").expect("stored");
    assert_eq!(stored.id, user.id);
    assert!(fx.ports.facilities.get(registration.facility.id).await.expect("reads").is_some());
}

async fn a_taken_first_username_leaves_no_facility_behind(fx: &Fixture) {
    let holder = first_user("taken.name");
    // Already hashed: the stored PHC string is all the directory sees.
    let hash = PasswordHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into());
    let existing = User::new(holder.username.clone(), holder.email.clone(), Role::Radiologist, hash, now());
    fx.ports.users.insert(&existing).await.expect("inserts");
    let err = register(&fx.ports, draft("Mercy", "L1"), None, Some(first_user("taken.name")), now())
        .await
        .expect_err("the username is taken");
    assert!(matches!(err, UseCaseError::Store(StoreError::Conflict(Taken::Username))), "{err:?}");
    assert!(fx.ports.facilities.list().await.expect("lists").is_empty(), "no facility was left registered");
    assert_eq!(fx.ports.facilities.find_by_ae_title(&ae("MERCY")).await.expect("reads"), None);
    // The title and licence were not claimed either: registering again succeeds.
    let again =
        register(&fx.ports, draft("Mercy", "L1"), None, None, now()).await.expect("the title and licence are free");
    assert_eq!(again.facility.ae_title.as_str(), "MERCY");
}

/// The registration use case over one handle's ports, audited as the system.
async fn register(
    ports: &Ports,
    draft: FacilityDraft,
    ae_title: Option<AeTitle>,
    first_user: Option<FirstUser>,
    at: Timestamp,
) -> Result<Registration, UseCaseError> {
    let request = NewFacility { draft, ae_title, first_user };
    register_facility(ports.facilities.as_ref(), ports.audit.as_ref(), &Actor::System, request, at).await
}
