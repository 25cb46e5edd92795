//! A durable outbox (feature `outbox`): events are stored in an embedded SQLite database
//! when the application accepts them, and delivered from there, so an event accepted is
//! never lost, even if the process dies, and never duplicated.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn demo<E: trackc::Event>(client: &trackc::Client, order: &E)
//! #     -> Result<(), trackc::client::outbox::OutboxError> {
//! use std::time::Duration;
//! use trackc::client::Outbox;
//!
//! let outbox = Outbox::open("events.sqlite3")?;
//! // In the request handler: check, give an id, store (one SQLite transaction, fsynced).
//! let id = outbox.enqueue(&client.prepare("customer-42", order)?)?;
//! // In a background task (one per outbox file): deliver what is stored.
//! let report = outbox.drain(client, Duration::from_secs(30)).await?;
//! for dead in outbox.dead_letters()? {
//!     eprintln!("event {} refused: {}", dead.event.id(), dead.reason);
//! }
//! # let _ = (id, report); Ok(()) }
//! ```
//!
//! # Guarantees, and how
//!
//! - **Nothing accepted is lost.** [`Outbox::enqueue`] returns once the event, with its id,
//!   is committed (WAL mode, `synchronous=FULL`). An event is deleted only in the
//!   transaction that follows Customer.io's acceptance of it.
//! - **Nothing is duplicated.** Every delivery of an event, including the one after a crash
//!   between Customer.io's acceptance and the delete, carries its stored id, and
//!   Customer.io ignores an event whose id it already has. That re-send is the design.
//! - **Order per person.** Only the oldest stored event of each person (recipient) is in
//!   flight at a time; the next is sent after the first was accepted (or dead-lettered).
//!   Different people's events go together, in v2 batch requests of up to `batch_size`
//!   people (anonymous events and events too large for a batch go one by one on v1).
//! - **No queue blocked forever.** An event that Customer.io refuses for good (a 207 item
//!   error, a 400 or another 4xx other than 408 and 429 when sent alone) moves to the
//!   dead-letter table with the reason ([`Outbox::dead_letters`]); the person's next event
//!   goes on. Transient failures (network, timeouts, 408, 429, 5xx, an unknown outcome)
//!   leave the event at the head of its queue, to be retried after a backoff (or the
//!   server's `Retry-After`). A 401 stops the drain with an error: no event is touched.
//!
//! Events without a timestamp are stamped with the time of [`Outbox::enqueue`]: they are
//! delivered later, and Customer.io would otherwise date them on arrival.
//!
//! Run one sender per outbox file: two drains of the same file at once could send a
//! person's events out of order (never lose or duplicate them). Enqueueing from other
//! threads or processes while a drain runs is fine (SQLite's locking, a 5 s busy timeout).
//! The database calls are short and run on the calling task.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, Transaction, params};
use serde_json::{Map, Value};

use super::{BatchItemError, Client, Error, PreparedEvent, Recipient, Ulid};
use crate::Timestamp;

/// Why an outbox operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum OutboxError {
    /// The database failed (open, read, write).
    Database(rusqlite::Error),
    /// A stored row cannot be read back as an event (the file was changed by hand).
    Corrupt { seq: i64, reason: String },
    /// The event was refused before it was stored (see [`super::Client::prepare`]), or the
    /// drain stopped on an error that no retry fixes (401: wrong credentials).
    Client(Error),
}

impl fmt::Display for OutboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutboxError::Database(e) => write!(f, "outbox database: {e}"),
            OutboxError::Corrupt { seq, reason } => {
                write!(f, "outbox row {seq} is not a stored event: {reason}")
            }
            OutboxError::Client(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for OutboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutboxError::Database(e) => Some(e),
            OutboxError::Client(e) => Some(e),
            OutboxError::Corrupt { .. } => None,
        }
    }
}

impl From<rusqlite::Error> for OutboxError {
    fn from(e: rusqlite::Error) -> Self {
        OutboxError::Database(e)
    }
}

impl From<Error> for OutboxError {
    fn from(e: Error) -> Self {
        OutboxError::Client(e)
    }
}

