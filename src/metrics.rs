//! What `/metrics` shows, in the Prometheus text format (prometheus-client).
//!
//! Two kinds of figures: counts the gateway keeps as things happen (exchanges by
//! service, operation, outcome and HTTP status, their latency, registrations, injected
//! faults, the audit writer's commits and drops, deliveries, dead letters), each one
//! atomic increment where it happens; and readings taken when `/metrics` is asked for
//! (`Readings`: the journal's size, the outbox and the fan-out, each subscriber's
//! queue), which cost nothing between scrapes.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of what `render` writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExchangeLabels {
    service: &'static str,
    operation: &'static str,
    outcome: Cow<'static, str>,
    http_status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    service: &'static str,
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: u64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    institution: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubscriberLabels {
    institution: String,
}

type Latency = Family<OperationLabels, Histogram, fn() -> Histogram>;

/// From 0.25 ms to about 16 s, doubling: a consultation takes well under a
/// millisecond, an injected delay or a large V3 history seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 17))
}

/// The audit writer's counts.
#[derive(Debug, Default)]
pub struct AuditMetrics {
    /// Records waiting for the writer.
    pub waiting: Gauge,
    pub written: Counter,
    pub commits: Counter,
    /// Dropped because the writer was behind.
    pub dropped: Counter,
}

/// The gateway's counts, shared by the server, the dispatcher and the admin API.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    exchanges: Family<ExchangeLabels, Counter>,
    latency: Latency,
    registrations: Family<OutcomeLabels, Counter>,
    injected: Family<RuleLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    dead_letters: Family<SubscriberLabels, Counter>,
    pub audit: AuditMetrics,
    /// The dispatcher's loop runs (for `/ready`).
    dispatcher: AtomicBool,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("bcss");
        let exchanges = Family::<ExchangeLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        let registrations = Family::<OutcomeLabels, Counter>::default();
        let injected = Family::<RuleLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let dead_letters = Family::<SubscriberLabels, Counter>::default();
        let audit = AuditMetrics::default();
        registry.register(
            "requests",
            "SOAP exchanges answered, by service, operation, outcome (status or fault reason code) and HTTP status",
            exchanges.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to its answer, by service and operation",
            latency.clone(),
        );
        registry.register(
            "registrations",
            "Forms and statements sent to PcsaDecisionService, by outcome",
            registrations.clone(),
        );
        registry.register(
            "injected_faults",
            "Requests a fault rule changed, by rule id",
            injected.clone(),
        );
        registry.register(
            "audit_queue_records",
            "Audit records waiting for the writer",
            audit.waiting.clone(),
        );
        registry.register(
            "audit_written_records",
            "Audit records committed",
            audit.written.clone(),
        );
        registry.register(
            "audit_commits",
            "Commits of the audit writer",
            audit.commits.clone(),
        );
        registry.register(
            "audit_dropped_records",
            "Audit records dropped because the writer was behind (each drop is also a DROPPED record in the journal)",
            audit.dropped.clone(),
        );
        registry.register(
            "deliveries",
            "Notification pushes, by subscriber and outcome",
            deliveries.clone(),
        );
        registry.register(
            "dead_letters",
            "Notifications whose last retry failed, by subscriber",
            dead_letters.clone(),
        );
        Metrics {
            registry,
            exchanges,
            latency,
            registrations,
            injected,
            deliveries,
            dead_letters,
            audit,
            dispatcher: AtomicBool::new(false),
        }
    }

    /// One SOAP exchange answered (or withheld).
    pub fn exchange(
        &self,
        service: &'static str,
        operation: Option<&'static str>,
        outcome: Cow<'static, str>,
        http_status: u16,
        took: Duration,
    ) {
        let operation = operation.unwrap_or("");
        self.exchanges
            .get_or_create(&ExchangeLabels {
                service,
                operation,
                outcome,
                http_status,
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { service, operation })
            .observe(took.as_secs_f64());
    }

    /// A form or statement judged: ACCEPTED, ALREADY_REGISTERED or REJECTED.
    pub fn registration(&self, outcome: &'static str) {
        self.registrations
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    pub fn injected(&self, rule: u64) {
        self.injected.get_or_create(&RuleLabels { rule }).inc();
    }

    pub fn delivery(&self, institution: &str, outcome: &'static str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                institution: institution.to_owned(),
                outcome,
            })
            .inc();
    }

    pub fn dead_letter(&self, institution: &str) {
        self.dead_letters
            .get_or_create(&SubscriberLabels {
                institution: institution.to_owned(),
            })
            .inc();
    }

    /// The dispatcher's loop started; the guard says when it ends (a panic too).
    pub fn dispatcher_running(&self) -> DispatcherRunning<'_> {
        self.dispatcher.store(true, Ordering::Release);
        DispatcherRunning(self)
    }

    pub fn dispatcher_runs(&self) -> bool {
        self.dispatcher.load(Ordering::Acquire)
    }

    /// Everything, the readings of this scrape included.
    pub fn render(&self, readings: Readings) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        let mut scrape = Registry::with_prefix("bcss");
        scrape.register_collector(Box::new(readings));
        prometheus_client::encoding::prometheus_text::encode(&mut text, &scrape)?;
        Ok(text)
    }
}

