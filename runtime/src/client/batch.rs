//! The v2 batch sender: operations packed into `/api/v2/batch` requests under both size
//! limits, and a 207's per-index errors mapped back to the caller's items.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::limits::{MAX_BATCH_BYTES, MAX_OPERATION_BYTES};
use trackc_wire::route::RouteId;

use super::{Client, Error, Identifier, PreparedEvent, Recipient, Ulid, limits, to_body};
use crate::{Attributes, Event, Timestamp};

/// Operations for `/api/v2/batch`, built with [`Client::batch`].
///
/// Each add method checks the operation (the same checks as the single calls, plus the
/// 32,000-byte operation limit) and returns its index, the index of its result in
/// [`BatchReport::results`]. [`Batch::send`] packs consecutive operations, in order, into
/// requests of at most 500,000 bytes, and sends them one after the other with retries, all
/// within one overall deadline ([`super::ClientBuilder::batch_deadline`], [`Batch::deadline`]).
pub struct Batch<'c> {
    client: &'c Client,
    ops: Vec<Vec<u8>>,
    event_ids: Vec<Option<Ulid>>,
    deadline: Duration,
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("operations", &self.ops.len())
            .finish_non_exhaustive()
    }
}

/// Why one operation of a batch did not succeed.
#[derive(Clone, Debug)]
pub enum BatchItemError {
    /// Customer.io refused this operation (an entry of a 207 response's `errors`).
    Rejected {
        reason: Option<String>,
        field: Option<String>,
        message: Option<String>,
    },
    /// The request carrying this operation failed as a whole (shared by every operation in
    /// that request). After a 401, later requests are not attempted and get the same error;
    /// after the batch's deadline, they fail with [`Error::DeadlineExceeded`].
    RequestFailed(Arc<Error>),
    /// The request was answered, but the answer does not say what became of this operation
    /// (a 207 whose body is not JSON, has no `errors` list, or has entries without a valid
    /// `batch_index`). It may or may not have been applied: send it again (an event keeps
    /// its id, so a repeat is ignored by Customer.io).
    OutcomeUnknown { reason: String },
}

impl BatchItemError {
    /// Whether sending the operation again could succeed: not for an operation Customer.io
    /// refused, nor after a request failure that is not retryable (400, 401, ...).
    pub fn is_retryable(&self) -> bool {
        match self {
            BatchItemError::Rejected { .. } => false,
            BatchItemError::RequestFailed(e) => e.is_retryable(),
            BatchItemError::OutcomeUnknown { .. } => true,
        }
    }
}

impl fmt::Display for BatchItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchItemError::Rejected {
                reason,
                field,
                message,
            } => {
                f.write_str("rejected")?;
                if let Some(field) = field {
                    write!(f, " `{field}`")?;
                }
                for part in [reason, message].into_iter().flatten() {
                    write!(f, ": {part}")?;
                }
                Ok(())
            }
            BatchItemError::RequestFailed(e) => write!(f, "request failed: {e}"),
            BatchItemError::OutcomeUnknown { reason } => write!(f, "outcome unknown: {reason}"),
        }
    }
}

impl std::error::Error for BatchItemError {}

/// The outcome of [`Batch::send`], one result per operation, in the order they were added.
#[derive(Clone, Debug)]
pub struct BatchReport {
    pub results: Vec<Result<(), BatchItemError>>,
    /// The id each event operation was sent with (`None` for other operations).
    pub event_ids: Vec<Option<Ulid>>,
    /// How many `/api/v2/batch` requests the operations were packed into.
    pub requests: usize,
}

impl BatchReport {
    /// Whether every operation succeeded.
    pub fn is_ok(&self) -> bool {
        self.results.iter().all(Result::is_ok)
    }

    /// The failed operations, with their indices.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &BatchItemError)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
    }
}

/// Bytes of `{"batch":[` and `]}`.
const ENVELOPE_BYTES: usize = 12;

