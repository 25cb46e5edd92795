//! A local Customer.io Track API emulator for the client's tests.
//!
//! HTTP/1.1 on 127.0.0.1 (ephemeral port). For every request it checks Basic auth, the path
//! and method, validates the body against the matching `requestBody` schema of the Track API
//! OpenAPI document (a copy in `tests/data/`; JSON Schema 2020-12 via the `jsonschema`
//! crate, formats asserted), applies the documented limits, and answers like Customer.io:
//! 200 `{}`, 400 `{"meta":{"errors":[...]}}`, 401, 207 `{"errors":[{"batch_index",...}]}`.
//! Events are deduplicated by `id`. Everything accepted is recorded in [`Store`], every
//! request in [`Store::log`] (with its OpenAPI errors, if any).
//!
//! Where the OpenAPI document contradicts Customer.io's documentation, the emulator follows
//! the documentation; every such deviation is in [`DEVIATIONS`], and nowhere else.
//!
//! Faults are injected by a [`FaultPlan`]: 500s, 429 with Retry-After (seconds or an HTTP
//! date), connection resets (before or after the request was processed), responses slower
//! than the client's timeout (after processing), replies withheld for good, 400s, error
//! bodies echoing the request's headers (as some proxies do), and 207s whose body does not
//! say which operations failed (after processing).

#![allow(dead_code)]

pub mod events;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};

/// The Track API OpenAPI document (copied from `../shared/customerio/`).
pub const OPENAPI: &str = include_str!("../data/track-api-openapi.json");

/// One place where the emulator knowingly departs from the OpenAPI document.
pub struct Deviation {
    /// JSON pointers into the OpenAPI document (the same change at each).
    pub pointers: &'static [&'static str],
    /// The value the document has there, `None` when absent (checked, so a new copy of the
    /// document that changes it makes the emulator fail loudly instead of deviating
    /// silently).
    pub openapi: Option<&'static str>,
    /// The value the emulator uses instead.
    pub emulator: &'static str,
    pub reason: &'static str,
}

/// Every deviation from the OpenAPI document. Keep this the only one.
pub const DEVIATIONS: &[Deviation] = &[
    Deviation {
        pointers: &[
            "/paths/~1api~1v1~1customers~1{identifier}/put/requestBody/content/application~1json/schema/additionalProperties/oneOf",
        ],
        openapi: Some(r#"[{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]"#),
        emulator: r#"[{"type": "string"}, {"type": "number"}, {"type": "boolean"}]"#,
        reason: "Identify attribute values: the OpenAPI document allows string, integer and \
                 boolean; Customer.io's documentation (User Attributes: \"Attributes can be a \
                 string, boolean or a number\") also allows decimal numbers, such as an `ltv` \
                 of 12.5. `number` replaces `integer` rather than joining it, because an \
                 integer would then match two `oneOf` branches and be refused.",
    },
    Deviation {
        pointers: &[
            "/paths/~1api~1v1~1merge_customers/post/requestBody/content/application~1json/schema/properties/primary/oneOf",
            "/paths/~1api~1v1~1merge_customers/post/requestBody/content/application~1json/schema/properties/secondary/oneOf",
        ],
        openapi: Some(
            r##"[{"title": "ID", "type": "object", "maxProperties": 1, "properties": {"id": {"$ref": "#/components/schemas/not_nullable_customer_id"}}},
                 {"title": "email", "type": "object", "maxProperties": 1, "properties": {"email": {"$ref": "#/components/schemas/not_nullable_email_address"}}},
                 {"title": "cio_id", "type": "object", "maxProperties": 1, "properties": {"cio_id": {"$ref": "#/components/schemas/cio_id"}}}]"##,
        ),
        emulator: r##"[{"title": "ID", "type": "object", "maxProperties": 1, "required": ["id"], "properties": {"id": {"$ref": "#/components/schemas/not_nullable_customer_id"}}},
                 {"title": "email", "type": "object", "maxProperties": 1, "required": ["email"], "properties": {"email": {"$ref": "#/components/schemas/not_nullable_email_address"}}},
                 {"title": "cio_id", "type": "object", "maxProperties": 1, "required": ["cio_id"], "properties": {"cio_id": {"$ref": "#/components/schemas/cio_id"}}}]"##,
        reason: "v1 merge_customers: no branch of the `oneOf` for `primary`/`secondary` (id, \
                 email, cio_id) has `required`, so any one-key object matches all three and \
                 `oneOf` refuses every body, the document's own example \
                 ({\"primary\": {\"email\": ...}, ...}) included. Customer.io's documentation \
                 says each side is identified by one of id, email or cio_id, and the \
                 document's v2 `person_merge` has the same branches with `required`; the \
                 emulator adds `required` to each branch.",
    },
];

