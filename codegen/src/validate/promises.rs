//! The contract's promises across records: an idempotency key is sent once per capture.
//!
//! Workers check chunks of lines in parallel and note every use of an idempotent event's
//! key ([`KeyUse`]); the ordered stage ([`Duplicates`]) sees them in input order and
//! reports each later use of a key (unless it repeats the first one's event `id`, which
//! Customer.io deduplicates), naming the first line and the revenue counted twice.

use std::collections::HashMap;
use std::collections::hash_map::{Entry, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use super::{Violation, ViolationLevel, bounds, codes};

/// Keys remembered per run; past this many distinct keys, later ones are not compared
/// (memory stays bounded whatever the capture).
pub const MAX_KEYS: usize = 1 << 20;

/// One record's use of an idempotency key.
#[derive(Clone, Debug)]
pub struct KeyUse {
    pub line: u64,
    pub index: Option<u32>,
    pub event: Box<str>,
    /// The key's value as canonical JSON.
    pub key: String,
    /// (event, key) as a [`Fingerprints`] value, worked out by the worker that read the
    /// record, so the ordered stage (one thread) neither hashes nor stores the texts.
    pub fingerprint: u128,
    /// A hash of the record's event `id`, when it had one.
    pub id: Option<u64>,
    pub revenue: Option<f64>,
    /// The record had no (error-level) violation of its own.
    pub valid: bool,
}

/// 128 bits that stand for an (event, key) pair: two SipHash-1-3 values under keys drawn
/// at random once per [`super::Validator`] (every worker's copy shares them). Traffic is
/// untrusted, but without the keys nobody can make two pairs collide on purpose, and by
/// chance that takes ~2^64 distinct keys (a run remembers at most [`MAX_KEYS`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Fingerprints([RandomState; 2]);

impl Fingerprints {
    pub fn of(&self, event: &str, key: &str) -> u128 {
        let [a, b] = &self.0;
        let half = |s: &RandomState| s.hash_one((event, key));
        u128::from(half(a)) << 64 | u128::from(half(b))
    }
}

/// The hasher of a map keyed by fingerprints: they are keyed hashes already, so their
/// low bits are used as they are (no second hash when the table grows).
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u128` keys are hashed (`write_u128`); fold anything else all the same.
        for chunk in bytes.chunks(8) {
            let mut b = [0; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// (event, key) fingerprint → where it was first used: (line, batch index, event id hash).
type FirstUses = HashMap<u128, (u64, Option<u32>, Option<u64>), BuildHasherDefault<Prehashed>>;

/// The first use of every key seen so far.
#[derive(Default)]
pub(crate) struct Duplicates {
    first: FirstUses,
}

impl Duplicates {
    /// The violation `u` makes if its key was used before, at `level`.
    pub fn check(&mut self, u: KeyUse, level: ViolationLevel) -> Option<Violation> {
        let full = self.first.len() >= MAX_KEYS;
        match self.first.entry(u.fingerprint) {
            Entry::Vacant(e) => {
                if !full {
                    e.insert((u.line, u.index, u.id));
                }
                None
            }
            Entry::Occupied(e) => {
                let &(line, index, id) = e.get();
                if id.is_some() && id == u.id {
                    // A retry that kept its event id: Customer.io counts it once.
                    return None;
                }
                // The same fingerprint: the same event and key as the first use.
                let (event, key) = (u.event, u.key);
                let at = match index {
                    Some(i) => format!("line {line} (operation {i})"),
                    None => format!("line {line}"),
                };
                let twice = u
                    .revenue
                    .map(|r| format!("; revenue {r} is counted twice"))
                    .unwrap_or_default();
                let mut message = format!(
                    "`{event}` with idempotency key {key} was already sent on {at} under another \
                     event id: Customer.io counts it twice{twice}"
                );
                bounds::clip_string(&mut message, bounds::MESSAGE_CHARS);
                Some(Violation {
                    line: u.line,
                    index: u.index,
                    event: Some(event.into()),
                    // Filled in by the caller, who knows the event's key property.
                    path: String::new(),
                    code: codes::DUPLICATE_IDEMPOTENCY_KEY,
                    level,
                    message,
                    hint: Some(
                        "derive the event `id` from the idempotency key, so a resend keeps it"
                            .into(),
                    ),
                })
            }
        }
    }
}