impl<'c> Batch<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Batch {
            client,
            ops: Vec::new(),
            event_ids: Vec::new(),
            deadline: client.inner.batch_deadline,
        }
    }

    /// The overall deadline of this batch's [`Batch::send`], instead of the client's
    /// [`super::ClientBuilder::batch_deadline`]. Zero is taken as 1 ms.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline.max(Duration::from_millis(1));
        self
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    fn push(&mut self, op: Value, event_id: Option<Ulid>) -> Result<usize, Error> {
        let bytes = to_body(&op);
        if bytes.len() > MAX_OPERATION_BYTES {
            return Err(Error::invalid(
                "operation",
                format!(
                    "the operation is {} bytes; a v2 batch operation may be at most {MAX_OPERATION_BYTES}",
                    bytes.len()
                ),
            ));
        }
        self.ops.push(bytes);
        self.event_ids.push(event_id);
        Ok(self.ops.len() - 1)
    }

    fn person(person: Identifier<'_>, action: &str) -> Result<Map<String, Value>, Error> {
        person.check("identifiers")?;
        let mut op = Map::new();
        op.insert("type".into(), "person".into());
        op.insert("identifiers".into(), person.to_json());
        op.insert("action".into(), action.into());
        Ok(op)
    }

    /// Add an identify operation.
    pub fn identify<'a, A: Attributes>(
        &mut self,
        person: impl Into<Identifier<'a>>,
        attributes: &A,
    ) -> Result<usize, Error> {
        let mut op = Self::person(person.into(), "identify")?;
        attributes.validate()?;
        let attrs = limits::identify_attributes(attributes)?;
        op.insert("attributes".into(), Value::Object(attrs));
        self.push(Value::Object(op), None)
    }

    /// Add an event, timestamped by Customer.io on receipt (refused in backfill mode).
    pub fn track<'a, E: Event>(
        &mut self,
        person: impl Into<Identifier<'a>>,
        event: &E,
    ) -> Result<usize, Error> {
        self.track_inner(person.into(), event, None)
    }

    /// Add an event that happened at `timestamp`.
    pub fn track_at<'a, E: Event>(
        &mut self,
        person: impl Into<Identifier<'a>>,
        event: &E,
        timestamp: Timestamp,
    ) -> Result<usize, Error> {
        self.track_inner(person.into(), event, Some(timestamp))
    }

    fn track_inner<E: Event>(
        &mut self,
        person: Identifier<'_>,
        event: &E,
        timestamp: Option<Timestamp>,
    ) -> Result<usize, Error> {
        person.check("identifiers")?;
        let ev = self
            .client
            .prepare_event(Recipient::from_identifier(person), event, timestamp)?;
        self.add(&ev)
    }

    /// Add a prepared event (see [`Client::prepare`]) with its id: a batch can re-send an
    /// event that an earlier call or batch did not confirm. Anonymous events have no v2
    /// batch form: send those with [`Client::send`].
    pub fn add(&mut self, ev: &PreparedEvent) -> Result<usize, Error> {
        let Some(person) = ev.recipient.identifier() else {
            return Err(Error::invalid(
                "identifiers",
                "an anonymous event has no v2 batch form; send it with Client::send",
            ));
        };
        let mut op = Self::person(person, "event")?;
        op.insert("name".into(), ev.name.as_str().into());
        op.insert("id".into(), ev.id.to_string().into());
        if let Some(ts) = ev.timestamp {
            op.insert("timestamp".into(), ts.unix_seconds().into());
        }
        op.insert("attributes".into(), Value::Object(ev.data.clone()));
        self.push(Value::Object(op), Some(ev.id))
    }

    /// Add a delete operation.
    pub fn delete<'a>(&mut self, person: impl Into<Identifier<'a>>) -> Result<usize, Error> {
        let op = Self::person(person.into(), "delete")?;
        self.push(Value::Object(op), None)
    }

    /// Add a suppress operation.
    pub fn suppress<'a>(&mut self, person: impl Into<Identifier<'a>>) -> Result<usize, Error> {
        let op = Self::person(person.into(), "suppress")?;
        self.push(Value::Object(op), None)
    }

    /// Add an unsuppress operation.
    pub fn unsuppress<'a>(&mut self, person: impl Into<Identifier<'a>>) -> Result<usize, Error> {
        let op = Self::person(person.into(), "unsuppress")?;
        self.push(Value::Object(op), None)
    }

    /// Add a merge of `secondary` into `primary`.
    pub fn merge<'a, 'b>(
        &mut self,
        primary: impl Into<Identifier<'a>>,
        secondary: impl Into<Identifier<'b>>,
    ) -> Result<usize, Error> {
        let (primary, secondary) = (primary.into(), secondary.into());
        primary.check("primary")?;
        secondary.check("secondary")?;
        let op = json!({
            "type": "person",
            "action": "merge",
            "primary": primary.to_json(),
            "secondary": secondary.to_json(),
        });
        self.push(op, None)
    }

    /// Consecutive ranges of operations, each within [`MAX_BATCH_BYTES`] as one body.
    pub(crate) fn chunks(&self) -> Vec<std::ops::Range<usize>> {
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut size = ENVELOPE_BYTES;
        for (i, op) in self.ops.iter().enumerate() {
            let extra = op.len() + usize::from(i > start);
            if i > start && size + extra > MAX_BATCH_BYTES {
                chunks.push(start..i);
                start = i;
                size = ENVELOPE_BYTES + op.len();
            } else {
                size += extra;
            }
        }
        if start < self.ops.len() {
            chunks.push(start..self.ops.len());
        }
        chunks
    }

    pub(crate) fn body(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        let mut body = Vec::with_capacity(MAX_BATCH_BYTES);
        body.extend_from_slice(b"{\"batch\":[");
        for (n, op) in self.ops[range].iter().enumerate() {
            if n > 0 {
                body.push(b',');
            }
            body.extend_from_slice(op);
        }
        body.extend_from_slice(b"]}");
        body
    }

    /// Send every operation, one request after the other, all within the batch's deadline.
    /// Never fails as a whole: see each item's result.
    pub async fn send(self) -> BatchReport {
        let deadline = Instant::now() + self.deadline;
        let chunks = self.chunks();
        let mut results: Vec<Result<(), BatchItemError>> = vec![Ok(()); self.ops.len()];
        let mut fatal: Option<Arc<Error>> = None;
        for (n, range) in chunks.iter().enumerate() {
            if fatal.is_none() && Instant::now() >= deadline {
                fatal = Some(Arc::new(Error::DeadlineExceeded {
                    deadline: self.deadline,
                }));
            }
            if let Some(e) = &fatal {
                for r in &mut results[range.clone()] {
                    *r = Err(BatchItemError::RequestFailed(e.clone()));
                }
                continue;
            }
            let body = self.body(range.clone());
            debug_assert!(body.len() <= MAX_BATCH_BYTES);
            let span = tracing::info_span!(
                "trackc.batch",
                chunk = n,
                operations = range.len(),
                bytes = body.len()
            );
            let outcome = self
                .client
                .execute_until("batch", RouteId::Batch, &[], Some(body), deadline)
                .instrument(span)
                .await;
            let slots = &mut results[range.clone()];
            match outcome {
                Ok(resp) if resp.status == 207 => {
                    match parse_207(&resp.body, slots.len(), &self.client.inner.secrets) {
                        Ok(errors) => {
                            for (index, err) in errors {
                                slots[index] = Err(err);
                            }
                        }
                        Err(reason) => {
                            tracing::warn!(
                                operations = slots.len(),
                                reason,
                                "207 does not say which operations failed: all are unknown"
                            );
                            for r in slots.iter_mut() {
                                *r = Err(BatchItemError::OutcomeUnknown {
                                    reason: reason.to_owned(),
                                });
                            }
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let e = Arc::new(e);
                    if matches!(*e, Error::Unauthorized | Error::DeadlineExceeded { .. }) {
                        fatal = Some(e.clone());
                    }
                    for r in slots.iter_mut() {
                        *r = Err(BatchItemError::RequestFailed(e.clone()));
                    }
                }
            }
        }
        BatchReport {
            results,
            event_ids: self.event_ids,
            requests: chunks.len(),
        }
    }
}

/// A 207's `{"errors": [{"batch_index", "reason", "field", "message"}]}` for a request of
/// `len` operations, or why it does not tell each operation's outcome. A 207 means some
/// operation failed, so one that lists none, or any entry that cannot be placed, makes every
/// outcome in the request unknown: reporting them as delivered could lose an event.
fn parse_207(
    body: &[u8],
    len: usize,
    secrets: &super::scrub::Secrets,
) -> Result<Vec<(usize, BatchItemError)>, &'static str> {
    let v = serde_json::from_slice::<Value>(body).map_err(|_| "the 207 body is not JSON")?;
    let entries = v
        .get("errors")
        .and_then(Value::as_array)
        .ok_or("the 207 body has no `errors` list")?;
    if entries.is_empty() {
        return Err("the 207 body lists no errors");
    }
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).map(|t| secrets.scrub(t));
    entries
        .iter()
        .map(|e| {
            let index = e
                .get("batch_index")
                .and_then(Value::as_u64)
                .ok_or("a 207 entry has no integer `batch_index`")?;
            let index = usize::try_from(index)
                .ok()
                .filter(|&i| i < len)
                .ok_or("a 207 entry's `batch_index` is outside the request")?;
            Ok((
                index,
                BatchItemError::Rejected {
                    reason: s(e, "reason"),
                    field: s(e, "field"),
                    message: s(e, "message"),
                },
            ))
        })
        .collect()
}
