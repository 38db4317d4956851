//! From the forms a CPAS sent about one person to the rights they make: the timeline
//! of that person and that PCSA.
//!
//! - A B opens a right for [entry date, entry date + duration − 1].
//! - A later B revises the right from its entry date: what came before ends the day
//!   before (all data are carried again by the new B).
//! - A C withdrawal (nature 2) ends whatever runs the day before its entry date, or
//!   before its effective stop date when given; a B from a later date opens a right
//!   again. A refusal (nature 1) is recorded and changes no period.
//! - A D (recovery) changes no period.
//! - Regularisations replace the form of the same date; a C withdrawn with status 9
//!   is as if it never existed, so the B it interrupted runs again for its whole
//!   original duration.
//!
//! Forms are taken in the order of their dates, and forms of the same date in the
//! order they were registered.

use serde::{Deserialize, Serialize};

use super::forms::{CStatus, FormB, FormC, Nature, Sender};
use super::recovery::FormD;
use crate::domain::{Period, Right};

/// The identifier the register gives an accepted form: its letter and 14 digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Attestation(String);

impl Attestation {
    pub fn new(letter: char, number: u64) -> Attestation {
        Attestation(format!("{letter}{number:014}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Attestation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Form {
    B(FormB),
    C(FormC),
    D(FormD),
}

impl Form {
    pub fn letter(&self) -> char {
        match self {
            Form::B(_) => 'B',
            Form::C(_) => 'C',
            Form::D(_) => 'D',
        }
    }

    pub fn ssin(&self) -> crate::domain::Ssin {
        match self {
            Form::B(b) => b.ssin,
            Form::C(c) => c.ssin,
            Form::D(d) => d.ssin,
        }
    }

    pub fn sender(&self) -> &Sender {
        match self {
            Form::B(b) => &b.sender,
            Form::C(c) => &c.sender,
            Form::D(d) => &d.sender,
        }
    }

    pub fn pcsa(&self) -> crate::domain::CbeNumber {
        self.sender().cbe
    }

    pub fn reference(&self) -> Option<&str> {
        match self {
            Form::B(b) => b.reference.as_deref(),
            Form::C(c) => c.reference.as_deref(),
            Form::D(d) => d.reference.as_deref(),
        }
    }
}

/// An accepted form as the register keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredForm {
    /// Registration order over the whole register.
    pub number: u64,
    pub attestation: Attestation,
    pub registered_at_ms: i64,
    pub form: Form,
}

/// The forms of one PCSA still in force, in registration order: regularised ones
/// replaced, withdrawn Cs removed.
pub fn forms_in_force(history: &[&RegisteredForm]) -> Vec<RegisteredForm> {
    let mut sorted: Vec<&RegisteredForm> = history.to_vec();
    sorted.sort_by_key(|f| f.number);
    let mut in_force: Vec<RegisteredForm> = Vec::new();
    for f in sorted {
        match &f.form {
            Form::B(b) if b.regularisation => {
                in_force
                    .retain(|g| !matches!(&g.form, Form::B(old) if old.entry_date == b.entry_date));
                in_force.push(f.clone());
            }
            Form::B(_) => in_force.push(f.clone()),
            Form::D(d) => {
                if d.regularisation {
                    in_force.retain(|g| !matches!(&g.form, Form::D(old) if old.same_slot(d)));
                }
                in_force.push(f.clone());
            }
            Form::C(c) => match c.status {
                CStatus::New => in_force.push(f.clone()),
                CStatus::Regularisation => {
                    in_force.retain(
                        |g| !matches!(&g.form, Form::C(old) if old.entry_date == c.entry_date),
                    );
                    in_force.push(f.clone());
                }
                CStatus::Withdrawal => {
                    if let Some(i) = in_force
                        .iter()
                        .position(|g| matches!(&g.form, Form::C(old) if old.same_decision(c)))
                    {
                        in_force.remove(i);
                    }
                }
            },
        }
    }
    in_force
}

/// A stretch of right and the B that grants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub period: Period,
    pub form: &'a RegisteredForm,
    pub b: &'a FormB,
}

/// What a B granted, with what is left of it: its days still in force (none when a
/// withdrawal took them all) and the withdrawal that took the others, if one did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stretch<'a> {
    pub period: Option<Period>,
    pub form: &'a RegisteredForm,
    pub b: &'a FormB,
    pub withdrawn: Option<Withdrawn<'a>>,
}

