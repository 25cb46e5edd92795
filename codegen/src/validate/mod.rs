//! `trackc validate`: judge captured Track API traffic (NDJSON) against the contract.
//!
//! The contract's IR is compiled once into a [`Validator`] (a flat table of checks:
//! property tables, enum value sets with their aliases, anchored regexes, the identity's
//! id type). Input is read in bounded chunks of lines, checked on every core, and the
//! violations come out in line order ([`run`]).
//!
//! # Records
//! A line is one of
//! - a Track v2 operation: `{"type":"person","identifiers":{"id":..},"action":"event",
//!   "name":..,"attributes":{..}}` (or `"action":"identify"`);
//! - a v2 batch `{"batch":[op, ..]}`: every operation is a record (violations carry its
//!   `index`);
//! - a v1 request `{"method","path","body"}`: `PUT /api/v1/customers/{id}` (identify),
//!   `POST /api/v1/customers/{id}/events` (track; `type` `page` and `screen` are views,
//!   not events), `POST /api/v1/events` (anonymous track), `POST /api/v1/merge_customers`
//!   (both people checked); `POST /api/v2/entity` and `/api/v2/batch` wrapped the same way
//!   are read as the v2 shapes. Other routes of the Track API (`trackc_wire::route`) only
//!   have their identifier checked (a `cio_…` one is Customer.io's own, and accepted); a
//!   method and path that are no route is `unknown_route`.
//!
//! A line that is not JSON is one invalid record (`invalid_json`); blank lines are not
//! records. `object` and `delivery` operations are outside the contract and pass; a type
//! or action the Track API does not have is `unknown_operation`. A person `merge` names
//! its two people in `primary` and `secondary` (no `identifiers`).
//!
//! # Paths
//! `path` is a JSON path into the event's data (v2 `attributes`, v1 `body.data`) or the
//! identify attributes: `$.items[2].category`. Problems with the request around them
//! name the request field without `$`: `identifiers.id`, `timestamp`, `name`, `path`
//! (v1), `body.timestamp`; an empty path is the whole line or operation.
//!
//! # What is (deliberately) not a violation
//! Customer.io's own identify keys (`_update`, `cio_subscription_preferences`,
//! `cio_relationships`) and the contract's `anonymous_id` in identify; unknown keys
//! around the operation (the contract describes data, not the envelope); `null` is *not*
//! accepted for an optional property (absent is how a property is left out).

mod capture;
mod compile;
mod engine;
pub(crate) mod promises;
mod record;
#[cfg(feature = "simulate")]
pub(crate) use record::tap;
mod routes;
mod value;

/// The contract's format lists and patterns: the same values the schemas and the
/// generated types check.
use trackc_wire::formats;

pub use crate::rules::TrafficRule;
pub use capture::{InputKind, MAX_HAR_BYTES, Skipped, read as read_capture};
pub use compile::{CompileError, Validator};
pub use engine::{MAX_JOBS, Options, open_input, run};

/// What a run keeps of its findings, so that memory does not grow with the input, the
/// number of violations or `--jobs`: names and texts are cut, details are kept for a
/// bounded number of violations, the rest are only counted (counts stay exact).
pub mod bounds {
    /// `--jobs`: the most worker threads.
    pub const MAX_JOBS: usize = super::engine::MAX_JOBS;
    /// A name from the traffic as kept (event name, a key in a path, an identifier field).
    pub const NAME_CHARS: usize = 200;
    /// A violation's path, message and hint as kept.
    pub const PATH_CHARS: usize = 400;
    pub const MESSAGE_CHARS: usize = 600;
    pub const HINT_CHARS: usize = 400;
    /// Distinct (event, code) groups counted per chunk of input; violations of further
    /// groups are counted under [`super::EventGroup::Others`].
    pub const CHUNK_GROUPS: usize = 1000;
    /// `--max-violations`: its default, and the most a run lists.
    pub const DEFAULT_MAX_VIOLATIONS: usize = 1000;
    pub const MAX_VIOLATIONS: usize = 10_000;
    /// A `.gz` input may decompress to at most this many times its compressed size (once
    /// past [`GZ_RATIO_AFTER`] bytes): traffic compresses 5-50x, a decompression bomb
    /// (a few MB of one repeated byte) about 1000x.
    pub const GZ_RATIO: u64 = 200;
    pub const GZ_RATIO_AFTER: u64 = 32 << 20;

