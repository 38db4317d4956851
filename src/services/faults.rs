//! Injected faults: rules a tester sets (admin API, `bcss-gateway faults`, world files)
//! to see how their application lives with a network that is slow, refuses or breaks,
//! and how their notification receiver lives with at-least-once delivery.
//!
//! A rule matches requests (service, operation, caller, SSIN, HTTP method and path),
//! fires for the next `count` of them, with a probability drawn from its own seeded
//! generator (ChaCha8: the same seed gives the same sequence on every machine), within
//! a window of the gateway's clock; rules are tried in the order they were added and
//! the first that fires applies. What it does is a delay before the answer and/or one
//! effect. Effects that replace the answer (a status, a fault, an HTTP error, a reset,
//! a hold) run instead of the operation, so nothing is registered; effects on the
//! delivery (truncated, malformed, dribbled) deliver the answer of an operation that
//! ran, as a network failing after the fact does. Rules on deliveries (a subscriber's
//! next batch pushed twice, its deliveries paused) match the subscriber and never
//! reorder its queue. Rules live in memory only: they never change stored data, and a
//! restart clears them. How the HTTP exchange is changed is `server::injected`; how
//! deliveries are, `notify`.
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::domain::CbeNumber;
use crate::services::status::FORCEABLE;

/// A rule as a tester writes it (the admin API's JSON, a world file's `[[faults]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    /// Which requests; every criterion given must hold, none given matches all.
    #[serde(default, rename = "match", skip_serializing_if = "Match::is_empty")]
    pub when: Match,
    /// Waited before the answer (or the effect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Delay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// Fires for this many matching requests, then is removed; forever without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The chance, from 0 to 1, that a matching request is affected (1 without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seeds the rule's draws (probability, random delays); 0 without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// From this instant of the gateway's clock (`2027-03-01T09:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Up to this instant, excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Match {
    /// As the services' table names it: `LivingWagesService v2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The caller's CBE number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// The SSIN the request is about, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Match {
    fn is_empty(&self) -> bool {
        *self == Match::default()
    }
}

/// How long to wait, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Delay {
    Fixed {
        ms: u64,
    },
    #[serde(rename_all = "camelCase")]
    Uniform {
        min_ms: u64,
        max_ms: u64,
    },
    /// As WireMock's: half the delays are below the median; `sigma` spreads the tail.
    #[serde(rename_all = "camelCase")]
    LogNormal {
        median_ms: u64,
        sigma: f64,
    },
}

/// What a rule does to the answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Effect {
    /// A consultation answered normally with this status and no data (MSG00012, ...).
    Status(String),
    /// A SOAP fault with the service's own detail.
    Fault(FaultSpec),
    /// An HTTP error, as a load balancer in front of the network sends one.
    Http(HttpSpec),
    /// The TCP connection reset, no answer.
    Reset,
    /// No answer: the connection is held until the client gives up, at most `ms` (and
    /// at most the gateway's `--max-hold`), then closed.
    Hold(HoldSpec),
    /// The answer's head and half its body, then the connection is cut.
    Truncate,
    /// A complete HTTP answer whose XML is cut short.
    Malformed,
    /// The answer a few bytes at a time.
    Dribble(DribbleSpec),
    /// A subscriber's next batch pushed twice, the same notifications with the same
    /// ids (as at-least-once delivery allows).
    Duplicate,
    /// A subscriber's deliveries wait while the rule lasts (for `ms` from when it was
    /// added, or until it is removed); its queue keeps its order.
    Pause(PauseSpec),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PauseSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
}

impl Effect {
    /// It acts on the deliveries of notifications, not on requests.
    pub fn on_deliveries(&self) -> bool {
        matches!(self, Effect::Duplicate | Effect::Pause(_))
    }
}

