//! One NDJSON line → records: the Track API envelopes (v2 operation, v2 batch, v1
//! request), the identifier, timestamps, ids and Customer.io's size limits, around the
//! data checks of [`super::value`].
//!
//! Envelope fields may come in any order. Data is checked in the same pass when the
//! fields that say how (`action`, `name`; v1 `method`, `path`) came first, which is how
//! every client writes them; otherwise it is kept as a borrowed [`RawValue`] and checked
//! at the end of the object. Sizes are measured (by keeping the raw text) only on lines
//! long enough to break a limit.
//!
//! The parts: [`shape`] (the one wrong-shape path every envelope reader goes through),
//! [`tally`] (records, and violations kept or counted per group), [`v2`] (operations and
//! batches), [`v1`] (requests, with [`super::routes`] for their paths), [`event`] (a track call's
//! name and data), [`identity`] (the person) and [`scalar`] (timestamps and ids).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::compile::{IdKind, NodeId, Validator};
use super::value::{Ctx, NodeSeed, Path, Quoted, Shown, Wire};
use super::{Detail, EventGroup, Omitted, Summary, Violation, bounds, codes, limits};
use crate::diag::did_you_mean;

mod event;
mod identity;
mod scalar;
mod shape;
mod tally;
pub(crate) mod tap;
mod v1;
mod v2;

use super::routes::Route;
use shape::{Shape, Shaped, string_field};
use tally::{GroupKey, Tally};
use v1::{Body, BodySeed, V1};
use v2::{Op, batch_value, op_field};

/// A worker's state: the validator, the current record's findings, and the violations
/// and counts of the lines it has checked.
///
/// Violations are kept in detail as [`Detail`] says (`limit` caps [`Detail::First`] for
/// the current chunk); the others are counted per (event, code) group. A line's counts
/// wait in `line` until the line parses, since a line that breaks off is one
/// `invalid_json` record whatever it said before.
pub(crate) struct Worker<'v> {
    pub cx: Ctx<'v>,
    pub pending: Vec<Violation>,
    detail: Detail,
    limit: usize,
    /// This chunk's groups: (key, the chunk's committed tally, the current line's).
    groups: Vec<(GroupKey, Tally, Tally)>,
    index: HashMap<GroupKey, usize>,
    /// Groups the current line counted in.
    touched: Vec<usize>,
    /// The group of the previous violation: a record's violations mostly share one.
    last: Option<usize>,
    spare: Vec<super::value::Found>,
    records: u64,
    invalid: u64,
    line_no: u64,
    /// The line is longer than an operation may be: measure operations and data.
    sizes: bool,
    /// The line is longer than event data may be: keep data raw to measure it.
    big_data: bool,
    /// The last envelope `timestamp` read (taken by the operation that read it).
    pub(super) timestamp: Option<i128>,
    /// The reference time of replays: `--now`, else the line's `received_at`.
    now: Option<i64>,
    received_at: Option<i64>,
    /// The last envelope event `id` read, hashed (taken by the operation that read it).
    pub(super) event_id: Option<u64>,
    /// The current record's idempotency key (its line, index and validity are set when
    /// the record closes).
    pub(super) key_use: Option<super::promises::KeyUse>,
    /// The idempotency keys of this chunk's valid and invalid records, in order.
    pub keys: Vec<super::promises::KeyUse>,
    /// For simulate: each operation's envelope, as read here ([`tap`]).
    pub tap: Option<Box<tap::Tap>>,
    /// For simulate: the (index, code) of every error, kept in detail or not (a record
    /// is simulated or not by its codes, and a wide batch has more than are listed).
    pub(super) errors: Option<Vec<(Option<u32>, crate::rules::TrafficRule)>>,
}

impl<'v> Worker<'v> {
    pub fn new(v: &'v Validator, detail: Detail) -> Self {
        Worker {
            cx: Ctx::new(v),
            pending: Vec::new(),
            detail,
            limit: match detail {
                Detail::First(n) => n,
                Detail::PerGroup(_) => usize::MAX,
            },
            groups: Vec::new(),
            index: HashMap::new(),
            touched: Vec::new(),
            last: None,
            spare: Vec::new(),
            records: 0,
            invalid: 0,
            line_no: 0,
            sizes: false,
            big_data: false,
            timestamp: None,
            now: None,
            received_at: None,
            event_id: None,
            key_use: None,
            keys: Vec::new(),
            tap: None,
            errors: None,
        }
    }

    /// Judge replays against this time (Unix seconds) rather than each line's
    /// `received_at` (`--now`).
    pub fn set_now(&mut self, now: Option<i64>) {
        self.now = now;
    }

    /// The time a record's `timestamp` is judged against, if any is known.
    pub(super) fn reference_time(&self) -> Option<i128> {
        self.now.or(self.received_at).map(i128::from)
    }

    /// A line over [`limits::LINE_BYTES`], skipped by the reader: one invalid record.
    pub fn oversized_line(&mut self, line: u64, len: usize) {
        self.line_no = line;
        self.cx.found.clear();
        self.cx.push(
            String::new(),
            codes::LINE_TOO_LARGE,
            format!(
                "line is {len} bytes; a Track API request is at most {} bytes (not parsed)",
                limits::BATCH_BYTES
            ),
            None,
        );
        self.finish_record(None, None);
        self.commit_line();
    }

