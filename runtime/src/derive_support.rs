//! What `#[derive(trackc::Deserialize)]` and `#[derive(trackc::JsonSchema)]` expand to
//! calls of. The expansions stay small (a field table and one `match`) because the
//! shared work lives here, compiled once: a generated crate of 1,000 events has ~3,000
//! types, and serde's and schemars' derives spent most of its build time (each field with
//! `deserialize_with` alone expanded to a wrapper type with its own `Deserialize`).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, VariantAccess, Visitor};
use serde_json::{Map, Value};

use crate::formats;

/// A map key of a struct being deserialized.
pub enum Key {
    /// The field at this index (declaration order).
    Field(usize),
    /// A key the struct does not name, kept for a `#[serde(flatten)]` map.
    Other(String),
    /// A key the struct does not name, to be skipped.
    Ignored,
}

/// What a struct does with keys it does not name.
#[derive(Clone, Copy)]
pub enum Unknown {
    /// `#[serde(deny_unknown_fields)]`: an error naming the expected fields.
    Deny,
    /// Skip the value.
    Ignore,
    /// Hand the key to the `#[serde(flatten)]` map.
    Keep,
}

/// Reads one map key of a struct: `fields` in declaration order (for error messages),
/// `sorted` every accepted spelling (names and aliases) with its field index, sorted by
/// spelling so a lookup is a binary search.
pub struct FieldKey {
    pub fields: &'static [&'static str],
    pub sorted: &'static [(&'static str, usize)],
    pub unknown: Unknown,
}

impl FieldKey {
    fn key<E: de::Error>(&self, v: &str) -> Result<Key, E> {
        if let Ok(i) = self.sorted.binary_search_by(|(s, _)| (*s).cmp(v)) {
            return Ok(Key::Field(self.sorted[i].1));
        }
        match self.unknown {
            Unknown::Deny => Err(E::unknown_field(v, self.fields)),
            Unknown::Ignore => Ok(Key::Ignored),
            Unknown::Keep => Ok(Key::Other(v.to_owned())),
        }
    }
}

impl<'de> DeserializeSeed<'de> for FieldKey {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldKey {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        self.key(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.key(s),
            Err(_) => self.key(&String::from_utf8_lossy(v)),
        }
    }

    // Some self-describing formats (CBOR, MessagePack maps) may key fields by index.
    // Formats that read structs as sequences (bincode, postcard) are not supported: the
    // derive reads maps only.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
        match usize::try_from(v) {
            Ok(i) if i < self.fields.len() => Ok(Key::Field(i)),
            _ => match self.unknown {
                Unknown::Deny => Err(E::invalid_value(
                    de::Unexpected::Unsigned(v),
                    &"a field index",
                )),
                _ => Ok(Key::Ignored),
            },
        }
    }
}

/// Deserializes a unit-only enum (by name, alias or index) to its variant index.
pub fn variant_index<'de, D: Deserializer<'de>>(
    d: D,
    name: &'static str,
    variants: &'static [&'static str],
    sorted: &'static [(&'static str, usize)],
) -> Result<usize, D::Error> {
    struct V {
        name: &'static str,
        variants: &'static [&'static str],
        sorted: &'static [(&'static str, usize)],
    }
    struct Seed(V);
    impl V {
        fn lookup<E: de::Error>(&self, v: &str) -> Result<usize, E> {
            match self.sorted.binary_search_by(|(s, _)| (*s).cmp(v)) {
                Ok(i) => Ok(self.sorted[i].1),
                Err(_) => Err(E::unknown_variant(v, self.variants)),
            }
        }
    }
    impl<'de> Visitor<'de> for Seed {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("variant identifier")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
            self.0.lookup(v)
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<usize, E> {
            self.0.lookup(&String::from_utf8_lossy(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
            match usize::try_from(v) {
                Ok(i) if i < self.0.variants.len() => Ok(i),
                _ => Err(E::invalid_value(
                    de::Unexpected::Unsigned(v),
                    &"a variant index",
                )),
            }
        }
    }
    impl<'de> DeserializeSeed<'de> for Seed {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            d.deserialize_identifier(self)
        }
    }
    impl<'de> Visitor<'de> for V {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "enum {}", self.name)
        }
        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<usize, A::Error> {
            let (i, variant) = data.variant_seed(Seed(self))?;
            variant.unit_variant()?;
            Ok(i)
        }
    }
    d.deserialize_enum(
        name,
        variants,
        V {
            name,
            variants,
            sorted,
        },
    )
}

/// The `expecting` text of a derived struct visitor.
pub struct Expecting(pub &'static str);

impl fmt::Display for Expecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", self.0)
    }
}

/// One property of a derived `JsonSchema` object.
pub struct Prop {
    /// Wire name.
    pub name: &'static str,
    pub required: bool,
    /// The value's schema (for an `Option<T>` field, `T`'s: absent is allowed, null is not).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Constraint keywords as a JSON object (`{"minLength":1}`), `""` for none. `format`
    /// and `items` are rewritten here as trackc's JSON Schemas write them.
    pub keywords: &'static str,
    pub description: Option<&'static str>,
    pub deprecated: bool,
}