/// What the rules call the deliveries of notifications, as a service to match.
pub const DELIVERIES: &str = "LivingWagesNotificationService v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// The reason code (MSG00003, the network's "unexpected internal error", without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `server` or `client`: server for MSG00003 without it, client otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpSpec {
    /// From 400 to 599.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The body, HTML; a load balancer's page for the status without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DribbleSpec {
    /// Bytes sent at a time, 1 to 65,536.
    pub bytes: usize,
    /// Between two pieces, 1 to 10,000 ms.
    pub every_ms: u64,
}

/// A rule's field that cannot be used, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct RuleError {
    pub field: String,
    pub reason: String,
}

fn invalid(field: &str, reason: impl Into<String>) -> RuleError {
    RuleError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Checks a rule as `Faults::add` would, without adding it (a world file's), for a
/// gateway serving `services`.
pub fn check(spec: &RuleSpec, services: &[&'static str]) -> Result<(), RuleError> {
    Rule::check(spec.clone(), services, 0).map(|_| ())
}

/// A checked rule, ready to match.
#[derive(Clone, Debug)]
struct Rule {
    spec: RuleSpec,
    service: Option<&'static str>,
    institution: Option<CbeNumber>,
    from_ms: Option<i64>,
    until_ms: Option<i64>,
    /// The status code of a `status` effect, from `FORCEABLE`.
    status: Option<&'static str>,
}

impl Rule {
    /// `now_ms` starts a pause of `ms`.
    fn check(spec: RuleSpec, services: &[&'static str], now_ms: i64) -> Result<Rule, RuleError> {
        if spec.delay.is_none() && spec.effect.is_none() {
            return Err(invalid("effect", "a rule needs an effect, a delay or both"));
        }
        let known = || services.iter().copied().chain([DELIVERIES]);
        let service = match spec.when.service.as_deref() {
            None => None,
            Some(name) => Some(
                known()
                    .find(|n| n.eq_ignore_ascii_case(name.trim()))
                    .ok_or_else(|| {
                        let known: Vec<&str> = known().collect();
                        invalid(
                            "match.service",
                            format!("{name:?} is not one of {}", known.join(", ")),
                        )
                    })?,
            ),
        };
        let institution = spec
            .when
            .institution
            .as_deref()
            .map(|c| CbeNumber::parse(c).map_err(|e| invalid("match.institution", e.to_string())))
            .transpose()?;
        for (field, value) in [
            ("match.operation", &spec.when.operation),
            ("match.ssin", &spec.when.ssin),
            ("match.method", &spec.when.method),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(invalid(field, "empty"));
            }
        }
        if let Some(path) = &spec.when.path
            && !path.starts_with('/')
        {
            return Err(invalid(
                "match.path",
                format!("{path:?} does not begin with /"),
            ));
        }
        let instant = |field: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| clock::parse_instant(t).map_err(|e| invalid(field, e.to_string())))
                .transpose()
        };
        let from_ms = instant("from", &spec.from)?;
        let mut until_ms = instant("until", &spec.until)?;
        if let (Some(f), Some(u)) = (from_ms, until_ms)
            && u <= f
        {
            return Err(invalid("until", "not after from"));
        }
        if spec.count == Some(0) {
            return Err(invalid("count", "0 requests: remove the rule instead"));
        }
        if let Some(p) = spec.probability
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(invalid(
                "probability",
                format!("{p} is not above 0 and at most 1"),
            ));
        }
        match &spec.delay {
            Some(Delay::Uniform { min_ms, max_ms }) if max_ms < min_ms => {
                return Err(invalid("delay.uniform.maxMs", "below minMs"));
            }
            Some(Delay::LogNormal { median_ms, sigma }) => {
                if *median_ms == 0 {
                    return Err(invalid("delay.logNormal.medianMs", "must be above 0"));
                }
                if !(sigma.is_finite() && *sigma >= 0.0 && *sigma <= 10.0) {
                    return Err(invalid(
                        "delay.logNormal.sigma",
                        format!("{sigma} is not from 0 to 10"),
                    ));
                }
            }
            _ => {}
        }
        let mut status = None;
        match &spec.effect {
            Some(Effect::Status(code)) => {
                status = Some(
                    FORCEABLE
                        .iter()
                        .map(|(c, _, _)| *c)
                        .find(|c| c.eq_ignore_ascii_case(code.trim()))
                        .ok_or_else(|| {
                            let known: Vec<&str> = FORCEABLE.iter().map(|(c, _, _)| *c).collect();
                            invalid(
                                "effect.status",
                                format!("{code:?} is not one of {}", known.join(", ")),
                            )
                        })?,
                );
            }
            Some(Effect::Fault(f)) => {
                if let Some(reason) = &f.reason
                    && !(reason.len() == 8
                        && reason.starts_with("MSG")
                        && reason[3..].bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(invalid(
                        "effect.fault.reason",
                        format!("{reason:?} is not a reason code such as MSG00003"),
                    ));
                }
                if let Some(code) = &f.code
                    && !["server", "client"].contains(&code.to_ascii_lowercase().as_str())
                {
                    return Err(invalid(
                        "effect.fault.code",
                        format!("{code:?} is neither server nor client"),
                    ));
                }
            }
            Some(Effect::Http(h)) if !(400..=599).contains(&h.status) => {
                return Err(invalid(
                    "effect.http.status",
                    format!("{} is not an error status (400 to 599)", h.status),
                ));
            }
            Some(Effect::Dribble(d)) => {
                if !(1..=65_536).contains(&d.bytes) {
                    return Err(invalid("effect.dribble.bytes", "not from 1 to 65536"));
                }
                if !(1..=10_000).contains(&d.every_ms) {
                    return Err(invalid("effect.dribble.everyMs", "not from 1 to 10000"));
                }
            }
            Some(Effect::Pause(p)) => {
                if spec.count.is_some() || spec.probability.is_some() || spec.delay.is_some() {
                    return Err(invalid(
                        "effect.pause",
                        "a pause lasts (ms, until, or until removed): no count, probability or delay",
                    ));
                }
                if let Some(ms) = p.ms {
                    let ends = now_ms.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX));
                    until_ms = Some(until_ms.map_or(ends, |u| u.min(ends)));
                }
            }
            _ => {}
        }
        let on_deliveries = spec.effect.as_ref().is_some_and(Effect::on_deliveries);
        if on_deliveries {
            if spec.delay.is_some() {
                return Err(invalid(
                    "delay",
                    "a rule on deliveries takes no delay: pause them instead",
                ));
            }
            for (field, given) in [
                ("match.operation", spec.when.operation.is_some()),
                ("match.ssin", spec.when.ssin.is_some()),
                ("match.method", spec.when.method.is_some()),
                ("match.path", spec.when.path.is_some()),
            ] {
                if given {
                    return Err(invalid(
                        field,
                        "a rule on deliveries matches the subscriber (institution) only",
                    ));
                }
            }
            if service.is_some_and(|s| s != DELIVERIES) {
                return Err(invalid(
                    "match.service",
                    format!("a rule on deliveries is about {DELIVERIES}"),
                ));
            }
        } else if service == Some(DELIVERIES) {
            return Err(invalid(
                "effect",
                "deliveries take the effects duplicate and pause",
            ));
        }
        Ok(Rule {
            spec,
            service,
            institution,
            from_ms,
            until_ms,
            status,
        })
    }

    fn matches(&self, request: &Request<'_>, now_ms: i64) -> bool {
        let when = &self.spec.when;
        let text = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w.trim())))
        };
        // What only a SOAP exchange can carry is not tried elsewhere, and effects on
        // deliveries only on deliveries.
        let fits = match &self.spec.effect {
            Some(Effect::Status(_)) => request.carries_status,
            Some(Effect::Fault(_)) => request.operation.is_some(),
            Some(e) => e.on_deliveries() == request.delivery,
            None => !request.delivery,
        };
        fits && self.from_ms.is_none_or(|f| now_ms >= f)
            && self.until_ms.is_none_or(|u| now_ms < u)
            && self.service.is_none_or(|s| request.service == Some(s))
            && self
                .institution
                .is_none_or(|c| request.institution == Some(c))
            && text(&when.operation, request.operation)
            && when
                .ssin
                .as_deref()
                .is_none_or(|s| request.ssin == Some(s.trim()))
            && text(&when.method, Some(request.method))
            && when.path.as_deref().is_none_or(|p| request.path == p)
    }
}

