//! One NDJSON line (validate's shapes: v2 operation, v2 batch, v1 request) → the
//! operations the people model reads: who, what, when. Whether a record is valid is not
//! decided here: [`super::Simulator`] asks the validator first and drops what it rejects,
//! so this reads only the envelope of records the validator accepted. Routes come from the
//! one route table (`trackc_wire::route`).

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use trackc_wire::PathPerson;
use trackc_wire::route::{Matched, Param, RouteId, match_request};

/// How an operation names its person. Customer.io keeps each kind apart: a call by email
/// reaches the profile with that email as its identifier, not the one keyed by the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    Id,
    Email,
    Phone,
    CioId,
    Anonymous,
}

impl IdKind {
    /// The kind of a v2 `identifiers` key.
    pub(crate) fn of(key: trackc_wire::IdentifierKey) -> IdKind {
        use trackc_wire::IdentifierKey as K;
        match key {
            K::Id => IdKind::Id,
            K::Email => IdKind::Email,
            K::Phone => IdKind::Phone,
            K::CioId => IdKind::CioId,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Id => "id",
            IdKind::Email => "email",
            IdKind::Phone => "phone",
            IdKind::CioId => "cio_id",
            IdKind::Anonymous => "anonymous_id",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Who {
    pub kind: IdKind,
    pub value: String,
}

#[derive(Debug)]
pub(crate) enum What<'a> {
    Event {
        name: String,
        /// The event's data, as sent: parsed only when the contract reads it.
        data: Option<&'a RawValue>,
        /// The envelope's event `id`.
        id: Option<String>,
    },
    Identify {
        /// The attributes object, as sent: only those the contract reads are parsed.
        attributes: Option<&'a RawValue>,
    },
    /// `secondary` is merged into the operation's person.
    Merge { secondary: Who },
    /// Anything else the Track API takes (page views, devices, deletes): it names a
    /// person but changes nothing the contract's segments and workflows read.
    Other,
}

#[derive(Debug)]
pub(crate) struct Op<'a> {
    /// The operation's index in a batch.
    pub index: Option<u32>,
    pub who: Option<Who>,
    pub what: What<'a>,
    /// The envelope's `timestamp` (Unix seconds).
    pub timestamp: Option<i64>,
}

/// The operations of one line and when the capture received it.
#[derive(Debug, Default)]
pub(crate) struct Line<'a> {
    pub received_at: Option<i64>,
    pub ops: Vec<Op<'a>>,
}

/// Every envelope field of every shape (a line, a v2 operation, a v1 body), kept raw:
/// only what the people model reads is parsed, and a field of an unexpected type costs
/// that field, not the line. A field sent twice takes its last value, as `trackc validate`
/// reads it (its envelope reader keeps the last one; so does a JSON object parsed into
/// a map), so that a record validate accepts is simulated with the values validate
/// judged.
#[derive(Default)]
struct Env<'a> {
    kind: Option<&'a RawValue>,
    identifiers: Option<&'a RawValue>,
    action: Option<&'a RawValue>,
    name: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
    timestamp: Option<&'a RawValue>,
    attributes: Option<&'a RawValue>,
    data: Option<&'a RawValue>,
    batch: Option<&'a RawValue>,
    method: Option<&'a RawValue>,
    path: Option<&'a RawValue>,
    body: Option<&'a RawValue>,
    anonymous_id: Option<&'a RawValue>,
    received_at: Option<&'a RawValue>,
    primary: Option<&'a RawValue>,
    secondary: Option<&'a RawValue>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Env<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, Visitor};

        /// The field a name is (`None`: one the people model does not read).
        type Slot<'de> = for<'x> fn(&'x mut Env<'de>) -> &'x mut Option<&'de RawValue>;
        struct Field<'de>(Option<Slot<'de>>);
        impl<'de> Deserialize<'de> for Field<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Name<'de>(std::marker::PhantomData<Env<'de>>);
                impl<'de> Visitor<'_> for Name<'de> {
                    type Value = Field<'de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E>(self, s: &str) -> Result<Field<'de>, E> {
                        Ok(Field(Some(match s {
                            "type" => |e| &mut e.kind,
                            "identifiers" => |e| &mut e.identifiers,
                            "action" => |e| &mut e.action,
                            "name" => |e| &mut e.name,
                            "id" => |e| &mut e.id,
                            "timestamp" => |e| &mut e.timestamp,
                            "attributes" => |e| &mut e.attributes,
                            "data" => |e| &mut e.data,
                            "batch" => |e| &mut e.batch,
                            "method" => |e| &mut e.method,
                            "path" => |e| &mut e.path,
                            "body" => |e| &mut e.body,
                            "anonymous_id" => |e| &mut e.anonymous_id,
                            "received_at" => |e| &mut e.received_at,
                            "primary" => |e| &mut e.primary,
                            "secondary" => |e| &mut e.secondary,
                            _ => return Ok(Field(None)),
                        })))
                    }
                }
                d.deserialize_identifier(Name(std::marker::PhantomData))
            }
        }

        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Env<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Env<'de>, A::Error> {
                let mut e = Env::default();
                while let Some(Field(slot)) = m.next_key()? {
                    match slot {
                        // Again: the later value replaces the earlier one.
                        Some(slot) => *slot(&mut e) = Some(m.next_value()?),
                        None => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(Fields)
    }
}

