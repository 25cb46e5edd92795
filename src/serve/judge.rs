//! A request judged by the engine `trackc validate` uses: the request is written as the
//! NDJSON line validate reads (`{"method","path","body"}`) and that line is checked, so
//! `serve` and `validate` cannot disagree. This module only builds the line and sorts the
//! engine's violations by operation; it judges nothing itself.
//!
//! The body is kept as the caller sent it (one line: valid JSON holds a line break only
//! between tokens, where a space means the same). A v2 request's operations are not
//! copied: each is the body or a byte range of it (a batch's items), read with serde_json's
//! `RawValue`, so a 100-operation batch is parsed to a tree once, by the engine, and
//! stored once.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use trackc_codegen::validate::bounds::{self, clip};
use trackc_codegen::validate::{Validator, Violation, ViolationLevel, codes};

use super::routes::Route;
use super::store::{OpRow, OpText, RuleRow};

/// What the engine said about one request.
pub struct Judged {
    /// The body as one line of JSON text (a JSON string holding it when it is not JSON;
    /// empty when there was none).
    pub body: String,
    /// The body did not parse: Customer.io answers 400 whatever the mode.
    pub malformed: bool,
    pub violations: Vec<Violation>,
    pub operations: Vec<OpRow>,
}

impl Judged {
    /// No violation at the error level (a rule the contract's `lints:` lowered to `warn`
    /// is shown but keeps the request valid, as in `trackc validate`).
    pub fn valid(&self) -> bool {
        self.violations.iter().all(|v| !v.level.is_error())
    }

    pub fn rules(&self) -> Vec<RuleRow> {
        self.violations
            .iter()
            .map(|v| RuleRow { code: v.code })
            .collect()
    }
}

/// A violation as `serve` shows it: validate's fields without the line number (every
/// request is its own line 1).
pub fn violation_json(v: &Violation) -> Value {
    let mut o = Map::new();
    if let Some(i) = v.index {
        o.insert("index".into(), i.into());
    }
    o.insert("event".into(), v.event.clone().into());
    o.insert("path".into(), v.path.clone().into());
    o.insert("code".into(), v.code.id().into());
    if !v.level.is_error() {
        o.insert("level".into(), "warning".into());
    }
    o.insert("message".into(), v.message.clone().into());
    if let Some(h) = &v.hint {
        o.insert("hint".into(), h.clone().into());
    }
    Value::Object(o)
}

fn violations_json<'a>(vs: impl Iterator<Item = &'a Violation>) -> String {
    let mut vs = vs.peekable();
    if vs.peek().is_none() {
        return "[]".into();
    }
    Value::Array(vs.map(violation_json).collect()).to_string()
}

/// Why `text` is not JSON, if it is not.
fn syntax_error(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .err()
        .map(|e| format!("the body is not JSON: {e}"))
}

/// `text` (JSON) as one line. Valid JSON holds CR and LF only as whitespace between
/// tokens (inside strings they must be escaped), so spaces in their place keep the
/// document the same, and every byte where it was (an operation's range stays right).
fn one_line(text: &str) -> String {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        text.replace(['\r', '\n'], " ")
    } else {
        text.to_owned()
    }
}

