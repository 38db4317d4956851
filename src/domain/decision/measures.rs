//! Form B's employment and integration measures (rubrics 21–25) and the State
//! subsidies that pay for them (rubrics 63–72), for the beneficiary and for the
//! partner, with the regional and dated rules of seed 003 that decide which codes a
//! CPAS may still use.

use serde::{Deserialize, Serialize};

use super::area::Area;
use super::category_amounts;
use super::forms::FormB;
use super::rules::{ErrorCode, FormError};
use crate::domain::{Amount, Category, Date, Ssin};

/// Something form B gives separately for the beneficiary ("demandeur") and for the
/// partner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PerPerson<T> {
    pub beneficiary: T,
    pub partner: T,
}

/// Which side of a `PerPerson` a rule is about; it also names the element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Beneficiary,
    Partner,
}

impl Who {
    pub fn element(self) -> &'static str {
        match self {
            Who::Beneficiary => "beneficiary",
            Who::Partner => "partner",
        }
    }
}

impl<T> PerPerson<T> {
    pub fn each(&self) -> [(Who, &T); 2] {
        [
            (Who::Beneficiary, &self.beneficiary),
            (Who::Partner, &self.partner),
        ]
    }
}

/// The element path of a per-person rubric, as a static string for `FormError`.
macro_rules! at {
    ($who:expr, $prefix:literal, $leaf:literal) => {
        match $who {
            Who::Beneficiary => concat!($prefix, "beneficiary/", $leaf),
            Who::Partner => concat!($prefix, "partner/", $leaf),
        }
    };
}
pub(crate) use at;

/// Rubric 21: employment under article 60 §7 of the organic law of the CPAS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Art60Employment {
    /// 1–8: what the employment is for, with regional codes (21.a).
    pub employment_type: Option<u8>,
    /// 1 half-time, 2 between half- and full-time, 3 full-time (work before 2025).
    pub work_schedule: Option<u8>,
    /// 10–100 %, which replaces the schedule in Wallonia from 2025.
    pub occupation_rate: Option<u8>,
    /// 1–21: where the person works (21.d).
    pub workplace: Option<u8>,
    /// The local initiative's number (1299: the Walloon social economy).
    pub initiative: Option<String>,
}

/// Rubrics 63–72 for one person: annual State subsidies, except the partnership
/// convention's, which is per convention.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subsidies {
    /// Rubrics 63/64.
    pub art60: Option<Amount>,
    /// Rubrics 65/66: guidance premium or training allowance.
    pub art61: Option<Amount>,
    /// Rubrics 67/68: the activation measure of rubric 24.
    pub activation: Option<Amount>,
    /// Rubrics 69/70: the partnership convention of rubric 25.
    pub partnership_convention: Option<Amount>,
    /// Rubrics 71/72: half the maintenance the person pays.
    pub alimony: Option<Amount>,
}

impl Subsidies {
    /// Each subsidy with its element path.
    fn each(&self, who: Who) -> [(&'static str, Option<Amount>); 5] {
        [
            (at!(who, "subsidies/", "art60"), self.art60),
            (at!(who, "subsidies/", "art61"), self.art61),
            (at!(who, "subsidies/", "activation"), self.activation),
            (
                at!(who, "subsidies/", "partnershipConvention"),
                self.partnership_convention,
            ),
            (at!(who, "subsidies/", "alimony"), self.alimony),
        ]
    }
}

/// Rubrics 21–25 and 63–72 for one person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Measures {
    pub art60: Option<Art60Employment>,
    /// Rubric 22, 1–9.
    pub socio_professional_integration: Option<u8>,
    /// Rubric 23: the individualised integration project (PIIS), 1–12 and 15–20.
    pub integration_project: Option<u8>,
    /// Rubric 24, 1–19.
    pub activation: Option<u8>,
    /// Rubric 25: 1 (at least 50 hours of guidance) or 2 (at least 100).
    pub partnership_convention: Option<u8>,
    pub subsidies: Subsidies,
}

impl Measures {
    pub fn is_empty(&self) -> bool {
        *self == Measures::default()
    }
}

