//! Customer.io's answers, in the shapes of the published OpenAPI document: `{}` on
//! success; v1 errors as `{"meta": {"errors": [text, ..]}}`; v2 errors as `{"errors":
//! [{"reason", "field", "message"}]}`, with `batch_index` in a batch's 207.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode, header};
use serde_json::{Value, json};
use trackc_codegen::validate::Violation;

use super::routes::Route;

pub type Answer = Response<Full<Bytes>>;

/// A JSON answer.
pub fn json_answer(status: StatusCode, body: &Value) -> Answer {
    bytes_answer(status, "application/json", body.to_string().into())
}

pub fn bytes_answer(status: StatusCode, content_type: &'static str, body: Bytes) -> Answer {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}

/// Success: an empty object (the region route: where the account lives).
pub fn success(route: &Route) -> Answer {
    match route {
        Route::Region => json_answer(
            StatusCode::OK,
            &json!({"url": "https://track.customer.io", "region": "us", "environment_id": 0}),
        ),
        _ => bytes_answer(
            StatusCode::OK,
            "application/json",
            Bytes::from_static(b"{}"),
        ),
    }
}

/// An error in the v1 shape (every status that is not about one request's contents).
pub fn error(status: StatusCode, message: &str) -> Answer {
    json_answer(status, &json!({"meta": {"errors": [message]}}))
}

/// The request broke the contract (enforce), or its body is not JSON: 400, or 207 for a
/// batch whose every violation belongs to an operation (the others were accepted).
pub fn rejected(route: &Route, violations: &[Violation]) -> (StatusCode, Answer) {
    // Warnings (rules `lints:` lowered) are recorded, never a reason to refuse.
    let violations: Vec<&Violation> = violations.iter().filter(|v| v.level.is_error()).collect();
    if !route.is_v2() {
        let errors: Vec<String> = violations.iter().map(|v| text(v)).collect();
        let status = StatusCode::BAD_REQUEST;
        return (
            status,
            json_answer(status, &json!({"meta": {"errors": errors}})),
        );
    }
    let per_op = matches!(route, Route::Batch) && violations.iter().all(|v| v.index.is_some());
    let errors: Vec<Value> = violations
        .iter()
        .map(|v| {
            let mut e = json!({"reason": v.code, "field": v.path, "message": v.message});
            if let (true, Some(i)) = (per_op, v.index) {
                e["batch_index"] = i.into();
            }
            e
        })
        .collect();
    let status = if per_op {
        StatusCode::MULTI_STATUS
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, json_answer(status, &json!({ "errors": errors })))
}

/// One violation as one line of text: `path: message`.
fn text(v: &Violation) -> String {
    if v.path.is_empty() {
        v.message.clone()
    } else {
        format!("{}: {}", v.path, v.message)
    }
}
