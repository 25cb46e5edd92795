//! The rules `trackc validate` judges captured traffic by: a violation's `code`. The
//! rules about Customer.io's API itself are FIXED (the request would be refused or the data
//! lost); the promises the contract makes about traffic (idempotency, backfill, where the
//! timestamp goes) default to deny, and a contract's `lints:` may lower them.

use super::{DENY, FIXED, Level};

family! {
    /// A rule `trackc validate` judges captured traffic by: its id is the `code` of a
    /// violation.
    TrafficRule: Level;

    // The request ---------------------------------------------------------------------
    InvalidJson, "invalid_json", FIXED,
    "every line of the capture is one JSON document",
    "A capture is NDJSON: one request a line. A line that does not parse as JSON is one \
invalid record (blank lines are not records). Customer.io would refuse the request with 400.";

    InvalidRequest, "invalid_request", FIXED,
    "the JSON is a Track API request",
    "A line must be a Track v2 operation, a v2 batch, or a v1 request \
(`{\"method\",\"path\",\"body\"}`) on a Track API path, with the envelope's fields of the \
types the API documents (`type`, `action` and `name` are strings, `identifiers` and \
`attributes` objects, ...).";

    UnknownRoute, "unknown_route", FIXED,
    "the method and path are a route of the Track API",
    "Every request must call a route of Customer.io's Track API (v1 and v2, as its OpenAPI \
document lists them: `PUT /api/v1/customers/{identifier}`, `POST /api/v1/customers/{identifier}/events`, \
`POST /api/v2/batch`, ...). Customer.io answers any other method and path with 404, so the \
data never arrives. A path one segment away from a route (`/evnts`, `/customer/`) is named \
in the hint.";

    UnknownOperation, "unknown_operation", FIXED,
    "the operation's type and action are ones the Track API has",
    "A v2 operation's `type` (`person`, `object`, `delivery`) and `action` (`identify`, \
`event`, `page`, `screen`, `merge`, ... as the OpenAPI document lists them per type), and a \
v1 track request's `type` (`event`, `page`, `screen`), must be ones Customer.io knows: it \
refuses the others, so the data is lost (`\"action\": \"track\"` is Segment's spelling, not \
Customer.io's).";

    LineTooLarge, "line_too_large", FIXED,
    "a line is not larger than the largest Track API request",
    "A line longer than 8 MiB is far over every Track API limit (a batch is at most 500,000 \
bytes). It is counted as one invalid record without being parsed or held in memory.";

    OperationTooLarge, "operation_too_large", FIXED,
    "a v2 operation is at most 32,000 bytes",
    "Customer.io refuses a v2 operation over 32kb (read as the stricter 32,000 bytes of JSON, \
as the runtime client does). Move large data out of the event, or split it.";

    BatchTooLarge, "batch_too_large", FIXED,
    "a v2 batch is at most 500,000 bytes",
    "Customer.io refuses a v2 batch request over 500kb (read as 500,000 bytes of JSON). Send \
fewer operations per batch; the runtime client splits batches for you.";

    // Who the request is about ----------------------------------------------------------
    MissingIdentifier, "missing_identifier", FIXED,
    "the person is identified by the contract's id",
    "Every person operation names its person. The contract's `identity` says by what \
(`customer_id`): a v2 operation without `identifiers`, or identified only by `cio_id`, \
cannot be checked against it.";

    IdentifiedByEmail, "identified_by_email", FIXED,
    "people are not identified by their email address",
    "The contract identifies people by a stable internal id. An email address as the \
identifier (in the v1 path or in v2 `identifiers`) changes when the person changes it, is \
shared and is personal data: send the contract's id as the identifier and the email as an \
attribute.";

    IdentifiedByPhone, "identified_by_phone", FIXED,
    "people are not identified by their phone number",
    "As for email: a phone number changes, is shared and is personal data. Send the \
contract's id as the identifier and the phone number as an attribute.";

    MultipleIdentifiers, "multiple_identifiers", FIXED,
    "a v2 operation names exactly one identifier",
    "Customer.io accepts exactly one of `id`, `email` or `cio_id` in `identifiers`; send only \
`id`.";

    IdentifierType, "identifier_type", FIXED,
    "the identifier has the identity's JSON type",
    "The contract's `identity.id_type` says whether the id is a string or an integer. A \
number sent for a string id (or the reverse) is another person to Customer.io: `42` and \
`\"42\"` must not both be sent.";

    IdentifierInvalid, "identifier_invalid", FIXED,
    "the identifier fits the identity's type",
    "The identifier must be non-empty and match the identity's pattern, format and bounds \
(`cus_…` ids): anything else is not one of the contract's people.";

    IdentifierTooLong, "identifier_too_long", FIXED,
    "identifiers are at most 150 bytes",
    "Customer.io refuses a person identifier (v2 `identifiers.id`, the v1 path id) or an \
anonymous id longer than 150 bytes of UTF-8.";

    // Events ------------------------------------------------------------------------------
    UnknownEvent, "unknown_event", FIXED,
    "every event sent is an event of the contract",
    "An event name the contract does not define is a typo, an event sent before the contract \
was updated, or an event nobody reads. The hint names the closest event of the contract.";

    EventNameTooLong, "event_name_too_long", FIXED,
    "event names are at most 100 bytes",
    "Customer.io refuses an event whose name is longer than 100 bytes of UTF-8.";

    EventDataTooLarge, "event_data_too_large", FIXED,
    "an event's data is at most 100,000 bytes",
    "Customer.io refuses an event whose data (v2 `attributes`, v1 `data`) is over 100kb of \
JSON (read as 100,000 bytes).";

    EventId, "event_id", FIXED,
    "event ids are ULIDs",
    "Customer.io deduplicates events by their `id`, which must be a ULID \
(`01ARZ3NDEKTSV4RRFFQ69G5FAV`). Any other id is refused; the generated code derives it from \
the event's idempotency key.";

    TimestampSeconds, "timestamp_seconds", FIXED,
    "timestamps are Unix seconds",
    "Track API timestamps are whole seconds since 1970. A value that only makes sense as \
milliseconds (JavaScript's `Date.now()`) would put the event tens of thousands of years in \
the future: divide it by 1000.";

    // The contract's promises about traffic ------------------------------------------------
    MissingEventId, "missing_event_id", DENY,
    "an event with an idempotency key carries an event id",
    "The contract gives the event an `idempotency_key` (an order id, say): retries and \
replays must not count it twice. Customer.io deduplicates events only by their `id` (a ULID), \
so an idempotent event sent without one is counted again on every retry: revenue doubles and \
post-purchase journeys restart. Send an `id` derived from the key (trackc's generated code \
and client do: the same key always gives the same ULID).";

    DuplicateIdempotencyKey, "duplicate_idempotency_key", DENY,
    "an idempotency key is sent once",
    "The same event was sent twice with the same idempotency key in one capture (both lines \
are named). Unless both carry the same event `id`, Customer.io counts it twice: a purchase \
doubles revenue (the amount counted twice is shown when the event has a numeric `revenue`) \
and restarts the timers of the journeys it triggers. Derive the event `id` from the key, and \
make retries resend the same id.";

    ForbiddenBackfill, "forbidden_backfill", DENY,
    "an event marked `backfill: forbidden` is not replayed",
    "The contract says this event must never be sent as a historical replay: Customer.io \
triggers campaigns from events younger than 72 hours, so a replay enrols people in live \
journeys (a \"thank you for your order\" for an order of last week). A record counts as a \
replay when its `timestamp` is more than an hour older than the reference time: `--now`, or \
the capture's own `received_at`. Replay only events marked `backfill: allowed`, or send this \
one live without a timestamp.";

    MisplacedTimestamp, "misplaced_timestamp", DENY,
    "the event's `timestamp` is beside its name, not in its data",
    "A `timestamp` inside the event's data (v2 `attributes`, v1 `data`) is an ordinary \
property to Customer.io, which then stamps the event with the time it arrives: a replay \
looks live and enrols people in journeys. Put `timestamp` (Unix seconds) in the operation \
(v2) or the request body (v1), beside `name`.";

    // Event data and identify attributes ---------------------------------------------------
    UnknownProperty, "unknown_property", FIXED,
    "every property sent is defined by its event",
    "Objects are closed unless the contract sets `additional_properties: true`: a property \
the event does not define is a typo or undocumented data. The hint names the closest \
property.";

    MissingProperty, "missing_property", FIXED,
    "every required property is sent",
    "A property the contract does not mark `optional: true` must be present: segments, \
reports and templates rely on it. `null` is not absent: leave the key out for an optional \
property.";

    UnknownAttribute, "unknown_attribute", FIXED,
    "every identify attribute is an attribute of the contract",
    "An identify call sets attributes the contract defines under `attributes:`. Customer.io's \
own keys (`_update`, `cio_subscription_preferences`, `cio_relationships`) and the contract's \
`anonymous_id` are always accepted.";

    AttributeNameTooLong, "attribute_name_too_long", FIXED,
    "attribute names are at most 150 bytes",
    "Customer.io refuses an attribute whose name is longer than 150 bytes of UTF-8.";

    AttributeValueTooLong, "attribute_value_too_long", FIXED,
    "attribute values are at most 1,000 bytes",
    "Customer.io refuses an identify attribute value longer than 1,000 bytes.";

    TooManyAttributes, "too_many_attributes", FIXED,
    "an identify call sets at most 300 attributes",
    "Customer.io refuses an identify call with more than 300 attributes.";

    Type, "type", FIXED,
    "values have the JSON type of their property",
    "A value must have the JSON type the contract declares: `\"12.5\"` is not a number, \
`1.0` is not an integer, and `null` is no value (leave an optional property out instead).";

    Minimum, "minimum", FIXED,
    "numbers are not under their minimum",
    "The contract's `minimum` is the smallest value a producer may send.";

    Maximum, "maximum", FIXED,
    "numbers are not over their maximum",
    "The contract's `maximum` is the largest value a producer may send.";

    MinLength, "min_length", FIXED,
    "strings are not shorter than min_length",
    "The contract's `min_length` counts characters (Unicode scalar values), not bytes.";

    MaxLength, "max_length", FIXED,
    "strings are not longer than max_length",
    "The contract's `max_length` counts characters (Unicode scalar values), not bytes.";

    Pattern, "pattern", FIXED,
    "strings match their pattern",
    "The contract's `pattern` must match the whole value (it is anchored for you).";

    Format, "format", FIXED,
    "strings have their declared format",
    "A property with a `format` (`email`, `e164`, `uri`, `uuid`, ...) must be written in \
that format: segments and messages rely on it.";

    Date, "date", FIXED,
    "dates are real calendar dates written YYYY-MM-DD",
    "A `date` is an ISO 8601 calendar date with four-digit year and two-digit month and day \
(`2024-02-09`), and it must exist (`2023-02-29` does not).";

    MinItems, "min_items", FIXED,
    "arrays have at least min_items items",
    "The contract's `min_items` is the fewest items a producer may send.";

    MaxItems, "max_items", FIXED,
    "arrays have at most max_items items",
    "The contract's `max_items` is the most items a producer may send.";

    Enum, "enum", FIXED,
    "enum properties carry one of their values",
    "A value outside the enum's values is refused: segment filters compare with the \
canonical values, so a new spelling would silently match nothing. The hint names the closest \
value.";

    EnumAlias, "enum_alias", FIXED,
    "enum properties carry the canonical value, not an alias",
    "An alias (\"Skin Care\") is a spelling other systems send; the generated code normalises \
it to the canonical value (`skincare`), which is what segment filters compare with. Traffic \
that still carries the alias bypassed the generated code.";
}

/// A violation's `code` in JSON output is its id.
impl serde::Serialize for TrafficRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
