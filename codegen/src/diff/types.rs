//! Named types, and two types compared at one place: kind, bounds, lengths, item counts,
//! patterns, formats, objects' openness (constraints tightened or loosened).

use super::Side;
use super::compare::{Cx, Lifecycle, Owner, Place, emit};
use super::impact::Target;
use super::shape::{named, typedef_shape};
use crate::ir::{ObjectDef, StringTy, Ty, TypeDef, TypeKind, TypeOrigin};
use crate::rules::DiffRule;
use crate::source::Span;

/// Which way a bound refuses values.
#[derive(Clone, Copy)]
enum Bound {
    /// Values under it are refused (`minimum`, `min_length`, `min_items`).
    Lower,
    /// Values over it are refused (`maximum`, `max_length`, `max_items`).
    Upper,
}

impl Cx<'_> {
    pub(super) fn types(&mut self) {
        let named = |t: &&TypeDef| t.origin == TypeOrigin::Named;
        let old = self.old.types.iter().filter(named);
        let new = self.new.types.iter().filter(named);
        for (name, paired) in self.pair(old, new, typedef_shape) {
            let kind = Lifecycle {
                what: &format!("type `{name}`"),
                removed: DiffRule::TypeRemoved,
                target: Some(Target::TypeAt(name.to_owned(), Vec::new())),
                added: DiffRule::TypeAdded,
                added_as: "was added",
            };
            if let Some((o, n)) = self.lifecycle(paired, kind) {
                self.typedef(name, o, n);
            }
        }
    }

    fn typedef(&mut self, name: &str, o: &TypeDef, n: &TypeDef) {
        let place = Place::of(Owner::Type(name.to_owned()));
        let what = place.describe();
        self.description(&what, &o.description, &n.description, n.span);
        self.deprecation(&what, &o.deprecated, &n.deprecated, n.span);
        match (&o.kind, &n.kind) {
            (TypeKind::Enum(a), TypeKind::Enum(b)) => self.enum_values(&place, a, b),
            (TypeKind::Object(a), TypeKind::Object(b)) => {
                self.object(&place, a, b, n.span);
            }
            (TypeKind::Alias(a), TypeKind::Alias(b)) => self.ty(&place, a, b, n.span),
            _ => {
                let k = |k: &TypeKind| match k {
                    TypeKind::Enum(_) => "an enum".to_owned(),
                    TypeKind::Object(_) => "an object".to_owned(),
                    TypeKind::Alias(_) => "a scalar or array".to_owned(),
                };
                self.push(
                    emit(
                        DiffRule::TypeChanged,
                        Side::New,
                        n.span,
                        format!("{what} changed from {} to {}", k(&o.kind), k(&n.kind)),
                    )
                    .target(place.target()),
                );
            }
        }
    }

    fn type_changed(&mut self, place: &Place, o: &Ty, n: &Ty, span: Span) {
        self.push(
            emit(
                DiffRule::TypeChanged,
                Side::New,
                span,
                format!(
                    "{} changed type from {} to {}",
                    place.describe(),
                    self.old.describe(o),
                    self.new.describe(n)
                ),
            )
            .target(place.target()),
        );
    }

    fn constraint(&mut self, place: &Place, tightened: bool, what: String, span: Span) {
        let rule = if tightened {
            DiffRule::ConstraintTightened
        } else {
            DiffRule::ConstraintLoosened
        };
        let mut e = emit(
            rule,
            Side::New,
            span,
            format!("{}: {what}", place.describe()),
        );
        if tightened {
            e = e.target(place.target());
        }
        self.push(e);
    }

    /// Compare two types at one place.
    pub(super) fn ty(&mut self, place: &Place, o: &Ty, n: &Ty, span: Span) {
        // A named type on both sides is compared once, where it is defined.
        if let (Some(a), Some(b)) = (named(self.old, o), named(self.new, n))
            && a == b
        {
            return;
        }
        if self.old.kind(o) != self.new.kind(n) {
            self.type_changed(place, o, n, span);
            return;
        }
        let (ou, nu) = (self.old.underlying(o), self.new.underlying(n));
        if let (Some(a), Some(b)) = (named(self.old, ou), named(self.new, nu))
            && a == b
        {
            return;
        }
        let count = |v: Option<u64>| v.map(|v| v as f64);
        match (ou, nu) {
            (Ty::String(a), Ty::String(b)) => self.string(place, a, b, span),
            (Ty::Integer(a), Ty::Integer(b)) | (Ty::Number(a), Ty::Number(b)) => {
                self.bound(place, Bound::Lower, "minimum", a.minimum, b.minimum, span);
                self.bound(place, Bound::Upper, "maximum", a.maximum, b.maximum, span);
            }
            (Ty::Array(a), Ty::Array(b)) => {
                let (lo, hi) = ((a.min_items, b.min_items), (a.max_items, b.max_items));
                self.bound(
                    place,
                    Bound::Lower,
                    "min_items",
                    count(lo.0),
                    count(lo.1),
                    span,
                );
                self.bound(
                    place,
                    Bound::Upper,
                    "max_items",
                    count(hi.0),
                    count(hi.1),
                    span,
                );
                self.ty(place, &a.items, &b.items, span);
            }
            (Ty::Ref(a), Ty::Ref(b)) => match (&self.old.ty(*a).kind, &self.new.ty(*b).kind) {
                (TypeKind::Enum(x), TypeKind::Enum(y)) => self.enum_values(place, x, y),
                (TypeKind::Object(x), TypeKind::Object(y)) => self.object(place, x, y, span),
                _ => self.type_changed(place, o, n, span),
            },
            _ => {}
        }
    }

    fn object(&mut self, place: &Place, o: &ObjectDef, n: &ObjectDef, span: Span) {
        match (o.additional_properties, n.additional_properties) {
            (true, false) => self.constraint(
                place,
                true,
                "additional_properties closed (unknown properties are now rejected)".into(),
                span,
            ),
            (false, true) => self.constraint(
                place,
                false,
                "additional_properties opened (unknown properties are now accepted)".into(),
                span,
            ),
            _ => {}
        }
        self.properties(place, &o.properties, &n.properties);
    }

    fn string(&mut self, place: &Place, a: &StringTy, b: &StringTy, span: Span) {
        let f = |v: Option<u64>| v.map(|v| v as f64);
        self.bound(
            place,
            Bound::Lower,
            "min_length",
            f(a.min_length),
            f(b.min_length),
            span,
        );
        self.bound(
            place,
            Bound::Upper,
            "max_length",
            f(a.max_length),
            f(b.max_length),
            span,
        );
        let format = |s: &StringTy| s.format.map(|f| f.as_str().to_owned());
        for (key, x, y) in [
            ("pattern", a.pattern.clone(), b.pattern.clone()),
            ("format", format(a), format(b)),
        ] {
            match (x, y) {
                (None, Some(y)) => self.constraint(place, true, format!("{key} `{y}` added"), span),
                (Some(x), None) => {
                    self.constraint(place, false, format!("{key} `{x}` removed"), span)
                }
                (Some(x), Some(y)) if x != y => self.constraint(
                    place,
                    true,
                    format!("{key} changed from `{x}` to `{y}`"),
                    span,
                ),
                _ => {}
            }
        }
    }

    /// A bound added or removed, raised or lowered: tightened when fewer values pass.
    fn bound(
        &mut self,
        place: &Place,
        bound: Bound,
        key: &str,
        a: Option<f64>,
        b: Option<f64>,
        span: Span,
    ) {
        match (a, b) {
            (None, Some(y)) => self.constraint(place, true, format!("{key} {y} added"), span),
            (Some(x), None) => self.constraint(place, false, format!("{key} {x} removed"), span),
            (Some(x), Some(y)) if x != y => {
                let verb = if y > x { "raised" } else { "lowered" };
                let tightened = match bound {
                    Bound::Lower => y > x,
                    Bound::Upper => y < x,
                };
                let what = format!("{key} {verb} from {x} to {y}");
                self.constraint(place, tightened, what, span);
            }
            _ => {}
        }
    }
}
