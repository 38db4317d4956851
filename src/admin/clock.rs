//! `/v1/clock`: the running gateway's clock, as `bcss-gateway clock` moves it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Admin, Problem, bad_json};
use crate::clock::{self, Setting};
use crate::domain::date::format_utc_timestamp;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetClock {
    /// As `serve --clock` reads it: `system`, an instant, `fixed:<instant>`, `+31d`.
    setting: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Advance {
    /// A duration (`31d`, `-2h`, `90s`).
    by: String,
}

/// `GET /v1/clock`.
pub(super) async fn show(State(admin): State<Admin>) -> Response {
    current(&admin)
}

/// `PUT /v1/clock`.
pub(super) async fn set(
    State(admin): State<Admin>,
    body: Result<axum::Json<SetClock>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(bad_json)?;
    let setting = Setting::parse(&body.setting, clock::unix_millis())
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("setting: {e}")))?;
    admin.clock.set(setting);
    tracing::info!(%setting, "clock set through the admin API");
    Ok(current(&admin))
}

/// `POST /v1/clock/advance`.
pub(super) async fn advance(
    State(admin): State<Admin>,
    body: Result<axum::Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(bad_json)?;
    let ms = clock::parse_move_ms(&body.by)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("by: {e}")))?;
    admin.clock.advance_ms(ms);
    tracing::info!(setting = %admin.clock.setting(), "clock advanced through the admin API");
    Ok(current(&admin))
}

fn current(admin: &Admin) -> Response {
    axum::Json(json!({
        "setting": admin.clock.setting().to_string(),
        "now": format_utc_timestamp(admin.clock.now_ms()),
    }))
    .into_response()
}
