//! Conditions and triggers compared by what they mean, not by how they print: what they
//! read (by name: the two contracts number their elements differently), their filters as
//! a set, their window in seconds, their count. Rendering is for messages only.

use std::time::Duration as Seconds;

use crate::ir::{Condition, EventId, Filter, Ir, Op, SegmentId, Trigger};

/// What a condition or trigger reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Subject<'a> {
    Event(&'a str),
    Attribute(&'a str),
    Segment(&'a str),
}

/// A condition or trigger as the contract means it, comparable across two IRs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Meaning<'a> {
    pub subject: Subject<'a>,
    /// `where`: one (path, operators) a property, in a canonical order.
    filter: Vec<(&'a [String], &'a [Op])>,
    /// An attribute's operator, an event's `count`.
    ops: &'a [Op],
    /// `within`, as a length of time: `4w` and `28d` are the same window.
    within: Option<Seconds>,
}

impl<'a> Meaning<'a> {
    pub fn of_condition(ir: &'a Ir, c: &'a Condition) -> Meaning<'a> {
        match c {
            Condition::Event {
                event,
                filter,
                within,
                count,
                ..
            } => Meaning {
                subject: Subject::Event(&ir.event(*event).name),
                filter: canonical(filter),
                ops: count,
                within: within.map(|w| Seconds::from_secs(w.seconds())),
            },
            Condition::Attribute { attribute, op, .. } => Meaning {
                subject: Subject::Attribute(&ir.attribute(*attribute).name),
                filter: Vec::new(),
                ops: std::slice::from_ref(op),
                within: None,
            },
            Condition::Segment { segment, .. } => Meaning::of_segment(ir, *segment),
        }
    }

    pub fn of_trigger(ir: &'a Ir, t: &'a Trigger) -> Meaning<'a> {
        match t {
            Trigger::Event { event, filter } => Meaning {
                subject: Subject::Event(&ir.event(*event).name),
                filter: canonical(filter),
                ops: &[],
                within: None,
            },
            Trigger::Segment { segment } => Meaning::of_segment(ir, *segment),
        }
    }

    fn of_segment(ir: &'a Ir, segment: SegmentId) -> Meaning<'a> {
        Meaning {
            subject: Subject::Segment(&ir.segment(segment).name),
            filter: Vec::new(),
            ops: &[],
            within: None,
        }
    }

    /// A fingerprint for rename hints (equal meanings, equal fingerprints).
    pub fn fingerprint(&self) -> String {
        format!("{self:?}")
    }
}

/// Filters in an order that does not depend on how the contract lists them: by path,
/// then by operators (their canonical JSON).
fn canonical(filter: &[Filter]) -> Vec<(&[String], &[Op])> {
    let mut out: Vec<_> = filter
        .iter()
        .map(|f| {
            let ops: Vec<_> = f
                .ops
                .iter()
                .map(|op| (op.name(), op.operand().to_string()))
                .collect();
            ((f.path.as_slice(), ops), f.ops.as_slice())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter()
        .map(|((path, _), ops)| (path, ops))
        .collect()
}

/// Two lists of conditions: removed, added, and changed in place (the same subject,
/// another meaning).
pub(super) struct CondDiff<'a> {
    pub removed: Vec<&'a Condition>,
    pub added: Vec<&'a Condition>,
    pub changed: Vec<(&'a Condition, &'a Condition)>,
}

pub(super) fn diff_conditions<'a>(
    old: &'a Ir,
    new: &'a Ir,
    ol: &'a [Condition],
    nl: &'a [Condition],
) -> CondDiff<'a> {
    let mut left: Vec<(&Condition, Meaning)> = ol
        .iter()
        .map(|c| (c, Meaning::of_condition(old, c)))
        .collect();
    let mut right = Vec::new();
    for c in nl {
        let m = Meaning::of_condition(new, c);
        match left.iter().position(|(_, o)| *o == m) {
            Some(i) => {
                left.remove(i);
            }
            None => right.push((c, m)),
        }
    }
    let mut changed = Vec::new();
    let mut added = Vec::new();
    for (c, m) in right {
        match left.iter().position(|(_, o)| o.subject == m.subject) {
            Some(i) => changed.push((left.remove(i).0, c)),
            None => added.push(c),
        }
    }
    CondDiff {
        removed: left.into_iter().map(|(c, _)| c).collect(),
        added,
        changed,
    }
}

fn render_op(op: &Op) -> String {
    format!("{} {}", op.name(), op.operand())
}

fn render_ops(ops: &[Op]) -> String {
    ops.iter().map(render_op).collect::<Vec<_>>().join(" and ")
}

fn render_filters(filter: &[Filter]) -> String {
    let mut parts: Vec<String> = filter
        .iter()
        .map(|f| format!("{} {}", f.dotted(), render_ops(&f.ops)))
        .collect();
    parts.sort();
    parts.join(", ")
}

/// `event order_completed where items.category equals "skincare"`.
fn render_event(ir: &Ir, event: EventId, filter: &[Filter]) -> String {
    let mut s = format!("event {}", ir.event(event).name);
    if !filter.is_empty() {
        s.push_str(&format!(" where {}", render_filters(filter)));
    }
    s
}

/// A condition by names: `event order_completed where items.category equals "skincare" within 28d`.
pub(super) fn render_condition(ir: &Ir, c: &Condition) -> String {
    match c {
        Condition::Event {
            event,
            filter,
            within,
            count,
            ..
        } => {
            let mut s = render_event(ir, *event, filter);
            if !count.is_empty() {
                s.push_str(&format!(" count {}", render_ops(count)));
            }
            if let Some(w) = within {
                s.push_str(&format!(" within {w}"));
            }
            s
        }
        Condition::Attribute { attribute, op, .. } => {
            let name = &ir.attribute(*attribute).name;
            format!("attribute {name} {}", render_op(op))
        }
        Condition::Segment { segment, .. } => format!("segment {}", ir.segment(*segment).name),
    }
}

/// A trigger by names: `event cart_updated where ...`, `segment vip`.
pub(super) fn render_trigger(ir: &Ir, t: &Trigger) -> String {
    match t {
        Trigger::Event { event, filter } => render_event(ir, *event, filter),
        Trigger::Segment { segment } => format!("segment {}", ir.segment(*segment).name),
    }
}
