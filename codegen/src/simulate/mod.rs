//! `trackc simulate`: replay captured traffic through the contract's people model —
//! identity, segments over time, workflows, the data promises — and report what would
//! have happened (docs/simulate.md; the meaning of every part is docs/semantics.md).
//!
//! Two phases. **Reading** ([`Simulator::feed_reader`], [`Simulator::feed_line`]; lines
//! are prepared on every core, profiles assigned in input order): every line is judged by
//! the validator first; records it rejects are counted and listed, not simulated. The
//! envelope of the others (who, when, what) comes from the validator's own pass
//! ([`crate::validate::tap`]; [`read`] reads the rarer shapes itself). They become compact
//! records: the profile (an index), the time, the event with one bit per
//! `where` filter set of the contract ([`model`]) instead of its data, and only the
//! attributes a condition reads. **Running** ([`Simulator::finish`]): records in time
//! order, merged with the timers of sliding windows and waiting journeys ([`run`]).
//! Conditions are evaluated by `analysis::eval`, the one definition of what they mean.
//!
//! Memory: per profile (identifiers, attributes read, the latest events that decide each
//! windowed or exit condition, journeys), one run
//! of compact records (the others wait in sorted runs on disk, [`spill`]) and the
//! duplicate keys found ([`duplicates`]: the keys themselves are sorted on disk too); no
//! line or event data is kept.

mod duplicates;
mod model;
mod read;
mod report;
mod run;
mod spill;

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::ir::{EventId, Ir};
use crate::validate::promises::{Fingerprints, Prehashed};
use crate::validate::{Validator, ViolationLevel, bounds as vbounds};
pub use model::{MAX_COUNTED, MAX_FILTERS, ModelError};
pub use read::IdKind;
pub use report::*;

/// What a run keeps besides counts.
pub mod bounds {
    /// Entries of each list in the report (counts stay exact).
    pub const MAX_LISTED: usize = 1000;
    /// Samples of segment membership over time.
    pub const SAMPLES: usize = 48;
    /// Profiles followed; operations for further ones are counted as rejected.
    pub const MAX_PROFILES: usize = 1 << 24;
    /// Operations simulated (held in sorted runs on disk past
    /// [`super::spill::RUN_RECORDS`], about 60 bytes each).
    pub const MAX_OPERATIONS: u64 = 1 << 30;
}

/// `--from` / `--until` (Unix seconds).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Records before it build up the state (history, attributes, membership) but start
    /// no journey and are not counted.
    pub from: Option<i64>,
    /// Records after it are not read; the simulation ends there.
    pub until: Option<i64>,
}

/// Profiles by identifier: one per (kind, value), as Customer.io keeps them.
///
/// Looked up by a 128-bit fingerprint of the (kind, value) pair ([`Who::of`], made by the
/// thread that read the record), so the one thread assigning profiles neither hashes nor
/// compares the texts; they are kept once, to name the profile in reports.
pub(crate) struct Directory {
    fingerprints: Fingerprints,
    by_key: HashMap<u128, u32, BuildHasherDefault<Prehashed>>,
    pub keys: Vec<(IdKind, Box<str>)>,
}

/// An identifier read from a record, with its fingerprint. Its text, clipped to
/// [`vbounds::NAME_CHARS`] as profiles are keyed, is kept in its [`Batch`]'s `texts`
/// (one buffer a chunk of lines, rather than a string each operation).
#[derive(Debug)]
pub(crate) struct Who {
    kind: IdKind,
    fingerprint: u128,
    /// Where the text is in `texts`.
    text: std::ops::Range<usize>,
}

fn fingerprint<'v>(
    fingerprints: &Fingerprints,
    kind: IdKind,
    value: &'v str,
) -> (u128, Cow<'v, str>) {
    let value = vbounds::clip(value, vbounds::NAME_CHARS);
    (fingerprints.of(kind.as_str(), &value), value)
}

