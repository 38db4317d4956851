//! The default engine: one redb file. Keys are ASCII so that a person's rows form one
//! range; values are postcard, a compact binary serde format (reading a person file
//! from JSON cost more than the rest of a consultation). The file records its format
//! version so that a binary never misreads a file written by another.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Audit, AuditRecord, AuditWindow, Change, DecisionFile, GroupWrite, Outbox, OutboxEvent,
    PersonFile, ReferenceData, Register, Registered, Retention, Snapshots, Statements, StoreError,
    Subscriptions,
};
use crate::domain::decision::{
    DatedRight, Measures, OwnInscriptions, PerPerson, RegisteredForm, Resources,
};
use crate::domain::{
    Attempt, CbeNumber, CertificateFingerprint, InsCode, Inscription, Institution, Month,
    Notification, OpenPeriod, OutboxSequence, PaymentLine, Pcsa, Person, QualityCode, Right, Ssin,
    Subscription,
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
/// Certificate fingerprint (hex) → the certificate (DER), for those registered whole.
const CERTIFICATE_DERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("certificate_ders");
/// First ticket (UUIDv7, time-ordered) of a chunk → up to `AUDIT_CHUNK` audit records
/// in ticket order. One row per record had cost a B-tree insert per exchange, a
/// tenth of a consultation's CPU; a chunk costs one per few hundred.
const AUDIT: TableDefinition<u128, &[u8]> = TableDefinition::new("audit_chunks");
/// Layout 3: ticket → one audit record.
const AUDIT_BY_TICKET: TableDefinition<u128, &[u8]> = TableDefinition::new("audit");
/// Records in one audit chunk at most: a page of the trail decodes a few chunks.
const AUDIT_CHUNK: usize = 256;
/// Bytes of one encoded chunk at most. redb gives a large value a page of a power of
/// two (4 KiB × 2ⁿ): a chunk of 33 KB takes 64 KiB, one of 30 KiB fits 32 KiB. Cut by
/// records alone, chunks of a little more than 32 KB had nearly doubled the file.
const AUDIT_CHUNK_BYTES: usize = 30 << 10;
/// The tickets of one chunk lie within this many milliseconds of its first. A record
/// committed late (a long exchange) then starts a chunk of its own, and the trail after
/// a ticket is found among the chunks that start at most this long before it.
const AUDIT_SPAN_MS: u128 = 1_000;
/// UUIDv7 keeps its Unix milliseconds in the top 48 of its 128 bits.
const UUID_MS_SHIFT: u32 = 80;
/// `SSIN number(20 digits)` → an accepted form (B, C) about that person.
const FORMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("forms");
/// `SSIN PCSA` → the person's rights at that PCSA with the decisions behind them
/// (LivingWages V3), rewritten by each registration there.
const DECIDED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("decided_rights");
/// Sequence → change event, for the notifications.
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// SSIN → the person's last event version.
const VERSIONS: TableDefinition<&[u8], u64> = TableDefinition::new("versions");
/// The page cache by default: enough for the demo and a tester's world with the
/// journal's recent pages, in the memory of a laptop or a CI container; a large
/// register wants `--cache-mb` near its file size.
pub const DEFAULT_CACHE_MB: usize = 128;

/// `SSIN first-day-paid INS statement-month line` → a payment line, so that a person's
/// payments are one range in date order.
const PAYMENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("payments");
/// `INS statement-month line` → the line's key in `payments`: the statement as the
/// CPAS sent it, for export and replacement.
const STATEMENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("statements");
/// CBE → the institution's subscription to notifications.
const SUBSCRIPTIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("subscriptions");
/// `CBE sequence(20 digits)` → a notification queued for that subscriber.
const NOTIFICATIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("notifications");
/// `CBE number(20 digits)` → a delivery attempt, numbered per subscriber.
const ATTEMPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("attempts");
/// `fanned_out` → the outbox sequence notifications were made up to.
const DISPATCH: TableDefinition<&str, u64> = TableDefinition::new("dispatch");
/// `format` → the layout version of this file.
const META: TableDefinition<&str, u32> = TableDefinition::new("meta");
/// `audit_records` → how many records the audit trail holds (its chunks say it only
/// when each is read).
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
const AUDIT_RECORDS: &str = "audit_records";

/// The layout of keys and values this binary reads and writes. Bump it when either
/// changes: an older file is then upgraded when `open` knows how, else refused with a
/// clear message instead of misread. 3: forms B carry rubrics 21–42 and 63–72.
/// 4: the audit trail is kept in chunks. 5: each registration keeps the decided
/// rights. 6: the audit trail's length is kept. 7: audit records name their service
/// and carry a mark.
const FORMAT: u32 = 7;

/// Layout 2 → 3: a form B of layout 2 ends where the rubrics added in 3 (measures and
/// resources, the last fields of `FormB`, and `form` the last of `RegisteredForm`)
/// begin, so it reads as a layout-3 form once empty rubrics are appended. Forms C and
/// D did not change. Runs inside the opening transaction: all or nothing.
fn migrate_forms_from_2(tx: &redb::WriteTransaction) -> Result<usize, StoreError> {
    let empty_rubrics = encode(&(PerPerson::<Measures>::default(), Resources::default()))?;
    let mut forms = tx.open_table(FORMS)?;
    let mut rewritten = Vec::new();
    for row in forms.iter()? {
        let (k, v) = row?;
        if k.value() == FORMS_COUNTER || postcard::from_bytes::<RegisteredForm>(v.value()).is_ok() {
            continue;
        }
        let mut bytes = v.value().to_vec();
        bytes.extend_from_slice(&empty_rubrics);
        let form: RegisteredForm = decode("forms", k.value(), &bytes)?;
        rewritten.push((k.value().to_vec(), encode(&form)?));
    }
    for (k, v) in &rewritten {
        forms.insert(k.as_slice(), v.as_slice())?;
    }
    Ok(rewritten.len())
}

/// Layout 3 → 4: the audit records, one row each, move into chunks.
/// The old rows come in ticket order, so they are moved a bounded batch at a time.
fn migrate_audit_from_3(tx: &redb::WriteTransaction) -> Result<usize, StoreError> {
    let mut moved = 0;
    {
        let old = tx.open_table(AUDIT_BY_TICKET)?;
        const BATCH: usize = AUDIT_CHUNK * 64;
        let mut batch = Vec::with_capacity(BATCH);
        for row in old.iter()? {
            let (k, v) = row?;
            batch.push(AuditRecord::from(decode::<AuditRecordBefore7>(
                "audit",
                &audit_key(k.value()),
                v.value(),
            )?));
            if batch.len() == BATCH {
                write_audit(tx, &batch)?;
                moved += batch.len();
                batch.clear();
            }
        }
        write_audit(tx, &batch)?;
        moved += batch.len();
    }
    tx.delete_table(AUDIT_BY_TICKET)?;
    Ok(moved)
}

/// Layout 4 → 5: the decided rights of every person at every PCSA that sent forms,
/// from their forms replayed in registration order as the register went through them.
fn build_decided_from_4(tx: &redb::WriteTransaction) -> Result<usize, StoreError> {
    let forms = tx.open_table(FORMS)?;
    let mut decided = tx.open_table(DECIDED)?;
    let mut histories = 0;
    let mut write = |of_person: &[RegisteredForm]| -> Result<(), StoreError> {
        let mut per_pcsa: BTreeMap<CbeNumber, Vec<&RegisteredForm>> = BTreeMap::new();
        for f in of_person {
            per_pcsa.entry(f.form.pcsa()).or_default().push(f);
        }
        for (pcsa, history) in per_pcsa {
            let Some(first) = history.first() else {
                continue;
            };
            let rights = crate::domain::decision::decided_rights(&history);
            let key = decided_key(&first.form.ssin(), &pcsa);
            decided.insert(key.as_bytes(), encode(&rights)?.as_slice())?;
            histories += 1;
        }
        Ok(())
    };
    // Forms are keyed by SSIN first: a person's forms are one run of rows.
    let mut of_person: Vec<RegisteredForm> = Vec::new();
    for row in forms.iter()? {
        let (k, v) = row?;
        if k.value() == FORMS_COUNTER {
            continue;
        }
        let form: RegisteredForm = decode("forms", k.value(), v.value())?;
        if of_person
            .first()
            .is_some_and(|f| f.form.ssin() != form.form.ssin())
        {
            write(&of_person)?;
            of_person.clear();
        }
        of_person.push(form);
    }
    write(&of_person)?;
    Ok(histories)
}

/// An audit record as layouts 3 to 6 wrote it.
#[derive(Deserialize)]
struct AuditRecordBefore7 {
    ticket: Uuid,
    received_at_ms: i64,
    latency_us: u64,
    caller: Option<CbeNumber>,
    operation: Option<std::borrow::Cow<'static, str>>,
    legal_context: Option<String>,
    ssin: Option<String>,
    outcome: std::borrow::Cow<'static, str>,
    http_status: u16,
}

impl From<AuditRecordBefore7> for AuditRecord {
    fn from(r: AuditRecordBefore7) -> AuditRecord {
        AuditRecord {
            ticket: r.ticket,
            received_at_ms: r.received_at_ms,
            latency_us: r.latency_us,
            caller: r.caller,
            operation: r.operation,
            legal_context: r.legal_context,
            ssin: r.ssin,
            outcome: r.outcome,
            http_status: r.http_status,
            service: None,
            mark: None,
        }
    }
}

/// Layout 6 → 7: every chunk of the audit trail rewritten with the two new fields
/// (postcard values are concatenated, so an old chunk cannot be read as a new one).
fn migrate_audit_from_6(tx: &redb::WriteTransaction) -> Result<usize, StoreError> {
    let mut audit = tx.open_table(AUDIT)?;
    let mut firsts = Vec::new();
    for row in audit.iter()? {
        firsts.push(row?.0.value());
    }
    let mut rewritten = 0;
    for first in firsts {
        let Some(bytes) = audit.get(first)?.map(|v| v.value().to_vec()) else {
            continue;
        };
        let old: Vec<AuditRecordBefore7> = decode("audit", &audit_key(first), &bytes)?;
        rewritten += old.len();
        let chunk: Vec<AuditRecord> = old.into_iter().map(AuditRecord::from).collect();
        audit.insert(first, encode(&chunk)?.as_slice())?;
    }
    Ok(rewritten)
}

/// Layout 5 → 6 (and after the earlier steps): the audit trail's length, counted
/// from its chunks.
fn count_audit(tx: &redb::WriteTransaction) -> Result<u64, StoreError> {
    let audit = tx.open_table(AUDIT)?;
    let mut records = 0u64;
    for row in audit.iter()? {
        let (k, v) = row?;
        records += chunk_len(k.value(), v.value())?;
    }
    tx.open_table(COUNTERS)?.insert(AUDIT_RECORDS, records)?;
    Ok(records)
}

/// The number of records in an encoded chunk: postcard writes a sequence's length
/// first, as a varint, so it is known without decoding the records.
fn chunk_len(first: u128, bytes: &[u8]) -> Result<u64, StoreError> {
    let mut len = 0u64;
    for (i, b) in bytes.iter().take(10).enumerate() {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(len);
        }
    }
    Err(StoreError::Corrupt {
        table: "audit_chunks",
        key: String::from_utf8_lossy(&audit_key(first)).into_owned(),
        reason: "the chunk does not begin with its length".into(),
    })
}

