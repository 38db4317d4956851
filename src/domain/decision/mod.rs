//! Decisions of a CPAS (seed 003): forms B, C and D, their rules, and the rights they
//! make. Pure: the register supplies the history, the numbering and the date.

pub mod area;
pub mod category_amounts;
pub mod decided;
pub mod directory;
pub mod duration;
pub mod forms;
mod measure_history;
pub mod measures;
pub mod recovery;
pub mod register;
pub mod resources;
pub mod rules;
pub mod timeline;

#[cfg(test)]
pub(crate) mod tests;

pub use decided::{DatedRight, DecidedRight, Withdrawal, decided_rights};
pub use directory::OwnInscriptions;
pub use duration::Duration;
pub use forms::{CStatus, FormB, FormC, Nature, Sender, Suspension};
pub use measures::{Art60Employment, Measures, PerPerson, Subsidies, Who};
pub use recovery::FormD;
pub use register::{History, Outcome, Registration, register};
pub use resources::{Cohabitants, Income, Resource, Resources};
pub use rules::{ErrorCode, FormError};
pub use timeline::{Attestation, ChangeEvent, Form, RegisteredForm};
