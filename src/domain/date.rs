//! Civil calendar dates (proleptic Gregorian) and the xsd:date / xsd:dateTime lexical
//! forms used on the wire.
//!
//! A date is a day count since 1970-01-01 so that comparing, ordering and counting days
//! are plain integer operations; the conversions are Howard Hinnant's
//! `days_from_civil` / `civil_from_days`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day, stored as the number of days since 1970-01-01.
///
/// Always within the supported range, `Date::MIN` (0001-01-01) to `Date::MAX`
/// (9999-12-31): the days an `xsd:date` with a four-digit year can name. Arithmetic that
/// would leave the range answers `None` instead of wrapping or saturating, so that no
/// loop over dates can run past the last day and no answer can carry a year the
/// contract cannot write.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Date(i32);

/// Why a date could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("year {year} is outside the supported range 0001..=9999")]
    Year { year: i32 },
    #[error("month {month} does not exist (expected 01..12)")]
    Month { month: u32 },
    #[error("day {day} does not exist in {year:04}-{month:02}, which has {days_in_month} days")]
    Day {
        year: i32,
        month: u32,
        day: u32,
        days_in_month: u32,
    },
    #[error("\"{input}\" is not a date of the form YYYY-MM-DD: {problem}")]
    Syntax { input: String, problem: String },
    #[error(
        "\"{input}\" has an invalid timezone \"{zone}\" (expected Z or +hh:mm / -hh:mm with hh 00..14 and mm 00..59, at most 14:00)"
    )]
    TimeZone { input: String, zone: String },
}

const SECONDS_PER_DAY: i64 = 86_400;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let shifted_month = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * shifted_month + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// Gregorian leap year: every 4th year, except centuries not divisible by 400.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days of `month` in `year`; 0 for a month outside 1..=12.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day count of 0001-01-01.
const FIRST_DAY: i32 = -719_162;
/// Day count of 9999-12-31.
const LAST_DAY: i32 = 2_932_896;

/// Clamps a day count into the supported range.
fn clamp_days(days: i64) -> i32 {
    // Within FIRST_DAY..=LAST_DAY after the clamp, so the conversion cannot fail.
    i32::try_from(days.clamp(i64::from(FIRST_DAY), i64::from(LAST_DAY))).unwrap_or(FIRST_DAY)
}

impl Date {
    /// The first day the register supports, 0001-01-01.
    pub const MIN: Date = Date(FIRST_DAY);
    /// The last day the register supports, 9999-12-31.
    pub const MAX: Date = Date(LAST_DAY);

