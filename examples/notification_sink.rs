//! A notification receiver to run beside the gateway: it implements
//! LivingWagesNotificationService v1 over TLS, checks each batch against the contract,
//! logs every notification and answers OK, or NOK (`--nok`), or nothing for a while
//! (`--stall SECONDS`), to see the gateway retry.
//!
//! With the demo (the gateway started with `serve --demo`, which subscribes the demo
//! institution CIN to https://127.0.0.1:9443/LivingWagesNotificationService/v1):
//!
//! ```text
//! cargo run --release --example notification_sink
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bcss_gateway::notify::sink::{Behaviour, Sink};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Receives LivingWages notifications pushed by bcss-gateway")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9443")]
    addr: SocketAddr,
    /// Certificate chain (PEM) the sink presents; the gateway must trust its CA
    /// (serve --notify-ca). Default: the demo's server certificate.
    #[arg(long, default_value = "data/certs/server.pem")]
    cert: PathBuf,
    /// Private key of --cert.
    #[arg(long, default_value = "data/certs/server.key")]
    key: PathBuf,
    /// Answer NOK to every batch.
    #[arg(long, conflicts_with = "stall")]
    nok: bool,
    /// Answer nothing for this many seconds (the gateway times out after 15).
    #[arg(long)]
    stall: Option<u64>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let behaviour = match (args.nok, args.stall) {
        (true, _) => Behaviour::Refuse,
        (false, Some(s)) => Behaviour::Stall(Duration::from_secs(s)),
        (false, None) => Behaviour::Acknowledge,
    };
    let sink = match Sink::start(args.addr, args.cert, args.key, behaviour).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("notification sink: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "notification sink listening on {} ({behaviour:?})",
        sink.url()
    );
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("notification sink: cannot wait for Ctrl-C");
    }
    sink.stop().await;
    std::process::ExitCode::SUCCESS
}
