//! IR → the compiled validator: one flat table of check nodes, built once per run.
//!
//! Every type the contract names (and every inline one) becomes a [`Node`]; references
//! between nodes are indices, so recursive types (through arrays) cost nothing. Aliases
//! are followed at compile time, so the hot path never chases a reference.

use std::collections::HashMap;

use regex::Regex;

use super::ViolationLevel;
use super::formats;
use crate::ir::{self, Ir, LintLevel, StringFormat, Ty, TypeKind};
use crate::rules::TrafficRule;

pub(crate) type NodeId = u32;

/// Objects with more properties than this get a hash index instead of a linear scan.
const LINEAR_LOOKUP_MAX: usize = 12;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    String(StringCheck),
    Integer(NumCheck),
    Number(NumCheck),
    Boolean,
    Timestamp,
    Date,
    Array(ArrayCheck),
    Enum(EnumCheck),
    Object(ObjectCheck),
    /// A named alias; only present before [`Compiler::finish`] collapses it.
    Ref(NodeId),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct StringCheck {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// Anchored: `^(?:pattern)$`.
    pub pattern: Option<Regex>,
    /// The pattern as the contract writes it, for messages.
    pub pattern_text: Option<Box<str>>,
    pub format: Option<StringFormat>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NumCheck {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

#[derive(Clone, Debug)]
pub(crate) struct ArrayCheck {
    pub items: NodeId,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

#[derive(Clone, Debug)]
pub(crate) struct EnumCheck {
    pub values: Vec<Box<str>>,
    /// Alias spelling → index into `values`.
    pub aliases: HashMap<Box<str>, u32>,
}

impl EnumCheck {
    #[inline]
    pub fn contains(&self, v: &str) -> bool {
        self.values.iter().any(|x| &**x == v)
    }

    pub fn canonical_of_alias(&self, v: &str) -> Option<&str> {
        self.aliases.get(v).map(|&i| &*self.values[i as usize])
    }
}

#[derive(Clone, Debug)]
pub(crate) struct PropCheck {
    pub name: Box<str>,
    pub node: NodeId,
    pub optional: bool,
}

/// What an object's properties are called in messages, and which code reports an
/// unknown one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ObjectRole {
    /// Event data or a nested object type.
    Data,
    /// Identify attributes: everything optional, Customer.io's per-call limits apply.
    Attributes,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectCheck {
    pub props: Vec<PropCheck>,
    /// `additional_properties: true`.
    pub open: bool,
    pub required: usize,
    pub index: Option<HashMap<Box<str>, u32>>,
    pub role: ObjectRole,
    /// Keys outside the contract that are accepted: Customer.io's own identify keys,
    /// checked against their documented type when they have one.
    pub passthrough: Vec<(Box<str>, Option<NodeId>)>,
    /// An event's data: the properties whose values the contract's promises across
    /// records need (the idempotency key, the revenue), by index into `props`.
    pub watch: Watch,
}

/// The properties of an event's data read for the promises across records.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Watch {
    pub key: Option<usize>,
    pub revenue: Option<usize>,
}

impl ObjectCheck {
    #[inline]
    pub fn lookup(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).map(|&i| i as usize),
            None => self.props.iter().position(|p| &*p.name == key),
        }
    }
}

/// The contract's person id: `identifiers.id` (v2) or the path segment (v1).
#[derive(Clone, Debug)]
pub(crate) struct IdentityCheck {
    pub name: Box<str>,
    pub kind: IdKind,
}

#[derive(Clone, Debug)]
pub(crate) enum IdKind {
    String(StringCheck),
    Integer(NumCheck),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct EventCheck {
    pub data: NodeId,
    /// The contract has an `idempotency_key` for it: it must carry an event `id`, and no
    /// key may be sent twice.
    pub idempotent: bool,
    /// `backfill: forbidden`: never sent as a historical replay.
    pub backfill_forbidden: bool,
}

/// The built-in string formats' regexes (the lists are binary-searched).
#[derive(Clone, Debug)]
pub(crate) struct FormatRegexes {
    pub email: Regex,
    pub e164: Regex,
    pub uri: Regex,
    pub uuid: Regex,
}

impl FormatRegexes {
    fn new() -> Self {
        let re = |p: &str| Regex::new(p).expect("built-in format patterns compile");
        FormatRegexes {
            email: re(formats::EMAIL_PATTERN),
            e164: re(formats::E164_PATTERN),
            uri: re(formats::URI_PATTERN),
            uuid: re(formats::UUID_PATTERN),
        }
    }

