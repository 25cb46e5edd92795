//! JSON Schema (draft 2020-12) of the contract.
//!
//! # Files (relative to the output folder, e.g. `generated/schemas/`)
//! - `events/{event}.schema.json`: one per event, the schema of its data (Track v2
//!   `attributes`, v1 `data`);
//! - `attributes.schema.json`: the identify attributes, every one optional (identify is a
//!   partial update);
//! - `bundle.schema.json`: everything in one document sharing one `$defs`. Its root
//!   validates a Track v1 event body `{"name": .., "data": ..}` (dispatching on `name`);
//!   `#/$defs/attributes` is the identify schema and `#/$defs/event.{name}` each event's.
//!
//! Event file names are the event name when it is short snake_case ASCII, otherwise a
//! slug of it and a hash ([`super::file_stem`]); the `$id` and the catalog's links use the
//! same stem.
//!
//! # `$id`s
//! `https://trackc.dev/schemas/{contract}/{version}/{file}`: the file's path under the
//! output folder, below a base naming the contract and its version (both percent-encoded).
//! Every schema is self-contained: the named and inline types it uses are in its own
//! `$defs` and every `$ref` is local (`#/$defs/..`), so no validator has to fetch anything.
//!
//! # Mapping
//! - Named types and the resolver-named inline enums and objects are `$defs` entries keyed
//!   by their Rust type name (what `schemars` would call the generated types), titled with
//!   the contract's name (`Item`) or place (`order_placed.carrier`).
//! - Objects: `additionalProperties: false` unless the contract says `true`; `required`
//!   lists every property not marked `optional` (none for attributes). An optional
//!   property may be absent; `null` is not accepted (as in `trackc validate`).
//! - Enums: the canonical values only. Aliases are listed in the `x-aliases` annotation
//!   (value → spellings) and are *not* accepted; value descriptions are in
//!   `enumDescriptions` (the annotation editors such as VS Code show).
//! - Strings: `minLength`/`maxLength` (Unicode scalar values, as trackc counts);
//!   `pattern` is the contract's regex anchored as `^(?:...)$`. Formats use trackc's
//!   wire rules (`trackc_wire::formats`) so validators that do not assert
//!   `format` agree with trackc: `email`/`uri`/`uuid` keep `format` and add its pattern;
//!   `e164` is a pattern; `currency` and `country` refer to enums of ISO 4217 and
//!   ISO 3166-1 alpha-2 codes (`#/$defs/trackc-currency`, `#/$defs/trackc-country`).
//!   A string with both a contract pattern and a format pattern carries the second in
//!   `allOf`.
//! - `timestamp`: `#/$defs/trackc-timestamp`, an integer of Unix seconds within
//!   ±`MAX_TIMESTAMP_SECONDS`, so millisecond values are refused. `date`:
//!   `#/$defs/trackc-date`, `format: date` plus a pattern that accepts exactly the
//!   calendar dates `YYYY-MM-DD` (leap years included).
//! - Annotations: `title`, `description` (a deprecation note appended), `deprecated:
//!   true`, `examples`, and `x-pii`, `x-consent`, `x-derived`, `x-owner`,
//!   `x-idempotency-key`, `x-backfill`, `x-triggers`.
//!
//! Known differences with trackc's own checks: JSON Schema counts `1.0` as an integer
//! (trackc does not), regexes run in the validator's dialect (write patterns in the
//! common subset of Rust and ECMA-262 syntax), and Customer.io's byte limits (attribute
//! values, event size) are not expressed.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::json::{J, Key, Obj, from_value};
use super::{GeneratedFile, HEADER, file_stem};
use crate::ir::{Event, Ir, Property, StringFormat, StringTy, Ty, TypeDef, TypeId, TypeKind};
use crate::naming;
use trackc_wire::formats;
use trackc_wire::identifier::encode_segment as url_segment;
use trackc_wire::time::MAX_TIMESTAMP_SECONDS;

pub const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
pub const ID_BASE: &str = "https://trackc.dev/schemas";

/// Calendar dates `YYYY-MM-DD`, years 0000 to 9999, February 29 in leap years only.
pub use trackc_wire::time::DATE_PATTERN;

