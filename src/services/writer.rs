//! The register's writer: one thread per store that makes every durable write, so
//! that no async worker ever waits for a disk sync.
//!
//! Forms and statements that arrive together are judged one after another inside one
//! write transaction and made durable by one commit (group commit): each form's
//! judgement sees every form accepted before it, exactly as if it had come alone, and
//! each caller gets its answer only once the commit holding its form is on disk. A
//! crash mid-group loses only forms that no one was told were accepted. Other writes
//! (inscriptions, subscriptions) run on the same thread, one transaction each, in
//! arrival order.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::ServiceError;
use super::pcsa_decision::judge;
use crate::domain::decision::{Form, FormError, Outcome};
use crate::domain::{InsCode, Month, PaymentLine};
use crate::store::{DecisionFile, GroupWrite, Registered, Store, StoreError};

/// Writes waiting for the writer at most; past this, senders wait their turn (their
/// requests are the ones slowed, not everyone's memory).
const QUEUE: usize = 4096;

/// Writes judged and committed together at most. A group's commit costs about one
/// disk sync whatever its size, so bigger groups mean fewer syncs per form; the bound
/// keeps one transaction (and the answers waiting on it) short.
const GROUP: usize = 256;

/// A form to judge and register, as `pcsa_decision::judge_and_register` does.
pub struct FormWrite {
    pub form: Form,
    pub sender_errors: Vec<FormError>,
    pub now_ms: i64,
    /// Whether the change goes to the outbox for subscribers.
    pub announce: bool,
}

/// A statement's lines to write.
pub struct StatementWrite {
    pub ins: InsCode,
    pub month: Month,
    pub lines: Vec<PaymentLine>,
    pub replace: bool,
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

type AnyWrite = Box<dyn FnOnce(&dyn Store) + Send>;

enum Job {
    Form(FormWrite, Reply<Outcome>),
    Statement(StatementWrite, Reply<usize>),
    /// Any other write, alone in its own transaction.
    Run(AnyWrite),
}

impl Job {
    fn groups(&self) -> bool {
        !matches!(self, Job::Run(_))
    }
}

/// The handle requests use; cheap to clone. The thread ends once every handle is
/// dropped and the writes already sent are done.
#[derive(Clone)]
pub struct RegisterWriter {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> ServiceError {
    ServiceError::Internal("the register's writer has stopped")
}

impl RegisterWriter {
    /// Starts the writer thread of `store`.
    pub fn start(store: Arc<dyn Store>) -> std::io::Result<RegisterWriter> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("register-writer".into())
            .spawn(move || write_loop(store.as_ref(), queue))?;
        Ok(RegisterWriter { jobs })
    }

    async fn send<T>(
        &self,
        job: impl FnOnce(Reply<T>) -> Job,
    ) -> Result<Result<T, StoreError>, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(job(reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())
    }

    /// Judges and registers a form; answers once it is durable (or was refused).
    pub async fn register_form(&self, write: FormWrite) -> Result<Outcome, ServiceError> {
        Ok(self.send(|reply| Job::Form(write, reply)).await??)
    }

    /// Writes a statement's lines; answers with how many lines they replaced.
    pub async fn write_statement(&self, write: StatementWrite) -> Result<usize, ServiceError> {
        Ok(self.send(|reply| Job::Statement(write, reply)).await??)
    }

    /// Runs `write` on the writer thread, after every write sent before it.
    pub async fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Run(Box::new(move |store| {
            let _ = reply.send(write(store));
        }));
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())
    }
}

/// Under sustained load, a group's commit starts at most this often: forms arriving
/// meanwhile join it instead of paying a disk sync each. An idle writer commits at
/// once, so a lone form waits for nothing but its own sync.
const COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(4);

fn write_loop(store: &dyn Store, mut queue: mpsc::Receiver<Job>) {
    let mut group: Vec<Job> = Vec::with_capacity(GROUP);
    let mut last_commit = std::time::Instant::now()
        .checked_sub(COMMIT_INTERVAL)
        .unwrap_or_else(std::time::Instant::now);
    while let Some(first) = queue.blocking_recv() {
        if first.groups() {
            // The previous commit was moments ago: writes are coming in a stream, so
            // let the ones on their way join this group.
            let since = last_commit.elapsed();
            if since < COMMIT_INTERVAL {
                std::thread::sleep(COMMIT_INTERVAL - since);
            }
        }
        let mut next = Some(first);
        // What has arrived meanwhile, in arrival order: consecutive forms and
        // statements form a group, any other write runs between two groups.
        while let Some(job) = next.take() {
            if job.groups() {
                group.push(job);
                if group.len() >= GROUP {
                    last_commit = std::time::Instant::now();
                    commit_group(store, &mut group);
                }
            } else {
                commit_group(store, &mut group);
                if let Job::Run(write) = job {
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        write(store);
                    }));
                    if ran.is_err() {
                        tracing::error!("the register's writer panicked on a write");
                    }
                }
            }
            next = queue.try_recv().ok();
        }
        if !group.is_empty() {
            last_commit = std::time::Instant::now();
            commit_group(store, &mut group);
        }
    }
}

