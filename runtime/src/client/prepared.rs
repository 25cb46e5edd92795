//! Prepared events: an event that passed every check and has its id, ready to be sent and,
//! if need be, sent again with that same id.

use std::fmt;

use serde_json::{Map, Value};

use super::{Error, Identifier, Ulid};
use crate::Timestamp;

/// Who a prepared event is about. Owned, since a prepared event outlives the call (and, in
/// the outbox, the process) that made it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// A person, by `id`.
    Id(String),
    /// A person, by `email`.
    Email(String),
    /// A person, by Customer.io's own id (without the `cio_` prefix).
    CioId(String),
    /// Someone not yet identified (`POST /api/v1/events`).
    Anonymous(String),
}

impl Recipient {
    pub(crate) fn from_identifier(person: Identifier<'_>) -> Self {
        match person {
            Identifier::Id(s) => Recipient::Id(s.to_owned()),
            Identifier::Email(s) => Recipient::Email(s.to_owned()),
            Identifier::CioId(s) => Recipient::CioId(s.to_owned()),
        }
    }

    /// The person, `None` for an anonymous recipient.
    pub fn identifier(&self) -> Option<Identifier<'_>> {
        match self {
            Recipient::Id(s) => Some(Identifier::Id(s)),
            Recipient::Email(s) => Some(Identifier::Email(s)),
            Recipient::CioId(s) => Some(Identifier::CioId(s)),
            Recipient::Anonymous(_) => None,
        }
    }

    /// `id`, `email`, `cio_id` or `anonymous_id`.
    pub fn kind(&self) -> &'static str {
        match self {
            Recipient::Id(_) => "id",
            Recipient::Email(_) => "email",
            Recipient::CioId(_) => "cio_id",
            Recipient::Anonymous(_) => "anonymous_id",
        }
    }

    /// The identifier's text.
    pub fn value(&self) -> &str {
        match self {
            Recipient::Id(s)
            | Recipient::Email(s)
            | Recipient::CioId(s)
            | Recipient::Anonymous(s) => s,
        }
    }

    /// The inverse of the stored form (outbox rows).
    #[cfg(feature = "outbox")]
    pub(crate) fn from_parts(kind: &str, value: String) -> Option<Self> {
        Some(match kind {
            "id" => Recipient::Id(value),
            "email" => Recipient::Email(value),
            "cio_id" => Recipient::CioId(value),
            "anonymous_id" => Recipient::Anonymous(value),
            _ => return None,
        })
    }
}

/// Identifiers are personal data: `Debug` shows the kind only.
impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient::{}(..)", self.kind())
    }
}

/// An event that passed every check (its `validate()`, the documented limits, the backfill
/// guard) and has its id, fixed once: made by [`super::Client::prepare`] and its siblings,
/// sent by [`super::Client::send`], re-sent by calling it again. Customer.io ignores an event
/// whose id it already has, so sending a prepared event twice is one event.
///
/// Its fields cannot be changed: a changed event under the same id would be dropped by
/// Customer.io as a duplicate of the first.
#[derive(Clone, PartialEq)]
pub struct PreparedEvent {
    pub(crate) recipient: Recipient,
    pub(crate) name: String,
    pub(crate) id: Ulid,
    pub(crate) timestamp: Option<Timestamp>,
    pub(crate) data: Map<String, Value>,
}

impl PreparedEvent {
    pub fn id(&self) -> Ulid {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }

    /// When it happened; `None` means Customer.io stamps it on receipt.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.timestamp
    }

    /// The event's data, as sent.
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }
}

/// The data and identifiers are personal data: `Debug` shows the name, id, timestamp and the
/// number of data fields.
impl fmt::Debug for PreparedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedEvent")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("timestamp", &self.timestamp.map(Timestamp::unix_seconds))
            .field("recipient", &self.recipient)
            .field("data_fields", &self.data.len())
            .finish()
    }
}

/// Why [`super::Client::track`] (and its siblings) did not confirm delivery.
#[derive(Debug)]
pub enum TrackError {
    /// Refused before it was accepted: a check failed, the event has no id and nothing was
    /// sent. Sending it again as is fails the same way.
    Refused(Error),
    /// Accepted and given its id, but not confirmed delivered: the request failed, or its
    /// outcome is unknown (it may have reached Customer.io). Send `event` again with
    /// [`super::Client::send`] (now or later, e.g. after [`Error::retry_after`]): it keeps
    /// its id, so it is never a duplicate.
    Undelivered {
        event: Box<PreparedEvent>,
        error: Error,
    },
}

impl TrackError {
    /// The underlying error.
    pub fn error(&self) -> &Error {
        match self {
            TrackError::Refused(e) | TrackError::Undelivered { error: e, .. } => e,
        }
    }

    /// The prepared event to send again, if the event was accepted.
    pub fn prepared(&self) -> Option<&PreparedEvent> {
        match self {
            TrackError::Refused(_) => None,
            TrackError::Undelivered { event, .. } => Some(event),
        }
    }

    /// The id the event was (or would have been) delivered with, if it was accepted.
    pub fn event_id(&self) -> Option<Ulid> {
        self.prepared().map(PreparedEvent::id)
    }

    /// The prepared event, taken out of the error.
    pub fn into_prepared(self) -> Option<PreparedEvent> {
        match self {
            TrackError::Refused(_) => None,
            TrackError::Undelivered { event, .. } => Some(*event),
        }
    }
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackError::Refused(e) => e.fmt(f),
            TrackError::Undelivered { event, error } => write!(
                f,
                "event `{}` (id {}) not confirmed delivered: {error}",
                event.name, event.id
            ),
        }
    }
}

impl std::error::Error for TrackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error())
    }
}

/// For `?` in functions returning [`Error`]; drops the prepared event.
impl From<TrackError> for Error {
    fn from(e: TrackError) -> Self {
        match e {
            TrackError::Refused(e) | TrackError::Undelivered { error: e, .. } => e,
        }
    }
}