    #[inline]
    pub fn check(&self, f: StringFormat, v: &str) -> bool {
        match f {
            StringFormat::Email => self.email.is_match(v),
            StringFormat::E164 => self.e164.is_match(v),
            StringFormat::Uri => self.uri.is_match(v),
            StringFormat::Uuid => self.uuid.is_match(v),
            StringFormat::Currency => formats::is_currency(v),
            StringFormat::Country => formats::is_country(v),
        }
    }
}

/// A contract compiled for validating Track API traffic. Build once ([`Validator::new`]),
/// then share it between threads (it is `Sync`) or clone it per worker (clones get their
/// own regex caches).
#[derive(Clone, Debug)]
pub struct Validator {
    pub(crate) nodes: Vec<Node>,
    /// A human name per node for messages (`string`, `Item`, `array of Item`).
    pub(crate) names: Vec<Box<str>>,
    /// Sorted by name (binary search: a handful of comparisons, no hashing).
    pub(crate) events: Vec<(Box<str>, EventCheck)>,
    /// The same names, for "did you mean".
    pub(crate) event_names: Vec<Box<str>>,
    pub(crate) attributes: NodeId,
    pub(crate) identity: IdentityCheck,
    pub(crate) fmt: FormatRegexes,
    /// The contract's `lints:` levels for the traffic rules it may lower.
    pub(crate) levels: Vec<(TrafficRule, LintLevel)>,
    /// How idempotency keys are compared across records (the same keys in every copy).
    pub(crate) fingerprints: super::promises::Fingerprints,
}

impl Validator {
    /// How a violation of `rule` counts: `None` when the contract silences it.
    #[inline]
    pub(crate) fn level(&self, rule: TrafficRule) -> Option<ViolationLevel> {
        match self.levels.iter().find(|(r, _)| *r == rule) {
            None | Some((_, LintLevel::Deny)) => Some(ViolationLevel::Error),
            Some((_, LintLevel::Warn)) => Some(ViolationLevel::Warning),
            Some((_, LintLevel::Allow)) => None,
        }
    }
}

/// A contract that cannot be compiled (only an invalid pattern can do this, and the
/// checker reports those first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CompileError {}

#[derive(Clone, Copy)]
enum Reserved {
    Any,
    Boolean,
    Timestamp,
}

/// Customer.io's own identify keys (v1 and v2 request bodies): request controls and
/// reserved attributes, not the contract's. A contract attribute of the same name wins.
const RESERVED_ATTRIBUTES: [(&str, Reserved); 7] = [
    ("_update", Reserved::Boolean),
    ("_timestamp", Reserved::Timestamp),
    ("created_at", Reserved::Timestamp),
    ("unsubscribed", Reserved::Any),
    ("cio_subscription_preferences", Reserved::Any),
    ("cio_relationships", Reserved::Any),
    ("id", Reserved::Any),
];

impl Validator {
    /// Compile the IR (from a contract without errors) into a validator.
    pub fn new(ir: &Ir) -> Result<Validator, CompileError> {
        let mut c = Compiler {
            ir,
            nodes: Vec::new(),
            names: Vec::new(),
        };
        // One node per type definition, at the index of its TypeId; filled in below so
        // that references (including recursive ones) resolve to these slots.
        for t in &ir.types {
            c.nodes.push(Node::Boolean);
            c.names.push(t.name.as_str().into());
        }
        for (i, t) in ir.types.iter().enumerate() {
            let node = match &t.kind {
                TypeKind::Enum(e) => Node::Enum(compile_enum(e)),
                TypeKind::Object(o) => Node::Object(c.object(
                    &o.properties,
                    o.additional_properties,
                    ObjectRole::Data,
                )?),
                TypeKind::Alias(ty) => {
                    let inner = c.ty(ty)?;
                    Node::Ref(inner)
                }
            };
            c.names[i] = ir.describe(&Ty::Ref(ir::TypeId(i as u32))).into();
            c.nodes[i] = node;
        }
        let mut events = Vec::with_capacity(ir.events.len());
        for e in &ir.events {
            let mut obj = c.object(&e.properties, false, ObjectRole::Data)?;
            // The revenue a duplicate would count twice: the property the checker's
            // revenue rules read (`revenue`), when it is a number.
            let revenue = e.properties.iter().position(|p| {
                p.name == "revenue"
                    && matches!(ir.underlying(&p.ty), Ty::Number(_) | Ty::Integer(_))
            });
            obj.watch = Watch {
                key: e.idempotency_key,
                revenue,
            };
            let data = c.push(Node::Object(obj), format!("{} data", e.name));
            let check = EventCheck {
                data,
                idempotent: e.idempotency_key.is_some(),
                backfill_forbidden: e.backfill == ir::BackfillPolicy::Forbidden,
            };
            events.push((e.name.clone().into_boxed_str(), check));
        }
        events.sort_by(|a, b| a.0.cmp(&b.0));
        let mut attrs = c.object(&ir.attributes, false, ObjectRole::Attributes)?;
        for p in &mut attrs.props {
            p.optional = true;
        }
        attrs.required = 0;
        let boolean = c.push(Node::Boolean, "boolean".into());
        let timestamp = c.push(Node::Timestamp, "timestamp".into());
        for (name, kind) in RESERVED_ATTRIBUTES {
            if attrs.lookup(name).is_none() {
                let node = match kind {
                    Reserved::Any => None,
                    Reserved::Boolean => Some(boolean),
                    Reserved::Timestamp => Some(timestamp),
                };
                attrs.passthrough.push((name.into(), node));
            }
        }
        // The contract's anonymous id may be set on a person to merge their history.
        if let Some(anon) = &ir.identity.anonymous_id
            && attrs.lookup(anon).is_none()
        {
            attrs.passthrough.push((anon.clone().into(), None));
        }
        let attributes = c.push(Node::Object(attrs), "identify attributes".into());
        let identity = IdentityCheck {
            name: ir.identity.id.clone().into(),
            kind: match ir.underlying(&ir.identity.id_type) {
                Ty::Integer(b) => IdKind::Integer(num(b)),
                Ty::String(s) => IdKind::String(string(s)?),
                // The resolver only allows string and integer ids.
                _ => IdKind::String(StringCheck::default()),
            },
        };
        let event_names: Vec<Box<str>> = events.iter().map(|(n, _)| n.clone()).collect();
        let mut v = Validator {
            nodes: c.nodes,
            names: c.names,
            events,
            event_names,
            attributes,
            identity,
            fmt: FormatRegexes::new(),
            levels: ir.traffic_lints.iter().map(|(r, l)| (*r, *l)).collect(),
            fingerprints: Default::default(),
        };
        v.collapse_refs();
        Ok(v)
    }

