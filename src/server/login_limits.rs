//! Limits on failed password verifications. Each costs an Argon2 verification (about
//! 15 ms of a core, by design), so unlimited guesses would fill the CPUs. Failures are
//! counted per source address and per user name in token buckets: a burst is allowed
//! (a test suite checking its 401s), then a steady few per second; beyond, a request
//! is refused at once with HTTP 429 and `Retry-After`, without a verification.
//! A verification takes its token before it runs and gives it back when the password
//! was right, so requests sent at once cannot all pass a full bucket. Credentials
//! already verified never reach these limits (the authenticator's cache answers
//! first), so guessing cannot deny service to clients that logged in; and a user
//! name's bucket holds back only sources that failed recently themselves, so that
//! guessing at an institution's name (CBE numbers are public) does not lock out that
//! institution's own first login.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::domain::CbeNumber;

/// One bucket's shape: how many failures at once, and how fast they are forgiven.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: u32,
    pub per_second: u32,
}

/// Failures allowed from one source: 30 at once, then 5 a second (one guessing source
/// then takes 75 ms of CPU a second).
pub const PER_SOURCE: Rate = Rate {
    burst: 30,
    per_second: 5,
};
/// Failures allowed for one user name, from all sources together.
pub const PER_USER: Rate = Rate {
    burst: 60,
    per_second: 10,
};
/// Buckets kept per kind at most; full (rested) buckets are forgotten first.
const TRACKED: usize = 10_000;

/// Why a verification is not attempted, and when to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// "source 127.0.0.1" or "user E0123456789".
    pub who: String,
    pub retry_after: Duration,
}

impl std::fmt::Display for Throttled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "too many failed logins from {}: try again in {} s",
            self.who,
            retry_seconds(self.retry_after)
        )
    }
}

/// Whole seconds to wait, at least one (what `Retry-After` says).
pub fn retry_seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Buckets<K> {
    rate: Rate,
    buckets: HashMap<K, Bucket>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    fn new(rate: Rate) -> Self {
        Buckets {
            rate,
            buckets: HashMap::new(),
        }
    }

    fn refill(rate: Rate, bucket: &mut Bucket, now: Instant) {
        let rested = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + rested * f64::from(rate.per_second)).min(f64::from(rate.burst));
        bucket.at = now;
    }

    /// How long until `key` may fail once more; `None` when it may now.
    fn wait(&mut self, key: &K, now: Instant) -> Option<Duration> {
        let rate = self.rate;
        let bucket = self.buckets.get_mut(key)?;
        Self::refill(rate, bucket, now);
        (bucket.tokens < 1.0).then(|| {
            Duration::from_secs_f64((1.0 - bucket.tokens) / f64::from(rate.per_second.max(1)))
        })
    }

    /// Whether `key` failed recently (its bucket is not full).
    fn failed_recently(&mut self, key: &K, now: Instant) -> bool {
        let rate = self.rate;
        self.buckets.get_mut(key).is_some_and(|bucket| {
            Self::refill(rate, bucket, now);
            bucket.tokens < f64::from(rate.burst)
        })
    }

    /// A token back, after a verification that succeeded.
    fn refund(&mut self, key: &K, now: Instant) {
        let rate = self.rate;
        if let Some(bucket) = self.buckets.get_mut(key) {
            Self::refill(rate, bucket, now);
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(rate.burst));
        }
    }

    fn take(&mut self, key: &K, now: Instant) {
        let rate = self.rate;
        if !self.buckets.contains_key(key) && self.buckets.len() >= TRACKED {
            self.buckets.retain(|_, b| {
                Self::refill(rate, b, now);
                b.tokens < f64::from(rate.burst)
            });
            if self.buckets.len() >= TRACKED {
                // Every tracked key is failing: the per-source limit still holds.
                self.buckets.clear();
            }
        }
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: f64::from(rate.burst),
            at: now,
        });
        Self::refill(rate, bucket, now);
        bucket.tokens = (bucket.tokens - 1.0).max(0.0);
    }
}

/// A source as it is limited: an IPv4 address, or the /64 network of an IPv6 one (a
/// host usually has a whole /64).
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::V6(octets.into())
            }
        },
    }
}

