//! Notification delivery. `cargo bench --bench notifications [-- SUBSCRIBERS EVENTS
//! PERSONS]` (defaults 10 subscribers, 10,000 events, 1,000 persons).
//!
//! SUBSCRIBERS institutions, each granted LivingWagesNotifications, inscribed for every
//! person and subscribed in attestation mode to a notification sink of its own, all in
//! process on loopback over TLS.
//!
//! 1. **Backlog**: a CPAS registers EVENTS forms B over SOAP while no dispatcher runs;
//!    then the dispatcher starts and drains them. Deliveries per second = EVENTS ×
//!    SUBSCRIBERS notifications, fanned out and pushed, over the time until every sink
//!    holds all of its own.
//! 2. **Latency**: with the dispatcher running, 4 CPAS clients register forms at a
//!    steady pace; for each form and subscriber, the time from the CPAS reading its
//!    acknowledgement to the sink reading the notification: p50 and p99.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use bcss_gateway::clock::Clock;
use bcss_gateway::domain::{
    CbeNumber, Date, Delivery, DeliveryMode, Grant, Inscription, Institution, OpenPeriod,
    QualityCode, RetrySchedule, Service, Subscription,
};
use bcss_gateway::notify::push::{PushTls, Timeouts};
use bcss_gateway::notify::sink::{Behaviour, Sink};
use bcss_gateway::notify::{Dispatcher, NotifyConfig};
use bcss_gateway::store::Change;
use common::{Caller, Error, Setup, arg, percentile_ms};