/// An event Customer.io refused for good, kept with the reason.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// Its place in the outbox (enqueue order).
    pub seq: i64,
    pub event: PreparedEvent,
    pub attempts: u32,
    /// Unix milliseconds.
    pub failed_at_ms: i64,
    /// The error, as the client reported it (scrubbed of credentials).
    pub reason: String,
}

/// What one [`Outbox::drain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Events Customer.io accepted, now deleted from the outbox.
    pub delivered: u64,
    /// Events refused for good, moved to the dead-letter table.
    pub dead_lettered: u64,
    /// Failed attempts that left the event queued for a retry.
    pub retried: u64,
    /// HTTP calls made (batch requests and single sends, each with its own retries).
    pub sends: u64,
    /// Events still queued when the drain returned.
    pub remaining: u64,
}

/// A durable, ordered-per-person queue of prepared events in a SQLite file. See the module
/// docs.
pub struct Outbox {
    conn: Mutex<Connection>,
    batch_size: usize,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS trackc_outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    person      TEXT    NOT NULL,  -- recipient kind ':' value: the ordering key
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    timestamp   INTEGER,
    data        TEXT    NOT NULL,  -- JSON object
    enqueued_ms INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL DEFAULT 0,  -- Unix ms: backoff after a failure
    last_error  TEXT
);
CREATE INDEX IF NOT EXISTS trackc_outbox_person ON trackc_outbox (person, seq);
CREATE TABLE IF NOT EXISTS trackc_dead_letter (
    seq         INTEGER PRIMARY KEY,
    person      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    timestamp   INTEGER,
    data        TEXT    NOT NULL,
    enqueued_ms INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    failed_ms   INTEGER NOT NULL,
    reason      TEXT    NOT NULL
);
";

/// The default number of people (events) per batch request of a drain.
pub const DEFAULT_BATCH_SIZE: usize = 100;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What became of one head event in a round.
enum Outcome {
    Delivered,
    Dead(String),
    Retry { error: String, wait: Duration },
}

struct Head {
    seq: i64,
    attempts: u32,
    event: PreparedEvent,
}

