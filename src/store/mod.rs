//! The store: one narrow interface over what the services need, with redb as the
//! default embedded engine. Keys are laid out so that everything about a person is one
//! range scan by SSIN.

mod redb_engine;

pub use redb_engine::{DEFAULT_CACHE_MB, RedbStore};

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::domain::decision::{
    Attestation, ChangeEvent, DatedRight, OwnInscriptions, RegisteredForm,
};
use crate::domain::{
    Attempt, CbeNumber, CertificateFingerprint, InsCode, Inscription, Institution, Month,
    Notification, OpenPeriod, OutboxSequence, PaymentLine, Pcsa, Person, QualityCode, Right, Ssin,
    Subscription,
};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: Box<redb::DatabaseError>,
    },
    #[error(
        "the store at {path} has layout version {found}, this build reads version {expected}: \
         start with another --data-dir (or remove it to start afresh)"
    )]
    Format {
        path: String,
        found: u32,
        expected: u32,
    },
    /// What redb reported, kept as its own error type.
    #[error("store engine error: {0}")]
    Redb(#[source] Box<redb::Error>),
    #[error("store engine error: {0}")]
    Engine(String),
    #[error("stored record {key:?} in {table} cannot be read: {reason}")]
    Corrupt {
        table: &'static str,
        key: String,
        reason: String,
    },
    #[error("{what} refers to PCSA {pcsa}, which is not in the store")]
    UnknownPcsa { what: String, pcsa: CbeNumber },
    #[error("{what} refers to institution {cbe}, which is not in the store")]
    UnknownInstitution { what: String, cbe: CbeNumber },
    #[error("the notification fan-out moved on from {expected} to {found} meanwhile")]
    FanOutMoved {
        expected: OutboxSequence,
        found: OutboxSequence,
    },
    #[error("certificate {fingerprint} already belongs to institution {owner}")]
    CertificateTaken {
        fingerprint: CertificateFingerprint,
        owner: CbeNumber,
    },
}

/// redb's own conversions gather its errors into `redb::Error`: each engine call's
/// error becomes a `StoreError` with `?`.
macro_rules! from_redb {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for StoreError {
            fn from(e: $error) -> Self {
                StoreError::Redb(Box::new(redb::Error::from(e)))
            }
        })*
    };
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
);

impl From<postcard::Error> for StoreError {
    fn from(e: postcard::Error) -> Self {
        StoreError::Engine(format!("cannot encode a value: {e}"))
    }
}

/// Everything a consultation needs about one person, read in one snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFile {
    pub person: Option<Person>,
    pub inscriptions: Vec<Inscription>,
    /// Each right with the PCSA that granted it.
    pub rights: Vec<(Right, Pcsa)>,
}

/// One change to the register; a slice of them is applied atomically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Person(Person),
    Pcsa(Pcsa),
    Institution(Institution),
    Inscription(Inscription),
    Right(Right),
    /// A certificate registered whole (DER), not only by its fingerprint: a signature
    /// may then name it by issuer and serial number, thumbprint or subject key
    /// identifier instead of carrying it. Which institution it identifies is still
    /// said by the institutions' `certificates`.
    Certificate(Vec<u8>),
}

/// What a registration reads, inside its transaction: the person, every accepted form
/// about them (all PCSAs), and their rights at the form's PCSA.
#[derive(Clone, Debug, Default)]
pub struct DecisionFile {
    pub person: Option<Person>,
    pub forms: Vec<RegisteredForm>,
    pub rights: Vec<Right>,
    /// Those rights with the decisions behind them, as the last registration left them.
    pub decided: Vec<DatedRight>,
    /// The number the next accepted form gets (registration order, whole register).
    pub next_number: u64,
    /// The PCSA's own inscriptions of the person, per quality code.
    pub own_inscriptions: Vec<OwnInscriptions>,
}

/// What a registration writes, in the same transaction: the form, the person's rights
/// at its PCSA (replacing the previous ones), the change event, if any, and the PCSA's
/// own inscriptions of the person it changes (each quality's periods replaced).
#[derive(Clone, Debug)]
pub struct Registered {
    pub form: RegisteredForm,
    pub rights: Vec<Right>,
    pub decided: Vec<DatedRight>,
    pub event: Option<ChangeEvent>,
    pub inscriptions: Vec<OwnInscriptions>,
}

