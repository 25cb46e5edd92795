//! `#[trackc(...)]` and the parts of `#[serde(...)]` that decide wire names.

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::{Attribute, Error, Expr, Lit, LitStr, Meta, Result, Token, UnOp};

use crate::case::RenameRule;
use crate::ctxt::Ctxt;

/// The string formats of the contract (as `trackc::formats_ok` knows them).
pub const FORMATS: [&str; 6] = ["email", "e164", "uri", "uuid", "currency", "country"];

/// Value constraints of one field (or of the items of an array field).
#[derive(Clone, Debug, Default)]
pub struct Constraints {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// As written; anchored by the expansion.
    pub pattern: Option<String>,
    pub format: Option<String>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub items: Option<Box<Constraints>>,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        self.minimum.is_none()
            && self.maximum.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.format.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.items.as_ref().is_none_or(|i| i.is_empty())
    }
}

/// Struct- or enum-level `#[trackc(...)]`.
#[derive(Default)]
pub struct Container {
    pub contract: Option<LitStr>,
    pub event: Option<LitStr>,
    pub type_name: Option<LitStr>,
    pub contract_name: Option<LitStr>,
    pub idempotency_key: Option<LitStr>,
    pub backfill: Option<(bool, Span)>,
    pub triggers: Vec<LitStr>,
    /// The first `#[trackc]` attribute, for errors about the container as a whole.
    pub span: Option<Span>,
}

const CONTAINER_KEYS: &[&str] = &[
    "contract",
    "event",
    "type",
    "contract_name",
    "idempotency_key",
    "backfill",
    "triggers",
];

const FIELD_KEYS: &[&str] = &[
    "minimum",
    "maximum",
    "min_length",
    "max_length",
    "pattern",
    "format",
    "min_items",
    "max_items",
    "items",
    "skip",
];

fn metas(attr: &Attribute) -> Result<Punctuated<Meta, Token![,]>> {
    use proc_macro2::{Ident, TokenTree};
    use syn::parse::Parser;
    let list = attr.meta.require_list()?;
    // `type = "..."`: a keyword is not a `Meta` path; read it as `r#type`.
    let tokens: proc_macro2::TokenStream = list
        .tokens
        .clone()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) if i == "type" => {
                TokenTree::Ident(Ident::new_raw("type", i.span()))
            }
            other => other,
        })
        .collect();
    Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)
}

fn key(meta: &Meta) -> String {
    meta.path()
        .get_ident()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .unwrap_or_else(|| "?".into())
}

fn unknown(meta: &Meta, known: &[&str]) -> Error {
    let k = key(meta);
    let hint = known
        .iter()
        .map(|c| (strsim_distance(&k, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(k.len()) / 3).max(1))
        .min()
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    Error::new_spanned(
        meta.path(),
        format!(
            "unknown trackc attribute `{k}`{hint} (expected one of: {})",
            known.join(", ")
        ),
    )
}

/// Levenshtein distance, for "did you mean" on attribute keys.
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn name_value(meta: &Meta) -> Result<&Expr> {
    match meta {
        Meta::NameValue(nv) => Ok(&nv.value),
        _ => Err(Error::new_spanned(
            meta,
            format!("expected `{} = ...`", key(meta)),
        )),
    }
}

fn lit_str(meta: &Meta) -> Result<LitStr> {
    match name_value(meta)? {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Ok(s.clone()),
            other => Err(Error::new_spanned(other, "expected a string literal")),
        },
        other => Err(Error::new_spanned(other, "expected a string literal")),
    }
}

fn number(meta: &Meta) -> Result<f64> {
    fn lit(e: &Expr) -> Option<f64> {
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Int(i) => i.base10_parse::<f64>().ok(),
                Lit::Float(f) => f.base10_parse::<f64>().ok(),
                _ => None,
            },
            Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => lit(&u.expr).map(|v| -v),
            Expr::Group(g) => lit(&g.expr),
            Expr::Paren(p) => lit(&p.expr),
            _ => None,
        }
    }
    let e = name_value(meta)?;
    lit(e).ok_or_else(|| Error::new_spanned(e, "expected a number literal"))
}

