//! LivingWagesWithAmount: what the PCSAs paid a person, per PCSA and month or year.
//! The access rules are LivingWages's, under this service's own deliberation; the
//! grouping, visibility and definitiveness are the domain's (`domain::paid`).

use super::{ServiceError, access, status};
use crate::domain::paid::{self, Role, Rules};
use crate::domain::{Date, Institution, Right};
use crate::store::Store;
use crate::wire::common::Status;
use crate::wire::living_wages_with_amount_v1::{Answer, PaymentRow, PcsaPayments, Request};

/// A statement this many months old is definitive unless configured otherwise (the
/// note says 3 to 6 months).
pub const DEFINITIVE_AFTER_MONTHS: u32 = 6;

/// The caller was authorised for the service under the request's legal context
/// (`access::authorize`); the rules about the person follow (`access::admit`).
pub fn consult(
    store: &dyn Store,
    caller: &Institution,
    request: &Request,
    today: Date,
    definitive_after_months: u32,
) -> Result<(Status, Answer), ServiceError> {
    let admitted = access::admit(store, caller, &request.criteria)?;
    let access::Admitted { ssin, window, file } = match admitted {
        Ok(a) => a,
        Err(s) => return Ok((s, Answer::default())),
    };
    let lines = store.payments(&ssin)?;
    let rules = Rules {
        today,
        definitive_after_months,
    };
    let summary = paid::summarise(&lines, &window, request.aggregation, request.role, &rules);
    let pcsas = store.pcsas()?;
    let mut answer = Answer {
        pcsas: Vec::new(),
        last_month_is_last_paid: summary.last_is_last_paid,
    };
    for row in summary.rows {
        let Some(pcsa) = pcsas.iter().find(|p| p.ins == row.ins) else {
            // A statement of a PCSA the register does not know cannot name it.
            tracing::warn!(ins = %row.ins, "payments of an unknown PCSA left out");
            continue;
        };
        // The partner the PCSA's decision names for the days paid. Asked as the
        // partner, the person is that partner: the person's own rights say nothing.
        let partner = match request.role {
            Role::Partner => None,
            Role::PrimaryBeneficiary => file
                .rights
                .iter()
                .filter(|(r, p)| p.cbe == pcsa.cbe && r.partner().is_some())
                .find(|(r, _)| r.periods().iter().any(|p| p.overlaps(&row.paid.into())))
                .and_then(|(r, _): &(Right, _)| r.partner()),
        };
        let payment = PaymentRow {
            unit: row.unit,
            allowance: row.allowance.wire_name(),
            category: Some(row.category).filter(|c| ('A'..='E').contains(c)),
            partner,
            paid: row.paid,
            covers_whole_period: row.covers_whole_unit,
            amount: row.amount,
            definitive: row.definitive,
        };
        match answer.pcsas.iter_mut().find(|p| p.cbe == pcsa.cbe) {
            Some(group) => group.payments.push(payment),
            None => answer.pcsas.push(PcsaPayments {
                cbe: pcsa.cbe,
                ins: pcsa.ins,
                payments: vec![payment],
            }),
        }
    }
    let status = status::found_in(!answer.pcsas.is_empty(), &window);
    Ok((status, answer))
}
