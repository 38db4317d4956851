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

/// The periods of one institution's inscriptions of one quality after registering
/// `new`: periods that overlap or touch it are joined with it into one.
pub fn with_registered(existing: &[OpenPeriod], new: OpenPeriod) -> Vec<OpenPeriod> {
    let touches = |p: &OpenPeriod| {
        let day_after = |e: Option<super::Date>| e.and_then(super::Date::succ);
        p.overlaps(&new)
            || day_after(p.end()) == Some(new.begin())
            || day_after(new.end()) == Some(p.begin())
    };
    let mut begin = new.begin();
    let mut end = new.end();
    let mut out = Vec::new();
    for p in existing {
        if touches(p) {
            begin = begin.min(p.begin());
            end = match (end, p.end()) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        } else {
            out.push(*p);
        }
    }
    // begin <= end holds: both come from valid periods.
    out.extend(OpenPeriod::new(begin, end).ok());
    out.sort_by_key(OpenPeriod::begin);
    out
}

/// The periods left after unregistering `removed` (a period can be split in two), or
/// `None` when no period overlapped it.
pub fn without_unregistered(
    existing: &[OpenPeriod],
    removed: OpenPeriod,
) -> Option<Vec<OpenPeriod>> {
    if !existing.iter().any(|p| p.overlaps(&removed)) {
        return None;
    }
    let mut out = Vec::new();
    for p in existing {
        if !p.overlaps(&removed) {
            out.push(*p);
            continue;
        }
        if p.begin() < removed.begin() {
            let before = removed.begin().pred();
            out.extend(before.and_then(|end| OpenPeriod::new(p.begin(), Some(end)).ok()));
        }
        if let Some(removed_end) = removed.end()
            && p.end().is_none_or(|e| e > removed_end)
        {
            let after = removed_end.succ();
            out.extend(after.and_then(|begin| OpenPeriod::new(begin, p.end()).ok()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(b: &str, e: Option<&str>) -> OpenPeriod {
        let d = |s: &str| crate::domain::Date::parse_xsd(s).unwrap();
        OpenPeriod::new(d(b), e.map(d)).unwrap()
    }

    #[test]
    fn registering_joins_periods_that_overlap_or_touch() {
        let existing = [
            p("2024-01-01", Some("2024-01-31")),
            p("2024-06-01", Some("2024-06-30")),
        ];
        assert_eq!(
            with_registered(&existing, p("2024-02-01", Some("2024-03-31"))),
            [
                p("2024-01-01", Some("2024-03-31")),
                p("2024-06-01", Some("2024-06-30"))
            ]
        );
        assert_eq!(
            with_registered(&existing, p("2024-01-15", None)),
            [p("2024-01-01", None)]
        );
    }

    #[test]
    fn unregistering_cuts_and_splits_periods() {
        let existing = [p("2024-01-01", None)];
        assert_eq!(
            without_unregistered(&existing, p("2024-03-01", Some("2024-03-31"))),
            Some(vec![
                p("2024-01-01", Some("2024-02-29")),
                p("2024-04-01", None)
            ])
        );
        assert_eq!(
            without_unregistered(&existing, p("2023-01-01", None)),
            Some(vec![])
        );
        assert_eq!(
            without_unregistered(
                &[p("2024-01-01", Some("2024-01-31"))],
                p("2024-02-01", None)
            ),
            None
        );
    }

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
