//! The access rules every consultation applies, in the network's order: the body names
//! the authenticated caller (else a fault), a deliberation grants the service under the
//! legal context, the SSIN is well formed and designates a living person, and the
//! caller manages that person's file during the requested period.

use super::{ServiceError, status};
use crate::domain::{CbeNumber, Date, Institution, OpenPeriod, RegisterStatus, Service, Ssin};
use crate::store::PersonFile;
use crate::wire::common::{CustomerIdentification, Status};

/// MSG00014 when the body's `customerIdentification` is not the authenticated caller.
pub fn check_identification(
    caller: &Institution,
    id: &CustomerIdentification,
) -> Result<(), ServiceError> {
    let matches = match id {
        CustomerIdentification::Cbe(cbe) => cbe == caller.cbe.as_str(),
        CustomerIdentification::Sector {
            sector,
            institution,
        } => caller
            .sector
            .is_some_and(|s| s.sector == *sector && s.institution == *institution),
    };
    if matches {
        Ok(())
    } else {
        let declared = match id {
            CustomerIdentification::Cbe(cbe) => cbe.clone(),
            CustomerIdentification::Sector {
                sector,
                institution,
            } => format!("sector {sector} institution {institution}"),
        };
        Err(ServiceError::CredentialsMismatch { declared })
    }
}

/// MSG00013 when no deliberation grants `service` under `legal_context` to the caller.
pub fn check_legal_context(
    caller: &Institution,
    service: Service,
    legal_context: &str,
) -> Result<(), Status> {
    if caller.may_consult(service, legal_context) {
        Ok(())
    } else {
        Err(status::legal_context_refused(service.name(), legal_context))
    }
}

/// MSG00011 when the SSIN's check digits (or date fields) are wrong.
pub fn check_ssin(text: &str) -> Result<Ssin, Status> {
    Ssin::parse(text).map_err(|e| status::invalid_ssin(text, &e))
}

/// MSG00008 when the period ends before it begins.
pub fn check_period(begin: Date, end: Option<Date>) -> Result<OpenPeriod, Status> {
    OpenPeriod::new(begin, end).map_err(|e| {
        status::validation_error(
            "criteria/period/endDate",
            end.map(|d| d.to_string()).as_deref(),
            &e.to_string(),
        )
    })
}

/// MSG00005 / 6 / 7 for numbers that designate nobody (now), MSG00012 when the caller
/// has no inscription for the person overlapping the period.
pub fn check_subject(
    file: &PersonFile,
    ssin: &Ssin,
    caller: &CbeNumber,
    period: &OpenPeriod,
) -> Result<(), Status> {
    match file.person.as_ref().map(|p| p.status) {
        None => return Err(status::ssin_unknown(ssin)),
        Some(RegisterStatus::Replaced { by }) => return Err(status::ssin_replaced(ssin, &by)),
        Some(RegisterStatus::Cancelled) => return Err(status::ssin_cancelled(ssin)),
        Some(RegisterStatus::Active) => {}
    }
    let integrated = file
        .inscriptions
        .iter()
        .any(|i| i.institution == *caller && overlaps(&i.period, period));
    if integrated {
        Ok(())
    } else {
        Err(status::not_integrated(ssin))
    }
}

fn overlaps(a: &OpenPeriod, b: &OpenPeriod) -> bool {
    let a_starts_before_b_ends = b.end().is_none_or(|end| a.begin() <= end);
    let b_starts_before_a_ends = a.end().is_none_or(|end| b.begin() <= end);
    a_starts_before_b_ends && b_starts_before_a_ends
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_xsd(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn p(b: &str, e: Option<&str>) -> OpenPeriod {
        OpenPeriod::new(d(b), e.map(d)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn open_periods_overlap_when_they_share_a_day() {
        assert!(overlaps(
            &p("2020-01-01", Some("2020-01-31")),
            &p("2020-01-31", None)
        ));
        assert!(!overlaps(
            &p("2020-01-01", Some("2020-01-31")),
            &p("2020-02-01", None)
        ));
        assert!(overlaps(
            &p("2020-01-01", None),
            &p("2010-01-01", Some("2020-01-01"))
        ));
        assert!(!overlaps(
            &p("2020-01-02", None),
            &p("2010-01-01", Some("2020-01-01"))
        ));
        assert!(overlaps(&p("2020-01-01", None), &p("2030-01-01", None)));
    }
}