    /// Builds a date from its calendar parts; only years 0001..=9999 (what xsd:date on
    /// the wire carries with four digits) are accepted.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError::Year { year });
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month { month });
        }
        let max = days_in_month(year, month);
        if day == 0 || day > max {
            return Err(DateError::Day {
                year,
                month,
                day,
                days_in_month: max,
            });
        }
        Ok(Date(clamp_days(days_from_civil(
            i64::from(year),
            month,
            day,
        ))))
    }

    /// The date `days` days after 1970-01-01 (negative: before); `None` outside the
    /// supported range.
    pub fn from_days_since_epoch(days: i32) -> Option<Date> {
        (FIRST_DAY..=LAST_DAY).contains(&days).then_some(Date(days))
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// The UTC calendar day of a Unix timestamp in seconds (floors towards the past, so
    /// one second before the epoch is 1969-12-31). An instant outside the supported
    /// range gives its first or last day.
    pub fn from_unix_seconds(secs: i64) -> Date {
        Date(clamp_days(secs.div_euclid(SECONDS_PER_DAY)))
    }

    /// The UTC calendar day of a Unix timestamp in milliseconds (the clock's unit).
    pub fn from_unix_millis(ms: i64) -> Date {
        Date::from_unix_seconds(ms.div_euclid(1000))
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    pub fn month(self) -> u32 {
        self.ymd().1
    }

    pub fn day(self) -> u32 {
        self.ymd().2
    }

    /// Year, month (1..=12) and day (1..=31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.0));
        // Years 1..=9999 within the supported range.
        (y as i32, m, d)
    }

    /// The next day; `None` after 9999-12-31.
    pub fn succ(self) -> Option<Date> {
        self.add_days(1)
    }

    /// The previous day; `None` before 0001-01-01.
    pub fn pred(self) -> Option<Date> {
        self.add_days(-1)
    }

    /// The date `n` days later (earlier when negative); `None` outside the supported
    /// range.
    pub fn add_days(self, n: i32) -> Option<Date> {
        Date::from_days_since_epoch(self.0.checked_add(n)?)
    }

    /// Number of days of `month` in `year`, leap years included (1900: no, 2000: yes).
    pub fn days_in_month(year: i32, month: u32) -> u32 {
        days_in_month(year, month)
    }

    /// Parses the lexical xsd:date form: `YYYY-MM-DD`, optionally followed by a
    /// timezone `Z` or `+hh:mm` / `-hh:mm`. The timezone is validated and then ignored
    /// (a date on the wire names a calendar day). Surrounding XML whitespace is trimmed,
    /// as the schema's whitespace facet does.
    pub fn parse_xsd(s: &str) -> Result<Date, DateError> {
        let trimmed = trim_xml_whitespace(s);
        let (date, zone) = parse_date_prefix(trimmed)?;
        if zone.is_empty() {
            return Ok(date);
        }
        if zone.starts_with('T') {
            return Err(syntax(trimmed, "a time part is not allowed in a date"));
        }
        if !is_valid_zone(zone) {
            return Err(DateError::TimeZone {
                input: trimmed.to_string(),
                zone: zone.to_string(),
            });
        }
        Ok(date)
    }
}

/// The whitespace XML collapses: space, tab, carriage return, line feed.
fn trim_xml_whitespace(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

fn syntax(input: &str, problem: impl Into<String>) -> DateError {
    DateError::Syntax {
        input: input.to_string(),
        problem: problem.into(),
    }
}

/// Number of leading ASCII digits of `bytes`.
fn leading_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Parses the leading `YYYY-MM-DD` of `s` and returns the date and what follows it.
fn parse_date_prefix(s: &str) -> Result<(Date, &str), DateError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(syntax(s, "the text is empty"));
    }
    if b[0] == b'-' || b[0] == b'+' {
        return Err(syntax(s, "the year may not carry a sign"));
    }
    let year_digits = leading_digits(b);
    if year_digits != 4 {
        return Err(syntax(
            s,
            format!(
                "the year must have exactly 4 digits (supported dates run from 0001-01-01 to 9999-12-31), found {year_digits}"
            ),
        ));
    }
    if b.get(4) != Some(&b'-') {
        return Err(syntax(s, "expected '-' after the year"));
    }
    let month_digits = leading_digits(&b[5..]);
    if month_digits != 2 {
        return Err(syntax(
            s,
            format!("the month must have exactly 2 digits, found {month_digits}"),
        ));
    }
    if b.get(7) != Some(&b'-') {
        return Err(syntax(s, "expected '-' after the month"));
    }
    let day_digits = leading_digits(&b[8..]);
    if day_digits != 2 {
        return Err(syntax(
            s,
            format!("the day must have exactly 2 digits, found {day_digits}"),
        ));
    }
    // The first 10 bytes are ASCII, so slicing at 10 is on a character boundary.
    let year = super::digits_value(&b[0..4]) as i32;
    let month = super::digits_value(&b[5..7]) as u32;
    let day = super::digits_value(&b[8..10]) as u32;
    let date = Date::from_ymd(year, month, day)?;
    Ok((date, &s[10..]))
}

