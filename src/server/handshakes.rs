//! Connections still shaking hands. They hold no place among the connections served:
//! a client that never finishes its TLS handshake would otherwise keep a place for the
//! whole handshake timeout, and a few hundred of them, opened again and again, kept
//! every other client waiting in the listen backlog. Instead the handshakes in progress
//! are bounded, and at the bound the oldest is dropped for the newcomer: a real
//! client's handshake takes milliseconds, so the oldest is the one that stalls.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

pub struct Handshakes {
    capacity: usize,
    next: AtomicU64,
    /// In the order they began; each one's sender drops it.
    waiting: Mutex<BTreeMap<u64, oneshot::Sender<()>>>,
}

/// A connection's place among the handshakes; it leaves when dropped.
pub struct Waiting {
    pool: Arc<Handshakes>,
    id: u64,
}

impl Handshakes {
    pub fn new(capacity: usize) -> Self {
        Handshakes {
            capacity: capacity.max(1),
            next: AtomicU64::new(0),
            waiting: Mutex::new(BTreeMap::new()),
        }
    }

    /// A place for a new connection's handshake, dropping the oldest one at the
    /// bound; the receiver fires when this one is dropped in turn.
    pub fn enter(self: &Arc<Self>) -> (Waiting, oneshot::Receiver<()>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (drop_it, dropped) = oneshot::channel();
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        while waiting.len() >= self.capacity {
            match waiting.pop_first() {
                Some((_, oldest)) => {
                    let _ = oldest.send(());
                }
                None => break,
            }
        }
        waiting.insert(id, drop_it);
        (
            Waiting {
                pool: self.clone(),
                id,
            },
            dropped,
        )
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.pool
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_bound_the_oldest_handshake_is_dropped() {
        let pool = Arc::new(Handshakes::new(2));
        let (first, mut first_dropped) = pool.enter();
        let (second, mut second_dropped) = pool.enter();
        assert_eq!(pool.len(), 2);
        let (_third, mut third_dropped) = pool.enter();
        assert_eq!(first_dropped.try_recv(), Ok(()));
        assert!(second_dropped.try_recv().is_err());
        assert_eq!(pool.len(), 2);
        // A handshake that ends leaves its place.
        drop(second);
        drop(first);
        assert_eq!(pool.len(), 1);
        let (_fourth, _) = pool.enter();
        assert!(third_dropped.try_recv().is_err(), "room was left");
    }
}
