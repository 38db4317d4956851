//! Test support: a real gateway on an ephemeral loopback port with a temporary store and
//! fresh certificates, a real TLS client (HTTP/1.1 or HTTP/2, with or without a client
//! certificate), and XSD validation of every SOAP answer with xmllint.
#![allow(dead_code)]

pub mod forms;
#[allow(unused_imports)]
pub use forms::liege_form_b;
pub mod v3;
pub mod xmlsec1;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};

use bcss_gateway::app::App;
use bcss_gateway::certs::{DevelopmentPki, KeyType};
use bcss_gateway::demo;
use bcss_gateway::domain::{Receivers, RetrySchedule};
use bcss_gateway::notify::push::{PushTls, Timeouts};
use bcss_gateway::notify::sink::{Behaviour, Sink};
use bcss_gateway::notify::{Dispatcher, NotifyConfig};
use bcss_gateway::server::{self, AuthModes, RunningServer, TlsFiles, auth::hash_password};
use bcss_gateway::store::{RedbStore, Store};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

pub const PATH: &str = "/SOA4520/LivingWagesService/v2/consult";
pub const INTF_NS: &str = "http://kszbcss.fgov.be/intf/LivingWagesService/v2";
pub const PD_PATH: &str = "/SOA4520/PcsaDecisionService/v1";
pub const PD_NS: &str = "urn:bcss-gateway:intf:PcsaDecisionService:v1";
pub const LS_PATH: &str = "/SOA4520/LivingWagesSubscriptionService/v1";
pub const LS_NS: &str = "urn:bcss-gateway:intf:LivingWagesSubscriptionService:v1";
pub const LWA_PATH: &str = "/SOA4520/LivingWagesWithAmountService/v1/consult";
pub const LW3_PATH: &str = "/SOA4520/LivingWagesService/v3/consult";
pub const LW3_NS: &str = "urn:bcss-gateway:intf:LivingWagesService:v3";
pub const LWA_NS: &str = "urn:bcss-gateway:intf:LivingWagesWithAmountService:v1";
pub const TC_PATH: &str = "/SOA4520/TestConnectionService/v1";
pub const TC_NS: &str = "urn:bcss-gateway:intf:TestConnectionService:v1";
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The demo SSINs by what they illustrate.
pub struct Ssins {
    pub two_pcsas: String,
    pub equivalent: String,
    pub born_2003: String,
    pub no_right: String,
    pub replacing: String,
    pub replaced: String,
    pub cancelled: String,
    pub forem_only: String,
    pub unknown: String,
}

pub struct Gateway {
    pub server: Option<RunningServer>,
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub pki: DevelopmentPki,
    pub passwords: HashMap<&'static str, String>,
    pub ssins: Ssins,
    /// The server's clock, which a test can move.
    pub clock: Arc<bcss_gateway::clock::Clock>,
    pub dispatcher: Option<Dispatcher>,
    /// The server's certificate and key (for 127.0.0.1, signed by the test CA, which
    /// the dispatcher trusts): what a notification sink presents.
    pub server_certificate: PathBuf,
    pub server_key: PathBuf,
    /// The fault rules of the running server.
    pub faults: Arc<bcss_gateway::services::faults::Faults>,
    _dir: tempfile::TempDir,
}

pub struct Options {
    pub auth: AuthModes,
    pub body_limit: usize,
    /// Request bodies held at once, all connections together.
    pub body_memory: usize,
    pub max_connections: usize,
    pub handshake_timeout: std::time::Duration,
    /// How much of the audit trail is kept.
    pub journal: bcss_gateway::server::audit::JournalLimits,
    pub idle_timeout: std::time::Duration,
    pub header_timeout: std::time::Duration,
    pub propagation_delay: std::time::Duration,
    /// The notification retry schedule.
    pub retry: &'static str,
    /// How long a receiver has to answer a push.
    pub answer_timeout: std::time::Duration,
    pub batch_size: usize,
    /// Where receivers may be: this machine's too, where the tests' sinks run.
    pub receivers: Receivers,
    /// The longest an injected fault keeps a request.
    pub max_hold: std::time::Duration,
    /// Only these networks are answered.
    pub allow_from: Option<Vec<ipnet::IpNet>>,
    /// `--sign-answers`, with the server's certificate.
    pub sign_answers: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            auth: AuthModes::default(),
            body_limit: 1024 * 1024,
            body_memory: 256 << 20,
            max_connections: 10_000,
            handshake_timeout: std::time::Duration::from_secs(10),
            journal: bcss_gateway::server::audit::JournalLimits::default(),
            idle_timeout: std::time::Duration::from_secs(120),
            header_timeout: std::time::Duration::from_secs(30),
            propagation_delay: std::time::Duration::ZERO,
            retry: "0,100ms,200ms",
            answer_timeout: std::time::Duration::from_secs(2),
            batch_size: 100,
            receivers: Receivers::default().with_loopback(),
            max_hold: std::time::Duration::from_secs(60),
            allow_from: None,
            sign_answers: false,
        }
    }
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