/// A timezone as xsd allows it: `Z`, or `±hh:mm` with hh 00..14, mm 00..59, and
/// nothing beyond ±14:00.
fn is_valid_zone(zone: &str) -> bool {
    if zone == "Z" {
        return true;
    }
    let b = zone.as_bytes();
    if b.len() != 6 || !(b[0] == b'+' || b[0] == b'-') || b[3] != b':' {
        return false;
    }
    if !(b[1..3].iter().chain(&b[4..6]).all(u8::is_ascii_digit)) {
        return false;
    }
    let hh = super::digits_value(&b[1..3]);
    let mm = super::digits_value(&b[4..6]);
    hh <= 14 && mm <= 59 && (hh < 14 || mm == 0)
}

/// True for a lexically valid xsd:dateTime: `YYYY-MM-DDThh:mm:ss`, an optional fraction
/// `.d+`, an optional timezone (`Z` or `±hh:mm`). The date part must be a real date,
/// hh 00..23 (or exactly `24:00:00`), mm 00..59, ss 00..59. Surrounding XML whitespace
/// is ignored, as the schema's whitespace facet does.
pub fn is_xsd_date_time(s: &str) -> bool {
    let s = trim_xml_whitespace(s);
    let Ok((_, rest)) = parse_date_prefix(s) else {
        return false;
    };
    let Some(time) = rest.strip_prefix('T') else {
        return false;
    };
    let b = time.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let fields = [&b[0..2], &b[3..5], &b[6..8]];
    if !fields.iter().all(|f| f.iter().all(u8::is_ascii_digit)) {
        return false;
    }
    let (hh, mm, ss) = (
        super::digits_value(fields[0]),
        super::digits_value(fields[1]),
        super::digits_value(fields[2]),
    );
    let mut rest = &time[8..];
    let mut fraction_is_zero = true;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = leading_digits(after_dot.as_bytes());
        if n == 0 {
            return false;
        }
        fraction_is_zero = after_dot.as_bytes()[..n].iter().all(|&d| d == b'0');
        rest = &after_dot[n..];
    }
    let time_ok = if hh == 24 {
        mm == 0 && ss == 0 && fraction_is_zero
    } else {
        hh <= 23 && mm <= 59 && ss <= 59
    };
    time_ok && (rest.is_empty() || is_valid_zone(rest))
}

/// Text of at most a few dozen ASCII bytes built without allocating: answers write a
/// date or a timestamp for every period, and the formatting machinery was a visible
/// share of writing one.
pub struct ShortText {
    bytes: [u8; 32],
    len: usize,
}