    /// `s` cut at `max` characters, with `…` when cut.
    pub use trackc_wire::text::clip;

    /// [`clip`] in place.
    pub(crate) fn clip_string(s: &mut String, max: usize) {
        if s.len() <= max {
            return;
        }
        if let Some((cut, _)) = s.char_indices().nth(max) {
            s.truncate(cut);
            s.push('…');
        }
    }
}

/// Which violations a run reports in full; the others are counted ([`Omitted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The first N violations of the input, in order (`--format json`).
    First(usize),
    /// The first N of each (event, code) group (the human report's examples).
    PerGroup(usize),
}

/// The event a group of violations belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventGroup {
    /// The event name as sent (cut at [`bounds::NAME_CHARS`]), `identify`, ...
    Named(String),
    /// Events past [`bounds::CHUNK_GROUPS`] distinct groups.
    Others,
    /// Records that name no event.
    None,
}

impl EventGroup {
    pub fn of(event: Option<&str>) -> EventGroup {
        match event {
            Some(e) => EventGroup::Named(bounds::clip(e, bounds::NAME_CHARS).into_owned()),
            None => EventGroup::None,
        }
    }
}

/// Violations counted but not kept in detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Omitted {
    pub event: EventGroup,
    pub code: TrafficRule,
    pub count: u64,
}

/// What [`run`] hands its sink, in input order (a chunk's omitted counts after its kept
/// violations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reported {
    Violation(Violation),
    Omitted(Omitted),
}

/// Customer.io's documented Track API limits ([`trackc_wire::limits`]: bytes of UTF-8, or
/// of the JSON as captured), and the reader's own line limit.
pub mod limits {
    pub use trackc_wire::limits::*;
    /// Lines longer than this are not parsed (or held in memory): far over every limit.
    pub const LINE_BYTES: usize = 8 << 20;
}

/// The traffic rules by the names the checks use (`codes::TYPE`). Each one's id (the
/// violation's `code`), level and explanation are declared in [`crate::rules::traffic`].
pub mod codes {
    use crate::rules::TrafficRule as R;

    pub const INVALID_JSON: R = R::InvalidJson;
    pub const INVALID_REQUEST: R = R::InvalidRequest;
    pub const UNKNOWN_EVENT: R = R::UnknownEvent;
    pub const UNKNOWN_PROPERTY: R = R::UnknownProperty;
    pub const UNKNOWN_ATTRIBUTE: R = R::UnknownAttribute;
    pub const MISSING_PROPERTY: R = R::MissingProperty;
    pub const TYPE: R = R::Type;
    pub const MINIMUM: R = R::Minimum;
    pub const MAXIMUM: R = R::Maximum;
    pub const MIN_LENGTH: R = R::MinLength;
    pub const MAX_LENGTH: R = R::MaxLength;
    pub const PATTERN: R = R::Pattern;
    pub const FORMAT: R = R::Format;
    pub const DATE: R = R::Date;
    pub const MIN_ITEMS: R = R::MinItems;
    pub const MAX_ITEMS: R = R::MaxItems;
    pub const ENUM: R = R::Enum;
    pub const ENUM_ALIAS: R = R::EnumAlias;
    pub const TIMESTAMP_SECONDS: R = R::TimestampSeconds;
    pub const EVENT_ID: R = R::EventId;
    pub const MISSING_IDENTIFIER: R = R::MissingIdentifier;
    pub const IDENTIFIED_BY_EMAIL: R = R::IdentifiedByEmail;
    pub const IDENTIFIED_BY_PHONE: R = R::IdentifiedByPhone;
    pub const MULTIPLE_IDENTIFIERS: R = R::MultipleIdentifiers;
    pub const IDENTIFIER_TYPE: R = R::IdentifierType;
    pub const IDENTIFIER_INVALID: R = R::IdentifierInvalid;
    pub const IDENTIFIER_TOO_LONG: R = R::IdentifierTooLong;
    pub const EVENT_NAME_TOO_LONG: R = R::EventNameTooLong;
    pub const ATTRIBUTE_NAME_TOO_LONG: R = R::AttributeNameTooLong;
    pub const ATTRIBUTE_VALUE_TOO_LONG: R = R::AttributeValueTooLong;
    pub const TOO_MANY_ATTRIBUTES: R = R::TooManyAttributes;
    pub const EVENT_DATA_TOO_LARGE: R = R::EventDataTooLarge;
    pub const OPERATION_TOO_LARGE: R = R::OperationTooLarge;
    pub const BATCH_TOO_LARGE: R = R::BatchTooLarge;
    pub const UNKNOWN_ROUTE: R = R::UnknownRoute;
    pub const UNKNOWN_OPERATION: R = R::UnknownOperation;
    pub const LINE_TOO_LARGE: R = R::LineTooLarge;
    pub const MISSING_EVENT_ID: R = R::MissingEventId;
    pub const DUPLICATE_IDEMPOTENCY_KEY: R = R::DuplicateIdempotencyKey;
    pub const FORBIDDEN_BACKFILL: R = R::ForbiddenBackfill;
    pub const MISPLACED_TIMESTAMP: R = R::MisplacedTimestamp;
}

