//! `ticketCBSS`: a fresh UUID for every exchange. Version 7, so the audit trail keyed by
//! ticket sorts by time. Its random bits come from a per-thread generator seeded once
//! from the operating system: tickets must be unique, not secret, and asking the kernel
//! for randomness on every request costs a system call.

use std::cell::Cell;

use uuid::{Builder, Uuid};

thread_local! {
    static STATE: Cell<u64> = Cell::new(u64::from_le_bytes(first_eight(Uuid::new_v4())));
}

fn first_eight(u: Uuid) -> [u8; 8] {
    let b = u.as_bytes();
    [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// splitmix64: a full-period sequence with well-mixed output.
fn next() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

pub fn new_ticket(unix_millis: i64) -> Uuid {
    let (a, b) = (next().to_le_bytes(), next().to_le_bytes());
    let random = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]];
    Builder::from_unix_timestamp_millis(u64::try_from(unix_millis).unwrap_or(0), &random)
        .into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_distinct_version_7_uuids_ordered_by_time() {
        let a = new_ticket(1_700_000_000_000);
        let b = new_ticket(1_700_000_000_000);
        let later = new_ticket(1_700_000_000_001);
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 7);
        assert!(later > a && later > b);
        let many: std::collections::HashSet<Uuid> = (0..10_000).map(|_| new_ticket(1)).collect();
        assert_eq!(many.len(), 10_000);
    }
}
