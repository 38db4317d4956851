//! A calendar month: the recovery month of a form D, the month of a monthly
//! statement, the unit in which payments are reported.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Date;

/// Always a month of the supported range, 0001-01 to 9999-12 (the months of
/// `Date::MIN..=Date::MAX`): stepping past 9999-12 answers `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "MonthFields")]
pub struct Month {
    year: i32,
    month: u8,
}

/// The stored shape of a `Month`, checked before it becomes one.
#[derive(Deserialize)]
struct MonthFields {
    year: i32,
    month: u8,
}

impl TryFrom<MonthFields> for Month {
    type Error = MonthError;

    fn try_from(f: MonthFields) -> Result<Month, MonthError> {
        Month::new(f.year, u32::from(f.month)).ok_or_else(|| {
            MonthError(
                format!("{:04}-{:02}", f.year, f.month),
                "a month from 0001-01 to 9999-12",
            )
        })
    }
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
        let (year, month, _) = date.ymd();
        Month {
            year,
            // 1..=12, so it fits.
            month: u8::try_from(month).unwrap_or(1),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn first_day(self) -> Date {
        self.day(1)
    }

    /// Computed within the month itself: the day before the next month's first would
    /// not exist for 9999-12.
    pub fn last_day(self) -> Date {
        self.day(self.days())
    }

    /// Day `day` (1..=days) of the month.
    fn day(self, day: u32) -> Date {
        // A Month holds years 1..=9999 and months 1..=12, so only a day past the
        // month's length could fail, and the callers pass 1 or its length.
        Date::from_ymd(self.year, self.month(), day).unwrap_or(Date::MIN)
    }

    pub fn days(self) -> u32 {
        Date::days_in_month(self.year, self.month())
    }

    /// The next month; `None` after 9999-12.
    pub fn succ(self) -> Option<Month> {
        if self.month == 12 {
            Month::new(self.year + 1, 1)
        } else {
            Month::new(self.year, u32::from(self.month) + 1)
        }
    }

    /// The month `n` months later; `None` past 9999-12.
    pub fn add_months(self, n: u32) -> Option<Month> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(n);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        Month::new(year, u32::try_from(index.rem_euclid(12)).ok()? + 1)
    }

    /// The month `n` months earlier; `None` before the calendar's first.
    pub fn sub_months(self, n: u32) -> Option<Month> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 - i64::from(n);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        Month::new(year, u32::try_from(index.rem_euclid(12)).ok()? + 1)
    }

    /// How many months from `self` to `later` (0 for the same month; negative when
    /// `later` is before).
    pub fn months_until(self, later: Month) -> i64 {
        (i64::from(later.year) - i64::from(self.year)) * 12 + i64::from(later.month)
            - i64::from(self.month)
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
            Month::parse_xsd("2024-12")
                .unwrap()
                .succ()
                .map(|m| m.to_string()),
            Some("2025-01".into())
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

    #[test]
    fn the_last_supported_month_has_its_own_last_day() {
        let last = Month::parse_xsd("9999-12").unwrap();
        assert_eq!(last.first_day().to_string(), "9999-12-01");
        assert_eq!(last.last_day(), Date::MAX);
        assert_eq!(last.succ(), None);
        assert_eq!(last.add_months(1), None);
        assert_eq!(last.add_months(0), Some(last));
        let first = Month::parse_xsd("0001-01").unwrap();
        assert_eq!(first.first_day(), Date::MIN);
        assert_eq!(first.add_months(9999 * 12 - 1), Some(last));
        assert_eq!(first.months_until(last), 9999 * 12 - 1);
        assert_eq!(last.months_until(first), -(9999 * 12 - 1));
    }

    /// Every month of the supported range: its days are its own, it follows its
    /// predecessor without a gap, and `add_months` agrees with stepping.
    #[test]
    fn every_supported_month_is_contiguous_with_the_next() {
        let first = Month::of(Date::MIN);
        let mut month = first;
        let mut count = 1i64;
        while let Some(next) = month.succ() {
            assert!(month.first_day() <= month.last_day());
            assert_eq!(Month::of(month.first_day()), month);
            assert_eq!(Month::of(month.last_day()), month);
            assert_eq!(month.last_day().succ(), Some(next.first_day()));
            assert_eq!(
                i64::from(month.days()),
                i64::from(month.last_day().days_since_epoch())
                    - i64::from(month.first_day().days_since_epoch())
                    + 1
            );
            assert_eq!(first.months_until(next), count);
            assert_eq!(first.add_months(u32::try_from(count).unwrap()), Some(next));
            month = next;
            count += 1;
        }
        assert_eq!(month.last_day(), Date::MAX);
        assert_eq!(count, 9999 * 12);
    }

    #[test]
    fn stored_months_outside_the_range_are_refused() {
        for (year, month, ok) in [
            (2024, 2, true),
            (9999, 12, true),
            (10_000, 1, false),
            (0, 1, false),
            (2024, 13, false),
            (2024, 0, false),
        ] {
            let bytes = postcard::to_stdvec(&(year, month as u8)).unwrap();
            assert_eq!(
                postcard::from_bytes::<Month>(&bytes).is_ok(),
                ok,
                "{year}-{month}"
            );
        }
    }
}
