//! What `trackc simulate` reads of each operation, taken from the worker's own pass over
//! the line, so that simulate does not parse every line a second time: who (the one
//! identifier of `identifiers`), when (`timestamp`, the line's `received_at`), which
//! contract event, its `id`, its idempotency key and revenue (as the promises read them),
//! and — only where the people model reads them — the event data or identify attributes,
//! as the range of the line they were sent in.
//!
//! Only the shapes nearly all traffic has are followed: v2 operations, alone or in a
//! batch, naming their person in `identifiers`. A line with anything else (a v1 request,
//! a merge, an `anonymous_id`, an envelope field of an unexpected type) is marked
//! [`Tapped::whole`], and simulate reads it itself (`simulate::read`), so that both
//! readers never need to agree on the rare shapes. What is followed is read exactly as
//! `simulate::read` reads it (the last of a field sent twice, identifiers in the order
//! id, email, phone, cio_id, numbers as their JSON text); the simulate tests run every
//! fixture both ways.

#![cfg_attr(not(feature = "simulate"), allow(dead_code))]

use std::ops::Range;

use trackc_wire::IdentifierKey;

/// What is handed over raw, and the operations of the current line.
pub(crate) struct Tap {
    /// Per contract event (the validator's order: by name), whether its data is handed
    /// over as a range of the line.
    want_data: Box<[bool]>,
    /// Whether identify attributes are handed over.
    want_attributes: bool,
    pub(crate) line: Tapped,
    /// Where the current line's text is, to turn borrowed parts of it into ranges.
    base: usize,
    len: usize,
    /// The `identifiers` object being read: a range of `line.texts` per key of
    /// [`IdentifierKey::V2`] (the last value sent for each).
    ids: [Option<Range<usize>>; 4],
    /// The event being finished: its idempotency key (canonical text, in `line.texts`)
    /// and revenue, as the promises read them.
    pub(super) key: Option<Range<usize>>,
    pub(super) revenue: Option<f64>,
}

/// One line's operations.
#[derive(Default)]
pub(crate) struct Tapped {
    pub ops: Vec<OpEnvelope>,
    /// The texts of identifiers and keys the operations name by range.
    pub texts: String,
    pub received_at: Option<i64>,
    /// The line has a shape not followed here: read it whole.
    pub whole: bool,
}

/// One v2 operation (of another type than `person`: one that names no person).
pub(crate) struct OpEnvelope {
    /// Its index in a batch.
    pub index: Option<u32>,
    /// The identifier that names the person (a range of [`Tapped::texts`]).
    pub who: Option<(IdentifierKey, Range<usize>)>,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<i64>,
    pub what: What,
}

pub(crate) enum What {
    Event {
        /// The contract event (index in name order); `None`: not one of the contract.
        event: Option<usize>,
        /// Whether the data is handed over (`data`: the range it was sent in, `None` when
        /// it was not sent); else the model reads no more than `key` and `revenue`.
        handed: bool,
        data: Option<Range<usize>>,
        /// A hash of the event `id` string (`DefaultHasher`).
        id: Option<u64>,
        /// The idempotency key's canonical text (a range of [`Tapped::texts`]).
        key: Option<Range<usize>>,
        revenue: Option<f64>,
    },
    Identify {
        /// The attributes, as a range of the line, when wanted and sent.
        attributes: Option<Range<usize>>,
    },
    /// Any other action of a person operation.
    Other,
}

impl Tap {
    pub(crate) fn new(want_data: Box<[bool]>, want_attributes: bool) -> Self {
        Tap {
            want_data,
            want_attributes,
            line: Tapped::default(),
            base: 0,
            len: 0,
            ids: Default::default(),
            key: None,
            revenue: None,
        }
    }

    pub(super) fn begin(&mut self, text: &[u8]) {
        self.line.ops.clear();
        self.line.texts.clear();
        self.line.received_at = None;
        self.line.whole = false;
        (self.base, self.len) = (text.as_ptr() as usize, text.len());
    }

    pub(super) fn wants_data(&self, event: usize) -> bool {
        self.want_data.get(event).copied().unwrap_or(false)
    }

    pub(super) fn wants_attributes(&self) -> bool {
        self.want_attributes
    }

    /// Where `part` (borrowed from the line) is in it; `None` marks the line whole.
    pub(super) fn range_of(&mut self, part: &str) -> Option<Range<usize>> {
        let at = (part.as_ptr() as usize).wrapping_sub(self.base);
        if at <= self.len && part.len() <= self.len - at {
            Some(at..at + part.len())
        } else {
            self.line.whole = true;
            None
        }
    }

    pub(super) fn text(&mut self, s: &str) -> Range<usize> {
        let start = self.line.texts.len();
        self.line.texts.push_str(s);
        start..self.line.texts.len()
    }

    /// An `identifiers` object begins.
    pub(super) fn identifiers_begin(&mut self) {
        self.ids = Default::default();
    }

    /// The value of `key` in it: a string or a number's JSON text; anything else is read
    /// differently by `simulate::read` (skipped there, for the next key), so the line is
    /// read whole.
    pub(super) fn identifier(&mut self, key: IdentifierKey, value: Option<&str>) {
        let Some(slot) = IdentifierKey::V2.iter().position(|k| *k == key) else {
            self.line.whole = true;
            return;
        };
        match value {
            Some(v) => self.ids[slot] = Some(self.text(v)),
            None => {
                self.ids[slot] = None;
                self.line.whole = true;
            }
        }
    }

    /// The identifier the object named: the first of id, email, phone, cio_id sent.
    pub(super) fn identifiers_end(&mut self) -> Option<(IdentifierKey, Range<usize>)> {
        let ids = std::mem::take(&mut self.ids);
        (IdentifierKey::V2.iter().zip(ids)).find_map(|(k, r)| Some((*k, r?)))
    }

    pub(super) fn push(&mut self, op: OpEnvelope) {
        self.line.ops.push(op);
    }
}

/// An integer identifier's text as a JSON number reads back (`serde_json` keeps integers
/// within 64 bits exactly; larger ones become floats, which the line's other reader
/// renders differently).
pub(super) fn integer_text(n: i128) -> Option<String> {
    (i64::try_from(n).is_ok() || u64::try_from(n).is_ok()).then(|| n.to_string())
}
