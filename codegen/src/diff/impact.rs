//! Who reads a changed element: the segments and workflows that read it directly, then
//! every segment and workflow built on those segments.

use std::collections::BTreeMap;

use super::{Impact, ImpactKind};
use crate::analysis::Analysis;
use crate::ir::{Condition, Filter, Ir, Op, Trigger, Ty, TypeId, TypeKind, TypeOrigin};

/// An element of a contract that a change touches, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Event(String),
    /// A property of an event, as a path from the event's data (`items.category`).
    Property(String, Vec<String>),
    Attribute(String),
    /// A place inside a named type (empty for the type as a whole): every property and
    /// attribute of that type is touched there.
    TypeAt(String, Vec<String>),
    Segment(String),
    /// One value of the enum at the inner target: only readers that compare with that
    /// value are touched (a filter on `skincare` does not care that `supplements` went).
    EnumValue(Box<Target>, String),
}

/// Targets with named types expanded into the event properties and attributes using them.
struct Expanded {
    events: Vec<String>,
    /// Event, path, and the enum value a reader must compare with (`None`: any reader).
    properties: Vec<(String, Vec<String>, Option<String>)>,
    attributes: Vec<(String, Option<String>)>,
    segments: Vec<String>,
}

fn expand(ir: &Ir, targets: &[Target]) -> Expanded {
    let mut x = Expanded {
        events: Vec::new(),
        properties: Vec::new(),
        attributes: Vec::new(),
        segments: Vec::new(),
    };
    for t in targets {
        expand_one(ir, t, None, &mut x);
    }
    x
}

fn expand_one(ir: &Ir, t: &Target, value: Option<&String>, x: &mut Expanded) {
    match t {
        Target::Event(e) => x.events.push(e.clone()),
        Target::Property(e, p) => x.properties.push((e.clone(), p.clone(), value.cloned())),
        Target::Attribute(a) => x.attributes.push((a.clone(), value.cloned())),
        Target::Segment(s) => x.segments.push(s.clone()),
        Target::TypeAt(name, inner) => {
            for site in type_sites(ir, name) {
                match site {
                    Site::Property(e, mut p) => {
                        p.extend(inner.iter().cloned());
                        x.properties.push((e, p, value.cloned()));
                    }
                    Site::Attribute(a) => x.attributes.push((a, value.cloned())),
                }
            }
        }
        Target::EnumValue(inner, v) => expand_one(ir, inner, Some(v), x),
    }
}

/// Whether an operator compares with the enum value `v` (or `v` is `None`: any operator).
fn mentions(op: &Op, v: Option<&String>) -> bool {
    let Some(v) = v else { return true };
    let is_v = |x: &serde_json::Value| x.as_str() == Some(v.as_str());
    match op {
        Op::Equals(x) | Op::NotEquals(x) | Op::Contains(x) => is_v(x),
        Op::In(xs) => xs.iter().any(is_v),
        Op::Exists(_) | Op::Gt(_) | Op::Gte(_) | Op::Lt(_) | Op::Lte(_) => false,
    }
}

enum Site {
    Property(String, Vec<String>),
    Attribute(String),
}

/// Every event property (by path) and attribute whose type is, or contains, the named type.
fn type_sites(ir: &Ir, name: &str) -> Vec<Site> {
    let mut sites = Vec::new();
    for e in &ir.events {
        for p in &e.properties {
            let mut found = Vec::new();
            walk(
                ir,
                name,
                &p.ty,
                &mut vec![p.name.clone()],
                &mut Vec::new(),
                &mut found,
            );
            sites.extend(
                found
                    .into_iter()
                    .map(|path| Site::Property(e.name.clone(), path)),
            );
        }
    }
    for a in &ir.attributes {
        let mut found = Vec::new();
        walk(
            ir,
            name,
            &a.ty,
            &mut Vec::new(),
            &mut Vec::new(),
            &mut found,
        );
        if !found.is_empty() {
            sites.push(Site::Attribute(a.name.clone()));
        }
    }
    sites
}

