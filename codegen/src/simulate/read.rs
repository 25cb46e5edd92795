//! One NDJSON line (validate's shapes: v2 operation, v2 batch, v1 request) → the
//! operations the people model reads: who, what, when. Whether a record is valid is not
//! decided here: [`super::Simulator`] asks the validator first and drops what it rejects,
//! so this reads only the envelope of records the validator accepted. Routes come from the
//! one route table (`trackc_wire::route`).

use serde_json::{Map, Value};
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
pub(crate) enum What {
    Event {
        name: String,
        data: Value,
        /// The envelope's event `id`.
        id: Option<String>,
    },
    Identify {
        attributes: Map<String, Value>,
    },
    /// `secondary` is merged into the operation's person.
    Merge {
        secondary: Who,
    },
    /// Anything else the Track API takes (page views, devices, deletes): it names a
    /// person but changes nothing the contract's segments and workflows read.
    Other,
}

#[derive(Debug)]
pub(crate) struct Op {
    /// The operation's index in a batch.
    pub index: Option<u32>,
    pub who: Option<Who>,
    pub what: What,
    /// The envelope's `timestamp` (Unix seconds).
    pub timestamp: Option<i64>,
}

/// The operations of one line and when the capture received it.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub received_at: Option<i64>,
    pub ops: Vec<Op>,
}

fn seconds(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_f64)
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
fn identifiers(v: Option<&Value>) -> Option<Who> {
    let m = v?.as_object()?;
    for (key, kind) in [
        ("id", IdKind::Id),
        ("email", IdKind::Email),
        ("phone", IdKind::Phone),
        ("cio_id", IdKind::CioId),
    ] {
        if let Some(value) = m.get(key).and_then(text) {
            return Some(Who { kind, value });
        }
    }
    None
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

fn anonymous(v: Option<&Value>) -> Option<Who> {
    v.and_then(text).map(|value| Who {
        kind: IdKind::Anonymous,
        value,
    })
}

/// A v2 operation (`type: person`; other types change no person).
fn v2_op(op: &Value, index: Option<u32>, out: &mut Vec<Op>) {
    let Some(m) = op.as_object() else { return };
    let timestamp = seconds(m.get("timestamp"));
    if m.get("type").and_then(Value::as_str) != Some("person") {
        return;
    }
    let attrs = || {
        m.get("attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let who = identifiers(m.get("identifiers")).or_else(|| anonymous(m.get("anonymous_id")));
    let (who, what) = match m.get("action").and_then(Value::as_str) {
        Some("event") => (
            who,
            What::Event {
                name: m.get("name").and_then(text).unwrap_or_default(),
                data: Value::Object(attrs()),
                id: m.get("id").and_then(text),
            },
        ),
        Some("identify") => (
            who,
            What::Identify {
                attributes: attrs(),
            },
        ),
        Some("merge") => match (
            identifiers(m.get("primary")),
            identifiers(m.get("secondary")),
        ) {
            (Some(p), Some(secondary)) => (Some(p), What::Merge { secondary }),
            _ => return,
        },
        _ => (who, What::Other),
    };
    out.push(Op {
        index,
        who,
        what,
        timestamp,
    });
}

/// A v1 request, read through the route table.
fn v1(method: &str, path: &str, body: Option<&Value>, out: &mut Vec<Op>) {
    let (route, person) = match match_request(method, path) {
        Matched::Route(r, mut params) => (r.id, params.take(Param::Identifier)),
        _ => return,
    };
    let body = body.cloned().unwrap_or(Value::Null);
    let b = body.as_object();
    let field = |k: &str| b.and_then(|b| b.get(k));
    let person = person.map(|p| path_person(&p));
    let what = match route {
        RouteId::Identify => What::Identify {
            attributes: b.cloned().unwrap_or_default(),
        },
        RouteId::Track | RouteId::TrackAnonymous => match field("type").and_then(Value::as_str) {
            None | Some("event") => What::Event {
                name: field("name").and_then(text).unwrap_or_default(),
                data: field("data").cloned().unwrap_or(Value::Object(Map::new())),
                id: field("id").and_then(text),
            },
            _ => What::Other,
        },
        RouteId::Entity => return v2_op(&body, None, out),
        RouteId::Batch => return batch(&body, out),
        RouteId::Merge => match (
            identifiers(field("primary")),
            identifiers(field("secondary")),
        ) {
            (Some(p), Some(secondary)) => {
                out.push(Op {
                    index: None,
                    who: Some(p),
                    what: What::Merge { secondary },
                    timestamp: None,
                });
                return;
            }
            _ => return,
        },
        _ => What::Other,
    };
    let who = match route {
        RouteId::TrackAnonymous => anonymous(field("anonymous_id")),
        _ => person,
    };
    out.push(Op {
        index: None,
        who,
        what,
        timestamp: seconds(field("timestamp")),
    });
}

fn batch(v: &Value, out: &mut Vec<Op>) {
    if let Some(ops) = v.get("batch").and_then(Value::as_array) {
        for (i, op) in ops.iter().enumerate() {
            v2_op(op, Some(i as u32), out);
        }
    }
}

/// The operations of a line (none when it is no JSON object).
pub(crate) fn line(text: &[u8]) -> Line {
    let Ok(v) = serde_json::from_slice::<Value>(text) else {
        return Line::default();
    };
    let Some(m) = v.as_object() else {
        return Line::default();
    };
    let mut ops = Vec::new();
    if m.contains_key("batch") {
        batch(&v, &mut ops);
    } else if let (Some(method), Some(path)) = (
        m.get("method").and_then(Value::as_str),
        m.get("path").and_then(Value::as_str),
    ) {
        v1(method, path, m.get("body"), &mut ops);
    } else {
        v2_op(&v, None, &mut ops);
    }
    Line {
        received_at: seconds(m.get("received_at")),
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
        assert_eq!(l.ops.len(), 2);
        assert_eq!(l.ops[1].index, Some(2));
        assert!(
            matches!(&l.ops[1].what, What::Merge { secondary } if secondary.kind == IdKind::Email)
        );
        let l = line(br#"{"method":"POST","path":"/api/v1/events","body":{"name":"v","anonymous_id":"an1"}}"#);
        assert_eq!(l.ops[0].who.as_ref().unwrap().kind, IdKind::Anonymous);
    }
}
