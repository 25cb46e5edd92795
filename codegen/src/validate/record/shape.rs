//! The one wrong-shape path of the envelope: a reader names the JSON shape it takes and
//! reads only that; every other shape is skipped (arrays and objects whole) and handed to
//! [`Shape::wrong`], and reported by [`Worker::wrong_shape`].

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Wire, Worker, codes};
use crate::rules::TrafficRule;

/// A reader of one part of the envelope. It overrides the shapes it takes; the others
/// arrive at [`Shape::wrong`]. Read it through [`Shaped`].
pub(super) trait Shape<'de>: Sized {
    type Value;

    /// What the part must be ("a string", "an object"): serde's `expecting`, and the
    /// wording of the wrong-shape message where the reader reports it.
    fn expected(&self) -> &'static str;

    /// Whether a string of the wrong shape is quoted in the message (or shown as `…`).
    const SHOWS_STRINGS: bool = true;

    /// Any shape the reader does not take.
    fn wrong(self, found: Wire<'_>) -> Self::Value;

    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(self.wrong(Wire::Object))
    }

    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(self.wrong(Wire::Array))
    }

    fn str(self, s: &str) -> Self::Value {
        self.wrong(Wire::Str(if Self::SHOWS_STRINGS { s } else { "…" }))
    }

    fn borrowed_str(self, s: &'de str) -> Self::Value {
        self.str(s)
    }

    fn int(self, n: i128) -> Self::Value {
        self.wrong(Wire::Int(n))
    }
}

/// serde's side of a [`Shape`]: every JSON shape serde_json can hand a visitor, each
/// forwarded once, here.
pub(super) struct Shaped<S>(pub S);

impl<'de, S: Shape<'de>> DeserializeSeed<'de> for Shaped<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Shape<'de>> Visitor<'de> for Shaped<S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.expected())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S::Value, A::Error> {
        self.0.map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Value, A::Error> {
        self.0.seq(seq)
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<S::Value, E> {
        Ok(self.0.borrowed_str(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<S::Value, E> {
        Ok(self.0.str(s))
    }
    fn visit_i64<E>(self, n: i64) -> Result<S::Value, E> {
        Ok(self.0.int(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<S::Value, E> {
        Ok(self.0.int(n.into()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<S::Value, E> {
        Ok(self.0.wrong(Wire::Float(x)))
    }
    fn visit_bool<E>(self, b: bool) -> Result<S::Value, E> {
        Ok(self.0.wrong(Wire::Bool(b)))
    }
    fn visit_unit<E>(self) -> Result<S::Value, E> {
        Ok(self.0.wrong(Wire::Null))
    }
}

/// A found shape kept past the input it was read from (a string as `…`).
pub(super) fn detached(found: Wire<'_>) -> Wire<'static> {
    match found {
        Wire::Null => Wire::Null,
        Wire::Bool(b) => Wire::Bool(b),
        Wire::Int(n) => Wire::Int(n),
        Wire::Float(x) => Wire::Float(x),
        Wire::Str(_) => Wire::Str("…"),
        Wire::Array => Wire::Array,
        Wire::Object => Wire::Object,
    }
}

/// What a wrong-shape message is about.
pub(super) enum Subject<'a> {
    /// An envelope field by its path: "`path` must be …; found …".
    Field(&'a str),
    /// A part of the request: "an operation must be …; found …".
    Part(&'static str),
    /// A checked value: "expected …, found …".
    Value,
}

impl Worker<'_> {
    /// Report a part of the envelope that has the wrong JSON shape.
    #[cold]
    pub(super) fn wrong_shape(
        &mut self,
        path: String,
        code: TrafficRule,
        subject: Subject<'_>,
        expected: &str,
        found: Wire<'_>,
    ) {
        let message = match subject {
            Subject::Field(field) => format!("`{field}` must be {expected}; found {found}"),
            Subject::Part(part) => format!("{part} must be {expected}; found {found}"),
            Subject::Value => format!("expected {expected}, found {found}"),
        };
        self.cx.push(path, code, message, None);
    }

    #[cold]
    pub(super) fn request(&mut self, path: String, message: String) {
        self.cx.push(path, codes::INVALID_REQUEST, message, None);
    }
}

/// A string field of the envelope (borrowed unless escaped), or what was there instead.
pub(super) struct StrSeed;

impl<'de> Shape<'de> for StrSeed {
    type Value = Result<Cow<'de, str>, Wire<'static>>;

    fn expected(&self) -> &'static str {
        "a string"
    }
    fn borrowed_str(self, s: &'de str) -> Self::Value {
        Ok(Cow::Borrowed(s))
    }
    fn str(self, s: &str) -> Self::Value {
        Ok(Cow::Owned(s.to_owned()))
    }
    fn wrong(self, found: Wire<'_>) -> Self::Value {
        Err(detached(found))
    }
}

/// Read a string envelope field; report another type as `invalid_request`.
pub(super) fn string_field<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    path: impl FnOnce() -> String,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    let seed = StrSeed;
    let expected = seed.expected();
    Ok(match map.next_value_seed(Shaped(seed))? {
        Ok(s) => Some(s),
        Err(found) => {
            let path = path();
            w.wrong_shape(
                path.clone(),
                codes::INVALID_REQUEST,
                Subject::Field(&path),
                expected,
                found,
            );
            None
        }
    })
}
