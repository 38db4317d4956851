//! Registering a form against what the register already holds about the person:
//! idempotency, the checks that need the history (regularisation, withdrawal of a C,
//! installation premium once in a life), and the rights that result.
//!
//! Idempotency compares with the forms in force, not with every form ever accepted:
//! a C withdrawn with status 9 « ne semble jamais avoir existé », and a B replaced by
//! its regularisation no longer counts, so sending either again is judged as a new
//! form.

use super::category_amounts;
use super::decided::{self, DatedRight};
use super::directory::{self, OwnInscriptions};
use super::forms::{CStatus, FormB};
use super::measure_history;
use super::recovery::{self, FormD, RecoveryOf};
use super::rules::{ErrorCode, FormError};
use super::timeline::{self, Attestation, ChangeEvent, Form, RegisteredForm, Stretch};
use crate::domain::{Amount, Category, CbeNumber, Date, Person, RegisterStatus, Right};

/// What the register holds about the person a form is about.
pub struct History<'a> {
    pub person: Option<&'a Person>,
    /// Every accepted form about the person, from every PCSA.
    pub forms: &'a [RegisteredForm],
    /// The person's rights at the form's PCSA as they stand.
    pub rights: &'a [Right],
    /// The same rights with the decisions behind them (LivingWages V3).
    pub decided: &'a [DatedRight],
    /// The PCSA's own inscriptions of the person in the reference directory.
    pub own_inscriptions: &'a [OwnInscriptions],
}

/// The result of registering a form.
#[derive(Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one outcome per registration, moved once into the store: a box would only add an allocation"
)]
pub enum Outcome {
    Accepted {
        form: RegisteredForm,
        /// The person's rights at the PCSA after the form.
        rights: Vec<Right>,
        /// The same, with the decisions behind them.
        decided: Vec<DatedRight>,
        event: Option<ChangeEvent>,
        /// The PCSA's own inscriptions the form changes (a withdrawal ends them).
        inscriptions: Vec<OwnInscriptions>,
    },
    /// The same form (same CPAS, content and reference) was accepted and is still in
    /// force (for a status-9 C: what it withdrew is still withdrawn): nothing changes
    /// and the client gets the same attestation.
    AlreadyRegistered(Attestation),
    Rejected(Vec<FormError>),
}

/// The time and numbering the register supplies.
pub struct Registration {
    pub number: u64,
    pub now_ms: i64,
    pub today: Date,
}

pub fn register(
    form: Form,
    history: &History<'_>,
    at: &Registration,
    mut errors: Vec<FormError>,
) -> Outcome {
    let pcsa = form.pcsa();
    let of_pcsa: Vec<&RegisteredForm> = history
        .forms
        .iter()
        .filter(|f| f.form.pcsa() == pcsa)
        .collect();
    let in_force = timeline::forms_in_force(&of_pcsa);
    if let Some(same) = already_registered(&form, &of_pcsa, &in_force) {
        return Outcome::AlreadyRegistered(same);
    }

    match history.person.map(|p| p.status) {
        Some(RegisterStatus::Active) => {}
        None => errors.push(FormError::new(
            ErrorCode::PersonNotInRegister,
            "ssin",
            format!("{} is not in the register", form.ssin()),
        )),
        Some(RegisterStatus::Replaced { by }) => errors.push(FormError::new(
            ErrorCode::PersonNotInRegister,
            "ssin",
            format!(
                "{} was replaced by {by}: send the form under the new number",
                form.ssin()
            ),
        )),
        Some(RegisterStatus::Cancelled) => errors.push(FormError::new(
            ErrorCode::PersonNotInRegister,
            "ssin",
            format!("{} was cancelled in the register", form.ssin()),
        )),
    }
    match &form {
        Form::B(b) => {
            errors.extend(b.check(at.today));
            // The rights as the CPAS's decisions make them before this form.
            let before = timeline::stretches(&in_force);
            if !b.regularisation
                && let Some(running) = running_b_of_date(&before, b)
            {
                errors.push(FormError::new(
                    ErrorCode::RegularisationRequired,
                    "status",
                    format!(
                        "form {running} of {} with entry date {} is accepted and in force: send the correction with status 1, which replaces it",
                        b.ssin, b.entry_date
                    ),
                ));
            }
            measure_history::check(b, &before, &mut errors);
            if b.regularisation && !in_force.iter().any(|f| same_date_b(f, b)) {
                errors.push(FormError::new(
                    ErrorCode::NothingToRegularise,
                    "status",
                    format!(
                        "status 1 regularises an accepted form B of {} with entry date {}, and there is none",
                        b.ssin, b.entry_date
                    ),
                ));
            }
            if let Some(premium) = b.installation_premium.filter(|a| !a.is_zero()) {
                check_installation_premium(b, premium, history.forms, &before, &mut errors);
            }
        }
        Form::C(c) => {
            errors.extend(c.check(at.today));
            let accepted_cs = in_force.iter().filter_map(|f| match &f.form {
                Form::C(old) => Some(old),
                Form::B(_) | Form::D(_) => None,
            });
            match c.status {
                CStatus::New => {}
                CStatus::Regularisation => {
                    if !accepted_cs
                        .clone()
                        .any(|old| old.entry_date == c.entry_date)
                    {
                        errors.push(FormError::new(
                            ErrorCode::NothingToRegularise,
                            "status",
                            format!(
                                "status 1 regularises an accepted form C of {} with entry date {}, and there is none",
                                c.ssin, c.entry_date
                            ),
                        ));
                    }
                }
                CStatus::Withdrawal => {
                    if !accepted_cs.clone().any(|old| old.same_decision(c)) {
                        errors.push(FormError::new(
                            ErrorCode::NothingToWithdraw,
                            "status",
                            "status 9 withdraws an accepted form C with exactly the same data, and there is none",
                        ));
                    }
                }
            }
        }
        Form::D(d) => {
            errors.extend(d.check());
            check_recovery(d, &in_force, &mut errors);
        }
    }
    if !errors.is_empty() {
        return Outcome::Rejected(errors);
    }

    let registered = RegisteredForm {
        number: at.number,
        attestation: Attestation::new(form.letter(), at.number),
        registered_at_ms: at.now_ms,
        form,
    };
    let mut with_new = of_pcsa;
    with_new.push(&registered);
    let in_force_after = timeline::forms_in_force(&with_new);
    let stretches = timeline::stretches(&in_force_after);
    let rights = timeline::rights_of(&stretches);
    let decided = decided::after(history.decided, &stretches, registered.registered_at_ms);
    let event = ChangeEvent::between(history.rights, &rights);
    let inscriptions =
        directory::after_registration(&registered, &in_force, &stretches, history.own_inscriptions);
    Outcome::Accepted {
        form: registered,
        rights,
        decided,
        event,
        inscriptions,
    }
}

