//! What a withdrawal does to the CPAS's own inscription of the person in the reference
//! directory (sector 17). The note, telling a suspension from a withdrawal (rubric 82):
//! « Le formulaire C retire les droits dérivés de la personne, la désintègre au niveau
//! de la banque carrefour ». The inscription that
//! says the CPAS grants the person the right it withdraws (quality 2, integration
//! income, or 3, equivalent aid) ends the day before the first day without right;
//! the CPAS's other qualities (other aid, debt mediation, guidance, ...) are other
//! files, which the withdrawal leaves alone. A C that status 9 cancels « ne semble
//! jamais avoir existé »: the inscription it ended runs again over the right restored.
//! A regularisation moves the end to its own stop date.

use super::forms::{CStatus, FormC, Nature};
use super::timeline::{Form, RegisteredForm, Stretch};
use crate::domain::inscription::{with_registered, without_unregistered};
use crate::domain::{OpenPeriod, QualityCode, RightKind};

/// The CPAS's own inscriptions of the person in one quality code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnInscriptions {
    pub quality: QualityCode,
    pub periods: Vec<OpenPeriod>,
}

/// The quality code that says the CPAS grants a right of `kind`.
fn quality_of(kind: RightKind) -> Option<QualityCode> {
    QualityCode::new(match kind {
        RightKind::LivingWage => 2,
        RightKind::EquivalentLivingWage => 3,
    })
    .ok()
}

/// The CPAS's own inscriptions that `registered`, just accepted, changes: each quality
/// with its new periods. `in_force_before` are the CPAS's forms in force before it,
/// `after` the stretches of right once it joined them.
pub fn after_registration(
    registered: &RegisteredForm,
    in_force_before: &[RegisteredForm],
    after: &[Stretch<'_>],
    own: &[OwnInscriptions],
) -> Vec<OwnInscriptions> {
    let Form::C(c) = &registered.form else {
        return Vec::new();
    };
    // The withdrawal this C replaces or cancels, whose end of the inscription comes
    // undone (a regularisation may make it a refusal).
    let undone = in_force_before.iter().rev().find_map(|f| match &f.form {
        Form::C(old) if undoes(c, old) => Some(old.cut()),
        _ => None,
    });
    let cut = (c.nature == Nature::Withdrawal && c.status != CStatus::Withdrawal).then(|| c.cut());
    if undone.is_none() && cut.is_none() {
        return Vec::new();
    }
    let mut changed = Vec::new();
    for kind in [RightKind::LivingWage, RightKind::EquivalentLivingWage] {
        let Some(quality) = quality_of(kind) else {
            continue;
        };
        let Some(mine) = own.iter().find(|o| o.quality == quality) else {
            continue;
        };
        let of_kind = after.iter().filter(|s| s.b.kind == kind);
        let mut periods = mine.periods.clone();
        if let Some(from) = undone
            && periods.iter().any(|p| p.end() == from.pred())
            && let Some(end) = of_kind
                .clone()
                .filter_map(|s| s.period)
                .map(|p| p.end())
                .filter(|end| *end >= from)
                .max()
            && let Ok(restored) = OpenPeriod::new(from, Some(end))
        {
            periods = with_registered(&periods, restored);
        }
        let withdrew_this_kind = of_kind.clone().any(|s| {
            s.withdrawn
                .as_ref()
                .is_some_and(|w| w.form.number == registered.number)
        });
        if let Some(cut) = cut.filter(|_| withdrew_this_kind)
            && let Ok(taken) = OpenPeriod::new(cut, None)
            && let Some(kept) = without_unregistered(&periods, taken)
        {
            periods = kept;
        }
        if periods != mine.periods {
            changed.push(OwnInscriptions { quality, periods });
        }
    }
    changed
}

/// Whether `c` replaces (status 1) or cancels (status 9) `old`.
fn undoes(c: &FormC, old: &FormC) -> bool {
    old.nature == Nature::Withdrawal
        && match c.status {
            CStatus::New => false,
            CStatus::Regularisation => old.entry_date == c.entry_date,
            CStatus::Withdrawal => old.same_decision(c),
        }
}
