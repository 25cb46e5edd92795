//! How a condition (or a trigger) is written and identified. The parts and their order are
//! fixed here, once: the subject (`event`, `attribute`, `segment`), the `where` filters, the
//! count and the window. A [`Style`] says how each part is spelled for one destination (the
//! catalog's Markdown with links, the plain text diff compares and reports).

use std::fmt;

use crate::ir::{AttributeId, Condition, EventId, Filter, Ir, Op, SegmentId, Trigger};

/// How the parts of a condition are spelled for one destination.
pub(crate) trait Style {
    /// The event a condition reads (`performed [x](…)`, `event x`).
    fn event(&self, id: EventId) -> String;
    /// Said after an event condition, and after its filters, count and window when it
    /// has some (`qualified`): an exit's "after the trigger".
    fn event_end(&self, _qualified: bool) -> &'static str {
        ""
    }
    /// The event a trigger names.
    fn trigger_event(&self, id: EventId) -> String;
    fn attribute(&self, id: AttributeId) -> String;
    fn segment(&self, id: SegmentId) -> String;
    /// The segment a trigger names.
    fn trigger_segment(&self, id: SegmentId) -> String;
    fn op(&self, op: &Op) -> String;
    /// One `where` filter on `event`'s data: its path and its operators.
    fn filter(&self, event: EventId, f: &Filter) -> String;
    /// Between two filters.
    const FILTER_SEPARATOR: &'static str;
    /// Whether filters are listed sorted (so that their order in the file does not count).
    const SORT_FILTERS: bool;
    /// Before the count operators and before the window.
    const COUNT: &'static str;
    const WITHIN: &'static str;
}

fn filters<S: Style>(style: &S, event: EventId, filter: &[Filter]) -> String {
    let mut parts: Vec<String> = filter.iter().map(|f| style.filter(event, f)).collect();
    if S::SORT_FILTERS {
        parts.sort();
    }
    parts.join(S::FILTER_SEPARATOR)
}

/// A condition in `style`.
pub(crate) fn condition<S: Style>(style: &S, c: &Condition) -> String {
    match c {
        Condition::Event {
            event,
            filter,
            within,
            count,
            ..
        } => {
            let mut s = style.event(*event);
            if !filter.is_empty() {
                s.push_str(" where ");
                s.push_str(&filters(style, *event, filter));
            }
            if !count.is_empty() {
                s.push_str(S::COUNT);
                let ops: Vec<String> = count.iter().map(|o| style.op(o)).collect();
                s.push_str(&ops.join(" and "));
            }
            if let Some(w) = within {
                s.push_str(S::WITHIN);
                s.push_str(&w.to_string());
            }
            let qualified = !filter.is_empty() || !count.is_empty() || within.is_some();
            s.push_str(style.event_end(qualified));
            s
        }
        Condition::Attribute { attribute, op, .. } => {
            format!("{} {}", style.attribute(*attribute), style.op(op))
        }
        Condition::Segment { segment, .. } => style.segment(*segment),
    }
}

/// A workflow's trigger in `style`.
pub(crate) fn trigger<S: Style>(style: &S, t: &Trigger) -> String {
    match t {
        Trigger::Event { event, filter } => {
            let mut s = style.trigger_event(*event);
            if !filter.is_empty() {
                s.push_str(" where ");
                s.push_str(&filters(style, *event, filter));
            }
            s
        }
        Trigger::Segment { segment } => style.trigger_segment(*segment),
    }
}

/// Plain text by names, the same for the same meaning whatever the file layout (filters
/// sorted): `event order_completed where items.category equals "skincare" within 28d`.
/// Two versions of a contract are compared in it.
// Only the diff compares contracts; without it (build scripts, the derives) this is unused.
#[cfg_attr(not(any(feature = "diff", feature = "simulate")), allow(dead_code))]
pub(crate) struct Plain<'ir>(pub &'ir Ir);

impl Style for Plain<'_> {
    fn event(&self, id: EventId) -> String {
        format!("event {}", self.0.event(id).name)
    }
    fn trigger_event(&self, id: EventId) -> String {
        self.event(id)
    }
    fn attribute(&self, id: AttributeId) -> String {
        format!("attribute {}", self.0.attribute(id).name)
    }
    fn segment(&self, id: SegmentId) -> String {
        format!("segment {}", self.0.segment(id).name)
    }
    fn trigger_segment(&self, id: SegmentId) -> String {
        self.segment(id)
    }
    fn op(&self, op: &Op) -> String {
        format!("{} {}", op.name(), op.operand())
    }
    fn filter(&self, _event: EventId, f: &Filter) -> String {
        let ops: Vec<String> = f.ops.iter().map(|o| self.op(o)).collect();
        format!("{} {}", f.dotted(), ops.join(" and "))
    }
    const FILTER_SEPARATOR: &'static str = ", ";
    const SORT_FILTERS: bool = true;
    const COUNT: &'static str = " count ";
    const WITHIN: &'static str = " within ";
}

/// What a condition is about, by name, so that the same subject can be found in another
/// version of the contract: `event order_completed`, `attribute is_vip`, `segment x`.
#[cfg_attr(not(feature = "diff"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key<'ir> {
    Event(&'ir str),
    Attribute(&'ir str),
    Segment(&'ir str),
}

#[cfg_attr(not(feature = "diff"), allow(dead_code))]
impl<'ir> Key<'ir> {
    pub(crate) fn of(ir: &'ir Ir, c: &Condition) -> Self {
        match c {
            Condition::Event { event, .. } => Key::Event(&ir.event(*event).name),
            Condition::Attribute { attribute, .. } => {
                Key::Attribute(&ir.attribute(*attribute).name)
            }
            Condition::Segment { segment, .. } => Key::Segment(&ir.segment(*segment).name),
        }
    }
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Event(n) => write!(f, "event {n}"),
            Key::Attribute(n) => write!(f, "attribute {n}"),
            Key::Segment(n) => write!(f, "segment {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Ir {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract");
        let checked = crate::check(&dir).expect("the example contract loads");
        checked.ir.expect("the example contract resolves")
    }

    #[test]
    fn plain_text_and_keys_by_name() {
        let ir = example();
        let seg = |name: &str| ir.segments.iter().find(|s| s.name == name).unwrap();
        let style = Plain(&ir);
        let b = seg("browsers_not_buying");
        assert_eq!(
            condition(&style, &b.all[0]),
            "event product_viewed count gte 3 within 2w"
        );
        assert_eq!(Key::of(&ir, &b.all[0]).to_string(), "event product_viewed");
        let e = seg("email_subscribers");
        assert_eq!(
            condition(&style, &e.all[0]),
            "attribute email_opt_in equals true"
        );
        assert_eq!(condition(&style, &e.all[1]), "attribute email exists true");
        assert_eq!(Key::of(&ir, &e.all[1]), Key::Attribute("email"));
        let w = ir
            .workflows
            .iter()
            .find_map(|w| w.trigger.as_ref())
            .unwrap();
        assert!(
            trigger(&style, w).starts_with("event ") || trigger(&style, w).starts_with("segment ")
        );
    }
}
