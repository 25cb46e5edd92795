//! One expansion for both modes: a model of the fields (wire name, constraints) built from
//! the contract or from attributes, then the same `Validate` / `Event` / `Attributes` impls.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Error, Fields, Ident, LitStr, Result};
use trackc_codegen::ir::{BackfillPolicy, TypeKind};
use trackc_codegen::{diag, naming};

use crate::attr::{self, Constraints, Container};
use crate::contract::{self, Binding, FieldRef, Owner};
use crate::shape::{self, Shape};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Event,
    Attributes,
    Validate,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Event => "Event",
            Kind::Attributes => "Attributes",
            Kind::Validate => "Validate",
        }
    }
}

pub fn derive(input: proc_macro::TokenStream, kind: Kind) -> proc_macro::TokenStream {
    let input = match syn::parse::<DeriveInput>(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error().into(),
    };
    match expand(&input, kind) {
        Ok(ts) => ts.into(),
        Err(ts) => ts.into(),
    }
}

fn combine(errors: Vec<Error>) -> Option<Error> {
    let mut it = errors.into_iter();
    let mut first = it.next()?;
    for e in it {
        first.combine(e);
    }
    Some(first)
}

/// One field as the expansion sees it.
struct FieldModel {
    ident: Ident,
    ty: syn::Type,
    wire: String,
    constraints: Constraints,
    /// Not on the wire (`#[serde(skip)]`, `flatten`) or `#[trackc(skip)]`.
    skip: bool,
}

