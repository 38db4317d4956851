//! Monthly payment statements (NOVAPRIMA) in and out of the register: the CLI's
//! import and export, and the checks a payment line needs against the register, which
//! `sendPayments` shares.
//!
//! An import reads the file twice: first every line is checked (nothing is written if
//! any is refused, and every refused line is reported), then each statement (a CPAS
//! and a month) is written in one transaction, replacing what the register held for
//! it. Importing the same file again therefore changes nothing.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::domain::decision::ErrorCode;
use crate::domain::{InsCode, Month, PaymentLine, RegisterStatus, Ssin};
use crate::store::{ReferenceData, Store, StoreError};
use crate::wire::novaprima::{self, FieldError};

/// A refused line: its number (from 1) and every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedLine {
    pub number: u64,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Error)]
pub enum StatementError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{refused} of {lines} lines refused, nothing imported")]
    Refused {
        lines: u64,
        refused: u64,
        /// The first refused lines (at most `MAX_REPORTED`).
        first: Vec<RefusedLine>,
    },
    #[error("no statement of CPAS {ins} for {month}{known}")]
    NoStatement {
        ins: String,
        month: Month,
        known: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many refused lines an import reports in full (the count covers all).
pub const MAX_REPORTED: usize = 100;

/// Where an import stands, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// 1 while checking, 2 while writing.
    pub pass: u8,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub lines: u64,
}

/// One statement an import wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub ins: InsCode,
    pub month: Month,
    pub lines: usize,
    /// Lines of an earlier import of the same statement that were replaced.
    pub replaced: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub lines: u64,
    pub statements: Vec<Written>,
    /// The file's lines ended with CR LF (an export with `--crlf` gives it back).
    pub crlf: bool,
}

/// The register's view of a payment line: its CPAS exists and the beneficiary is a
/// person of the register under that number.
pub struct RegisterCheck<'a, S: ReferenceData + ?Sized = dyn Store> {
    store: &'a S,
    cpas: HashSet<InsCode>,
    persons: HashMap<Ssin, Option<String>>,
}

impl<'a, S: ReferenceData + ?Sized> RegisterCheck<'a, S> {
    pub fn new(store: &'a S) -> Result<Self, StoreError> {
        Ok(RegisterCheck {
            store,
            cpas: store.pcsas()?.into_iter().map(|p| p.ins).collect(),
            persons: HashMap::new(),
        })
    }

    /// The register as it will be once a world declaring these CPAS and persons is
    /// written with the lines (a world's statements are checked before it is).
    pub fn with_declared(
        mut self,
        cpas: impl IntoIterator<Item = InsCode>,
        persons: impl IntoIterator<Item = (Ssin, RegisterStatus)>,
    ) -> Self {
        self.cpas.extend(cpas);
        for (ssin, status) in persons {
            self.persons
                .insert(ssin, person_problem(ssin, Some(status)));
        }
        self
    }

    pub fn check(&mut self, line: &PaymentLine) -> Result<Vec<FieldError>, StoreError> {
        let mut errors = Vec::new();
        if !self.cpas.contains(&line.ins) {
            errors.push(FieldError {
                code: ErrorCode::UnknownPcsa,
                field: "CPAS",
                reason: format!(
                    "{} is not the INS code of a CPAS of the register",
                    line.ins.as_str()
                ),
            });
        }
        let problem = match self.persons.get(&line.ssin) {
            Some(p) => p.clone(),
            None => {
                let p = person_problem(line.ssin, self.store.person(&line.ssin)?.map(|p| p.status));
                self.persons.insert(line.ssin, p.clone());
                p
            }
        };
        if let Some(reason) = problem {
            errors.push(FieldError {
                code: ErrorCode::PersonNotInRegister,
                field: "NNISS",
                reason,
            });
        }
        Ok(errors)
    }
}

/// Why a payment line cannot be about `ssin`, with the register's status of it.
fn person_problem(ssin: Ssin, status: Option<RegisterStatus>) -> Option<String> {
    match status {
        Some(RegisterStatus::Active) => None,
        None => Some(format!("{ssin} is not in the register")),
        Some(RegisterStatus::Replaced { by }) => Some(format!("{ssin} was replaced by {by}")),
        Some(RegisterStatus::Cancelled) => Some(format!("{ssin} was cancelled in the register")),
    }
}

/// Reads the file's lines one by one, with their number and the bytes read so far.
struct Lines {
    reader: BufReader<File>,
    path: PathBuf,
    number: u64,
    bytes: u64,
    buffer: Vec<u8>,
    crlf: bool,
}

