//! A public social-welfare centre (CPAS / OCMW / PCSA): one per municipality, known on
//! the network by its CBE enterprise number and its INS municipality code.

use serde::{Deserialize, Serialize};

use super::cbe::CbeNumber;
use super::ins::{InsCode, Region};

/// A CPAS as the network identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pcsa {
    pub cbe: CbeNumber,
    pub ins: InsCode,
    pub name: String,
}

impl Pcsa {
    /// The region of the municipality; decides which `...Flanders` operations apply.
    pub fn region(&self) -> Region {
        self.ins.region()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_follows_the_municipality() {
        let ghent = Pcsa {
            cbe: CbeNumber::parse("0207065306").unwrap(),
            ins: InsCode::parse("44021").unwrap(),
            name: "OCMW Gent".into(),
        };
        assert_eq!(ghent.region(), Region::Flanders);
        let namur = Pcsa {
            ins: InsCode::parse("92094").unwrap(),
            name: "CPAS de Namur".into(),
            ..ghent.clone()
        };
        assert_eq!(namur.region(), Region::Wallonia);
        let json = serde_json::to_string(&ghent).unwrap();
        assert_eq!(
            json,
            r#"{"cbe":"0207065306","ins":"44021","name":"OCMW Gent"}"#
        );
        assert_eq!(serde_json::from_str::<Pcsa>(&json).unwrap(), ghent);
    }
}
