//! What the in-process benchmarks share: a fresh store with the demo register and
//! generated persons, the server on loopback, and CPAS clients that send forms B over
//! kept-alive TLS connections.

// Each benchmark is its own crate and uses only part of this module.
#![allow(dead_code)]

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

use bcss_gateway::app::App;
use bcss_gateway::certs::{DevelopmentPki, PkiFiles};
use bcss_gateway::demo;
use bcss_gateway::domain::{
    Date, Inscription, OpenPeriod, Person, QualityCode, RegisterStatus, Ssin,
};
use bcss_gateway::notify::Wake;
use bcss_gateway::server::auth::hash_password;
use bcss_gateway::server::{self, RunningServer, TlsFiles};
use bcss_gateway::store::{Change, RedbStore, Store};
use bcss_gateway::world::generate;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

const PD_NS: &str = "urn:bcss-gateway:intf:PcsaDecisionService:v1";
const PASSWORD: &str = "bench-password";

/// A temporary store holding the demo register and `persons` generated persons, and
/// development certificates for loopback.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub persons: Arc<Vec<Ssin>>,
    pub pki: DevelopmentPki,
    pub files: PkiFiles,
}

impl Setup {
    pub fn new(person_count: usize) -> Result<Setup, Error> {
        let dir = tempfile::tempdir()?;
        let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(&dir.path().join("data"))?);
        let hash = hash_password(PASSWORD)?;
        let credentials: Vec<_> = demo::INSTITUTIONS
            .iter()
            .map(|(key, _)| (*key, Some(hash.clone()), None))
            .collect();
        demo::load(store.as_ref(), &dir.path().join("world"), &credentials)?;
        // Persons of a synthetic population (its reference data only: the benchmarks
        // send the decisions themselves).
        let population = bcss_gateway::world::generate::generate(&generate::Spec {
            persons: person_count,
            seed: 1,
            pcsas: 6,
            months: 1,
            last: bcss_gateway::domain::Month::parse_xsd("2024-12")?,
            inscribe: Vec::new(),
        })?;
        let active: Vec<Person> = population
            .persons
            .into_iter()
            .filter(|p| p.status == RegisterStatus::Active)
            .collect();
        let persons: Vec<Ssin> = active.iter().map(|p| p.ssin).collect();
        let changes: Vec<Change> = active.into_iter().map(Change::Person).collect();
        store.apply(&changes)?;
        let pki = DevelopmentPki::generate(
            &["localhost".into(), "127.0.0.1".into()],
            &[],
            bcss_gateway::certs::KeyType::Ecdsa,
        )?;
        let files = pki.write(&dir.path().join("certs"))?;
        Ok(Setup {
            dir,
            store,
            persons: Arc::new(persons),
            pki,
            files,
        })
    }

    /// Opens the store again, keeping up to `cache_mb` MiB of it in memory, once a
    /// stopped server's last handle on it is gone.
    pub async fn reopen(self, cache_mb: usize) -> Result<Setup, Error> {
        let Setup {
            dir,
            store,
            persons,
            pki,
            files,
        } = self;
        // The file admits one opener: the old handle goes first, once the last
        // connection of the stopped server has let go of it.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Arc::strong_count(&store) > 1 {
            if Instant::now() > deadline {
                return Err("the store is still held a minute after the server stopped".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(store);
        let store = Arc::new(RedbStore::open_dir_with_cache(
            &dir.path().join("data"),
            cache_mb,
        )?);
        Ok(Setup {
            dir,
            store,
            persons,
            pki,
            files,
        })
    }

    /// Inscribes every generated person for the demo institution `key` (quality 2,
    /// from 2015), so that it may consult them.
    pub fn inscribe_all(&self, key: &str) -> Result<(), Error> {
        let institution = demo::institution_cbe(key)?;
        let since = OpenPeriod::new(Date::from_ymd(2015, 1, 1)?, None)?;
        let inscriptions: Vec<Change> = self
            .persons
            .iter()
            .map(|ssin| {
                Ok(Change::Inscription(Inscription {
                    ssin: *ssin,
                    institution,
                    quality: QualityCode::new(2)?,
                    period: since,
                }))
            })
            .collect::<Result<_, Error>>()?;
        self.store.apply(&inscriptions)?;
        Ok(())
    }

    /// The gateway on an ephemeral loopback port; `notify` wakes a dispatcher.
    pub async fn serve(&self, notify: Option<Wake>) -> Result<RunningServer, Error> {
        let mut config = server::Config::new(
            "127.0.0.1:0".parse()?,
            TlsFiles {
                certificate_chain: self.files.server_certificate.clone(),
                private_key: self.files.server_key.clone(),
                client_ca: None,
            },
        );
        config.notify = notify;
        // The composition root `serve` uses; the notification benchmark runs its own
        // dispatcher and hands its wake here.
        let app = App::new(self.store.clone(), config).start().await?;
        Ok(app.into_parts().0)
    }

    /// A client of the CPAS de Liège.
    pub fn cpas(&self, addr: SocketAddr) -> Result<Caller, Error> {
        self.caller(addr, "cpas-liege")
    }

    /// A client of the demo institution `key`, by HTTP Basic.
    pub fn caller(&self, addr: SocketAddr, key: &str) -> Result<Caller, Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(
            self.pki.ca.certificate_pem.as_bytes(),
        )?)?;
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let cbe = demo::institution_cbe(key)?.to_string();
        let authorization = {
            use base64::Engine;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("E{cbe}:{PASSWORD}"));
            format!("Basic {token}")
        };
        Ok(Caller {
            addr,
            connector: TlsConnector::from(Arc::new(tls)),
            authorization,
            cbe,
            persons: self.persons.clone(),
        })
    }
}

