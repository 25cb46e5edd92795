//! Retention and hygiene rules over the resolved IR, then `lints:` levels applied to
//! every diagnostic.

use std::collections::BTreeMap;

use crate::analysis::{Analysis, CONSENT_CHANNELS, audience_requires_consent};
use crate::diag::{Diagnostic, Severity};
use crate::front::ast::LintLevel;
use crate::ir::*;
use crate::naming;
use crate::rules::CheckRule;
use trackc_wire::limits;

pub fn lint(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    let an = Analysis::new(ir);
    naming_convention(ir, diags);
    identity(ir, diags);
    events(ir, diags);
    workflows(ir, &an, diags);
    attributes(ir, diags);
    inconsistent_properties(ir, diags);
    duplicate_inline_enums(ir, diags);
    examples(ir, diags);
    unused_segments(ir, &an, diags);
}

/// Set each diagnostic's severity from its rule's level (default or `lints:`), and drop
/// those set to `allow`.
pub fn apply_levels(diags: &mut Vec<Diagnostic>, overrides: &BTreeMap<CheckRule, LintLevel>) {
    diags.retain_mut(|d| {
        let class = d.code.class();
        let level = match overrides.get(&d.code) {
            Some(&level) if class.overridable => level,
            _ => class.default,
        };
        d.severity = match level {
            LintLevel::Allow => return false,
            LintLevel::Warn => Severity::Warning,
            LintLevel::Deny => Severity::Error,
        };
        true
    });
}

fn naming_convention(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    let mut snake = |what: &str, name: &str, span| {
        if !naming::is_snake_case(name) {
            let fixed = naming::field_ident(name);
            let fixed = naming::unraw(&fixed).trim_start_matches('_').to_owned();
            diags.push(
                Diagnostic::new(
                    CheckRule::NamingConvention,
                    span,
                    format!("{what} `{name}` is not snake_case"),
                )
                .label("rename to snake_case")
                .help(format!("write `{fixed}`")),
            );
        }
    };
    for e in &ir.events {
        snake("event", &e.name, e.span);
        for p in &e.properties {
            snake("property", &p.name, p.span);
        }
    }
    for a in &ir.attributes {
        snake("attribute", &a.name, a.span);
    }
    for s in &ir.segments {
        snake("segment", &s.name, s.span);
    }
    for w in &ir.workflows {
        snake("workflow", &w.name, w.span);
    }
    let mut pascal = Vec::new();
    for t in &ir.types {
        if let TypeKind::Object(o) = &t.kind {
            for p in &o.properties {
                snake("property", &p.name, p.span);
            }
        }
        if t.origin == TypeOrigin::Named && !naming::is_pascal_case(&t.name) {
            pascal.push(
                Diagnostic::new(
                    CheckRule::NamingConvention,
                    t.span,
                    format!("type `{}` is not PascalCase", t.name),
                )
                .label("rename to PascalCase")
                .help(format!(
                    "write `{}`",
                    naming::unraw(&naming::type_ident(&t.name))
                )),
            );
        }
    }
    diags.extend(pascal);
}

fn identity(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    let id = ir.identity.id.as_str();
    let contact_attr = ir.attributes.iter().find(|a| {
        a.name == id
            && matches!(ir.underlying(&a.ty), Ty::String(s) if matches!(s.format, Some(StringFormat::Email | StringFormat::E164)))
    });
    let lower = id.to_ascii_lowercase();
    let looks_contact = ["email", "e_mail", "phone", "mobile", "msisdn"]
        .iter()
        .any(|w| {
            lower == *w || lower.ends_with(&format!("_{w}")) || lower.starts_with(&format!("{w}_"))
        });
    let format_contact = matches!(ir.underlying(&ir.identity.id_type), Ty::String(s) if matches!(s.format, Some(StringFormat::Email | StringFormat::E164)));
    if contact_attr.is_some() || looks_contact || format_contact {
        let mut d = Diagnostic::new(CheckRule::IdentityIsContact, ir.identity.span, format!("the identity `{id}` is an email or phone number"))
            .label("people are identified by a stable internal id")
            .help("identify by `customer_id` (or your own stable id) and send email and phone as attributes");
        if let Some(a) = contact_attr {
            d = d.secondary(a.span, "this attribute is contact data");
        }
        diags.push(d);
    }
}

fn is_cart_or_order(name: &str) -> bool {
    (name.starts_with("cart_") || name.starts_with("checkout_") || name.starts_with("order_"))
        && !name.contains("refund")
}

