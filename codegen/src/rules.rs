//! Every rule the checker enforces: a stable id, a default level and an explanation
//! (`trackc explain ID`). Ids never change meaning; `lints:` overrides refer to them.

use crate::front::ast::LintLevel;

pub struct Rule {
    pub id: &'static str,
    pub default: LintLevel,
    /// Whether `lints:` may lower it. Structural rules cannot be lowered: the contract
    /// would not mean anything (an unresolved reference has no type to generate).
    pub overridable: bool,
    pub summary: &'static str,
    pub explanation: &'static str,
}

macro_rules! rules {
    ($($id:literal, $level:ident, $over:literal, $summary:literal, $expl:literal;)*) => {
        pub const RULES: &[Rule] = &[$(Rule {
            id: $id,
            default: LintLevel::$level,
            overridable: $over,
            summary: $summary,
            explanation: $expl,
        }),*];
    };
}

rules! {
    "yaml-syntax", Deny, false, "the file is valid YAML, within the parser's budgets",
    "Each contract file must be UTF-8 YAML with one document, no tabs in indentation, no \
duplicate keys and no tags (`!!binary`, `!custom`: quote the value instead). Only regular files \
inside the contract folder are read: a symbolic link (to a file or a folder) or a FIFO, socket \
or device named `*.yaml` is refused, never followed or opened. Files are read and parsed under \
fixed budgets so that hostile input is refused in milliseconds: at most 16 MiB per file and 16 \
MiB for all files together, 10,000 files, folders 32 deep, 64 levels of nesting, 1,000 anchors \
and 1,000 aliases, 100,000 events replayed through aliases, 2,000,000 nodes. A real contract is \
far inside them.";

    "unknown-key", Deny, false, "every key is one the format defines",
    "An unknown key is almost always a typo (`descripton`) or a key of another type \
(`minimum` on a string). It would otherwise be silently ignored, and the contract would not \
say what its author meant. The hint names the closest valid key.";

    "invalid-value", Deny, false, "every value has the shape the format defines",
    "A value of the wrong kind (a list where a map belongs, a number for a name), a missing \
required key (`type`, `id`, an enum's `values`) or an unknown choice (`goal: revenu`).";

    "invalid-duration", Deny, false, "durations are a positive integer and a unit",
    "`within` and `wait` take a positive whole number followed by one of `s m h d w`: `30m`, \
`21d`, `2w`. `30` (no unit), `1.5h` and `0d` are refused.";

    "missing-section", Deny, false, "`contract`, `version` and `identity` are present",
    "A contract names itself (`contract:`), declares its semver `version` (which `trackc diff` \
checks against the needed bump), and says how a person is identified (`identity:`). Each is \
set in exactly one file.";

    "invalid-version", Deny, false, "`version` is a semver string",
    "`version` must be MAJOR.MINOR.PATCH (with an optional pre-release), quoted: \
`version: \"2.3.0\"`. `trackc diff` compares it with the bump a change needs.";

    "duplicate-definition", Deny, false, "a name is defined once",
    "A type, attribute, event, segment, workflow, property or enum value defined twice (in one \
file or across files) is an error that shows both places. Sections may be split across files, \
names may not.";

    "unknown-type", Deny, false, "type references resolve",
    "A type written as a name must be a built-in type (`string`, `integer`, `number`, \
`boolean`, `timestamp`, `date`, `enum`, `array`, `object`) or an entry of `types:`.";

    "type-cycle", Deny, false, "named types do not contain themselves",
    "A named type that refers back to itself through required object properties (or through \
aliases) could never be written down: every value would need another inside it. Break the \
cycle with an optional property (generated Rust holds it in a `Box`) or an array.";

    "unknown-event", Deny, false, "event references resolve",
    "Segments, workflow triggers and exit conditions must name an event of `events:`.";

    "unknown-attribute", Deny, false, "attribute references resolve",
    "Attribute conditions must name an attribute of `attributes:`.";

    "unknown-segment", Deny, false, "segment references resolve",
    "`segment:` conditions, workflow audiences and segment triggers must name a segment of \
`segments:`.";

    "unknown-property", Deny, false, "property paths resolve",
    "A `where` path names a property of the event, using dots to go into objects and arrays \
of objects (`items.category`). `idempotency_key` names a property of its event.";

    "invalid-enum-value", Deny, false, "enum operands are values of the enum",
    "An operand compared with an enum property must be one of the enum's canonical values. \
An alias (\"Skin Care\") is what other systems send; conditions use the canonical value \
(`skincare`).";

    "operator-type-mismatch", Deny, false, "operators fit the property's type",
    "`gt`, `gte`, `lt`, `lte` apply to integers, numbers, timestamps and dates; `contains` to \
strings and arrays; `equals`, `not_equals` and `in` need an operand of the property's type; \
`exists` takes `true` or `false`. `count` compares with whole numbers.";

    "segment-cycle", Deny, false, "segments do not contain themselves",
    "A segment that refers back to itself through `segment:` conditions has no meaning: \
Customer.io cannot evaluate it.";

    "invalid-pattern", Deny, false, "patterns are valid regular expressions",
    "`pattern` is a regular expression the whole value must match (it is anchored for you). \
It must compile in both dialects it runs in: Rust's regex (`trackc validate`, the generated \
crate) and ECMA-262 with the `u` flag (JSON Schema validators). Rust-only syntax such as inline \
flags (`(?i)`) or `\\A` / `\\z` is refused: JavaScript validators could not compile the schema.";

    "invalid-bounds", Deny, false, "minimum ≤ maximum, min_length ≤ max_length",
    "Bounds that exclude every value make an event impossible to send.";

    "invalid-example", Warn, true, "examples fit their property's type",
    "Examples appear in the catalog and in generated docs; one that does not fit the type \
teaches the wrong thing.";

    "naming-convention", Warn, true, "names are snake_case; types are PascalCase",
    "Events, properties, attributes, segments and workflows are snake_case (`order_completed`, \
`cart_value`); named types are PascalCase (`CancelReason`). One spelling per concept is how \
`cart_value` stays one property across services and in Customer.io's segment builder.";

    "identifier-collision", Deny, false, "names stay distinct as Rust identifiers",
    "Two names that become the same Rust identifier (an event `option` and a type `Option`, \
enum values \"self\" and \"Self\", properties `cartValue` and `cart_value`) would be merged by \
other generators. trackc refuses instead and shows both: rename one of them.";

    "identity-is-contact", Deny, true, "the identity id is not email or phone",
    "Customer.io's path identifier must be stable. Emails and phone numbers change, are \
shared and are PII; make them attributes and identify people by an internal id \
(`customer_id`).";

    "invalid-idempotency-key", Deny, false, "idempotency_key names a required string or integer property",
    "The Track API event id is derived from the key's value, so that a retried or replayed \
event is deduplicated. The property must always be present (not optional) and be a string or \
an integer.";

    "revenue-without-idempotency-key", Deny, true, "events with revenue declare an idempotency_key",
    "An event that carries `revenue` counts money. Without an idempotency key, a retry sends it \
twice and doubles revenue in Customer.io's reports and in every revenue-goal workflow. Add \
`idempotency_key: order_id` (or whatever identifies the purchase).";

    "revenue-workflow-without-exit", Deny, true, "every revenue workflow has exit_when",
    "Suppression first: a revenue workflow (cart recovery, replenishment, winback) must stop \
as soon as the person converts, or it keeps asking people who already bought. Add \
`exit_when: [{ event: order_completed }]`.";

    "channel-without-consent", Deny, true, "email/sms workflows require consent in their audience",
    "A workflow that sends email (or sms, or push) must have an audience segment that requires \
the matching consent attribute (`consent: email`) to be true, with an `all:` condition \
`{ attribute: email_opt_in, equals: true }`. Consent is a boolean attribute, never inferred.";

    "backfill-trigger", Warn, true, "workflows are not triggered by backfillable events",
    "An event with `backfill: allowed` may be replayed from history. If it triggers a workflow, \
a backfill can enroll people in a live journey for something they did months ago. Mark the \
event `backfill: forbidden` or trigger on a segment instead.";

    "consent-not-boolean", Deny, false, "consent attributes are boolean",
    "A `consent:` attribute is an opt-in flag: `true` or `false`. Strings (\"yes\", \
\"subscribed\") cannot be required reliably by audiences.";

    "customerio-limit", Deny, false, "Customer.io's documented limits hold",
    "Customer.io's Track API limits: event names at most 100 bytes, attribute names at most \
150 bytes, at most 300 attributes per identify call.";

    "non-scalar-attribute", Deny, false, "attribute values are scalars",
    "Identify attributes are scalar values (string, integer, number, boolean, timestamp, date, \
enum). Lists and objects belong in event data.";

    "inconsistent-property", Warn, true, "a property name has one type across events",
    "`cart_value` should be a number everywhere. The same property name with different types \
in different events breaks segments that filter on it and reports that sum it.";

    "duplicate-inline-enum", Warn, true, "an enum used in several places is a named type",
    "The same inline enum (the same values in the same order) written in two or more places \
becomes one Rust type per place (`OrderCompletedStatus`, `OrderShippedStatus`, ...): code that \
passes a value from one event to another converts between identical enums by hand, and adding a \
value means editing every copy. Define it once under `types:` \
(`OrderStatus: { type: enum, values: [...] }`) and write `type: OrderStatus` in each place.";

    "missing-items", Warn, true, "cart and order events carry an items array",
    "Cart and order events (`cart_*`, `checkout_*`, `order_*` except refunds) should carry an \
array of items: product-level segments (\"bought skincare\") and replenishment timers read it.";

    "pii-unmarked", Warn, true, "email and phone values are marked pii",
    "Properties and attributes with an email or e164 format, or named email/phone, are \
personal data: mark them `pii: true` so generated code redacts them in Debug output.";

    "deprecated-reference", Warn, true, "segments and workflows do not read deprecated events",
    "A deprecated event is on its way out; segments and workflows that read it will go quiet \
when producers stop sending it.";

    "unused-segment", Warn, true, "every segment is used",
    "A segment no workflow or other segment reads is dead weight; remove it or use it.";

    "unknown-lint", Deny, false, "`lints:` names existing rules",
    "A `lints:` entry for a rule id that does not exist, or that tries to lower a rule that \
cannot be lowered, would silently do nothing.";
}

pub fn get(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
