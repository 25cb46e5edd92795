//! Conditions and triggers compared by what they mean, not by how they print: what they
//! read (by name: the two contracts number their elements differently), their filters as
//! a set, their window in seconds, their count. What a condition is about ([`Key`]) and how
//! it is written for messages ([`Plain`]) come from the analysis, as for the catalog.

use std::time::Duration as Seconds;

use crate::analysis::conditions::{self, Key, Plain};
use crate::ir::{Condition, Filter, Ir, Op, SegmentId, Trigger};

/// A condition or trigger as the contract means it, comparable across two IRs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Meaning<'a> {
    pub subject: Key<'a>,
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
                filter,
                within,
                count,
                ..
            } => Meaning {
                subject: Key::of(ir, c),
                filter: canonical(filter),
                ops: count,
                within: within.map(|w| Seconds::from_secs(w.seconds())),
            },
            Condition::Attribute { op, .. } => Meaning {
                subject: Key::of(ir, c),
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
                subject: Key::Event(&ir.event(*event).name),
                filter: canonical(filter),
                ops: &[],
                within: None,
            },
            Trigger::Segment { segment } => Meaning::of_segment(ir, *segment),
        }
    }

    fn of_segment(ir: &'a Ir, segment: SegmentId) -> Meaning<'a> {
        Meaning {
            subject: Key::Segment(&ir.segment(segment).name),
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

/// A condition by names: `event order_completed where items.category equals "skincare" within 28d`.
pub(super) fn render_condition(ir: &Ir, c: &Condition) -> String {
    conditions::condition(&Plain(ir), c)
}

/// A trigger by names: `event cart_updated where ...`, `segment vip`.
pub(super) fn render_trigger(ir: &Ir, t: &Trigger) -> String {
    conditions::trigger(&Plain(ir), t)
}
