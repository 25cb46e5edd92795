//! The typed Track API client (feature `client`; the reqwest transport needs `reqwest`, the
//! durable [`outbox`] needs `outbox`).
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn demo<E: trackc::Event>(order: &E) -> Result<(), trackc::client::Error> {
//! let client = trackc::Client::builder("site-id", "api-key")
//!     .region(trackc::client::Region::Eu)
//!     .build()?;
//! client.track("customer-42", order).await?;
//! # Ok(()) }
//! ```
//!
//! What every call does, in order: checks the event's own `validate()`, the documented
//! limits ([`limits`]) and, in backfill mode, the backfill guard; gives an event its id
//! ([`id`]) once; then sends, retrying under the [`RetryPolicy`] with the same id and body,
//! so a retried event is one event at Customer.io. One call never takes longer than the
//! policy's `budget`; a [`Batch`] shares one deadline among all its requests
//! ([`ClientBuilder::batch_deadline`]).
//!
//! # Giving up without losing or duplicating
//!
//! An event has its id from the moment it is accepted. When a call gives up, the error
//! carries the [`PreparedEvent`] (and its id): send it again, now or later, with
//! [`Client::send`]; Customer.io ignores an id it already has, so a re-send that follows a
//! lost reply is never a duplicate. [`Client::prepare`] gives the id before anything is sent.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn demo<E: trackc::Event>(client: &trackc::Client, order: &E)
//! #     -> Result<(), trackc::client::Error> {
//! use trackc::client::TrackError;
//!
//! // Prepare: checked, with its id, nothing sent yet.
//! let prepared = client.prepare("customer-42", order)?;
//! println!("sending event {}", prepared.id());
//! if let Err(e) = client.send(&prepared).await {
//!     // Wait what the server asked for (429/503 Retry-After), then re-send: same id.
//!     tokio::time::sleep(e.retry_after().unwrap_or_default()).await;
//!     client.send(&prepared).await?;
//! }
//!
//! // Or track in one step; a failure hands the prepared event back.
//! match client.track("customer-42", order).await {
//!     Ok(id) => println!("delivered {id}"),
//!     Err(TrackError::Undelivered { event, error }) => {
//!         eprintln!("not confirmed ({error}); keeping {} to re-send", event.id());
//!         client.send(&event).await?;
//!     }
//!     Err(TrackError::Refused(error)) => return Err(error), // a check failed: no id
//! }
//! # Ok(()) }
//! ```
//!
//! A batch whose 207 answer does not say which operations failed reports each of them
//! as [`BatchItemError::OutcomeUnknown`], never as delivered. Errors keep the server's
//! `Retry-After` ([`Error::retry_after`]). Anything the client prints or returns (errors,
//! `Debug`, logs) is scrubbed of its own credentials, even when a server echoes the
//! request's headers.
//!
//! To survive the process dying, store events in the durable [`outbox`] (feature `outbox`)
//! at enqueue and let a sender deliver them.

mod batch;
mod error;
pub mod id;
pub mod limits;
#[cfg(feature = "outbox")]
pub mod outbox;
mod prepared;
mod retry;
mod scrub;
mod transport;

#[cfg(feature = "reqwest")]
mod reqwest_transport;

pub use batch::{Batch, BatchItemError, BatchReport};
pub use error::Error;
pub use id::{derive_event_id, event_id};
#[cfg(feature = "outbox")]
pub use outbox::Outbox;
pub use prepared::{PreparedEvent, Recipient, TrackError};
pub use retry::RetryPolicy;
pub use transport::{
    Authorization, BoxFuture, Method, Request, Response, Transport, TransportError,
    TransportErrorKind,
};
pub use ulid::Ulid;

#[cfg(feature = "reqwest")]
pub use reqwest_transport::ReqwestTransport;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};
use tracing::Instrument;

use trackc_wire::PathPerson;
use trackc_wire::route::RouteId;

use crate::{Attributes, Backfill, Event, Timestamp};

/// Customer.io data centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Region {
    /// `https://track.customer.io`
    #[default]
    Us,
    /// `https://track-eu.customer.io`
    Eu,
}

impl Region {
    pub const fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://track.customer.io",
            Region::Eu => "https://track-eu.customer.io",
        }
    }
}

