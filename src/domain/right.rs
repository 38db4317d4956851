//! The right to social integration as the network knows it: who, granted by which CPAS,
//! which kind of aid, which beneficiary category, and over which periods. Amounts are
//! not part of it (consultations never return them).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::cbe::CbeNumber;
use super::period::{OpenPeriod, Period, merge_periods};
use super::ssin::Ssin;

/// The kind of aid granted.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum RightKind {
    /// The integration income (RIS / leefloon).
    #[serde(rename = "LIVING_WAGE")]
    LivingWage,
    /// Aid equivalent to the integration income, for people not entitled to it
    /// (e.g. some foreigners).
    #[serde(rename = "EQUIVALENT_LIVING_WAGE")]
    EquivalentLivingWage,
}

impl RightKind {
    /// The name in the wire contract.
    pub fn wire_name(&self) -> &'static str {
        match self {
            RightKind::LivingWage => "LIVING_WAGE",
            RightKind::EquivalentLivingWage => "EQUIVALENT_LIVING_WAGE",
        }
    }
}

impl fmt::Display for RightKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl FromStr for RightKind {
    type Err = RightError;

    /// Accepts exactly the wire names.
    fn from_str(s: &str) -> Result<RightKind, RightError> {
        match s {
            "LIVING_WAGE" => Ok(RightKind::LivingWage),
            "EQUIVALENT_LIVING_WAGE" => Ok(RightKind::EquivalentLivingWage),
            _ => Err(RightError::UnknownKind {
                found: s.to_string(),
            }),
        }
    }
}

/// The beneficiary category, which sets the amount of the integration income.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Category {
    /// Cohabiting person.
    A,
    /// Person living alone.
    B,
    /// Person with a family dependent on them (at least one unmarried minor child).
    E,
}

impl Category {
    pub fn code(&self) -> &'static str {
        match self {
            Category::A => "A",
            Category::B => "B",
            Category::E => "E",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Category {
    type Err = RightError;

    fn from_str(s: &str) -> Result<Category, RightError> {
        match s {
            "A" => Ok(Category::A),
            "B" => Ok(Category::B),
            "E" => Ok(Category::E),
            _ => Err(RightError::UnknownCategory {
                found: s.to_string(),
            }),
        }
    }
}

/// Why a right could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightError {
    #[error("a right has at least one period")]
    NoPeriod,
    #[error("the partner of {ssin} cannot be {ssin} themself")]
    PartnerIsSelf { ssin: Ssin },
    #[error("\"{found}\" is not a kind of right (expected LIVING_WAGE or EQUIVALENT_LIVING_WAGE)")]
    UnknownKind { found: String },
    #[error("\"{found}\" is not a beneficiary category (expected A, B or E)")]
    UnknownCategory { found: String },
}

/// A right to social integration (or to equivalent aid) granted by one CPAS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RightFields")]
pub struct Right {
    ssin: Ssin,
    pcsa: CbeNumber,
    kind: RightKind,
    category: Category,
    partner: Option<Ssin>,
    periods: Vec<Period>,
}

/// The stored shape of a `Right`, validated by `Right::new` before it becomes one.
#[derive(Deserialize)]
struct RightFields {
    ssin: Ssin,
    pcsa: CbeNumber,
    kind: RightKind,
    category: Category,
    #[serde(default)]
    partner: Option<Ssin>,
    periods: Vec<Period>,
}

impl TryFrom<RightFields> for Right {
    type Error = RightError;

    fn try_from(f: RightFields) -> Result<Right, RightError> {
        Right::new(f.ssin, f.pcsa, f.kind, f.category, f.partner, f.periods)
    }
}

impl Right {
    /// Builds a right; it needs at least one period, the partner must be someone else,
    /// and the periods are kept merged (sorted, overlapping or touching ones joined) so
    /// that every right has one canonical form.
    pub fn new(
        ssin: Ssin,
        pcsa: CbeNumber,
        kind: RightKind,
        category: Category,
        partner: Option<Ssin>,
        periods: Vec<Period>,
    ) -> Result<Right, RightError> {
        if periods.is_empty() {
            return Err(RightError::NoPeriod);
        }
        if partner == Some(ssin) {
            return Err(RightError::PartnerIsSelf { ssin });
        }
        Ok(Right {
            ssin,
            pcsa,
            kind,
            category,
            partner,
            periods: merge_periods(periods),
        })
    }

    /// The beneficiary.
    pub fn ssin(&self) -> Ssin {
        self.ssin
    }

    /// The CBE number of the granting CPAS.
    pub fn pcsa(&self) -> CbeNumber {
        self.pcsa
    }

    pub fn kind(&self) -> RightKind {
        self.kind
    }

    pub fn category(&self) -> Category {
        self.category
    }

    pub fn partner(&self) -> Option<Ssin> {
        self.partner
    }

