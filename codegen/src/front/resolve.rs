//! AST → IR: every name resolved once, every type known, every Rust identifier assigned.
//!
//! Resolution goes on after an error (the bad reference is dropped) so one run reports
//! as much as it can; callers must not emit anything when errors were reported.

use std::collections::{BTreeMap, HashMap};

use crate::analysis::SegmentGraph;
use crate::diag::{Diagnostic, HintBudget, did_you_mean_help_within};
use crate::front::ast::{self, Named, TypeExpr};
use crate::front::yaml::Node;
use crate::ir::*;
use crate::naming;
use crate::rules::{AnyRule, CheckRule, TrafficRule};
use crate::source::{Sp, Span};

/// The Rust name of the identify attributes struct; reserved in the type namespace.
pub const ATTRIBUTES_STRUCT: &str = "PersonAttributes";

use crate::front::ast::BUILTIN_TYPES as BUILTIN_NAMES;

pub fn resolve(c: &ast::Contract, diags: &mut Vec<Diagnostic>) -> Option<Ir> {
    let mut r = Resolver {
        diags,
        types: Vec::new(),
        type_names: HashMap::new(),
        named_exprs: Vec::new(),
        poisoned: Default::default(),
        hints: HintBudget::per_run(),
    };
    r.run(c)
}

struct Resolver<'a> {
    diags: &'a mut Vec<Diagnostic>,
    types: Vec<TypeDef>,
    /// Named types by contract name.
    type_names: HashMap<String, TypeId>,
    /// The expression of each named type, resolved after all names are known.
    named_exprs: Vec<(TypeId, Sp<TypeExpr>)>,
    /// Properties (`owner.name`) dropped because their type did not resolve: paths
    /// through them are not reported again.
    poisoned: std::collections::HashSet<String>,
    /// "Did you mean" work left for this contract (thousands of unknown names must not
    /// each be compared with thousands of candidates).
    hints: HintBudget,
}

/// Entries sorted by name, with duplicates reported (pointing at both places) and dropped.
fn unique_sorted<'c, T>(
    entries: &'c [Named<T>],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'c Named<T>> {
    let mut seen: BTreeMap<&str, &Named<T>> = BTreeMap::new();
    for e in entries {
        if let Some(first) = seen.get(e.0.value.as_str()) {
            diags.push(
                Diagnostic::new(
                    CheckRule::DuplicateDefinition,
                    e.0.span,
                    format!("{what} `{}` is defined twice", e.0.value),
                )
                .label("defined again here")
                .secondary(first.0.span, "first defined here")
                .help("rename one of them, or merge the two definitions".to_string()),
            );
        } else {
            seen.insert(&e.0.value, e);
        }
    }
    seen.into_values().collect()
}

fn parse_version(s: &str) -> Option<Version> {
    let core = s.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let mut num = || -> Option<u64> {
        let p = parts.next()?;
        if p.is_empty()
            || (p.len() > 1 && p.starts_with('0'))
            || !p.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        p.parse().ok()
    };
    let v = Version {
        major: num()?,
        minor: num()?,
        patch: num()?,
    };
    parts.next().is_none().then_some(v)
}

impl Resolver<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self, c: &ast::Contract) -> Option<Ir> {
        let name = match &c.name {
            Some(n) => n.value.clone(),
            None => {
                self.missing("contract", "add `contract: my-program` to one file");
                String::new()
            }
        };
        let version = match &c.version {
            Some(v) => match parse_version(&v.value) {
                Some(ver) => ver,
                None => {
                    self.push(
                        Diagnostic::new(
                            CheckRule::InvalidVersion,
                            v.span,
                            format!("`{}` is not a semver version", v.value),
                        )
                        .label("expected MAJOR.MINOR.PATCH")
                        .help("write it as `\"1.0.0\"`"),
                    );
                    Version {
                        major: 0,
                        minor: 0,
                        patch: 0,
                    }
                }
            },
            None => {
                self.missing("version", "add `version: \"1.0.0\"` to one file");
                Version {
                    major: 0,
                    minor: 0,
                    patch: 0,
                }
            }
        };

        // Named types first, so that every later reference can resolve.
        let named = unique_sorted(&c.types, "type", self.diags);
        for (n, def) in &named {
            let id = TypeId(self.types.len() as u32);
            self.types.push(TypeDef {
                name: n.value.clone(),
                rust_name: naming::type_ident(&n.value),
                origin: TypeOrigin::Named,
                description: def.description.as_ref().map(|d| d.value.clone()),
                deprecated: def.deprecated.as_ref().map(|d| d.value.clone()),
                kind: TypeKind::Alias(Ty::Boolean),
                span: n.span,
            });
            self.type_names.insert(n.value.clone(), id);
            self.named_exprs.push((id, def.ty.clone()));
        }
        for (id, expr) in std::mem::take(&mut self.named_exprs) {
            let owner = self.types[id.0 as usize].name.clone();
            let kind = match &expr.value {
                TypeExpr::Enum(values) => Some(TypeKind::Enum(self.enum_def(values, &owner))),
                TypeExpr::Object(o) => Some(TypeKind::Object(self.object_def(o, &owner))),
                _ => self.ty(&expr, &owner).map(TypeKind::Alias),
            };
            if let Some(kind) = kind {
                self.types[id.0 as usize].kind = kind;
            }
        }
        self.check_type_cycles();

        let identity = self.identity(c);

        let attr_entries = unique_sorted(&c.attributes, "attribute", self.diags);
        let attributes: Vec<Property> = attr_entries
            .iter()
            .filter_map(|(n, p)| self.property(n, p, &n.value, true))
            .collect();
        self.check_fields(&attributes, "identify attributes");

