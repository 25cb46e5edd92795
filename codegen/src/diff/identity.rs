//! The identity: its id, the id's type, the anonymous id.

use super::Side;
use super::compare::{Cx, emit, opt};
use super::shape::shape;
use crate::rules::DiffRule;

impl Cx<'_> {
    pub(super) fn identity(&mut self) {
        let (o, n) = (&self.old.identity, &self.new.identity);
        let mut changes = Vec::new();
        if o.id != n.id {
            changes.push(format!("identity id changed from `{}` to `{}`", o.id, n.id));
        }
        if shape(self.old, &o.id_type) != shape(self.new, &n.id_type) {
            changes.push(format!(
                "identity id_type changed from {} to {}",
                self.old.describe(&o.id_type),
                self.new.describe(&n.id_type)
            ));
        }
        if o.anonymous_id != n.anonymous_id {
            let quoted = |s: &Option<String>| opt(s.as_ref().map(|s| format!("`{s}`")));
            changes.push(format!(
                "identity anonymous_id changed from {} to {}",
                quoted(&o.anonymous_id),
                quoted(&n.anonymous_id)
            ));
        }
        for message in changes {
            self.push(emit(DiffRule::IdentityChanged, Side::New, n.span, message));
        }
    }
}
