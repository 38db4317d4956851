//! The social security identification number (SSIN; NISS in French, INSZ in Dutch):
//! the key of every exchange on the network.
//!
//! Layout: `YYMMDD` (birth date, possibly partly unknown) + a 3-digit serial + 2 check
//! digits. The check is `97 − (N mod 97)` with N the first nine digits; for people born
//! from 2000 the nine digits are prefixed with "2" first, which is also how the century
//! is told apart.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::date::Date;

/// An SSIN whose shape and check digits have been verified; holds its 11 ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Ssin([u8; 11]);

/// Which register issued the number, read from the month field.
///
/// Administrations also describe the +20 range as "bis, sex unknown" and the +40 range
/// as "bis, sex known"; the names here follow CommonV3.xsd, which labels +40 "numero TER".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SsinKind {
    /// National Register number: month field 00..12.
    NationalRegister,
    /// Bis register number: month field 20..32 (birth month + 20).
    Bis,
    /// Bis register "TER" number: month field 40..52 (birth month + 40).
    Ter,
}

impl SsinKind {
    /// What this kind of number adds to the birth month.
    pub fn month_offset(self) -> u8 {
        match self {
            SsinKind::NationalRegister => 0,
            SsinKind::Bis => 20,
            SsinKind::Ter => 40,
        }
    }

    /// The kind a month field denotes, if it is in one of the three ranges.
    fn from_month_field(month: u8) -> Option<SsinKind> {
        match month {
            0..=12 => Some(SsinKind::NationalRegister),
            20..=32 => Some(SsinKind::Bis),
            40..=52 => Some(SsinKind::Ter),
            _ => None,
        }
    }
}

/// Why a text is not a valid SSIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsinError {
    #[error("an SSIN has exactly 11 digits, found {found} characters")]
    Length { found: usize },
    #[error("an SSIN consists of digits only")]
    NotDigits,
    #[error(
        "SSIN month field {month:02} is not a National Register month (00..12), a bis month (20..32) or a ter month (40..52)"
    )]
    Month { month: u8 },
    #[error("SSIN day field {day:02} is not in 00..31")]
    Day { day: u8 },
    #[error("SSIN serial number 000 is not allowed in a National Register number")]
    Serial,
    #[error(
        "SSIN check digits {found:02} do not match (expected {expected_19xx:02} for a birth before 2000 or {expected_20xx:02} for a birth from 2000)"
    )]
    CheckDigits {
        found: u8,
        expected_19xx: u8,
        expected_20xx: u8,
    },
    /// Only from `with_check_digits`, which takes the first nine digits.
    #[error("the first part of an SSIN has exactly 9 digits, found {found} characters")]
    PrefixLength { found: usize },
}

/// The two possible check values of the first nine digits: (born before 2000, from 2000).
fn expected_checks(first_nine: &[u8]) -> (u8, u8) {
    let n = super::digits_value(first_nine);
    let before_2000 = 97 - n % 97;
    let from_2000 = 97 - (2_000_000_000 + n) % 97;
    // Both are in 1..=97.
    (before_2000 as u8, from_2000 as u8)
}

fn two_digits(digits: &[u8]) -> u8 {
    super::digits_value(digits) as u8
}

/// The three patterns of `SsinType` in CommonV3.xsd, on 11 ASCII digits.
fn shape_matches(d: &[u8; 11]) -> bool {
    let month = two_digits(&d[2..4]);
    let day = two_digits(&d[4..6]);
    let check = two_digits(&d[9..11]);
    let serial_ok = match SsinKind::from_month_field(month) {
        Some(SsinKind::NationalRegister) => &d[6..9] != b"000",
        Some(_) => true,
        None => false,
    };
    serial_ok && day <= 31 && check <= 97
}