/// One way a record breaks the contract.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// 1-based line of the input.
    pub line: u64,
    /// The operation's index in a batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The event name as sent, `identify`, another action, or none when unknown.
    pub event: Option<String>,
    /// See the module docs: `$.items[2].category`, or a request field.
    pub path: String,
    /// The rule it breaks (its id in output).
    pub code: TrafficRule,
    /// `warning` when the contract's `lints:` lowered the rule (the record stays valid);
    /// left out for errors.
    #[serde(skip_serializing_if = "ViolationLevel::is_error")]
    pub level: ViolationLevel,
    pub message: String,
    /// How to fix it, when there is something specific to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// How a violation counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ViolationLevel {
    /// The record is invalid.
    #[default]
    Error,
    /// Reported; the record stays valid (`lints: { rule: warn }`).
    Warning,
}

impl ViolationLevel {
    pub fn is_error(&self) -> bool {
        *self == ViolationLevel::Error
    }
}

/// Record counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub records: u64,
    pub valid: u64,
    pub invalid: u64,
}

impl Summary {
    pub(crate) fn add(&mut self, other: Summary) {
        self.records += other.records;
        self.valid += other.valid;
        self.invalid += other.invalid;
    }
}

impl Validator {
    /// Validate NDJSON held in memory on this thread (tests, small inputs).
    pub fn validate_str(&self, ndjson: &str) -> (Summary, Vec<Violation>) {
        let mut w = record::Worker::new(self, Detail::First(usize::MAX));
        for (i, line) in ndjson.split('\n').enumerate() {
            w.check_line(i as u64 + 1, line.as_bytes());
        }
        let mut summary = w.summary();
        let mut out = w.pending;
        let mut dups = promises::Duplicates::default();
        let found: Vec<Violation> = std::mem::take(&mut w.keys)
            .into_iter()
            .filter_map(|u| self.duplicate(&mut dups, u, &mut summary))
            .collect();
        if !found.is_empty() {
            out.extend(found);
            out.sort_by_key(|v| (v.line, v.index));
        }
        (summary, out)
    }

    /// The duplicate-key violation of one key use, if any, with the counts it changes.
    pub(crate) fn duplicate(
        &self,
        dups: &mut promises::Duplicates,
        u: promises::KeyUse,
        summary: &mut Summary,
    ) -> Option<Violation> {
        let level = self.level(codes::DUPLICATE_IDEMPOTENCY_KEY)?;
        let valid = u.valid;
        let mut v = dups.check(u, level)?;
        // The key property's path, worked out only for a duplicate (not per record).
        if let Some(ev) = v.event.as_deref().and_then(|e| self.event(e))
            && let compile::Node::Object(o) = &self.nodes[ev.data as usize]
            && let Some(i) = o.watch.key
        {
            v.path = value::Path::Field(&value::Path::Root, &o.props[i].name)
                .clipped(bounds::NAME_CHARS)
                .to_string();
        }
        if valid && level.is_error() {
            summary.valid -= 1;
            summary.invalid += 1;
        }
        Some(v)
    }

