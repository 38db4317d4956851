//! The services: one module per service and one per operation handler. A handler gets
//! a caller that `access::authorize` admitted and a request record, applies the rules
//! that remain (about the person consulted, the form sent), reads or writes the store,
//! and returns a status with the data.

pub mod access;
pub mod effects;
pub mod faults;
pub mod journal;
pub mod living_wages_v2;
pub mod living_wages_v3;
pub mod living_wages_with_amount;
pub mod manage_access;
pub mod pcsa_decision;
pub mod propagation;
pub mod statements;
pub mod status;
pub mod subscriptions;
pub mod writer;

use thiserror::Error;

use crate::store::StoreError;

/// What a handler cannot answer with a status (these become SOAP faults).
#[derive(Debug, Error)]
pub enum ServiceError {
    /// The access rules refused the caller (`access::authorize`).
    #[error(transparent)]
    Refused(#[from] access::Refusal),
    #[error("internal error: {0}")]
    Internal(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}
