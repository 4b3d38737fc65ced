//! From an accepted socket to an association: the load balancer's PROXY header
//! (when configured) names the real peer, the TLS port completes its handshake,
//! and what is left is a byte stream the association reads PDUs from.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::protocol::association::{self, AssociationServices};
use crate::shutdown::Shutdown;
use crate::transport::proxy_protocol;
use crate::transport::tls::Acceptor;

/// How a listener's connections arrive.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Connections start with a PROXY protocol v2 header.
    pub proxy_protocol: bool,
    /// The TLS port's acceptor; `None` on the plain port.
    pub tls: Option<Acceptor>,
}

pub async fn serve(
    mut stream: TcpStream,
    connected: SocketAddr,
    transport: Transport,
    shared: Arc<AssociationServices>,
    shutdown: Shutdown,
) {
    // Both steps are bounded by ARTIM: a peer that connects and says nothing
    // holds a connection slot for no longer than one that never sends an RQ.
    let peer = if transport.proxy_protocol {
        let header = tokio::time::timeout(shared.artim_timeout, proxy_protocol::read_source(&mut stream, connected));
        match header.await {
            Ok(Ok(peer)) => peer,
            outcome => {
                let error = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    _ => "none within the ARTIM timeout".to_owned(),
                };
                tracing::warn!(%connected, %error, "closing a connection without a valid PROXY header");
                shared.metrics.association("no_proxy_header");
                return;
            }
        }
    } else {
        connected
    };
    // Admission caps associations per address, but only once a request has been
    // read: until then, this bounds what one address can hold (slow handshakes,
    // silent connections), so other facilities keep their way in.
    let Some(pending) = shared.pending_per_address.try_acquire(peer.ip()) else {
        tracing::warn!(%peer, "too many connections from this address awaiting admission; closing");
        shared.metrics.association("address_pending_limit");
        return;
    };
    let Some(acceptor) = transport.tls else {
        let (read, write) = stream.into_split();
        association::serve(Box::new(read), Box::new(write), peer, shared, pending, shutdown).await;
        return;
    };
    match tokio::time::timeout(shared.artim_timeout, acceptor.0.accept(stream)).await {
        Ok(Ok(tls)) => {
            let (read, write) = tokio::io::split(tls);
            association::serve(Box::new(read), Box::new(write), peer, shared, pending, shutdown).await;
        }
        outcome => {
            let error = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "none within the ARTIM timeout".to_owned(),
            };
            tracing::info!(%peer, %error, "TLS handshake failed");
            shared.metrics.association("tls_handshake_failed");
        }
    }
}
