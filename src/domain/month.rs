//! A calendar month: the recovery month of a form D, the month of a monthly
//! statement, the unit in which payments are reported.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Date;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    year: i32,
    month: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("\"{0}\" is not a month (expected {1})")]
pub struct MonthError(pub String, pub &'static str);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        let month = u8::try_from(month).ok()?;
        ((1..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    pub fn of(date: Date) -> Month {
        Month {
            year: date.year(),
            month: u8::try_from(date.month()).unwrap_or(1),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn first_day(self) -> Date {
        Date::from_ymd(self.year, self.month(), 1).unwrap_or(Date::from_days_since_epoch(0))
    }

    pub fn last_day(self) -> Date {
        self.succ().first_day().pred()
    }

    pub fn days(self) -> u32 {
        Date::days_in_month(self.year, self.month())
    }

    pub fn succ(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// `2025-03`, the xsd:gYearMonth form.
    pub fn parse_xsd(s: &str) -> Result<Month, MonthError> {
        let err = || MonthError(s.to_owned(), "YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        Self::from_digits(y, m).ok_or_else(err)
    }

    /// `202503`, the form of fixed-width statements.
    pub fn parse_compact(s: &str) -> Result<Month, MonthError> {
        let err = || MonthError(s.to_owned(), "YYYYMM");
        if s.len() != 6 || !s.is_ascii() {
            return Err(err());
        }
        Self::from_digits(&s[..4], &s[4..]).ok_or_else(err)
    }

    fn from_digits(y: &str, m: &str) -> Option<Month> {
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_and_write_both_forms() {
        let m = Month::parse_xsd("2024-02").unwrap();
        assert_eq!(m, Month::parse_compact("202402").unwrap());
        assert_eq!(
            (m.to_string(), m.compact()),
            ("2024-02".into(), "202402".into())
        );
        assert_eq!(m.last_day().to_string(), "2024-02-29");
        assert_eq!(m.days(), 29);
        assert_eq!(
            Month::parse_xsd("2024-12").unwrap().succ().to_string(),
            "2025-01"
        );
        for bad in [
            "2024-13",
            "2024-00",
            "24-01",
            "2024-1",
            "2024/01",
            "０２０２４-01",
        ] {
            assert!(Month::parse_xsd(bad).is_err(), "{bad}");
        }
        for bad in ["20241", "2024013", "2024-1", "abcdef", "202400"] {
            assert!(Month::parse_compact(bad).is_err(), "{bad}");
        }
    }
}
