//! The recorded requests: an embedded SQLite database owned by one writer thread.
//!
//! A request is answered 2xx only after its row is committed (`synchronous=FULL`), so a
//! crash or a restart never loses a request the caller was told succeeded. Concurrent
//! requests share commits: the writer takes every job waiting in its queue (up to
//! [`GROUP`]) into one transaction, the way a database's group commit does, so one fsync
//! serves many callers. A failed commit (full disk, the store's size bound, an I/O error)
//! fails every request of that transaction: they are answered 503 and none is reported as
//! stored. Reads run on the same thread after the pending writes, so a caller always sees
//! what it was told is stored.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{Connection, params};
use tokio::sync::{Notify, mpsc, oneshot};

/// Jobs one transaction takes at most.
const GROUP: usize = 512;
/// Jobs waiting for the writer at most; callers past it wait for room (back-pressure).
const QUEUE: usize = 4096;
/// The page size of a new store (SQLite's default).
const PAGE_BYTES: usize = 4 << 10;
/// SQLite's page cache on the writer's connection.
const CACHE_BYTES: usize = 32 << 20;
/// WAL pages after which the checkpointer copies the WAL into the database (16 MiB of
/// 4 KiB pages).
const CHECKPOINT_PAGES: u64 = 4096;

/// One request as recorded: what `requests` lists and the page shows (with its `seq`).
#[derive(Clone, Debug)]
pub struct RequestRow {
    /// Unix milliseconds.
    pub received_at: i64,
    pub method: String,
    pub path: String,
    /// JSON text: the body as sent, a JSON string holding it when it was not JSON, or
    /// empty when the request had none.
    pub body: String,
    pub valid: bool,
    /// The status the caller was answered.
    pub status: u16,
    /// A JSON array of the request's violations.
    pub violations: String,
}

/// A request to store, with the rows the summary and `match` read.
#[derive(Clone, Debug)]
pub struct Record {
    pub request: RequestRow,
    pub operations: Vec<OpRow>,
    pub rules: Vec<RuleRow>,
}

/// One operation of a request (a v2 operation, a batch's item, a v1 call).
#[derive(Clone, Debug)]
pub struct OpRow {
    pub index: Option<u32>,
    pub event: Option<String>,
    pub person: Option<String>,
    pub valid: bool,
    /// The operation in v2 shape (v1 calls converted): what `match` compares.
    pub op: OpText,
    /// A JSON array of this operation's violations.
    pub violations: String,
}

/// Where an operation's JSON text is. A v2 operation is stored once, in its request's
/// body, not copied into its row: a 100-operation batch is one write of its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpText {
    /// The whole body (`POST /api/v2/entity`).
    Body,
    /// Bytes `start..end` of the body (an item of `POST /api/v2/batch`).
    Range { start: u32, end: u32 },
    /// Its own text: a v1 call converted to v2 shape, or `{}` for a request without one.
    Converted(String),
}

/// The SQL expression of an operation's JSON text, for a row `o` of `operations` joined
/// with its request `r` (the one reading of [`OpText`]'s columns). SQLite's `substr`
/// counts bytes in a BLOB, so the range is cut from the body's UTF-8 bytes.
pub const OP_TEXT_SQL: &str = "coalesce(o.op, CAST(substr(CAST(r.body AS BLOB), o.op_start + 1, \
     o.op_end - o.op_start) AS TEXT), r.body)";

/// One violation, for the per-rule counts.
#[derive(Clone, Debug)]
pub struct RuleRow {
    pub code: trackc_codegen::rules::TrafficRule,
}

#[derive(Debug)]
pub enum StoreError {
    /// SQLite refused (full disk, the size bound, an I/O error): the text says why.
    Sqlite(String),
    /// The writer thread is gone.
    Closed,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "the store refused the write: {e}"),
            StoreError::Closed => f.write_str("the store is closed"),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}

type Read = Box<dyn FnOnce(&Connection) + Send>;

enum Job {
    Insert(Box<Record>, oneshot::Sender<Result<i64, StoreError>>),
    Read(Read),
}

/// A handle on the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    /// Notified after every commit (`match` with `wait_ms` waits on it).
    pub committed: Arc<Notify>,
}