/// The days of a stretch that withdrawals took away, and the last C that did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawn<'a> {
    pub days: Period,
    pub form: &'a RegisteredForm,
    pub c: &'a FormC,
}

/// The stretches of right that the forms in force make, in date order, with the
/// ones withdrawals emptied. A later B replaces what runs from its entry date: that
/// is a revision, not a withdrawal, so the days it takes over are not "withdrawn".
pub fn stretches(in_force: &[RegisteredForm]) -> Vec<Stretch<'_>> {
    let mut events: Vec<&RegisteredForm> = in_force.iter().collect();
    events.sort_by_key(|f| {
        let date = match &f.form {
            Form::B(b) => b.entry_date,
            Form::C(c) => c.entry_date,
            Form::D(d) => d.period_start,
        };
        (date, f.number)
    });
    let mut out: Vec<Stretch<'_>> = Vec::new();
    for f in events {
        match &f.form {
            Form::B(b) => {
                let revised_from = b.entry_date;
                out.retain_mut(|s| match s.period {
                    Some(p) if p.end() < revised_from => true,
                    Some(p) => match revised_from.pred().map(|end| Period::new(p.begin(), end)) {
                        Some(Ok(kept)) => {
                            s.period = Some(kept);
                            true
                        }
                        _ => false,
                    },
                    // Withdrawn whole: history, unless this B replaces it from before.
                    None => s.b.entry_date < revised_from,
                });
                if let Some(last) = b.last_day()
                    && let Ok(period) = Period::new(b.entry_date, last)
                {
                    out.push(Stretch {
                        period: Some(period),
                        form: f,
                        b,
                        withdrawn: None,
                    });
                }
            }
            Form::C(c) if c.nature == Nature::Withdrawal => {
                let first_day_without = c.cut();
                for s in &mut out {
                    let Some(p) = s.period.filter(|p| p.end() >= first_day_without) else {
                        continue;
                    };
                    let taken_from = first_day_without.max(p.begin());
                    let days_end = s.withdrawn.as_ref().map_or(p.end(), |w| w.days.end());
                    let Ok(days) = Period::new(taken_from, days_end.max(p.end())) else {
                        continue;
                    };
                    s.withdrawn = Some(Withdrawn { days, form: f, c });
                    s.period = first_day_without
                        .pred()
                        .and_then(|end| Period::new(p.begin(), end).ok());
                }
            }
            Form::C(_) | Form::D(_) => {}
        }
    }
    out
}

/// The stretches of right that the forms in force make, in date order.
pub fn segments(in_force: &[RegisteredForm]) -> Vec<Segment<'_>> {
    stretches(in_force)
        .into_iter()
        .filter_map(|s| {
            Some(Segment {
                period: s.period?,
                form: s.form,
                b: s.b,
            })
        })
        .collect()
}

/// The rights of one person at one PCSA that the forms in force make: one per stretch.
pub fn rights(in_force: &[RegisteredForm]) -> Vec<Right> {
    segments(in_force)
        .into_iter()
        .filter_map(|s| {
            Right::new(
                s.b.ssin,
                s.b.sender.cbe,
                s.b.kind,
                s.b.category,
                s.b.partner,
                vec![s.period],
            )
            .ok()
        })
        .collect()
}

/// What a registration did to the rights of a person at a PCSA, for the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeEvent {
    Create,
    Modify,
    Cancel,
}

impl ChangeEvent {
    pub fn between(before: &[Right], after: &[Right]) -> Option<ChangeEvent> {
        match (before.is_empty(), after.is_empty()) {
            (true, false) => Some(ChangeEvent::Create),
            (false, true) => Some(ChangeEvent::Cancel),
            (false, false) if !same_rights(before, after) => Some(ChangeEvent::Modify),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ChangeEvent::Create => "CREATE",
            ChangeEvent::Modify => "MODIFY",
            ChangeEvent::Cancel => "CANCEL",
        }
    }
}

fn same_rights(a: &[Right], b: &[Right]) -> bool {
    let key = |r: &Right| (r.periods().first().map(|p| p.begin()), r.kind());
    let mut a: Vec<&Right> = a.iter().collect();
    let mut b: Vec<&Right> = b.iter().collect();
    a.sort_by_key(|r| key(r));
    b.sort_by_key(|r| key(r));
    a == b
}