/// `count` items encoded end to end, as postcard encodes the sequence of them: its
/// length as a varint, then the items.
fn sequence(count: usize, items: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() + 10);
    let mut n = count as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(items);
    out
}

/// An audit key as errors show it: the ticket.
fn audit_key(ticket: u128) -> Vec<u8> {
    Uuid::from_u128(ticket).to_string().into_bytes()
}

/// Writes `records` as chunks of the audit trail: sorted by ticket, cut at
/// `AUDIT_CHUNK` records or `AUDIT_SPAN_MS`, each under its first ticket.
fn write_audit(tx: &redb::WriteTransaction, records: &[AuditRecord]) -> Result<(), StoreError> {
    let mut sorted: Vec<&AuditRecord> = records.iter().collect();
    sorted.sort_unstable_by_key(|r| r.ticket);
    let mut audit = tx.open_table(AUDIT)?;
    let mut added = 0u64;
    let mut rest = sorted.as_slice();
    while let Some(first) = rest.first() {
        let first_ticket = first.ticket.as_u128();
        let last_ms = (first_ticket >> UUID_MS_SHIFT).saturating_add(AUDIT_SPAN_MS);
        // The records encoded end to end, as postcard writes a sequence's items, so
        // that the chunk is cut by its size as it grows; one past the size is taken
        // back and begins the next chunk.
        let mut items = Vec::with_capacity(AUDIT_CHUNK_BYTES);
        let mut count = 0;
        for r in rest.iter().take(AUDIT_CHUNK) {
            if r.ticket.as_u128() >> UUID_MS_SHIFT >= last_ms && count > 0 {
                break;
            }
            let before = items.len();
            items = postcard::to_extend(r, items)?;
            if items.len() > AUDIT_CHUNK_BYTES && count > 0 {
                items.truncate(before);
                break;
            }
            count += 1;
        }
        let len = count.max(1);
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        // Tickets are unique, so two chunks starting with the same one mean the same
        // records were given twice: keep each once.
        let existing: Option<Vec<AuditRecord>> = match audit.get(first_ticket)? {
            Some(v) => Some(decode("audit", &audit_key(first_ticket), v.value())?),
            None => None,
        };
        let bytes = match existing {
            None => {
                added += chunk.len() as u64;
                sequence(chunk.len(), &items)
            }
            Some(mut merged) => {
                let before = merged.len();
                merged.extend(chunk.iter().map(|r| (*r).clone()));
                merged.sort_by_key(|r| r.ticket);
                merged.dedup_by_key(|r| r.ticket);
                added += (merged.len() - before) as u64;
                encode(&merged)?
            }
        };
        audit.insert(first_ticket, bytes.as_slice())?;
    }
    let mut counters = tx.open_table(COUNTERS)?;
    let records = counters.get(AUDIT_RECORDS)?.map_or(0, |v| v.value());
    counters.insert(AUDIT_RECORDS, records + added)?;
    Ok(())
}

/// A registration inside a write transaction: reads the person's `DecisionFile`,
/// lets `decide` judge, writes what it returns. True when something was written.
fn register_in(
    tx: &redb::WriteTransaction,
    ssin: &Ssin,
    pcsa: &CbeNumber,
    decide: &mut dyn FnMut(&DecisionFile) -> Option<Registered>,
) -> Result<bool, StoreError> {
    let mut files = tx.open_table(FILES)?;
    let mut forms = tx.open_table(FORMS)?;
    let mut outbox = tx.open_table(OUTBOX)?;
    let mut versions = tx.open_table(VERSIONS)?;

    let person = match files.get(person_key(ssin).as_bytes())? {
        Some(v) => Some(decode(
            "person_files",
            person_key(ssin).as_bytes(),
            v.value(),
        )?),
        None => None,
    };
    let mut file = DecisionFile {
        person,
        ..DecisionFile::default()
    };
    let (from, to) = person_range(ssin);
    for row in forms.range(from.as_bytes()..to.as_bytes())? {
        let (k, v) = row?;
        file.forms.push(decode("forms", k.value(), v.value())?);
    }
    file.next_number = forms_counter(&forms)? + 1;
    let mut decided = tx.open_table(DECIDED)?;
    let decided_key = decided_key(ssin, pcsa);
    if let Some(v) = decided.get(decided_key.as_bytes())? {
        file.decided = decode("decided_rights", decided_key.as_bytes(), v.value())?;
    }
    let (rights_from, rights_to) = rights_range(ssin, pcsa);
    let mut old_keys = Vec::new();
    for row in files.range(rights_from.as_bytes()..rights_to.as_bytes())? {
        let (k, v) = row?;
        file.rights
            .push(decode("person_files", k.value(), v.value())?);
        old_keys.push(k.value().to_vec());
    }
    let own_prefix = format!("{}I{}", ssin.as_str(), pcsa.as_str());
    let mut own_rows: Vec<(Vec<u8>, Inscription)> = Vec::new();
    for row in files.range(own_prefix.as_bytes()..format!("{own_prefix}~").as_bytes())? {
        let (k, v) = row?;
        own_rows.push((
            k.value().to_vec(),
            decode("person_files", k.value(), v.value())?,
        ));
    }
    for (_, i) in &own_rows {
        match file
            .own_inscriptions
            .iter_mut()
            .find(|o| o.quality == i.quality)
        {
            Some(o) => o.periods.push(i.period),
            None => file.own_inscriptions.push(OwnInscriptions {
                quality: i.quality,
                periods: vec![i.period],
            }),
        }
    }

    let Some(registered) = decide(&file) else {
        return Ok(false);
    };
    for changed in &registered.inscriptions {
        for (key, _) in own_rows
            .iter()
            .filter(|(_, i)| i.quality == changed.quality)
        {
            files.remove(key.as_slice())?;
        }
        for period in &changed.periods {
            let i = Inscription {
                ssin: *ssin,
                institution: *pcsa,
                quality: changed.quality,
                period: *period,
            };
            files.insert(inscription_key(&i).as_bytes(), encode(&i)?.as_slice())?;
        }
    }
    let form_key = form_key(ssin, registered.form.number);
    forms.insert(form_key.as_bytes(), encode(&registered.form)?.as_slice())?;
    for key in old_keys {
        files.remove(key.as_slice())?;
    }
    for right in &registered.rights {
        files.insert(right_key(right).as_bytes(), encode(right)?.as_slice())?;
    }
    decided.insert(
        decided_key.as_bytes(),
        encode(&registered.decided)?.as_slice(),
    )?;
    if let Some(event) = registered.event {
        let version = versions
            .get(ssin.as_str().as_bytes())?
            .map_or(0, |v| v.value())
            + 1;
        versions.insert(ssin.as_str().as_bytes(), version)?;
        let sequence = OutboxSequence(outbox.last()?.map_or(0, |(k, _)| k.value())).next();
        let record = OutboxEvent {
            sequence,
            version,
            ssin: *ssin,
            pcsa: *pcsa,
            event,
            at_ms: registered.form.registered_at_ms,
            attestation: registered.form.attestation.clone(),
        };
        outbox.insert(sequence.0, encode(&record)?.as_slice())?;
    }
    // The highest form number, kept so that numbering survives any key order.
    forms.insert(
        FORMS_COUNTER,
        registered.form.number.to_be_bytes().as_slice(),
    )?;
    Ok(true)
}

