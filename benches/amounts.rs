//! LivingWagesWithAmount under load. `cargo bench --bench amounts [-- SECONDS
//! CONNECTIONS PERSONS]` (defaults 10 s, 16 connections, 1,000 then 100,000 persons).
//!
//! Twice, with 1,000 then 100,000 persons, each paid 50 months by one of the six demo
//! PCSAs (50,000 then 5,000,000 statement lines, written a statement at a time): ONEM,
//! inscribed for everyone, asks over TLS with keep-alive for one person's 36 months by
//! month, persons taken in turn, after a pass over every person. Requests per second
//! and p50/p99 latency, with redb's
//! default page cache and with one that holds the whole file; side by side they show
//! how the latency changes with the size of the register.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use bcss_gateway::domain::{InsCode, Month};
use common::{Error, Setup, arg, percentile_ms};

const PATH: &str = "/SOA4520/LivingWagesWithAmountService/v1/consult";
const NS: &str = "urn:bcss-gateway:intf:LivingWagesWithAmountService:v1";
const MONTHS: u32 = 50;
/// Room for the whole 5,000,000-line store.
const BIG_CACHE_MB: usize = 6144;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let seconds = arg(0, 10);
    let connections = arg(1, 16);
    let sizes = match arg(2, 0) {
        0 => vec![1_000, 100_000],
        n => vec![usize::try_from(n)?],
    };
    for persons in sizes {
        run(persons, seconds, connections).await?;
    }
    Ok(())
}

async fn run(person_count: usize, seconds: u64, connections: u64) -> Result<(), Error> {
    let setup = Setup::new(person_count)?;
    setup.inscribe_all("onem")?;

    // The six demo PCSAs share the persons; a statement per PCSA and month.
    let pcsas: Vec<InsCode> = ["44021", "11002", "62063", "52011", "21004", "92094"]
        .iter()
        .map(|ins| InsCode::parse(ins))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    let mut month = Month::new(2021, 9).ok_or("month")?;
    let mut lines = 0;
    for _ in 0..MONTHS {
        for (p, ins) in pcsas.iter().enumerate() {
            let statement: Vec<_> = setup
                .persons
                .iter()
                .enumerate()
                .filter(|(i, _)| i % pcsas.len() == p)
                .map(|(_, ssin)| {
                    bcss_gateway::domain::PaymentLine::living_wage(
                        *ins,
                        *ssin,
                        month,
                        month.first_day(),
                        month.last_day(),
                        131_420,
                    )
                })
                .collect();
            lines += statement.len();
            setup.store.write_statement(ins, month, &statement, true)?;
        }
        month = month.succ().ok_or("past the last month")?;
    }
    let load = started.elapsed().as_secs_f64();
    // Gigabytes just written are still going to the disk: let them land first, or the
    // audit trail's commits wait behind them and the figures measure the disk.
    std::process::Command::new("sync").status()?;

    let figures = (person_count, lines, load, seconds, connections);
    let setup = measure(setup, bcss_gateway::store::DEFAULT_CACHE_MB, figures).await?;
    // The same store with room in memory for all of it.
    measure(setup.reopen(BIG_CACHE_MB).await?, BIG_CACHE_MB, figures).await?;
    Ok(())
}

/// Loads the running gateway on `setup` and prints the figures.
async fn measure(
    setup: Setup,
    cache_mb: usize,
    (person_count, lines, load, seconds, connections): (usize, usize, f64, u64, u64),
) -> Result<Setup, Error> {
    let file = setup.dir.path().join("data").join("bcss-gateway.redb");
    let file_mib = std::fs::metadata(file)?.len() as f64 / f64::from(1 << 20);
    let running = setup.serve(None).await?;
    let caller = setup.caller(running.local_addr(), "onem")?;
    let (cbe, persons) = (caller.cbe.clone(), caller.persons.clone());
    let body: Arc<dyn Fn(u64) -> String + Send + Sync> = Arc::new(move |n| {
        let ssin = persons[usize::try_from(n).unwrap_or(0) % persons.len()];
        format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>\
             <lwa:getLivingWagesWithAmountRequest xmlns:lwa=\"{NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
             <legalContext>UNEMPLOYMENT:LIVING_WAGE_CHECK</legalContext>\
             <criteria><ssin>{ssin}</ssin><period><beginDate>2022-01-01</beginDate><endDate>2024-12-31</endDate></period>\
             <aggregation>MONTH</aggregation></criteria></lwa:getLivingWagesWithAmountRequest>\
             </soapenv:Body></soapenv:Envelope>"
        )
    });
    let next = Arc::new(AtomicU64::new(0));
    // A first pass, not measured, asks once for every person: the pages a cache can
    // hold are in it.
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(caller.clone().post_many(
                PATH,
                body.clone(),
                "<month>2024-12</month>",
                next.clone(),
                Instant::now() + Duration::from_secs(3600),
                person_count as u64,
            ))
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let next = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let until = began + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(caller.clone().post_many(
                PATH,
                body.clone(),
                // The 36th month: the whole answer is there.
                "<month>2024-12</month>",
                next.clone(),
                until,
                u64::MAX,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = began.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "{person_count} persons, {lines} statement lines (written in {load:.1} s, {:.0} lines/s), \
         store file {:.0} MiB, cache {} MiB: \
         getLivingWagesWithAmount, 36 months by month, {connections} connections, {seconds} s: \
         {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
        lines as f64 / load,
        file_mib,
        cache_mb,
        latencies.len() as f64 / elapsed,
        percentile_ms(&latencies, 0.50),
        percentile_ms(&latencies, 0.99)
    );
    running.shutdown().await?;
    drop(caller);
    Ok(setup)
}
