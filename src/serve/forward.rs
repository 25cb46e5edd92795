//! `--forward URL`: requests that pass (all of them in observe mode) are sent on to URL
//! (e.g. `https://track.customer.io`) with the caller's own `Authorization`, and the
//! upstream's answer is relayed. trackc keeps no credentials of its own for this.

use std::time::Duration;

use hyper::body::Bytes;
use hyper::{StatusCode, header};

use super::answers::{Answer, bytes_answer, error};
use super::http::MAX_BODY;

/// The upstream must answer within this time.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Forward {
    client: reqwest::Client,
    /// The base URL without a trailing slash.
    base: String,
}

impl Forward {
    /// A forwarder to `url` (`http` or `https`, no query or fragment).
    pub fn new(url: &str) -> Result<Forward, String> {
        let base = url.trim_end_matches('/');
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        if !scheme_ok || base.contains(['?', '#']) || base.contains('@') {
            return Err(format!(
                "--forward must be an http(s) URL without credentials, query or fragment: {}",
                trackc_codegen::validate::bounds::clip(url, 200)
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect would re-send the caller's credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot start the forwarding client: {e}"))?;
        Ok(Forward {
            client,
            base: base.to_owned(),
        })
    }

    /// Send `method path_and_query` with `body` and the caller's `authorization`; the
    /// upstream's status and body (at most [`MAX_BODY`] bytes), or 502.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        authorization: Option<&header::HeaderValue>,
        body: Bytes,
    ) -> (StatusCode, Answer) {
        let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
            return bad_gateway("an unusable method");
        };
        let mut req = self
            .client
            .request(method, format!("{}{path_and_query}", self.base))
            .header(header::CONTENT_TYPE.as_str(), "application/json")
            .body(body);
        if let Some(a) = authorization.and_then(|a| a.to_str().ok()) {
            req = req.header(header::AUTHORIZATION.as_str(), a);
        }
        let res = match req.send().await {
            Ok(r) => r,
            Err(e) => return bad_gateway(&describe(&e)),
        };
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        if res.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return bad_gateway("the upstream's answer is too large");
        }
        match res.bytes().await {
            Ok(b) if b.len() <= MAX_BODY => (status, bytes_answer(status, "application/json", b)),
            Ok(_) => bad_gateway("the upstream's answer is too large"),
            Err(e) => bad_gateway(&describe(&e)),
        }
    }
}

/// What went wrong, without the URL's details repeated by every error.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the upstream did not answer in time".into()
    } else if e.is_connect() {
        "cannot connect to the upstream".into()
    } else {
        format!("the upstream failed: {e}")
    }
}

fn bad_gateway(why: &str) -> (StatusCode, Answer) {
    (
        StatusCode::BAD_GATEWAY,
        error(StatusCode::BAD_GATEWAY, &format!("--forward: {why}")),
    )
}
