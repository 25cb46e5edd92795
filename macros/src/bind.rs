//! Stage 3 of the expansion: the model the impls are generated from, bound to the
//! contract (contract mode: constraints, event metadata and the contract type come from
//! the contract, every drift an error) or read from the attributes (attribute mode).

use proc_macro2::{Span, TokenStream};
use syn::{DeriveInput, Fields, Ident};
use trackc_codegen::ir::{BackfillPolicy, Property, TypeKind};
use trackc_codegen::{diag, naming};

use crate::attr::{self, Container};
use crate::contract::{self, Binding, FieldRef, Loaded, Owner};
use crate::ctxt::Ctxt;
use crate::expand::{Body, FieldModel, Kind, Parsed};

/// What the impls are generated from (complete when no error was recorded).
pub struct Model {
    /// The struct's fields with their constraints; none for an enum.
    pub fields: Vec<FieldModel>,
    pub is_enum: bool,
    pub event: Option<EventMeta>,
    /// The contract type the struct or enum stands for (`type = "..."`).
    pub contract_type: Option<String>,
    /// Nested types to assert bound to their contract types.
    pub bindings: Vec<Binding>,
}

pub struct EventMeta {
    pub contract: String,
    pub name: String,
    pub backfill: bool,
    pub triggers: Vec<String>,
    /// The field holding the idempotency key.
    pub idempotency_key: Option<Ident>,
    /// The key's wire name and where it was named, until the field is found.
    key_wire: Option<(String, Span)>,
}

/// Build the model, recording every drift from the contract in `cx`.
pub fn model(cx: &mut Ctxt, parsed: Parsed<'_>, kind: Kind, track: &mut TokenStream) -> Model {
    let Parsed {
        input,
        container: c,
        serde,
        body,
    } = parsed;
    let mut model = Model {
        fields: Vec::new(),
        is_enum: false,
        event: None,
        contract_type: c.type_name.as_ref().map(|l| l.value()),
        bindings: Vec::new(),
    };
    let loaded = c.contract.as_ref().and_then(|lit| {
        let (loaded, t) = contract::load(cx, lit);
        *track = t;
        loaded
    });
    match body {
        Body::Enum(variants) => {
            model.is_enum = true;
            if let Some(loaded) = &loaded {
                bind_enum(cx, input, &c, &serde, &variants, loaded, &mut model);
            }
        }
        Body::Struct(fields) => {
            model.fields = fields;
            let before = cx.len();
            if let Some(loaded) = &loaded {
                bind_struct(cx, input, &c, kind, loaded, &mut model);
            } else if c.contract.is_none() && kind == Kind::Event {
                model.event = attribute_event(cx, &c);
            }
            // A key whose field failed to bind (missing, renamed) is already reported there;
            // saying again that the key has no field would only repeat it.
            let binding_failed = cx.len() > before;
            idempotency_field(cx, &input.ident, &mut model, binding_failed);
        }
    }
    model
}

/// Attribute mode's event metadata.
fn attribute_event(cx: &mut Ctxt, c: &Container) -> Option<EventMeta> {
    let ev = c.event.as_ref()?;
    let Some(contract_name) = &c.contract_name else {
        cx.error(
            ev.span(),
            "attribute mode needs `contract_name = \"...\"` (or bind the struct to a contract with `contract = \"path\"`)",
        );
        return None;
    };
    Some(EventMeta {
        contract: contract_name.value(),
        name: ev.value(),
        backfill: c.backfill.map(|b| b.0).unwrap_or(false),
        triggers: c.triggers.iter().map(|t| t.value()).collect(),
        idempotency_key: None,
        key_wire: c.idempotency_key.as_ref().map(|k| (k.value(), k.span())),
    })
}

/// The field of the idempotency key (named by the contract's event or by
/// `idempotency_key = "..."`).
fn idempotency_field(cx: &mut Ctxt, name: &Ident, model: &mut Model, binding_failed: bool) {
    let Some(ev) = &mut model.event else { return };
    let Some((wire, span)) = ev.key_wire.take() else {
        return;
    };
    match model.fields.iter().find(|f| f.wire == wire && !f.skip) {
        Some(f) => ev.idempotency_key = Some(f.ident.clone()),
        None if binding_failed => {}
        None => cx.error(
            span,
            format!("the idempotency key `{wire}` is not a field of `{name}`"),
        ),
    }
}

