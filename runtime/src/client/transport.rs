//! The HTTP seam: [`Transport`] sends one prepared request and reports what came back.
//!
//! Everything else (ids, limits, retries, timeouts, batching) lives in the client, so a
//! transport is a thin adapter over an HTTP stack and tests can plug in their own.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The HTTP method of a request (the route table's).
pub use trackc_wire::Method;

/// The value of the `Authorization` header. Its `Debug` and `Display` never show it; only
/// a transport calls [`Authorization::expose`], to put it on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization(String);

impl Authorization {
    /// HTTP Basic credentials: site id as the user, API key as the password.
    pub(crate) fn basic(user: &str, password: &str) -> Self {
        let mut raw = String::with_capacity(user.len() + password.len() + 1);
        raw.push_str(user);
        raw.push(':');
        raw.push_str(password);
        Authorization(format!("Basic {}", base64(raw.as_bytes())))
    }

    /// The base64 token after `Basic `, for scrubbing echoes of it.
    pub(crate) fn token(&self) -> &str {
        self.0.strip_prefix("Basic ").unwrap_or(&self.0)
    }

    /// The header value, for the transport to send. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Basic <redacted>")
    }
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Basic <redacted>")
    }
}

/// Standard base64 with padding (RFC 4648 §4), for the Basic credentials.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One HTTP request, ready for the wire.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    /// Absolute URL, path segments already percent-encoded.
    pub url: String,
    pub authorization: Authorization,
    /// A JSON body (`Content-Type: application/json`), if any.
    pub body: Option<Vec<u8>>,
    /// How long this attempt may take. The client also enforces it around
    /// [`Transport::send`]; a transport may apply it natively too.
    pub timeout: Duration,
}

/// What the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The raw `Retry-After` header, if present.
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// Why no response arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    /// A description from the HTTP stack. Must not contain credentials.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// Connecting failed, the connection broke, or the response was malformed. Retried.
    Network,
    /// The attempt took longer than its timeout. Retried.
    Timeout,
    /// The request could not be built (bad URL, ...). Not retried.
    Request,
}

impl TransportError {
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TransportErrorKind::Network => "network error",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Request => "invalid request",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for TransportError {}

/// A boxed future, as returned by [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An HTTP stack. Implemented by [`crate::client::ReqwestTransport`] (feature `reqwest`);
/// implement it to use another stack or to test without a network.
pub trait Transport: Send + Sync + 'static {
    /// Send one request and return the response, whatever its status.
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>>;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        (**self).send(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn authorization_is_redacted() {
        let a = Authorization::basic("site", "s3cret-key");
        assert_eq!(a.expose(), "Basic c2l0ZTpzM2NyZXQta2V5");
        assert!(!format!("{a:?} {a}").contains("c2l0ZTpzM2NyZXQta2V5"));
    }
}
