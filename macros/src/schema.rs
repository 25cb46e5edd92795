//! `#[derive(trackc::JsonSchema)]`: schemars' `JsonSchema` for structs with named fields
//! and unit-only enums, in attribute mode (what trackc's Rust emitter writes). Unlike
//! schemars' derive it knows trackc's constraint attributes (`#[trackc(minimum = 0,
//! format = "currency", ...)]`), so the schema says what `validate()` checks, written the
//! way trackc's emitted JSON Schemas write it; and it reads like `trackc::Deserialize`: an
//! `Option<T>` field is "absent or a T", never null.
//!
//! The expansion is a table of properties; the schema is built by
//! `trackc::__private::object_schema` at run time.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Map, Value};
use syn::{Attribute, Data, DeriveInput, Error, Fields, Result};

use crate::attr::{self, Constraints};
use crate::de::{
    CONTAINER_OK, FIELD_OK, VARIANT_OK, option_inner, plain_type, unsupported, wire_name,
};

pub fn derive(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    crate::de::run(input, expand)
}

/// The doc comment as schemars reads it: lines without their first space, trimmed.
fn docs(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &a.meta
            && let syn::Expr::Lit(l) = &nv.value
            && let syn::Lit::Str(s) = &l.lit
        {
            let v = s.value();
            lines.push(v.strip_prefix(' ').unwrap_or(&v).trim_end().to_owned());
        }
    }
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn deprecated(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("deprecated"))
}

fn opt_str(s: Option<String>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// The JSON Schema keywords of `#[trackc(...)]` constraints (`format` and `items` are
/// rewritten by the runtime).
fn keywords(c: &Constraints) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(v) = c.minimum {
        m.insert("minimum".into(), number(v));
    }
    if let Some(v) = c.maximum {
        m.insert("maximum".into(), number(v));
    }
    for (k, v) in [
        ("minLength", c.min_length),
        ("maxLength", c.max_length),
        ("minItems", c.min_items),
        ("maxItems", c.max_items),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.into());
        }
    }
    if let Some(p) = &c.pattern {
        m.insert("pattern".into(), format!("^(?:{p})$").into());
    }
    if let Some(f) = &c.format {
        m.insert("format".into(), f.clone().into());
    }
    if let Some(items) = &c.items
        && !items.is_empty()
    {
        m.insert("items".into(), keywords(items).into());
    }
    m
}

fn expand(input: &DeriveInput) -> Result<TokenStream> {
    let name = &input.ident;
    let label = plain_type(input, "JsonSchema", "schemars::JsonSchema")?;
    let c = attr::parse_container(&input.attrs)?;
    if let Some(l) = &c.contract {
        return Err(Error::new(
            l.span(),
            "`#[derive(trackc::JsonSchema)]` reads constraints from `#[trackc(...)]` attributes (attribute mode); in contract mode derive `schemars::JsonSchema`, or use the JSON Schemas `trackc generate` writes",
        ));
    }
    let serde = attr::parse_serde(&input.attrs)?;
    // The schema describes what `trackc::Deserialize` accepts: the same attributes, read
    // on their deserialize side.
    let what = if matches!(input.data, Data::Enum(_)) {
        "an enum"
    } else {
        "a struct"
    };
    unsupported(&serde, CONTAINER_OK, "JsonSchema", what)?;
    let meta = {
        let d = opt_str(docs(&input.attrs));
        let dep = deprecated(&input.attrs);
        quote!(&::trackc::__private::Meta { description: #d, deprecated: #dep })
    };
    let body = match &input.data {
        Data::Struct(s) => {
            let Fields::Named(n) = &s.fields else {
                return Err(Error::new(
                    name.span(),
                    "`#[derive(trackc::JsonSchema)]` needs named fields",
                ));
            };
            let mut props = Vec::new();
            let mut additional = if serde.deny_unknown_fields {
                quote!(::core::option::Option::Some(false))
            } else {
                quote!(::core::option::Option::None)
            };
            for f in &n.named {
                let ident = f.ident.as_ref().expect("named field");
                let s = attr::parse_serde(&f.attrs)?;
                unsupported(&s, FIELD_OK, "JsonSchema", "a field")?;
                let fa = attr::parse_field(&f.attrs)?;
                if s.flatten {
                    additional = quote!(::core::option::Option::Some(true));
                    continue;
                }
                if s.skip_de {
                    continue;
                }
                let wire = wire_name(ident, s.de_rename.as_ref(), serde.de_rename_all, false);
                let (ty, required) = match option_inner(&f.ty) {
                    Some(inner) => (inner, false),
                    None => (&f.ty, s.default.is_none()),
                };
                let kw = keywords(&fa.constraints);
                let kw = if kw.is_empty() {
                    String::new()
                } else {
                    Value::Object(kw).to_string()
                };
                let d = opt_str(docs(&f.attrs));
                let dep = deprecated(&f.attrs);
                props.push(quote! {
                    ::trackc::__private::Prop {
                        name: #wire,
                        required: #required,
                        schema: |__g| __g.subschema_for::<#ty>(),
                        keywords: #kw,
                        description: #d,
                        deprecated: #dep,
                    }
                });
            }
            quote! {
                ::trackc::__private::object_schema(__g, #meta, #additional, &[#(#props),*])
            }
        }
        Data::Enum(e) => {
            let mut values = Vec::new();
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    return Err(Error::new_spanned(
                        &v.ident,
                        "`#[derive(trackc::JsonSchema)]` supports unit variants only",
                    ));
                }
                let s = attr::parse_serde(&v.attrs)?;
                unsupported(&s, VARIANT_OK, "JsonSchema", "a variant")?;
                if s.skip_de {
                    continue;
                }
                values.push(wire_name(
                    &v.ident,
                    s.de_rename.as_ref(),
                    serde.de_rename_all,
                    true,
                ));
            }
            quote!(::trackc::__private::enum_schema(#meta, &[#(#values),*]))
        }
        Data::Union(_) => unreachable!("refused by plain_type"),
    };
    Ok(quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl ::trackc::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#label)
            }
            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(::core::concat!(::core::module_path!(), "::", #label))
            }
            fn json_schema(__g: &mut ::trackc::schemars::SchemaGenerator) -> ::trackc::schemars::Schema {
                #body
            }
        }
    })
}
