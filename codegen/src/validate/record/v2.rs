//! v2 operations (a line, a batch element or a v1 entity body) and batches.

use std::ops::Range;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess};
use serde_json::value::RawValue;

use super::event::{Data, Envelope, data_value};
use super::identity::IdentSeed;
use super::scalar::{ScalarKind, scalar_field};
use super::shape::{Shape, Shaped, Subject, detached, string_field};
use super::{Cow, Key, Quoted, Summary, Wire, Worker, codes, limits, with_raw};
use crate::validate::{ViolationLevel, routes};
use trackc_wire::IdentifierKey;
use trackc_wire::route::{Action, ObjectType};

/// A v2 operation's fields, as far as they have been read.
pub(super) struct Op<'de> {
    /// `found.len()` when the operation began.
    start: usize,
    not_object: Option<Wire<'static>>,
    ty: Option<Cow<'de, str>>,
    ty_bad: bool,
    action: Option<Cow<'de, str>>,
    action_bad: bool,
    name: Option<Cow<'de, str>>,
    name_bad: bool,
    identifiers: bool,
    /// The event's own `id` and `timestamp`.
    env: Envelope,
    /// A merge's `primary` (1) and `secondary` (2), as far as seen.
    sides: u8,
    data: Data<'de>,
    /// The person `identifiers` named, for simulate ([`super::tap`]).
    who: Option<(IdentifierKey, Range<usize>)>,
}

impl Op<'_> {
    /// Whether the body was an object (a merge's sides are read from it).
    pub(super) fn is_object(&self) -> bool {
        self.not_object.is_none()
    }

    /// A merge's `primary` (1) and `secondary` (2), as far as seen.
    pub(super) fn sides(&self) -> u8 {
        self.sides
    }

    pub(super) fn new(start: usize) -> Self {
        Op {
            start,
            not_object: None,
            ty: None,
            ty_bad: false,
            action: None,
            action_bad: false,
            name: None,
            name_bad: false,
            identifiers: false,
            env: Envelope::default(),
            sides: 0,
            data: Data::Absent,
            who: None,
        }
    }
}