impl Lines {
    fn open(path: &Path) -> Result<(Lines, u64), StatementError> {
        let read = |source| StatementError::Read {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(read)?;
        let total = file.metadata().map_err(read)?.len();
        Ok((
            Lines {
                reader: BufReader::with_capacity(1 << 16, file),
                path: path.to_owned(),
                number: 0,
                bytes: 0,
                buffer: Vec::with_capacity(256),
                crlf: false,
            },
            total,
        ))
    }

    /// The next line without its ending, or an error naming the line when it is not
    /// UTF-8.
    fn next_line(&mut self) -> Result<Option<Result<&str, FieldError>>, StatementError> {
        self.buffer.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buffer)
            .map_err(|source| StatementError::Read {
                path: self.path.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        self.bytes += n as u64;
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
                self.crlf = true;
            }
        }
        Ok(Some(std::str::from_utf8(&self.buffer).map_err(|e| {
            FieldError {
                code: ErrorCode::Invalid,
                field: "line",
                reason: format!("is not UTF-8 text (byte {})", e.valid_up_to() + 1),
            }
        })))
    }
}

/// Imports a statement file; `progress` is called now and then.
pub fn import(
    store: &dyn Store,
    path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportSummary, StatementError> {
    const EVERY: u64 = 4096;
    // Pass 1: check everything.
    let mut register = RegisterCheck::new(store)?;
    let (mut lines, total) = Lines::open(path)?;
    let mut refused: Vec<RefusedLine> = Vec::new();
    let mut refused_count = 0u64;
    while let Some(line) = lines.next_line()? {
        let errors = match line.map(novaprima::parse_line) {
            Err(e) => vec![e],
            Ok(Err(errors)) => errors,
            Ok(Ok(payment)) => register.check(&payment)?,
        };
        if !errors.is_empty() {
            refused_count += 1;
            if refused.len() < MAX_REPORTED {
                refused.push(RefusedLine {
                    number: lines.number,
                    errors,
                });
            }
        }
        if lines.number % EVERY == 0 {
            progress(Progress {
                pass: 1,
                bytes_done: lines.bytes,
                bytes_total: total,
                lines: lines.number,
            });
        }
    }
    if refused_count > 0 {
        return Err(StatementError::Refused {
            lines: lines.number,
            refused: refused_count,
            first: refused,
        });
    }

    // Pass 2: write statement by statement.
    let (mut reread, total) = Lines::open(path)?;
    let mut summary = ImportSummary::default();
    let mut seen: HashSet<(InsCode, Month)> = HashSet::new();
    let mut group: Vec<PaymentLine> = Vec::new();
    let mut flush = |group: &mut Vec<PaymentLine>, summary: &mut ImportSummary| {
        let Some(first) = group.first() else {
            return Ok::<(), StatementError>(());
        };
        let (ins, month) = (first.ins, first.statement);
        // A statement met again further down the file follows its first part.
        let replace = seen.insert((ins, month));
        let replaced = store.write_statement(&ins, month, group, replace)?;
        match summary
            .statements
            .iter_mut()
            .find(|w| w.ins == ins && w.month == month)
        {
            Some(w) => w.lines += group.len(),
            None => summary.statements.push(Written {
                ins,
                month,
                lines: group.len(),
                replaced,
            }),
        }
        group.clear();
        Ok(())
    };
    while let Some(line) = reread.next_line()? {
        // Pass 1 accepted every line; a file changed in between is refused here.
        let payment = line
            .ok()
            .and_then(|l| novaprima::parse_line(l).ok())
            .ok_or_else(|| StatementError::Read {
                path: path.to_owned(),
                source: std::io::Error::other(format!(
                    "line {} changed while it was being imported",
                    reread.number
                )),
            })?;
        if group
            .first()
            .is_some_and(|g| g.ins != payment.ins || g.statement != payment.statement)
        {
            flush(&mut group, &mut summary)?;
        }
        group.push(payment);
        if reread.number % EVERY == 0 {
            progress(Progress {
                pass: 2,
                bytes_done: reread.bytes,
                bytes_total: total,
                lines: reread.number,
            });
        }
    }
    flush(&mut group, &mut summary)?;
    summary.lines = reread.number;
    summary.crlf = reread.crlf;
    progress(Progress {
        pass: 2,
        bytes_done: total,
        bytes_total: total,
        lines: reread.number,
    });
    Ok(summary)
}

/// Writes a CPAS's statement for a month in the fixed-width format.
pub fn export(
    store: &dyn Store,
    ins: &InsCode,
    month: Month,
    crlf: bool,
    out: &mut dyn Write,
    out_name: &Path,
) -> Result<usize, StatementError> {
    let lines = store.statement(ins, month)?;
    if lines.is_empty() {
        let months = store.statement_months(ins)?;
        let known = if months.is_empty() {
            String::from(" (it has none)")
        } else {
            let list: Vec<String> = months.iter().map(|m| m.compact()).collect();
            format!(" (it has {})", list.join(", "))
        };
        return Err(StatementError::NoStatement {
            ins: ins.as_str().to_owned(),
            month,
            known,
        });
    }
    let ending = if crlf { "\r\n" } else { "\n" };
    let mut text = String::with_capacity(lines.len() * (novaprima::LINE_LENGTH + 2));
    for line in &lines {
        novaprima::write_line(line, &mut text);
        text.push_str(ending);
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| StatementError::Write {
            path: out_name.to_owned(),
            source,
        })?;
    Ok(lines.len())
}
