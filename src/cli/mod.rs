//! The command line: `serve` runs the gateway, `certs` makes development certificates,
//! `world` loads and exports world files, `payments` imports and exports monthly
//! payment statements, `subscribers` manages notification subscriptions, `clock` shows
//! or moves a running server's clock, `journal` queries the audit trail, `faults`
//! sets a running server's fault rules. What changes a register goes through the
//! running gateway when there is one (`remote.rs`).

mod faults;
mod remote;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use thiserror::Error;

use crate::admin::{AdminConfig, Listen};
use crate::app::App;
use crate::certs::{CertError, DevelopmentPki};
use crate::clock::{Clock, Setting};
use crate::control::ControlError;
use crate::demo::{self, DemoError};
use crate::domain::{CbeNumber, RetrySchedule, Subscription};
use crate::notify::NotifyConfig;
use crate::notify::push::{PushTls, Timeouts};
use crate::server::{self, AuthModes, ServerError, TlsFiles};
use crate::store::{Outbox, RedbStore, Store, StoreError, Subscriptions};

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
    Serve(Box<ServeArgs>),
    /// Write development certificates: a CA, a server certificate and client certificates.
    Certs(CertsArgs),
    /// Import or export monthly payment statements (NOVAPRIMA fixed-width files).
    Payments(PaymentsArgs),
    /// List and manage subscriptions to LivingWagesNotifications. The gateway must not
    /// be running on the same --data-dir (institutions use the subscription service then).
    Subscribers(SubscribersArgs),
    Clock(ClockArgs),
    World(WorldArgs),
    Journal(JournalArgs),
    /// Lists, adds and removes the fault rules of the gateway running on --data-dir:
    /// delays, forced statuses, faults, HTTP errors, resets, holds, broken answers.
    Faults(faults::FaultsArgs),
}

/// Loads the register from world files, or writes it as one.
#[derive(Debug, Args)]
pub struct WorldArgs {
    /// Directory of the store (created if missing).
    #[arg(long, env = "BCSS_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: WorldCommand,
}

