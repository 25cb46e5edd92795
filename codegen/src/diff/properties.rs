//! Attributes, and the properties of events and objects: removed, added (required or
//! optional), and each one present on both sides (optionality, type, docs, pii).

use super::Side;
use super::compare::{Cx, Lifecycle, Owner, Place, emit, opt};
use super::pairing::Paired;
use super::shape::shape;
use crate::ir::Property;
use crate::rules::DiffRule;

/// A property's fingerprint for rename hints: its type's shape.
fn property_shape(ir: &crate::ir::Ir, p: &Property) -> String {
    shape(ir, &p.ty)
}

impl Cx<'_> {
    pub(super) fn attributes(&mut self) {
        let (old, new) = (&self.old.attributes, &self.new.attributes);
        for (name, paired) in self.pair(old, new, property_shape) {
            let place = Place::of(Owner::Attribute(name.to_owned()));
            let kind = Lifecycle {
                what: &place.describe(),
                removed: DiffRule::AttributeRemoved,
                target: Some(place.target()),
                added: DiffRule::AttributeAdded,
                added_as: "was added",
            };
            if let Some((o, n)) = self.lifecycle(paired, kind) {
                self.property(&place, o, n, true);
                self.attribute(&place, o, n);
            }
        }
    }

    /// What only attributes have: a consent channel, being derived.
    fn attribute(&mut self, place: &Place, o: &Property, n: &Property) {
        let what = place.describe();
        if o.consent != n.consent {
            self.push(
                emit(
                    DiffRule::AttributeConsentChanged,
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
                    DiffRule::AttributeNowDerived,
                    Side::New,
                    n.span,
                    format!("{what} is now derived: producers must stop sending it"),
                )
                .target(place.target()),
            ),
            (true, false) => self.push(emit(
                DiffRule::AttributeNoLongerDerived,
                Side::New,
                n.span,
                format!("{what} is no longer derived: producers may send it"),
            )),
            _ => {}
        }
    }

    /// The properties of an event or an object, at `place`.
    pub(super) fn properties(&mut self, place: &Place, old: &[Property], new: &[Property]) {
        for (name, paired) in self.pair(old, new, property_shape) {
            let child = place.child(name);
            let (added, added_as) = match &paired {
                Paired::Added(n, _) if !n.optional => (
                    DiffRule::RequiredPropertyAdded,
                    "was added as required: every producer must send it",
                ),
                _ => (DiffRule::PropertyAdded, "was added (optional)"),
            };
            let kind = Lifecycle {
                what: &child.describe(),
                removed: DiffRule::PropertyRemoved,
                target: Some(child.target()),
                added,
                added_as,
            };
            if let Some((o, n)) = self.lifecycle(paired, kind) {
                self.property(&child, o, n, false);
            }
        }
    }

    /// One property or attribute present on both sides.
    fn property(&mut self, place: &Place, o: &Property, n: &Property, attribute: bool) {
        let what = place.describe();
        if !attribute {
            let rule = match (o.optional, n.optional) {
                (true, false) => Some((DiffRule::PropertyNowRequired, "required (was optional)")),
                (false, true) => Some((DiffRule::PropertyNowOptional, "optional (was required)")),
                _ => None,
            };
            if let Some((rule, now)) = rule {
                let message = format!("{what} is now {now}");
                self.push(emit(rule, Side::New, n.span, message).target(place.target()));
            }
        }
        self.ty(place, &o.ty, &n.ty, n.ty_span);
        self.description(&what, &o.description, &n.description, n.span);
        if o.examples != n.examples {
            let list = |v: &[serde_json::Value]| serde_json::Value::from(v.to_vec()).to_string();
            self.push(emit(
                DiffRule::ExamplesChanged,
                Side::New,
                n.span,
                format!(
                    "{what}: examples changed from {} to {}",
                    list(&o.examples),
                    list(&n.examples)
                ),
            ));
        }
        if o.pii != n.pii {
            self.push(emit(
                DiffRule::PiiChanged,
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
}
