//! The server's clock. Everything that needs the time asks here: timestamps and
//! tickets, the propagation delay of decisions, notification retries, the visibility
//! of payments and when they become definitive. By default it is the system clock; a
//! tester can start the server at another time (`serve --clock`) and move or freeze it
//! while the server runs (`bcss-gateway clock`).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

use crate::domain::Date;
use crate::domain::date::format_utc_timestamp;

/// Milliseconds since the Unix epoch, by the system clock.
pub fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How the clock tells the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    System,
    /// The system clock moved by this many milliseconds: time runs.
    Offset(i64),
    /// Always this instant: time stands still until moved.
    Fixed(i64),
}

impl Setting {
    /// The time by this setting when the system clock says `system_ms`.
    pub fn at(self, system_ms: i64) -> i64 {
        match self {
            Setting::System => system_ms,
            Setting::Offset(ms) => system_ms.saturating_add(ms),
            Setting::Fixed(ms) => ms,
        }
    }

    /// Reads a setting as an operator writes it, the system clock saying `system_ms`:
    ///
    /// - `system`;
    /// - an instant, `2027-03-01` (midnight UTC) or `2027-03-01T08:30:00Z`: time runs
    ///   from there;
    /// - `fixed:` and an instant: time stands still there;
    /// - `+` or `-` and a duration (`ms`, `s`, `m`, `h`, `d`), e.g. `+31d`: the system
    ///   clock moved by that much.
    pub fn parse(text: &str, system_ms: i64) -> Result<Setting, ClockError> {
        let text = text.trim();
        if text == "system" {
            return Ok(Setting::System);
        }
        if let Some(instant) = text.strip_prefix("fixed:") {
            return Ok(Setting::Fixed(parse_instant(instant)?));
        }
        if let Some(sign) = text.chars().next().filter(|c| matches!(c, '+' | '-')) {
            let ms = parse_duration_ms(&text[1..])?;
            return Ok(Setting::Offset(if sign == '-' { -ms } else { ms }));
        }
        Ok(Setting::Offset(
            parse_instant(text)?.saturating_sub(system_ms),
        ))
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::System => f.write_str("system"),
            Setting::Offset(ms) => write!(f, "offset {}", format_duration(*ms)),
            Setting::Fixed(ms) => write!(f, "fixed at {}", format_utc_timestamp(*ms)),
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ClockError {
    #[error(
        "{0:?} is not an instant: write a date (2027-03-01) or a UTC time (2027-03-01T08:30:00Z)"
    )]
    Instant(String),
    #[error(
        "{0:?} is not a duration: write a whole number and a unit, ms, s, m, h or d (e.g. 31d)"
    )]
    Duration(String),
}

/// A whole number of milliseconds, seconds, minutes, hours or days.
pub fn parse_duration_ms(text: &str) -> Result<i64, ClockError> {
    crate::domain::date::parse_duration_ms(text)
        .ok_or_else(|| ClockError::Duration(text.to_owned()))
}

/// A move of the clock: a duration, forwards or (with `-`) backwards; `+` allowed.
pub fn parse_move_ms(text: &str) -> Result<i64, ClockError> {
    let text = text.trim();
    match text.strip_prefix('-') {
        Some(rest) => parse_duration_ms(rest).map(|ms| -ms),
        None => parse_duration_ms(text.strip_prefix('+').unwrap_or(text)),
    }
}

fn format_duration(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    let abs = ms.unsigned_abs();
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
    ];
    match units
        .iter()
        .find(|(per, _)| abs.is_multiple_of(*per) && abs >= *per)
    {
        Some((per, unit)) => format!("{sign}{}{unit}", abs / per),
        None => format!("{sign}{abs}ms"),
    }
}

/// `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDThh:mm:ss[.fff]Z`.
pub fn parse_instant(text: &str) -> Result<i64, ClockError> {
    let err = || ClockError::Instant(text.to_owned());
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let date = Date::parse_xsd(date).map_err(|_| err())?;
    let mut ms = i64::from(date.days_since_epoch()) * 86_400_000;
    if let Some(time) = time {
        let time = time.strip_suffix('Z').ok_or_else(err)?;
        let (hms, fraction) = match time.split_once('.') {
            Some((hms, f)) => (hms, Some(f)),
            None => (time, None),
        };
        let parts: Vec<&str> = hms.split(':').collect();
        let [h, m, s] = parts.as_slice() else {
            return Err(err());
        };
        let field = |f: &str, max: i64| -> Result<i64, ClockError> {
            match f.parse::<i64>() {
                Ok(v) if f.len() == 2 && (0..=max).contains(&v) => Ok(v),
                _ => Err(err()),
            }
        };
        ms += field(h, 23)? * 3_600_000 + field(m, 59)? * 60_000 + field(s, 59)? * 1000;
        if let Some(f) = fraction {
            if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let padded = format!("{f:0<3}");
            ms += padded.parse::<i64>().map_err(|_| err())?;
        }
    }
    Ok(ms)
}