/// One form the gateway accepted.
pub struct Accepted {
    pub attestation: String,
    /// From the request sent to the whole answer read.
    pub latency: Duration,
    /// When the answer was read.
    pub at: Instant,
}

/// An institution calling the gateway over one kept-alive TLS connection.
#[derive(Clone)]
pub struct Caller {
    addr: SocketAddr,
    connector: TlsConnector,
    authorization: String,
    pub cbe: String,
    pub persons: Arc<Vec<Ssin>>,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

impl Caller {
    async fn connect(&self) -> Result<Sender, Error> {
        let tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let tls = self
            .connector
            .connect(ServerName::try_from("localhost")?, tcp)
            .await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(conn);
        Ok(sender)
    }

    /// One POST and its whole answer: the body and the time it took.
    async fn post(
        &self,
        sender: &mut Sender,
        path: &str,
        body: String,
    ) -> Result<(String, Duration), Error> {
        let req = Request::post(path)
            .header("host", "localhost")
            .header("content-type", "text/xml; charset=utf-8")
            .header("authorization", &self.authorization)
            .body(Full::new(Bytes::from(body)))?;
        let started = Instant::now();
        let response = sender.send_request(req).await?;
        let body = response.into_body().collect().await?.to_bytes();
        Ok((
            String::from_utf8_lossy(&body).into_owned(),
            started.elapsed(),
        ))
    }

    /// Posts `body(n)` to `path`, n taken from `next`, until `until` or n reaches
    /// `last`; every answer must contain `expected`. Returns each exchange's latency.
    pub async fn post_many(
        self,
        path: &'static str,
        body: Arc<dyn Fn(u64) -> String + Send + Sync>,
        expected: &'static str,
        next: Arc<AtomicU64>,
        until: Instant,
        last: u64,
    ) -> Result<Vec<Duration>, Error> {
        let mut sender = self.connect().await?;
        let mut latencies = Vec::new();
        while Instant::now() < until {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= last {
                break;
            }
            let (answer, latency) = self.post(&mut sender, path, body(n)).await?;
            if !answer.contains(expected) {
                return Err(format!("expected {expected}: {answer}").into());
            }
            latencies.push(latency);
        }
        Ok(latencies)
    }

    /// Sends form number `next` (shared by all clients) on one kept-alive connection
    /// until `until` or `last` forms in all, one every `pause` at most (the schedule
    /// counts from the start, so a slow answer does not lower the rate).
    /// Forms go to persons in turn; each round revises a person's right a month
    /// later, so each history grows slowly, as in real life.
    pub async fn send_forms(
        self,
        next: Arc<AtomicU64>,
        last: u64,
        until: Instant,
        pause: Duration,
    ) -> Result<Vec<Accepted>, Error> {
        let mut sender = self.connect().await?;
        let mut accepted = Vec::new();
        let count = self.persons.len() as u64;
        let mut due = tokio::time::Instant::now();
        while Instant::now() < until {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= last {
                break;
            }
            let ssin = &self.persons[usize::try_from(n % count)?];
            let form = form_b(&self.cbe, ssin, n, count);
            let (body, latency) = self
                .post(&mut sender, "/SOA4520/PcsaDecisionService/v1", form)
                .await?;
            let at = Instant::now();
            if !body.contains("<outcome>ACCEPTED") {
                return Err(format!("not accepted: {body}").into());
            }
            let attestation = body
                .split_once("<attestation>")
                .and_then(|(_, rest)| rest.split_once('<'))
                .map(|(a, _)| a.to_owned())
                .ok_or("an accepted form without attestation")?;
            accepted.push(Accepted {
                attestation,
                latency,
                at,
            });
            if !pause.is_zero() {
                due += pause;
                tokio::time::sleep_until(due).await;
            }
        }
        Ok(accepted)
    }
}

fn form_b(cbe: &str, ssin: &Ssin, n: u64, persons: u64) -> String {
    let entry = Date::from_ymd(2020, 1, 1)
        .ok()
        .and_then(|d| d.add_days(i32::try_from(n / persons * 30).unwrap_or(0)))
        .unwrap_or(Date::MIN);
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

/// The value below which a fraction `p` of the sorted `values` falls, in ms.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The benchmark's positional arguments (cargo's own flags start with `-`).
pub fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}
