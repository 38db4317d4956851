//! INS / NIS municipality codes (5 digits). The leading digits give the province and
//! so the region, which decides whether the `...Flanders` operations of LivingWages
//! apply to a CPAS.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The three regions of Belgium.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Region {
    Flanders,
    Wallonia,
    Brussels,
}

impl Region {
    /// The wire name: `FLANDERS`, `WALLONIA` or `BRUSSELS`.
    pub fn code(&self) -> &'static str {
        match self {
            Region::Flanders => "FLANDERS",
            Region::Wallonia => "WALLONIA",
            Region::Brussels => "BRUSSELS",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The provinces as the INS codes number them; Brussels-Capital (21xxx) counts as one
/// here although it is a region without provinces.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Province {
    Antwerp,
    BrusselsCapital,
    FlemishBrabant,
    WalloonBrabant,
    WestFlanders,
    EastFlanders,
    Hainaut,
    Liege,
    Limburg,
    Luxembourg,
    Namur,
}

impl Province {
    pub fn region(&self) -> Region {
        match self {
            Province::Antwerp
            | Province::FlemishBrabant
            | Province::WestFlanders
            | Province::EastFlanders
            | Province::Limburg => Region::Flanders,
            Province::WalloonBrabant
            | Province::Hainaut
            | Province::Liege
            | Province::Luxembourg
            | Province::Namur => Region::Wallonia,
            Province::BrusselsCapital => Region::Brussels,
        }
    }

    /// The English name, for messages and listings.
    pub fn name(&self) -> &'static str {
        match self {
            Province::Antwerp => "Antwerp",
            Province::BrusselsCapital => "Brussels-Capital",
            Province::FlemishBrabant => "Flemish Brabant",
            Province::WalloonBrabant => "Walloon Brabant",
            Province::WestFlanders => "West Flanders",
            Province::EastFlanders => "East Flanders",
            Province::Hainaut => "Hainaut",
            Province::Liege => "Liège",
            Province::Limburg => "Limburg",
            Province::Luxembourg => "Luxembourg",
            Province::Namur => "Namur",
        }
    }

    /// The province the leading digits of an INS code denote, if any.
    fn of_code(digits: &[u8; 5]) -> Option<Province> {
        match (digits[0], digits[1]) {
            (b'1', _) => Some(Province::Antwerp),
            (b'2', b'1') => Some(Province::BrusselsCapital),
            (b'2', b'3' | b'4') => Some(Province::FlemishBrabant),
            (b'2', b'5') => Some(Province::WalloonBrabant),
            (b'3', _) => Some(Province::WestFlanders),
            (b'4', _) => Some(Province::EastFlanders),
            (b'5', _) => Some(Province::Hainaut),
            (b'6', _) => Some(Province::Liege),
            (b'7', _) => Some(Province::Limburg),
            (b'8', _) => Some(Province::Luxembourg),
            (b'9', _) => Some(Province::Namur),
            _ => None,
        }
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A 5-digit INS municipality code whose leading digits name a province.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct InsCode([u8; 5]);

/// Why a text is not a valid INS code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsError {
    #[error("an INS municipality code has exactly 5 digits, found {found} characters")]
    Length { found: usize },
    #[error("an INS municipality code consists of digits only")]
    NotDigits,
    #[error(
        "INS code {code} does not belong to a province (expected 1xxxx, 21xxx, 23xxx to 25xxx, or 3xxxx to 9xxxx)"
    )]
    NoProvince { code: String },
}

impl InsCode {
    /// Parses exactly 5 ASCII digits (no trimming) whose leading digits name a province.
    pub fn parse(s: &str) -> Result<InsCode, InsError> {
        let found = s.chars().count();
        if found != 5 {
            return Err(InsError::Length { found });
        }
        let Ok(digits) = <[u8; 5]>::try_from(s.as_bytes()) else {
            return Err(InsError::NotDigits);
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(InsError::NotDigits);
        }
        if Province::of_code(&digits).is_none() {
            return Err(InsError::NoProvince {
                code: s.to_string(),
            });
        }
        Ok(InsCode(digits))
    }

    pub fn as_str(&self) -> &str {
        super::ascii_str(&self.0)
    }