/// Who a call is about. A plain `&str` is a person's `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Identifier<'a> {
    Id(&'a str),
    Email(&'a str),
    /// Customer.io's own id, without the `cio_` prefix.
    CioId(&'a str),
}

impl<'a> From<&'a str> for Identifier<'a> {
    fn from(id: &'a str) -> Self {
        Identifier::Id(id)
    }
}

impl<'a> From<&'a String> for Identifier<'a> {
    fn from(id: &'a String) -> Self {
        Identifier::Id(id)
    }
}

impl Identifier<'_> {
    fn value(&self) -> &str {
        match self {
            Identifier::Id(s) | Identifier::Email(s) | Identifier::CioId(s) => s,
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Identifier::Id(_) => "id",
            Identifier::Email(_) => "email",
            Identifier::CioId(_) => "cio_id",
        }
    }

    fn check(&self, field: &str) -> Result<(), Error> {
        limits::identifier(field, self.value())
    }

    /// The v1 path's `{identifier}`: id or email as is, cio_id as `cio_<id>` (the route
    /// percent-encodes it).
    fn path_value(&self) -> std::borrow::Cow<'_, str> {
        match *self {
            Identifier::Id(s) | Identifier::Email(s) => PathPerson::IdOrEmail(s),
            Identifier::CioId(s) => PathPerson::CioId(s),
        }
        .path_value()
    }

    /// The v2 / merge form: `{"id": "..."}`.
    fn to_json(self) -> Value {
        json!({ self.key(): self.value() })
    }
}

/// Events in backfill mode whose timestamp is newer than this would trigger live
/// workflows (Customer.io does not trigger campaigns from events older than 72 hours).
pub const BACKFILL_TRIGGER_WINDOW: Duration = Duration::from_secs(72 * 3600);
/// Extra margin on [`BACKFILL_TRIGGER_WINDOW`] for clock skew between this host and
/// Customer.io: a trigger event must be older than 72 h 15 min to be backfilled.
pub const BACKFILL_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Configures a [`Client`]. Start with [`Client::builder`].
pub struct ClientBuilder {
    site_id: String,
    api_key: String,
    base_url: String,
    timeout: Duration,
    retry: RetryPolicy,
    batch_deadline: Option<Duration>,
    backfill: bool,
    transport: Option<Box<dyn Transport>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("site_id", &self.site_id)
            .field("api_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("batch_deadline", &self.batch_deadline)
            .field("backfill", &self.backfill)
            .field("custom_transport", &self.transport.is_some())
            .finish()
    }
}

impl ClientBuilder {
    /// The data centre (default: US).
    pub fn region(mut self, region: Region) -> Self {
        self.base_url = region.base_url().to_owned();
        self
    }

    /// Another base URL (a proxy, or an emulator in tests), e.g. `http://127.0.0.1:8080`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time allowed for one attempt (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]). Its `budget` is also the
    /// overall deadline of one call, retries and waits included.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The overall deadline of one [`Batch::send`], shared by all of its requests and their
    /// retries (default: the retry policy's `budget`, 60 s by default). A request that
    /// cannot start before it is not sent, and its operations fail with
    /// [`Error::DeadlineExceeded`]; so the worst case of a batch does not grow with its
    /// number of requests. [`Batch::deadline`] overrides it for one batch.
    pub fn batch_deadline(mut self, deadline: Duration) -> Self {
        self.batch_deadline = Some(deadline);
        self
    }

    /// Backfill mode, for replaying history: every event needs an explicit timestamp
    /// (`track_at`), events whose contract says `backfill: forbidden` are refused, and so are
    /// events that trigger workflows unless older than 72 hours (plus
    /// [`BACKFILL_CLOCK_SKEW`]), since they would enroll people in live journeys. Identify,
    /// delete, suppress and merge are allowed.
    pub fn backfill(mut self, on: bool) -> Self {
        self.backfill = on;
        self
    }