struct EventMeta {
    contract: String,
    name: String,
    backfill: bool,
    triggers: Vec<String>,
    /// Wire name of the idempotency key, and where it was named.
    idempotency_key: Option<(String, Span)>,
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

/// Expansion or the compile errors (with the contract tracking tokens either way).
fn expand(input: &DeriveInput, kind: Kind) -> std::result::Result<TokenStream, TokenStream> {
    let mut track = TokenStream::new();
    match expand_inner(input, kind, &mut track) {
        Ok(ts) => Ok(quote! { #ts #track }),
        Err(e) => {
            let err = e.to_compile_error();
            Err(quote! { #err #track })
        }
    }
}

fn reject(c: &Option<LitStr>, key: &str, kind: Kind, why: &str) -> Result<()> {
    match c {
        Some(l) => Err(Error::new(
            l.span(),
            format!(
                "`{key}` is not used by `#[derive(trackc::{})]`{why}",
                kind.name()
            ),
        )),
        None => Ok(()),
    }
}

fn expand_inner(input: &DeriveInput, kind: Kind, track: &mut TokenStream) -> Result<TokenStream> {
    let c = attr::parse_container(&input.attrs)?;
    let serde = attr::parse_serde(&input.attrs)?;
    let name = &input.ident;

    // Which keys each derive takes.
    match kind {
        Kind::Event => {
            reject(
                &c.type_name,
                "type",
                kind,
                "; events are bound by `event = \"...\"`",
            )?;
            if c.event.is_none() {
                return Err(Error::new(
                    c.span.unwrap_or_else(|| name.span()),
                    "`#[derive(trackc::Event)]` needs `#[trackc(contract = \"contract\", event = \"event_name\")]`",
                ));
            }
        }
        Kind::Attributes | Kind::Validate => {
            reject(&c.event, "event", kind, "")?;
            reject(&c.contract_name, "contract_name", kind, "")?;
            reject(&c.idempotency_key, "idempotency_key", kind, "")?;
            if let Some((_, s)) = c.backfill {
                return Err(Error::new(s, "`backfill` is only for events"));
            }
            if let Some(t) = c.triggers.first() {
                return Err(Error::new(t.span(), "`triggers` is only for events"));
            }
            if kind == Kind::Attributes {
                reject(&c.type_name, "type", kind, "")?;
            }
        }
    }
    if let Some(contract_lit) = &c.contract {
        for (key, v) in [
            ("contract_name", &c.contract_name),
            ("idempotency_key", &c.idempotency_key),
        ] {
            reject(
                v,
                key,
                kind,
                " in contract mode: it comes from the contract",
            )?;
        }
        if let Some((_, s)) = c.backfill {
            return Err(Error::new(
                s,
                "`backfill` comes from the contract in contract mode",
            ));
        }
        if let Some(t) = c.triggers.first() {
            return Err(Error::new(
                t.span(),
                "`triggers` come from the contract in contract mode",
            ));
        }
        if kind == Kind::Validate && c.type_name.is_none() {
            return Err(Error::new(
                contract_lit.span(),
                "contract mode needs the contract type: `#[trackc(contract = \"...\", type = \"TypeName\")]`",
            ));
        }
    }

    match &input.data {
        Data::Enum(e) => {
            if kind != Kind::Validate {
                return Err(Error::new(
                    name.span(),
                    format!(
                        "`#[derive(trackc::{})]` needs a struct with named fields",
                        kind.name()
                    ),
                ));
            }
            return expand_enum(input, e, &c, &serde, track);
        }
        Data::Union(_) => {
            return Err(Error::new(
                name.span(),
                "trackc derives do not support unions",
            ));
        }
        Data::Struct(_) => {}
    }
    let Data::Struct(s) = &input.data else {
        unreachable!()
    };
    let named: Vec<&syn::Field> = match &s.fields {
        Fields::Named(n) => n.named.iter().collect(),
        Fields::Unit => Vec::new(),
        Fields::Unnamed(_) => {
            return Err(Error::new(
                name.span(),
                "trackc derives need named fields (their names are the wire names)",
            ));
        }
    };

    let mut errors = Vec::new();
    let mut fields = Vec::new();
    for f in &named {
        let ident = f.ident.clone().expect("named field");
        let fa = attr::parse_field(&f.attrs)?;
        let fs = attr::parse_serde(&f.attrs)?;
        if c.contract.is_some() {
            if let Some(s) = fa.constraint_span {
                errors.push(Error::new(
                    s,
                    "constraints come from the contract in contract mode; remove this attribute",
                ));
            }
            if fs.flatten {
                errors.push(Error::new(
                    ident.span(),
                    "`#[serde(flatten)]` fields cannot be matched against the contract",
                ));
            }
        }
        fields.push(FieldModel {
            wire: wire_name(&ident, &fs, serde.rename_all),
            ident,
            ty: f.ty.clone(),
            constraints: fa.constraints,
            skip: fa.skip || fs.skip || fs.flatten,
        });
    }

    let mut bindings: Vec<Binding> = Vec::new();
    let mut event: Option<EventMeta> = None;
    let mut contract_type: Option<String> = c.type_name.as_ref().map(|l| l.value());

    if let Some(lit) = &c.contract {
        let (loaded, t) = contract::load(lit).map_err(|(e, t)| {
            *track = t;
            e
        })?;
        *track = t;
        let ir = loaded.ir();
        let refs: Vec<FieldRef<'_>> = fields
            .iter()
            .filter(|f| !f.skip)
            .map(|f| FieldRef {
                ident: &f.ident,
                ty: &f.ty,
                wire: &f.wire,
            })
            .collect();
        let constraints = match kind {
            Kind::Event => {
                let ev_lit = c.event.as_ref().expect("checked above");
                let ev_name = ev_lit.value();
                let Some(ev) = ir.event_by_name(&ev_name) else {
                    let hint =
                        diag::did_you_mean(&ev_name, ir.events.iter().map(|e| e.name.as_str()))
                            .map(|c| format!("; did you mean `{c}`?"))
                            .unwrap_or_default();
                    return Err(Error::new(
                        ev_lit.span(),
                        format!("the contract `{}` has no event `{ev_name}`{hint}", ir.name),
                    ));
                };
                let owner = Owner {
                    what: format!("event `{}`", ev.name),
                    noun: "property",
                    at: loaded.at(ev.span),
                };
                let triggers = ir
                    .triggered_by(trackc_codegen::ir::EventId(
                        ir.events.iter().position(|e| e.name == ev.name).unwrap() as u32,
                    ))
                    .iter()
                    .map(|w| w.name.clone())
                    .collect();
                event = Some(EventMeta {
                    contract: ir.name.clone(),
                    name: ev.name.clone(),
                    backfill: ev.backfill == BackfillPolicy::Allowed,
                    triggers,
                    idempotency_key: ev
                        .idempotency_property()
                        .map(|p| (p.name.clone(), ev_lit.span())),
                });
                contract::match_fields(
                    &loaded,
                    &owner,
                    &ev.properties,
                    false,
                    &refs,
                    name,
                    &mut bindings,
                    &mut errors,
                )
            }
            Kind::Attributes => {
                let owner = Owner {
                    what: "the identify attributes".into(),
                    noun: "attribute",
                    at: loaded.at(ir.identity.span),
                };
                contract::match_fields(
                    &loaded,
                    &owner,
                    &ir.attributes,
                    true,
                    &refs,
                    name,
                    &mut bindings,
                    &mut errors,
                )
            }
            Kind::Validate => {
                let lit = c.type_name.as_ref().expect("checked above");
                let def = contract::find_type(ir, lit)?;
                contract_type = Some(def.name.clone());
                let TypeKind::Object(obj) = &def.kind else {
                    return Err(Error::new(
                        lit.span(),
                        format!(
                            "`{}` is {} in the contract ({}), not an object: {}",
                            def.name,
                            if matches!(def.kind, TypeKind::Enum(_)) {
                                "an enum"
                            } else {
                                "an alias of a scalar or array type"
                            },
                            loaded.at(def.span),
                            if matches!(def.kind, TypeKind::Enum(_)) {
                                "derive it on an enum"
                            } else {
                                "use a type alias (`pub type X = ...;`) instead of a struct"
                            }
                        ),
                    ));
                };
                let owner = Owner {
                    what: format!("type `{}`", def.name),
                    noun: "property",
                    at: loaded.at(def.span),
                };
                contract::match_fields(
                    &loaded,
                    &owner,
                    &obj.properties,
                    false,
                    &refs,
                    name,
                    &mut bindings,
                    &mut errors,
                )
            }
        };
        let mut it = constraints.into_iter();
        for f in fields.iter_mut().filter(|f| !f.skip) {
            f.constraints = it.next().unwrap_or_default();
        }
    } else if kind == Kind::Event {
        let ev = c.event.as_ref().expect("checked above");
        let Some(contract_name) = &c.contract_name else {
            return Err(Error::new(
                ev.span(),
                "attribute mode needs `contract_name = \"...\"` (or bind the struct to a contract with `contract = \"path\"`)",
            ));
        };
        event = Some(EventMeta {
            contract: contract_name.value(),
            name: ev.value(),
            backfill: c.backfill.map(|b| b.0).unwrap_or(false),
            triggers: c.triggers.iter().map(|t| t.value()).collect(),
            idempotency_key: c.idempotency_key.as_ref().map(|k| (k.value(), k.span())),
        });
    }
    if let Some(e) = combine(errors) {
        return Err(e);
    }

    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let generic = !input.generics.params.is_empty();
    let asserts = if generic {
        TokenStream::new()
    } else {
        contract::binding_assertions(&bindings)
    };

    let checks: Vec<TokenStream> = fields
        .iter()
        .filter(|f| !f.skip)
        .map(field_checks)
        .collect();
    let validate_impl = quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_g ::trackc::Validate for #name #ty_g #where_c {
            fn validate_into(
                &self,
                __trackc_path: &::trackc::Path<'_>,
                __trackc_out: &mut ::trackc::Violations,
            ) {
                #( #checks )*
            }
        }
    };
    let validate_fn = quote! {
        fn validate(&self) -> ::core::result::Result<(), ::trackc::Violations> {
            let mut __trackc_out = ::trackc::Violations::default();
            ::trackc::Validate::validate_into(self, &::trackc::Path::Root, &mut __trackc_out);
            __trackc_out.into_result()
        }
    };
    let contract_type_impl = contract_type.map(|t| {
        quote! {
            #[automatically_derived]
            impl #impl_g ::trackc::__private::ContractType for #name #ty_g #where_c {
                const NAME: &'static str = #t;
            }
        }
    });

    let trait_impl = match kind {
        Kind::Validate => TokenStream::new(),
        Kind::Attributes => quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #impl_g ::trackc::Attributes for #name #ty_g #where_c {
                #validate_fn
            }
        },
        Kind::Event => {
            let ev = event.expect("event meta");
            let key = match &ev.idempotency_key {
                None => quote! { ::core::option::Option::None },
                Some((wire, span)) => {
                    let Some(f) = fields.iter().find(|f| &f.wire == wire && !f.skip) else {
                        return Err(Error::new(
                            *span,
                            format!("the idempotency key `{wire}` is not a field of `{name}`"),
                        ));
                    };
                    let member = &f.ident;
                    quote! { ::trackc::__private::AsIdempotencyKey::as_idempotency_key(&self.#member) }
                }
            };
            let contract_name = &ev.contract;
            let ev_name = &ev.name;
            let backfill = if ev.backfill {
                quote!(::trackc::Backfill::Allowed)
            } else {
                quote!(::trackc::Backfill::Forbidden)
            };
            let triggers = &ev.triggers;
            quote! {
                #[automatically_derived]
                #[allow(deprecated)]
                impl #impl_g ::trackc::Event for #name #ty_g #where_c {
                    const CONTRACT: &'static str = #contract_name;
                    const NAME: &'static str = #ev_name;
                    const BACKFILL: ::trackc::Backfill = #backfill;
                    const TRIGGERS: &'static [&'static str] = &[#(#triggers),*];
                    fn idempotency_key(&self) -> ::core::option::Option<::trackc::IdempotencyKey<'_>> {
                        #key
                    }
                    #validate_fn
                }
            }
        }
    };
    Ok(quote! {
        #validate_impl
        #trait_impl
        #contract_type_impl
        #asserts
    })
}

