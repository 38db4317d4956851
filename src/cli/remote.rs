//! The commands that change a register reach the gateway running on the data
//! directory, when one runs, through its admin API on the control socket: the
//! running gateway's rules, transactions and caches then apply, and nothing waits for
//! it to stop. Without one, the commands open the store themselves.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::CliError;
use crate::control;

/// Whether a gateway answers on `data_dir`'s control socket (a socket file left by a
/// killed gateway does not).
pub(super) fn running(data_dir: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(data_dir.join(control::SOCKET)).is_ok()
}

/// The admin API's error answer.
#[derive(Deserialize)]
struct Refusal {
    error: String,
    #[serde(default)]
    problems: Vec<Problem>,
}

#[derive(Deserialize)]
struct Problem {
    #[serde(default)]
    file: Option<String>,
    line: usize,
    field: String,
    reason: String,
}

/// One request; its JSON answer, or the refusal with each problem on a line of its own
/// (`file:line: field: reason`, as the command says it without a running gateway).
pub(super) async fn call(
    data_dir: &Path,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, CliError> {
    let text = call_text(data_dir, method, path, body).await?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::Refused(format!(
            "the gateway answered {path} with something else than JSON: {e}"
        ))
    })
}

/// One request whose answer is text (an exported world).
pub(super) async fn call_text(
    data_dir: &Path,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<String, CliError> {
    let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
    let answer = control::request(data_dir, method, path, body).await?;
    if (200..300).contains(&answer.status) {
        return Ok(answer.body);
    }
    Err(CliError::Refused(
        match serde_json::from_str::<Refusal>(&answer.body) {
            Ok(r) => {
                let mut text = r.error;
                for p in r.problems {
                    let at = p.file.map_or(String::new(), |f| format!("{f}:"));
                    text.push_str(&format!("\n  {at}{}: {}: {}", p.line, p.field, p.reason));
                }
                text
            }
            Err(_) => format!("HTTP {}: {}", answer.status, answer.body.trim()),
        },
    ))
}

/// A path as the gateway must read it: from its own working directory.
pub(super) fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}