impl Worker<'_> {
    pub(super) fn finish_op(
        &mut self,
        op: Op<'_>,
        index: Option<u32>,
        prefix: &str,
        size: Option<usize>,
    ) {
        let start = op.start;
        if let Some(found) = op.not_object {
            self.cx.found.truncate(start);
            self.wrong_shape(
                prefix.trim_end_matches('.').to_owned(),
                codes::INVALID_REQUEST,
                Subject::Part("an operation"),
                OpSeed::EXPECTED,
                found,
            );
            return self.finish_record(index, None);
        }
        if let Some(size) = size.filter(|&s| s > limits::OPERATION_BYTES) {
            self.cx.push(
                prefix.trim_end_matches('.').to_owned(),
                codes::OPERATION_TOO_LARGE,
                format!(
                    "operation is {size} bytes; Customer.io accepts at most {} per operation",
                    limits::OPERATION_BYTES
                ),
                None,
            );
        }
        let kind = routes::operation(&mut self.cx, prefix, op.ty.as_deref(), op.action.as_deref());
        match kind.ty {
            Some(ObjectType::Person) => {}
            Some(_) => {
                // Outside the contract: only the size limit and the table apply.
                let kept: Vec<_> = self
                    .cx
                    .found
                    .drain(start..)
                    .filter(|f| {
                        f.code == codes::OPERATION_TOO_LARGE || f.code == codes::UNKNOWN_OPERATION
                    })
                    .collect();
                self.cx.found.extend(kept);
                if self.tap.is_some() {
                    self.tap_op(&op, index);
                }
                return self.finish_record(index, op.action.as_deref());
            }
            None if op.ty.is_some() || op.ty_bad => {}
            None => self.request(
                format!("{prefix}type"),
                "the operation has no `type`".into(),
            ),
        }
        if kind.op.is_some_and(|o| o.action == Action::Merge) {
            routes::merge_sides(&mut self.cx, prefix, op.sides);
        }
        if !op.identifiers && kind.op.is_none_or(|o| o.requires_identifiers) {
            self.cx.push(
                format!("{prefix}identifiers"),
                codes::MISSING_IDENTIFIER,
                format!(
                    "the operation has no identifiers; the contract identifies people by `{}`",
                    self.cx.v.identity.name
                ),
                None,
            );
        }
        if let Some(t) = &mut self.tap {
            (t.key, t.revenue) = (None, None);
        }
        let label = match op.action.as_deref() {
            Some("event") => match &op.name {
                Some(name) => {
                    self.finish_event(name, op.data, op.env, (prefix, "name", "attributes"));
                    Some(&**name)
                }
                None => {
                    if !op.name_bad {
                        self.request(
                            format!("{prefix}name"),
                            "an event operation needs a `name`".into(),
                        );
                    }
                    None
                }
            },
            Some("identify") => {
                if let Data::Raw(raw) = op.data {
                    self.check_raw(self.cx.v.attributes, raw.get());
                }
                Some("identify")
            }
            Some(other) => Some(other),
            None => {
                if !op.action_bad {
                    self.request(
                        format!("{prefix}action"),
                        "the operation has no `action`".into(),
                    );
                }
                None
            }
        };
        if self.tap.is_some() {
            self.tap_op(&op, index);
        }
        self.finish_record(index, label);
    }

    /// Hand an operation's envelope to simulate ([`super::tap`]).
    fn tap_op(&mut self, op: &Op<'_>, index: Option<u32>) {
        use super::tap::{OpEnvelope, What};
        let v = self.cx.v;
        let Some(t) = &mut self.tap else { return };
        // A field whose value the other reader reads differently (a float timestamp: not
        // an integer here, floored there; an id that is no string).
        if op.ty_bad
            || op.action_bad
            || op.name_bad
            || (op.env.has_id && op.env.id.is_none())
            || (op.env.has_timestamp && op.env.timestamp.is_none())
        {
            t.line.whole = true;
            return;
        }
        // As a JSON number's value reads, floored to whole seconds.
        let timestamp = op.env.timestamp.map(|s| (s as f64).floor() as i64);
        if op.ty.as_deref() != Some("person") {
            // An object, a delivery: an operation that names no person.
            return t.push(OpEnvelope {
                index,
                who: None,
                timestamp,
                what: What::Other,
            });
        }
        // A part wanted raw is always read raw ([`op_field`]): anything else is a shape
        // this reader does not follow.
        fn raw(t: &mut super::tap::Tap, wanted: bool, data: Data<'_>) -> Option<Range<usize>> {
            match data {
                _ if !wanted => None,
                Data::Raw(raw) | Data::CheckedRaw(raw) => t.range_of(raw.get()),
                Data::Absent => None,
                Data::Checked => {
                    t.line.whole = true;
                    None
                }
            }
        }
        let what = match (op.action.as_deref(), op.name.as_deref()) {
            (Some("event"), Some(name)) => {
                let event = v.event_index(name);
                let wanted = event.is_some_and(|i| t.wants_data(i));
                What::Event {
                    event,
                    handed: wanted,
                    data: raw(t, wanted, op.data),
                    id: op.env.id,
                    key: t.key.take(),
                    revenue: t.revenue.take(),
                }
            }
            (Some("identify"), _) => {
                let wanted = t.wants_attributes();
                What::Identify {
                    attributes: raw(t, wanted, op.data),
                }
            }
            (Some("merge"), _) => {
                t.line.whole = true;
                return;
            }
            _ => What::Other,
        };
        t.push(OpEnvelope {
            index,
            who: op.who.clone(),
            timestamp,
            what,
        });
    }

    /// After a batch: Customer.io refuses a batch over the limit as a whole.
    fn batch_size(&mut self, len: usize, before: Summary, path: &str) {
        if len <= limits::BATCH_BYTES {
            return;
        }
        let now = self.summary();
        let valid_ops = (now.records - before.records) - (now.invalid - before.invalid);
        self.invalid += valid_ops;
        self.report(
            None,
            None,
            path.to_owned(),
            (codes::BATCH_TOO_LARGE, ViolationLevel::Error),
            format!(
                "batch is {len} bytes; Customer.io accepts at most {} per batch (every operation in it is refused)",
                limits::BATCH_BYTES
            ),
            Some("split the batch".into()),
        );
    }
}

