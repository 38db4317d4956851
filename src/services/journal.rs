//! The journal: the audit trail of every exchange, queried as a tester checks what
//! their application sent. A query is a window of time, filters on what each record
//! holds, an order and a page; a count answers "how many getLivingWages did this
//! institution send for this SSIN since then" in one call.

use uuid::Uuid;

use crate::domain::CbeNumber;

/// Where exchanges are recorded: the server's audit writer, which the dispatcher also
/// tells what an injected fault did to a delivery.
pub trait Recorder: Send + Sync {
    fn record(&self, record: AuditRecord);
}
use crate::store::{AuditRecord, AuditWindow, Store, StoreError};

/// Records in one page at most.
pub const MAX_PAGE: usize = 1000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalQuery {
    pub window: AuditWindow,
    pub caller: Option<CbeNumber>,
    pub operation: Option<String>,
    pub ssin: Option<String>,
    /// A status code or a fault's reason code (`MSG00000`, `MSG00015`, ...).
    pub outcome: Option<String>,
    pub http_status: Option<u16>,
    pub ticket: Option<Uuid>,
    /// As the services' table names it (`LivingWagesService v2`), in any case.
    pub service: Option<String>,
    /// Only exchanges an injected fault changed (true), or only the others (false).
    pub injected: Option<bool>,
}

impl JournalQuery {
    pub fn matches(&self, r: &AuditRecord) -> bool {
        self.caller.is_none_or(|c| r.caller == Some(c))
            && self
                .operation
                .as_deref()
                .is_none_or(|o| r.operation.as_deref() == Some(o))
            && self
                .ssin
                .as_deref()
                .is_none_or(|s| r.ssin.as_deref() == Some(s))
            && self.outcome.as_deref().is_none_or(|o| r.outcome == o)
            && self.http_status.is_none_or(|h| r.http_status == h)
            && self.ticket.is_none_or(|t| r.ticket == t)
            && self.service.as_deref().is_none_or(|s| {
                r.service
                    .as_deref()
                    .is_some_and(|have| have.eq_ignore_ascii_case(s.trim()))
            })
            && self.injected.is_none_or(|i| {
                i == matches!(r.mark, Some(crate::store::AuditMark::Injected { .. }))
            })
    }

    /// The window, narrowed to the ticket's millisecond when one is asked for.
    fn window(&self) -> AuditWindow {
        let mut window = self.window;
        if let Some((secs, nanos)) = self
            .ticket
            .and_then(|t| t.get_timestamp())
            .map(|t| t.to_unix())
        {
            let ms = i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)
                + i64::from(nanos / 1_000_000);
            window.from_ms = Some(window.from_ms.map_or(ms, |f| f.max(ms)));
            window.to_ms = Some(window.to_ms.map_or(ms, |t| t.min(ms)));
        }
        window
    }
}

/// A page of records, and the ticket to ask the next page after when there may be
/// more.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<AuditRecord>,
    pub next: Option<Uuid>,
}

/// Up to `limit` matching records (at most `MAX_PAGE`), in the query's order.
pub fn find(store: &dyn Store, query: &JournalQuery, limit: usize) -> Result<Page, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut records = Vec::new();
    let mut more = false;
    store.walk_audit(&query.window(), &mut |r| {
        if !query.matches(&r) {
            return true;
        }
        if records.len() == limit {
            more = true;
            return false;
        }
        records.push(r);
        true
    })?;
    let next = if more {
        records.last().map(|r| r.ticket)
    } else {
        None
    };
    Ok(Page { records, next })
}

/// How many records match.
pub fn count(store: &dyn Store, query: &JournalQuery) -> Result<u64, StoreError> {
    let mut n = 0;
    store.walk_audit(&query.window(), &mut |r| {
        n += u64::from(query.matches(&r));
        true
    })?;
    Ok(n)
}
