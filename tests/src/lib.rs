//! Support for the end-to-end suites: the storage a test runs on, the Noctis
//! processes under test, and the third-party peers that talk to them.

pub mod api;
pub mod api_server;
pub mod balancer;
pub mod bench;
pub mod certificates;
pub mod cluster;
pub mod dcmtk;
pub mod haproxy;
pub mod load;
pub mod network;
pub mod orthanc;
pub mod process;
pub mod python;
pub mod raw_peer;
pub mod receiver;
pub mod storage;
pub mod testdata;

use std::path::PathBuf;

/// The workspace root (tests run with the package directory as working directory).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A binary of this workspace, built by `make test` before the suites run.
pub fn workspace_binary(name: &str) -> PathBuf {
    workspace_binary_in(name, "debug")
}

/// A binary of this workspace from a profile's directory (`debug`, `release`).
pub fn workspace_binary_in(name: &str, profile: &str) -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join(profile).join(name);
    assert!(path.exists(), "{} is missing: run `cargo build --workspace --bins` (make test does)", path.display());
    path
}

/// Polls `check` until it returns `Some`, or panics with `what` after `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Instantiates each named scenario once per backend: `embedded::<name>` and
/// `aws::<name>`. A scenario is `async fn(Kind)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::storage::Kind::Embedded).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::storage::Kind::Aws).await;
                }
            )*
        }
    };
}
