//! Stage 4 of the expansion: the `Validate` / `Event` / `Attributes` impls from a
//! [`Model`] without errors.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::DeriveInput;

use crate::attr::Constraints;
use crate::bind::Model;
use crate::contract;
use crate::expand::{FieldModel, Kind};
use crate::shape::{self, Shape};

pub fn impls(input: &DeriveInput, kind: Kind, model: &Model) -> TokenStream {
    let name = &input.ident;
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let contract_type_impl = model.contract_type.as_ref().map(|t| {
        quote! {
            #[automatically_derived]
            impl #impl_g ::trackc::__private::ContractType for #name #ty_g #where_c {
                const NAME: &'static str = #t;
            }
        }
    });
    if model.is_enum {
        return quote! {
            #[automatically_derived]
            impl #impl_g ::trackc::Validate for #name #ty_g #where_c {
                #[inline]
                fn validate_into(&self, _: &::trackc::Path<'_>, _: &mut ::trackc::Violations) {}
            }
            #contract_type_impl
        };
    }
    let generic = !input.generics.params.is_empty();
    let asserts = if generic {
        TokenStream::new()
    } else {
        contract::binding_assertions(&model.bindings)
    };

    let checks: Vec<TokenStream> = model
        .fields
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
            let ev = model
                .event
                .as_ref()
                .expect("an event's model has its metadata");
            let key = match &ev.idempotency_key {
                None => quote! { ::core::option::Option::None },
                Some(member) => {
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
    quote! {
        #validate_impl
        #trait_impl
        #contract_type_impl
        #asserts
    }
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
