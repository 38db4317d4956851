//! The access rules, in the network's order, all in this file. Every service: the body
//! names the authenticated caller (else MSG00014), then the caller holds the service's
//! role: a CPAS known to the register, or a partner that a deliberation grants the
//! service (under the legal context, else MSG00013). A consultation of one person then
//! goes on: the SSIN is well formed and known, the caller manages that person's file
//! during the requested period, and the number is still the person's.

use std::sync::Arc;

use super::{ServiceError, status};
use crate::domain::{
    CbeNumber, Date, Institution, OpenPeriod, Pcsa, RegisterStatus, Service, Ssin,
};
use crate::store::{PersonFile, Store};
use crate::wire::common::{CustomerIdentification, Status};
use crate::wire::living_wages_v2::Criteria;

/// Who may use a service, and what proves it: each contract names its role, and
/// `authorize` hands the proof to its handler.
pub trait Role: Copy + Send + Sync + 'static {
    /// What the handler learns from the proof (a CPAS's PCSA).
    type Proof: Send + Sync + 'static;

    fn prove(
        self,
        store: &dyn Store,
        caller: &Institution,
        legal_context: Option<&str>,
    ) -> Result<Self::Proof, ServiceError>;
}

/// A CPAS known to the register, acting for itself: proved by its PCSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpas;

/// An institution that a deliberation grants the service to: under the request's
/// legal context, when the request names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partner(pub Service);

/// Any institution the gateway identified: the connection test, which an institution
/// calls before anything is granted to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identified;

impl Role for Identified {
    type Proof = ();

    fn prove(
        self,
        _store: &dyn Store,
        _caller: &Institution,
        _legal_context: Option<&str>,
    ) -> Result<(), ServiceError> {
        Ok(())
    }
}

impl Role for Cpas {
    type Proof = Pcsa;

    fn prove(
        self,
        store: &dyn Store,
        caller: &Institution,
        _legal_context: Option<&str>,
    ) -> Result<Pcsa, ServiceError> {
        store
            .pcsa(&caller.cbe)?
            .ok_or_else(|| Refusal::NotACpas { caller: caller.cbe }.into())
    }
}

impl Role for Partner {
    type Proof = ();

    fn prove(
        self,
        _store: &dyn Store,
        caller: &Institution,
        legal_context: Option<&str>,
    ) -> Result<(), ServiceError> {
        let Partner(service) = self;
        match legal_context {
            Some(lc) if !caller.may_consult(service, lc) => Err(Refusal::LegalContext {
                service,
                legal_context: lc.to_owned(),
            }
            .into()),
            None if !caller.is_granted(service) => Err(Refusal::NotGranted {
                service: service.name(),
                caller: caller.cbe,
            }
            .into()),
            _ => Ok(()),
        }
    }
}

/// Why the access rules refuse a caller: one type, which each contract answers in its
/// own wire form (a fault, a status, an SSDN detail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// MSG00014: the body's `customerIdentification` is not the authenticated caller.
    #[error("customerIdentification {declared} does not match the authenticated caller")]
    NotTheCaller { declared: String },
    /// The caller is not a CPAS known to the register.
    #[error("{caller} is not a CPAS: only a CPAS registers decisions")]
    NotACpas { caller: CbeNumber },
    /// No deliberation grants the service to the caller.
    #[error("no deliberation grants {service} to {caller}")]
    NotGranted {
        service: &'static str,
        caller: CbeNumber,
    },
    /// MSG00013: the service is not granted under this legal context.
    #[error("the legal context {legal_context} is not granted for {}", service.name())]
    LegalContext {
        service: Service,
        legal_context: String,
    },
}

/// The access rules every service applies before its handler, in the network's
/// order: the body names the authenticated caller (when it carries an
/// identification), then the caller holds the service's role (`Role::prove`). The
/// exchange runs this once, before any handler; a refusal is answered in the
/// contract's own wire form.
pub fn authorize<R: Role>(
    store: &dyn Store,
    caller: &Institution,
    role: R,
    identification: Option<&CustomerIdentification>,
    legal_context: Option<&str>,
) -> Result<R::Proof, ServiceError> {
    if let Some(id) = identification {
        check_identification(caller, id)?;
    }
    role.prove(store, caller, legal_context)
}

/// A consultation answers a legal context it is not granted with a status (MSG00013
/// as data, not a fault); any other refusal stays a refusal.
pub fn consultation_status(refusal: Refusal) -> Result<Status, Refusal> {
    match refusal {
        Refusal::LegalContext {
            service,
            legal_context,
        } => Ok(status::legal_context_refused(
            service.name(),
            &legal_context,
        )),
        other => Err(other),
    }
}

/// A consultation of one person that passed every rule.
pub struct Admitted {
    pub ssin: Ssin,
    pub window: OpenPeriod,
    pub file: Arc<PersonFile>,
}

/// The rules after `authorize`, in order, for a consultation about `criteria`: a
/// fault (`Err`), a refusal answered with its status (`Ok(Err)`), or the person's file.
pub fn admit(
    store: &dyn Store,
    caller: &Institution,
    criteria: &Criteria,
) -> Result<Result<Admitted, Status>, ServiceError> {
    let admitted = (|| {
        let ssin = check_ssin(&criteria.ssin)?;
        let window = check_period(criteria.begin, criteria.end)?;
        Ok((ssin, window))
    })();
    let (ssin, window) = match admitted {
        Ok(found) => found,
        Err(status) => return Ok(Err(status)),
    };
    let file = store.person_file(&ssin)?;
    Ok(check_subject(&file, &ssin, &caller.cbe, &window).map(|()| Admitted { ssin, window, file }))
}

/// MSG00014 when the body's `customerIdentification` is not the authenticated caller.
fn check_identification(caller: &Institution, id: &CustomerIdentification) -> Result<(), Refusal> {
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
        Err(Refusal::NotTheCaller { declared })
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

/// MSG00005 for a number the register does not know; MSG00012 when the caller has no
/// inscription for the person overlapping the period; then MSG00006 / 7 for a number
/// replaced or cancelled. The inscription comes before the register's later history
/// so that only an institution managing the file learns that a number was replaced,
/// and by which.
pub fn check_subject(
    file: &PersonFile,
    ssin: &Ssin,
    caller: &CbeNumber,
    period: &OpenPeriod,
) -> Result<(), Status> {
    let Some(person) = file.person.as_ref() else {
        return Err(status::ssin_unknown(ssin));
    };
    let integrated = file
        .inscriptions
        .iter()
        .any(|i| i.institution == *caller && i.period.overlaps(period));
    if !integrated {
        return Err(status::not_integrated(ssin));
    }
    match person.status {
        RegisterStatus::Replaced { by } => Err(status::ssin_replaced(ssin, &by)),
        RegisterStatus::Cancelled => Err(status::ssin_cancelled(ssin)),
        RegisterStatus::Active => Ok(()),
    }
}
