//! A request judged by the engine `trackc validate` uses: the request is written as the
//! NDJSON line validate reads (`{"method","path","body"}`) and that line is checked, so
//! `serve` and `validate` cannot disagree. This module only builds the line and sorts the
//! engine's violations by operation; it judges nothing itself.

use serde_json::{Map, Value, json};
use trackc_codegen::validate::bounds::{self, clip};
use trackc_codegen::validate::{Validator, Violation, ViolationLevel, codes};

use super::routes::Route;
use super::store::{OpRow, RuleRow};

/// What the engine said about one request.
pub struct Judged {
    /// The body as JSON text (a JSON string holding it when it is not JSON; empty when
    /// there was none).
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
    Value::Array(vs.map(violation_json).collect()).to_string()
}

/// Judge `method path` with `body` (bytes as received, bounded by the caller), received at
/// `received_at` (Unix seconds: what a backfill is judged against, as validate does with
/// a capture line's `received_at`).
pub fn judge(
    v: &Validator,
    method: &str,
    path: &str,
    route: &Route,
    body: &[u8],
    received_at: i64,
) -> Judged {
    let parsed: Result<Option<Value>, String> = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        serde_json::from_slice(body)
            .map(Some)
            .map_err(|e| format!("the body is not JSON: {e}"))
    };
    let value = match parsed {
        Ok(v) => v,
        Err(message) => {
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
                op: "{}".into(),
                violations: violations_json([&violation].into_iter()),
            };
            return Judged {
                body: Value::from(text.as_ref()).to_string(),
                malformed: true,
                violations: vec![violation],
                operations: vec![op],
            };
        }
    };
    let mut line = Map::new();
    line.insert("method".into(), method.into());
    line.insert("path".into(), path.into());
    if let Some(b) = &value {
        line.insert("body".into(), b.clone());
    }
    line.insert("received_at".into(), received_at.into());
    let line = Value::Object(line).to_string();
    let (_, violations) = v.validate_line(1, line.as_bytes());
    let body = value.as_ref().map_or_else(String::new, Value::to_string);
    let ops = operations(route, value.as_ref());
    let operations = ops
        .into_iter()
        .map(|(index, op)| {
            let mine: Vec<&Violation> = violations
                .iter()
                .filter(|v| v.index.is_none() || v.index == index)
                .collect();
            OpRow {
                index,
                event: event_of(&op).map(|e| clip(&e, bounds::NAME_CHARS).into_owned()),
                person: person_of(&op).map(|p| clip(&p, bounds::NAME_CHARS).into_owned()),
                valid: mine.iter().all(|v| !v.level.is_error()),
                violations: violations_json(mine.into_iter()),
                op: op.to_string(),
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

/// The request's operations in v2 shape (v1 calls converted), what `match` compares and
/// the per-event counts read: a v2 operation as sent; a batch's items with their index.
fn operations(route: &Route, body: Option<&Value>) -> Vec<(Option<u32>, Value)> {
    let empty = Value::Object(Map::new());
    let body = body.unwrap_or(&empty);
    let field = |k: &str| body.get(k).cloned();
    let person = |id: &str| json!({"id": id});
    let mut op = Map::new();
    op.insert("type".into(), "person".into());
    match route {
        Route::Entity => return vec![(None, body.clone())],
        Route::Batch => {
            return match body.get("batch").and_then(Value::as_array) {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, op)| (Some(i as u32), op.clone()))
                    .collect(),
                None => vec![(None, body.clone())],
            };
        }
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
        Route::Region => return Vec::new(),
        Route::Other { action, id } => {
            if let Some(id) = id {
                op.insert("identifiers".into(), person(id));
            }
            op.insert("action".into(), (*action).into());
            op.insert("attributes".into(), body.clone());
        }
    }
    vec![(None, Value::Object(op))]
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