/// What a request offers the rules to match.
pub struct Request<'a> {
    pub service: Option<&'static str>,
    pub operation: Option<&'a str>,
    pub institution: Option<CbeNumber>,
    pub ssin: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    /// The contract answers with a status that a rule may force.
    pub carries_status: bool,
    /// A push of notifications to a subscriber (`institution`), not a request.
    pub delivery: bool,
}

impl<'a> Request<'a> {
    /// A push of notifications to `subscriber`.
    pub fn delivery(subscriber: CbeNumber) -> Request<'a> {
        Request {
            service: Some(DELIVERIES),
            operation: None,
            institution: Some(subscriber),
            ssin: None,
            method: "POST",
            path: "",
            carries_status: false,
            delivery: true,
        }
    }
}

/// A rule that fired for a request: its id, the delay drawn and the effect.
#[derive(Clone, Debug)]
pub struct Injection {
    pub rule: u64,
    pub delay: Option<Duration>,
    pub effect: Option<Effect>,
    /// The status of a `status` effect, from `FORCEABLE`.
    pub status: Option<&'static str>,
}

impl Injection {
    /// What the journal says it did: "delay 120 ms, reset".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.delay {
            parts.push(format!("delay {} ms", d.as_millis()));
        }
        match &self.effect {
            None => {}
            Some(Effect::Status(code)) => parts.push(format!("status {code}")),
            Some(Effect::Fault(f)) => parts.push(format!(
                "fault {}",
                f.reason.as_deref().unwrap_or("MSG00003")
            )),
            Some(Effect::Http(h)) => parts.push(format!("http {}", h.status)),
            Some(Effect::Reset) => parts.push("reset".into()),
            Some(Effect::Hold(_)) => parts.push("hold".into()),
            Some(Effect::Truncate) => parts.push("truncate".into()),
            Some(Effect::Malformed) => parts.push("malformed".into()),
            Some(Effect::Dribble(d)) => {
                parts.push(format!("dribble {} bytes every {} ms", d.bytes, d.every_ms))
            }
            Some(Effect::Duplicate) => parts.push("duplicate".into()),
            Some(Effect::Pause(_)) => parts.push("pause".into()),
        }
        parts.join(", ")
    }

    /// The effect replaces the operation: it must not run.
    pub fn replaces_answer(&self) -> bool {
        matches!(
            self.effect,
            Some(
                Effect::Status(_)
                    | Effect::Fault(_)
                    | Effect::Http(_)
                    | Effect::Reset
                    | Effect::Hold(_)
            )
        )
    }
}

