//! The duration of a decision (form B, rubric 51): months, weeks and days, combined.
//!
//! "Un mois a la durée du nombre de jours du mois au cours duquel se situe la date de
//! début": a month lasts as many days as the month it starts in, so one month from
//! 3 January ends on 2 February inclusive and one month from 28 February (28 days)
//! on 27 March inclusive. Several months follow each other, each with the length of
//! the month it starts in; weeks and days are added after the months.

use serde::{Deserialize, Serialize};

use crate::domain::Date;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Duration {
    pub months: u16,
    pub weeks: u16,
    pub days: u16,
}

impl Duration {
    /// No rubric filled, or all zero: the seed requires at least one of the three.
    pub fn is_empty(&self) -> bool {
        self.months == 0 && self.weeks == 0 && self.days == 0
    }

    /// The last day (inclusive) of a decision of this duration starting on `start`;
    /// `None` for an empty duration (which the form's check reports) or one that would
    /// end after `Date::MAX` (likewise).
    pub fn last_day(&self, start: Date) -> Option<Date> {
        if self.is_empty() {
            return None;
        }
        // Counted in days from `start`, so that a decision ending on 9999-12-31 does not
        // need the day after it (which does not exist) on the way. Each month starts on
        // a day before the last one, so when that day does not exist neither does the
        // last day.
        let mut days = 0i32;
        for _ in 0..self.months {
            let (y, m, _) = start.add_days(days)?.ymd();
            days += i32::try_from(Date::days_in_month(y, m)).ok()?;
        }
        days += i32::from(self.weeks) * 7 + i32::from(self.days);
        start.add_days(days - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_xsd(s).unwrap()
    }

    fn months(months: u16) -> Duration {
        Duration {
            months,
            ..Duration::default()
        }
    }

    #[test]
    fn a_month_lasts_the_length_of_the_month_it_starts_in() {
        // The seed's own examples.
        assert_eq!(months(1).last_day(d("2021-01-03")), Some(d("2021-02-02")));
        assert_eq!(months(1).last_day(d("2021-02-28")), Some(d("2021-03-27")));
        // A leap February has 29 days.
        assert_eq!(months(1).last_day(d("2024-02-28")), Some(d("2024-03-27")));
        assert_eq!(months(1).last_day(d("2024-02-01")), Some(d("2024-02-29")));
        // Twelve months from the first of a month end the day before the anniversary.
        assert_eq!(months(12).last_day(d("2023-01-01")), Some(d("2023-12-31")));
        assert_eq!(months(3).last_day(d("2023-11-01")), Some(d("2024-01-31")));
    }

    #[test]
    fn months_weeks_and_days_combine() {
        let mixed = Duration {
            months: 1,
            weeks: 2,
            days: 3,
        };
        // 1 month from 3 January: 31 days, then 14 + 3 more.
        assert_eq!(mixed.last_day(d("2021-01-03")), Some(d("2021-02-19")));
        let days = Duration {
            days: 1,
            ..Duration::default()
        };
        assert_eq!(days.last_day(d("2021-01-03")), Some(d("2021-01-03")));
        let weeks = Duration {
            weeks: 1,
            ..Duration::default()
        };
        assert_eq!(weeks.last_day(d("2021-12-29")), Some(d("2022-01-04")));
        assert_eq!(Duration::default().last_day(d("2021-01-03")), None);
    }

    #[test]
    fn a_duration_ending_on_the_last_supported_day_is_kept_and_one_beyond_it_is_not() {
        assert_eq!(months(12).last_day(d("9999-01-01")), Some(Date::MAX));
        assert_eq!(months(13).last_day(d("9999-01-01")), None);
        let one_day = Duration {
            days: 1,
            ..Duration::default()
        };
        assert_eq!(one_day.last_day(Date::MAX), Some(Date::MAX));
        let two_days = Duration {
            days: 2,
            ..Duration::default()
        };
        assert_eq!(two_days.last_day(Date::MAX), None);
        let longest = Duration {
            months: u16::MAX,
            weeks: u16::MAX,
            days: u16::MAX,
        };
        assert_eq!(longest.last_day(d("9000-01-01")), None);
        assert!(longest.last_day(Date::MIN).is_some());
    }
}
