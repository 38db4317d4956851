//! Form D: a CPAS repays the State its share of sums it recovered (seed 003, "Les
//! rubriques du formulaire D"). A D changes no right; it is judged on its own and
//! against the rights the same CPAS granted for the period it recovers.

use serde::{Deserialize, Serialize};

use super::area::Area;
use super::forms::{Sender, check_reference};
use super::rules::{ErrorCode, FormError};
use crate::domain::{Amount, Date, Month, Ssin};

/// Form D as a CPAS sends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormD {
    pub sender: Sender,
    pub ssin: Ssin,
    /// Rubric 4: the month in which the receipts were booked ...
    pub recovery_month: Month,
    /// ... and the number of forms D sent for that month and that beneficiary (1, 2, …).
    pub sequence: u16,
    /// Rubric 11, a code of [`RECOVERY_TYPES`].
    pub recovery_type: u8,
    /// Rubric 12: the amount actually recovered, at 100 %.
    pub amount: Amount,
    /// Rubrics 13 and 14: the period for which the recovered sum had been granted.
    pub period_start: Date,
    pub period_end: Date,
    /// Rubric 21: `true` = regularisation (code 1) of the accepted D of the same SSIN,
    /// recovery month and sequence number.
    pub regularisation: bool,
    /// Rubric 22.
    pub reference: Option<String>,
}

/// What the D's amount is checked against, by recovery type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryOf {
    /// The integration income granted for the period (rubric 61 of the Bs).
    IntegrationIncome,
    /// The installation premium (rubric 62 of the Bs).
    InstallationPremium,
    /// Employment measures, staff costs, support costs: not amounts of rubric 61 or
    /// 62, so not checked against them.
    Other,
}

/// One code of rubric 11 and where it applies: the CPAS's region, and the days the
/// recovered period may fall in ("avant le 01/07/2014", "à partir du 01/01/2017",
/// "du 01/04/2021 au 30/09/2021", …).
pub struct RecoveryType {
    pub code: u8,
    pub of: RecoveryOf,
    pub area: Option<Area>,
    pub from: Option<(i32, u32, u32)>,
    pub until: Option<(i32, u32, u32)>,
}

const fn t(code: u8, of: RecoveryOf) -> RecoveryType {
    RecoveryType {
        code,
        of,
        area: None,
        from: None,
        until: None,
    }
}

const fn regional(code: u8, area: Area, from: (i32, u32, u32)) -> RecoveryType {
    RecoveryType {
        code,
        of: RecoveryOf::Other,
        area: Some(area),
        from: Some(from),
        until: None,
    }
}

use RecoveryOf::{InstallationPremium as Premium, IntegrationIncome as Income, Other};

/// The complete list of rubric 11 (41 codes; 02, 03, 07, 10, 13, 31 and 46–51 do not
/// exist).
pub const RECOVERY_TYPES: [RecoveryType; 41] = [
    t(1, Income),
    RecoveryType {
        until: Some((2014, 6, 30)),
        ..t(4, Income)
    },
    t(5, Income),
    t(6, Income),
    t(8, Other),
    t(9, Premium),
    t(11, Other),
    t(12, Other),
    t(14, Other),
    t(15, Other),
    t(16, Other),
    t(17, Income),
    t(18, Other),
    t(19, Other),
    t(20, Other),
    t(21, Other),
    t(22, Other),
    t(23, Other),
    t(24, Other),
    t(25, Other),
    t(26, Other),
    t(27, Other),
    t(28, Other),
    t(29, Other),
    RecoveryType {
        from: Some((2014, 7, 1)),
        ..t(30, Income)
    },
    t(32, Other),
    t(33, Other),
    regional(34, Area::Flanders, (2017, 1, 1)),
    regional(35, Area::Flanders, (2017, 1, 1)),
    regional(36, Area::Flanders, (2017, 1, 1)),
    regional(37, Area::Brussels, (2020, 1, 1)),
    regional(38, Area::Brussels, (2020, 1, 1)),
    regional(39, Area::Brussels, (2020, 1, 1)),
    regional(40, Area::Wallonia, (2025, 1, 1)),
    regional(41, Area::Wallonia, (2025, 1, 1)),
    regional(42, Area::Wallonia, (2025, 1, 1)),
    regional(43, Area::Wallonia, (2025, 1, 1)),
    regional(44, Area::Wallonia, (2025, 1, 1)),
    regional(45, Area::Wallonia, (2025, 1, 1)),
    RecoveryType {
        from: Some((2021, 4, 1)),
        until: Some((2021, 9, 30)),
        ..t(52, Other)
    },
    RecoveryType {
        from: Some((2021, 4, 1)),
        until: Some((2021, 9, 30)),
        ..t(53, Other)
    },
];

pub fn recovery_type(code: u8) -> Option<&'static RecoveryType> {
    RECOVERY_TYPES.iter().find(|t| t.code == code)
}

