//! Cooperative shutdown (the shape of tokio's mini-redis): the listener owns
//! the sender, every association holds a `Shutdown` and looks at it between
//! messages, so nothing is dropped mid-write and cleanup runs as ordinary code
//! on a runtime that is still alive.

use tokio::sync::watch;

/// How far shutdown has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Running,
    /// No new associations; running ones finish the message under way and
    /// are released.
    Draining,
    /// The grace is over: what is still mid-instance is abandoned (its
    /// partial write removed) and the association aborted.
    Aborting,
}

/// The listener's side.
#[derive(Debug)]
pub struct ShutdownSender(watch::Sender<Phase>);

/// An association's side.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<Phase>);

pub fn channel() -> (ShutdownSender, Shutdown) {
    let (sender, receiver) = watch::channel(Phase::Running);
    (ShutdownSender(sender), Shutdown(receiver))
}

impl ShutdownSender {
    pub fn advance(&self, phase: Phase) {
        self.0.send_if_modified(|current| {
            let later = phase > *current;
            if later {
                *current = phase;
            }
            later
        });
    }
}

impl Shutdown {
    /// Whether shutdown has already reached `phase`; never waits.
    pub fn has_reached(&self, phase: Phase) -> bool {
        *self.0.borrow() >= phase
    }

    /// Completes once shutdown has reached `phase`; never, if the sender is
    /// gone without reaching it.
    pub async fn reached(&mut self, phase: Phase) {
        if self.0.wait_for(|current| *current >= phase).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_only_move_forward_and_wake_the_waiters() {
        let (sender, mut shutdown) = channel();
        assert_eq!(*shutdown.0.borrow(), Phase::Running);
        sender.advance(Phase::Aborting);
        sender.advance(Phase::Draining);
        assert_eq!(*shutdown.0.borrow(), Phase::Aborting, "a phase never goes back");
        shutdown.reached(Phase::Draining).await;
        shutdown.reached(Phase::Aborting).await;
    }
}