    /// Follow `Ref`s once, at compile time, so that every edge points at a real check.
    fn collapse_refs(&mut self) {
        let target = |nodes: &[Node], mut id: NodeId| {
            let mut hops = 0;
            while let Node::Ref(next) = nodes[id as usize] {
                id = next;
                hops += 1;
                if hops > nodes.len() {
                    break; // a cycle of aliases: the resolver rejects these
                }
            }
            id
        };
        let resolved: Vec<NodeId> = (0..self.nodes.len() as NodeId)
            .map(|i| target(&self.nodes, i))
            .collect();
        for node in &mut self.nodes {
            match node {
                Node::Array(a) => a.items = resolved[a.items as usize],
                Node::Object(o) => {
                    for p in &mut o.props {
                        p.node = resolved[p.node as usize];
                    }
                }
                _ => {}
            }
        }
    }

    #[inline]
    pub(crate) fn event(&self, name: &str) -> Option<&EventCheck> {
        self.event_index(name).map(|i| &self.events[i].1)
    }

    /// A contract event's place in name order.
    #[inline]
    pub(crate) fn event_index(&self, name: &str) -> Option<usize> {
        self.events.binary_search_by(|(n, _)| (**n).cmp(name)).ok()
    }

    /// A tap handing simulate each operation's envelope ([`super::record::tap`]), with
    /// the data of the events `want_data` names (by index in name order) and, when
    /// `want_attributes`, identify attributes.
    ///
    /// Simulate also reads the `revenue` of idempotent events, any number sent under that
    /// name, where the promises read only a property the contract declares a number: such
    /// an event's data is handed over too when a `revenue` of another kind can be in a
    /// record the validator accepts (declared as something else, or undeclared in open
    /// data; in closed data an undeclared one is `unknown_property`, always an error).
    #[cfg(feature = "simulate")]
    pub(crate) fn tap(
        &self,
        want_data: impl Fn(usize) -> bool,
        want_attributes: bool,
    ) -> super::record::tap::Tap {
        let data = (self.events.iter().enumerate())
            .map(|(i, (_, e))| {
                let other_revenue = match &self.nodes[e.data as usize] {
                    Node::Object(o) if o.watch.revenue.is_some() => false,
                    Node::Object(o) => {
                        o.lookup("revenue").is_some()
                            || o.open
                            || o.passthrough.iter().any(|(p, _)| &**p == "revenue")
                    }
                    _ => true,
                };
                want_data(i) || (e.idempotent && other_revenue)
            })
            .collect();
        super::record::tap::Tap::new(data, want_attributes)
    }