/// A statement's lines written inside a write transaction; returns how many lines
/// they replaced.
fn write_statement_in(
    tx: &redb::WriteTransaction,
    ins: &InsCode,
    month: Month,
    lines: &[PaymentLine],
    replace: bool,
) -> Result<usize, StoreError> {
    let prefix = statement_prefix(ins, month);
    let range = (prefix.clone(), format!("{prefix}~"));
    let mut replaced = 0;
    let mut payments = tx.open_table(PAYMENTS)?;
    let mut statements = tx.open_table(STATEMENTS)?;
    let mut old: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for row in statements.range(range.0.as_bytes()..range.1.as_bytes())? {
        let (k, v) = row?;
        old.push((k.value().to_vec(), v.value().to_vec()));
    }
    let mut next = 0u64;
    if replace {
        for (k, v) in &old {
            statements.remove(k.as_slice())?;
            payments.remove(v.as_slice())?;
        }
        replaced = old.len();
    } else if let Some((k, _)) = old.last() {
        next = std::str::from_utf8(&k[prefix.len()..])
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| StoreError::Corrupt {
                table: "statements",
                key: String::from_utf8_lossy(k).into_owned(),
                reason: "no line number".into(),
            })?
            + 1;
    }
    for line in lines {
        let key = payment_key(line, next);
        payments.insert(key.as_bytes(), encode(line)?.as_slice())?;
        statements.insert(format!("{prefix}{next:08}").as_bytes(), key.as_bytes())?;
        next += 1;
    }
    Ok(replaced)
}

pub struct RedbStore {
    db: Database,
    /// Moves when `apply` commits: institutions, certificates and PCSAs change only
    /// there, and the callers' cache lives on it.
    generation: AtomicU64,
    /// Every PCSA, in memory: there are a few hundred, every right read needs its
    /// PCSA, and a second table lookup per right was a measurable share of a
    /// consultation. Written only by `apply`, under this lock across the commit.
    pcsas: RwLock<HashMap<CbeNumber, Pcsa>>,
    /// Person files as last read. Partners consult the same caseload again and
    /// again, and opening a transaction and decoding the rows was most of a
    /// consultation's store time. A commit forgets the files it changed (only those:
    /// registrations must not empty what consultations live on) before it is
    /// acknowledged.
    files: Mutex<FileCache>,
}

#[derive(Default)]
struct FileCache {
    /// Moves, under the lock, each time files are forgotten: a file read while it
    /// moved may predate the change and is not kept.
    changes: u64,
    files: HashMap<Ssin, Arc<PersonFile>>,
}

/// Person files kept at most: beyond, the cache starts over (a bulk job reading every
/// person once gains nothing from keeping them).
const FILE_CACHE_LIMIT: usize = 16_384;

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    Ok(postcard::to_stdvec(value)?)
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

/// The rows of a person's rights at one PCSA: `SSIN R pcsa ...`.
fn rights_range(ssin: &Ssin, pcsa: &CbeNumber) -> (String, String) {
    (
        format!("{}R{}", ssin.as_str(), pcsa.as_str()),
        format!("{}R{}~", ssin.as_str(), pcsa.as_str()),
    )
}

/// A subscriber's rows (notifications, attempts) sort by CBE, then by number.
fn subscriber_key(institution: &CbeNumber, number: u64) -> String {
    format!("{}{number:020}", institution.as_str())
}

fn subscriber_range(institution: &CbeNumber) -> (String, String) {
    (
        institution.as_str().to_owned(),
        format!("{}~", institution.as_str()),
    )
}

