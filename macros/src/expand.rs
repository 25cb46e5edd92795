//! One expansion for `Event`, `Attributes` and `Validate`, in the stages of serde_derive:
//! **parse** the input (attributes, fields, variants), **check** what each derive and mode
//! takes, build the **model** (bound to the contract, [`crate::bind`], or read from
//! attributes), then **generate** the same impls from it ([`crate::generate`]). Every
//! stage records its errors in one [`Ctxt`] and goes on where it can, so a derive reports
//! all its independent mistakes at once; nothing is generated while there is an error.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, LitStr};
use trackc_codegen::naming;

use crate::attr::{self, Constraints, Container};
use crate::ctxt::Ctxt;
use crate::{bind, generate};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Event,
    Attributes,
    Validate,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Event => "Event",
            Kind::Attributes => "Attributes",
            Kind::Validate => "Validate",
        }
    }
}

pub fn derive(input: proc_macro::TokenStream, kind: Kind) -> proc_macro::TokenStream {
    match syn::parse::<DeriveInput>(input) {
        Ok(input) => expand(&input, kind).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The impls, or every error found; with the contract tracking tokens either way.
fn expand(input: &DeriveInput, kind: Kind) -> TokenStream {
    let mut cx = Ctxt::default();
    let mut track = TokenStream::new();
    let model = parse(&mut cx, input, kind).map(|parsed| {
        check(&mut cx, &parsed, kind);
        bind::model(&mut cx, parsed, kind, &mut track)
    });
    match (cx.finish(), model) {
        (Ok(()), Some(model)) => {
            let impls = generate::impls(input, kind, &model);
            quote! { #impls #track }
        }
        (Err(e), _) => {
            let err = e.to_compile_error();
            quote! { #err #track }
        }
        (Ok(()), None) => unreachable!("parsing that gives no model records why"),
    }
}

/// The derive input as read: the container's attributes and its fields or variants.
pub struct Parsed<'a> {
    pub input: &'a DeriveInput,
    pub container: Container,
    pub serde: attr::Serde,
    pub body: Body<'a>,
}

pub enum Body<'a> {
    Struct(Vec<FieldModel>),
    /// A `Validate` enum: its variants with their serde attributes (read in contract
    /// mode only, where they are matched with the contract's values).
    Enum(Vec<(&'a syn::Variant, attr::Serde)>),
}

/// One field as the expansion sees it.
pub struct FieldModel {
    pub ident: Ident,
    pub ty: syn::Type,
    pub wire: String,
    pub constraints: Constraints,
    /// Not on the wire (`#[serde(skip)]`, `flatten`) or `#[trackc(skip)]`.
    pub skip: bool,
    pub flatten: bool,
    /// The first `#[trackc(...)]` constraint, for "not in contract mode".
    pub constraint_span: Option<Span>,
}

fn wire_name(ident: &Ident, s: &attr::Serde, rule: Option<crate::case::RenameRule>) -> String {
    let raw = ident.to_string();
    let base = naming::unraw(&raw);
    if let Some(r) = &s.rename {
        r.clone()
    } else if let Some(rule) = rule {
        rule.apply_to_field(base)
    } else {
        base.to_owned()
    }
}

/// Stage 1: read the attributes and the data. Without a model to build (malformed
/// attributes, a union, a tuple struct), `None`; every error is in `cx`.
fn parse<'a>(cx: &mut Ctxt, input: &'a DeriveInput, kind: Kind) -> Option<Parsed<'a>> {
    let container = cx.ok(attr::parse_container(&input.attrs));
    let serde = cx.ok(attr::parse_serde(&input.attrs));
    let rename_all = serde.as_ref().and_then(|s| s.rename_all);
    let name = &input.ident;
    let body = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => {
                let fields: Vec<Option<FieldModel>> = n
                    .named
                    .iter()
                    .map(|f| parse_field(cx, f, rename_all))
                    .collect();
                fields
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Body::Struct)
            }
            Fields::Unit => Some(Body::Struct(Vec::new())),
            Fields::Unnamed(_) => {
                cx.error(
                    name.span(),
                    "trackc derives need named fields (their names are the wire names)",
                );
                None
            }
        },
        Data::Enum(e) if kind == Kind::Validate => {
            let contract_mode = container.as_ref().is_some_and(|c| c.contract.is_some());
            let variants: Vec<Option<(&syn::Variant, attr::Serde)>> = e
                .variants
                .iter()
                .map(|v| {
                    let s = if contract_mode {
                        cx.ok(attr::parse_serde(&v.attrs))?
                    } else {
                        attr::Serde::default()
                    };
                    Some((v, s))
                })
                .collect();
            variants
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Body::Enum)
        }
        Data::Enum(_) => {
            cx.error(
                name.span(),
                format!(
                    "`#[derive(trackc::{})]` needs a struct with named fields",
                    kind.name()
                ),
            );
            None
        }
        Data::Union(_) => {
            cx.error(name.span(), "trackc derives do not support unions");
            None
        }
    };
    Some(Parsed {
        input,
        container: container?,
        serde: serde?,
        body: body?,
    })
}

