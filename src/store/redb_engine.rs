//! The default engine: one redb file. Keys are ASCII so that a person's rows form one
//! range; values are postcard, a compact binary serde format (reading a person file
//! from JSON cost more than the rest of a consultation). The file records its format
//! version so that a binary never misreads a file written by another.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{AuditRecord, Change, PersonFile, Store, StoreError};
use crate::domain::{
    CbeNumber, CertificateFingerprint, Inscription, Institution, Pcsa, Person, Right, Ssin,
};

/// Everything about a person, under keys that start with the SSIN so that a
/// consultation reads it in one range scan:
/// `SSIN P` → person, `SSIN I institution quality begin` → inscription,
/// `SSIN R pcsa kind first-day` → right.
const FILES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("person_files");
/// CBE → PCSA.
const PCSAS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("pcsas");
/// CBE → institution.
const INSTITUTIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("institutions");
/// Certificate fingerprint (hex) → CBE of its institution.
const CERTIFICATES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("certificates");
/// Ticket (UUIDv7, time-ordered) → audit record.
const AUDIT: TableDefinition<u128, &[u8]> = TableDefinition::new("audit");
/// `format` → the layout version of this file.
const META: TableDefinition<&str, u32> = TableDefinition::new("meta");

/// The layout of keys and values this binary reads and writes. Bump it when either
/// changes: an older file is then refused with a clear message instead of misread.
const FORMAT: u32 = 2;

pub struct RedbStore {
    db: Database,
    generation: AtomicU64,
    /// Every PCSA, in memory: there are a few hundred, every right read needs its
    /// PCSA, and a second table lookup per right was a measurable share of a
    /// consultation. Written only by `apply`, under this lock across the commit.
    pcsas: RwLock<HashMap<CbeNumber, Pcsa>>,
}

fn engine<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Engine(e.to_string())
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_stdvec(value).map_err(engine)
}

fn decode<T: DeserializeOwned>(
    table: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
        table,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

/// The half-open key range of every row of one person: the SSIN followed by a row tag
/// (an ASCII letter), up to the SSIN followed by `~`, which sorts after every letter.
fn person_range(ssin: &Ssin) -> (String, String) {
    (ssin.as_str().to_owned(), format!("{}~", ssin.as_str()))
}

const PERSON_TAG: u8 = b'P';
const INSCRIPTION_TAG: u8 = b'I';
const RIGHT_TAG: u8 = b'R';

fn person_key(ssin: &Ssin) -> String {
    format!("{}P", ssin.as_str())
}

fn inscription_key(i: &Inscription) -> String {
    format!(
        "{}I{}{:02}{}",
        i.ssin.as_str(),
        i.institution.as_str(),
        i.quality.code(),
        i.period.begin()
    )
}

/// A right is identified by its person, PCSA, kind and first day: one PCSA can grant
/// the same kind of aid again later (with another category, say) without the earlier
/// right disappearing.
fn right_key(r: &Right) -> String {
    let kind = match r.kind() {
        crate::domain::RightKind::LivingWage => 'L',
        crate::domain::RightKind::EquivalentLivingWage => 'E',
    };
    let first_day = r
        .periods()
        .first()
        .map(|p| p.begin().to_string())
        .unwrap_or_default();
    format!(
        "{}R{}{}{}",
        r.ssin().as_str(),
        r.pcsa().as_str(),
        kind,
        first_day
    )
}

impl RedbStore {
    /// Opens (or creates) the store file `<dir>/bcss-gateway.redb`.
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Engine(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        Self::open(&dir.join("bcss-gateway.redb"))
    }

    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: Box::new(e),
        })?;
        // Create every table up front so that readers never meet a missing one.
        let tx = db.begin_write().map_err(engine)?;
        {
            let mut meta = tx.open_table(META).map_err(engine)?;
            let found = meta.get("format").map_err(engine)?.map(|v| v.value());
            let has_data = !tx
                .list_tables()
                .map_err(engine)?
                .all(|t| t.name() == "meta");
            match found {
                Some(FORMAT) => {}
                None if !has_data => {
                    meta.insert("format", FORMAT).map_err(engine)?;
                }
                found => {
                    return Err(StoreError::Format {
                        path: path.display().to_string(),
                        found: found.unwrap_or(1),
                        expected: FORMAT,
                    });
                }
            }
        }
        tx.open_table(FILES).map_err(engine)?;
        tx.open_table(PCSAS).map_err(engine)?;
        tx.open_table(INSTITUTIONS).map_err(engine)?;
        tx.open_table(CERTIFICATES).map_err(engine)?;
        tx.open_table(AUDIT).map_err(engine)?;
        tx.commit().map_err(engine)?;
        let store = RedbStore {
            db,
            generation: AtomicU64::new(0),
            pcsas: RwLock::new(HashMap::new()),
        };
        *store.pcsas.write().unwrap_or_else(PoisonError::into_inner) = store.read_pcsas()?;
        Ok(store)
    }

    fn read_pcsas(&self) -> Result<HashMap<CbeNumber, Pcsa>, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let table = tx.open_table(PCSAS).map_err(engine)?;
        let mut out = HashMap::new();
        for row in table.iter().map_err(engine)? {
            let (k, v) = row.map_err(engine)?;
            let pcsa: Pcsa = decode("pcsas", k.value(), v.value())?;
            out.insert(pcsa.cbe, pcsa);
        }
        Ok(out)
    }

    fn get<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&[u8], &[u8]>,
        name: &'static str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let table = tx.open_table(def).map_err(engine)?;
        match table.get(key.as_bytes()).map_err(engine)? {
            Some(v) => decode(name, key.as_bytes(), v.value()).map(Some),
            None => Ok(None),
        }
    }
}

