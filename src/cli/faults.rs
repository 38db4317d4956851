//! `bcss-gateway faults`: the fault rules of the gateway running on --data-dir, through
//! its admin API on the control socket (rules live in the running gateway only).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use super::{CliError, remote};
use crate::clock;

#[derive(Debug, Args)]
pub struct FaultsArgs {
    #[arg(long, env = "BCSS_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: Option<FaultsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum FaultsCommand {
    /// The rules, in the order they are tried (the default).
    List,
    /// Adds a rule: which requests (every criterion given must hold), when, and what
    /// happens to them (a delay, an effect, or both).
    Add(Box<AddArgs>),
    /// Removes one rule by its id.
    Remove { id: u64 },
    /// Removes every rule.
    Clear,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("effect").multiple(false)))]
pub struct AddArgs {
    /// The service, as `serve` lists it: "LivingWagesService v2", ...
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub operation: Option<String>,
    /// The caller's CBE number.
    #[arg(long)]
    pub institution: Option<String>,
    #[arg(long)]
    pub ssin: Option<String>,
    /// HTTP method (GET matches the contracts' documents).
    #[arg(long)]
    pub method: Option<String>,
    #[arg(long)]
    pub path: Option<String>,
    /// The next N matching requests, then the rule is removed.
    #[arg(long)]
    pub count: Option<u64>,
    /// The chance (above 0, at most 1) that a matching request is affected.
    #[arg(long)]
    pub probability: Option<f64>,
    /// Seeds the rule's draws: the same seed, the same sequence.
    #[arg(long)]
    pub seed: Option<u64>,
    /// From this instant of the gateway's clock.
    #[arg(long)]
    pub from: Option<String>,
    /// Up to this instant.
    #[arg(long)]
    pub until: Option<String>,
    /// Before the answer: 500ms, 2s, a range 100ms..800ms (uniform), or lognormal:80ms,0.5
    /// (median, sigma).
    #[arg(long)]
    pub delay: Option<String>,
    /// Answer a consultation with this status and no data: MSG00012, MSG00005, MSG00100, ...
    #[arg(long, group = "effect")]
    pub status: Option<String>,
    /// Answer a SOAP fault with this reason code (MSG00003, a Server fault, when
    /// given without a value).
    #[arg(long, group = "effect", num_args = 0..=1, default_missing_value = "MSG00003")]
    pub fault: Option<String>,
    /// The fault's code: server or client.
    #[arg(long, requires = "fault")]
    pub fault_code: Option<String>,
    /// The fault's message.
    #[arg(long, requires = "fault")]
    pub message: Option<String>,
    /// Answer this HTTP error status (400 to 599) with a load balancer's HTML page.
    #[arg(long, group = "effect")]
    pub http: Option<u16>,
    /// With --http: the Retry-After header, in seconds.
    #[arg(long, requires = "http")]
    pub retry_after: Option<u64>,
    /// Reset the connection (TCP RST), no answer.
    #[arg(long, group = "effect")]
    pub reset: bool,
    /// No answer until the client gives up, at most this long (default: the gateway's
    /// --max-hold), then the connection is closed.
    #[arg(long, group = "effect", num_args = 0..=1, default_missing_value = "")]
    pub hold: Option<String>,
    /// Send the answer's head and half its body, then cut the connection.
    #[arg(long, group = "effect")]
    pub truncate: bool,
    /// Send a complete answer whose XML is cut short.
    #[arg(long, group = "effect")]
    pub malformed: bool,
    /// Send the answer BYTES at a time, one piece every DURATION: 16/200ms.
    #[arg(long, group = "effect")]
    pub dribble: Option<String>,
    /// Push a subscriber's next batch twice (--institution names the subscriber).
    #[arg(long, group = "effect")]
    pub duplicate: bool,
    /// Hold a subscriber's deliveries, for DURATION or until the rule is removed.
    #[arg(long, group = "effect", num_args = 0..=1, default_missing_value = "")]
    pub pause: Option<String>,
}

fn bad(name: &'static str, reason: impl Into<String>) -> CliError {
    CliError::Argument {
        flag: name,
        reason: reason.into(),
    }
}

/// A non-negative duration, in milliseconds.
fn duration_ms(flag: &'static str, text: &str) -> Result<u64, CliError> {
    let ms = clock::parse_move_ms(text).map_err(|e| bad(flag, e.to_string()))?;
    u64::try_from(ms).map_err(|_| bad(flag, format!("{text:?} is negative")))
}

fn delay(text: &str) -> Result<Value, CliError> {
    if let Some(rest) = text.strip_prefix("lognormal:") {
        let (median, sigma) = rest.split_once(',').ok_or_else(|| {
            bad(
                "delay",
                "lognormal:MEDIAN,SIGMA, such as lognormal:80ms,0.5",
            )
        })?;
        let sigma: f64 = sigma
            .trim()
            .parse()
            .map_err(|_| bad("delay", format!("sigma {sigma:?} is not a number")))?;
        return Ok(
            json!({"logNormal": {"medianMs": duration_ms("delay", median)?, "sigma": sigma}}),
        );
    }
    if let Some((min, max)) = text.split_once("..") {
        return Ok(
            json!({"uniform": {"minMs": duration_ms("delay", min)?, "maxMs": duration_ms("delay", max)?}}),
        );
    }
    Ok(json!({"fixed": {"ms": duration_ms("delay", text)?}}))
}