fn env(raw: &RawValue) -> Option<Env<'_>> {
    serde_json::from_str(raw.get()).ok()
}

/// A string, or a number as its JSON text (what `text` makes of a parsed value), read
/// without building a [`Value`] for a string.
fn string(raw: Option<&RawValue>) -> Option<String> {
    text_of(raw.map(RawValue::get))
}

/// [`string`] of a value's JSON text.
pub(super) fn text_of(raw: Option<&str>) -> Option<String> {
    let raw = raw?;
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(raw).ok(),
        b'-' | b'0'..=b'9' => serde_json::from_str::<Value>(raw)
            .ok()
            .as_ref()
            .and_then(text),
        _ => None,
    }
}

/// A number's value (as `Value::as_f64` reads it), floored to whole seconds.
fn seconds(raw: Option<&RawValue>) -> Option<i64> {
    serde_json::from_str::<f64>(raw?.get())
        .ok()
        .filter(|t| t.is_finite())
        .map(|t| t.floor() as i64)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `identifiers` (or a merge's `primary` / `secondary`): the one identifier it names.
fn identifiers(raw: Option<&RawValue>) -> Option<Who> {
    const KINDS: [(&str, IdKind); 4] = [
        ("id", IdKind::Id),
        ("email", IdKind::Email),
        ("phone", IdKind::Phone),
        ("cio_id", IdKind::CioId),
    ];
    let mut found = [None; 4];
    if !pick(raw?.get(), &KINDS.map(|(k, _)| k), &mut found) {
        return None;
    }
    KINDS
        .iter()
        .zip(found)
        .find_map(|(&(_, kind), v)| text_of(v).map(|value| Who { kind, value }))
}

/// Of a JSON object (its text), the values of the members named `names` (`out[i]` for
/// `names[i]`), as their JSON text, without building the others. A member sent twice
/// takes its last value, as a parsed map does. False when `raw` is no object.
pub(crate) fn pick<'a>(raw: &'a str, names: &[&str], out: &mut [Option<&'a str>]) -> bool {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    /// The first of `names` a member's name is.
    struct Name<'n>(&'n [&'n str]);
    impl<'de> DeserializeSeed<'de> for Name<'_> {
        type Value = Option<usize>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl Visitor<'_> for Name<'_> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a member name")
        }
        fn visit_str<E>(self, s: &str) -> Result<Option<usize>, E> {
            Ok(self.0.iter().position(|n| *n == s))
        }
    }
    struct Pick<'n, 'o, 'a>(&'n [&'n str], &'o mut [Option<&'a str>]);
    impl<'a> Visitor<'a> for Pick<'_, '_, 'a> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'a>>(self, mut m: A) -> Result<(), A::Error> {
            while let Some(field) = m.next_key_seed(Name(self.0))? {
                match field {
                    Some(i) => {
                        let v = m.next_value::<&'a RawValue>()?.get();
                        // A name asked for twice gets the value at each place.
                        for j in i..self.0.len() {
                            if self.0[j] == self.0[i] {
                                self.1[j] = Some(v);
                            }
                        }
                    }
                    None => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    debug_assert_eq!(names.len(), out.len());
    if !raw.starts_with('{') {
        return false;
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    if de.deserialize_map(Pick(names, &mut *out)).is_err() {
        // Not reached for a line that parsed; no half answer all the same.
        out.fill(None);
        return false;
    }
    true
}

/// The person a v1 path names: an id, or an email when it has an `@` (Customer.io reads
/// `/customers/{identifier}` as either), or a `cio_…` id.
fn path_person(id: &str) -> Who {
    match PathPerson::parse(id) {
        PathPerson::IdOrEmail(s) if s.contains('@') => Who {
            kind: IdKind::Email,
            value: s.to_owned(),
        },
        PathPerson::IdOrEmail(s) => Who {
            kind: IdKind::Id,
            value: s.to_owned(),
        },
        PathPerson::CioId(s) => Who {
            kind: IdKind::CioId,
            value: s.to_owned(),
        },
    }
}

fn anonymous(raw: Option<&RawValue>) -> Option<Who> {
    string(raw).map(|value| Who {
        kind: IdKind::Anonymous,
        value,
    })
}

/// A v2 operation (`type: person`; other types change no person: read as naming none).
fn v2_op<'a>(e: &Env<'a>, index: Option<u32>, out: &mut Vec<Op<'a>>) {
    if string(e.kind).as_deref() != Some("person") {
        return out.push(Op {
            index,
            who: None,
            what: What::Other,
            timestamp: seconds(e.timestamp),
        });
    }
    let who = identifiers(e.identifiers).or_else(|| anonymous(e.anonymous_id));
    let (who, what) = match string(e.action).as_deref() {
        Some("event") => (
            who,
            What::Event {
                name: string(e.name).unwrap_or_default(),
                id: string(e.id),
                data: e.attributes,
            },
        ),
        Some("identify") => (
            who,
            What::Identify {
                attributes: e.attributes,
            },
        ),
        Some("merge") => match (identifiers(e.primary), identifiers(e.secondary)) {
            (Some(p), Some(secondary)) => (Some(p), What::Merge { secondary }),
            _ => return,
        },
        _ => (who, What::Other),
    };
    out.push(Op {
        index,
        who,
        what,
        timestamp: seconds(e.timestamp),
    });
}

/// A v1 request, read through the route table.
fn v1<'a>(method: &str, path: &str, body: Option<&'a RawValue>, out: &mut Vec<Op<'a>>) {
    let (route, person) = match match_request(method, path) {
        Matched::Route(r, mut params) => (r.id, params.take(Param::Identifier)),
        _ => return,
    };
    let person = person.map(|p| path_person(&p));
    let b = body.and_then(env).unwrap_or_default();
    let (who, what) = match route {
        RouteId::Identify => (
            person,
            // A v1 identify's body is its attributes.
            What::Identify { attributes: body },
        ),
        RouteId::Track | RouteId::TrackAnonymous => {
            let who = match route {
                RouteId::TrackAnonymous => anonymous(b.anonymous_id),
                _ => person,
            };
            let what = match string(b.kind).as_deref() {
                None | Some("event") => What::Event {
                    name: string(b.name).unwrap_or_default(),
                    id: string(b.id),
                    data: b.data,
                },
                _ => What::Other,
            };
            (who, what)
        }
        RouteId::Entity => return v2_op(&b, None, out),
        RouteId::Batch => return batch(b.batch, out),
        RouteId::Merge => match (identifiers(b.primary), identifiers(b.secondary)) {
            (Some(p), Some(secondary)) => (Some(p), What::Merge { secondary }),
            _ => return,
        },
        _ => (person, What::Other),
    };
    out.push(Op {
        index: None,
        who,
        what,
        timestamp: seconds(b.timestamp),
    });
}

fn batch<'a>(raw: Option<&'a RawValue>, out: &mut Vec<Op<'a>>) {
    let Some(ops) = raw.and_then(|r| serde_json::from_str::<Vec<&'a RawValue>>(r.get()).ok())
    else {
        return;
    };
    for (i, op) in ops.into_iter().enumerate() {
        if let Some(e) = env(op) {
            v2_op(&e, Some(i as u32), out);
        }
    }
}

/// The operations of a line (none when it is no JSON object).
pub(crate) fn line(text: &[u8]) -> Line<'_> {
    let Ok(e) = serde_json::from_slice::<Env<'_>>(text) else {
        return Line::default();
    };
    let mut ops = Vec::new();
    if e.batch.is_some() {
        batch(e.batch, &mut ops);
    } else if let (Some(method), Some(path)) = (string(e.method), string(e.path)) {
        v1(&method, &path, e.body, &mut ops);
    } else {
        v2_op(&e, None, &mut ops);
    }
    Line {
        received_at: (e.received_at)
            .and_then(|raw| serde_json::from_str::<f64>(raw.get()).ok())
            .and_then(trackc_wire::time::capture_seconds),
        ops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let l = line(br#"{"method":"POST","path":"/api/v1/customers/a%40b.co/events","body":{"name":"x","data":{"n":1},"timestamp":5},"received_at":9.5}"#);
        assert_eq!(l.received_at, Some(9));
        let op = &l.ops[0];
        assert_eq!(op.who.as_ref().unwrap().kind, IdKind::Email);
        assert_eq!(op.timestamp, Some(5));
        assert!(matches!(&op.what, What::Event { name, .. } if name == "x"));
        let l = line(br#"{"batch":[{"type":"person","identifiers":{"id":"c1"},"action":"identify","attributes":{"a":1}},{"type":"object","action":"identify"},{"type":"person","action":"merge","primary":{"id":"c1"},"secondary":{"email":"e@x.co"}}]}"#);
        // The object names no person: an operation all the same, to be counted.
        assert_eq!(l.ops.len(), 3);
        assert!(l.ops[1].who.is_none() && matches!(l.ops[1].what, What::Other));
        assert_eq!(l.ops[2].index, Some(2));
        assert!(
            matches!(&l.ops[2].what, What::Merge { secondary } if secondary.kind == IdKind::Email)
        );
        let raw = r#"{"a":[1,{"b":2}],"order_id":"o\u005f1","revenue":9.5}"#;
        let mut out = [None; 3];
        assert!(pick(raw, &["order_id", "revenue", "order_id"], &mut out));
        let got = out.map(|v| v.map(|v| serde_json::from_str::<Value>(v).unwrap()));
        assert_eq!(
            got,
            [
                Some(Value::from("o_1")),
                Some(Value::from(9.5)),
                Some(Value::from("o_1"))
            ]
        );
        // The last of a member sent twice; nothing from what is no object.
        let raw = r#"{"a":1,"b":[2],"a":{"c":3}}"#;
        let mut out = [None; 2];
        assert!(pick(raw, &["a", "z"], &mut out));
        assert_eq!(out[0], Some(r#"{"c":3}"#));
        assert!(out[1].is_none());
        assert!(!pick("[1]", &["a"], &mut [None]));
        let l = line(br#"{"method":"POST","path":"/api/v1/events","body":{"name":"v","anonymous_id":"an1"}}"#);
        assert_eq!(l.ops[0].who.as_ref().unwrap().kind, IdKind::Anonymous);
    }
}
