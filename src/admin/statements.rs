//! `/v1/statements`: a CPAS's monthly statement file (NOVAPRIMA), imported as
//! `payments import` does while the gateway runs.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Admin, FieldProblem, Problem, blocking};
use crate::domain::{InsCode, Month};
use crate::services::statements::{self, StatementError};

/// `POST /v1/statements`: the file's lines, all checked before any is written.
pub(super) async fn import(State(admin): State<Admin>, body: String) -> Result<Response, Problem> {
    let summary = blocking(move || {
        // The importer reads a file (statements run to millions of lines): the body
        // becomes one, private, for the time of the import.
        let dir = admin.data_dir.join("incoming");
        crate::files::private_dir(&dir).map_err(Problem::internal)?;
        let file = dir.join(format!("{}.txt", uuid::Uuid::now_v7().simple()));
        crate::files::write(&file, &body, true).map_err(Problem::internal)?;
        let result = statements::import(admin.store.as_ref(), &file, &mut |_| {});
        let _ = std::fs::remove_file(&file);
        result.map_err(refusal)
    })
    .await?;
    Ok(summarised(&summary))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    path: std::path::PathBuf,
}

/// `POST /v1/statements/file`, on the control socket only: a statement file the
/// gateway reads itself (as its own account), however large.
pub(super) async fn import_file(
    State(admin): State<Admin>,
    body: Result<axum::Json<File>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    let axum::Json(body) = body.map_err(super::bad_json)?;
    let summary = blocking(move || {
        statements::import(admin.store.as_ref(), &body.path, &mut |_| {}).map_err(|e| {
            let mut p = refusal(e);
            let file = body.path.display().to_string();
            for problem in &mut p.problems {
                problem.file = Some(file.clone());
            }
            p
        })
    })
    .await?;
    Ok(summarised(&summary))
}

fn summarised(summary: &statements::ImportSummary) -> Response {
    let written: Vec<_> = summary
        .statements
        .iter()
        .map(|w| {
            json!({
                "insCode": w.ins.as_str(),
                "month": w.month.to_string(),
                "lines": w.lines,
                "replaced": w.replaced,
            })
        })
        .collect();
    axum::Json(json!({ "lines": summary.lines, "statements": written })).into_response()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Which {
    /// End lines with CR LF.
    #[serde(default)]
    crlf: bool,
}

/// `GET /v1/statements/{insCode}/{month}`: a CPAS's statement for a month (YYYYMM or
/// YYYY-MM), as it was imported or sent.
pub(super) async fn export(
    State(admin): State<Admin>,
    axum::extract::Path((ins, month)): axum::extract::Path<(String, String)>,
    axum::extract::Query(which): axum::extract::Query<Which>,
) -> Result<Response, Problem> {
    let ins = InsCode::parse(&ins)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("insCode: {e}")))?;
    let month = Month::parse_compact(&month)
        .or_else(|_| Month::parse_xsd(&month))
        .map_err(|_| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                format!("month: {month:?} is not a month: YYYYMM or YYYY-MM"),
            )
        })?;
    let text = blocking(move || {
        let mut out = Vec::new();
        let name = std::path::Path::new("response");
        match statements::export(
            admin.store.as_ref(),
            &ins,
            month,
            which.crlf,
            &mut out,
            name,
        ) {
            Ok(_) => Ok(out),
            Err(e @ StatementError::NoStatement { .. }) => {
                Err(Problem::new(StatusCode::NOT_FOUND, e.to_string()))
            }
            Err(e) => Err(Problem::internal(e)),
        }
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

fn refusal(e: StatementError) -> Problem {
    match e {
        StatementError::Refused {
            lines,
            refused,
            first,
        } => {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{refused} of {lines} lines refused, nothing imported"),
            );
            p.problems = first
                .into_iter()
                .flat_map(|line| {
                    line.errors.into_iter().map(move |e| FieldProblem {
                        file: None,
                        line: usize::try_from(line.number).unwrap_or(usize::MAX),
                        field: e.field.to_owned(),
                        reason: e.reason,
                    })
                })
                .collect();
            p
        }
        StatementError::Store(e) => Problem::from(e),
        other => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    }
}
