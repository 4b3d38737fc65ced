//! Signing in: a username and password checked against the directory, in the
//! same time whether or not the account exists, and every attempt audited.

use std::net::IpAddr;
use std::sync::OnceLock;

use serde_json::json;

use super::audit_trail::append;
use crate::domain::{Actor, AuditEvent, AuditKind, PasswordHash, Timestamp, User, Username};
use crate::ports::{AuditLog, StoreError, UserDirectory};

/// What a person typed, and where from.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub from: Option<IpAddr>,
}

/// The active user the credentials name, or `None` (audited as a failed
/// sign-in) when they name nobody, an inactive account, or the wrong password.
pub async fn sign_in(
    users: &dyn UserDirectory,
    audit: &dyn AuditLog,
    credentials: Credentials<'_>,
    now: Timestamp,
) -> Result<Option<User>, StoreError> {
    let user = match Username::parse(credentials.username) {
        Ok(name) => users.find_by_username(&name).await?.filter(|user| user.active),
        Err(_) => None,
    };
    let verified = match verify_password(user.as_ref(), credentials.password).await {
        true => user,
        false => None,
    };
    let event = match &verified {
        Some(user) => AuditEvent::new(AuditKind::SignIn, Actor::user(user), now),
        None => AuditEvent::new(AuditKind::SignInFailed, Actor::System, now)
            .with_details(json!({"username": credentials.username.chars().take(64).collect::<String>()})),
    };
    append(audit, credentials.from.into_iter().fold(event, AuditEvent::from_peer)).await;
    Ok(verified)
}

/// argon2 is deliberately slow; it runs off the async workers. An unknown or
/// inactive user is checked against a dummy hash of the same cost, so the time
/// taken does not tell which usernames exist.
pub(super) async fn verify_password(user: Option<&User>, password: &str) -> bool {
    let hash = user.map(|user| user.password_hash.clone());
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => hash.verify(&password),
        None => {
            if let Some(dummy) = dummy_hash() {
                dummy.verify(&password);
            }
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Made once, with the parameters every stored hash is made with. A server
/// makes it before its first sign-in (`prepare`), so that one is not slower.
fn dummy_hash() -> Option<&'static PasswordHash> {
    static DUMMY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DUMMY.get_or_init(|| PasswordHash::hash("a password no account has, for timing only").ok()).as_ref()
}

/// Makes the dummy hash now, off the async workers.
pub async fn prepare() {
    let _ = tokio::task::spawn_blocking(dummy_hash).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cost of a hash is in its PHC parameters (`$argon2id$v=19$m=…,t=…,p=…$`).
    fn parameters(hash: &PasswordHash) -> String {
        hash.as_str().split('$').take(4).collect::<Vec<_>>().join("$")
    }

    #[test]
    fn unknown_users_are_checked_against_a_hash_of_the_same_cost() {
        let dummy = dummy_hash().expect("the dummy hash is made");
        let real = PasswordHash::hash("correct horse battery staple").expect("hashes");
        assert_eq!(parameters(dummy), parameters(&real));
        assert!(!dummy.verify("correct horse battery staple"));
    }
}