    /// The periods of right: sorted, disjoint and not touching.
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// The periods of right seen through `window` (e.g. the period a consultation asks
    /// about): clipped to it, merged, the ones outside it dropped.
    pub fn periods_within(&self, window: &OpenPeriod) -> Vec<Period> {
        merge_periods(self.periods.iter().filter_map(|p| p.clip(window)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::Date;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn p(begin: &str, end: &str) -> Period {
        Period::new(d(begin), d(end)).unwrap()
    }

    fn person() -> Ssin {
        Ssin::parse("93051822361").unwrap()
    }

    fn partner() -> Ssin {
        Ssin::parse("85073003328").unwrap()
    }

    fn cpas() -> CbeNumber {
        CbeNumber::parse("0207065306").unwrap()
    }

    fn right(periods: Vec<Period>) -> Right {
        Right::new(
            person(),
            cpas(),
            RightKind::LivingWage,
            Category::E,
            Some(partner()),
            periods,
        )
        .unwrap()
    }

    #[test]
    fn kinds_and_categories_by_name() {
        assert_eq!(RightKind::LivingWage.wire_name(), "LIVING_WAGE");
        assert_eq!(
            "EQUIVALENT_LIVING_WAGE".parse::<RightKind>(),
            Ok(RightKind::EquivalentLivingWage)
        );
        assert_eq!(
            "living_wage".parse::<RightKind>(),
            Err(RightError::UnknownKind {
                found: "living_wage".into()
            })
        );
        assert!(RightKind::LivingWage < RightKind::EquivalentLivingWage);
        assert_eq!(
            serde_json::to_string(&RightKind::EquivalentLivingWage).unwrap(),
            "\"EQUIVALENT_LIVING_WAGE\""
        );
        assert_eq!(Category::B.code(), "B");
        assert_eq!("E".parse::<Category>(), Ok(Category::E));
        assert_eq!(
            "C".parse::<Category>().unwrap_err().to_string(),
            "\"C\" is not a beneficiary category (expected A, B or E)"
        );
        assert_eq!(serde_json::to_string(&Category::A).unwrap(), "\"A\"");
        assert_eq!(
            serde_json::from_str::<Category>("\"B\"").unwrap(),
            Category::B
        );
    }

    #[test]
    fn new_validates_and_merges() {
        let r = right(vec![
            p("2024-03-01", "2024-03-31"),
            p("2024-01-01", "2024-01-31"),
            p("2024-02-01", "2024-02-10"),
        ]);
        assert_eq!(
            r.periods(),
            &[p("2024-01-01", "2024-02-10"), p("2024-03-01", "2024-03-31")]
        );
        assert_eq!(r.ssin(), person());
        assert_eq!(r.pcsa(), cpas());
        assert_eq!(r.kind(), RightKind::LivingWage);
        assert_eq!(r.category(), Category::E);
        assert_eq!(r.partner(), Some(partner()));

        assert_eq!(
            Right::new(
                person(),
                cpas(),
                RightKind::LivingWage,
                Category::B,
                None,
                vec![]
            ),
            Err(RightError::NoPeriod)
        );
        let err = Right::new(
            person(),
            cpas(),
            RightKind::LivingWage,
            Category::A,
            Some(person()),
            vec![p("2024-01-01", "2024-01-31")],
        )
        .unwrap_err();
        assert_eq!(err, RightError::PartnerIsSelf { ssin: person() });
        assert_eq!(
            err.to_string(),
            "the partner of 93051822361 cannot be 93051822361 themself"
        );
    }

    #[test]
    fn periods_within_a_window() {
        let r = right(vec![
            p("2024-01-01", "2024-01-31"),
            p("2024-03-01", "2024-03-31"),
            p("2024-06-01", "2024-06-30"),
        ]);
        assert_eq!(
            r.periods_within(&OpenPeriod::new(d("2024-01-15"), Some(d("2024-03-10"))).unwrap()),
            vec![p("2024-01-15", "2024-01-31"), p("2024-03-01", "2024-03-10")]
        );
        assert_eq!(
            r.periods_within(&OpenPeriod::new(d("2024-03-15"), None).unwrap()),
            vec![p("2024-03-15", "2024-03-31"), p("2024-06-01", "2024-06-30")]
        );
        assert_eq!(
            r.periods_within(&OpenPeriod::new(d("2024-04-01"), Some(d("2024-05-31"))).unwrap()),
            Vec::<Period>::new()
        );
    }

    #[test]
    fn serde_goes_through_validation() {
        let r = right(vec![p("2024-01-01", "2024-01-31")]);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"ssin":"93051822361","pcsa":"0207065306","kind":"LIVING_WAGE","category":"E","partner":"85073003328","periods":[{"begin":"2024-01-01","end":"2024-01-31"}]}"#
        );
        assert_eq!(serde_json::from_str::<Right>(&json).unwrap(), r);

        let unmerged = r#"{"ssin":"93051822361","pcsa":"0207065306","kind":"EQUIVALENT_LIVING_WAGE","category":"B","periods":[{"begin":"2024-02-01","end":"2024-02-29"},{"begin":"2024-01-01","end":"2024-01-31"}]}"#;
        let parsed = serde_json::from_str::<Right>(unmerged).unwrap();
        assert_eq!(parsed.periods(), &[p("2024-01-01", "2024-02-29")]);
        assert_eq!(parsed.partner(), None);

        let no_period = r#"{"ssin":"93051822361","pcsa":"0207065306","kind":"LIVING_WAGE","category":"B","periods":[]}"#;
        let err = serde_json::from_str::<Right>(no_period)
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least one period"), "{err}");

        let self_partner = r#"{"ssin":"93051822361","pcsa":"0207065306","kind":"LIVING_WAGE","category":"A","partner":"93051822361","periods":[{"begin":"2024-01-01","end":"2024-01-31"}]}"#;
        assert!(serde_json::from_str::<Right>(self_partner).is_err());
    }
}
