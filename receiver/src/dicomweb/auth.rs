//! The signed-in user of a DICOMweb request: the API's token, as a bearer
//! token or the console's session cookie (whose changes carry the CSRF header).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Method;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use noctis_core::auth::{
    CSRF_HEADER, Credential, ORIGIN_HEADER, VIEWER_ADDRESS_HEADER, credential, csrf_satisfied, signed_in_user,
    viewer_address,
};
use noctis_core::domain::User;

use super::DicomWeb;
use super::error::WebError;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub peer: IpAddr,
}

impl FromRequestParts<Arc<DicomWeb>> for Caller {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<DicomWeb>) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let authorization = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let cookies = headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok());
        let credential = credential(authorization, cookies).ok_or(WebError::Unauthenticated)?;
        let verified = state.tokens.verify(credential.token()).ok_or(WebError::Unauthenticated)?;
        if matches!(credential, Credential::Cookie(_)) {
            let reads_only = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !csrf_satisfied(reads_only, sent, &verified.csrf) {
                return Err(WebError::CsrfRejected);
            }
        }
        let user = signed_in_user(state.users.as_ref(), &verified).await?.ok_or(WebError::Unauthenticated)?;
        // Behind the stack's CloudFront, the viewer it names; else the socket's peer.
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let from_edge =
            viewer_address(state.edge_secret.as_ref(), header(ORIGIN_HEADER), header(VIEWER_ADDRESS_HEADER));
        let peer = from_edge
            .or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Self { user, peer })
    }
}