impl Store for RedbStore {
    fn person_file(&self, ssin: &Ssin) -> Result<PersonFile, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let files = tx.open_table(FILES).map_err(engine)?;
        let (from, to) = person_range(ssin);
        let mut file = PersonFile::default();
        let mut rights: Vec<Right> = Vec::new();
        for row in files
            .range(from.as_bytes()..to.as_bytes())
            .map_err(engine)?
        {
            let (k, v) = row.map_err(engine)?;
            let key = k.value();
            match key.get(11) {
                Some(&PERSON_TAG) => file.person = Some(decode("person_files", key, v.value())?),
                Some(&INSCRIPTION_TAG) => {
                    file.inscriptions
                        .push(decode("person_files", key, v.value())?)
                }
                Some(&RIGHT_TAG) => rights.push(decode("person_files", key, v.value())?),
                _ => {
                    return Err(StoreError::Corrupt {
                        table: "person_files",
                        key: String::from_utf8_lossy(key).into_owned(),
                        reason: "unknown row kind".into(),
                    });
                }
            }
        }
        if !rights.is_empty() {
            let pcsas = self.pcsas.read().unwrap_or_else(PoisonError::into_inner);
            for right in rights {
                let cbe = right.pcsa();
                let Some(pcsa) = pcsas.get(&cbe) else {
                    return Err(StoreError::UnknownPcsa {
                        what: format!("a right of {ssin}"),
                        pcsa: cbe,
                    });
                };
                file.rights.push((right, pcsa.clone()));
            }
        }
        Ok(file)
    }

    fn person(&self, ssin: &Ssin) -> Result<Option<Person>, StoreError> {
        self.get(FILES, "person_files", &person_key(ssin))
    }

    fn pcsa(&self, cbe: &CbeNumber) -> Result<Option<Pcsa>, StoreError> {
        let pcsas = self.pcsas.read().unwrap_or_else(PoisonError::into_inner);
        Ok(pcsas.get(cbe).cloned())
    }

    fn institution(&self, cbe: &CbeNumber) -> Result<Option<Institution>, StoreError> {
        self.get(INSTITUTIONS, "institutions", cbe.as_str())
    }

    fn institution_by_certificate(
        &self,
        fingerprint: &CertificateFingerprint,
    ) -> Result<Option<Institution>, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let certs = tx.open_table(CERTIFICATES).map_err(engine)?;
        let hex = fingerprint.to_hex();
        let Some(owner) = certs.get(hex.as_bytes()).map_err(engine)? else {
            return Ok(None);
        };
        let owner = String::from_utf8_lossy(owner.value()).into_owned();
        let institutions = tx.open_table(INSTITUTIONS).map_err(engine)?;
        match institutions.get(owner.as_bytes()).map_err(engine)? {
            Some(v) => decode("institutions", owner.as_bytes(), v.value()).map(Some),
            None => Ok(None),
        }
    }

    fn institutions(&self) -> Result<Vec<Institution>, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let table = tx.open_table(INSTITUTIONS).map_err(engine)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(engine)? {
            let (k, v) = row.map_err(engine)?;
            out.push(decode("institutions", k.value(), v.value())?);
        }
        Ok(out)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        // Readers of PCSAs wait for a commit that changes them (rare), so that no
        // reader sees a right whose PCSA is not in memory yet.
        let changes_pcsas = changes.iter().any(|c| matches!(c, Change::Pcsa(_)));
        let mut pcsa_cache =
            changes_pcsas.then(|| self.pcsas.write().unwrap_or_else(PoisonError::into_inner));
        let tx = self.db.begin_write().map_err(engine)?;
        {
            let mut files = tx.open_table(FILES).map_err(engine)?;
            let mut pcsas = tx.open_table(PCSAS).map_err(engine)?;
            let mut institutions = tx.open_table(INSTITUTIONS).map_err(engine)?;
            let mut certificates = tx.open_table(CERTIFICATES).map_err(engine)?;
            for change in changes {
                match change {
                    Change::Person(p) => {
                        files
                            .insert(person_key(&p.ssin).as_bytes(), encode(p)?.as_slice())
                            .map_err(engine)?;
                    }
                    Change::Pcsa(p) => {
                        pcsas
                            .insert(p.cbe.as_str().as_bytes(), encode(p)?.as_slice())
                            .map_err(engine)?;
                    }
                    Change::Institution(inst) => {
                        // Certificates of an institution being replaced are released first.
                        let previous: Option<Institution> = match institutions
                            .get(inst.cbe.as_str().as_bytes())
                            .map_err(engine)?
                        {
                            Some(v) => Some(decode(
                                "institutions",
                                inst.cbe.as_str().as_bytes(),
                                v.value(),
                            )?),
                            None => None,
                        };
                        for fp in previous.iter().flat_map(|p| &p.certificates) {
                            certificates
                                .remove(fp.to_hex().as_bytes())
                                .map_err(engine)?;
                        }
                        for fp in &inst.certificates {
                            let hex = fp.to_hex();
                            if let Some(owner) = certificates.get(hex.as_bytes()).map_err(engine)? {
                                let owner = String::from_utf8_lossy(owner.value()).into_owned();
                                if owner != inst.cbe.as_str() {
                                    let owner = CbeNumber::parse(&owner).map_err(|e| {
                                        StoreError::Corrupt {
                                            table: "certificates",
                                            key: hex.clone(),
                                            reason: e.to_string(),
                                        }
                                    })?;
                                    return Err(StoreError::CertificateTaken {
                                        fingerprint: *fp,
                                        owner,
                                    });
                                }
                            }
                            certificates
                                .insert(hex.as_bytes(), inst.cbe.as_str().as_bytes())
                                .map_err(engine)?;
                        }
                        institutions
                            .insert(inst.cbe.as_str().as_bytes(), encode(inst)?.as_slice())
                            .map_err(engine)?;
                    }
                    Change::Inscription(i) => {
                        if institutions
                            .get(i.institution.as_str().as_bytes())
                            .map_err(engine)?
                            .is_none()
                        {
                            return Err(StoreError::UnknownInstitution {
                                what: format!("the inscription of {}", i.ssin),
                                cbe: i.institution,
                            });
                        }
                        files
                            .insert(inscription_key(i).as_bytes(), encode(i)?.as_slice())
                            .map_err(engine)?;
                    }
                    Change::Right(r) => {
                        if pcsas
                            .get(r.pcsa().as_str().as_bytes())
                            .map_err(engine)?
                            .is_none()
                        {
                            return Err(StoreError::UnknownPcsa {
                                what: format!("the right of {}", r.ssin()),
                                pcsa: r.pcsa(),
                            });
                        }
                        files
                            .insert(right_key(r).as_bytes(), encode(r)?.as_slice())
                            .map_err(engine)?;
                    }
                }
            }
        }
        tx.commit().map_err(engine)?;
        if let Some(cache) = pcsa_cache.as_mut() {
            for change in changes {
                if let Change::Pcsa(p) = change {
                    cache.insert(p.cbe, p.clone());
                }
            }
        }
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(engine)?;
        {
            let mut audit = tx.open_table(AUDIT).map_err(engine)?;
            for r in records {
                audit
                    .insert(r.ticket.as_u128(), encode(r)?.as_slice())
                    .map_err(engine)?;
            }
        }
        tx.commit().map_err(engine)
    }

    fn audit_trail(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let audit = tx.open_table(AUDIT).map_err(engine)?;
        let start = after.map_or(0, |u| u.as_u128().saturating_add(1));
        let mut out = Vec::new();
        for row in audit.range(start..).map_err(engine)?.take(limit) {
            let (k, v) = row.map_err(engine)?;
            out.push(decode(
                "audit",
                Uuid::from_u128(k.value()).to_string().as_bytes(),
                v.value(),
            )?);
        }
        Ok(out)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        let files = tx.open_table(FILES).map_err(engine)?;
        let institutions = tx.open_table(INSTITUTIONS).map_err(engine)?;
        Ok(files.len().map_err(engine)? == 0 && institutions.len().map_err(engine)? == 0)
    }
}