impl Who {
    fn of(fingerprints: &Fingerprints, kind: IdKind, value: &str, texts: &mut String) -> Who {
        let (fingerprint, value) = fingerprint(fingerprints, kind, value);
        let start = texts.len();
        texts.push_str(&value);
        Who {
            kind,
            fingerprint,
            text: start..texts.len(),
        }
    }
}

impl Directory {
    fn new(fingerprints: Fingerprints) -> Self {
        Directory {
            fingerprints,
            by_key: HashMap::default(),
            keys: Vec::new(),
        }
    }

    pub fn get(&self, kind: IdKind, value: &str) -> Option<u32> {
        let (fingerprint, _) = fingerprint(&self.fingerprints, kind, value);
        self.by_key.get(&fingerprint).copied()
    }

    /// The profile `who` names (`texts`: its batch's), a new one when it is the first.
    fn intern(&mut self, who: Who, texts: &str) -> Option<u32> {
        if let Some(&i) = self.by_key.get(&who.fingerprint) {
            return Some(i);
        }
        if self.keys.len() >= bounds::MAX_PROFILES {
            return None;
        }
        let i = self.keys.len() as u32;
        self.keys.push((who.kind, Box::from(&texts[who.text])));
        self.by_key.insert(who.fingerprint, i);
        Some(i)
    }

    /// `id:cus_1`, `email:jane@example.com`.
    pub fn show(&self, p: u32) -> String {
        let (k, v) = &self.keys[p as usize];
        format!("{}:{v}", k.as_str())
    }
}

/// One operation, compact.
pub(crate) struct Rec {
    pub time: i64,
    /// When the capture received it ([`NO_TIME`] when unknown).
    pub recv: i64,
    pub line: u64,
    /// Index in a batch ([`u32::MAX`] for none).
    pub index: u32,
    pub person: u32,
    pub body: Body,
}

pub(crate) const NO_TIME: i64 = i64::MIN;

/// An event performed, as the people model keeps it: no data, one bit per `where` filter
/// set it satisfies.
#[derive(Debug)]
pub(crate) struct Performed {
    pub event: EventId,
    pub bits: u64,
    /// Hashes of the event `id` and of the idempotency key (0: none).
    pub id: u64,
    pub key: u64,
    /// `revenue` (NaN: none).
    pub revenue: f64,
}

pub(crate) enum Body {
    Event(Performed),
    Identify(Box<[(u16, Option<Value>)]>),
    /// This profile is merged into the record's person.
    Merge(u32),
    Other,
}

/// Reads lines, then runs them ([`Simulator::finish`]).
///
/// Lines are judged and read in chunks on every core ([`prepare`]: the validator, the
/// envelope, the filter bits); profiles are then assigned in input order on one thread,
/// so the result is the same whatever the number of cores.
pub struct Simulator<'a> {
    model: model::Model<'a>,
    validator: &'a Validator,
    intake: Intake,
    /// Lines waiting to be prepared: their bytes, and (number, start, end).
    buf: Vec<u8>,
    lines: Vec<(u64, usize, usize)>,
    threads: usize,
    /// Take each operation's envelope from the validator's pass ([`crate::validate::tap`])
    /// instead of reading the line again.
    tap: bool,
}

/// What the serial stage keeps: profiles assigned in input order, the compact records.
struct Intake {
    opts: Options,
    dir: Directory,
    recs: spill::Runs<Rec>,
    /// Every use of an idempotency key, for the external pass that finds duplicates.
    keys: duplicates::KeyUses,
    /// The first error writing a sorted run to disk (reported by `finish`).
    spill_error: Option<std::io::Error>,
    report: Report,
    /// The time of the last line that had one (for lines with neither timestamp nor
    /// `received_at`).
    last_time: i64,
    /// Per profile: the latest record time read (out-of-order records).
    latest: Vec<i64>,
}

impl Intake {
    /// A chunk's lines, in input order.
    fn take_batch(&mut self, batch: Batch) {
        let Batch { lines, ops, texts } = batch;
        let mut ops = ops.into_iter();
        for p in lines {
            let n = p.ops;
            self.take_prepared(p, ops.by_ref().take(n), &texts);
        }
    }