/// Limits from the "Rate Limits" section of the document ("32kb"/"500kb" read strictly as
/// 32,000 and 500,000 bytes).
pub mod limits {
    pub const IDENTIFIER: usize = 150;
    pub const ATTRIBUTE_NAME: usize = 150;
    pub const ATTRIBUTE_VALUE: usize = 1000;
    pub const ATTRIBUTES: usize = 300;
    pub const EVENT_NAME: usize = 100;
    pub const EVENT_DATA: usize = 100_000;
    pub const ENTITY_BODY: usize = 32_000;
    pub const BATCH_BODY: usize = 500_000;
    pub const BATCH_OPERATION: usize = 32_000;
    /// Not a Customer.io limit: a timestamp above this is milliseconds sent by mistake,
    /// which Customer.io would accept and mis-store. The emulator refuses it so tests catch
    /// it.
    pub const MAX_TIMESTAMP_SECONDS: i64 = 100_000_000_000;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 500, before processing.
    Status500,
    /// 429 with `Retry-After: <seconds>`, before processing.
    TooManyRequests { retry_after: u64 },
    /// Close the connection without a response, before processing.
    ResetBefore,
    /// Process the request, then close the connection without a response.
    ResetAfter,
    /// Process the request, then answer only after this many milliseconds.
    SlowAfter { millis: u64 },
    /// 400 with `meta.errors`, without processing.
    BadRequest,
    /// 429 with `Retry-After` as an HTTP date (IMF-fixdate) this many seconds ahead, before
    /// processing.
    TooManyRequestsUntil { secs: u64 },
    /// Never answer (the connection is held for an hour), before processing.
    Withhold,
    /// Answer `status` with the request's headers, `Authorization` included, echoed in the
    /// body, before processing.
    EchoHeaders { status: u16 },
    /// Process the request, then answer 207 with this body instead of the real answer.
    Garbled207 { body: &'static str },
}

impl Fault {
    pub fn kind(self) -> &'static str {
        match self {
            Fault::Status500 => "500",
            Fault::TooManyRequests { .. } => "429 + Retry-After",
            Fault::ResetBefore => "reset before processing",
            Fault::ResetAfter => "reset after processing",
            Fault::SlowAfter { .. } => "slower than timeout (after processing)",
            Fault::BadRequest => "400",
            Fault::TooManyRequestsUntil { .. } => "429 + Retry-After date",
            Fault::Withhold => "no answer",
            Fault::EchoHeaders { .. } => "headers echoed",
            Fault::Garbled207 { .. } => "207 without outcomes (after processing)",
        }
    }
}

/// What a fault plan sees of a request.
pub struct FaultCtx<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: Option<&'a Value>,
    /// 1 for the first request with this method, path and body, 2 for its first retry...
    pub attempt: u32,
}

pub type FaultPlan = Box<dyn Fn(&FaultCtx<'_>) -> Option<Fault> + Send + Sync>;

#[derive(Clone, Debug, Default)]
pub struct Person {
    pub attributes: Map<String, Value>,
    pub suppressed: bool,
}

#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub id: Option<String>,
    pub name: String,
    /// `id:...`, `email:...` or `cio_id:...`; `None` for anonymous events.
    pub person: Option<String>,
    pub anonymous_id: Option<String>,
    pub timestamp: Option<i64>,
    pub data: Value,
    pub via: &'static str,
}

#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    /// 0 when the connection was reset.
    pub status: u16,
    pub fault: Option<Fault>,
    pub authorized: bool,
    /// Errors of the OpenAPI `requestBody` check (empty when it passed or did not run).
    pub openapi_errors: Vec<String>,
    pub body: Option<Value>,
}

#[derive(Default)]
pub struct Store {
    pub people: BTreeMap<String, Person>,
    pub events: Vec<StoredEvent>,
    pub event_ids: HashSet<String>,
    pub duplicate_events_ignored: usize,
    pub merges: Vec<(String, String)>,
    pub log: Vec<Logged>,
    pub faults: BTreeMap<&'static str, usize>,
    attempts: HashMap<(String, String, Vec<u8>), u32>,
}

