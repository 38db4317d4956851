//! The store: one narrow interface over what the services need, with redb as the
//! default embedded engine. Keys are laid out so that everything about a person is one
//! range scan by SSIN.

mod redb_engine;

pub use redb_engine::RedbStore;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::domain::{
    CbeNumber, CertificateFingerprint, Inscription, Institution, Pcsa, Person, Right, Ssin,
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
    #[error("certificate {fingerprint} already belongs to institution {owner}")]
    CertificateTaken {
        fingerprint: CertificateFingerprint,
        owner: CbeNumber,
    },
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
}

/// One exchange with the network, as the audit trail keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The `ticketCBSS` of the exchange (a time-ordered UUID, so the trail sorts by time).
    pub ticket: Uuid,
    pub received_at_ms: i64,
    pub latency_us: u64,
    pub caller: Option<CbeNumber>,
    pub operation: Option<String>,
    pub legal_context: Option<String>,
    pub ssin: Option<String>,
    /// The status code (MSG00000, ...) or the fault's reason code.
    pub outcome: String,
    pub http_status: u16,
}

/// The interface every engine implements. Reads see one consistent snapshot per call;
/// `apply` is one transaction: all changes or none.
pub trait Store: Send + Sync + 'static {
    fn person_file(&self, ssin: &Ssin) -> Result<PersonFile, StoreError>;
    fn person(&self, ssin: &Ssin) -> Result<Option<Person>, StoreError>;
    fn pcsa(&self, cbe: &CbeNumber) -> Result<Option<Pcsa>, StoreError>;
    fn institution(&self, cbe: &CbeNumber) -> Result<Option<Institution>, StoreError>;
    fn institution_by_certificate(
        &self,
        fingerprint: &CertificateFingerprint,
    ) -> Result<Option<Institution>, StoreError>;
    fn institutions(&self) -> Result<Vec<Institution>, StoreError>;
    fn apply(&self, changes: &[Change]) -> Result<(), StoreError>;
    /// Appends audit records (one durable commit for the whole batch).
    fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError>;
    /// Up to `limit` audit records, oldest first, after `after` when given.
    fn audit_trail(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError>;
    /// True when nothing of the register is stored yet (the demo seeds only then).
    fn is_empty(&self) -> Result<bool, StoreError>;
    /// Changes each time `apply` commits: what was read at one generation is still
    /// true while the generation stays the same (caches rely on it).
    fn generation(&self) -> u64;
}
