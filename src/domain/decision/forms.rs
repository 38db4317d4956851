//! Forms B (grant, revision, extension) and C (refusal, withdrawal) as a CPAS sends
//! them, with the checks that need nothing but the form itself (seed 003, one rubric
//! at a time). Checks against the person's history are in `register.rs`.

use serde::{Deserialize, Serialize};

use super::category_amounts;
use super::duration::Duration;
use super::measures::{self, Measures, PerPerson};
use super::resources::{self, Resources};
use super::rules::{ErrorCode, FormError};
use crate::domain::{Amount, Category, CbeNumber, Date, InsCode, RightKind, Ssin};

/// Rubric 81 / 22: "un numéro de référence comportant maximum 12 positions".
pub const MAX_REFERENCE: usize = 12;

/// Rubric 12, real-life situation: the codes and the dates they are valid at.
/// "jusqu'au 31/12/2004", "après le 01/01/2005" and "après le 30/03/2007" are read as
/// up to and including, and from, those days: the 2005 codes take over from those
/// valid until 2004 with no day between, and 2007's are the same words. Code 20 has
/// neither a meaning nor a date in the note, but rubric 15 names it among category
/// A's situations: it is valid at any date.
fn situation_validity(code: u8) -> Option<(Option<Date>, Option<Date>)> {
    let until_2004 = Date::from_ymd(2004, 12, 31).ok();
    let from_2005 = Date::from_ymd(2005, 1, 1).ok();
    match code {
        1 | 3 | 4 | 9 | 10 | 11 | 12 | 17 | 18 | 20 => Some((None, None)),
        2 | 5..=8 | 13..=16 | 19 => Some((None, until_2004)),
        21..=43 => Some((from_2005, None)),
        44 => Some((Date::from_ymd(2007, 3, 30).ok(), None)),
        _ => None,
    }
}

/// Rubric 15's compatibility table (error 420408): the situations that study grant
/// codes 0–1 (no partner) and 2–5 (with a partner) may go with. Situation codes the
/// table does not name (2, 5–8, 13–16: valid only until 2004, before the control
/// existed) are not checked.
fn study_grant_fits(study_grant: u8, situation: u8) -> bool {
    // The note's lists for category A (1 … 44) and category B (12, 17, 18, 19, 44).
    const WITHOUT_PARTNER: [u8; 18] = [
        1, 3, 4, 9, 10, 11, 12, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 44,
    ];
    const WITH_PARTNER: [u8; 20] = [
        17, 18, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
    ];
    let named = |s: u8| WITHOUT_PARTNER.contains(&s) || WITH_PARTNER.contains(&s);
    if !named(situation) {
        return true;
    }
    match study_grant {
        0 | 1 => WITHOUT_PARTNER.contains(&situation),
        _ => WITH_PARTNER.contains(&situation),
    }
}

/// Rubric 82: why the payment of the integration income is suspended (the right
/// itself stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Suspension {
    /// Code 1: no precise reason given.
    Unspecified,
    /// Code 2: departure abroad (always total).
    DepartureAbroad,
    /// Code 3: sanction for a false declaration.
    FalseDeclaration,
    /// Code 4: detention.
    Detention,
    /// Code 5: sanction for not respecting the individual integration project.
    IntegrationProjectBreach,
}

impl Suspension {
    /// Code 0 is "no suspension".
    pub fn from_code(code: u8) -> Option<Option<Suspension>> {
        Some(match code {
            0 => None,
            1 => Some(Suspension::Unspecified),
            2 => Some(Suspension::DepartureAbroad),
            3 => Some(Suspension::FalseDeclaration),
            4 => Some(Suspension::Detention),
            5 => Some(Suspension::IntegrationProjectBreach),
            _ => return None,
        })
    }

    pub fn code(self) -> u8 {
        match self {
            Suspension::Unspecified => 1,
            Suspension::DepartureAbroad => 2,
            Suspension::FalseDeclaration => 3,
            Suspension::Detention => 4,
            Suspension::IntegrationProjectBreach => 5,
        }
    }
}

/// The CPAS a form comes from (rubrics 1 and 2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sender {
    pub name: String,
    pub ins: InsCode,
    pub cbe: CbeNumber,
}