/// A rule as listed: its id, what was asked, and how often it fired.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    pub id: u64,
    #[serde(flatten)]
    pub rule: RuleSpec,
    pub fired: u64,
    /// Requests it will still fire for, when it has a count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
}

#[derive(Debug)]
struct Armed {
    id: u64,
    rule: Rule,
    rng: ChaCha8Rng,
    fired: u64,
}

#[derive(Debug, Default)]
struct Rules {
    next_id: u64,
    armed: Vec<Armed>,
}

/// The longest a request is held, delayed or dribbled unless `--max-hold` says
/// otherwise: longer than most clients' timeouts, shorter than the idle timeout.
pub const DEFAULT_MAX_HOLD: Duration = Duration::from_secs(60);

/// The rules of a running gateway.
#[derive(Debug)]
pub struct Faults {
    /// Any rule at all: without one, a request pays one atomic load.
    any: AtomicBool,
    rules: Mutex<Rules>,
    /// The longest a hold, a delay or a dribble may keep a request.
    pub max_hold: Duration,
    /// The services' names a rule may match (besides `DELIVERIES`).
    services: Vec<&'static str>,
}

impl Faults {
    pub fn new(max_hold: Duration, services: Vec<&'static str>) -> Faults {
        Faults {
            any: AtomicBool::new(false),
            rules: Mutex::new(Rules::default()),
            max_hold,
            services,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks `specs` and adds them all, or none; returns their ids. A pause of `ms`
    /// runs from `now_ms` (the gateway's clock).
    pub fn add(&self, specs: Vec<RuleSpec>, now_ms: i64) -> Result<Vec<u64>, (usize, RuleError)> {
        let checked = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| Rule::check(spec, &self.services, now_ms).map_err(|e| (i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rules = self.lock();
        let mut ids = Vec::with_capacity(checked.len());
        for rule in checked {
            rules.next_id += 1;
            let id = rules.next_id;
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&rule.spec.seed.unwrap_or(0).to_le_bytes());
            rules.armed.push(Armed {
                id,
                rule,
                rng: ChaCha8Rng::from_seed(seed),
                fired: 0,
            });
            ids.push(id);
        }
        self.any.store(!rules.armed.is_empty(), Ordering::Release);
        Ok(ids)
    }

    pub fn list(&self) -> Vec<Listed> {
        self.lock()
            .armed
            .iter()
            .map(|a| Listed {
                id: a.id,
                rule: a.rule.spec.clone(),
                fired: a.fired,
                remaining: a.rule.spec.count.map(|c| c.saturating_sub(a.fired)),
            })
            .collect()
    }

    /// Removes one rule; false when there is none of that id.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.lock();
        let before = rules.armed.len();
        rules.armed.retain(|a| a.id != id);
        self.any.store(!rules.armed.is_empty(), Ordering::Release);
        rules.armed.len() < before
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut rules = self.lock();
        let n = rules.armed.len();
        rules.armed.clear();
        self.any.store(false, Ordering::Release);
        n
    }

    /// The first rule that fires for `request` at `now_ms` (the gateway's clock), if
    /// any; its count and its generator move.
    pub fn pick(&self, request: &Request<'_>, now_ms: i64) -> Option<Injection> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.lock();
        let max_hold = self.max_hold;
        let mut fired = None;
        for (i, armed) in rules.armed.iter_mut().enumerate() {
            // A pause is not picked: it lasts, and `paused` reads it.
            if matches!(armed.rule.spec.effect, Some(Effect::Pause(_)))
                || !armed.rule.matches(request, now_ms)
            {
                continue;
            }
            // Every matching request draws, so a seed gives one sequence of outcomes.
            if let Some(p) = armed.rule.spec.probability
                && armed.rng.random::<f64>() >= p
            {
                continue;
            }
            armed.fired += 1;
            let delay = armed
                .rule
                .spec
                .delay
                .as_ref()
                .map(|d| draw(d, &mut armed.rng).min(max_hold));
            fired = Some((
                i,
                Injection {
                    rule: armed.id,
                    delay,
                    effect: armed.rule.spec.effect.clone(),
                    status: armed.rule.status,
                },
            ));
            break;
        }
        let (i, injection) = fired?;
        let spent = rules.armed[i]
            .rule
            .spec
            .count
            .is_some_and(|c| rules.armed[i].fired >= c);
        if spent {
            rules.armed.remove(i);
            self.any.store(!rules.armed.is_empty(), Ordering::Release);
        }
        Some(injection)
    }

    /// Whether `subscriber`'s deliveries are paused at `now_ms`, until when, and by
    /// which rules. A pause neither counts nor draws; pauses past their end go.
    pub fn paused(&self, subscriber: CbeNumber, now_ms: i64) -> Option<Paused> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.lock();
        let is_pause = |a: &Armed| matches!(a.rule.spec.effect, Some(Effect::Pause(_)));
        rules
            .armed
            .retain(|a| !(is_pause(a) && a.rule.until_ms.is_some_and(|u| now_ms >= u)));
        self.any.store(!rules.armed.is_empty(), Ordering::Release);
        let request = Request::delivery(subscriber);
        let mut paused: Option<Paused> = None;
        for a in rules.armed.iter().filter(|a| is_pause(a)) {
            if !a.rule.matches(&request, now_ms) {
                continue;
            }
            let p = paused.get_or_insert(Paused {
                until_ms: a.rule.until_ms,
                rules: Vec::new(),
            });
            p.until_ms = match (p.until_ms, a.rule.until_ms) {
                (Some(t), Some(u)) => Some(t.max(u)),
                _ => None,
            };
            p.rules.push(a.id);
        }
        paused
    }

    /// Counts rules as fired (a pause, once for each stretch it held deliveries back).
    pub fn fired(&self, ids: &[u64]) {
        for a in self.lock().armed.iter_mut().filter(|a| ids.contains(&a.id)) {
            a.fired += 1;
        }
    }
}

/// A subscriber's deliveries held back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paused {
    /// By the gateway's clock; `None` until the rules are removed.
    pub until_ms: Option<i64>,
    pub rules: Vec<u64>,
}

