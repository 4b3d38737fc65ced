//! Sign-in tokens: HS256 JWTs that name the user. The user's role and active
//! flag are read from the directory on every request (see `extract`), so a
//! deactivation or role change applies to tokens already out.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use noctis_core::domain::{Timestamp, User, UserId};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

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
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl }
    }

    pub fn issue(&self, user: &User, now: Timestamp) -> Result<(String, Timestamp), ApiError> {
        let expires = now + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::hours(1));
        let claims =
            Claims { sub: user.id, role: user.role.name().to_owned(), iat: now.timestamp(), exp: expires.timestamp() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|token| (token, expires))
            .map_err(|e| {
                tracing::error!(error = %e, "could not sign a token");
                ApiError::Internal
            })
    }

    pub fn verify(&self, token: &str) -> Option<UserId> {
        let validation = Validation::new(Algorithm::HS256);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|data| data.claims.sub)
    }
}
