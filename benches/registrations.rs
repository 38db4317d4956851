//! Registration throughput: forms B accepted per second over SOAP and TLS, each one a
//! durable commit with its rights and outbox event; then NOVAPRIMA import lines per
//! second. `cargo bench --bench registrations [-- SECONDS CONNECTIONS PERSONS LINES]`
//! (defaults 10 s, 16 connections, 10,000 persons, 200,000 lines).
//!
//! The server runs in process on loopback with a fresh store holding the demo register
//! plus PERSONS persons; clients keep their TLS connections alive. Forms go to persons
//! in turn, so each person's history grows slowly, as in real life.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use bcss_gateway::certs::DevelopmentPki;
use bcss_gateway::demo;
use bcss_gateway::domain::{Date, Person, RegisterStatus, Ssin};
use bcss_gateway::server::auth::hash_password;
use bcss_gateway::server::{self, TlsFiles};
use bcss_gateway::store::{Change, RedbStore, Store};

type Error = Box<dyn std::error::Error + Send + Sync>;

const PD_NS: &str = "urn:bcss-gateway:intf:PcsaDecisionService:v1";

/// `count` well-formed SSINs of people born from 1 January 1950 on, one per day.
fn persons(count: usize) -> Result<Vec<Ssin>, Error> {
    let first = Date::from_ymd(1950, 1, 1)?;
    (0..count)
        .map(|i| {
            let (y, m, d) = first.add_days(i32::try_from(i)?).ymd();
            Ok(Ssin::with_check_digits(
                &format!("{:02}{m:02}{d:02}001", y % 100),
                false,
            )?)
        })
        .collect()
}

fn form_b(cbe: &str, ssin: &Ssin, n: u64, persons: u64) -> String {
    // Each round over the persons revises their right a month later.
    let entry = Date::from_ymd(2020, 1, 1)
        .map(|d| d.add_days(i32::try_from(n / persons * 30).unwrap_or(0)))
        .unwrap_or(Date::from_days_since_epoch(0));
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>\
         <pd:sendFormBRequest xmlns:pd=\"{PD_NS}\">\
         <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
         <formB><pcsa><name>CPAS de Liège</name><insCode>62063</insCode><cbeNumber>{cbe}</cbeNumber></pcsa>\
         <ssin>{ssin}</ssin><kind>LIVING_WAGE</kind><entryDate>{entry}</entryDate><category>B</category>\
         <realLifeSituation>12</realLifeSituation><nationalRegisterInscription>0</nationalRegisterInscription>\
         <homeless>false</homeless><studyGrant>0</studyGrant><duration><months>12</months></duration>\
         <decisionDate>{entry}</decisionDate><reference>R{n}</reference></formB></pd:sendFormBRequest>\
         </soapenv:Body></soapenv:Envelope>"
    )
}

/// One client on one kept-alive connection, sending forms until `until`.
#[allow(clippy::too_many_arguments)]
async fn client(
    addr: SocketAddr,
    connector: TlsConnector,
    authorization: String,
    cbe: String,
    persons: Arc<Vec<Ssin>>,
    next: Arc<AtomicU64>,
    until: Instant,
) -> Result<Vec<Duration>, Error> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let tls = connector
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    let mut latencies = Vec::new();
    let count = persons.len() as u64;
    while Instant::now() < until {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let ssin = &persons[usize::try_from(n % count)?];
        let body = form_b(&cbe, ssin, n, count);
        let req = Request::post("/SOA4520/PcsaDecisionService/v1")
            .header("host", "localhost")
            .header("content-type", "text/xml; charset=utf-8")
            .header("authorization", &authorization)
            .body(Full::new(Bytes::from(body)))?;
        let started = Instant::now();
        let response = sender.send_request(req).await?;
        let body = response.into_body().collect().await?.to_bytes();
        latencies.push(started.elapsed());
        if !body
            .windows(b"<outcome>ACCEPTED".len())
            .any(|w| w == b"<outcome>ACCEPTED")
        {
            return Err(format!("not accepted: {}", String::from_utf8_lossy(&body)).into());
        }
    }
    Ok(latencies)
}

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let seconds = arg(0, 10);
    let connections = arg(1, 16);
    let person_count = usize::try_from(arg(2, 10_000))?;
    let lines = arg(3, 200_000);

    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(&dir.path().join("data"))?);
    let password = "bench-password";
    let hash = hash_password(password)?;
    let credentials: Vec<_> = demo::INSTITUTIONS
        .iter()
        .map(|s| (s.key, Some(hash.clone()), None))
        .collect();
    store.apply(&demo::dataset(&credentials)?.changes)?;
    let people = persons(person_count)?;
    let changes: Vec<Change> = people
        .iter()
        .map(|s| {
            Change::Person(Person {
                ssin: *s,
                last_name: "Bench".into(),
                first_name: "Person".into(),
                birth_date: s.birth_date(),
                status: RegisterStatus::Active,
            })
        })
        .collect();
    store.apply(&changes)?;

    let pki = DevelopmentPki::generate(&["localhost".into()], &[])?;
    let files = pki.write(&dir.path().join("certs"))?;
    let config = server::Config::new(
        "127.0.0.1:0".parse()?,
        TlsFiles {
            certificate_chain: files.server_certificate,
            private_key: files.server_key,
            client_ca: None,
        },
    );
    let running = server::start(config, store.clone()).await?;
    let addr = running.local_addr();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(
        pki.ca.certificate_pem.as_bytes(),
    )?)?;
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = TlsConnector::from(Arc::new(tls));
    let liege = demo::institution_cbe("cpas-liege")?.to_string();
    let authorization = {
        use base64::Engine;
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("E{liege}:{password}"));
        format!("Basic {token}")
    };

    let people = Arc::new(people);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        tasks.push(tokio::spawn(client(
            addr,
            connector.clone(),
            authorization.clone(),
            liege.clone(),
            people.clone(),
            next.clone(),
            until,
        )));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "sendFormB over TLS, {connections} connections, {seconds} s, {person_count} persons: \
         {} forms accepted, {:.0} forms/s, p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    let outbox = store.outbox(0, usize::MAX)?.len();
    println!("  outbox events written: {outbox}");
    running.shutdown().await?;

    // NOVAPRIMA import: one CPAS, a statement per month, one line per person and month.
    let file = dir.path().join("statement.txt");
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