    fn take_prepared(&mut self, p: Prepared, ops: impl Iterator<Item = PreOp>, texts: &str) {
        self.report.records += p.records;
        self.report.rejected.count += p.invalid;
        self.report.truncated |= p.cut;
        for r in p.rejected {
            push_listed(
                &mut self.report.rejected.listed,
                &mut self.report.truncated,
                || r,
            );
        }
        for op in ops {
            self.operation(p.line, p.received_at, op, texts);
        }
    }

    fn operation(&mut self, line: u64, received_at: Option<i64>, op: PreOp, texts: &str) {
        let time = op.timestamp.or(received_at).unwrap_or(self.last_time);
        self.last_time = time;
        if self.opts.until.is_some_and(|u| time > u) {
            self.report.after_until += 1;
            return;
        }
        if self.recs.len >= bounds::MAX_OPERATIONS || self.spill_error.is_some() {
            self.report.not_simulated += 1;
            return;
        }
        let Some(who) = op.who else {
            // Taken by Customer.io, seen by no profile: counted and listed, not simulated.
            self.report.unattributed += 1;
            let event = match &op.body {
                PreBody::Event(e) => Some(e.event),
                _ => None,
            };
            let u = Unattributed::new(line, op.index, event);
            push_listed(
                &mut self.report.unattributed_list,
                &mut self.report.truncated,
                || u,
            );
            return;
        };
        let Some(person) = self.dir.intern(who, texts) else {
            // Past the bound of profiles: counted once, as past the bound of operations.
            self.report.not_simulated += 1;
            return;
        };
        let mut extra = None;
        let body = match op.body {
            PreBody::Event(e) => Body::Event(e),
            PreBody::Identify { attrs, anonymous } => {
                if let Some(a) = anonymous
                    && let Some(secondary) = self.dir.intern(a, texts)
                    && secondary != person
                {
                    extra = Some(Body::Merge(secondary));
                }
                Body::Identify(attrs)
            }
            PreBody::Merge(secondary) => match self.dir.intern(secondary, texts) {
                Some(s) if s != person => Body::Merge(s),
                _ => Body::Other,
            },
            PreBody::Other => Body::Other,
        };
        // Out of order: older than what the profile already sent.
        if self.latest.len() <= person as usize {
            self.latest.resize(person as usize + 1, i64::MIN);
        }
        let latest = &mut self.latest[person as usize];
        // Records before `--from` only build up state: not counted.
        if time < *latest && self.opts.from.is_none_or(|f| time >= f) {
            self.report.out_of_order += 1;
            let dir = &self.dir;
            push_listed(
                &mut self.report.out_of_order_list,
                &mut self.report.truncated,
                || OutOfOrder {
                    line,
                    person: dir.show(person),
                    behind: latest.saturating_sub(time),
                },
            );
        }
        *latest = (*latest).max(time);
        self.report.simulated += 1;
        let index = op.index.unwrap_or(u32::MAX);
        let recv = received_at.unwrap_or(NO_TIME);
        if let Body::Event(e) = &body
            && e.key != 0
        {
            let u = duplicates::KeyUse {
                event: e.event.0,
                key: e.key,
                time,
                line,
                index,
                id: e.id,
            };
            if let Err(e) = self.keys.push(u) {
                self.spill_error = Some(e);
            }
        }
        // An identify that names an anonymous id is followed by the merge it makes.
        for body in std::iter::once(body).chain(extra) {
            let rec = Rec {
                time,
                recv,
                line,
                index,
                person,
                body,
            };
            if let Err(e) = self.recs.push(rec) {
                self.spill_error = Some(e);
            }
        }
    }
}

/// Lines prepared per chunk.
const CHUNK_LINES: usize = 8192;
/// Bytes of lines held before a chunk is prepared.
const CHUNK_BYTES: usize = 16 << 20;

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // A fixed hasher: reports are the same on every run.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish().max(1)
}

