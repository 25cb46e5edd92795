//! Workflows: removed and added, and each one's goal, trigger, audience, wait, exit
//! conditions and channels.

use std::collections::BTreeSet;

use super::Side;
use super::compare::{Cx, Lifecycle, emit, opt};
use super::conditions::{Meaning, diff_conditions, render_condition, render_trigger};
use crate::ir::{Ir, Workflow};
use crate::rules::DiffRule;

/// A workflow's fingerprint for rename hints: its trigger's meaning and its channels.
fn workflow_shape(ir: &Ir, w: &Workflow) -> String {
    let trigger = w.trigger.as_ref().map(|t| Meaning::of_trigger(ir, t));
    format!(
        "{}|{:?}",
        trigger.map(|m| m.fingerprint()).unwrap_or_default(),
        w.channels
    )
}

impl Cx<'_> {
    pub(super) fn workflows(&mut self) {
        let (old, new) = (&self.old.workflows, &self.new.workflows);
        for (name, paired) in self.pair(old, new, workflow_shape) {
            let what = format!("workflow `{name}`");
            // Nothing in the contract reads a workflow: a removal has no impacts.
            let kind = Lifecycle {
                what: &what,
                removed: DiffRule::WorkflowRemoved,
                target: None,
                added: DiffRule::WorkflowAdded,
                added_as: "was added",
            };
            if let Some((o, n)) = self.lifecycle(paired, kind) {
                self.workflow(&what, o, n);
            }
        }
    }

    fn workflow(&mut self, what: &str, o: &Workflow, n: &Workflow) {
        let at = |rule: DiffRule, message: String| emit(rule, Side::New, n.span, message);
        self.description(what, &o.description, &n.description, n.span);
        if o.goal != n.goal {
            self.push(at(
                DiffRule::WorkflowGoalChanged,
                format!(
                    "{what}: goal changed from {} to {}",
                    opt(o.goal.map(|g| g.as_str())),
                    opt(n.goal.map(|g| g.as_str()))
                ),
            ));
        }
        let (ot, nt) = (
            o.trigger.as_ref().map(|t| Meaning::of_trigger(self.old, t)),
            n.trigger.as_ref().map(|t| Meaning::of_trigger(self.new, t)),
        );
        if ot != nt {
            let render = |ir: &Ir, w: &Workflow| {
                opt(w
                    .trigger
                    .as_ref()
                    .map(|t| format!("`{}`", render_trigger(ir, t))))
            };
            self.push(at(
                DiffRule::WorkflowTriggerChanged,
                format!(
                    "{what}: trigger changed from {} to {}",
                    render(self.old, o),
                    render(self.new, n)
                ),
            ));
        }
        let names = |ir: &Ir, w: &Workflow| -> BTreeSet<String> {
            w.audience
                .iter()
                .map(|s| ir.segment(*s).name.clone())
                .collect()
        };
        let (oa, na) = (names(self.old, o), names(self.new, n));
        for s in oa.difference(&na) {
            let message = format!("{what}: segment `{s}` removed from the audience");
            self.push(at(DiffRule::WorkflowAudienceWidened, message));
        }
        for s in na.difference(&oa) {
            let message = format!("{what}: segment `{s}` added to the audience");
            self.push(at(DiffRule::WorkflowAudienceNarrowed, message));
        }
        let secs = |d: Option<crate::ir::Duration>| d.map(|d| d.seconds()).unwrap_or(0);
        let (ow, nw) = (secs(o.wait), secs(n.wait));
        if ow != nw {
            let rule = if nw < ow {
                DiffRule::WorkflowWaitShortened
            } else {
                DiffRule::WorkflowWaitLengthened
            };
            let message = format!(
                "{what}: wait changed from {} to {}",
                opt(o.wait),
                opt(n.wait)
            );
            self.push(at(rule, message));
        }
        self.exits(what, o, n);
        let (oc, nc): (BTreeSet<_>, BTreeSet<_>) = (
            o.channels.iter().copied().collect(),
            n.channels.iter().copied().collect(),
        );
        for c in nc.difference(&oc) {
            let message = format!("{what}: channel `{}` added", c.as_str());
            self.push(at(DiffRule::WorkflowChannelAdded, message));
        }
        for c in oc.difference(&nc) {
            let message = format!("{what}: channel `{}` removed", c.as_str());
            self.push(at(DiffRule::WorkflowChannelRemoved, message));
        }
    }

    /// Exit conditions removed (suppression weakened), added, changed in place.
    fn exits(&mut self, what: &str, o: &Workflow, n: &Workflow) {
        let d = diff_conditions(self.old, self.new, &o.exit_when, &n.exit_when);
        for (list, side, rule, verb) in [
            (
                &d.removed,
                Side::Old,
                DiffRule::WorkflowExitRemoved,
                "removed",
            ),
            (&d.added, Side::New, DiffRule::WorkflowExitAdded, "added"),
        ] {
            for c in list {
                let shown = render_condition(self.ir(side), c);
                let message = format!("{what}: exit condition `{shown}` {verb}");
                self.push(emit(rule, side, c.span(), message));
            }
        }
        for (a, b) in &d.changed {
            let message = format!(
                "{what}: exit condition changed from `{}` to `{}`",
                render_condition(self.old, a),
                render_condition(self.new, b)
            );
            self.push(emit(
                DiffRule::WorkflowExitChanged,
                Side::New,
                b.span(),
                message,
            ));
        }
    }
}