/// What one job of a group learns from its write.
enum Done {
    Form(Option<Box<Outcome>>),
    Statement(usize),
}

/// Commits `group` as one transaction and answers each job. When the group as a whole
/// fails, each job is tried alone, so that one write's failure (a corrupt record)
/// reaches only its own caller.
fn commit_group(store: &dyn Store, group: &mut Vec<Job>) {
    if group.is_empty() {
        return;
    }
    // A bug that panics while judging must not stop every later write: the group's
    // callers get an internal error (their reply is dropped), the writer goes on.
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        commit_group_or_each(store, group);
    }));
    if attempt.is_err() {
        tracing::error!(
            writes = group.len(),
            "the register's writer panicked on a group of writes"
        );
        group.clear();
    }
}

fn commit_group_or_each(store: &dyn Store, group: &mut Vec<Job>) {
    match write_together(store, group) {
        Ok(done) => {
            for (job, done) in group.drain(..).zip(done) {
                answer(job, Ok(done));
            }
        }
        Err(e) if group.len() == 1 => {
            if let Some(job) = group.pop() {
                answer(job, Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, writes = group.len(), "a group of writes failed: writing each alone");
            for job in group.drain(..) {
                let done = write_together(store, std::slice::from_ref(&job)).and_then(|mut d| {
                    d.pop()
                        .ok_or_else(|| StoreError::Engine("no result".into()))
                });
                answer(job, done);
            }
        }
    }
}

fn answer(job: Job, done: Result<Done, StoreError>) {
    match job {
        Job::Form(_, reply) => {
            let _ = reply.send(done.and_then(|d| match d {
                Done::Form(Some(outcome)) => Ok(*outcome),
                _ => Err(StoreError::Engine(
                    "the register did not judge the form".into(),
                )),
            }));
        }
        Job::Statement(_, reply) => {
            let _ = reply.send(done.and_then(|d| match d {
                Done::Statement(replaced) => Ok(replaced),
                Done::Form(_) => Err(StoreError::Engine(
                    "a statement was judged as a form".into(),
                )),
            }));
        }
        Job::Run(_) => {}
    }
}

type Decide<'a> = Box<dyn FnMut(&DecisionFile) -> Option<Registered> + 'a>;

/// One job of a group, with where its result goes.
enum Slot<'a> {
    Form(&'a FormWrite, Decide<'a>),
    Statement(&'a StatementWrite, &'a mut usize),
}

/// Judges and writes the jobs of a group in one transaction; their results in order.
fn write_together(store: &dyn Store, group: &[Job]) -> Result<Vec<Done>, StoreError> {
    let mut outcomes: Vec<Option<Outcome>> = group.iter().map(|_| None).collect();
    let mut replaced: Vec<usize> = vec![0; group.len()];
    {
        let mut slots: Vec<Slot<'_>> = Vec::with_capacity(group.len());
        for ((job, outcome), replaced) in group.iter().zip(&mut outcomes).zip(&mut replaced) {
            match job {
                Job::Form(w, _) => slots.push(Slot::Form(
                    w,
                    Box::new(move |file| {
                        let (judged, write) =
                            judge(&w.form, &w.sender_errors, w.now_ms, w.announce, file);
                        *outcome = Some(judged);
                        write
                    }),
                )),
                Job::Statement(w, _) => slots.push(Slot::Statement(w, replaced)),
                Job::Run(_) => {}
            }
        }
        let mut writes: Vec<GroupWrite<'_>> = slots
            .iter_mut()
            .map(|slot| match slot {
                Slot::Form(w, decide) => GroupWrite::Register {
                    ssin: w.form.ssin(),
                    pcsa: w.form.pcsa(),
                    decide: decide.as_mut(),
                },
                Slot::Statement(w, replaced) => GroupWrite::Statement {
                    ins: w.ins,
                    month: w.month,
                    lines: &w.lines,
                    replace: w.replace,
                    replaced,
                },
            })
            .collect();
        store.write_group(&mut writes)?;
    }
    Ok(group
        .iter()
        .zip(outcomes.into_iter().zip(replaced))
        .map(|(job, (outcome, replaced))| match job {
            Job::Statement(..) => Done::Statement(replaced),
            _ => Done::Form(outcome.map(Box::new)),
        })
        .collect())
}
