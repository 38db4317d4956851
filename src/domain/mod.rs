//! The pure domain layer: identifiers, dates, periods and the right to social
//! integration as the CBSS network knows it.
//!
//! Everything here is a value that is checked when it is built, so the rest of the
//! gateway can rely on it. No I/O and no clock: the caller supplies the instants.

pub mod amount;
pub mod cbe;
pub mod date;
pub mod decision;
pub mod endpoint;
pub mod ins;
pub mod inscription;
pub mod institution;
pub mod month;
pub mod paid;
pub mod payment;
pub mod pcsa;
pub mod period;
pub mod person;
pub mod right;
pub mod ssin;
pub mod subscription;

pub use amount::{Amount, AmountError};
pub use cbe::{CbeError, CbeNumber};
pub use date::{Date, DateError};
pub use endpoint::{PushEndpoint, Receivers};
pub use ins::{InsCode, InsError, Province, Region};
pub use inscription::{Inscription, QualityCode, QualityCodeError};
pub use institution::{
    CertificateFingerprint, FingerprintError, Grant, Institution, SectorInstitution, Service,
};
pub use month::{Month, MonthError};
pub use payment::{AmountType, Law, PaymentLine};
pub use pcsa::Pcsa;
pub use period::{OpenPeriod, Period, PeriodError, merge_periods};
pub use person::{Person, RegisterStatus};
pub use right::{Category, Right, RightError, RightKind};
pub use ssin::{Ssin, SsinError, SsinKind};
pub use subscription::{
    Attempt, AttemptOutcome, Delivery, DeliveryMode, Notification, OutboxSequence, RetrySchedule,
    RightRecord, Subscription, SubscriptionState,
};

/// Views the ASCII digits an identifier holds as text.
///
/// The identifier types only ever store ASCII digits, so the conversion cannot fail;
/// the empty fallback only exists so that no panic path is needed.
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

/// The numeric value of a run of already validated ASCII digits (at most 19 of them).
fn digits_value(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u64::from(d.saturating_sub(b'0')))
}
