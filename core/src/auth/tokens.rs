//! Sign-in tokens: HS256 JWTs that name the user. The API issues them; the API
//! and DICOMweb (in the receiver) accept them, with the same key. The user's role and active
//! flag are read from the directory on every request (see `extract`), so a
//! deactivation or role change applies to tokens already out. Each token
//! carries a random CSRF value: a browser session (the token in an HttpOnly
//! cookie) must echo it in a header on every state-changing request.

use std::time::Duration;

use crate::domain::{Timestamp, User, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: UserId,
    role: String,
    iat: i64,
    exp: i64,
    csrf: String,
}

/// Signing failed: nothing a client sent can cause it.
#[derive(Debug, thiserror::Error)]
#[error("could not sign a token: {0}")]
pub struct TokenError(String);

/// A token just signed.
#[derive(Debug)]
pub struct Issued {
    pub token: String,
    pub expires_at: Timestamp,
    pub csrf: String,
}

/// What a valid token says.
#[derive(Debug)]
pub struct Verified {
    pub user: UserId,
    pub csrf: String,
    pub expires_at: Timestamp,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user: &User, now: Timestamp) -> Result<Issued, TokenError> {
        let expires_at = now + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(1));
        let csrf = uuid::Uuid::new_v4().simple().to_string();
        let claims = Claims {
            sub: user.id,
            role: user.role.name().to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            csrf: csrf.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|token| Issued { token, expires_at, csrf })
            .map_err(|e| TokenError(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Option<Verified> {
        let validation = Validation::new(Algorithm::HS256);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().and_then(|data| {
            let expires_at = chrono::DateTime::from_timestamp(data.claims.exp, 0)?;
            Some(Verified { user: data.claims.sub, csrf: data.claims.csrf, expires_at })
        })
    }
}
