//! The JSON Schema of the contract format itself (`trackc schema`), so editors validate
//! and autocomplete contract files through `yaml-language-server`:
//!
//! ```yaml
//! # yaml-language-server: $schema=../generated/schemas/contract-format.schema.json
//! ```
//!
//! The structural parts are derived with schemars from the types below (documentation
//! comments become descriptions); type expressions are built by hand because their keys
//! depend on the value of `type`.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};

use crate::front::ast::BUILTIN_TYPES as BUILTIN;

/// One file of a trackc event contract. A contract is a folder of such files, merged in
/// path order; `contract`, `version` and `identity` are set in exactly one of them.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "trackc contract file")]
#[allow(dead_code)]
struct ContractFile {
    /// The contract's name, e.g. `acme-retention`.
    contract: Option<String>,
    /// Semver version, quoted: `"2.3.0"`. `trackc diff` checks it against the bump a change needs.
    #[schemars(regex(
        pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
    ))]
    version: Option<String>,
    /// How a person is identified.
    identity: Option<Identity>,
    /// Named, reusable types (PascalCase names).
    types: Option<BTreeMap<String, TypeDefSchema>>,
    /// Person attributes, sent with identify (every attribute is optional in a call).
    attributes: Option<BTreeMap<String, AttributeSchema>>,
    /// Behaviour, sent with track (snake_case names, at most 100 bytes).
    events: Option<BTreeMap<String, Event>>,
    /// Audiences over events and attributes.
    segments: Option<BTreeMap<String, Segment>>,
    /// Campaigns: trigger, audience, wait, exit conditions.
    workflows: Option<BTreeMap<String, Workflow>>,
    /// Per-rule level overrides (`trackc explain` lists the rules).
    lints: Option<BTreeMap<String, LintLevel>>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Identity {
    /// Name of the stable internal id (the Track API path identifier), e.g. `customer_id`.
    /// Never an email or phone number.
    id: String,
    /// The id's type: a string or an integer type, with constraints.
    id_type: Option<TypeSchema>,
    /// Name of the anonymous id, e.g. `anonymous_id`.
    anonymous_id: Option<String>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
enum LintLevel {
    Allow,
    Warn,
    Deny,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
enum Backfill {
    /// Historical replays may send it.
    Allowed,
    /// Only live traffic may send it (the default).
    Forbidden,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Event {
    description: Option<String>,
    /// Who emits it (the source of truth), e.g. `checkout-service`.
    owner: Option<String>,
    /// A required string or integer property; retries with the same value are one event.
    idempotency_key: Option<String>,
    /// Whether historical replays may send it; `forbidden` by default.
    backfill: Option<Backfill>,
    /// What to use instead.
    deprecated: Option<String>,
    /// The event's data. Properties are required unless `optional: true`.
    properties: Option<BTreeMap<String, PropertySchema>>,
}

/// A segment has at least one of `all`, `any`, `none`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Segment {
    description: Option<String>,
    /// Every condition holds.
    all: Option<Vec<Condition>>,
    /// At least one condition holds (an empty list is refused: nobody would be a member).
    #[schemars(length(min = 1))]
    any: Option<Vec<Condition>>,
    /// No condition holds.
    none: Option<Vec<Condition>>,
}

/// A condition: an event performed, an attribute compared, or membership of a segment.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum Condition {
    Event(EventCondition),
    Attribute(AttributeCondition),
    Segment(SegmentCondition),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct EventCondition {
    /// The event's name.
    event: String,
    /// Property path (dots go into objects and arrays of objects) → operators.
    #[schemars(rename = "where")]
    filter: Option<BTreeMap<String, Operators>>,
    /// How recently: a positive integer and a unit, `s m h d w` (`30m`, `21d`).
    within: Option<Duration>,
    /// Operators on the number of times.
    count: Option<CountOperators>,
}

/// Operators on a number of events (`exists` and `contains` do not apply to a count).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct CountOperators {
    equals: Option<u64>,
    not_equals: Option<u64>,
    #[schemars(rename = "in")]
    one_of: Option<Vec<u64>>,
    gt: Option<u64>,
    gte: Option<u64>,
    lt: Option<u64>,
    lte: Option<u64>,
}

/// An attribute and exactly one operator.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct AttributeCondition {
    attribute: String,
    #[schemars(flatten)]
    op: Operators,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct SegmentCondition {
    /// Membership of another segment (no cycles).
    segment: String,
}

/// Operators; they must fit the property's type.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Operators {
    equals: Option<Scalar>,
    not_equals: Option<Scalar>,
    #[schemars(rename = "in")]
    one_of: Option<Vec<Scalar>>,
    exists: Option<bool>,
    gt: Option<Scalar>,
    gte: Option<Scalar>,
    lt: Option<Scalar>,
    lte: Option<Scalar>,
    contains: Option<Scalar>,
}

