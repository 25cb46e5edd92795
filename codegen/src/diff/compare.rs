//! The comparison itself: walk both IRs side by side, by name, and emit one change per
//! difference with the rule that classifies it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::impact::Target;
use super::rules::{self, DiffRule};
use super::{Change, Side};
use crate::front::similarity::Pattern;
use crate::ir::{
    Condition, EnumDef, Filter, Ir, Op, Property, StringTy, Trigger, Ty, TypeDef, TypeKind,
    TypeOrigin,
};
use crate::source::Span;

/// A change before its impacts are known.
pub struct Pending {
    pub change: Change,
    pub targets: Vec<Target>,
}

pub fn compare(old: &Ir, new: &Ir) -> Vec<Pending> {
    let mut cx = Cx {
        old,
        new,
        out: Vec::new(),
    };
    cx.identity();
    cx.types();
    cx.attributes();
    cx.events();
    cx.segments();
    cx.workflows();
    cx.out
}

/// What owns a place being compared.
#[derive(Clone, Debug)]
enum Owner {
    Event(String),
    Type(String),
    Attribute(String),
}

/// A place being compared: its owner and the property path inside it.
#[derive(Clone, Debug)]
struct Place {
    owner: Owner,
    path: Vec<String>,
}

impl Place {
    fn child(&self, name: &str) -> Place {
        let mut path = self.path.clone();
        path.push(name.to_owned());
        Place {
            owner: self.owner.clone(),
            path,
        }
    }

    /// `event `order_completed` property `items.category``
    fn describe(&self) -> String {
        let dotted = self.path.join(".");
        match &self.owner {
            Owner::Event(e) if dotted.is_empty() => format!("event `{e}`"),
            Owner::Event(e) => format!("event `{e}` property `{dotted}`"),
            Owner::Type(t) if dotted.is_empty() => format!("type `{t}`"),
            Owner::Type(t) => format!("type `{t}` property `{dotted}`"),
            Owner::Attribute(a) if dotted.is_empty() => format!("attribute `{a}`"),
            Owner::Attribute(a) => format!("attribute `{a}` property `{dotted}`"),
        }
    }

    fn target(&self) -> Target {
        match &self.owner {
            Owner::Event(e) if self.path.is_empty() => Target::Event(e.clone()),
            Owner::Event(e) => Target::Property(e.clone(), self.path.clone()),
            Owner::Type(t) => Target::TypeAt(t.clone(), self.path.clone()),
            Owner::Attribute(a) => Target::Attribute(a.clone()),
        }
    }
}

struct Cx<'a> {
    old: &'a Ir,
    new: &'a Ir,
    out: Vec<Pending>,
}

/// A change being built.
struct Emit {
    rule: &'static DiffRule,
    message: String,
    hint: Option<String>,
    side: Side,
    span: Span,
    targets: Vec<Target>,
}

fn rule(id: &str) -> &'static DiffRule {
    rules::get(id).unwrap_or_else(|| panic!("diff rule `{id}` is not in DIFF_RULES"))
}

fn emit(id: &str, side: Side, span: Span, message: String) -> Emit {
    Emit {
        rule: rule(id),
        message,
        hint: None,
        side,
        span,
        targets: Vec::new(),
    }
}

impl Emit {
    fn target(mut self, t: Target) -> Emit {
        self.targets.push(t);
        self
    }
    fn hint(mut self, h: Option<String>) -> Emit {
        self.hint = h;
        self
    }
}

/// Names on both sides, in order: (name, old, new).
fn pair<'a, T>(
    old: impl IntoIterator<Item = &'a T>,
    new: impl IntoIterator<Item = &'a T>,
    name: impl Fn(&T) -> &str,
) -> Vec<(String, Option<&'a T>, Option<&'a T>)>
where
    T: 'a,
{
    let mut map: BTreeMap<String, (Option<&'a T>, Option<&'a T>)> = BTreeMap::new();
    for o in old {
        map.entry(name(o).to_owned()).or_default().0 = Some(o);
    }
    for n in new {
        map.entry(name(n).to_owned()).or_default().1 = Some(n);
    }
    map.into_iter().map(|(k, (o, n))| (k, o, n)).collect()
}

/// Most (removed, added) pairs of one kind compared for rename hints: the hints are
/// all-pairs, so a diff that removes and adds thousands of same-shaped names would be
/// quadratic; past this many comparisons the rest simply get no rename hint.
const MAX_RENAME_COMPARISONS: usize = 50_000;

/// How alike two names are, 0 to 1 (1 - distance / longer length), for a rename hint;
/// `None` for a name too long to be compared (see [`crate::front::similarity`]).
fn likeness(removed: &Pattern, added: &str) -> Option<f64> {
    let d = removed.distance(added)?;
    let longer = removed.chars().max(added.chars().count());
    Some(if longer == 0 {
        1.0
    } else {
        1.0 - d as f64 / longer as f64
    })
}

