//! Contract mode: load the contract at compile time and hold a struct to it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Error, Ident, LitStr, Type};
use trackc_codegen::ir::{Ir, Property, Ty, TypeDef, TypeKind};
use trackc_codegen::source::{SourceFile, SourceMap, Span as CSpan};
use trackc_codegen::{Checked, diag, naming};

use crate::attr::Constraints;
use crate::ctxt::Ctxt;
use crate::shape::Shape;

/// A checked contract and the files it was read from.
pub struct Loaded {
    texts: Vec<(PathBuf, String)>,
    pub checked: Checked,
}

impl Loaded {
    pub fn ir(&self) -> &Ir {
        self.checked.ir.as_ref().expect("checked without errors")
    }

    /// `file:line` of a contract span.
    pub fn at(&self, span: CSpan) -> String {
        let (file, line, _) = self.checked.sources.location(span);
        format!("{file}:{line}")
    }
}

thread_local! {
    /// One parse per contract and compiler process, as long as no file changes.
    static CACHE: RefCell<HashMap<PathBuf, Rc<Loaded>>> = RefCell::new(HashMap::new());
}

/// `include_bytes!` of every contract file, so Cargo rebuilds when one changes.
pub fn tracking(paths: &[PathBuf]) -> TokenStream {
    let files = paths.iter().map(|p| p.to_string_lossy().into_owned());
    quote! {
        const _: () = {
            #( const _: &[u8] = ::core::include_bytes!(#files); )*
        };
    }
}

