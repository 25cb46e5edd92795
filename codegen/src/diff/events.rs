//! Events: removed and added, and each one on both sides (owner, idempotency key,
//! backfill policy, docs, then its properties).

use super::Side;
use super::compare::{Cx, Lifecycle, Owner, Place, emit, opt};
use super::shape::property_shape;
use crate::ir::{BackfillPolicy, Event, Ir};
use crate::rules::DiffRule;

/// An event's fingerprint for rename hints: its properties' shapes, in name order.
fn event_shape(ir: &Ir, e: &Event) -> String {
    let mut props: Vec<String> = e.properties.iter().map(|p| property_shape(ir, p)).collect();
    props.sort();
    props.join(",")
}

impl Cx<'_> {
    pub(super) fn events(&mut self) {
        let (old, new) = (&self.old.events, &self.new.events);
        for (name, paired) in self.pair(old, new, event_shape) {
            let place = Place::of(Owner::Event(name.to_owned()));
            let kind = Lifecycle {
                what: &place.describe(),
                removed: DiffRule::EventRemoved,
                target: Some(place.target()),
                added: DiffRule::EventAdded,
                added_as: "was added",
            };
            if let Some((o, n)) = self.lifecycle(paired, kind) {
                self.event(&place, o, n);
            }
        }
    }

    fn event(&mut self, place: &Place, o: &Event, n: &Event) {
        let what = place.describe();
        self.description(&what, &o.description, &n.description, n.span);
        if o.owner != n.owner {
            self.push(emit(
                DiffRule::OwnerChanged,
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
        // (rule, message, whether readers of the event are touched)
        let key_change = match (ok, nk) {
            (None, Some(k)) => Some((
                DiffRule::IdempotencyKeyAdded,
                format!("{what}: idempotency_key `{k}` added"),
                false,
            )),
            (Some(k), None) => Some((
                DiffRule::IdempotencyKeyRemoved,
                format!("{what}: idempotency_key `{k}` removed; retries count twice"),
                true,
            )),
            (Some(a), Some(b)) if a != b => Some((
                DiffRule::IdempotencyKeyChanged,
                format!("{what}: idempotency_key changed from `{a}` to `{b}`"),
                true,
            )),
            _ => None,
        };
        if let Some((rule, message, read)) = key_change {
            let e = emit(rule, Side::New, n.span, message);
            self.push(if read { e.target(place.target()) } else { e });
        }
        let backfill = match (o.backfill, n.backfill) {
            (BackfillPolicy::Forbidden, BackfillPolicy::Allowed) => {
                Some((DiffRule::BackfillAllowed, "forbidden to allowed"))
            }
            (BackfillPolicy::Allowed, BackfillPolicy::Forbidden) => {
                Some((DiffRule::BackfillForbidden, "allowed to forbidden"))
            }
            _ => None,
        };
        if let Some((rule, change)) = backfill {
            let message = format!("{what}: backfill changed from {change}");
            self.push(emit(rule, Side::New, n.span, message).target(place.target()));
        }
        self.properties(place, &o.properties, &n.properties);
    }
}
