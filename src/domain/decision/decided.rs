//! Each right as its decisions made it, for LivingWages V3: the form B that grants it
//! (attestation, decision date, suspension), what a withdrawal took from it, and when
//! it last changed, so that a receiver can match it with the notifications it got.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::forms::Suspension;
use super::timeline::{self, Attestation, RegisteredForm, Stretch};
use crate::domain::{Category, Date, OpenPeriod, Period, RightKind, Ssin};

/// A right at one PCSA as the forms in force make it. The store keeps these (see
/// `after`): a change of its fields is a change of the store's layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DecidedRight {
    pub kind: RightKind,
    pub category: Category,
    pub partner: Option<Ssin>,
    /// Its days still in force; `None` once a withdrawal took them all.
    pub period: Option<Period>,
    /// The form B that grants it.
    pub attestation: Attestation,
    pub decision_date: Date,
    pub suspension: Option<Suspension>,
    pub withdrawal: Option<Withdrawal>,
}

/// What withdrawals (forms C of nature 2) took from a right: the days, and the last
/// form C that took some.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Withdrawal {
    pub days: Period,
    pub attestation: Attestation,
    pub decision_date: Date,
}

/// A right and the registration time of the form from which it has been as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedRight {
    pub right: DecidedRight,
    pub changed_at_ms: i64,
}

impl DecidedRight {
    fn of(s: &Stretch<'_>) -> DecidedRight {
        DecidedRight {
            kind: s.b.kind,
            category: s.b.category,
            partner: s.b.partner,
            period: s.period,
            attestation: s.form.attestation.clone(),
            decision_date: s.b.decision_date,
            suspension: s.b.suspension,
            withdrawal: s.withdrawn.as_ref().map(|w| Withdrawal {
                days: w.days,
                attestation: w.form.attestation.clone(),
                decision_date: w.c.decision_date,
            }),
        }
    }

    /// Its days in force inside `window`.
    pub fn period_within(&self, window: &OpenPeriod) -> Option<Period> {
        self.period.and_then(|p| p.clip(window))
    }

    /// Whether a withdrawal took days of it that fall inside `window`.
    pub fn withdrawn_within(&self, window: &OpenPeriod) -> bool {
        self.withdrawal
            .as_ref()
            .is_some_and(|w| w.days.overlaps(window))
    }

    /// A consultation of `window` shows the rights with days in it, in force or
    /// withdrawn.
    pub fn concerns(&self, window: &OpenPeriod) -> bool {
        self.period_within(window).is_some() || self.withdrawn_within(window)
    }

    /// Where it sits in time: its first day granted, in force or withdrawn.
    pub fn first_day(&self) -> Option<Date> {
        let withdrawn = self.withdrawal.as_ref().map(|w| w.days.begin());
        match (self.period.map(|p| p.begin()), withdrawn) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The rights that one PCSA's forms in force (their `stretches`) make once a form registered at
/// `registered_at_ms` joined them, each with when it last changed: a right that was
/// already `before` keeps its time, any other takes the form's. The register keeps
/// this at every registration, so that a consultation reads it instead of replaying
/// the history (a replay costs a recomputation per form: quadratic in the history).
pub fn after(
    before: &[DatedRight],
    stretches: &[Stretch<'_>],
    registered_at_ms: i64,
) -> Vec<DatedRight> {
    let since: HashMap<&DecidedRight, i64> =
        before.iter().map(|d| (&d.right, d.changed_at_ms)).collect();
    stretches
        .iter()
        .map(DecidedRight::of)
        .map(|right| DatedRight {
            changed_at_ms: since.get(&right).copied().unwrap_or(registered_at_ms),
            right,
        })
        .collect()
}

/// The rights that one PCSA's forms (`history`, any order) make, in date order, each
/// with when it last changed: the history replayed one form at a time, as the register
/// went through it. For a history the register has not kept the result of: forms
/// still within the propagation delay leave out, and a store written before it kept
/// them.
pub fn decided_rights(history: &[&RegisteredForm]) -> Vec<DatedRight> {
    let mut sorted: Vec<&RegisteredForm> = history.to_vec();
    sorted.sort_by_key(|f| f.number);
    let mut current: Vec<DatedRight> = Vec::new();
    let mut in_force: Vec<RegisteredForm> = Vec::new();
    for form in sorted {
        timeline::join_in_force(&mut in_force, form);
        current = after(
            &current,
            &timeline::stretches(&in_force),
            form.registered_at_ms,
        );
    }
    current
}
