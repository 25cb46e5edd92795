//! The one resolved IR every backend reads: names resolved once, types known, Rust
//! identifiers assigned once. Top-level items are sorted by name so that every output is
//! byte-stable whatever the file layout; properties keep their declaration order.

use std::collections::BTreeMap;

pub use crate::front::ast::{BackfillPolicy, Channel, Duration, Goal, LintLevel, StringFormat};
use crate::source::Span;

#[derive(Debug)]
pub struct Ir {
    pub name: String,
    pub version: Version,
    pub identity: Identity,
    /// Named types and the inline enums and objects given names by the resolver.
    pub types: Vec<TypeDef>,
    pub attributes: Vec<Property>,
    pub events: Vec<Event>,
    pub segments: Vec<Segment>,
    pub workflows: Vec<Workflow>,
    /// Rule levels set by `lints:`.
    pub lints: BTreeMap<crate::rules::CheckRule, LintLevel>,
    /// `lints:` levels of `trackc validate`'s rules about the contract's promises.
    pub traffic_lints: BTreeMap<crate::rules::TrafficRule, LintLevel>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[derive(Debug)]
pub struct Identity {
    pub id: String,
    pub id_type: Ty,
    pub anonymous_id: Option<String>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributeId(pub u32);

/// A resolved type. Enums and objects are always [`Ty::Ref`]s to a [`TypeDef`], named in
/// the contract or named by the resolver for inline ones.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    String(StringTy),
    Integer(Bounds),
    Number(Bounds),
    Boolean,
    Timestamp,
    Date,
    Array(Box<ArrayTy>),
    Ref(TypeId),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StringTy {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// As written; it matches the whole value.
    pub pattern: Option<String>,
    pub format: Option<StringFormat>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bounds {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ArrayTy {
    pub items: Ty,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

/// Where a [`TypeDef`] comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeOrigin {
    /// An entry of `types:`.
    Named,
    /// An inline enum or object, named after where it appears (`order_completed.shipping`).
    Inline { owner: String },
}

#[derive(Debug)]
pub struct TypeDef {
    /// The contract's name (`Item`), or the dotted place of an inline type.
    pub name: String,
    pub rust_name: String,
    pub origin: TypeOrigin,
    pub description: Option<String>,
    pub deprecated: Option<String>,
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum TypeKind {
    Enum(EnumDef),
    Object(ObjectDef),
    /// A named scalar or array type (`Sku: { type: string, pattern: ... }`).
    Alias(Ty),
}

#[derive(Debug)]
pub struct EnumDef {
    pub values: Vec<EnumValue>,
}

impl EnumDef {
    /// The canonical value for a wire spelling: itself, or the value it is an alias of.
    pub fn canonical<'a>(&'a self, spelling: &str) -> Option<&'a EnumValue> {
        self.values
            .iter()
            .find(|v| v.value == spelling)
            .or_else(|| {
                self.values
                    .iter()
                    .find(|v| v.aliases.iter().any(|a| a == spelling))
            })
    }
}

#[derive(Debug)]
pub struct EnumValue {
    pub value: String,
    pub rust_name: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub span: Span,
}

#[derive(Debug)]
pub struct ObjectDef {
    pub properties: Vec<Property>,
    pub additional_properties: bool,
}

#[derive(Debug, Clone)]
pub struct Property {
    /// The wire name.
    pub name: String,
    pub rust_name: String,
    pub ty: Ty,
    pub optional: bool,
    pub description: Option<String>,
    pub pii: bool,
    pub deprecated: Option<String>,
    pub examples: Vec<serde_json::Value>,
    /// Attributes only.
    pub consent: Option<Channel>,
    /// Attributes only.
    pub derived: bool,
    /// The name as written.
    pub span: Span,
    /// The type as written.
    pub ty_span: Span,
}

#[derive(Debug)]
pub struct Event {
    pub name: String,
    pub rust_name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// Index into `properties`.
    pub idempotency_key: Option<usize>,
    pub backfill: BackfillPolicy,
    pub deprecated: Option<String>,
    pub properties: Vec<Property>,
    pub span: Span,
}

impl Event {
    pub fn idempotency_property(&self) -> Option<&Property> {
        self.idempotency_key.map(|i| &self.properties[i])
    }
}

#[derive(Debug)]
pub struct Segment {
    pub name: String,
    pub description: Option<String>,
    pub all: Vec<Condition>,
    pub any: Vec<Condition>,
    pub none: Vec<Condition>,
    pub span: Span,
}

impl Segment {
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.all.iter().chain(&self.any).chain(&self.none)
    }
}

#[derive(Debug, Clone)]
pub enum Condition {
    Event {
        event: EventId,
        filter: Vec<Filter>,
        within: Option<Duration>,
        count: Vec<Op>,
        span: Span,
    },
    Attribute {
        attribute: AttributeId,
        op: Op,
        span: Span,
    },
    Segment {
        segment: SegmentId,
        span: Span,
    },
}

impl Condition {
    pub fn span(&self) -> Span {
        match self {
            Condition::Event { span, .. }
            | Condition::Attribute { span, .. }
            | Condition::Segment { span, .. } => *span,
        }
    }
}

/// `where` on one property path.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Property names from the event's data down to the compared value.
    pub path: Vec<String>,
    /// The type at the end of the path (arrays of objects are stepped through).
    pub ty: Ty,
    pub ops: Vec<Op>,
    pub span: Span,
}

impl Filter {
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// An operator and its operand (checked against the compared type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Equals(serde_json::Value),
    NotEquals(serde_json::Value),
    In(Vec<serde_json::Value>),
    Exists(bool),
    Gt(serde_json::Value),
    Gte(serde_json::Value),
    Lt(serde_json::Value),
    Lte(serde_json::Value),
    Contains(serde_json::Value),
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Equals(_) => "equals",
            Op::NotEquals(_) => "not_equals",
            Op::In(_) => "in",
            Op::Exists(_) => "exists",
            Op::Gt(_) => "gt",
            Op::Gte(_) => "gte",
            Op::Lt(_) => "lt",
            Op::Lte(_) => "lte",
            Op::Contains(_) => "contains",
        }
    }

    /// The operand as JSON (`exists` as a boolean, `in` as a list).
    pub fn operand(&self) -> serde_json::Value {
        match self {
            Op::Equals(v)
            | Op::NotEquals(v)
            | Op::Gt(v)
            | Op::Gte(v)
            | Op::Lt(v)
            | Op::Lte(v)
            | Op::Contains(v) => v.clone(),
            Op::In(vs) => vs.clone().into(),
            Op::Exists(b) => (*b).into(),
        }
    }
}