/// Customer.io's own identify keys, accepted in identify whatever the contract says (as
/// `trackc validate` does).
pub const PASSTHROUGH_ATTRIBUTES: [&str; 3] = [
    "_update",
    "cio_subscription_preferences",
    "cio_relationships",
];

const TIMESTAMP: &str = "trackc-timestamp";
const DATE: &str = "trackc-date";
const CURRENCY: &str = "trackc-currency";
const COUNTRY: &str = "trackc-country";

/// Every schema file, in a fixed order (events by name, attributes, bundle).
pub fn generate(ir: &Ir) -> Vec<GeneratedFile> {
    let mut files = Vec::with_capacity(ir.events.len() + 2);
    for e in &ir.events {
        files.push(GeneratedFile::new(
            event_path(e),
            event_schema(ir, e).pretty(),
        ));
    }
    files.push(GeneratedFile::new(
        "attributes.schema.json",
        attributes_schema(ir).pretty(),
    ));
    files.push(GeneratedFile::new(
        "bundle.schema.json",
        bundle_schema(ir).pretty(),
    ));
    files
}

/// `events/{stem}.schema.json`.
pub fn event_path(e: &Event) -> PathBuf {
    PathBuf::from("events").join(format!("{}.schema.json", file_stem(&e.name)))
}

/// The `$id` of a file under the schema folder (`events/x.schema.json`).
pub fn id_for(ir: &Ir, relative: &str) -> String {
    format!(
        "{ID_BASE}/{}/{}/{relative}",
        url_segment(&ir.name),
        url_segment(&ir.version.to_string())
    )
}

/// The schema of one event's data, with the `$defs` it uses.
pub fn event_schema(ir: &Ir, e: &Event) -> J {
    let mut em = Emitter::new(ir);
    let body = em.event_body(e);
    let rel = event_path(e).to_string_lossy().replace('\\', "/");
    em.document(&id_for(ir, &rel), body)
}

/// The identify attributes' schema.
pub fn attributes_schema(ir: &Ir) -> J {
    let mut em = Emitter::new(ir);
    let body = em.attributes_body();
    em.document(&id_for(ir, "attributes.schema.json"), body)
}

/// Every event and the attributes in one document.
pub fn bundle_schema(ir: &Ir) -> J {
    let mut em = Emitter::new(ir);
    let mut root = Obj::new()
        .with("title", format!("{} {}", ir.name, ir.version))
        .with(
            "description",
            format!(
                "Contract {} {}: every event's data and the identify attributes. The root \
                 validates a Track API v1 event body {{\"name\", \"data\"}}: `name` is one of \
                 the contract's events and `data` fits that event. `#/$defs/attributes` is \
                 the identify attributes; `#/$defs/event.NAME` is each event's data.",
                ir.name, ir.version
            ),
        )
        .with("type", "object");
    let names: Vec<J> = ir.events.iter().map(|e| J::from(&e.name)).collect();
    root.insert(
        "properties",
        Obj::new()
            .with(
                "name",
                Obj::new()
                    .with("description", "The event's name.")
                    .with("enum", names),
            )
            .with(
                "data",
                Obj::new()
                    .with("description", "The event's data.")
                    .with("type", "object"),
            ),
    );
    root.insert("required", vec![J::from("name"), J::from("data")]);
    let mut defs = Vec::new();
    let attributes = em.attributes_body();
    defs.push((Key::Borrowed("attributes"), J::Obj(attributes)));
    let mut dispatch = Vec::new();
    for e in &ir.events {
        let key = format!("event.{}", e.name);
        dispatch.push(J::Obj(
            Obj::new()
                .with(
                    "if",
                    Obj::new()
                        .with(
                            "properties",
                            Obj::new().with("name", Obj::new().with("const", e.name.as_str())),
                        )
                        .with("required", vec![J::from("name")]),
                )
                .with(
                    "then",
                    Obj::new().with(
                        "properties",
                        Obj::new().with("data", Obj::new().with("$ref", def_ref(&key))),
                    ),
                ),
        ));
        let body = em.event_body(e);
        defs.push((Key::Owned(key), J::Obj(body)));
    }
    if !dispatch.is_empty() {
        root.insert("allOf", dispatch);
    }
    em.extra_defs = defs;
    em.document(&id_for(ir, "bundle.schema.json"), root)
}