pub struct LoginLimits {
    by_source: Mutex<Buckets<IpAddr>>,
    by_user: Mutex<Buckets<CbeNumber>>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits::new(PER_SOURCE, PER_USER)
    }
}

impl LoginLimits {
    pub fn new(per_source: Rate, per_user: Rate) -> Self {
        LoginLimits {
            by_source: Mutex::new(Buckets::new(per_source)),
            by_user: Mutex::new(Buckets::new(per_user)),
        }
    }

    /// Both kinds of buckets, always locked in this order.
    fn buckets(
        &self,
    ) -> (
        MutexGuard<'_, Buckets<IpAddr>>,
        MutexGuard<'_, Buckets<CbeNumber>>,
    ) {
        (
            self.by_source
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            self.by_user.lock().unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Takes a token from both buckets for a verification of `user`'s password from
    /// `source`, or says why it may not be attempted now. `succeeded` gives them back.
    pub fn begin(&self, source: IpAddr, user: &CbeNumber) -> Result<(), Throttled> {
        let now = Instant::now();
        let source = source_key(source);
        let (mut by_source, mut by_user) = self.buckets();
        if let Some(retry_after) = by_source.wait(&source, now) {
            return Err(Throttled {
                who: format!("source {source}"),
                retry_after,
            });
        }
        if by_source.failed_recently(&source, now)
            && let Some(retry_after) = by_user.wait(user, now)
        {
            return Err(Throttled {
                who: format!("user E{user}"),
                retry_after,
            });
        }
        by_source.take(&source, now);
        by_user.take(user, now);
        Ok(())
    }

    /// The password was right: the tokens `begin` took come back.
    pub fn succeeded(&self, source: IpAddr, user: &CbeNumber) {
        let now = Instant::now();
        let (mut by_source, mut by_user) = self.buckets();
        by_source.refund(&source_key(source), now);
        by_user.refund(user, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cbe(eight: &str) -> CbeNumber {
        CbeNumber::with_check_digits(eight).unwrap()
    }

    #[test]
    fn a_burst_passes_then_failures_wait_for_their_rate() {
        let limits = LoginLimits::new(
            Rate {
                burst: 3,
                per_second: 2,
            },
            PER_USER,
        );
        let (ip, user) = ("192.0.2.7".parse().unwrap(), cbe("02075943"));
        // Three verifications begun at once (none has failed yet) take the burst.
        for _ in 0..3 {
            assert_eq!(limits.begin(ip, &user), Ok(()));
        }
        let refused = limits.begin(ip, &user).unwrap_err();
        assert_eq!(refused.who, "source 192.0.2.7");
        assert!(refused.retry_after <= Duration::from_millis(500));
        assert_eq!(retry_seconds(refused.retry_after), 1);
        // Another source is not held back by this one.
        assert_eq!(limits.begin("192.0.2.8".parse().unwrap(), &user), Ok(()));
        std::thread::sleep(Duration::from_millis(550));
        assert_eq!(limits.begin(ip, &user), Ok(()), "one failure forgiven");
        // A right password gives its token back.
        limits.succeeded(ip, &user);
        assert_eq!(limits.begin(ip, &user), Ok(()));
    }

    #[test]
    fn a_user_is_limited_for_sources_that_failed() {
        let limits = LoginLimits::new(
            PER_SOURCE,
            Rate {
                burst: 2,
                per_second: 1,
            },
        );
        let user = cbe("02075943");
        let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        limits.begin(a, &user).unwrap();
        limits.begin(b, &user).unwrap();
        let refused = limits.begin(a, &user).unwrap_err();
        assert_eq!(refused.who, format!("user E{user}"));
        // A source that has not failed is not held back by others' guessing.
        assert_eq!(limits.begin("192.0.2.3".parse().unwrap(), &user), Ok(()));
        assert_eq!(limits.begin(a, &cbe("02122391")), Ok(()));
    }

    #[test]
    fn an_ipv6_host_is_one_source_with_its_network() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(source_key(a), source_key(b));
        assert_ne!(
            source_key(a),
            source_key("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(
            source_key("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }
}
