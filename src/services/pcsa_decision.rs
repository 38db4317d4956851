//! PcsaDecisionService: a CPAS registers its decisions (forms B, C and D). Only a CPAS
//! may call it, and only for itself; the form is judged by the domain rules against
//! the person's history and registered in one store transaction with its effects.

use super::{ServiceError, access, status};
use crate::domain::decision::{self, ErrorCode, Form, FormError, History, Outcome, Registration};
use crate::domain::{Date, Institution};
use crate::store::{Registered, Store};
use crate::wire::common::Status;
use crate::wire::pcsa_decision_v1::{FormResult, Request};

pub fn send_form(
    store: &dyn Store,
    caller: &Institution,
    request: &Request,
    now_ms: i64,
) -> Result<(Status, FormResult), ServiceError> {
    access::check_identification(caller, &request.information_customer.identification)?;
    if store.pcsa(&caller.cbe)?.is_none() {
        return Err(ServiceError::NotAPcsa {
            caller: caller.cbe.to_string(),
        });
    }
    let form = match &request.form {
        Ok(form) => form.clone(),
        Err(errors) => {
            return Ok((
                status::data_found(),
                FormResult::Rejected {
                    errors: errors.clone(),
                },
            ));
        }
    };
    let sender_errors = check_sender(store, caller, &form)?;
    let today = Date::from_unix_seconds(now_ms.div_euclid(1000));
    let mut outcome = None;
    store.register(&form.ssin(), &form.pcsa(), &mut |file| {
        let history = History {
            person: file.person.as_ref(),
            forms: &file.forms,
            rights: &file.rights,
        };
        let at = Registration {
            number: file.next_number,
            now_ms,
            today,
        };
        let judged = decision::register(form.clone(), &history, &at, sender_errors.clone());
        let write = match &judged {
            Outcome::Accepted {
                form,
                rights,
                event,
            } => Some(Registered {
                form: form.clone(),
                rights: rights.clone(),
                event: *event,
            }),
            _ => None,
        };
        outcome = Some(judged);
        write
    })?;
    let result = match outcome {
        Some(Outcome::Accepted { form, .. }) => FormResult::Accepted {
            attestation: form.attestation.to_string(),
        },
        Some(Outcome::AlreadyRegistered(attestation)) => FormResult::AlreadyRegistered {
            attestation: attestation.to_string(),
        },
        Some(Outcome::Rejected(errors)) => FormResult::Rejected { errors },
        None => {
            return Err(ServiceError::Internal(
                "the register did not judge the form",
            ));
        }
    };
    Ok((status::data_found(), result))
}

/// The form's CPAS is the caller, and its INS code is the one the register knows.
fn check_sender(
    store: &dyn Store,
    caller: &Institution,
    form: &Form,
) -> Result<Vec<FormError>, ServiceError> {
    let sender = form.sender();
    let mut errors = Vec::new();
    if sender.cbe != caller.cbe {
        errors.push(FormError::new(
            ErrorCode::NotTheCallersPcsa,
            "pcsa/cbeNumber",
            format!(
                "a CPAS registers its own decisions: the form names {}, the caller is {}",
                sender.cbe, caller.cbe
            ),
        ));
        return Ok(errors);
    }
    if let Some(known) = store.pcsa(&sender.cbe)?
        && known.ins != sender.ins
    {
        errors.push(FormError::new(
            ErrorCode::UnknownPcsa,
            "pcsa/insCode",
            format!(
                "the CPAS {} has INS code {}, not {}",
                sender.cbe,
                known.ins.as_str(),
                sender.ins.as_str()
            ),
        ));
    }
    Ok(errors)
}