/// A line judged and read, before profiles are assigned.
#[derive(Debug)]
struct Prepared {
    line: u64,
    records: u64,
    invalid: u64,
    rejected: Vec<RejectedRecord>,
    /// Violations were left out of `rejected` ([`bounds::MAX_LISTED`] a line).
    cut: bool,
    received_at: Option<i64>,
    /// Its operations: the next this many of its batch's.
    ops: usize,
}

/// A chunk of lines judged and read on one thread: a few allocations a chunk, not a few
/// a line, since the thread that takes them in frees them.
#[derive(Debug, Default)]
struct Batch {
    lines: Vec<Prepared>,
    ops: Vec<PreOp>,
    /// The identifiers' texts ([`Who`]).
    texts: String,
}

impl Batch {
    /// One more operation of the line `out`.
    fn push(
        &mut self,
        out: &mut Prepared,
        index: Option<u32>,
        who: Option<Who>,
        timestamp: Option<i64>,
        body: PreBody,
    ) {
        self.ops.push(PreOp {
            index,
            who,
            timestamp,
            body,
        });
        out.ops += 1;
    }
}

#[derive(Debug)]
struct PreOp {
    index: Option<u32>,
    who: Option<Who>,
    timestamp: Option<i64>,
    body: PreBody,
}

#[derive(Debug)]
enum PreBody {
    Event(Performed),
    Identify {
        attrs: Box<[(u16, Option<Value>)]>,
        /// The contract's `anonymous_id` in the attributes: merged into the person.
        anonymous: Option<Who>,
    },
    Merge(Who),
    Other,
}

