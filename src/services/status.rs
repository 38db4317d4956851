//! The statuses of a consultation, with the codes and meanings of the CBSS network.

use crate::domain::{OpenPeriod, Ssin, SsinError};
use crate::wire::common::{Information, Status, StatusValue};

pub fn data_found() -> Status {
    Status::new(StatusValue::DataFound, "MSG00000", "Treatment successful")
}

/// MSG00000 when a consultation of `period` found something, else MSG00100.
pub fn found_in(found: bool, period: &OpenPeriod) -> Status {
    if found {
        data_found()
    } else {
        no_data_found(period)
    }
}

pub fn no_data_found(period: &OpenPeriod) -> Status {
    let until = period
        .end()
        .map_or_else(|| "onwards".to_owned(), |e| format!("to {e}"));
    Status::new(
        StatusValue::NoDataFound,
        "MSG00100",
        format!(
            "No data found for this person in the period from {} {until}",
            period.begin()
        ),
    )
}

pub fn ssin_unknown(ssin: &Ssin) -> Status {
    Status::new(StatusValue::NoResult, "MSG00005", "SSIN unknown")
        .with(Information::new("ssin", Some(ssin.as_str())))
}

pub fn ssin_replaced(ssin: &Ssin, by: &Ssin) -> Status {
    Status::new(
        StatusValue::NoResult,
        "MSG00006",
        format!("SSIN {ssin} has been replaced by {by}"),
    )
    .with(Information::new("newSSIN", Some(by.as_str())))
}

pub fn ssin_cancelled(ssin: &Ssin) -> Status {
    Status::new(StatusValue::NoResult, "MSG00007", "SSIN cancelled")
        .with(Information::new("ssin", Some(ssin.as_str())))
}

pub fn validation_error(field: &str, value: Option<&str>, reason: &str) -> Status {
    Status::new(
        StatusValue::NoResult,
        "MSG00008",
        format!("Validation error: {field}: {reason}"),
    )
    .with(Information::new(field, value))
}

pub fn invalid_ssin(text: &str, error: &SsinError) -> Status {
    Status::new(
        StatusValue::NoResult,
        "MSG00011",
        format!("Invalid SSIN structure: {error}"),
    )
    .with(Information::new("ssin", Some(text)))
}

pub fn not_integrated(ssin: &Ssin) -> Status {
    Status::new(
        StatusValue::NoResult,
        "MSG00012",
        "SSIN not integrated for the calling organisation in the requested period",
    )
    .with(Information::new("ssin", Some(ssin.as_str())))
}

pub fn legal_context_refused(service: &str, legal_context: &str) -> Status {
    Status::new(
        StatusValue::NoResult,
        "MSG00013",
        format!("Operation not allowed: legal context {legal_context} is not granted to this organisation for {service}"),
    )
    .with(Information::new("legalContext", Some(legal_context)))
}

/// The statuses a tester may force a consultation to answer (an injected fault), as
/// the network words them.
pub const FORCEABLE: &[(&str, StatusValue, &str)] = &[
    ("MSG00005", StatusValue::NoResult, "SSIN unknown"),
    ("MSG00007", StatusValue::NoResult, "SSIN cancelled"),
    ("MSG00008", StatusValue::NoResult, "Validation error"),
    ("MSG00011", StatusValue::NoResult, "Invalid SSIN structure"),
    (
        "MSG00012",
        StatusValue::NoResult,
        "SSIN not integrated for the calling organisation in the requested period",
    ),
    (
        "MSG00013",
        StatusValue::NoResult,
        "Operation not allowed: the legal context is not granted to this organisation",
    ),
    (
        "MSG00100",
        StatusValue::NoDataFound,
        "No data found for this person in the requested period",
    ),
];

/// The forceable status `code` (one of `FORCEABLE`), about `ssin` when the request
/// named one.
pub fn forced(code: &str, ssin: Option<&str>) -> Option<Status> {
    let (code, value, description) = FORCEABLE
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))?;
    let status = Status::new(*value, code, *description);
    Some(match ssin {
        Some(ssin) if *code != "MSG00100" => status.with(Information::new("ssin", Some(ssin))),
        _ => status,
    })
}
