//! Streaming: read bounded chunks of lines, check them on every core, report in order.
//!
//! One reader thread fills chunks (at most `chunk_bytes` of lines, a line is never
//! split); workers check whole chunks; the calling thread puts results back in input
//! order and hands violations to the sink. Chunk buffers circulate through a fixed pool,
//! so memory is bounded by `jobs × 3` chunks whatever the input size, and a line longer
//! than [`limits::LINE_BYTES`] is skipped rather than held.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;

use super::record::Worker;
use super::{Summary, Validator, Violation, limits};

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads; 0 = every available core.
    pub jobs: usize,
    /// Target bytes of lines per chunk.
    pub chunk_bytes: usize,
    /// At most this many lines per chunk.
    pub chunk_lines: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 0,
            chunk_bytes: 256 << 10,
            chunk_lines: 4096,
        }
    }
}

impl Options {
    pub fn threads(&self) -> usize {
        if self.jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.jobs
        }
    }
}

/// Open `path` for [`run`]: `-` is stdin, a name ending in `.gz` is gunzipped.
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
        Box::new(BufReader::with_capacity(
            BUF,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(BUF, file)),
        ))
    } else {
        Box::new(BufReader::with_capacity(BUF, file))
    })
}

#[derive(Default)]
struct Chunk {
    seq: u64,
    buf: Vec<u8>,
    lines: Vec<LineRef>,
}

struct LineRef {
    no: u64,
    start: usize,
    end: usize,
    /// Skipped for its size (bytes).
    oversized: Option<usize>,
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
        let start = chunk.buf.len();
        let mut total = 0usize;
        let mut oversized = false;
        let mut any = false;
        loop {
            let avail = match input.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !any {
                    return Ok(true);
                }
                break;
            }
            any = true;
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

fn process(w: &mut Worker<'_>, chunk: &Chunk) -> (Summary, Vec<Violation>) {
    for l in &chunk.lines {
        match l.oversized {
            Some(n) => w.oversized_line(l.no, n),
            None => w.check_line(l.no, &chunk.buf[l.start..l.end]),
        }
    }
    (w.take_summary(), std::mem::take(&mut w.pending))
}

/// Validate every line of `input`, calling `sink` with each violation in input order.
pub fn run<R: BufRead + Send>(
    v: &Validator,
    mut input: R,
    opts: &Options,
    mut sink: impl FnMut(Violation),
) -> io::Result<Summary> {
    let jobs = opts.threads();
    let mut total = Summary::default();
    if jobs <= 1 {
        let mut w = Worker::new(v);
        let mut chunk = Chunk::default();
        let mut line = 0;
        loop {
            let eof = fill(&mut input, &mut chunk, &mut line, opts)?;
            let (s, viol) = process(&mut w, &chunk);
            total.add(s);
            viol.into_iter().for_each(&mut sink);
            if eof {
                return Ok(total);
            }
        }
    }
    let in_flight = jobs * 3;
    let (free_tx, free_rx) = mpsc::sync_channel::<Chunk>(in_flight);
    for _ in 0..in_flight {
        free_tx.send(Chunk::default()).expect("the pool has room");
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(in_flight);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(Chunk, Summary, Vec<Violation>)>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> io::Result<()> {
            let (mut seq, mut line) = (0, 0);
            while let Ok(mut chunk) = free_rx.recv() {
                let eof = fill(&mut input, &mut chunk, &mut line, opts)?;
                if !chunk.lines.is_empty() {
                    chunk.seq = seq;
                    seq += 1;
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
        for _ in 0..jobs {
            let work_rx = &work_rx;
            let done_tx = done_tx.clone();
            // Each worker its own copy: regex caches are then never contended.
            let v = v.clone();
            scope.spawn(move || {
                let mut w = Worker::new(&v);
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(chunk)) = next else { break };
                    let (s, viol) = process(&mut w, &chunk);
                    if done_tx.send((chunk, s, viol)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut next = 0u64;
        let mut waiting = BTreeMap::new();
        for (chunk, s, viol) in done_rx {
            waiting.insert(chunk.seq, (chunk, s, viol));
            while let Some((chunk, s, viol)) = waiting.remove(&next) {
                total.add(s);
                viol.into_iter().for_each(&mut sink);
                let _ = free_tx.send(chunk);
                next += 1;
            }
        }
        drop(free_tx);
        reader.join().expect("the reader does not panic")?;
        Ok(total)
    })
}
