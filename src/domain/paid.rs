//! What a CPAS paid, as LivingWagesWithAmount tells it (seed 002): a person's statement
//! lines, each visible from the first weekend of the month after its statement month,
//! grouped per PCSA and month (or year), summed exactly in cents with their signs, and
//! definitive once their statement is old enough.
//!
//! Choices where the note is silent, and why:
//! - The month "the CPAS paid" is the statement month: a line carries no payment date.
//! - The first weekend of a month starts on its first Saturday.
//! - A line belongs to the month (or year) of its first paid day, so arrears and
//!   regularisations land on the month they are for, and change that month's sum.
//! - A row is definitive when every line in it is: a late regularisation makes an old
//!   month provisional again, as the note's re-submissions do.
//! - Law 1965 lines are the equivalent living wage, except the aid type `AF`, an
//!   advance on family allowances (the note's table of aid types is not public).
//!   Lines under the organic law (employment measures) are not living wages.

use std::collections::BTreeMap;

use super::payment::{Law, PaymentLine};
use super::{Amount, Date, InsCode, Month, OpenPeriod, Period};

/// The aid type (field 17 of a law 1965 line) of an advance on family allowances.
pub const FAMILY_ALLOWANCE_ADVANCE_AID: &str = "AF";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AllowanceType {
    LivingWage,
    EquivalentLivingWage,
    FamilyAllowanceAdvance,
}

impl AllowanceType {
    /// What a statement line pays, if it is a living wage at all.
    pub fn of(line: &PaymentLine) -> Option<AllowanceType> {
        match line.law {
            Law::IntegrationIncome => Some(AllowanceType::LivingWage),
            Law::Law1965 if line.concerned == FAMILY_ALLOWANCE_ADVANCE_AID => {
                Some(AllowanceType::FamilyAllowanceAdvance)
            }
            Law::Law1965 => Some(AllowanceType::EquivalentLivingWage),
            Law::OrganicLaw => None,
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            AllowanceType::LivingWage => "LIVING_WAGE",
            AllowanceType::EquivalentLivingWage => "EQUIVALENT_LIVING_WAGE",
            AllowanceType::FamilyAllowanceAdvance => "FAMILY_ALLOWANCE_ADVANCE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    Month,
    Year,
}

/// Whose payments: the person's as main beneficiary, or as the partner of one (a
/// couple's lines name the person each is about, `00` or `01`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    PrimaryBeneficiary,
    Partner,
}

impl Role {
    fn takes(self, line: &PaymentLine) -> bool {
        let about_partner = line.law == Law::IntegrationIncome && line.concerned == "01";
        match self {
            Role::PrimaryBeneficiary => !about_partner,
            Role::Partner => about_partner,
        }
    }
}

/// A month or a year of payments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Month(Month),
    Year(i32),
}

impl Unit {
    fn of(day: Date, aggregation: Aggregation) -> Unit {
        match aggregation {
            Aggregation::Month => Unit::Month(Month::of(day)),
            Aggregation::Year => Unit::Year(day.year()),
        }
    }

    pub fn first_day(self) -> Date {
        match self {
            Unit::Month(m) => m.first_day(),
            // A year of a supported date, so its first and last days exist.
            Unit::Year(y) => Date::from_ymd(y, 1, 1).unwrap_or(Date::MIN),
        }
    }

    pub fn last_day(self) -> Date {
        match self {
            Unit::Month(m) => m.last_day(),
            Unit::Year(y) => Date::from_ymd(y, 12, 31).unwrap_or(Date::MAX),
        }
    }
}

/// The first Saturday of `month` (within its first week, so it always exists).
pub fn first_saturday(month: Month) -> Date {
    let first = month.first_day();
    // 1 January 1970, day 0, was a Thursday: Saturday is 2 days on.
    let weekday = (first.days_since_epoch() - 2).rem_euclid(7);
    first.add_days((7 - weekday) % 7).unwrap_or(first)
}

/// The day a line of `statement` becomes visible: the first weekend of the next month;
/// `None` for 9999-12, which has no next month.
pub fn visible_from(statement: Month) -> Option<Date> {
    statement.succ().map(first_saturday)
}