fn same_date_b(f: &RegisteredForm, b: &FormB) -> bool {
    matches!(&f.form, Form::B(old) if old.entry_date == b.entry_date)
}

/// The attestation `form` already has: the same form in force, or, for a status-9 C,
/// the same withdrawal while the C it withdrew is still withdrawn (the answer to a
/// client that sends it again, not having seen the first answer).
fn already_registered(
    form: &Form,
    of_pcsa: &[&RegisteredForm],
    in_force: &[RegisteredForm],
) -> Option<Attestation> {
    if let Some(same) = in_force.iter().find(|f| f.form == *form) {
        return Some(same.attestation.clone());
    }
    let Form::C(c) = form else { return None };
    if c.status != CStatus::Withdrawal
        || in_force
            .iter()
            .any(|f| matches!(&f.form, Form::C(old) if old.same_decision(c)))
    {
        return None;
    }
    of_pcsa
        .iter()
        .filter(|f| f.form == *form)
        .max_by_key(|f| f.number)
        .map(|f| f.attestation.clone())
}

/// The accepted B of `b`'s date whose right still has days: a status-0 B of its date
/// would silently replace it, and the note makes a correction a regularisation
/// (rubric 80). A B that a withdrawal emptied is history: a new B from its date is a
/// new decision.
fn running_b_of_date(before: &[Stretch<'_>], b: &FormB) -> Option<Attestation> {
    before
        .iter()
        .find(|s| s.b.entry_date == b.entry_date && s.period.is_some())
        .map(|s| s.form.attestation.clone())
}

/// Rubric 62: the installation premium, « toujours du montant mensuel applicable pour
/// la catégorie E », is granted once in a life. A B that revises or regularises one of
/// the CPAS's own that granted it restates it, as rubric 4 asks (« TOUTES les données
/// [...] doivent être reprises »): that is no second premium, and it restates the same
/// amount. The B it continues is the one of its date it regularises, or the one whose
/// right runs on the day before its entry date.
fn check_installation_premium(
    b: &FormB,
    premium: Amount,
    forms: &[RegisteredForm],
    before: &[Stretch<'_>],
    errors: &mut Vec<FormError>,
) {
    let eve = b.entry_date.pred();
    let continued = before.iter().rev().find(|s| {
        let regularised = b.regularisation && s.b.entry_date == b.entry_date;
        let revised = s
            .period
            .zip(eve)
            .is_some_and(|(p, eve)| p.begin() <= eve && eve <= p.end());
        (regularised || revised) && s.b.installation_premium.is_some_and(|a| !a.is_zero())
    });
    if let Some(s) = continued
        && let Some(granted) = s.b.installation_premium
    {
        if granted != premium {
            errors.push(FormError::new(
                ErrorCode::InstallationPremiumAmount,
                "installationPremium",
                format!(
                    "this form continues form {}, which granted the installation premium of {granted}: it restates that amount, not {premium}",
                    s.form.attestation
                ),
            ));
        }
        return;
    }
    if let Some(earlier) = premium_granted(forms) {
        errors.push(FormError::new(
            ErrorCode::InstallationPremiumAlreadyGranted,
            "installationPremium",
            format!(
                "the installation premium is granted once in a life, and {} already got it (form {})",
                b.ssin, earlier
            ),
        ));
    }
    if let Some(monthly) = category_amounts::monthly(Category::E, b.entry_date)
        && (premium.cents() - monthly.cents()).abs() > 1
    {
        errors.push(FormError::new(
            ErrorCode::InstallationPremiumAmount,
            "installationPremium",
            format!(
                "the installation premium is the monthly amount of category E, {monthly} on {}, not {premium}",
                b.entry_date
            ),
        ));
    }
}

/// An accepted B in force, at any PCSA, that granted the installation premium since
/// 1 January 1997 (« Depuis le 1er janvier 1997, cette majoration ne peut être
/// octroyée qu'une seule fois pendant la vie de l'intéressé »).
fn premium_granted(forms: &[RegisteredForm]) -> Option<Attestation> {
    let since = Date::from_ymd(1997, 1, 1).ok()?;
    let pcsas: std::collections::BTreeSet<CbeNumber> =
        forms.iter().map(|f| f.form.pcsa()).collect();
    pcsas.into_iter().find_map(|pcsa| {
        let of_pcsa: Vec<&RegisteredForm> =
            forms.iter().filter(|f| f.form.pcsa() == pcsa).collect();
        timeline::forms_in_force(&of_pcsa)
            .into_iter()
            .find_map(|f| match &f.form {
                Form::B(old)
                    if old.entry_date >= since
                        && old.installation_premium.is_some_and(|a| !a.is_zero()) =>
                {
                    Some(f.attestation.clone())
                }
                _ => None,
            })
    })
}

/// The checks of a D against the CPAS's own history: its sequence number, what it
/// regularises, and that it recovers no more than was granted for the period.
fn check_recovery(d: &FormD, in_force: &[RegisteredForm], errors: &mut Vec<FormError>) {
    let earlier_ds = in_force.iter().filter_map(|f| match &f.form {
        Form::D(old) if old.ssin == d.ssin && old.recovery_month == d.recovery_month => Some(old),
        _ => None,
    });
    if d.regularisation {
        if !earlier_ds.clone().any(|old| old.same_slot(d)) {
            errors.push(FormError::new(
                ErrorCode::NothingToRegularise,
                "status",
                format!(
                    "status 1 regularises an accepted form D of {} for {} with sequence number {}, and there is none",
                    d.ssin, d.recovery_month, d.sequence
                ),
            ));
        }
    } else {
        let expected = earlier_ds.count() + 1;
        if usize::from(d.sequence) != expected {
            errors.push(FormError::new(
                ErrorCode::SequenceNumber,
                "sequenceNumber",
                format!(
                    "this is form D number {expected} for {} and {}, not {}",
                    d.ssin, d.recovery_month, d.sequence
                ),
            ));
        }
    }
    if d.period_start > d.period_end {
        return;
    }
    let Some(kind) = recovery::recovery_type(d.recovery_type).map(|t| t.of) else {
        return;
    };
    if let Some(granted) = granted_for(kind, in_force, d.period_start, d.period_end)
        && d.amount > granted
    {
        errors.push(FormError::new(
            ErrorCode::RecoveryAboveGranted,
            "recoveredAmount",
            format!(
                "{} recovered, but this CPAS granted {granted} for {} to {}",
                d.amount, d.period_start, d.period_end
            ),
        ));
    }
}

/// What the Bs in force granted over `[start, end]` for this kind of recovery; `None`
/// when it cannot be known (a B without its annual amount, or a kind of amount the
/// forms do not carry).
fn granted_for(
    kind: RecoveryOf,
    in_force: &[RegisteredForm],
    start: Date,
    end: Date,
) -> Option<Amount> {
    let mut total = Amount::ZERO;
    for s in timeline::segments(in_force) {
        if s.period.end() < start || s.period.begin() > end {
            continue;
        }
        let granted = match kind {
            RecoveryOf::IntegrationIncome => recovery::granted_between(
                s.b.annual_amount?,
                s.period.begin(),
                s.period.end(),
                start,
                end,
            ),
            RecoveryOf::InstallationPremium => s.b.installation_premium.unwrap_or(Amount::ZERO),
            RecoveryOf::Other => return None,
        };
        total = Amount::from_cents(total.cents().saturating_add(granted.cents()));
    }
    (kind != RecoveryOf::Other).then_some(total)
}