/// Judge `method path` with `body` (bytes as received, bounded by the caller), received at
/// `received_at` (Unix seconds: what a backfill is judged against, as validate does with
/// a capture line's `received_at`). `route` is `None` for a path that is no Track API
/// route (the engine names it `unknown_route`).
pub fn judge(
    v: &Validator,
    method: &str,
    path: &str,
    route: Option<&Route>,
    body: &[u8],
    received_at: i64,
) -> Judged {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match std::str::from_utf8(body) {
            Ok(t) => Some(t),
            Err(e) => return malformed(body, format!("the body is not JSON: {e}")),
        }
    };
    // The operations are read first: a body they parsed whole is JSON, and is not
    // parsed a second time only to say so (a batch's 37 kB, once less).
    let (ops, parsed) = operations(route, text.unwrap_or(""));
    if let Some(t) = text
        && !parsed
        && let Some(message) = syntax_error(t)
    {
        return malformed(body, message);
    }
    let text = text.map(one_line);
    let mut line = String::with_capacity(text.as_ref().map_or(0, String::len) + path.len() + 64);
    line.push_str("{\"method\":");
    line.push_str(&Value::from(method).to_string());
    line.push_str(",\"path\":");
    line.push_str(&Value::from(path).to_string());
    if let Some(t) = &text {
        line.push_str(",\"body\":");
        line.push_str(t);
    }
    line.push_str(",\"received_at\":");
    line.push_str(&received_at.to_string());
    line.push('}');
    let (_, violations) = v.validate_line(1, line.as_bytes());
    let body = text.unwrap_or_default();
    // Each operation's violations: the request's own (no index) and those of its index,
    // sorted out in one pass (a batch may hold thousands of both).
    let whole: Vec<&Violation> = violations.iter().filter(|v| v.index.is_none()).collect();
    let mut by_index: Vec<Vec<&Violation>> = vec![Vec::new(); ops.len()];
    for v in &violations {
        if let Some(list) = v.index.and_then(|i| by_index.get_mut(i as usize)) {
            list.push(v);
        }
    }
    let operations = ops
        .into_iter()
        .map(|op| {
            let own = op.index.and_then(|i| by_index.get(i as usize));
            let mine: Vec<&Violation> = whole
                .iter()
                .copied()
                .chain(own.into_iter().flatten().copied())
                .collect();
            OpRow {
                index: op.index,
                event: op.event.map(|e| clip(&e, bounds::NAME_CHARS).into_owned()),
                person: op.person.map(|p| clip(&p, bounds::NAME_CHARS).into_owned()),
                valid: mine.iter().all(|v| !v.level.is_error()),
                violations: violations_json(mine.into_iter()),
                op: op.text,
            }
        })
        .collect();
    Judged {
        body,
        malformed: false,
        violations,
        operations,
    }
}

/// A body that is not JSON: recorded as a JSON string holding it, rule `invalid_json`.
fn malformed(body: &[u8], message: String) -> Judged {
    let text = String::from_utf8_lossy(body);
    let violation = Violation {
        line: 1,
        index: None,
        event: None,
        path: "body".into(),
        code: codes::INVALID_JSON,
        level: ViolationLevel::Error,
        message,
        hint: None,
    };
    let op = OpRow {
        index: None,
        event: None,
        person: None,
        valid: false,
        op: OpText::Converted("{}".into()),
        violations: violations_json([&violation].into_iter()),
    };
    Judged {
        body: Value::from(text.as_ref()).to_string(),
        malformed: true,
        violations: vec![violation],
        operations: vec![op],
    }
}

/// One operation of a request, before its verdict.
struct Op {
    index: Option<u32>,
    event: Option<String>,
    person: Option<String>,
    text: OpText,
}

/// The fields of a v2 operation the summary and the filters read, borrowed from the body.
/// Every field is raw so that no value of a wrong type makes the operation unreadable
/// (the engine reports the type; here it only has no event or person).
#[derive(Deserialize, Default)]
struct Head<'a> {
    #[serde(borrow)]
    action: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    identifiers: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Identifiers<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    email: Option<&'a RawValue>,
    #[serde(borrow)]
    cio_id: Option<&'a RawValue>,
    #[serde(borrow)]
    anonymous_id: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
}

/// A raw JSON value as text: a string's content, a number as written; else nothing.
fn scalar(raw: Option<&RawValue>) -> Option<String> {
    let raw = raw?.get();
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<Cow<'_, str>>(raw)
            .ok()
            .map(Cow::into_owned),
        b'-' | b'0'..=b'9' => Some(raw.to_owned()),
        _ => None,
    }
}