/// Rename hints between removed and added names of one kind, with the same shape.
/// Returns (removed → added) pairs.
fn renames(removed: &[(String, String)], added: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    let mut budget = MAX_RENAME_COMPARISONS;
    // Shapes can be long (an object's whole layout): compare them once, by hashing.
    let mut by_shape: HashMap<&str, Vec<&String>> = HashMap::new();
    for (a, shape) in added {
        by_shape.entry(shape).or_default().push(a);
    }
    for (r, rshape) in removed {
        let Some(pattern) = Pattern::new(r) else {
            continue;
        };
        let mut best: Option<(f64, &String)> = None;
        for &a in by_shape.get(rshape.as_str()).into_iter().flatten() {
            if used.contains(a) {
                continue;
            }
            if budget == 0 {
                return out;
            }
            budget -= 1;
            let Some(score) = likeness(&pattern, a) else {
                continue;
            };
            let similar = score >= 0.5 || a.contains(r.as_str()) || r.contains(a.as_str());
            let better = best.is_none_or(|(s, b)| score > s || (score == s && a < b));
            if similar && better {
                best = Some((score, a));
            }
        }
        if let Some((_, a)) = best {
            used.insert(a.clone());
            out.push((r.clone(), a.clone()));
        }
    }
    out
}

fn renamed_to(pairs: &[(String, String)], removed: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(r, _)| r == removed)
        .map(|(_, a)| format!("probably renamed to `{a}` (same shape, similar name)"))
}

fn rename_of(pairs: &[(String, String)], added: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(_, a)| a == added)
        .map(|(r, _)| format!("probably a rename of `{r}` (same shape, similar name)"))
}

/// A structural fingerprint of a type: named types by name, inline ones expanded.
pub fn shape(ir: &Ir, ty: &Ty) -> String {
    match ty {
        Ty::String(s) => format!(
            "string({:?},{:?},{:?},{:?})",
            s.min_length,
            s.max_length,
            s.pattern,
            s.format.map(|f| f.as_str())
        ),
        Ty::Integer(b) => format!("integer({:?},{:?})", b.minimum, b.maximum),
        Ty::Number(b) => format!("number({:?},{:?})", b.minimum, b.maximum),
        Ty::Boolean => "boolean".into(),
        Ty::Timestamp => "timestamp".into(),
        Ty::Date => "date".into(),
        Ty::Array(a) => format!(
            "array({},{:?},{:?})",
            shape(ir, &a.items),
            a.min_items,
            a.max_items
        ),
        Ty::Ref(id) => {
            let t = ir.ty(*id);
            match t.origin {
                TypeOrigin::Named => format!("ref({})", t.name),
                TypeOrigin::Inline { .. } => typedef_shape(ir, t),
            }
        }
    }
}

