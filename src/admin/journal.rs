//! `/v1/journal`: the audit trail of every exchange, queried by time, institution,
//! service, operation, SSIN, outcome, HTTP status, ticket or injected fault, newest or
//! oldest first, a page at a time; `/v1/journal/count` counts what a query matches.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{Admin, Problem, blocking};
use crate::clock;
use crate::domain::CbeNumber;
use crate::domain::date::format_utc_timestamp;
use crate::services::journal::{self, JournalQuery};
use crate::store::{AuditMark, AuditRecord, AuditWindow};

/// The query string: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Params {
    /// From this instant on (`2027-03-01` or `2027-03-01T09:00:00Z`), by the server's
    /// clock when the exchange was received.
    pub since: Option<String>,
    /// Up to this instant, included.
    pub until: Option<String>,
    /// The caller's CBE number.
    pub institution: Option<String>,
    pub operation: Option<String>,
    pub ssin: Option<String>,
    pub outcome: Option<String>,
    pub http_status: Option<u16>,
    pub ticket: Option<String>,
    /// As `serve` lists the services: `LivingWagesService v2`.
    pub service: Option<String>,
    /// `true`: only exchanges a fault rule changed; `false`: only the others.
    pub injected: Option<bool>,
    /// `newest` (the default) or `oldest` first.
    pub order: Option<String>,
    /// Records in the page, 1 to 1000 (default 100).
    pub limit: Option<usize>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

impl Params {
    /// The query these parameters make, or the parameter at fault.
    pub fn query(&self) -> Result<JournalQuery, String> {
        let instant = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| clock::parse_instant(t).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        let ticket = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| {
                    uuid::Uuid::parse_str(t)
                        .map_err(|_| format!("{name}: {t:?} is not a ticket (a UUID)"))
                })
                .transpose()
        };
        let newest_first = match self.order.as_deref() {
            None | Some("newest") => true,
            Some("oldest") => false,
            Some(other) => return Err(format!("order: {other:?} is neither newest nor oldest")),
        };
        let mut until = instant("until", &self.until)?;
        // A day given alone includes the whole day.
        if let (Some(ms), Some(text)) = (until.as_mut(), self.until.as_deref())
            && !text.contains('T')
        {
            *ms = ms.saturating_add(24 * 3600 * 1000 - 1);
        }
        Ok(JournalQuery {
            window: AuditWindow {
                from_ms: instant("since", &self.since)?,
                to_ms: until,
                after: ticket("after", &self.after)?,
                newest_first,
            },
            caller: self
                .institution
                .as_deref()
                .map(|c| CbeNumber::parse(c).map_err(|e| format!("institution: {e}")))
                .transpose()?,
            operation: self.operation.clone(),
            ssin: self.ssin.clone(),
            outcome: self.outcome.clone(),
            http_status: self.http_status,
            ticket: ticket("ticket", &self.ticket)?,
            service: self.service.clone(),
            injected: self.injected,
        })
    }
}

/// One exchange as the API shows it (and `bcss-gateway journal` prints it).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub ticket: String,
    pub received_at: String,
    pub latency_us: u64,
    pub institution: Option<String>,
    pub operation: Option<String>,
    pub legal_context: Option<String>,
    pub ssin: Option<String>,
    pub outcome: String,
    /// 0 when no answer was sent (an injected reset or hold).
    pub http_status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The fault rule that changed the exchange, and what it did: `rule 3: reset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected: Option<String>,
    /// On a record the writer adds when it could not keep up: how many exchanges
    /// before it were not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u64>,
    /// Its bodies are kept (`--journal-bodies`): `GET /v1/journal/{ticket}/bodies`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bodies: bool,
}

impl From<AuditRecord> for Shown {
    fn from(r: AuditRecord) -> Shown {
        Shown {
            ticket: r.ticket.to_string(),
            received_at: format_utc_timestamp(r.received_at_ms),
            latency_us: r.latency_us,
            institution: r.caller.map(|c| c.to_string()),
            operation: r.operation.map(|o| o.into_owned()),
            legal_context: r.legal_context,
            ssin: r.ssin,
            outcome: r.outcome.into_owned(),
            http_status: r.http_status,
            service: r.service.map(|s| s.into_owned()),
            injected: match &r.mark {
                Some(AuditMark::Injected { rule, effect }) => {
                    Some(format!("rule {rule}: {effect}"))
                }
                _ => None,
            },
            dropped: match r.mark {
                Some(AuditMark::Dropped { exchanges }) => Some(exchanges),
                _ => None,
            },
            bodies: false,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ShownPage {
    pub records: Vec<Shown>,
    /// Pass it as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

fn refused(reason: String) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, reason)
}

/// `GET /v1/journal`.
pub(super) async fn find(
    State(admin): State<Admin>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = params.map_err(|e| refused(e.body_text()))?;
    let query = params.query().map_err(refused)?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=journal::MAX_PAGE).contains(&limit) {
        return Err(refused(format!(
            "limit: {limit} is not from 1 to {}",
            journal::MAX_PAGE
        )));
    }
    let store = admin.store.clone();
    let page = blocking(move || Ok(journal::find(store.as_ref(), &query, limit)?)).await?;
    let records = page
        .records
        .into_iter()
        .map(|r| {
            let kept = admin.bodies.as_ref().is_some_and(|b| b.has(&r.ticket));
            Shown {
                bodies: kept,
                ..Shown::from(r)
            }
        })
        .collect();
    Ok(axum::Json(ShownPage {
        records,
        next: page.next.map(|t| t.to_string()),
    })
    .into_response())
}

/// `GET /v1/journal/count`.
pub(super) async fn count(
    State(admin): State<Admin>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = params.map_err(|e| refused(e.body_text()))?;
    if params.limit.is_some() || params.after.is_some() || params.order.is_some() {
        return Err(refused("a count takes no limit, after or order".into()));
    }
    let query = params.query().map_err(refused)?;
    let store = admin.store.clone();
    let n = blocking(move || Ok(journal::count(store.as_ref(), &query)?)).await?;
    Ok(axum::Json(serde_json::json!({ "count": n })).into_response())
}

/// One body as the API shows it: its text when it is UTF-8 (SOAP nearly always is),
/// else base64, and its length as it came when only its beginning was kept.
fn shown_body(bytes: &[u8], length: usize) -> serde_json::Value {
    use base64::Engine;
    let mut shown = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::json!({ "text": text }),
        Err(_) => serde_json::json!({
            "base64": base64::engine::general_purpose::STANDARD.encode(bytes)
        }),
    };
    if length > bytes.len() {
        shown["cutAt"] = serde_json::json!(bytes.len());
        shown["length"] = serde_json::json!(length);
    }
    shown
}

/// `GET /v1/journal/{ticket}/bodies`: what the client sent and what it was answered.
pub(super) async fn bodies(
    State(admin): State<Admin>,
    axum::extract::Path(ticket): axum::extract::Path<String>,
) -> Result<Response, Problem> {
    let Some(bodies) = &admin.bodies else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "bodies are not kept: start the gateway with --journal-bodies",
        ));
    };
    let ticket = uuid::Uuid::parse_str(&ticket)
        .map_err(|_| refused(format!("{ticket:?} is not a ticket (a UUID)")))?;
    let kept = bodies.get(&ticket).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            format!("no bodies kept for {ticket}: none such, or older than what --journal-bodies-mb holds"),
        )
    })?;
    Ok(axum::Json(serde_json::json!({
        "ticket": ticket.to_string(),
        "request": shown_body(&kept.request, kept.request_length),
        "response": shown_body(&kept.response, kept.response_length),
    }))
    .into_response())
}
