//! `#[derive(trackc::Deserialize)]`: serde's `Deserialize` for the shapes trackc
//! generates (structs with named fields, unit-only enums), reading the same `#[serde]`
//! attributes, in a fraction of serde's expansion: the key lookup and the enum visitor
//! live in `trackc::__private`, so a struct expands to a field table and one `match`.
//!
//! It differs from serde's derive on purpose where trackc's JSON Schemas differ: an
//! `Option<T>` field takes a missing key as `None` but refuses an explicit `null` (the
//! schemas say "absent or a T"), and a struct is read from a map only (serde's derive also
//! accepts a JSON array of the field values, which no schema allows). Attributes it does
//! not implement (or that do not belong where they are written, like a container
//! `default`) are compile errors, never silently ignored.
//!
//! Limits: a field is optional when its type is *written* `Option<...>` (a type alias of
//! `Option` is a required field); `Self` in a field type does not compile; aliases are
//! accepted but not listed in "expected one of" messages nor in the `JsonSchema`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Error, Fields, Result};

use crate::attr::{self, Serde};
use crate::case::RenameRule;

/// The `#[serde]` keys the derives implement, by position (`skip_serializing_if` and
/// `serialize_with` only change serialization).
pub const CONTAINER_OK: &[&str] = &["crate", "rename", "rename_all", "deny_unknown_fields"];
pub const FIELD_OK: &[&str] = &[
    "rename",
    "alias",
    "default",
    "skip",
    "skip_serializing",
    "skip_deserializing",
    "flatten",
    "skip_serializing_if",
    "serialize_with",
];
pub const VARIANT_OK: &[&str] = &[
    "rename",
    "alias",
    "skip",
    "skip_serializing",
    "skip_deserializing",
];

pub fn derive(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    run(input, expand)
}

/// Parses the input and turns an error into `compile_error!` (shared with the
/// `JsonSchema` derive).
pub fn run(
    input: proc_macro::TokenStream,
    expand: fn(&DeriveInput) -> Result<TokenStream>,
) -> proc_macro::TokenStream {
    match syn::parse::<DeriveInput>(input).and_then(|i| expand(&i)) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The type's name without `r#`, and an error unless it is a non-generic struct or enum.
pub fn plain_type(input: &DeriveInput, derive: &str, instead: &str) -> Result<String> {
    if !input.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &input.generics,
            format!(
                "`#[derive(trackc::{derive})]` supports types without generic parameters; derive `{instead}` instead"
            ),
        ));
    }
    if matches!(input.data, Data::Union(_)) {
        return Err(Error::new(
            input.ident.span(),
            "trackc derives do not support unions",
        ));
    }
    let raw = input.ident.to_string();
    Ok(raw.strip_prefix("r#").unwrap_or(&raw).to_owned())
}

/// An error for the first `#[serde]` key not in `ok` (for `derive` on `what`).
pub fn unsupported(s: &Serde, ok: &[&str], derive: &str, what: &str) -> Result<()> {
    let instead = if derive == "JsonSchema" {
        "schemars::JsonSchema"
    } else {
        "serde::Deserialize"
    };
    match s.keys.iter().find(|(k, _)| !ok.contains(&k.as_str())) {
        Some((k, span)) => Err(Error::new(
            *span,
            format!(
                "`#[derive(trackc::{derive})]` does not implement `#[serde({k})]` on {what}; derive `{instead}` instead"
            ),
        )),
        None => Ok(()),
    }
}