fn typedef_shape(ir: &Ir, t: &TypeDef) -> String {
    match &t.kind {
        TypeKind::Enum(e) => format!(
            "enum({})",
            e.values
                .iter()
                .map(|v| v.value.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        TypeKind::Object(o) => format!(
            "object({};{})",
            o.properties
                .iter()
                .map(|p| property_shape(ir, p))
                .collect::<Vec<_>>()
                .join(","),
            o.additional_properties
        ),
        TypeKind::Alias(ty) => shape(ir, ty),
    }
}

fn property_shape(ir: &Ir, p: &Property) -> String {
    format!(
        "{}{}:{}",
        p.name,
        if p.optional { "?" } else { "" },
        shape(ir, &p.ty)
    )
}

/// The kind of a type, through aliases and arrays: `array of string`, `enum`, `object`.
fn kind(ir: &Ir, ty: &Ty) -> String {
    match ir.underlying(ty) {
        Ty::String(_) => "string".into(),
        Ty::Integer(_) => "integer".into(),
        Ty::Number(_) => "number".into(),
        Ty::Boolean => "boolean".into(),
        Ty::Timestamp => "timestamp".into(),
        Ty::Date => "date".into(),
        Ty::Array(a) => format!("array of {}", kind(ir, &a.items)),
        Ty::Ref(id) => match &ir.ty(*id).kind {
            TypeKind::Enum(_) => "enum".into(),
            TypeKind::Object(_) => "object".into(),
            TypeKind::Alias(inner) => kind(ir, inner),
        },
    }
}

fn named(ir: &Ir, ty: &Ty) -> Option<String> {
    match ty {
        Ty::Ref(id) if ir.ty(*id).origin == TypeOrigin::Named => Some(ir.ty(*id).name.clone()),
        _ => None,
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
}

fn json_list(v: &[serde_json::Value]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

impl<'a> Cx<'a> {
    fn push(&mut self, e: Emit) {
        self.out.push(Pending {
            change: Change {
                rule: e.rule,
                message: e.message,
                hint: e.hint,
                side: e.side,
                span: e.span,
                impacts: Vec::new(),
            },
            targets: e.targets,
        });
    }

    fn description(&mut self, what: &str, o: &Option<String>, n: &Option<String>, span: Span) {
        if o != n {
            let verb = match (o, n) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            self.push(emit(
                "description-changed",
                Side::New,
                span,
                format!("{what}: description {verb}"),
            ));
        }
    }

    fn deprecation(&mut self, what: &str, o: &Option<String>, n: &Option<String>, span: Span) {
        if o != n {
            let msg = match (o, n) {
                (None, Some(n)) => format!("{what} was deprecated: {n}"),
                (Some(_), None) => format!("{what} is no longer deprecated"),
                (_, n) => format!("{what}: deprecation note changed to: {}", opt(n.as_ref())),
            };
            self.push(emit("deprecation-changed", Side::New, span, msg));
        }
    }

    // Identity -----------------------------------------------------------------------

    fn identity(&mut self) {
        let (o, n) = (&self.old.identity, &self.new.identity);
        let span = n.span;
        if o.id != n.id {
            self.push(emit(
                "identity-changed",
                Side::New,
                span,
                format!("identity id changed from `{}` to `{}`", o.id, n.id),
            ));
        }
        let (os, ns) = (shape(self.old, &o.id_type), shape(self.new, &n.id_type));
        if os != ns {
            self.push(emit(
                "identity-changed",
                Side::New,
                span,
                format!(
                    "identity id_type changed from {} to {}",
                    describe_full(self.old, &o.id_type),
                    describe_full(self.new, &n.id_type)
                ),
            ));
        }
        if o.anonymous_id != n.anonymous_id {
            self.push(emit(
                "identity-changed",
                Side::New,
                span,
                format!(
                    "identity anonymous_id changed from {} to {}",
                    opt(o.anonymous_id.as_ref().map(|s| format!("`{s}`"))),
                    opt(n.anonymous_id.as_ref().map(|s| format!("`{s}`")))
                ),
            ));
        }
    }

    // Named types --------------------------------------------------------------------

    fn types(&mut self) {
        let named = |t: &&TypeDef| t.origin == TypeOrigin::Named;
        let old: Vec<&TypeDef> = self.old.types.iter().filter(named).collect();
        let new: Vec<&TypeDef> = self.new.types.iter().filter(named).collect();
        let pairs = pair(old.iter().copied(), new.iter().copied(), |t| &t.name);
        let removed: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (Some(o), None) => Some((k.clone(), typedef_shape(self.old, o))),
                _ => None,
            })
            .collect();
        let added: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (None, Some(n)) => Some((k.clone(), typedef_shape(self.new, n))),
                _ => None,
            })
            .collect();
        let ren = renames(&removed, &added);
        for (name, o, n) in pairs {
            match (o, n) {
                (Some(o), None) => self.push(
                    emit(
                        "type-removed",
                        Side::Old,
                        o.span,
                        format!("type `{name}` was removed"),
                    )
                    .hint(renamed_to(&ren, &name))
                    .target(Target::TypeAt(name.clone(), Vec::new())),
                ),
                (None, Some(n)) => self.push(
                    emit(
                        "type-added",
                        Side::New,
                        n.span,
                        format!("type `{name}` was added"),
                    )
                    .hint(rename_of(&ren, &name)),
                ),
                (Some(o), Some(n)) => self.typedef(&name, o, n),
                (None, None) => {}
            }
        }
    }

    fn typedef(&mut self, name: &str, o: &TypeDef, n: &TypeDef) {
        let place = Place {
            owner: Owner::Type(name.to_owned()),
            path: Vec::new(),
        };
        let what = place.describe();
        self.description(&what, &o.description, &n.description, n.span);
        self.deprecation(&what, &o.deprecated, &n.deprecated, n.span);
        match (&o.kind, &n.kind) {
            (TypeKind::Enum(a), TypeKind::Enum(b)) => self.enum_values(&place, a, b),
            (TypeKind::Object(a), TypeKind::Object(b)) => {
                self.object(&place, a, b, n.span);
            }
            (TypeKind::Alias(a), TypeKind::Alias(b)) => self.ty(&place, a, b, n.span),
            _ => {
                let k = |k: &TypeKind| match k {
                    TypeKind::Enum(_) => "an enum".to_owned(),
                    TypeKind::Object(_) => "an object".to_owned(),
                    TypeKind::Alias(_) => "a scalar or array".to_owned(),
                };
                self.push(
                    emit(
                        "type-changed",
                        Side::New,
                        n.span,
                        format!("{what} changed from {} to {}", k(&o.kind), k(&n.kind)),
                    )
                    .target(place.target()),
                );
            }
        }
    }

    // Attributes -----------------------------------------------------------------------

    fn attributes(&mut self) {
        let pairs = pair(&self.old.attributes, &self.new.attributes, |p| &p.name);
        let ren = self.property_renames(&pairs);
        for (name, o, n) in pairs {
            let place = Place {
                owner: Owner::Attribute(name.clone()),
                path: Vec::new(),
            };
            match (o, n) {
                (Some(o), None) => self.push(
                    emit(
                        "attribute-removed",
                        Side::Old,
                        o.span,
                        format!("attribute `{name}` was removed"),
                    )
                    .hint(renamed_to(&ren, &name))
                    .target(place.target()),
                ),
                (None, Some(n)) => self.push(
                    emit(
                        "attribute-added",
                        Side::New,
                        n.span,
                        format!("attribute `{name}` was added"),
                    )
                    .hint(rename_of(&ren, &name)),
                ),
                (Some(o), Some(n)) => {
                    self.property(&place, o, n, true);
                    let what = place.describe();
                    if o.consent != n.consent {
                        self.push(
                            emit(
                                "attribute-consent-changed",
                                Side::New,
                                n.span,
                                format!(
                                    "{what}: consent changed from {} to {}",
                                    opt(o.consent.map(|c| c.as_str())),
                                    opt(n.consent.map(|c| c.as_str()))
                                ),
                            )
                            .target(place.target()),
                        );
                    }
                    match (o.derived, n.derived) {
                        (false, true) => self.push(
                            emit(
                                "attribute-now-derived",
                                Side::New,
                                n.span,
                                format!("{what} is now derived: producers must stop sending it"),
                            )
                            .target(place.target()),
                        ),
                        (true, false) => self.push(emit(
                            "attribute-no-longer-derived",
                            Side::New,
                            n.span,
                            format!("{what} is no longer derived: producers may send it"),
                        )),
                        _ => {}
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn property_renames(
        &self,
        pairs: &[(String, Option<&Property>, Option<&Property>)],
    ) -> Vec<(String, String)> {
        let removed: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (Some(o), None) => Some((k.clone(), shape(self.old, &o.ty))),
                _ => None,
            })
            .collect();
        let added: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (None, Some(n)) => Some((k.clone(), shape(self.new, &n.ty))),
                _ => None,
            })
            .collect();
        renames(&removed, &added)
    }

    // Events ---------------------------------------------------------------------------

    fn events(&mut self) {
        let pairs = pair(&self.old.events, &self.new.events, |e| &e.name);
        let event_shape = |ir: &Ir, e: &crate::ir::Event| {
            let mut props: Vec<String> =
                e.properties.iter().map(|p| property_shape(ir, p)).collect();
            props.sort();
            props.join(",")
        };
        let removed: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (Some(o), None) => Some((k.clone(), event_shape(self.old, o))),
                _ => None,
            })
            .collect();
        let added: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (None, Some(n)) => Some((k.clone(), event_shape(self.new, n))),
                _ => None,
            })
            .collect();
        let ren = renames(&removed, &added);
        for (name, o, n) in pairs {
            let place = Place {
                owner: Owner::Event(name.clone()),
                path: Vec::new(),
            };
            let what = place.describe();
            let (o, n) = match (o, n) {
                (Some(o), None) => {
                    self.push(
                        emit(
                            "event-removed",
                            Side::Old,
                            o.span,
                            format!("{what} was removed"),
                        )
                        .hint(renamed_to(&ren, &name))
                        .target(place.target()),
                    );
                    continue;
                }
                (None, Some(n)) => {
                    self.push(
                        emit(
                            "event-added",
                            Side::New,
                            n.span,
                            format!("{what} was added"),
                        )
                        .hint(rename_of(&ren, &name)),
                    );
                    continue;
                }
                (Some(o), Some(n)) => (o, n),
                (None, None) => continue,
            };
            self.description(&what, &o.description, &n.description, n.span);
            if o.owner != n.owner {
                self.push(emit(
                    "owner-changed",
                    Side::New,
                    n.span,
                    format!(
                        "{what}: owner changed from {} to {}",
                        opt(o.owner.as_ref().map(|s| format!("`{s}`"))),
                        opt(n.owner.as_ref().map(|s| format!("`{s}`")))
                    ),
                ));
            }
            self.deprecation(&what, &o.deprecated, &n.deprecated, n.span);
            let (ok, nk) = (
                o.idempotency_property().map(|p| p.name.as_str()),
                n.idempotency_property().map(|p| p.name.as_str()),
            );
            match (ok, nk) {
                (None, Some(k)) => self.push(emit(
                    "idempotency-key-added",
                    Side::New,
                    n.span,
                    format!("{what}: idempotency_key `{k}` added"),
                )),
                (Some(k), None) => self.push(
                    emit(
                        "idempotency-key-removed",
                        Side::New,
                        n.span,
                        format!("{what}: idempotency_key `{k}` removed; retries count twice"),
                    )
                    .target(place.target()),
                ),
                (Some(a), Some(b)) if a != b => self.push(
                    emit(
                        "idempotency-key-changed",
                        Side::New,
                        n.span,
                        format!("{what}: idempotency_key changed from `{a}` to `{b}`"),
                    )
                    .target(place.target()),
                ),
                _ => {}
            }
            use crate::ir::BackfillPolicy::*;
            match (o.backfill, n.backfill) {
                (Forbidden, Allowed) => self.push(
                    emit(
                        "backfill-allowed",
                        Side::New,
                        n.span,
                        format!("{what}: backfill changed from forbidden to allowed"),
                    )
                    .target(place.target()),
                ),
                (Allowed, Forbidden) => self.push(
                    emit(
                        "backfill-forbidden",
                        Side::New,
                        n.span,
                        format!("{what}: backfill changed from allowed to forbidden"),
                    )
                    .target(place.target()),
                ),
                _ => {}
            }
            self.properties(&place, &o.properties, &n.properties, n.span);
        }
    }

    // Properties -------------------------------------------------------------------------

    /// The properties of an event or an object, at `place`.
    fn properties(&mut self, place: &Place, old: &[Property], new: &[Property], owner_span: Span) {
        let pairs = pair(old, new, |p| &p.name);
        let ren = self.property_renames(&pairs);
        let _ = owner_span;
        for (name, o, n) in pairs {
            let child = place.child(&name);
            let what = child.describe();
            match (o, n) {
                (Some(o), None) => self.push(
                    emit(
                        "property-removed",
                        Side::Old,
                        o.span,
                        format!("{what} was removed"),
                    )
                    .hint(renamed_to(&ren, &name))
                    .target(child.target()),
                ),
                (None, Some(n)) if n.optional => self.push(
                    emit(
                        "property-added",
                        Side::New,
                        n.span,
                        format!("{what} was added (optional)"),
                    )
                    .hint(rename_of(&ren, &name)),
                ),
                (None, Some(n)) => self.push(
                    emit(
                        "required-property-added",
                        Side::New,
                        n.span,
                        format!("{what} was added as required: every producer must send it"),
                    )
                    .hint(rename_of(&ren, &name)),
                ),
                (Some(o), Some(n)) => self.property(&child, o, n, false),
                (None, None) => {}
            }
        }
    }

    /// One property or attribute present on both sides.
    fn property(&mut self, place: &Place, o: &Property, n: &Property, attribute: bool) {
        let what = place.describe();
        if !attribute {
            match (o.optional, n.optional) {
                (true, false) => self.push(
                    emit(
                        "property-now-required",
                        Side::New,
                        n.span,
                        format!("{what} is now required (was optional)"),
                    )
                    .target(place.target()),
                ),
                (false, true) => self.push(
                    emit(
                        "property-now-optional",
                        Side::New,
                        n.span,
                        format!("{what} is now optional (was required)"),
                    )
                    .target(place.target()),
                ),
                _ => {}
            }
        }
        self.ty(place, &o.ty, &n.ty, n.ty_span);
        self.description(&what, &o.description, &n.description, n.span);
        if o.examples != n.examples {
            self.push(emit(
                "examples-changed",
                Side::New,
                n.span,
                format!(
                    "{what}: examples changed from {} to {}",
                    json_list(&o.examples),
                    json_list(&n.examples)
                ),
            ));
        }
        if o.pii != n.pii {
            self.push(emit(
                "pii-changed",
                Side::New,
                n.span,
                if n.pii {
                    format!("{what} is now marked pii")
                } else {
                    format!("{what} is no longer marked pii")
                },
            ));
        }
        self.deprecation(&what, &o.deprecated, &n.deprecated, n.span);
    }

    // Types at a place ----------------------------------------------------------------------

    fn type_changed(&mut self, place: &Place, o: &Ty, n: &Ty, span: Span) {
        self.push(
            emit(
                "type-changed",
                Side::New,
                span,
                format!(
                    "{} changed type from {} to {}",
                    place.describe(),
                    describe_full(self.old, o),
                    describe_full(self.new, n)
                ),
            )
            .target(place.target()),
        );
    }

    fn constraint(&mut self, place: &Place, tightened: bool, what: String, span: Span) {
        let id = if tightened {
            "constraint-tightened"
        } else {
            "constraint-loosened"
        };
        let mut e = emit(id, Side::New, span, format!("{}: {what}", place.describe()));
        if tightened {
            e = e.target(place.target());
        }
        self.push(e);
    }

    /// Compare two types at one place.
    fn ty(&mut self, place: &Place, o: &Ty, n: &Ty, span: Span) {
        // A named type on both sides is compared once, where it is defined.
        if let (Some(a), Some(b)) = (named(self.old, o), named(self.new, n))
            && a == b
        {
            return;
        }
        if kind(self.old, o) != kind(self.new, n) {
            self.type_changed(place, o, n, span);
            return;
        }
        let (ou, nu) = (self.old.underlying(o), self.new.underlying(n));
        if let (Some(a), Some(b)) = (named(self.old, ou), named(self.new, nu))
            && a == b
        {
            return;
        }
        match (ou, nu) {
            (Ty::String(a), Ty::String(b)) => self.string(place, a, b, span),
            (Ty::Integer(a), Ty::Integer(b)) | (Ty::Number(a), Ty::Number(b)) => {
                self.lower_bound(place, "minimum", a.minimum, b.minimum, span);
                self.upper_bound(place, "maximum", a.maximum, b.maximum, span);
            }
            (Ty::Array(a), Ty::Array(b)) => {
                self.lower_bound(
                    place,
                    "min_items",
                    a.min_items.map(|v| v as f64),
                    b.min_items.map(|v| v as f64),
                    span,
                );
                self.upper_bound(
                    place,
                    "max_items",
                    a.max_items.map(|v| v as f64),
                    b.max_items.map(|v| v as f64),
                    span,
                );
                self.ty(place, &a.items, &b.items, span);
            }
            (Ty::Ref(a), Ty::Ref(b)) => match (&self.old.ty(*a).kind, &self.new.ty(*b).kind) {
                (TypeKind::Enum(x), TypeKind::Enum(y)) => self.enum_values(place, x, y),
                (TypeKind::Object(x), TypeKind::Object(y)) => self.object(place, x, y, span),
                _ => self.type_changed(place, o, n, span),
            },
            _ => {}
        }
    }

    fn object(
        &mut self,
        place: &Place,
        o: &crate::ir::ObjectDef,
        n: &crate::ir::ObjectDef,
        span: Span,
    ) {
        match (o.additional_properties, n.additional_properties) {
            (true, false) => self.constraint(
                place,
                true,
                "additional_properties closed (unknown properties are now rejected)".into(),
                span,
            ),
            (false, true) => self.constraint(
                place,
                false,
                "additional_properties opened (unknown properties are now accepted)".into(),
                span,
            ),
            _ => {}
        }
        self.properties(place, &o.properties, &n.properties, span);
    }

    fn string(&mut self, place: &Place, a: &StringTy, b: &StringTy, span: Span) {
        let f = |v: Option<u64>| v.map(|v| v as f64);
        self.lower_bound(place, "min_length", f(a.min_length), f(b.min_length), span);
        self.upper_bound(place, "max_length", f(a.max_length), f(b.max_length), span);
        match (&a.pattern, &b.pattern) {
            (None, Some(p)) => self.constraint(place, true, format!("pattern `{p}` added"), span),
            (Some(p), None) => {
                self.constraint(place, false, format!("pattern `{p}` removed"), span)
            }
            (Some(x), Some(y)) if x != y => self.constraint(
                place,
                true,
                format!("pattern changed from `{x}` to `{y}`"),
                span,
            ),
            _ => {}
        }
        match (a.format, b.format) {
            (None, Some(p)) => {
                self.constraint(place, true, format!("format `{}` added", p.as_str()), span)
            }
            (Some(p), None) => self.constraint(
                place,
                false,
                format!("format `{}` removed", p.as_str()),
                span,
            ),
            (Some(x), Some(y)) if x != y => self.constraint(
                place,
                true,
                format!("format changed from `{}` to `{}`", x.as_str(), y.as_str()),
                span,
            ),
            _ => {}
        }
    }

    /// A bound under which values are refused (`minimum`, `min_length`, `min_items`).
    fn lower_bound(
        &mut self,
        place: &Place,
        key: &str,
        a: Option<f64>,
        b: Option<f64>,
        span: Span,
    ) {
        match (a, b) {
            (None, Some(y)) => self.constraint(place, true, format!("{key} {y} added"), span),
            (Some(x), None) => self.constraint(place, false, format!("{key} {x} removed"), span),
            (Some(x), Some(y)) if y > x => {
                self.constraint(place, true, format!("{key} raised from {x} to {y}"), span)
            }
            (Some(x), Some(y)) if y < x => {
                self.constraint(place, false, format!("{key} lowered from {x} to {y}"), span)
            }
            _ => {}
        }
    }

    /// A bound over which values are refused (`maximum`, `max_length`, `max_items`).
    fn upper_bound(
        &mut self,
        place: &Place,
        key: &str,
        a: Option<f64>,
        b: Option<f64>,
        span: Span,
    ) {
        match (a, b) {
            (None, Some(y)) => self.constraint(place, true, format!("{key} {y} added"), span),
            (Some(x), None) => self.constraint(place, false, format!("{key} {x} removed"), span),
            (Some(x), Some(y)) if y < x => {
                self.constraint(place, true, format!("{key} lowered from {x} to {y}"), span)
            }
            (Some(x), Some(y)) if y > x => {
                self.constraint(place, false, format!("{key} raised from {x} to {y}"), span)
            }
            _ => {}
        }
    }

    fn enum_values(&mut self, place: &Place, o: &EnumDef, n: &EnumDef) {
        let what = place.describe();
        let pairs = pair(&o.values, &n.values, |v| &v.value);
        let removed: Vec<_> = pairs
            .iter()
            .filter(|(_, o, n)| o.is_some() && n.is_none())
            .map(|(k, _, _)| (k.clone(), String::new()))
            .collect();
        let added: Vec<_> = pairs
            .iter()
            .filter(|(_, o, n)| o.is_none() && n.is_some())
            .map(|(k, _, _)| (k.clone(), String::new()))
            .collect();
        let ren = renames(&removed, &added);
        for (value, ov, nv) in pairs {
            match (ov, nv) {
                (Some(ov), None) => {
                    let hint = n
                        .values
                        .iter()
                        .find(|v| v.aliases.contains(&value))
                        .map(|v| {
                            format!(
                                "now an alias of `{}`: producers sending \"{value}\" are normalised, but the generated variant is gone",
                                v.value
                            )
                        })
                        .or_else(|| renamed_to(&ren, &value));
                    self.push(
                        emit(
                            "enum-value-removed",
                            Side::Old,
                            ov.span,
                            format!("{what}: enum value `{value}` was removed"),
                        )
                        .hint(hint)
                        .target(Target::EnumValue(Box::new(place.target()), value.clone())),
                    );
                }
                (None, Some(nv)) => self.push(
                    emit(
                        "enum-value-added",
                        Side::New,
                        nv.span,
                        format!("{what}: enum value `{value}` was added"),
                    )
                    .hint(rename_of(&ren, &value)),
                ),
                (Some(ov), Some(nv)) => {
                    for a in &ov.aliases {
                        if !nv.aliases.contains(a) {
                            self.push(
                                emit(
                                    "enum-alias-removed",
                                    Side::New,
                                    nv.span,
                                    format!(
                                        "{what}: alias \"{a}\" of enum value `{value}` was removed"
                                    ),
                                )
                                .target(place.target()),
                            );
                        }
                    }
                    for a in &nv.aliases {
                        if !ov.aliases.contains(a) {
                            self.push(emit(
                                "enum-alias-added",
                                Side::New,
                                nv.span,
                                format!("{what}: alias \"{a}\" added to enum value `{value}`"),
                            ));
                        }
                    }
                    self.description(
                        &format!("{what} enum value `{value}`"),
                        &ov.description,
                        &nv.description,
                        nv.span,
                    );
                }
                (None, None) => {}
            }
        }
    }

    // Segments ------------------------------------------------------------------------

    fn segments(&mut self) {
        let pairs = pair(&self.old.segments, &self.new.segments, |s| &s.name);
        let cond_shape = |ir: &Ir, s: &crate::ir::Segment| {
            [&s.all, &s.any, &s.none]
                .iter()
                .map(|l| {
                    let mut v: Vec<String> = l.iter().map(|c| render_condition(ir, c)).collect();
                    v.sort();
                    v.join(";")
                })
                .collect::<Vec<_>>()
                .join("|")
        };
        let removed: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (Some(o), None) => Some((k.clone(), cond_shape(self.old, o))),
                _ => None,
            })
            .collect();
        let added: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (None, Some(n)) => Some((k.clone(), cond_shape(self.new, n))),
                _ => None,
            })
            .collect();
        let ren = renames(&removed, &added);
        for (name, o, n) in pairs {
            let what = format!("segment `{name}`");
            let target = Target::Segment(name.clone());
            let (o, n) = match (o, n) {
                (Some(o), None) => {
                    self.push(
                        emit(
                            "segment-removed",
                            Side::Old,
                            o.span,
                            format!("{what} was removed"),
                        )
                        .hint(renamed_to(&ren, &name))
                        .target(target),
                    );
                    continue;
                }
                (None, Some(n)) => {
                    self.push(
                        emit(
                            "segment-added",
                            Side::New,
                            n.span,
                            format!("{what} was added"),
                        )
                        .hint(rename_of(&ren, &name)),
                    );
                    continue;
                }
                (Some(o), Some(n)) => (o, n),
                (None, None) => continue,
            };
            self.description(&what, &o.description, &n.description, n.span);
            for (list, ol, nl) in [
                ("all", &o.all, &n.all),
                ("any", &o.any, &n.any),
                ("none", &o.none, &n.none),
            ] {
                let d = diff_conditions(self.old, self.new, ol, nl);
                // `any: []` puts no constraint: its first condition narrows, its last widens.
                let any_vacuous_before = list == "any" && ol.is_empty();
                let any_vacuous_after = list == "any" && nl.is_empty();
                for c in &d.removed {
                    let widens = list != "any" || any_vacuous_after;
                    self.push(
                        emit(
                            if widens {
                                "segment-widened"
                            } else {
                                "segment-narrowed"
                            },
                            Side::Old,
                            c.span(),
                            format!(
                                "{what}: condition `{}` removed from `{list}`",
                                render_condition(self.old, c)
                            ),
                        )
                        .target(target.clone()),
                    );
                }
                for c in &d.added {
                    let widens = list == "any" && !any_vacuous_before;
                    self.push(
                        emit(
                            if widens {
                                "segment-widened"
                            } else {
                                "segment-narrowed"
                            },
                            Side::New,
                            c.span(),
                            format!(
                                "{what}: condition `{}` added to `{list}`",
                                render_condition(self.new, c)
                            ),
                        )
                        .target(target.clone()),
                    );
                }
                for (a, b) in &d.changed {
                    self.push(
                        emit(
                            "segment-condition-changed",
                            Side::New,
                            b.span(),
                            format!(
                                "{what}: `{list}` condition changed from `{}` to `{}`",
                                render_condition(self.old, a),
                                render_condition(self.new, b)
                            ),
                        )
                        .target(target.clone()),
                    );
                }
            }
        }
    }

    // Workflows -----------------------------------------------------------------------

    fn workflows(&mut self) {
        let pairs = pair(&self.old.workflows, &self.new.workflows, |w| &w.name);
        let wf_shape = |ir: &Ir, w: &crate::ir::Workflow| {
            format!(
                "{}|{:?}",
                w.trigger
                    .as_ref()
                    .map(|t| render_trigger(ir, t))
                    .unwrap_or_default(),
                w.channels
            )
        };
        let removed: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (Some(o), None) => Some((k.clone(), wf_shape(self.old, o))),
                _ => None,
            })
            .collect();
        let added: Vec<_> = pairs
            .iter()
            .filter_map(|(k, o, n)| match (o, n) {
                (None, Some(n)) => Some((k.clone(), wf_shape(self.new, n))),
                _ => None,
            })
            .collect();
        let ren = renames(&removed, &added);
        for (name, o, n) in pairs {
            let what = format!("workflow `{name}`");
            let (o, n) = match (o, n) {
                (Some(o), None) => {
                    self.push(
                        emit(
                            "workflow-removed",
                            Side::Old,
                            o.span,
                            format!("{what} was removed"),
                        )
                        .hint(renamed_to(&ren, &name)),
                    );
                    continue;
                }
                (None, Some(n)) => {
                    self.push(
                        emit(
                            "workflow-added",
                            Side::New,
                            n.span,
                            format!("{what} was added"),
                        )
                        .hint(rename_of(&ren, &name)),
                    );
                    continue;
                }
                (Some(o), Some(n)) => (o, n),
                (None, None) => continue,
            };
            self.description(&what, &o.description, &n.description, n.span);
            if o.goal != n.goal {
                self.push(emit(
                    "workflow-goal-changed",
                    Side::New,
                    n.span,
                    format!(
                        "{what}: goal changed from {} to {}",
                        opt(o.goal.map(|g| g.as_str())),
                        opt(n.goal.map(|g| g.as_str()))
                    ),
                ));
            }
            let (ot, nt) = (
                o.trigger.as_ref().map(|t| render_trigger(self.old, t)),
                n.trigger.as_ref().map(|t| render_trigger(self.new, t)),
            );
            if ot != nt {
                self.push(emit(
                    "workflow-trigger-changed",
                    Side::New,
                    n.span,
                    format!(
                        "{what}: trigger changed from {} to {}",
                        opt(ot.map(|t| format!("`{t}`"))),
                        opt(nt.map(|t| format!("`{t}`")))
                    ),
                ));
            }
            let names = |ir: &Ir, w: &crate::ir::Workflow| -> BTreeSet<String> {
                w.audience
                    .iter()
                    .map(|s| ir.segment(*s).name.clone())
                    .collect()
            };
            let (oa, na) = (names(self.old, o), names(self.new, n));
            for s in oa.difference(&na) {
                self.push(emit(
                    "workflow-audience-widened",
                    Side::New,
                    n.span,
                    format!("{what}: segment `{s}` removed from the audience"),
                ));
            }
            for s in na.difference(&oa) {
                self.push(emit(
                    "workflow-audience-narrowed",
                    Side::New,
                    n.span,
                    format!("{what}: segment `{s}` added to the audience"),
                ));
            }
            let secs = |d: Option<crate::ir::Duration>| d.map(|d| d.seconds()).unwrap_or(0);
            let (ow, nw) = (secs(o.wait), secs(n.wait));
            if ow != nw {
                let msg = format!(
                    "{what}: wait changed from {} to {}",
                    opt(o.wait),
                    opt(n.wait)
                );
                self.push(emit(
                    if nw < ow {
                        "workflow-wait-shortened"
                    } else {
                        "workflow-wait-lengthened"
                    },
                    Side::New,
                    n.span,
                    msg,
                ));
            }
            let d = diff_conditions(self.old, self.new, &o.exit_when, &n.exit_when);
            for c in &d.removed {
                self.push(emit(
                    "workflow-exit-removed",
                    Side::Old,
                    c.span(),
                    format!(
                        "{what}: exit condition `{}` removed",
                        render_condition(self.old, c)
                    ),
                ));
            }
            for c in &d.added {
                self.push(emit(
                    "workflow-exit-added",
                    Side::New,
                    c.span(),
                    format!(
                        "{what}: exit condition `{}` added",
                        render_condition(self.new, c)
                    ),
                ));
            }
            for (a, b) in &d.changed {
                self.push(emit(
                    "workflow-exit-changed",
                    Side::New,
                    b.span(),
                    format!(
                        "{what}: exit condition changed from `{}` to `{}`",
                        render_condition(self.old, a),
                        render_condition(self.new, b)
                    ),
                ));
            }
            let (oc, nc): (BTreeSet<_>, BTreeSet<_>) = (
                o.channels.iter().copied().collect(),
                n.channels.iter().copied().collect(),
            );
            for c in nc.difference(&oc) {
                self.push(emit(
                    "workflow-channel-added",
                    Side::New,
                    n.span,
                    format!("{what}: channel `{}` added", c.as_str()),
                ));
            }
            for c in oc.difference(&nc) {
                self.push(emit(
                    "workflow-channel-removed",
                    Side::New,
                    n.span,
                    format!("{what}: channel `{}` removed", c.as_str()),
                ));
            }
        }
    }
}