    pub fn province(&self) -> Province {
        // `parse` only accepts codes with a province; the fallback is unreachable.
        Province::of_code(&self.0).unwrap_or(Province::BrusselsCapital)
    }

    pub fn region(&self) -> Region {
        self.province().region()
    }
}

impl fmt::Display for InsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InsCode {
    type Err = InsError;

    fn from_str(s: &str) -> Result<InsCode, InsError> {
        InsCode::parse(s)
    }
}

impl Serialize for InsCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

struct InsVisitor;

impl Visitor<'_> for InsVisitor {
    type Value = InsCode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a 5-digit INS municipality code")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<InsCode, E> {
        InsCode::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for InsCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InsCode, D::Error> {
        deserializer.deserialize_str(InsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_province_and_its_region() {
        for (code, province, region) in [
            ("11002", Province::Antwerp, Region::Flanders), // Antwerpen
            ("21004", Province::BrusselsCapital, Region::Brussels), // Bruxelles
            ("23062", Province::FlemishBrabant, Region::Flanders), // Vilvoorde
            ("24062", Province::FlemishBrabant, Region::Flanders), // Leuven
            ("25072", Province::WalloonBrabant, Region::Wallonia), // Nivelles
            ("31005", Province::WestFlanders, Region::Flanders), // Brugge
            ("44021", Province::EastFlanders, Region::Flanders), // Gent
            ("52011", Province::Hainaut, Region::Wallonia), // Charleroi
            ("62063", Province::Liege, Region::Wallonia),   // Liège
            ("71022", Province::Limburg, Region::Flanders), // Hasselt
            ("82003", Province::Luxembourg, Region::Wallonia), // Bastogne
            ("92094", Province::Namur, Region::Wallonia),   // Namur
        ] {
            let ins = InsCode::parse(code).unwrap();
            assert_eq!(ins.as_str(), code);
            assert_eq!(ins.to_string(), code);
            assert_eq!(ins.province(), province, "{code}");
            assert_eq!(ins.region(), region, "{code}");
        }
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(Province::Liege.name(), "Liège");
        assert_eq!(Province::BrusselsCapital.to_string(), "Brussels-Capital");
        assert_eq!(Region::Flanders.code(), "FLANDERS");
        assert_eq!(Region::Wallonia.to_string(), "WALLONIA");
        assert_eq!(Region::Brussels.to_string(), "BRUSSELS");
        assert_eq!(
            serde_json::to_string(&Region::Flanders).unwrap(),
            "\"FLANDERS\""
        );
        assert_eq!(
            serde_json::from_str::<Region>("\"BRUSSELS\"").unwrap(),
            Region::Brussels
        );
    }

    #[test]
    fn codes_without_a_province() {
        for code in [
            "01001", "20001", "22001", "26001", "27001", "28001", "29001", "00000",
        ] {
            assert_eq!(
                InsCode::parse(code),
                Err(InsError::NoProvince { code: code.into() }),
                "{code}"
            );
        }
        assert_eq!(
            InsCode::parse("20001").unwrap_err().to_string(),
            "INS code 20001 does not belong to a province (expected 1xxxx, 21xxx, 23xxx to 25xxx, or 3xxxx to 9xxxx)"
        );
    }

    #[test]
    fn malformed_codes() {
        assert_eq!(InsCode::parse("1100"), Err(InsError::Length { found: 4 }));
        assert_eq!(InsCode::parse("110021"), Err(InsError::Length { found: 6 }));
        assert_eq!(InsCode::parse(""), Err(InsError::Length { found: 0 }));
        assert_eq!(InsCode::parse("1100A"), Err(InsError::NotDigits));
        assert_eq!(InsCode::parse(" 1100"), Err(InsError::NotDigits));
        assert_eq!(InsCode::parse("1100é"), Err(InsError::NotDigits));
    }

    #[test]
    fn serde_as_string() {
        let ins = InsCode::parse("21004").unwrap();
        assert_eq!(serde_json::to_string(&ins).unwrap(), "\"21004\"");
        assert_eq!(serde_json::from_str::<InsCode>("\"21004\"").unwrap(), ins);
        assert!(serde_json::from_str::<InsCode>("\"20004\"").is_err());
        assert!(serde_json::from_str::<InsCode>("21004").is_err());
    }
}