    /// The contract's event names, sorted.
    pub fn event_names(&self) -> impl Iterator<Item = &str> {
        self.event_names.iter().map(|s| &**s)
    }
}

struct Compiler<'a> {
    ir: &'a Ir,
    nodes: Vec<Node>,
    names: Vec<Box<str>>,
}

impl Compiler<'_> {
    fn push(&mut self, node: Node, name: String) -> NodeId {
        self.nodes.push(node);
        self.names.push(name.into());
        (self.nodes.len() - 1) as NodeId
    }

    fn ty(&mut self, ty: &Ty) -> Result<NodeId, CompileError> {
        let node = match ty {
            Ty::Ref(id) => return Ok(id.0),
            Ty::String(s) => Node::String(string(s)?),
            Ty::Integer(b) => Node::Integer(num(b)),
            Ty::Number(b) => Node::Number(num(b)),
            Ty::Boolean => Node::Boolean,
            Ty::Timestamp => Node::Timestamp,
            Ty::Date => Node::Date,
            Ty::Array(a) => Node::Array(ArrayCheck {
                items: self.ty(&a.items)?,
                min_items: a.min_items,
                max_items: a.max_items,
            }),
        };
        let name = self.ir.describe(ty);
        Ok(self.push(node, name))
    }

    fn object(
        &mut self,
        props: &[ir::Property],
        open: bool,
        role: ObjectRole,
    ) -> Result<ObjectCheck, CompileError> {
        let mut out = Vec::with_capacity(props.len());
        for p in props {
            out.push(PropCheck {
                name: p.name.clone().into(),
                node: self.ty(&p.ty)?,
                optional: p.optional,
            });
        }
        let index = (out.len() > LINEAR_LOOKUP_MAX).then(|| {
            out.iter()
                .enumerate()
                .map(|(i, p)| (p.name.clone(), i as u32))
                .collect()
        });
        Ok(ObjectCheck {
            required: out.iter().filter(|p| !p.optional).count(),
            props: out,
            open,
            index,
            role,
            passthrough: Vec::new(),
            watch: Watch::default(),
        })
    }
}

fn num(b: &ir::Bounds) -> NumCheck {
    NumCheck {
        minimum: b.minimum,
        maximum: b.maximum,
    }
}

fn string(s: &ir::StringTy) -> Result<StringCheck, CompileError> {
    let pattern = match &s.pattern {
        Some(p) => Some(
            Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| CompileError(format!("pattern {p:?} does not compile: {e}")))?,
        ),
        None => None,
    };
    Ok(StringCheck {
        min_length: s.min_length,
        max_length: s.max_length,
        pattern,
        pattern_text: s.pattern.as_deref().map(Into::into),
        format: s.format,
    })
}

fn compile_enum(e: &ir::EnumDef) -> EnumCheck {
    let mut aliases = HashMap::new();
    for (i, v) in e.values.iter().enumerate() {
        for a in &v.aliases {
            aliases
                .entry(a.clone().into_boxed_str())
                .or_insert(i as u32);
        }
    }
    EnumCheck {
        values: e.values.iter().map(|v| v.value.clone().into()).collect(),
        aliases,
    }
}
