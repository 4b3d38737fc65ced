use std::fmt;

use serde::{Deserialize, Serialize};

use super::{EmailAddress, FacilityId, Timestamp, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: EmailAddress,
    pub role: Role,
    pub active: bool,
    pub verified: bool,
    pub password_hash: PasswordHash,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub revision: u64,
}

/// What a user may do follows from the role; a facility user is bound to exactly
/// one facility, the other roles to none, so the pairing lives in the enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "facility_id", rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Radiologist,
    FacilityUser(FacilityId),
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Radiologist => "radiologist",
            Role::FacilityUser(_) => "facility_user",
        }
    }

    pub fn facility(&self) -> Option<FacilityId> {
        match self {
            Role::FacilityUser(id) => Some(*id),
            Role::Administrator | Role::Radiologist => None,
        }
    }
}

/// A role as a request names it, before it is paired with a facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleName {
    Administrator,
    Radiologist,
    FacilityUser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("role is administrator, radiologist or facility_user")]
    UnknownRole,
    #[error("a facility user needs a facility")]
    FacilityRequired,
    #[error("only facility users belong to a facility")]
    FacilityNotAllowed,
}

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        match raw {
            "administrator" => Ok(RoleName::Administrator),
            "radiologist" => Ok(RoleName::Radiologist),
            "facility_user" => Ok(RoleName::FacilityUser),
            _ => Err(RoleError::UnknownRole),
        }
    }
}

impl Role {
    /// The role a name and a facility make together: a facility user must have
    /// one, the other roles must not.
    pub fn compose(name: RoleName, facility: Option<FacilityId>) -> Result<Role, RoleError> {
        match (name, facility) {
            (RoleName::Administrator, None) => Ok(Role::Administrator),
            (RoleName::Radiologist, None) => Ok(Role::Radiologist),
            (RoleName::FacilityUser, Some(id)) => Ok(Role::FacilityUser(id)),
            (RoleName::FacilityUser, None) => Err(RoleError::FacilityRequired),
            (RoleName::Administrator | RoleName::Radiologist, Some(_)) => Err(RoleError::FacilityNotAllowed),
        }
    }

    pub fn kind(&self) -> RoleName {
        match self {
            Role::Administrator => RoleName::Administrator,
            Role::Radiologist => RoleName::Radiologist,
            Role::FacilityUser(_) => RoleName::FacilityUser,
        }
    }
}

impl User {
    /// What an update writes over `stored`: `self` one revision on, keeping the
    /// stored username (the sign-in identity and its uniqueness key never
    /// change). Every adapter stores this, so the rules live here once.
    pub fn revised(&self, stored: &User, now: Timestamp) -> User {
        User { revision: self.revision + 1, updated_at: now, username: stored.username.clone(), ..self.clone() }
    }

    pub fn new(
        username: Username,
        email: EmailAddress,
        role: Role,
        password_hash: PasswordHash,
        now: Timestamp,
    ) -> Self {
        Self {
            id: UserId::new_random(),
            username,
            email,
            role,
            active: true,
            verified: false,
            password_hash,
            created_at: now,
            updated_at: now,
            revision: 1,
        }
    }
}

/// A sign-in name: 3–64 characters of letters, digits, `.`, `_`, `-`, `@`, kept
/// lower-case so "JDoe" and "jdoe" are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a username has 3 to 64 characters: letters, digits, '.', '_', '-' or '@'")]
pub struct UsernameError;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let value = raw.trim().to_ascii_lowercase();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
        if !(3..=64).contains(&value.len()) || !value.chars().all(allowed) {
            return Err(UsernameError);
        }
        Ok(Self(value))
    }
}

/// An argon2id hash in PHC string form. The plain password never leaves `hash`
/// and `verify`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("a password has at most 1024 characters")]
    TooLong,
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

pub const MIN_PASSWORD_LEN: usize = 12;

impl PasswordHash {
    pub fn hash(password: &str) -> Result<Self, PasswordError> {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let len = password.chars().count();
        if len < MIN_PASSWORD_LEN {
            return Err(PasswordError::TooShort);
        }
        if len > 1024 {
            return Err(PasswordError::TooLong);
        }
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| Self(h.to_string()))
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    pub fn verify(&self, password: &str) -> bool {
        use argon2::password_hash::PasswordVerifier;
        argon2::password_hash::PasswordHash::new(&self.0)
            .map(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    }

    /// Wraps a hash read back from storage.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

super::text::string_value!(Username, UsernameError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_restricted() {
        assert_eq!(Username::parse(" JDoe ").map(|u| u.to_string()), Ok("jdoe".into()));
        assert_eq!(Username::parse("it@mercy.example").map(|u| u.to_string()), Ok("it@mercy.example".into()));
        for bad in ["ab", "with space", "semi;colon", &"a".repeat(65)] {
            assert_eq!(Username::parse(bad), Err(UsernameError), "{bad:?}");
        }
    }

    #[test]
    fn password_hashes_verify_only_the_right_password() {
        let hash = PasswordHash::hash("correct horse battery").expect("hashes");
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify("correct horse battery"));
        assert!(!hash.verify("correct horse battery "));
        assert_eq!(PasswordHash::hash("short"), Err(PasswordError::TooShort));
        assert!(!PasswordHash::from_stored("garbage".into()).verify("anything"));
    }

    #[test]
    fn only_facility_users_carry_a_facility() {
        let facility = FacilityId::new_random();
        assert_eq!(Role::FacilityUser(facility).facility(), Some(facility));
        assert_eq!(Role::Radiologist.facility(), None);
        assert_eq!(Role::Administrator.name(), "administrator");
    }
}