/// A string, number or boolean operand.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum Scalar {
    String(String),
    Number(f64),
    Boolean(bool),
}

/// A positive integer and a unit: `30s`, `30m`, `12h`, `21d`, `2w`.
#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)]
struct Duration(#[schemars(regex(pattern = r"^[1-9][0-9]*[smhdw]$"))] String);

#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
enum Goal {
    Revenue,
    Retention,
    Engagement,
    Transactional,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum Channel {
    Email,
    Sms,
    Push,
    InApp,
    Webhook,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Workflow {
    description: Option<String>,
    goal: Option<Goal>,
    /// An event (optionally filtered with `where`) or entering a segment.
    trigger: Trigger,
    /// Segments a person must be in to enter.
    audience: Option<Vec<String>>,
    wait: Option<Duration>,
    /// Suppression: leave as soon as any condition holds. Every revenue workflow has one.
    exit_when: Option<Vec<Condition>>,
    channels: Option<Vec<Channel>>,
}

#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum Trigger {
    Event(EventTrigger),
    Segment(SegmentCondition),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct EventTrigger {
    event: String,
    #[schemars(rename = "where")]
    filter: Option<BTreeMap<String, Operators>>,
}

/// The keys of each built-in type, as JSON Schema properties.
fn type_keys(
    name: &str,
    generator: &mut SchemaGenerator,
) -> serde_json::Map<String, serde_json::Value> {
    let count = json_schema!({ "type": "integer", "minimum": 0 });
    let num = json_schema!({ "type": "number" });
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, s: Schema| {
        m.insert(k.to_owned(), s.to_value());
    };
    match name {
        "string" => {
            put("min_length", count.clone());
            put("max_length", count.clone());
            put(
                "pattern",
                json_schema!({ "type": "string", "description": "A regular expression the whole value must match." }),
            );
            put(
                "format",
                json_schema!({ "enum": ["email", "e164", "uri", "uuid", "currency", "country"] }),
            );
        }
        "integer" | "number" => {
            put("minimum", num.clone());
            put("maximum", num.clone());
        }
        "enum" => put(
            "values",
            json_schema!({
                "description": "A list of strings, or a map `value: { description, aliases: [..] }`.",
                "oneOf": [
                    { "type": "array", "items": { "type": ["string", "number", "boolean"] }, "minItems": 1 },
                    { "type": "object", "additionalProperties": {
                        "oneOf": [
                            { "type": "null" },
                            { "type": "object", "additionalProperties": false, "properties": {
                                "description": { "type": "string" },
                                "aliases": { "type": "array", "items": { "type": "string" },
                                             "description": "Spellings other systems send for this value (\"Skin Care\")." }
                            } }
                        ]
                    } }
                ]
            }),
        ),
        "array" => {
            put("items", generator.subschema_for::<TypeSchema>());
            put("min_items", count.clone());
            put("max_items", count.clone());
        }
        "object" => {
            put(
                "properties",
                json_schema!({ "type": "object", "additionalProperties": generator.subschema_for::<PropertySchema>() }),
            );
            put(
                "additional_properties",
                json_schema!({ "type": "boolean", "default": false }),
            );
        }
        _ => {}
    }
    m
}

/// `oneOf`: a type name, or a map per built-in type (its keys plus `extra`), or a map
/// naming an entry of `types:`.
fn type_expression(
    generator: &mut SchemaGenerator,
    extra: &[(&str, Schema)],
    description: &str,
) -> Schema {
    let extra: serde_json::Map<String, serde_json::Value> = extra
        .iter()
        .map(|(k, s)| (k.to_string(), s.clone().to_value()))
        .collect();
    let mut variants = vec![json_schema!({
        "type": "string",
        "description": "A built-in type (`string`, `integer`, `number`, `boolean`, `timestamp`, `date`) or the name of an entry of `types:`."
    })
    .to_value()];
    for b in BUILTIN {
        let mut props = type_keys(b, generator);
        props.insert("type".into(), serde_json::json!({ "const": b }));
        props.extend(extra.clone());
        let mut required = vec!["type"];
        match b {
            "enum" => required.push("values"),
            "array" => required.push("items"),
            _ => {}
        }
        variants.push(serde_json::json!({
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": false,
        }));
    }
    let mut named = extra.clone();
    named.insert(
        "type".into(),
        serde_json::json!({ "type": "string", "not": { "enum": BUILTIN }, "description": "The name of an entry of `types:`." }),
    );
    variants.push(serde_json::json!({
        "type": "object",
        "properties": named,
        "required": ["type"],
        "additionalProperties": false,
    }));
    json_schema!({ "description": description, "oneOf": variants })
}

fn property_keys() -> Vec<(&'static str, Schema)> {
    vec![
        ("description", json_schema!({ "type": "string" })),
        (
            "optional",
            json_schema!({ "type": "boolean", "default": false, "description": "Properties are required unless `optional: true`." }),
        ),
        (
            "pii",
            json_schema!({ "type": "boolean", "description": "Personal data: redacted in generated Debug output." }),
        ),
        (
            "deprecated",
            json_schema!({ "type": "string", "description": "What to use instead." }),
        ),
        ("examples", json_schema!({ "type": "array" })),
    ]
}

macro_rules! hand_built {
    ($name:ident, $title:literal, $build:expr) => {
        struct $name;
        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $title.into()
            }
            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                #[allow(clippy::redundant_closure_call)]
                ($build)(generator)
            }
        }
    };
}