fn draw(delay: &Delay, rng: &mut ChaCha8Rng) -> Duration {
    match *delay {
        Delay::Fixed { ms } => Duration::from_millis(ms),
        Delay::Uniform { min_ms, max_ms } => {
            Duration::from_millis(rng.random_range(min_ms..=max_ms))
        }
        Delay::LogNormal { median_ms, sigma } => {
            // Checked when the rule was added: a positive median, a finite sigma.
            let ms = LogNormal::new((median_ms as f64).ln(), sigma)
                .map_or(median_ms as f64, |d| d.sample(rng));
            Duration::from_secs_f64((ms / 1000.0).clamp(0.0, 86_400.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request<'static> {
        Request {
            service: Some("LivingWagesService v2"),
            operation: Some("getLivingWages"),
            institution: None,
            ssin: Some("85073100130"),
            method: "POST",
            path: "/LivingWagesService/v2",
            carries_status: true,
            delivery: false,
        }
    }

    fn spec(json: serde_json::Value) -> RuleSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_seed_gives_the_same_sequence_and_a_count_ends_the_rule() {
        let run = || {
            let faults = Faults::new(Duration::from_secs(60), vec!["LivingWagesService v2"]);
            faults
                .add(
                    vec![spec(serde_json::json!({
                        "effect": "reset", "probability": 0.3, "seed": 7, "count": 20
                    }))],
                    0,
                )
                .unwrap();
            (0..200)
                .map(|_| faults.pick(&request(), 0).is_some())
                .collect::<Vec<bool>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert_eq!(first.iter().filter(|f| **f).count(), 20);
        // Not the first twenty: the probability held some back.
        assert!(first[..20].iter().any(|f| !f));
    }

    #[test]
    fn rules_match_on_what_they_name_only() {
        let faults = Faults::new(Duration::from_secs(60), vec!["LivingWagesService v2"]);
        faults
            .add(
                vec![spec(serde_json::json!({
                    "match": {"ssin": "85073100130", "service": "livingwagesservice V2"},
                    "effect": {"status": "MSG00012"}
                }))],
                0,
            )
            .unwrap();
        let other = Request {
            ssin: Some("00000000097"),
            ..request()
        };
        assert!(faults.pick(&other, 0).is_none());
        let not_soap = Request {
            carries_status: false,
            ..request()
        };
        assert!(faults.pick(&not_soap, 0).is_none());
        let fired = faults.pick(&request(), 0).unwrap();
        assert_eq!(fired.status, Some("MSG00012"));
        assert!(fired.replaces_answer());
    }

    #[test]
    fn a_window_follows_the_clock_and_bad_rules_name_their_field() {
        let faults = Faults::new(Duration::from_secs(60), vec!["LivingWagesService v2"]);
        faults
            .add(
                vec![spec(serde_json::json!({
                    "effect": "truncate",
                    "from": "2027-01-01T00:00:00Z", "until": "2027-01-02T00:00:00Z"
                }))],
                0,
            )
            .unwrap();
        let jan_1 = clock::parse_instant("2027-01-01T12:00:00Z").unwrap();
        assert!(faults.pick(&request(), jan_1 - 86_400_000).is_none());
        assert!(faults.pick(&request(), jan_1).is_some());
        assert!(faults.pick(&request(), jan_1 + 86_400_000).is_none());
        for (json, field) in [
            (
                serde_json::json!({"effect": {"status": "MSG00099"}}),
                "effect.status",
            ),
            (
                serde_json::json!({"match": {"service": "nope"}, "effect": "reset"}),
                "match.service",
            ),
            (
                serde_json::json!({"effect": "reset", "probability": 1.5}),
                "probability",
            ),
            (
                serde_json::json!({"effect": {"http": {"status": 200}}}),
                "effect.http.status",
            ),
            (
                serde_json::json!({"match": {"path": "x"}, "effect": "reset"}),
                "match.path",
            ),
            (serde_json::json!({}), "effect"),
        ] {
            let (i, e) = faults.add(vec![spec(json)], 0).unwrap_err();
            assert_eq!((i, e.field.as_str()), (0, field));
        }
        assert_eq!(faults.list().len(), 1);
    }

    #[test]
    fn rules_on_deliveries_match_deliveries_only() {
        let faults = Faults::new(Duration::from_secs(60), vec!["LivingWagesService v2"]);
        let cin = CbeNumber::parse("0206737484").unwrap();
        let ids = faults
            .add(
                vec![
                    spec(serde_json::json!({"match": {"institution": "0206737484"}, "effect": "duplicate", "count": 1})),
                    spec(serde_json::json!({"effect": {"pause": {"ms": 1000}}})),
                ],
                10_000,
            )
            .unwrap();
        // A request is never duplicated or paused.
        assert!(faults.pick(&request(), 10_000).is_none());
        let fired = faults.pick(&Request::delivery(cin), 10_000).unwrap();
        assert_eq!(
            (fired.rule, fired.effect),
            (ids[0], Some(Effect::Duplicate))
        );
        assert!(faults.pick(&Request::delivery(cin), 10_000).is_none());
        assert_eq!(
            faults.paused(cin, 10_500),
            Some(Paused {
                until_ms: Some(11_000),
                rules: vec![ids[1]]
            })
        );
        assert_eq!(faults.paused(cin, 11_000), None);
        assert!(faults.list().is_empty(), "a pause past its end is gone");
        for (json, field) in [
            (
                serde_json::json!({"effect": {"pause": {}}, "count": 2}),
                "effect.pause",
            ),
            (
                serde_json::json!({"effect": "duplicate", "match": {"ssin": "85073100130"}}),
                "match.ssin",
            ),
            (
                serde_json::json!({"effect": "reset", "match": {"service": DELIVERIES}}),
                "effect",
            ),
        ] {
            let (_, e) = faults.add(vec![spec(json)], 0).unwrap_err();
            assert_eq!(e.field, field);
        }
    }

    #[test]
    fn delays_stay_within_their_bounds() {
        let faults = Faults::new(Duration::from_millis(500), vec!["LivingWagesService v2"]);
        faults
            .add(vec![
                spec(serde_json::json!({"match": {"path": "/u"}, "delay": {"uniform": {"minMs": 10, "maxMs": 20}}})),
                spec(serde_json::json!({"delay": {"logNormal": {"medianMs": 100, "sigma": 3.0}}})),
            ], 0)
            .unwrap();
        let u = Request {
            path: "/u",
            ..request()
        };
        for _ in 0..100 {
            let d = faults.pick(&u, 0).unwrap().delay.unwrap();
            assert!((10..=20).contains(&d.as_millis()));
            let d = faults.pick(&request(), 0).unwrap().delay.unwrap();
            assert!(d <= Duration::from_millis(500));
        }
    }
}