/// A type described with its constraints, for type-change messages.
fn describe_full(ir: &Ir, ty: &Ty) -> String {
    ir.describe(ty)
}

struct CondDiff<'a> {
    removed: Vec<&'a Condition>,
    added: Vec<&'a Condition>,
    changed: Vec<(&'a Condition, &'a Condition)>,
}

/// What a condition is about: `event order_completed`, `attribute is_vip`, `segment x`.
fn condition_key(ir: &Ir, c: &Condition) -> String {
    match c {
        Condition::Event { event, .. } => format!("event {}", ir.event(*event).name),
        Condition::Attribute { attribute, .. } => {
            format!("attribute {}", ir.attribute(*attribute).name)
        }
        Condition::Segment { segment, .. } => format!("segment {}", ir.segment(*segment).name),
    }
}

/// Conditions removed, added, and changed in place (same key, different details).
fn diff_conditions<'a>(
    old: &Ir,
    new: &Ir,
    ol: &'a [Condition],
    nl: &'a [Condition],
) -> CondDiff<'a> {
    let mut left: Vec<&Condition> = ol.iter().collect();
    let mut right: Vec<&Condition> = Vec::new();
    for c in nl {
        let r = render_condition(new, c);
        if let Some(i) = left.iter().position(|o| render_condition(old, o) == r) {
            left.remove(i);
        } else {
            right.push(c);
        }
    }
    let mut changed = Vec::new();
    let mut added = Vec::new();
    for c in right {
        let k = condition_key(new, c);
        if let Some(i) = left.iter().position(|o| condition_key(old, o) == k) {
            changed.push((left.remove(i), c));
        } else {
            added.push(c);
        }
    }
    CondDiff {
        removed: left,
        added,
        changed,
    }
}