impl Gateway {
    pub async fn start() -> Gateway {
        Gateway::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Gateway {
        let dir = ok(tempfile::tempdir(), "temp dir");
        let store: Arc<dyn Store> =
            Arc::new(ok(RedbStore::open_dir(&dir.path().join("data")), "store"));
        let mut clients: Vec<(String, String)> = demo::INSTITUTIONS
            .iter()
            .map(|(key, _)| ((*key).to_owned(), (*key).to_owned()))
            .collect();
        // Signed by the same CA but registered for nobody.
        clients.push(("stranger".into(), "Unregistered".into()));
        let pki = ok(
            // ECDSA keys: made in microseconds, where RSA would take the suite minutes.
            DevelopmentPki::generate(
                &["localhost".into(), "127.0.0.1".into()],
                &clients,
                KeyType::Ecdsa,
            ),
            "certificates",
        );
        let files = ok(pki.write(&dir.path().join("certs")), "write certificates");
        let mut passwords = HashMap::new();
        let mut credentials = Vec::new();
        for ((key, _), (_, issued)) in demo::INSTITUTIONS.iter().zip(&pki.clients) {
            let password = format!("secret-{key}");
            credentials.push((
                *key,
                Some(ok(hash_password(&password), "hash")),
                Some(issued.der.to_vec()),
            ));
            passwords.insert(*key, password);
        }
        let demo_ssins = ok(
            demo::load(store.as_ref(), &dir.path().join("world"), &credentials),
            "load the demo world",
        );
        let ssin = |needle: &str| {
            demo_ssins
                .iter()
                .find(|s| s.illustrates.contains(needle))
                .map(|s| s.ssin.clone())
                .unwrap_or_else(|| panic!("no demo SSIN illustrating {needle}"))
        };
        let ssins = Ssins {
            two_pcsas: ssin("two PCSAs"),
            equivalent: ssin("equivalent living wage"),
            born_2003: ssin("born in 2003"),
            no_right: ssin("no right"),
            replacing: ssin("that replaced a bis number"),
            replaced: ssin("bis number replaced"),
            cancelled: ssin("cancelled"),
            forem_only: ssin("only Le Forem"),
            unknown: ssin("unknown to the register"),
        };
        let tls = TlsFiles {
            certificate_chain: files.server_certificate.clone(),
            private_key: files.server_key.clone(),
            client_ca: Some(files.ca.clone()),
        };
        let mut config = server::Config::new(ok("127.0.0.1:0".parse(), "addr"), tls);
        config.auth = options.auth;
        config.body_limit = options.body_limit;
        config.body_memory = options.body_memory;
        config.max_connections = options.max_connections;
        config.handshake_timeout = options.handshake_timeout;
        config.journal = options.journal;
        config.idle_timeout = options.idle_timeout;
        config.header_timeout = options.header_timeout;
        config.shutdown_grace = std::time::Duration::from_secs(10);
        config.propagation_delay = options.propagation_delay;
        config.receivers = options.receivers.clone();
        config.faults = Arc::new(bcss_gateway::server::injected::registry(options.max_hold));
        config.allow_from = options.allow_from.clone();
        if options.sign_answers {
            config.answer_signer = Some(Arc::new(ok(
                bcss_gateway::server::signed_answers::AnswerSigner::load(
                    &files.server_certificate,
                    &files.server_key,
                ),
                "the answer signer",
            )));
        }
        let faults = config.faults.clone();
        let clock = config.clock.clone();
        let notifications = NotifyConfig {
            tls: PushTls {
                ca: Some(files.ca.clone()),
                client_identity: None,
            },
            timeouts: Timeouts {
                connect: std::time::Duration::from_secs(2),
                answer: options.answer_timeout,
            },
            schedule: ok(RetrySchedule::parse(options.retry), "retry schedule"),
            batch_size: options.batch_size,
            propagation_delay: options.propagation_delay,
            receivers: options.receivers.clone(),
        };
        // The composition root `serve` uses, without the control socket (the tests move
        // the clock directly).
        let app = ok(
            App::new(store.clone(), config)
                .with_notifications(notifications)
                .start()
                .await,
            "start the gateway",
        );
        let (running, dispatcher) = app.into_parts();
        Gateway {
            addr: running.local_addr(),
            server: Some(running),
            store,
            pki,
            passwords,
            ssins,
            clock,
            dispatcher,
            server_certificate: files.server_certificate.clone(),
            server_key: files.server_key.clone(),
            faults,
            _dir: dir,
        }
    }

    pub fn cbe(&self, key: &str) -> String {
        ok(demo::institution_cbe(key), "institution").to_string()
    }

    fn client_material(&self, key: &str) -> (String, String) {
        let (_, issued) = self
            .pki
            .clients
            .iter()
            .find(|(stem, _)| stem == key)
            .unwrap_or_else(|| panic!("no client certificate {key}"));
        (issued.certificate_pem.clone(), issued.key_pem.clone())
    }

    /// A client logging in with HTTP Basic as `key`.
    pub fn basic(&self, key: &str) -> Client {
        let password = self.passwords.get(key).cloned().unwrap_or_default();
        Client::new(self, None, false).with_basic(&format!("E{}", self.cbe(key)), &password)
    }

    /// A client presenting `key`'s certificate.
    pub fn with_certificate(&self, key: &str) -> Client {
        Client::new(self, Some(self.client_material(key)), false)
    }

    /// Inscribes `ssin` for the institution `key` (quality 2) from `begin`, without end:
    /// a partner that then sees the person's rights from that day.
    pub fn inscribe(&self, key: &str, ssin: &str, begin: &str) {
        use bcss_gateway::domain::{CbeNumber, Date, OpenPeriod, QualityCode, Ssin};
        let from = ok(Date::parse_xsd(begin), "begin");
        let period = ok(OpenPeriod::new(from, None), "period");
        ok(
            self.store.update_inscriptions(
                &ok(Ssin::parse(ssin), "SSIN"),
                &ok(CbeNumber::parse(&self.cbe(key)), "CBE number"),
                ok(QualityCode::new(2), "quality"),
                &mut |existing| {
                    Some(bcss_gateway::domain::inscription::with_registered(
                        existing, period,
                    ))
                },
            ),
            "inscribe",
        );
    }

    /// A CPAS the demo does not have, added to the register with a Basic password:
    /// `cbe`, in the municipality `ins`. A client that logs in as it.
    pub fn add_cpas(&self, cbe: &str, ins: &str, name: &str) -> Client {
        use bcss_gateway::domain::{CbeNumber, InsCode, Institution, Pcsa};
        use bcss_gateway::store::Change;
        let password = format!("secret-{cbe}");
        let cbe_number = ok(CbeNumber::parse(cbe), "CBE number");
        let changes = [
            Change::Pcsa(Pcsa {
                cbe: cbe_number,
                ins: ok(InsCode::parse(ins), "INS code"),
                name: name.to_owned(),
            }),
            Change::Institution(Institution {
                cbe: cbe_number,
                name: name.to_owned(),
                sector: None,
                password_hash: Some(ok(hash_password(&password), "password hash")),
                certificates: Vec::new(),
                grants: Vec::new(),
            }),
        ];
        ok(self.store.apply(&changes), "add the CPAS");
        Client::new(self, None, false).with_basic(&format!("E{cbe}"), &password)
    }

    pub fn anonymous(&self) -> Client {
        Client::new(self, None, false)
    }

    /// The head of an HTTP/1.1 SOAP POST with `key`'s Basic credentials, for tests that
    /// write a request by hand (to split or stall it).
    pub fn raw_post_head(&self, key: &str, content_length: usize) -> String {
        use base64::Engine;
        let password = self.passwords.get(key).cloned().unwrap_or_default();
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("E{}:{password}", self.cbe(key)));
        format!(
            "POST {PATH} HTTP/1.1\r\nhost: localhost\r\nauthorization: Basic {token}\r\n\
             content-type: text/xml\r\ncontent-length: {content_length}\r\n\r\n"
        )
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            ok(s.shutdown().await, "shutdown");
        }
        if let Some(d) = self.dispatcher.take() {
            d.shutdown().await;
        }
    }

    /// A notification receiver on an ephemeral loopback port.
    pub async fn sink(&self, behaviour: Behaviour) -> Sink {
        ok(
            Sink::start(
                ok("127.0.0.1:0".parse(), "addr"),
                self.server_certificate.clone(),
                self.server_key.clone(),
                behaviour,
            )
            .await,
            "start sink",
        )
    }

    /// Rings the dispatcher, as the admin API does when a rule on deliveries goes.
    pub fn dispatcher_wake(&self) {
        if let Some(d) = &self.dispatcher {
            d.waker().wake();
        }
    }

    pub async fn flush_audit(&self) {
        if let Some(s) = &self.server {
            s.flush_audit().await;
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Text of the first element with this local name, whatever its prefix.
    pub fn text_of(&self, local: &str) -> Option<String> {
        texts_of(&self.body, local).into_iter().next()
    }

    pub fn texts_of(&self, local: &str) -> Vec<String> {
        texts_of(&self.body, local)
    }

    pub fn status_code(&self) -> String {
        self.text_of("code").unwrap_or_default()
    }

    pub fn reason_code(&self) -> String {
        self.text_of("reasonCode").unwrap_or_default()
    }
}

/// Texts of every element with this local name (in document order).
pub fn texts_of(xml: &str, local: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut inside: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.local_name().as_ref() == local => {
                inside = Some(String::new())
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                if let Some(s) = inside.as_mut() {
                    s.push_str(&t.xml10_content());
                }
            }
            Ok(quick_xml::events::Event::GeneralRef(r)) => {
                if let Some(s) = inside.as_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => s.push(c),
                        _ => s.push_str(match &*r {
                            "lt" => "<",
                            "gt" => ">",
                            "amp" => "&",
                            "apos" => "'",
                            "quot" => "\"",
                            other => panic!("unknown entity &{other}; in a reply"),
                        }),
                    }
                }
            }
            Ok(quick_xml::events::Event::End(e)) if e.local_name().as_ref() == local => {
                if let Some(s) = inside.take() {
                    out.push(s);
                }
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// With `BCSS_RECORD_REQUESTS=<dir>`, every request body a test sends is kept there,
/// named by its path and a digest: the seeds of the fuzz corpus came from them.
fn record_request(path: &str, body: &[u8]) {
    use sha2::Digest;
    let Some(dir) = std::env::var_os("BCSS_RECORD_REQUESTS") else {
        return;
    };
    if body.is_empty() {
        return;
    }
    let digest = sha2::Sha256::digest(body);
    let name: String = path
        .split('?')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let _ = std::fs::write(Path::new(&dir).join(format!("{name}-{hex}")), body);
}

pub struct Client {
    addr: SocketAddr,
    connector: TlsConnector,
    http2: bool,
    authorization: Option<String>,
}

impl Client {
    fn new(gw: &Gateway, identity: Option<(String, String)>, http2: bool) -> Client {
        Client::trusting(gw.addr, &gw.pki.ca.certificate_pem, identity, http2)
    }

    /// A client of a gateway running in another process, trusting `ca_pem`.
    pub fn external(addr: SocketAddr, ca_pem: &str) -> Client {
        Client::trusting(addr, ca_pem, None, false)
    }

    /// The same, presenting the client certificate `cert_pem` (its key `key_pem`).
    pub fn external_with_certificate(
        addr: SocketAddr,
        ca_pem: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Client {
        Client::trusting(
            addr,
            ca_pem,
            Some((cert_pem.to_owned(), key_pem.to_owned())),
            false,
        )
    }

    fn trusting(
        addr: SocketAddr,
        ca_pem: &str,
        identity: Option<(String, String)>,
        http2: bool,
    ) -> Client {
        let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes());
        let mut roots = rustls::RootCertStore::empty();
        ok(roots.add(ok(ca, "ca pem")), "ca");
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_root_certificates(roots);
        let mut config = match identity {
            Some((cert, key)) => {
                let chain = vec![ok(CertificateDer::from_pem_slice(cert.as_bytes()), "cert")];
                let key = ok(PrivateKeyDer::from_pem_slice(key.as_bytes()), "key");
                ok(builder.with_client_auth_cert(chain, key), "client auth")
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![if http2 {
            b"h2".to_vec()
        } else {
            b"http/1.1".to_vec()
        }];
        Client {
            addr,
            connector: TlsConnector::from(Arc::new(config)),
            http2,
            authorization: None,
        }
    }

    pub fn with_basic(mut self, user: &str, password: &str) -> Client {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.authorization = Some(format!("Basic {token}"));
        self
    }

    pub fn http2(mut self) -> Client {
        self.http2 = true;
        let mut config = rustls::ClientConfig::clone(self.connector.config());
        config.alpn_protocols = vec![b"h2".to_vec()];
        self.connector = TlsConnector::from(Arc::new(config));
        self
    }

    pub async fn connect(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        ok(self.try_connect().await, "connect")
    }

    pub async fn try_connect(&self) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let name = ok(ServerName::try_from("localhost"), "server name");
        self.connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake: {e}"))
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        ok(self.try_send(method, path, headers, body).await, "exchange")
    }

    /// Like `send`, but a failure to connect or exchange is returned, not a panic.
    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        let tls = self.try_connect().await?;
        let uri = if self.http2 {
            format!("https://localhost:{}{path}", self.addr.port())
        } else {
            path.to_owned()
        };
        let mut req = Request::builder().method(method).uri(uri);
        if !self.http2 {
            req = req.header("host", format!("localhost:{}", self.addr.port()));
        }
        if let Some(auth) = &self.authorization {
            req = req.header("authorization", auth);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        record_request(path, &body);
        let req = ok(req.body(Full::new(Bytes::from(body))), "request");
        let err = |e: hyper::Error| e.to_string();
        let response = if self.http2 {
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                    .await
                    .map_err(err)?;
            tokio::spawn(conn);
            sender.send_request(req).await.map_err(err)?
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .map_err(err)?;
            tokio::spawn(conn);
            sender.send_request(req).await.map_err(err)?
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(err)?
            .to_bytes();
        Ok(Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// POSTs a SOAP 1.1 envelope and validates whatever SOAP comes back.
    pub async fn soap(&self, envelope: &str) -> Reply {
        self.soap_with(envelope, &[("content-type", "text/xml; charset=utf-8")])
            .await
    }

    pub async fn soap_with(&self, envelope: &str, headers: &[(&str, &str)]) -> Reply {
        let reply = self
            .send("POST", PATH, headers, envelope.as_bytes().to_vec())
            .await;
        if reply.body.contains("Envelope") {
            validate_soap_reply(&reply.body);
        }
        reply
    }

    /// POSTs a SOAP 1.1 envelope to `path` and validates whatever SOAP comes back.
    pub async fn soap_at(&self, path: &str, envelope: &str) -> Reply {
        let reply = self
            .send(
                "POST",
                path,
                &[("content-type", "text/xml; charset=utf-8")],
                envelope.as_bytes().to_vec(),
            )
            .await;
        if reply.body.contains("Envelope") {
            validate_soap_reply(&reply.body);
        }
        reply
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send("GET", path_and_query, &[], Vec::new()).await
    }
}

/// A request envelope for `operation` (e.g. "getLivingWages").
pub struct Call<'a> {
    pub operation: &'a str,
    pub cbe: &'a str,
    pub legal_context: &'a str,
    pub ssin: &'a str,
    pub begin: &'a str,
    pub end: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn new(operation: &'a str, cbe: &'a str, ssin: &'a str) -> Self {
        Call {
            operation,
            cbe,
            legal_context: "UNEMPLOYMENT:LIVING_WAGE_CHECK",
            ssin,
            begin: "2015-01-01",
            end: None,
        }
    }

    pub fn period(mut self, begin: &'a str, end: Option<&'a str>) -> Self {
        self.begin = begin;
        self.end = end;
        self
    }

    pub fn legal_context(mut self, lc: &'a str) -> Self {
        self.legal_context = lc;
        self
    }

    /// The request element alone.
    pub fn payload(&self) -> String {
        let end = self
            .end
            .map(|e| format!("<endDate>{e}</endDate>"))
            .unwrap_or_default();
        format!(
            "<lw:{op}Request xmlns:lw=\"{INTF_NS}\"><informationCustomer><ticket>test-ticket</ticket>\
             <timestampSent>2026-01-15T10:00:00+01:00</timestampSent><customerIdentification><cbeNumber>{cbe}</cbeNumber>\
             </customerIdentification></informationCustomer><legalContext>{lc}</legalContext><criteria><ssin>{ssin}</ssin>\
             <period><beginDate>{begin}</beginDate>{end}</period></criteria></lw:{op}Request>",
            op = self.operation,
            cbe = self.cbe,
            lc = self.legal_context,
            ssin = self.ssin,
            begin = self.begin,
        )
    }

    pub fn soap11(&self) -> String {
        envelope(SOAP11, &self.payload())
    }

    pub fn soap12(&self) -> String {
        envelope(SOAP12, &self.payload())
    }
}

pub fn envelope(ns: &str, payload: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"{ns}\"><soap:Header/><soap:Body>{payload}</soap:Body></soap:Envelope>"
    )
}

/// The periods ONEM sees of `ssin` over [begin, end] in LivingWages V2's
/// getLivingWages, as "begin..end".
pub async fn onem_periods(gw: &Gateway, ssin: &str, begin: &str, end: &str) -> Vec<String> {
    let onem = gw.cbe("onem");
    let reply = gw
        .basic("onem")
        .soap(
            &Call::new("getLivingWages", &onem, ssin)
                .period(begin, Some(end))
                .soap11(),
        )
        .await;
    periods(&reply)
}

/// The answer's periods as "begin..end" strings, in document order.
pub fn periods(reply: &Reply) -> Vec<String> {
    let begins = reply.texts_of("beginDate");
    let ends = reply.texts_of("endDate");
    // The first beginDate (and endDate, when given) belong to the echoed criteria.
    let criteria_has_end = reply
        .body
        .split("</criteria>")
        .next()
        .is_some_and(|c| c.contains("endDate"));
    let ends = if criteria_has_end {
        &ends[1..]
    } else {
        &ends[..]
    };
    begins[1..]
        .iter()
        .zip(ends)
        .map(|(b, e)| format!("{b}..{e}"))
        .collect()
}

// ---- XSD validation ------------------------------------------------------------------

fn xmllint_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let found = Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            // CI installs it: there, a missing xmllint is a failure, not a skip.
            assert!(
                std::env::var_os("CI").is_none(),
                "xmllint is required in CI (Debian: libxml2-utils)"
            );
            eprintln!("SKIPPED XSD validation: xmllint is not installed (Debian: libxml2-utils)");
        }
        found
    })
}

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real CBSS contract laid out so that its relative imports resolve, or None (with
/// the reason printed) when the reference folder is absent.
fn reference_schema() -> Option<&'static Path> {
    static SCHEMA: OnceLock<Option<PathBuf>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let reference = project_root().join("../shared/reference/kszbcss");
            if !reference.join("LivingWagesV2.wsdl").exists() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{} is required in CI",
                    reference.display()
                );
                eprintln!(
                    "SKIPPED validation against the real CBSS schemas: {} is absent",
                    reference.display()
                );
                return None;
            }
            let dir = std::env::temp_dir().join(format!("bcss-reference-{}", std::process::id()));
            let common = dir.join("be/fgov/kszbcss/types/common");
            ok(std::fs::create_dir_all(&common), "reference dir");
            ok(std::fs::create_dir_all(dir.join("x")), "reference dir");
            ok(
                std::fs::copy(reference.join("CommonV3.xsd"), common.join("CommonV3.xsd")),
                "copy",
            );
            ok(
                std::fs::copy(
                    reference.join("LivingWagesV2.xsd"),
                    dir.join("x/LivingWagesV2.xsd"),
                ),
                "copy",
            );
            let wsdl = ok(
                std::fs::read_to_string(reference.join("LivingWagesV2.wsdl")),
                "read wsdl",
            );
            let start = wsdl
                .find("<xsd:schema")
                .unwrap_or_else(|| panic!("no inline schema in the reference WSDL"));
            let end = wsdl
                .find("</xsd:schema>")
                .unwrap_or_else(|| panic!("no inline schema end"))
                + "</xsd:schema>".len();
            let schema = wsdl[start..end].replacen(
                "<xsd:schema",
                "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"",
                1,
            );
            let path = dir.join("x/intf.xsd");
            ok(std::fs::write(&path, schema), "write intf schema");
            Some(path)
        })
        .as_deref()
}

