//! A person as the National Register (or the bis register) knows them.

use serde::{Deserialize, Serialize};

use super::{Date, Ssin};

/// Where a number stands in the register: consultations answer differently for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegisterStatus {
    Active,
    /// The number was replaced (e.g. a bis number by a National Register number);
    /// consultations answer MSG00006 and name the new one.
    Replaced {
        by: Ssin,
    },
    /// The number was cancelled and designates nobody any more (MSG00007).
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub ssin: Ssin,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<Date>,
    pub status: RegisterStatus,
}