/// One write of a group that `Store::write_group` commits together.
pub enum GroupWrite<'a> {
    /// A registration: `decide` judges the form against the person's `DecisionFile`
    /// for `pcsa` and returns what to write (`None`: nothing).
    Register {
        ssin: Ssin,
        pcsa: CbeNumber,
        decide: &'a mut dyn FnMut(&DecisionFile) -> Option<Registered>,
    },
    /// A monthly statement's lines; `replaced` gets how many earlier lines they
    /// replaced.
    Statement {
        ins: InsCode,
        month: Month,
        lines: &'a [PaymentLine],
        replace: bool,
        replaced: &'a mut usize,
    },
    /// Reference data, as `ReferenceData::apply` writes it (a world and its history
    /// are written together).
    Apply(&'a [Change]),
    /// One institution's subscription, as `Subscriptions::update_subscription`
    /// changes it.
    Subscribe {
        institution: CbeNumber,
        decide: &'a mut dyn FnMut(Option<&Subscription>) -> Option<Subscription>,
    },
    /// Whether to go on: when it says no, nothing of the group is written (a world
    /// whose forms the register refused).
    Check(&'a mut dyn FnMut() -> bool),
}

/// A change of a person's rights at a PCSA, in the outbox that notifications consume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Position in the outbox (whole register, gap-free, from 1).
    pub sequence: OutboxSequence,
    /// The person's version: 1 for their first event, then +1 per event.
    pub version: u64,
    pub ssin: Ssin,
    pub pcsa: CbeNumber,
    pub event: ChangeEvent,
    pub at_ms: i64,
    /// The form that caused it.
    pub attestation: Attestation,
}

/// One exchange with the network, as the audit trail keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The `ticketCBSS` of the exchange (a time-ordered UUID, so the trail sorts by time).
    pub ticket: Uuid,
    pub received_at_ms: i64,
    pub latency_us: u64,
    pub caller: Option<CbeNumber>,
    /// The operation's name: one of the contracts' (`Cow`, so that recording one costs
    /// no copy, while reading the trail back gives owned text).
    pub operation: Option<Cow<'static, str>>,
    pub legal_context: Option<String>,
    pub ssin: Option<String>,
    /// The status code (MSG00000, ...) or the fault's reason code.
    pub outcome: Cow<'static, str>,
    pub http_status: u16,
    /// The service, as its row names it ("LivingWagesService v2"): services share
    /// operation names.
    pub service: Option<Cow<'static, str>>,
    /// What set this record apart from a plain exchange: an injected fault, or the
    /// exchanges the trail could not keep.
    pub mark: Option<AuditMark>,
}

/// A record that is not (only) what a client sent and was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditMark {
    /// The answer was changed by a fault rule: its id and what it did.
    Injected { rule: u64, effect: String },
    /// Exchanges before this record were not kept: the audit writer was behind.
    Dropped { exchanges: u64 },
}