/// Judge one line with the validator and read the operations it accepts (or that
/// Customer.io accepts all the same, [`accepted`]).
fn prepare(
    m: &model::Model<'_>,
    fingerprints: &Fingerprints,
    judge: &mut crate::validate::LineJudge<'_>,
    line_no: u64,
    text: &[u8],
    batch: &mut Batch,
) {
    let crate::validate::Judged {
        summary,
        violations,
        errors,
        cut,
    } = judge.judge(line_no, text);
    let mut out = Prepared {
        line: line_no,
        records: summary.records,
        invalid: summary.invalid,
        rejected: Vec::new(),
        // Some rejected record of the line may not be listed: the report says it is cut.
        cut,
        received_at: None,
        ops: 0,
    };
    // Operations with an error of their own (a batch's by index; a line's error without
    // index rejects the whole line). Operations whose only errors are about how they are
    // sent (named by email or phone, replayed though the contract forbids it, without an
    // event id) reach Customer.io all the same: they are simulated — the fragmentation,
    // backfill enrolments and double counts this report is for — and listed as rejected.
    // Sorted, so that a batch of a million bad operations costs n log n, not n².
    let mut bad: Vec<Option<u32>> = (errors.iter())
        .filter(|(_, code)| !accepted(*code))
        .map(|&(index, _)| index)
        .collect();
    bad.sort_unstable();
    bad.dedup();
    let is_bad = |index: Option<u32>| bad.binary_search(&index).is_ok();
    let batch_bad = is_bad(None);
    let skip = |index: Option<u32>| is_bad(index) || (batch_bad && index.is_some());
    // Each record listed once, with its first error.
    let mut listed = std::collections::HashSet::new();
    for v in violations {
        if v.level != ViolationLevel::Error || !listed.insert(v.index) {
            continue;
        }
        out.rejected.push(RejectedRecord {
            simulated: !skip(v.index),
            line: v.line,
            index: v.index,
            event: v.event,
            code: v.code,
            message: v.message,
        });
    }
    // Every record rejected and none simulated: nothing to read.
    if summary.invalid == summary.records && (batch_bad || bad.len() as u64 == summary.records) {
        batch.lines.push(out);
        return;
    }
    let text = text.trim_ascii();
    if let Some(tapped) = judge.tapped() {
        // The envelopes as the validator read them (the common shapes, [`crate::validate::tap`]).
        out.received_at = tapped.received_at;
        let part = |r: &std::ops::Range<usize>| std::str::from_utf8(&text[r.clone()]).ok();
        for op in tapped.ops.iter().filter(|op| !skip(op.index)) {
            use crate::validate::tap::What;
            let body = match &op.what {
                What::Event {
                    event: Some(i),
                    handed,
                    data,
                    id,
                    key,
                    revenue,
                } => {
                    let id = id.map_or(0, |h| h.max(1));
                    if *handed {
                        event_body(m, *i, data.as_ref().and_then(part), id)
                    } else {
                        // Neither a filter nor the model reads the data beyond the key and
                        // revenue the validator's promises read.
                        PreBody::Event(Performed {
                            event: EventId(*i as u32),
                            bits: plain_bits(m, *i),
                            id,
                            key: key.as_ref().map_or(0, |k| hash(&tapped.texts[k.clone()])),
                            revenue: revenue.unwrap_or(f64::NAN),
                        })
                    }
                }
                What::Event { event: None, .. } | What::Other => PreBody::Other,
                What::Identify { attributes } => {
                    identify_body(m, fingerprints, attributes.as_ref().and_then(part), batch)
                }
            };
            let who = op.who.as_ref().map(|(k, r)| {
                let kind = IdKind::of(*k);
                Who::of(
                    fingerprints,
                    kind,
                    &tapped.texts[r.clone()],
                    &mut batch.texts,
                )
            });
            batch.push(&mut out, op.index, who, op.timestamp, body);
        }
        batch.lines.push(out);
        return;
    }
    let line = read::line(text);
    out.received_at = line.received_at;
    for op in line.ops.into_iter().filter(|op| !skip(op.index)) {
        let body = match op.what {
            read::What::Event { name, data, id } => {
                match m.ir.events.binary_search_by(|e| e.name.as_str().cmp(&name)) {
                    Ok(i) => {
                        let id = id.as_deref().map_or(0, hash);
                        event_body(m, i, data.map(RawValue::get), id)
                    }
                    Err(_) => PreBody::Other,
                }
            }
            read::What::Identify { attributes } => {
                identify_body(m, fingerprints, attributes.map(RawValue::get), batch)
            }
            read::What::Merge { secondary } => {
                let texts = &mut batch.texts;
                PreBody::Merge(Who::of(
                    fingerprints,
                    secondary.kind,
                    &secondary.value,
                    texts,
                ))
            }
            read::What::Other => PreBody::Other,
        };
        let who = op
            .who
            .map(|w| Who::of(fingerprints, w.kind, &w.value, &mut batch.texts));
        batch.push(&mut out, op.index, who, op.timestamp, body);
    }
    batch.lines.push(out);
}

/// The filter bits of event `i` when no filter reads its data.
fn plain_bits(m: &model::Model<'_>, i: usize) -> u64 {
    if m.read[i] {
        m.bits(EventId(i as u32), &Value::Null)
    } else {
        0
    }
}

/// An event record of contract event `i` (its data as sent; `id`: its event id hashed).
fn event_body(m: &model::Model<'_>, i: usize, data: Option<&str>, id: u64) -> PreBody {
    let (bits, key, revenue) = event_data(m, i, data);
    // The key as validate keeps it: a scalar's canonical JSON, clipped.
    let key = key
        .filter(|v| !(v.is_null() || v.is_object() || v.is_array()))
        .map_or(0, |v| {
            hash(&vbounds::clip(&v.to_string(), vbounds::NAME_CHARS))
        });
    PreBody::Event(Performed {
        event: EventId(i as u32),
        bits,
        id,
        key,
        revenue: revenue.unwrap_or(f64::NAN),
    })
}

/// A member's JSON text as a value (`null` when it is not JSON).
fn value_of(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}