        let event_entries = unique_sorted(&c.events, "event", self.diags);
        let events: Vec<Event> = event_entries
            .iter()
            .map(|(n, e)| self.event(n, e))
            .collect();

        self.check_type_namespace(&events);

        let seg_entries = unique_sorted(&c.segments, "segment", self.diags);
        let wf_entries = unique_sorted(&c.workflows, "workflow", self.diags);
        let scope = Scope {
            events: &events,
            attributes: &attributes,
            segments: seg_entries.iter().map(|(n, _)| n.value.as_str()).collect(),
        };
        let segments: Vec<Segment> = seg_entries
            .iter()
            .map(|(n, s)| Segment {
                name: n.value.clone(),
                description: s.description.as_ref().map(|d| d.value.clone()),
                all: self.conditions(s.all.as_ref(), &scope),
                any: self.conditions(s.any.as_ref(), &scope),
                none: self.conditions(s.none.as_ref(), &scope),
                span: n.span,
            })
            .collect();
        self.check_segment_cycles(&segments);
        let workflows: Vec<Workflow> = wf_entries
            .iter()
            .map(|(n, w)| self.workflow(n, w, &scope))
            .collect();
        let (lints, traffic_lints) = self.lints(c);

        Some(Ir {
            name,
            version,
            identity: identity?,
            types: std::mem::take(&mut self.types),
            attributes,
            events,
            segments,
            workflows,
            lints,
            traffic_lints,
        })
    }

    fn missing(&mut self, key: &str, help: &str) {
        // A file that did not parse may well hold the section: its `yaml-syntax` error is
        // the one to fix, and "missing" would be noise (or wrong).
        if self.diags.iter().any(|d| d.code == CheckRule::YamlSyntax) {
            return;
        }
        // Without a better place, point at the start of the first file.
        let span = Span::file_start(crate::source::FileId(0));
        self.push(
            Diagnostic::new(
                CheckRule::MissingSection,
                span,
                format!("the contract has no `{key}`"),
            )
            .label(format!("`{key}` is required in exactly one file"))
            .help(help.to_owned()),
        );
    }

    fn identity(&mut self, c: &ast::Contract) -> Option<Identity> {
        let Some(id) = &c.identity else {
            self.missing(
                "identity",
                "add `identity: { id: customer_id }` to one file",
            );
            return None;
        };
        let id_type = match &id.value.id_type {
            None => Ty::String(StringTy::default()),
            Some(t) => {
                let ty = self.ty(t, "identity")?;
                match self.underlying_local(&ty) {
                    Ty::String(_) | Ty::Integer(_) => ty,
                    _ => {
                        self.push(
                            Diagnostic::new(
                                CheckRule::InvalidValue,
                                t.span,
                                "`id_type` must be a string or an integer",
                            )
                            .label("Track API identifiers are strings or integers"),
                        );
                        Ty::String(StringTy::default())
                    }
                }
            }
        };
        Some(Identity {
            id: id.value.id.value.clone(),
            id_type,
            anonymous_id: id.value.anonymous_id.as_ref().map(|a| a.value.clone()),
            span: id.value.id.span,
        })
    }

    fn underlying_local<'t>(&'t self, mut ty: &'t Ty) -> &'t Ty {
        let mut steps = 0;
        while let Ty::Ref(id) = ty {
            match &self.types[id.0 as usize].kind {
                TypeKind::Alias(inner) if steps < 64 => {
                    ty = inner;
                    steps += 1;
                }
                _ => break,
            }
        }
        ty
    }

    fn ty(&mut self, expr: &Sp<TypeExpr>, owner: &str) -> Option<Ty> {
        Some(match &expr.value {
            TypeExpr::String(s) => {
                if let Some(p) = &s.pattern
                    && let Some(d) = pattern_problem(p)
                {
                    self.push(d);
                }
                self.check_bounds(
                    s.min_length.as_ref().map(|v| v.map(|x| x as f64)),
                    s.max_length.as_ref().map(|v| v.map(|x| x as f64)),
                    "min_length",
                    "max_length",
                );
                Ty::String(StringTy {
                    min_length: s.min_length.as_ref().map(|v| v.value),
                    max_length: s.max_length.as_ref().map(|v| v.value),
                    pattern: s.pattern.as_ref().map(|v| v.value.clone()),
                    format: s.format.as_ref().map(|v| v.value),
                })
            }
            TypeExpr::Integer(b) | TypeExpr::Number(b) => {
                self.check_bounds(b.minimum, b.maximum, "minimum", "maximum");
                let bounds = Bounds {
                    minimum: b.minimum.as_ref().map(|v| v.value),
                    maximum: b.maximum.as_ref().map(|v| v.value),
                };
                if matches!(expr.value, TypeExpr::Integer(_)) {
                    Ty::Integer(bounds)
                } else {
                    Ty::Number(bounds)
                }
            }
            TypeExpr::Boolean => Ty::Boolean,
            TypeExpr::Timestamp => Ty::Timestamp,
            TypeExpr::Date => Ty::Date,
            TypeExpr::Array(a) => {
                self.check_bounds(
                    a.min_items.as_ref().map(|v| v.map(|x| x as f64)),
                    a.max_items.as_ref().map(|v| v.map(|x| x as f64)),
                    "min_items",
                    "max_items",
                );
                let items = self.ty(&a.items, &format!("{owner} item"))?;
                Ty::Array(Box::new(ArrayTy {
                    items,
                    min_items: a.min_items.as_ref().map(|v| v.value),
                    max_items: a.max_items.as_ref().map(|v| v.value),
                }))
            }
            TypeExpr::Enum(values) => {
                let def = self.enum_def(values, owner);
                Ty::Ref(self.inline(owner, expr.span, TypeKind::Enum(def)))
            }
            TypeExpr::Object(o) => {
                let def = self.object_def(o, owner);
                Ty::Ref(self.inline(owner, expr.span, TypeKind::Object(def)))
            }
            TypeExpr::Ref(name) => match self.type_names.get(&name.value) {
                Some(id) => Ty::Ref(*id),
                None => {
                    let mut candidates: Vec<&str> =
                        self.type_names.keys().map(String::as_str).collect();
                    candidates.sort_unstable();
                    candidates.extend(BUILTIN_NAMES);
                    let help = did_you_mean_help_within(
                        &mut self.hints,
                        &name.value,
                        candidates.iter().copied(),
                    )
                    .unwrap_or_else(|| {
                        format!(
                            "define it under `types:`, or use a built-in type: {}",
                            BUILTIN_NAMES.join(", ")
                        )
                    });
                    self.push(
                        Diagnostic::new(
                            CheckRule::UnknownType,
                            name.span,
                            format!("unknown type `{}`", name.value),
                        )
                        .label("not a built-in type or an entry of `types:`")
                        .help(help),
                    );
                    return None;
                }
            },
        })
    }

    fn check_bounds(
        &mut self,
        lo: Option<Sp<f64>>,
        hi: Option<Sp<f64>>,
        lo_name: &str,
        hi_name: &str,
    ) {
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo.value > hi.value
        {
            self.push(
                Diagnostic::new(
                    CheckRule::InvalidBounds,
                    hi.span,
                    format!(
                        "`{hi_name}` {} is less than `{lo_name}` {}",
                        hi.value, lo.value
                    ),
                )
                .label("no value fits")
                .secondary(lo.span, format!("`{lo_name}` set here")),
            );
        }
    }

    fn inline(&mut self, owner: &str, span: Span, kind: TypeKind) -> TypeId {
        let id = TypeId(self.types.len() as u32);
        self.types.push(TypeDef {
            name: owner.to_owned(),
            rust_name: naming::type_ident(&owner.replace('.', " ")),
            origin: TypeOrigin::Inline {
                owner: owner.to_owned(),
            },
            description: None,
            deprecated: None,
            kind,
            span,
        });
        id
    }

    fn enum_def(&mut self, values: &[ast::EnumValue], owner: &str) -> EnumDef {
        let mut out: Vec<EnumValue> = Vec::new();
        // Every spelling (value or alias) → where it was first written.
        let mut spellings: HashMap<&str, Span> = HashMap::new();
        let mut idents: HashMap<String, (Span, &str)> = HashMap::new();
        for v in values {
            let mut dup = false;
            for s in std::iter::once(&v.value).chain(&v.aliases) {
                if let Some(first) = spellings.get(s.value.as_str()) {
                    self.push(
                        Diagnostic::new(
                            CheckRule::DuplicateDefinition,
                            s.span,
                            format!("`{}` appears twice in enum `{owner}`", s.value),
                        )
                        .label("written again here")
                        .secondary(*first, "first written here")
                        .help("each spelling belongs to one value; remove one of them"),
                    );
                    dup |= std::ptr::eq(s, &v.value);
                } else {
                    spellings.insert(&s.value, s.span);
                }
            }
            if dup {
                continue;
            }
            let rust_name = naming::variant_ident(&v.value.value);
            if let Some((first, other)) = idents.get(&rust_name) {
                self.push(
                    Diagnostic::new(
                        CheckRule::IdentifierCollision,
                        v.value.span,
                        format!("enum values `{}` and `{other}` of `{owner}` both become the Rust variant `{rust_name}`", v.value.value),
                    )
                    .label(format!("becomes `{rust_name}`"))
                    .secondary(*first, format!("also becomes `{rust_name}`"))
                    .help("rename one value, or make one an alias of the other"),
                );
                continue;
            }
            idents.insert(rust_name.clone(), (v.value.span, &v.value.value));
            out.push(EnumValue {
                value: v.value.value.clone(),
                rust_name,
                description: v.description.as_ref().map(|d| d.value.clone()),
                aliases: v.aliases.iter().map(|a| a.value.clone()).collect(),
                span: v.value.span,
            });
        }
        if values.is_empty() {
            // Nothing to point at but the owner; the enum is still usable as empty.
        }
        EnumDef { values: out }
    }

    fn object_def(&mut self, o: &ast::ObjectKeys, owner: &str) -> ObjectDef {
        let properties: Vec<Property> = o
            .properties
            .iter()
            .filter_map(|(n, p)| self.property(n, p, &format!("{owner}.{}", n.value), false))
            .collect();
        self.check_fields(&properties, &format!("`{owner}`"));
        ObjectDef {
            properties,
            additional_properties: o.additional_properties.as_ref().is_some_and(|b| b.value),
        }
    }

    fn property(
        &mut self,
        name: &Sp<String>,
        p: &ast::Property,
        owner: &str,
        attribute: bool,
    ) -> Option<Property> {
        let Some(ty) = self.ty(&p.ty, owner) else {
            self.poisoned.insert(owner.to_owned());
            return None;
        };
        Some(Property {
            name: name.value.clone(),
            rust_name: naming::field_ident(&name.value),
            ty,
            optional: attribute || p.optional.as_ref().is_some_and(|o| o.value),
            description: p.description.as_ref().map(|d| d.value.clone()),
            pii: p.pii.as_ref().is_some_and(|b| b.value),
            deprecated: p.deprecated.as_ref().map(|d| d.value.clone()),
            examples: p.examples.iter().map(|e| e.value.to_json()).collect(),
            consent: p.consent.as_ref().map(|c| c.value),
            derived: p.derived.as_ref().is_some_and(|b| b.value),
            span: name.span,
            ty_span: p.ty.span,
        })
    }

    /// Fields of one struct must stay distinct as Rust identifiers.
    fn check_fields(&mut self, props: &[Property], owner: &str) {
        let mut seen: HashMap<&str, &Property> = HashMap::new();
        for p in props {
            if let Some(first) = seen.get(p.rust_name.as_str()) {
                let d = Diagnostic::new(
                    CheckRule::IdentifierCollision,
                    p.span,
                    format!(
                        "properties `{}` and `{}` of {owner} both become the Rust field `{}`",
                        p.name, first.name, p.rust_name
                    ),
                )
                .label(format!("becomes `{}`", p.rust_name))
                .secondary(first.span, format!("also becomes `{}`", p.rust_name))
                .help("rename one of them; one spelling per concept");
                self.push(d);
            } else {
                seen.insert(&p.rust_name, p);
            }
        }
    }

    /// Event structs, named types, inline types and the attributes struct share one module.
    fn check_type_namespace(&mut self, events: &[Event]) {
        let mut seen: HashMap<String, (Span, String)> = HashMap::new();
        let mut items: Vec<(String, Span, String)> = Vec::new();
        for t in &self.types {
            let what = match t.origin {
                TypeOrigin::Named => format!("type `{}`", t.name),
                TypeOrigin::Inline { .. } => format!("the inline type at `{}`", t.name),
            };
            items.push((t.rust_name.clone(), t.span, what));
        }
        for e in events {
            items.push((e.rust_name.clone(), e.span, format!("event `{}`", e.name)));
        }
        for (rust, span, what) in items {
            if rust == ATTRIBUTES_STRUCT {
                self.push(
                    Diagnostic::new(
                        CheckRule::IdentifierCollision,
                        span,
                        format!(
                            "{what} becomes `{rust}`, the name of the generated identify struct"
                        ),
                    )
                    .label(format!("becomes `{rust}`"))
                    .help("rename it"),
                );
                continue;
            }
            if let Some((first, first_what)) = seen.get(&rust) {
                self.push(
                    Diagnostic::new(
                        CheckRule::IdentifierCollision,
                        span,
                        format!("{what} and {first_what} both become the Rust type `{rust}`"),
                    )
                    .label(format!("becomes `{rust}`"))
                    .secondary(*first, format!("also becomes `{rust}`"))
                    .help("rename one of them"),
                );
            } else {
                seen.insert(rust, (span, what));
            }
        }
    }

    /// Named types may not contain themselves except through an array (which gives the
    /// Rust type an indirection and the data a way to end).
    fn check_type_cycles(&mut self) {
        let n = self.types.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut found: Vec<(usize, usize)> = Vec::new();
        fn edges(types: &[TypeDef], id: usize) -> Vec<usize> {
            fn direct(ty: &Ty, out: &mut Vec<usize>) {
                if let Ty::Ref(t) = ty {
                    out.push(t.0 as usize)
                }
            }
            let mut out = Vec::new();
            match &types[id].kind {
                TypeKind::Alias(t) => direct(t, &mut out),
                // An optional property ends the data (and the Rust emitter boxes it).
                TypeKind::Object(o) => o
                    .properties
                    .iter()
                    .filter(|p| !p.optional)
                    .for_each(|p| direct(&p.ty, &mut out)),
                TypeKind::Enum(_) => {}
            }
            out
        }
        fn dfs(types: &[TypeDef], v: usize, state: &mut [u8], found: &mut Vec<(usize, usize)>) {
            state[v] = 1;
            for w in edges(types, v) {
                if w >= state.len() {
                    continue;
                }
                if state[w] == 1 {
                    found.push((v, w));
                } else if state[w] == 0 {
                    dfs(types, w, state, found);
                }
            }
            state[v] = 2;
        }
        for v in 0..n {
            if state[v] == 0 {
                dfs(&self.types, v, &mut state, &mut found);
            }
        }
        for (from, to) in found {
            let (f, t) = (&self.types[from], &self.types[to]);
            let d = Diagnostic::new(
                CheckRule::TypeCycle,
                f.span,
                format!(
                    "type `{}` contains `{}`, which contains it again",
                    f.name, t.name
                ),
            )
            .label("part of a cycle")
            .secondary(t.span, "cycle closes here")
            .help("go through an array (`{ type: array, items: ... }`) to break the cycle");
            self.push(d);
            // Cut the cycle so later passes terminate.
            if let TypeKind::Alias(_) = self.types[from].kind {
                self.types[from].kind = TypeKind::Alias(Ty::Boolean);
            }
        }
    }

    fn event(&mut self, name: &Sp<String>, e: &ast::EventDef) -> Event {
        let properties: Vec<Property> = e
            .properties
            .iter()
            .filter_map(|(n, p)| self.property(n, p, &format!("{}.{}", name.value, n.value), false))
            .collect();
        self.check_fields(&properties, &format!("event `{}`", name.value));
        let mut idempotency_key = None;
        if let Some(k) = &e.idempotency_key {
            match properties.iter().position(|p| p.name == k.value) {
                Some(i) => {
                    let p = &properties[i];
                    let ok_type =
                        matches!(self.underlying_local(&p.ty), Ty::String(_) | Ty::Integer(_));
                    if p.optional || !ok_type {
                        let why = if p.optional {
                            "is optional"
                        } else {
                            "is not a string or an integer"
                        };
                        self.push(
                            Diagnostic::new(
                                CheckRule::InvalidIdempotencyKey,
                                k.span,
                                format!("idempotency key `{}` {why}", k.value),
                            )
                            .label("the event id is derived from this property")
                            .secondary(p.span, "declared here")
                            .help("the key must be a required string or integer property"),
                        );
                    } else {
                        idempotency_key = Some(i);
                    }
                }
                None => {
                    let help = did_you_mean_help_within(
                        &mut self.hints,
                        &k.value,
                        properties.iter().map(|p| p.name.as_str()),
                    )
                    .unwrap_or_else(|| {
                        format!("add a required property `{}` to the event", k.value)
                    });
                    self.push(
                        Diagnostic::new(
                            CheckRule::UnknownProperty,
                            k.span,
                            format!(
                                "idempotency key `{}` is not a property of `{}`",
                                k.value, name.value
                            ),
                        )
                        .label("no such property")
                        .help(help),
                    );
                }
            }
        }
        Event {
            name: name.value.clone(),
            rust_name: naming::type_ident(&name.value),
            description: e.description.as_ref().map(|d| d.value.clone()),
            owner: e.owner.as_ref().map(|d| d.value.clone()),
            idempotency_key,
            backfill: e
                .backfill
                .as_ref()
                .map_or(BackfillPolicy::Forbidden, |b| b.value),
            deprecated: e.deprecated.as_ref().map(|d| d.value.clone()),
            properties,
            span: name.span,
        }
    }

    fn conditions(
        &mut self,
        list: Option<&Sp<Vec<Sp<ast::Condition>>>>,
        scope: &Scope<'_>,
    ) -> Vec<Condition> {
        let Some(list) = list else { return Vec::new() };
        list.value
            .iter()
            .filter_map(|c| self.condition(c, scope))
            .collect()
    }

    fn condition(&mut self, c: &Sp<ast::Condition>, scope: &Scope<'_>) -> Option<Condition> {
        Some(match &c.value {
            ast::Condition::Event {
                event,
                filter,
                within,
                count,
            } => {
                let id = self.event_ref(event, scope)?;
                let ev = &scope.events[id.0 as usize];
                let filter = self.filters(filter, ev);
                let count = count
                    .iter()
                    .filter_map(|op| {
                        if let ast::Operator::Exists(_) = op.value {
                            // A number of events is always there: `exists` would hold
                            // (or fail) for everyone, events or none.
                            self.push(
                                Diagnostic::new(
                                    CheckRule::OperatorTypeMismatch,
                                    op.span,
                                    "`exists` does not apply to a count: a count is never missing",
                                )
                                .help("write `count: { gte: 1 }` (at least once) or `count: { equals: 0 }` (never)"),
                            );
                            return None;
                        }
                        self.op(
                            op,
                            &Ty::Integer(Bounds {
                                minimum: Some(0.0),
                                maximum: None,
                            }),
                            "the count",
                        )
                    })
                    .collect();
                Condition::Event {
                    event: id,
                    filter,
                    within: within.as_ref().map(|w| w.value),
                    count,
                    span: c.span,
                }
            }
            ast::Condition::Attribute { attribute, op } => {
                let Some(i) = scope
                    .attributes
                    .iter()
                    .position(|a| a.name == attribute.value)
                else {
                    let help = did_you_mean_help_within(
                        &mut self.hints,
                        &attribute.value,
                        scope.attributes.iter().map(|a| a.name.as_str()),
                    )
                    .unwrap_or_else(|| "declare it under `attributes:`".into());
                    self.push(
                        Diagnostic::new(
                            CheckRule::UnknownAttribute,
                            attribute.span,
                            format!("unknown attribute `{}`", attribute.value),
                        )
                        .label("not an entry of `attributes:`")
                        .help(help),
                    );
                    return None;
                };
                let ty = scope.attributes[i].ty.clone();
                let op = self.op(op, &ty, &format!("attribute `{}`", attribute.value))?;
                Condition::Attribute {
                    attribute: AttributeId(i as u32),
                    op,
                    span: c.span,
                }
            }
            ast::Condition::Segment { segment } => Condition::Segment {
                segment: self.segment_ref(segment, scope)?,
                span: c.span,
            },
        })
    }

    fn event_ref(&mut self, name: &Sp<String>, scope: &Scope<'_>) -> Option<EventId> {
        match scope
            .events
            .binary_search_by(|e| e.name.as_str().cmp(&name.value))
        {
            Ok(i) => Some(EventId(i as u32)),
            Err(_) => {
                let help = did_you_mean_help_within(
                    &mut self.hints,
                    &name.value,
                    scope.events.iter().map(|e| e.name.as_str()),
                )
                .unwrap_or_else(|| "declare it under `events:`".into());
                self.push(
                    Diagnostic::new(
                        CheckRule::UnknownEvent,
                        name.span,
                        format!("unknown event `{}`", name.value),
                    )
                    .label("not an entry of `events:`")
                    .help(help),
                );
                None
            }
        }
    }

    fn segment_ref(&mut self, name: &Sp<String>, scope: &Scope<'_>) -> Option<SegmentId> {
        match scope.segments.binary_search(&name.value.as_str()) {
            Ok(i) => Some(SegmentId(i as u32)),
            Err(_) => {
                let help = did_you_mean_help_within(
                    &mut self.hints,
                    &name.value,
                    scope.segments.iter().copied(),
                )
                .unwrap_or_else(|| "declare it under `segments:`".into());
                self.push(
                    Diagnostic::new(
                        CheckRule::UnknownSegment,
                        name.span,
                        format!("unknown segment `{}`", name.value),
                    )
                    .label("not an entry of `segments:`")
                    .help(help),
                );
                None
            }
        }
    }

    fn filters(&mut self, filter: &[Named<Vec<Sp<ast::Operator>>>], ev: &Event) -> Vec<Filter> {
        let mut out = Vec::new();
        for (path, ops) in filter {
            let Some(ty) = self.walk_path(path, &ev.properties, &ev.name) else {
                continue;
            };
            let what = format!("`{}`", path.value);
            let ops = ops
                .iter()
                .filter_map(|op| self.op(op, &ty, &what))
                .collect();
            out.push(Filter {
                path: path.value.split('.').map(str::to_owned).collect(),
                ty,
                ops,
                span: path.span,
            });
        }
        out
    }

    /// The type at the end of a dotted path, stepping through arrays and objects.
    fn walk_path(&mut self, path: &Sp<String>, props: &[Property], event: &str) -> Option<Ty> {
        let mut level: Vec<Property> = props.to_vec();
        let mut ty: Option<Ty> = None;
        let mut walked = String::new();
        for (i, part) in path.value.split('.').enumerate() {
            if i > 0 {
                // Step into the object reached so far (through arrays of objects).
                let mut t = ty.clone()?;
                loop {
                    match self.underlying_local(&t).clone() {
                        Ty::Array(a) => t = a.items,
                        other => {
                            t = other;
                            break;
                        }
                    }
                }
                match &t {
                    Ty::Ref(id) => match &self.types[id.0 as usize].kind {
                        TypeKind::Object(o) => level = o.properties.clone(),
                        _ => return self.no_path(path, &walked, "is not an object", &[]),
                    },
                    _ => return self.no_path(path, &walked, "is not an object", &[]),
                }
            }
            let Some(p) = level.iter().find(|p| p.name == part) else {
                let prefix = if walked.is_empty() {
                    event.to_owned()
                } else {
                    format!("{event}.{walked}")
                };
                if self.poisoned.contains(&format!("{prefix}.{part}"))
                    || self
                        .poisoned
                        .iter()
                        .any(|q| q.starts_with(&format!("{prefix}.")))
                        && !walked.is_empty()
                {
                    return None;
                }
                let names: Vec<String> = level.iter().map(|p| p.name.clone()).collect();
                let at = if walked.is_empty() {
                    format!("event `{event}`")
                } else {
                    format!("`{walked}`")
                };
                return self.no_path(path, part, &format!("is not a property of {at}"), &names);
            };
            ty = Some(p.ty.clone());
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(part);
        }
        ty
    }

    fn no_path(
        &mut self,
        path: &Sp<String>,
        part: &str,
        why: &str,
        names: &[String],
    ) -> Option<Ty> {
        let help =
            did_you_mean_help_within(&mut self.hints, part, names.iter().map(String::as_str))
                .unwrap_or_else(|| {
                    if names.is_empty() {
                        "paths go into objects and arrays of objects with dots (`items.category`)"
                            .into()
                    } else {
                        format!("properties here: {}", names.join(", "))
                    }
                });
        self.push(
            Diagnostic::new(
                CheckRule::UnknownProperty,
                path.span,
                format!("`{part}` {why}"),
            )
            .label("in this path")
            .help(help),
        );
        None
    }

    /// Check an operator against the compared type; the IR keeps the operand as JSON.
    fn op(&mut self, op: &Sp<ast::Operator>, ty: &Ty, what: &str) -> Option<Op> {
        use ast::Operator as A;
        let under = self.underlying_local(ty).clone();
        let mismatch = |r: &mut Self, why: String, help: &str| {
            r.push(
                Diagnostic::new(
                    CheckRule::OperatorTypeMismatch,
                    op.span,
                    format!("`{}` {why}", op.value.name()),
                )
                .label(format!("{what} is {}", r.describe(&under)))
                .help(help.to_owned()),
            );
            None
        };
        match &op.value {
            A::Exists(b) => Some(Op::Exists(*b)),
            A::Gt(v) | A::Gte(v) | A::Lt(v) | A::Lte(v) => {
                if !matches!(
                    under,
                    Ty::Integer(_) | Ty::Number(_) | Ty::Timestamp | Ty::Date
                ) {
                    return mismatch(
                        self,
                        format!("cannot compare {}", self.describe(&under)),
                        "`gt`, `gte`, `lt` and `lte` apply to integers, numbers, timestamps and dates",
                    );
                }
                let v = self.operand(v, &under, what)?;
                Some(match &op.value {
                    A::Gt(_) => Op::Gt(v),
                    A::Gte(_) => Op::Gte(v),
                    A::Lt(_) => Op::Lt(v),
                    _ => Op::Lte(v),
                })
            }
            A::Contains(v) => match &under {
                Ty::String(_) => Some(Op::Contains(self.operand(
                    v,
                    &Ty::String(StringTy::default()),
                    what,
                )?)),
                Ty::Array(a) => {
                    let items = a.items.clone();
                    Some(Op::Contains(self.operand(v, &items, what)?))
                }
                _ => mismatch(
                    self,
                    format!("does not apply to {}", self.describe(&under)),
                    "`contains` applies to strings and arrays",
                ),
            },
            A::Equals(v) | A::NotEquals(v) => {
                if matches!(under, Ty::Array(_))
                    || matches!(&under, Ty::Ref(id) if matches!(self.types[id.0 as usize].kind, TypeKind::Object(_)))
                {
                    return mismatch(
                        self,
                        format!("does not apply to {}", self.describe(&under)),
                        "compare a scalar property; use `contains` for arrays",
                    );
                }
                let v = self.operand(v, &under, what)?;
                Some(if matches!(op.value, A::Equals(_)) {
                    Op::Equals(v)
                } else {
                    Op::NotEquals(v)
                })
            }
            A::In(vs) => {
                if matches!(under, Ty::Array(_))
                    || matches!(&under, Ty::Ref(id) if matches!(self.types[id.0 as usize].kind, TypeKind::Object(_)))
                {
                    return mismatch(
                        self,
                        format!("does not apply to {}", self.describe(&under)),
                        "compare a scalar property",
                    );
                }
                let mut out = Vec::new();
                for v in vs {
                    out.push(self.operand(v, &under, what)?);
                }
                Some(Op::In(out))
            }
        }
    }

    fn describe(&self, ty: &Ty) -> String {
        match ty {
            Ty::String(_) => "a string".into(),
            Ty::Integer(_) => "an integer".into(),
            Ty::Number(_) => "a number".into(),
            Ty::Boolean => "a boolean".into(),
            Ty::Timestamp => "a timestamp".into(),
            Ty::Date => "a date".into(),
            Ty::Array(_) => "an array".into(),
            Ty::Ref(id) => {
                let t = &self.types[id.0 as usize];
                match &t.kind {
                    TypeKind::Enum(_) => format!("the enum `{}`", t.name),
                    TypeKind::Object(_) => format!("the object `{}`", t.name),
                    TypeKind::Alias(inner) => self.describe(inner),
                }
            }
        }
    }

    /// An operand must be a value of the compared type.
    fn operand(&mut self, v: &Sp<Node>, ty: &Ty, what: &str) -> Option<serde_json::Value> {
        let under = self.underlying_local(ty).clone();
        let bad = |r: &mut Self, expected: String| {
            let d = Diagnostic::new(
                CheckRule::OperatorTypeMismatch,
                v.span,
                format!("{} does not fit {what}", r.show(&v.value)),
            )
            .label(format!("expected {expected}"));
            r.push(d);
            None
        };
        match (&under, &v.value) {
            (Ty::String(_), Node::Str(s)) => Some(s.as_str().into()),
            (Ty::Integer(_) | Ty::Timestamp, Node::Int(i)) => Some((*i).into()),
            (Ty::Integer(_), Node::Float(f)) if f.fract() == 0.0 => Some((*f as i64).into()),
            (Ty::Number(_), Node::Int(i)) => Some((*i).into()),
            (Ty::Number(_), Node::Float(f)) => Some(serde_json::Number::from_f64(*f)?.into()),
            (Ty::Boolean, Node::Bool(b)) => Some((*b).into()),
            (Ty::Date, Node::Str(s)) if trackc_wire::time::parse_date(s).is_ok() => {
                Some(s.as_str().into())
            }
            (Ty::Ref(id), _) if matches!(self.types[id.0 as usize].kind, TypeKind::Enum(_)) => {
                let TypeKind::Enum(e) = &self.types[id.0 as usize].kind else {
                    return None;
                };
                let text = match &v.value {
                    Node::Str(s) => s.clone(),
                    other => other.to_json().to_string(),
                };
                if e.values.iter().any(|x| x.value == text) {
                    return Some(text.into());
                }
                let enum_name = self.types[id.0 as usize].name.clone();
                let d = if let Some(canon) = e.values.iter().find(|x| x.aliases.contains(&text)) {
                    Diagnostic::new(
                        CheckRule::InvalidEnumValue,
                        v.span,
                        format!("`{text}` is an alias of `{}` in `{enum_name}`", canon.value),
                    )
                    .label("an alias, not a value")
                    .help(format!(
                        "conditions use the canonical value: `{}`",
                        canon.value
                    ))
                } else {
                    let help = did_you_mean_help_within(
                        &mut self.hints,
                        &text,
                        e.values.iter().map(|x| x.value.as_str()),
                    )
                    .unwrap_or_else(|| {
                        format!(
                            "values of `{enum_name}`: {}",
                            e.values
                                .iter()
                                .map(|x| x.value.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    });
                    Diagnostic::new(
                        CheckRule::InvalidEnumValue,
                        v.span,
                        format!("`{text}` is not a value of `{enum_name}`"),
                    )
                    .label("not in the enum")
                    .help(help)
                };
                self.push(d);
                None
            }
            (Ty::Date, _) => bad(self, "a date written YYYY-MM-DD".into()),
            (Ty::Timestamp, _) => bad(self, "Unix seconds (an integer)".into()),
            _ => {
                let e = self.describe(&under);
                bad(self, e)
            }
        }
    }

    fn show(&self, n: &Node) -> String {
        match n {
            Node::Str(s) => format!("\"{s}\""),
            other => other.to_json().to_string(),
        }
    }

    fn check_segment_cycles(&mut self, segments: &[Segment]) {
        let Some((cycle, span)) = SegmentGraph::new(segments).first_cycle() else {
            return;
        };
        let names: Vec<&str> = cycle
            .iter()
            .map(|i| segments[i.0 as usize].name.as_str())
            .collect();
        let mut d = Diagnostic::new(
            CheckRule::SegmentCycle,
            span,
            format!(
                "segments form a cycle: {} → {}",
                names.join(" → "),
                names[0]
            ),
        )
        .label("closes the cycle");
        for i in &cycle {
            let s = &segments[i.0 as usize];
            d = d.secondary(s.span, format!("`{}` is part of it", s.name));
        }
        self.push(
            d.help("a segment cannot contain itself; remove one of the `segment:` conditions"),
        );
    }

    fn workflow(&mut self, name: &Sp<String>, w: &ast::WorkflowDef, scope: &Scope<'_>) -> Workflow {
        let trigger = w.trigger.as_ref().and_then(|t| match &t.value {
            ast::Trigger::Event { event, filter } => {
                let id = self.event_ref(event, scope)?;
                let filter = self.filters(filter, &scope.events[id.0 as usize]);
                Some(Trigger::Event { event: id, filter })
            }
            ast::Trigger::Segment { segment } => Some(Trigger::Segment {
                segment: self.segment_ref(segment, scope)?,
            }),
        });
        if w.trigger.is_none() {
            self.push(
                Diagnostic::new(
                    CheckRule::InvalidValue,
                    name.span,
                    format!("workflow `{}` has no `trigger`", name.value),
                )
                .label("what starts it?")
                .help("add `trigger: { event: NAME }` or `trigger: { segment: NAME }`"),
            );
        }
        let audience = w
            .audience
            .iter()
            .filter_map(|s| self.segment_ref(s, scope))
            .collect();
        Workflow {
            name: name.value.clone(),
            description: w.description.as_ref().map(|d| d.value.clone()),
            goal: w.goal.as_ref().map(|g| g.value),
            trigger,
            audience,
            wait: w.wait.as_ref().map(|d| d.value),
            exit_when: self.conditions(w.exit_when.as_ref(), scope),
            channels: w.channels.iter().map(|c| c.value).collect(),
            span: name.span,
            exit_span: w.exit_when.as_ref().map(|e| e.span),
            exit_declared: w.exit_when.as_ref().is_some_and(|e| !e.value.is_empty()),
        }
    }

    /// The `lints:` levels, by rule: `trackc check`'s and `trackc validate`'s. An id is
    /// read from text here only: one that names no such rule is a diagnostic, never a
    /// silent default.
    fn lints(
        &mut self,
        c: &ast::Contract,
    ) -> (
        BTreeMap<CheckRule, LintLevel>,
        BTreeMap<TrafficRule, LintLevel>,
    ) {
        let mut out = BTreeMap::new();
        let mut traffic = BTreeMap::new();
        for (id, level) in &c.lints {
            let rule = match (CheckRule::from_id(&id.value), AnyRule::find(&id.value)) {
                (Some(rule), _) => rule,
                (None, Some(AnyRule::Traffic(rule))) => {
                    if rule.class().overridable {
                        traffic.insert(rule, level.value);
                    } else {
                        self.push(
                            Diagnostic::new(
                                CheckRule::UnknownLint,
                                level.span,
                                format!("traffic rule `{}` cannot be changed", rule.id()),
                            )
                            .label("always an error")
                            .help("it is about what Customer.io accepts, not a promise of the contract; only the contract's promises (`trackc explain missing_event_id`, ...) take a level"),
                        );
                    }
                    continue;
                }
                // Another command's rule: `lints:` would silently do nothing.
                (None, Some(other)) => {
                    self.push(
                        Diagnostic::new(
                            CheckRule::UnknownLint,
                            id.span,
                            format!(
                                "`{}` is a `{}` rule, not a `trackc check` or `trackc validate` rule",
                                id.value,
                                other.family().command()
                            ),
                        )
                        .label("not a check rule")
                        .help("`lints:` sets the levels of `trackc check`'s and `trackc validate`'s rules (`trackc explain` lists them)"),
                    );
                    continue;
                }
                (None, None) => {
                    let help = did_you_mean_help_within(
                        &mut self.hints,
                        &id.value,
                        CheckRule::ALL.iter().map(|r| r.id()),
                    )
                    .unwrap_or_else(|| "`trackc explain` lists every rule".into());
                    self.push(
                        Diagnostic::new(
                            CheckRule::UnknownLint,
                            id.span,
                            format!("unknown rule `{}`", id.value),
                        )
                        .label("no such rule")
                        .help(help),
                    );
                    continue;
                }
            };
            if !rule.class().overridable && level.value != LintLevel::Deny {
                self.push(
                    Diagnostic::new(
                        CheckRule::UnknownLint,
                        level.span,
                        format!("rule `{rule}` cannot be lowered"),
                    )
                    .label("always an error")
                    .help(format!(
                        "`{rule}` guards the contract's meaning; fix the contract instead"
                    )),
                );
            } else {
                out.insert(rule, level.value);
            }
        }
        (out, traffic)
    }
}

struct Scope<'a> {
    events: &'a [Event],
    attributes: &'a [Property],
    segments: Vec<&'a str>,
}