impl ShortText {
    fn new() -> Self {
        ShortText {
            bytes: [0; 32],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// `n` in decimal, zero-padded to `width` digits.
    fn push_number(&mut self, n: u64, width: usize) {
        let mut digits = [0u8; 20];
        let mut count = 0;
        let mut rest = n;
        while count < digits.len() && (rest > 0 || count < width) {
            digits[count] = b'0' + (rest % 10) as u8;
            rest /= 10;
            count += 1;
        }
        for &d in digits[..count].iter().rev() {
            self.push(d);
        }
    }

    fn push_date(&mut self, date: Date) {
        let (y, m, d) = date.ymd();
        self.push_number(u64::from(y.unsigned_abs()), 4);
        self.push(b'-');
        self.push_number(u64::from(m), 2);
        self.push(b'-');
        self.push_number(u64::from(d), 2);
    }
}

impl std::ops::Deref for ShortText {
    type Target = str;

    fn deref(&self) -> &str {
        // Only ASCII digits and punctuation are ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// A whole number of milliseconds, seconds, minutes, hours or days (`500ms`, `5s`,
/// `30m`, `2h`, `31d`) in milliseconds; `None` for anything else or an overflow.
pub fn parse_duration_ms(text: &str) -> Option<i64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().ok()?;
    let per = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(per)
}

/// Formats a Unix instant in milliseconds as an xsd:dateTime in UTC with millisecond
/// precision, e.g. `2026-11-22T09:05:03.042Z` — the form CBSS timestamps take.
pub fn format_utc_timestamp(unix_millis: i64) -> String {
    utc_timestamp(unix_millis).to_owned()
}

/// `format_utc_timestamp` on the stack, for the answers' timestamps.
pub fn utc_timestamp(unix_millis: i64) -> ShortText {
    let days = unix_millis.div_euclid(MILLIS_PER_DAY);
    // In 0..MILLIS_PER_DAY, so it fits a u64.
    let millis_of_day = unix_millis.rem_euclid(MILLIS_PER_DAY).unsigned_abs();
    let mut text = ShortText::new();
    text.push_date(Date(clamp_days(days)));
    text.push(b'T');
    text.push_number(millis_of_day / 3_600_000, 2);
    text.push(b':');
    text.push_number(millis_of_day / 60_000 % 60, 2);
    text.push(b':');
    text.push_number(millis_of_day / 1000 % 60, 2);
    text.push(b'.');
    text.push_number(millis_of_day % 1000, 3);
    text.push(b'Z');
    text
}

impl Date {
    /// The `xsd:date` text (`2026-11-22`), without allocating.
    pub fn xsd(self) -> ShortText {
        let mut text = ShortText::new();
        text.push_date(self);
        text
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.xsd())
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse_xsd(s)
    }
}

/// `YYYY-MM-DD` in readable formats (JSON manifests); the day number in binary ones
/// (the store), which is both smaller and cheaper to read back.
impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i32(self.0)
        }
    }
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date \"YYYY-MM-DD\"")
    }

    /// Stored data is our own output, so only the exact `YYYY-MM-DD` form is accepted
    /// (no whitespace, no timezone).
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
        match parse_date_prefix(v) {
            Ok((date, "")) => Ok(date),
            Ok((_, rest)) => Err(E::custom(format!(
                "\"{v}\" is not a date of the form YYYY-MM-DD: unexpected \"{rest}\" after the day"
            ))),
            Err(e) => Err(E::custom(e)),
        }
    }

    /// A stored day count outside the supported range is refused, never misread.
    fn visit_i32<E: de::Error>(self, days: i32) -> Result<Date, E> {
        Date::from_days_since_epoch(days).ok_or_else(|| {
            E::custom(format!(
                "day {days} since 1970-01-01 is outside the supported range 0001-01-01..=9999-12-31"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(DateVisitor)
        } else {
            deserializer.deserialize_i32(DateVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd(y, m, day).unwrap()
    }

    #[test]
    fn known_day_counts() {
        assert_eq!(d(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(d(1970, 1, 2).days_since_epoch(), 1);
        assert_eq!(d(1969, 12, 31).days_since_epoch(), -1);
        assert_eq!(d(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(d(1900, 1, 1).days_since_epoch(), -25_567);
        assert_eq!(d(2026, 11, 22).days_since_epoch(), 20_779);
        assert_eq!(d(1, 1, 1).days_since_epoch(), -719_162);
        assert_eq!(d(9999, 12, 31).days_since_epoch(), 2_932_896);
        assert_eq!(
            Date::from_days_since_epoch(20_779).map(Date::ymd),
            Some((2026, 11, 22))
        );
    }

    #[test]
    fn leap_years() {
        assert!(!is_leap_year(1900));
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(2023));
        assert!(!is_leap_year(2100));
        assert_eq!(Date::days_in_month(1900, 2), 28);
        assert_eq!(Date::days_in_month(2000, 2), 29);
        assert_eq!(Date::days_in_month(2024, 2), 29);
        assert_eq!(Date::days_in_month(2023, 2), 28);
        assert_eq!(Date::days_in_month(2023, 4), 30);
        assert_eq!(Date::days_in_month(2023, 12), 31);
        assert_eq!(Date::days_in_month(2023, 13), 0);
        assert!(Date::from_ymd(2000, 2, 29).is_ok());
        assert_eq!(
            Date::from_ymd(1900, 2, 29),
            Err(DateError::Day {
                year: 1900,
                month: 2,
                day: 29,
                days_in_month: 28
            })
        );
        assert_eq!(d(2000, 2, 28).succ(), Some(d(2000, 2, 29)));
        assert_eq!(d(1900, 2, 28).succ(), Some(d(1900, 3, 1)));
    }

    #[test]
    fn every_day_round_trips_from_1900_to_2100() {
        let first = d(1900, 1, 1).days_since_epoch();
        let last = d(2100, 12, 31).days_since_epoch();
        assert_eq!(last - first + 1, 73_414); // 201 years, 49 leap days
        let mut expected = (1900, 1, 1);
        for n in first..=last {
            let date = Date::from_days_since_epoch(n).unwrap();
            assert_eq!(date.ymd(), expected, "day {n}");
            let (y, m, dd) = expected;
            assert_eq!(Date::from_ymd(y, m, dd), Ok(date));
            assert_eq!((date.year(), date.month(), date.day()), expected);
            expected = if dd < days_in_month(y, m) {
                (y, m, dd + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
        assert_eq!(expected, (2101, 1, 1));
    }

    #[test]
    fn from_ymd_rejects_out_of_range_parts() {
        assert_eq!(Date::from_ymd(0, 1, 1), Err(DateError::Year { year: 0 }));
        assert_eq!(
            Date::from_ymd(10_000, 1, 1),
            Err(DateError::Year { year: 10_000 })
        );
        assert_eq!(
            Date::from_ymd(2020, 13, 1),
            Err(DateError::Month { month: 13 })
        );
        assert_eq!(
            Date::from_ymd(2020, 0, 1),
            Err(DateError::Month { month: 0 })
        );
        assert!(matches!(
            Date::from_ymd(2020, 4, 31),
            Err(DateError::Day { day: 31, .. })
        ));
        assert!(matches!(
            Date::from_ymd(2020, 4, 0),
            Err(DateError::Day { day: 0, .. })
        ));
    }

    #[test]
    fn arithmetic() {
        assert_eq!(d(2020, 12, 31).succ(), Some(d(2021, 1, 1)));
        assert_eq!(d(2021, 1, 1).pred(), Some(d(2020, 12, 31)));
        assert_eq!(d(2020, 1, 1).add_days(366), Some(d(2021, 1, 1)));
        assert_eq!(d(2020, 1, 1).add_days(-1), Some(d(2019, 12, 31)));
        assert!(d(2020, 1, 1) < d(2020, 1, 2));
    }

    #[test]
    fn arithmetic_stops_at_the_edges_of_the_supported_range() {
        assert_eq!(Date::MIN, d(1, 1, 1));
        assert_eq!(Date::MAX, d(9999, 12, 31));
        assert_eq!(Date::MAX.succ(), None);
        assert_eq!(Date::MIN.pred(), None);
        assert_eq!(Date::MAX.add_days(1), None);
        assert_eq!(Date::MIN.add_days(-1), None);
        assert_eq!(Date::MIN.add_days(i32::MIN), None);
        assert_eq!(Date::MAX.add_days(i32::MAX), None);
        assert_eq!(Date::MAX.add_days(0), Some(Date::MAX));
        assert_eq!(d(9999, 12, 30).succ(), Some(Date::MAX));
        assert_eq!(
            Date::MIN.add_days(Date::MAX.days_since_epoch() - Date::MIN.days_since_epoch()),
            Some(Date::MAX)
        );
        assert_eq!(Date::from_days_since_epoch(i32::MAX), None);
        assert_eq!(Date::from_days_since_epoch(i32::MIN), None);
        assert_eq!(Date::from_unix_seconds(i64::MAX), Date::MAX);
        assert_eq!(Date::from_unix_seconds(i64::MIN), Date::MIN);
        assert_eq!(Date::MAX.to_string(), "9999-12-31");
        assert_eq!(Date::MIN.to_string(), "0001-01-01");
    }

    /// Every day of the supported range: its parts build it back, its text parses back
    /// to it, and its neighbours are one day away with the next calendar day's parts.
    #[test]
    fn every_supported_day_round_trips_and_steps() {
        let mut date = Date::MIN;
        let mut count = 1;
        loop {
            let (y, m, dd) = date.ymd();
            assert_eq!(Date::from_ymd(y, m, dd), Ok(date));
            assert_eq!(Date::parse_xsd(&date.xsd()), Ok(date));
            let Some(next) = date.succ() else { break };
            assert_eq!(next.pred(), Some(date));
            let expected = if dd < days_in_month(y, m) {
                (y, m, dd + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(next.ymd(), expected);
            date = next;
            count += 1;
        }
        assert_eq!(date, Date::MAX);
        // 9999 years of 365 days and 2,424 leap days.
        assert_eq!(count, 9999 * 365 + 2424);
    }

    #[test]
    fn stored_day_counts_outside_the_range_are_refused() {
        for days in [FIRST_DAY, LAST_DAY, FIRST_DAY - 1, LAST_DAY + 1, i32::MAX] {
            let bytes = postcard::to_stdvec(&days).unwrap();
            let read = postcard::from_bytes::<Date>(&bytes);
            assert_eq!(
                read.is_ok(),
                (FIRST_DAY..=LAST_DAY).contains(&days),
                "{days}"
            );
        }
    }

    #[test]
    fn display_is_zero_padded() {
        assert_eq!(d(5, 3, 7).to_string(), "0005-03-07");
        assert_eq!(d(2024, 2, 29).to_string(), "2024-02-29");
        assert_eq!(&*d(1999, 12, 31).xsd(), "1999-12-31");
    }

    #[test]
    fn parse_xsd_accepts_dates_with_and_without_timezone() {
        let expected = d(2024, 2, 29);
        for s in [
            "2024-02-29",
            "2024-02-29Z",
            "2024-02-29+01:00",
            "2024-02-29-05:30",
            "2024-02-29+14:00",
            "2024-02-29-00:00",
            " \t2024-02-29\r\n",
        ] {
            assert_eq!(Date::parse_xsd(s), Ok(expected), "{s:?}");
        }
        assert_eq!("2020-01-01".parse::<Date>(), Ok(d(2020, 1, 1)));
    }

    #[test]
    fn parse_xsd_rejects_malformed_input() {
        for s in [
            "",
            "   ",
            "2020-1-01",
            "2020-01-1",
            "20-01-01",
            "02020-01-01",
            "-2020-01-01",
            "+2020-01-01",
            "2020/01/01",
            "2020-01-01T00:00:00",
            "2020-01-01z",
            "2020-01-01+1:00",
            "2020-01-01+01:0",
            "2020-01-01+0100",
            "2020-01-01x",
            "٢٠٢٠-01-01",
        ] {
            assert!(Date::parse_xsd(s).is_err(), "{s:?} should be rejected");
        }
        assert_eq!(
            Date::parse_xsd("2020-1-01"),
            Err(DateError::Syntax {
                input: "2020-1-01".into(),
                problem: "the month must have exactly 2 digits, found 1".into()
            })
        );
        assert_eq!(
            Date::parse_xsd("12020-01-01").unwrap_err().to_string(),
            "\"12020-01-01\" is not a date of the form YYYY-MM-DD: the year must have exactly 4 digits (supported dates run from 0001-01-01 to 9999-12-31), found 5"
        );
        assert_eq!(
            Date::parse_xsd("-2020-01-01").unwrap_err().to_string(),
            "\"-2020-01-01\" is not a date of the form YYYY-MM-DD: the year may not carry a sign"
        );
        assert_eq!(
            Date::parse_xsd("2020-13-01"),
            Err(DateError::Month { month: 13 })
        );
        assert_eq!(
            Date::parse_xsd("2021-02-30"),
            Err(DateError::Day {
                year: 2021,
                month: 2,
                day: 30,
                days_in_month: 28
            })
        );
        assert_eq!(
            Date::parse_xsd("2020-02-30").unwrap_err().to_string(),
            "day 30 does not exist in 2020-02, which has 29 days"
        );
        assert_eq!(
            Date::parse_xsd("0000-01-01"),
            Err(DateError::Year { year: 0 })
        );
        for zone in ["+15:00", "+14:01", "-01:60", "+24:00", "z", "+01:00Z"] {
            let s = format!("2020-01-01{zone}");
            assert_eq!(
                Date::parse_xsd(&s),
                Err(DateError::TimeZone {
                    input: s.clone(),
                    zone: zone.into()
                }),
                "{s}"
            );
        }
    }

    #[test]
    fn unix_seconds_give_the_utc_day() {
        assert_eq!(Date::from_unix_seconds(0), d(1970, 1, 1));
        assert_eq!(Date::from_unix_seconds(86_399), d(1970, 1, 1));
        assert_eq!(Date::from_unix_seconds(86_400), d(1970, 1, 2));
        assert_eq!(Date::from_unix_seconds(-1), d(1969, 12, 31));
        assert_eq!(Date::from_unix_seconds(1_795_338_303), d(2026, 11, 22));
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(
            format_utc_timestamp(1_795_338_303_042),
            "2026-11-22T09:05:03.042Z"
        );
        assert_eq!(format_utc_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_utc_timestamp(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            format_utc_timestamp(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert!(is_xsd_date_time(&format_utc_timestamp(1_795_338_303_042)));
    }

    #[test]
    fn xsd_date_times() {
        for s in [
            "2026-11-22T09:05:03",
            "2026-11-22T09:05:03.042Z",
            "2026-11-22T09:05:03.1+01:00",
            "2026-11-22T23:59:59.999999-14:00",
            "2024-02-29T00:00:00Z",
            "2024-02-29T24:00:00",
            "2024-02-29T24:00:00.000Z",
            " 2026-11-22T09:05:03Z\n",
        ] {
            assert!(is_xsd_date_time(s), "{s:?} should be valid");
        }
        for s in [
            "",
            "2026-11-22",
            "2026-11-22T",
            "2026-11-22 09:05:03",
            "2026-11-22T9:05:03",
            "2026-11-22T09:5:03",
            "2026-11-22T09:05",
            "2026-11-22T09:05:60",
            "2026-11-22T09:60:00",
            "2026-11-22T25:00:00",
            "2026-11-22T24:00:01",
            "2026-11-22T24:00:00.5",
            "2026-11-22T09:05:03.",
            "2026-11-22T09:05:03.5X",
            "2026-11-22T09:05:03+15:00",
            "2026-11-22T09:05:03+01:00Z",
            "2023-02-29T00:00:00",
            "2026-13-22T09:05:03",
            "-2026-11-22T09:05:03",
            "12026-11-22T09:05:03",
            "2026-11-22t09:05:03",
        ] {
            assert!(!is_xsd_date_time(s), "{s:?} should be invalid");
        }
    }

    #[test]
    fn serde_uses_the_iso_string() {
        let date = d(2024, 2, 29);
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2024-02-29\"");
        assert_eq!(
            serde_json::from_str::<Date>("\"2024-02-29\"").unwrap(),
            date
        );
        assert!(serde_json::from_str::<Date>("\"2023-02-29\"").is_err());
        assert!(serde_json::from_str::<Date>("\"2024-02-29Z\"").is_err());
        assert!(serde_json::from_str::<Date>("\" 2024-02-29\"").is_err());
        assert!(serde_json::from_str::<Date>("20240229").is_err());
    }
}
