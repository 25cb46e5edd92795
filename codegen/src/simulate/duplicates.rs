//! Duplicate idempotency keys, found without holding every key: each use of a key (the
//! event, a hash of the key, the record's place in time order and a hash of its event
//! id, 40 bytes) is sorted by key in runs on disk, by the records' own external sort
//! ([`super::spill::Runs`]); merging the runs brings every key's uses together, earliest first,
//! and only the verdicts on its second and later uses are kept ([`Verdicts`]): memory
//! grows with the duplicates found, not with the keys.
//!
//! The verdicts are those of a pass over the records in time order that remembers each
//! key's first use (docs/simulate.md, "Data promises"): a later use under another event
//! id — or when either has none — is a duplicate of the first; one that repeats the first
//! use's event id is a retry, which Customer.io keeps once (the record is not simulated).

use std::collections::HashMap;
use std::io::{self, Read, Write};

use super::spill::{RunItem, Runs};

/// One record's use of an idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyUse {
    pub event: u32,
    /// Hash of the key's canonical JSON (never 0).
    pub key: u64,
    /// The record's place in time order: (time, line, index in a batch). Unique for an
    /// event record (a line holds one operation per index).
    pub time: i64,
    pub line: u64,
    pub index: u32,
    /// Hash of the event `id` (0: none).
    pub id: u64,
}

/// Runs sort by key, then time order: a key's first use comes first.
type Order = (u32, u64, i64, u64, u32);

const USE_BYTES: usize = 40;

impl RunItem for KeyUse {
    type Key = Order;
    const FILE_PREFIX: &'static str = "trackc-simulate-keys-";

    fn key(&self) -> Order {
        (self.event, self.key, self.time, self.line, self.index)
    }

    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        let mut b = [0u8; USE_BYTES];
        b[0..4].copy_from_slice(&self.event.to_le_bytes());
        b[4..12].copy_from_slice(&self.key.to_le_bytes());
        b[12..20].copy_from_slice(&self.time.to_le_bytes());
        b[20..28].copy_from_slice(&self.line.to_le_bytes());
        b[28..32].copy_from_slice(&self.index.to_le_bytes());
        b[32..40].copy_from_slice(&self.id.to_le_bytes());
        w.write_all(&b)
    }

    fn read(r: &mut impl Read) -> io::Result<Option<KeyUse>> {
        let mut b = [0u8; USE_BYTES];
        // A run ends exactly between uses.
        if r.read(&mut b[..1])? == 0 {
            return Ok(None);
        }
        r.read_exact(&mut b[1..])?;
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Ok(Some(KeyUse {
            event: u32_at(0),
            key: u64_at(4),
            time: u64_at(12) as i64,
            line: u64_at(20),
            index: u32_at(28),
            id: u64_at(32),
        }))
    }
}

/// What the time-ordered run does with a record (by line and index in a batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A second use under another event id: counted and listed, naming the first line;
    /// then simulated like any record.
    Duplicate { first_line: u64 },
    /// A resend with the first use's event id: Customer.io keeps one, so it is skipped.
    Retry,
}

/// Verdicts by (line, index in a batch): only for second and later uses.
pub(crate) type Verdicts = HashMap<(u64, u32), Verdict>;

/// Key uses pushed in any order ([`verdicts`]); their order is unique (one use per
/// record), so the sort's tie rule never applies.
pub(crate) type KeyUses = Runs<KeyUse>;

/// The verdicts on every second and later use of a key; the runs' files are removed.
pub(crate) fn verdicts(uses: KeyUses) -> io::Result<Verdicts> {
    let mut sorted = uses.into_sorted()?;
    let mut verdicts = Verdicts::new();
    // The current key and its first use: (event, key), (line, id).
    let mut first: Option<((u32, u64), (u64, u64))> = None;
    while let Some(u) = sorted.next()? {
        match first {
            Some((k, (first_line, first_id))) if k == (u.event, u.key) => {
                let v = if first_id != 0 && first_id == u.id {
                    Verdict::Retry
                } else {
                    Verdict::Duplicate { first_line }
                };
                verdicts.insert((u.line, u.index), v);
            }
            _ => first = Some(((u.event, u.key), (u.line, u.id))),
        }
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The external pass gives the verdicts of the in-memory first-use map, over many
    /// spilled runs, with ties in time broken by line and index.
    #[test]
    fn spilled_runs_give_the_first_use_verdicts() {
        // Uses in input order; times jump about so that time order differs from it.
        let uses: Vec<KeyUse> = (0..5000u64)
            .map(|i| KeyUse {
                event: (i % 3) as u32,
                key: 1 + i * 7 % 401,
                time: ((i * 7919) % 113) as i64,
                line: i / 2 + 1,
                index: (i % 2) as u32,
                // Uses of one key are 1,203 apart: every other one repeats an id.
                id: if i % 5 == 0 { 0 } else { 1 + (i / 1203) % 2 },
            })
            .collect();
        let mut want = Verdicts::new();
        let mut by_time = uses.clone();
        by_time.sort_by_key(|u| (u.time, u.line, u.index));
        let mut firsts: HashMap<(u32, u64), (u64, u64)> = HashMap::new();
        for u in &by_time {
            match firsts.get(&(u.event, u.key)) {
                None => {
                    firsts.insert((u.event, u.key), (u.line, u.id));
                }
                Some(&(first_line, first_id)) => {
                    let v = if first_id != 0 && first_id == u.id {
                        Verdict::Retry
                    } else {
                        Verdict::Duplicate { first_line }
                    };
                    want.insert((u.line, u.index), v);
                }
            }
        }
        assert!(want.values().any(|v| *v == Verdict::Retry));
        for run in [usize::MAX, 997, 64] {
            let mut k = KeyUses::default();
            k.run_records = run;
            for u in &uses {
                k.push(*u).unwrap();
            }
            // Runs of 64: 78 runs, the first 64 merged into one of the next tier.
            let on_disk = match run {
                usize::MAX => 0,
                997 => 5,
                _ => 1 + 14,
            };
            assert_eq!(k.spilled_runs(), on_disk);
            assert_eq!(verdicts(k).unwrap(), want, "runs of {run}");
        }
    }
}
