//! Checking a JSON value against a compiled node *while* serde_json parses it: a
//! [`DeserializeSeed`] per node, so a valid payload is judged in one pass, with keys and
//! strings borrowed from the input (or serde_json's scratch buffer when escaped) and no
//! allocation unless something is wrong.

use std::fmt::{self, Display};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use serde_json::value::RawValue;

use super::compile::{EnumCheck, Node, NodeId, NumCheck, ObjectCheck, ObjectRole, Validator};
use trackc_wire::time::{DateError, looks_like_milliseconds, parse_date};

use super::{TrafficRule, bounds, codes, limits};
use crate::diag::did_you_mean;

/// One problem found in the current record, before the record layer adds the line,
/// batch index and event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub path: String,
    pub code: TrafficRule,
    pub message: String,
    pub hint: Option<String>,
}

/// Per-worker state: the validator and what the current record has found so far.
pub(crate) struct Ctx<'v> {
    pub v: &'v Validator,
    pub found: Vec<Found>,
    /// What the current event's data said of its idempotency key and revenue.
    pub captured: Captured,
}

/// The values of an event's watched properties ([`super::compile::Watch`]), as read.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    /// The idempotency key's value, as canonical JSON (`"ord_1"`, `42`).
    pub key: Option<String>,
    pub revenue: Option<f64>,
}

impl<'v> Ctx<'v> {
    pub fn new(v: &'v Validator) -> Self {
        Ctx {
            v,
            found: Vec::new(),
            captured: Captured::default(),
        }
    }

    #[cold]
    pub fn push(&mut self, path: String, code: TrafficRule, message: String, hint: Option<String>) {
        self.found.push(Found {
            path,
            code,
            message,
            hint,
        });
    }
}

/// A JSON path built on the stack while checking; rendered (its keys cut at
/// [`bounds::NAME_CHARS`]) only when something fails.
pub(crate) use trackc_wire::JsonPath as Path;

/// What was on the wire, for "expected X, found Y".
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wire<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
    Array,
    Object,
}

impl Display for Wire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wire::Null => f.write_str("null"),
            Wire::Bool(b) => write!(f, "boolean {b}"),
            Wire::Int(n) => write!(f, "integer {n}"),
            Wire::Float(x) => write!(f, "number {x:?}"),
            Wire::Str(s) => write!(f, "string {}", Quoted(s)),
            Wire::Array => f.write_str("array"),
            Wire::Object => f.write_str("object"),
        }
    }
}

/// A name from the traffic (a key, an identifier field, a request path) in a message or
/// path: as sent, cut at [`super::bounds::NAME_CHARS`] characters with `…`, so that what
/// a report keeps does not grow with the input.
pub(crate) struct Shown<'a>(pub &'a str);

impl Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::bounds::clip(self.0, super::bounds::NAME_CHARS))
    }
}

/// A wire string in a message: JSON-quoted, cut at 60 characters.
pub(crate) struct Quoted<'a>(pub &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 60;
        match self.0.char_indices().nth(MAX) {
            Some((cut, _)) => write!(f, "{}…", serde_json::Value::from(&self.0[..cut])),
            None => write!(f, "{}", serde_json::Value::from(self.0)),
        }
    }
}

/// An idempotency key's value as canonical JSON (serde_json's rendering of the parsed
/// value), cut at [`bounds::NAME_CHARS`]; `None` for null, arrays and objects.
///
/// A string without a backslash is already canonical as sent (JSON text cannot hold a raw
/// control character, and serde_json escapes nothing else), so the usual key costs one
/// copy instead of a parse and a rendering.
fn canonical_key(text: &str) -> Option<String> {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') && !text.contains('\\') {
        return Some(bounds::clip(text, bounds::NAME_CHARS).into_owned());
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    (!value.is_object() && !value.is_array() && !value.is_null())
        .then(|| bounds::clip(&value.to_string(), bounds::NAME_CHARS).into_owned())
}