/// The layout [`SCHEMA`] creates, in SQLite's `user_version`: a store of another layout is
/// refused with a message rather than misread.
const LAYOUT: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    valid INTEGER NOT NULL,
    status INTEGER NOT NULL,
    violations TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    idx INTEGER,
    event TEXT,
    person TEXT,
    valid INTEGER NOT NULL,
    op TEXT,
    op_start INTEGER,
    op_end INTEGER,
    violations TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_event ON operations(event);
CREATE INDEX IF NOT EXISTS operations_person ON operations(person);
CREATE TABLE IF NOT EXISTS violations (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    code TEXT NOT NULL
);
";

impl Store {
    /// Open (or create) the store at `path`, or a temporary one (deleted when the process
    /// ends) with `None`. `max_bytes` bounds the database file: past it, writes fail (503).
    pub fn open(path: Option<&Path>, max_bytes: u64) -> Result<Store, String> {
        Store::open_with(path, max_bytes, CHECKPOINT_PAGES)
    }

    /// [`Store::open`] checkpointing past `checkpoint_pages` WAL pages (tests make it small).
    fn open_with(
        path: Option<&Path>,
        max_bytes: u64,
        checkpoint_pages: u64,
    ) -> Result<Store, String> {
        let conn = match path {
            // SQLite's "" is a private temporary database on disk, deleted on close.
            None => Connection::open(""),
            Some(p) => Connection::open(p),
        }
        .map_err(|e| describe_open(path, &e))?;
        let foreign = |why: &str| match path {
            Some(p) => format!(
                "the store {} {why}; give another --store path (or remove that file)",
                p.display()
            ),
            None => format!("the temporary store {why}"),
        };
        // `Ok(Err(why))`: SQLite read the file, and it is not a store this trackc writes.
        let setup = || -> rusqlite::Result<Result<(), String>> {
            let tables: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
            if tables == 0 {
                // A new store: 4 KiB pages. Every commit writes each page it touched
                // (the last leaf of each table and index) whole to the WAL; with 16 KiB
                // pages a group of single events wrote 4x the bytes and cost ~20% more
                // CPU a request, and batches were no faster (BENCHMARKS.md §7). Only
                // possible before WAL mode.
                conn.execute_batch(&format!("PRAGMA page_size={PAGE_BYTES}"))?;
            }
            if path.is_some() {
                // WAL: readers never block the writer; FULL: a commit is on disk when
                // it returns. Checkpoints (copying the WAL into the database) run on
                // their own thread, not in the commit that crosses the threshold: a
                // caller waits for its own commit's fsync, never for a checkpoint's.
                conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
                // The connection that starts the WAL over (this one, at its next commit
                // after a checkpoint caught up) cuts the file back to this size.
                conn.query_row("PRAGMA journal_size_limit=67108864", [], |_| Ok(()))?;
            }
            // A group of large batches must not spill the cache into the WAL mid-commit
            // (SQLite's default cache is 2 MB): a fixed bound, so memory stays flat.
            conn.execute_batch(&format!(
                "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-{};",
                CACHE_BYTES >> 10
            ))?;
            let layout: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            match (layout, tables) {
                (LAYOUT, _) | (0, 0) => {}
                (0, _) => {
                    return Ok(Err(foreign(
                        "is not a trackc serve store, or one an earlier trackc wrote",
                    )));
                }
                _ => return Ok(Err(foreign("was written by another version of trackc"))),
            }
            conn.execute_batch(SCHEMA)?;
            conn.execute_batch(&format!("PRAGMA user_version={LAYOUT}"))?;
            let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let pages = (max_bytes / page.max(512) as u64).max(16);
            conn.query_row(&format!("PRAGMA max_page_count={pages}"), [], |_| Ok(()))?;
            Ok(Ok(()))
        };
        setup().map_err(|e| describe_open(path, &e))??;
        let mut conn = conn;
        let tail_due = Arc::new(AtomicBool::new(false));
        if let Some(p) = path {
            let checkpoints = Checkpointer::start(p, tail_due.clone())?;
            // Replaces SQLite's automatic checkpoint (which runs inside the commit).
            conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages| {
                if pages as u64 >= checkpoint_pages {
                    checkpoints.request();
                }
                Ok(())
            }))
            .map_err(|e| describe_open(path, &e))?;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let committed = Arc::new(Notify::new());
        let notify = committed.clone();
        std::thread::Builder::new()
            .name("trackc-store".into())
            .spawn(move || writer(conn, rx, &notify, &tail_due))
            .map_err(|e| format!("cannot start the store's thread: {e}"))?;
        Ok(Store {
            jobs: tx,
            committed,
        })
    }

    /// Store `record`; `Ok(id)` once it is committed.
    pub async fn insert(&self, record: Record) -> Result<i64, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Insert(Box::new(record), tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Run `f` on the store's connection, after every write queued before it.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Read = Box::new(move |c: &Connection| {
            let _ = tx.send(f(c).map_err(StoreError::from));
        });
        self.jobs
            .send(Job::Read(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Empty the store.
    pub async fn reset(&self) -> Result<(), StoreError> {
        self.read(|c| {
            c.execute_batch(
                "BEGIN; DELETE FROM violations; DELETE FROM operations; DELETE FROM requests; COMMIT;",
            )
            .inspect_err(|_| {
                let _ = c.execute_batch("ROLLBACK");
            })
        })
        .await
    }
}

fn describe_open(path: Option<&Path>, e: &rusqlite::Error) -> String {
    match path {
        Some(p) => format!("cannot open the store {}: {e}", p.display()),
        None => format!("cannot open a temporary store: {e}"),
    }
}

/// Copies the WAL into the database on its own thread and connection, when the writer's
/// WAL hook says it has grown past [`CHECKPOINT_PAGES`]. SQLite starts the WAL over (so
/// the file stays bounded) only at a transaction that *began* after a checkpoint copied
/// every frame, and under steady traffic the writer has always begun its next group
/// before a checkpoint beside it ends (the WAL reached 1.4 GB in 30 s of batches). So
/// the work is split: this thread copies the bulk (PASSIVE, never blocking the writer)
/// and then raises `tail_due`; the writer, before its next group, copies the few frames
/// committed since itself ([`copy_tail`]) and so begins that group on a fully copied WAL.
struct Checkpointer {
    due: std::sync::mpsc::SyncSender<()>,
}

impl Checkpointer {
    fn start(path: &Path, tail_due: Arc<AtomicBool>) -> Result<Checkpointer, String> {
        let conn = Connection::open(path).map_err(|e| describe_open(Some(path), &e))?;
        let (due, wake) = std::sync::mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("trackc-checkpoint".into())
            .spawn(move || {
                while wake.recv().is_ok() {
                    // The writer has not copied the last tail yet: a pass now would hold
                    // the checkpoint lock while it tries (it would find it busy, and the
                    // WAL would not start over).
                    if tail_due.load(Ordering::Acquire) {
                        continue;
                    }
                    // An error (a full disk) leaves the pages in the WAL, where every
                    // committed request already is; the next request due retries.
                    if checkpoint(&conn).is_ok() {
                        // Requests made while it ran are this one: a second pass now
                        // would hold the checkpoint lock while the writer copies the
                        // tail, and the WAL would not start over.
                        while wake.try_recv().is_ok() {}
                        tail_due.store(true, Ordering::Release);
                    }
                }
            })
            .map_err(|e| format!("cannot start the store's checkpoint thread: {e}"))?;
        Ok(Checkpointer { due })
    }

    /// Ask for a checkpoint; a request while one is pending is the same request.
    fn request(&self) {
        let _ = self.due.try_send(());
    }
}

/// The store's thread: takes the jobs waiting, commits their inserts as one group and
/// runs the reads after it; first, when the checkpointer has copied the bulk of the WAL
/// (`tail_due`), the rest ([`copy_tail`]).
fn writer(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    committed: &Notify,
    tail_due: &AtomicBool,
) {
    let mut inserts = Vec::with_capacity(GROUP);
    let mut reads = Vec::new();
    while let Some(job) = rx.blocking_recv() {
        let mut next = Some(job);
        while let Some(job) = next.take() {
            match job {
                Job::Insert(r, tx) => inserts.push((r, tx)),
                Job::Read(f) => reads.push(f),
            }
            if inserts.len() + reads.len() < GROUP {
                next = rx.try_recv().ok();
            }
        }
        if tail_due.swap(false, Ordering::Acquire) {
            copy_tail(&conn);
        }
        if !inserts.is_empty() {
            match insert_all(&mut conn, &inserts) {
                Ok(ids) => {
                    for ((_, tx), id) in inserts.drain(..).zip(ids) {
                        let _ = tx.send(Ok(id));
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    for (_, tx) in inserts.drain(..) {
                        let _ = tx.send(Err(StoreError::Sqlite(text.clone())));
                    }
                }
            }
            committed.notify_waiters();
        }
        for f in reads.drain(..) {
            f(&conn);
        }
    }
}

/// Copies as much of the WAL into the database as it can without waiting for anyone.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

/// Copies what the checkpointer left in the WAL (the frames committed while it ran: a
/// group or two), on the writer's connection between two groups, so that the next group
/// begins on a fully copied WAL and SQLite starts the WAL file over. Busy (a checkpoint
/// already running) or failed: the next round tries again.
fn copy_tail(conn: &Connection) {
    let _ = checkpoint(conn);
}

type Pending = (Box<Record>, oneshot::Sender<Result<i64, StoreError>>);

fn insert_all(conn: &mut Connection, jobs: &[Pending]) -> rusqlite::Result<Vec<i64>> {
    let tx = conn.transaction()?;
    let mut ids = Vec::with_capacity(jobs.len());
    {
        let mut req = tx.prepare_cached(
            "INSERT INTO requests (received_at, method, path, body, valid, status, violations)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut op = tx.prepare_cached(
            "INSERT INTO operations
                 (request_id, idx, event, person, valid, op, op_start, op_end, violations)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut rule =
            tx.prepare_cached("INSERT INTO violations (request_id, code) VALUES (?1, ?2)")?;
        for (r, _) in jobs {
            let q = &r.request;
            req.execute(params![
                q.received_at,
                q.method,
                q.path,
                q.body,
                q.valid,
                q.status,
                q.violations
            ])?;
            let id = tx.last_insert_rowid();
            for o in &r.operations {
                let (text, start, end) = match &o.op {
                    OpText::Body => (None, None, None),
                    OpText::Range { start, end } => (None, Some(*start), Some(*end)),
                    OpText::Converted(t) => (Some(t.as_str()), None, None),
                };
                op.execute(params![
                    id,
                    o.index,
                    o.event,
                    o.person,
                    o.valid,
                    text,
                    start,
                    end,
                    o.violations
                ])?;
            }
            for v in &r.rules {
                rule.execute(params![id, v.code.id()])?;
            }
            ids.push(id);
        }
    }
    // Dropping an uncommitted transaction rolls it back: nothing half-written stays.
    tx.commit()?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &str) -> Record {
        Record {
            request: RequestRow {
                received_at: 0,
                method: "POST".into(),
                path: "/api/v2/entity".into(),
                body: body.into(),
                valid: true,
                status: 200,
                violations: "[]".into(),
            },
            operations: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// Under steady traffic from many callers the WAL keeps being started over, so its
    /// file stays a fraction of what was written (it used to hold all of it).
    #[test]
    fn the_wal_stays_bounded_under_steady_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db");
        let wal = dir.path().join("store.db-wal");
        // Checkpoints from 64 WAL pages (256 KiB) on.
        let store = Store::open_with(Some(&db), 1 << 30, 64).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let body = "x".repeat(16 << 10);
        let (callers, total) = (16u64, 48u64 << 20);
        let each = total / body.len() as u64 / callers;
        let largest = rt.block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..callers {
                let (store, body, wal) = (store.clone(), body.clone(), wal.clone());
                tasks.push(tokio::spawn(async move {
                    let mut largest = 0;
                    for _ in 0..each {
                        store.insert(record(&body)).await.unwrap();
                        let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
                        largest = largest.max(len);
                    }
                    largest
                }));
            }
            let mut largest = 0;
            for t in tasks {
                largest = largest.max(t.await.unwrap());
            }
            largest
        });
        assert!(
            largest < total / 4,
            "the WAL grew to {largest} bytes while {total} were written"
        );
        let stored =
            rt.block_on(store.read(|c| {
                c.query_row("SELECT count(*) FROM requests", [], |r| r.get::<_, i64>(0))
            }))
            .unwrap();
        assert_eq!(stored as u64, callers * each);
    }
}
