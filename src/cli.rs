//! The command line: `serve` runs the gateway, `certs` makes development certificates.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use thiserror::Error;

use crate::certs::{CertError, DevelopmentPki};
use crate::demo::{self, DemoError};
use crate::server::{self, AuthModes, ServerError, TlsFiles};
use crate::store::{RedbStore, Store, StoreError};

#[derive(Debug, Parser)]
#[command(
    name = "bcss-gateway",
    version,
    about = "A stand-in for the Crossroads Bank for Social Security on the right to social integration"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Serve(ServeArgs),
    /// Write development certificates: a CA, a server certificate and client certificates.
    Certs(CertsArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// HTTP Basic with user E<CBE number> and the institution's password.
    Basic,
    /// A client certificate (mutual TLS) registered for the institution.
    ClientCertificate,
}

/// Durations are bounded: a day is the longest any of them makes sense.
fn seconds() -> clap::builder::RangedU64ValueParser {
    clap::builder::RangedU64ValueParser::new().range(1..=86_400)
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory of the store (created if missing).
    #[arg(long, env = "BCSS_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "BCSS_ADDR", default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// On an empty data directory, create certificates and a demo dataset, and write
    /// demo.json describing how to call the server.
    #[arg(long)]
    pub demo: bool,
    /// Server certificate chain (PEM). Default: <data-dir>/certs/server.pem.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM). Default: <data-dir>/certs/server.key.
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// CA certificate(s) trusted for client certificates. Default: <data-dir>/certs/ca.pem
    /// when present.
    #[arg(long)]
    pub client_ca: Option<PathBuf>,
    /// Accepted ways to identify a caller (comma separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [AuthMode::Basic, AuthMode::ClientCertificate])]
    pub auth: Vec<AuthMode>,
    /// Largest request body in bytes (larger ones get 413), up to 1 GiB.
    #[arg(long, default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub body_limit: u64,
    /// Seconds a client has to finish the TLS handshake (1 to 86400).
    #[arg(long, default_value_t = 10, value_parser = seconds())]
    pub handshake_timeout: u64,
    /// Seconds a client has to send a request's headers (1 to 86400).
    #[arg(long, default_value_t = 30, value_parser = seconds())]
    pub header_timeout: u64,
    /// Seconds without traffic after which a connection is closed (1 to 86400).
    #[arg(long, default_value_t = 120, value_parser = seconds())]
    pub idle_timeout: u64,
    /// Seconds shutdown waits for in-flight requests before closing what is left (1 to 86400).
    #[arg(long, default_value_t = 30, value_parser = seconds())]
    pub shutdown_grace: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Base URL written into served WSDLs (e.g. https://gateway.example:443); default:
    /// the Host the client used.
    #[arg(long)]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Directory to write into.
    #[arg(long, default_value = "certs")]
    pub out: PathBuf,
    /// Host names and IP addresses of the server certificate.
    #[arg(long = "host", default_values_t = ["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])]
    pub hosts: Vec<String>,
    /// A client certificate to make, as FILE_STEM or FILE_STEM=COMMON NAME (repeatable).
    #[arg(long = "client")]
    pub clients: Vec<String>,
}

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Certs(#[from] CertError),
    #[error("--{flag}: {reason}")]
    Argument { flag: &'static str, reason: String },
    #[error("cannot wait for a stop signal: {0}")]
    Signal(std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Certs(args) => certs(args),
    }
}

fn certs(args: CertsArgs) -> Result<(), CliError> {
    let clients: Vec<(String, String)> = args
        .clients
        .iter()
        .map(|c| match c.split_once('=') {
            Some((stem, cn)) => (stem.to_owned(), cn.to_owned()),
            None => (c.clone(), c.clone()),
        })
        .collect();
    let pki = DevelopmentPki::generate(&args.hosts, &clients)?;
    let files = pki.write(&args.out)?;
    println!("CA certificate      {}", files.ca.display());
    println!(
        "server certificate  {} (hosts: {})",
        files.server_certificate.display(),
        args.hosts.join(", ")
    );
    println!("server key          {}", files.server_key.display());
    for ((stem, cert, key), (_, issued)) in files.clients.iter().zip(&pki.clients) {
        println!(
            "client {stem:<12} {} + {}  fingerprint {}",
            cert.display(),
            key.display(),
            issued.fingerprint()
        );
    }
    Ok(())
}

fn existing(path: PathBuf) -> Option<PathBuf> {
    path.exists().then_some(path)
}

fn tls_files(args: &ServeArgs) -> Result<TlsFiles, CliError> {
    let certs = args.data_dir.join("certs");
    let missing = |flag, path: &Path| CliError::Argument {
        flag,
        reason: format!(
            "no server certificate at {}: pass it, make one with `bcss-gateway certs --out {}`, or use --demo",
            path.display(),
            certs.display()
        ),
    };
    let certificate_chain = args
        .tls_cert
        .clone()
        .unwrap_or_else(|| certs.join("server.pem"));
    let private_key = args
        .tls_key
        .clone()
        .unwrap_or_else(|| certs.join("server.key"));
    if !certificate_chain.exists() {
        return Err(missing("tls-cert", &certificate_chain));
    }
    if !private_key.exists() {
        return Err(missing("tls-key", &private_key));
    }
    let client_ca = args
        .client_ca
        .clone()
        .or_else(|| existing(certs.join("ca.pem")));
    Ok(TlsFiles {
        certificate_chain,
        private_key,
        client_ca,
    })
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    // Certificates given (or expected) outside the demo are checked before anything is
    // created on disk.
    let explicit_tls = if args.demo && args.tls_cert.is_none() {
        None
    } else {
        Some(tls_files(&args)?)
    };
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(&args.data_dir)?);
    let mut demo_setup = if args.demo {
        Some(demo::prepare(&args.data_dir, store.as_ref())?)
    } else {
        None
    };
    let tls = match (explicit_tls, &demo_setup) {
        (Some(tls), _) => tls,
        (None, Some(setup)) => setup.tls.clone(),
        (None, None) => tls_files(&args)?,
    };
    let mut config = server::Config::new(args.addr, tls);
    config.auth = AuthModes {
        basic: args.auth.contains(&AuthMode::Basic),
        client_certificate: args.auth.contains(&AuthMode::ClientCertificate),
    };
    config.body_limit = usize::try_from(args.body_limit).unwrap_or(usize::MAX);
    config.max_connections = usize::try_from(args.max_connections).unwrap_or(usize::MAX);
    config.handshake_timeout = Duration::from_secs(args.handshake_timeout);
    config.header_timeout = Duration::from_secs(args.header_timeout);
    config.idle_timeout = Duration::from_secs(args.idle_timeout);
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    config.public_url = args.public_url.clone();

    let running = server::start(config, store).await?;
    let base = format!("https://{}", running.local_addr());
    println!("bcss-gateway listening on {base}");
    println!(
        "  LivingWages V2  {base}{}",
        crate::wire::living_wages_v2::PATH
    );
    println!(
        "  WSDL            {base}{}?wsdl",
        crate::wire::living_wages_v2::PATH
    );
    if let Some(setup) = demo_setup.as_mut() {
        let path = demo::write_manifest(&args.data_dir, &mut setup.manifest, &base)?;
        print_demo_help(&setup.manifest, &path);
    }
    wait_for_stop_signal().await?;
    println!("stopping: finishing in-flight requests");
    running.shutdown().await?;
    Ok(())
}

fn print_demo_help(manifest: &demo::Manifest, path: &Path) {
    println!("demo manifest   {}", path.display());
    let Some(inst) = manifest
        .institutions
        .iter()
        .find(|i| i.key == manifest.default_institution)
    else {
        return;
    };
    let ssin = manifest.ssins.first().map_or("", |s| s.ssin.as_str());
    println!("try:");
    println!(
        "  examples/curl/getLivingWages.sh {} {ssin}",
        path.parent()
            .map_or(".".into(), |p| p.display().to_string())
    );
    println!(
        "  python3 examples/zeep_client.py --manifest {}",
        path.display()
    );
    println!(
        "  (user {} / password {}, or client certificate {})",
        inst.username,
        inst.password,
        inst.certificate.display()
    );
}

async fn wait_for_stop_signal() -> Result<(), CliError> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(CliError::Signal)?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map_err(CliError::Signal),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.map_err(CliError::Signal)
}
