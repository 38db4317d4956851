//! The rules of rubrics 24 and 65 that need what the CPAS already decided for the
//! person (its forms in force): activation codes that may only continue a decision in
//! progress, and the Brussels article 61 training premium's contingent.

use super::area::Area;
use super::duration::Duration;
use super::forms::FormB;
use super::measures::{Measures, Who, at, brussels_training_premium};
use super::rules::{ErrorCode, FormError};
use super::timeline::Stretch;
use crate::domain::{Amount, Date, Ssin};

/// The Brussels contingent: « un montant de maximum 3.000,00 eur par personne et par
/// CPAS [...] réparti sur les 36 mois qui suivent la première demande ».
const CONTINGENT_CENTS: i64 = 300_000;
const CONTINGENT_MONTHS: u16 = 36;

/// `before`: the rights the CPAS's forms in force make before `b`.
pub(super) fn check(b: &FormB, before: &[Stretch<'_>], errors: &mut Vec<FormError>) {
    // Bs that still grant days, but the one of this form's date (which this form
    // regularises, or which a status-0 form may not replace).
    let others: Vec<&Stretch<'_>> = before
        .iter()
        .filter(|s| s.period.is_some() && s.b.entry_date != b.entry_date)
        .collect();
    for (who, m) in b.measures.each() {
        let Some(person) = person_of(b, who) else {
            continue;
        };
        // The person's earlier decisions in the same role, with their measures.
        let theirs: Vec<(&Stretch<'_>, &Measures)> = others
            .iter()
            .filter(|s| person_of(s.b, who) == Some(person))
            .map(|s| (*s, measures_of(s.b, who)))
            .collect();
        check_activation(b, who, m, &theirs, errors);
        if brussels_training_premium(Area::of(&b.sender.ins), b.entry_date)
            && let Some(amount) = m.subsidies.art61
        {
            let earlier = theirs.iter().filter_map(|(s, old)| {
                brussels_training_premium(Area::of(&s.b.sender.ins), s.b.entry_date)
                    .then_some((s.b.entry_date, old.subsidies.art61?))
            });
            check_contingent(b, who, amount, earlier, errors);
        }
    }
}

fn person_of(b: &FormB, who: Who) -> Option<Ssin> {
    match who {
        Who::Beneficiary => Some(b.ssin),
        Who::Partner => b.partner,
    }
}

fn measures_of(b: &FormB, who: Who) -> &Measures {
    match who {
        Who::Beneficiary => &b.measures.beneficiary,
        Who::Partner => &b.measures.partner,
    }
}

/// Rubric 24: « Les codes 4 et 5 ne peuvent être utilisés après le 1er octobre 2002
/// que pour les décisions en cours », and codes 1, 10 and 11 after 1 January 2002
/// (Activa replaced the hiring allowance and the recognised posts). A decision in
/// progress: a B of the CPAS with the same code for the same person whose right runs
/// on the day before this form's entry date, which the form then revises or extends.
/// (That codes 4 and 5 serve only commitments from before 1999 cannot be checked: the
/// forms do not give the commitment's date.)
fn check_activation(
    b: &FormB,
    who: Who,
    m: &Measures,
    earlier: &[(&Stretch<'_>, &Measures)],
    errors: &mut Vec<FormError>,
) {
    let Some(code) = m.activation else { return };
    let since = match code {
        1 | 10 | 11 => (2002, 1, 1),
        4 | 5 => (2002, 10, 1),
        _ => return,
    };
    let Ok(since) = Date::from_ymd(since.0, since.1, since.2) else {
        return;
    };
    if b.entry_date < since {
        return;
    }
    let Some(eve) = b.entry_date.pred() else {
        return;
    };
    let in_progress = earlier.iter().any(|(s, old)| {
        old.activation == Some(code) && s.period.is_some_and(|p| p.begin() <= eve && eve <= p.end())
    });
    if !in_progress {
        errors.push(FormError::new(
            ErrorCode::MeasureNotApplicable,
            at!(who, "", "activation"),
            format!(
                "activation code {code} from {since} only continues a decision in progress, and no form B of this CPAS with code {code} for this person runs on {eve}"
            ),
        ));
    }
}

/// Rubric 65, Brussels from 2020: at most 3,000 per person and CPAS, requested over
/// the 36 months after the first request (« Au-delà des 36 mois, plus aucune
/// subvention pour formation ne pourra être demandée »). The person's earlier
/// premiums are those of this beneficiary's forms in force at the CPAS, in the same
/// role: a partner's premiums on the forms where they are the beneficiary are in
/// another file, and not counted here.
fn check_contingent(
    b: &FormB,
    who: Who,
    amount: Amount,
    earlier: impl Iterator<Item = (Date, Amount)>,
    errors: &mut Vec<FormError>,
) {
    let field = at!(who, "subsidies/", "art61");
    let mut first = b.entry_date;
    let mut total = amount.cents();
    for (entry, premium) in earlier {
        first = first.min(entry);
        total = total.saturating_add(premium.cents());
    }
    let window = Duration {
        months: CONTINGENT_MONTHS,
        ..Duration::default()
    };
    if let Some(last) = window.last_day(first)
        && b.entry_date > last
    {
        errors.push(FormError::new(
            ErrorCode::TrainingPremiumContingent,
            field,
            format!(
                "the training premium is requested over the 36 months after the first request ({first}), until {last}: this form starts {}",
                b.entry_date
            ),
        ));
    }
    if total > CONTINGENT_CENTS {
        errors.push(FormError::new(
            ErrorCode::TrainingPremiumContingent,
            field,
            format!(
                "the training premium is at most {} per person and CPAS: with the premiums already requested since {first}, this one makes {}",
                Amount::from_cents(CONTINGENT_CENTS),
                Amount::from_cents(total)
            ),
        ));
    }
}