/// The code lists, for the contract reader.
pub const EMPLOYMENT_TYPES: std::ops::RangeInclusive<u8> = 1..=8;
pub const WORK_SCHEDULES: std::ops::RangeInclusive<u8> = 1..=3;
pub const OCCUPATION_RATES: std::ops::RangeInclusive<u8> = 10..=100;
pub const WORKPLACES: std::ops::RangeInclusive<u8> = 1..=21;
pub const SOCIO_PROFESSIONAL: std::ops::RangeInclusive<u8> = 1..=9;
pub const ACTIVATIONS: std::ops::RangeInclusive<u8> = 1..=19;
pub const PARTNERSHIP_CONVENTIONS: std::ops::RangeInclusive<u8> = 1..=2;

/// Rubric 23 has no codes 13 and 14.
pub fn is_integration_project(code: u8) -> bool {
    matches!(code, 1..=12 | 15..=20)
}

/// Rubric 24's social-economy insertion (SINE) codes.
const SINE: [u8; 3] = [12, 13, 18];

/// Workplace code 15 with initiative 1299: the Walloon social economy.
const SOCIAL_ECONOMY: u8 = 15;
/// Workplace codes 19 and 21: a contract signed before 25, subsidy plus 25 %.
const YOUNG: [u8; 2] = [19, 21];
/// PIIS code 10: a full-time student who also earns an income from work.
const WORKING_STUDENT: u8 = 10;

fn day(y: i32, m: u32, d: u32) -> Date {
    // Only called with the real calendar dates below.
    Date::from_ymd(y, m, d).unwrap_or(Date::MIN)
}

