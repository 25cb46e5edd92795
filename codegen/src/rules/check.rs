//! The rules `trackc check` applies: the front end's structural rules (always errors)
//! and the lints over the resolved IR (levels a contract's `lints:` may change).

use super::{DENY, FIXED, Level, WARN};

family! {
    /// A rule `trackc check` applies to a contract: the `code` of a diagnostic.
    CheckRule: Level;

    YamlSyntax, "yaml-syntax", FIXED,
    "the file is valid YAML, within the parser's budgets",
    "Each contract file must be UTF-8 YAML with one document, no tabs in indentation, no \
duplicate keys and no tags (`!!binary`, `!custom`: quote the value instead). Only regular files \
inside the contract folder are read: a symbolic link (to a file or a folder) or a FIFO, socket \
or device named `*.yaml` is refused, never followed or opened. Files are read and parsed under \
fixed budgets so that hostile input is refused in milliseconds: at most 16 MiB per file and 16 \
MiB for all files together, 10,000 files, folders 32 deep, 64 levels of nesting, 1,000 anchors \
and 1,000 aliases, 100,000 events replayed through aliases, 2,000,000 nodes. A real contract is \
far inside them.";

    UnknownKey, "unknown-key", FIXED,
    "every key is one the format defines",
    "An unknown key is almost always a typo (`descripton`) or a key of another type \
(`minimum` on a string). It would otherwise be silently ignored, and the contract would not \
say what its author meant. The hint names the closest valid key.";

    InvalidValue, "invalid-value", FIXED,
    "every value has the shape the format defines",
    "A value of the wrong kind (a list where a map belongs, a number for a name), a missing \
required key (`type`, `id`, an enum's `values`) or an unknown choice (`goal: revenu`).";

    InvalidDuration, "invalid-duration", FIXED,
    "durations are a positive integer and a unit",
    "`within` and `wait` take a positive whole number followed by one of `s m h d w`: `30m`, \
`21d`, `2w`. `30` (no unit), `1.5h` and `0d` are refused.";

    MissingSection, "missing-section", FIXED,
    "`contract`, `version` and `identity` are present",
    "A contract names itself (`contract:`), declares its semver `version` (which `trackc diff` \
checks against the needed bump), and says how a person is identified (`identity:`). Each is \
set in exactly one file.";

    InvalidVersion, "invalid-version", FIXED,
    "`version` is a semver string",
    "`version` must be MAJOR.MINOR.PATCH (with an optional pre-release), quoted: \
`version: \"2.3.0\"`. `trackc diff` compares it with the bump a change needs.";

    DuplicateDefinition, "duplicate-definition", FIXED,
    "a name is defined once",
    "A type, attribute, event, segment, workflow, property or enum value defined twice (in one \
file or across files) is an error that shows both places. Sections may be split across files, \
names may not.";

    UnknownType, "unknown-type", FIXED,
    "type references resolve",
    "A type written as a name must be a built-in type (`string`, `integer`, `number`, \
`boolean`, `timestamp`, `date`, `enum`, `array`, `object`) or an entry of `types:`.";

    TypeCycle, "type-cycle", FIXED,
    "named types do not contain themselves",
    "A named type that refers back to itself through required object properties (or through \
aliases) could never be written down: every value would need another inside it. Break the \
cycle with an optional property (generated Rust holds it in a `Box`) or an array.";

    UnknownEvent, "unknown-event", FIXED,
    "event references resolve",
    "Segments, workflow triggers and exit conditions must name an event of `events:`.";

    UnknownAttribute, "unknown-attribute", FIXED,
    "attribute references resolve",
    "Attribute conditions must name an attribute of `attributes:`.";

    UnknownSegment, "unknown-segment", FIXED,
    "segment references resolve",
    "`segment:` conditions, workflow audiences and segment triggers must name a segment of \
`segments:`.";

    UnknownProperty, "unknown-property", FIXED,
    "property paths resolve",
    "A `where` path names a property of the event, using dots to go into objects and arrays \
of objects (`items.category`). `idempotency_key` names a property of its event.";

    InvalidEnumValue, "invalid-enum-value", FIXED,
    "enum operands are values of the enum",
    "An operand compared with an enum property must be one of the enum's canonical values. \
An alias (\"Skin Care\") is what other systems send; conditions use the canonical value \
(`skincare`).";

    OperatorTypeMismatch, "operator-type-mismatch", FIXED,
    "operators fit the property's type",
    "`gt`, `gte`, `lt`, `lte` apply to integers, numbers, timestamps and dates; `contains` to \
strings and arrays; `equals`, `not_equals` and `in` need an operand of the property's type; \
`exists` takes `true` or `false`. `count` compares with whole numbers.";

    SegmentCycle, "segment-cycle", FIXED,
    "segments do not contain themselves",
    "A segment that refers back to itself through `segment:` conditions has no meaning: \
Customer.io cannot evaluate it.";

    InvalidPattern, "invalid-pattern", FIXED,
    "patterns are valid regular expressions",
    "`pattern` is a regular expression the whole value must match (it is anchored for you). \
It must compile in both dialects it runs in: Rust's regex (`trackc validate`, the generated \
crate) and ECMA-262 with the `u` flag (JSON Schema validators). Rust-only syntax such as inline \
flags (`(?i)`) or `\\A` / `\\z` is refused: JavaScript validators could not compile the schema.";

    InvalidBounds, "invalid-bounds", FIXED,
    "minimum ≤ maximum, min_length ≤ max_length",
    "Bounds that exclude every value make an event impossible to send.";

    InvalidExample, "invalid-example", WARN,
    "examples fit their property's type",
    "Examples appear in the catalog and in generated docs; one that does not fit the type \
teaches the wrong thing.";

    NamingConvention, "naming-convention", WARN,
    "names are snake_case; types are PascalCase",
    "Events, properties, attributes, segments and workflows are snake_case (`order_completed`, \
`cart_value`); named types are PascalCase (`CancelReason`). One spelling per concept is how \
`cart_value` stays one property across services and in Customer.io's segment builder.";

    IdentifierCollision, "identifier-collision", FIXED,
    "names stay distinct as Rust identifiers",
    "Two names that become the same Rust identifier (an event `option` and a type `Option`, \
enum values \"self\" and \"Self\", properties `cartValue` and `cart_value`) would be merged by \
other generators. trackc refuses instead and shows both: rename one of them.";

    IdentityIsContact, "identity-is-contact", DENY,
    "the identity id is not email or phone",
    "Customer.io's path identifier must be stable. Emails and phone numbers change, are \
shared and are PII; make them attributes and identify people by an internal id \
(`customer_id`).";

    InvalidIdempotencyKey, "invalid-idempotency-key", FIXED,
    "idempotency_key names a required string or integer property",
    "The Track API event id is derived from the key's value, so that a retried or replayed \
event is deduplicated. The property must always be present (not optional) and be a string or \
an integer.";

    RevenueWithoutIdempotencyKey, "revenue-without-idempotency-key", DENY,
    "events with revenue declare an idempotency_key",
    "An event that carries `revenue` counts money. Without an idempotency key, a retry sends it \
twice and doubles revenue in Customer.io's reports and in every revenue-goal workflow. Add \
`idempotency_key: order_id` (or whatever identifies the purchase).";

    RevenueWorkflowWithoutExit, "revenue-workflow-without-exit", DENY,
    "every revenue workflow has exit_when",
    "Suppression first: a revenue workflow (cart recovery, replenishment, winback) must stop \
as soon as the person converts, or it keeps asking people who already bought. Add \
`exit_when: [{ event: order_completed }]`.";

    ChannelWithoutConsent, "channel-without-consent", DENY,
    "email/sms workflows require consent in their audience",
    "A workflow that sends email (or sms, or push) must have an audience segment that requires \
the matching consent attribute (`consent: email`) to be true, with an `all:` condition \
`{ attribute: email_opt_in, equals: true }`. Consent is a boolean attribute, never inferred.";

    BackfillTrigger, "backfill-trigger", WARN,
    "workflows are not triggered by backfillable events",
    "An event with `backfill: allowed` may be replayed from history. If it triggers a workflow, \
a backfill can enroll people in a live journey for something they did months ago. Mark the \
event `backfill: forbidden` or trigger on a segment instead.";

    ConsentNotBoolean, "consent-not-boolean", FIXED,
    "consent attributes are boolean",
    "A `consent:` attribute is an opt-in flag: `true` or `false`. Strings (\"yes\", \
\"subscribed\") cannot be required reliably by audiences.";

    CustomerioLimit, "customerio-limit", FIXED,
    "Customer.io's documented limits hold",
    "Customer.io's Track API limits: event names at most 100 bytes, attribute names at most \
150 bytes, at most 300 attributes per identify call.";

    NonScalarAttribute, "non-scalar-attribute", FIXED,
    "attribute values are scalars",
    "Identify attributes are scalar values (string, integer, number, boolean, timestamp, date, \
enum). Lists and objects belong in event data.";

    InconsistentProperty, "inconsistent-property", WARN,
    "a property name has one type across events",
    "`cart_value` should be a number everywhere. The same property name with different types \
in different events breaks segments that filter on it and reports that sum it.";

    DuplicateInlineEnum, "duplicate-inline-enum", WARN,
    "an enum used in several places is a named type",
    "The same inline enum (the same values in the same order) written in two or more places \
becomes one Rust type per place (`OrderCompletedStatus`, `OrderShippedStatus`, ...): code that \
passes a value from one event to another converts between identical enums by hand, and adding a \
value means editing every copy. Define it once under `types:` \
(`OrderStatus: { type: enum, values: [...] }`) and write `type: OrderStatus` in each place.";

    MissingItems, "missing-items", WARN,
    "cart and order events carry an items array",
    "Cart and order events (`cart_*`, `checkout_*`, `order_*` except refunds) should carry an \
array of items: product-level segments (\"bought skincare\") and replenishment timers read it.";

    PiiUnmarked, "pii-unmarked", WARN,
    "email and phone values are marked pii",
    "Properties and attributes with an email or e164 format, or named email/phone, are \
personal data: mark them `pii: true` so generated code redacts them in Debug output.";

    DeprecatedReference, "deprecated-reference", WARN,
    "segments and workflows do not read deprecated events",
    "A deprecated event is on its way out; segments and workflows that read it will go quiet \
when producers stop sending it.";

    UnusedSegment, "unused-segment", WARN,
    "every segment is used",
    "A segment no workflow or other segment reads is dead weight; remove it or use it.";

    UnknownLint, "unknown-lint", FIXED,
    "`lints:` names existing rules",
    "A `lints:` entry for a rule id that does not exist, or that tries to lower a rule that \
cannot be lowered, would silently do nothing.";
}