impl Op {
    /// A v2 operation as sent: `text` is where it is in the body. And whether `raw` was
    /// parsed whole (it is then JSON).
    fn v2(index: Option<u32>, raw: &str, text: OpText) -> (Op, bool) {
        // A duplicate key or a non-object makes serde refuse: no event, no person.
        let head: Result<Head<'_>, _> = serde_json::from_str(raw);
        let parsed = head.is_ok();
        let head = head.unwrap_or_default();
        let action = scalar(head.action);
        let event = match action.as_deref() {
            Some("event") => scalar(head.name),
            _ => action,
        };
        let ids: Identifiers<'_> = head
            .identifiers
            .and_then(|i| serde_json::from_str(i.get()).ok())
            .unwrap_or_default();
        let person = [ids.id, ids.email, ids.cio_id, ids.anonymous_id]
            .into_iter()
            .find_map(scalar);
        let op = Op {
            index,
            event,
            person,
            text,
        };
        (op, parsed)
    }
}

/// The request's operations in v2 shape, what `match` compares and the per-event counts
/// read: a v2 operation as sent; a batch's items with their index (each a range of the
/// body); a v1 call converted. A request to no route is one operation with no event and
/// no person. And whether `body` was parsed whole on the way (serde_json checks the syntax
/// of every value it skips, so such a body is JSON).
fn operations(route: Option<&Route>, body: &str) -> (Vec<Op>, bool) {
    let empty = || Op {
        index: None,
        event: None,
        person: None,
        text: OpText::Converted("{}".into()),
    };
    let Some(route) = route else {
        return (vec![empty()], false);
    };
    match route {
        Route::Entity if !body.is_empty() => {
            let (op, parsed) = Op::v2(None, body, OpText::Body);
            (vec![op], parsed)
        }
        Route::Batch if !body.is_empty() => match serde_json::from_str::<Batch<'_>>(body) {
            Ok(b) => {
                let ops = b
                    .batch
                    .iter()
                    .enumerate()
                    .map(|(i, raw)| {
                        let raw = raw.get();
                        // `raw` borrows from `body`: its offset is where the item starts.
                        let start = raw.as_ptr() as usize - body.as_ptr() as usize;
                        let range = OpText::Range {
                            start: start as u32,
                            end: (start + raw.len()) as u32,
                        };
                        Op::v2(Some(i as u32), raw, range).0
                    })
                    .collect();
                (ops, true)
            }
            Err(_) => {
                let (op, parsed) = Op::v2(None, body, OpText::Body);
                (vec![op], parsed)
            }
        },
        Route::Entity | Route::Batch => (vec![empty()], false),
        Route::Region => (Vec::new(), false),
        v1 => {
            let parsed = if body.is_empty() {
                None
            } else {
                serde_json::from_str(body).ok()
            };
            let whole = parsed.is_some();
            let value = parsed.unwrap_or_else(|| Value::Object(Map::new()));
            let op = converted(v1, &value);
            let op = Op {
                index: None,
                event: event_of(&op),
                person: person_of(&op),
                text: OpText::Converted(op.to_string()),
            };
            (vec![op], whole)
        }
    }
}

/// A v1 call in v2 shape.
fn converted(route: &Route, body: &Value) -> Value {
    let field = |k: &str| body.get(k).cloned();
    let person = |id: &str| json!({"id": id});
    let mut op = Map::new();
    op.insert("type".into(), "person".into());
    match route {
        Route::Identify { id } => {
            op.insert("identifiers".into(), person(id));
            op.insert("action".into(), "identify".into());
            op.insert("attributes".into(), body.clone());
        }
        Route::Track { id } => {
            op.insert("identifiers".into(), person(id));
            track_fields(&mut op, body);
        }
        Route::Anonymous => {
            if let Some(a) = field("anonymous_id") {
                op.insert("identifiers".into(), json!({ "anonymous_id": a }));
            }
            track_fields(&mut op, body);
        }
        Route::Other { action, id } => {
            if let Some(id) = id {
                op.insert("identifiers".into(), person(id));
            }
            op.insert("action".into(), (*action).into());
            op.insert("attributes".into(), body.clone());
        }
        // v2 routes are operations already; the region route has none.
        Route::Entity | Route::Batch | Route::Region => return body.clone(),
    }
    Value::Object(op)
}