/// Load and check the contract named by `contract = "..."`: the contract (or its errors
/// recorded in `cx`) and the tracking tokens, which are emitted either way (so that fixing
/// the contract triggers a rebuild).
pub fn load(cx: &mut Ctxt, lit: &LitStr) -> (Option<Rc<Loaded>>, TokenStream) {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = PathBuf::from(dir);
    let root = dir.join(lit.value());
    let sources = match trackc_codegen::load::read_sources(&root) {
        Ok(s) => s,
        Err(e) => {
            // Paths as the user wrote them, not absolute.
            let msg = e
                .to_string()
                .replace(&format!("{}/", dir.display()), "")
                .replace(&dir.display().to_string(), ".");
            cx.error(
                lit.span(),
                format!("trackc: {msg} (`contract` is relative to the crate's CARGO_MANIFEST_DIR)"),
            );
            return (None, TokenStream::new());
        }
    };
    let texts: Vec<(PathBuf, String)> = sources
        .files()
        .map(|(_, f)| (f.path.clone(), f.text.clone()))
        .collect();
    let paths: Vec<PathBuf> = texts.iter().map(|(p, _)| absolute(&dir, p)).collect();
    let track = tracking(&paths);

    let cached = CACHE.with(|c| c.borrow().get(&root).cloned());
    let loaded = match cached {
        Some(l) if l.texts == texts => l,
        _ => {
            // File names relative to the manifest dir, as a user reads them.
            let mut map = SourceMap::default();
            for (path, text) in &texts {
                let abs = absolute(&dir, path);
                let name = abs
                    .strip_prefix(&dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_else(|_| abs.to_string_lossy().into_owned());
                map.add(SourceFile::new(name, path.clone(), text.clone()));
            }
            let checked = trackc_codegen::check_sources(map);
            let l = Rc::new(Loaded { texts, checked });
            CACHE.with(|c| c.borrow_mut().insert(root.clone(), l.clone()));
            l
        }
    };
    if loaded.checked.has_errors() || loaded.checked.ir.is_none() {
        // One compile error per contract error, each the checker's rendering (file:line);
        // warnings are left to `trackc check`.
        let c = &loaded.checked;
        let mut any = false;
        for d in c
            .diagnostics
            .iter()
            .filter(|d| d.severity == diag::Severity::Error)
        {
            any = true;
            cx.error(
                lit.span(),
                format!(
                    "trackc: the contract `{}` has errors\n{}",
                    lit.value(),
                    diag::render(&c.sources, d, false).trim_end()
                ),
            );
        }
        if !any {
            cx.error(
                lit.span(),
                format!("trackc: the contract `{}` has errors", lit.value()),
            );
        }
        return (None, track);
    }
    (Some(loaded), track)
}

fn absolute(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

/// The constraints a contract type puts on a value (aliases followed).
pub fn constraints_of(ir: &Ir, ty: &Ty) -> Constraints {
    let mut c = Constraints::default();
    match ir.underlying(ty) {
        Ty::String(s) => {
            c.min_length = s.min_length;
            c.max_length = s.max_length;
            c.pattern = s.pattern.clone();
            c.format = s.format.map(|f| f.as_str().to_owned());
        }
        Ty::Integer(b) | Ty::Number(b) => {
            c.minimum = b.minimum;
            c.maximum = b.maximum;
        }
        Ty::Array(a) => {
            c.min_items = a.min_items;
            c.max_items = a.max_items;
            let items = constraints_of(ir, &a.items);
            if !items.is_empty() {
                c.items = Some(Box::new(items));
            }
        }
        _ => {}
    }
    c
}

/// How to write the contract type in Rust, for messages.
pub fn rust_type(ir: &Ir, ty: &Ty) -> String {
    match ty {
        Ty::String(_) => "String".into(),
        Ty::Integer(_) => "i64".into(),
        Ty::Number(_) => "f64".into(),
        Ty::Boolean => "bool".into(),
        Ty::Timestamp => "trackc::Timestamp".into(),
        Ty::Date => "trackc::Date".into(),
        Ty::Array(a) => format!("Vec<{}>", rust_type(ir, &a.items)),
        Ty::Ref(id) => naming::unraw(&ir.ty(*id).rust_name).to_owned(),
    }
}

/// A nested type a field uses, to be checked against its `ContractType` binding.
pub struct Binding {
    pub ty: Type,
    pub contract_type: String,
    pub field: String,
}

/// Does the Rust shape fit the contract type? Collects the nested types to bind.
fn fits(ir: &Ir, ty: &Ty, shape: &Shape, field: &str, out: &mut Vec<Binding>) -> bool {
    match (ty, shape) {
        (Ty::Ref(id), _) => {
            let def = ir.ty(*id);
            if let Shape::Named(n, t) = shape
                && n == naming::unraw(&def.rust_name)
            {
                if !matches!(def.kind, TypeKind::Alias(_)) {
                    out.push(Binding {
                        ty: (**t).clone(),
                        contract_type: def.name.clone(),
                        field: field.to_owned(),
                    });
                }
                return true;
            }
            match &def.kind {
                TypeKind::Alias(inner) => fits(ir, inner, shape, field, out),
                _ => false,
            }
        }
        (Ty::String(_), Shape::Str)
        | (Ty::Integer(_), Shape::Int)
        | (Ty::Number(_), Shape::Float)
        | (Ty::Boolean, Shape::Bool)
        | (Ty::Timestamp, Shape::Timestamp)
        | (Ty::Date, Shape::Date) => true,
        (Ty::Array(a), Shape::Vec(inner)) => fits(ir, &a.items, inner, field, out),
        _ => false,
    }
}

/// One field to hold to the contract.
pub struct FieldRef<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub wire: &'a str,
}

/// Where the struct sits in the contract, for messages.
pub struct Owner<'a> {
    /// `event `order_completed``, `type `Item``, `the identify attributes`.
    pub what: String,
    /// `property` or `attribute`.
    pub noun: &'a str,
    pub at: String,
}