impl Store {
    pub fn openapi_failures(&self) -> Vec<&Logged> {
        self.log
            .iter()
            .filter(|l| !l.openapi_errors.is_empty())
            .collect()
    }
}

struct Route {
    method: &'static str,
    template: &'static str,
    kind: Kind,
    body: Option<jsonschema::Validator>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Identify,
    Delete,
    Track,
    TrackAnonymous,
    Suppress,
    Unsuppress,
    Merge,
    Entity,
    Batch,
}

struct State {
    site_id: String,
    api_key: String,
    routes: Vec<Route>,
    plan: Mutex<Option<FaultPlan>>,
    store: Mutex<Store>,
}

/// A running emulator; it stops when dropped.
pub struct Emulator {
    pub addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The OpenAPI document with [`DEVIATIONS`] applied.
pub fn openapi() -> Value {
    let mut doc: Value = serde_json::from_str(OPENAPI).expect("the OpenAPI copy is JSON");
    for d in DEVIATIONS {
        for pointer in d.pointers {
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let key = key.replace("~1", "/").replace("~0", "~");
            let parent = doc
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .unwrap_or_else(|| panic!("deviation target {pointer} is missing"));
            let want: Option<Value> = d.openapi.map(|v| serde_json::from_str(v).unwrap());
            assert_eq!(
                parent.get(&key),
                want.as_ref(),
                "the OpenAPI document changed at {pointer}"
            );
            parent.insert(key, serde_json::from_str(d.emulator).unwrap());
        }
    }
    doc
}

fn is_ulid(s: &str) -> bool {
    s.len() == 26 && ulid::Ulid::from_string(s).is_ok()
}

/// A validator for `schema`, with the document's components bundled at its root so that
/// `#/components/...` references resolve.
fn compile(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = Map::new();
    root.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    root.insert("components".into(), doc["components"].clone());
    match schema {
        Value::Object(m) => root.extend(m.clone()),
        other => panic!("schema is not an object: {other}"),
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_format("ulid", is_ulid)
        .with_format("ULID", is_ulid)
        .build(&Value::Object(root))
        .expect("OpenAPI request schema compiles")
}

fn request_schema<'a>(doc: &'a Value, template: &str, method: &str) -> Option<&'a Value> {
    let s = &doc["paths"][template][method.to_ascii_lowercase()]["requestBody"]["content"]["application/json"]
        ["schema"];
    s.is_object().then_some(s)
}

