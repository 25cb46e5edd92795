//! The test oracle of [`super::rust`]: the same module built as a token stream with
//! `quote!`, parsed by syn and formatted by prettyplease, which is how trackc generated
//! Rust before the text emitter. `tests/rust_text.rs` requires both to write the same
//! bytes, so prettyplease stays the definition of the layout. What the output contains
//! and why is documented on [`super::rust`]; a change is made in both files together.

use std::collections::{BTreeMap, BTreeSet};

// What to generate (loose keys, doc lines, which properties are boxed) is shared with
// `emit::rust`: the oracle checks the layout, not these decisions twice.
use super::rust::{
    alias_line, boxed_properties, contract_comment, deprecation_note, doc_lines, fold,
};
use crate::escape::markdown::md_code;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use crate::ir::{BackfillPolicy, EnumDef, Event, EventId, Ir, Property, Ty, TypeDef, TypeKind};

/// The Rust module for the contract, formatted.
pub fn generate(ir: &Ir) -> String {
    let tokens = Emitter::new(ir).file();
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(f) => f,
        Err(e) => panic!("trackc generated Rust that does not parse ({e}):\n{tokens}"),
    };
    let body = prettyplease::unparse(&file);
    format!("{}{body}", contract_comment(ir))
}

/// An identifier as the IR spells it (`r#type` becomes a raw identifier).
fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// `#[doc]` attributes for a description: one per line, safe for rustdoc.
fn docs(text: Option<&str>) -> TokenStream {
    let Some(text) = text else {
        return TokenStream::new();
    };
    doc_lines(text)
        .into_iter()
        .map(|l| {
            let l = if l.is_empty() { l } else { format!(" {l}") };
            quote!(#[doc = #l])
        })
        .collect()
}

/// A number as an attribute argument: integral values as integers.
fn number(v: f64) -> TokenStream {
    let lit = if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Literal::i64_unsuffixed(v.abs() as i64)
    } else {
        Literal::f64_unsuffixed(v.abs())
    };
    if v.is_sign_negative() && v != 0.0 {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

struct Emitter<'a> {
    ir: &'a Ir,
    /// (object type, property index) pairs whose object value is boxed: an object that
    /// contains itself through optional properties.
    boxed: BTreeSet<(u32, usize)>,
}

impl<'a> Emitter<'a> {
    fn new(ir: &'a Ir) -> Self {
        Emitter {
            ir,
            boxed: boxed_properties(ir),
        }
    }

    fn file(&self) -> TokenStream {
        let name = &self.ir.name;
        let version = self.ir.version.to_string();
        let mut out = quote! {
            /// The contract's name (`contract:`).
            pub const CONTRACT_NAME: &str = #name;
            /// The contract's version.
            pub const CONTRACT_VERSION: &str = #version;
        };
        out.extend(self.attributes());
        for (i, e) in self.ir.events.iter().enumerate() {
            out.extend(self.event(EventId(i as u32), e));
        }
        for (i, t) in self.ir.types.iter().enumerate() {
            out.extend(self.typedef(i as u32, t));
        }
        out
    }

    fn ty(&self, ty: &Ty) -> TokenStream {
        match ty {
            Ty::String(_) => quote!(::std::string::String),
            Ty::Integer(_) => quote!(i64),
            Ty::Number(_) => quote!(f64),
            Ty::Boolean => quote!(bool),
            Ty::Timestamp => quote!(::trackc::Timestamp),
            Ty::Date => quote!(::trackc::Date),
            Ty::Array(a) => {
                let inner = self.ty(&a.items);
                quote!(::std::vec::Vec<#inner>)
            }
            Ty::Ref(id) => {
                let i = ident(&self.ir.ty(*id).rust_name);
                quote!(#i)
            }
        }
    }

    /// `#[trackc(...)]` arguments for the constraints of a value of type `ty`.
    fn constraints(&self, ty: &Ty) -> Vec<TokenStream> {
        let mut out = Vec::new();
        match self.ir.underlying(ty) {
            Ty::String(s) => {
                if let Some(n) = s.min_length {
                    out.push(quote!(min_length = #n));
                }
                if let Some(n) = s.max_length {
                    out.push(quote!(max_length = #n));
                }
                if let Some(p) = &s.pattern {
                    out.push(quote!(pattern = #p));
                }
                if let Some(f) = s.format {
                    let f = f.as_str();
                    out.push(quote!(format = #f));
                }
            }
            Ty::Integer(b) | Ty::Number(b) => {
                if let Some(m) = b.minimum {
                    let m = number(m);
                    out.push(quote!(minimum = #m));
                }
                if let Some(m) = b.maximum {
                    let m = number(m);
                    out.push(quote!(maximum = #m));
                }
            }
            Ty::Array(a) => {
                if let Some(n) = a.min_items {
                    out.push(quote!(min_items = #n));
                }
                if let Some(n) = a.max_items {
                    out.push(quote!(max_items = #n));
                }
                let items = self.constraints(&a.items);
                if !items.is_empty() {
                    out.push(quote!(items(#(#items),*)));
                }
            }
            _ => {}
        }
        // Unsuffixed counts: `quote!` would write `1u64`.
        out.into_iter().map(unsuffix).collect()
    }

    /// Fields of a struct: attributes, name, type. `all_optional` for identify.
    fn fields(
        &self,
        props: &[Property],
        all_optional: bool,
        boxed_of: Option<u32>,
    ) -> Vec<TokenStream> {
        props
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = ident(&p.rust_name);
                let mut ty = self.ty(&p.ty);
                if boxed_of.is_some_and(|t| self.boxed.contains(&(t, i))) {
                    ty = quote!(::std::boxed::Box<#ty>);
                }
                let optional = p.optional || all_optional;
                let doc = docs(p.description.as_deref());
                let mut notes = Vec::new();
                if p.pii {
                    notes.push("Personal data (`pii`): redacted in `Debug`.".to_owned());
                }
                if let Some(c) = p.consent {
                    notes.push(format!("Consent flag for the `{}` channel.", c.as_str()));
                }
                if p.derived {
                    notes.push("Derived: computed by the backend.".to_owned());
                }
                let notes: TokenStream = notes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let n = format!(" {n}");
                        if i == 0 && p.description.is_some() {
                            quote!(#[doc = ""] #[doc = #n])
                        } else {
                            quote!(#[doc = #n])
                        }
                    })
                    .collect();
                let deprecated = p.deprecated.as_ref().map(|d| {
                    let d = deprecation_note(d);
                    quote!(#[deprecated(note = #d)])
                });
                let wire = &p.name;
                let mut serde = Vec::new();
                if ident_str(&name) != p.name {
                    serde.push(quote!(rename = #wire));
                }
                if optional {
                    // `trackc::Deserialize` reads a missing key as `None` and refuses an
                    // explicit null, as the JSON Schemas do.
                    serde.push(quote!(
                        default,
                        skip_serializing_if = "::core::option::Option::is_none"
                    ));
                    ty = quote!(::core::option::Option<#ty>);
                }
                let serde = if serde.is_empty() {
                    TokenStream::new()
                } else {
                    quote!(#[serde(#(#serde),*)])
                };
                let c = self.constraints(&p.ty);
                let trackc = if c.is_empty() {
                    TokenStream::new()
                } else {
                    quote!(#[trackc(#(#c),*)])
                };
                quote! {
                    #doc
                    #notes
                    #deprecated
                    #serde
                    #trackc
                    pub #name: #ty
                }
            })
            .collect()
    }

    /// The hand-written `Debug` for a struct with pii fields.
    fn debug_impl(
        &self,
        name: &Ident,
        props: &[Property],
        all_optional: bool,
        extra: Option<&Ident>,
    ) -> TokenStream {
        let label = ident_str(name);
        let fields = props.iter().map(|p| {
            let f = ident(&p.rust_name);
            let wire = ident_str(&f);
            if !p.pii {
                quote!(.field(#wire, &self.#f))
            } else if p.optional || all_optional {
                quote!(.field(#wire, &self.#f.as_ref().map(|_| ::trackc::__private::Redacted)))
            } else {
                quote!(.field(#wire, &::trackc::__private::Redacted))
            }
        });
        let extra = extra.map(|e| {
            let s = ident_str(e);
            quote!(.field(#s, &self.#e))
        });
        quote! {
            #[allow(deprecated)]
            impl ::core::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#label)
                        #(#fields)*
                        #extra
                        .finish()
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn object(
        &self,
        name: &Ident,
        doc: TokenStream,
        deprecated: Option<&String>,
        derive: TokenStream,
        trackc: TokenStream,
        props: &[Property],
        all_optional: bool,
        open: bool,
        type_index: Option<u32>,
    ) -> TokenStream {
        let fields = self.fields(props, all_optional, type_index);
        let pii = props.iter().any(|p| p.pii);
        let debug = if pii {
            TokenStream::new()
        } else {
            quote!(::core::fmt::Debug,)
        };
        let deny = if open {
            TokenStream::new()
        } else {
            quote!(, deny_unknown_fields)
        };
        // An open object keeps the keys the contract does not name.
        let extra_ident = open.then(|| {
            let mut n = "additional_properties".to_owned();
            while props.iter().any(|p| p.rust_name == n) {
                n.push('_');
            }
            ident(&n)
        });
        let extra = extra_ident.as_ref().map(|e| {
            quote! {
                /// Properties the contract does not name (the object is open).
                #[serde(flatten)]
                #[trackc(skip)]
                pub #e: ::trackc::serde_json::Map<::std::string::String, ::trackc::serde_json::Value>,
            }
        });
        let deprecated = deprecated.map(|d| {
            let d = deprecation_note(d);
            quote!(#[deprecated(note = #d)])
        });
        let debug_impl =
            pii.then(|| self.debug_impl(name, props, all_optional, extra_ident.as_ref()));
        quote! {
            #doc
            #deprecated
            #[derive(::core::clone::Clone, ::core::cmp::PartialEq, #debug ::trackc::serde::Serialize, ::trackc::Deserialize, ::trackc::JsonSchema, #derive)]
            #[serde(crate = "::trackc::serde" #deny)]
            #trackc
            pub struct #name {
                #(#fields,)*
                #extra
            }
            #debug_impl
        }
    }

    fn attributes(&self) -> TokenStream {
        let name = ident(crate::front::resolve::ATTRIBUTES_STRUCT);
        let doc = docs(Some(&format!(
            "Person attributes of the {} contract, sent with identify.\n\n\
             Identify is a partial update: every attribute is optional, and only the ones set \
             are sent.",
            md_code(&self.ir.name)
        )));
        self.object(
            &name,
            doc,
            None,
            quote!(::core::default::Default, ::trackc::Attributes),
            TokenStream::new(),
            &self.ir.attributes,
            true,
            false,
            None,
        )
    }

    fn event(&self, id: EventId, e: &Event) -> TokenStream {
        let name = ident(&e.rust_name);
        let mut text = e.description.clone().unwrap_or_default();
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&format!("Track event {}", md_code(&e.name)));
        if let Some(o) = &e.owner {
            text.push_str(&format!(", emitted by {}", md_code(o)));
        }
        text.push('.');
        let doc = docs(Some(&text));
        let ev = &e.name;
        let contract = &self.ir.name;
        let mut args = vec![quote!(event = #ev), quote!(contract_name = #contract)];
        if let Some(p) = e.idempotency_property() {
            let k = &p.name;
            args.push(quote!(idempotency_key = #k));
        }
        let backfill = match e.backfill {
            BackfillPolicy::Allowed => "allowed",
            BackfillPolicy::Forbidden => "forbidden",
        };
        args.push(quote!(backfill = #backfill));
        let triggers: Vec<&str> = self
            .ir
            .triggered_by(id)
            .iter()
            .map(|w| w.name.as_str())
            .collect();
        if !triggers.is_empty() {
            args.push(quote!(triggers(#(#triggers),*)));
        }
        self.object(
            &name,
            doc,
            e.deprecated.as_ref(),
            quote!(::trackc::Event),
            quote!(#[trackc(#(#args),*)]),
            &e.properties,
            false,
            false,
            None,
        )
    }

    fn typedef(&self, index: u32, t: &TypeDef) -> TokenStream {
        let name = ident(&t.rust_name);
        let mut text = t.description.clone().unwrap_or_default();
        if matches!(t.origin, crate::ir::TypeOrigin::Inline { .. }) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&format!("The inline type at {}.", md_code(&t.name)));
        }
        let doc = docs((!text.is_empty()).then_some(text.as_str()));
        let deprecated = t.deprecated.as_ref().map(|d| {
            let d = deprecation_note(d);
            quote!(#[deprecated(note = #d)])
        });
        let contract_name = &t.name;
        match &t.kind {
            TypeKind::Alias(ty) => {
                let ty = self.ty(ty);
                quote! {
                    #doc
                    #deprecated
                    pub type #name = #ty;
                }
            }
            TypeKind::Object(o) => self.object(
                &name,
                doc,
                t.deprecated.as_ref(),
                quote!(::trackc::Validate),
                quote!(#[trackc(type = #contract_name)]),
                &o.properties,
                false,
                o.additional_properties,
                Some(index),
            ),
            TypeKind::Enum(en) => self.enumeration(&name, doc, deprecated, contract_name, en),
        }
    }

    fn enumeration(
        &self,
        name: &Ident,
        doc: TokenStream,
        deprecated: Option<TokenStream>,
        contract_name: &str,
        en: &EnumDef,
    ) -> TokenStream {
        let variants: Vec<Ident> = en.values.iter().map(|v| ident(&v.rust_name)).collect();
        let values: Vec<&str> = en.values.iter().map(|v| v.value.as_str()).collect();
        let defs = en.values.iter().zip(&variants).map(|(v, id)| {
            let doc = docs(v.description.as_deref());
            let value = &v.value;
            let rename = (ident_str(id) != v.value).then(|| quote!(#[serde(rename = #value)]));
            let alias_doc = (!v.aliases.is_empty()).then(|| {
                let line = format!(" {}", alias_line(value, &v.aliases));
                if v.description.is_some() {
                    quote!(#[doc = ""] #[doc = #line])
                } else {
                    quote!(#[doc = #line])
                }
            });
            quote! {
                #doc
                #alias_doc
                #rename
                #id
            }
        });
        // normalize: exact canonical, then exact alias, then loose keys (unambiguous ones).
        let mut exact: Vec<(String, usize)> = Vec::new();
        let mut exact_seen = BTreeSet::new();
        for (i, v) in en.values.iter().enumerate() {
            if exact_seen.insert(v.value.clone()) {
                exact.push((v.value.clone(), i));
            }
        }
        for (i, v) in en.values.iter().enumerate() {
            for a in &v.aliases {
                if exact_seen.insert(a.clone()) {
                    exact.push((a.clone(), i));
                }
            }
        }
        let mut loose: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, v) in en.values.iter().enumerate() {
            for s in std::iter::once(&v.value).chain(&v.aliases) {
                loose.entry(fold(s)).or_default().insert(i);
            }
        }
        let exact_arms = group_arms(&exact, &variants, true);
        let loose_pairs: Vec<(String, usize)> = loose
            .into_iter()
            .filter(|(_, set)| set.len() == 1)
            .map(|(k, set)| (k, *set.iter().next().unwrap()))
            .collect();
        let loose_arms = group_arms(&loose_pairs, &variants, false);
        let type_label = ident_str(name);
        quote! {
            #doc
            #deprecated
            #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash, ::core::cmp::PartialOrd, ::core::cmp::Ord, ::core::fmt::Debug, ::trackc::serde::Serialize, ::trackc::Deserialize, ::trackc::JsonSchema, ::trackc::Validate)]
            #[serde(crate = "::trackc::serde")]
            #[trackc(type = #contract_name)]
            pub enum #name {
                #(#defs,)*
            }

            #[allow(deprecated)]
            impl #name {
                /// Every value, in contract order.
                pub const ALL: &'static [Self] = &[#(Self::#variants),*];
                /// Every canonical value, in contract order.
                pub const VALUES: &'static [&'static str] = &[#(#values),*];

                /// The canonical value (what is sent).
                pub const fn as_str(&self) -> &'static str {
                    match self {
                        #(Self::#variants => #values,)*
                    }
                }

                /// The value for a spelling another system sends: the exact canonical value,
                /// else an exact alias, else a match ignoring case, spaces, `-`, `_` and `.`
                /// against the values and aliases (a loose spelling two values share matches
                /// neither).
                pub fn normalize(s: &str) -> ::core::option::Option<Self> {
                    match s {
                        #exact_arms
                        _ => {}
                    }
                    match ::trackc::__private::fold(s).as_str() {
                        #loose_arms
                        _ => ::core::option::Option::None,
                    }
                }
            }

            #[allow(deprecated)]
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            #[allow(deprecated)]
            impl ::core::str::FromStr for #name {
                type Err = ::trackc::ParseEnumError;

                /// Canonical values only; see [`Self::normalize`] for aliases.
                fn from_str(s: &str) -> ::core::result::Result<Self, ::trackc::ParseEnumError> {
                    match s {
                        #(#values => ::core::result::Result::Ok(Self::#variants),)*
                        _ => ::core::result::Result::Err(::trackc::ParseEnumError {
                            type_name: #type_label,
                            value: ::std::string::ToString::to_string(s),
                            expected: Self::VALUES,
                        }),
                    }
                }
            }
        }
    }
}

/// `"a" | "b" => [return] Some(Self::X),` arms, grouped by variant in first-seen order.
fn group_arms(pairs: &[(String, usize)], variants: &[Ident], ret: bool) -> TokenStream {
    let mut order: Vec<usize> = Vec::new();
    let mut by: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (s, i) in pairs {
        if !by.contains_key(i) {
            order.push(*i);
        }
        by.entry(*i).or_default().push(s);
    }
    order
        .into_iter()
        .map(|i| {
            let pats = &by[&i];
            let v = &variants[i];
            if ret {
                quote!(#(#pats)|* => return ::core::option::Option::Some(Self::#v),)
            } else {
                quote!(#(#pats)|* => ::core::option::Option::Some(Self::#v),)
            }
        })
        .collect()
}

fn ident_str(i: &Ident) -> String {
    let s = i.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// Re-spell `1u64` literals produced by `quote!` for `u64` values as `1`.
fn unsuffix(ts: TokenStream) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Literal(l) => {
                let s = l.to_string();
                match s.strip_suffix("u64") {
                    Some(n) if n.chars().all(|c| c.is_ascii_digit()) => {
                        TokenTree::Literal(Literal::u64_unsuffixed(n.parse().unwrap_or(0)))
                    }
                    _ => TokenTree::Literal(l),
                }
            }
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), unsuffix(g.stream()));
                ng.set_span(g.span());
                TokenTree::Group(ng)
            }
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number(0.0).to_string(), "0");
        assert_eq!(number(-500.0).to_string(), "- 500");
        assert_eq!(number(0.25).to_string(), "0.25");
    }
}
