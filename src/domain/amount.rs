//! Sums of money in euros, held exactly as a signed number of cents: amounts are added,
//! compared and prorated, never rounded by floating point.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("\"{0}\" is not an amount in euros (digits, optionally a point and at most two decimals)")]
pub struct AmountError(pub String);

/// Above any amount the register deals in (a billion euros), so sums cannot overflow.
const MAX_CENTS: i64 = 100_000_000_000;

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn from_cents(cents: i64) -> Amount {
        Amount(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Reads `1234`, `1234.5` or `-1234.56` (the xsd:decimal forms the contracts use).
    pub fn parse(s: &str) -> Result<Amount, AmountError> {
        let err = || AmountError(s.to_owned());
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || whole.len() > 12
            || fraction.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(err());
        }
        let whole: i64 = whole.parse().map_err(|_| err())?;
        let mut cents: i64 = fraction.parse().unwrap_or(0);
        if fraction.len() == 1 {
            cents *= 10;
        }
        let total = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(err)?;
        if total > MAX_CENTS {
            return Err(err());
        }
        Ok(Amount(if negative { -total } else { total }))
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Amount, AmountError> {
        Amount::parse(s)
    }
}

/// Always two decimals: `1314.20`, `-0.05`.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_and_written_exactly() {
        for (text, cents, shown) in [
            ("0", 0, "0.00"),
            ("1314.2", 131_420, "1314.20"),
            ("1314.20", 131_420, "1314.20"),
            ("-0.05", -5, "-0.05"),
            ("+12", 1200, "12.00"),
        ] {
            let a = Amount::parse(text).unwrap();
            assert_eq!(a.cents(), cents, "{text}");
            assert_eq!(a.to_string(), shown);
        }
        for bad in [
            "",
            ".5",
            "1.",
            "1.234",
            "1,5",
            "12a",
            "--1",
            "9999999999999",
        ] {
            assert!(Amount::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