/// The outermost elements of a SOAP reply that the contract describes: the operation's
/// response, or the fault detail element.
fn contract_elements(xml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut open: Option<(usize, String, usize)> = None;
    let mut depth = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                depth += 1;
                let local = e.local_name().as_ref().to_owned();
                if open.is_none()
                    && (local.ends_with("Response")
                        || local.ends_with("Request")
                        || local == "livingWagesFault"
                        || local == "pcsaDecisionFault"
                        || local == "subscriptionFault"
                        || local == "livingWagesWithAmountFault"
                        || local == "testConnectionFault")
                {
                    open = Some((before, local, depth));
                }
            }
            Ok(quick_xml::events::Event::End(e)) => {
                if let Some((start, local, d)) = &open
                    && *d == depth
                    && e.local_name().as_ref() == local
                {
                    let end = usize::try_from(reader.buffer_position()).unwrap_or(0);
                    out.push(xml[*start..end].trim_start().to_owned());
                    open = None;
                }
                depth = depth.saturating_sub(1);
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn xmllint(schema: &Path, document: &str) -> Result<(), String> {
    let file = ok(tempfile::NamedTempFile::new(), "temp file");
    ok(std::fs::write(file.path(), document), "write document");
    let out = ok(
        Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .arg(file.path())
            .output(),
        "run xmllint",
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Validates what a client sends against the project's schemas, to show that a message
/// the gateway reads is one its published contract allows.
pub fn validate_soap_request(xml: &str) {
    assert_eq!(
        contract_element_count(xml),
        1,
        "no request element in {xml}"
    );
    validate_soap_reply(xml);
}

/// Validates the contract elements of a SOAP reply against the project's schemas and,
/// for LivingWages V2, the real ones. Panics with xmllint's complaint.
pub fn validate_soap_reply(xml: &str) {
    let elements = contract_elements(xml);
    if !xmllint_available() {
        return;
    }
    for element in &elements {
        // The gateway's own services have only the project's schemas; LivingWages V2
        // has the real CBSS ones too.
        let own_service = [PD_NS, LS_NS, LWA_NS, LW3_NS, TC_NS]
            .iter()
            .any(|ns| element.contains(ns));
        let own = project_root().join(if element.contains(TC_NS) {
            "schemas/TestConnectionV1.xsd"
        } else if element.contains(LS_NS) {
            "schemas/LivingWagesSubscriptionV1.xsd"
        } else if element.contains(LWA_NS) {
            "schemas/LivingWagesWithAmountV1.xsd"
        } else if element.contains(LW3_NS) {
            "schemas/LivingWagesV3.xsd"
        } else if own_service {
            "schemas/PcsaDecisionV1.xsd"
        } else {
            "schemas/LivingWagesServiceV2.xsd"
        });
        if let Err(e) = xmllint(&own, element) {
            panic!("reply invalid against the project's schemas:\n{e}\n{element}");
        }
        if !own_service
            && let Some(reference) = reference_schema()
            && let Err(e) = xmllint(reference, element)
        {
            panic!("reply invalid against the real CBSS schemas:\n{e}\n{element}");
        }
    }
}

/// How many replies were validated, to make sure validation is not silently skipped.
pub fn contract_element_count(xml: &str) -> usize {
    contract_elements(xml).len()
}

/// Validates an SSDNReply (the document inside a connector reply's xmlString) against
/// the real CBSS SSDN schemas, through a small schema that imports the Service and
/// ManageAccess namespaces together (the reply's payload wildcard is strict).
pub fn validate_ssdn_reply(document: &str) {
    if !xmllint_available() {
        return;
    }
    let ssdn = project_root().join("../shared/reference/kszbcss/SSDN");
    if !ssdn.join("Service/NamespaceRoot.xsd").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is required in CI",
            ssdn.display()
        );
        return;
    }
    let ssdn = ok(ssdn.canonicalize(), "SSDN schemas");
    let driver = ok(tempfile::NamedTempFile::new(), "driver schema");
    let text = format!(
        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"urn:test:ssdn-all\">\
         <xs:import namespace=\"http://www.ksz-bcss.fgov.be/XSD/SSDN/Service\" schemaLocation=\"{}/Service/NamespaceRoot.xsd\"/>\
         <xs:import namespace=\"http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess\" schemaLocation=\"{}/OCMW_CPAS/ManageAccess/NamespaceRoot.xsd\"/>\
         </xs:schema>",
        ssdn.display(),
        ssdn.display()
    );
    ok(std::fs::write(driver.path(), text), "write driver schema");
    if let Err(e) = xmllint(driver.path(), document) {
        panic!("SSDNReply invalid against the real SSDN schemas:\n{e}\n{document}");
    }
}

/// A demo binary that is stopped when the test ends, however it ends.
pub struct DemoServer {
    child: Child,
    /// The manifest it wrote: endpoints, credentials, certificates, SSINs.
    pub manifest: PathBuf,
}

impl DemoServer {
    pub fn start(data_dir: &Path) -> DemoServer {
        DemoServer::start_with(data_dir, &[])
    }

    /// `start`, with these arguments of `serve` besides.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> DemoServer {
        let (child, _) = demo_binary(data_dir, extra);
        DemoServer {
            child,
            manifest: data_dir.join("demo.json"),
        }
    }

    /// The demo SSINs the manifest lists, with the status each is expected to get.
    pub fn ssins(&self) -> Vec<demo::DemoSsin> {
        let text = ok(std::fs::read_to_string(&self.manifest), "read the manifest");
        let manifest: demo::Manifest = ok(serde_json::from_str(&text), "parse the manifest");
        manifest.ssins
    }

    pub fn manifest_arg(&self) -> &str {
        self.manifest
            .to_str()
            .unwrap_or_else(|| panic!("{} is not UTF-8", self.manifest.display()))
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an external tool, which must start; its output either way.
pub fn run_tool(command: &mut Command, what: &str) -> std::process::Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"))
}

/// A tool's standard output and error together, for a failure's message.
pub fn tool_output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Starts the binary with `serve --demo` on `data_dir` and `extra` arguments, and
/// returns it with its address once it listens and its manifest is written.
pub fn demo_binary(data_dir: &Path, extra: &[&str]) -> (Child, SocketAddr) {
    let (child, addr, _) = demo_binary_with_admin(data_dir, extra);
    (child, addr)
}

/// `demo_binary`, with the address of its admin API too (both on ephemeral ports).
pub fn demo_binary_with_admin(data_dir: &Path, extra: &[&str]) -> (Child, SocketAddr, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcss-gateway"))
        .args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start the gateway: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let mut next = |what: &str| {
        lines
            .next()
            .unwrap_or_else(|| panic!("the gateway stopped before {what}"))
            .unwrap_or_else(|e| panic!("read stdout: {e}"))
    };
    let addr = loop {
        let line = next("listening");
        if let Some(url) = line.strip_prefix("bcss-gateway listening on https://") {
            break url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    };
    let admin = loop {
        let line = next("printing its admin API");
        if let Some(rest) = line.trim().strip_prefix("admin API") {
            let url = rest.trim().trim_start_matches("https://");
            let host_port = url.split('/').next().unwrap_or("");
            break host_port
                .parse()
                .unwrap_or_else(|e| panic!("{host_port}: {e}"));
        }
    };
    // The manifest gets the address next; its path printed says it is written.
    loop {
        if next("writing its manifest").starts_with("demo manifest") {
            break;
        }
    }
    // Keep draining stdout so the gateway never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr, admin)
}

/// A certificate and its private key, in PEM.
pub struct Issued {
    pub cert: String,
    pub key: String,
}

/// A client certificate's parameters: CN `name`, for client authentication.
pub fn client_params(name: &str) -> rcgen::CertificateParams {
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    params
}

/// A self-signed client certificate, as a tester makes one for their laptop.
pub fn self_signed(name: &str) -> Issued {
    let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let cert = client_params(name)
        .self_signed(&key)
        .unwrap_or_else(|e| panic!("{e}"));
    Issued {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}
