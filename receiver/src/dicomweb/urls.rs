//! The DICOMweb service's own URL as the client reached it, for the Retrieve
//! URLs in answers: through the console's origin (the local server, or the
//! load balancer's path routing) or the receiver directly.

use axum::extract::OriginalUri;
use axum::http::HeaderMap;
use axum::http::header::HOST;

#[derive(Debug, Clone)]
pub struct ServiceBase(String);

impl ServiceBase {
    /// Scheme and host from `X-Forwarded-Proto` / `X-Forwarded-Host` (what a
    /// proxy in front says) or `Host`; the path up to the service root
    /// (`/dicomweb` or `/dicomweb/facilities/{id}`).
    pub fn of(headers: &HeaderMap, uri: &OriginalUri) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let scheme = header("x-forwarded-proto").filter(|p| *p == "https").unwrap_or("http");
        let host = header("x-forwarded-host").or_else(|| header(HOST.as_str())).unwrap_or("localhost");
        let path = uri.0.path();
        let root = path.find("/studies").map(|at| &path[..at]).unwrap_or(path);
        Self(format!("{scheme}://{host}{}", root.trim_end_matches('/')))
    }

    /// `path` (starting with `/`) under the service root.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}
