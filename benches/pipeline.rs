//! The SOAP pipeline without the network: microseconds per request for each stage of a
//! getLivingWages exchange (envelope parsing, request reading, the consultation against
//! a real redb store, response writing, audit encoding). `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use bcss_gateway::demo;
use bcss_gateway::store::{AuditRecord, RedbStore, Store};
use bcss_gateway::wire::common::InformationCbss;
use bcss_gateway::wire::living_wages_v2 as lw;
use bcss_gateway::wire::soap::{self, SoapVersion};

// The allocator the gateway runs with, so that allocation costs are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: u32 = 20_000;

fn time(name: &str, mut f: impl FnMut()) {
    for _ in 0..ROUNDS / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
    println!("{name:<40} {per:>8.2} µs");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(dir.path())?);
    let keys: Vec<demo::Credentials<'_>> = demo::INSTITUTIONS
        .iter()
        .map(|(key, _)| (*key, None, None))
        .collect();
    let ssins = demo::load(store.as_ref(), &dir.path().join("world"), &keys)?;
    let onem = demo::institution_cbe("onem")?;
    let caller = store.institution(&onem)?.ok_or("no demo institution")?;
    let ssin = ssins.first().ok_or("no demo SSIN")?.ssin.clone();
    let body = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>\
         <lw:getLivingWagesRequest xmlns:lw=\"{}\"><informationCustomer><ticket>bench</ticket><customerIdentification>\
         <cbeNumber>{onem}</cbeNumber></customerIdentification></informationCustomer>\
         <legalContext>UNEMPLOYMENT:LIVING_WAGE_CHECK</legalContext><criteria><ssin>{ssin}</ssin><period>\
         <beginDate>2015-01-01</beginDate></period></criteria></lw:getLivingWagesRequest></soapenv:Body></soapenv:Envelope>",
        lw::INTF_NS
    );
    let envelope = soap::parse_envelope(body.as_bytes()).map_err(|(_, e)| e)?;
    let request = lw::read_request(&envelope.payload).map_err(|e| format!("{e:?}"))?;
    let (status, answer) = bcss_gateway::services::living_wages_v2::consult(
        store.as_ref(),
        &caller,
        &request,
        Default::default(),
    )?;
    let cbss = InformationCbss {
        ticket: uuid::Uuid::now_v7(),
        received_ms: 1_767_225_600_000,
        replied_ms: 1_767_225_600_001,
    };

    println!("getLivingWages pipeline, {ROUNDS} rounds per stage");
    time("parse envelope (namespace-aware tree)", || {
        black_box(soap::parse_envelope(black_box(body.as_bytes())).is_ok());
    });
    time("read request record", || {
        black_box(lw::read_request(black_box(&envelope.payload)).is_ok());
    });
    time("store: institution by CBE", || {
        black_box(store.institution(&onem).is_ok());
    });
    time("store: person file (cached after a read)", || {
        black_box(store.person_file(&request_ssin(&request)).is_ok());
    });
    time("consultation (access rules + store)", || {
        black_box(
            bcss_gateway::services::living_wages_v2::consult(
                store.as_ref(),
                &caller,
                &request,
                Default::default(),
            )
            .is_ok(),
        );
    });
    time("write response envelope", || {
        black_box(soap::envelope(SoapVersion::Soap11, |w| {
            lw::write_response(w, &request, &cbss, &status, &answer)
        }));
    });
    // What `/metrics` costs an exchange: its counter and its latency histogram.
    let metrics = bcss_gateway::metrics::Metrics::new();
    time("metrics (counted and timed)", || {
        metrics.exchange(
            "LivingWagesService v2",
            Some("getLivingWages"),
            std::borrow::Cow::Borrowed("MSG00000"),
            200,
            std::time::Duration::from_micros(300),
        );
    });
    // What the fault rules cost an exchange when none is set: one atomic load.
    let faults = bcss_gateway::server::injected::registry(std::time::Duration::from_secs(60));
    let offered = bcss_gateway::services::faults::Request {
        service: Some("LivingWagesService v2"),
        operation: Some("getLivingWages"),
        institution: Some(onem),
        ssin: Some(ssin.as_str()),
        method: "POST",
        path: "/SOA4520/LivingWagesService/v2/consult",
        carries_status: true,
        delivery: false,
    };
    time("fault rules (none set)", || {
        black_box(faults.pick(&offered, 0).is_some());
    });
    let record = AuditRecord {
        ticket: cbss.ticket,
        received_at_ms: 0,
        latency_us: 100,
        caller: Some(onem),
        operation: Some("getLivingWages".into()),
        legal_context: Some(request.legal_context.clone()),
        ssin: Some(ssin.clone()),
        outcome: "MSG00000".into(),
        http_status: 200,
        service: None,
        mark: None,
    };
    let batch: Vec<AuditRecord> = (0..200)
        .map(|_| AuditRecord {
            ticket: uuid::Uuid::now_v7(),
            ..record.clone()
        })
        .collect();
    let start = Instant::now();
    let commits = 50;
    for _ in 0..commits {
        let fresh: Vec<AuditRecord> = batch
            .iter()
            .map(|r| AuditRecord {
                ticket: uuid::Uuid::now_v7(),
                ..r.clone()
            })
            .collect();
        store.append_audit(&fresh)?;
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(commits * 200);
    println!(
        "{:<40} {per:>8.2} µs (durable commits of 200)",
        "audit record"
    );

    // What a first HTTP Basic login costs (later ones hit the verified-credentials cache).
    let hash = bcss_gateway::server::auth::hash_password("bench-password")?;
    let parsed = argon2::PasswordHash::new(&hash)?;
    let start = Instant::now();
    for _ in 0..5 {
        use argon2::PasswordVerifier;
        black_box(
            argon2::Argon2::default()
                .verify_password(b"bench-password", &parsed)
                .is_ok(),
        );
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / 5.0;
    println!(
        "{:<40} {ms:>8.2} ms (first login of a credential only)",
        "argon2id verification"
    );
    Ok(())
}

fn request_ssin(request: &lw::Request) -> bcss_gateway::domain::Ssin {
    bcss_gateway::domain::Ssin::parse(&request.criteria.ssin).unwrap_or_else(|e| panic!("{e}"))
}
