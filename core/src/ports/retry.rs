//! One policy for optimistic writes that lose a race: try again after a short
//! randomised pause, a bounded number of times, then say so with one error.

use std::future::Future;
use std::time::Duration;

use super::StoreError;

/// Enough for eight associations writing one study at once (measured: 3.7
/// attempts per instance on average, rarely past 15), and bounded so a caller
/// is answered within seconds.
pub(crate) const MAX_ATTEMPTS: u32 = 30;

/// Runs `attempt` until it returns `Some`, pausing between tries; `None`
/// means "lost a race, read again". Errors end the loop at once.
pub(crate) async fn retry_contended<T, F, Fut>(what: &'static str, mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, StoreError>>,
{
    for tried in 0..MAX_ATTEMPTS {
        if let Some(done) = attempt().await? {
            return Ok(done);
        }
        backoff(tried).await;
    }
    Err(StoreError::Contended { what, attempts: MAX_ATTEMPTS })
}

/// A randomised pause growing with the attempt, up to about a third of a second.
pub(crate) async fn backoff(attempt: u32) {
    let ceiling_ms = 5u64 << attempt.min(6);
    let jitter = (uuid::Uuid::new_v4().as_u128() % u128::from(ceiling_ms)) as u64;
    tokio::time::sleep(Duration::from_millis(ceiling_ms / 2 + jitter)).await;
}
