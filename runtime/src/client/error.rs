//! The client's error type. No variant carries credentials: the API key lives only in the
//! [`super::transport::Authorization`] of a request, which is redacted everywhere, and
//! every text that comes from the server or the HTTP stack (a body, a transport message)
//! is scrubbed of the client's own credentials before it is stored in an error, since a
//! server or proxy may echo the request's headers back.

use std::fmt;
use std::time::Duration;

use super::transport::TransportError;
use crate::Violations;

/// Why a call failed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// Refused before sending: a documented Track API limit or a wire rule. `field` names
    /// the offending value (`identifier`, `name`, `data`, `attributes.plan`, `timestamp`,
    /// `batch[3]`, ...).
    Invalid { field: String, message: String },
    /// The event's (or attributes') own `validate()` failed; each violation has its path.
    Validation(Violations),
    /// Refused by the backfill guard (see [`super::ClientBuilder::backfill`]).
    Backfill { event: &'static str, reason: String },
    /// 401: the site id or API key is wrong. Never retried.
    Unauthorized,
    /// 400: Customer.io refused the request; `errors` are its `meta.errors`. Never retried.
    BadRequest { errors: Vec<String> },
    /// Another status that is not retried (403, 404, 413, ...), or a retryable status when
    /// retries are exhausted. `retry_after` is the server's `Retry-After` (delta-seconds, or
    /// an HTTP date converted to the time left when the response arrived), so a caller who
    /// gives up knows how long to wait before trying again.
    Status {
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    /// No response: the connection failed or the attempt timed out.
    Transport(TransportError),
    /// Not sent: the call's (or the batch's) overall deadline had passed before this request
    /// could start. `deadline` is the time that was allowed.
    DeadlineExceeded { deadline: Duration },
    /// Retries stopped (count or time budget reached); `last` is the final attempt's error.
    RetriesExhausted {
        attempts: u32,
        elapsed: Duration,
        last: Box<Error>,
    },
}

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Whether the request may have reached Customer.io and a retry could succeed (now or
    /// later, for an error that ended the client's own retries).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.kind != super::transport::TransportErrorKind::Request,
            Error::Status { status, .. } => super::retry::retryable_status(*status),
            Error::DeadlineExceeded { .. } => true,
            // Retries stopped on a retryable failure: a later attempt still could succeed.
            Error::RetriesExhausted { last, .. } => last.is_retryable(),
            _ => false,
        }
    }

    /// How long the server asked to wait before the next attempt (`Retry-After` of the last
    /// response), looking through [`Error::RetriesExhausted`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self.last() {
            Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The error of the last attempt, looking through [`Error::RetriesExhausted`].
    pub fn last(&self) -> &Error {
        match self {
            Error::RetriesExhausted { last, .. } => last.last(),
            e => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { field, message } => write!(f, "invalid `{field}`: {message}"),
            Error::Validation(v) => write!(f, "validation failed: {v}"),
            Error::Backfill { event, reason } => {
                write!(f, "backfill refused event `{event}`: {reason}")
            }
            Error::Unauthorized => f.write_str(
                "401 Unauthorized: check the site id and API key (the key is not shown)",
            ),
            Error::BadRequest { errors } if errors.is_empty() => f.write_str("400 Bad Request"),
            Error::BadRequest { errors } => write!(f, "400 Bad Request: {}", errors.join("; ")),
            Error::Status {
                status,
                body,
                retry_after,
            } => {
                write!(f, "HTTP {status}")?;
                if !body.is_empty() {
                    let cut = body
                        .char_indices()
                        .nth(200)
                        .map_or(body.as_str(), |(i, _)| &body[..i]);
                    write!(f, ": {cut}")?;
                }
                if let Some(wait) = retry_after {
                    write!(f, " (Retry-After: {}s)", wait.as_secs_f64())?;
                }
                Ok(())
            }
            Error::Transport(e) => e.fmt(f),
            Error::DeadlineExceeded { deadline } => write!(
                f,
                "not sent: the overall deadline of {:.1}s had passed",
                deadline.as_secs_f64()
            ),
            Error::RetriesExhausted {
                attempts,
                elapsed,
                last,
            } => write!(
                f,
                "gave up after {attempts} attempts in {:.1}s: {last}",
                elapsed.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Validation(v) => Some(v),
            Error::Transport(e) => Some(e),
            Error::RetriesExhausted { last, .. } => Some(&**last),
            _ => None,
        }
    }
}

impl From<Violations> for Error {
    fn from(v: Violations) -> Self {
        Error::Validation(v)
    }
}