    /// Send through `transport` instead of the default reqwest transport.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Box::new(transport));
        self
    }

    /// Build the client. Without a [`ClientBuilder::transport`], this needs feature
    /// `reqwest`.
    pub fn build(self) -> Result<Client, Error> {
        if self.site_id.is_empty() {
            return Err(Error::invalid("site_id", "site id is empty"));
        }
        if self.api_key.is_empty() {
            return Err(Error::invalid("api_key", "API key is empty"));
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(Error::invalid(
                "base_url",
                format!("`{base_url}` is not an http(s) URL"),
            ));
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout", "timeout is zero"));
        }
        if self.retry.budget.is_zero() || self.batch_deadline.is_some_and(|d| d.is_zero()) {
            return Err(Error::invalid("deadline", "a deadline is zero"));
        }
        let transport = match self.transport {
            Some(t) => t,
            None => default_transport()?,
        };
        let authorization = Authorization::basic(&self.site_id, &self.api_key);
        Ok(Client {
            inner: Arc::new(Inner {
                secrets: scrub::Secrets::new(&self.api_key, authorization.token()),
                authorization,
                site_id: self.site_id,
                base_url,
                timeout: self.timeout,
                retry: self.retry,
                batch_deadline: self.batch_deadline.unwrap_or(self.retry.budget),
                backfill: self.backfill,
                transport,
            }),
        })
    }
}

#[cfg(feature = "reqwest")]
fn default_transport() -> Result<Box<dyn Transport>, Error> {
    Ok(Box::new(ReqwestTransport::new()?))
}

#[cfg(not(feature = "reqwest"))]
fn default_transport() -> Result<Box<dyn Transport>, Error> {
    Err(Error::invalid(
        "transport",
        "no transport: enable feature `reqwest` or call ClientBuilder::transport",
    ))
}

/// A Customer.io Track API client. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    site_id: String,
    authorization: Authorization,
    /// The credentials in every form an echo may take, scrubbed from server texts.
    secrets: scrub::Secrets,
    base_url: String,
    timeout: Duration,
    retry: RetryPolicy,
    batch_deadline: Duration,
    backfill: bool,
    transport: Box<dyn Transport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        f.debug_struct("Client")
            .field("site_id", &i.site_id)
            .field("api_key", &"<redacted>")
            .field("base_url", &i.base_url)
            .field("timeout", &i.timeout)
            .field("retry", &i.retry)
            .field("batch_deadline", &i.batch_deadline)
            .field("backfill", &i.backfill)
            .finish()
    }
}

