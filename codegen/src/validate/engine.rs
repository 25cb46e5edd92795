//! Streaming: read bounded chunks of lines, check them on every core, report in order.
//!
//! One reader thread fills chunks (at most `chunk_bytes` of lines, a line is never
//! split); workers check whole chunks; the calling thread puts results back in input
//! order and hands violations to the sink. Chunk buffers circulate through a fixed pool
//! of at most [`MAX_IN_FLIGHT`] chunks holding at most about [`IN_FLIGHT_BYTES`], so
//! memory does not grow with the input or `--jobs`; a line longer than
//! [`limits::LINE_BYTES`] is skipped rather than held, and blank lines cost a scan.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use super::promises::{Duplicates, KeyUse};
use super::record::Worker;
use super::{Detail, EventGroup, Omitted, Reported, Summary, Validator, Violation, bounds, limits};

/// The most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;
/// Chunks read ahead of the one being reported, whatever `--jobs` is.
const MAX_IN_FLIGHT: usize = 48;
/// Bytes of input held in chunks at once (one chunk may exceed it by itself: a long line).
const IN_FLIGHT_BYTES: usize = 32 << 20;

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads; 0 = every available core. At most [`MAX_JOBS`].
    pub jobs: usize,
    /// Target bytes of lines per chunk.
    pub chunk_bytes: usize,
    /// At most this many lines per chunk.
    pub chunk_lines: usize,
    /// Which violations are reported in full (the others are counted).
    pub detail: Detail,
    /// The reference time (Unix seconds) replays are judged against, instead of each
    /// line's `received_at` (`--now`).
    pub now: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 0,
            chunk_bytes: 256 << 10,
            chunk_lines: 4096,
            detail: Detail::First(bounds::DEFAULT_MAX_VIOLATIONS),
            now: None,
        }
    }
}

impl Options {
    pub fn threads(&self) -> usize {
        let n = if self.jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.jobs
        };
        n.clamp(1, MAX_JOBS)
    }
}

/// Open `path` for [`run`]: `-` is stdin, a name ending in `.gz` is gunzipped (refusing
/// to inflate past [`bounds::GZ_RATIO`] times its size).
pub fn open_input(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    const BUF: usize = 1 << 16;
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::with_capacity(BUF, io::stdin())));
    }
    let file = File::open(path)?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz {
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            inner: BufReader::with_capacity(BUF, file),
            read: read.clone(),
        };
        Box::new(BufReader::with_capacity(
            BUF,
            Inflated {
                inner: flate2::read::MultiGzDecoder::new(counted),
                compressed: read,
                inflated: 0,
            },
        ))
    } else {
        Box::new(BufReader::with_capacity(BUF, file))
    })
}

/// Counts the compressed bytes the decoder reads.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The decompressed stream, refused when it grows past the ratio a capture can have.
struct Inflated<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    inflated: u64,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        if self.inflated > bounds::GZ_RATIO_AFTER && self.inflated / compressed > bounds::GZ_RATIO {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} compressed bytes inflate to more than {} (over {}x): not a traffic \
                     capture (a decompression bomb?); decompress it yourself and pass the \
                     file or `-` if it is one",
                    compressed,
                    self.inflated,
                    bounds::GZ_RATIO
                ),
            ));
        }
        Ok(n)
    }
}

#[derive(Default)]
struct Chunk {
    seq: u64,
    buf: Vec<u8>,
    lines: Vec<LineRef>,
    /// Bytes charged to the in-flight budget.
    charged: usize,
}

struct LineRef {
    no: u64,
    start: usize,
    end: usize,
    /// Skipped for its size (bytes).
    oversized: Option<usize>,
}

/// Bytes of input in flight: the reader waits while the others hold [`IN_FLIGHT_BYTES`].
struct Budget {
    used: Mutex<usize>,
    freed: Condvar,
}

impl Budget {
    fn acquire(&self, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 && *used + n > IN_FLIGHT_BYTES {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += n;
    }

    fn release(&self, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= n;
        self.freed.notify_all();
    }
}

/// Blank bytes between records: whitespace and newlines are no record, whatever their
/// number (a file of newlines costs a scan, not a line each).
fn is_blank(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | b' ' | b'\t')
}

