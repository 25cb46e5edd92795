//! The contract's promises across records: an idempotency key is sent once per capture.
//!
//! Workers check chunks of lines in parallel and note every use of an idempotent event's
//! key ([`KeyUse`]); the ordered stage ([`Duplicates`]) sees them in input order and
//! reports each later use of a key (unless it repeats the first one's event `id`, which
//! Customer.io deduplicates), naming the first line and the revenue counted twice.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

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
    /// A hash of the record's event `id`, when it had one.
    pub id: Option<u64>,
    pub revenue: Option<f64>,
    /// The record had no (error-level) violation of its own.
    pub valid: bool,
}

/// (event, key) → where it was first used: (line, batch index, event id hash).
type FirstUses = HashMap<(Box<str>, String), (u64, Option<u32>, Option<u64>)>;

/// The first use of every key seen so far.
#[derive(Default)]
pub(crate) struct Duplicates {
    first: FirstUses,
}

impl Duplicates {
    /// The violation `u` makes if its key was used before, at `level`.
    pub fn check(&mut self, u: KeyUse, level: ViolationLevel) -> Option<Violation> {
        let full = self.first.len() >= MAX_KEYS;
        match self.first.entry((u.event, u.key)) {
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
                let (event, key) = e.key().clone();
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
