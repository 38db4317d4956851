//! LivingWagesNotifications: who subscribed, how they receive, what they have
//! acknowledged, and the notifications queued for them in order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use super::decision::{Attestation, ChangeEvent};
use super::{CbeNumber, InsCode, Period, RightKind, Ssin};

/// What a notification carries: most institutions get the SSIN and consult; a few
/// get the right itself (seed 002, "Notification attestation").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeliveryMode {
    SsinOnly,
    WithAttestation,
}

impl DeliveryMode {
    pub fn wire_name(self) -> &'static str {
        match self {
            DeliveryMode::SsinOnly => "SSIN_ONLY",
            DeliveryMode::WithAttestation => "WITH_ATTESTATION",
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0:?} is not a delivery mode (SSIN_ONLY or WITH_ATTESTATION)")]
pub struct DeliveryModeError(String);

impl FromStr for DeliveryMode {
    type Err = DeliveryModeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "SSIN_ONLY" => Ok(DeliveryMode::SsinOnly),
            "WITH_ATTESTATION" => Ok(DeliveryMode::WithAttestation),
            _ => Err(DeliveryModeError(s.to_owned())),
        }
    }
}

/// Where an institution wants its notifications: pushed to its endpoint, or kept for
/// it to pull.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    Push { endpoint: String },
    Pull,
}

/// The state of a subscription as its institution sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriptionState {
    /// Receives new notifications.
    Active,
    /// Every attempt of the retry schedule failed on the notification after
    /// `acknowledged`: delivery waits for a replay (new notifications still queue).
    Failing,
    /// Receives nothing new; what was queued stays readable.
    Unsubscribed,
}

impl SubscriptionState {
    pub fn wire_name(self) -> &'static str {
        match self {
            SubscriptionState::Active => "ACTIVE",
            SubscriptionState::Failing => "FAILING",
            SubscriptionState::Unsubscribed => "UNSUBSCRIBED",
        }
    }
}

/// One institution's subscription and where its delivery stands. Sequence numbers are
/// per subscriber, from 1, without gaps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub institution: CbeNumber,
    pub delivery: Delivery,
    pub mode: DeliveryMode,
    pub state: SubscriptionState,
    pub subscribed_at_ms: i64,
    /// The last sequence number queued for this subscriber.
    pub last_sequence: u64,
    /// Everything up to here was acknowledged (or replay asked to start after it).
    pub acknowledged: u64,
    /// Failed attempts on the notification after `acknowledged`.
    pub failed_attempts: u32,
    /// No attempt before this time (retry schedule).
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

impl Subscription {
    pub fn new(
        institution: CbeNumber,
        delivery: Delivery,
        mode: DeliveryMode,
        now_ms: i64,
    ) -> Self {
        Subscription {
            institution,
            delivery,
            mode,
            state: SubscriptionState::Active,
            subscribed_at_ms: now_ms,
            last_sequence: 0,
            acknowledged: 0,
            failed_attempts: 0,
            next_attempt_ms: 0,
            last_error: None,
        }
    }

    /// Notifications queued and not yet acknowledged.
    pub fn pending(&self) -> u64 {
        self.last_sequence.saturating_sub(self.acknowledged)
    }

    /// New events are queued for it.
    pub fn receives(&self) -> bool {
        self.state != SubscriptionState::Unsubscribed
    }

    /// The gateway pushes to it now (not failing, not unsubscribed, a push endpoint).
    pub fn is_pushed(&self) -> bool {
        self.state == SubscriptionState::Active && matches!(self.delivery, Delivery::Push { .. })
    }

    /// Takes up again after `sequence`: what follows is sent (again), the retry
    /// schedule starts over, and a failing subscription becomes active.
    pub fn replay_from(&mut self, sequence: u64) {
        self.acknowledged = sequence.saturating_sub(1).min(self.last_sequence);
        self.failed_attempts = 0;
        self.next_attempt_ms = 0;
        self.last_error = None;
        if self.state == SubscriptionState::Failing {
            self.state = SubscriptionState::Active;
        }
    }