fn count(meta: &Meta) -> Result<u64> {
    let e = name_value(meta)?;
    if let Expr::Lit(l) = e
        && let Lit::Int(i) = &l.lit
    {
        return i.base10_parse::<u64>();
    }
    Err(Error::new_spanned(
        e,
        "expected a non-negative integer literal",
    ))
}

/// Every malformed key is an error (all of them reported, not only the first).
pub fn parse_container(attrs: &[Attribute]) -> Result<Container> {
    let mut cx = Ctxt::default();
    let mut c = Container::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("trackc")) {
        c.span
            .get_or_insert_with(|| attr.path().segments[0].ident.span());
        for meta in cx.ok(metas(attr)).into_iter().flatten() {
            let read = container_key(&mut c, &meta);
            cx.ok(read);
        }
    }
    cx.finish().map(|()| c)
}

fn container_key(c: &mut Container, meta: &Meta) -> Result<()> {
    match key(meta).as_str() {
        "contract" => c.contract = Some(lit_str(meta)?),
        "event" => c.event = Some(lit_str(meta)?),
        "type" => c.type_name = Some(lit_str(meta)?),
        "contract_name" => c.contract_name = Some(lit_str(meta)?),
        "idempotency_key" => c.idempotency_key = Some(lit_str(meta)?),
        "backfill" => {
            let s = lit_str(meta)?;
            c.backfill = Some(match s.value().as_str() {
                "allowed" => (true, s.span()),
                "forbidden" => (false, s.span()),
                _ => {
                    return Err(Error::new(
                        s.span(),
                        "backfill is \"allowed\" or \"forbidden\"",
                    ));
                }
            });
        }
        "triggers" => match meta {
            Meta::List(list) => {
                let names =
                    list.parse_args_with(Punctuated::<LitStr, Token![,]>::parse_terminated)?;
                c.triggers.extend(names);
            }
            _ => {
                return Err(Error::new_spanned(
                    meta,
                    "expected `triggers(\"workflow\", ...)`",
                ));
            }
        },
        _ => return Err(unknown(meta, CONTAINER_KEYS)),
    }
    Ok(())
}

/// Field-level `#[trackc(...)]`.
#[derive(Default)]
pub struct FieldAttrs {
    pub constraints: Constraints,
    /// `#[trackc(skip)]`: not validated, not matched against the contract.
    pub skip: bool,
    /// The first constraint attribute, for "not in contract mode" errors.
    pub constraint_span: Option<Span>,
}

/// Every malformed constraint is recorded in `cx`.
fn parse_constraints(cx: &mut Ctxt, metas: Punctuated<Meta, Token![,]>, c: &mut Constraints) {
    for meta in metas {
        let read = constraint(cx, c, &meta);
        cx.ok(read);
    }
}

fn constraint(cx: &mut Ctxt, c: &mut Constraints, meta: &Meta) -> Result<()> {
    match key(meta).as_str() {
        "minimum" => c.minimum = Some(number(meta)?),
        "maximum" => c.maximum = Some(number(meta)?),
        "min_length" => c.min_length = Some(count(meta)?),
        "max_length" => c.max_length = Some(count(meta)?),
        "min_items" => c.min_items = Some(count(meta)?),
        "max_items" => c.max_items = Some(count(meta)?),
        "pattern" => {
            let s = lit_str(meta)?;
            if let Err(e) = regex::Regex::new(&s.value()) {
                return Err(Error::new(s.span(), format!("invalid pattern: {e}")));
            }
            c.pattern = Some(s.value());
        }
        "format" => {
            let s = lit_str(meta)?;
            if !FORMATS.contains(&s.value().as_str()) {
                return Err(Error::new(
                    s.span(),
                    format!("unknown format; expected one of: {}", FORMATS.join(", ")),
                ));
            }
            c.format = Some(s.value());
        }
        "items" => match meta {
            Meta::List(list) => {
                let inner =
                    list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
                let mut items = Constraints::default();
                parse_constraints(cx, inner, &mut items);
                c.items = Some(Box::new(items));
            }
            _ => return Err(Error::new_spanned(meta, "expected `items(...)`")),
        },
        _ => return Err(unknown(meta, &FIELD_KEYS[..FIELD_KEYS.len() - 1])),
    }
    Ok(())
}

