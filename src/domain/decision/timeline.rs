//! From the forms a CPAS sent about one person to the rights they make: the timeline
//! of that person and that PCSA.
//!
//! - A B opens a right for [entry date, entry date + duration − 1].
//! - A later B revises the right from its entry date: what came before ends the day
//!   before (all data are carried again by the new B).
//! - A C withdrawal (nature 2) ends the Bs in force when it was registered (« le
//!   formulaire B en cours »), the day before its entry date, or before its effective
//!   stop date when given: those decided before it, whatever their dates (one that
//!   starts on or after the first day without right is withdrawn whole, and revises
//!   nothing). A B registered after the C is a later decision, which the C does not
//!   reach, even when it starts between the stop date and the C's entry date. A
//!   refusal (nature 1) is recorded and changes no period.
//! - A D (recovery) changes no period.
//! - Regularisations replace the form of the same date; a C withdrawn with status 9
//!   is as if it never existed, so the B it interrupted runs again for its whole
//!   original duration.
//!
//! Forms are taken in the order of their dates, and forms of the same date in the
//! order of their decisions: the order they were registered, a regularisation taking
//! the place of the form it replaces (it corrects that decision, it is not a new one).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::forms::{CStatus, FormB, FormC, Nature, Sender};
use super::recovery::FormD;
use crate::domain::{Date, Period, Right};

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

/// The forms of one PCSA still in force, in the order of their decisions: each in the
/// order it was registered, but a regularisation in the place of the form it replaces;
/// withdrawn Cs removed.
pub fn forms_in_force(history: &[&RegisteredForm]) -> Vec<RegisteredForm> {
    let mut sorted: Vec<&RegisteredForm> = history.to_vec();
    sorted.sort_by_key(|f| f.number);
    let mut in_force: Vec<RegisteredForm> = Vec::new();
    for f in sorted {
        join_in_force(&mut in_force, f);
    }
    in_force
}