impl AddArgs {
    /// The rule as the admin API reads it.
    fn rule(&self) -> Result<Value, CliError> {
        let mut criteria = Map::new();
        for (key, value) in [
            ("service", &self.service),
            ("operation", &self.operation),
            ("institution", &self.institution),
            ("ssin", &self.ssin),
            ("method", &self.method),
            ("path", &self.path),
        ] {
            if let Some(v) = value {
                criteria.insert(key.into(), json!(v));
            }
        }
        let mut rule = Map::new();
        if !criteria.is_empty() {
            rule.insert("match".into(), Value::Object(criteria));
        }
        if let Some(d) = &self.delay {
            rule.insert("delay".into(), delay(d)?);
        }
        let effect = if let Some(code) = &self.status {
            Some(json!({ "status": code }))
        } else if let Some(reason) = &self.fault {
            let mut f = Map::new();
            f.insert("reason".into(), json!(reason));
            if let Some(c) = &self.fault_code {
                f.insert("code".into(), json!(c));
            }
            if let Some(m) = &self.message {
                f.insert("message".into(), json!(m));
            }
            Some(json!({ "fault": f }))
        } else if let Some(status) = self.http {
            Some(json!({ "http": { "status": status, "retryAfter": self.retry_after } }))
        } else if self.reset {
            Some(json!("reset"))
        } else if let Some(hold) = &self.hold {
            Some(match hold.as_str() {
                "" => json!({ "hold": {} }),
                d => json!({ "hold": { "ms": duration_ms("hold", d)? } }),
            })
        } else if self.truncate {
            Some(json!("truncate"))
        } else if self.malformed {
            Some(json!("malformed"))
        } else if let Some(d) = &self.dribble {
            let (bytes, every) = d
                .split_once('/')
                .ok_or_else(|| bad("dribble", "BYTES/DURATION, such as 16/200ms"))?;
            let bytes: u64 = bytes
                .trim()
                .parse()
                .map_err(|_| bad("dribble", format!("{bytes:?} is not a number of bytes")))?;
            Some(
                json!({ "dribble": { "bytes": bytes, "everyMs": duration_ms("dribble", every)? } }),
            )
        } else if self.duplicate {
            Some(json!("duplicate"))
        } else if let Some(pause) = &self.pause {
            Some(match pause.as_str() {
                "" => json!({ "pause": {} }),
                d => json!({ "pause": { "ms": duration_ms("pause", d)? } }),
            })
        } else {
            None
        };
        if let Some(effect) = effect {
            rule.insert("effect".into(), effect);
        }
        for (key, value) in [
            ("count", self.count.map(|c| json!(c))),
            ("probability", self.probability.map(|p| json!(p))),
            ("seed", self.seed.map(|s| json!(s))),
            ("from", self.from.as_ref().map(|f| json!(f))),
            ("until", self.until.as_ref().map(|u| json!(u))),
        ] {
            if let Some(v) = value {
                rule.insert(key.into(), v);
            }
        }
        // `retryAfter: null` when not given: dropped rather than sent.
        if let Some(Value::Object(e)) = rule.get_mut("effect")
            && let Some(Value::Object(h)) = e.get_mut("http")
        {
            h.retain(|_, v| !v.is_null());
        }
        Ok(Value::Object(rule))
    }
}

pub(super) async fn faults(args: FaultsArgs) -> Result<(), CliError> {
    let data_dir = &args.data_dir;
    match &args.command {
        None | Some(FaultsCommand::List) => {
            let answer = remote::call(data_dir, "GET", "/v1/faults", None).await?;
            let rules = answer["rules"].as_array().cloned().unwrap_or_default();
            if rules.is_empty() {
                println!("no fault rules");
            }
            for rule in rules {
                println!("{}", line(&rule));
            }
        }
        Some(FaultsCommand::Add(add)) => {
            let answer = remote::call(data_dir, "POST", "/v1/faults", Some(add.rule()?)).await?;
            for rule in answer["rules"].as_array().cloned().unwrap_or_default() {
                println!("added {}", line(&rule));
            }
        }
        Some(FaultsCommand::Remove { id }) => {
            remote::call(data_dir, "DELETE", &format!("/v1/faults/{id}"), None).await?;
            println!("removed rule {id}");
        }
        Some(FaultsCommand::Clear) => {
            let answer = remote::call(data_dir, "DELETE", "/v1/faults", None).await?;
            println!("removed {} rule(s)", answer["removed"]);
        }
    }
    Ok(())
}

/// A rule on one line: `3  match {...}  effect {...}  fired 2, 1 to go`.
fn line(rule: &Value) -> String {
    let mut shown = rule.clone();
    let mut text = format!("{}", rule["id"]);
    if let Value::Object(o) = &mut shown {
        for key in ["id", "fired", "remaining"] {
            o.remove(key);
        }
        for (key, value) in o.iter() {
            text.push_str(&format!("  {key} {value}"));
        }
    }
    text.push_str(&format!("  fired {}", rule["fired"]));
    if let Some(n) = rule.get("remaining") {
        text.push_str(&format!(", {n} to go"));
    }
    text
}
