//! `/metrics`: the gateway's counts and this scrape's readings of the store, in the
//! Prometheus text format. On the admin listener (with its bearer token, which
//! Prometheus sends with `authorization: credentials_file: <data-dir>/admin.token`)
//! and the control socket.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{Admin, Problem, blocking};
use crate::domain::SubscriptionState;
use crate::metrics::{CONTENT_TYPE, Readings, SubscriberReading};

/// `GET /metrics`.
pub(super) async fn scrape(State(admin): State<Admin>) -> Result<Response, Problem> {
    let store = admin.store.clone();
    // Read transactions of the store: off the async workers, as any store read here.
    let readings = blocking(move || {
        Ok(Readings {
            journal_records: store.audit_len()?,
            outbox_head: store.outbox_head()?.0,
            fanned_out: store.fanned_out()?.0,
            subscribers: store
                .subscriptions()?
                .into_iter()
                .map(|s| SubscriberReading {
                    institution: s.institution.to_string(),
                    queued: s.pending(),
                    failing: s.state == SubscriptionState::Failing,
                })
                .collect(),
        })
    })
    .await?;
    let text = admin.metrics.render(readings).map_err(Problem::internal)?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}