/// The reader's buffered bytes (empty at the end), retrying interrupted reads.
fn available<R: BufRead>(input: &mut R) -> io::Result<&[u8]> {
    while let Err(e) = input.fill_buf() {
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    input.fill_buf()
}

/// How many bytes `b` starts with that are [`is_blank`]: runs of newlines a word at a time.
fn blank_prefix(b: &[u8]) -> usize {
    const NEWLINES: [u8; 8] = [b'\n'; 8];
    let mut i = 0;
    while b.len() - i >= 8 && b[i..i + 8] == NEWLINES {
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| !is_blank(c))
        .unwrap_or(b.len() - i)
}

/// Fill `chunk` with the next lines; `Ok(true)` at the end of the input.
fn fill<R: BufRead>(
    input: &mut R,
    chunk: &mut Chunk,
    line_no: &mut u64,
    opts: &Options,
) -> io::Result<bool> {
    chunk.buf.clear();
    chunk.lines.clear();
    while chunk.lines.len() < opts.chunk_lines && chunk.buf.len() < opts.chunk_bytes {
        // Skip blank lines in bulk, counting their newlines.
        loop {
            let avail = available(input)?;
            if avail.is_empty() {
                return Ok(true);
            }
            let n = blank_prefix(avail);
            *line_no += memchr::memchr_iter(b'\n', &avail[..n]).count() as u64;
            let record = n < avail.len();
            input.consume(n);
            if record {
                break;
            }
        }
        let start = chunk.buf.len();
        let mut total = 0usize;
        let mut oversized = false;
        loop {
            let avail = available(input)?;
            if avail.is_empty() {
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            total += take;
            if !oversized {
                if total > limits::LINE_BYTES {
                    oversized = true;
                    chunk.buf.truncate(start);
                } else {
                    chunk.buf.extend_from_slice(&avail[..take]);
                }
            }
            input.consume(take);
            if done {
                break;
            }
        }
        *line_no += 1;
        chunk.lines.push(LineRef {
            no: *line_no,
            start,
            end: chunk.buf.len(),
            oversized: oversized.then_some(total),
        });
    }
    Ok(false)
}

/// A chunk's findings, for the sink.
struct Checked {
    summary: Summary,
    kept: Vec<Violation>,
    omitted: Vec<Omitted>,
    keys: Vec<KeyUse>,
}

fn process(w: &mut Worker<'_>, chunk: &Chunk) -> Checked {
    for l in &chunk.lines {
        match l.oversized {
            Some(n) => w.oversized_line(l.no, n),
            None => w.check_line(l.no, &chunk.buf[l.start..l.end]),
        }
    }
    Checked {
        summary: w.take_summary(),
        kept: std::mem::take(&mut w.pending),
        omitted: w.take_omitted(),
        keys: std::mem::take(&mut w.keys),
    }
}

/// Hands checked chunks to the sink in order and notices when [`Detail::First`] has
/// its violations (later chunks then keep none in detail).
/// Idempotency keys are compared here, in input order, across chunks.
struct Deliver<'s, F> {
    sink: F,
    total: Summary,
    kept: usize,
    enough: &'s AtomicBool,
    detail: Detail,
    v: &'s Validator,
    dups: Duplicates,
    /// Duplicate-key violations kept per event ([`Detail::PerGroup`]).
    dups_kept: HashMap<Box<str>, usize>,
}

impl<F: FnMut(Reported)> Deliver<'_, F> {
    fn chunk(&mut self, mut c: Checked) {
        let mut summary = c.summary;
        let mut found = Vec::new();
        for u in c.keys.drain(..) {
            let Some(dup) = self.v.duplicate(&mut self.dups, u, &mut summary) else {
                continue;
            };
            let event: Box<str> = dup.event.as_deref().unwrap_or_default().into();
            let kept = self.dups_kept.entry(event).or_default();
            let keep = match self.detail {
                Detail::First(n) => self.kept + c.kept.len() + found.len() < n,
                Detail::PerGroup(n) => *kept < n,
            };
            if keep {
                *kept += 1;
                found.push(dup);
            } else {
                c.omitted.push(Omitted {
                    event: EventGroup::of(dup.event.as_deref()),
                    code: dup.code,
                    count: 1,
                });
            }
        }
        if !found.is_empty() {
            c.kept.extend(found);
            c.kept.sort_by_key(|v| (v.line, v.index));
        }
        self.total.add(summary);
        self.kept += c.kept.len();
        c.kept
            .into_iter()
            .for_each(|v| (self.sink)(Reported::Violation(v)));
        c.omitted
            .into_iter()
            .for_each(|o| (self.sink)(Reported::Omitted(o)));
        if let Detail::First(n) = self.detail
            && self.kept >= n
        {
            self.enough.store(true, Ordering::Relaxed);
        }
    }
}