impl Ssin {
    /// Parses exactly 11 ASCII digits (the caller trims) and verifies the month range,
    /// the day, the serial and the check digits.
    pub fn parse(s: &str) -> Result<Ssin, SsinError> {
        let found = s.chars().count();
        if found != 11 {
            return Err(SsinError::Length { found });
        }
        let Ok(digits) = <[u8; 11]>::try_from(s.as_bytes()) else {
            // 11 characters but more bytes: something other than ASCII digits.
            return Err(SsinError::NotDigits);
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(SsinError::NotDigits);
        }
        let month = two_digits(&digits[2..4]);
        let Some(kind) = SsinKind::from_month_field(month) else {
            return Err(SsinError::Month { month });
        };
        let day = two_digits(&digits[4..6]);
        if day > 31 {
            return Err(SsinError::Day { day });
        }
        if kind == SsinKind::NationalRegister && &digits[6..9] == b"000" {
            return Err(SsinError::Serial);
        }
        let found = two_digits(&digits[9..11]);
        let (expected_19xx, expected_20xx) = expected_checks(&digits[..9]);
        if found != expected_19xx && found != expected_20xx {
            return Err(SsinError::CheckDigits {
                found,
                expected_19xx,
                expected_20xx,
            });
        }
        Ok(Ssin(digits))
    }

    /// True iff `s` matches the CommonV3 `SsinType` pattern (shape only, check digits
    /// 00..97 not computed): tells "not even an SSIN" from "an SSIN with a typo".
    pub fn matches_xsd_pattern(s: &str) -> bool {
        match <[u8; 11]>::try_from(s.as_bytes()) {
            Ok(d) => d.iter().all(u8::is_ascii_digit) && shape_matches(&d),
            Err(_) => false,
        }
    }

    /// Completes nine digits (`YYMMDD` + serial) with their check digits, for the given
    /// century of birth.
    pub fn with_check_digits(
        first_nine: &str,
        born_2000_or_later: bool,
    ) -> Result<Ssin, SsinError> {
        let found = first_nine.chars().count();
        if found != 9 {
            return Err(SsinError::PrefixLength { found });
        }
        let bytes = first_nine.as_bytes();
        if bytes.len() != 9 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(SsinError::NotDigits);
        }
        let (before_2000, from_2000) = expected_checks(bytes);
        let check = if born_2000_or_later {
            from_2000
        } else {
            before_2000
        };
        let mut digits = [b'0'; 11];
        digits[..9].copy_from_slice(bytes);
        digits[9] = b'0' + check / 10;
        digits[10] = b'0' + check % 10;
        Ssin::parse(super::ascii_str(&digits))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        super::ascii_str(&self.0)
    }

    pub fn kind(&self) -> SsinKind {
        // `parse` only accepts the three ranges; the fallback is unreachable.
        SsinKind::from_month_field(two_digits(&self.0[2..4])).unwrap_or(SsinKind::Ter)
    }

    /// True when the check digits follow the rule for people born from 2000.
    pub fn born_in_2000s(&self) -> bool {
        let (_, from_2000) = expected_checks(&self.0[..9]);
        two_digits(&self.0[9..11]) == from_2000
    }

    /// The birth date the number encodes, or `None` when the month or day is 00
    /// (unknown, common for bis numbers) or the digits do not form a real date.
    pub fn birth_date(&self) -> Option<Date> {
        let century = if self.born_in_2000s() { 2000 } else { 1900 };
        let year = century + i32::from(two_digits(&self.0[0..2]));
        let month = two_digits(&self.0[2..4]) - self.kind().month_offset();
        let day = two_digits(&self.0[4..6]);
        Date::from_ymd(year, u32::from(month), u32::from(day)).ok()
    }
}

impl fmt::Display for Ssin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Ssin {
    type Err = SsinError;

    fn from_str(s: &str) -> Result<Ssin, SsinError> {
        Ssin::parse(s)
    }
}

impl Serialize for Ssin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

struct SsinVisitor;

