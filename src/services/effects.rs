//! What an exchange changed beyond its answer. Handlers return it as a value; the
//! exchange turns it into wake-ups in one place.

use std::sync::Arc;

use tokio::sync::Notify;

/// The changes an operation made that someone else acts on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// An outbox event was written: the notification dispatcher has work.
    pub outbox_written: bool,
    /// A subscription changed (subscribed, replayed): its delivery may start.
    pub subscription_changed: bool,
}

impl Effects {
    pub const NONE: Effects = Effects {
        outbox_written: false,
        subscription_changed: false,
    };

    /// Wakes the dispatcher, when one runs and there is something for it.
    pub fn wake(self, dispatcher: Option<&Wake>) {
        if (self.outbox_written || self.subscription_changed)
            && let Some(w) = dispatcher
        {
            w.wake();
        }
    }
}

/// Wakes the notification dispatcher. The server is handed one; the dispatcher waits
/// on it.
#[derive(Clone, Debug, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Returns at the next wake-up (or at once if one came since the last wait).
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
