//! `/v1/subscriptions`: subscriptions to LivingWagesNotifications, as the
//! `subscribers` command manages them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{Admin, Problem, bad_json, blocking};
use crate::domain::date::format_utc_timestamp;
use crate::domain::{Attempt, CbeNumber, Delivery, Subscription};
use crate::services::subscriptions::{self as subs, Refusal};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Subscribe {
    /// Where to push (https); absent: the subscriber pulls.
    #[serde(default)]
    endpoint: Option<String>,
    /// `SSIN_ONLY` (default) or `FULL`.
    #[serde(default)]
    mode: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Replay {
    from: u64,
}

/// A subscription as the API shows it (and the `subscribers` command prints it).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub institution: String,
    pub state: String,
    pub mode: String,
    /// `null` for a subscriber that pulls.
    pub endpoint: Option<String>,
    pub last_sequence: u64,
    pub acknowledged: u64,
    pub pending: u64,
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<ShownAttempt>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownAttempt {
    pub at: String,
    pub first_sequence: u64,
    pub last_sequence: u64,
    pub outcome: String,
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

pub fn shown(s: &Subscription, attempts: Option<Vec<Attempt>>) -> Shown {
    Shown {
        institution: s.institution.to_string(),
        state: s.state.wire_name().to_owned(),
        mode: s.mode.wire_name().to_owned(),
        endpoint: match &s.delivery {
            Delivery::Push { endpoint } => Some(endpoint.clone()),
            Delivery::Pull => None,
        },
        last_sequence: s.last_sequence,
        acknowledged: s.acknowledged,
        pending: s.pending(),
        last_error: s.last_error.clone(),
        attempts: attempts.map(|all| {
            all.into_iter()
                .map(|a| ShownAttempt {
                    at: format_utc_timestamp(a.at_ms),
                    first_sequence: a.first_sequence,
                    last_sequence: a.last_sequence,
                    outcome: a.outcome.wire_name().to_owned(),
                    http_status: a.http_status,
                    latency_ms: a.latency_ms,
                    error: a.error,
                })
                .collect()
        }),
    }
}

fn institution(text: &str) -> Result<CbeNumber, Problem> {
    CbeNumber::parse(text)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("institution: {e}")))
}

fn refused(r: Refusal) -> Problem {
    let status = match r {
        Refusal::NotSubscribed => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Problem::new(status, r.to_string())
}

/// `GET /v1/subscriptions`.
pub(super) async fn list(State(admin): State<Admin>) -> Result<Response, Problem> {
    let all = blocking(move || Ok(admin.store.subscriptions()?)).await?;
    let shown: Vec<Shown> = all.iter().map(|s| shown(s, None)).collect();
    Ok(axum::Json(shown).into_response())
}

/// `GET /v1/subscriptions/{institution}`: with its last delivery attempts.
pub(super) async fn show(
    State(admin): State<Admin>,
    Path(cbe): Path<String>,
) -> Result<Response, Problem> {
    let cbe = institution(&cbe)?;
    let found = blocking(move || {
        let Some(s) = subs::find(admin.store.as_ref(), &cbe)? else {
            return Err(refused(Refusal::NotSubscribed));
        };
        let attempts = admin.store.attempts(&cbe, subs::ATTEMPTS_SHOWN)?;
        Ok(shown(&s, Some(attempts)))
    })
    .await?;
    Ok(axum::Json(found).into_response())
}

/// `PUT /v1/subscriptions/{institution}`: subscribes, or changes the subscription.
pub(super) async fn subscribe(
    State(admin): State<Admin>,
    Path(cbe): Path<String>,
    body: Result<axum::Json<Subscribe>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(bad_json)?;
    let cbe = institution(&cbe)?;
    let mode = body
        .mode
        .as_deref()
        .unwrap_or("SSIN_ONLY")
        .parse()
        .map_err(|e: crate::domain::subscription::DeliveryModeError| {
            Problem::new(StatusCode::BAD_REQUEST, format!("mode: {e}"))
        })?;
    let delivery = subs::delivery(body.endpoint.as_deref(), None).map_err(refused)?;
    let now_ms = admin.clock.now_ms();
    let store = admin.store.clone();
    let written = blocking(move || {
        subs::check_granted(store.as_ref(), &cbe)?.map_err(refused)?;
        Ok(subs::subscribe(
            store.as_ref(),
            &cbe,
            delivery,
            mode,
            now_ms,
        )?)
    })
    .await?;
    wake(&admin);
    match written {
        Some(s) => Ok(axum::Json(shown(&s, None)).into_response()),
        None => Err(Problem::internal("the subscription was not written")),
    }
}

/// `DELETE /v1/subscriptions/{institution}`.
pub(super) async fn unsubscribe(
    State(admin): State<Admin>,
    Path(cbe): Path<String>,
) -> Result<Response, Problem> {
    let cbe = institution(&cbe)?;
    let store = admin.store.clone();
    let s = blocking(move || subs::unsubscribe(store.as_ref(), &cbe)?.map_err(refused)).await?;
    wake(&admin);
    Ok(axum::Json(shown(&s, None)).into_response())
}

/// `POST /v1/subscriptions/{institution}/replay`: everything from `from` on is
/// delivered again.
pub(super) async fn replay(
    State(admin): State<Admin>,
    Path(cbe): Path<String>,
    body: Result<axum::Json<Replay>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(bad_json)?;
    let cbe = institution(&cbe)?;
    let store = admin.store.clone();
    let s =
        blocking(move || subs::replay(store.as_ref(), &cbe, body.from)?.map_err(refused)).await?;
    wake(&admin);
    Ok(axum::Json(shown(&s, None)).into_response())
}

fn wake(admin: &Admin) {
    if let Some(wake) = &admin.wake {
        wake.wake();
    }
}
