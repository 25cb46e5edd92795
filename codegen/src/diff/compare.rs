//! The comparison: walk both IRs side by side, one element kind at a time, and emit one
//! change per difference with the rule that classifies it.
//!
//! Every kind (identity, named types, attributes, events and their properties, enum
//! values, segments, workflows) is paired the same way ([`super::pairing`]): by key, with
//! rename hints between what was removed and what was added. Each kind's module then
//! reports its removals and additions and compares the elements on both sides, one small
//! check a rule.

use super::impact::Target;
use super::pairing::{Element, Paired};
use super::{Change, Side};
use crate::ir::Ir;
use crate::rules::DiffRule;
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

/// The two contracts and the changes found so far.
pub(super) struct Cx<'a> {
    pub old: &'a Ir,
    pub new: &'a Ir,
    out: Vec<Pending>,
}

/// What owns a place being compared.
#[derive(Clone, Debug)]
pub(super) enum Owner {
    Event(String),
    Type(String),
    Attribute(String),
}

/// A place being compared: its owner and the property path inside it.
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub owner: Owner,
    pub path: Vec<String>,
}

impl Place {
    pub fn of(owner: Owner) -> Place {
        Place {
            owner,
            path: Vec::new(),
        }
    }

    pub fn child(&self, name: &str) -> Place {
        let mut path = self.path.clone();
        path.push(name.to_owned());
        Place {
            owner: self.owner.clone(),
            path,
        }
    }

    /// `event `order_completed` property `items.category``
    pub fn describe(&self) -> String {
        let dotted = self.path.join(".");
        let (kind, name) = match &self.owner {
            Owner::Event(e) => ("event", e),
            Owner::Type(t) => ("type", t),
            Owner::Attribute(a) => ("attribute", a),
        };
        if dotted.is_empty() {
            format!("{kind} `{name}`")
        } else {
            format!("{kind} `{name}` property `{dotted}`")
        }
    }

    pub fn target(&self) -> Target {
        match &self.owner {
            Owner::Event(e) if self.path.is_empty() => Target::Event(e.clone()),
            Owner::Event(e) => Target::Property(e.clone(), self.path.clone()),
            Owner::Type(t) => Target::TypeAt(t.clone(), self.path.clone()),
            Owner::Attribute(a) => Target::Attribute(a.clone()),
        }
    }
}

/// A change being built.
pub(super) struct Emit {
    rule: DiffRule,
    message: String,
    hint: Option<String>,
    side: Side,
    span: Span,
    targets: Vec<Target>,
}

pub(super) fn emit(rule: DiffRule, side: Side, span: Span, message: String) -> Emit {
    Emit {
        rule,
        message,
        hint: None,
        side,
        span,
        targets: Vec::new(),
    }
}

impl Emit {
    /// Its impacts are the readers of `t`.
    pub fn target(mut self, t: Target) -> Emit {
        self.targets.push(t);
        self
    }

    pub fn hint(mut self, h: Option<String>) -> Emit {
        self.hint = h;
        self
    }
}

/// What a kind of element reports when it is only on one side.
pub(super) struct Lifecycle<'s> {
    /// How messages name it: `event `order_completed``.
    pub what: &'s str,
    pub removed: DiffRule,
    /// What a removal's impacts follow (the readers of the removed element).
    pub target: Option<Target>,
    pub added: DiffRule,
    /// After `what`: `was added`.
    pub added_as: &'static str,
}

/// `none` or the value.
pub(super) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
}

impl Cx<'_> {
    pub fn push(&mut self, e: Emit) {
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

    /// The IR of one side.
    pub fn ir(&self, side: Side) -> &Ir {
        match side {
            Side::Old => self.old,
            Side::New => self.new,
        }
    }

    /// Report an element that is only on one side (`{what} was removed`, located in OLD;
    /// `{what} {added_as}`, in NEW), with its rename hint; the element's two sides when it
    /// is on both, for the kind to compare.
    pub fn lifecycle<'t, T: Element>(
        &mut self,
        paired: Paired<'t, T>,
        kind: Lifecycle<'_>,
    ) -> Option<(&'t T, &'t T)> {
        let what = kind.what;
        match paired {
            Paired::Removed(o, hint) => {
                let message = format!("{what} was removed");
                let mut e = emit(kind.removed, Side::Old, o.span(), message).hint(hint);
                if let Some(t) = kind.target {
                    e = e.target(t);
                }
                self.push(e);
                None
            }
            Paired::Added(n, hint) => {
                let message = format!("{what} {}", kind.added_as);
                self.push(emit(kind.added, Side::New, n.span(), message).hint(hint));
                None
            }
            Paired::Both(o, n) => Some((o, n)),
        }
    }

    pub fn description(&mut self, what: &str, o: &Option<String>, n: &Option<String>, span: Span) {
        if o != n {
            let verb = match (o, n) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            self.push(emit(
                DiffRule::DescriptionChanged,
                Side::New,
                span,
                format!("{what}: description {verb}"),
            ));
        }
    }

    pub fn deprecation(&mut self, what: &str, o: &Option<String>, n: &Option<String>, span: Span) {
        if o != n {
            let msg = match (o, n) {
                (None, Some(n)) => format!("{what} was deprecated: {n}"),
                (Some(_), None) => format!("{what} is no longer deprecated"),
                (_, n) => format!("{what}: deprecation note changed to: {}", opt(n.as_ref())),
            };
            self.push(emit(DiffRule::DeprecationChanged, Side::New, span, msg));
        }
    }
}
