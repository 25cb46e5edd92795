//! One HTTP request: the Track API routes (auth, bounded body, judge, store, answer), the
//! inspection API and the page.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use trackc_codegen::validate::Validator;

use super::answers::{self, Answer, error, json_answer};
use super::forward::Forward;
use super::judge::{self, judge};
use super::routes::{self, Route};
use super::store::{Record, RequestRow, Store};
use super::{clock, inspect, page};

/// The largest request body read: Customer.io's batch limit (500 kB) with room for the
/// engine to name a `batch_too_large` violation; past it, 413 without reading on.
pub const MAX_BODY: usize = 1 << 20;
/// A body must arrive within this time (a stalled client cannot hold a slot forever).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// What `trackc serve` does with a request that breaks the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Mode {
    /// Answer success, record the verdict.
    #[default]
    Observe,
    /// Answer Customer.io's error (400; 207 for a batch), record it as rejected.
    Enforce,
}

/// The Basic-auth credentials callers must send. The key is compared, never shown:
/// `Debug` leaves it out.
pub struct Credentials {
    pub site_id: String,
    pub api_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("site_id", &self.site_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    fn accepts(&self, authorization: Option<&header::HeaderValue>) -> bool {
        let Some(given) = authorization
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
        else {
            return false;
        };
        let mut want = Vec::with_capacity(self.site_id.len() + 1 + self.api_key.len());
        want.extend_from_slice(self.site_id.as_bytes());
        want.push(b':');
        want.extend_from_slice(self.api_key.as_bytes());
        same(&given, &want)
    }
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Everything a request needs.
pub struct State {
    pub validator: Validator,
    pub store: Store,
    pub mode: Mode,
    pub auth: Option<Credentials>,
    pub forward: Option<Forward>,
}

pub async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Answer, Infallible> {
    Ok(answer(&state, req).await)
}

async fn answer(state: &State, req: Request<Incoming>) -> Answer {
    let path = req.uri().path();
    if path == "/" || path.starts_with("/_trackc/") {
        return inspection(state, req).await;
    }
    let Some(route) = routes::track(req.method(), path) else {
        return unknown_route(state, req).await;
    };
    if let Some(c) = &state.auth
        && !c.accepts(req.headers().get(header::AUTHORIZATION))
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized request: check the site id and API key (Basic auth)",
        );
    }
    let (method, path) = method_and_path(&req);
    let authorization = req.headers().get(header::AUTHORIZATION).cloned();
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    track(state, method, path, route, authorization, body).await
}

/// A call to a path that is no Track API route: Customer.io's 404. A send (any method but
/// GET, HEAD and OPTIONS) is also judged and recorded, as `unknown_route` with the nearest
/// route, so a typo in an app's base path or a retired route shows in the summary and on
/// the page like any other mistake; a GET (a browser's favicon, a health check) is
/// answered and forgotten. With credentials set, a caller that does not present them is
/// answered the same 404 and not recorded (nothing a stranger sends is stored).
async fn unknown_route(state: &State, req: Request<Incoming>) -> Answer {
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            &format!(
                "not a Track API route: {} {}",
                req.method(),
                shown(req.uri().path())
            ),
        )
    };
    let sends = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let stranger = state
        .auth
        .as_ref()
        .is_some_and(|c| !c.accepts(req.headers().get(header::AUTHORIZATION)));
    if !sends || stranger {
        return not_found();
    }
    let answer = not_found();
    let (method, path) = method_and_path(&req);
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let received_at = clock::now_ms();
    let judged = judge(
        &state.validator,
        &method,
        &path,
        None,
        &body,
        received_at.div_euclid(1000),
    );
    let record = record(received_at, method, path, judged, StatusCode::NOT_FOUND);
    store_then(state, record, answer).await
}

/// The method and the path with its query, as recorded.
fn method_and_path(req: &Request<Incoming>) -> (String, String) {
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    (req.method().to_string(), path)
}

/// What is stored of a judged request answered `status`.
fn record(
    received_at: i64,
    method: String,
    path: String,
    judged: judge::Judged,
    status: StatusCode,
) -> Record {
    let violations = if judged.violations.is_empty() {
        "[]".to_owned()
    } else {
        Value::Array(
            judged
                .violations
                .iter()
                .map(judge::violation_json)
                .collect(),
        )
        .to_string()
    };
    Record {
        rules: judged.rules(),
        request: RequestRow {
            received_at,
            method,
            path,
            valid: judged.valid(),
            status: status.as_u16(),
            violations,
            body: judged.body,
        },
        operations: judged.operations,
    }
}