/// The network's and the CPAS's time zone.
fn brussels() -> &'static jiff::tz::TimeZone {
    static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    ZONE.get_or_init(|| {
        // Bundled with the build, so the lookup cannot miss; UTC only if it ever did.
        jiff::tz::TimeZone::get("Europe/Brussels").unwrap_or(jiff::tz::TimeZone::UTC)
    })
}

/// The calendar day in Brussels at an instant: "today" for the register's rules (a
/// decision dated today, sent at 00:30 Brussels time, is not in the future), for the
/// first weekend that payments become visible, and for their definitive age.
pub fn brussels_day(unix_ms: i64) -> Date {
    let Ok(instant) = jiff::Timestamp::from_millisecond(unix_ms) else {
        // Outside jiff's range (about ±9999 years): the nearest supported day.
        return Date::from_unix_millis(unix_ms);
    };
    let day = brussels().to_datetime(instant).date();
    let (year, month, day) = (
        i32::from(day.year()),
        u32::from(day.month().unsigned_abs()),
        u32::from(day.day().unsigned_abs()),
    );
    Date::from_ymd(year, month, day).unwrap_or_else(|_| Date::from_unix_millis(unix_ms))
}

/// The one clock of a server.
#[derive(Debug)]
pub struct Clock {
    setting: Mutex<Setting>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    pub fn system() -> Clock {
        Clock::with(Setting::System)
    }

    pub fn with(setting: Setting) -> Clock {
        Clock {
            setting: Mutex::new(setting),
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.setting().at(unix_millis())
    }

    /// Today by this clock: the day in Brussels.
    pub fn today(&self) -> Date {
        brussels_day(self.now_ms())
    }

    pub fn setting(&self) -> Setting {
        *self.setting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, setting: Setting) {
        *self.setting.lock().unwrap_or_else(PoisonError::into_inner) = setting;
    }

    /// Moves the clock forward (or back, with a negative amount); a fixed clock stays
    /// fixed, at the new instant.
    pub fn advance_ms(&self, ms: i64) {
        let mut setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
        *setting = match *setting {
            Setting::System => Setting::Offset(ms),
            Setting::Offset(o) => Setting::Offset(o.saturating_add(ms)),
            Setting::Fixed(at) => Setting::Fixed(at.saturating_add(ms)),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000; // 2026-11-18

    #[test]
    fn settings_read_as_written() {
        let day = 86_400_000;
        let march = 1_803_859_200_000; // 2027-03-01T00:00:00Z
        assert_eq!(Setting::parse("system", NOW), Ok(Setting::System));
        assert_eq!(Setting::parse("+31d", NOW), Ok(Setting::Offset(31 * day)));
        assert_eq!(Setting::parse("-90m", NOW), Ok(Setting::Offset(-5_400_000)));
        assert_eq!(
            Setting::parse("fixed:2027-03-01", NOW),
            Ok(Setting::Fixed(march))
        );
        assert_eq!(
            Setting::parse("fixed:2027-03-01T08:30:00.5Z", NOW),
            Ok(Setting::Fixed(march + 8 * 3_600_000 + 30 * 60_000 + 500))
        );
        assert_eq!(
            Setting::parse("2027-03-01", NOW).map(|s| s.at(NOW)),
            Ok(march)
        );
        for bad in [
            "",
            "tomorrow",
            "+3w",
            "+",
            "2027-02-30",
            "2027-03-01T08:30:00",
            "fixed:",
            "2027-03-01T25:00:00Z",
        ] {
            assert!(Setting::parse(bad, NOW).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_fixed_clock_stands_still_and_moves_only_when_told() {
        let clock = Clock::with(Setting::Fixed(NOW));
        assert_eq!(clock.now_ms(), NOW);
        clock.advance_ms(1000);
        assert_eq!(clock.setting(), Setting::Fixed(NOW + 1000));
        let running = Clock::system();
        running.advance_ms(-2000);
        assert_eq!(running.setting(), Setting::Offset(-2000));
        assert_eq!(Setting::Offset(-2000).to_string(), "offset -2s");
        assert_eq!(Setting::Offset(86_400_000 * 31).to_string(), "offset +31d");
    }
}
