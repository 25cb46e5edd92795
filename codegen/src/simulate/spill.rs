//! Sorting without holding everything: items ([`RunItem`]: the records, for time order,
//! and the uses of idempotency keys, for `duplicates`) are sorted in runs of at most
//! [`RUN_RECORDS`]; every full run is written to a temporary file (removed when the run
//! ends), and the runs are merged k-way as the people model reads them. Memory holds one
//! run and a buffered reader per spilled run, whatever the number of records; the files
//! hold about 60 bytes a record.
//!
//! Open files stay bounded too: runs are merged in tiers, as an LSM tree compacts, so that
//! no more than [`FAN_IN`] − 1 runs of each tier wait on disk (each holds a file open):
//! [`FAN_IN`] runs of one tier are merged into one run of the next as soon as they exist.
//! A billion records make about 4,000 first-tier runs but keep at most ~130 files open,
//! and each record is rewritten once per tier (two tiers up to ~1 billion records).
//!
//! Order: by (time, line, index in a batch), ties (an identify and the merge it makes)
//! in the order they were pushed: a stable sort within a run, the earlier run first
//! across runs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufReader, BufWriter, Read, Write};

use serde_json::Value;

use super::{Body, Performed, Rec};
use crate::ir::EventId;

/// Items a run holds before it is sorted and written out (a record is about 80 bytes in
/// memory, a key use 40).
pub(crate) const RUN_RECORDS: usize = 1 << 18;

/// Runs of one tier merged into one run of the next (and the most runs a tier keeps).
pub(crate) const FAN_IN: usize = 64;

/// What can be sorted in runs on disk: its order, and how it is written to and read back
/// from a run file. Records ([`Rec`]) and the uses of idempotency keys
/// ([`super::duplicates::KeyUse`]) share one external sort.
pub(crate) trait RunItem: Sized {
    type Key: Ord + Copy;
    /// The prefix of its run files' names.
    const FILE_PREFIX: &'static str;
    fn key(&self) -> Self::Key;
    fn write(&self, w: &mut impl Write) -> io::Result<()>;
    /// The next item of a run, or `None` at its end.
    fn read(r: &mut impl Read) -> io::Result<Option<Self>>;
}

/// Items pushed in any order, given back in key order by [`Runs::into_sorted`].
pub(crate) struct Runs<T: RunItem> {
    /// Items held before a run is written ([`RUN_RECORDS`]; smaller in tests).
    pub run_records: usize,
    /// Runs of one tier merged into one of the next ([`FAN_IN`]; smaller in tests).
    pub fan_in: usize,
    held: Vec<T>,
    /// Runs on disk, oldest first; their tiers never increase along the list, so the
    /// newest runs of the lowest tier are always at its end.
    spilled: Vec<Spilled>,
    /// Items pushed in all.
    pub len: u64,
    /// The least and greatest key pushed.
    pub least: Option<T::Key>,
    pub greatest: Option<T::Key>,
}

impl<T: RunItem> Default for Runs<T> {
    fn default() -> Self {
        Runs {
            run_records: RUN_RECORDS,
            fan_in: FAN_IN,
            held: Vec::new(),
            spilled: Vec::new(),
            len: 0,
            least: None,
            greatest: None,
        }
    }
}