/// `T` when `ty` is written `Option<T>` (any path ending in `Option`).
pub fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// `(spelling, index)` pairs sorted by spelling, for the runtime's binary search; two
/// fields (or variants) accepting one spelling is a compile error, as it would be
/// ambiguous.
fn sorted_table(names: &[(String, Vec<String>)], span: Span) -> Result<TokenStream> {
    let mut all: Vec<(&str, usize)> = Vec::new();
    for (i, (name, aliases)) in names.iter().enumerate() {
        all.push((name, i));
        all.extend(aliases.iter().map(|a| (a.as_str(), i)));
    }
    all.sort();
    // An alias equal to the name (or given twice) is harmless, as in serde.
    all.dedup();
    if let Some(w) = all.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::new(
            span,
            format!("`{}` is accepted by two fields or variants", w[0].0),
        ));
    }
    let pairs = all.iter().map(|(s, i)| quote!((#s, #i)));
    Ok(quote!(&[#(#pairs),*]))
}

/// The name a field or variant has on the wire: its `rename`, else the container's
/// `rename_all` applied to the identifier (without `r#`), else the identifier.
pub fn wire_name(
    ident: &syn::Ident,
    rename: Option<&String>,
    rule: Option<RenameRule>,
    variant: bool,
) -> String {
    let raw = ident.to_string();
    let base = raw.strip_prefix("r#").unwrap_or(&raw);
    if let Some(r) = rename {
        r.clone()
    } else if let Some(rule) = rule {
        if variant {
            rule.apply_to_variant(base)
        } else {
            rule.apply_to_field(base)
        }
    } else {
        base.to_owned()
    }
}

fn expand(input: &DeriveInput) -> Result<TokenStream> {
    let name = &input.ident;
    let label = plain_type(input, "Deserialize", "serde::Deserialize")?;
    let container = attr::parse_serde(&input.attrs)?;
    unsupported(
        &container,
        CONTAINER_OK,
        "Deserialize",
        if matches!(input.data, Data::Enum(_)) {
            "an enum"
        } else {
            "a struct"
        },
    )?;
    let body = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => strukt(name, &label, &container, n.named.iter())?,
            _ => {
                return Err(Error::new(
                    name.span(),
                    "`#[derive(trackc::Deserialize)]` needs named fields; derive `serde::Deserialize` instead",
                ));
            }
        },
        Data::Enum(e) => enumeration(&label, &container, e)?,
        Data::Union(_) => unreachable!("refused by plain_type"),
    };
    Ok(quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl<'de> ::trackc::serde::Deserialize<'de> for #name {
            fn deserialize<__D>(__deserializer: __D) -> ::core::result::Result<Self, __D::Error>
            where
                __D: ::trackc::serde::Deserializer<'de>,
            {
                #body
            }
        }
    })
}

fn strukt<'a>(
    name: &syn::Ident,
    label: &str,
    container: &Serde,
    fields: impl Iterator<Item = &'a syn::Field>,
) -> Result<TokenStream> {
    let rule = container.de_rename_all;
    let mut names: Vec<(String, Vec<String>)> = Vec::new();
    let mut decls = Vec::new();
    let mut arms = Vec::new();
    let mut inits = Vec::new();
    let mut flat: Option<(syn::Ident, &syn::Type)> = None;
    for f in fields {
        let ident = f.ident.as_ref().expect("named field");
        let s = attr::parse_serde(&f.attrs)?;
        unsupported(&s, FIELD_OK, "Deserialize", "a field")?;
        if s.flatten {
            if flat.is_some() {
                return Err(Error::new_spanned(
                    ident,
                    "`#[derive(trackc::Deserialize)]` supports one `#[serde(flatten)]` map per struct",
                ));
            }
            if container.deny_unknown_fields {
                return Err(Error::new_spanned(
                    ident,
                    "`#[serde(flatten)]` keeps the unknown keys; it cannot be combined with `deny_unknown_fields`",
                ));
            }
            flat = Some((ident.clone(), &f.ty));
            inits.push(quote!(#ident: __flat));
            continue;
        }
        let default = match &s.default {
            Some(Some(path)) => quote!(#path()),
            _ => quote!(::core::default::Default::default()),
        };
        if s.skip_de {
            inits.push(quote!(#ident: #default));
            continue;
        }
        let index = names.len();
        let wire = wire_name(ident, s.de_rename.as_ref(), rule, false);
        let var = format_ident!("__f{}", index);
        let (slot_ty, value) = match option_inner(&f.ty) {
            // A missing key is `None` (or `default = "..."`); a present key must hold a
            // `T`: null is refused.
            Some(inner) => match &s.default {
                Some(Some(_)) => (
                    inner,
                    quote! {
                        match #var {
                            ::core::option::Option::None => #default,
                            __some => __some,
                        }
                    },
                ),
                _ => (inner, quote!(#var)),
            },
            None => {
                let missing = if s.default.is_some() {
                    quote!(#default)
                } else {
                    quote! {
                        return ::core::result::Result::Err(
                            <__A::Error as ::trackc::serde::de::Error>::missing_field(#wire),
                        )
                    }
                };
                (
                    &f.ty,
                    quote! {
                        match #var {
                            ::core::option::Option::Some(__v) => __v,
                            ::core::option::Option::None => #missing,
                        }
                    },
                )
            }
        };
        decls.push(quote! {
            let mut #var: ::core::option::Option<#slot_ty> = ::core::option::Option::None;
        });
        arms.push(quote! {
            ::trackc::__private::Key::Field(#index) => {
                if #var.is_some() {
                    return ::core::result::Result::Err(
                        <__A::Error as ::trackc::serde::de::Error>::duplicate_field(#wire),
                    );
                }
                #var = ::core::option::Option::Some(__map.next_value()?);
            }
        });
        inits.push(quote!(#ident: #value));
        names.push((wire, s.aliases.clone()));
    }
    let field_names = names.iter().map(|(n, _)| n);
    let sorted = sorted_table(&names, name.span())?;
    let (unknown, flat_decl, other_arm) = match &flat {
        Some((_, ty)) => (
            quote!(Keep),
            quote!(let mut __flat: #ty = ::core::default::Default::default();),
            quote! {
                ::trackc::__private::Key::Other(__k) => {
                    __flat.insert(__k, __map.next_value()?);
                }
            },
        ),
        None if container.deny_unknown_fields => (quote!(Deny), quote!(), quote!()),
        None => (quote!(Ignore), quote!(), quote!()),
    };
    let fields_len = names.len();
    // With a flattened map the key set is open: `deserialize_map`, as serde's derive
    // does (a `FlatMapDeserializer` would pass on only the keys in `__FIELDS`).
    let call = if flat.is_some() {
        quote!(__deserializer.deserialize_map(__Visitor))
    } else {
        quote!(__deserializer.deserialize_struct(#label, __FIELDS, __Visitor))
    };
    Ok(quote! {
        const __FIELDS: &[&str; #fields_len] = &[#(#field_names),*];
        struct __Visitor;
        #[allow(deprecated)]
        impl<'de> ::trackc::serde::de::Visitor<'de> for __Visitor {
            type Value = #name;
            fn expecting(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&::trackc::__private::Expecting(#label), __f)
            }
            fn visit_map<__A>(self, mut __map: __A) -> ::core::result::Result<#name, __A::Error>
            where
                __A: ::trackc::serde::de::MapAccess<'de>,
            {
                #(#decls)*
                #flat_decl
                while let ::core::option::Option::Some(__key) =
                    __map.next_key_seed(::trackc::__private::FieldKey {
                        fields: __FIELDS,
                        sorted: #sorted,
                        unknown: ::trackc::__private::Unknown::#unknown,
                    })?
                {
                    match __key {
                        #(#arms)*
                        #other_arm
                        _ => {
                            __map.next_value::<::trackc::serde::de::IgnoredAny>()?;
                        }
                    }
                }
                ::core::result::Result::Ok(#name { #(#inits),* })
            }
        }
        #call
    })
}

fn enumeration(label: &str, container: &Serde, e: &syn::DataEnum) -> Result<TokenStream> {
    let mut names: Vec<(String, Vec<String>)> = Vec::new();
    let mut arms = Vec::new();
    for v in &e.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(Error::new_spanned(
                &v.ident,
                "`#[derive(trackc::Deserialize)]` supports unit variants only; derive `serde::Deserialize` instead",
            ));
        }
        let s = attr::parse_serde(&v.attrs)?;
        unsupported(&s, VARIANT_OK, "Deserialize", "a variant")?;
        if s.skip_de {
            continue;
        }
        let ident = &v.ident;
        let index = names.len();
        arms.push(quote!(#index => ::core::result::Result::Ok(Self::#ident)));
        names.push((
            wire_name(ident, s.de_rename.as_ref(), container.de_rename_all, true),
            s.aliases.clone(),
        ));
    }
    let variants = names.iter().map(|(n, _)| n);
    let sorted = sorted_table(&names, Span::call_site())?;
    Ok(quote! {
        match ::trackc::__private::variant_index(__deserializer, #label, &[#(#variants),*], #sorted)? {
            #(#arms,)*
            _ => ::core::unreachable!(),
        }
    })
}