/// Read one field of a v2 operation.
pub(super) fn op_field<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    op: &mut Op<'de>,
    key: Key,
    map: &mut A,
    prefix: &str,
) -> Result<(), A::Error> {
    match key {
        Key::Type => {
            op.ty = string_field(w, map, || format!("{prefix}type"))?;
            op.ty_bad = op.ty.is_none();
        }
        Key::Action | Key::Name => {
            let (field, value, bad) = match key {
                Key::Action => ("action", &mut op.action, &mut op.action_bad),
                _ => ("name", &mut op.name, &mut op.name_bad),
            };
            // Sent again after the data was read for the value before: the data's verdict
            // would be the other event's (or none), so the record is refused (and neither
            // simulate reader sees it; the same value again changes nothing).
            let before = matches!(op.data, Data::Checked | Data::CheckedRaw(_))
                .then(|| value.clone())
                .flatten();
            *value = string_field(w, map, || format!("{prefix}{field}"))?;
            *bad = value.is_none();
            if let Some(before) = before
                && value.as_ref().is_some_and(|v| *v != before)
            {
                let now = value.as_deref().unwrap_or_default();
                w.request(
                    format!("{prefix}{field}"),
                    format!(
                        "`{field}` is sent again after the data, with another value ({}, then {}): the data was read for the first; send each field once",
                        Quoted(&before),
                        Quoted(now)
                    ),
                );
            }
        }
        Key::Identifiers => {
            op.identifiers = true;
            if let Some(t) = &mut w.tap {
                t.identifiers_begin();
            }
            map.next_value_seed(Shaped(IdentSeed {
                w,
                prefix,
                field: "identifiers",
                keys: IdentifierKey::V2,
            }))?;
            if let Some(t) = &mut w.tap {
                op.who = t.identifiers_end();
            }
        }
        Key::Primary | Key::Secondary => {
            if let Some(t) = &mut w.tap {
                t.line.whole = true;
            }
            let (bit, field) = match key {
                Key::Primary => (1, "primary"),
                _ => (2, "secondary"),
            };
            op.sides |= bit;
            map.next_value_seed(Shaped(IdentSeed {
                w,
                prefix,
                field,
                keys: IdentifierKey::MERGE,
            }))?;
        }
        Key::Timestamp => {
            op.env.has_timestamp = true;
            w.timestamp = None;
            scalar_field(w, map, ScalarKind::Timestamp, &|| {
                format!("{prefix}timestamp")
            })?;
            op.env.timestamp = w.timestamp.take();
        }
        Key::Id => {
            op.env.has_id = true;
            w.event_id = None;
            scalar_field(w, map, ScalarKind::EventId, &|| format!("{prefix}id"))?;
            op.env.id = w.event_id.take();
        }
        Key::Attributes => {
            let v = w.cx.v;
            let tap = w.tap.as_deref();
            // What simulate reads is kept raw as well ([`super::tap`]).
            let mut keep = false;
            let node = if w.big_data {
                None
            } else {
                match (op.action.as_deref(), op.name.as_deref()) {
                    (Some("identify"), _) => {
                        keep = tap.is_some_and(|t| t.wants_attributes());
                        Some(Some(v.attributes))
                    }
                    (Some("event"), Some(name)) => {
                        let i = v.event_index(name);
                        keep = i.is_some_and(|i| tap.is_some_and(|t| t.wants_data(i)));
                        Some(i.map(|i| v.events[i].1.data))
                    }
                    (Some("event"), None) | (None, _) => None,
                    (Some(_), _) => Some(None),
                }
            };
            op.data = data_value(w, map, node, keep)?;
        }
        _ => {
            if key == Key::AnonymousId
                && let Some(t) = &mut w.tap
            {
                t.line.whole = true;
            }
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// One v2 operation (top level of a line, in a batch, or a v1-wrapped entity body).
pub(super) struct OpSeed<'a, 'v> {
    pub(super) w: &'a mut Worker<'v>,
    pub(super) prefix: &'a str,
}

impl OpSeed<'_, '_> {
    const EXPECTED: &'static str = "a JSON object";
}

impl<'de> Shape<'de> for OpSeed<'_, '_> {
    type Value = Op<'de>;
    const SHOWS_STRINGS: bool = false;

    fn expected(&self) -> &'static str {
        Self::EXPECTED
    }

    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Op<'de>, A::Error> {
        let mut op = Op::new(self.w.cx.found.len());
        while let Some(key) = map.next_key::<Key>()? {
            op_field(self.w, &mut op, key, &mut map, self.prefix)?;
        }
        Ok(op)
    }

    /// Reported when the operation is finished, after what it found is dropped.
    fn wrong(self, found: Wire<'_>) -> Op<'de> {
        let mut op = Op::new(self.w.cx.found.len());
        op.not_object = Some(detached(found));
        op
    }
}

/// The `batch` array: every element is a record.
struct BatchSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    prefix: &'a str,
}

impl<'de> Shape<'de> for BatchSeed<'_, '_> {
    type Value = ();
    const SHOWS_STRINGS: bool = false;

    fn expected(&self) -> &'static str {
        "an array of operations"
    }

    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.w;
        let mut i: u32 = 0;
        loop {
            if w.sizes {
                let Some(raw) = seq.next_element::<&'de RawValue>()? else {
                    break;
                };
                let op = with_raw(raw.get(), Shaped(OpSeed { w, prefix: "" }))
                    .map_err(de::Error::custom)?;
                w.finish_op(op, Some(i), "", Some(raw.get().len()));
            } else {
                let Some(op) = seq.next_element_seed(Shaped(OpSeed { w, prefix: "" }))? else {
                    break;
                };
                w.finish_op(op, Some(i), "", None);
            }
            i += 1;
        }
        if i == 0 {
            w.request(format!("{}batch", self.prefix), "the batch is empty".into());
            w.finish_record(None, None);
        }
        Ok(())
    }

    fn wrong(self, found: Wire<'_>) {
        let expected = self.expected();
        self.w.wrong_shape(
            format!("{}batch", self.prefix),
            codes::INVALID_REQUEST,
            Subject::Field("batch"),
            expected,
            found,
        );
        self.w.finish_record(None, None);
    }
}

/// Run a batch (top level or a v1 body) with the current record's findings set aside.
pub(super) fn batch_value<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    prefix: &str,
    len: usize,
) -> Result<(), A::Error> {
    let stash = std::mem::take(&mut w.cx.found);
    let before = w.summary();
    map.next_value_seed(Shaped(BatchSeed { w, prefix }))?;
    w.batch_size(len, before, prefix.trim_end_matches('.'));
    w.cx.found = stash;
    Ok(())
}
