//! `noctis-receiver healthcheck`: asks a running receiver's `/healthz` on this
//! host, for container health checks in images that carry no shell or curl.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("no answer from 127.0.0.1:{port} within {timeout:?}")]
    TimedOut { port: u16, timeout: Duration },
    #[error("could not reach 127.0.0.1:{port}: {source}")]
    Io { port: u16, source: std::io::Error },
    #[error("unhealthy: {0}")]
    Unhealthy(String),
}

/// `Ok` when `/healthz` on `port` answers 200 within `timeout`.
pub async fn probe(port: u16, timeout: Duration) -> Result<(), ProbeError> {
    let status_line = tokio::time::timeout(timeout, request(port))
        .await
        .map_err(|_| ProbeError::TimedOut { port, timeout })?
        .map_err(|source| ProbeError::Io { port, source })?;
    // "HTTP/1.1 200 OK": the status code is the second word.
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(ProbeError::Unhealthy(status_line)),
    }
}

async fn request(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
    let mut response = Vec::with_capacity(256);
    // The status line is all we need; the body is a word.
    (&mut stream).take(4096).read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn serve_once(reply: &'static [u8]) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 512];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(reply).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn a_200_is_healthy_and_anything_else_is_not() {
        let ok = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n").await;
        assert!(probe(ok, Duration::from_secs(5)).await.is_ok());
        let draining = serve_once(b"HTTP/1.1 503 Service Unavailable\r\n\r\ndraining\n").await;
        assert!(matches!(probe(draining, Duration::from_secs(5)).await, Err(ProbeError::Unhealthy(_))));
    }

    #[tokio::test]
    async fn nothing_listening_is_unhealthy() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("address").port()
        };
        assert!(matches!(probe(port, Duration::from_secs(5)).await, Err(ProbeError::Io { .. })));
    }
}
