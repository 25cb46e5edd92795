//! One NDJSON line → records: the Track API envelopes (v2 operation, v2 batch, v1
//! request), the identifier, timestamps, ids and Customer.io's size limits, around the
//! data checks of [`super::value`].
//!
//! Envelope fields may come in any order. Data is checked in the same pass when the
//! fields that say how (`action`, `name`; v1 `method`, `path`) came first, which is how
//! every client writes them; otherwise it is kept as a borrowed [`RawValue`] and checked
//! at the end of the object. Sizes are measured (by keeping the raw text) only on lines
//! long enough to break a limit.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::compile::{IdKind, Validator};
use super::value::{Ctx, NodeSeed, Path, Quoted, Shown, Wire};
use super::{
    Detail, EventGroup, Omitted, Summary, TrafficRule, Violation, bounds, codes, formats, limits,
};
use crate::diag::did_you_mean;

/// How many violations of one (event, code) group a chunk kept and counted.
#[derive(Clone, Copy, Default)]
struct Tally {
    kept: u64,
    omitted: u64,
}

type GroupKey = (EventGroup, TrafficRule);

/// Whether a violation of `code` in a record of `event` belongs to the group `key`.
fn same_group(key: &GroupKey, event: Option<&str>, code: TrafficRule) -> bool {
    key.1 == code
        && match (&key.0, event) {
            (EventGroup::Named(k), Some(ev)) => k.as_str() == bounds::clip(ev, bounds::NAME_CHARS),
            (EventGroup::None, None) => true,
            _ => false,
        }
}

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
        }
    }

    /// Keep at most `limit` violations in detail in the next chunk ([`Detail::First`]).
    pub fn set_limit(&mut self, limit: usize) {
        if let Detail::First(n) = self.detail {
            self.limit = n.min(limit);
        }
    }

    pub fn summary(&self) -> Summary {
        Summary {
            records: self.records,
            valid: self.records - self.invalid,
            invalid: self.invalid,
        }
    }

    /// Reset the counts (the engine takes them per chunk).
    pub fn take_summary(&mut self) -> Summary {
        let s = self.summary();
        self.records = 0;
        self.invalid = 0;
        s
    }

    /// The chunk's violations that were counted, not kept (in a stable order); the next
    /// chunk starts its groups afresh.
    pub fn take_omitted(&mut self) -> Vec<Omitted> {
        self.index.clear();
        self.last = None;
        let mut out: Vec<Omitted> = self
            .groups
            .drain(..)
            .filter(|(_, t, _)| t.omitted > 0)
            .map(|((event, code), t, _)| Omitted {
                event,
                code,
                count: t.omitted,
            })
            .collect();
        out.sort_by(|a, b| (&a.event, a.code).cmp(&(&b.event, b.code)));
        out
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
        if text.is_empty() {
            return;
        }
        self.line_no = line;
        self.sizes = text.len() > limits::OPERATION_BYTES;
        self.big_data = text.len() > limits::EVENT_DATA_BYTES;
        self.cx.found.clear();
        let (pending, records, invalid) = (self.pending.len(), self.records, self.invalid);
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
                return self.commit_line();
            }
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let res = LineSeed {
            w: self,
            len: text.len(),
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if let Err(e) = res {
            // Whatever the line's operations said before the break does not count.
            self.pending.truncate(pending);
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
        }
        self.commit_line();
    }

    /// The line parsed (or is one invalid record): its counts join the chunk's.
    fn commit_line(&mut self) {
        for i in self.touched.drain(..) {
            let (_, chunk, line) = &mut self.groups[i];
            chunk.kept += line.kept;
            chunk.omitted += line.omitted;
            *line = Tally::default();
        }
    }

    /// The group of a violation of `code` in a record of `event`.
    fn group(&mut self, event: Option<&str>, code: TrafficRule) -> usize {
        if let Some(i) = self.last
            && same_group(&self.groups[i].0, event, code)
        {
            return i;
        }
        // A chunk has few groups, usually: a scan costs less than hashing the key.
        if self.groups.len() <= 16
            && let Some(i) = self
                .groups
                .iter()
                .position(|(k, ..)| same_group(k, event, code))
        {
            self.last = Some(i);
            return i;
        }
        let mut key = (EventGroup::of(event), code);
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                if self.groups.len() >= bounds::CHUNK_GROUPS {
                    key.0 = EventGroup::Others;
                }
                match self.index.get(&key) {
                    Some(&i) => i,
                    None => {
                        self.groups
                            .push((key.clone(), Tally::default(), Tally::default()));
                        self.index.insert(key, self.groups.len() - 1);
                        self.groups.len() - 1
                    }
                }
            }
        };
        self.last = Some(i);
        i
    }

    /// Close one record: its findings become violations.
    fn finish_record(&mut self, index: Option<u32>, event: Option<&str>) {
        self.records += 1;
        if self.cx.found.is_empty() {
            return;
        }
        self.invalid += 1;
        // Through a spare vector, so that neither loses its capacity.
        let mut found = std::mem::take(&mut self.spare);
        std::mem::swap(&mut found, &mut self.cx.found);
        for f in found.drain(..) {
            self.report(index, event, f.path, f.code, f.message, f.hint);
        }
        self.spare = found;
    }

    /// One violation: kept in detail (cut to [`bounds`]) or counted in its group.
    #[cold]
    fn report(
        &mut self,
        index: Option<u32>,
        event: Option<&str>,
        mut path: String,
        code: TrafficRule,
        mut message: String,
        mut hint: Option<String>,
    ) {
        let i = self.group(event, code);
        let (key, chunk, line) = &mut self.groups[i];
        let keep = match self.detail {
            Detail::First(_) => self.pending.len() < self.limit,
            Detail::PerGroup(n) => chunk.kept + line.kept < n as u64,
        };
        if line.kept == 0 && line.omitted == 0 {
            self.touched.push(i);
        }
        if !keep {
            line.omitted += 1;
            return;
        }
        line.kept += 1;
        let event = match &key.0 {
            EventGroup::Named(e) => Some(e.clone()),
            _ => event.map(|e| bounds::clip(e, bounds::NAME_CHARS).into_owned()),
        };
        bounds::clip_string(&mut path, bounds::PATH_CHARS);
        bounds::clip_string(&mut message, bounds::MESSAGE_CHARS);
        if let Some(h) = &mut hint {
            bounds::clip_string(h, bounds::HINT_CHARS);
        }
        self.pending.push(Violation {
            line: self.line_no,
            index,
            event,
            path,
            code,
            message,
            hint,
        });
    }

    #[cold]
    fn request(&mut self, path: String, message: String) {
        self.cx.push(path, codes::INVALID_REQUEST, message, None);
    }

    /// The contract's id, from `identifiers.id` or a v1 path.
    fn check_id(&mut self, id: IdValue<'_>, path: String) {
        let v = self.cx.v;
        let name = &v.identity.name;
        if let IdValue::Str(s) = id {
            if s.contains('@') && v.fmt.email.is_match(s) {
                self.cx.push(
                    path,
                    codes::IDENTIFIED_BY_EMAIL,
                    format!("the person is identified by an email address; the contract identifies people by `{name}`"),
                    Some(format!("send `{name}` as the identifier and email as an attribute")),
                );
                return;
            }
            if s.len() > limits::IDENTIFIER_BYTES {
                self.cx.push(
                    path.clone(),
                    codes::IDENTIFIER_TOO_LONG,
                    format!(
                        "identifier is {} bytes; Customer.io allows at most {}",
                        s.len(),
                        limits::IDENTIFIER_BYTES
                    ),
                    None,
                );
            }
            if s.is_empty() {
                self.cx.push(
                    path,
                    codes::IDENTIFIER_INVALID,
                    format!("`{name}` is empty"),
                    None,
                );
                return;
            }
        }
        match (&v.identity.kind, id) {
            (IdKind::String(sc), IdValue::Str(s)) => {
                let n = s.chars().count() as u64;
                let bad = if sc.min_length.is_some_and(|m| n < m) {
                    Some(format!(
                        "`{name}` {} is shorter than {}",
                        Quoted(s),
                        sc.min_length.unwrap_or(0)
                    ))
                } else if sc.max_length.is_some_and(|m| n > m) {
                    Some(format!(
                        "`{name}` {} is longer than {}",
                        Quoted(s),
                        sc.max_length.unwrap_or(0)
                    ))
                } else if sc.pattern.as_ref().is_some_and(|re| !re.is_match(s)) {
                    let re = sc.pattern.as_ref().map_or("", |r| r.as_str());
                    Some(format!(
                        "`{name}` {} does not match the pattern {re}",
                        Quoted(s)
                    ))
                } else if sc.format.is_some_and(|f| !v.fmt.check(f, s)) {
                    let f = sc.format.map_or("", |f| f.as_str());
                    Some(format!("`{name}` {} is not a valid {f}", Quoted(s)))
                } else {
                    None
                };
                if let Some(message) = bad {
                    self.cx.push(path, codes::IDENTIFIER_INVALID, message, None);
                }
            }
            (IdKind::String(_), other) => self.cx.push(
                path,
                codes::IDENTIFIER_TYPE,
                format!(
                    "`{name}` is a string in the contract; found {}",
                    other.wire()
                ),
                match other {
                    IdValue::Int(n) => Some(format!("send \"{n}\"")),
                    _ => None,
                },
            ),
            (IdKind::Integer(b), id) => {
                let n = match id {
                    IdValue::Int(n) => Some(n),
                    IdValue::Str(s) => s.parse::<i128>().ok().filter(|_| {
                        s.bytes()
                            .enumerate()
                            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == b'-'))
                    }),
                    IdValue::Other(_) => None,
                };
                match n {
                    None => self.cx.push(
                        path,
                        codes::IDENTIFIER_TYPE,
                        format!(
                            "`{name}` is an integer in the contract; found {}",
                            id.wire()
                        ),
                        None,
                    ),
                    Some(n) => {
                        let x = n as f64;
                        if b.minimum.is_some_and(|m| x < m) || b.maximum.is_some_and(|m| x > m) {
                            let range = match (b.minimum, b.maximum) {
                                (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
                                (Some(lo), None) => format!("at least {lo}"),
                                (None, Some(hi)) => format!("at most {hi}"),
                                (None, None) => String::new(),
                            };
                            self.cx.push(
                                path,
                                codes::IDENTIFIER_INVALID,
                                format!("`{name}` {n} is out of range ({range})"),
                                None,
                            );
                        }
                    }
                }
            }
        }
    }

    /// The event name and data of a track call (v2 `event` or v1).
    /// `at`: the prefix and field names the paths of envelope problems are built from
    /// (only when there is one: no allocation on the valid path).
    fn finish_event(&mut self, name: &str, data: Data<'_>, at: (&str, &str, &str)) {
        let v = self.cx.v;
        let (prefix, name_field, data_field) = at;
        let name_path = || format!("{prefix}{name_field}");
        let data_path = || format!("{prefix}{data_field}");
        if name.len() > limits::EVENT_NAME_BYTES {
            self.cx.push(
                name_path(),
                codes::EVENT_NAME_TOO_LONG,
                format!(
                    "event name is {} bytes; Customer.io allows at most {}",
                    name.len(),
                    limits::EVENT_NAME_BYTES
                ),
                None,
            );
            return;
        }
        let Some(ev) = v.event(name) else {
            let hint = did_you_mean(name, v.event_names.iter().map(|s| &**s))
                .map(|m| format!("did you mean `{m}`?"));
            self.cx.push(
                name_path(),
                codes::UNKNOWN_EVENT,
                format!("event `{name}` is not in the contract"),
                hint,
            );
            return;
        };
        let raw = match data {
            Data::Checked => return,
            Data::Absent => "{}",
            Data::Raw(raw) => raw.get(),
        };
        if raw.len() > limits::EVENT_DATA_BYTES {
            self.cx.push(
                data_path(),
                codes::EVENT_DATA_TOO_LARGE,
                format!(
                    "event data is {} bytes; Customer.io allows at most {}",
                    raw.len(),
                    limits::EVENT_DATA_BYTES
                ),
                None,
            );
        }
        let seed = NodeSeed {
            cx: &mut self.cx,
            node: ev.data,
            path: &Path::Root,
            limit: None,
        };
        // The raw text was parsed once already; this cannot fail.
        let _ = with_raw(raw, seed);
    }

    fn finish_op(&mut self, op: Op<'_>, index: Option<u32>, prefix: &str, size: Option<usize>) {
        let start = op.start;
        if let Some(found) = op.not_object {
            self.cx.found.truncate(start);
            self.request(
                prefix.trim_end_matches('.').to_owned(),
                format!("an operation must be a JSON object; found {found}"),
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
        match op.ty.as_deref() {
            Some("person") => {}
            Some("object" | "delivery") => {
                // Outside the contract: only the size limit applies.
                let sizes: Vec<_> = self
                    .cx
                    .found
                    .drain(start..)
                    .filter(|f| f.code == codes::OPERATION_TOO_LARGE)
                    .collect();
                self.cx.found.extend(sizes);
                return self.finish_record(index, op.action.as_deref());
            }
            Some(other) => {
                let m = format!(
                    "unknown operation type {} (person, object or delivery)",
                    Quoted(other)
                );
                self.request(format!("{prefix}type"), m);
            }
            None if op.ty_bad => {}
            None => self.request(
                format!("{prefix}type"),
                "the operation has no `type`".into(),
            ),
        }
        if !op.identifiers {
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
        let label = match op.action.as_deref() {
            Some("event") => match &op.name {
                Some(name) => {
                    self.finish_event(name, op.data, (prefix, "name", "attributes"));
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
                    let node = self.cx.v.attributes;
                    let seed = NodeSeed {
                        cx: &mut self.cx,
                        node,
                        path: &Path::Root,
                        limit: None,
                    };
                    let _ = with_raw(raw.get(), seed);
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
        self.finish_record(index, label);
    }

    fn finish_v1(&mut self, v1: V1<'_>, len: usize) {
        let (Some(method), Some(path)) = (v1.method.as_deref(), v1.path.as_deref()) else {
            if v1.method.is_none() && !v1.method_bad {
                self.request(
                    "method".into(),
                    "a v1 request needs `method`, `path` and `body`".into(),
                );
            } else if v1.path.is_none() && !v1.path_bad {
                self.request(
                    "path".into(),
                    "a v1 request needs `method`, `path` and `body`".into(),
                );
            }
            return self.finish_record(None, None);
        };
        let route = Route::of(method, path);
        // A body kept raw (long lines) is measured; one read inline is under every limit.
        let len = match &v1.body {
            Body::Deferred(raw) => raw.get().len(),
            _ => len,
        };
        let body = match v1.body {
            Body::Deferred(raw) => {
                let seed = BodySeed {
                    w: self,
                    route: &route,
                    len,
                };
                match with_raw(raw.get(), seed) {
                    Ok(b) => b,
                    Err(_) => Body::Done,
                }
            }
            b => b,
        };
        match route {
            Route::Identify(id) => {
                self.check_id(IdValue::Str(&id), "path".into());
                self.finish_record(None, Some("identify"));
            }
            Route::Track(ref id) | Route::Other(Some(ref id)) => {
                self.check_id(IdValue::Str(id), "path".into());
                self.finish_track_body(body, matches!(route, Route::Track(_)));
            }
            Route::Anonymous => self.finish_track_body(body, true),
            Route::Other(None) => self.finish_record(None, None),
            Route::Entity => match body {
                Body::Op(op) => self.finish_op(op, None, "body.", Some(len)),
                _ => {
                    self.request(
                        "body".into(),
                        "POST /api/v2/entity needs an operation as its body".into(),
                    );
                    self.finish_record(None, None)
                }
            },
            Route::Batch => {
                if !matches!(body, Body::Done) {
                    self.request(
                        "body".into(),
                        "POST /api/v2/batch needs `{\"batch\": [..]}` as its body".into(),
                    );
                    self.finish_record(None, None)
                }
            }
            Route::Invalid(why) => {
                self.request("path".into(), why);
                self.finish_record(None, None)
            }
        }
    }

    fn finish_track_body(&mut self, body: Body<'_>, is_track: bool) {
        if !is_track {
            return self.finish_record(None, None);
        }
        match body {
            Body::Track(t) => match t.name.as_deref() {
                Some(name) => {
                    self.finish_event(name, t.data, ("body.", "name", "data"));
                    self.finish_record(None, Some(name));
                }
                None => {
                    if !t.name_bad {
                        self.request("body.name".into(), "a v1 track request needs `name`".into());
                    }
                    self.finish_record(None, None)
                }
            },
            Body::Absent => {
                self.request(
                    "body".into(),
                    "a v1 track request needs a body with `name`".into(),
                );
                self.finish_record(None, None)
            }
            _ => self.finish_record(None, None),
        }
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
            codes::BATCH_TOO_LARGE,
            format!(
                "batch is {len} bytes; Customer.io accepts at most {} per batch (every operation in it is refused)",
                limits::BATCH_BYTES
            ),
            Some("split the batch".into()),
        );
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

#[derive(Clone, Copy)]
enum IdValue<'a> {
    Str(&'a str),
    Int(i128),
    Other(Wire<'static>),
}

impl IdValue<'_> {
    fn wire(&self) -> String {
        match self {
            IdValue::Str(s) => Wire::Str(s).to_string(),
            IdValue::Int(n) => Wire::Int(*n).to_string(),
            IdValue::Other(w) => w.to_string(),
        }
    }
}

/// Where an event's data stands when the envelope ends.
#[derive(Clone, Copy)]
enum Data<'de> {
    Absent,
    /// Checked in the same pass (or skipped: not an event of the contract).
    Checked,
    Raw(&'de RawValue),
}

/// A v2 operation's fields, as far as they have been read.
struct Op<'de> {
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
    data: Data<'de>,
}

impl Op<'_> {
    fn new(start: usize) -> Self {
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
            data: Data::Absent,
        }
    }
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
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A string field of the envelope (borrowed unless escaped), or what was there instead.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Result<Cow<'de, str>, Wire<'static>>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Result<Cow<'de, str>, Wire<'static>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Ok(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Ok(Cow::Owned(s.to_owned())))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Err(Wire::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Err(Wire::Int(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Err(Wire::Int(n.into())))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Self::Value, E> {
        Ok(Err(Wire::Float(x)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err(Wire::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(Err(Wire::Array))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Err(Wire::Object))
    }
}

/// Read a string envelope field; report another type as `invalid_request`.
fn string_field<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    path: impl FnOnce() -> String,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(match map.next_value_seed(StrSeed)? {
        Ok(s) => Some(s),
        Err(found) => {
            let path = path();
            let m = format!("`{path}` must be a string; found {found}");
            w.request(path, m);
            None
        }
    })
}

/// A scalar of the envelope checked on the spot (timestamps, event ids, identifiers).
#[derive(Clone, Copy)]
enum ScalarKind {
    Timestamp,
    EventId,
    PersonId,
    AnonymousId,
}

struct ScalarSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    kind: ScalarKind,
    path: &'a dyn Fn() -> String,
}

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl ScalarSeed<'_, '_> {
    fn int(self, n: i128) {
        match self.kind {
            ScalarKind::Timestamp => {
                let max = formats::MAX_TIMESTAMP_SECONDS as i128;
                if n > max || n < -max {
                    self.w.cx.push(
                        (self.path)(),
                        codes::TIMESTAMP_SECONDS,
                        format!("timestamp {n} looks like milliseconds; send Unix seconds"),
                        Some(format!("send {}", n / 1000)),
                    );
                }
            }
            ScalarKind::PersonId => self.w.check_id(IdValue::Int(n), (self.path)()),
            _ => self.other(Wire::Int(n)),
        }
    }

    fn str(self, s: &str) {
        match self.kind {
            ScalarKind::EventId => {
                if !is_ulid(s) {
                    self.w.cx.push(
                        (self.path)(),
                        codes::EVENT_ID,
                        format!("event id {} is not a ULID; Customer.io deduplicates events by a ULID id", Quoted(s)),
                        None,
                    );
                }
            }
            ScalarKind::PersonId => self.w.check_id(IdValue::Str(s), (self.path)()),
            ScalarKind::AnonymousId => {
                if s.len() > limits::IDENTIFIER_BYTES {
                    self.w.cx.push(
                        (self.path)(),
                        codes::IDENTIFIER_TOO_LONG,
                        format!(
                            "anonymous id is {} bytes; Customer.io allows at most {}",
                            s.len(),
                            limits::IDENTIFIER_BYTES
                        ),
                        None,
                    );
                }
            }
            ScalarKind::Timestamp => self.other(Wire::Str(s)),
        }
    }

    #[cold]
    fn other(self, found: Wire<'_>) {
        let path = (self.path)();
        match self.kind {
            ScalarKind::PersonId => {
                let found = match found {
                    Wire::Null => Wire::Null,
                    Wire::Bool(b) => Wire::Bool(b),
                    Wire::Float(x) => Wire::Float(x),
                    Wire::Array => Wire::Array,
                    _ => Wire::Object,
                };
                self.w.check_id(IdValue::Other(found), path)
            }
            ScalarKind::Timestamp => self.w.cx.push(
                path,
                codes::TYPE,
                format!("expected an integer of Unix seconds, found {found}"),
                None,
            ),
            ScalarKind::EventId => self.w.cx.push(
                path,
                codes::EVENT_ID,
                format!("expected a ULID string, found {found}"),
                None,
            ),
            ScalarKind::AnonymousId => self.w.request(
                path.clone(),
                format!("`{path}` must be a string; found {found}"),
            ),
        }
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.str(s);
        Ok(())
    }
    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.int(n.into());
        Ok(())
    }
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.int(n.into());
        Ok(())
    }
    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        self.other(Wire::Float(x));
        Ok(())
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.other(Wire::Bool(b));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.other(Wire::Null);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq)?;
        self.other(Wire::Array);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        IgnoredAny.visit_map(map)?;
        self.other(Wire::Object);
        Ok(())
    }
}

/// Crockford base32, 26 characters, at most `7ZZZ…` (128 bits).
fn is_ulid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 26
        && matches!(b[0], b'0'..=b'7')
        && b.iter().all(|c| {
            matches!(c.to_ascii_uppercase(), b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z')
        })
}

/// `identifiers`: exactly one of `id` (the contract's), `email`, `phone`, `cio_id`.
struct IdentSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    prefix: &'a str,
}

