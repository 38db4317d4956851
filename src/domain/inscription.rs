//! Inscriptions in the CBSS reference directory: which institution manages whose file.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{CbeNumber, OpenPeriod, Ssin};

/// Quality code of an inscription in sector 17 (CPAS): how the institution knows the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct QualityCode(u8);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("quality code {0} is not one of sector 17's codes (1-9, 11, 12, 20, 21, 40)")]
pub struct QualityCodeError(u8);

impl QualityCode {
    /// 1 file under examination, 2 living wage, 3 equivalent, 4 other aid, 5 cohabitant,
    /// 6 employed via CPAS, 7 debt mediation, 8 service files, 9 other guidance, 11, 12,
    /// 20, 21, 40 heating allowance.
    pub const VALID: [u8; 14] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 20, 21, 40];

    pub fn new(code: u8) -> Result<Self, QualityCodeError> {
        if Self::VALID.contains(&code) {
            Ok(QualityCode(code))
        } else {
            Err(QualityCodeError(code))
        }
    }

    pub fn code(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for QualityCode {
    type Error = QualityCodeError;
    fn try_from(code: u8) -> Result<Self, Self::Error> {
        QualityCode::new(code)
    }
}

impl From<QualityCode> for u8 {
    fn from(q: QualityCode) -> u8 {
        q.0
    }
}

impl fmt::Display for QualityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The institution manages the person's file during `period`: the condition for it to
/// consult the person, and later to be notified about them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inscription {
    pub ssin: Ssin,
    pub institution: CbeNumber,
    pub quality: QualityCode,
    pub period: OpenPeriod,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sector_17_quality_codes_exist() {
        for code in QualityCode::VALID {
            assert_eq!(QualityCode::new(code).map(QualityCode::code), Ok(code));
        }
        for code in [0, 10, 13, 19, 22, 39, 41, 255] {
            assert_eq!(QualityCode::new(code), Err(QualityCodeError(code)));
        }
    }
}
