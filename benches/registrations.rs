//! Registration throughput: forms B accepted per second over SOAP and TLS, each one a
//! durable commit with its rights and outbox event; then NOVAPRIMA import lines per
//! second. `cargo bench --bench registrations [-- SECONDS CONNECTIONS PERSONS LINES]`
//! (defaults 10 s, 16 connections, 10,000 persons, 200,000 lines).
//!
//! The server runs in process on loopback with a fresh store holding the demo register
//! plus PERSONS persons; clients keep their TLS connections alive. Forms go to persons
//! in turn, so each person's history grows slowly, as in real life.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use common::{Error, Setup, arg, percentile_ms};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let seconds = arg(0, 10);
    let connections = arg(1, 16);
    let person_count = usize::try_from(arg(2, 10_000))?;
    let lines = arg(3, 200_000);

    let setup = Setup::new(person_count)?;
    let running = setup.serve(None).await?;
    let cpas = setup.cpas(running.local_addr())?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        tasks.push(tokio::spawn(cpas.clone().send_forms(
            next.clone(),
            u64::MAX,
            until,
            Duration::ZERO,
        )));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??.into_iter().map(|a| a.latency));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "sendFormB over TLS, {connections} connections, {seconds} s, {person_count} persons: \
         {} forms accepted, {:.0} forms/s, p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile_ms(&latencies, 0.50),
        percentile_ms(&latencies, 0.99)
    );
    let store = setup.store.clone();
    let outbox = store
        .outbox(bcss_gateway::domain::OutboxSequence::START, usize::MAX)?
        .len();
    println!("  outbox events written: {outbox}");
    running.shutdown().await?;
    let (dir, people) = (setup.dir.path(), &setup.persons);

    // NOVAPRIMA import: one CPAS, a statement per month, one line per person and month.
    let file = dir.join("statement.txt");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for i in 0..lines {
            let ssin = &people[usize::try_from(i % person_count as u64)?];
            let month = 1 + (i / person_count as u64) % 12;
            writeln!(
                out,
                "162063{statement}{file:<11}  {ssin}{reference:<12}1{statement}01{statement}28860   +00131420B{name:<30}{first:<20}00{r2:<15}+00078852",
                statement = format!("2025{month:02}"),
                file = format!("D{i}"),
                reference = "DOS-1",
                name = "Bench",
                first = "Person",
                r2 = "",
            )?;
        }
        out.flush()?;
    }
    let started = Instant::now();
    let summary = bcss_gateway::services::statements::import(store.as_ref(), &file, &mut |_| {})?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "NOVAPRIMA import: {} lines in {} statements, {:.2} s, {:.0} lines/s (check and write)",
        summary.lines,
        summary.statements.len(),
        elapsed,
        summary.lines as f64 / elapsed
    );
    Ok(())
}