impl<'de> DeserializeSeed<'de> for IdentSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdentSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an identifiers object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut id, mut email, mut phone, mut cio, mut n) = (false, false, false, false, 0);
        let prefix = self.prefix;
        while let Some(key) = map.next_key_seed(StrSeed)? {
            let key = key.unwrap_or_default();
            n += 1;
            match &*key {
                "id" => {
                    id = true;
                    let path = || format!("{prefix}identifiers.id");
                    map.next_value_seed(ScalarSeed {
                        w: &mut *self.w,
                        kind: ScalarKind::PersonId,
                        path: &path,
                    })?;
                }
                "email" | "phone" | "cio_id" => {
                    map.next_value::<IgnoredAny>()?;
                    match &*key {
                        "email" => email = true,
                        "phone" => phone = true,
                        _ => cio = true,
                    }
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    let m = format!(
                        "unknown identifier `{}` (id, email, phone or cio_id)",
                        Shown(other)
                    );
                    self.w.request(format!("{prefix}identifiers"), m);
                }
            }
        }
        let name = &self.w.cx.v.identity.name;
        let path = format!("{prefix}identifiers");
        if !id {
            let (code, message, hint) = if email {
                (
                    codes::IDENTIFIED_BY_EMAIL,
                    format!(
                        "the person is identified by email; the contract identifies people by `{name}`"
                    ),
                    Some(format!(
                        "send identifiers {{\"id\": <{name}>}} and email as an attribute"
                    )),
                )
            } else if phone {
                (
                    codes::IDENTIFIED_BY_PHONE,
                    format!(
                        "the person is identified by phone; the contract identifies people by `{name}`"
                    ),
                    Some(format!(
                        "send identifiers {{\"id\": <{name}>}} and phone as an attribute"
                    )),
                )
            } else if cio {
                (
                    codes::MISSING_IDENTIFIER,
                    format!(
                        "the person is identified by cio_id; the contract identifies people by `{name}`"
                    ),
                    None,
                )
            } else {
                (
                    codes::MISSING_IDENTIFIER,
                    format!("no `id` in identifiers; the contract identifies people by `{name}`"),
                    None,
                )
            };
            self.w.cx.push(path, code, message, hint);
        } else if n > 1 {
            self.w.cx.push(
                path,
                codes::MULTIPLE_IDENTIFIERS,
                "more than one identifier; Customer.io accepts exactly one".into(),
                Some("send only `id`".into()),
            );
        }
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.not_object(Wire::Str(s))
    }
    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.not_object(Wire::Int(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.not_object(Wire::Int(n.into()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        self.not_object(Wire::Float(x))
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.not_object(Wire::Bool(b))
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_object(Wire::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq)?;
        self.not_object(Wire::Array)
    }
}

impl IdentSeed<'_, '_> {
    fn not_object<E>(self, found: Wire<'_>) -> Result<(), E> {
        let path = format!("{}identifiers", self.prefix);
        let m = format!("`identifiers` must be an object; found {found}");
        self.w.request(path, m);
        Ok(())
    }
}

/// Read one field of a v2 operation.
fn op_field<'de, A: MapAccess<'de>>(
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
        Key::Action => {
            op.action = string_field(w, map, || format!("{prefix}action"))?;
            op.action_bad = op.action.is_none();
        }
        Key::Name => {
            op.name = string_field(w, map, || format!("{prefix}name"))?;
            op.name_bad = op.name.is_none();
        }
        Key::Identifiers => {
            op.identifiers = true;
            map.next_value_seed(IdentSeed { w, prefix })?;
        }
        Key::Timestamp => {
            let path = || format!("{prefix}timestamp");
            map.next_value_seed(ScalarSeed {
                w,
                kind: ScalarKind::Timestamp,
                path: &path,
            })?;
        }
        Key::Id => {
            let path = || format!("{prefix}id");
            map.next_value_seed(ScalarSeed {
                w,
                kind: ScalarKind::EventId,
                path: &path,
            })?;
        }
        Key::Attributes => {
            let v = w.cx.v;
            let node = if w.big_data {
                None
            } else {
                match (op.action.as_deref(), op.name.as_deref()) {
                    (Some("identify"), _) => Some(Some(v.attributes)),
                    (Some("event"), Some(name)) => Some(v.event(name).map(|e| e.data)),
                    (Some("event"), None) | (None, _) => None,
                    (Some(_), _) => Some(None),
                }
            };
            op.data = match node {
                Some(Some(node)) => {
                    map.next_value_seed(NodeSeed {
                        cx: &mut w.cx,
                        node,
                        path: &Path::Root,
                        limit: None,
                    })?;
                    Data::Checked
                }
                Some(None) => {
                    map.next_value::<IgnoredAny>()?;
                    Data::Checked
                }
                None => Data::Raw(map.next_value::<&'de RawValue>()?),
            };
        }
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// One v2 operation (top level of a line, in a batch, or a v1-wrapped entity body).
struct OpSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    prefix: &'a str,
}

impl<'de> DeserializeSeed<'de> for OpSeed<'_, '_> {
    type Value = Op<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Op<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OpSeed<'_, '_> {
    type Value = Op<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an operation")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Op<'de>, A::Error> {
        let mut op = Op::new(self.w.cx.found.len());
        while let Some(key) = map.next_key::<Key>()? {
            op_field(self.w, &mut op, key, &mut map, self.prefix)?;
        }
        Ok(op)
    }
    fn visit_str<E>(self, _: &str) -> Result<Op<'de>, E> {
        Ok(self.not_object(Wire::Str("…")))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Op<'de>, E> {
        Ok(self.not_object(Wire::Int(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Op<'de>, E> {
        Ok(self.not_object(Wire::Int(n.into())))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Op<'de>, E> {
        Ok(self.not_object(Wire::Float(x)))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Op<'de>, E> {
        Ok(self.not_object(Wire::Bool(b)))
    }
    fn visit_unit<E>(self) -> Result<Op<'de>, E> {
        Ok(self.not_object(Wire::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Op<'de>, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(self.not_object(Wire::Array))
    }
}

impl OpSeed<'_, '_> {
    fn not_object<'de>(self, found: Wire<'static>) -> Op<'de> {
        let mut op = Op::new(self.w.cx.found.len());
        op.not_object = Some(found);
        op
    }
}

/// The `batch` array: every element is a record.
struct BatchSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    prefix: &'a str,
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a batch")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.w;
        let mut i: u32 = 0;
        loop {
            if w.sizes {
                let Some(raw) = seq.next_element::<&'de RawValue>()? else {
                    break;
                };
                let op =
                    with_raw(raw.get(), OpSeed { w, prefix: "" }).map_err(de::Error::custom)?;
                w.finish_op(op, Some(i), "", Some(raw.get().len()));
            } else {
                let Some(op) = seq.next_element_seed(OpSeed { w, prefix: "" })? else {
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

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        IgnoredAny.visit_map(map)?;
        self.not_array(Wire::Object)
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_array(Wire::Str("…"))
    }
    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.not_array(Wire::Int(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.not_array(Wire::Int(n.into()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        self.not_array(Wire::Float(x))
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.not_array(Wire::Bool(b))
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_array(Wire::Null)
    }
}

impl BatchSeed<'_, '_> {
    fn not_array<E>(self, found: Wire<'_>) -> Result<(), E> {
        let m = format!("`batch` must be an array of operations; found {found}");
        self.w.request(format!("{}batch", self.prefix), m);
        self.w.finish_record(None, None);
        Ok(())
    }
}

/// Run a batch (top level or a v1 body) with the current record's findings set aside.
fn batch_value<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    prefix: &str,
    len: usize,
) -> Result<(), A::Error> {
    let stash = std::mem::take(&mut w.cx.found);
    let before = w.summary();
    map.next_value_seed(BatchSeed { w, prefix })?;
    w.batch_size(len, before, prefix.trim_end_matches('.'));
    w.cx.found = stash;
    Ok(())
}

/// A v1 request's route.
enum Route<'a> {
    Identify(Cow<'a, str>),
    Track(Cow<'a, str>),
    Anonymous,
    Entity,
    Batch,
    /// Another Track API path (delete, devices, suppress, merge ...): identifier only.
    Other(Option<Cow<'a, str>>),
    Invalid(String),
}

impl<'a> Route<'a> {
    fn of(method: &str, full: &'a str) -> Route<'a> {
        let mut path = full;
        if let Some(i) = path.find("://") {
            path = path[i + 3..].find('/').map_or("/", |j| &path[i + 3 + j..]);
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = path.strip_suffix('/').unwrap_or(path);
        let m = ["PUT", "POST", "DELETE"]
            .into_iter()
            .find(|m| method.eq_ignore_ascii_case(m))
            .unwrap_or("");
        let wrong = |what: &str| {
            Route::Invalid(format!(
                "{} {} is not a Track API request ({what})",
                Shown(method),
                Shown(full)
            ))
        };
        if let Some(rest) = path.strip_prefix("/api/v1/customers/") {
            let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let id = percent_decode(id);
            return match (tail, m) {
                ("", "PUT") => Route::Identify(id),
                ("", "DELETE") => Route::Other(Some(id)),
                ("", _) => wrong("identify is PUT"),
                ("events", "POST") => Route::Track(id),
                ("events", _) => wrong("track is POST"),
                _ => Route::Other(Some(id)),
            };
        }
        match (path, m) {
            ("/api/v1/events", "POST") => Route::Anonymous,
            ("/api/v1/events", _) => wrong("anonymous track is POST"),
            ("/api/v2/entity", "POST") => Route::Entity,
            ("/api/v2/batch", "POST") => Route::Batch,
            ("/api/v2/entity" | "/api/v2/batch", _) => wrong("v2 requests are POST"),
            (p, _) if p.starts_with("/api/v1/") || p.starts_with("/api/v2/") => Route::Other(None),
            _ => Route::Invalid(format!("{} is not a Track API path", Quoted(full))),
        }
    }
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A v1 body, read inline or from its raw text.
enum Body<'de> {
    Absent,
    Deferred(&'de RawValue),
    Op(Op<'de>),
    Track(TrackBody<'de>),
    /// Fully handled (identify attributes, batches, other routes).
    Done,
}

struct TrackBody<'de> {
    name: Option<Cow<'de, str>>,
    name_bad: bool,
    data: Data<'de>,
}

struct BodySeed<'a, 'v, 'r> {
    w: &'a mut Worker<'v>,
    route: &'r Route<'r>,
    len: usize,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_, '_, '_> {
    type Value = Body<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Body<'de>, D::Error> {
        let w = self.w;
        match self.route {
            Route::Identify(_) => {
                let node = w.cx.v.attributes;
                NodeSeed {
                    cx: &mut w.cx,
                    node,
                    path: &Path::Root,
                    limit: None,
                }
                .deserialize(d)?;
                Ok(Body::Done)
            }
            Route::Track(_) | Route::Anonymous => d.deserialize_any(TrackBodySeed {
                w,
                anonymous: matches!(self.route, Route::Anonymous),
            }),
            Route::Entity => Ok(Body::Op(OpSeed { w, prefix: "body." }.deserialize(d)?)),
            Route::Batch => {
                d.deserialize_any(BatchBodySeed { w, len: self.len })?;
                Ok(Body::Done)
            }
            Route::Other(_) | Route::Invalid(_) => {
                IgnoredAny::deserialize(d)?;
                Ok(Body::Done)
            }
        }
    }
}

struct TrackBodySeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    anonymous: bool,
}

impl<'de> Visitor<'de> for TrackBodySeed<'_, '_> {
    type Value = Body<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a track body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body<'de>, A::Error> {
        let w = self.w;
        let mut t = TrackBody {
            name: None,
            name_bad: false,
            data: Data::Absent,
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Name => {
                    t.name = string_field(w, &mut map, || "body.name".into())?;
                    t.name_bad = t.name.is_none();
                }
                Key::Data => {
                    let ready = match &t.name {
                        Some(name) if !w.big_data => Some(w.cx.v.event(name).map(|e| e.data)),
                        _ => None,
                    };
                    t.data = match ready {
                        Some(Some(node)) => {
                            map.next_value_seed(NodeSeed {
                                cx: &mut w.cx,
                                node,
                                path: &Path::Root,
                                limit: None,
                            })?;
                            Data::Checked
                        }
                        Some(None) => {
                            map.next_value::<IgnoredAny>()?;
                            Data::Checked
                        }
                        None => Data::Raw(map.next_value::<&'de RawValue>()?),
                    };
                }
                Key::Timestamp => {
                    let path = || "body.timestamp".to_owned();
                    map.next_value_seed(ScalarSeed {
                        w,
                        kind: ScalarKind::Timestamp,
                        path: &path,
                    })?;
                }
                Key::Id => {
                    let path = || "body.id".to_owned();
                    map.next_value_seed(ScalarSeed {
                        w,
                        kind: ScalarKind::EventId,
                        path: &path,
                    })?;
                }
                Key::AnonymousId if self.anonymous => {
                    let path = || "body.anonymous_id".to_owned();
                    map.next_value_seed(ScalarSeed {
                        w,
                        kind: ScalarKind::AnonymousId,
                        path: &path,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Body::Track(t))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Body<'de>, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(self.not_object(Wire::Array))
    }
    fn visit_str<E>(self, _: &str) -> Result<Body<'de>, E> {
        Ok(self.not_object(Wire::Str("…")))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Body<'de>, E> {
        Ok(self.not_object(Wire::Int(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Body<'de>, E> {
        Ok(self.not_object(Wire::Int(n.into())))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Body<'de>, E> {
        Ok(self.not_object(Wire::Float(x)))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Body<'de>, E> {
        Ok(self.not_object(Wire::Bool(b)))
    }
    fn visit_unit<E>(self) -> Result<Body<'de>, E> {
        Ok(self.not_object(Wire::Null))
    }
}

impl TrackBodySeed<'_, '_> {
    fn not_object<'de>(self, found: Wire<'_>) -> Body<'de> {
        self.w.request(
            "body".into(),
            format!("a track body must be an object; found {found}"),
        );
        Body::Done
    }
}

struct BatchBodySeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    len: usize,
}

impl<'de> Visitor<'de> for BatchBodySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a batch body")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::Batch {
                seen = true;
                batch_value(self.w, &mut map, "body.", self.len)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !seen {
            self.w
                .request("body".into(), "a batch body needs `batch`".into());
            self.w.finish_record(None, None);
        }
        Ok(())
    }
}

/// The line itself: batch, v1 request or v2 operation, told apart by their keys.
struct LineSeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    len: usize,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

struct V1<'de> {
    method: Option<Cow<'de, str>>,
    method_bad: bool,
    path: Option<Cow<'de, str>>,
    path_bad: bool,
    body: Body<'de>,
}

impl<'de> Visitor<'de> for LineSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Track API request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
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
                Key::Batch => {
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
        if is_batch {
            w.cx.found.clear();
        } else if is_v1 {
            w.finish_v1(v1, self.len);
        } else {
            w.finish_op(op, None, "", Some(self.len));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq)?;
        self.not_object(Wire::Array)
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.not_object(Wire::Str(s))
    }
    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.not_object(Wire::Int(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.not_object(Wire::Int(n.into()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        self.not_object(Wire::Float(x))
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.not_object(Wire::Bool(b))
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_object(Wire::Null)
    }
}

impl LineSeed<'_, '_> {
    fn not_object<E>(self, found: Wire<'_>) -> Result<(), E> {
        self.w.request(
            String::new(),
            format!("a line must be a JSON object (a Track API operation, batch or v1 request); found {found}"),
        );
        self.w.finish_record(None, None);
        Ok(())
    }
}