fn render_op(op: &Op) -> String {
    format!("{} {}", op.name(), op.operand())
}

fn render_filters(filter: &[Filter]) -> String {
    let mut parts: Vec<String> = filter
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f.dotted(),
                f.ops
                    .iter()
                    .map(render_op)
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        })
        .collect();
    parts.sort();
    parts.join(", ")
}

/// A condition by names: `event order_completed where items.category equals "skincare" within 28d`.
pub fn render_condition(ir: &Ir, c: &Condition) -> String {
    match c {
        Condition::Event {
            event,
            filter,
            within,
            count,
            ..
        } => {
            let mut s = format!("event {}", ir.event(*event).name);
            if !filter.is_empty() {
                s.push_str(&format!(" where {}", render_filters(filter)));
            }
            if !count.is_empty() {
                s.push_str(&format!(
                    " count {}",
                    count
                        .iter()
                        .map(render_op)
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            if let Some(w) = within {
                s.push_str(&format!(" within {w}"));
            }
            s
        }
        Condition::Attribute { attribute, op, .. } => {
            format!(
                "attribute {} {}",
                ir.attribute(*attribute).name,
                render_op(op)
            )
        }
        Condition::Segment { segment, .. } => format!("segment {}", ir.segment(*segment).name),
    }
}

fn render_trigger(ir: &Ir, t: &Trigger) -> String {
    match t {
        Trigger::Event { event, filter } => {
            let mut s = format!("event {}", ir.event(*event).name);
            if !filter.is_empty() {
                s.push_str(&format!(" where {}", render_filters(filter)));
            }
            s
        }
        Trigger::Segment { segment } => format!("segment {}", ir.segment(*segment).name),
    }
}