fn events(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    for e in &ir.events {
        if e.name.len() > limits::EVENT_NAME_BYTES {
            diags.push(
                Diagnostic::new(
                    CheckRule::CustomerioLimit,
                    e.span,
                    format!(
                        "event name is {} bytes; Customer.io allows {}",
                        e.name.len(),
                        limits::EVENT_NAME_BYTES
                    ),
                )
                .label("too long")
                .help("shorten the name"),
            );
        }
        if e.idempotency_key.is_none()
            && let Some(rev) = e.properties.iter().find(|p| p.name == "revenue")
        {
            diags.push(
                Diagnostic::new(
                    CheckRule::RevenueWithoutIdempotencyKey,
                    e.span,
                    format!(
                        "event `{}` carries revenue but has no `idempotency_key`",
                        e.name
                    ),
                )
                .label("a retry would count this revenue twice")
                .secondary(rev.span, "revenue is here")
                .help(
                    match e
                        .properties
                        .iter()
                        .find(|p| p.name.ends_with("_id") && !p.optional)
                    {
                        Some(p) => format!("add `idempotency_key: {}`", p.name),
                        None => {
                            "add a required `order_id` property and `idempotency_key: order_id`"
                                .to_owned()
                        }
                    },
                ),
            );
        }
        if is_cart_or_order(&e.name) {
            let has_items = e.properties.iter().any(|p| {
                matches!(ir.underlying(&p.ty), Ty::Array(a) if matches!(ir.underlying(&a.items), Ty::Ref(id) if matches!(ir.ty(*id).kind, TypeKind::Object(_))))
            });
            if !has_items {
                diags.push(
                    Diagnostic::new(
                        CheckRule::MissingItems,
                        e.span,
                        format!("cart/order event `{}` has no array of items", e.name),
                    )
                    .label("product-level segments cannot read it")
                    .help("add `items: { type: array, items: Item }`"),
                );
            }
        }
        pii(ir, &e.properties, diags);
    }
    for t in &ir.types {
        if let TypeKind::Object(o) = &t.kind {
            pii(ir, &o.properties, diags);
        }
    }
}

fn pii(ir: &Ir, props: &[Property], diags: &mut Vec<Diagnostic>) {
    for p in props {
        let contact_format = matches!(ir.underlying(&p.ty), Ty::String(s) if matches!(s.format, Some(StringFormat::Email | StringFormat::E164)));
        let contact_name = ["email", "phone", "phone_number", "mobile"].contains(&p.name.as_str());
        if (contact_format || contact_name) && !p.pii {
            diags.push(
                Diagnostic::new(
                    CheckRule::PiiUnmarked,
                    p.span,
                    format!("`{}` holds contact data but is not marked `pii`", p.name),
                )
                .label("personal data")
                .help("add `pii: true` (generated code redacts it in Debug output)"),
            );
        }
    }
}

fn workflows(ir: &Ir, an: &Analysis<'_>, diags: &mut Vec<Diagnostic>) {
    for w in &ir.workflows {
        if w.goal == Some(Goal::Revenue) && !w.exit_declared {
            let suggestion = ir
                .event_by_name("order_completed")
                .map(|e| e.name.clone())
                .or_else(|| {
                    ir.events
                        .iter()
                        .find(|e| e.properties.iter().any(|p| p.name == "revenue"))
                        .map(|e| e.name.clone())
                });
            diags.push(
                Diagnostic::new(
                    CheckRule::RevenueWorkflowWithoutExit,
                    w.span,
                    format!("revenue workflow `{}` has no exit condition", w.name),
                )
                .label("people who convert keep getting messages")
                .help(match suggestion {
                    Some(e) => format!("add `exit_when: [{{event: {e}}}]`"),
                    None => "add `exit_when:` with the conversion event".to_owned(),
                }),
            );
        }
        for ch in CONSENT_CHANNELS {
            if !w.channels.contains(&ch) {
                continue;
            }
            let consent: Vec<&Property> = ir
                .attributes
                .iter()
                .filter(|a| a.consent == Some(ch))
                .collect();
            let gated = audience_requires_consent(ir, an, w, ch);
            if !gated {
                let help = match consent.first() {
                    Some(a) => format!(
                        "add an audience segment with `all: [{{ attribute: {}, equals: true }}]`",
                        a.name
                    ),
                    None => format!(
                        "declare a consent attribute (`{}_opt_in: {{ type: boolean, consent: {} }}`) and require it in the audience",
                        ch.as_str(),
                        ch.as_str()
                    ),
                };
                diags.push(
                    Diagnostic::new(
                        CheckRule::ChannelWithoutConsent,
                        w.span,
                        format!(
                            "workflow `{}` sends {} without requiring {} consent",
                            w.name,
                            ch.as_str(),
                            ch.as_str()
                        ),
                    )
                    .label("no audience segment requires the opt-in")
                    .help(help),
                );
            }
        }
        if let Some(Trigger::Event { event, .. }) = &w.trigger {
            let e = ir.event(*event);
            if e.backfill == BackfillPolicy::Allowed {
                diags.push(
                    Diagnostic::new(
                        CheckRule::BackfillTrigger,
                        w.span,
                        format!(
                            "workflow `{}` is triggered by `{}`, which may be backfilled",
                            w.name, e.name
                        ),
                    )
                    .label("a backfill would enroll people in this live journey")
                    .secondary(e.span, "`backfill: allowed` here")
                    .help(format!(
                        "set `backfill: forbidden` on `{}` or trigger on a segment",
                        e.name
                    )),
                );
            }
            if let Some(dep) = &e.deprecated {
                diags.push(
                    Diagnostic::new(
                        CheckRule::DeprecatedReference,
                        w.span,
                        format!(
                            "workflow `{}` is triggered by deprecated event `{}`",
                            w.name, e.name
                        ),
                    )
                    .label("will go quiet")
                    .help(format!("the event says: {dep}")),
                );
            }
        }
    }
    for s in &ir.segments {
        for c in s.conditions() {
            if let Condition::Event { event, span, .. } = c {
                let e = ir.event(*event);
                if let Some(dep) = &e.deprecated {
                    diags.push(
                        Diagnostic::new(
                            CheckRule::DeprecatedReference,
                            *span,
                            format!("segment `{}` reads deprecated event `{}`", s.name, e.name),
                        )
                        .label("will go quiet")
                        .help(format!("the event says: {dep}")),
                    );
                }
            }
        }
    }
}

