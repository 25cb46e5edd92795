//! The shape of a field's Rust type, read syntactically (a derive cannot see through
//! type aliases or `use ... as` renames: the contract-type binding catches those).

use syn::{GenericArgument, PathArguments, Type};

#[derive(Clone)]
pub enum Shape {
    Option(Box<Shape>),
    Vec(Box<Shape>),
    Str,
    Int,
    Float,
    Bool,
    Timestamp,
    Date,
    /// Any other named type (a nested struct, an enum, a type alias), by its last path
    /// segment; the type itself for the compile-time binding check.
    Named(String, Box<Type>),
    /// A tuple, a function pointer, `impl Trait`...
    Other,
}

fn first_type_arg(args: &PathArguments) -> Option<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

pub fn of(ty: &Type) -> Shape {
    match ty {
        Type::Reference(r) => of(&r.elem),
        Type::Paren(p) => of(&p.elem),
        Type::Group(g) => of(&g.elem),
        Type::Slice(s) => Shape::Vec(Box::new(of(&s.elem))),
        Type::Array(a) => Shape::Vec(Box::new(of(&a.elem))),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Shape::Other;
            };
            let name = last.ident.to_string();
            let arg = first_type_arg(&last.arguments);
            match (name.as_str(), arg) {
                ("Option", Some(t)) => Shape::Option(Box::new(of(t))),
                ("Vec" | "VecDeque", Some(t)) => Shape::Vec(Box::new(of(t))),
                ("Box" | "Rc" | "Arc" | "Cow", Some(t)) => of(t),
                ("String" | "str", _) => Shape::Str,
                (
                    "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64"
                    | "u128" | "usize",
                    None,
                ) => Shape::Int,
                ("f32" | "f64", None) => Shape::Float,
                ("bool", None) => Shape::Bool,
                ("Timestamp", None) => Shape::Timestamp,
                ("Date", None) => Shape::Date,
                _ => Shape::Named(name, Box::new(ty.clone())),
            }
        }
        _ => Shape::Other,
    }
}

impl Shape {
    /// The shape under one `Option`, and whether there was one.
    pub fn unoption(&self) -> (&Shape, bool) {
        match self {
            Shape::Option(inner) => (inner, true),
            s => (s, false),
        }
    }
}