/// Forms per second of the latency phase, in all.
const PACE: u64 = 200;
const LATENCY_FORMS: u64 = 2_000;
const LATENCY_CLIENTS: u64 = 4;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let subscribers = usize::try_from(arg(0, 10))?;
    let events = arg(1, 10_000);
    let person_count = usize::try_from(arg(2, 1_000))?;

    let setup = Setup::new(person_count)?;
    let since = OpenPeriod::new(Date::from_ymd(2015, 1, 1)?, None)?;
    let mut sinks = Vec::new();
    let mut changes = Vec::new();
    let mut institutions = Vec::new();
    for i in 0..subscribers {
        let cbe = CbeNumber::with_check_digits(&format!("0599{i:04}"))?;
        changes.push(Change::Institution(Institution {
            cbe,
            name: format!("Subscriber {i}"),
            sector: None,
            password_hash: None,
            certificates: Vec::new(),
            grants: vec![Grant {
                service: Service::LivingWagesNotifications,
                legal_contexts: Vec::new(),
            }],
        }));
        for ssin in setup.persons.iter() {
            changes.push(Change::Inscription(Inscription {
                ssin: *ssin,
                institution: cbe,
                quality: QualityCode::new(9)?,
                period: since,
            }));
        }
        institutions.push(cbe);
    }
    setup.store.apply(&changes)?;
    for cbe in &institutions {
        let sink = Sink::start(
            "127.0.0.1:0".parse()?,
            setup.files.server_certificate.clone(),
            setup.files.server_key.clone(),
            Behaviour::Acknowledge,
        )
        .await?;
        let endpoint = sink.url();
        setup.store.update_subscription(cbe, None, &mut |_| {
            Some(Subscription::new(
                *cbe,
                Delivery::Push {
                    endpoint: endpoint.clone(),
                },
                DeliveryMode::WithAttestation,
                0,
            ))
        })?;
        sinks.push(sink);
    }

    // 1. The backlog: forms registered with no dispatcher, then drained.
    let running = setup.serve(None).await?;
    let cpas = setup.cpas(running.local_addr())?;
    let registered = send(&cpas, 16, 0..events, Duration::ZERO).await?;
    running.shutdown().await?;
    let clock = Arc::new(Clock::system());
    let config = NotifyConfig {
        tls: PushTls {
            ca: Some(setup.files.ca.clone()),
            client_identity: None,
        },
        timeouts: Timeouts::default(),
        schedule: RetrySchedule::parse("0,1s,1s,1s")?,
        batch_size: 100,
        propagation_delay: Duration::ZERO,
        // The benchmark's receivers run on this machine.
        receivers: bcss_gateway::domain::Receivers::default().with_loopback(),
    };
    let started = Instant::now();
    let dispatcher = Dispatcher::start(
        setup.store.clone(),
        clock,
        config,
        bcss_gateway::notify::Shared {
            wake: bcss_gateway::notify::Wake::default(),
            metrics: std::sync::Arc::new(bcss_gateway::metrics::Metrics::new()),
            faults: std::sync::Arc::new(bcss_gateway::server::injected::registry(
                std::time::Duration::from_secs(60),
            )),
            journal: std::sync::Arc::new(Unrecorded),
        },
    )?;
    for sink in &sinks {
        let all = usize::try_from(events)?;
        if !sink.wait_for(all, Duration::from_secs(600)).await {
            return Err(format!("a sink got {} of {all}", sink.accepted().len()).into());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let deliveries = events as f64 * subscribers as f64;
    println!(
        "backlog of {} forms B ({person_count} persons), {subscribers} subscribers in attestation mode, batches of 100: \
         {deliveries:.0} notifications delivered in {elapsed:.2} s, {:.0} deliveries/s ({:.0} events/s)",
        registered.len(),
        deliveries / elapsed,
        events as f64 / elapsed
    );

    // 2. Latency from the acknowledged form to each receiver, forms at a steady pace.
    let running = setup.serve(Some(dispatcher.waker())).await?;
    let cpas = setup.cpas(running.local_addr())?;
    let before: Vec<usize> = sinks.iter().map(|s| s.arrivals().len()).collect();
    let pause = Duration::from_micros(1_000_000 * LATENCY_CLIENTS / PACE);
    let sent = send(
        &cpas,
        LATENCY_CLIENTS,
        events..events + LATENCY_FORMS,
        pause,
    )
    .await?;
    let acknowledged: HashMap<&str, Instant> = sent
        .iter()
        .map(|a| (a.attestation.as_str(), a.at))
        .collect();
    let mut latencies = Vec::new();
    for (sink, skip) in sinks.iter().zip(before) {
        let all = skip + sent.len();
        if !sink.wait_for(all, Duration::from_secs(600)).await {
            return Err("a sink missed notifications".into());
        }
        for arrival in sink.arrivals().into_iter().skip(skip) {
            let attestation = arrival
                .notification
                .right
                .map(|r| r.attestation)
                .ok_or("a notification without its right")?;
            let acked = acknowledged
                .get(attestation.as_str())
                .ok_or("a notification for a form never sent")?;
            latencies.push(arrival.at.saturating_duration_since(*acked));
        }
    }
    latencies.sort();
    println!(
        "latency from the CPAS's acknowledged form to the receiver, {} forms at {PACE}/s from \
         {LATENCY_CLIENTS} clients, {subscribers} subscribers: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sent.len(),
        percentile_ms(&latencies, 0.50),
        percentile_ms(&latencies, 0.99),
        percentile_ms(&latencies, 1.0)
    );
    // Where that time goes: each push's own round trip (a new TLS connection, the
    // batch, the answer) as the attempts log holds it, and the batch sizes.
    let mut pushes = Vec::new();
    let mut batched = 0;
    for cbe in &institutions {
        for a in setup.store.attempts(cbe, usize::MAX)? {
            if a.first_sequence > events {
                pushes.push(Duration::from_millis(a.latency_ms));
                batched += a.last_sequence - a.first_sequence + 1;
            }
        }
    }
    pushes.sort();
    println!(
        "  {} pushes in that phase, {:.1} notifications each on average; push round trip p50 {:.0} ms, p99 {:.0} ms",
        pushes.len(),
        batched as f64 / pushes.len().max(1) as f64,
        percentile_ms(&pushes, 0.50),
        percentile_ms(&pushes, 0.99)
    );
    running.shutdown().await?;
    dispatcher.shutdown().await;
    Ok(())
}

/// Registers the forms numbered `forms` from `clients` connections, each waiting
/// `pause` between forms.
async fn send(
    cpas: &Caller,
    clients: u64,
    forms: std::ops::Range<u64>,
    pause: Duration,
) -> Result<Vec<common::Accepted>, Error> {
    let (next, count) = (Arc::new(AtomicU64::new(forms.start)), forms.end);
    let until = Instant::now() + Duration::from_secs(3600);
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(cpas.clone().send_forms(next.clone(), count, until, pause)))
        .collect();
    let mut accepted = Vec::new();
    for t in tasks {
        accepted.extend(t.await??);
    }
    Ok(accepted)
}

/// The benchmark keeps no journal.
struct Unrecorded;

impl bcss_gateway::services::journal::Recorder for Unrecorded {
    fn record(&self, _: bcss_gateway::store::AuditRecord) {}
}