fn walk(
    ir: &Ir,
    name: &str,
    ty: &Ty,
    path: &mut Vec<String>,
    stack: &mut Vec<TypeId>,
    found: &mut Vec<Vec<String>>,
) {
    match ty {
        Ty::Array(a) => walk(ir, name, &a.items, path, stack, found),
        Ty::Ref(id) => {
            let t = ir.ty(*id);
            if t.origin == TypeOrigin::Named && t.name == name {
                found.push(path.clone());
                return;
            }
            if stack.contains(id) {
                return;
            }
            stack.push(*id);
            match &t.kind {
                TypeKind::Object(o) => {
                    for p in &o.properties {
                        path.push(p.name.clone());
                        walk(ir, name, &p.ty, path, stack, found);
                        path.pop();
                    }
                }
                TypeKind::Alias(inner) => walk(ir, name, inner, path, stack, found),
                TypeKind::Enum(_) => {}
            }
            stack.pop();
        }
        _ => {}
    }
}

fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Whether an event read (`event`, `where` filters) reads one of the targets.
fn event_read(ir: &Ir, x: &Expanded, event: &str, filter: &[Filter]) -> bool {
    let _ = ir;
    x.events.iter().any(|e| e == event)
        || x.properties.iter().any(|(e, p, v)| {
            e == event
                && filter
                    .iter()
                    .any(|f| related(&f.path, p) && f.ops.iter().any(|op| mentions(op, v.as_ref())))
        })
}

/// Whether a condition reads a target directly (not through a segment).
fn reads(ir: &Ir, x: &Expanded, c: &Condition) -> bool {
    match c {
        Condition::Event { event, filter, .. } => event_read(ir, x, &ir.event(*event).name, filter),
        Condition::Attribute { attribute, op, .. } => {
            let name = &ir.attribute(*attribute).name;
            x.attributes
                .iter()
                .any(|(a, v)| a == name && mentions(op, v.as_ref()))
        }
        Condition::Segment { .. } => false,
    }
}

/// The segments and workflows reading the targets, segments first, each by name.
pub fn impacts(ir: &Ir, targets: &[Target]) -> Vec<Impact> {
    if targets.is_empty() {
        return Vec::new();
    }
    let x = expand(ir, targets);

    // Segments that read a target directly, then those built on them.
    let mut segments: BTreeMap<&str, String> = BTreeMap::new();
    for s in &ir.segments {
        for (list, conds) in [("all", &s.all), ("any", &s.any), ("none", &s.none)] {
            if !segments.contains_key(s.name.as_str()) && conds.iter().any(|c| reads(ir, &x, c)) {
                segments.insert(&s.name, format!("`{list}` condition"));
            }
        }
    }
    let seeds: Vec<bool> = ir
        .segments
        .iter()
        .map(|s| segments.contains_key(s.name.as_str()) || x.segments.contains(&s.name))
        .collect();
    let an = Analysis::new(ir);
    for (s, via) in an.graph().upstream(&seeds) {
        let via = &ir.segment(via).name;
        segments.insert(&ir.segment(s).name, format!("via segment `{via}`"));
    }
    let reached = |segments: &BTreeMap<&str, String>, name: &str| {
        segments.contains_key(name) || x.segments.iter().any(|s| s == name)
    };

    let mut out: Vec<Impact> = segments
        .iter()
        .map(|(name, via)| Impact {
            kind: ImpactKind::Segment,
            name: (*name).to_owned(),
            via: via.clone(),
        })
        .collect();

    for w in &ir.workflows {
        let mut vias = Vec::new();
        match &w.trigger {
            Some(Trigger::Event { event, filter })
                if event_read(ir, &x, &ir.event(*event).name, filter) =>
            {
                vias.push("trigger".to_owned());
            }
            Some(Trigger::Segment { segment }) => {
                let name = &ir.segment(*segment).name;
                if reached(&segments, name) {
                    vias.push(format!("trigger segment `{name}`"));
                }
            }
            _ => {}
        }
        for a in &w.audience {
            let name = &ir.segment(*a).name;
            if reached(&segments, name) {
                vias.push(format!("audience segment `{name}`"));
            }
        }
        for c in &w.exit_when {
            match c {
                Condition::Segment { segment, .. } => {
                    let name = &ir.segment(*segment).name;
                    if reached(&segments, name) {
                        vias.push(format!("exit_when segment `{name}`"));
                    }
                }
                _ => {
                    if reads(ir, &x, c) && !vias.iter().any(|v| v == "exit_when") {
                        vias.push("exit_when".to_owned());
                    }
                }
            }
        }
        if !vias.is_empty() {
            out.push(Impact {
                kind: ImpactKind::Workflow,
                name: w.name.clone(),
                via: vias.join(", "),
            });
        }
    }
    out
}
