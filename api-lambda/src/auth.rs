//! Sign-in tokens (HS256 JWTs) and the signed-in user extractor. A token names
//! the user; the user's role and active flag are read from the directory on
//! every request, so a deactivation or role change applies to tokens already out.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use noctis_core::domain::{Actor, Timestamp, User, UserId};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

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

    fn verify(&self, token: &str) -> Option<UserId> {
        let validation = Validation::new(Algorithm::HS256);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|data| data.claims.sub)
    }
}

/// The signed-in, active user making the request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::User { id: self.0.id, username: self.0.username.clone() }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .ok_or(ApiError::Unauthenticated)?;
        let id = state.tokens.verify(token.trim()).ok_or(ApiError::Unauthenticated)?;
        match state.ports.users.get(id).await? {
            Some(user) if user.active => Ok(Self(user)),
            _ => Err(ApiError::Unauthenticated),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header; the scheme's name
/// is case-insensitive (RFC 7235 2.1).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// The client's address: API Gateway's view of the source on Lambda, the
/// socket's peer on the local server.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        let from_gateway = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok()),
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.as_deref().and_then(|ip| ip.parse().ok()),
            _ => None,
        };
        let from_socket = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Self(from_gateway.or(from_socket)))
    }
}

/// Failed sign-ins per key (address or username) in a fixed window. Kept in
/// memory: each API instance limits on its own, API Gateway throttles in front.
#[derive(Debug)]
pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(attempts: u32, window: Duration) -> Self {
        Self { attempts: attempts.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    pub fn is_blocked(&self, keys: &[String]) -> bool {
        let Ok(failures) = self.failures.lock() else { return true };
        keys.iter()
            .any(|k| failures.get(k).is_some_and(|(since, n)| since.elapsed() < self.window && *n >= self.attempts))
    }

    pub fn record_failure(&self, keys: &[String]) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() > 100_000 {
                failures.retain(|_, (since, _)| since.elapsed() < self.window);
            }
            for key in keys {
                let entry = failures.entry(key.clone()).or_insert((Instant::now(), 0));
                if entry.0.elapsed() >= self.window {
                    *entry = (Instant::now(), 0);
                }
                entry.1 += 1;
            }
        }
    }

    pub fn clear(&self, keys: &[String]) {
        if let Ok(mut failures) = self.failures.lock() {
            for key in keys {
                failures.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_matched_whatever_its_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR abc"] {
            assert_eq!(bearer_token(header), Some("abc"), "{header}");
        }
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