impl<T: RunItem> Runs<T> {
    pub fn push(&mut self, item: T) -> io::Result<()> {
        let k = item.key();
        self.len += 1;
        self.least = Some(self.least.map_or(k, |l| l.min(k)));
        self.greatest = Some(self.greatest.map_or(k, |g| g.max(k)));
        self.held.push(item);
        if self.held.len() >= self.run_records {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        sort(&mut self.held);
        let file = tempfile::Builder::new().prefix(T::FILE_PREFIX).tempfile()?;
        let mut w = BufWriter::new(file.as_file());
        for item in self.held.drain(..) {
            item.write(&mut w)?;
        }
        w.flush()?;
        drop(w);
        self.spilled.push(Spilled { tier: 0, file });
        self.compact()
    }

    /// Merges the newest [`Self::fan_in`] runs into one of the next tier while they are
    /// all of one tier. They are the newest runs, so the merged run keeps their place in
    /// the age order (ties still come out in push order).
    fn compact(&mut self) -> io::Result<()> {
        let fan_in = self.fan_in.max(2);
        while self.spilled.len() >= fan_in {
            let start = self.spilled.len() - fan_in;
            let tier = self.spilled[start].tier;
            if self.spilled[start..].iter().any(|r| r.tier != tier) {
                break;
            }
            let group: Vec<_> = self.spilled.drain(start..).map(|r| r.file).collect();
            let mut merged: Sorted<T> = Sorted::new(open_runs(group)?)?;
            let file = tempfile::Builder::new().prefix(T::FILE_PREFIX).tempfile()?;
            let mut w = BufWriter::new(file.as_file());
            while let Some(item) = merged.next()? {
                item.write(&mut w)?;
            }
            w.flush()?;
            drop(w);
            self.spilled.push(Spilled {
                tier: tier + 1,
                file,
            });
        }
        Ok(())
    }

    /// How many runs are on disk now (for tests of the spilling itself).
    #[cfg(test)]
    pub fn spilled_runs(&self) -> usize {
        self.spilled.len()
    }

    /// Every item pushed, in key order.
    pub fn into_sorted(mut self) -> io::Result<Sorted<T>> {
        sort(&mut self.held);
        let files = self.spilled.into_iter().map(|r| r.file).collect();
        let mut sources = open_runs(files)?;
        sources.push(Source::Held(self.held.into_iter()));
        Sorted::new(sources)
    }
}

/// A run on disk and its tier (0: sorted from memory; n + 1: merged from runs of tier n).
struct Spilled {
    tier: u32,
    file: tempfile::NamedTempFile,
}

/// Spilled runs opened for reading, in order, their files removed (an open reader keeps
/// a file's data until it is dropped).
fn open_runs<T: RunItem>(runs: Vec<tempfile::NamedTempFile>) -> io::Result<Vec<Source<T>>> {
    runs.into_iter()
        .map(|f| {
            let reader = BufReader::with_capacity(64 << 10, f.reopen()?);
            f.close()?;
            Ok(Source::File(reader))
        })
        .collect()
}

/// What orders records: time, line, index in a batch.
type Key = (i64, u64, u32);

fn sort<T: RunItem>(items: &mut [T]) {
    // Stable: an identify stays before the merge it makes (same key).
    items.sort_by_key(T::key);
}

enum Source<T> {
    File(BufReader<std::fs::File>),
    Held(std::vec::IntoIter<T>),
}

impl<T: RunItem> Source<T> {
    fn next(&mut self) -> io::Result<Option<T>> {
        match self {
            Source::Held(it) => Ok(it.next()),
            Source::File(r) => T::read(r),
        }
    }
}

/// The k-way merge of the runs.
pub(crate) struct Sorted<T: RunItem> {
    sources: Vec<Source<T>>,
    heads: Vec<Option<T>>,
    /// The head of each source, by key then source (the earlier run first on ties).
    heap: BinaryHeap<Reverse<(T::Key, usize)>>,
}

impl<T: RunItem> Sorted<T> {
    /// The merge of `sources`, given oldest first.
    fn new(mut sources: Vec<Source<T>>) -> io::Result<Self> {
        let mut heads = Vec::with_capacity(sources.len());
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            let head = s.next()?;
            if let Some(item) = &head {
                heap.push(Reverse((item.key(), i)));
            }
            heads.push(head);
        }
        Ok(Sorted {
            sources,
            heads,
            heap,
        })
    }

