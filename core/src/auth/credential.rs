//! How a request proves who it is, read from its headers' text: a bearer token
//! (scripts, DICOMweb clients), else the console's session cookie. The HTTP
//! front doors (the API and DICOMweb) hand over the header values.

/// The session cookie's name, which both front doors read.
pub const SESSION_COOKIE: &str = "noctis_session";
/// The header a cookie session's change must carry its CSRF value in.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

impl<'a> Credential<'a> {
    pub fn token(self) -> &'a str {
        match self {
            Credential::Bearer(token) | Credential::Cookie(token) => token,
        }
    }
}

/// The credential in `authorization` (an `Authorization` header's value) or
/// `cookies` (every `Cookie` header's value): a bearer token wins.
pub fn credential<'a>(
    authorization: Option<&'a str>,
    cookies: impl IntoIterator<Item = &'a str>,
) -> Option<Credential<'a>> {
    authorization
        .and_then(bearer_token)
        .map(Credential::Bearer)
        .or_else(|| session_cookie(cookies).map(Credential::Cookie))
}

/// A cookie session may read freely; a change needs the token's CSRF value in
/// `CSRF_HEADER`. SameSite=Strict already keeps other sites' requests from
/// carrying the cookie; the header keeps a same-site page that is not the
/// console (or an older browser) from using it either.
pub fn csrf_satisfied(reads_only: bool, sent: Option<&str>, expected: &str) -> bool {
    reads_only || constant_time_eq(sent.unwrap_or_default().as_bytes(), expected.as_bytes())
}

fn session_cookie<'a>(cookies: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    cookies
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// The token of an `Authorization: Bearer <token>` header; the scheme's name
/// is case-insensitive (RFC 7235 2.1).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_matched_whatever_its_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR abc"] {
            assert_eq!(bearer_token(header), Some("abc"), "{header}");
        }
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn a_bearer_header_wins_over_the_cookie() {
        assert_eq!(credential(Some("Bearer b"), ["noctis_session=c"]), Some(Credential::Bearer("b")));
        assert_eq!(credential(None, ["theme=dark; noctis_session=c; other=1"]), Some(Credential::Cookie("c")));
        assert_eq!(credential(None, ["noctis_session="]), None);
        assert_eq!(credential(None, ["not_ours=c"]), None);
        assert_eq!(credential(Some("Basic x"), ["a=1", "noctis_session=second"]), Some(Credential::Cookie("second")));
    }

    #[test]
    fn changes_need_the_matching_csrf_header_and_reads_do_not() {
        assert!(csrf_satisfied(true, None, "secret"));
        assert!(csrf_satisfied(false, Some("secret"), "secret"));
        assert!(!csrf_satisfied(false, None, "secret"));
        assert!(!csrf_satisfied(false, Some("secreT"), "secret"));
        assert!(!csrf_satisfied(false, Some("secret2"), "secret"));
    }
}