impl Visitor<'_> for SsinVisitor {
    type Value = Ssin;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an 11-digit SSIN")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Ssin, E> {
        Ssin::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Ssin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ssin, D::Error> {
        deserializer.deserialize_str(SsinVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn valid_numbers_born_in_the_1900s() {
        for (s, birth) in [
            ("93051822361", "1993-05-18"),
            ("85073003328", "1985-07-30"),
            ("75010100196", "1975-01-01"),
            ("09010100168", "1909-01-01"),
        ] {
            let ssin = Ssin::parse(s).unwrap();
            assert_eq!(ssin.as_str(), s);
            assert_eq!(ssin.to_string(), s);
            assert_eq!(ssin.kind(), SsinKind::NationalRegister);
            assert!(!ssin.born_in_2000s(), "{s}");
            assert_eq!(ssin.birth_date(), Some(date(birth)), "{s}");
        }
    }

    #[test]
    fn valid_numbers_born_from_2000() {
        for (s, birth) in [
            ("09010100197", "2009-01-01"),
            ("17022845674", "2017-02-28"),
            ("00022901234", "2000-02-29"),
            ("75010100128", "2075-01-01"),
        ] {
            let ssin: Ssin = s.parse().unwrap();
            assert!(ssin.born_in_2000s(), "{s}");
            assert_eq!(ssin.birth_date(), Some(date(birth)), "{s}");
        }
    }

    #[test]
    fn century_is_told_by_the_check_digits() {
        // Same nine digits, two centuries: 1909 vs 2009.
        let old = Ssin::parse("09010100168").unwrap();
        let young = Ssin::parse("09010100197").unwrap();
        assert_eq!(old.birth_date(), Some(date("1909-01-01")));
        assert_eq!(young.birth_date(), Some(date("2009-01-01")));
        // 29 February 1900 does not exist, 29 February 2000 does.
        let not_a_day = Ssin::parse("00022901205").unwrap();
        assert!(!not_a_day.born_in_2000s());
        assert_eq!(not_a_day.birth_date(), None);
    }

    #[test]
    fn bis_and_ter_numbers() {
        let bis = Ssin::parse("85302012311").unwrap();
        assert_eq!(bis.kind(), SsinKind::Bis);
        assert_eq!(bis.birth_date(), Some(date("1985-10-20")));
        let ter = Ssin::parse("85502012354").unwrap();
        assert_eq!(ter.kind(), SsinKind::Ter);
        assert_eq!(ter.birth_date(), Some(date("1985-10-20")));
        // A bis number may have serial 000 and an unknown birth date.
        let unknown = Ssin::with_check_digits("852000000", false).unwrap();
        assert_eq!(unknown.kind(), SsinKind::Bis);
        assert_eq!(unknown.birth_date(), None);
        assert_eq!(SsinKind::Ter.month_offset(), 40);
    }

    #[test]
    fn unknown_month_or_day_has_no_birth_date() {
        let ssin = Ssin::with_check_digits("850700001", false).unwrap();
        assert_eq!(ssin.as_str(), "85070000187");
        assert_eq!(ssin.birth_date(), None);
        let ssin = Ssin::with_check_digits("850030001", false).unwrap();
        assert_eq!(ssin.birth_date(), None);
    }

    #[test]
    fn with_check_digits_builds_valid_numbers() {
        assert_eq!(
            Ssin::with_check_digits("930518223", false)
                .unwrap()
                .as_str(),
            "93051822361"
        );
        assert_eq!(
            Ssin::with_check_digits("930518223", true).unwrap().as_str(),
            "93051822390"
        );
        assert_eq!(
            Ssin::with_check_digits("93051822", false),
            Err(SsinError::PrefixLength { found: 8 })
        );
        assert_eq!(
            Ssin::with_check_digits("93051822x", false),
            Err(SsinError::NotDigits)
        );
        assert_eq!(
            Ssin::with_check_digits("850730000", false),
            Err(SsinError::Serial)
        );
        assert_eq!(
            Ssin::with_check_digits("851330001", false),
            Err(SsinError::Month { month: 13 })
        );
    }

    #[test]
    fn serial_000_is_rejected_for_national_register_numbers() {
        assert_eq!(Ssin::parse("85073000061"), Err(SsinError::Serial));
        assert!(!Ssin::matches_xsd_pattern("85073000061"));
        assert_eq!(
            Ssin::parse("85073000061").unwrap_err().to_string(),
            "SSIN serial number 000 is not allowed in a National Register number"
        );
    }

    #[test]
    fn month_and_day_ranges() {
        assert_eq!(
            Ssin::parse("85133000105"),
            Err(SsinError::Month { month: 13 })
        );
        assert_eq!(
            Ssin::parse("85193000105"),
            Err(SsinError::Month { month: 19 })
        );
        assert_eq!(
            Ssin::parse("85333000105"),
            Err(SsinError::Month { month: 33 })
        );
        assert_eq!(
            Ssin::parse("85533000105"),
            Err(SsinError::Month { month: 53 })
        );
        assert_eq!(Ssin::parse("85073200197"), Err(SsinError::Day { day: 32 }));
        assert!(
            Ssin::parse("85323100197").is_err_and(|e| matches!(e, SsinError::CheckDigits { .. }))
        );
        assert_eq!(
            Ssin::parse("85133000105").unwrap_err().to_string(),
            "SSIN month field 13 is not a National Register month (00..12), a bis month (20..32) or a ter month (40..52)"
        );
    }

    #[test]
    fn check_digits_off_by_one() {
        assert_eq!(
            Ssin::parse("93051822362"),
            Err(SsinError::CheckDigits {
                found: 62,
                expected_19xx: 61,
                expected_20xx: 90
            })
        );
        assert_eq!(
            Ssin::parse("93051822360").unwrap_err().to_string(),
            "SSIN check digits 60 do not match (expected 61 for a birth before 2000 or 90 for a birth from 2000)"
        );
        // A typo in the serial is caught too.
        assert!(matches!(
            Ssin::parse("93051822461"),
            Err(SsinError::CheckDigits { found: 61, .. })
        ));
    }

    #[test]
    fn check_digits_outside_the_pattern_never_match() {
        for s in ["93051822300", "93051822398", "93051822399"] {
            assert!(
                matches!(Ssin::parse(s), Err(SsinError::CheckDigits { .. })),
                "{s}"
            );
        }
        assert!(Ssin::matches_xsd_pattern("93051822300"));
        assert!(!Ssin::matches_xsd_pattern("93051822398"));
        assert!(!Ssin::matches_xsd_pattern("93051822399"));
    }

    #[test]
    fn length_and_characters() {
        assert_eq!(
            Ssin::parse("9305182236"),
            Err(SsinError::Length { found: 10 })
        );
        assert_eq!(
            Ssin::parse("930518223611"),
            Err(SsinError::Length { found: 12 })
        );
        assert_eq!(Ssin::parse(""), Err(SsinError::Length { found: 0 }));
        assert_eq!(
            Ssin::parse(" 93051822361"),
            Err(SsinError::Length { found: 12 })
        );
        assert_eq!(
            Ssin::parse("93.05.18-223.61"),
            Err(SsinError::Length { found: 15 })
        );
        assert_eq!(Ssin::parse("9305182236A"), Err(SsinError::NotDigits));
        assert_eq!(Ssin::parse("930518 2361"), Err(SsinError::NotDigits));
        assert_eq!(Ssin::parse("93051822é61"), Err(SsinError::NotDigits));
        assert_eq!(
            Ssin::parse("9305182236").unwrap_err().to_string(),
            "an SSIN has exactly 11 digits, found 10 characters"
        );
    }

    #[test]
    fn xsd_pattern_is_shape_only() {
        assert!(Ssin::matches_xsd_pattern("93051822361"));
        assert!(Ssin::matches_xsd_pattern("93051822362")); // wrong check, right shape
        assert!(Ssin::matches_xsd_pattern("85302000011")); // bis, serial 000
        assert!(Ssin::matches_xsd_pattern("85520012354"));
        assert!(!Ssin::matches_xsd_pattern("00000000097")); // NR serial 000
        assert!(!Ssin::matches_xsd_pattern("85133000105"));
        assert!(!Ssin::matches_xsd_pattern("85073200197"));
        assert!(!Ssin::matches_xsd_pattern("9305182236"));
        assert!(!Ssin::matches_xsd_pattern("9305182236A"));
        assert!(!Ssin::matches_xsd_pattern(" 93051822361"));
    }

    #[test]
    fn serde_as_string() {
        let ssin = Ssin::parse("93051822361").unwrap();
        assert_eq!(serde_json::to_string(&ssin).unwrap(), "\"93051822361\"");
        assert_eq!(
            serde_json::from_str::<Ssin>("\"93051822361\"").unwrap(),
            ssin
        );
        let err = serde_json::from_str::<Ssin>("\"93051822362\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("check digits 62"), "{err}");
        assert!(serde_json::from_str::<Ssin>("93051822361").is_err());
    }
}