hand_built!(TypeSchema, "Type", |g: &mut SchemaGenerator| {
    type_expression(g, &[], "A type expression.")
});
hand_built!(PropertySchema, "Property", |g: &mut SchemaGenerator| {
    type_expression(
        g,
        &property_keys(),
        "A property: a type plus `description`, `optional`, `pii`, `deprecated`, `examples`.",
    )
});
hand_built!(AttributeSchema, "Attribute", |g: &mut SchemaGenerator| {
    let mut keys = property_keys();
    keys.push(("consent", json_schema!({ "enum": ["email", "sms", "push"], "description": "Marks an opt-in flag (it must be boolean)." })));
    keys.push(("derived", json_schema!({ "type": "boolean", "description": "A value the backend computes (LTV, flags)." })));
    type_expression(
        g,
        &keys,
        "A person attribute: a scalar type plus property keys, `consent` and `derived`.",
    )
});
hand_built!(TypeDefSchema, "TypeDef", |g: &mut SchemaGenerator| {
    let keys = vec![
        ("description", json_schema!({ "type": "string" })),
        ("deprecated", json_schema!({ "type": "string" })),
    ];
    type_expression(g, &keys, "A named type.")
});

/// The schema as pretty JSON, byte-stable.
pub fn contract_format_schema() -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<ContractFile>();
    schema.insert(
        "$id".into(),
        "https://trackc.dev/schemas/contract-format.schema.json".into(),
    );
    schema.insert(
        "$comment".into(),
        "generated by trackc — do not edit".into(),
    );
    let mut out = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_is_draft_2020_12_json() {
        let s = super::contract_format_schema();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert!(v["$defs"]["Property"]["oneOf"].as_array().unwrap().len() > 9);
    }
}
