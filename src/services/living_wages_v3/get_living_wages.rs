//! getLivingWages: each right with days in the requested period, in force or
//! withdrawn, with the decision behind it: what a receiver of notifications needs to
//! reconcile (the attestations and times match the notifications' own).

use super::Consulted;
use crate::domain::OpenPeriod;
use crate::wire::living_wages_v3::{Answer, Decision, RightRecord, WithdrawnDays};

pub(super) fn answer(rights: &[Consulted], window: &OpenPeriod) -> Answer {
    let records = rights
        .iter()
        .filter_map(|r| {
            let period = r.period.and_then(|p| p.clip(window));
            let withdrawn = r
                .decided
                .as_ref()
                .and_then(|d| d.right.withdrawal.as_ref())
                .and_then(|w| {
                    Some(WithdrawnDays {
                        days: w.days.clip(window)?,
                        attestation: w.attestation.to_string(),
                        decision_date: w.decision_date,
                    })
                });
            if period.is_none() && withdrawn.is_none() {
                return None;
            }
            Some(RightRecord {
                cbe: r.pcsa.cbe,
                ins: r.pcsa.ins,
                kind: r.kind,
                period,
                decision: r.decided.as_ref().map(|d| Decision {
                    decision_date: d.right.decision_date,
                    attestation: d.right.attestation.to_string(),
                    changed_at_ms: d.changed_at_ms,
                    suspension: d.right.suspension,
                }),
                withdrawn,
            })
        })
        .collect();
    Answer::Rights(records)
}