/// Why a `pattern` cannot be used, if it cannot. It is compiled (anchored, as every back
/// end writes it) in both dialects it runs in: Rust's `regex` (`trackc validate`, the
/// generated crate) and ECMA-262 with the `u` flag (JSON Schema validators). A pattern
/// only one of them accepts (`(?i)`, `\z`, `\A` are Rust-only) would give a JSON Schema
/// that JavaScript validators cannot compile.
fn pattern_problem(p: &Sp<String>) -> Option<Diagnostic> {
    let anchored = format!("^(?:{})$", p.value);
    let invalid = |why: String| {
        Diagnostic::new(CheckRule::InvalidPattern, p.span, why).label("does not compile")
    };
    if let Err(e) = regex::Regex::new(&anchored) {
        let msg = e.to_string();
        let last = msg.lines().last().unwrap_or("invalid").trim();
        return Some(invalid(format!(
            "`pattern` is not a valid regular expression: {last}"
        )));
    }
    let e = regress::Regex::with_flags(&anchored, "u").err()?;
    Some(
        invalid(format!(
            "`pattern` is not valid in ECMA-262, the dialect of JSON Schema validators: {e}"
        ))
        .help(
            "write the pattern in the syntax Rust's regex and JavaScript share: no inline \
             flags such as `(?i)` (spell both cases: `[Aa]`), no `\\A` or `\\z` (patterns \
             are anchored for you)",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions() {
        assert!(parse_version("1.2.3").is_some());
        assert!(parse_version("1.2.3-rc.1").is_some());
        assert!(parse_version("1.2").is_none());
        assert!(parse_version("01.2.3").is_none());
        assert!(parse_version("1.2.3.4").is_none());
    }
}
