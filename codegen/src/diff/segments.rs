//! Segments: removed and added, and each one's `all`, `any` and `none` conditions:
//! widened, narrowed or changed in place.

use super::Side;
use super::compare::{Cx, Lifecycle, emit};
use super::conditions::{Meaning, diff_conditions, render_condition};
use super::impact::Target;
use crate::ir::{Ir, Segment};
use crate::rules::DiffRule;

/// A segment's fingerprint for rename hints: the meaning of its condition lists.
fn segment_shape(ir: &Ir, s: &Segment) -> String {
    [&s.all, &s.any, &s.none]
        .iter()
        .map(|l| {
            let mut v: Vec<String> = l
                .iter()
                .map(|c| Meaning::of_condition(ir, c).fingerprint())
                .collect();
            v.sort();
            v.join(";")
        })
        .collect::<Vec<_>>()
        .join("|")
}

impl Cx<'_> {
    pub(super) fn segments(&mut self) {
        let (old, new) = (&self.old.segments, &self.new.segments);
        for (name, paired) in self.pair(old, new, segment_shape) {
            let what = format!("segment `{name}`");
            let kind = Lifecycle {
                what: &what,
                removed: DiffRule::SegmentRemoved,
                target: Some(Target::Segment(name.to_owned())),
                added: DiffRule::SegmentAdded,
                added_as: "was added",
            };
            if let Some((o, n)) = self.lifecycle(paired, kind) {
                self.segment(name, &what, o, n);
            }
        }
    }

    fn segment(&mut self, name: &str, what: &str, o: &Segment, n: &Segment) {
        let target = Target::Segment(name.to_owned());
        self.description(what, &o.description, &n.description, n.span);
        for (list, ol, nl) in [
            ("all", &o.all, &n.all),
            ("any", &o.any, &n.any),
            ("none", &o.none, &n.none),
        ] {
            let d = diff_conditions(self.old, self.new, ol, nl);
            // `any: []` puts no constraint: its first condition narrows, its last widens.
            let any_vacuous_before = list == "any" && ol.is_empty();
            let any_vacuous_after = list == "any" && nl.is_empty();
            let widened = |widens: bool| {
                if widens {
                    DiffRule::SegmentWidened
                } else {
                    DiffRule::SegmentNarrowed
                }
            };
            for c in &d.removed {
                let rule = widened(list != "any" || any_vacuous_after);
                let message = format!(
                    "{what}: condition `{}` removed from `{list}`",
                    render_condition(self.old, c)
                );
                let e = emit(rule, Side::Old, c.span(), message);
                self.push(e.target(target.clone()));
            }
            for c in &d.added {
                let rule = widened(list == "any" && !any_vacuous_before);
                let message = format!(
                    "{what}: condition `{}` added to `{list}`",
                    render_condition(self.new, c)
                );
                let e = emit(rule, Side::New, c.span(), message);
                self.push(e.target(target.clone()));
            }
            for (a, b) in &d.changed {
                let message = format!(
                    "{what}: `{list}` condition changed from `{}` to `{}`",
                    render_condition(self.old, a),
                    render_condition(self.new, b)
                );
                let e = emit(
                    DiffRule::SegmentConditionChanged,
                    Side::New,
                    b.span(),
                    message,
                );
                self.push(e.target(target.clone()));
            }
        }
    }
}
