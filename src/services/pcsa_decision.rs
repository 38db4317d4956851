//! PcsaDecisionService: a CPAS registers its decisions (forms B, C and D). Only a CPAS
//! may call it, and only for itself; the form is judged by the domain rules against
//! the person's history and registered in one store transaction with its effects.

use super::effects::Effects;
use super::statements::RegisterCheck;
use super::writer::{FormWrite, RegisterWriter, StatementWrite};
use super::{ServiceError, status};
use crate::domain::Pcsa;
use crate::domain::decision::{self, ErrorCode, Form, FormError, History, Outcome, Registration};
use crate::store::{DecisionFile, Registered, Store, StoreError};
use crate::wire::common::Status;
use crate::wire::pcsa_decision_v1::{FormResult, Statement, payment_element};

/// Judges and registers a form through the register's writer (its answer comes once
/// the form is durable).
/// The caller was authorised as the CPAS (`access::authorize`); the form must be its
/// own.
pub async fn send_form(
    writer: &RegisterWriter,
    callers: &Pcsa,
    form: &Result<Form, Vec<FormError>>,
    now_ms: i64,
) -> Result<(Status, FormResult, Effects), ServiceError> {
    let form = match form {
        Ok(form) => form.clone(),
        Err(errors) => {
            return Ok((
                status::data_found(),
                FormResult::Rejected {
                    errors: errors.clone(),
                },
                Effects::NONE,
            ));
        }
    };
    let sender_errors = check_sender(callers, &form);
    let outcome = writer
        .register_form(FormWrite {
            form,
            sender_errors,
            now_ms,
            announce: true,
        })
        .await?;
    let effects = Effects {
        outbox_written: matches!(outcome, Outcome::Accepted { event: Some(_), .. }),
        ..Effects::NONE
    };
    let result = match outcome {
        Outcome::Accepted { form, .. } => FormResult::Accepted {
            attestation: form.attestation.to_string(),
        },
        Outcome::AlreadyRegistered(attestation) => FormResult::AlreadyRegistered {
            attestation: attestation.to_string(),
        },
        Outcome::Rejected(errors) => FormResult::Rejected { errors },
    };
    Ok((status::data_found(), result, effects))
}

/// Judges `form` against the person's history and, when it is accepted, writes it
/// with the rights it makes in one store transaction. `announce` puts the change in
/// the outbox for the subscribers; the register's past (the demo's decisions) is
/// written without it. `None` when the store never called back.
pub fn judge_and_register(
    store: &dyn Store,
    form: &Form,
    sender_errors: Vec<FormError>,
    now_ms: i64,
    announce: bool,
) -> Result<Option<Outcome>, StoreError> {
    let mut outcome = None;
    store.register(&form.ssin(), &form.pcsa(), &mut |file| {
        let (judged, write) = judge(form, &sender_errors, now_ms, announce, file);
        outcome = Some(judged);
        write
    })?;
    Ok(outcome)
}

/// The register's judgement of `form` against the person's file, and what to write
/// when it is accepted.
pub fn judge(
    form: &Form,
    sender_errors: &[FormError],
    now_ms: i64,
    announce: bool,
    file: &DecisionFile,
) -> (Outcome, Option<Registered>) {
    let history = History {
        person: file.person.as_ref(),
        forms: &file.forms,
        rights: &file.rights,
        decided: &file.decided,
        own_inscriptions: &file.own_inscriptions,
    };
    let at = Registration {
        number: file.next_number,
        now_ms,
        today: crate::clock::brussels_day(now_ms),
    };
    let judged = decision::register(form.clone(), &history, &at, sender_errors.to_vec());
    let write = match &judged {
        Outcome::Accepted {
            form,
            rights,
            decided,
            event,
            inscriptions,
        } => Some(Registered {
            form: form.clone(),
            rights: rights.clone(),
            decided: decided.clone(),
            event: event.filter(|_| announce),
            inscriptions: inscriptions.clone(),
        }),
        _ => None,
    };
    (judged, write)
}

/// The form's CPAS is the caller, and its INS code is the one the register knows.
fn check_sender(callers: &Pcsa, form: &Form) -> Vec<FormError> {
    let sender = form.sender();
    let mut errors = Vec::new();
    if sender.cbe != callers.cbe {
        errors.push(FormError::new(
            ErrorCode::NotTheCallersPcsa,
            "pcsa/cbeNumber",
            format!(
                "a CPAS registers its own decisions: the form names {}, the caller is {}",
                sender.cbe, callers.cbe
            ),
        ));
    } else if callers.ins != sender.ins {
        errors.push(FormError::new(
            ErrorCode::UnknownPcsa,
            "pcsa/insCode",
            format!(
                "the CPAS {} has INS code {}, not {}",
                sender.cbe,
                callers.ins.as_str(),
                sender.ins.as_str()
            ),
        ));
    }
    errors
}

/// A CPAS's monthly statement of payments: every line checked as an imported one is,
/// then written in one transaction (through the register's writer), replacing what
/// the register held for that month.
/// The caller was authorised as the CPAS `pcsa` (`access::authorize`).
pub async fn send_payments(
    store: &dyn Store,
    writer: &RegisterWriter,
    pcsa: &Pcsa,
    statement: &Result<Statement, Vec<FormError>>,
) -> Result<(Status, FormResult), ServiceError> {
    let statement = match statement {
        Ok(s) => s,
        Err(errors) => {
            return Ok((
                status::data_found(),
                FormResult::Rejected {
                    errors: errors.clone(),
                },
            ));
        }
    };
    let mut errors = Vec::new();
    if statement.ins != pcsa.ins {
        errors.push(FormError::new(
            ErrorCode::NotTheCallersPcsa,
            "insCode",
            format!(
                "a CPAS sends its own payments: the statement names INS {}, the caller's is {}",
                statement.ins.as_str(),
                pcsa.ins.as_str()
            ),
        ));
    }
    let mut register = RegisterCheck::new(store)?;
    for (i, line) in statement.lines.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let problems = line.check().into_iter().chain(
            register
                .check(line)?
                .into_iter()
                // The statement's CPAS was checked above against the caller's.
                .filter(|e| e.field != "CPAS")
                .map(|e| (e.code, e.field, e.reason)),
        );
        for (code, field, reason) in problems {
            errors.push(FormError::new(code, payment_element(field), reason).at_line(number));
        }
    }
    if !errors.is_empty() {
        return Ok((status::data_found(), FormResult::Rejected { errors }));
    }
    let replaced = writer
        .write_statement(StatementWrite {
            ins: statement.ins,
            month: statement.month,
            lines: statement.lines.clone(),
            replace: true,
        })
        .await?;
    Ok((
        status::data_found(),
        FormResult::StatementWritten {
            lines: statement.lines.len(),
            replaced,
        },
    ))
}
