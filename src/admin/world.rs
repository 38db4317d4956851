//! `/v1/world` and `/v1/reset`: the register as world files describe it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Admin, FieldProblem, Problem, blocking};
use crate::world::{self, WorldError};

/// What a fragment's problems are said to be in.
const BODY: &str = "request body";

/// `GET /v1/world`: the register as a world file (TOML).
pub(super) async fn export(State(admin): State<Admin>) -> Result<Response, Problem> {
    let text = blocking(move || {
        let cas = world::trusted_cas(&world::trusted_cas_dir(&admin.data_dir))
            .map_err(Problem::internal)?;
        world::export(admin.store.as_ref(), &cas).map_err(Problem::internal)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/toml")], text).into_response())
}

/// `POST /v1/world`: applies a world fragment (TOML) to the running register, all of
/// it or nothing; what it declares again replaces what the register held.
pub(super) async fn apply(State(admin): State<Admin>, body: String) -> Result<Response, Problem> {
    let (store, now_ms) = (admin.store.clone(), admin.clock.now_ms());
    let applied = blocking(move || {
        world::apply_fragment(Path::new(BODY), body, store.as_ref(), now_ms).map_err(refusal)
    })
    .await?;
    answer(&admin, applied)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Files {
    files: Vec<PathBuf>,
}

/// `POST /v1/world/files`, on the control socket only (the gateway reads the files
/// as its own account): world files applied together, as `apply`.
pub(super) async fn apply_files(
    State(admin): State<Admin>,
    body: Result<axum::Json<Files>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(super::bad_json)?;
    let (store, now_ms) = (admin.store.clone(), admin.clock.now_ms());
    let applied = blocking(move || {
        let sources = world::read(&body.files).map_err(refusal)?;
        world::apply_running(&sources, store.as_ref(), now_ms).map_err(refusal)
    })
    .await?;
    answer(&admin, applied)
}

/// What was applied; the dispatcher is woken for the forms' notifications, and the
/// world's fault rules join the running gateway's.
fn answer(admin: &Admin, applied: world::Applied) -> Result<Response, Problem> {
    if applied.announced
        && let Some(wake) = &admin.wake
    {
        wake.wake();
    }
    let rules = admin
        .faults
        .add(applied.faults, admin.clock.now_ms())
        .map_err(|(_, e)| Problem::internal(e))?;
    Ok(axum::Json(json!({ "applied": applied.declarations, "faultRules": rules })).into_response())
}

/// `POST /v1/reset`: the register as it was once the gateway's worlds were loaded.
pub(super) async fn reset(State(admin): State<Admin>) -> Result<Response, Problem> {
    let Some(snapshot) = admin.snapshot.as_deref().cloned() else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "this gateway was started with --no-reset: it kept no copy of its register to go back to",
        ));
    };
    let store = admin.store.clone();
    let started = Instant::now();
    blocking(move || Ok(store.restore_snapshot(&snapshot)?)).await?;
    let took = started.elapsed();
    tracing::info!(took_ms = took.as_millis(), "register reset");
    if let Some(wake) = &admin.wake {
        // Subscriptions and queues changed under the dispatcher.
        wake.wake();
    }
    Ok(axum::Json(json!({ "reset": true, "tookMs": took.as_secs_f64() * 1000.0 })).into_response())
}

/// A world refused: 422 with each problem, or the store's own error.
fn refusal(e: WorldError) -> Problem {
    match e {
        WorldError::Problems(problems) => {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                match problems.len() {
                    1 => "the fragment was not applied, nothing was written: 1 problem".to_owned(),
                    n => format!("the fragment was not applied, nothing was written: {n} problems"),
                },
            );
            p.problems = problems
                .into_iter()
                .map(|p| FieldProblem {
                    file: (p.file != Path::new(BODY)).then(|| p.file.display().to_string()),
                    line: p.line,
                    field: p.field,
                    reason: p.reason,
                })
                .collect();
            p
        }
        WorldError::Store(e) => Problem::from(e),
        other => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    }
}