#[derive(Debug)]
pub enum Trigger {
    Event { event: EventId, filter: Vec<Filter> },
    Segment { segment: SegmentId },
}

#[derive(Debug)]
pub struct Workflow {
    pub name: String,
    pub description: Option<String>,
    pub goal: Option<Goal>,
    pub trigger: Option<Trigger>,
    pub audience: Vec<SegmentId>,
    pub wait: Option<Duration>,
    pub exit_when: Vec<Condition>,
    pub channels: Vec<Channel>,
    pub span: Span,
    pub exit_span: Option<Span>,
    /// Whether the source lists at least one exit condition. `exit_when` keeps only the
    /// conditions that resolved; one naming an unknown event is reported and dropped, and
    /// the workflow must not then also be reported as having no exit.
    pub exit_declared: bool,
}

impl Ir {
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0 as usize]
    }

    pub fn event(&self, id: EventId) -> &Event {
        &self.events[id.0 as usize]
    }

    pub fn segment(&self, id: SegmentId) -> &Segment {
        &self.segments[id.0 as usize]
    }

    pub fn attribute(&self, id: AttributeId) -> &Property {
        &self.attributes[id.0 as usize]
    }

    pub fn event_by_name(&self, name: &str) -> Option<&Event> {
        self.events
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.events[i])
    }

    /// Follow aliases to the type that decides the wire shape.
    pub fn underlying<'a>(&'a self, mut ty: &'a Ty) -> &'a Ty {
        while let Ty::Ref(id) = ty {
            match &self.ty(*id).kind {
                TypeKind::Alias(inner) => ty = inner,
                _ => break,
            }
        }
        ty
    }

    /// Workflows an event triggers, by name (sorted).
    pub fn triggered_by(&self, event: EventId) -> Vec<&Workflow> {
        self.workflows
            .iter()
            .filter(|w| matches!(w.trigger, Some(Trigger::Event { event: e, .. }) if e == event))
            .collect()
    }

    /// A human name for a type: `string`, `array of Item`, `Category`.
    pub fn describe(&self, ty: &Ty) -> String {
        self.name_of(ty, true)
    }

    /// The kind of a type, through aliases and named types: `array of string`, `enum`,
    /// `object`.
    pub fn kind(&self, ty: &Ty) -> String {
        self.name_of(self.underlying(ty), false)
    }

    fn name_of(&self, ty: &Ty, by_name: bool) -> String {
        let again = |t: &Ty| {
            if by_name {
                self.describe(t)
            } else {
                self.kind(t)
            }
        };
        match ty {
            Ty::String(_) => "string".into(),
            Ty::Integer(_) => "integer".into(),
            Ty::Number(_) => "number".into(),
            Ty::Boolean => "boolean".into(),
            Ty::Timestamp => "timestamp".into(),
            Ty::Date => "date".into(),
            Ty::Array(a) => format!("array of {}", again(&a.items)),
            Ty::Ref(id) => {
                let t = self.ty(*id);
                match (&t.origin, &t.kind) {
                    (TypeOrigin::Named, _) if by_name => t.name.clone(),
                    (_, TypeKind::Enum(_)) => "enum".into(),
                    (_, TypeKind::Object(_)) => "object".into(),
                    (_, TypeKind::Alias(inner)) => again(inner),
                }
            }
        }
    }

    /// Does the JSON value fit the type (shape only: contract examples, checked by the lints
    /// and used by the example payloads)?
    pub fn fits(&self, ty: &Ty, v: &serde_json::Value) -> bool {
        use serde_json::Value as V;
        match (self.underlying(ty), v) {
            (Ty::String(_), V::String(_)) => true,
            (Ty::Integer(_) | Ty::Timestamp, V::Number(n)) => n.is_i64() || n.is_u64(),
            (Ty::Number(_), V::Number(_)) => true,
            (Ty::Boolean, V::Bool(_)) => true,
            (Ty::Date, V::String(s)) => trackc_wire::time::parse_date(s).is_ok(),
            (Ty::Array(a), V::Array(items)) => items.iter().all(|i| self.fits(&a.items, i)),
            (Ty::Ref(id), v) => match (&self.ty(*id).kind, v) {
                (TypeKind::Enum(e), V::String(s)) => e.values.iter().any(|x| &x.value == s),
                (TypeKind::Object(o), V::Object(m)) => {
                    o.properties.iter().all(|p| match m.get(&p.name) {
                        Some(v) => self.fits(&p.ty, v),
                        None => p.optional,
                    }) && (o.additional_properties
                        || m.keys().all(|k| o.properties.iter().any(|p| &p.name == k)))
                }
                _ => false,
            },
            _ => false,
        }
    }
}