    pub fn check_line(&mut self, line: u64, text: &[u8]) {
        let text = text.trim_ascii();
        if let Some(t) = &mut self.tap {
            // Ranges are of the trimmed line; a line that is no UTF-8 is read whole.
            t.begin(text);
        }
        if text.is_empty() {
            return;
        }
        self.line_no = line;
        self.received_at = None;
        self.sizes = text.len() > limits::OPERATION_BYTES;
        self.big_data = text.len() > limits::EVENT_DATA_BYTES;
        self.cx.found.clear();
        let (pending, records, invalid) = (self.pending.len(), self.records, self.invalid);
        let errors = self.errors.as_ref().map_or(0, Vec::len);
        // One UTF-8 check for the line, so the parser need not check every string.
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(e) => {
                self.cx.push(
                    String::new(),
                    codes::INVALID_JSON,
                    format!("not UTF-8: invalid byte at column {}", e.valid_up_to() + 1),
                    None,
                );
                self.finish_record(None, None);
                if let Some(t) = &mut self.tap {
                    t.line.whole = true;
                }
                return self.commit_line();
            }
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let res = Shaped(LineSeed {
            w: self,
            len: text.len(),
        })
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if let Err(e) = res {
            // Whatever the line's operations said before the break does not count.
            self.pending.truncate(pending);
            if let Some(e) = &mut self.errors {
                e.truncate(errors);
            }
            for &i in &self.touched {
                self.groups[i].2 = Tally::default();
            }
            self.touched.clear();
            self.records = records;
            self.invalid = invalid;
            self.cx.found.clear();
            self.cx.push(
                String::new(),
                codes::INVALID_JSON,
                format!("not JSON: {e}"),
                None,
            );
            self.finish_record(None, None);
            if let Some(t) = &mut self.tap {
                t.line.whole = true;
            }
        }
        if let Some(t) = &mut self.tap {
            t.line.received_at = self.received_at;
        }
        self.commit_line();
    }
}

fn with_raw<'de, S: DeserializeSeed<'de>>(
    raw: &'de str,
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let v = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// Envelope keys of every shape.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    Type,
    Identifiers,
    Action,
    Name,
    Id,
    Timestamp,
    Attributes,
    Batch,
    Method,
    Path,
    Body,
    Data,
    AnonymousId,
    ReceivedAt,
    Primary,
    Secondary,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(match s {
                    "type" => Key::Type,
                    "identifiers" => Key::Identifiers,
                    "action" => Key::Action,
                    "name" => Key::Name,
                    "id" => Key::Id,
                    "timestamp" => Key::Timestamp,
                    "attributes" => Key::Attributes,
                    "batch" => Key::Batch,
                    "method" => Key::Method,
                    "path" => Key::Path,
                    "body" => Key::Body,
                    "data" => Key::Data,
                    "anonymous_id" => Key::AnonymousId,
                    "received_at" => Key::ReceivedAt,
                    "primary" => Key::Primary,
                    "secondary" => Key::Secondary,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// The line itself: batch, v1 request or v2 operation, told apart by their keys.
struct LineSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    len: usize,
}

impl<'de> Shape<'de> for LineSeed<'_, '_> {
    type Value = ();

    fn expected(&self) -> &'static str {
        "a JSON object (a Track API operation, batch or v1 request)"
    }

    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.w;
        let mut op = Op::new(0);
        let mut v1 = V1 {
            method: None,
            method_bad: false,
            path: None,
            path_bad: false,
            body: Body::Absent,
        };
        let (mut is_v1, mut is_batch) = (false, false);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::ReceivedAt => {
                    // When the capture saw the request (Unix seconds): the reference for
                    // replays. Not part of the request; anything else (a text, a time out
                    // of range) is ignored.
                    let at: Option<f64> = map.next_value::<serde_json::Value>()?.as_f64();
                    w.received_at = at.and_then(trackc_wire::time::capture_seconds);
                }
                Key::Batch => {
                    if let Some(t) = &mut w.tap
                        && is_batch
                    {
                        // The validator reads both batches; simulate's reader, the last.
                        t.line.whole = true;
                    }
                    is_batch = true;
                    batch_value(w, &mut map, "", self.len)?;
                }
                Key::Method => {
                    is_v1 = true;
                    v1.method = string_field(w, &mut map, || "method".into())?;
                    v1.method_bad = v1.method.is_none();
                }
                Key::Path => {
                    is_v1 = true;
                    v1.path = string_field(w, &mut map, || "path".into())?;
                    v1.path_bad = v1.path.is_none();
                }
                Key::Body => {
                    is_v1 = true;
                    v1.body = match (&v1.method, &v1.path) {
                        (Some(m), Some(p)) if !w.sizes => {
                            let route = Route::of(m, p);
                            map.next_value_seed(BodySeed {
                                w,
                                route: &route,
                                len: self.len,
                            })?
                        }
                        _ => Body::Deferred(map.next_value::<&'de RawValue>()?),
                    };
                }
                key => op_field(w, &mut op, key, &mut map, "")?,
            }
        }
        if let Some(t) = &mut w.tap
            && is_v1
        {
            // v1 requests (alone, or beside a batch) are read by simulate itself.
            t.line.whole = true;
        }
        if is_batch {
            w.cx.found.clear();
        } else if is_v1 {
            w.finish_v1(v1, self.len);
        } else {
            w.finish_op(op, None, "", Some(self.len));
        }
        Ok(())
    }

    fn wrong(self, found: Wire<'_>) {
        let expected = self.expected();
        self.w.wrong_shape(
            String::new(),
            codes::INVALID_REQUEST,
            shape::Subject::Part("a line"),
            expected,
            found,
        );
        self.w.finish_record(None, None);
    }
}
