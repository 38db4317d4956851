//! Consultations while CPAS register: `getLivingWages` (V2, ONEM, persons in turn) at
//! C connections alone, then again while F CPAS connections send forms B about the
//! same persons, once at a steady total rate and once as fast as they can, in the same
//! run. `cargo bench --bench mixed [-- SECONDS C F RATE PERSONS]` (defaults 10 s, 32,
//! 16, 500 forms/s, 10,000 persons).
//!
//! What it shows: whether registrations (durable commits, and the caches they touch)
//! take the consultations down with them.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use common::{Caller, Error, Setup, arg, percentile_ms};

// The gateway's own allocator, as in `serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PATH: &str = "/SOA4520/LivingWagesService/v2/consult";
const NS: &str = "http://kszbcss.fgov.be/intf/LivingWagesService/v2";

struct Figures {
    per_second: f64,
    p50: f64,
    p99: f64,
}

impl Figures {
    fn of(mut latencies: Vec<Duration>, elapsed: f64) -> Figures {
        latencies.sort();
        Figures {
            per_second: latencies.len() as f64 / elapsed,
            p50: percentile_ms(&latencies, 0.50),
            p99: percentile_ms(&latencies, 0.99),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let seconds = arg(0, 10);
    let consult_connections = arg(1, 32);
    let form_connections = arg(2, 16);
    let rate = arg(3, 500);
    let person_count = usize::try_from(arg(4, 10_000))?;

    let setup = Setup::new(person_count)?;
    setup.inscribe_all("onem")?;
    let running = setup.serve(None).await?;
    let onem = setup.caller(running.local_addr(), "onem")?;
    let cpas = setup.cpas(running.local_addr())?;
    let forms = Arc::new(AtomicU64::new(0));

    // Every person asked once first, not measured.
    consult(&onem, consult_connections, None, Some(person_count as u64)).await?;
    let alone = consult(&onem, consult_connections, Some(seconds), None).await?;
    println!(
        "getLivingWages alone, {consult_connections} connections, {seconds} s: \
         {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
        alone.per_second, alone.p50, alone.p99
    );
    for (label, pause) in [
        (
            format!("at a steady {rate} forms/s"),
            Duration::from_secs_f64(form_connections as f64 / rate.max(1) as f64),
        ),
        ("as fast as they can".to_owned(), Duration::ZERO),
    ] {
        let until = Instant::now() + Duration::from_secs(seconds);
        let senders: Vec<_> = (0..form_connections)
            .map(|_| {
                tokio::spawn(
                    cpas.clone()
                        .send_forms(forms.clone(), u64::MAX, until, pause),
                )
            })
            .collect();
        let began = Instant::now();
        let consulted = consult(&onem, consult_connections, Some(seconds), None).await?;
        let mut latencies = Vec::new();
        for s in senders {
            latencies.extend(s.await??.into_iter().map(|a| a.latency));
        }
        let sent = Figures::of(latencies, began.elapsed().as_secs_f64());
        println!(
            "with {form_connections} CPAS connections sending forms B {label}: \
             getLivingWages {:.0} requests/s ({:.2}x alone), p50 {:.2} ms, p99 {:.2} ms \
             ({:.2}x alone); forms B {:.0} accepted/s, p50 {:.2} ms, p99 {:.2} ms",
            consulted.per_second,
            consulted.per_second / alone.per_second,
            consulted.p50,
            consulted.p99,
            consulted.p99 / alone.p99,
            sent.per_second,
            sent.p50,
            sent.p99
        );
    }
    running.shutdown().await?;
    Ok(())
}

/// `getLivingWages` from `connections` connections, persons in turn, for `seconds`
/// or until `count` requests.
async fn consult(
    onem: &Caller,
    connections: u64,
    seconds: Option<u64>,
    count: Option<u64>,
) -> Result<Figures, Error> {
    let (cbe, persons) = (onem.cbe.clone(), onem.persons.clone());
    let body: Arc<dyn Fn(u64) -> String + Send + Sync> = Arc::new(move |n| {
        let ssin = persons[usize::try_from(n).unwrap_or(0) % persons.len()];
        format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>\
             <lw:getLivingWagesRequest xmlns:lw=\"{NS}\"><informationCustomer><ticket>bench</ticket>\
             <customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
             <legalContext>UNEMPLOYMENT:LIVING_WAGE_CHECK</legalContext><criteria><ssin>{ssin}</ssin>\
             <period><beginDate>2015-01-01</beginDate></period></criteria></lw:getLivingWagesRequest>\
             </soapenv:Body></soapenv:Envelope>"
        )
    });
    let next = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let until = began + Duration::from_secs(seconds.unwrap_or(3600));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(onem.clone().post_many(
                PATH,
                body.clone(),
                // MSG00000 or MSG00100: found, or not yet.
                "DATA_FOUND</value>",
                next.clone(),
                until,
                count.unwrap_or(u64::MAX),
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(Figures::of(latencies, began.elapsed().as_secs_f64()))
}