/// The register's reference data: persons and their files, PCSAs, institutions and
/// their certificates, changed together by `apply`.
pub trait ReferenceData {
    fn person_file(&self, ssin: &Ssin) -> Result<std::sync::Arc<PersonFile>, StoreError>;
    fn person(&self, ssin: &Ssin) -> Result<Option<Person>, StoreError>;
    fn pcsa(&self, cbe: &CbeNumber) -> Result<Option<Pcsa>, StoreError>;
    fn institution(&self, cbe: &CbeNumber) -> Result<Option<Institution>, StoreError>;
    fn institution_by_certificate(
        &self,
        fingerprint: &CertificateFingerprint,
    ) -> Result<Option<Institution>, StoreError>;
    fn institutions(&self) -> Result<Vec<Institution>, StoreError>;
    /// Every certificate registered whole (`Change::Certificate`) that an institution
    /// still names among its `certificates`, DER, in fingerprint order: one replaced
    /// since is left out, though kept.
    fn registered_certificates(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Every PCSA of the register.
    fn pcsas(&self) -> Result<Vec<Pcsa>, StoreError>;
    fn apply(&self, changes: &[Change]) -> Result<(), StoreError>;
    /// Everything `apply` can write, as the changes that would write it again (in an
    /// order `apply` accepts), read in one snapshot: PCSAs and institutions by CBE
    /// number, the certificates registered whole, then persons, inscriptions and
    /// rights, each by SSIN.
    fn contents(&self) -> Result<Vec<Change>, StoreError>;
    /// True when nothing of the register is stored yet (the demo seeds only then).
    fn is_empty(&self) -> Result<bool, StoreError>;
    /// Changes each time `apply` commits, and only then: institutions, certificates
    /// and PCSAs read at one generation are still true while it stays the same (the
    /// callers' cache relies on it). Registrations, inscriptions and statements leave
    /// it as it is.
    fn generation(&self) -> u64;
}

/// Decisions and inscriptions: judged and written inside their write transactions.
pub trait Register {
    /// Runs `writes` one after another in one write transaction made durable by one
    /// commit: each sees what the ones before it wrote. All of them or none (none
    /// when a `Check` says no).
    fn write_group(&self, writes: &mut [GroupWrite<'_>]) -> Result<(), StoreError>;
    /// Registers a decision in one durable transaction: reads the person's
    /// `DecisionFile` for `pcsa`, lets `decide` judge the form (it returns `None` to
    /// write nothing), then writes the form, the rights and the outbox event together.
    /// Registrations are serialised, so `decide` always sees the latest history.
    fn register(
        &self,
        ssin: &Ssin,
        pcsa: &CbeNumber,
        decide: &mut dyn FnMut(&DecisionFile) -> Option<Registered>,
    ) -> Result<(), StoreError> {
        self.write_group(&mut [GroupWrite::Register {
            ssin: *ssin,
            pcsa: *pcsa,
            decide,
        }])
    }
    /// Changes one institution's inscriptions of one quality for a person in one
    /// transaction: `decide` gets their periods as they stand and returns the new ones
    /// (`None` to write nothing). Serialised like registrations.
    fn update_inscriptions(
        &self,
        ssin: &Ssin,
        institution: &CbeNumber,
        quality: QualityCode,
        decide: &mut dyn FnMut(&[OpenPeriod]) -> Option<Vec<OpenPeriod>>,
    ) -> Result<(), StoreError>;
    /// Every accepted form about a person, in registration order.
    fn forms(&self, ssin: &Ssin) -> Result<Vec<RegisteredForm>, StoreError>;
    /// The person's rights at each PCSA that sent forms about them, with the decisions
    /// behind them, as the last registration left them.
    fn decided(&self, ssin: &Ssin) -> Result<BTreeMap<CbeNumber, Vec<DatedRight>>, StoreError>;
}

/// The CPAS's monthly statements of payments and the payments by person.
/// Written through `Register::write_group`, in the same groups as the forms.
pub trait Statements: Register {
    /// Writes lines of the monthly statement of a CPAS (`ins`) for `month` in one
    /// durable transaction: they replace the statement's lines when `replace`, else
    /// follow them. Returns how many lines were replaced.
    fn write_statement(
        &self,
        ins: &InsCode,
        month: Month,
        lines: &[PaymentLine],
        replace: bool,
    ) -> Result<usize, StoreError> {
        let mut replaced = 0;
        self.write_group(&mut [GroupWrite::Statement {
            ins: *ins,
            month,
            lines,
            replace,
            replaced: &mut replaced,
        }])?;
        Ok(replaced)
    }
    /// The lines of a monthly statement, in their order.
    fn statement(&self, ins: &InsCode, month: Month) -> Result<Vec<PaymentLine>, StoreError>;
    /// The months for which a CPAS has a statement, in order.
    fn statement_months(&self, ins: &InsCode) -> Result<Vec<Month>, StoreError>;
    /// Every payment line about a person (as beneficiary), by first day paid.
    fn payments(&self, ssin: &Ssin) -> Result<Vec<PaymentLine>, StoreError>;
}

/// The audit trail.
pub trait Audit {
    /// Appends audit records (one durable commit for the whole batch).
    fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError>;
    /// Up to `limit` audit records, oldest first, after `after` when given.
    fn audit_trail(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError>;
    /// Gives `visit` the audit records received from `from_ms` to `to_ms` (by their
    /// tickets' time), after the ticket `after` in that order, oldest first or newest
    /// first, until it says stop.
    fn walk_audit(
        &self,
        window: &AuditWindow,
        visit: &mut dyn FnMut(AuditRecord) -> bool,
    ) -> Result<(), StoreError>;
    /// How many audit records the trail holds (a record given again in another batch
    /// is held, and counted, twice; the trail gives it once).
    fn audit_len(&self) -> Result<u64, StoreError>;
    /// Removes the oldest audit records beyond `retention`, a group of records at a
    /// time and at most `max_groups` groups in this call (so that one call stays
    /// short): never a record that the bounds keep. Returns how many were removed.
    fn prune_audit(&self, retention: &Retention, max_groups: usize) -> Result<u64, StoreError>;
}

/// Which part of the audit trail to walk, and in which order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditWindow {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Resume after this ticket (the last one a page gave).
    pub after: Option<Uuid>,
    pub newest_first: bool,
}

/// How much of the audit trail is kept: at most `max_records` (give or take one group
/// of records), none received before `oldest_ms` when it is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub max_records: u64,
    pub oldest_ms: Option<i64>,
}

/// The outbox of changes and the notifications made from it, with their delivery
/// attempts.
pub trait Outbox {
    /// Up to `limit` outbox events after sequence `after`, in order.
    fn outbox(&self, after: OutboxSequence, limit: usize) -> Result<Vec<OutboxEvent>, StoreError>;
    /// The outbox sequence up to which events have been turned into notifications.
    fn fanned_out(&self) -> Result<OutboxSequence, StoreError>;
    /// The last event's sequence (0 for an empty outbox).
    fn outbox_head(&self) -> Result<OutboxSequence, StoreError>;
    /// Queues `notifications` (each subscriber's next sequence numbers are given here,
    /// in the order listed) and moves the fan-out from outbox sequence `from` to `to`,
    /// in one durable transaction. Subscribers that no longer receive are skipped.
    /// Refused when the fan-out is no longer at `from`.
    fn enqueue_notifications(
        &self,
        from: OutboxSequence,
        to: OutboxSequence,
        notifications: Vec<(CbeNumber, Notification)>,
    ) -> Result<(), StoreError>;
    /// Up to `limit` notifications of a subscriber after sequence `after`, in order.
    fn notifications(
        &self,
        institution: &CbeNumber,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;
    /// The last `limit` delivery attempts for a subscriber, oldest first.
    fn attempts(&self, institution: &CbeNumber, limit: usize) -> Result<Vec<Attempt>, StoreError>;
}

/// The subscriptions to LivingWagesNotifications.
pub trait Subscriptions {
    /// Every subscription to LivingWagesNotifications.
    fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// Changes one institution's subscription in one durable transaction: `decide` gets
    /// it as it stands (`None`: never subscribed) and returns the new one (`None` to
    /// write nothing). `attempt`, when given, is recorded in the same transaction.
    /// Returns the subscription as written.
    fn update_subscription(
        &self,
        institution: &CbeNumber,
        attempt: Option<&Attempt>,
        decide: &mut dyn FnMut(Option<&Subscription>) -> Option<Subscription>,
    ) -> Result<Option<Subscription>, StoreError>;
}

/// The register as it stood at one moment, kept in a file to come back to: a test
/// suite resets the gateway to the worlds it started with before every test.
pub trait Snapshots {
    /// Writes everything of the register but the audit trail to a new file at `path`
    /// (readable by its owner only), from one consistent read.
    fn save_snapshot(&self, path: &std::path::Path) -> Result<(), StoreError>;
    /// Makes the register what the snapshot at `path` holds, in one transaction: the
    /// reference data, forms, rights, inscriptions, statements, outbox, notifications
    /// and subscriptions. The audit trail stays: it is what clients sent, not the
    /// register.
    fn restore_snapshot(&self, path: &std::path::Path) -> Result<(), StoreError>;
}

/// The interface every engine implements. Reads see one consistent snapshot per call;
/// `apply` is one transaction: all changes or none.
/// It is every role at once; code that needs one role names that one.
pub trait Store:
    ReferenceData
    + Register
    + Statements
    + Audit
    + Outbox
    + Subscriptions
    + Snapshots
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ReferenceData
        + Register
        + Statements
        + Audit
        + Outbox
        + Subscriptions
        + Snapshots
        + Send
        + Sync
        + 'static
{
}