/// The number at the end of a `subscriber_key`.
fn sequence_of(key: &[u8]) -> u64 {
    key.get(key.len().saturating_sub(20)..)
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

/// Forms sort by person, then by registration number.
fn decided_key(ssin: &Ssin, pcsa: &CbeNumber) -> String {
    format!("{}{}", ssin.as_str(), pcsa.as_str())
}

fn form_key(ssin: &Ssin, number: u64) -> String {
    format!("{}{number:020}", ssin.as_str())
}

/// Under this key (which sorts before every SSIN) the forms table keeps the highest
/// form number given.
const FORMS_COUNTER: &[u8] = b"#counter";

fn forms_counter(
    forms: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<u64, StoreError> {
    match forms.get(FORMS_COUNTER)? {
        None => Ok(0),
        Some(v) => {
            let bytes: [u8; 8] = v.value().try_into().map_err(|_| StoreError::Corrupt {
                table: "forms",
                key: "#counter".into(),
                reason: "not an 8-byte number".into(),
            })?;
            Ok(u64::from_be_bytes(bytes))
        }
    }
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

fn statement_prefix(ins: &InsCode, month: Month) -> String {
    format!("{}{}", ins.as_str(), month.compact())
}

fn payment_key(line: &PaymentLine, number: u64) -> String {
    let (y, m, d) = line.first_day.ymd();
    format!(
        "{}{y:04}{m:02}{d:02}{}{number:08}",
        line.ssin.as_str(),
        statement_prefix(&line.ins, line.statement)
    )
}

impl RedbStore {
    /// Opens (or creates) the store file `<dir>/bcss-gateway.redb`.
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        Self::open_dir_with_cache(dir, DEFAULT_CACHE_MB)
    }

    /// `open_dir` keeping up to `cache_mb` MiB of the file's pages in memory: the
    /// consultations' latency stays flat as long as the pages they read fit.
    pub fn open_dir_with_cache(dir: &Path, cache_mb: usize) -> Result<Self, StoreError> {
        crate::files::private_dir(dir).map_err(|e| {
            StoreError::Engine(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        Self::open_with_cache(&dir.join("bcss-gateway.redb"), cache_mb)
    }

    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(path, DEFAULT_CACHE_MB)
    }

    fn open_with_cache(path: &Path, cache_mb: usize) -> Result<Self, StoreError> {
        // The file holds personal data and password hashes: created for its owner only.
        crate::files::private_file(path).map_err(|e| {
            StoreError::Engine(format!("cannot create the store {}: {e}", path.display()))
        })?;
        let db = redb::Builder::new()
            .set_cache_size(cache_mb.saturating_mul(1 << 20))
            .create(path)
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                source: Box::new(e),
            })?;
        // Create every table up front so that readers never meet a missing one.
        let tx = db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let found = meta.get("format")?.map(|v| v.value());
            let has_data = !tx.list_tables()?.all(|t| t.name() == "meta");
            match found {
                Some(FORMAT) => {}
                None if !has_data => {
                    meta.insert("format", FORMAT)?;
                }
                Some(found @ 2..=6) => {
                    let forms_b = if found == 2 {
                        migrate_forms_from_2(&tx)?
                    } else {
                        0
                    };
                    let audit_records = if found <= 3 {
                        migrate_audit_from_3(&tx)?
                    } else {
                        0
                    };
                    let decided_histories = if found <= 4 {
                        build_decided_from_4(&tx)?
                    } else {
                        0
                    };
                    // Layout 3's records were moved into chunks of the new kind.
                    let audit_rewritten = if (4..=6).contains(&found) {
                        migrate_audit_from_6(&tx)?
                    } else {
                        0
                    };
                    let audit_counted = count_audit(&tx)?;
                    meta.insert("format", FORMAT)?;
                    tracing::info!(
                        path = %path.display(),
                        forms_b,
                        audit_records,
                        decided_histories,
                        audit_rewritten,
                        audit_counted,
                        "store upgraded from layout {found} to {FORMAT}"
                    );
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
        tx.open_table(FILES)?;
        tx.open_table(PCSAS)?;
        tx.open_table(INSTITUTIONS)?;
        tx.open_table(CERTIFICATES)?;
        tx.open_table(CERTIFICATE_DERS)?;
        tx.open_table(AUDIT)?;
        tx.open_table(FORMS)?;
        tx.open_table(DECIDED)?;
        tx.open_table(OUTBOX)?;
        tx.open_table(VERSIONS)?;
        tx.open_table(PAYMENTS)?;
        tx.open_table(STATEMENTS)?;
        tx.open_table(SUBSCRIPTIONS)?;
        tx.open_table(NOTIFICATIONS)?;
        tx.open_table(ATTEMPTS)?;
        tx.open_table(DISPATCH)?;
        tx.open_table(COUNTERS)?;
        tx.commit()?;
        let store = RedbStore {
            db,
            generation: AtomicU64::new(0),
            pcsas: RwLock::new(HashMap::new()),
            files: Mutex::new(FileCache::default()),
        };
        *store.pcsas.write().unwrap_or_else(PoisonError::into_inner) = store.read_pcsas()?;
        Ok(store)
    }

    fn file_cache(&self) -> std::sync::MutexGuard<'_, FileCache> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the cached files of `ssins`, after a commit that changed them.
    fn forget_files(&self, ssins: &[Ssin]) {
        if ssins.is_empty() {
            return;
        }
        let mut cache = self.file_cache();
        cache.changes += 1;
        for ssin in ssins {
            cache.files.remove(ssin);
        }
    }

    /// Forgets every cached file: `apply` may change any person, and PCSAs, which
    /// every file's rights carry.
    fn forget_all_files(&self) {
        let mut cache = self.file_cache();
        cache.changes += 1;
        cache.files.clear();
    }

    /// After a commit that applied `changes`: the PCSAs in memory (under the lock taken
    /// before the transaction, when they changed), the files and the generation.
    fn applied(&self, changes: &[Change], pcsa_cache: Option<&mut HashMap<CbeNumber, Pcsa>>) {
        if let Some(cache) = pcsa_cache {
            for change in changes {
                if let Change::Pcsa(p) = change {
                    cache.insert(p.cbe, p.clone());
                }
            }
        }
        self.forget_all_files();
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// One person's rows, in one snapshot.
    fn read_person_file(&self, ssin: &Ssin) -> Result<PersonFile, StoreError> {
        let tx = self.db.begin_read()?;
        let files = tx.open_table(FILES)?;
        let (from, to) = person_range(ssin);
        let mut file = PersonFile::default();
        let mut rights: Vec<Right> = Vec::new();
        for row in files.range(from.as_bytes()..to.as_bytes())? {
            let (k, v) = row?;
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

    fn read_pcsas(&self) -> Result<HashMap<CbeNumber, Pcsa>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(PCSAS)?;
        let mut out = HashMap::new();
        for row in table.iter()? {
            let (k, v) = row?;
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
        let tx = self.db.begin_read()?;
        let table = tx.open_table(def)?;
        match table.get(key.as_bytes())? {
            Some(v) => decode(name, key.as_bytes(), v.value()).map(Some),
            None => Ok(None),
        }
    }
}

/// Whether applying `changes` changes PCSAs (which readers keep in memory).
fn changes_pcsas(changes: &[Change]) -> bool {
    changes.iter().any(|c| matches!(c, Change::Pcsa(_)))
}

/// Writes reference data in `tx`: what `apply` commits.
fn apply_in(tx: &redb::WriteTransaction, changes: &[Change]) -> Result<(), StoreError> {
    {
        let mut files = tx.open_table(FILES)?;
        let mut pcsas = tx.open_table(PCSAS)?;
        let mut institutions = tx.open_table(INSTITUTIONS)?;
        let mut certificates = tx.open_table(CERTIFICATES)?;
        let mut ders = tx.open_table(CERTIFICATE_DERS)?;
        for change in changes {
            match change {
                Change::Certificate(der) => {
                    let key = CertificateFingerprint::of_der(der).to_hex();
                    ders.insert(key.as_bytes(), der.as_slice())?;
                }
                Change::Person(p) => {
                    files.insert(person_key(&p.ssin).as_bytes(), encode(p)?.as_slice())?;
                }
                Change::Pcsa(p) => {
                    pcsas.insert(p.cbe.as_str().as_bytes(), encode(p)?.as_slice())?;
                }
                Change::Institution(inst) => {
                    // Certificates of an institution being replaced are released first.
                    let previous: Option<Institution> =
                        match institutions.get(inst.cbe.as_str().as_bytes())? {
                            Some(v) => Some(decode(
                                "institutions",
                                inst.cbe.as_str().as_bytes(),
                                v.value(),
                            )?),
                            None => None,
                        };
                    for fp in previous.iter().flat_map(|p| &p.certificates) {
                        certificates.remove(fp.to_hex().as_bytes())?;
                    }
                    for fp in &inst.certificates {
                        let hex = fp.to_hex();
                        if let Some(owner) = certificates.get(hex.as_bytes())? {
                            let owner = String::from_utf8_lossy(owner.value()).into_owned();
                            if owner != inst.cbe.as_str() {
                                let owner =
                                    CbeNumber::parse(&owner).map_err(|e| StoreError::Corrupt {
                                        table: "certificates",
                                        key: hex.clone(),
                                        reason: e.to_string(),
                                    })?;
                                return Err(StoreError::CertificateTaken {
                                    fingerprint: *fp,
                                    owner,
                                });
                            }
                        }
                        certificates.insert(hex.as_bytes(), inst.cbe.as_str().as_bytes())?;
                    }
                    institutions.insert(inst.cbe.as_str().as_bytes(), encode(inst)?.as_slice())?;
                }
                Change::Inscription(i) => {
                    if institutions
                        .get(i.institution.as_str().as_bytes())?
                        .is_none()
                    {
                        return Err(StoreError::UnknownInstitution {
                            what: format!("the inscription of {}", i.ssin),
                            cbe: i.institution,
                        });
                    }
                    files.insert(inscription_key(i).as_bytes(), encode(i)?.as_slice())?;
                }
                Change::Right(r) => {
                    if pcsas.get(r.pcsa().as_str().as_bytes())?.is_none() {
                        return Err(StoreError::UnknownPcsa {
                            what: format!("the right of {}", r.ssin()),
                            pcsa: r.pcsa(),
                        });
                    }
                    files.insert(right_key(r).as_bytes(), encode(r)?.as_slice())?;
                }
            }
        }
    }
    Ok(())
}

impl ReferenceData for RedbStore {
    fn person_file(&self, ssin: &Ssin) -> Result<Arc<PersonFile>, StoreError> {
        // The count of changes is read before the store: a file read across a commit
        // that forgot files is not kept, so a stale file is never served after it.
        let changes = {
            let cache = self.file_cache();
            if let Some(hit) = cache.files.get(ssin) {
                return Ok(hit.clone());
            }
            cache.changes
        };
        let file = Arc::new(self.read_person_file(ssin)?);
        let mut cache = self.file_cache();
        if cache.changes == changes {
            if cache.files.len() >= FILE_CACHE_LIMIT {
                cache.files.clear();
            }
            cache.files.insert(*ssin, file.clone());
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
    fn registered_certificates(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read()?;
        let owned = tx.open_table(CERTIFICATES)?;
        let mut out = Vec::new();
        for row in tx.open_table(CERTIFICATE_DERS)?.iter()? {
            let (fingerprint, der) = row?;
            if owned.get(fingerprint.value())?.is_some() {
                out.push(der.value().to_vec());
            }
        }
        Ok(out)
    }
    fn institution_by_certificate(
        &self,
        fingerprint: &CertificateFingerprint,
    ) -> Result<Option<Institution>, StoreError> {
        let tx = self.db.begin_read()?;
        let certs = tx.open_table(CERTIFICATES)?;
        let hex = fingerprint.to_hex();
        let Some(owner) = certs.get(hex.as_bytes())? else {
            return Ok(None);
        };
        let owner = String::from_utf8_lossy(owner.value()).into_owned();
        let institutions = tx.open_table(INSTITUTIONS)?;
        match institutions.get(owner.as_bytes())? {
            Some(v) => decode("institutions", owner.as_bytes(), v.value()).map(Some),
            None => Ok(None),
        }
    }
    fn institutions(&self) -> Result<Vec<Institution>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(INSTITUTIONS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push(decode("institutions", k.value(), v.value())?);
        }
        Ok(out)
    }
    fn pcsas(&self) -> Result<Vec<Pcsa>, StoreError> {
        let pcsas = self.pcsas.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<Pcsa> = pcsas.values().cloned().collect();
        out.sort_by_key(|p| p.cbe);
        Ok(out)
    }
    fn contents(&self) -> Result<Vec<Change>, StoreError> {
        let tx = self.db.begin_read()?;
        let mut out = Vec::new();
        for row in tx.open_table(PCSAS)?.iter()? {
            let (k, v) = row?;
            out.push(Change::Pcsa(decode("pcsas", k.value(), v.value())?));
        }
        for row in tx.open_table(INSTITUTIONS)?.iter()? {
            let (k, v) = row?;
            out.push(Change::Institution(decode(
                "institutions",
                k.value(),
                v.value(),
            )?));
        }
        for row in tx.open_table(CERTIFICATE_DERS)?.iter()? {
            out.push(Change::Certificate(row?.1.value().to_vec()));
        }
        // Persons before what refers to them, as `apply` wants them.
        let (mut inscriptions, mut rights) = (Vec::new(), Vec::new());
        for row in tx.open_table(FILES)?.iter()? {
            let (k, v) = row?;
            let key = k.value();
            match key.get(11) {
                Some(&PERSON_TAG) => {
                    out.push(Change::Person(decode("person_files", key, v.value())?))
                }
                Some(&INSCRIPTION_TAG) => {
                    inscriptions.push(Change::Inscription(decode("person_files", key, v.value())?))
                }
                Some(&RIGHT_TAG) => {
                    rights.push(Change::Right(decode("person_files", key, v.value())?))
                }
                _ => {
                    return Err(StoreError::Corrupt {
                        table: "person_files",
                        key: String::from_utf8_lossy(key).into_owned(),
                        reason: "unknown row kind".into(),
                    });
                }
            }
        }
        out.append(&mut inscriptions);
        out.append(&mut rights);
        Ok(out)
    }
    fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        // Readers of PCSAs wait for a commit that changes them (rare), so that no
        // reader sees a right whose PCSA is not in memory yet.
        let mut pcsa_cache = changes_pcsas(changes)
            .then(|| self.pcsas.write().unwrap_or_else(PoisonError::into_inner));
        let tx = self.db.begin_write()?;
        apply_in(&tx, changes)?;
        tx.commit()?;
        self.applied(changes, pcsa_cache.as_deref_mut());
        Ok(())
    }
    fn is_empty(&self) -> Result<bool, StoreError> {
        let tx = self.db.begin_read()?;
        let files = tx.open_table(FILES)?;
        let institutions = tx.open_table(INSTITUTIONS)?;
        Ok(files.len()? == 0 && institutions.len()? == 0)
    }
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// Copies every row of `def` from `from` into `to`'s table of the same name, emptied
/// first.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    from: &redb::ReadTransaction,
    to: &redb::WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    to.delete_table(def)?;
    let source = from.open_table(def)?;
    let mut target = to.open_table(def)?;
    for row in source.iter()? {
        let (k, v) = row?;
        target.insert(k.value(), v.value())?;
    }
    Ok(())
}

/// Every table of the register, each copied whole by `copy`: all but the audit trail
/// and the file's layout version.
fn copy_register(
    from: &redb::ReadTransaction,
    to: &redb::WriteTransaction,
) -> Result<(), StoreError> {
    for def in [
        FILES,
        PCSAS,
        INSTITUTIONS,
        CERTIFICATES,
        CERTIFICATE_DERS,
        FORMS,
        DECIDED,
        PAYMENTS,
        STATEMENTS,
        SUBSCRIPTIONS,
        NOTIFICATIONS,
        ATTEMPTS,
    ] {
        copy_table(from, to, def)?;
    }
    copy_table(from, to, OUTBOX)?;
    copy_table(from, to, VERSIONS)?;
    copy_table(from, to, DISPATCH)?;
    Ok(())
}

impl Snapshots for RedbStore {
    fn save_snapshot(&self, path: &Path) -> Result<(), StoreError> {
        let engine = |e: std::io::Error| {
            StoreError::Engine(format!(
                "cannot create the snapshot {}: {e}",
                path.display()
            ))
        };
        if path.exists() {
            std::fs::remove_file(path).map_err(engine)?;
        }
        crate::files::private_file(path).map_err(engine)?;
        let snapshot = Database::create(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: Box::new(e),
        })?;
        let from = self.db.begin_read()?;
        let to = snapshot.begin_write()?;
        copy_register(&from, &to)?;
        to.commit()?;
        Ok(())
    }

    fn restore_snapshot(&self, path: &Path) -> Result<(), StoreError> {
        let snapshot = Database::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: Box::new(e),
        })?;
        // Readers of PCSAs wait across the commit, as for `apply`.
        let mut pcsa_cache = self.pcsas.write().unwrap_or_else(PoisonError::into_inner);
        let from = snapshot.begin_read()?;
        let to = self.db.begin_write()?;
        copy_register(&from, &to)?;
        to.commit()?;
        *pcsa_cache = self.read_pcsas()?;
        drop(pcsa_cache);
        self.forget_all_files();
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }
}

impl Register for RedbStore {
    fn write_group(&self, writes: &mut [GroupWrite<'_>]) -> Result<(), StoreError> {
        // Reference data in the group: PCSA readers wait across the commit, as for
        // `apply`.
        let applied: Vec<&[Change]> = writes
            .iter()
            .filter_map(|w| match w {
                GroupWrite::Apply(changes) => Some(*changes),
                _ => None,
            })
            .collect();
        let mut pcsa_cache = applied
            .iter()
            .any(|c| changes_pcsas(c))
            .then(|| self.pcsas.write().unwrap_or_else(PoisonError::into_inner));
        let tx = self.db.begin_write()?;
        let mut touched: Vec<Ssin> = Vec::new();
        let mut written = 0;
        for write in writes.iter_mut() {
            match write {
                GroupWrite::Register { ssin, pcsa, decide } => {
                    if register_in(&tx, ssin, pcsa, *decide)? {
                        touched.push(*ssin);
                    }
                }
                GroupWrite::Statement {
                    ins,
                    month,
                    lines,
                    replace,
                    replaced,
                } => {
                    **replaced = write_statement_in(&tx, ins, *month, lines, *replace)?;
                    written += 1;
                }
                GroupWrite::Apply(changes) => {
                    apply_in(&tx, changes)?;
                    written += 1;
                }
                GroupWrite::Subscribe {
                    institution,
                    decide,
                } => {
                    if update_subscription_in(&tx, institution, None, *decide)?.1 {
                        written += 1;
                    }
                }
                GroupWrite::Check(keep) => {
                    if !keep() {
                        tx.abort()?;
                        return Ok(());
                    }
                }
            }
        }
        if touched.is_empty() && written == 0 {
            // Every form was refused or already registered: nothing to make durable.
            tx.abort()?;
            return Ok(());
        }
        tx.commit()?;
        if applied.is_empty() {
            // Statements and subscriptions are not part of person files: only the
            // registered persons' files changed.
            self.forget_files(&touched);
        } else {
            for changes in &applied {
                self.applied(changes, pcsa_cache.as_deref_mut());
            }
        }
        Ok(())
    }

    fn update_inscriptions(
        &self,
        ssin: &Ssin,
        institution: &CbeNumber,
        quality: QualityCode,
        decide: &mut dyn FnMut(&[OpenPeriod]) -> Option<Vec<OpenPeriod>>,
    ) -> Result<(), StoreError> {
        let prefix = format!(
            "{}I{}{:02}",
            ssin.as_str(),
            institution.as_str(),
            quality.code()
        );
        let tx = self.db.begin_write()?;
        {
            let mut files = tx.open_table(FILES)?;
            let mut keys = Vec::new();
            let mut periods = Vec::new();
            for row in files.range(prefix.as_bytes()..format!("{prefix}~").as_bytes())? {
                let (k, v) = row?;
                let i: Inscription = decode("person_files", k.value(), v.value())?;
                keys.push(k.value().to_vec());
                periods.push(i.period);
            }
            let Some(new) = decide(&periods) else {
                return Ok(());
            };
            for k in keys {
                files.remove(k.as_slice())?;
            }
            for period in new {
                let i = Inscription {
                    ssin: *ssin,
                    institution: *institution,
                    quality,
                    period,
                };
                files.insert(inscription_key(&i).as_bytes(), encode(&i)?.as_slice())?;
            }
        }
        tx.commit()?;
        self.forget_files(&[*ssin]);
        Ok(())
    }
    fn forms(&self, ssin: &Ssin) -> Result<Vec<RegisteredForm>, StoreError> {
        let tx = self.db.begin_read()?;
        let forms = tx.open_table(FORMS)?;
        let (from, to) = person_range(ssin);
        let mut out = Vec::new();
        for row in forms.range(from.as_bytes()..to.as_bytes())? {
            let (k, v) = row?;
            out.push(decode("forms", k.value(), v.value())?);
        }
        Ok(out)
    }

    fn decided(&self, ssin: &Ssin) -> Result<BTreeMap<CbeNumber, Vec<DatedRight>>, StoreError> {
        let tx = self.db.begin_read()?;
        let decided = tx.open_table(DECIDED)?;
        let (from, to) = person_range(ssin);
        let mut out = BTreeMap::new();
        for row in decided.range(from.as_bytes()..to.as_bytes())? {
            let (k, v) = row?;
            let pcsa = std::str::from_utf8(&k.value()[ssin.as_str().len()..])
                .ok()
                .and_then(|cbe| CbeNumber::parse(cbe).ok())
                .ok_or_else(|| StoreError::Corrupt {
                    table: "decided_rights",
                    key: String::from_utf8_lossy(k.value()).into_owned(),
                    reason: "the key does not end with a CBE number".into(),
                })?;
            out.insert(pcsa, decode("decided_rights", k.value(), v.value())?);
        }
        Ok(out)
    }
}

impl Statements for RedbStore {
    fn statement(&self, ins: &InsCode, month: Month) -> Result<Vec<PaymentLine>, StoreError> {
        let prefix = statement_prefix(ins, month);
        let tx = self.db.begin_read()?;
        let statements = tx.open_table(STATEMENTS)?;
        let payments = tx.open_table(PAYMENTS)?;
        let mut out = Vec::new();
        for row in statements.range(prefix.as_bytes()..format!("{prefix}~").as_bytes())? {
            let (_, key) = row?;
            let value = payments
                .get(key.value())?
                .ok_or_else(|| StoreError::Corrupt {
                    table: "statements",
                    key: String::from_utf8_lossy(key.value()).into_owned(),
                    reason: "the payment line it names is missing".into(),
                })?;
            out.push(decode("payments", key.value(), value.value())?);
        }
        Ok(out)
    }
    fn statement_months(&self, ins: &InsCode) -> Result<Vec<Month>, StoreError> {
        let tx = self.db.begin_read()?;
        let statements = tx.open_table(STATEMENTS)?;
        let mut months: Vec<Month> = Vec::new();
        let from = ins.as_str().to_owned();
        let to = format!("{from}~");
        for row in statements.range(from.as_bytes()..to.as_bytes())? {
            let (k, _) = row?;
            let month = k
                .value()
                .get(5..11)
                .and_then(|m| std::str::from_utf8(m).ok())
                .and_then(|m| Month::parse_compact(m).ok());
            if let Some(m) = month
                && months.last() != Some(&m)
            {
                months.push(m);
            }
        }
        Ok(months)
    }
    fn payments(&self, ssin: &Ssin) -> Result<Vec<PaymentLine>, StoreError> {
        let tx = self.db.begin_read()?;
        let payments = tx.open_table(PAYMENTS)?;
        let (from, to) = person_range(ssin);
        let mut out = Vec::new();
        for row in payments.range(from.as_bytes()..to.as_bytes())? {
            let (k, v) = row?;
            out.push(decode("payments", k.value(), v.value())?);
        }
        Ok(out)
    }
}

impl Audit for RedbStore {
    fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        write_audit(&tx, records)?;
        Ok(tx.commit()?)
    }
    fn audit_trail(
        &self,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let tx = self.db.begin_read()?;
        let audit = tx.open_table(AUDIT)?;
        let after = after.map(|u| u.as_u128());
        // A chunk holding a ticket past `after` starts at most AUDIT_SPAN_MS before it.
        let start = after.map_or(0, |a| a.saturating_sub(AUDIT_SPAN_MS << UUID_MS_SHIFT));
        // Records read and not yet given out, by ticket. Chunks come by first ticket, so
        // once a chunk starting at `first` is reached, every record before `first` has
        // been read and can be given out in order.
        let mut pending: BTreeMap<u128, AuditRecord> = BTreeMap::new();
        let mut out = Vec::new();
        let give_out = |pending: &mut BTreeMap<u128, AuditRecord>,
                        out: &mut Vec<AuditRecord>,
                        before: Option<u128>| {
            while out.len() < limit {
                match pending.first_entry() {
                    Some(e) if before.is_none_or(|b| *e.key() < b) => out.push(e.remove()),
                    _ => break,
                }
            }
        };
        for row in audit.range(start..)? {
            let (k, v) = row?;
            let first = k.value();
            give_out(&mut pending, &mut out, Some(first));
            if out.len() >= limit {
                return Ok(out);
            }
            let chunk: Vec<AuditRecord> = decode("audit", &audit_key(first), v.value())?;
            for r in chunk {
                let ticket = r.ticket.as_u128();
                if after.is_none_or(|a| ticket > a) {
                    pending.insert(ticket, r);
                }
            }
        }
        give_out(&mut pending, &mut out, None);
        Ok(out)
    }

    fn walk_audit(
        &self,
        window: &AuditWindow,
        visit: &mut dyn FnMut(AuditRecord) -> bool,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_read()?;
        let audit = tx.open_table(AUDIT)?;
        let ms_ticket = |ms: i64| u128::from(u64::try_from(ms).unwrap_or(0)) << UUID_MS_SHIFT;
        let span = AUDIT_SPAN_MS << UUID_MS_SHIFT;
        // Tickets within the window and past the cursor, in the order asked.
        let mut low = window.from_ms.map_or(0, ms_ticket);
        let mut high = window.to_ms.map_or(u128::MAX, |ms| {
            ms_ticket(ms.saturating_add(1)).saturating_sub(1)
        });
        match (window.after.map(|u| u.as_u128()), window.newest_first) {
            (Some(a), false) => low = low.max(a.saturating_add(1)),
            (Some(a), true) => high = high.min(a.saturating_sub(1)),
            (None, _) => {}
        }
        if low > high {
            return Ok(());
        }
        // Records read and not yet given out. A chunk holds tickets from its first to
        // AUDIT_SPAN_MS after it, so once chunks are read up to one starting at
        // `first`, the records on the far side of it (before `first` going forward,
        // after `first` + the span going back) are all known.
        let mut pending: BTreeMap<u128, AuditRecord> = BTreeMap::new();
        let read = |v: &[u8], first: u128, pending: &mut BTreeMap<u128, AuditRecord>| {
            let chunk: Vec<AuditRecord> = decode("audit", &audit_key(first), v)?;
            for r in chunk {
                let t = r.ticket.as_u128();
                if (low..=high).contains(&t) {
                    pending.insert(t, r);
                }
            }
            Ok::<_, StoreError>(())
        };
        if window.newest_first {
            for row in audit.range(..=high)?.rev() {
                let (k, v) = row?;
                let first = k.value();
                while let Some(e) = pending.last_entry() {
                    if *e.key() <= first.saturating_add(span) {
                        break;
                    }
                    if !visit(e.remove()) {
                        return Ok(());
                    }
                }
                if first.saturating_add(span) < low {
                    break;
                }
                read(v.value(), first, &mut pending)?;
            }
            while let Some(e) = pending.last_entry() {
                if !visit(e.remove()) {
                    return Ok(());
                }
            }
        } else {
            for row in audit.range(low.saturating_sub(span)..)? {
                let (k, v) = row?;
                let first = k.value();
                while let Some(e) = pending.first_entry() {
                    if *e.key() >= first {
                        break;
                    }
                    if !visit(e.remove()) {
                        return Ok(());
                    }
                }
                if first > high {
                    break;
                }
                read(v.value(), first, &mut pending)?;
            }
            while let Some(e) = pending.first_entry() {
                if !visit(e.remove()) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn audit_len(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        let counters = tx.open_table(COUNTERS)?;
        Ok(counters.get(AUDIT_RECORDS)?.map_or(0, |v| v.value()))
    }

    fn prune_audit(&self, retention: &Retention, max_groups: usize) -> Result<u64, StoreError> {
        let tx = self.db.begin_write()?;
        let mut removed = 0u64;
        {
            let mut audit = tx.open_table(AUDIT)?;
            let mut counters = tx.open_table(COUNTERS)?;
            let mut records = counters.get(AUDIT_RECORDS)?.map_or(0, |v| v.value());
            for _ in 0..max_groups {
                let (first, len) = match audit.first()? {
                    Some((k, v)) => (k.value(), chunk_len(k.value(), v.value())?),
                    None => break,
                };
                // Every record of a chunk lies within AUDIT_SPAN_MS of its first.
                let newest_ms =
                    i64::try_from((first >> UUID_MS_SHIFT) + AUDIT_SPAN_MS).unwrap_or(i64::MAX);
                let too_old = retention.oldest_ms.is_some_and(|oldest| newest_ms < oldest);
                let too_many = records.saturating_sub(len) >= retention.max_records;
                if !(too_old || too_many) {
                    break;
                }
                audit.remove(first)?;
                records = records.saturating_sub(len);
                removed += len;
            }
            counters.insert(AUDIT_RECORDS, records)?;
        }
        if removed == 0 {
            tx.abort()?;
        } else {
            tx.commit()?;
        }
        Ok(removed)
    }
}

impl Outbox for RedbStore {
    fn outbox(&self, after: OutboxSequence, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let tx = self.db.begin_read()?;
        let outbox = tx.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for row in outbox.range(after.next().0..)?.take(limit) {
            let (k, v) = row?;
            out.push(decode(
                "outbox",
                k.value().to_string().as_bytes(),
                v.value(),
            )?);
        }
        Ok(out)
    }
    fn fanned_out(&self) -> Result<OutboxSequence, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(DISPATCH)?;
        Ok(OutboxSequence(
            table.get("fanned_out")?.map_or(0, |v| v.value()),
        ))
    }
    fn outbox_head(&self) -> Result<OutboxSequence, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(OUTBOX)?;
        Ok(OutboxSequence(table.last()?.map_or(0, |(k, _)| k.value())))
    }
    fn enqueue_notifications(
        &self,
        from: OutboxSequence,
        to: OutboxSequence,
        notifications: Vec<(CbeNumber, Notification)>,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut dispatch = tx.open_table(DISPATCH)?;
            let found = OutboxSequence(dispatch.get("fanned_out")?.map_or(0, |v| v.value()));
            if found != from {
                return Err(StoreError::FanOutMoved {
                    expected: from,
                    found,
                });
            }
            let mut subscriptions = tx.open_table(SUBSCRIPTIONS)?;
            let mut queue = tx.open_table(NOTIFICATIONS)?;
            let mut touched: HashMap<CbeNumber, Subscription> = HashMap::new();
            for (cbe, mut n) in notifications {
                let subscription = match touched.entry(cbe) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let key = cbe.as_str().as_bytes();
                        let Some(v) = subscriptions.get(key)? else {
                            continue;
                        };
                        e.insert(decode("subscriptions", key, v.value())?)
                    }
                };
                if !subscription.receives() {
                    continue;
                }
                subscription.last_sequence += 1;
                n.sequence = subscription.last_sequence;
                queue.insert(
                    subscriber_key(&cbe, n.sequence).as_bytes(),
                    encode(&n)?.as_slice(),
                )?;
            }
            for (cbe, subscription) in &touched {
                subscriptions.insert(cbe.as_str().as_bytes(), encode(subscription)?.as_slice())?;
            }
            dispatch.insert("fanned_out", to.0)?;
        }
        tx.commit()?;
        Ok(())
    }
    fn notifications(
        &self,
        institution: &CbeNumber,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(NOTIFICATIONS)?;
        let from = subscriber_key(institution, after.saturating_add(1));
        let (_, to) = subscriber_range(institution);
        let mut out = Vec::new();
        for row in table.range(from.as_bytes()..to.as_bytes())?.take(limit) {
            let (k, v) = row?;
            out.push(decode("notifications", k.value(), v.value())?);
        }
        Ok(out)
    }
    fn attempts(&self, institution: &CbeNumber, limit: usize) -> Result<Vec<Attempt>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(ATTEMPTS)?;
        let (from, to) = subscriber_range(institution);
        let mut out = Vec::new();
        for row in table
            .range(from.as_bytes()..to.as_bytes())?
            .rev()
            .take(limit)
        {
            let (k, v) = row?;
            out.push(decode("attempts", k.value(), v.value())?);
        }
        out.reverse();
        Ok(out)
    }
}

impl Subscriptions for RedbStore {
    fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(SUBSCRIPTIONS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            out.push(decode("subscriptions", k.value(), v.value())?);
        }
        Ok(out)
    }
    fn update_subscription(
        &self,
        institution: &CbeNumber,
        attempt: Option<&Attempt>,
        decide: &mut dyn FnMut(Option<&Subscription>) -> Option<Subscription>,
    ) -> Result<Option<Subscription>, StoreError> {
        let tx = self.db.begin_write()?;
        let (written, changed) = update_subscription_in(&tx, institution, attempt, decide)?;
        if changed {
            tx.commit()?;
        }
        Ok(written)
    }
}