fn parse_field(
    cx: &mut Ctxt,
    f: &syn::Field,
    rename_all: Option<crate::case::RenameRule>,
) -> Option<FieldModel> {
    let ident = f.ident.clone().expect("named field");
    let fa = cx.ok(attr::parse_field(&f.attrs));
    let fs = cx.ok(attr::parse_serde(&f.attrs));
    let (fa, fs) = (fa?, fs?);
    Some(FieldModel {
        wire: wire_name(&ident, &fs, rename_all),
        ident,
        ty: f.ty.clone(),
        constraints: fa.constraints,
        skip: fa.skip || fs.skip || fs.flatten,
        flatten: fs.flatten,
        constraint_span: fa.constraint_span,
    })
}

/// A key the derive (or the mode) does not take.
fn reject(cx: &mut Ctxt, c: &Option<LitStr>, key: &str, kind: Kind, why: &str) {
    if let Some(l) = c {
        cx.error(
            l.span(),
            format!(
                "`{key}` is not used by `#[derive(trackc::{})]`{why}",
                kind.name()
            ),
        );
    }
}

/// Stage 2: the keys each derive takes, and what contract mode leaves to the contract.
fn check(cx: &mut Ctxt, p: &Parsed<'_>, kind: Kind) {
    let c = &p.container;
    match kind {
        Kind::Event => {
            reject(
                cx,
                &c.type_name,
                "type",
                kind,
                "; events are bound by `event = \"...\"`",
            );
            if c.event.is_none() {
                cx.error(
                    c.span.unwrap_or_else(|| p.input.ident.span()),
                    "`#[derive(trackc::Event)]` needs `#[trackc(contract = \"contract\", event = \"event_name\")]`",
                );
            }
        }
        Kind::Attributes | Kind::Validate => {
            reject(cx, &c.event, "event", kind, "");
            reject(cx, &c.contract_name, "contract_name", kind, "");
            reject(cx, &c.idempotency_key, "idempotency_key", kind, "");
            if let Some((_, s)) = c.backfill {
                cx.error(s, "`backfill` is only for events");
            }
            if let Some(t) = c.triggers.first() {
                cx.error(t.span(), "`triggers` is only for events");
            }
            if kind == Kind::Attributes {
                reject(cx, &c.type_name, "type", kind, "");
            }
        }
    }
    let Some(contract_lit) = &c.contract else {
        return;
    };
    // The keys only events take were refused above for the other derives.
    if kind == Kind::Event {
        for (key, v) in [
            ("contract_name", &c.contract_name),
            ("idempotency_key", &c.idempotency_key),
        ] {
            reject(
                cx,
                v,
                key,
                kind,
                " in contract mode: it comes from the contract",
            );
        }
        if let Some((_, s)) = c.backfill {
            cx.error(s, "`backfill` comes from the contract in contract mode");
        }
        if let Some(t) = c.triggers.first() {
            cx.error(
                t.span(),
                "`triggers` come from the contract in contract mode",
            );
        }
    }
    if kind == Kind::Validate && c.type_name.is_none() {
        cx.error(
            contract_lit.span(),
            "contract mode needs the contract type: `#[trackc(contract = \"...\", type = \"TypeName\")]`",
        );
    }
    if let Body::Struct(fields) = &p.body {
        for f in fields {
            if let Some(s) = f.constraint_span {
                cx.error(
                    s,
                    "constraints come from the contract in contract mode; remove this attribute",
                );
            }
            if f.flatten {
                cx.error(
                    f.ident.span(),
                    "`#[serde(flatten)]` fields cannot be matched against the contract",
                );
            }
        }
    }
}
