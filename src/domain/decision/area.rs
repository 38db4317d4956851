//! Where a CPAS is, as the note's regional rules tell CPAS apart: the three regions,
//! with the nine CPAS of the German-speaking Community on their own. They are in the
//! Walloon Region, but the Community holds employment policy there: the note keeps
//! measures for them that the rest of Wallonia lost (rubrics 24 and 25), and groups
//! them with Flanders and Brussels where article 60 subsidies follow the integration
//! income (rubric 63: « Région Flamande, Bruxelles et cantons germanophones »), so
//! the Walloon Region's 2025 reform of articles 60 and 61 is not theirs.

use std::fmt;

use crate::domain::{InsCode, Region};

const GERMAN_SPEAKING: [&str; 9] = [
    "63001", "63012", "63013", "63023", "63040", "63048", "63061", "63067", "63087",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Flanders,
    Brussels,
    /// The Walloon Region without the German-speaking Community.
    Wallonia,
    GermanSpeaking,
}

impl Area {
    pub fn of(ins: &InsCode) -> Area {
        match ins.region() {
            Region::Flanders => Area::Flanders,
            Region::Brussels => Area::Brussels,
            Region::Wallonia if GERMAN_SPEAKING.contains(&ins.as_str()) => Area::GermanSpeaking,
            Region::Wallonia => Area::Wallonia,
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Area::Flanders => "the Flemish Region",
            Area::Brussels => "the Brussels-Capital Region",
            Area::Wallonia => "the Walloon Region (but the German-speaking Community)",
            Area::GermanSpeaking => "the German-speaking Community",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_speaking_cpas_are_their_own_area() {
        let area = |code| Area::of(&InsCode::parse(code).unwrap());
        assert_eq!(area("63023"), Area::GermanSpeaking);
        assert_eq!(area("62063"), Area::Wallonia);
        assert_eq!(area("21004"), Area::Brussels);
        assert_eq!(area("44021"), Area::Flanders);
    }
}