impl Client {
    /// A builder with the given credentials: site id (Basic auth user) and API key
    /// (password). Defaults: US region, 10 s timeout, [`RetryPolicy::default`], live mode.
    pub fn builder(site_id: impl Into<String>, api_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            site_id: site_id.into(),
            api_key: api_key.into(),
            base_url: Region::Us.base_url().to_owned(),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            batch_deadline: None,
            backfill: false,
            transport: None,
        }
    }

    /// Whether this client is in backfill mode.
    pub fn is_backfill(&self) -> bool {
        self.inner.backfill
    }

    /// Create or update a person (`PUT /api/v1/customers/{identifier}`). `None` attributes
    /// are left unchanged.
    pub async fn identify<'a, A: Attributes>(
        &self,
        person: impl Into<Identifier<'a>>,
        attributes: &A,
    ) -> Result<(), Error> {
        let person = person.into();
        person.check("identifier")?;
        attributes.validate()?;
        let attrs = limits::identify_attributes(attributes)?;
        let body = to_body(&Value::Object(attrs));
        self.execute(
            "identify",
            RouteId::Identify,
            &[&person.path_value()],
            Some(body),
        )
        .await
        .map(drop)
    }

    /// Send an event for a person, timestamped by Customer.io on receipt
    /// (`POST /api/v1/customers/{identifier}/events`). Refused in backfill mode.
    /// Returns the event id; on failure, the error carries the prepared event (and its id)
    /// to send again with [`Client::send`].
    pub async fn track<'a, E: Event>(
        &self,
        person: impl Into<Identifier<'a>>,
        event: &E,
    ) -> Result<Ulid, TrackError> {
        let prepared = self.prepare(person, event).map_err(TrackError::Refused)?;
        self.send_owned(prepared).await
    }

    /// Send an event that happened at `timestamp` (Unix seconds). Returns the event id; see
    /// [`Client::track`] for failures.
    pub async fn track_at<'a, E: Event>(
        &self,
        person: impl Into<Identifier<'a>>,
        event: &E,
        timestamp: Timestamp,
    ) -> Result<Ulid, TrackError> {
        let prepared = self
            .prepare_at(person, event, timestamp)
            .map_err(TrackError::Refused)?;
        self.send_owned(prepared).await
    }

    /// Send an event for someone not yet identified (`POST /api/v1/events`), timestamped on
    /// receipt. Refused in backfill mode. Returns the event id; see [`Client::track`] for
    /// failures.
    pub async fn track_anonymous<E: Event>(
        &self,
        anonymous_id: &str,
        event: &E,
    ) -> Result<Ulid, TrackError> {
        let prepared = self
            .prepare_anonymous(anonymous_id, event)
            .map_err(TrackError::Refused)?;
        self.send_owned(prepared).await
    }

    /// [`Client::track_anonymous`] with an explicit timestamp.
    pub async fn track_anonymous_at<E: Event>(
        &self,
        anonymous_id: &str,
        event: &E,
        timestamp: Timestamp,
    ) -> Result<Ulid, TrackError> {
        let prepared = self
            .prepare_anonymous_at(anonymous_id, event, timestamp)
            .map_err(TrackError::Refused)?;
        self.send_owned(prepared).await
    }

    /// Run every check [`Client::track`] runs and give the event its id, without sending:
    /// the id is known before anything goes out (store it, log it, enqueue it). Send with
    /// [`Client::send`], as often as needed.
    pub fn prepare<'a, E: Event>(
        &self,
        person: impl Into<Identifier<'a>>,
        event: &E,
    ) -> Result<PreparedEvent, Error> {
        let person = person.into();
        person.check("identifier")?;
        self.prepare_event(Recipient::from_identifier(person), event, None)
    }

    /// [`Client::prepare`] for an event that happened at `timestamp`.
    pub fn prepare_at<'a, E: Event>(
        &self,
        person: impl Into<Identifier<'a>>,
        event: &E,
        timestamp: Timestamp,
    ) -> Result<PreparedEvent, Error> {
        let person = person.into();
        person.check("identifier")?;
        self.prepare_event(Recipient::from_identifier(person), event, Some(timestamp))
    }

    /// [`Client::prepare`] for someone not yet identified.
    pub fn prepare_anonymous<E: Event>(
        &self,
        anonymous_id: &str,
        event: &E,
    ) -> Result<PreparedEvent, Error> {
        limits::identifier("anonymous_id", anonymous_id)?;
        self.prepare_event(Recipient::Anonymous(anonymous_id.to_owned()), event, None)
    }

    /// [`Client::prepare_anonymous`] with an explicit timestamp.
    pub fn prepare_anonymous_at<E: Event>(
        &self,
        anonymous_id: &str,
        event: &E,
        timestamp: Timestamp,
    ) -> Result<PreparedEvent, Error> {
        limits::identifier("anonymous_id", anonymous_id)?;
        self.prepare_event(
            Recipient::Anonymous(anonymous_id.to_owned()),
            event,
            Some(timestamp),
        )
    }

    /// Send a prepared event with its id (`POST /api/v1/customers/{identifier}/events`, or
    /// `/api/v1/events` when anonymous), retrying under the policy. Sending the same prepared
    /// event again, after a failure or a crash, is safe: Customer.io ignores an id it has.
    pub async fn send(&self, event: &PreparedEvent) -> Result<Ulid, Error> {
        let person = event.recipient.identifier();
        let segment = person.as_ref().map(Identifier::path_value);
        let (op, route) = match segment {
            Some(_) => ("track", RouteId::Track),
            None => ("track_anonymous", RouteId::TrackAnonymous),
        };
        let args: Vec<&str> = segment.as_deref().into_iter().collect();
        let body = to_body(&v1_event_body(event));
        let span = tracing::info_span!("trackc.track", event = %event.name, event_id = %event.id);
        self.execute(op, route, &args, Some(body))
            .instrument(span)
            .await?;
        Ok(event.id)
    }

    async fn send_owned(&self, event: PreparedEvent) -> Result<Ulid, TrackError> {
        match self.send(&event).await {
            Ok(id) => Ok(id),
            Err(error) => Err(TrackError::Undelivered {
                event: Box::new(event),
                error,
            }),
        }
    }

    /// Delete a person (`DELETE /api/v1/customers/{identifier}`).
    pub async fn delete<'a>(&self, person: impl Into<Identifier<'a>>) -> Result<(), Error> {
        let person = person.into();
        person.check("identifier")?;
        self.execute("delete", RouteId::Delete, &[&person.path_value()], None)
            .await
            .map(drop)
    }

    /// Delete a person and suppress their identifier
    /// (`POST /api/v1/customers/{identifier}/suppress`).
    pub async fn suppress<'a>(&self, person: impl Into<Identifier<'a>>) -> Result<(), Error> {
        let person = person.into();
        person.check("identifier")?;
        self.execute("suppress", RouteId::Suppress, &[&person.path_value()], None)
            .await
            .map(drop)
    }

    /// Lift a suppression (`POST /api/v1/customers/{identifier}/unsuppress`).
    pub async fn unsuppress<'a>(&self, person: impl Into<Identifier<'a>>) -> Result<(), Error> {
        let person = person.into();
        person.check("identifier")?;
        self.execute(
            "unsuppress",
            RouteId::Unsuppress,
            &[&person.path_value()],
            None,
        )
        .await
        .map(drop)
    }

    /// Merge `secondary` into `primary`; the secondary person is deleted
    /// (`POST /api/v1/merge_customers`).
    pub async fn merge<'a, 'b>(
        &self,
        primary: impl Into<Identifier<'a>>,
        secondary: impl Into<Identifier<'b>>,
    ) -> Result<(), Error> {
        let (primary, secondary) = (primary.into(), secondary.into());
        primary.check("primary")?;
        secondary.check("secondary")?;
        let body =
            to_body(&json!({"primary": primary.to_json(), "secondary": secondary.to_json()}));
        self.execute("merge", RouteId::Merge, &[], Some(body))
            .await
            .map(drop)
    }

    /// A v2 batch: add operations, then [`Batch::send`].
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(self)
    }

    /// Every check that runs before an event is sent, and its id.
    pub(crate) fn prepare_event<E: Event>(
        &self,
        recipient: Recipient,
        event: &E,
        timestamp: Option<Timestamp>,
    ) -> Result<PreparedEvent, Error> {
        limits::event_name(E::NAME)?;
        if let Some(ts) = timestamp {
            limits::timestamp("timestamp", ts)?;
        }
        if self.inner.backfill {
            backfill_guard::<E>(timestamp, Timestamp::now())?;
        }
        event.validate()?;
        let data = limits::event_data(event)?;
        Ok(PreparedEvent {
            recipient,
            name: E::NAME.to_owned(),
            id: id::event_id(event),
            timestamp,
            data,
        })
    }

    /// Send one request, retrying under the policy, within the policy's budget.
    pub(crate) async fn execute(
        &self,
        op: &'static str,
        route: RouteId,
        args: &[&str],
        body: Option<Vec<u8>>,
    ) -> Result<Response, Error> {
        let deadline = Instant::now() + self.inner.retry.budget;
        self.execute_until(op, route, args, body, deadline).await
    }

    /// Send one request to `route` (its path parameters `args`, in order), retrying under
    /// the policy, until `deadline` at the latest: no attempt starts after it, no attempt
    /// runs past it. Logs show the route's template, never the path (identifiers are
    /// personal data and stay out of them).
    pub(crate) async fn execute_until(
        &self,
        op: &'static str,
        route: RouteId,
        args: &[&str],
        body: Option<Vec<u8>>,
        deadline: Instant,
    ) -> Result<Response, Error> {
        let inner = &*self.inner;
        let policy = inner.retry;
        let route = route.route();
        let (method, template) = (route.method, route.template);
        let url = format!("{}{}", inner.base_url, route.path(args));
        let start = Instant::now();
        if deadline <= start {
            return Err(Error::DeadlineExceeded {
                deadline: Duration::ZERO,
            });
        }
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let timeout = inner.timeout.min(remaining).max(Duration::from_millis(1));
            let request = Request {
                method,
                url: url.clone(),
                authorization: inner.authorization.clone(),
                body: body.clone(),
                timeout,
            };
            let span = tracing::info_span!(
                "trackc.request",
                op,
                method = method.as_str(),
                path = template,
                attempt,
                status = tracing::field::Empty,
            );
            let outcome = async {
                let r = tokio::time::timeout(timeout, inner.transport.send(request)).await;
                // Scrubbed before anything logs or keeps it: an HTTP stack may quote headers.
                let r = r.map(|r| {
                    r.map_err(|e| TransportError::new(e.kind, inner.secrets.scrub(&e.message)))
                });
                match &r {
                    Ok(Ok(resp)) => {
                        tracing::Span::current().record("status", resp.status);
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "no response"),
                    Err(_) => tracing::debug!(?timeout, "attempt timed out"),
                }
                r
            }
            .instrument(span)
            .await;

            let err = match outcome {
                Ok(Ok(resp)) if (200..300).contains(&resp.status) => return Ok(resp),
                Ok(Ok(resp)) => status_error(resp, &inner.secrets, SystemTime::now()),
                Ok(Err(e)) => Error::Transport(e),
                Err(_) => Error::Transport(TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("no response within {timeout:?}"),
                )),
            };
            if !err.is_retryable() {
                return Err(err);
            }
            let give_up = |err: Error| {
                tracing::warn!(op, path = template, attempts = attempt, error = %err, "giving up");
                if attempt == 1 {
                    err
                } else {
                    Error::RetriesExhausted {
                        attempts: attempt,
                        elapsed: start.elapsed(),
                        last: Box::new(err),
                    }
                }
            };
            if attempt > policy.max_retries {
                return Err(give_up(err));
            }
            let wait = err.retry_after().unwrap_or_else(|| policy.backoff(attempt));
            if Instant::now() + wait >= deadline {
                return Err(give_up(err));
            }
            tracing::info!(op, path = template, attempt, ?wait, error = %err, "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// The backfill rules for an event stamped `timestamp`, at `now`.
pub(crate) fn backfill_guard<E: Event>(
    timestamp: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), Error> {
    let refuse = |reason: String| Error::Backfill {
        event: E::NAME,
        reason,
    };
    if E::BACKFILL == Backfill::Forbidden {
        return Err(refuse("its contract says `backfill: forbidden`".into()));
    }
    let Some(ts) = timestamp else {
        return Err(refuse(
            "backfill needs an explicit timestamp on every event (use track_at)".into(),
        ));
    };
    if !E::TRIGGERS.is_empty() {
        let window = (BACKFILL_TRIGGER_WINDOW + BACKFILL_CLOCK_SKEW).as_secs() as i64;
        let age = now.unix_seconds() - ts.unix_seconds();
        if age <= window {
            return Err(refuse(format!(
                "it triggers workflow(s) {} and its timestamp is {} old, within 72 hours \
                 (+15 min clock skew margin): it would enroll people in live journeys",
                E::TRIGGERS.join(", "),
                human_age(age)
            )));
        }
    }
    Ok(())
}

fn human_age(secs: i64) -> String {
    if secs < 0 {
        return format!("{}s in the future", -secs);
    }
    format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
}

fn v1_event_body(ev: &PreparedEvent) -> Value {
    let mut body = Map::new();
    if let Recipient::Anonymous(a) = &ev.recipient {
        body.insert("anonymous_id".into(), a.as_str().into());
    }
    body.insert("name".into(), ev.name.as_str().into());
    body.insert("id".into(), ev.id.to_string().into());
    if let Some(ts) = ev.timestamp {
        body.insert("timestamp".into(), ts.unix_seconds().into());
    }
    body.insert("data".into(), Value::Object(ev.data.clone()));
    Value::Object(body)
}

pub(crate) fn to_body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a Value always serializes")
}

/// The error for a non-2xx response received at `now`, its texts scrubbed of `secrets`.
fn status_error(resp: Response, secrets: &scrub::Secrets, now: SystemTime) -> Error {
    let text = |bytes: &[u8]| secrets.scrub(&String::from_utf8_lossy(bytes));
    match resp.status {
        401 => Error::Unauthorized,
        400 => {
            let errors = serde_json::from_slice::<Value>(&resp.body)
                .ok()
                .and_then(|v| {
                    let list = v.pointer("/meta/errors").or_else(|| v.get("errors"))?;
                    Some(
                        list.as_array()?
                            .iter()
                            .map(|e| match e {
                                Value::String(s) => secrets.scrub(s),
                                other => secrets.scrub(&other.to_string()),
                            })
                            .collect(),
                    )
                })
                .unwrap_or_else(|| {
                    let text = text(&resp.body).trim().to_owned();
                    if text.is_empty() { vec![] } else { vec![text] }
                });
            Error::BadRequest { errors }
        }
        status => Error::Status {
            status,
            body: text(&resp.body),
            retry_after: resp
                .retry_after
                .as_deref()
                .and_then(|v| retry::parse_retry_after(v, now)),
        },
    }
}

#[cfg(test)]
mod tests;