/// Check the value at `path` against `node`.
pub(crate) struct NodeSeed<'c, 'v, 'p> {
    pub cx: &'c mut Ctx<'v>,
    pub node: NodeId,
    pub path: &'p Path<'p>,
    /// Customer.io's per-value byte limit (identify attribute strings).
    pub limit: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_, '_> {
    type Value = ();

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl NodeSeed<'_, '_, '_> {
    /// This value's path as reported.
    #[cold]
    fn path_text(&self) -> String {
        self.path.clipped(bounds::NAME_CHARS).to_string()
    }

    #[cold]
    fn mismatch(self, found: Wire<'_>) {
        let v = self.cx.v;
        let node = &v.nodes[self.node as usize];
        let expected = &v.names[self.node as usize];
        let hint = match (node, found) {
            (Node::Integer(_) | Node::Number(_) | Node::Timestamp, Wire::Str(s))
                if s.trim().parse::<f64>().is_ok_and(f64::is_finite) =>
            {
                Some(format!(
                    "send {} as a JSON number, not a string",
                    Shown(s.trim())
                ))
            }
            (Node::String(_) | Node::Enum(_) | Node::Date, Wire::Int(n)) => {
                Some(format!("send \"{n}\" as a JSON string"))
            }
            (Node::Boolean, Wire::Str(s @ ("true" | "false"))) => {
                Some(format!("send {s} as a JSON boolean, not a string"))
            }
            _ => None,
        };
        self.cx.push(
            self.path_text(),
            codes::TYPE,
            format!("expected {expected}, found {found}"),
            hint,
        );
    }

    fn bounds(self, b: &NumCheck, x: f64, shown: &dyn Display) {
        if let Some(min) = b.minimum
            && (x < min || x.is_nan())
        {
            self.cx.push(
                self.path_text(),
                codes::MINIMUM,
                format!("{shown} is less than the minimum {min}"),
                None,
            );
            return;
        }
        if let Some(max) = b.maximum
            && (x > max || x.is_nan())
        {
            self.cx.push(
                self.path_text(),
                codes::MAXIMUM,
                format!("{shown} is greater than the maximum {max}"),
                None,
            );
        }
    }

    fn integer(self, n: i128) {
        let v = self.cx.v;
        match &v.nodes[self.node as usize] {
            Node::Integer(b) | Node::Number(b) => {
                if b.minimum.is_some() || b.maximum.is_some() {
                    self.bounds(b, n as f64, &n)
                }
            }
            Node::Timestamp => {
                if looks_like_milliseconds(n) {
                    self.cx.push(
                        self.path_text(),
                        codes::TIMESTAMP_SECONDS,
                        format!("timestamp {n} looks like milliseconds; send Unix seconds"),
                        Some(format!("send {}", n / 1000)),
                    );
                }
            }
            _ => self.mismatch(Wire::Int(n)),
        }
    }

    fn string(self, s: &str) {
        let v = self.cx.v;
        match &v.nodes[self.node as usize] {
            Node::String(sc) => {
                if let Some(limit) = self.limit
                    && s.len() > limit
                {
                    self.cx.push(
                        self.path_text(),
                        codes::ATTRIBUTE_VALUE_TOO_LONG,
                        format!(
                            "attribute value is {} bytes; Customer.io allows at most {limit}",
                            s.len()
                        ),
                        None,
                    );
                }
                if let Some(max) = sc.max_length {
                    // Characters never outnumber bytes: count only when it could matter.
                    if s.len() as u64 > max {
                        let n = s.chars().count() as u64;
                        if n > max {
                            self.cx.push(
                                self.path_text(),
                                codes::MAX_LENGTH,
                                format!("length {n} is greater than {max}"),
                                None,
                            );
                        }
                    }
                }
                if let Some(min) = sc.min_length {
                    // At least len/4 characters: count only when that is not enough.
                    if ((s.len() / 4) as u64) < min {
                        let n = s.chars().count() as u64;
                        if n < min {
                            self.cx.push(
                                self.path_text(),
                                codes::MIN_LENGTH,
                                format!("length {n} is less than {min}"),
                                None,
                            );
                        }
                    }
                }
                if let Some(re) = &sc.pattern
                    && !re.is_match(s)
                {
                    self.cx.push(
                        self.path_text(),
                        codes::PATTERN,
                        format!(
                            "{} does not match the pattern {}",
                            Quoted(s),
                            sc.pattern_text.as_deref().unwrap_or(re.as_str())
                        ),
                        None,
                    );
                }
                if let Some(f) = sc.format
                    && !v.fmt.check(f, s)
                {
                    self.cx.push(
                        self.path_text(),
                        codes::FORMAT,
                        format!("{} is not a valid {}", Quoted(s), f.as_str()),
                        None,
                    );
                }
            }
            Node::Date => {
                if let Some(why) = date_problem(s) {
                    self.cx.push(self.path_text(), codes::DATE, why, None);
                }
            }
            Node::Enum(e) => {
                if !e.contains(s) {
                    self.enum_miss(e, s);
                }
            }
            _ => self.mismatch(Wire::Str(s)),
        }
    }

    #[cold]
    fn enum_miss(self, e: &EnumCheck, s: &str) {
        let v = self.cx.v;
        let name = &v.names[self.node as usize];
        if let Some(canonical) = e.canonical_of_alias(s) {
            self.cx.push(
                self.path_text(),
                codes::ENUM_ALIAS,
                format!(
                    "{} is an alias of `{canonical}` in {name}; send the canonical value",
                    Quoted(s)
                ),
                Some(format!("normalise '{s}' → {canonical}")),
            );
            return;
        }
        let list: Vec<&str> = e.values.iter().map(|v| &**v).collect();
        let hint = did_you_mean(
            s,
            e.values
                .iter()
                .map(|v| &**v)
                .chain(e.aliases.keys().map(|a| &**a)),
        )
        .map(|m| match e.canonical_of_alias(m) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("did you mean `{m}`?"),
        });
        self.cx.push(
            self.path_text(),
            codes::ENUM,
            format!(
                "{} is not a value of {name} ({})",
                Quoted(s),
                list.join(", ")
            ),
            hint,
        );
    }

    fn object<'de, A: MapAccess<'de>>(
        mut self,
        obj: &ObjectCheck,
        mut map: A,
    ) -> Result<(), A::Error> {
        let v = self.cx.v;
        let mut seen = Seen::new(obj.props.len(), obj.required > 0);
        let mut keys = 0usize;
        let limit = match obj.role {
            ObjectRole::Attributes => Some(limits::ATTRIBUTE_VALUE_BYTES),
            ObjectRole::Data => None,
        };
        while let Some(key) = map.next_key_seed(KeySeed { obj })? {
            keys += 1;
            match key {
                Key::Known(i) if obj.watch.key == Some(i) || obj.watch.revenue == Some(i) => {
                    seen.set(i);
                    self.watched(obj, i, map.next_value::<&RawValue>()?);
                }
                Key::Known(i) => {
                    seen.set(i);
                    let p = &obj.props[i];
                    let path = Path::Field(self.path, &p.name);
                    map.next_value_seed(NodeSeed {
                        cx: &mut *self.cx,
                        node: p.node,
                        path: &path,
                        limit,
                    })?;
                }
                Key::Pass => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Reserved(j) => match &obj.passthrough[j] {
                    (name, Some(node)) => {
                        let path = Path::Field(self.path, name);
                        map.next_value_seed(NodeSeed {
                            cx: &mut *self.cx,
                            node: *node,
                            path: &path,
                            limit: None,
                        })?;
                    }
                    (_, None) => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
                Key::Unknown(name) => {
                    map.next_value::<IgnoredAny>()?;
                    self.unknown_key(obj, &name);
                }
            }
        }
        if obj.required > 0 {
            for (i, p) in obj.props.iter().enumerate() {
                if !p.optional && !seen.get(i) {
                    let what = &v.names[self.node as usize];
                    self.cx.push(
                        Path::Field(self.path, &p.name)
                            .clipped(bounds::NAME_CHARS)
                            .to_string(),
                        codes::MISSING_PROPERTY,
                        format!("required property `{}` of {what} is missing", p.name),
                        None,
                    );
                }
            }
        }
        if obj.role == ObjectRole::Attributes && keys > limits::ATTRIBUTES_PER_CALL {
            self.cx.push(
                self.path_text(),
                codes::TOO_MANY_ATTRIBUTES,
                format!(
                    "{keys} attributes in one call; Customer.io allows at most {}",
                    limits::ATTRIBUTES_PER_CALL
                ),
                None,
            );
        }
        Ok(())
    }

    /// A watched property of an event's data (its idempotency key, its revenue): checked
    /// like any other, and its value kept for the promises across records.
    #[cold]
    fn watched(&mut self, obj: &ObjectCheck, i: usize, raw: &RawValue) {
        let p = &obj.props[i];
        let path = Path::Field(self.path, &p.name);
        let mut de = serde_json::Deserializer::from_str(raw.get());
        // The text was parsed once already: this cannot fail.
        let _ = NodeSeed {
            cx: &mut *self.cx,
            node: p.node,
            path: &path,
            limit: None,
        }
        .deserialize(&mut de);
        let text = raw.get();
        if obj.watch.key == Some(i) {
            // Canonical, so that `"ord_1"` and `"ord\u005f1"` are one key; a key is a scalar.
            self.cx.captured.key = canonical_key(text);
        }
        if obj.watch.revenue == Some(i) {
            // What `Value::as_f64` gives: any JSON number, nothing else.
            self.cx.captured.revenue = serde_json::from_str::<f64>(text).ok();
        }
    }

    #[cold]
    fn unknown_key(&mut self, obj: &ObjectCheck, name: &str) {
        let v = self.cx.v;
        let path = Path::Field(self.path, name)
            .clipped(bounds::NAME_CHARS)
            .to_string();
        let hint = did_you_mean(name, obj.props.iter().map(|p| &*p.name))
            .map(|m| format!("did you mean `{m}`?"));
        match obj.role {
            ObjectRole::Attributes => {
                if name.len() > limits::ATTRIBUTE_NAME_BYTES {
                    self.cx.push(
                        path.clone(),
                        codes::ATTRIBUTE_NAME_TOO_LONG,
                        format!(
                            "attribute name is {} bytes; Customer.io allows at most {}",
                            name.len(),
                            limits::ATTRIBUTE_NAME_BYTES
                        ),
                        None,
                    );
                }
                self.cx.push(
                    path,
                    codes::UNKNOWN_ATTRIBUTE,
                    format!("attribute `{}` is not in the contract", Shown(name)),
                    hint,
                );
            }
            ObjectRole::Data if name == "timestamp" && matches!(self.path, Path::Root) => {
                self.cx.push(
                    path,
                    codes::MISPLACED_TIMESTAMP,
                    "`timestamp` is inside the event's data: Customer.io reads it as an ordinary \
                     property and stamps the event with the time it arrives"
                        .into(),
                    Some(
                        "move `timestamp` up beside the event's `name` (v2: in the operation; \
                         v1: in the body), as Unix seconds"
                            .into(),
                    ),
                );
            }
            ObjectRole::Data => {
                let what = &v.names[self.node as usize];
                self.cx.push(
                    path,
                    codes::UNKNOWN_PROPERTY,
                    format!("property `{}` is not in {what}", Shown(name)),
                    hint,
                );
            }
        }
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        if !matches!(self.cx.v.nodes[self.node as usize], Node::Boolean) {
            self.mismatch(Wire::Bool(b));
        }
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.integer(n as i128);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.integer(n as i128);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<(), E> {
        let v = self.cx.v;
        match &v.nodes[self.node as usize] {
            Node::Number(b) => {
                if b.minimum.is_some() || b.maximum.is_some() {
                    self.bounds(b, x, &x)
                }
            }
            // `1.0` is not an integer on this wire: typed consumers (serde into i64) refuse it.
            _ => self.mismatch(Wire::Float(x)),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.string(s);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.mismatch(Wire::Null);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.mismatch(Wire::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let v = self.cx.v;
        let Node::Array(a) = &v.nodes[self.node as usize] else {
            IgnoredAny.visit_seq(seq)?;
            self.mismatch(Wire::Array);
            return Ok(());
        };
        let mut n = 0usize;
        loop {
            let path = Path::Index(self.path, n);
            let seed = NodeSeed {
                cx: &mut *self.cx,
                node: a.items,
                path: &path,
                limit: None,
            };
            match seq.next_element_seed(seed)? {
                Some(()) => n += 1,
                None => break,
            }
        }
        if let Some(min) = a.min_items
            && (n as u64) < min
        {
            self.cx.push(
                self.path_text(),
                codes::MIN_ITEMS,
                format!("{n} items, at least {min} required"),
                None,
            );
        }
        if let Some(max) = a.max_items
            && n as u64 > max
        {
            self.cx.push(
                self.path_text(),
                codes::MAX_ITEMS,
                format!("{n} items, at most {max} allowed"),
                None,
            );
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let v = self.cx.v;
        match &v.nodes[self.node as usize] {
            Node::Object(obj) => self.object(obj, map),
            _ => {
                IgnoredAny.visit_map(map)?;
                self.mismatch(Wire::Object);
                Ok(())
            }
        }
    }
}

/// Which properties an object has had, for the required check.
enum Seen {
    None,
    Small(u128),
    Large(Vec<bool>),
}

impl Seen {
    #[inline]
    fn new(n: usize, track: bool) -> Seen {
        if !track {
            Seen::None
        } else if n <= 128 {
            Seen::Small(0)
        } else {
            Seen::Large(vec![false; n])
        }
    }

    #[inline]
    fn set(&mut self, i: usize) {
        match self {
            Seen::None => {}
            Seen::Small(bits) => *bits |= 1 << i,
            Seen::Large(v) => v[i] = true,
        }
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        match self {
            Seen::None => true,
            Seen::Small(bits) => bits & (1 << i) != 0,
            Seen::Large(v) => v[i],
        }
    }
}

enum Key {
    Known(usize),
    /// Accepted without a check (open objects).
    Pass,
    /// One of the object's accepted keys outside the contract.
    Reserved(usize),
    Unknown(String),
}

struct KeySeed<'o> {
    obj: &'o ObjectCheck,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }

    #[inline]
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
        Ok(match self.obj.lookup(s) {
            Some(i) => Key::Known(i),
            None => match self.obj.passthrough.iter().position(|(p, _)| &**p == s) {
                Some(j) => Key::Reserved(j),
                None if self.obj.open => Key::Pass,
                None => Key::Unknown(s.to_owned()),
            },
        })
    }
}

/// Why `s` is not a `YYYY-MM-DD` day that exists ([`trackc_wire::time::parse_date`]), the
/// text quoted as sent.
fn date_problem(s: &str) -> Option<String> {
    match parse_date(s) {
        Ok(_) => None,
        Err(DateError::NotYmd) => Some(format!("{} is not a YYYY-MM-DD date", Quoted(s))),
        Err(DateError::Month(month)) => Some(format!("{} has no month {month}", Quoted(s))),
        Err(e) => Some(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_key;

    /// The shortcut for plain strings gives what rendering the parsed value gives.
    #[test]
    fn canonical_key_is_the_rendered_value() {
        let slow = |t: &str| {
            let v: serde_json::Value = serde_json::from_str(t).unwrap();
            (!v.is_object() && !v.is_array() && !v.is_null()).then(|| {
                super::bounds::clip(&v.to_string(), super::bounds::NAME_CHARS).into_owned()
            })
        };
        let long = format!("\"{}\"", "é".repeat(300));
        for t in [
            r#""ord_1""#,
            r#""ord\u005f1""#,
            r#""a\"b""#,
            r#""tab\there""#,
            r#""""#,
            r#""ünïcödé ✓""#,
            "42",
            "-0",
            "1e2",
            "1.50",
            "true",
            "null",
            "[1]",
            r#"{"a":1}"#,
            &long,
        ] {
            assert_eq!(canonical_key(t), slow(t), "{t}");
        }
        assert_eq!(
            canonical_key(r#""ord\u005f1""#).as_deref(),
            Some(r#""ord_1""#)
        );
    }
}
