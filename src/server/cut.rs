//! Ending a connection on purpose, for an injected fault: reset (the peer gets a TCP
//! RST, as from a crashed server or a firewall) or closed without an answer (the end
//! of a hold). The request asks; the connection's task, which owns the connection,
//! ends it, and its stream (`idle::Tracked`) resets the socket as it is dropped.

use std::sync::atomic::{AtomicBool, Ordering};

/// A request's way to end its connection.
#[derive(Default)]
pub struct CutSignal {
    asked: tokio::sync::Notify,
    reset: AtomicBool,
    /// A request of the connection is held unanswered.
    holding: AtomicBool,
}

impl CutSignal {
    /// Ends the connection with a TCP reset.
    pub fn reset(&self) {
        self.reset.store(true, Ordering::Release);
        self.asked.notify_one();
    }

    /// A request of the connection is held, to be answered by a close.
    pub fn holding(&self) {
        self.holding.store(true, Ordering::Release);
    }

    pub fn holds(&self) -> bool {
        self.holding.load(Ordering::Acquire)
    }

    /// Ends the connection with a plain close.
    pub fn close(&self) {
        self.asked.notify_one();
    }

    /// Completes once a request asked (a request that asked before it was awaited
    /// counts: `Notify` keeps the permit).
    pub async fn asked(&self) {
        self.asked.notified().await;
    }

    /// The connection is to end with a reset: its stream, dropped, closes with a zero
    /// linger (`idle::Tracked`).
    pub fn resets(&self) -> bool {
        self.reset.load(Ordering::Acquire)
    }
}