    /// Acknowledges everything up to `sequence` (never backwards, never beyond what was
    /// queued).
    pub fn acknowledge(&mut self, sequence: u64) {
        let sequence = sequence.min(self.last_sequence);
        if sequence > self.acknowledged {
            self.acknowledged = sequence;
            self.failed_attempts = 0;
            self.next_attempt_ms = 0;
            self.last_error = None;
        }
    }
}

/// The right as a notification in attestation mode carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightRecord {
    pub attestation: Attestation,
    pub kind: RightKind,
    /// The periods of the rights the event made or changed at this PCSA (none after a
    /// CANCEL).
    pub periods: Vec<Period>,
}

/// A position in the outbox of changes: gap-free over the whole register, from 1. It
/// is not a notification's `sequence`, which counts one subscriber's notifications
/// (the number a subscriber replays, pulls and acknowledges by): the two cannot be
/// mixed up. Stored as the number itself.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct OutboxSequence(pub u64);

impl OutboxSequence {
    /// Before the first event.
    pub const START: OutboxSequence = OutboxSequence(0);

    pub fn next(self) -> OutboxSequence {
        OutboxSequence(self.0.saturating_add(1))
    }
}

impl std::fmt::Display for OutboxSequence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One notification queued for one subscriber.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable: the same on every retry and replay.
    pub id: Uuid,
    pub sequence: u64,
    /// The outbox event it comes from.
    pub outbox_sequence: OutboxSequence,
    pub event: ChangeEvent,
    pub ssin: Ssin,
    pub pcsa: CbeNumber,
    pub pcsa_ins: InsCode,
    pub event_ms: i64,
    /// Only in attestation mode.
    pub right: Option<RightRecord>,
}

/// How one attempt to deliver went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptOutcome {
    Ok,
    /// The receiver answered NOK.
    Nok,
    /// Not a 2xx answer.
    HttpStatus,
    ConnectFailed,
    Timeout,
    /// An answer the contract does not allow.
    BadAnswer,
}

impl AttemptOutcome {
    pub fn wire_name(&self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "OK",
            AttemptOutcome::Nok => "NOK",
            AttemptOutcome::HttpStatus => "HTTP_STATUS",
            AttemptOutcome::ConnectFailed => "CONNECT_FAILED",
            AttemptOutcome::Timeout => "TIMEOUT",
            AttemptOutcome::BadAnswer => "BAD_ANSWER",
        }
    }
}

/// One delivery attempt of a batch, as the store records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at_ms: i64,
    pub first_sequence: u64,
    pub last_sequence: u64,
    pub outcome: AttemptOutcome,
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// When to try again: `schedule[n]` is the wait before attempt n + 1 (the first is
/// usually immediate). Past its end, the notification is dead-lettered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<std::time::Duration>);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("the retry schedule needs at least one attempt")]
    Empty,
    #[error("{0:?} is not a duration (e.g. 0, 500ms, 5s, 5m, 2h)")]
    Duration(String),
}