fn attributes(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    if ir.attributes.len() > limits::ATTRIBUTES_PER_CALL {
        let a = &ir.attributes[limits::ATTRIBUTES_PER_CALL];
        diags.push(
            Diagnostic::new(
                CheckRule::CustomerioLimit,
                a.span,
                format!(
                    "{} attributes; Customer.io takes at most {} in one identify call",
                    ir.attributes.len(),
                    limits::ATTRIBUTES_PER_CALL
                ),
            )
            .label("one too many from here")
            .help("move rarely used attributes to events"),
        );
    }
    for a in &ir.attributes {
        if a.name.len() > limits::ATTRIBUTE_NAME_BYTES {
            diags.push(
                Diagnostic::new(
                    CheckRule::CustomerioLimit,
                    a.span,
                    format!(
                        "attribute name is {} bytes; Customer.io allows {}",
                        a.name.len(),
                        limits::ATTRIBUTE_NAME_BYTES
                    ),
                )
                .label("too long"),
            );
        }
        let under = ir.underlying(&a.ty);
        let scalar = match under {
            Ty::Array(_) => false,
            Ty::Ref(id) => !matches!(ir.ty(*id).kind, TypeKind::Object(_)),
            _ => true,
        };
        if !scalar {
            diags.push(
                Diagnostic::new(
                    CheckRule::NonScalarAttribute,
                    a.ty_span,
                    format!("attribute `{}` is {}", a.name, ir.describe(&a.ty)),
                )
                .label("attributes are scalars")
                .help("send lists and objects as event data instead"),
            );
        }
        if a.consent.is_some() && !matches!(under, Ty::Boolean) {
            diags.push(
                Diagnostic::new(
                    CheckRule::ConsentNotBoolean,
                    a.ty_span,
                    format!(
                        "consent attribute `{}` is {}, not boolean",
                        a.name,
                        ir.describe(&a.ty)
                    ),
                )
                .label("an opt-in is true or false")
                .help("write `type: boolean`"),
            );
        }
    }
    pii(ir, &ir.attributes, diags);
}

fn inconsistent_properties(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    // The first event (by name) that declares a property sets its type.
    let mut first: BTreeMap<&str, (&Event, &Property)> = BTreeMap::new();
    for e in &ir.events {
        for p in &e.properties {
            match first.get(p.name.as_str()) {
                None => {
                    first.insert(&p.name, (e, p));
                }
                Some((fe, fp)) => {
                    let (a, b) = (ir.describe(&fp.ty), ir.describe(&p.ty));
                    let shape = |t: &Ty| std::mem::discriminant(ir.underlying(t));
                    if a != b && shape(&fp.ty) != shape(&p.ty) {
                        diags.push(
                            Diagnostic::new(
                                CheckRule::InconsistentProperty,
                                p.ty_span,
                                format!(
                                    "`{}` is {b} in `{}` but {a} in `{}`",
                                    p.name, e.name, fe.name
                                ),
                            )
                            .label(format!("{b} here"))
                            .secondary(fp.ty_span, format!("{a} here"))
                            .help(format!(
                                "use one type for `{}` everywhere, or rename one of them",
                                p.name
                            )),
                        );
                    }
                }
            }
        }
    }
}