/// Form B: grant, revision or extension of the right.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormB {
    pub sender: Sender,
    pub ssin: Ssin,
    pub kind: RightKind,
    /// Rubric 4: from when the data of the form apply.
    pub entry_date: Date,
    /// Rubric 11.
    pub category: Category,
    /// Rubric 12, real-life situation (1–44).
    pub situation: u8,
    /// Rubric 13: 0 population register, 1 foreigners' register, 3 neither / reference address.
    pub national_register: u8,
    /// Rubric 14: leaves homelessness by taking a main residence.
    pub homeless: bool,
    /// Rubric 15 (0–5).
    pub study_grant: u8,
    /// Rubric 16, mandatory for category E.
    pub partner: Option<Ssin>,
    /// Rubric 51.
    pub duration: Duration,
    /// Rubric 52.
    pub decision_date: Date,
    /// Rubric 61: the annual integration income actually granted.
    pub annual_amount: Option<Amount>,
    /// Rubric 62: the installation premium (monthly amount of category E), once in a life.
    pub installation_premium: Option<Amount>,
    /// Rubric 80: `true` = regularisation (code 1) of an accepted B of the same date.
    pub regularisation: bool,
    /// Rubric 81.
    pub reference: Option<String>,
    /// Rubric 82.
    pub suspension: Option<Suspension>,
    /// Rubric 83: granted by a judgement of the labour court.
    pub judgement: bool,
    /// Rubrics 21–25 and 63–72, per person. (These two come last: a store written
    /// before they existed holds forms B that end here, see the store's migration.)
    pub measures: Box<PerPerson<Measures>>,
    /// Rubrics 31–42. (Both boxed: most forms leave them empty, and a form travels by
    /// value through the register.)
    pub resources: Box<Resources>,
}

/// Rubric 12 of form C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Nature {
    /// Code 1.
    Refusal,
    /// Code 2.
    Withdrawal,
}

/// Rubric 21 of form C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CStatus {
    /// Code 0.
    New,
    /// Code 1: replaces the accepted C of the same SSIN and entry date.
    Regularisation,
    /// Code 9: withdraws the accepted C that has exactly the same data.
    Withdrawal,
}

/// Form C: refusal or withdrawal of the right.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormC {
    pub sender: Sender,
    pub ssin: Ssin,
    /// Rubric 4: from when the running B is no longer valid.
    pub entry_date: Date,
    /// Rubric 11.
    pub decision_date: Date,
    pub nature: Nature,
    /// Rubric 13: the day the beneficiary no longer has the right, for a retroactive stop.
    pub effective_stop: Option<Date>,
    pub status: CStatus,
    pub reference: Option<String>,
}

impl FormC {
    /// The first day without right that a withdrawal sets.
    pub fn cut(&self) -> Date {
        self.effective_stop.unwrap_or(self.entry_date)
    }

    /// "Exactement les mêmes données": every rubric but the status (and the CPAS's own
    /// reference, which is bookkeeping, not data of the decision).
    pub fn same_decision(&self, other: &FormC) -> bool {
        self.sender == other.sender
            && self.ssin == other.ssin
            && self.entry_date == other.entry_date
            && self.decision_date == other.decision_date
            && self.nature == other.nature
            && self.effective_stop == other.effective_stop
    }
}

pub(super) fn check_reference(reference: &Option<String>, errors: &mut Vec<FormError>) {
    if let Some(r) = reference
        && r.chars().count() > MAX_REFERENCE
    {
        errors.push(FormError::new(
            ErrorCode::ReferenceTooLong,
            "reference",
            format!(
                "the reference has {} characters, at most {MAX_REFERENCE} are allowed",
                r.chars().count()
            ),
        ));
    }
}

/// Form B carried the minimex (law of 7 August 1974) before the integration income
/// (law of 26 May 2002, from 1 October 2002): the note's statement layout still names
/// « Formulaire B minimex », and its rules continue decisions from before 2002
/// (rubric 24's « décisions en cours »). So a form may be dated from the minimex's law
/// on, and no earlier: before it, neither law gave a decision to send.
fn check_entry_date(entry: Date, errors: &mut Vec<FormError>) {
    let Ok(minimex) = Date::from_ymd(1974, 8, 7) else {
        return;
    };
    if entry < minimex {
        errors.push(FormError::new(
            ErrorCode::DateOutOfRange,
            "entryDate",
            format!(
                "the entry date {entry} is before the minimex (law of 7 August 1974), the first decisions these forms carry"
            ),
        ));
    }
}