/// What decides visibility and definitiveness: the clock's day and the configured age.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub today: Date,
    /// A statement this many months old (or older) is definitive.
    pub definitive_after_months: u32,
}

impl Rules {
    pub fn visible(&self, line: &PaymentLine) -> bool {
        visible_from(line.statement).is_some_and(|from| self.today >= from)
    }

    fn definitive(&self, statement: Month) -> bool {
        statement
            .add_months(self.definitive_after_months)
            .is_some_and(|m| Month::of(self.today) >= m)
    }
}

/// One row of the answer: a PCSA's payments of one kind and category in a month or year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub ins: InsCode,
    pub unit: Unit,
    pub allowance: AllowanceType,
    pub category: char,
    /// From the first to the last day paid.
    pub paid: Period,
    /// The days paid cover every day of the month (or year).
    pub covers_whole_unit: bool,
    pub amount: Amount,
    pub definitive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// By PCSA, then month or year, then allowance and category.
    pub rows: Vec<Row>,
    /// By month only: whether the last month in `rows` is the last month any PCSA paid
    /// the person (false: later months were paid, outside the requested period).
    pub last_is_last_paid: Option<bool>,
}

/// The answer for one person's `lines` (all of them, any PCSA) about `window`.
pub fn summarise(
    lines: &[PaymentLine],
    window: &OpenPeriod,
    aggregation: Aggregation,
    role: Role,
    rules: &Rules,
) -> Summary {
    let visible: Vec<(&PaymentLine, AllowanceType)> = lines
        .iter()
        .filter(|l| role.takes(l) && rules.visible(l))
        .filter_map(|l| AllowanceType::of(l).map(|a| (l, a)))
        .collect();
    type Key = (InsCode, Unit, AllowanceType, char);
    let mut groups: BTreeMap<Key, (Period, Vec<&PaymentLine>)> = BTreeMap::new();
    for (line, allowance) in &visible {
        let Ok(paid) = Period::new(line.first_day, line.last_day) else {
            continue;
        };
        if !paid.overlaps(window) {
            continue;
        }
        let unit = Unit::of(line.first_day, aggregation);
        let (span, lines) = groups
            .entry((line.ins, unit, *allowance, line.category))
            .or_insert((paid, Vec::new()));
        *span = Period::new(span.begin().min(paid.begin()), span.end().max(paid.end()))
            .unwrap_or(*span);
        lines.push(line);
    }
    let rows: Vec<Row> = groups
        .into_iter()
        .map(|((ins, unit, allowance, category), (paid, lines))| Row {
            ins,
            unit,
            allowance,
            category,
            paid,
            covers_whole_unit: covers(&lines, unit),
            amount: Amount::from_cents(lines.iter().map(|l| l.amount.cents()).sum()),
            definitive: lines.iter().all(|l| rules.definitive(l.statement)),
        })
        .collect();
    let last_is_last_paid = match aggregation {
        Aggregation::Year => None,
        Aggregation::Month => {
            let last_returned = rows.iter().map(|r| r.unit).max();
            let last_paid = visible
                .iter()
                .map(|(l, _)| Unit::Month(Month::of(l.first_day)))
                .max();
            last_returned.map(|r| Some(r) == last_paid)
        }
    };
    Summary {
        rows,
        last_is_last_paid,
    }
}

