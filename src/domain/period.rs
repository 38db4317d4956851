//! Periods of right. Both ends are inclusive, as in the CPAS forms and the network's
//! answers: a period from 2024-01-01 to 2024-01-01 is one day.

use serde::{Deserialize, Serialize};

use super::date::Date;

/// A closed period: every day from `begin` to `end`, both included.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "PeriodFields")]
pub struct Period {
    begin: Date,
    end: Date,
}

/// A period that may still be running: no `end` means "until further notice".
/// Used for request windows and for inscriptions without an end date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "OpenPeriodFields")]
pub struct OpenPeriod {
    begin: Date,
    end: Option<Date>,
}

/// Why a period could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("period ends on {end}, before it begins on {begin}")]
    EndBeforeBegin { begin: Date, end: Date },
}

/// The wire shape of a `Period`, checked before it becomes one.
#[derive(Deserialize)]
struct PeriodFields {
    begin: Date,
    end: Date,
}

impl TryFrom<PeriodFields> for Period {
    type Error = PeriodError;

    fn try_from(fields: PeriodFields) -> Result<Period, PeriodError> {
        Period::new(fields.begin, fields.end)
    }
}

/// The wire shape of an `OpenPeriod`; a missing `end` is an open end.
#[derive(Deserialize)]
struct OpenPeriodFields {
    begin: Date,
    #[serde(default)]
    end: Option<Date>,
}

impl TryFrom<OpenPeriodFields> for OpenPeriod {
    type Error = PeriodError;

    fn try_from(fields: OpenPeriodFields) -> Result<OpenPeriod, PeriodError> {
        OpenPeriod::new(fields.begin, fields.end)
    }
}

impl Period {
    /// A period from `begin` to `end` inclusive; `end` may equal `begin` (one day).
    pub fn new(begin: Date, end: Date) -> Result<Period, PeriodError> {
        if end < begin {
            return Err(PeriodError::EndBeforeBegin { begin, end });
        }
        Ok(Period { begin, end })
    }

    pub fn begin(&self) -> Date {
        self.begin
    }

    pub fn end(&self) -> Date {
        self.end
    }

    /// Length in days, both ends counted (a one-day period has 1 day).
    pub fn days(&self) -> u32 {
        let span =
            i64::from(self.end.days_since_epoch()) - i64::from(self.begin.days_since_epoch());
        u32::try_from(span + 1).unwrap_or(u32::MAX)
    }

    pub fn contains(&self, d: Date) -> bool {
        self.begin <= d && d <= self.end
    }

    /// True when the two share at least one day.
    pub fn overlaps(&self, other: &OpenPeriod) -> bool {
        self.clip(other).is_some()
    }

    /// The days of this period that fall within `window`; `None` when they share none.
    pub fn clip(&self, window: &OpenPeriod) -> Option<Period> {
        let begin = self.begin.max(window.begin);
        let end = match window.end {
            Some(window_end) => self.end.min(window_end),
            None => self.end,
        };
        Period::new(begin, end).ok()
    }
}

impl OpenPeriod {
    /// A period from `begin`, until `end` inclusive or without end when `None`.
    pub fn new(begin: Date, end: Option<Date>) -> Result<OpenPeriod, PeriodError> {
        match end {
            Some(end) if end < begin => Err(PeriodError::EndBeforeBegin { begin, end }),
            _ => Ok(OpenPeriod { begin, end }),
        }
    }

    pub fn begin(&self) -> Date {
        self.begin
    }

    /// The last day, or `None` when the period has no end.
    pub fn end(&self) -> Option<Date> {
        self.end
    }

    pub fn contains(&self, d: Date) -> bool {
        self.begin <= d && self.end.is_none_or(|end| d <= end)
    }

    /// True when the two share at least one day.
    pub fn overlaps(&self, other: &OpenPeriod) -> bool {
        let starts_before_other_ends = other.end.is_none_or(|end| self.begin <= end);
        let other_starts_before_self_ends = self.end.is_none_or(|end| other.begin <= end);
        starts_before_other_ends && other_starts_before_self_ends
    }
}

impl From<Period> for OpenPeriod {
    fn from(p: Period) -> OpenPeriod {
        OpenPeriod {
            begin: p.begin,
            end: Some(p.end),
        }
    }
}