impl Emulator {
    pub async fn start(site_id: &str, api_key: &str) -> Emulator {
        let doc = openapi();
        let table = [
            ("PUT", "/api/v1/customers/{identifier}", Kind::Identify),
            ("DELETE", "/api/v1/customers/{identifier}", Kind::Delete),
            ("POST", "/api/v1/customers/{identifier}/events", Kind::Track),
            ("POST", "/api/v1/events", Kind::TrackAnonymous),
            (
                "POST",
                "/api/v1/customers/{identifier}/suppress",
                Kind::Suppress,
            ),
            (
                "POST",
                "/api/v1/customers/{identifier}/unsuppress",
                Kind::Unsuppress,
            ),
            ("POST", "/api/v1/merge_customers", Kind::Merge),
            ("POST", "/api/v2/entity", Kind::Entity),
            ("POST", "/api/v2/batch", Kind::Batch),
        ];
        let routes = table
            .into_iter()
            .map(|(method, template, kind)| {
                assert!(
                    doc["paths"][template][method.to_ascii_lowercase()].is_object(),
                    "{method} {template} is not in the OpenAPI document"
                );
                Route {
                    method,
                    template,
                    kind,
                    body: request_schema(&doc, template, method).map(|s| compile(&doc, s)),
                }
            })
            .collect();
        let state = Arc::new(State {
            site_id: site_id.into(),
            api_key: api_key.into(),
            routes,
            plan: Mutex::new(None),
            store: Mutex::new(Store::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(st.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Emulator { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_faults(
        &self,
        plan: impl Fn(&FaultCtx<'_>) -> Option<Fault> + Send + Sync + 'static,
    ) {
        *self.state.plan.lock().unwrap() = Some(Box::new(plan));
    }

    pub fn clear_faults(&self) {
        *self.state.plan.lock().unwrap() = None;
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.state.store.lock().unwrap()
    }
}

type Resp = hyper::Response<Full<Bytes>>;

fn reply(status: u16, body: Value) -> Resp {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn bad_request(errors: Vec<String>) -> (u16, Value) {
    (400, json!({"meta": {"errors": errors}}))
}

/// Connection reset: returning an error makes hyper drop the connection unanswered.
#[derive(Debug)]
struct Reset;
impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}
impl std::error::Error for Reset {}

async fn handle(state: Arc<State>, req: hyper::Request<Incoming>) -> Result<Resp, Reset> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let headers_echo = req
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect::<Vec<_>>();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Err(Reset),
    };
    let json: Option<Value> = serde_json::from_slice(&bytes).ok();

    let fault = {
        let mut store = state.store.lock().unwrap();
        let n = store
            .attempts
            .entry((method.clone(), path.clone(), bytes.clone()))
            .or_insert(0);
        *n += 1;
        let attempt = *n;
        let plan = state.plan.lock().unwrap();
        let fault = plan.as_ref().and_then(|p| {
            p(&FaultCtx {
                method: &method,
                path: &path,
                body: json.as_ref(),
                attempt,
            })
        });
        if let Some(f) = fault {
            *store.faults.entry(f.kind()).or_insert(0) += 1;
        }
        fault
    };
    let log = |status: u16, authorized: bool, openapi_errors: Vec<String>| {
        state.store.lock().unwrap().log.push(Logged {
            method: method.clone(),
            path: path.clone(),
            status,
            fault,
            authorized,
            openapi_errors,
            body: json.clone(),
        });
    };

    match fault {
        Some(Fault::Status500) => {
            log(500, true, vec![]);
            return Ok(reply(500, json!({"meta": {"error": "internal error"}})));
        }
        Some(Fault::TooManyRequests { retry_after }) => {
            log(429, true, vec![]);
            let mut r = reply(429, json!({"meta": {"error": "rate limited"}}));
            r.headers_mut()
                .insert("retry-after", retry_after.to_string().parse().unwrap());
            return Ok(r);
        }
        Some(Fault::ResetBefore) => {
            log(0, true, vec![]);
            return Err(Reset);
        }
        Some(Fault::BadRequest) => {
            log(400, true, vec![]);
            let (s, b) = bad_request(vec!["injected: request refused".into()]);
            return Ok(reply(s, b));
        }
        Some(Fault::TooManyRequestsUntil { secs }) => {
            log(429, true, vec![]);
            let mut r = reply(429, json!({"meta": {"error": "rate limited"}}));
            let at = std::time::SystemTime::now() + Duration::from_secs(secs);
            r.headers_mut()
                .insert("retry-after", http_date(at).parse().unwrap());
            return Ok(r);
        }
        Some(Fault::Withhold) => {
            log(0, true, vec![]);
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Err(Reset);
        }
        Some(Fault::EchoHeaders { status }) => {
            log(status, true, vec![]);
            return Ok(reply(
                status,
                json!({"meta": {"error": "upstream failed", "request_headers": headers_echo}}),
            ));
        }
        _ => {}
    }

    let (status, body, authorized, openapi_errors) = process(
        &state,
        &method,
        &path,
        auth.as_deref(),
        &bytes,
        json.as_ref(),
    );
    match fault {
        Some(Fault::ResetAfter) => {
            log(0, authorized, openapi_errors);
            Err(Reset)
        }
        Some(Fault::Garbled207 { body }) => {
            log(207, authorized, openapi_errors);
            Ok(hyper::Response::builder()
                .status(207)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap())
        }
        Some(Fault::SlowAfter { millis }) => {
            log(status, authorized, openapi_errors);
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok(reply(status, body))
        }
        _ => {
            log(status, authorized, openapi_errors);
            Ok(reply(status, body))
        }
    }
}

/// `at` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Retry-After`.
pub fn http_date(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = trackc_wire::time::civil_from_days(days);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // 1970-01-01 was a Thursday.
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Standard base64 with padding: the Basic token a client sends, for tests that look for it.
pub fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Match `path` against a route template; returns the decoded `{identifier}` if any.
fn matches(template: &str, path: &str) -> Option<Option<String>> {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut ident = None;
    for (a, b) in t.iter().zip(&p) {
        if a.starts_with('{') {
            ident = Some(percent_decode(b)?);
        } else if a != b {
            return None;
        }
    }
    Some(ident)
}

fn v1_person_key(identifier: &str) -> String {
    if let Some(cio) = identifier.strip_prefix("cio_") {
        format!("cio_id:{cio}")
    } else if identifier.contains('@') {
        format!("email:{identifier}")
    } else {
        format!("id:{identifier}")
    }
}

fn v2_person_key(identifiers: &Value) -> Option<String> {
    let (k, v) = identifiers.as_object()?.iter().next()?;
    Some(format!("{k}:{}", v.as_str()?))
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).unwrap().len()
}

fn check_identifier(field: &str, v: &str) -> Result<(), String> {
    if v.is_empty() {
        Err(format!("{field}: identifier is empty"))
    } else if v.len() > limits::IDENTIFIER {
        Err(format!(
            "{field}: identifier longer than {} bytes",
            limits::IDENTIFIER
        ))
    } else {
        Ok(())
    }
}

fn check_attributes(attrs: &Map<String, Value>) -> Result<(), String> {
    if attrs.len() > limits::ATTRIBUTES {
        return Err(format!("more than {} attributes", limits::ATTRIBUTES));
    }
    for (k, v) in attrs {
        if k.len() > limits::ATTRIBUTE_NAME {
            return Err(format!(
                "attribute name {k:?} longer than {} bytes",
                limits::ATTRIBUTE_NAME
            ));
        }
        let size = match v {
            Value::String(s) => s.len(),
            Value::Object(_) | Value::Array(_) => continue,
            other => json_len(other),
        };
        if size > limits::ATTRIBUTE_VALUE {
            return Err(format!(
                "attribute {k:?} value longer than {} bytes",
                limits::ATTRIBUTE_VALUE
            ));
        }
    }
    Ok(())
}

fn check_event(
    name: &Value,
    data: Option<&Value>,
    timestamp: Option<&Value>,
) -> Result<(), String> {
    let name = name.as_str().unwrap_or_default();
    if name.is_empty() || name.len() > limits::EVENT_NAME {
        return Err(format!(
            "event name must be 1 to {} bytes",
            limits::EVENT_NAME
        ));
    }
    if let Some(d) = data
        && json_len(d) > limits::EVENT_DATA
    {
        return Err(format!(
            "event data larger than {} bytes",
            limits::EVENT_DATA
        ));
    }
    if let Some(ts) = timestamp.and_then(Value::as_i64)
        && ts > limits::MAX_TIMESTAMP_SECONDS
    {
        return Err(format!(
            "timestamp {ts} is in milliseconds; send Unix seconds"
        ));
    }
    Ok(())
}

impl Store {
    fn store_event(&mut self, ev: StoredEvent) {
        if let Some(id) = &ev.id
            && !self.event_ids.insert(id.clone())
        {
            self.duplicate_events_ignored += 1;
            return;
        }
        self.events.push(ev);
    }

    fn identify(&mut self, key: String, attrs: &Map<String, Value>) -> Result<(), String> {
        let p = self.people.entry(key).or_default();
        if p.suppressed {
            return Err("person is suppressed".into());
        }
        p.attributes.extend(attrs.clone());
        Ok(())
    }

    fn suppressed(&self, key: &str) -> bool {
        self.people.get(key).is_some_and(|p| p.suppressed)
    }

    fn merge(&mut self, primary: String, secondary: String) {
        if let Some(sec) = self.people.remove(&secondary) {
            let p = self.people.entry(primary.clone()).or_default();
            for (k, v) in sec.attributes {
                p.attributes.entry(k).or_insert(v);
            }
        }
        self.merges.push((primary, secondary));
    }

    /// One v2 person operation (already schema-checked).
    fn apply_v2(&mut self, op: &Value, via: &'static str) -> Result<(), (String, String)> {
        let err = |field: &str, msg: String| (field.to_owned(), msg);
        if json_len(op) > limits::BATCH_OPERATION {
            return Err(err(
                "",
                format!("operation larger than {} bytes", limits::BATCH_OPERATION),
            ));
        }
        let action = op["action"].as_str().unwrap_or_default();
        if action == "merge" {
            let p = v2_person_key(&op["primary"]).ok_or_else(|| err("primary", "bad".into()))?;
            let s =
                v2_person_key(&op["secondary"]).ok_or_else(|| err("secondary", "bad".into()))?;
            for (f, k) in [("primary", &p), ("secondary", &s)] {
                check_identifier(f, k.split_once(':').unwrap().1).map_err(|m| err(f, m))?;
            }
            self.merge(p, s);
            return Ok(());
        }
        if op["type"] != "person" {
            return Err(err(
                "type",
                "the emulator handles person operations only".into(),
            ));
        }
        let key =
            v2_person_key(&op["identifiers"]).ok_or_else(|| err("identifiers", "bad".into()))?;
        check_identifier("identifiers", key.split_once(':').unwrap().1)
            .map_err(|m| err("identifiers", m))?;
        match action {
            "identify" => {
                let attrs = op["attributes"].as_object().cloned().unwrap_or_default();
                check_attributes(&attrs).map_err(|m| err("attributes", m))?;
                self.identify(key, &attrs)
                    .map_err(|m| err("identifiers", m))
            }
            "event" => {
                check_event(&op["name"], op.get("attributes"), op.get("timestamp"))
                    .map_err(|m| err("name", m))?;
                if self.suppressed(&key) {
                    return Err(err("identifiers", "person is suppressed".into()));
                }
                self.store_event(StoredEvent {
                    id: op["id"].as_str().map(str::to_owned),
                    name: op["name"].as_str().unwrap_or_default().to_owned(),
                    person: Some(key),
                    anonymous_id: None,
                    timestamp: op["timestamp"].as_i64(),
                    data: op.get("attributes").cloned().unwrap_or(json!({})),
                    via,
                });
                Ok(())
            }
            "delete" => {
                self.people.remove(&key);
                Ok(())
            }
            "suppress" => {
                self.people.entry(key).or_default().suppressed = true;
                Ok(())
            }
            "unsuppress" => {
                if let Some(p) = self.people.get_mut(&key) {
                    p.suppressed = false;
                }
                Ok(())
            }
            other => Err(err(
                "action",
                format!("the emulator does not handle `{other}`"),
            )),
        }
    }
}

/// Auth, routing, OpenAPI check, limits, and the effect. Returns the status, the body, whether
/// the credentials were right, and the OpenAPI errors.
fn process(
    state: &State,
    method: &str,
    path: &str,
    auth: Option<&str>,
    bytes: &[u8],
    json: Option<&Value>,
) -> (u16, Value, bool, Vec<String>) {
    let expected = format!("{}:{}", state.site_id, state.api_key);
    let authorized = auth
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(base64_decode)
        .is_some_and(|raw| raw == expected.as_bytes());
    if !authorized {
        return (
            401,
            json!({"meta": {"error": "Unauthorized request"}}),
            false,
            vec![],
        );
    }
    let mut path_matched = false;
    let mut found = None;
    for r in &state.routes {
        if let Some(ident) = matches(r.template, path) {
            path_matched = true;
            if r.method == method {
                found = Some((r, ident));
                break;
            }
        }
    }
    let Some((route, ident)) = found else {
        return if path_matched {
            (
                405,
                json!({"meta": {"errors": ["method not allowed"]}}),
                true,
                vec![],
            )
        } else {
            (
                404,
                json!({"meta": {"errors": ["not found"]}}),
                true,
                vec![],
            )
        };
    };
    if let Some(id) = &ident
        && let Err(m) = check_identifier("identifier", id)
    {
        let (s, b) = bad_request(vec![m]);
        return (s, b, true, vec![]);
    }
    // The OpenAPI check. In a batch, errors inside one operation (`/batch/N/...`) fail
    // that operation only (a 207 entry), as Customer.io does; anything else fails the request.
    let mut openapi_errors = Vec::new();
    let mut bad_ops: BTreeMap<usize, String> = BTreeMap::new();
    let body = match (&route.body, json) {
        (None, _) => None,
        (Some(_), None) => {
            let msg = if bytes.is_empty() {
                "request body is missing"
            } else {
                "request body is not JSON"
            };
            return (
                400,
                json!({"meta": {"errors": [msg]}}),
                true,
                vec![msg.to_owned()],
            );
        }
        (Some(validator), Some(v)) => {
            let mut whole = false;
            for e in validator.iter_errors(v) {
                let at = e.instance_path().to_string();
                let msg = format!("{e} at {at:?}");
                let op = at
                    .strip_prefix("/batch/")
                    .and_then(|r| r.split('/').next())
                    .and_then(|i| i.parse::<usize>().ok());
                match op {
                    Some(i) if route.kind == Kind::Batch => {
                        bad_ops.entry(i).or_insert_with(|| msg.clone());
                    }
                    _ => whole = true,
                }
                openapi_errors.push(msg);
            }
            if whole {
                return (
                    400,
                    json!({"meta": {"errors": openapi_errors.clone()}}),
                    true,
                    openapi_errors,
                );
            }
            Some(v)
        }
    };
    let done = |(s, b): (u16, Value)| (s, b, true, openapi_errors);
    let mut store = state.store.lock().unwrap();
    let ok = (200, json!({}));
    let key = ident.as_deref().map(v1_person_key);
    let result: (u16, Value) = match route.kind {
        Kind::Identify => {
            let attrs = body.and_then(Value::as_object).cloned().unwrap_or_default();
            match check_attributes(&attrs) {
                Err(m) => bad_request(vec![m]),
                // Customer.io ignores updates to suppressed people; so does the emulator.
                Ok(()) => {
                    let _ = store.identify(key.unwrap(), &attrs);
                    ok
                }
            }
        }
        Kind::Track | Kind::TrackAnonymous => {
            let b = body.unwrap();
            if let Err(m) = check_event(&b["name"], b.get("data"), b.get("timestamp")) {
                bad_request(vec![m])
            } else if let Some(Err(m)) = b["anonymous_id"]
                .as_str()
                .map(|a| check_identifier("anonymous_id", a))
            {
                bad_request(vec![m])
            } else {
                if !key.as_deref().is_some_and(|k| store.suppressed(k)) {
                    store.store_event(StoredEvent {
                        id: b["id"].as_str().map(str::to_owned),
                        name: b["name"].as_str().unwrap_or_default().to_owned(),
                        person: key,
                        anonymous_id: b["anonymous_id"].as_str().map(str::to_owned),
                        timestamp: b["timestamp"].as_i64(),
                        data: b.get("data").cloned().unwrap_or(json!({})),
                        via: "v1",
                    });
                }
                ok
            }
        }
        Kind::Delete => {
            store.people.remove(&key.unwrap());
            ok
        }
        Kind::Suppress => {
            store.people.entry(key.unwrap()).or_default().suppressed = true;
            ok
        }
        Kind::Unsuppress => {
            if let Some(p) = store.people.get_mut(&key.unwrap()) {
                p.suppressed = false;
            }
            ok
        }
        Kind::Merge => {
            let b = body.unwrap();
            match (v2_person_key(&b["primary"]), v2_person_key(&b["secondary"])) {
                (Some(p), Some(s)) => {
                    let bad = [("primary", &p), ("secondary", &s)]
                        .into_iter()
                        .find_map(|(f, k)| check_identifier(f, k.split_once(':').unwrap().1).err());
                    match bad {
                        Some(m) => bad_request(vec![m]),
                        None => {
                            store.merge(p, s);
                            ok
                        }
                    }
                }
                _ => bad_request(vec![
                    "primary and secondary need one identifier each".into(),
                ]),
            }
        }
        Kind::Entity => {
            if bytes.len() > limits::ENTITY_BODY {
                bad_request(vec![format!(
                    "request larger than {} bytes",
                    limits::ENTITY_BODY
                )])
            } else {
                match store.apply_v2(body.unwrap(), "v2 entity") {
                    Ok(()) => ok,
                    Err((_, m)) => bad_request(vec![m]),
                }
            }
        }
        Kind::Batch => {
            let ops = body.and_then(|b| b["batch"].as_array());
            match ops {
                _ if bytes.len() > limits::BATCH_BODY => bad_request(vec![format!(
                    "request larger than {} bytes",
                    limits::BATCH_BODY
                )]),
                None => bad_request(vec!["`batch` must be an array".into()]),
                Some(ops) if ops.is_empty() => bad_request(vec!["`batch` is empty".into()]),
                Some(ops) => {
                    let mut errors = Vec::new();
                    for (i, op) in ops.iter().enumerate() {
                        if let Some(m) = bad_ops.get(&i) {
                            errors
                                .push(json!({"batch_index": i, "reason": "invalid", "message": m}));
                            continue;
                        }
                        if let Err((field, message)) = store.apply_v2(op, "v2 batch") {
                            errors.push(json!({"batch_index": i, "reason": "invalid", "field": field, "message": message}));
                        }
                    }
                    if errors.is_empty() {
                        ok
                    } else {
                        (207, json!({"errors": errors}))
                    }
                }
            }
        }
    };
    done(result)
}