/// Metadata shared by objects and enums.
pub struct Meta {
    pub description: Option<&'static str>,
    pub deprecated: bool,
}

impl Meta {
    fn apply(&self, o: &mut Map<String, Value>) {
        if let Some(d) = self.description {
            o.insert("description".into(), d.into());
        }
        if self.deprecated {
            o.insert("deprecated".into(), true.into());
        }
    }
}

/// The schema of a derived struct. `additional`: `Some(false)` for
/// `deny_unknown_fields`, `Some(true)` for a flattened map, `None` when unknown keys are
/// ignored.
pub fn object_schema(
    g: &mut SchemaGenerator,
    meta: &Meta,
    additional: Option<bool>,
    props: &[Prop],
) -> Schema {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in props {
        let mut s = (p.schema)(g);
        if !p.keywords.is_empty() {
            let kw: Map<String, Value> =
                serde_json::from_str(p.keywords).expect("derive writes a JSON object");
            apply_keywords(g, &mut s, kw);
        }
        if p.required {
            required.push(Value::from(p.name));
        }
        if let Some(o) = s.as_object_mut() {
            Meta {
                description: p.description,
                deprecated: p.deprecated,
            }
            .apply(o);
        }
        properties.insert(p.name.into(), s.to_value());
    }
    let mut o = Map::new();
    o.insert("type".into(), "object".into());
    meta.apply(&mut o);
    o.insert("properties".into(), properties.into());
    if !required.is_empty() {
        o.insert("required".into(), required.into());
    }
    if let Some(a) = additional {
        o.insert("additionalProperties".into(), a.into());
    }
    Schema::from(o)
}

/// The schema of a derived unit-only enum: its wire values.
pub fn enum_schema(meta: &Meta, values: &[&str]) -> Schema {
    let mut o = Map::new();
    o.insert("type".into(), "string".into());
    meta.apply(&mut o);
    o.insert(
        "enum".into(),
        values
            .iter()
            .map(|v| Value::from(*v))
            .collect::<Vec<_>>()
            .into(),
    );
    Schema::from(o)
}

/// Merges constraint keywords into a value schema, writing formats as trackc's emitted
/// JSON Schemas do (codegen/src/emit/schema.rs): `email`/`uri`/`uuid` keep `format` and
/// add its pattern, `e164` is a pattern, `currency`/`country` refer to an enum; a contract
/// pattern and a format pattern together put the format's under `allOf`.
fn apply_keywords(g: &mut SchemaGenerator, s: &mut Schema, mut kw: Map<String, Value>) {
    let items = kw.remove("items");
    let format = kw.remove("format");
    let Some(o) = s.as_object_mut() else { return };
    o.extend(kw);
    if let Some(Value::String(f)) = format {
        let format_pattern = match f.as_str() {
            "email" => Some(formats::EMAIL_PATTERN),
            "uri" => Some(formats::URI_PATTERN),
            "uuid" => Some(formats::UUID_PATTERN),
            "e164" => Some(formats::E164_PATTERN),
            _ => None,
        };
        if matches!(f.as_str(), "email" | "uri" | "uuid") {
            o.insert("format".into(), f.clone().into());
        }
        if let Some(fp) = format_pattern {
            if o.contains_key("pattern") {
                o.insert("allOf".into(), serde_json::json!([{ "pattern": fp }]));
            } else {
                o.insert("pattern".into(), fp.into());
            }
        }
        let code_list = match f.as_str() {
            "currency" => Some(g.subschema_for::<Currency>()),
            "country" => Some(g.subschema_for::<Country>()),
            _ => None,
        };
        if let Some(r) = code_list
            && let Some(r) = r.as_object()
        {
            o.extend(r.clone());
        }
    }
    if let Some(Value::Object(items_kw)) = items
        && let Some(Value::Object(item)) = o.get_mut("items")
    {
        let mut item_schema = Schema::from(std::mem::take(item));
        apply_keywords(g, &mut item_schema, items_kw);
        *item = match item_schema.to_value() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
    }
}

/// ISO 4217 codes, one `$defs` entry for every `format: currency` field.
struct Currency;
/// ISO 3166-1 alpha-2 codes, one `$defs` entry for every `format: country` field.
struct Country;

impl JsonSchema for Currency {
    fn schema_name() -> Cow<'static, str> {
        "trackc-currency".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        code_list("ISO 4217 currency code", formats::CURRENCIES)
    }
}

impl JsonSchema for Country {
    fn schema_name() -> Cow<'static, str> {
        "trackc-country".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        code_list("ISO 3166-1 alpha-2 country code", formats::COUNTRIES)
    }
}

fn code_list(description: &str, codes: &[&str]) -> Schema {
    let mut o = Map::new();
    o.insert("type".into(), "string".into());
    o.insert("description".into(), description.into());
    o.insert(
        "enum".into(),
        codes
            .iter()
            .map(|c| Value::from(*c))
            .collect::<Vec<_>>()
            .into(),
    );
    Schema::from(o)
}