/// One warning per group of inline enums with the same values in the same order: each
/// becomes its own Rust type, so a producer converts between identical enums by hand.
fn duplicate_inline_enums(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    fn values(t: &TypeDef) -> Option<Vec<&str>> {
        match &t.kind {
            TypeKind::Enum(e) => Some(e.values.iter().map(|v| v.value.as_str()).collect()),
            _ => None,
        }
    }
    // Value list → the inline enums that have it.
    let mut groups: BTreeMap<Vec<&str>, Vec<&TypeDef>> = BTreeMap::new();
    // Value list → a named enum that already has it.
    let mut named: BTreeMap<Vec<&str>, &TypeDef> = BTreeMap::new();
    for t in &ir.types {
        let Some(vs) = values(t) else { continue };
        match t.origin {
            TypeOrigin::Inline { .. } => groups.entry(vs).or_default().push(t),
            TypeOrigin::Named => {
                named.entry(vs).or_insert(t);
            }
        }
    }
    // Places in source order (the resolver visits events by name), groups by their first.
    let mut found: Vec<(Vec<&str>, Vec<&TypeDef>)> = groups
        .into_iter()
        .filter(|(_, g)| g.len() >= 2)
        .map(|(vs, mut g)| {
            g.sort_by_key(|t| t.span);
            (vs, g)
        })
        .collect();
    found.sort_by_key(|(_, g)| g[0].span);
    for (vs, group) in found {
        let (first, rest) = (group[0], &group[1..]);
        let help = match named.get(&vs) {
            Some(n) => format!(
                "the named type `{}` has these values: write `type: {}` in each place",
                n.name, n.name
            ),
            None => {
                // Suggest a name from the property: `order_completed.status` → `Status`.
                let leaf = first.name.rsplit('.').next().unwrap_or(&first.name);
                let ty = naming::type_ident(leaf);
                let ty = naming::unraw(&ty);
                format!(
                    "define it once under `types:` (e.g. `{ty}`) and write `type: {ty}` in each place"
                )
            }
        };
        // At most three places in the message; the labels show every one.
        const NAMED: usize = 3;
        let mut places: Vec<String> = group
            .iter()
            .take(NAMED)
            .map(|t| format!("`{}`", t.name))
            .collect();
        if group.len() > NAMED {
            places.push(format!("{} more", group.len() - NAMED));
        }
        let mut d = Diagnostic::new(
            CheckRule::DuplicateInlineEnum,
            first.span,
            format!(
                "the same inline enum ({} value{}) is written in {} places: {}",
                vs.len(),
                if vs.len() == 1 { "" } else { "s" },
                group.len(),
                places.join(", ")
            ),
        )
        .label("each place becomes its own Rust type");
        for t in rest {
            d = d.secondary(t.span, format!("the same values at `{}`", t.name));
        }
        diags.push(d.help(help));
    }
}

fn examples(ir: &Ir, diags: &mut Vec<Diagnostic>) {
    let mut check = |props: &[Property]| {
        for p in props {
            for ex in &p.examples {
                if !ir.fits(&p.ty, ex) {
                    diags.push(
                        Diagnostic::new(
                            CheckRule::InvalidExample,
                            p.span,
                            format!("example {ex} of `{}` is not {}", p.name, ir.describe(&p.ty)),
                        )
                        .label("example does not fit")
                        .help("fix or remove the example; the catalog shows it"),
                    );
                }
            }
        }
    };
    for e in &ir.events {
        check(&e.properties);
    }
    check(&ir.attributes);
    for t in &ir.types {
        if let TypeKind::Object(o) = &t.kind {
            check(&o.properties);
        }
    }
}

fn unused_segments(ir: &Ir, an: &Analysis<'_>, diags: &mut Vec<Diagnostic>) {
    let used = (0..ir.segments.len()).map(|i| an.is_used(SegmentId(i as u32)));
    for (s, u) in ir.segments.iter().zip(used) {
        if !u {
            diags.push(
                Diagnostic::new(CheckRule::UnusedSegment, s.span, format!("segment `{}` is not used by any workflow or segment", s.name))
                    .label("unused")
                    .help("use it as an audience, trigger or condition, or remove it; `lints: { unused-segment: allow }` if it is used in Customer.io directly"),
            );
        }
    }
}