/// The forms in force once `f`, registered after all of them, joins them.
pub fn join_in_force(in_force: &mut Vec<RegisteredForm>, f: &RegisteredForm) {
    match &f.form {
        Form::B(b) if b.regularisation => replace_in_place(
            in_force,
            f,
            |g| matches!(g, Form::B(old) if old.entry_date == b.entry_date),
        ),
        Form::B(_) => in_force.push(f.clone()),
        Form::D(d) if d.regularisation => {
            replace_in_place(
                in_force,
                f,
                |g| matches!(g, Form::D(old) if old.same_slot(d)),
            );
        }
        Form::D(_) => in_force.push(f.clone()),
        Form::C(c) => match c.status {
            CStatus::New => in_force.push(f.clone()),
            CStatus::Regularisation => replace_in_place(
                in_force,
                f,
                |g| matches!(g, Form::C(old) if old.entry_date == c.entry_date),
            ),
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

/// `f` in the place of the last form `replaced` matches (« le formulaire envoyé
/// précédemment »: of a date whose first B a withdrawal emptied, the B sent since),
/// the earlier ones of them removed; at the end when none matches.
fn replace_in_place(
    in_force: &mut Vec<RegisteredForm>,
    f: &RegisteredForm,
    replaced: impl Fn(&Form) -> bool,
) {
    match in_force.iter().rposition(|g| replaced(&g.form)) {
        Some(mut i) => {
            in_force[i] = f.clone();
            let mut j = 0;
            while j < i {
                if replaced(&in_force[j].form) {
                    in_force.remove(j);
                    i -= 1;
                } else {
                    j += 1;
                }
            }
        }
        None => in_force.push(f.clone()),
    }
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
    /// The B's place in the order of decisions (its index among the forms in force).
    pub(super) decided: usize,
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
///
/// Forms are taken in date order, so the stretches still running follow one another
/// (each B ends what runs from its date): a form reaches only the last of them, and a
/// long history costs no more per form than a short one.
pub fn stretches(in_force: &[RegisteredForm]) -> Vec<Stretch<'_>> {
    let mut events: Vec<(usize, &RegisteredForm)> = in_force.iter().enumerate().collect();
    events.sort_by_key(|&(decided, f)| {
        let date = match &f.form {
            Form::B(b) => b.entry_date,
            Form::C(c) => c.entry_date,
            Form::D(d) => d.period_start,
        };
        (date, decided)
    });
    // Stretches with days in force, in date order, their periods disjoint and rising.
    let mut running: Vec<Stretch<'_>> = Vec::new();
    // Stretches a withdrawal emptied, by date and number: history, until a B of their
    // date replaces them.
    let mut emptied: BTreeMap<(Date, usize), Stretch<'_>> = BTreeMap::new();
    // For each place in the order of decisions, the withdrawal decided after it with
    // the earliest first day without right: one pass, so that a long history costs no
    // more per form.
    let mut earliest_after: Vec<Option<(Date, &RegisteredForm, &FormC)>> =
        vec![None; in_force.len()];
    let mut earliest = None;
    for (i, f) in in_force.iter().enumerate().rev() {
        earliest_after[i] = earliest;
        if let Form::C(c) = &f.form
            && c.nature == Nature::Withdrawal
            && earliest.is_none_or(|(cut, _, _)| c.cut() < cut)
        {
            earliest = Some((c.cut(), f, c));
        }
    }
    for (decided, f) in events {
        match &f.form {
            Form::B(b) => {
                // Withdrawn from its first day by a C decided after it, whatever the
                // C's own date: it revises nothing and grants nothing, history.
                if let Some((_, by, c)) = earliest_after
                    .get(decided)
                    .copied()
                    .flatten()
                    .filter(|(cut, _, _)| *cut <= b.entry_date)
                {
                    if let Some(last) = b.last_day()
                        && let Ok(days) = Period::new(b.entry_date, last)
                    {
                        let withdrawn = Some(Withdrawn { days, form: by, c });
                        emptied.insert(
                            (b.entry_date, decided),
                            Stretch {
                                period: None,
                                form: f,
                                b,
                                withdrawn,
                                decided,
                            },
                        );
                    }
                    continue;
                }
                let revised_from = b.entry_date;
                while let Some(last) = running.last_mut() {
                    let Some(p) = last.period.filter(|p| p.end() >= revised_from) else {
                        break;
                    };
                    match revised_from.pred().map(|end| Period::new(p.begin(), end)) {
                        // The one it cuts short; those before it end before it begins.
                        Some(Ok(kept)) => {
                            last.period = Some(kept);
                            break;
                        }
                        _ => {
                            running.pop();
                        }
                    }
                }
                // Withdrawn whole: history, unless this B replaces it from its date.
                drop(emptied.split_off(&(revised_from, 0)));
                if let Some(last) = b.last_day()
                    && let Ok(period) = Period::new(b.entry_date, last)
                {
                    running.push(Stretch {
                        period: Some(period),
                        form: f,
                        b,
                        withdrawn: None,
                        decided,
                    });
                }
            }
            Form::C(c) if c.nature == Nature::Withdrawal => {
                let first_day_without = c.cut();
                let reached = running
                    .iter()
                    .rposition(|s| s.period.is_none_or(|p| p.end() < first_day_without))
                    .map_or(0, |i| i + 1);
                for mut s in running.split_off(reached) {
                    let Some(p) = s.period else { continue };
                    if s.decided > decided {
                        // A later decision: the C ended the B in force before it.
                        running.push(s);
                        continue;
                    }
                    let taken_from = first_day_without.max(p.begin());
                    let days_end = s.withdrawn.as_ref().map_or(p.end(), |w| w.days.end());
                    if let Ok(days) = Period::new(taken_from, days_end.max(p.end())) {
                        s.withdrawn = Some(Withdrawn { days, form: f, c });
                    }
                    s.period = first_day_without
                        .pred()
                        .and_then(|end| Period::new(p.begin(), end).ok());
                    if s.period.is_some() {
                        running.push(s);
                    } else {
                        emptied.insert((s.b.entry_date, s.decided), s);
                    }
                }
            }
            Form::C(_) | Form::D(_) => {}
        }
    }
    let mut out: Vec<Stretch<'_>> = running.into_iter().chain(emptied.into_values()).collect();
    out.sort_by_key(|s| (s.b.entry_date, s.decided));
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
    rights_of(&stretches(in_force))
}

/// The rights that `stretches` hold days of.
pub fn rights_of(stretches: &[Stretch<'_>]) -> Vec<Right> {
    stretches
        .iter()
        .filter_map(|s| {
            Right::new(
                s.b.ssin,
                s.b.sender.cbe,
                s.b.kind,
                s.b.category,
                s.b.partner,
                vec![s.period?],
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