/// Sorts periods by their beginning and joins the ones that overlap or touch (one ends
/// the day before the next begins), so that each result is one uninterrupted stretch.
pub fn merge_periods(periods: impl IntoIterator<Item = Period>) -> Vec<Period> {
    let mut merged: Vec<Period> = periods.into_iter().collect();
    merged.sort_unstable();
    // In place: each period joins the last one kept when it overlaps or touches it.
    // A period ending on the last supported day absorbs every later one.
    merged.dedup_by(|p, last| {
        let joins = last.end.succ().is_none_or(|next| p.begin <= next);
        if joins {
            last.end = last.end.max(p.end);
        }
        joins
    });
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn p(begin: &str, end: &str) -> Period {
        Period::new(d(begin), d(end)).unwrap()
    }

    fn open(begin: &str, end: Option<&str>) -> OpenPeriod {
        OpenPeriod::new(d(begin), end.map(d)).unwrap()
    }

    #[test]
    fn new_rejects_end_before_begin() {
        assert_eq!(
            Period::new(d("2024-02-01"), d("2024-01-31")),
            Err(PeriodError::EndBeforeBegin {
                begin: d("2024-02-01"),
                end: d("2024-01-31")
            })
        );
        assert_eq!(
            Period::new(d("2024-02-01"), d("2024-01-31"))
                .unwrap_err()
                .to_string(),
            "period ends on 2024-01-31, before it begins on 2024-02-01"
        );
        assert!(OpenPeriod::new(d("2024-02-01"), Some(d("2024-01-31"))).is_err());
        assert!(OpenPeriod::new(d("2024-02-01"), None).is_ok());
        assert!(Period::new(d("2024-02-01"), d("2024-02-01")).is_ok());
    }

    #[test]
    fn days_counts_both_ends() {
        assert_eq!(p("2024-01-01", "2024-01-01").days(), 1);
        assert_eq!(p("2024-01-01", "2024-01-31").days(), 31);
        assert_eq!(p("2024-02-01", "2024-02-29").days(), 29);
        assert_eq!(p("2024-01-01", "2024-12-31").days(), 366);
        assert_eq!(p("2023-01-01", "2023-12-31").days(), 365);
        let widest = Period::new(Date::MIN, Date::MAX).unwrap();
        assert_eq!(widest.days(), 9999 * 365 + 2424);
    }

    #[test]
    fn contains() {
        let period = p("2024-01-10", "2024-01-20");
        assert!(period.contains(d("2024-01-10")));
        assert!(period.contains(d("2024-01-20")));
        assert!(!period.contains(d("2024-01-09")));
        assert!(!period.contains(d("2024-01-21")));
        let running = open("2024-01-10", None);
        assert!(running.contains(d("9999-12-31")));
        assert!(!running.contains(d("2024-01-09")));
        assert!(!open("2024-01-10", Some("2024-01-10")).contains(d("2024-01-11")));
    }

    #[test]
    fn clip_inside_window() {
        let period = p("2024-03-01", "2024-03-31");
        let window = open("2024-01-01", Some("2024-12-31"));
        assert_eq!(period.clip(&window), Some(period));
    }

    #[test]
    fn clip_window_inside_period() {
        let period = p("2024-01-01", "2024-12-31");
        let window = open("2024-03-01", Some("2024-03-31"));
        assert_eq!(period.clip(&window), Some(p("2024-03-01", "2024-03-31")));
    }

    #[test]
    fn clip_overlapping_either_side() {
        let period = p("2024-03-01", "2024-03-31");
        assert_eq!(
            period.clip(&open("2024-03-15", Some("2024-04-15"))),
            Some(p("2024-03-15", "2024-03-31"))
        );
        assert_eq!(
            period.clip(&open("2024-02-15", Some("2024-03-15"))),
            Some(p("2024-03-01", "2024-03-15"))
        );
        // touching on a single day
        assert_eq!(
            period.clip(&open("2024-03-31", Some("2024-04-30"))),
            Some(p("2024-03-31", "2024-03-31"))
        );
        assert_eq!(
            period.clip(&open("2024-02-01", Some("2024-03-01"))),
            Some(p("2024-03-01", "2024-03-01"))
        );
    }

    #[test]
    fn clip_disjoint() {
        let period = p("2024-03-01", "2024-03-31");
        assert_eq!(period.clip(&open("2024-04-01", Some("2024-04-30"))), None);
        assert_eq!(period.clip(&open("2024-01-01", Some("2024-02-29"))), None);
        assert_eq!(period.clip(&open("2024-04-01", None)), None);
        assert!(!period.overlaps(&open("2024-04-01", None)));
        assert!(!period.overlaps(&open("2024-01-01", Some("2024-02-29"))));
    }

    #[test]
    fn clip_open_window() {
        let period = p("2024-03-01", "2024-03-31");
        assert_eq!(
            period.clip(&open("2024-03-10", None)),
            Some(p("2024-03-10", "2024-03-31"))
        );
        assert_eq!(period.clip(&open("2020-01-01", None)), Some(period));
        assert!(period.overlaps(&open("2024-03-31", None)));
        assert!(period.overlaps(&period.into()));
    }

    #[test]
    fn open_periods_overlap() {
        let a = open("2024-01-01", None);
        let b = open("2025-01-01", None);
        let c = open("2023-01-01", Some("2023-12-31"));
        assert!(a.overlaps(&b));
        assert!(b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert!(!c.overlaps(&a));
        assert!(c.overlaps(&open("2023-12-31", Some("2024-01-05"))));
    }

    #[test]
    fn merge_overlapping() {
        assert_eq!(
            merge_periods([p("2024-01-01", "2024-01-31"), p("2024-01-15", "2024-02-15")]),
            vec![p("2024-01-01", "2024-02-15")]
        );
    }

    #[test]
    fn merge_adjacent() {
        assert_eq!(
            merge_periods([p("2024-01-01", "2024-01-31"), p("2024-02-01", "2024-02-29")]),
            vec![p("2024-01-01", "2024-02-29")]
        );
        // a one-day gap keeps them apart
        assert_eq!(
            merge_periods([p("2024-01-01", "2024-01-30"), p("2024-02-01", "2024-02-29")]),
            vec![p("2024-01-01", "2024-01-30"), p("2024-02-01", "2024-02-29")]
        );
    }

    #[test]
    fn merge_contained() {
        assert_eq!(
            merge_periods([p("2024-01-01", "2024-12-31"), p("2024-03-01", "2024-03-31")]),
            vec![p("2024-01-01", "2024-12-31")]
        );
    }

    #[test]
    fn merge_unsorted_input() {
        assert_eq!(
            merge_periods([
                p("2024-06-01", "2024-06-30"),
                p("2024-01-01", "2024-01-31"),
                p("2024-05-15", "2024-05-31"),
                p("2024-02-01", "2024-02-10"),
            ]),
            vec![p("2024-01-01", "2024-02-10"), p("2024-05-15", "2024-06-30")]
        );
    }

    #[test]
    fn merge_single_day_periods() {
        assert_eq!(
            merge_periods([
                p("2024-01-03", "2024-01-03"),
                p("2024-01-01", "2024-01-01"),
                p("2024-01-02", "2024-01-02"),
                p("2024-01-05", "2024-01-05"),
                p("2024-01-05", "2024-01-05"),
            ]),
            vec![p("2024-01-01", "2024-01-03"), p("2024-01-05", "2024-01-05")]
        );
        assert_eq!(merge_periods(Vec::new()), Vec::<Period>::new());
    }

    #[test]
    fn serde_shape_and_validation() {
        let period = p("2024-01-01", "2024-01-31");
        assert_eq!(
            serde_json::to_string(&period).unwrap(),
            r#"{"begin":"2024-01-01","end":"2024-01-31"}"#
        );
        assert_eq!(
            serde_json::from_str::<Period>(r#"{"begin":"2024-01-01","end":"2024-01-31"}"#).unwrap(),
            period
        );
        let err = serde_json::from_str::<Period>(r#"{"begin":"2024-01-31","end":"2024-01-01"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("before it begins"), "{err}");
        let running = open("2024-01-01", None);
        assert_eq!(
            serde_json::to_string(&running).unwrap(),
            r#"{"begin":"2024-01-01","end":null}"#
        );
        assert_eq!(
            serde_json::from_str::<OpenPeriod>(r#"{"begin":"2024-01-01"}"#).unwrap(),
            running
        );
        assert!(
            serde_json::from_str::<OpenPeriod>(r#"{"begin":"2024-01-31","end":"2024-01-01"}"#)
                .is_err()
        );
    }
}