/// Match a struct's fields against properties. Returns per field the constraints (by
/// index), and records every drift as an error spanned on its field.
#[allow(clippy::too_many_arguments)]
pub fn match_fields(
    loaded: &Loaded,
    owner: &Owner<'_>,
    props: &[Property],
    all_optional: bool,
    fields: &[FieldRef<'_>],
    struct_ident: &Ident,
    bindings: &mut Vec<Binding>,
    cx: &mut Ctxt,
) -> Vec<Constraints> {
    let ir = loaded.ir();
    let mut constraints = Vec::with_capacity(fields.len());
    let mut seen = vec![false; props.len()];
    for f in fields {
        let Some(i) = props.iter().position(|p| p.name == f.wire) else {
            let names = props.iter().map(|p| p.name.as_str());
            let hint = diag::did_you_mean(f.wire, names)
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            let renamed = if f.wire != naming::unraw(&f.ident.to_string()) {
                format!(" (wire name `{}`)", f.wire)
            } else {
                String::new()
            };
            cx.push(Error::new(
                f.ident.span(),
                format!(
                    "field `{}`{renamed} is not {a} {noun} of {what} ({at}); {hint}remove the field, \
                     mark it `#[serde(skip)]`, or add the {noun} to the contract",
                    f.ident,
                    a = if owner.noun == "attribute" { "an" } else { "a" },
                    noun = owner.noun,
                    what = owner.what,
                    at = owner.at,
                ),
            ));
            constraints.push(Constraints::default());
            continue;
        };
        seen[i] = true;
        let p = &props[i];
        let shape = crate::shape::of(f.ty);
        let (inner, is_option) = shape.unoption();
        let required = !p.optional && !all_optional;
        let expected = rust_type(ir, &p.ty);
        let at = loaded.at(p.span);
        if is_option && required {
            cx.push(Error::new_spanned(
                f.ty,
                format!(
                    "field `{}`: {noun} `{}` of {} is required ({at}), so the field cannot be an \
                     `Option`; write `{}: {expected}`",
                    f.ident,
                    p.name,
                    owner.what,
                    f.ident,
                    noun = owner.noun,
                ),
            ));
        }
        let mut found = Vec::new();
        if fits(ir, &p.ty, inner, &f.ident.to_string(), &mut found) {
            bindings.extend(found);
        } else {
            let write = if is_option {
                format!("Option<{expected}>")
            } else {
                expected.clone()
            };
            cx.push(Error::new_spanned(
                f.ty,
                format!(
                    "field `{}` has type `{}`, but {noun} `{}` of {} is {} ({at}); write `{}: {write}`",
                    f.ident,
                    written(f.ty),
                    p.name,
                    owner.what,
                    article(&ir.describe(&p.ty)),
                    f.ident,
                    noun = owner.noun,
                ),
            ));
        }
        constraints.push(constraints_of(ir, &p.ty));
    }
    if !all_optional {
        for (p, seen) in props.iter().zip(&seen) {
            if !*seen && !p.optional {
                cx.push(Error::new(
                    struct_ident.span(),
                    format!(
                        "`{}` has no field for the required {noun} `{}` of {} ({}); add `pub {}: {},`",
                        struct_ident,
                        p.name,
                        owner.what,
                        loaded.at(p.span),
                        p.rust_name,
                        rust_type(ir, &p.ty),
                        noun = owner.noun,
                    ),
                ));
            }
        }
    }
    constraints
}

/// A type as written, compactly (`Vec<Item>`).
fn written(ty: &Type) -> String {
    let s = quote!(#ty).to_string();
    s.replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(" ,", ",")
        .replace("& ", "&")
}

fn article(s: &str) -> String {
    if s.starts_with(|c: char| "aeiouAEIOU".contains(c)) {
        format!("an {s}")
    } else if s.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("`{s}`")
    } else {
        format!("a {s}")
    }
}

/// `const` assertions that each nested type is bound to the contract type it stands for.
pub fn binding_assertions(bindings: &[Binding]) -> TokenStream {
    bindings
        .iter()
        .map(|b| {
            let ty = &b.ty;
            let name = &b.contract_type;
            let msg = format!(
                "field `{}`: this type is bound to another contract type than `{}`; use the type \
                 bound with `#[trackc(type = \"{}\")]`",
                b.field, name, name
            );
            quote_spanned! {ty.span()=>
                const _: () = if !::trackc::__private::str_eq(
                    <#ty as ::trackc::__private::ContractType>::NAME,
                    #name,
                ) {
                    ::core::panic!(#msg)
                };
            }
        })
        .collect()
}

/// A contract type by its contract name (named or the dotted place of an inline type).
pub fn find_type<'a>(ir: &'a Ir, lit: &LitStr) -> Result<&'a TypeDef, Error> {
    let name = lit.value();
    ir.types.iter().find(|t| t.name == name).ok_or_else(|| {
        let hint = diag::did_you_mean(&name, ir.types.iter().map(|t| t.name.as_str()))
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        Error::new(
            lit.span(),
            format!("the contract has no type `{name}`{hint}"),
        )
    })
}