/// An identify record: the attributes the model reads (of `attributes`, as sent), and
/// the contract's `anonymous_id` among them.
fn identify_body(
    m: &model::Model<'_>,
    fingerprints: &Fingerprints,
    attributes: Option<&str>,
    batch: &mut Batch,
) -> PreBody {
    let names = &m.identify_names;
    let mut raw = vec![None; names.len()];
    if let Some(a) = attributes {
        read::pick(a, names, &mut raw);
    }
    // A string, or a number as its JSON text, as identifiers are read.
    let anonymous = read::text_of(raw[m.slots.len()..].first().copied().flatten())
        .map(|a| Who::of(fingerprints, IdKind::Anonymous, &a, &mut batch.texts));
    let kept: Vec<(u16, Option<Value>)> = (raw[..m.slots.len()].iter().enumerate())
        .filter_map(|(slot, r)| {
            let v = value_of((*r)?);
            Some((slot as u16, (!v.is_null()).then_some(v)))
        })
        .collect();
    PreBody::Identify {
        attrs: kept.into(),
        anonymous,
    }
}

/// Of an event record's data (event `i`), what the people model keeps: the filter bits,
/// the idempotency key's value and `revenue`. Only the members the contract reads are
/// parsed ([`model::DataPick`]); the data is built whole only when a filter reads the
/// data itself or it is no object (a filter steps through an array).
fn event_data(
    m: &model::Model<'_>,
    i: usize,
    data: Option<&str>,
) -> (u64, Option<Value>, Option<f64>) {
    let event = EventId(i as u32);
    let pick = &m.picks[i];
    let whole = |data: Option<&str>| {
        let data = data.map_or(Value::Null, value_of);
        let get = |name: Option<&str>| name.and_then(|n| data.get(n));
        let key = get(pick.key.then(|| pick.names[1])).cloned();
        let revenue = get(Some("revenue")).and_then(Value::as_f64);
        (m.bits(event, &data), key, revenue)
    };
    if m.filtered[i] {
        if pick.whole {
            return whole(data);
        }
        let Some(d) = data else { return whole(data) };
        let mut raw = vec![None; pick.names.len()];
        if !read::pick(d, &pick.names, &mut raw) {
            return whole(data);
        }
        // The members the filters start from (and the key), as an object of their own:
        // the filters reach the same values in it as in the whole data.
        let part: serde_json::Map<String, Value> = (pick.names[1..].iter().zip(&raw[1..]))
            .filter_map(|(n, r)| Some(((*n).to_owned(), value_of((*r)?))))
            .collect();
        let part = Value::Object(part);
        let key = pick.key.then(|| part.get(pick.names[1]).cloned()).flatten();
        let revenue = raw[0].map(value_of).as_ref().and_then(Value::as_f64);
        return (m.bits(event, &part), key, revenue);
    }
    let bits = plain_bits(m, i);
    // Without a filter, the key and the revenue are read only for an event with a key.
    match data {
        Some(d) if pick.key => {
            let mut raw = [None; 2];
            read::pick(d, &pick.names[..2], &mut raw);
            let key = raw[1].map(value_of);
            let revenue = raw[0].map(value_of).as_ref().and_then(Value::as_f64);
            (bits, key, revenue)
        }
        _ => (bits, None, None),
    }
}