/// The reimbursement rate changed on 1 July 2014, so a recovered period must lie
/// wholly before or wholly from that day.
fn rate_change() -> Option<Date> {
    Date::from_ymd(2014, 7, 1).ok()
}

fn day((y, m, d): (i32, u32, u32)) -> Option<Date> {
    Date::from_ymd(y, m, d).ok()
}

impl FormD {
    /// Every error the form has on its own.
    pub fn check(&self) -> Vec<FormError> {
        let mut errors = Vec::new();
        let (start, end) = (self.period_start, self.period_end);
        if start > end {
            errors.push(FormError::new(
                ErrorCode::RecoveryPeriodEmpty,
                "periodEnd",
                format!("the period must last at least one day: {start} to {end} is empty"),
            ));
        } else if start.year() != end.year() {
            errors.push(FormError::new(
                ErrorCode::RecoveryPeriodAcrossYears,
                "periodEnd",
                format!(
                    "the period {start} to {end} spans several calendar years: send one form D per year"
                ),
            ));
        } else if let Some(change) = rate_change()
            && start < change
            && end >= change
        {
            errors.push(FormError::new(
                ErrorCode::RecoveryPeriodAcrossJuly2014,
                "periodEnd",
                format!(
                    "the period {start} to {end} straddles 1 July 2014, when the reimbursement \
                     rate changed: send one form D up to 30 June 2014 and one from 1 July 2014"
                ),
            ));
        }
        if self.sequence == 0 {
            errors.push(FormError::new(
                ErrorCode::Invalid,
                "sequenceNumber",
                "the sequence number of the first form D of a month is 1",
            ));
        }
        if self.amount.cents() <= 0 {
            errors.push(FormError::new(
                ErrorCode::Invalid,
                "recoveredAmount",
                format!("the recovered amount must be above 0, not {}", self.amount),
            ));
        }
        match recovery_type(self.recovery_type) {
            None => errors.push(FormError::new(
                ErrorCode::Invalid,
                "recoveryType",
                format!("{:02} is not a recovery type", self.recovery_type),
            )),
            Some(t) => self.check_type(t, &mut errors),
        }
        check_reference(&self.reference, &mut errors);
        errors
    }

    fn check_type(&self, t: &RecoveryType, errors: &mut Vec<FormError>) {
        let area = Area::of(&self.sender.ins);
        if let Some(only) = t.area
            && only != area
        {
            errors.push(FormError::new(
                ErrorCode::RecoveryTypeNotApplicable,
                "recoveryType",
                format!(
                    "recovery type {:02} is for CPAS of {only} only, this CPAS is in {area}",
                    t.code
                ),
            ));
        }
        if let Some(from) = t.from.and_then(day)
            && self.period_start < from
        {
            errors.push(FormError::new(
                ErrorCode::RecoveryTypeNotApplicable,
                "recoveryType",
                format!(
                    "recovery type {:02} applies from {from}, the period starts {}",
                    t.code, self.period_start
                ),
            ));
        }
        if let Some(until) = t.until.and_then(day)
            && self.period_end > until
        {
            errors.push(FormError::new(
                ErrorCode::RecoveryTypeNotApplicable,
                "recoveryType",
                format!(
                    "recovery type {:02} applies until {until}, the period ends {}",
                    t.code, self.period_end
                ),
            ));
        }
    }

    /// Regularisation key: "le formulaire D ... remplace le formulaire D avec le même
    /// numéro national et le même mois récupération"; the sequence number tells apart
    /// the forms D of one month.
    pub fn same_slot(&self, other: &FormD) -> bool {
        self.ssin == other.ssin
            && self.recovery_month == other.recovery_month
            && self.sequence == other.sequence
    }
}

/// What a B granted over `[start, end]` in cents, from an annual amount held over
/// `[from, to]`: each month's twelfth, prorated by the days of that month covered.
/// Rounded up, so that a CPAS recovering to the cent is never refused.
pub fn granted_between(annual: Amount, from: Date, to: Date, start: Date, end: Date) -> Amount {
    let (first, last) = (from.max(start), to.min(end));
    if first > last {
        return Amount::ZERO;
    }
    let mut total: i128 = 0;
    let (first_month, last_month) = (Month::of(first), Month::of(last));
    // Walks exactly the months from the first to the last day: a bound of its own, so
    // the walk ends whatever the months' arithmetic does at the edge of the calendar.
    let months = first_month.months_until(last_month);
    let mut month = Some(first_month);
    for _ in 0..=months {
        let Some(m) = month else { break };
        let (a, b) = (first.max(m.first_day()), last.min(m.last_day()));
        let days = i128::from(b.days_since_epoch() - a.days_since_epoch() + 1);
        let denominator = 12 * i128::from(m.days());
        total += (i128::from(annual.cents()) * days + denominator - 1) / denominator;
        month = m.succ();
    }
    Amount::from_cents(i64::try_from(total).unwrap_or(i64::MAX))
}