    /// A judge of single lines that keeps its buffers between them (`trackc simulate`):
    /// each line's first `detail` violations in detail, and every error's index and code.
    #[cfg(feature = "simulate")]
    pub(crate) fn line_judge(&self, detail: usize) -> LineJudge<'_> {
        let mut w = record::Worker::new(self, Detail::First(detail));
        w.errors = Some(Vec::new());
        LineJudge(w)
    }

    /// Validate one line (numbered `line`) and return its violations and counts.
    pub fn validate_line(&self, line: u64, text: &[u8]) -> (Summary, Vec<Violation>) {
        let mut w = record::Worker::new(self, Detail::First(usize::MAX));
        w.check_line(line, text);
        let summary = w.summary();
        (summary, w.pending)
    }

    /// Check one event's data (the v2 `attributes` / v1 `data` object) by itself.
    pub fn validate_event_data(&self, event: &str, data: &str) -> Vec<Violation> {
        let op = format!(
            "{{\"type\":\"person\",\"identifiers\":{{}},\"action\":\"event\",\"name\":{},\"attributes\":{data}}}",
            serde_json::Value::from(event)
        );
        self.only_payload(&op)
    }

    /// Check one identify call's attributes by themselves.
    pub fn validate_attributes(&self, attributes: &str) -> Vec<Violation> {
        let op = format!(
            "{{\"type\":\"person\",\"identifiers\":{{}},\"action\":\"identify\",\"attributes\":{attributes}}}"
        );
        self.only_payload(&op)
    }

    fn only_payload(&self, op: &str) -> Vec<Violation> {
        let (_, mut v) = self.validate_line(1, op.as_bytes());
        // The envelope is made up here: only what the data itself says counts.
        v.retain(|v| v.code != codes::MISSING_IDENTIFIER && v.code != codes::MISSING_EVENT_ID);
        v
    }
}

/// [`Validator::validate_line`] for many lines on one thread: one worker, reused.
#[cfg(feature = "simulate")]
pub(crate) struct LineJudge<'v>(record::Worker<'v>);

#[cfg(feature = "simulate")]
impl LineJudge<'_> {
    /// Hand over each operation's envelope from now on ([`record::tap`]).
    pub(crate) fn set_tap(&mut self, tap: record::tap::Tap) {
        self.0.tap = Some(Box::new(tap));
    }

    /// The operations of the line judged last, unless it must be read whole (or no tap
    /// is set).
    pub(crate) fn tapped(&self) -> Option<&record::tap::Tapped> {
        self.0.tap.as_ref().map(|t| &t.line).filter(|l| !l.whole)
    }

    /// The line's counts and violations (cross-record promises are not judged here).
    pub(crate) fn judge(&mut self, line: u64, text: &[u8]) -> Judged {
        let w = &mut self.0;
        w.check_line(line, text);
        w.keys.clear();
        let cut = !w.take_omitted().is_empty();
        Judged {
            summary: w.take_summary(),
            violations: std::mem::take(&mut w.pending),
            errors: w.errors.as_mut().map(std::mem::take).unwrap_or_default(),
            cut,
        }
    }
}

/// One line as [`LineJudge::judge`] found it.
#[cfg(feature = "simulate")]
pub(crate) struct Judged {
    pub summary: Summary,
    /// Its first violations, in order.
    pub violations: Vec<Violation>,
    /// The (operation index, code) of every error, in order (a repeat in a row left out).
    pub errors: Vec<(Option<u32>, TrafficRule)>,
    /// Whether violations were left out of `violations`.
    pub cut: bool,
}

#[cfg(test)]
mod tests;