/// A v1 track body's fields in v2 places: `data` becomes `attributes`.
fn track_fields(op: &mut Map<String, Value>, body: &Value) {
    op.insert("action".into(), "event".into());
    for (from, to) in [
        ("name", "name"),
        ("id", "id"),
        ("timestamp", "timestamp"),
        ("data", "attributes"),
    ] {
        if let Some(v) = body.get(from) {
            op.insert(to.into(), v.clone());
        }
    }
}

/// The event an operation counts under: its name for `event`, else its action
/// (`identify`, `delete` ...), like validate's groups.
fn event_of(op: &Value) -> Option<String> {
    let action = op.get("action")?.as_str()?;
    if action == "event" {
        op.get("name")?.as_str().map(str::to_owned)
    } else {
        Some(action.to_owned())
    }
}

/// The person an operation names: its first identifier (`id`, `email`, `cio_id`,
/// `anonymous_id`), as text.
fn person_of(op: &Value) -> Option<String> {
    let ids = op.get("identifiers")?;
    ["id", "email", "cio_id", "anonymous_id"]
        .iter()
        .find_map(|k| match ids.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body the operations were read from whole is JSON (its second parse is skipped),
    /// and no body that is not JSON passes for one.
    #[test]
    fn a_body_parsed_whole_is_json() {
        let track = Route::Track { id: "cus_1".into() };
        let cases = [
            (
                Route::Entity,
                r#"{"type":"person","action":"event","name":"a"}"#,
                true,
            ),
            (
                Route::Entity,
                r#"{"name":"a","x":{"y":[1,2.5,"\u00e9"]}}"#,
                true,
            ),
            (
                Route::Batch,
                r#"{"batch":[{"name":"a"},{"x":[1,{"y":"z"}]}]}"#,
                true,
            ),
            // Not a batch, but an object: read whole as one operation.
            (Route::Batch, r#"{"batch":{}}"#, true),
            (track.clone(), r#"{"name":"a","data":{}}"#, true),
            // JSON that serde's structs refuse: checked again, and found to be JSON.
            (Route::Entity, r#"{"name":"a","name":"b"}"#, false),
            (Route::Entity, "[1,2]", false),
            // Not JSON.
            (Route::Entity, r#"{"type":"person"} x"#, false),
            (Route::Entity, r#"{"type": "person","#, false),
            (Route::Entity, r#"{"a":"\q"}"#, false),
            (Route::Entity, r#"{"a":01}"#, false),
            (
                Route::Batch,
                r#"{"batch":[{"name":"a"}],"extra":tru}"#,
                false,
            ),
            (Route::Batch, r#"{"batch":[{"name":"a"}]"#, false),
            (Route::Batch, r#"{"batch":[{"name":"a"}]} {}"#, false),
            (track, "\u{1}not json", false),
        ];
        for (route, body, whole) in cases {
            let (_, parsed) = operations(Some(&route), body);
            assert_eq!(parsed, whole, "{route:?} {body}");
            if parsed {
                assert_eq!(syntax_error(body), None, "{body} was taken for JSON");
            }
        }
    }

    /// An item's range, read from the body as sent, is the same item in the one-line body
    /// that is stored.
    #[test]
    fn ranges_survive_the_line_breaks_removed() {
        let body = "{\"batch\": [\r\n  {\"name\": \"a\"},\n  {\"name\":\r\n \"b\"}\n]}";
        let (ops, parsed) = operations(Some(&Route::Batch), body);
        assert!(parsed);
        let stored = one_line(body);
        assert!(!stored.contains(['\r', '\n']));
        let items: Vec<Value> = ops
            .iter()
            .map(|op| match op.text {
                OpText::Range { start, end } => {
                    serde_json::from_str(&stored[start as usize..end as usize]).unwrap()
                }
                ref other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(items, [json!({"name": "a"}), json!({"name": "b"})]);
    }
}
