//! The contract as written: every section of every file, merged, with spans.
//! Nothing here is resolved; [`crate::front::resolve`] turns it into the IR.

use crate::front::yaml::Node;
use crate::source::Sp;

/// The built-in type names; any other name refers to an entry of `types:`.
pub const BUILTIN_TYPES: [&str; 9] = [
    "string",
    "integer",
    "number",
    "boolean",
    "timestamp",
    "date",
    "enum",
    "array",
    "object",
];

/// A map entry: a name as written and its definition.
pub type Named<T> = (Sp<String>, T);

#[derive(Debug, Default)]
pub struct Contract {
    pub name: Option<Sp<String>>,
    pub version: Option<Sp<String>>,
    pub identity: Option<Sp<Identity>>,
    pub types: Vec<Named<TypeDef>>,
    pub attributes: Vec<Named<Property>>,
    pub events: Vec<Named<EventDef>>,
    pub segments: Vec<Named<SegmentDef>>,
    pub workflows: Vec<Named<WorkflowDef>>,
    pub lints: Vec<Named<Sp<LintLevel>>>,
}

#[derive(Debug)]
pub struct Identity {
    pub id: Sp<String>,
    pub id_type: Option<Sp<TypeExpr>>,
    pub anonymous_id: Option<Sp<String>>,
}

/// An entry of `types:`.
#[derive(Debug)]
pub struct TypeDef {
    pub ty: Sp<TypeExpr>,
    pub description: Option<Sp<String>>,
    pub deprecated: Option<Sp<String>>,
}

/// A type expression: a name (`string`, `Item`) or a map with a `type` key.
#[derive(Debug, Clone)]
pub enum TypeExpr {
    String(StringKeys),
    Integer(NumberKeys),
    Number(NumberKeys),
    Boolean,
    Timestamp,
    Date,
    Enum(Vec<EnumValue>),
    Array(Box<ArrayKeys>),
    Object(ObjectKeys),
    /// Any other name: an entry of `types`.
    Ref(Sp<String>),
}