/// Rubric 21.a: from and until when (inclusive) an employment type may be used, and
/// where.
fn employment_type_rule(code: u8, area: Area, at: Date) -> Result<(), String> {
    match code {
        1 | 2 if area == Area::Flanders && at >= day(2020, 1, 1) => {
            Err("codes 1 and 2 no longer apply in Flanders from 2020-01-01".into())
        }
        1 | 2 if area == Area::Brussels && at >= day(2022, 1, 1) => Err(
            "codes 1 and 2 apply in Brussels only to contracts concluded before 2020, until 2021-12-31"
                .into(),
        ),
        3 | 4 if area != Area::Flanders || at < day(2017, 1, 1) => {
            Err("codes 3 and 4 apply only in Flanders, from 2017-01-01".into())
        }
        5 | 6 if area != Area::Brussels || at < day(2020, 1, 1) => {
            Err("codes 5 and 6 apply only in the Brussels Region, from 2020-01-01".into())
        }
        7 | 8 if area != Area::Wallonia || at < day(2025, 1, 1) => Err(
            "codes 7 and 8 apply only in the Walloon Region (not the German-speaking Community), from 2025-01-01"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// Rubric 23: the project codes abolished on a date (valid until the day before).
fn integration_project_ends(code: u8) -> Option<Date> {
    match code {
        1..=7 => Some(day(2016, 11, 1)),
        12 | 15 | 16 | 18 | 20 => Some(day(2018, 10, 1)),
        _ => None,
    }
}

/// Rubric 24 and its amounts under rubric 67: the highest annual subsidy, in cents,
/// for the codes the note prices (code 19 is a sum of others, so not bounded here).
fn activation_ceiling(code: u8) -> Option<i64> {
    Some(match code {
        1 => 178_488,
        2 => 300_000,
        3 => 360_000,
        4 => 356_967,
        5 => 416_461,
        6 => 390_000,
        7 => 450_000,
        8 | 12 => 522_000,
        9 | 13 => 654_000,
        10 => 520_572,
        11 => 654_444,
        14 | 15 | 18 => 600_000,
        16 => 1_080_000,
        17 => 1_320_000,
        _ => return None,
    })
}

/// What rubric 24 allows where and when, with the seed's own codes for Wallonia.
fn activation_rule(code: u8, area: Area, at: Date) -> Result<(), (ErrorCode, String)> {
    const PTP: std::ops::RangeInclusive<u8> = 2..=9;
    let not_applicable = |why: &str| Err((ErrorCode::MeasureNotApplicable, why.to_owned()));
    match area {
        Area::Flanders if at >= day(2017, 1, 1) && !SINE.contains(&code) => {
            not_applicable("in Flanders only codes 12, 13 and 18 remain from 2017-01-01")
        }
        Area::Wallonia if at >= day(2017, 7, 1) && PTP.contains(&code) => Err((
            ErrorCode::WalloonConfirmationRequired,
            "A partir du 01/07/2017, cette aide implique une confirmation de la Région Wallonne"
                .into(),
        )),
        Area::Wallonia if at >= day(2017, 7, 1) && (14..=17).contains(&code) => Err((
            ErrorCode::EmploymentTypeNotValid,
            "type de mise au travail non valable: Activa and insertion temping are refused \
             in Wallonia from 2017-07-01"
                .into(),
        )),
        Area::GermanSpeaking
            if at >= day(2019, 1, 1) && (PTP.contains(&code) || SINE.contains(&code)) =>
        {
            not_applicable("SINE and PTP end in the German-speaking Community on 2019-01-01")
        }
        Area::Brussels
            if at >= day(2021, 1, 1) && (PTP.contains(&code) || SINE.contains(&code)) =>
        {
            not_applicable("SINE and PTP end in the Brussels-Capital Region on 2021-01-01")
        }
        _ => Ok(()),
    }
}

/// Wallonia from 2025: one flat annual subsidy, prorated by the occupation rate. The
/// note gives the 2025 amounts only, so later years are not bounded here.
fn walloon_flat_rate(art60: &Art60Employment, art61: bool, at: Date) -> Option<Amount> {
    if at.year() != 2025 {
        return None;
    }
    let rate = i64::from(art60.occupation_rate?);
    let yearly = match art60.workplace {
        _ if art61 => 3_160_272,
        Some(SOCIAL_ECONOMY) => 3_812_328,
        Some(w) if YOUNG.contains(&w) => 3_659_052,
        _ => 3_160_272,
    };
    // Rounded to the nearest cent, as the note's 4/5 example (25,282.18).
    Some(Amount::from_cents((yearly * rate + 50) / 100))
}

fn above(amount: Amount, ceiling_cents: i64) -> bool {
    amount.cents() > ceiling_cents
}

/// The day `ssin`'s holder turns `age`, by the birth date the number gives; born on
/// 29 February, 1 March of a common year.
fn birthday(ssin: &Ssin, age: i32) -> Option<Date> {
    let birth = ssin.birth_date()?;
    Date::from_ymd(birth.year() + age, birth.month(), birth.day())
        .or_else(|_| Date::from_ymd(birth.year() + age, 3, 1))
        .ok()
}

/// Every error of rubrics 21–25 and 63–72.
pub(super) fn check(form: &FormB, errors: &mut Vec<FormError>) {
    let area = Area::of(&form.sender.ins);
    let at = form.entry_date;
    // The Walloon Region's reform of articles 60 and 61 (rubric 21).
    let wallonia_2025 = area == Area::Wallonia && at >= day(2025, 1, 1);
    let mut err = |code, field, message: String| errors.push(FormError::new(code, field, message));

    if form.partner.is_none()
        && !(form.measures.partner.is_empty() && form.resources.income.partner.is_empty())
    {
        err(
            ErrorCode::PartnerRubricWithoutPartner,
            "partner",
            "rubrics about the partner need the partner's SSIN (rubric 16)".into(),
        );
    }
    let art60_somewhere = form
        .measures
        .each()
        .iter()
        .any(|(_, m)| m.subsidies.art60.is_some());
    let art61_somewhere = form
        .measures
        .each()
        .iter()
        .any(|(_, m)| m.subsidies.art61.is_some());
    if wallonia_2025 && art60_somewhere && art61_somewhere {
        err(
            ErrorCode::Art60AndArt61Combined,
            "subsidies",
            "from 2025-01-01 a Walloon form may not combine an article 60 and an article 61 subsidy".into(),
        );
    }

    for (who, m) in form.measures.each() {
        let ssin = match who {
            Who::Beneficiary => Some(&form.ssin),
            Who::Partner => form.partner.as_ref(),
        };
        if let Some(a) = &m.art60 {
            if let Some(t) = a.employment_type
                && let Err(why) = employment_type_rule(t, area, at)
            {
                err(
                    ErrorCode::MeasureNotApplicable,
                    at!(who, "", "art60Employment/employmentType"),
                    format!("employment type {t} at {at}: {why}"),
                );
            }
            if wallonia_2025 && a.work_schedule.is_some() {
                err(
                    ErrorCode::MeasureNotApplicable,
                    at!(who, "", "art60Employment/workSchedule"),
                    "in Wallonia, work from 2025-01-01 is described by the occupation rate, not the schedule".into(),
                );
            }
            if !wallonia_2025 && a.occupation_rate.is_some() {
                err(
                    ErrorCode::MeasureNotApplicable,
                    at!(who, "", "art60Employment/occupationRate"),
                    "the occupation rate applies only in Wallonia, from 2025-01-01".into(),
                );
            }
            // Code 19 "à partir du premier jour de travail ... jusqu'au maximum la veille
            // du 29ème anniversaire".
            if a.workplace == Some(19)
                && let Some(limit) = ssin.and_then(|s| birthday(s, 29))
                && at >= limit
            {
                err(
                    ErrorCode::MeasureNotApplicable,
                    at!(who, "", "art60Employment/workplace"),
                    format!(
                        "workplace code 19 (contract signed before 25) ends the day before the 29th birthday ({limit})"
                    ),
                );
            }
        }
        if m.socio_professional_integration == Some(9) && at < day(2024, 1, 1) {
            err(
                ErrorCode::MeasureNotApplicable,
                at!(who, "", "socioProfessionalIntegration"),
                "code 9 (shortage occupation) applies from 2024-01-01".into(),
            );
        }
        match m.integration_project {
            Some(p) => {
                if let Some(end) = integration_project_ends(p)
                    && at >= end
                {
                    err(
                        ErrorCode::MeasureNotApplicable,
                        at!(who, "", "integrationProject"),
                        format!("integration project code {p} was abolished on {end}"),
                    );
                }
                if p == WORKING_STUDENT {
                    if who == Who::Beneficiary && form.study_grant == 0 {
                        err(
                            ErrorCode::RubricRequired,
                            "studyGrant",
                            "a working student (integration project 10) needs a study grant code from 1 to 5".into(),
                        );
                    }
                    let income = match who {
                        Who::Beneficiary => &form.resources.income.beneficiary,
                        Who::Partner => &form.resources.income.partner,
                    };
                    if income.art35.is_some() {
                        err(
                            ErrorCode::Invalid,
                            at!(who, "", "professionalIncomeArt35"),
                            "a working student's (integration project 10) income goes in professionalIncome, not under article 35".into(),
                        );
                    }
                }
            }
            // "Le CPAS a obligation d'indiquer le code PIIS pour le bénéficiaire et le
            // partenaire" in category E; the equity exception is code 8.
            None if form.category == Category::E && ssin.is_some() => err(
                ErrorCode::RubricRequired,
                at!(who, "", "integrationProject"),
                "category E needs an integration project code for the beneficiary and the partner (8 when there is none for health or equity reasons)".into(),
            ),
            None => {}
        }
        if let Some(code) = m.activation
            && let Err((code_err, why)) = activation_rule(code, area, at)
        {
            err(
                code_err,
                at!(who, "", "activation"),
                format!("activation code {code}: {why}"),
            );
        }
        if m.partnership_convention.is_some() && area == Area::Wallonia && at >= day(2017, 1, 1) {
            err(
                ErrorCode::MeasureNotApplicable,
                at!(who, "", "partnershipConvention"),
                "partnership conventions ended for Walloon CPAS (but the German-speaking ones) on 2017-01-01".into(),
            );
        }
        // Rubric 63: « Lorsque le bénéficiaire est âgé de moins de 25 ans : + 25 % »,
        // and workplaces 19 and 21 keep it for a contract signed before 25.
        let young = m
            .art60
            .as_ref()
            .is_some_and(|a| a.workplace.is_some_and(|w| YOUNG.contains(&w)))
            || ssin
                .and_then(|s| birthday(s, 25))
                .is_some_and(|twenty_fifth| at < twenty_fifth);
        check_subsidies(who, m, area, at, young, &mut err);
    }
    check_duration(form, area, &mut err);
}

/// Measures that bound the form's duration: an article 60 subsidy for work in a
/// social-economy initiative ends with the year (rubric 63: « la durée du formulaire
/// B doit être limitée au 31/12 de l'année en cours », its ceiling being indexed each
/// 1 January), and a Brussels article 61 training premium from 2020 lasts at most a
/// month within one calendar month (rubric 65: « ne pourra déborder sur le mois
/// suivant »).
fn check_duration(form: &FormB, area: Area, err: &mut impl FnMut(ErrorCode, &'static str, String)) {
    let Some(last) = form.last_day() else { return };
    let at = form.entry_date;
    let people = form.measures.each();
    let social_economy = people.iter().any(|(_, m)| {
        m.subsidies.art60.is_some()
            && m.art60
                .as_ref()
                .is_some_and(|a| a.workplace == Some(SOCIAL_ECONOMY))
    });
    if social_economy && last.year() > at.year() {
        err(
            ErrorCode::DurationBeyondMeasure,
            "duration",
            format!(
                "an article 60 subsidy in a social-economy initiative (workplace 15) ends with the year: the form may last until {}-12-31, not {last}",
                at.year()
            ),
        );
    }
    let brussels_art61 = brussels_training_premium(area, at)
        && people.iter().any(|(_, m)| m.subsidies.art61.is_some());
    if brussels_art61 && (last.year(), last.month()) != (at.year(), at.month()) {
        err(
            ErrorCode::DurationBeyondMeasure,
            "duration",
            format!(
                "a Brussels article 61 training premium from 2020 is requested one month at a time, within the month: a form from {at} may last until the month's last day, not {last}"
            ),
        );
    }
}

/// Brussels from 1 January 2020: article 61 is a training premium of at most 3,000 per
/// person and CPAS over the 36 months after the first request, one month per form.
pub(super) fn brussels_training_premium(area: Area, at: Date) -> bool {
    area == Area::Brussels && at >= day(2020, 1, 1)
}

/// Rubric 65's ceilings « par mois de travail complet »: 125 half-time, 187.50 three
/// quarters, 200 four fifths, 250 full-time, a year's worth. Rubric 21's schedule says
/// only half-time (1), between half- and full-time (2) or full-time (3), so code 2 is
/// held to the higher of its two regimes, four fifths' 200; without a schedule only
/// full-time's 250 bounds it.
fn art61_ceiling(schedule: Option<u8>) -> i64 {
    match schedule {
        Some(1) => 150_000,
        Some(2) => 240_000,
        _ => 300_000,
    }
}

/// Rubric 63 outside the Walloon reform: full-time, the yearly amount of category E;
/// at least half-time and less than full-time, 6,000 (500 a month); 25 % more for the
/// young. Brussels' contracts from 2020 (types 5 and 6): « plafonnée au montant de la
/// catégorie 3 » full-time, and that amount « divisé par le régime de travail »
/// part-time, with no supplement for the young; rubric 21's schedule says half-time
/// (1) but not which part-time above it (2), so code 2 is held to the full amount. Not
/// bounded: the Flemish types 3 and 4 (the guaranteed minimum monthly income of
/// collective agreement 43) and the social economy (the gross salary cost, under an
/// annual ceiling the note does not give), nor forms before the integration income's
/// amounts (1 October 2002). Without a schedule, the full-time amount bounds it.
fn art60_ceiling(employment: &Art60Employment, at: Date, young: bool) -> Option<Amount> {
    if employment.workplace == Some(SOCIAL_ECONOMY) {
        return None;
    }
    let family = category_amounts::yearly(Category::E, at)?.cents();
    let schedule = employment.work_schedule;
    let cents = match employment.employment_type? {
        3 | 4 | 7 | 8 => return None,
        5 | 6 if schedule == Some(1) => (family + 1) / 2,
        5 | 6 => family,
        _ => {
            let base = match schedule {
                Some(1 | 2) => 600_000,
                _ => family,
            };
            if young { base + (base + 2) / 4 } else { base }
        }
    };
    Some(Amount::from_cents(cents))
}

fn check_subsidies(
    who: Who,
    m: &Measures,
    area: Area,
    at: Date,
    young: bool,
    err: &mut impl FnMut(ErrorCode, &'static str, String),
) {
    let wallonia_2025 = area == Area::Wallonia && at >= day(2025, 1, 1);
    let s = &m.subsidies;
    for (field, amount) in s.each(who) {
        if amount.is_some_and(|a| a.cents() < 0) {
            err(
                ErrorCode::Invalid,
                field,
                "a subsidy cannot be negative".into(),
            );
        }
    }
    for (amount, is_art61) in [(s.art60, false), (s.art61, true)] {
        let Some(amount) = amount else { continue };
        let field = if is_art61 {
            at!(who, "subsidies/", "art61")
        } else {
            at!(who, "subsidies/", "art60")
        };
        let article = if is_art61 { "61" } else { "60 §7" };
        let employment = m
            .art60
            .as_ref()
            .filter(|a| a.employment_type.is_some())
            .filter(|a| !wallonia_2025 || a.occupation_rate.is_some());
        // Article 61 needs rubric 21 only under the Walloon reform: « les rubriques type
        // de mise au travail et le taux d'occupation art.60 devront être remplis [...]
        // (ce qui n'était pas le cas auparavant) ».
        if employment.is_none() && (!is_art61 || wallonia_2025) {
            let needs = if wallonia_2025 {
                "the employment type and occupation rate"
            } else {
                "the employment type"
            };
            err(
                ErrorCode::RubricRequired,
                field,
                format!(
                    "an article {article} subsidy needs {needs} of rubric 21 (art60Employment)"
                ),
            );
            continue;
        }
        if wallonia_2025 {
            if let Some(employment) = employment
                && let Some(limit) = walloon_flat_rate(employment, is_art61, at)
                && amount > limit
            {
                err(
                    ErrorCode::SubsidyAboveCeiling,
                    field,
                    format!(
                        "the 2025 Walloon flat rate at {} % is {limit}, not {amount}",
                        employment.occupation_rate.unwrap_or(0)
                    ),
                );
            }
            // « La combinaison SINE + Art.60 [...] autorisée pour autant que la somme des
            // 2 demandes ne dépasse pas le forfait ».
            if let Some(employment) = employment
                && !is_art61
                && m.activation.is_some_and(|c| SINE.contains(&c))
                && let Some(sine) = s.activation
                && let Some(limit) = walloon_flat_rate(employment, false, at)
                && Amount::from_cents(amount.cents().saturating_add(sine.cents())) > limit
            {
                err(
                    ErrorCode::SubsidyAboveCeiling,
                    field,
                    format!(
                        "article 60 ({amount}) and the SINE activation ({sine}) together exceed the 2025 Walloon flat rate of {limit}"
                    ),
                );
            }
        } else if !is_art61 {
            if let Some(employment) = employment
                && let Some(limit) = art60_ceiling(employment, at, young)
                && amount > limit
            {
                err(
                    ErrorCode::SubsidyAboveCeiling,
                    field,
                    format!(
                        "the article 60 subsidy for this employment is at most {limit} a year from {at}, not {amount}"
                    ),
                );
            }
        } else if !brussels_training_premium(area, at) {
            let ceiling = art61_ceiling(employment.and_then(|a| a.work_schedule));
            if above(amount, ceiling) {
                err(
                    ErrorCode::SubsidyAboveCeiling,
                    field,
                    format!(
                        "the article 61 premium is at most {} a year for this schedule, not {amount}",
                        Amount::from_cents(ceiling)
                    ),
                );
            }
        }
    }
    /// A subsidy priced by the code of its measure.
    struct Coded {
        amount: Option<Amount>,
        code: Option<u8>,
        field: &'static str,
        measure: &'static str,
        ceiling: fn(u8) -> Option<i64>,
    }
    let coded = [
        Coded {
            amount: s.activation,
            code: m.activation,
            field: at!(who, "subsidies/", "activation"),
            measure: "the activation code of rubric 24",
            ceiling: activation_ceiling,
        },
        Coded {
            amount: s.partnership_convention,
            code: m.partnership_convention,
            field: at!(who, "subsidies/", "partnershipConvention"),
            measure: "the convention code of rubric 25",
            // 250 or 500 "par convention".
            ceiling: |code| Some(if code == 1 { 25_000 } else { 50_000 }),
        },
    ];
    for Coded {
        amount,
        code,
        field,
        measure,
        ceiling,
    } in coded
    {
        let Some(amount) = amount else { continue };
        match code {
            None => err(
                ErrorCode::RubricRequired,
                field,
                format!("this subsidy needs {measure}"),
            ),
            Some(code) => {
                if let Some(ceiling) = ceiling(code)
                    && above(amount, ceiling)
                {
                    err(
                        ErrorCode::SubsidyAboveCeiling,
                        field,
                        format!(
                            "code {code} is subsidised at most {}, not {amount}",
                            Amount::from_cents(ceiling)
                        ),
                    );
                }
            }
        }
    }
    // "50% de la pension alimentaire avec un maximum de 1.100 EUR par an".
    if let Some(amount) = s.alimony
        && above(amount, 110_000)
    {
        err(
            ErrorCode::SubsidyAboveCeiling,
            at!(who, "subsidies/", "alimony"),
            format!("the maintenance subsidy is at most 1100.00 a year, not {amount}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employment_types_follow_their_region_and_dates() {
        let d = |y, m, dd| Date::from_ymd(y, m, dd).unwrap();
        assert!(employment_type_rule(1, Area::Flanders, d(2019, 12, 31)).is_ok());
        assert!(employment_type_rule(1, Area::Flanders, d(2020, 1, 1)).is_err());
        assert!(employment_type_rule(2, Area::Brussels, d(2021, 12, 31)).is_ok());
        assert!(employment_type_rule(2, Area::Brussels, d(2022, 1, 1)).is_err());
        assert!(employment_type_rule(3, Area::Flanders, d(2017, 1, 1)).is_ok());
        assert!(employment_type_rule(3, Area::Wallonia, d(2018, 1, 1)).is_err());
        assert!(employment_type_rule(5, Area::Brussels, d(2020, 1, 1)).is_ok());
        assert!(employment_type_rule(6, Area::Flanders, d(2020, 1, 1)).is_err());
        assert!(employment_type_rule(7, Area::Wallonia, d(2025, 1, 1)).is_ok());
        assert!(employment_type_rule(7, Area::GermanSpeaking, d(2025, 1, 1)).is_err());
        assert!(employment_type_rule(8, Area::Wallonia, d(2024, 12, 31)).is_err());
    }

    #[test]
    fn walloon_flat_rate_of_the_notes_example() {
        let at = Date::from_ymd(2025, 3, 1).unwrap();
        let four_fifths = Art60Employment {
            employment_type: Some(8),
            occupation_rate: Some(80),
            ..Art60Employment::default()
        };
        assert_eq!(
            walloon_flat_rate(&four_fifths, false, at).map(|a| a.to_string()),
            Some("25282.18".into())
        );
        let young = Art60Employment {
            workplace: Some(19),
            occupation_rate: Some(100),
            ..four_fifths.clone()
        };
        assert_eq!(
            walloon_flat_rate(&young, false, at),
            Some(Amount::from_cents(3_659_052))
        );
        // No youth supplement for article 61.
        assert_eq!(
            walloon_flat_rate(&young, true, at),
            Some(Amount::from_cents(3_160_272))
        );
        assert_eq!(
            walloon_flat_rate(&four_fifths, false, Date::from_ymd(2026, 1, 1).unwrap()),
            None
        );
    }

    #[test]
    fn activation_in_wallonia_from_july_2017_has_the_notes_codes() {
        let d = |y, m, dd| Date::from_ymd(y, m, dd).unwrap();
        let code = |c, a, at| activation_rule(c, a, at).err().map(|(e, _)| e.code());
        assert_eq!(code(2, Area::Wallonia, d(2017, 7, 1)), Some("350101"));
        assert_eq!(code(2, Area::Wallonia, d(2017, 6, 30)), None);
        assert_eq!(code(15, Area::Wallonia, d(2017, 7, 1)), Some("320771"));
        assert_eq!(code(15, Area::GermanSpeaking, d(2017, 7, 1)), None);
        assert_eq!(
            code(12, Area::GermanSpeaking, d(2019, 1, 1)),
            Some("900024")
        );
        assert_eq!(code(13, Area::Flanders, d(2020, 1, 1)), None);
        assert_eq!(code(15, Area::Flanders, d(2017, 1, 1)), Some("900024"));
        assert_eq!(code(9, Area::Brussels, d(2021, 1, 1)), Some("900024"));
    }
}
