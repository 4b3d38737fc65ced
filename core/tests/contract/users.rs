use noctis_core::domain::{EmailAddress, FacilityId, PasswordHash, Role, User, Username, now};
use noctis_core::ports::{StoreError, Taken};

use crate::support::Fixture;

crate::contract_tests!(
    an_inserted_user_reads_back_by_id_and_by_username,
    a_taken_username_is_refused,
    updates_change_role_and_flags_but_never_the_username,
    an_update_from_a_stale_revision_is_refused,
    users_are_listed_by_username,
);

fn user(name: &str, role: Role) -> User {
    User::new(
        Username::parse(name).expect("username"),
        EmailAddress::parse("someone@hospital.example").expect("email"),
        role,
        PasswordHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into()),
        now(),
    )
}

async fn an_inserted_user_reads_back_by_id_and_by_username(fx: &Fixture) {
    let facility = FacilityId::new_random();
    let u = user("jdoe", Role::FacilityUser(facility));
    fx.ports.users.insert(&u).await.expect("inserts");
    assert_eq!(fx.ports.users.get(u.id).await.expect("reads"), Some(u.clone()));
    let by_name = fx.ports.users.find_by_username(&Username::parse("JDoe").expect("name")).await.expect("reads");
    assert_eq!(by_name.map(|found| found.role), Some(Role::FacilityUser(facility)));
    assert_eq!(fx.ports.users.find_by_username(&Username::parse("nobody").expect("name")).await.expect("reads"), None);
}

async fn a_taken_username_is_refused(fx: &Fixture) {
    fx.ports.users.insert(&user("jdoe", Role::Radiologist)).await.expect("inserts");
    let twin = user("JDOE", Role::Administrator);
    let err = fx.ports.users.insert(&twin).await.expect_err("refused");
    assert!(matches!(err, StoreError::Conflict(Taken::Username)), "{err:?}");
    assert_eq!(fx.ports.users.get(twin.id).await.expect("reads"), None);
}

async fn updates_change_role_and_flags_but_never_the_username(fx: &Fixture) {
    let original = user("jdoe", Role::Radiologist);
    fx.ports.users.insert(&original).await.expect("inserts");
    let mut edit = original.clone();
    edit.role = Role::Administrator;
    edit.active = false;
    edit.verified = true;
    edit.username = Username::parse("someone_else").expect("name");
    let stored = fx.ports.users.update(&edit, now()).await.expect("updates");
    assert_eq!((stored.role, stored.active, stored.verified), (Role::Administrator, false, true));
    assert_eq!(stored.username.as_str(), "jdoe");
    assert_eq!(fx.ports.users.get(original.id).await.expect("reads"), Some(stored));
}

async fn an_update_from_a_stale_revision_is_refused(fx: &Fixture) {
    let original = user("jdoe", Role::Radiologist);
    fx.ports.users.insert(&original).await.expect("inserts");
    fx.ports.users.update(&original, now()).await.expect("first update");
    let err = fx.ports.users.update(&original, now()).await.expect_err("stale");
    assert!(matches!(err, StoreError::StaleRevision { .. }), "{err:?}");
}

async fn users_are_listed_by_username(fx: &Fixture) {
    for name in ["zoe", "adam", "mike"] {
        fx.ports.users.insert(&user(name, Role::Radiologist)).await.expect("inserts");
    }
    let names: Vec<String> =
        fx.ports.users.list().await.expect("lists").iter().map(|u| u.username.to_string()).collect();
    assert_eq!(names, ["adam", "mike", "zoe"]);
}