#[derive(Debug, Clone, Default)]
pub struct StringKeys {
    pub min_length: Option<Sp<u64>>,
    pub max_length: Option<Sp<u64>>,
    pub pattern: Option<Sp<String>>,
    pub format: Option<Sp<StringFormat>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StringFormat {
    Email,
    E164,
    Uri,
    Uuid,
    Currency,
    Country,
}

impl StringFormat {
    pub const ALL: [(&'static str, StringFormat); 6] = [
        ("email", StringFormat::Email),
        ("e164", StringFormat::E164),
        ("uri", StringFormat::Uri),
        ("uuid", StringFormat::Uuid),
        ("currency", StringFormat::Currency),
        ("country", StringFormat::Country),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("email")
    }
}

#[derive(Debug, Clone, Default)]
pub struct NumberKeys {
    pub minimum: Option<Sp<f64>>,
    pub maximum: Option<Sp<f64>>,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub value: Sp<String>,
    pub description: Option<Sp<String>>,
    pub aliases: Vec<Sp<String>>,
}

#[derive(Debug, Clone)]
pub struct ArrayKeys {
    pub items: Sp<TypeExpr>,
    pub min_items: Option<Sp<u64>>,
    pub max_items: Option<Sp<u64>>,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectKeys {
    pub properties: Vec<Named<Property>>,
    pub additional_properties: Option<Sp<bool>>,
}

/// A property of an event or object, or a person attribute.
#[derive(Debug, Clone)]
pub struct Property {
    pub ty: Sp<TypeExpr>,
    pub description: Option<Sp<String>>,
    pub optional: Option<Sp<bool>>,
    pub pii: Option<Sp<bool>>,
    pub deprecated: Option<Sp<String>>,
    pub examples: Vec<Sp<Node>>,
    /// Attributes only.
    pub consent: Option<Sp<Channel>>,
    /// Attributes only.
    pub derived: Option<Sp<bool>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackfillPolicy {
    Allowed,
    Forbidden,
}

#[derive(Debug)]
pub struct EventDef {
    pub description: Option<Sp<String>>,
    pub owner: Option<Sp<String>>,
    pub idempotency_key: Option<Sp<String>>,
    pub backfill: Option<Sp<BackfillPolicy>>,
    pub deprecated: Option<Sp<String>>,
    pub properties: Vec<Named<Property>>,
}

#[derive(Debug)]
pub struct SegmentDef {
    pub description: Option<Sp<String>>,
    pub all: Option<Sp<Vec<Sp<Condition>>>>,
    pub any: Option<Sp<Vec<Sp<Condition>>>>,
    pub none: Option<Sp<Vec<Sp<Condition>>>>,
}

#[derive(Debug, Clone)]
pub enum Condition {
    Event {
        event: Sp<String>,
        filter: Vec<Named<Vec<Sp<Operator>>>>,
        within: Option<Sp<Duration>>,
        count: Vec<Sp<Operator>>,
    },
    Attribute {
        attribute: Sp<String>,
        op: Sp<Operator>,
    },
    Segment {
        segment: Sp<String>,
    },
}

/// An operator with its operand, as written.
#[derive(Debug, Clone)]
pub enum Operator {
    Equals(Sp<Node>),
    NotEquals(Sp<Node>),
    In(Vec<Sp<Node>>),
    Exists(bool),
    Gt(Sp<Node>),
    Gte(Sp<Node>),
    Lt(Sp<Node>),
    Lte(Sp<Node>),
    Contains(Sp<Node>),
}

impl Operator {
    pub const NAMES: [&'static str; 9] = [
        "equals",
        "not_equals",
        "in",
        "exists",
        "gt",
        "gte",
        "lt",
        "lte",
        "contains",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Operator::Equals(_) => "equals",
            Operator::NotEquals(_) => "not_equals",
            Operator::In(_) => "in",
            Operator::Exists(_) => "exists",
            Operator::Gt(_) => "gt",
            Operator::Gte(_) => "gte",
            Operator::Lt(_) => "lt",
            Operator::Lte(_) => "lte",
            Operator::Contains(_) => "contains",
        }
    }
}

/// A positive duration: a number and a unit (`30m`, `21d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub amount: u64,
    pub unit: DurationUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DurationUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl Duration {
    pub fn seconds(&self) -> u64 {
        let unit = match self.unit {
            DurationUnit::Seconds => 1,
            DurationUnit::Minutes => 60,
            DurationUnit::Hours => 3600,
            DurationUnit::Days => 86_400,
            DurationUnit::Weeks => 604_800,
        };
        self.amount.saturating_mul(unit)
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let u = match self.unit {
            DurationUnit::Seconds => 's',
            DurationUnit::Minutes => 'm',
            DurationUnit::Hours => 'h',
            DurationUnit::Days => 'd',
            DurationUnit::Weeks => 'w',
        };
        write!(f, "{}{u}", self.amount)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Goal {
    Revenue,
    Retention,
    Engagement,
    Transactional,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Email,
    Sms,
    Push,
    InApp,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::InApp => "in_app",
            Channel::Webhook => "webhook",
        }
    }
}

impl Goal {
    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Revenue => "revenue",
            Goal::Retention => "retention",
            Goal::Engagement => "engagement",
            Goal::Transactional => "transactional",
        }
    }
}

#[derive(Debug)]
pub enum Trigger {
    Event {
        event: Sp<String>,
        filter: Vec<Named<Vec<Sp<Operator>>>>,
    },
    Segment {
        segment: Sp<String>,
    },
}

#[derive(Debug)]
pub struct WorkflowDef {
    pub description: Option<Sp<String>>,
    pub goal: Option<Sp<Goal>>,
    pub trigger: Option<Sp<Trigger>>,
    pub audience: Vec<Sp<String>>,
    pub wait: Option<Sp<Duration>>,
    pub exit_when: Option<Sp<Vec<Sp<Condition>>>>,
    pub channels: Vec<Sp<Channel>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LintLevel {
    Allow,
    Warn,
    Deny,
}
