//! The browser session: the sign-in token in an HttpOnly, SameSite=Strict
//! cookie that JavaScript cannot read, and the CSRF value the console echoes
//! in a header on every state-changing request. Scripts keep using
//! `Authorization: Bearer`, which no browser sends on its own, so it needs no
//! CSRF check.

use axum::http::header::{COOKIE, HeaderMap, HeaderValue};
use axum::http::{Method, request::Parts};
use cookie::{Cookie, SameSite};

use noctis_core::auth::Issued;

pub use noctis_core::auth::{CSRF_HEADER, Credential, SESSION_COOKIE};

/// The request's credential: a bearer token when there is one, else the
/// session cookie.
pub fn credential(headers: &HeaderMap) -> Option<Credential<'_>> {
    let authorization = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    noctis_core::auth::credential(authorization, headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()))
}

/// A cookie session may read freely; a change needs the token's CSRF value
/// in the header (`noctis_core::auth::csrf_satisfied`).
pub fn csrf_satisfied(parts: &Parts, expected: &str) -> bool {
    let reads_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    noctis_core::auth::csrf_satisfied(reads_only, sent, expected)
}

/// `Set-Cookie` for a new session. Secure when the client reached us over
/// HTTPS (API Gateway says so in `X-Forwarded-Proto`); a local `make run` is
/// plain HTTP on loopback, where a Secure cookie would never come back.
pub fn set_cookie(issued: &Issued, request_headers: &HeaderMap) -> HeaderValue {
    let max_age = (issued.expires_at - noctis_core::domain::now()).num_seconds().max(0);
    let cookie = Cookie::build((SESSION_COOKIE, issued.token.as_str()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_https(request_headers))
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that ends the session in the browser.
pub fn clear_cookie(request_headers: &HeaderMap) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_https(request_headers))
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                value.parse().expect("a header value"),
            );
        }
        map
    }

    fn parts(method: Method, pairs: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder().method(method).body(()).expect("a request");
        *request.headers_mut() = headers(pairs);
        request.into_parts().0
    }

    #[test]
    fn a_bearer_header_wins_over_the_cookie() {
        let both = headers(&[("authorization", "Bearer b"), ("cookie", "noctis_session=c")]);
        assert_eq!(credential(&both), Some(Credential::Bearer("b")));
        let cookie_only = headers(&[("cookie", "theme=dark; noctis_session=c; other=1")]);
        assert_eq!(credential(&cookie_only), Some(Credential::Cookie("c")));
        assert_eq!(credential(&headers(&[("cookie", "noctis_session=")])), None);
        assert_eq!(credential(&headers(&[("cookie", "not_ours=c")])), None);
    }

    #[test]
    fn changes_need_the_matching_csrf_header_and_reads_do_not() {
        assert!(csrf_satisfied(&parts(Method::GET, &[]), "secret"));
        assert!(csrf_satisfied(&parts(Method::POST, &[(CSRF_HEADER, "secret")]), "secret"));
        assert!(!csrf_satisfied(&parts(Method::POST, &[]), "secret"));
        assert!(!csrf_satisfied(&parts(Method::PATCH, &[(CSRF_HEADER, "secreT")]), "secret"));
        assert!(!csrf_satisfied(&parts(Method::DELETE, &[(CSRF_HEADER, "secret2")]), "secret"));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_over_https() {
        let issued = Issued {
            token: "t".into(),
            expires_at: noctis_core::domain::now() + chrono::Duration::hours(1),
            csrf: "c".into(),
        };
        let plain = set_cookie(&issued, &HeaderMap::new()).to_str().expect("ASCII").to_owned();
        assert!(plain.starts_with("noctis_session=t;"), "{plain}");
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && plain.contains("Path=/"));
        assert!(!plain.contains("Secure"), "{plain}");
        let https =
            set_cookie(&issued, &headers(&[("x-forwarded-proto", "https")])).to_str().expect("ASCII").to_owned();
        assert!(https.contains("Secure"), "{https}");
        let cleared = clear_cookie(&HeaderMap::new()).to_str().expect("ASCII").to_owned();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }
}
