//! `--journal-bodies`: the request and response bodies of the latest SOAP exchanges,
//! so that a tester sees exactly what their client sent and what it got. Kept in
//! memory, by ticket, beside the journal's records: each body up to `PER_BODY` bytes
//! (the rest is cut, and said), all of them within `--journal-bodies-mb`, the oldest
//! going first. Off by default; a restart forgets them, and they never reach the store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use uuid::Uuid;

/// The most of one body that is kept.
pub const PER_BODY: usize = 256 << 10;

/// One exchange's bodies.
#[derive(Clone, Debug)]
pub struct Kept {
    pub request: Bytes,
    /// The request's length as it came, when more than what is kept.
    pub request_length: usize,
    pub response: Bytes,
    pub response_length: usize,
}

impl Kept {
    fn weight(&self) -> usize {
        self.request.len() + self.response.len()
    }
}

#[derive(Debug, Default)]
struct Ring {
    by_ticket: HashMap<Uuid, Kept>,
    order: VecDeque<Uuid>,
    held: usize,
}

#[derive(Debug)]
pub struct JournalBodies {
    total: usize,
    ring: Mutex<Ring>,
}

/// At most `PER_BODY` of `body`: a body cut short is copied, so that the part kept
/// does not hold the whole in memory.
fn bounded(body: &Bytes) -> Bytes {
    if body.len() > PER_BODY {
        Bytes::copy_from_slice(&body[..PER_BODY])
    } else {
        body.clone()
    }
}

impl JournalBodies {
    /// Keeps up to `total` bytes of bodies.
    pub fn new(total: usize) -> JournalBodies {
        JournalBodies {
            total,
            ring: Mutex::new(Ring::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn keep(&self, ticket: Uuid, request: &Bytes, response: &Bytes) {
        let kept = Kept {
            request: bounded(request),
            request_length: request.len(),
            response: bounded(response),
            response_length: response.len(),
        };
        let weight = kept.weight();
        if weight > self.total {
            return;
        }
        let mut ring = self.lock();
        while ring.held + weight > self.total {
            let Some(oldest) = ring.order.pop_front() else {
                break;
            };
            if let Some(gone) = ring.by_ticket.remove(&oldest) {
                ring.held -= gone.weight();
            }
        }
        ring.held += weight;
        ring.order.push_back(ticket);
        ring.by_ticket.insert(ticket, kept);
    }

    pub fn get(&self, ticket: &Uuid) -> Option<Kept> {
        self.lock().by_ticket.get(ticket).cloned()
    }

    pub fn has(&self, ticket: &Uuid) -> bool {
        self.lock().by_ticket.contains_key(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cut_per_exchange_and_the_oldest_go_first() {
        let bodies = JournalBodies::new(3 * PER_BODY);
        let big = Bytes::from(vec![b'x'; PER_BODY + 10]);
        let small = Bytes::from_static(b"<answer/>");
        let tickets: Vec<Uuid> = (0..3).map(|i| Uuid::from_u128(i + 1)).collect();
        bodies.keep(tickets[0], &big, &small);
        let first = bodies.get(&tickets[0]).unwrap();
        assert_eq!(
            (first.request.len(), first.request_length),
            (PER_BODY, PER_BODY + 10)
        );
        assert_eq!(first.response, small);
        bodies.keep(tickets[1], &big, &small);
        bodies.keep(tickets[2], &big, &small);
        // Three cut requests and their answers weigh more than three bodies: the
        // first goes.
        assert!(!bodies.has(&tickets[0]));
        assert!(bodies.has(&tickets[1]) && bodies.has(&tickets[2]));
    }
}