/// Store `record`, then give the caller `answer`; a request that could not be stored is
/// never answered as if it were (503: the SDK retries it).
async fn store_then(state: &State, record: Record, answer: Answer) -> Answer {
    match state.store.insert(record).await {
        Ok(_) => answer,
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// Judge, (forward,) store, answer.
async fn track(
    state: &State,
    method: String,
    path: String,
    route: Route,
    authorization: Option<header::HeaderValue>,
    body: Bytes,
) -> Answer {
    let received_at = clock::now_ms();
    let judged = judge(
        &state.validator,
        &method,
        &path,
        Some(&route),
        &body,
        received_at.div_euclid(1000),
    );
    let (status, answer) = if judged.malformed || (state.mode == Mode::Enforce && !judged.valid()) {
        answers::rejected(&route, &judged.violations)
    } else if let Some(f) = &state.forward {
        // The upstream's answer is what the caller gets, and what is recorded.
        f.send(&method, &path, authorization.as_ref(), body.clone())
            .await
    } else {
        (StatusCode::OK, answers::success(&route))
    };
    let record = record(received_at, method, path, judged, status);
    store_then(state, record, answer).await
}

/// The body, at most [`MAX_BODY`] bytes, within [`BODY_TIMEOUT`]; or the error answer.
async fn read_body(req: Request<Incoming>) -> Result<Bytes, Answer> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is over {MAX_BODY} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let limited = Limited::new(req.into_body(), MAX_BODY);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        )),
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(e)) => Err(error(
            StatusCode::BAD_REQUEST,
            &format!("cannot read the request body: {e}"),
        )),
    }
}

async fn inspection(state: &State, req: Request<Incoming>) -> Answer {
    let params = inspect::Params::parse(req.uri().query());
    let store = &state.store;
    let unavailable =
        |e: super::store::StoreError| error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
    let bad = |e: String| error(StatusCode::BAD_REQUEST, &e);
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => {
            let q = params.text("q", 200);
            let summary = inspect::summary(store).await;
            let recent = inspect::recent(
                store,
                inspect::Filter {
                    limit: page::SCANNED,
                    ..inspect::Filter::default()
                },
            )
            .await;
            let (summary, recent) = match (summary, recent) {
                (Ok(s), Ok(r)) => (s, r),
                (Err(e), _) | (_, Err(e)) => return unavailable(e),
            };
            let main = page::main_part(&summary, &recent, &q);
            let html = if params.text("part", 10) == "main" {
                main
            } else {
                page::page(&main, &q)
            };
            let mut a =
                answers::bytes_answer(StatusCode::OK, "text/html; charset=utf-8", html.into());
            let h = a.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static(page::CSP),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                header::HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            a
        }
        (&Method::GET, "/_trackc/page.js") => answers::bytes_answer(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            Bytes::from_static(page::SCRIPT.as_bytes()),
        ),
        (&Method::GET, "/_trackc/summary") => match inspect::summary(store).await {
            Ok(s) => json_answer(StatusCode::OK, &s),
            Err(e) => unavailable(e),
        },
        (&Method::GET, "/_trackc/requests") => {
            let filter = match params.filter() {
                Ok(f) => f,
                Err(e) => return bad(e),
            };
            match inspect::requests(store, filter).await {
                Ok(rows) => {
                    let mut text = String::new();
                    for r in rows {
                        text.push_str(&r.line());
                        text.push('\n');
                    }
                    answers::bytes_answer(StatusCode::OK, "application/x-ndjson", text.into())
                }
                Err(e) => unavailable(e),
            }
        }
        (&Method::POST, "/_trackc/reset") => match store.reset().await {
            Ok(()) => json_answer(StatusCode::OK, &json!({})),
            Err(e) => unavailable(e),
        },
        (&Method::POST, "/_trackc/match") => {
            let limit = match params.number(
                "limit",
                inspect::DEFAULT_MATCHES as u64,
                inspect::MAX_MATCHES as u64,
            ) {
                Ok(n) => n as usize,
                Err(e) => return bad(e),
            };
            let mut wait = match params.number("wait_ms", 0, inspect::MAX_WAIT_MS) {
                Ok(n) => n,
                Err(e) => return bad(e),
            };
            let body = match read_body(req).await {
                Ok(b) => b,
                Err(a) => return a,
            };
            let mut pattern = match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(o)) => o,
                Ok(_) => return bad("the body must be a JSON object (a partial operation)".into()),
                Err(e) => return bad(format!("the body is not JSON: {e}")),
            };
            if let Some(w) = pattern.remove("wait_ms") {
                match w.as_u64() {
                    Some(n) if n <= inspect::MAX_WAIT_MS => wait = n,
                    _ => {
                        return bad(format!(
                            "`wait_ms` must be a number from 0 to {}",
                            inspect::MAX_WAIT_MS
                        ));
                    }
                }
            }
            let wait = Duration::from_millis(wait);
            match inspect::matches(store, Value::Object(pattern), wait, limit).await {
                Ok(found) => json_answer(
                    StatusCode::OK,
                    &json!({"count": found.len(), "matches": found}),
                ),
                Err(e) => unavailable(e),
            }
        }
        (_, "/_trackc/summary" | "/_trackc/requests" | "/_trackc/reset" | "/_trackc/match") => {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        (_, path) => error(
            StatusCode::NOT_FOUND,
            &format!("no such page: {}", shown(path)),
        ),
    }
}

/// A path from the request as put in an error message: cut short.
fn shown(path: &str) -> std::borrow::Cow<'_, str> {
    trackc_codegen::validate::bounds::clip(path, 200)
}
