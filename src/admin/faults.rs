//! `/v1/faults`: the fault rules of the running gateway, as `bcss-gateway faults`
//! sets them: listed, added (one rule or a list, all or none), removed one by one or
//! all at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Admin, Problem, bad_json};
use crate::services::faults::RuleSpec;

/// `GET /v1/faults`.
pub(super) async fn list(State(admin): State<Admin>) -> Response {
    axum::Json(json!({ "rules": admin.faults.list() })).into_response()
}

/// `POST /v1/faults`.
pub(super) async fn add(
    State(admin): State<Admin>,
    body: Result<axum::Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(bad_json)?;
    // One rule, or a list of them added together.
    let items = match body {
        serde_json::Value::Array(items) => items,
        item => vec![item],
    };
    let specs = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value::<RuleSpec>(item)
                .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("rule {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ids = admin
        .faults
        .add(specs, admin.clock.now_ms())
        .map_err(|(i, e)| Problem::new(StatusCode::BAD_REQUEST, format!("rule {}: {e}", i + 1)))?;
    tracing::info!(?ids, "fault rules added through the admin API");
    let added: Vec<_> = admin
        .faults
        .list()
        .into_iter()
        .filter(|r| ids.contains(&r.id))
        .collect();
    Ok((StatusCode::CREATED, axum::Json(json!({ "rules": added }))).into_response())
}

/// `DELETE /v1/faults`.
pub(super) async fn clear(State(admin): State<Admin>) -> Response {
    let removed = admin.faults.clear();
    wake(&admin);
    tracing::info!(removed, "fault rules cleared through the admin API");
    axum::Json(json!({ "removed": removed })).into_response()
}

/// `DELETE /v1/faults/{id}`.
pub(super) async fn remove(
    State(admin): State<Admin>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let number = id
        .parse::<u64>()
        .map_err(|_| Problem::new(StatusCode::BAD_REQUEST, format!("{id:?} is not a rule id")))?;
    if admin.faults.remove(number) {
        wake(&admin);
        tracing::info!(id = number, "fault rule removed through the admin API");
        Ok(axum::Json(json!({ "removed": 1 })).into_response())
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("no fault rule {number} (GET /v1/faults lists them)"),
        ))
    }
}

/// Paused deliveries resume at once when their rule goes.
fn wake(admin: &Admin) {
    if let Some(wake) = &admin.wake {
        wake.wake();
    }
}
