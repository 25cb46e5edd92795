//! The default transport: reqwest with rustls.

use super::Error;
use super::transport::{
    BoxFuture, Method, Request, Response, Transport, TransportError, TransportErrorKind,
};

/// [`Transport`] over a `reqwest::Client` (rustls, HTTP/1.1).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with its own connection pool.
    pub fn new() -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("trackc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transport(map_err(e)))?;
        Ok(ReqwestTransport { client })
    }

    /// A transport over an existing client (its pool, proxy and TLS settings).
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

fn map_err(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_builder() {
        TransportErrorKind::Request
    } else {
        TransportErrorKind::Network
    };
    // URLs carry identifiers (personal data): keep them out of the message. Credentials
    // travel in a sensitive header, never in the URL.
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    TransportError::new(kind, message)
}

impl Transport for ReqwestTransport {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let method = match request.method {
                Method::Get => reqwest::Method::GET,
                Method::Put => reqwest::Method::PUT,
                Method::Post => reqwest::Method::POST,
                Method::Delete => reqwest::Method::DELETE,
            };
            let mut auth = reqwest::header::HeaderValue::from_str(request.authorization.expose())
                .map_err(|_| {
                TransportError::new(TransportErrorKind::Request, "invalid credentials")
            })?;
            auth.set_sensitive(true);
            let mut builder = self
                .client
                .request(method, &request.url)
                .header(reqwest::header::AUTHORIZATION, auth)
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(request.timeout);
            if let Some(body) = request.body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body);
            }
            let resp = builder.send().await.map_err(map_err)?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = resp.bytes().await.map_err(map_err)?.to_vec();
            Ok(Response {
                status,
                retry_after,
                body,
            })
        })
    }
}