/// Changes one subscription in `tx` (and records `attempt`); the subscription as it
/// then stands, and whether anything was written.
fn update_subscription_in(
    tx: &redb::WriteTransaction,
    institution: &CbeNumber,
    attempt: Option<&Attempt>,
    decide: &mut dyn FnMut(Option<&Subscription>) -> Option<Subscription>,
) -> Result<(Option<Subscription>, bool), StoreError> {
    let key = institution.as_str().as_bytes();
    let mut table = tx.open_table(SUBSCRIPTIONS)?;
    let current: Option<Subscription> = match table.get(key)? {
        Some(v) => Some(decode("subscriptions", key, v.value())?),
        None => None,
    };
    let Some(new) = decide(current.as_ref()) else {
        return Ok((current, false));
    };
    table.insert(key, encode(&new)?.as_slice())?;
    if let Some(attempt) = attempt {
        let mut attempts = tx.open_table(ATTEMPTS)?;
        let (from, to) = subscriber_range(institution);
        let last = attempts
            .range(from.as_bytes()..to.as_bytes())?
            .next_back()
            .transpose()?
            .map(|(k, _)| sequence_of(k.value()))
            .unwrap_or(0);
        attempts.insert(
            subscriber_key(institution, last + 1).as_bytes(),
            encode(attempt)?.as_slice(),
        )?;
    }
    Ok((Some(new), true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decision::tests::b;
    use crate::domain::decision::{Attestation, Form};

    /// The `i`th of a run of plain consultations, a millisecond apart by ticket.
    fn consultation(i: u64) -> AuditRecord {
        AuditRecord {
            ticket: uuid::Builder::from_unix_timestamp_millis(1_700_000_000_000 + i, &[7; 10])
                .into_uuid(),
            received_at_ms: 1_700_000_000_000,
            latency_us: i,
            caller: None,
            operation: Some("getLivingWages".into()),
            legal_context: Some("UNEMPLOYMENT:LIVING_WAGE_CHECK".into()),
            ssin: Some("85073100130".into()),
            outcome: "MSG00000".into(),
            http_status: 200,
            service: None,
            mark: None,
        }
    }

    #[test]
    fn a_layout_2_store_opens_with_its_forms_b_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        let mut form_b = b("2024-01-01", 6);
        form_b.reference = Some("OLD-1".into());
        let registered = RegisteredForm {
            number: 7,
            attestation: Attestation::new('B', 7),
            registered_at_ms: 1_700_000_000_000,
            form: Form::B(form_b.clone()),
        };
        // What layout 2 wrote: the same bytes without the trailing rubrics.
        let full = encode(&registered).unwrap();
        let rubrics = encode(&(PerPerson::<Measures>::default(), Resources::default())).unwrap();
        assert!(full.ends_with(&rubrics));
        let old = &full[..full.len() - rubrics.len()];
        let key = form_key(&form_b.ssin, 7);
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META).unwrap().insert("format", 2).unwrap();
            tx.open_table(FORMS)
                .unwrap()
                .insert(key.as_bytes(), old)
                .unwrap();
            tx.commit().unwrap();
        }
        for _ in 0..2 {
            let store = RedbStore::open(&path).unwrap();
            assert_eq!(store.forms(&form_b.ssin).unwrap(), vec![registered.clone()]);
            drop(store);
        }
    }

    #[test]
    fn a_layout_4_store_opens_with_the_decided_rights_of_its_forms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        let registered = |number: u64, entry: &str, months: u16, ssin: &str| {
            let mut form = b(entry, months);
            form.ssin = Ssin::parse(ssin).unwrap();
            RegisteredForm {
                number,
                attestation: Attestation::new('B', number),
                registered_at_ms: 1_000 * number as i64,
                form: Form::B(form),
            }
        };
        // Two persons; the first's right revised by a later B.
        let forms = [
            registered(1, "2024-01-01", 12, "85073100130"),
            registered(2, "2024-03-01", 12, "90010112395"),
            registered(3, "2024-06-01", 6, "85073100130"),
        ];
        {
            // What layout 4 wrote: forms, no decided rights.
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META).unwrap().insert("format", 4).unwrap();
            {
                let mut table = tx.open_table(FORMS).unwrap();
                for f in &forms {
                    let key = form_key(&f.form.ssin(), f.number);
                    table
                        .insert(key.as_bytes(), encode(f).unwrap().as_slice())
                        .unwrap();
                }
                table
                    .insert(FORMS_COUNTER, 3u64.to_be_bytes().as_slice())
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let store = RedbStore::open(&path).unwrap();
        for (ssin, numbers) in [("85073100130", &[0, 2][..]), ("90010112395", &[1][..])] {
            let history: Vec<&RegisteredForm> = numbers.iter().map(|&i| &forms[i]).collect();
            let decided = store.decided(&Ssin::parse(ssin).unwrap()).unwrap();
            let [(pcsa, rights)] = <[_; 1]>::try_from(decided.into_iter().collect::<Vec<_>>())
                .unwrap_or_else(|d| panic!("{d:?}"));
            assert_eq!(pcsa, forms[0].form.pcsa());
            assert_eq!(rights, crate::domain::decision::decided_rights(&history));
            assert_eq!(rights.len(), numbers.len(), "{rights:?}");
        }
        // The first right was last changed by the revision.
        let first = store.decided(&forms[0].form.ssin()).unwrap();
        let times: Vec<i64> = first.values().flatten().map(|d| d.changed_at_ms).collect();
        assert_eq!(times, [3_000, 3_000]);
    }

    #[test]
    fn a_layout_3_store_opens_with_its_audit_trail_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        let records: Vec<AuditRecord> = (0..(AUDIT_CHUNK as u64 * 3 + 5))
            .map(consultation)
            .collect();
        {
            // What layout 3 wrote: one row per record under its ticket, without the
            // fields of layout 7.
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META).unwrap().insert("format", 3).unwrap();
            {
                let mut old = tx.open_table(AUDIT_BY_TICKET).unwrap();
                for r in &records {
                    old.insert(r.ticket.as_u128(), encode(&before_7(r)).unwrap().as_slice())
                        .unwrap();
                }
            }
            tx.commit().unwrap();
        }
        for _ in 0..2 {
            let store = RedbStore::open(&path).unwrap();
            assert_eq!(store.audit_trail(None, 10_000).unwrap(), records);
            let tx = store.db.begin_read().unwrap();
            assert_eq!(tx.open_table(AUDIT).unwrap().len().unwrap(), 4);
            assert!(
                tx.list_tables()
                    .unwrap()
                    .all(|t| t.name() != AUDIT_BY_TICKET.name())
            );
            drop(tx);
            drop(store);
        }
    }

    /// A record as layouts 3 to 6 encoded it: the same fields, in order, without the
    /// last two.
    #[allow(clippy::type_complexity)]
    fn before_7(
        r: &AuditRecord,
    ) -> (
        Uuid,
        i64,
        u64,
        Option<CbeNumber>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        u16,
    ) {
        (
            r.ticket,
            r.received_at_ms,
            r.latency_us,
            r.caller,
            r.operation.as_deref().map(str::to_owned),
            r.legal_context.clone(),
            r.ssin.clone(),
            r.outcome.to_string(),
            r.http_status,
        )
    }

    #[test]
    fn a_layout_6_store_opens_with_its_audit_records_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        let records: Vec<AuditRecord> = (0..(AUDIT_CHUNK as u64 * 2 + 3))
            .map(|i| AuditRecord {
                ticket: uuid::Builder::from_unix_timestamp_millis(1_700_000_000_000 + i, &[9; 10])
                    .into_uuid(),
                received_at_ms: 1_700_000_000_000 + i as i64,
                caller: Some(CbeNumber::parse("0123456749").unwrap()),
                legal_context: None,
                ..consultation(i)
            })
            .collect();
        {
            // What layout 6 wrote: chunks of records without the fields of layout 7,
            // and their count.
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META).unwrap().insert("format", 6).unwrap();
            {
                let mut audit = tx.open_table(AUDIT).unwrap();
                for chunk in records.chunks(AUDIT_CHUNK) {
                    let old: Vec<_> = chunk.iter().map(before_7).collect();
                    audit
                        .insert(chunk[0].ticket.as_u128(), encode(&old).unwrap().as_slice())
                        .unwrap();
                }
            }
            tx.open_table(COUNTERS)
                .unwrap()
                .insert(AUDIT_RECORDS, records.len() as u64)
                .unwrap();
            tx.commit().unwrap();
        }
        for _ in 0..2 {
            let store = RedbStore::open(&path).unwrap();
            assert_eq!(store.audit_trail(None, 10_000).unwrap(), records);
            assert_eq!(store.audit_len().unwrap(), records.len() as u64);
            drop(store);
        }
    }

    #[test]
    fn audit_chunks_stay_within_their_page() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("s.redb")).unwrap();
        // Records of nearly 300 bytes: 256 of them would make a 75 KB chunk.
        let records: Vec<AuditRecord> = (0..1000u64)
            // Within a second: only their size cuts them into chunks.
            .map(|i| AuditRecord {
                legal_context: Some("X".repeat(200)),
                service: Some("LivingWagesService v2".into()),
                ..consultation(i)
            })
            .collect();
        store.append_audit(&records).unwrap();
        let tx = store.db.begin_read().unwrap();
        let audit = tx.open_table(AUDIT).unwrap();
        for row in audit.iter().unwrap() {
            let (_, v) = row.unwrap();
            assert!(
                v.value().len() <= AUDIT_CHUNK_BYTES + 10,
                "{}",
                v.value().len()
            );
        }
        let total: usize = records.iter().map(|r| encode(r).unwrap().len()).sum();
        assert!(total > 256 * 1000, "{total}");
        assert!(audit.len().unwrap() as usize >= total.div_ceil(AUDIT_CHUNK_BYTES));
        drop(audit);
        drop(tx);
        assert_eq!(store.audit_trail(None, 10_000).unwrap(), records);
        assert_eq!(store.audit_len().unwrap(), records.len() as u64);
    }

    #[test]
    fn a_store_of_an_unknown_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.redb");
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META).unwrap().insert("format", 99).unwrap();
            tx.commit().unwrap();
        }
        assert!(matches!(
            RedbStore::open(&path),
            Err(StoreError::Format { found: 99, .. })
        ));
    }
}