/// `#/$defs/{key}` as a URI fragment: JSON-pointer escaped (`~0`, `~1`) and
/// percent-encoded outside the characters a fragment may hold.
pub fn def_ref(key: &str) -> String {
    let mut out = String::from("#/$defs/");
    for ch in key.chars() {
        match ch {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c if c.is_ascii_alphanumeric() || "-._!$&'()*+,;=:@".contains(c) => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// The `$defs` key of a type definition: its Rust name, without a raw prefix.
pub fn def_key(t: &TypeDef) -> &str {
    naming::unraw(&t.rust_name)
}

struct Emitter<'a> {
    ir: &'a Ir,
    types: BTreeSet<TypeId>,
    builtins: BTreeSet<&'static str>,
    /// Extra `$defs` entries placed before the types (the bundle's attributes and events).
    extra_defs: Vec<(Key, J)>,
}

impl<'a> Emitter<'a> {
    fn new(ir: &'a Ir) -> Self {
        Emitter {
            ir,
            types: BTreeSet::new(),
            builtins: BTreeSet::new(),
            extra_defs: Vec::new(),
        }
    }

    /// Wrap a root schema: header, `$schema`, `$id`, then the body, then `$defs`.
    fn document(&mut self, id: &str, body: Obj) -> J {
        let mut doc = Obj::new()
            .with(
                "$comment",
                format!(
                    "{HEADER}; source: contract {} {}",
                    self.ir.name, self.ir.version
                ),
            )
            .with("$schema", DRAFT)
            .with("$id", id);
        doc.0.extend(body.0);
        let defs = self.defs();
        if !defs.is_empty() {
            doc.insert("$defs", defs);
        }
        J::Obj(doc)
    }

    /// The `$defs`: extra entries, then every type reached (by key), then built-ins.
    fn defs(&mut self) -> Obj {
        let mut out = Obj(std::mem::take(&mut self.extra_defs));
        // Emitting a definition can reach more types: iterate to a fixed point.
        let mut done: BTreeSet<TypeId> = BTreeSet::new();
        let mut types = Vec::new();
        loop {
            let todo: Vec<TypeId> = self.types.difference(&done).copied().collect();
            if todo.is_empty() {
                break;
            }
            for id in todo {
                done.insert(id);
                let t = self.ir.ty(id);
                let schema = self.type_def(t);
                types.push((Key::Owned(def_key(t).to_string()), J::Obj(schema)));
            }
        }
        types.sort_by(|a, b| a.0.cmp(&b.0));
        out.0.extend(types);
        for b in std::mem::take(&mut self.builtins) {
            out.insert(b, builtin(b));
        }
        out
    }

    fn event_body(&mut self, e: &Event) -> Obj {
        let mut o = Obj::new().with("title", e.name.as_str());
        if let Some(d) = description(e.description.as_deref(), e.deprecated.as_deref()) {
            o.insert("description", d);
        }
        if e.deprecated.is_some() {
            o.insert("deprecated", true);
        }
        self.object_into(&mut o, &e.properties, false, false);
        if let Some(owner) = &e.owner {
            o.insert("x-owner", owner.as_str());
        }
        if let Some(key) = e.idempotency_property() {
            o.insert("x-idempotency-key", key.name.as_str());
        }
        o.insert(
            "x-backfill",
            match e.backfill {
                crate::ir::BackfillPolicy::Allowed => "allowed",
                crate::ir::BackfillPolicy::Forbidden => "forbidden",
            },
        );
        let id = self
            .ir
            .events
            .iter()
            .position(|x| std::ptr::eq(x, e))
            .map(|i| crate::ir::EventId(i as u32));
        if let Some(id) = id {
            let triggers: Vec<J> = self
                .ir
                .triggered_by(id)
                .iter()
                .map(|w| J::from(&w.name))
                .collect();
            if !triggers.is_empty() {
                o.insert("x-triggers", triggers);
            }
        }
        o
    }

    fn attributes_body(&mut self) -> Obj {
        let ir = self.ir;
        let mut o = Obj::new()
            .with("title", format!("{} identify attributes", ir.name))
            .with(
                "description",
                "Person attributes, sent with identify. Identify is a partial update, so \
                 every attribute is optional in a call. Customer.io's own identify keys \
                 are accepted as they are.",
            );
        self.object_into(&mut o, &ir.attributes, false, true);
        if let Some(J::Obj(props)) =
            o.0.iter_mut()
                .find(|(k, _)| k == "properties")
                .map(|(_, v)| v)
        {
            let mut extra: Vec<&str> = PASSTHROUGH_ATTRIBUTES.to_vec();
            if let Some(anon) = &ir.identity.anonymous_id {
                extra.push(anon);
            }
            for key in extra {
                if !props.contains_key(key) {
                    props.insert(
                        key.to_owned(),
                        Obj::new().with(
                            "description",
                            if PASSTHROUGH_ATTRIBUTES.contains(&key) {
                                "Customer.io's own identify key, passed through unchecked."
                            } else {
                                "The anonymous id, for merging anonymous activity; passed through unchecked."
                            },
                        ),
                    );
                }
            }
        }
        o
    }

    /// `type: object`, `properties`, `required`, `additionalProperties` into `o`.
    fn object_into(&mut self, o: &mut Obj, props: &[Property], open: bool, all_optional: bool) {
        o.insert("type", "object");
        let mut properties = Obj::new();
        let mut required = Vec::new();
        for p in props {
            properties.insert(p.name.clone(), self.property(p));
            if !p.optional && !all_optional {
                required.push(J::from(&p.name));
            }
        }
        o.insert("properties", properties);
        if !required.is_empty() {
            o.insert("required", required);
        }
        o.insert("additionalProperties", open);
    }

    fn property(&mut self, p: &Property) -> Obj {
        let mut o = Obj::new();
        if let Some(d) = description(p.description.as_deref(), p.deprecated.as_deref()) {
            o.insert("description", d);
        }
        o.0.extend(self.ty(&p.ty).0);
        if p.deprecated.is_some() {
            o.insert("deprecated", true);
        }
        if !p.examples.is_empty() {
            o.insert(
                "examples",
                p.examples.iter().map(from_value).collect::<Vec<_>>(),
            );
        }
        if p.pii {
            o.insert("x-pii", true);
        }
        if let Some(c) = p.consent {
            o.insert("x-consent", c.as_str());
        }
        if p.derived {
            o.insert("x-derived", true);
        }
        o
    }

    fn reference(&mut self, id: TypeId) -> Obj {
        self.types.insert(id);
        Obj::new().with("$ref", def_ref(def_key(self.ir.ty(id))))
    }

    fn builtin_ref(&mut self, key: &'static str) -> Obj {
        self.builtins.insert(key);
        Obj::new().with("$ref", def_ref(key))
    }

    fn ty(&mut self, ty: &Ty) -> Obj {
        match ty {
            Ty::String(s) => self.string(s),
            Ty::Integer(b) | Ty::Number(b) => {
                let mut o = Obj::new().with(
                    "type",
                    if matches!(ty, Ty::Integer(_)) {
                        "integer"
                    } else {
                        "number"
                    },
                );
                if let Some(m) = b.minimum {
                    o.insert("minimum", m);
                }
                if let Some(m) = b.maximum {
                    o.insert("maximum", m);
                }
                o
            }
            Ty::Boolean => Obj::new().with("type", "boolean"),
            Ty::Timestamp => self.builtin_ref(TIMESTAMP),
            Ty::Date => self.builtin_ref(DATE),
            Ty::Array(a) => {
                let mut o = Obj::new().with("type", "array");
                o.insert("items", self.ty(&a.items));
                if let Some(n) = a.min_items {
                    o.insert("minItems", n);
                }
                if let Some(n) = a.max_items {
                    o.insert("maxItems", n);
                }
                o
            }
            Ty::Ref(id) => self.reference(*id),
        }
    }

    fn string(&mut self, s: &StringTy) -> Obj {
        let mut o = match s.format {
            Some(StringFormat::Currency) => self.builtin_ref(CURRENCY),
            Some(StringFormat::Country) => self.builtin_ref(COUNTRY),
            _ => Obj::new().with("type", "string"),
        };
        if let Some(n) = s.min_length {
            o.insert("minLength", n);
        }
        if let Some(n) = s.max_length {
            o.insert("maxLength", n);
        }
        let (format, format_pattern) = match s.format {
            Some(StringFormat::Email) => (Some("email"), Some(formats::EMAIL_PATTERN)),
            Some(StringFormat::Uri) => (Some("uri"), Some(formats::URI_PATTERN)),
            Some(StringFormat::Uuid) => (Some("uuid"), Some(formats::UUID_PATTERN)),
            Some(StringFormat::E164) => (None, Some(formats::E164_PATTERN)),
            _ => (None, None),
        };
        if let Some(f) = format {
            o.insert("format", f);
        }
        match (&s.pattern, format_pattern) {
            (Some(p), fp) => {
                o.insert("pattern", anchor(p));
                if let Some(fp) = fp {
                    o.insert("allOf", vec![J::Obj(Obj::new().with("pattern", fp))]);
                }
            }
            (None, Some(fp)) => {
                o.insert("pattern", fp);
            }
            (None, None) => {}
        }
        o
    }

    fn type_def(&mut self, t: &TypeDef) -> Obj {
        let mut o = Obj::new().with("title", t.name.as_str());
        if let Some(d) = description(t.description.as_deref(), t.deprecated.as_deref()) {
            o.insert("description", d);
        }
        if t.deprecated.is_some() {
            o.insert("deprecated", true);
        }
        match &t.kind {
            TypeKind::Enum(e) => {
                o.insert("type", "string");
                o.insert(
                    "enum",
                    e.values
                        .iter()
                        .map(|v| J::from(&v.value))
                        .collect::<Vec<_>>(),
                );
                if e.values.iter().any(|v| v.description.is_some()) {
                    o.insert(
                        "enumDescriptions",
                        e.values
                            .iter()
                            .map(|v| J::from(v.description.clone().unwrap_or_default()))
                            .collect::<Vec<_>>(),
                    );
                }
                if e.values.iter().any(|v| !v.aliases.is_empty()) {
                    let mut aliases = Obj::new();
                    for v in e.values.iter().filter(|v| !v.aliases.is_empty()) {
                        aliases.insert(
                            v.value.clone(),
                            v.aliases.iter().map(J::from).collect::<Vec<_>>(),
                        );
                    }
                    o.insert("x-aliases", aliases);
                }
            }
            TypeKind::Object(obj) => {
                self.object_into(&mut o, &obj.properties, obj.additional_properties, false);
            }
            TypeKind::Alias(ty) => {
                let inner = self.ty(ty);
                o.0.extend(inner.0);
            }
        }
        o
    }
}

/// The contract's pattern, anchored so it matches the whole value.
pub fn anchor(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

fn description(text: Option<&str>, deprecated: Option<&str>) -> Option<String> {
    match (text, deprecated) {
        (None, None) => None,
        (Some(t), None) => Some(t.trim().to_string()),
        (None, Some(d)) => Some(format!("Deprecated: {}", d.trim())),
        (Some(t), Some(d)) => Some(format!("{}\n\nDeprecated: {}", t.trim(), d.trim())),
    }
}

fn builtin(key: &str) -> J {
    let o = match key {
        TIMESTAMP => Obj::new()
            .with("title", "timestamp")
            .with(
                "description",
                format!(
                    "A point in time as an integer of Unix seconds. Values beyond ±{} are \
                     refused: they are milliseconds sent by mistake.",
                    MAX_TIMESTAMP_SECONDS
                ),
            )
            .with("type", "integer")
            .with("minimum", -MAX_TIMESTAMP_SECONDS)
            .with("maximum", MAX_TIMESTAMP_SECONDS),
        DATE => Obj::new()
            .with("title", "date")
            .with(
                "description",
                "A calendar date, YYYY-MM-DD (years 0000 to 9999, proleptic Gregorian).",
            )
            .with("type", "string")
            .with("format", "date")
            .with("pattern", DATE_PATTERN),
        CURRENCY => Obj::new()
            .with("title", "currency")
            .with("description", "An ISO 4217 alphabetic currency code.")
            .with("type", "string")
            .with(
                "enum",
                formats::CURRENCIES
                    .iter()
                    .map(|c| J::from(*c))
                    .collect::<Vec<_>>(),
            ),
        COUNTRY => Obj::new()
            .with("title", "country")
            .with("description", "An ISO 3166-1 alpha-2 country code.")
            .with("type", "string")
            .with(
                "enum",
                formats::COUNTRIES
                    .iter()
                    .map(|c| J::from(*c))
                    .collect::<Vec<_>>(),
            ),
        _ => Obj::new(),
    };
    J::Obj(o)
}
