//! Checking a JSON value against a compiled node *while* serde_json parses it: a
//! [`DeserializeSeed`] per node, so a valid payload is judged in one pass, with keys and
//! strings borrowed from the input (or serde_json's scratch buffer when escaped) and no
//! allocation unless something is wrong.

use std::fmt::{self, Display};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::compile::{EnumCheck, Node, NodeId, NumCheck, ObjectCheck, ObjectRole, Validator};
use super::{TrafficRule, codes, formats, limits};
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
}

impl<'v> Ctx<'v> {
    pub fn new(v: &'v Validator) -> Self {
        Ctx {
            v,
            found: Vec::new(),
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

/// A JSON path built on the stack while checking; rendered only when something fails.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Field(parent, name) => {
                parent.fmt(f)?;
                if !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    write!(f, ".{}", Shown(name))
                } else {
                    let name = super::bounds::clip(name, super::bounds::NAME_CHARS);
                    write!(f, "[{}]", serde_json::Value::from(&*name))
                }
            }
            Path::Index(parent, i) => {
                parent.fmt(f)?;
                write!(f, "[{i}]")
            }
        }
    }
}

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
            self.path.to_string(),
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
                self.path.to_string(),
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
                self.path.to_string(),
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
                if n > formats::MAX_TIMESTAMP_SECONDS as i128
                    || n < -(formats::MAX_TIMESTAMP_SECONDS as i128)
                {
                    self.cx.push(
                        self.path.to_string(),
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
                        self.path.to_string(),
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
                                self.path.to_string(),
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
                                self.path.to_string(),
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
                        self.path.to_string(),
                        codes::PATTERN,
                        format!("{} does not match the pattern {}", Quoted(s), re.as_str()),
                        None,
                    );
                }
                if let Some(f) = sc.format
                    && !v.fmt.check(f, s)
                {
                    self.cx.push(
                        self.path.to_string(),
                        codes::FORMAT,
                        format!("{} is not a valid {}", Quoted(s), f.as_str()),
                        None,
                    );
                }
            }
            Node::Date => {
                if let Err(why) = check_date(s) {
                    self.cx.push(self.path.to_string(), codes::DATE, why, None);
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
                self.path.to_string(),
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
            self.path.to_string(),
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
                        Path::Field(self.path, &p.name).to_string(),
                        codes::MISSING_PROPERTY,
                        format!("required property `{}` of {what} is missing", p.name),
                        None,
                    );
                }
            }
        }
        if obj.role == ObjectRole::Attributes && keys > limits::ATTRIBUTES_PER_CALL {
            self.cx.push(
                self.path.to_string(),
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

    #[cold]
    fn unknown_key(&mut self, obj: &ObjectCheck, name: &str) {
        let v = self.cx.v;
        let path = Path::Field(self.path, name).to_string();
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
                self.path.to_string(),
                codes::MIN_ITEMS,
                format!("{n} items, at least {min} required"),
                None,
            );
        }
        if let Some(max) = a.max_items
            && n as u64 > max
        {
            self.cx.push(
                self.path.to_string(),
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

/// `YYYY-MM-DD`, a day that exists (as `trackc::Date` parses it).
pub(crate) fn check_date(s: &str) -> Result<(), String> {
    use crate::front::date::{DateError, parse};
    parse(s).map_err(|e| match e {
        DateError::Shape => format!("{} is not a YYYY-MM-DD date", Quoted(s)),
        DateError::NoMonth { month } => format!("{} has no month {month}", Quoted(s)),
        DateError::NoDay { year, month, day } => {
            format!("{year:04}-{month:02} has no day {day}")
        }
    })
}