    pub fn next(&mut self) -> io::Result<Option<T>> {
        let Some(Reverse((_, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let item = self.heads[i].take();
        let next = self.sources[i].next()?;
        if let Some(n) = &next {
            self.heap.push(Reverse((n.key(), i)));
        }
        self.heads[i] = next;
        Ok(item)
    }
}

impl RunItem for Rec {
    type Key = Key;
    const FILE_PREFIX: &'static str = "trackc-simulate-";

    fn key(&self) -> Key {
        (self.time, self.line, self.index)
    }

    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        write_rec(w, self)
    }

    fn read(r: &mut impl Read) -> io::Result<Option<Rec>> {
        read_rec(r)
    }
}

fn write_rec(w: &mut impl Write, r: &Rec) -> io::Result<()> {
    w.write_all(&r.time.to_le_bytes())?;
    w.write_all(&r.recv.to_le_bytes())?;
    w.write_all(&r.line.to_le_bytes())?;
    w.write_all(&r.index.to_le_bytes())?;
    w.write_all(&r.person.to_le_bytes())?;
    match &r.body {
        Body::Event(p) => {
            w.write_all(&[0])?;
            w.write_all(&p.event.0.to_le_bytes())?;
            w.write_all(&p.bits.to_le_bytes())?;
            w.write_all(&p.id.to_le_bytes())?;
            w.write_all(&p.key.to_le_bytes())?;
            w.write_all(&p.revenue.to_bits().to_le_bytes())?;
        }
        Body::Identify(attrs) => {
            w.write_all(&[1])?;
            w.write_all(&(attrs.len() as u32).to_le_bytes())?;
            for (a, v) in attrs.iter() {
                w.write_all(&a.to_le_bytes())?;
                match v {
                    None => w.write_all(&[0])?,
                    Some(v) => {
                        let text = serde_json::to_vec(v)?;
                        w.write_all(&[1])?;
                        w.write_all(&(text.len() as u32).to_le_bytes())?;
                        w.write_all(&text)?;
                    }
                }
            }
        }
        Body::Merge(p) => {
            w.write_all(&[2])?;
            w.write_all(&p.to_le_bytes())?;
        }
        Body::Other => w.write_all(&[3])?,
    }
    Ok(())
}

fn bytes<const N: usize>(r: &mut impl Read) -> io::Result<[u8; N]> {
    let mut b = [0; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

/// The next record of a run, or `None` at its end.
fn read_rec(r: &mut impl Read) -> io::Result<Option<Rec>> {
    let mut first = [0u8; 8];
    // A run ends exactly between records.
    match r.read(&mut first[..1])? {
        0 => return Ok(None),
        _ => r.read_exact(&mut first[1..])?,
    }
    let time = i64::from_le_bytes(first);
    let recv = i64::from_le_bytes(bytes(r)?);
    let line = u64::from_le_bytes(bytes(r)?);
    let index = u32::from_le_bytes(bytes(r)?);
    let person = u32::from_le_bytes(bytes(r)?);
    let body = match bytes::<1>(r)?[0] {
        0 => Body::Event(Performed {
            event: EventId(u32::from_le_bytes(bytes(r)?)),
            bits: u64::from_le_bytes(bytes(r)?),
            id: u64::from_le_bytes(bytes(r)?),
            key: u64::from_le_bytes(bytes(r)?),
            revenue: f64::from_bits(u64::from_le_bytes(bytes(r)?)),
        }),
        1 => {
            let n = u32::from_le_bytes(bytes(r)?) as usize;
            let mut attrs = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                let a = u16::from_le_bytes(bytes(r)?);
                let v = match bytes::<1>(r)?[0] {
                    0 => None,
                    _ => {
                        let len = u32::from_le_bytes(bytes(r)?) as usize;
                        let mut text = vec![0; len];
                        r.read_exact(&mut text)?;
                        Some(serde_json::from_slice::<Value>(&text)?)
                    }
                };
                attrs.push((a, v));
            }
            Body::Identify(attrs.into_boxed_slice())
        }
        2 => Body::Merge(u32::from_le_bytes(bytes(r)?)),
        3 => Body::Other,
        t => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a simulate run file holds an unknown record kind {t}"),
            ));
        }
    };
    Ok(Some(Rec {
        time,
        recv,
        line,
        index,
        person,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(time: i64, line: u64, body: Body) -> Rec {
        Rec {
            time,
            recv: time + 1,
            line,
            index: u32::MAX,
            person: line as u32,
            body,
        }
    }

    /// Many runs (three spilled and a held one) give back exactly the records of an
    /// in-memory stable sort, bodies included, ties in push order.
    #[test]
    fn spilled_runs_merge_into_the_in_memory_order() {
        let most = merge_matches_memory(3 * RUN_RECORDS + 1234, RUN_RECORDS, FAN_IN);
        assert_eq!(most, 3);
    }

    /// Runs merged in tiers (fan-in 4, runs of 16: 1,000 runs, three tiers) keep that
    /// order, and never more than 3 runs of each tier wait on disk.
    #[test]
    fn tiers_of_merged_runs_keep_the_order_and_few_files() {
        let most = merge_matches_memory(16_000 + 7, 16, 4);
        // 1,000 runs = 3 tiers of merges (4, 16, 64, 256 runs each): at most 3 waiting
        // in each of tiers 0..=4, and one more being written.
        assert!(most <= 3 * 5 + 1, "{most} runs on disk at once");
        // Without the tiers it would have been 1,000.
        assert!(most >= 4);
    }

    /// Pushes `n` records in runs of `run_records` merged `fan_in` at a time, checks the
    /// merge against an in-memory stable sort and returns the most runs on disk at once.
    fn merge_matches_memory(n: usize, run_records: usize, fan_in: usize) -> usize {
        let body = |i: usize| match i % 4 {
            0 => Body::Event(Performed {
                event: EventId(i as u32 % 7),
                bits: i as u64 * 31,
                id: i as u64,
                key: i as u64 ^ 5,
                revenue: if i.is_multiple_of(8) {
                    f64::NAN
                } else {
                    i as f64 / 3.0
                },
            }),
            1 => Body::Identify(
                vec![(3, Some(serde_json::json!({"a": [i, "x"]}))), (9, None)].into_boxed_slice(),
            ),
            2 => Body::Merge(i as u32),
            _ => Body::Other,
        };
        // Times in a few values so that ties across runs are common; each line pushed
        // twice (an identify and its merge share a key).
        let make = |i: usize| rec((((i / 2) * 7919) % 97) as i64, (i / 2) as u64, body(i));
        let mut runs = Runs {
            run_records,
            fan_in,
            ..Runs::default()
        };
        let mut want: Vec<Rec> = Vec::new();
        let mut most = 0;
        for i in 0..n {
            runs.push(make(i)).unwrap();
            want.push(make(i));
            most = most.max(runs.spilled.len());
        }
        assert_eq!(runs.len, n as u64);
        sort(&mut want);
        let mut got = runs.into_sorted().unwrap();
        let show = |r: &Rec| {
            let body = match &r.body {
                Body::Event(p) => format!(
                    "e{} {} {} {} {}",
                    p.event.0,
                    p.bits,
                    p.id,
                    p.key,
                    p.revenue.to_bits()
                ),
                Body::Identify(a) => format!("i{a:?}"),
                Body::Merge(p) => format!("m{p}"),
                Body::Other => "o".into(),
            };
            format!(
                "{} {} {} {} {} {body}",
                r.time, r.recv, r.line, r.index, r.person
            )
        };
        for w in &want {
            let g = got.next().unwrap().expect("as many records as pushed");
            assert_eq!(show(&g), show(w));
        }
        assert!(got.next().unwrap().is_none());
        most
    }
}