impl<'a> Simulator<'a> {
    pub fn new(ir: &'a Ir, validator: &'a Validator, opts: Options) -> Result<Self, ModelError> {
        Ok(Simulator {
            model: model::Model::new(ir)?,
            validator,
            intake: Intake {
                opts,
                dir: Directory::new(validator.fingerprints.clone()),
                recs: spill::Runs::default(),
                keys: duplicates::KeyUses::default(),
                spill_error: None,
                report: Report::default(),
                last_time: 0,
                latest: Vec::new(),
            },
            buf: Vec::new(),
            lines: Vec::new(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            tap: true,
        })
    }

    /// Read every line again instead of taking the envelopes from the validator's pass
    /// (tests compare both).
    #[doc(hidden)]
    pub fn set_tap(&mut self, on: bool) {
        self.tap = on;
    }

    /// Records held in memory before a time-sorted run goes to disk (default
    /// [`spill::RUN_RECORDS`]); tests make it small to compare both paths.
    #[doc(hidden)]
    pub fn set_run_records(&mut self, n: usize) {
        self.intake.recs.run_records = n.max(1);
        self.intake.keys.run_records = n.max(1);
    }

    /// Prepare chunks on this many threads (default: every core).
    pub fn set_threads(&mut self, n: usize) {
        self.threads = n.clamp(1, crate::validate::MAX_JOBS);
    }

    /// Read every line of `input`, numbering them from `first_line` (1-based); returns the
    /// number of the last line read. Pipelined like `validate::run`: one thread reads
    /// chunks of lines, the others prepare them, this one takes them in input order. A
    /// line longer than [`crate::validate::limits::LINE_BYTES`] is not held: its start is
    /// judged (no JSON, so rejected) and the rest skipped.
    pub fn feed_reader<R: std::io::BufRead + Send>(
        &mut self,
        mut input: R,
        first_line: u64,
    ) -> std::io::Result<u64> {
        use std::io::BufRead as _;
        use std::sync::{Mutex, mpsc};
        self.flush();
        type Chunk = (u64, Vec<u8>, Vec<(u64, usize, usize)>);
        let workers = self.threads.max(1);
        let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(workers * 2);
        let work_rx = Mutex::new(work_rx);
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Batch)>(workers * 2);
        let (m, v, intake, tap) = (&self.model, self.validator, &mut self.intake, self.tap);
        std::thread::scope(|scope| {
            let reader = scope.spawn(move || -> std::io::Result<u64> {
                let max = crate::validate::limits::LINE_BYTES;
                let (mut no, mut seq) = (first_line.saturating_sub(1), 0u64);
                let mut chunk: Chunk = (0, Vec::new(), Vec::new());
                loop {
                    let start = chunk.1.len();
                    let n = std::io::Read::take(&mut input, max as u64 + 1)
                        .read_until(b'\n', &mut chunk.1)?;
                    if n == 0 {
                        break;
                    }
                    no += 1;
                    if chunk.1.len() - start > max && chunk.1.last() != Some(&b'\n') {
                        skip_line(&mut input)?;
                    }
                    if !chunk.1[start..].trim_ascii().is_empty() {
                        chunk.2.push((no, start, chunk.1.len()));
                    } else {
                        chunk.1.truncate(start);
                    }
                    if chunk.2.len() >= CHUNK_LINES / 4 || chunk.1.len() >= CHUNK_BYTES / 4 {
                        chunk.0 = seq;
                        seq += 1;
                        if work_tx.send(std::mem::take(&mut chunk)).is_err() {
                            break;
                        }
                    }
                }
                if !chunk.2.is_empty() {
                    chunk.0 = seq;
                    let _ = work_tx.send(chunk);
                }
                Ok(no)
            });
            for _ in 0..workers {
                let (work_rx, done_tx) = (&work_rx, done_tx.clone());
                scope.spawn(move || {
                    let mut judge = line_judge(m, v, tap);
                    loop {
                        let next = work_rx.lock().map(|rx| rx.recv());
                        let Ok(Ok((seq, buf, lines))) = next else {
                            break;
                        };
                        let mut batch = Batch::default();
                        for &(n, a, b) in &lines {
                            prepare(m, &v.fingerprints, &mut judge, n, &buf[a..b], &mut batch);
                        }
                        if done_tx.send((seq, batch)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            // In input order, whatever order the workers finish in.
            let mut waiting = std::collections::BTreeMap::new();
            let mut next = 0u64;
            for (seq, batch) in done_rx {
                waiting.insert(seq, batch);
                while let Some(b) = waiting.remove(&next) {
                    intake.take_batch(b);
                    next += 1;
                }
            }
            reader.join().expect("the reader does not panic")
        })
    }

    /// Read one line (numbered `line_no`, 1-based; numbers must increase).
    pub fn feed_line(&mut self, line_no: u64, text: &[u8]) {
        if text.trim_ascii().is_empty() {
            return;
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(text);
        self.lines.push((line_no, start, self.buf.len()));
        if self.lines.len() >= CHUNK_LINES || self.buf.len() >= CHUNK_BYTES {
            self.flush();
        }
    }

    /// Prepare the waiting lines (in parallel) and take them in, in order.
    fn flush(&mut self) {
        let lines = std::mem::take(&mut self.lines);
        let buf = std::mem::take(&mut self.buf);
        let (m, v, tap) = (&self.model, self.validator, self.tap);
        let one = |part: &[(u64, usize, usize)]| -> Batch {
            let mut judge = line_judge(m, v, tap);
            let mut batch = Batch::default();
            for &(n, a, b) in part {
                prepare(m, &v.fingerprints, &mut judge, n, &buf[a..b], &mut batch);
            }
            batch
        };
        let parts = self.threads.min(lines.len().div_ceil(256)).max(1);
        let prepared: Vec<Batch> = if parts == 1 {
            vec![one(&lines)]
        } else {
            let size = lines.len().div_ceil(parts);
            std::thread::scope(|scope| {
                let handles: Vec<_> = lines
                    .chunks(size)
                    .map(|part| scope.spawn(move || one(part)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("preparing a line does not panic"))
                    .collect()
            })
        };
        for b in prepared {
            self.intake.take_batch(b);
        }
        // Keep the buffers' capacity for the next chunk.
        self.buf = buf;
        self.buf.clear();
        self.lines = lines;
        self.lines.clear();
    }

    /// Run the records read, in time order, and report.
    /// The report; an error when the sorted runs could not be written to or read back
    /// from the temporary directory (a full disk).
    pub fn finish(mut self) -> std::io::Result<Report> {
        self.flush();
        if let Some(e) = self.intake.spill_error.take() {
            return Err(e);
        }
        run::run(self)
    }
}

/// A validator worker for one preparing thread, handing over the envelopes when `tap`.
fn line_judge<'v>(
    m: &model::Model<'_>,
    v: &'v Validator,
    tap: bool,
) -> crate::validate::LineJudge<'v> {
    // Past a line's first violations the rest are only counted: no more are listed.
    let mut judge = v.line_judge(bounds::MAX_LISTED);
    if tap {
        // Both list the contract's events in name order.
        debug_assert!(
            v.event_names()
                .eq(m.ir.events.iter().map(|e| e.name.as_str()))
        );
        judge.set_tap(v.tap(|i| m.filtered[i], !m.identify_names.is_empty()));
    }
    judge
}

/// Violations of records Customer.io accepts all the same: about how the record is sent,
/// not what it says.
fn accepted(code: crate::rules::TrafficRule) -> bool {
    use crate::validate::codes;
    [
        codes::IDENTIFIED_BY_EMAIL,
        codes::IDENTIFIED_BY_PHONE,
        codes::FORBIDDEN_BACKFILL,
        codes::MISSING_EVENT_ID,
    ]
    .contains(&code)
}

/// Skip the rest of an over-long line.
fn skip_line<R: std::io::BufRead>(input: &mut R) -> std::io::Result<()> {
    loop {
        let avail = input.fill_buf()?;
        if avail.is_empty() {
            return Ok(());
        }
        match avail.iter().position(|&c| c == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = avail.len();
                input.consume(n);
            }
        }
    }
}

/// Push the item `make` builds while `list` has room, else mark the report truncated: an
/// item past the bound is never built (naming a person formats a string).
pub(crate) fn push_listed<T>(list: &mut Vec<T>, truncated: &mut bool, make: impl FnOnce() -> T) {
    if list.len() < bounds::MAX_LISTED {
        list.push(make());
    } else {
        *truncated = true;
    }
}

#[cfg(test)]
mod readers_agree;
#[cfg(test)]
mod tests;