/// Validate every line of `input`, handing `sink` the violations in input order: each
/// in full, or counted ([`Reported::Omitted`]) past what `opts.detail` keeps.
///
/// Memory is bounded whatever the input and `jobs`: at most [`MAX_IN_FLIGHT`] chunks and
/// about [`IN_FLIGHT_BYTES`] of input are held, each chunk's findings are bounded by
/// `opts.detail` and [`bounds`], and no more workers start than there are chunks.
pub fn run<R: BufRead + Send>(
    v: &Validator,
    mut input: R,
    opts: &Options,
    sink: impl FnMut(Reported),
) -> io::Result<Summary> {
    let jobs = opts.threads();
    let enough = AtomicBool::new(false);
    let mut out = Deliver {
        sink,
        total: Summary::default(),
        kept: 0,
        enough: &enough,
        detail: opts.detail,
        v,
        dups: Duplicates::default(),
        dups_kept: HashMap::new(),
    };
    let limit = |enough: &AtomicBool| {
        if enough.load(Ordering::Relaxed) {
            0
        } else {
            usize::MAX
        }
    };
    if jobs <= 1 {
        let mut w = Worker::new(v, opts.detail);
        w.set_now(opts.now);
        let mut chunk = Chunk::default();
        let mut line = 0;
        loop {
            let eof = fill(&mut input, &mut chunk, &mut line, opts)?;
            w.set_limit(limit(&enough));
            out.chunk(process(&mut w, &chunk));
            if eof {
                return Ok(out.total);
            }
        }
    }
    let in_flight = (jobs * 3).min(MAX_IN_FLIGHT);
    let (free_tx, free_rx) = mpsc::sync_channel::<Chunk>(in_flight);
    for _ in 0..in_flight {
        free_tx.send(Chunk::default()).expect("the pool has room");
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(in_flight);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(Chunk, Checked)>();
    let budget = Budget {
        used: Mutex::new(0),
        freed: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let (work_rx, budget, enough) = (&work_rx, &budget, &enough);
        let reader = scope.spawn(move || -> io::Result<()> {
            let (mut seq, mut line, mut workers) = (0, 0, 0);
            while let Ok(mut chunk) = free_rx.recv() {
                let eof = fill(&mut input, &mut chunk, &mut line, opts)?;
                if !chunk.lines.is_empty() {
                    chunk.seq = seq;
                    seq += 1;
                    chunk.charged = chunk.buf.capacity();
                    budget.acquire(chunk.charged);
                    // A worker per chunk read, up to `jobs`: a one-line input starts one.
                    if workers < jobs {
                        workers += 1;
                        let done_tx = done_tx.clone();
                        scope.spawn(move || {
                            // Each worker its own copy: regex caches are then never contended.
                            let v = v.clone();
                            let mut w = Worker::new(&v, opts.detail);
                            w.set_now(opts.now);
                            loop {
                                let next = work_rx.lock().map(|rx| rx.recv());
                                let Ok(Ok(chunk)) = next else { break };
                                w.set_limit(limit(enough));
                                let checked = process(&mut w, &chunk);
                                if done_tx.send((chunk, checked)).is_err() {
                                    break;
                                }
                            }
                        });
                    }
                    if work_tx.send(chunk).is_err() {
                        break;
                    }
                }
                if eof {
                    break;
                }
            }
            Ok(())
        });
        let mut next = 0u64;
        let mut waiting = BTreeMap::new();
        for (chunk, checked) in done_rx {
            waiting.insert(chunk.seq, (chunk, checked));
            while let Some((mut chunk, checked)) = waiting.remove(&next) {
                out.chunk(checked);
                budget.release(chunk.charged);
                chunk.charged = 0;
                // A buffer grown by a long line goes back to the usual size.
                if chunk.buf.capacity() > 2 * opts.chunk_bytes {
                    chunk.buf = Vec::new();
                }
                let _ = free_tx.send(chunk);
                next += 1;
            }
        }
        drop(free_tx);
        reader.join().expect("the reader does not panic")?;
        Ok(out.total)
    })
}