/// Checks for one field: recurse into the value, then its own constraints.
fn field_checks(f: &FieldModel) -> TokenStream {
    let member = &f.ident;
    let wire = &f.wire;
    let sh = shape::of(&f.ty);
    let (inner, is_option) = sh.unoption();
    let body = value_checks(&quote!(__trackc_v), inner, &f.constraints, 0);
    let own = if body.is_empty() {
        TokenStream::new()
    } else if is_option {
        quote! {
            if let ::core::option::Option::Some(__trackc_v) = &self.#member {
                #body
            }
        }
    } else {
        quote! {
            let __trackc_v = &self.#member;
            #body
        }
    };
    quote! {
        {
            let __trackc_p = __trackc_path.field(#wire);
            ::trackc::Validate::validate_into(&self.#member, &__trackc_p, __trackc_out);
            #own
        }
    }
}

fn f64_lit(v: f64) -> Literal {
    Literal::f64_suffixed(v)
}

/// Checks on a value `v` (a reference) at path `__trackc_p`.
fn value_checks(v: &TokenStream, sh: &Shape, c: &Constraints, depth: usize) -> TokenStream {
    let mut out = TokenStream::new();
    let p = quote!(&__trackc_p);
    let o = quote!(__trackc_out);
    let checks = quote!(::trackc::__private::checks);
    let num = quote!(::trackc::__private::AsF64::as_f64(#v));
    if matches!(sh, Shape::Float) {
        out.extend(quote! { #checks::finite(#num, #p, #o); });
    }
    if let Some(m) = c.minimum {
        let m = f64_lit(m);
        out.extend(quote! { #checks::minimum(#num, #m, #p, #o); });
    }
    if let Some(m) = c.maximum {
        let m = f64_lit(m);
        out.extend(quote! { #checks::maximum(#num, #m, #p, #o); });
    }
    let s = quote!(::trackc::__private::AsStr::as_str(#v));
    if let Some(n) = c.min_length {
        let n = Literal::usize_unsuffixed(n as usize);
        out.extend(quote! { #checks::min_length(#s, #n, #p, #o); });
    }
    if let Some(n) = c.max_length {
        let n = Literal::usize_unsuffixed(n as usize);
        out.extend(quote! { #checks::max_length(#s, #n, #p, #o); });
    }
    if let Some(pat) = &c.pattern {
        let anchored = format!("^(?:{pat})$");
        out.extend(quote! {
            {
                static __TRACKC_RE: ::trackc::__private::LazyLock<::trackc::__private::regex::Regex> =
                    ::trackc::__private::LazyLock::new(|| {
                        ::trackc::__private::regex::Regex::new(#anchored)
                            .expect("pattern checked by trackc at compile time")
                    });
                #checks::pattern(#s, &__TRACKC_RE, #p, #o);
            }
        });
    }
    if let Some(fmt) = &c.format {
        out.extend(quote! { #checks::format(#s, #fmt, #p, #o); });
    }
    let slice = quote!(::trackc::__private::AsSlice::as_slice(#v));
    if let Some(n) = c.min_items {
        let n = Literal::usize_unsuffixed(n as usize);
        out.extend(quote! { #checks::min_items(#slice.len(), #n, #p, #o); });
    }
    if let Some(n) = c.max_items {
        let n = Literal::usize_unsuffixed(n as usize);
        out.extend(quote! { #checks::max_items(#slice.len(), #n, #p, #o); });
    }
    let item_shape = match sh {
        Shape::Vec(i) => Some(&**i),
        _ => None,
    };
    if item_shape.is_none() && c.items.is_none() {
        return out;
    }
    let empty = Constraints::default();
    let items = c.items.as_deref().unwrap_or(&empty);
    let item_v = format_ident!("__trackc_item{}", depth);
    let item_body = value_checks(
        &quote!(#item_v),
        item_shape.unwrap_or(&Shape::Other),
        items,
        depth + 1,
    );
    if !item_body.is_empty() {
        let i = format_ident!("__trackc_i{}", depth);
        out.extend(quote! {
            for (#i, #item_v) in #slice.iter().enumerate() {
                let __trackc_p = __trackc_p.index(#i);
                #item_body
            }
        });
    }
    out
}

fn expand_enum(
    input: &DeriveInput,
    e: &syn::DataEnum,
    c: &Container,
    serde: &attr::Serde,
    track: &mut TokenStream,
) -> Result<TokenStream> {
    let name = &input.ident;
    let mut contract_type = c.type_name.as_ref().map(|l| l.value());
    if let Some(lit) = &c.contract {
        let (loaded, t) = contract::load(lit).map_err(|(e, t)| {
            *track = t;
            e
        })?;
        *track = t;
        let ir = loaded.ir();
        let tlit = c.type_name.as_ref().expect("checked by caller");
        let def = contract::find_type(ir, tlit)?;
        let TypeKind::Enum(en) = &def.kind else {
            return Err(Error::new(
                tlit.span(),
                format!(
                    "`{}` is not an enum in the contract ({}): derive it on a struct",
                    def.name,
                    loaded.at(def.span)
                ),
            ));
        };
        contract_type = Some(def.name.clone());
        let at = loaded.at(def.span);
        let mut errors = Vec::new();
        let mut seen = vec![false; en.values.len()];
        let values: Vec<&str> = en.values.iter().map(|v| v.value.as_str()).collect();
        for v in &e.variants {
            let vs = attr::parse_serde(&v.attrs)?;
            if vs.skip {
                continue;
            }
            if !matches!(v.fields, Fields::Unit) {
                errors.push(Error::new(
                    v.ident.span(),
                    format!(
                        "variant `{}`: contract enum values are unit variants",
                        v.ident
                    ),
                ));
                continue;
            }
            let raw = v.ident.to_string();
            let base = naming::unraw(&raw);
            let wire = vs
                .rename
                .clone()
                .or_else(|| serde.rename_all.map(|r| r.apply_to_variant(base)))
                .unwrap_or_else(|| base.to_owned());
            if let Some(i) = values.iter().position(|x| *x == wire) {
                seen[i] = true;
                continue;
            }
            let hint = if let Some(canon) = en.canonical(&wire) {
                format!(
                    "`{wire}` is an alias of `{}`; serde writes canonical values: `#[serde(rename = \"{}\")]`",
                    canon.value, canon.value
                )
            } else if let Some(close) = values
                .iter()
                .find(|x| x.eq_ignore_ascii_case(&wire))
                .or_else(|| {
                    diag::did_you_mean(&wire, values.iter().copied())
                        .as_ref()
                        .and_then(|c| values.iter().find(|x| *x == c))
                })
            {
                format!("write `#[serde(rename = \"{close}\")]` on it")
            } else {
                "remove it or add the value to the contract".into()
            };
            errors.push(Error::new(
                v.ident.span(),
                format!(
                    "variant `{}` serializes as `{wire}`, which is not a value of enum `{}` ({at}); {hint}",
                    v.ident, def.name
                ),
            ));
        }
        for (v, s) in en.values.iter().zip(&seen) {
            if !*s {
                errors.push(Error::new(
                    name.span(),
                    format!(
                        "enum `{name}` has no variant for the value `{}` of `{}` ({}); add `#[serde(rename = \"{}\")] {},`",
                        v.value,
                        def.name,
                        loaded.at(v.span),
                        v.value,
                        v.rust_name
                    ),
                ));
            }
        }
        if let Some(e) = combine(errors) {
            return Err(e);
        }
    }
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let ct = contract_type.map(|t| {
        quote! {
            #[automatically_derived]
            impl #impl_g ::trackc::__private::ContractType for #name #ty_g #where_c {
                const NAME: &'static str = #t;
            }
        }
    });
    Ok(quote! {
        #[automatically_derived]
        impl #impl_g ::trackc::Validate for #name #ty_g #where_c {
            #[inline]
            fn validate_into(&self, _: &::trackc::Path<'_>, _: &mut ::trackc::Violations) {}
        }
        #ct
    })
}