/// Contract mode for a struct: the event, the identify attributes or an object type.
fn bind_struct(
    cx: &mut Ctxt,
    input: &DeriveInput,
    c: &Container,
    kind: Kind,
    loaded: &Loaded,
    model: &mut Model,
) {
    let ir = loaded.ir();
    let name = &input.ident;
    let target: Option<(Owner<'_>, &[Property], bool)> = match kind {
        Kind::Event => c.event.as_ref().and_then(|ev_lit| {
            let ev_name = ev_lit.value();
            let Some(ev) = ir.event_by_name(&ev_name) else {
                let hint = diag::did_you_mean(&ev_name, ir.events.iter().map(|e| e.name.as_str()))
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                cx.error(
                    ev_lit.span(),
                    format!("the contract `{}` has no event `{ev_name}`{hint}", ir.name),
                );
                return None;
            };
            let triggers = ir
                .triggered_by(trackc_codegen::ir::EventId(
                    ir.events.iter().position(|e| e.name == ev.name).unwrap() as u32,
                ))
                .iter()
                .map(|w| w.name.clone())
                .collect();
            model.event = Some(EventMeta {
                contract: ir.name.clone(),
                name: ev.name.clone(),
                backfill: ev.backfill == BackfillPolicy::Allowed,
                triggers,
                idempotency_key: None,
                key_wire: ev
                    .idempotency_property()
                    .map(|p| (p.name.clone(), ev_lit.span())),
            });
            let owner = Owner {
                what: format!("event `{}`", ev.name),
                noun: "property",
                at: loaded.at(ev.span),
            };
            Some((owner, &ev.properties[..], false))
        }),
        Kind::Attributes => {
            let owner = Owner {
                what: "the identify attributes".into(),
                noun: "attribute",
                at: loaded.at(ir.identity.span),
            };
            Some((owner, &ir.attributes[..], true))
        }
        Kind::Validate => c.type_name.as_ref().and_then(|lit| {
            let def = cx.ok(contract::find_type(ir, lit))?;
            model.contract_type = Some(def.name.clone());
            let TypeKind::Object(obj) = &def.kind else {
                let is_enum = matches!(def.kind, TypeKind::Enum(_));
                cx.error(
                    lit.span(),
                    format!(
                        "`{}` is {} in the contract ({}), not an object: {}",
                        def.name,
                        if is_enum {
                            "an enum"
                        } else {
                            "an alias of a scalar or array type"
                        },
                        loaded.at(def.span),
                        if is_enum {
                            "derive it on an enum"
                        } else {
                            "use a type alias (`pub type X = ...;`) instead of a struct"
                        }
                    ),
                );
                return None;
            };
            let owner = Owner {
                what: format!("type `{}`", def.name),
                noun: "property",
                at: loaded.at(def.span),
            };
            Some((owner, &obj.properties[..], false))
        }),
    };
    let Some((owner, props, all_optional)) = target else {
        return;
    };
    let refs: Vec<FieldRef<'_>> = model
        .fields
        .iter()
        .filter(|f| !f.skip)
        .map(|f| FieldRef {
            ident: &f.ident,
            ty: &f.ty,
            wire: &f.wire,
        })
        .collect();
    let constraints = contract::match_fields(
        loaded,
        &owner,
        props,
        all_optional,
        &refs,
        name,
        &mut model.bindings,
        cx,
    );
    let mut it = constraints.into_iter();
    for f in model.fields.iter_mut().filter(|f| !f.skip) {
        f.constraints = it.next().unwrap_or_default();
    }
}

/// Contract mode for an enum: every variant is a value of the contract enum, and every
/// value has a variant.
fn bind_enum(
    cx: &mut Ctxt,
    input: &DeriveInput,
    c: &Container,
    serde: &attr::Serde,
    variants: &[(&syn::Variant, attr::Serde)],
    loaded: &Loaded,
    model: &mut Model,
) {
    let name = &input.ident;
    let ir = loaded.ir();
    let Some(tlit) = c.type_name.as_ref() else {
        return; // refused by the checks
    };
    let Some(def) = cx.ok(contract::find_type(ir, tlit)) else {
        return;
    };
    let TypeKind::Enum(en) = &def.kind else {
        cx.error(
            tlit.span(),
            format!(
                "`{}` is not an enum in the contract ({}): derive it on a struct",
                def.name,
                loaded.at(def.span)
            ),
        );
        return;
    };
    model.contract_type = Some(def.name.clone());
    let at = loaded.at(def.span);
    let mut seen = vec![false; en.values.len()];
    let values: Vec<&str> = en.values.iter().map(|v| v.value.as_str()).collect();
    for (v, vs) in variants {
        if vs.skip {
            continue;
        }
        if !matches!(v.fields, Fields::Unit) {
            cx.error(
                v.ident.span(),
                format!(
                    "variant `{}`: contract enum values are unit variants",
                    v.ident
                ),
            );
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
        cx.error(
            v.ident.span(),
            format!(
                "variant `{}` serializes as `{wire}`, which is not a value of enum `{}` ({at}); {hint}",
                v.ident, def.name
            ),
        );
    }
    for (v, s) in en.values.iter().zip(&seen) {
        if !*s {
            cx.error(
                name.span(),
                format!(
                    "enum `{name}` has no variant for the value `{}` of `{}` ({}); add `#[serde(rename = \"{}\")] {},`",
                    v.value,
                    def.name,
                    loaded.at(v.span),
                    v.value,
                    v.rust_name
                ),
            );
        }
    }
}
