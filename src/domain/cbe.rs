//! The enterprise number of the Crossroads Bank for Enterprises (CBE; BCE in French,
//! KBO in Dutch), which identifies each CPAS on the network.
//!
//! Ten digits, starting with 0 or 1; the last two are `97 − (first eight mod 97)`.
//! Older documents use nine digits (before the leading 0 was added) and people write
//! it formatted as `0123.456.749`; both are accepted on input, the 10 digits are kept.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CBE enterprise number with verified check digits; holds its 10 ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CbeNumber([u8; 10]);

/// Why a text is not a valid CBE number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CbeError {
    #[error(
        "a CBE number has 10 digits, written 0123456749 or 0123.456.749 (or 9 digits in the legacy form)"
    )]
    Length,
    #[error("a CBE number consists of digits only (dots only as in 0123.456.749)")]
    NotDigits,
    #[error("a CBE number starts with 0 or 1")]
    FirstDigit,
    #[error("CBE check digits {found:02} do not match (expected {expected:02})")]
    CheckDigits { found: u8, expected: u8 },
    /// Only from `with_check_digits`, which takes the first eight digits.
    #[error("the first part of a CBE number has exactly 8 digits, found {found} characters")]
    PrefixLength { found: usize },
}

/// `97 − (first eight mod 97)`, always in 1..=97.
fn expected_check(first_eight: &[u8]) -> u8 {
    (97 - super::digits_value(first_eight) % 97) as u8
}

/// The 10 digits a textual form stands for, before the number rules are checked.
fn digits_of(s: &str) -> Result<[u8; 10], CbeError> {
    let b = s.as_bytes();
    let mut digits = [b'0'; 10];
    match s.chars().count() {
        10 => {
            let Ok(all) = <[u8; 10]>::try_from(b) else {
                return Err(CbeError::NotDigits);
            };
            digits = all;
        }
        12 => {
            // 0123.456.749
            if b.len() != 12 || b[4] != b'.' || b[8] != b'.' {
                return Err(CbeError::NotDigits);
            }
            digits[..4].copy_from_slice(&b[..4]);
            digits[4..7].copy_from_slice(&b[5..8]);
            digits[7..].copy_from_slice(&b[9..]);
        }
        9 => {
            // Legacy form: the leading 0 was added later.
            if b.len() != 9 {
                return Err(CbeError::NotDigits);
            }
            digits[1..].copy_from_slice(b);
        }
        _ => return Err(CbeError::Length),
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(CbeError::NotDigits);
    }
    Ok(digits)
}

impl CbeNumber {
    /// Parses `0123456749`, `0123.456.749` or the legacy nine digits `123456749`
    /// (no trimming: the caller trims).
    pub fn parse(s: &str) -> Result<CbeNumber, CbeError> {
        let digits = digits_of(s)?;
        if !matches!(digits[0], b'0' | b'1') {
            return Err(CbeError::FirstDigit);
        }
        let found = super::digits_value(&digits[8..]) as u8;
        let expected = expected_check(&digits[..8]);
        if found != expected {
            return Err(CbeError::CheckDigits { found, expected });
        }
        Ok(CbeNumber(digits))
    }

    /// Completes eight digits with their check digits (demo data and tests).
    pub fn with_check_digits(first_eight: &str) -> Result<CbeNumber, CbeError> {
        let found = first_eight.chars().count();
        if found != 8 {
            return Err(CbeError::PrefixLength { found });
        }
        let b = first_eight.as_bytes();
        if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
            return Err(CbeError::NotDigits);
        }
        let check = expected_check(b);
        let mut digits = [b'0'; 10];
        digits[..8].copy_from_slice(b);
        digits[8] = b'0' + check / 10;
        digits[9] = b'0' + check % 10;
        CbeNumber::parse(super::ascii_str(&digits))
    }

    /// The 10 digits, as the network carries them.
    pub fn as_str(&self) -> &str {
        super::ascii_str(&self.0)
    }

    /// The human form `0123.456.749`.
    pub fn formatted(&self) -> String {
        let s = self.as_str();
        format!("{}.{}.{}", &s[..4], &s[4..7], &s[7..])
    }
}

impl fmt::Display for CbeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CbeNumber {
    type Err = CbeError;

    fn from_str(s: &str) -> Result<CbeNumber, CbeError> {
        CbeNumber::parse(s)
    }
}

impl Serialize for CbeNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

struct CbeVisitor;