/// Ends with the dispatcher's loop.
pub struct DispatcherRunning<'a>(&'a Metrics);

impl Drop for DispatcherRunning<'_> {
    fn drop(&mut self) {
        self.0.dispatcher.store(false, Ordering::Release);
    }
}

/// What is read from the store when `/metrics` is asked for.
#[derive(Clone, Debug, Default)]
pub struct Readings {
    pub journal_records: u64,
    /// The outbox's last sequence, and how far the fan-out has turned it into
    /// notifications.
    pub outbox_head: u64,
    pub fanned_out: u64,
    pub subscribers: Vec<SubscriberReading>,
}

#[derive(Clone, Debug)]
pub struct SubscriberReading {
    pub institution: String,
    /// Queued and not yet acknowledged.
    pub queued: u64,
    /// Its last notification's retries are spent: it waits for a replay.
    pub failing: bool,
}

impl Collector for Readings {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut one = |name: &str, help: &str, kind: MetricType, value: u64| {
            let metric = encoder.encode_descriptor(name, help, None, kind)?;
            match kind {
                MetricType::Counter => ConstCounter::new(value).encode(metric),
                _ => ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(metric),
            }
        };
        one(
            "journal_records",
            "Audit records the journal holds",
            MetricType::Gauge,
            self.journal_records,
        )?;
        one(
            "outbox_head",
            "The outbox's last event sequence",
            MetricType::Gauge,
            self.outbox_head,
        )?;
        one(
            "fanout_position",
            "The outbox sequence up to which events were turned into notifications",
            MetricType::Gauge,
            self.fanned_out,
        )?;
        one(
            "fanout_lag_events",
            "Outbox events not yet turned into notifications",
            MetricType::Gauge,
            self.outbox_head.saturating_sub(self.fanned_out),
        )?;
        for (name, help, value) in [
            (
                "subscriber_queue_notifications",
                "Notifications queued for a subscriber and not yet acknowledged",
                (|s: &SubscriberReading| s.queued) as fn(&SubscriberReading) -> u64,
            ),
            (
                "subscriber_failing",
                "1 when a subscriber's retries are spent and it waits for a replay",
                |s: &SubscriberReading| u64::from(s.failing),
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for s in &self.subscribers {
                let labels = SubscriberLabels {
                    institution: s.institution.clone(),
                };
                let metric = family.encode_family(&labels)?;
                ConstGauge::new(i64::try_from(value(s)).unwrap_or(i64::MAX)).encode(metric)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_the_example_dashboard_draws_is_written() {
        let metrics = Metrics::new();
        // One sample in each family, so that each is written.
        metrics.exchange(
            "s",
            Some("o"),
            Cow::Borrowed("MSG00000"),
            200,
            Duration::ZERO,
        );
        metrics.registration("ACCEPTED");
        metrics.injected(1);
        metrics.delivery("0206737484", "OK");
        metrics.dead_letter("0206737484");
        let text = metrics
            .render(Readings {
                subscribers: vec![SubscriberReading {
                    institution: "0206737484".into(),
                    queued: 0,
                    failing: false,
                }],
                ..Readings::default()
            })
            .unwrap();
        let dashboard = include_str!("../examples/grafana-dashboard.json");
        let mut drawn: Vec<&str> = dashboard
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("bcss_"))
            .map(|w| w.strip_suffix("_bucket").unwrap_or(w))
            .collect();
        drawn.sort_unstable();
        drawn.dedup();
        assert!(drawn.len() >= 10, "{drawn:?}");
        for series in drawn {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&format!("# TYPE {series} "))),
                "the dashboard draws {series}, which /metrics does not write:\n{text}"
            );
        }
    }

    #[test]
    fn counts_and_readings_are_written_as_prometheus_reads_them() {
        let metrics = Metrics::new();
        for _ in 0..3 {
            metrics.exchange(
                "LivingWagesService v2",
                Some("getLivingWages"),
                Cow::Borrowed("MSG00000"),
                200,
                Duration::from_micros(300),
            );
        }
        metrics.audit.dropped.inc();
        let text = metrics
            .render(Readings {
                journal_records: 7,
                outbox_head: 12,
                fanned_out: 10,
                subscribers: vec![SubscriberReading {
                    institution: "0206737484".into(),
                    queued: 4,
                    failing: true,
                }],
            })
            .unwrap();
        for line in [
            "bcss_requests_total{service=\"LivingWagesService v2\",operation=\"getLivingWages\",outcome=\"MSG00000\",http_status=\"200\"} 3",
            "bcss_request_duration_seconds_bucket{service=\"LivingWagesService v2\",operation=\"getLivingWages\",le=\"0.00025\"} 0",
            "bcss_request_duration_seconds_bucket{service=\"LivingWagesService v2\",operation=\"getLivingWages\",le=\"0.0005\"} 3",
            "bcss_audit_dropped_records_total 1",
            "bcss_journal_records 7",
            "bcss_fanout_lag_events 2",
            "bcss_subscriber_queue_notifications{institution=\"0206737484\"} 4",
            "bcss_subscriber_failing{institution=\"0206737484\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\nnot in\n{text}");
        }
    }
}