/// Whether the days the lines paid (recoveries aside) cover every day of `unit`.
fn covers(lines: &[&PaymentLine], unit: Unit) -> bool {
    let mut paid: Vec<(Date, Date)> = lines
        .iter()
        .filter(|l| l.amount > Amount::ZERO)
        .map(|l| (l.first_day, l.last_day))
        .collect();
    paid.sort();
    let mut next = unit.first_day();
    for (first, last) in paid {
        if first > next {
            break;
        }
        if last >= next {
            match last.succ() {
                Some(after) => next = after,
                // Paid up to the last supported day: nothing of the unit is left.
                None => return true,
            }
        }
        if next > unit.last_day() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Ssin;
    use crate::domain::payment::AmountType;

    fn d(s: &str) -> Date {
        Date::parse_xsd(s).unwrap()
    }

    fn m(s: &str) -> Month {
        Month::parse_xsd(s).unwrap()
    }

    /// A grant of `euros` by the CPAS de Liège, on the statement of `statement`, for
    /// the days `first..=last`.
    fn line(statement: &str, first: &str, last: &str, cents: i64) -> PaymentLine {
        PaymentLine {
            law: Law::IntegrationIncome,
            ins: InsCode::parse("62063").unwrap(),
            statement: m(statement),
            file_number: "D1         ".into(),
            suffix: "  ".into(),
            ssin: Ssin::with_check_digits("780412045", false).unwrap(),
            reference: "REF-1       ".into(),
            amount_type: if cents < 0 {
                AmountType::Recovery
            } else {
                AmountType::Grant
            },
            first_day: d(first),
            last_day: d(last),
            budget_article: "000860".into(),
            article: 860,
            amount: Amount::from_cents(cents),
            category: 'B',
            last_name: "Dubois".into(),
            first_name: "Marie".into(),
            concerned: "00".into(),
            reference2: String::new(),
            paid: Amount::from_cents(cents * 60 / 100),
        }
    }

    fn rules(today: &str) -> Rules {
        Rules {
            today: d(today),
            definitive_after_months: 6,
        }
    }

    fn always() -> OpenPeriod {
        OpenPeriod::new(d("2000-01-01"), None).unwrap()
    }

    fn months(summary: &Summary) -> Vec<(String, i64, bool, bool)> {
        summary
            .rows
            .iter()
            .map(|r| {
                let unit = match r.unit {
                    Unit::Month(m) => m.to_string(),
                    Unit::Year(y) => y.to_string(),
                };
                (unit, r.amount.cents(), r.covers_whole_unit, r.definitive)
            })
            .collect()
    }

    #[test]
    fn the_first_weekend_starts_on_the_first_saturday_across_years() {
        for (statement, visible) in [
            ("2025-12", "2026-01-03"), // 1 January 2026 is a Thursday
            ("2026-01", "2026-02-07"), // 1 February 2026 is a Sunday: that Sunday is not a weekend's start
            ("2026-07", "2026-08-01"), // 1 August 2026 is a Saturday
            ("2027-12", "2028-01-01"), // 1 January 2028 is a Saturday, in the next year
            ("2024-02", "2024-03-02"), // after a leap February
        ] {
            assert_eq!(visible_from(m(statement)), Some(d(visible)), "{statement}");
        }
        let l = line("2026-01", "2026-01-01", "2026-01-31", 120_000);
        assert!(!rules("2026-02-06").visible(&l));
        assert!(rules("2026-02-07").visible(&l));
    }

    #[test]
    fn months_are_cut_at_their_edges_and_summed_with_signs() {
        let lines = [
            line("2026-01", "2026-01-01", "2026-01-31", 120_000),
            // Paid on the last day of the month, for that day alone.
            line("2026-02", "2026-02-28", "2026-02-28", 4_000),
            line("2026-03", "2026-03-01", "2026-03-15", 60_000),
            line("2026-03", "2026-03-16", "2026-03-31", 64_000),
            // A recovery on March.
            line("2026-04", "2026-03-10", "2026-03-12", -12_345),
        ];
        let summary = summarise(
            &lines,
            &always(),
            Aggregation::Month,
            Role::PrimaryBeneficiary,
            &rules("2026-06-01"),
        );
        assert_eq!(
            months(&summary),
            [
                ("2026-01".into(), 120_000, true, false),
                ("2026-02".into(), 4_000, false, false),
                ("2026-03".into(), 111_655, true, false),
            ]
        );
        assert_eq!(summary.last_is_last_paid, Some(true));
        let year = summarise(
            &lines,
            &always(),
            Aggregation::Year,
            Role::PrimaryBeneficiary,
            &rules("2026-06-01"),
        );
        assert_eq!(months(&year), [("2026".into(), 235_655, false, false)]);
        assert_eq!(year.last_is_last_paid, None);
        assert_eq!(
            year.rows[0].paid,
            Period::new(d("2026-01-01"), d("2026-03-31")).unwrap()
        );
    }

    #[test]
    fn a_line_waits_for_its_weekend_and_a_later_month_tells_the_answer_is_not_the_last() {
        let lines = [
            line("2026-01", "2026-01-01", "2026-01-31", 100_000),
            line("2026-02", "2026-02-01", "2026-02-28", 100_000),
        ];
        let january = OpenPeriod::new(d("2026-01-01"), Some(d("2026-01-31"))).unwrap();
        let ask = |today| {
            summarise(
                &lines,
                &january,
                Aggregation::Month,
                Role::PrimaryBeneficiary,
                &rules(today),
            )
        };
        // February's statement is not visible before 7 March 2026.
        assert_eq!(ask("2026-03-06").last_is_last_paid, Some(true));
        assert_eq!(ask("2026-03-07").last_is_last_paid, Some(false));
        assert_eq!(months(&ask("2026-02-06")), []);
        assert_eq!(ask("2026-02-06").last_is_last_paid, None);
    }

    #[test]
    fn a_regularisation_replaces_the_month_it_corrects_and_makes_it_provisional() {
        let grant = line("2026-01", "2026-01-01", "2026-01-31", 100_000);
        let mut regularisation = line("2026-09", "2026-01-01", "2026-01-31", -20_000);
        regularisation.amount_type = AmountType::GrantRegularisation;
        let ask = |lines: &[PaymentLine], today| {
            months(&summarise(
                lines,
                &always(),
                Aggregation::Month,
                Role::PrimaryBeneficiary,
                &rules(today),
            ))
        };
        // Definitive six months after its statement.
        assert_eq!(
            ask(std::slice::from_ref(&grant), "2026-06-30"),
            [("2026-01".into(), 100_000, true, false)]
        );
        assert_eq!(
            ask(std::slice::from_ref(&grant), "2026-07-01"),
            [("2026-01".into(), 100_000, true, true)]
        );
        let both = [grant, regularisation];
        // The regularisation is not seen before October's first weekend.
        assert_eq!(
            ask(&both, "2026-10-02"),
            [("2026-01".into(), 100_000, true, true)]
        );
        assert_eq!(
            ask(&both, "2026-10-03"),
            [("2026-01".into(), 80_000, true, false)]
        );
        assert_eq!(
            ask(&both, "2027-03-01"),
            [("2026-01".into(), 80_000, true, true)]
        );
    }

    #[test]
    fn partner_lines_answer_the_partner_query_only() {
        let mut partner = line("2026-01", "2026-01-01", "2026-01-31", 50_000);
        partner.concerned = "01".into();
        partner.category = 'E';
        let main = line("2026-01", "2026-01-01", "2026-01-31", 70_000);
        let lines = [main, partner];
        let ask = |role| {
            months(&summarise(
                &lines,
                &always(),
                Aggregation::Month,
                role,
                &rules("2026-03-01"),
            ))
        };
        assert_eq!(
            ask(Role::PrimaryBeneficiary),
            [("2026-01".into(), 70_000, true, false)]
        );
        assert_eq!(
            ask(Role::Partner),
            [("2026-01".into(), 50_000, true, false)]
        );
    }

    #[test]
    fn kinds_of_allowance_come_from_the_law_and_the_aid_type() {
        let mut equivalent = line("2026-01", "2026-01-01", "2026-01-31", 90_000);
        equivalent.law = Law::Law1965;
        equivalent.concerned = "10".into();
        let mut advance = equivalent.clone();
        advance.concerned = FAMILY_ALLOWANCE_ADVANCE_AID.into();
        let mut employment = equivalent.clone();
        employment.law = Law::OrganicLaw;
        let summary = summarise(
            &[equivalent, advance, employment],
            &always(),
            Aggregation::Month,
            Role::PrimaryBeneficiary,
            &rules("2026-03-01"),
        );
        let kinds: Vec<AllowanceType> = summary.rows.iter().map(|r| r.allowance).collect();
        assert_eq!(
            kinds,
            [
                AllowanceType::EquivalentLivingWage,
                AllowanceType::FamilyAllowanceAdvance
            ]
        );
    }
}