impl Visitor<'_> for CbeVisitor {
    type Value = CbeNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a 10-digit CBE enterprise number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CbeNumber, E> {
        CbeNumber::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for CbeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CbeNumber, D::Error> {
        deserializer.deserialize_str(CbeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_in_every_form() {
        let cbe = CbeNumber::parse("0123456749").unwrap();
        assert_eq!(cbe.as_str(), "0123456749");
        assert_eq!(cbe.to_string(), "0123456749");
        assert_eq!(cbe.formatted(), "0123.456.749");
        assert_eq!(CbeNumber::parse("0123.456.749"), Ok(cbe));
        assert_eq!(CbeNumber::parse("123456749"), Ok(cbe));
        assert_eq!("0123456749".parse::<CbeNumber>(), Ok(cbe));
        // numbers starting with 1 (allocated since 2023)
        let one = CbeNumber::with_check_digits("10000000").unwrap();
        assert_eq!(one.as_str(), "1000000021");
        assert_eq!(CbeNumber::parse("1000.000.021"), Ok(one));
        assert_eq!(
            CbeNumber::parse("0403000059").unwrap().formatted(),
            "0403.000.059"
        );
    }

    #[test]
    fn with_check_digits() {
        assert_eq!(
            CbeNumber::with_check_digits("02070653").unwrap().as_str(),
            "0207065306"
        );
        assert_eq!(
            CbeNumber::with_check_digits("0207065"),
            Err(CbeError::PrefixLength { found: 7 })
        );
        assert_eq!(
            CbeNumber::with_check_digits("0207065x"),
            Err(CbeError::NotDigits)
        );
        assert_eq!(
            CbeNumber::with_check_digits("20706530"),
            Err(CbeError::FirstDigit)
        );
    }

    #[test]
    fn wrong_check_digits() {
        assert_eq!(
            CbeNumber::parse("0123456748"),
            Err(CbeError::CheckDigits {
                found: 48,
                expected: 49
            })
        );
        assert_eq!(
            CbeNumber::parse("0123.456.750").unwrap_err().to_string(),
            "CBE check digits 50 do not match (expected 49)"
        );
        assert!(matches!(
            CbeNumber::parse("123456750"),
            Err(CbeError::CheckDigits {
                found: 50,
                expected: 49
            })
        ));
        assert!(matches!(
            CbeNumber::parse("0123456700"),
            Err(CbeError::CheckDigits { found: 0, .. })
        ));
    }

    #[test]
    fn first_digit_must_be_0_or_1() {
        assert_eq!(CbeNumber::parse("2123456749"), Err(CbeError::FirstDigit));
        assert_eq!(CbeNumber::parse("9123.456.749"), Err(CbeError::FirstDigit));
    }

    #[test]
    fn malformed_input() {
        assert_eq!(CbeNumber::parse(""), Err(CbeError::Length));
        assert_eq!(CbeNumber::parse("01234567"), Err(CbeError::Length));
        assert_eq!(CbeNumber::parse("01234567490"), Err(CbeError::Length));
        assert_eq!(CbeNumber::parse("BE0123456749"), Err(CbeError::NotDigits));
        assert_eq!(CbeNumber::parse("0123 456 749"), Err(CbeError::NotDigits));
        assert_eq!(CbeNumber::parse("01234.56.749"), Err(CbeError::NotDigits));
        assert_eq!(CbeNumber::parse("012345674x"), Err(CbeError::NotDigits));
        assert_eq!(CbeNumber::parse("0123.456.74x"), Err(CbeError::NotDigits));
        assert_eq!(CbeNumber::parse("12345674é"), Err(CbeError::NotDigits));
        assert_eq!(CbeNumber::parse(" 0123456749"), Err(CbeError::Length));
        assert_eq!(CbeNumber::parse("0123456749 "), Err(CbeError::Length));
        assert_eq!(CbeNumber::parse("  0123456749"), Err(CbeError::NotDigits));
    }

    #[test]
    fn serde_as_ten_digits() {
        let cbe = CbeNumber::parse("0123456749").unwrap();
        assert_eq!(serde_json::to_string(&cbe).unwrap(), "\"0123456749\"");
        assert_eq!(
            serde_json::from_str::<CbeNumber>("\"0123456749\"").unwrap(),
            cbe
        );
        assert!(serde_json::from_str::<CbeNumber>("\"0123456748\"").is_err());
    }
}