impl RetrySchedule {
    /// Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    pub fn network_default() -> Self {
        let s = std::time::Duration::from_secs;
        RetrySchedule(vec![
            s(0),
            s(5),
            s(300),
            s(1800),
            s(7200),
            s(18_000),
            s(36_000),
            s(36_000),
        ])
    }

    /// Reads `0,5s,5m,30m,2h`: each a number with `ms`, `s`, `m`, `h` or `d` (bare:
    /// seconds).
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            // A bare number is seconds.
            let with_unit = if part.bytes().all(|b| b.is_ascii_digit()) {
                format!("{part}s")
            } else {
                part.to_owned()
            };
            let ms = super::date::parse_duration_ms(&with_unit)
                .and_then(|ms| u64::try_from(ms).ok())
                .ok_or_else(|| ScheduleError::Duration(part.to_owned()))?;
            out.push(std::time::Duration::from_millis(ms));
        }
        if out.is_empty() {
            return Err(ScheduleError::Empty);
        }
        Ok(RetrySchedule(out))
    }

    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// The wait before the attempt that follows `failed` failures, or `None` when the
    /// schedule is exhausted.
    pub fn wait_after(&self, failed: u32) -> Option<std::time::Duration> {
        self.0.get(usize::try_from(failed).ok()?).copied()
    }

    /// `wait_after`, spread by up to ±20 % so that subscribers failing together (one
    /// outage of the network) do not all come back at once. The spread is drawn from
    /// the subscriber and the attempt, so the same retry always waits the same.
    pub fn jittered_wait_after(
        &self,
        failed: u32,
        subscriber: &CbeNumber,
    ) -> Option<std::time::Duration> {
        use std::hash::{Hash, Hasher};
        let wait = self.wait_after(failed)?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (subscriber.as_str(), failed).hash(&mut hasher);
        // A factor from 0.8 to 1.2, in thousandths.
        let permille = 800 + hasher.finish() % 401;
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        Some(std::time::Duration::from_millis(
            ms.saturating_mul(permille) / 1000,
        ))
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|d| format!("{}ms", d.as_millis()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_retry_is_spread_by_at_most_a_fifth_and_the_same_for_the_same_attempt() {
        let schedule = RetrySchedule::parse("0,10s,10s").unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for prefix in 2_000_000..2_000_200u32 {
            let cbe = CbeNumber::with_check_digits(&format!("0{prefix}")).unwrap();
            let wait = schedule.jittered_wait_after(1, &cbe).unwrap();
            assert!(
                (Duration::from_secs(8)..=Duration::from_secs(12)).contains(&wait),
                "{wait:?}"
            );
            assert_eq!(schedule.jittered_wait_after(1, &cbe), Some(wait));
            seen.insert(wait);
        }
        assert!(seen.len() > 100, "subscribers spread: {}", seen.len());
        let cbe = CbeNumber::with_check_digits("02067374").unwrap();
        assert_eq!(schedule.jittered_wait_after(0, &cbe), Some(Duration::ZERO));
        assert_eq!(schedule.jittered_wait_after(3, &cbe), None);
    }

    fn subscription() -> Subscription {
        Subscription::new(
            CbeNumber::with_check_digits("02067374").unwrap(),
            Delivery::Pull,
            DeliveryMode::SsinOnly,
            0,
        )
    }

    #[test]
    fn the_default_schedule_is_the_networks() {
        let s = RetrySchedule::network_default();
        assert_eq!(s.attempts(), 8);
        assert_eq!(s.wait_after(0), Some(Duration::ZERO));
        assert_eq!(s.wait_after(2), Some(Duration::from_secs(300)));
        assert_eq!(s.wait_after(8), None);
        assert_eq!(RetrySchedule::parse("0,5s,5m,30m,2h,5h,10h,10h"), Ok(s));
    }

    #[test]
    fn schedules_are_read_with_their_units() {
        assert_eq!(
            RetrySchedule::parse("0, 250ms ,2"),
            Ok(RetrySchedule(vec![
                Duration::ZERO,
                Duration::from_millis(250),
                Duration::from_secs(2)
            ]))
        );
        assert_eq!(RetrySchedule::parse(""), Err(ScheduleError::Empty));
        assert_eq!(
            RetrySchedule::parse("1d"),
            Ok(RetrySchedule(vec![Duration::from_secs(86_400)]))
        );
        assert_eq!(
            RetrySchedule::parse("5w"),
            Err(ScheduleError::Duration("5w".into()))
        );
    }

    #[test]
    fn acknowledgements_only_move_forward_within_what_was_queued() {
        let mut s = subscription();
        s.last_sequence = 10;
        s.acknowledge(4);
        assert_eq!((s.acknowledged, s.pending()), (4, 6));
        s.acknowledge(2);
        assert_eq!(s.acknowledged, 4);
        s.acknowledge(99);
        assert_eq!(s.acknowledged, 10);
    }

    #[test]
    fn a_replay_reactivates_and_starts_from_the_sequence_asked() {
        let mut s = subscription();
        s.last_sequence = 10;
        s.acknowledge(10);
        s.state = SubscriptionState::Failing;
        s.failed_attempts = 8;
        s.replay_from(3);
        assert_eq!(
            (s.acknowledged, s.pending(), s.state, s.failed_attempts),
            (2, 8, SubscriptionState::Active, 0)
        );
    }
}
