//! Structural fingerprints of types (for rename hints and the identity's type) and a
//! type's kind (`array of string`), read through aliases.

use crate::ir::{Ir, Property, Ty, TypeDef, TypeKind, TypeOrigin};

/// A structural fingerprint of a type: named types by name, inline ones expanded.
pub fn shape(ir: &Ir, ty: &Ty) -> String {
    match ty {
        Ty::String(s) => format!(
            "string({:?},{:?},{:?},{:?})",
            s.min_length,
            s.max_length,
            s.pattern,
            s.format.map(|f| f.as_str())
        ),
        Ty::Integer(b) => format!("integer({:?},{:?})", b.minimum, b.maximum),
        Ty::Number(b) => format!("number({:?},{:?})", b.minimum, b.maximum),
        Ty::Boolean => "boolean".into(),
        Ty::Timestamp => "timestamp".into(),
        Ty::Date => "date".into(),
        Ty::Array(a) => format!(
            "array({},{:?},{:?})",
            shape(ir, &a.items),
            a.min_items,
            a.max_items
        ),
        Ty::Ref(id) => {
            let t = ir.ty(*id);
            match t.origin {
                TypeOrigin::Named => format!("ref({})", t.name),
                TypeOrigin::Inline { .. } => typedef_shape(ir, t),
            }
        }
    }
}

pub fn typedef_shape(ir: &Ir, t: &TypeDef) -> String {
    match &t.kind {
        TypeKind::Enum(e) => format!(
            "enum({})",
            e.values
                .iter()
                .map(|v| v.value.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        TypeKind::Object(o) => format!(
            "object({};{})",
            o.properties
                .iter()
                .map(|p| property_shape(ir, p))
                .collect::<Vec<_>>()
                .join(","),
            o.additional_properties
        ),
        TypeKind::Alias(ty) => shape(ir, ty),
    }
}

pub fn property_shape(ir: &Ir, p: &Property) -> String {
    format!(
        "{}{}:{}",
        p.name,
        if p.optional { "?" } else { "" },
        shape(ir, &p.ty)
    )
}

/// The name of a named type.
pub fn named(ir: &Ir, ty: &Ty) -> Option<String> {
    match ty {
        Ty::Ref(id) if ir.ty(*id).origin == TypeOrigin::Named => Some(ir.ty(*id).name.clone()),
        _ => None,
    }
}