#[derive(Debug, Subcommand)]
pub enum WorldCommand {
    /// Check world files together and add them to the register in one transaction;
    /// nothing is written when any value is refused (each one is named). A gateway
    /// running on --data-dir applies them (its forms are then notified).
    Load {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Make a synthetic population from a seed (the same world for the same seed and
    /// arguments): valid SSINs, names, PCSAs of real municipalities, decision histories
    /// the register accepts, inscriptions, monthly statements. Loaded into --data-dir,
    /// or written as a world file with --out.
    Generate {
        /// Persons with a National Register number (some also get a replaced bis
        /// number or a cancelled one).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        persons: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// PCSAs, of 24 real municipalities across the three regions.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=24))]
        pcsas: u64,
        /// Months of decisions and statements, ending last month.
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=600))]
        months: u32,
        /// Also inscribe this institution (CBE number, of the register or another
        /// world file) for every person; repeat for several.
        #[arg(long = "inscribe", value_name = "CBE")]
        inscribe: Vec<String>,
        /// Write a world file (and its statements beside it, `<name>-statements.txt`)
        /// instead of loading.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write the register's PCSAs, institutions, persons, inscriptions and rights as a
    /// world file (readable by its owner only: it holds password hashes).
    Export {
        /// File to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The exchanges the gateway answered (its audit trail), newest first: a table, or
/// JSON with --json; --count counts them. Of the gateway running on --data-dir, else
/// of its store.
#[derive(Debug, Args)]
pub struct JournalArgs {
    #[arg(long, env = "BCSS_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// From this instant on (2027-03-01 or 2027-03-01T09:00:00Z).
    #[arg(long)]
    pub since: Option<String>,
    /// Up to this instant, included (a day alone: the whole day).
    #[arg(long)]
    pub until: Option<String>,
    /// The caller's CBE number.
    #[arg(long)]
    pub institution: Option<String>,
    #[arg(long)]
    pub operation: Option<String>,
    #[arg(long)]
    pub ssin: Option<String>,
    /// A status code or a fault's reason code (MSG00000, MSG00015, ...).
    #[arg(long)]
    pub outcome: Option<String>,
    #[arg(long)]
    pub http_status: Option<u16>,
    /// One exchange, by its ticketCBSS.
    #[arg(long)]
    pub ticket: Option<String>,
    /// The service, as `serve` lists it ("LivingWagesService v2").
    #[arg(long)]
    pub service: Option<String>,
    /// Only the exchanges a fault rule changed.
    #[arg(long)]
    pub injected: bool,
    /// With --ticket: the exchange's request and response bodies, as the running
    /// gateway kept them (serve --journal-bodies).
    #[arg(long, requires = "ticket", conflicts_with_all = ["count", "follow", "json"])]
    pub bodies: bool,
    /// Oldest first.
    #[arg(long)]
    pub oldest: bool,
    /// Records shown (1 to 1000).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print the page as the admin API gives it.
    #[arg(long)]
    pub json: bool,
    /// Only how many records match.
    #[arg(long, conflicts_with_all = ["oldest", "json", "follow"])]
    pub count: bool,
    /// The last records, then each new one as the running gateway commits it (with
    /// --json, one JSON object a line), until interrupted.
    #[arg(long, conflicts_with = "oldest")]
    pub follow: bool,
}

/// Shows or changes the clock of the gateway running on --data-dir.
#[derive(Debug, Args)]
pub struct ClockArgs {
    #[arg(long, env = "BCSS_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: Option<ClockCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// The clock's setting and time (the default).
    Show,
    /// `system`, an instant to run from (2027-03-01 or 2027-03-01T08:30:00Z), `fixed:`
    /// and an instant to stand still at, or an offset such as +31d.
    Set {
        #[arg(allow_hyphen_values = true)]
        setting: String,
    },
    /// Moves the clock by a duration: 31d, 12h, -90m, 500ms.
    Advance {
        #[arg(allow_hyphen_values = true)]
        by: String,
    },
}

#[derive(Debug, Args)]
pub struct SubscribersArgs {
    /// Directory of the store.
    #[arg(long, env = "BCSS_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: SubscribersCommand,
}

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Every subscription, with where its delivery stands.
    List,
    /// Subscribe an institution that a deliberation grants LivingWagesNotifications.
    Add {
        /// CBE number of the institution.
        #[arg(long)]
        institution: String,
        /// https URL of its LivingWagesNotificationService; omitted: it pulls.
        #[arg(long)]
        endpoint: Option<String>,
        /// SSIN_ONLY or WITH_ATTESTATION.
        #[arg(long, default_value = "SSIN_ONLY")]
        mode: String,
    },
    /// Unsubscribe: nothing new is queued; what was queued stays readable.
    Remove {
        #[arg(long)]
        institution: String,
    },
    /// One subscription and its last delivery attempts.
    Status {
        #[arg(long)]
        institution: String,
    },
    /// Deliver again from a sequence number; a failing subscription becomes active.
    Replay {
        #[arg(long)]
        institution: String,
        #[arg(long)]
        from: u64,
    },
}

#[derive(Debug, Args)]
pub struct PaymentsArgs {
    #[command(subcommand)]
    pub command: PaymentsCommand,
}

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Check every line of a statement file, then write each statement (a CPAS and a
    /// month) in one transaction, replacing what the register held for it. Nothing is
    /// written when a line is refused. A gateway running on --data-dir imports it.
    Import {
        /// Directory of the store.
        #[arg(long, env = "BCSS_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// The statement file: lines of 157 characters, UTF-8, LF or CR LF endings.
        file: PathBuf,
    },
    /// Write a CPAS's statement for a month, as it was imported or sent.
    Export {
        /// Directory of the store.
        #[arg(long, env = "BCSS_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// INS code of the CPAS.
        #[arg(long)]
        ins: String,
        /// Month of the statement, YYYYMM or YYYY-MM.
        #[arg(long)]
        month: String,
        /// File to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// End lines with CR LF instead of LF.
        #[arg(long)]
        crlf: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// HTTP Basic with user E<CBE number> and the institution's password.
    Basic,
    /// A client certificate (mutual TLS) registered for the institution.
    ClientCertificate,
    /// A WS-Security X.509 signature made with a certificate registered for the
    /// institution.
    WsSecurity,
}

/// Durations are bounded: a day is the longest any of them makes sense.
fn seconds() -> clap::builder::RangedU64ValueParser {
    clap::builder::RangedU64ValueParser::new().range(1..=86_400)
}

/// `--journal-max-age`: a duration, or none.
#[derive(Clone, Copy, Debug)]
pub struct JournalAge(Option<Duration>);

fn journal_age(text: &str) -> Result<JournalAge, String> {
    if text == "forever" {
        return Ok(JournalAge(None));
    }
    crate::domain::date::parse_duration_ms(text)
        .and_then(|ms| u64::try_from(ms).ok())
        .filter(|ms| *ms > 0)
        .map(|ms| JournalAge(Some(Duration::from_millis(ms))))
        .ok_or_else(|| format!("{text:?}: expected a duration such as 7d, 12h or 30m, or forever"))
}

/// `--receivers`, refused with the entry at fault.
fn receivers(list: &str) -> Result<crate::domain::Receivers, String> {
    crate::domain::Receivers::parse(list)
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
    /// World files to add to the register before serving (after the demo's, with
    /// --demo): checked together, loaded in one transaction, refused whole.
    #[arg(long = "world", value_name = "FILE")]
    pub worlds: Vec<PathBuf>,
    /// Where the admin API listens (HTTPS, with the server's certificate; each request
    /// carries the bearer token of <data-dir>/admin.token). Loopback by default:
    /// it changes the register.
    #[arg(long, env = "BCSS_ADMIN_ADDR", default_value = crate::admin::DEFAULT_ADDR)]
    pub admin_addr: SocketAddr,
    /// Serve no admin API over HTTPS (the command line still reaches the gateway
    /// through its control socket).
    #[arg(long)]
    pub no_admin: bool,
    /// Keep no copy of the register as it starts: the admin API's reset is then
    /// refused, and a large register starts without copying itself.
    #[arg(long)]
    pub no_reset: bool,
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
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [AuthMode::Basic, AuthMode::ClientCertificate, AuthMode::WsSecurity])]
    pub auth: Vec<AuthMode>,
    /// Refuse every request that is not signed (WS-Security), however else it is
    /// identified (needs ws-security in --auth).
    #[arg(long)]
    pub require_signature: bool,
    /// Sign every SOAP answer with the server's certificate and key (WS-Security: a
    /// timestamp and the Body signed), for clients whose policy verifies answers.
    #[arg(long)]
    pub sign_answers: bool,
    /// Largest request body in bytes (larger ones get 413), up to 1 GiB.
    #[arg(long, default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub body_limit: u64,
    /// Audit records kept at most (the oldest go first, a group of up to 256 at a time).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub journal_max_records: u64,
    /// How long audit records are kept, by the server's clock: a number with s, m, h
    /// or d, or `forever`.
    #[arg(long, default_value = "7d", value_parser = journal_age)]
    pub journal_max_age: JournalAge,
    /// Keep the request and response bodies of the latest SOAP exchanges, in memory,
    /// for `journal --ticket T --bodies` and the admin API.
    #[arg(long)]
    pub journal_bodies: bool,
    /// MiB the kept bodies may take, the oldest going first (each body is kept up to
    /// 256 KiB).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub journal_bodies_mb: u64,
    /// MiB of request bodies held at once, all connections together (503 beyond; one
    /// connection holds at most four bodies' worth).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub body_memory: u64,
    /// Seconds a client has to finish the TLS handshake (1 to 86400).
    #[arg(long, default_value_t = 10, value_parser = seconds())]
    pub handshake_timeout: u64,
    /// Seconds a client has to send a request's headers (1 to 86400).
    #[arg(long, default_value_t = 30, value_parser = seconds())]
    pub header_timeout: u64,
    /// Seconds without traffic after which a connection is closed (1 to 86400).
    #[arg(long, default_value_t = 120, value_parser = seconds())]
    pub idle_timeout: u64,
    /// Seconds an injected fault may keep a request at most (a hold, a delay, a
    /// dribbled answer); at most --idle-timeout.
    #[arg(long, default_value_t = 60, value_parser = seconds())]
    pub max_hold: u64,
    /// Only these networks may connect, comma separated (10.0.0.0/8,::1); others get no
    /// answer at all, as the network does for an address it has not registered.
    /// Everyone without it.
    #[arg(long, value_delimiter = ',')]
    pub allow_from: Vec<ipnet::IpNet>,
    /// Seconds shutdown waits for in-flight requests before closing what is left (1 to 86400).
    #[arg(long, default_value_t = 30, value_parser = seconds())]
    pub shutdown_grace: u64,
    /// Connections served at once, from the end of their TLS handshake; more wait until
    /// one closes.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// TLS handshakes in progress at once; beyond, the oldest is dropped for the new
    /// connection.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_handshakes: u64,
    /// Base URL written into served WSDLs (e.g. https://gateway.example:443); default:
    /// the Host the client used.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Seconds a registered decision waits before consultations see it (0 to 604800,
    /// 7 days, the network's longest).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=crate::services::propagation::MAX_DELAY_SECONDS))]
    pub propagation_delay: u64,
    /// MiB of the store file kept in memory (16 to 1048576). Consultations stay as fast
    /// with a big register as with a small one while the pages they read fit.
    #[arg(long, default_value_t = crate::store::DEFAULT_CACHE_MB as u64, value_parser = clap::value_parser!(u64).range(16..=1 << 20))]
    pub cache_mb: u64,
    /// Months after its statement month from which a payment is definitive (1 to 24;
    /// the network says 3 to 6).
    #[arg(long, default_value_t = crate::services::living_wages_with_amount::DEFINITIVE_AFTER_MONTHS, value_parser = clap::value_parser!(u32).range(1..=24))]
    pub definitive_after: u32,
    /// The server's clock: `system`; an instant to run from (2027-03-01 or
    /// 2027-03-01T08:30:00Z); `fixed:` and an instant to stand still at; or an offset
    /// such as +31d or -2h. `bcss-gateway clock` changes it while the server runs.
    #[arg(long, default_value = "system", allow_hyphen_values = true)]
    pub clock: String,
    /// CA certificate(s) that notification receivers' certificates must chain to.
    /// Default: <data-dir>/certs/ca.pem when present; without one, nothing is pushed
    /// (subscribers can still pull).
    #[arg(long)]
    pub notify_ca: Option<PathBuf>,
    /// Where notification receivers may be, comma separated: networks (10.0.0.0/8),
    /// addresses, host names and *.domain. Then nothing else receives. Default: any
    /// public address (and, with --demo, this machine's); loopback, private and
    /// link-local addresses only when listed.
    #[arg(long, value_parser = receivers)]
    pub receivers: Option<crate::domain::Receivers>,
    /// The gateway's client certificate (PEM) for receivers that ask for mutual TLS.
    #[arg(long, requires = "notify_client_key")]
    pub notify_client_cert: Option<PathBuf>,
    /// The key of --notify-client-cert.
    #[arg(long, requires = "notify_client_cert")]
    pub notify_client_key: Option<PathBuf>,
    /// Waits before each delivery attempt, comma separated (ms, s, m, h or d); after the
    /// last one fails the notification is dead-lettered.
    #[arg(long, default_value = "0,5s,5m,30m,2h,5h,10h,10h")]
    pub notify_retry: String,
    /// Most notifications in one push (1 to 1000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub notify_batch: u64,
    /// Seconds to connect to a receiver (1 to 86400).
    #[arg(long, default_value_t = 5, value_parser = seconds())]
    pub notify_connect_timeout: u64,
    /// Seconds a receiver has to answer a push (1 to 86400).
    #[arg(long, default_value_t = 15, value_parser = seconds())]
    pub notify_answer_timeout: u64,
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
    /// The client certificates' keys: RSA 2048 (as the network's application
    /// certificates) or ECDSA P-256.
    #[arg(long, value_enum, default_value_t = ClientKey::Rsa)]
    pub key_type: ClientKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientKey {
    Rsa,
    Ecdsa,
}

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    AnswerSigner(#[from] crate::server::signed_answers::AnswerSignerError),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Certs(#[from] CertError),
    #[error("--{flag}: {reason}")]
    Argument { flag: &'static str, reason: String },
    #[error(transparent)]
    Statement(#[from] crate::services::statements::StatementError),
    #[error("cannot wait for a stop signal: {0}")]
    Signal(std::io::Error),
    #[error("{name}: {reason}")]
    Value { name: &'static str, reason: String },
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("the gateway refused: {0}")]
    Refused(String),
    #[error(transparent)]
    World(#[from] crate::world::WorldError),
    #[error("cannot write {}: {source}", file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Certs(args) => certs(args),
        Command::Payments(args) => payments(args.command).await,
        Command::Subscribers(args) => subscribers(args).await,
        Command::Clock(args) => clock(args).await,
        Command::World(args) => world(args).await,
        Command::Journal(args) => journal(args).await,
        Command::Faults(args) => faults::faults(args).await,
    }
}

async fn journal(args: JournalArgs) -> Result<(), CliError> {
    use crate::admin::journal::{Params, Shown, ShownPage};
    use crate::services::journal;
    let params = Params {
        since: args.since.clone(),
        until: args.until.clone(),
        institution: args.institution.clone(),
        operation: args.operation.clone(),
        ssin: args.ssin.clone(),
        outcome: args.outcome.clone(),
        http_status: args.http_status,
        ticket: args.ticket.clone(),
        service: args.service.clone(),
        injected: args.injected.then_some(true),
        order: args.oldest.then(|| "oldest".to_owned()),
        limit: None,
        after: None,
    };
    // The flag a refusal names comes first in its reason (`since: ...`).
    let argument = |reason: String| match reason.split_once(": ") {
        Some((field, rest)) => CliError::Argument {
            flag: match field {
                "since" => "since",
                "until" => "until",
                "institution" => "institution",
                "ticket" => "ticket",
                _ => "journal",
            },
            reason: rest.to_owned(),
        },
        None => CliError::Argument {
            flag: "journal",
            reason,
        },
    };
    let query = params.query().map_err(argument)?;
    if !(1..=journal::MAX_PAGE).contains(&args.limit) {
        return Err(CliError::Argument {
            flag: "limit",
            reason: format!("{} is not from 1 to {}", args.limit, journal::MAX_PAGE),
        });
    }
    if args.follow {
        return follow_journal(&args, &params).await;
    }
    if let (true, Some(ticket)) = (args.bodies, &args.ticket) {
        let answer = remote::call(
            &args.data_dir,
            "GET",
            &format!("/v1/journal/{ticket}/bodies"),
            None,
        )
        .await?;
        for side in ["request", "response"] {
            let body = &answer[side];
            let text = body["text"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| body["base64"].as_str().map(|b| format!("(base64) {b}")))
                .unwrap_or_default();
            let cut = match (body["cutAt"].as_u64(), body["length"].as_u64()) {
                (Some(at), Some(length)) => format!(" (the first {at} of {length} bytes)"),
                _ => String::new(),
            };
            println!("--- {side}{cut}\n{text}");
        }
        return Ok(());
    }
    if remote::running(&args.data_dir) {
        let mut path = format!(
            "/v1/journal{}?{}",
            if args.count { "/count" } else { "" },
            query_string(&params)
        );
        if !args.count {
            path.push_str(&format!("&limit={}", args.limit));
        }
        let answer = remote::call(&args.data_dir, "GET", &path, None).await?;
        if args.count {
            println!("{}", answer["count"]);
            return Ok(());
        }
        let page: ShownPage = serde_json::from_value(answer).map_err(|e| {
            CliError::Refused(format!("the gateway's journal page is not readable: {e}"))
        })?;
        return print_journal(&page, args.json);
    }
    let data_dir = args.data_dir.clone();
    let (count, limit) = (args.count, args.limit);
    let found = tokio::task::spawn_blocking(move || {
        let store = RedbStore::open_dir(&data_dir)?;
        if count {
            return Ok::<_, CliError>(Err(journal::count(&store, &query)?));
        }
        Ok(Ok(journal::find(&store, &query, limit)?))
    })
    .await
    .map_err(|e| CliError::Refused(e.to_string()))??;
    match found {
        Err(n) => {
            println!("{n}");
            Ok(())
        }
        Ok(page) => print_journal(
            &ShownPage {
                records: page.records.into_iter().map(Shown::from).collect(),
                next: page.next.map(|t| t.to_string()),
            },
            args.json,
        ),
    }
}

/// `journal --follow`: the last records, then every new one, from the running gateway.
async fn follow_journal(
    args: &JournalArgs,
    params: &crate::admin::journal::Params,
) -> Result<(), CliError> {
    use crate::admin::journal::{Shown, ShownPage};
    if !remote::running(&args.data_dir) {
        return Err(CliError::Refused(format!(
            "no gateway runs on {}: --follow watches a running one",
            args.data_dir.display()
        )));
    }
    let page = |path: String| async move {
        let answer = remote::call(&args.data_dir, "GET", &path, None).await?;
        serde_json::from_value::<ShownPage>(answer).map_err(|e| {
            CliError::Refused(format!("the gateway's journal page is not readable: {e}"))
        })
    };
    let print = |r: &Shown| -> Result<(), CliError> {
        if args.json {
            let line = serde_json::to_string(r).map_err(|e| CliError::Refused(e.to_string()))?;
            println!("{line}");
        } else {
            print_journal_line(r);
        }
        Ok(())
    };
    let filters = query_string(params);
    let mut last = page(format!("/v1/journal?{filters}&limit={}", args.limit))
        .await?
        .records;
    last.reverse();
    if !args.json {
        print_journal_header();
    }
    for r in &last {
        print(r)?;
    }
    // Nothing yet: from the gateway's present on (its clock may have been moved).
    let mut after = last.last().map(|r| r.ticket.clone());
    let since = match after {
        Some(_) => None,
        None => remote::call(&args.data_dir, "GET", "/v1/clock", None).await?["now"]
            .as_str()
            .map(str::to_owned),
    };
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let mut path = format!("/v1/journal?{filters}&order=oldest&limit=1000");
        match (&after, &since) {
            (Some(ticket), _) => path.push_str(&format!("&after={ticket}")),
            (None, Some(now)) if params.since.is_none() => {
                path.push_str(&format!("&since={}", now.replace(':', "%3A")));
            }
            (None, _) => {}
        }
        for r in page(path).await?.records {
            print(&r)?;
            after = Some(r.ticket);
        }
    }
}

/// The query string of `params`, each value percent-encoded.
fn query_string(params: &crate::admin::journal::Params) -> String {
    let encode = |v: &str| -> String {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let fields: [(&str, Option<String>); 11] = [
        ("since", params.since.clone()),
        ("until", params.until.clone()),
        ("institution", params.institution.clone()),
        ("operation", params.operation.clone()),
        ("ssin", params.ssin.clone()),
        ("outcome", params.outcome.clone()),
        ("httpStatus", params.http_status.map(|h| h.to_string())),
        ("ticket", params.ticket.clone()),
        ("service", params.service.clone()),
        ("injected", params.injected.map(|i| i.to_string())),
        ("order", params.order.clone()),
    ];
    fields
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", encode(v))))
        .collect::<Vec<_>>()
        .join("&")
}

fn print_journal(page: &crate::admin::journal::ShownPage, json: bool) -> Result<(), CliError> {
    if json {
        let text =
            serde_json::to_string_pretty(page).map_err(|e| CliError::Refused(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    print_journal_header();
    for r in &page.records {
        print_journal_line(r);
    }
    if page.next.is_some() {
        println!("(more: --limit, or the admin API's next page)");
    }
    Ok(())
}

async fn clock(args: ClockArgs) -> Result<(), CliError> {
    use serde_json::json;
    let (method, path, body, flag, field) = match &args.command {
        None | Some(ClockCommand::Show) => ("GET", "/v1/clock", None, "", ""),
        Some(ClockCommand::Set { setting }) => (
            "PUT",
            "/v1/clock",
            Some(json!({ "setting": setting })),
            "SETTING",
            "setting: ",
        ),
        Some(ClockCommand::Advance { by }) => (
            "POST",
            "/v1/clock/advance",
            Some(json!({ "by": by })),
            "BY",
            "by: ",
        ),
    };
    let answer = remote::call(&args.data_dir, method, path, body)
        .await
        .map_err(|e| match e {
            // The gateway names the value it could not read: said as the argument.
            CliError::Refused(reason) if !flag.is_empty() => CliError::Value {
                name: flag,
                reason: reason.strip_prefix(field).unwrap_or(&reason).to_owned(),
            },
            other => other,
        })?;
    let text = |key: &str| answer.get(key).and_then(|v| v.as_str()).unwrap_or("");
    println!("clock: {}; now {}", text("setting"), text("now"));
    Ok(())
}

/// Warns about what a data directory made before (or by hand) lets other accounts
/// read: the directory, the store, the manifest and the private keys.
fn warn_if_readable_by_others(data_dir: &Path) {
    let certs = data_dir.join("certs");
    let keys = std::fs::read_dir(&certs)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "key"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let private = [
        data_dir.to_owned(),
        data_dir.join("bcss-gateway.redb"),
        data_dir.join("demo.json"),
        certs,
    ];
    for path in private.iter().chain(&keys) {
        if path.exists() && crate::files::readable_by_others(path) {
            tracing::warn!(
                path = %path.display(),
                "readable by other accounts of this machine; it holds personal data or secrets (chmod go-rwx)"
            );
        }
    }
}

async fn world(args: WorldArgs) -> Result<(), CliError> {
    use serde_json::json;
    if let WorldCommand::Generate {
        persons,
        seed,
        pcsas,
        months,
        inscribe,
        out,
    } = args.command
    {
        return generate(&args.data_dir, persons, seed, pcsas, months, &inscribe, out);
    }
    if remote::running(&args.data_dir) {
        match args.command {
            WorldCommand::Load { files } => {
                let paths: Vec<String> = files.iter().map(|f| remote::absolute(f)).collect();
                let answer = remote::call(
                    &args.data_dir,
                    "POST",
                    "/v1/world/files",
                    Some(json!({ "files": paths })),
                )
                .await?;
                println!(
                    "applied {} declarations from {} file(s) to the gateway running on {}",
                    answer
                        .get("applied")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0),
                    files.len(),
                    args.data_dir.display()
                );
            }
            WorldCommand::Export { out } => {
                let text = remote::call_text(&args.data_dir, "GET", "/v1/world", None).await?;
                write_or_print(out, &text)?;
            }
            WorldCommand::Generate { .. } => {}
        }
        return Ok(());
    }
    let store = RedbStore::open_dir(&args.data_dir)?;
    let trusted = crate::world::trusted_cas_dir(&args.data_dir);
    match args.command {
        WorldCommand::Load { files } => {
            let loaded = crate::world::load(&files, &store, &trusted)?;
            println!(
                "loaded {} declarations from {} file(s) into {}",
                loaded.declarations,
                files.len(),
                args.data_dir.display()
            );
            if !loaded.faults.is_empty() {
                println!(
                    "{} fault rule(s) not kept: they live in a running gateway (give the file to serve --world, or load it while the gateway runs)",
                    loaded.faults.len()
                );
            }
        }
        WorldCommand::Export { out } => {
            let text = crate::world::export(&store, &crate::world::trusted_cas(&trusted)?)?;
            write_or_print(out, &text)?;
        }
        WorldCommand::Generate { .. } => {}
    }
    Ok(())
}

/// `world generate`: a population written as a world file, or loaded into the store.
fn generate(
    data_dir: &Path,
    persons: u64,
    seed: u64,
    pcsas: u64,
    months: u32,
    inscribe: &[String],
    out: Option<PathBuf>,
) -> Result<(), CliError> {
    use crate::world::generate;
    let started = std::time::Instant::now();
    let inscribe = inscribe
        .iter()
        .map(|c| {
            CbeNumber::parse(c).map_err(|e| CliError::Argument {
                flag: "inscribe",
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let today = crate::clock::brussels_day(crate::clock::unix_millis());
    let this_month = crate::domain::Month::of(today);
    let spec = generate::Spec {
        persons: usize::try_from(persons).unwrap_or(usize::MAX),
        seed,
        pcsas: usize::try_from(pcsas).unwrap_or(12),
        months,
        last: this_month.sub_months(1).unwrap_or(this_month),
        inscribe,
    };
    let refused = |e: generate::GenerateError| CliError::Value {
        name: "world generate",
        reason: e.to_string(),
    };
    let population = generate::generate(&spec).map_err(refused)?;
    eprintln!(
        "generated {} persons, {} decisions, {} PCSAs ({} to {}) in {:.1} s",
        population.persons.len(),
        population.decisions.len(),
        population.pcsas.len(),
        population.first,
        population.last,
        started.elapsed().as_secs_f64()
    );
    if let Some(out) = out {
        let stem = out.file_stem().unwrap_or_default().to_string_lossy();
        let statements = format!("{stem}-statements.txt");
        let world = population.world_file(&statements).map_err(refused)?;
        let beside = out.with_file_name(&statements);
        // Personal data, if synthetic, and a password: the owner's only.
        crate::files::write(&out, &world, true).map_err(|source| CliError::Write {
            file: out.clone(),
            source,
        })?;
        crate::files::write(&beside, &population.statements_file(), true).map_err(|source| {
            CliError::Write {
                file: beside.clone(),
                source,
            }
        })?;
        println!(
            "wrote {} and {} in {:.1} s",
            out.display(),
            beside.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    if remote::running(data_dir) {
        return Err(CliError::Argument {
            flag: "data-dir",
            reason: "a gateway runs on it: write a world file with --out, then `world load` it"
                .into(),
        });
    }
    let store = RedbStore::open_dir(data_dir)?;
    let hash = crate::server::auth::hash_password(generate::PARTNER_PASSWORD).map_err(|e| {
        CliError::Value {
            name: "password",
            reason: e.to_string(),
        }
    })?;
    let mut bar = ProgressBar::new();
    // When the statements began: the decisions' share of the time.
    let mut statements_from = None;
    let loaded = generate::load(
        &population,
        &store,
        Some(hash),
        crate::clock::unix_millis(),
        &mut |p| {
            if p.stage == "statements" && statements_from.is_none() {
                statements_from = Some(std::time::Instant::now());
            }
            bar.counts(p.stage, p.done, p.total);
        },
    );
    bar.finish();
    if let Some(from) = statements_from {
        eprintln!(
            "statements written in {:.1} s",
            from.elapsed().as_secs_f64()
        );
    }
    let loaded = loaded.map_err(|e| CliError::Value {
        name: "world generate",
        reason: e.to_string(),
    })?;
    println!(
        "loaded {} declarations, {} decisions and {} statement lines into {} in {:.1} s; \
         the partner institution is E{} with password {}",
        loaded.declarations,
        loaded.decisions,
        loaded.statement_lines,
        data_dir.display(),
        started.elapsed().as_secs_f64(),
        population.partner.cbe,
        generate::PARTNER_PASSWORD
    );
    Ok(())
}

/// An exported world: to its file (its owner's only: it holds password hashes), or
/// to standard output.
fn write_or_print(out: Option<PathBuf>, text: &str) -> Result<(), CliError> {
    match out {
        Some(file) => crate::files::write(&file, text, true)
            .map_err(|source| CliError::Write { file, source }),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

async fn subscribers(args: SubscribersArgs) -> Result<(), CliError> {
    use crate::admin::subscriptions::{Shown, shown};
    use crate::services::subscriptions as subs;
    let institution = |text: &str| {
        CbeNumber::parse(text).map_err(|e| CliError::Argument {
            flag: "institution",
            reason: e.to_string(),
        })
    };
    if remote::running(&args.data_dir) {
        use serde_json::json;
        let (method, path, body) = match &args.command {
            SubscribersCommand::List => ("GET", "/v1/subscriptions".to_owned(), None),
            SubscribersCommand::Add {
                institution: cbe,
                endpoint,
                mode,
            } => (
                "PUT",
                format!("/v1/subscriptions/{}", institution(cbe)?),
                Some(json!({ "endpoint": endpoint, "mode": mode })),
            ),
            SubscribersCommand::Remove { institution: cbe } => (
                "DELETE",
                format!("/v1/subscriptions/{}", institution(cbe)?),
                None,
            ),
            SubscribersCommand::Status { institution: cbe } => (
                "GET",
                format!("/v1/subscriptions/{}", institution(cbe)?),
                None,
            ),
            SubscribersCommand::Replay {
                institution: cbe,
                from,
            } => (
                "POST",
                format!("/v1/subscriptions/{}/replay", institution(cbe)?),
                Some(json!({ "from": from })),
            ),
        };
        let answer = remote::call(&args.data_dir, method, &path, body).await?;
        let read = |v: serde_json::Value| {
            serde_json::from_value::<Shown>(v)
                .map_err(|e| CliError::Refused(format!("unexpected answer to {path}: {e}")))
        };
        if let serde_json::Value::Array(all) = answer {
            if all.is_empty() {
                println!("no subscriptions");
            }
            for s in all {
                print_subscription(&read(s)?);
            }
        } else {
            print_subscription(&read(answer)?);
        }
        return Ok(());
    }
    let store = RedbStore::open_dir(&args.data_dir)?;
    let refused = |flag: &'static str, r: subs::Refusal| CliError::Argument {
        flag,
        reason: r.to_string(),
    };
    let show = |s: &Subscription| print_subscription(&shown(s, None));
    match args.command {
        SubscribersCommand::List => {
            let all = store.subscriptions()?;
            if all.is_empty() {
                println!("no subscriptions");
            }
            all.iter().for_each(show);
        }
        SubscribersCommand::Add {
            institution: cbe,
            endpoint,
            mode,
        } => {
            let cbe = institution(&cbe)?;
            subs::check_granted(&store, &cbe)?.map_err(|r| refused("institution", r))?;
            let mode =
                mode.parse()
                    .map_err(|e: crate::domain::subscription::DeliveryModeError| {
                        CliError::Argument {
                            flag: "mode",
                            reason: e.to_string(),
                        }
                    })?;
            let delivery =
                subs::delivery(endpoint.as_deref(), None).map_err(|r| refused("endpoint", r))?;
            if let Some(s) =
                subs::subscribe(&store, &cbe, delivery, mode, crate::clock::unix_millis())?
            {
                show(&s);
            }
        }
        SubscribersCommand::Remove { institution: cbe } => {
            let s = subs::unsubscribe(&store, &institution(&cbe)?)?
                .map_err(|r| refused("institution", r))?;
            show(&s);
        }
        SubscribersCommand::Status { institution: cbe } => {
            let cbe = institution(&cbe)?;
            let s = subs::find(&store, &cbe)?
                .ok_or_else(|| refused("institution", subs::Refusal::NotSubscribed))?;
            print_subscription(&shown(
                &s,
                Some(store.attempts(&cbe, subs::ATTEMPTS_SHOWN)?),
            ));
        }
        SubscribersCommand::Replay {
            institution: cbe,
            from,
        } => {
            let s = subs::replay(&store, &institution(&cbe)?, from)
                .map_err(CliError::Store)?
                .map_err(|r| refused("from", r))?;
            show(&s);
        }
    }
    Ok(())
}

/// One subscription on a line, then its attempts, if shown, one per line.
fn print_subscription(s: &crate::admin::subscriptions::Shown) {
    println!(
        "{} {} {} {} queued {} acknowledged {} pending {}{}",
        s.institution,
        s.state,
        s.mode,
        s.endpoint.as_deref().unwrap_or("pull"),
        s.last_sequence,
        s.acknowledged,
        s.pending,
        s.last_error
            .as_deref()
            .map_or(String::new(), |e| format!(" last error: {e}")),
    );
    for a in s.attempts.iter().flatten() {
        println!(
            "  {} #{}-{} {} {}{} {} ms",
            a.at,
            a.first_sequence,
            a.last_sequence,
            a.outcome,
            a.http_status
                .map_or(String::new(), |h| format!("HTTP {h} ")),
            a.error.as_deref().unwrap_or(""),
            a.latency_ms
        );
    }
}

async fn payments(command: PaymentsCommand) -> Result<(), CliError> {
    use crate::services::statements::{self, StatementError};
    match command {
        PaymentsCommand::Import { data_dir, file } if remote::running(&data_dir) => {
            let answer = remote::call(
                &data_dir,
                "POST",
                "/v1/statements/file",
                Some(serde_json::json!({ "path": remote::absolute(&file) })),
            )
            .await?;
            let number = |v: &serde_json::Value, key: &str| {
                v.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0)
            };
            let written = answer
                .get("statements")
                .and_then(serde_json::Value::as_array)
                .cloned()
                .unwrap_or_default();
            for w in &written {
                let text = |key: &str| w.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                let replaced = number(w, "replaced");
                println!(
                    "CPAS {} {}: {} lines{}",
                    text("insCode"),
                    text("month").replace('-', ""),
                    number(w, "lines"),
                    if replaced > 0 {
                        format!(" (replacing {replaced})")
                    } else {
                        String::new()
                    }
                );
            }
            println!(
                "imported {} lines in {} statements from {} into the running gateway",
                number(&answer, "lines"),
                written.len(),
                file.display()
            );
            Ok(())
        }
        PaymentsCommand::Import { data_dir, file } => {
            let store = RedbStore::open_dir(&data_dir)?;
            let mut bar = ProgressBar::new();
            let result = statements::import(&store, &file, &mut |p| bar.show(p));
            bar.finish();
            match result {
                Ok(summary) => {
                    for w in &summary.statements {
                        println!(
                            "CPAS {} {}: {} lines{}",
                            w.ins.as_str(),
                            w.month.compact(),
                            w.lines,
                            if w.replaced > 0 {
                                format!(" (replacing {})", w.replaced)
                            } else {
                                String::new()
                            }
                        );
                    }
                    println!(
                        "imported {} lines in {} statements from {}",
                        summary.lines,
                        summary.statements.len(),
                        file.display()
                    );
                    Ok(())
                }
                Err(StatementError::Refused {
                    lines,
                    refused,
                    first,
                }) => {
                    for line in &first {
                        for e in &line.errors {
                            eprintln!("{}:{}: {e}", file.display(), line.number);
                        }
                    }
                    if refused > first.len() as u64 {
                        eprintln!(
                            "... and {} more refused lines",
                            refused - first.len() as u64
                        );
                    }
                    Err(StatementError::Refused {
                        lines,
                        refused,
                        first: Vec::new(),
                    }
                    .into())
                }
                Err(e) => Err(e.into()),
            }
        }
        PaymentsCommand::Export {
            data_dir,
            ins,
            month,
            out,
            crlf,
        } => {
            let ins = crate::domain::InsCode::parse(&ins).map_err(|e| CliError::Argument {
                flag: "ins",
                reason: e.to_string(),
            })?;
            let month = crate::domain::Month::parse_compact(&month)
                .or_else(|_| crate::domain::Month::parse_xsd(&month))
                .map_err(|_| CliError::Argument {
                    flag: "month",
                    reason: format!("{month:?} is not a month: YYYYMM or YYYY-MM"),
                })?;
            if remote::running(&data_dir) {
                let path = format!(
                    "/v1/statements/{}/{}{}",
                    ins.as_str(),
                    month.compact(),
                    if crlf { "?crlf=true" } else { "" }
                );
                let text = remote::call_text(&data_dir, "GET", &path, None).await?;
                return match out {
                    Some(file) => {
                        crate::files::write(&file, &text, true).map_err(|source| {
                            CliError::Write {
                                file: file.clone(),
                                source,
                            }
                        })?;
                        eprintln!("wrote {} lines to {}", text.lines().count(), file.display());
                        Ok(())
                    }
                    None => {
                        print!("{text}");
                        Ok(())
                    }
                };
            }
            let store = RedbStore::open_dir(&data_dir)?;
            match out {
                Some(path) => {
                    // Written beside the target and renamed, so a failed export leaves
                    // no half file.
                    let partial = path.with_extension("partial");
                    let write_error = |source| StatementError::Write {
                        path: partial.clone(),
                        source,
                    };
                    let mut f = std::fs::File::create(&partial).map_err(write_error)?;
                    let n = statements::export(&store, &ins, month, crlf, &mut f, &partial);
                    if n.is_err() {
                        let _ = std::fs::remove_file(&partial);
                    }
                    let n = n?;
                    f.sync_all().map_err(write_error)?;
                    std::fs::rename(&partial, &path).map_err(|source| StatementError::Write {
                        path: path.clone(),
                        source,
                    })?;
                    eprintln!("wrote {n} lines to {}", path.display());
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut lock = stdout.lock();
                    statements::export(&store, &ins, month, crlf, &mut lock, Path::new("-"))?;
                }
            }
            Ok(())
        }
    }
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar {
    enabled: bool,
    drawn: bool,
}

impl ProgressBar {
    fn new() -> Self {
        use std::io::IsTerminal;
        ProgressBar {
            enabled: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, p: crate::services::statements::Progress) {
        let what = if p.pass == 1 { "checking" } else { "writing " };
        self.draw(
            what,
            p.bytes_done,
            p.bytes_total,
            &format!("{} lines", p.lines),
        );
    }

    /// `done` of `total` things at a stage.
    fn counts(&mut self, stage: &str, done: u64, total: u64) {
        self.draw(stage, done, total, &format!("{done} of {total}"));
    }

    fn draw(&mut self, what: &str, done: u64, total: u64, detail: &str) {
        if !self.enabled {
            return;
        }
        let fraction = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let filled = (fraction * 30.0).round() as usize;
        eprint!(
            "\r{what:<10} [{}{}] {:>3}%  {detail}    ",
            "#".repeat(filled.min(30)),
            " ".repeat(30 - filled.min(30)),
            (fraction * 100.0).round() as u32,
        );
        self.drawn = true;
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!();
        }
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
    let key_type = match args.key_type {
        ClientKey::Rsa => crate::certs::KeyType::Rsa,
        ClientKey::Ecdsa => crate::certs::KeyType::Ecdsa,
    };
    let pki = DevelopmentPki::generate(&args.hosts, &clients, key_type)?;
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
    let setting = Setting::parse(&args.clock, crate::clock::unix_millis()).map_err(|e| {
        CliError::Argument {
            flag: "clock",
            reason: e.to_string(),
        }
    })?;
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir_with_cache(
        &args.data_dir,
        usize::try_from(args.cache_mb).unwrap_or(usize::MAX),
    )?);
    warn_if_readable_by_others(&args.data_dir);
    let mut demo_setup = if args.demo {
        Some(demo::prepare(&args.data_dir, store.as_ref())?)
    } else {
        None
    };
    let mut world_faults = Vec::new();
    if !args.worlds.is_empty() {
        // Passwords are hashed as the world is checked: off the async workers.
        let (worlds, register) = (args.worlds.clone(), store.clone());
        let trusted = crate::world::trusted_cas_dir(&args.data_dir);
        let loaded = tokio::task::spawn_blocking(move || {
            crate::world::load(&worlds, register.as_ref(), &trusted)
        })
        .await
        .map_err(|e| CliError::Value {
            name: "world",
            reason: format!("loading stopped: {e}"),
        })??;
        tracing::info!(
            declarations = loaded.declarations,
            files = args.worlds.len(),
            "world loaded"
        );
        world_faults = loaded.faults;
    }
    let tls = match (explicit_tls, &demo_setup) {
        (Some(tls), _) => tls,
        (None, Some(setup)) => setup.tls.clone(),
        (None, None) => tls_files(&args)?,
    };
    let answer_signer = match args.sign_answers {
        true => Some(std::sync::Arc::new(
            crate::server::signed_answers::AnswerSigner::load(
                &tls.certificate_chain,
                &tls.private_key,
            )?,
        )),
        false => None,
    };
    let mut config = server::Config::new(args.addr, tls);
    config.answer_signer = answer_signer;
    config.client_cas = crate::world::trusted_cas(&crate::world::trusted_cas_dir(&args.data_dir))?;
    config.auth = AuthModes {
        basic: args.auth.contains(&AuthMode::Basic),
        client_certificate: args.auth.contains(&AuthMode::ClientCertificate),
        ws_security: args.auth.contains(&AuthMode::WsSecurity),
        // Where a signature is all that identifies, it is required.
        require_signature: args.require_signature
            || !(args.auth.contains(&AuthMode::Basic)
                || args.auth.contains(&AuthMode::ClientCertificate)),
    };
    if args.require_signature && !config.auth.ws_security {
        return Err(CliError::Argument {
            flag: "require-signature",
            reason: "needs ws-security among --auth".into(),
        });
    }
    config.body_limit = usize::try_from(args.body_limit).unwrap_or(usize::MAX);
    config.body_memory = usize::try_from(args.body_memory << 20).unwrap_or(usize::MAX);
    if config.body_memory < config.body_limit {
        return Err(CliError::Argument {
            flag: "body-memory",
            reason: format!(
                "{} MiB cannot hold one body of --body-limit {} bytes",
                args.body_memory, args.body_limit
            ),
        });
    }
    config.max_connections = usize::try_from(args.max_connections).unwrap_or(usize::MAX);
    config.max_handshakes = usize::try_from(args.max_handshakes).unwrap_or(usize::MAX);
    config.handshake_timeout = Duration::from_secs(args.handshake_timeout);
    config.header_timeout = Duration::from_secs(args.header_timeout);
    config.idle_timeout = Duration::from_secs(args.idle_timeout);
    if args.max_hold > args.idle_timeout {
        return Err(CliError::Argument {
            flag: "max-hold",
            reason: format!(
                "{} s is longer than --idle-timeout {} s, which would close a held connection first",
                args.max_hold, args.idle_timeout
            ),
        });
    }
    config.faults = Arc::new(server::injected::registry(Duration::from_secs(
        args.max_hold,
    )));
    // Checked with the world: they cannot be refused here.
    if let Err((_, e)) = config.faults.add(world_faults, config.clock.now_ms()) {
        return Err(CliError::Value {
            name: "world",
            reason: format!("fault rule: {e}"),
        });
    }
    config.allow_from = (!args.allow_from.is_empty()).then(|| args.allow_from.clone());
    config.bodies = args.journal_bodies.then(|| {
        Arc::new(server::bodies::JournalBodies::new(
            usize::try_from(args.journal_bodies_mb << 20).unwrap_or(usize::MAX),
        ))
    });
    config.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    config.public_url = args.public_url.clone();
    config.propagation_delay = Duration::from_secs(args.propagation_delay);
    config.clock = Arc::new(Clock::with(setting));
    config.definitive_after_months = args.definitive_after;
    // The demo's receiver runs on this machine.
    let receivers = match (&args.receivers, args.demo) {
        (Some(listed), _) => listed.clone(),
        (None, true) => crate::domain::Receivers::default().with_loopback(),
        (None, false) => crate::domain::Receivers::default(),
    };
    config.receivers = receivers.clone();
    config.journal = server::audit::JournalLimits {
        max_records: args.journal_max_records,
        max_age: args.journal_max_age.0,
    };

    let schedule = RetrySchedule::parse(&args.notify_retry).map_err(|e| CliError::Argument {
        flag: "notify-retry",
        reason: e.to_string(),
    })?;
    let default_ca = args.data_dir.join("certs").join("ca.pem");
    let notify_config = NotifyConfig {
        tls: PushTls {
            ca: args
                .notify_ca
                .clone()
                .or_else(|| default_ca.exists().then_some(default_ca)),
            client_identity: args
                .notify_client_cert
                .clone()
                .zip(args.notify_client_key.clone()),
        },
        timeouts: Timeouts {
            connect: Duration::from_secs(args.notify_connect_timeout),
            answer: Duration::from_secs(args.notify_answer_timeout),
        },
        schedule,
        batch_size: usize::try_from(args.notify_batch).unwrap_or(100),
        propagation_delay: Duration::from_secs(args.propagation_delay),
        receivers: receivers.clone(),
    };
    if notify_config.tls.ca.is_none() {
        tracing::warn!("no CA for notification receivers (--notify-ca): nothing is pushed");
    }
    let listen = if args.no_admin {
        None
    } else {
        let data_dir = args.data_dir.clone();
        let token = tokio::task::spawn_blocking(move || crate::admin::token(&data_dir))
            .await
            .map_err(|e| CliError::Value {
                name: "admin token",
                reason: e.to_string(),
            })?
            .map_err(|e| CliError::Value {
                name: "admin token",
                reason: format!(
                    "{}: {e}",
                    args.data_dir.join(crate::admin::TOKEN_FILE).display()
                ),
            })?;
        Some(Listen {
            addr: args.admin_addr,
            tls: config.tls.clone(),
            token,
        })
    };
    let app = App::new(store, config)
        .with_notifications(notify_config)
        .with_admin(AdminConfig {
            listen,
            control: true,
            reset: !args.no_reset,
            data_dir: args.data_dir.clone(),
        });
    let running = app.start().await?;
    let clock = running.clock().clone();
    if setting != Setting::System {
        println!(
            "clock           {setting}; now {}",
            crate::domain::date::format_utc_timestamp(clock.now_ms())
        );
    }
    let base = format!("https://{}", running.local_addr());
    println!("bcss-gateway listening on {base}");
    // One line per service of the table the routes come from; each publishes its
    // WSDL at ?wsdl (SOAP 1.1) and ?wsdl12 (SOAP 1.2).
    for service in crate::server::contracts::SERVICES {
        println!("  {:<16}{base}{}", service.banner, service.path);
    }
    if let Some(first) = crate::server::contracts::SERVICES.first() {
        println!(
            "  WSDL            {base}{}?wsdl (each service: its address + ?wsdl; SOAP 1.2: ?wsdl12)",
            first.path
        );
    }
    if let Some(admin) = running.admin_addr() {
        println!(
            "  admin API       https://{admin}/v1 (token in {}; operations at /openapi.json)",
            args.data_dir.join(crate::admin::TOKEN_FILE).display()
        );
    }
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

fn print_journal_header() {
    println!(
        "{:<24} {:<36} {:<10} {:<34} {:<11} {:<10} {:>4} {:>9}  note",
        "received", "ticket", "caller", "operation", "ssin", "outcome", "http", "µs"
    );
}

fn print_journal_line(r: &crate::admin::journal::Shown) {
    println!(
        "{:<24} {:<36} {:<10} {:<34} {:<11} {:<10} {:>4} {:>9}  {}",
        r.received_at,
        r.ticket,
        r.institution.as_deref().unwrap_or("-"),
        r.operation.as_deref().unwrap_or("-"),
        r.ssin.as_deref().unwrap_or("-"),
        r.outcome,
        r.http_status,
        r.latency_us,
        match (&r.injected, r.dropped) {
            (Some(injected), _) => format!("injected: {injected}"),
            (None, Some(n)) => format!("{n} exchange(s) before this were not recorded"),
            (None, None) => String::new(),
        }
    );
}