/// The decision is taken before it is sent.
fn check_decision_date(decision: Date, today: Date, errors: &mut Vec<FormError>) {
    if decision > today {
        errors.push(FormError::new(
            ErrorCode::DateOutOfRange,
            "decisionDate",
            format!("the decision date {decision} is after today ({today})"),
        ));
    }
}

impl FormB {
    /// The last day of the decision (entry date plus duration); `None` when the
    /// duration is empty (which `check` reports).
    pub fn last_day(&self) -> Option<Date> {
        self.duration.last_day(self.entry_date)
    }

    /// Every error the form has on its own.
    pub fn check(&self, today: Date) -> Vec<FormError> {
        let mut errors = Vec::new();
        match situation_validity(self.situation) {
            None => errors.push(FormError::new(
                ErrorCode::Invalid,
                "realLifeSituation",
                format!(
                    "{} is not a real-life situation code (1–44)",
                    self.situation
                ),
            )),
            Some((from, until)) => {
                if from.is_some_and(|f| self.entry_date < f)
                    || until.is_some_and(|u| self.entry_date > u)
                {
                    let when = match (from, until) {
                        (Some(f), _) => format!("from {f}"),
                        (None, Some(u)) => format!("until {u}"),
                        (None, None) => String::new(),
                    };
                    errors.push(FormError::new(
                        ErrorCode::SituationNotValidAtDate,
                        "realLifeSituation",
                        format!(
                            "situation code {} is valid only {when}, the entry date is {}",
                            self.situation, self.entry_date
                        ),
                    ));
                }
            }
        }
        if !matches!(self.national_register, 0 | 1 | 3) {
            errors.push(FormError::new(
                ErrorCode::Invalid,
                "nationalRegisterInscription",
                format!(
                    "{} is not a National Register code (0, 1 or 3)",
                    self.national_register
                ),
            ));
        }
        if self.study_grant > 5 {
            errors.push(FormError::new(
                ErrorCode::Invalid,
                "studyGrant",
                format!("{} is not a study grant code (0–5)", self.study_grant),
            ));
        } else if situation_validity(self.situation).is_some()
            && !study_grant_fits(self.study_grant, self.situation)
        {
            errors.push(FormError::new(
                ErrorCode::StudyGrantNotValidForSituation,
                "studyGrant",
                format!(
                    "code bourse d'étude non valable pour la situation de fait: study grant {} \
                     does not fit real-life situation {}",
                    self.study_grant, self.situation
                ),
            ));
        }
        match self.partner {
            None if self.category == Category::E => errors.push(FormError::new(
                ErrorCode::PartnerRequired,
                "partnerSsin",
                "category E requires the partner's SSIN",
            )),
            Some(p) if p == self.ssin => errors.push(FormError::new(
                ErrorCode::PartnerIsBeneficiary,
                "partnerSsin",
                "the partner's SSIN is the beneficiary's",
            )),
            _ => {}
        }
        if self.duration.is_empty() {
            errors.push(FormError::new(
                ErrorCode::DurationMissing,
                "duration",
                "the duration needs at least one of months, weeks or days",
            ));
        } else if self.last_day().is_none() {
            errors.push(FormError::new(
                ErrorCode::Invalid,
                "duration",
                format!(
                    "a decision from {} for this duration would end after {}, the last day the register supports",
                    self.entry_date,
                    Date::MAX
                ),
            ));
        }
        check_entry_date(self.entry_date, &mut errors);
        check_decision_date(self.decision_date, today, &mut errors);
        for (field, amount) in [
            ("annualAmount", self.annual_amount),
            ("installationPremium", self.installation_premium),
        ] {
            if amount.is_some_and(|a| a.cents() < 0) {
                errors.push(FormError::new(
                    ErrorCode::Invalid,
                    field,
                    "an amount granted cannot be negative",
                ));
            }
        }
        match self.suspension {
            Some(s) => self.check_suspension(s, &mut errors),
            None => self.check_income(&mut errors),
        }
        check_reference(&self.reference, &mut errors);
        measures::check(self, &mut errors);
        resources::check(&self.resources, &mut errors);
        errors
    }