impl Outbox {
    /// Open (or create) the outbox at `path`: WAL mode, `synchronous=FULL`, a 5 s busy
    /// timeout, the tables created if missing. Whatever a previous process left is resumed
    /// by the next [`Outbox::drain`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OutboxError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // journal_mode answers with a row, so it is queried rather than executed.
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OutboxError::Corrupt {
                seq: 0,
                reason: format!("the database refused WAL mode (journal_mode={mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous=FULL;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Outbox {
            conn: Mutex::new(conn),
            batch_size: DEFAULT_BATCH_SIZE,
        })
    }

    /// How many people's events one batch request of a drain carries (default
    /// [`DEFAULT_BATCH_SIZE`]; at least 1). The 500,000-byte limit may split it further.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back
        // on drop), so the poison carries no meaning here.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store one prepared event (see [`super::Client::prepare`]); returns its id. Durable
    /// when this returns.
    pub fn enqueue(&self, event: &PreparedEvent) -> Result<Ulid, OutboxError> {
        self.enqueue_all(std::slice::from_ref(event))?;
        Ok(event.id)
    }

    /// Store several prepared events in one transaction: all or none. In the given order,
    /// which is each person's delivery order.
    pub fn enqueue_all<'e>(
        &self,
        events: impl IntoIterator<Item = &'e PreparedEvent>,
    ) -> Result<usize, OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = insert_events(&tx, events, now_ms())?;
        tx.commit()?;
        Ok(n)
    }

    /// How many events wait for delivery.
    pub fn pending(&self) -> Result<u64, OutboxError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM trackc_outbox", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Every event refused for good, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, kind, value, event_id, name, timestamp, data, attempts, failed_ms, reason
             FROM trackc_dead_letter ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((Row::read(r)?, r.get::<_, i64>(8)?, r.get::<_, String>(9)?))
        })?;
        rows.map(|row| {
            let (row, failed_at_ms, reason) = row?;
            let (seq, attempts) = (row.seq, row.attempts);
            Ok(DeadLetter {
                seq,
                event: row.into_event()?,
                attempts,
                failed_at_ms,
                reason,
            })
        })
        .collect()
    }

    /// Deliver stored events until the outbox is empty or `limit` has passed (a round in
    /// flight finishes first, within the client's batch deadline). Safe to call again at any
    /// time, in this process or the next.
    pub async fn drain(
        &self,
        client: &Client,
        limit: Duration,
    ) -> Result<DrainReport, OutboxError> {
        let end = Instant::now() + limit;
        let mut report = DrainReport::default();
        loop {
            let heads = self.heads(now_ms())?;
            if heads.is_empty() {
                let (pending, next_due) = self.pending_and_next_due()?;
                report.remaining = pending;
                let Some(due) = next_due else { break };
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let wait = Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0));
                // At least 1 ms (no spinning), at most what is left of the limit.
                tokio::time::sleep(wait.max(Duration::from_millis(1)).min(end - now)).await;
                continue;
            }
            let outcomes = self.send_round(client, heads, &mut report).await?;
            self.apply(&outcomes, &mut report)?;
            if Instant::now() >= end {
                report.remaining = self.pending()?;
                break;
            }
        }
        Ok(report)
    }

    /// The oldest event of every person whose head is due, oldest first, at most
    /// `batch_size` of them.
    fn heads(&self, now: i64) -> Result<Vec<Head>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT o.seq, o.kind, o.value, o.event_id, o.name, o.timestamp, o.data, o.attempts
             FROM trackc_outbox o
             JOIN (SELECT MIN(seq) AS seq FROM trackc_outbox GROUP BY person) h ON o.seq = h.seq
             WHERE o.not_before <= ?1
             ORDER BY o.seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now, self.batch_size as i64], Row::read)?;
        rows.map(|row| {
            let row = row?;
            let (seq, attempts) = (row.seq, row.attempts);
            Ok(Head {
                seq,
                attempts,
                event: row.into_event()?,
            })
        })
        .collect()
    }

    fn pending_and_next_due(&self) -> Result<(u64, Option<i64>), OutboxError> {
        let conn = self.conn();
        let (n, due): (i64, Option<i64>) = conn.query_row(
            "SELECT COUNT(*), MIN(not_before) FROM trackc_outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n as u64, due))
    }

    /// Send the heads: persons' events in one batch, the rest (anonymous, too large for a
    /// batch, or in a batch request refused as a whole) one by one.
    async fn send_round(
        &self,
        client: &Client,
        heads: Vec<Head>,
        report: &mut DrainReport,
    ) -> Result<Vec<(i64, Outcome)>, OutboxError> {
        let policy = client.inner.retry;
        let retry = |attempts: u32, error: &Error, text: String| Outcome::Retry {
            error: text,
            wait: error
                .retry_after()
                .unwrap_or_else(|| policy.backoff(attempts.saturating_add(1))),
        };
        let mut outcomes = Vec::with_capacity(heads.len());
        let mut batch = client.batch();
        let mut in_batch = Vec::new();
        let mut alone = Vec::new();
        for head in heads {
            match batch.add(&head.event) {
                Ok(_) => in_batch.push(head),
                Err(_) => alone.push(head),
            }
        }
        if !in_batch.is_empty() {
            report.sends += 1;
            let sent = batch.send().await;
            for (head, result) in in_batch.into_iter().zip(sent.results) {
                match result {
                    Ok(()) => outcomes.push((head.seq, Outcome::Delivered)),
                    Err(BatchItemError::RequestFailed(e)) if matches!(*e, Error::Unauthorized) => {
                        return Err(OutboxError::Client(Error::Unauthorized));
                    }
                    // Refused as a whole (400, 413, ...): which event is at fault is
                    // unknown, so each is tried alone.
                    Err(BatchItemError::RequestFailed(e)) if !e.is_retryable() => alone.push(head),
                    Err(BatchItemError::RequestFailed(e)) => {
                        let o = retry(head.attempts, &e, e.to_string());
                        outcomes.push((head.seq, o));
                    }
                    Err(e @ BatchItemError::Rejected { .. }) => {
                        outcomes.push((head.seq, Outcome::Dead(e.to_string())));
                    }
                    Err(e @ BatchItemError::OutcomeUnknown { .. }) => {
                        let wait = policy.backoff(head.attempts.saturating_add(1));
                        let error = e.to_string();
                        outcomes.push((head.seq, Outcome::Retry { error, wait }));
                    }
                }
            }
        }
        for head in alone {
            report.sends += 1;
            let outcome = match client.send(&head.event).await {
                Ok(_) => Outcome::Delivered,
                Err(Error::Unauthorized) => return Err(OutboxError::Client(Error::Unauthorized)),
                Err(e) if e.is_retryable() => retry(head.attempts, &e, e.to_string()),
                Err(e) => Outcome::Dead(e.to_string()),
            };
            outcomes.push((head.seq, outcome));
        }
        Ok(outcomes)
    }

    /// Record a round's outcomes in one transaction.
    fn apply(
        &self,
        outcomes: &[(i64, Outcome)],
        report: &mut DrainReport,
    ) -> Result<(), OutboxError> {
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM trackc_outbox WHERE seq = ?1")?;
            let mut bury = tx.prepare_cached(
                "INSERT OR REPLACE INTO trackc_dead_letter
                 SELECT seq, person, kind, value, event_id, name, timestamp, data, enqueued_ms,
                        attempts + 1, ?2, ?3
                 FROM trackc_outbox WHERE seq = ?1",
            )?;
            let mut later = tx.prepare_cached(
                "UPDATE trackc_outbox SET attempts = attempts + 1, not_before = ?2, last_error = ?3
                 WHERE seq = ?1",
            )?;
            for (seq, outcome) in outcomes {
                match outcome {
                    Outcome::Delivered => {
                        delete.execute([seq])?;
                        report.delivered += 1;
                    }
                    Outcome::Dead(reason) => {
                        bury.execute(params![seq, now, reason])?;
                        delete.execute([seq])?;
                        report.dead_lettered += 1;
                    }
                    Outcome::Retry { error, wait } => {
                        let due =
                            now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                        later.execute(params![seq, due, error])?;
                        report.retried += 1;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Insert `events` in order, stamping those without a timestamp with `now_ms`.
fn insert_events<'e>(
    tx: &Transaction<'_>,
    events: impl IntoIterator<Item = &'e PreparedEvent>,
    now_ms: i64,
) -> Result<usize, OutboxError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO trackc_outbox (person, kind, value, event_id, name, timestamp, data, enqueued_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut n = 0;
    for ev in events {
        let r = &ev.recipient;
        let person = format!("{}:{}", r.kind(), r.value());
        let timestamp = ev
            .timestamp
            .unwrap_or(Timestamp::from_unix_seconds(now_ms.div_euclid(1000)));
        let data = serde_json::to_string(&ev.data).expect("a JSON map always serializes");
        stmt.execute(params![
            person,
            r.kind(),
            r.value(),
            ev.id.to_string(),
            ev.name,
            timestamp.unix_seconds(),
            data,
            now_ms
        ])?;
        n += 1;
    }
    Ok(n)
}

/// A stored event, as read.
struct Row {
    seq: i64,
    kind: String,
    value: String,
    event_id: String,
    name: String,
    timestamp: Option<i64>,
    data: String,
    attempts: u32,
}

impl Row {
    /// The first eight columns: seq, kind, value, event_id, name, timestamp, data, attempts.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok(Row {
            seq: r.get(0)?,
            kind: r.get(1)?,
            value: r.get(2)?,
            event_id: r.get(3)?,
            name: r.get(4)?,
            timestamp: r.get(5)?,
            data: r.get(6)?,
            attempts: r.get(7)?,
        })
    }

    fn into_event(self) -> Result<PreparedEvent, OutboxError> {
        let seq = self.seq;
        let corrupt = |reason: String| OutboxError::Corrupt { seq, reason };
        let recipient = Recipient::from_parts(&self.kind, self.value)
            .ok_or_else(|| corrupt(format!("unknown recipient kind `{}`", self.kind)))?;
        let id = Ulid::from_string(&self.event_id)
            .map_err(|e| corrupt(format!("event id is not a ULID: {e}")))?;
        let data: Map<String, Value> = serde_json::from_str(&self.data)
            .map_err(|e| corrupt(format!("data is not a JSON object: {e}")))?;
        Ok(PreparedEvent {
            recipient,
            name: self.name,
            id,
            timestamp: self.timestamp.map(Timestamp::from_unix_seconds),
            data,
        })
    }
}