/// Every malformed key is an error (all of them reported, not only the first).
pub fn parse_field(attrs: &[Attribute]) -> Result<FieldAttrs> {
    let mut cx = Ctxt::default();
    let mut f = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("trackc")) {
        let mut rest = Punctuated::<Meta, Token![,]>::new();
        for meta in cx.ok(metas(attr)).into_iter().flatten() {
            match key(&meta).as_str() {
                "skip" if matches!(meta, Meta::Path(_)) => f.skip = true,
                k if FIELD_KEYS.contains(&k) => {
                    f.constraint_span
                        .get_or_insert_with(|| meta.path().segments[0].ident.span());
                    rest.push(meta);
                }
                _ => cx.push(unknown(&meta, FIELD_KEYS)),
            }
        }
        parse_constraints(&mut cx, rest, &mut f.constraints);
    }
    cx.finish().map(|()| f)
}

/// What `#[serde(...)]` says about one container, field or variant.
#[derive(Default)]
pub struct Serde {
    pub rename: Option<String>,
    pub rename_all: Option<RenameRule>,
    /// `skip` or `skip_serializing`: never on the wire.
    pub skip: bool,
    pub flatten: bool,
    /// The deserialize side of `rename` / `rename_all` (`rename(deserialize = "...")`).
    pub de_rename: Option<String>,
    pub de_rename_all: Option<RenameRule>,
    pub aliases: Vec<String>,
    /// `default` (`Some(None)`) or `default = "path"` (`Some(Some(path))`).
    pub default: Option<Option<syn::ExprPath>>,
    /// `skip` or `skip_deserializing`.
    pub skip_de: bool,
    pub deny_unknown_fields: bool,
    /// Every key as written, for the derives that must refuse what they do not implement.
    pub keys: Vec<(String, Span)>,
}

/// The `serialize` (or `deserialize`) side of `rename = "x"` / `rename(serialize = "x")`.
fn side_name(meta: &Meta, side: &str) -> Result<Option<String>> {
    match meta {
        Meta::NameValue(_) => Ok(Some(lit_str(meta)?.value())),
        Meta::List(list) => {
            let inner = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
            for m in inner {
                if m.path().is_ident(side) {
                    return Ok(Some(lit_str(&m)?.value()));
                }
            }
            Ok(None)
        }
        Meta::Path(_) => Ok(None),
    }
}

fn rename_rule(meta: &Meta, side: &str) -> Result<Option<RenameRule>> {
    match side_name(meta, side)? {
        Some(n) => Ok(Some(RenameRule::parse(&n).ok_or_else(|| {
            Error::new_spanned(meta, format!("unknown rename rule `{n}`"))
        })?)),
        None => Ok(None),
    }
}

pub fn parse_serde(attrs: &[Attribute]) -> Result<Serde> {
    let mut s = Serde::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // serde's own derive reports malformed attributes; skip what we cannot read.
        // A malformed attribute is an error (not skipped): a derive that reads serde's
        // attributes must not drop the keys it could not parse.
        for meta in metas(attr)? {
            s.keys
                .push((key(&meta), meta.path().segments[0].ident.span()));
            match key(&meta).as_str() {
                "rename" => {
                    if let Some(n) = side_name(&meta, "serialize")? {
                        s.rename = Some(n);
                    }
                    if let Some(n) = side_name(&meta, "deserialize")? {
                        s.de_rename = Some(n);
                    }
                }
                "rename_all" => {
                    if let Some(r) = rename_rule(&meta, "serialize")? {
                        s.rename_all = Some(r);
                    }
                    if let Some(r) = rename_rule(&meta, "deserialize")? {
                        s.de_rename_all = Some(r);
                    }
                }
                "alias" => s.aliases.push(lit_str(&meta)?.value()),
                "default" => {
                    s.default = Some(match &meta {
                        Meta::Path(_) => None,
                        _ => Some(lit_str(&meta)?.parse::<syn::ExprPath>()?),
                    })
                }
                "skip" => {
                    s.skip = true;
                    s.skip_de = true;
                }
                "skip_serializing" => s.skip = true,
                "skip_deserializing" => s.skip_de = true,
                "flatten" => s.flatten = true,
                "deny_unknown_fields" => s.deny_unknown_fields = true,
                _ => {}
            }
        }
    }
    Ok(s)
}