    /// Rubric 61: the income granted is the category's amount or a complement of it
    /// (« Un complément du revenu d'intégration sera octroyé lorsque le montant des
    /// ressources [...] sera inférieur au montant du revenu d'intégration selon la
    /// catégorie »), so never more. For the integration income only: the equivalent
    /// aid of the law of 1965 is the CPAS's to set, the State refunding up to these
    /// amounts.
    fn check_income(&self, errors: &mut Vec<FormError>) {
        if self.kind != RightKind::LivingWage {
            return;
        }
        if let Some(amount) = self.annual_amount
            && let Some(limit) = category_amounts::yearly(self.category, self.entry_date)
            && amount > limit
        {
            errors.push(FormError::new(
                ErrorCode::IncomeAboveCategory,
                "annualAmount",
                format!(
                    "the integration income of category {} is {limit} a year from {}: {amount} is more",
                    self.category,
                    category_amounts::in_force_since(self.entry_date).unwrap_or(self.entry_date)
                ),
            ));
        }
    }

    /// Rubric 82: "le montant du RIS ... doit soit être égal à 0 (suspension totale),
    /// soit être inférieur au montant de la catégorie RIS ... Dans le cas du départ à
    /// l'étranger, la suspension est toujours totale."
    fn check_suspension(&self, s: Suspension, errors: &mut Vec<FormError>) {
        let Some(amount) = self.annual_amount else {
            errors.push(FormError::new(
                ErrorCode::SuspensionAmount,
                "annualAmount",
                format!(
                    "a suspension (code {}) needs the annual integration income: 0, or below \
                     the category's amount",
                    s.code()
                ),
            ));
            return;
        };
        if amount.is_zero() {
            return;
        }
        if s == Suspension::DepartureAbroad {
            errors.push(FormError::new(
                ErrorCode::SuspensionAmount,
                "annualAmount",
                format!("a departure abroad suspends the income totally: the annual amount must be 0, not {amount}"),
            ));
        } else if let Some(limit) = category_amounts::yearly(self.category, self.entry_date)
            && amount >= limit
        {
            errors.push(FormError::new(
                ErrorCode::SuspensionAmount,
                "annualAmount",
                format!(
                    "a partial suspension needs an annual amount below {limit} (category {}), not {amount}",
                    self.category
                ),
            ));
        }
    }
}

impl FormC {
    pub fn check(&self, today: Date) -> Vec<FormError> {
        let mut errors = Vec::new();
        check_entry_date(self.entry_date, &mut errors);
        check_decision_date(self.decision_date, today, &mut errors);
        check_reference(&self.reference, &mut errors);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn situation_codes_have_their_dates() {
        let d = |y, m, dd| Date::from_ymd(y, m, dd).unwrap();
        let valid = |code, at: Date| {
            let (from, until) = situation_validity(code).unwrap();
            from.is_none_or(|f| at >= f) && until.is_none_or(|u| at <= u)
        };
        assert!(valid(2, d(2004, 12, 31)));
        assert!(!valid(2, d(2005, 1, 1)));
        assert!(valid(21, d(2005, 1, 1)));
        assert!(!valid(21, d(2004, 12, 31)));
        assert!(!valid(44, d(2007, 3, 29)));
        assert!(valid(44, d(2007, 3, 30)));
        // Code 20, listed without a meaning or a date, at either end of time.
        assert!(valid(20, d(1990, 1, 1)) && valid(20, d(2030, 1, 1)));
        assert!(valid(12, d(1999, 1, 1)) && valid(12, d(2030, 1, 1)));
        assert!(situation_validity(0).is_none() && situation_validity(45).is_none());
    }

    #[test]
    fn study_grant_table_of_rubric_15() {
        // Codes 0 and 1 go with the situations of categories A and B ...
        for s in [1, 3, 4, 9, 10, 11, 12, 17, 18, 19, 20, 21, 26, 44] {
            assert!(study_grant_fits(0, s) && study_grant_fits(1, s), "{s}");
        }
        // ... codes 2 to 5 with the situations of category E.
        for s in [17, 18, 27, 28, 35, 43, 44] {
            assert!((2..=5).all(|g| study_grant_fits(g, s)), "{s}");
        }
        assert!(!study_grant_fits(2, 12));
        assert!(!study_grant_fits(5, 1));
        assert!(!study_grant_fits(0, 28));
        assert!(!study_grant_fits(1, 43));
    }
}
