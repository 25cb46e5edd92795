//! The Markdown catalog, ready for mdBook (`mdbook build generated/docs`).
//!
//! # Files (relative to the output folder, e.g. `generated/docs/`)
//! - `book.toml`, `.gitignore` (the `book/` build folder);
//! - `src/SUMMARY.md`, `src/README.md` (the index);
//! - `src/events/README.md` (the list) and `src/events/{event}.md` (a page per event);
//! - `src/attributes.md`, `src/types.md`, `src/segments.md`, `src/workflows.md`;
//! - `src/map.md`: events → segments → workflows, as a table and a Mermaid flowchart;
//! - `src/suppression.md`: what stops each revenue workflow (and the others' exits).
//!
//! Text from the contract is shown literally, never as links, images, HTML or block
//! structure (`crate::escape::markdown`: running text, table cells, one-line headings, Mermaid
//! labels); names are code spans that cannot be closed from inside. The only HTML in the
//! catalog is trackc's own: the header comment, `<a id>` anchors (made of `[a-z0-9_-]`
//! and letters) and `<br>` between paragraphs in a cell.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{GeneratedFile, HEADER, example, file_stem};
use crate::analysis::{Analysis, conditions};
use crate::escape::{self, markdown as md};
use crate::ir::{
    AttributeId, BackfillPolicy, Condition, Event, EventId, Filter, Ir, Op, Property, SegmentId,
    StringFormat, Trigger, Ty, TypeKind, TypeOrigin, Workflow,
};

/// Every catalog file, in a fixed order.
pub fn generate(ir: &Ir) -> Vec<GeneratedFile> {
    let cat = Catalog::new(ir);
    let mut files = vec![
        GeneratedFile::new("book.toml", cat.book_toml()),
        GeneratedFile::new(".gitignore", format!("# {HEADER}\nbook/\n")),
        GeneratedFile::new("src/SUMMARY.md", cat.summary()),
        GeneratedFile::new("src/README.md", cat.index()),
        GeneratedFile::new("src/events/README.md", cat.events_index()),
    ];
    for (i, e) in ir.events.iter().enumerate() {
        files.push(GeneratedFile::new(
            format!("src/events/{}.md", file_stem(&e.name)),
            cat.event_page(EventId(i as u32), e),
        ));
    }
    files.push(GeneratedFile::new("src/attributes.md", cat.attributes()));
    files.push(GeneratedFile::new("src/types.md", cat.types()));
    files.push(GeneratedFile::new("src/segments.md", cat.segments()));
    files.push(GeneratedFile::new("src/workflows.md", cat.workflows()));
    files.push(GeneratedFile::new("src/map.md", cat.map()));
    files.push(GeneratedFile::new("src/suppression.md", cat.suppression()));
    files
}

// --- escaping ---------------------------------------------------------------------------
// Contract text is shown literally (see `crate::escape::markdown`): only these wrappers are used.

/// Text for a table cell: one line, pipes escaped, code spans kept.
fn cell(s: &str) -> String {
    md::md_cell(s)
}

/// Running text (descriptions, notes): paragraphs and code kept, nothing else active.
fn text(s: &str) -> String {
    md::md_lines(s).join("\n")
}

/// A name as inline code, safe in a table cell too.
fn code(name: &str) -> String {
    md::md_code(name)
}

/// A JSON value as inline code.
fn code_json(v: &serde_json::Value) -> String {
    code(&super::json::from_value(v).compact())
}

/// The heading id mdBook and GitHub give a heading made of `name`.
pub fn anchor(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// A Mermaid node id from a name: `e_order_completed`. Names that are not plain
/// snake_case (the naming lint warns about them) fall back to their position.
fn node_id(prefix: &str, name: &str, index: usize) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        format!("{prefix}_{name}")
    } else {
        format!("{prefix}{index}")
    }
}

fn mermaid_label(s: &str) -> String {
    escape::mermaid::label(s)
}

/// A fenced JSON block. JSON escapes line breaks inside strings, so no line of it can
/// close the fence; the fence is longer than any backtick run all the same.
fn json_block(pretty: String) -> String {
    let mut run = 0;
    let mut longest = 0;
    for c in pretty.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}json\n{pretty}{fence}\n")
}

fn first_sentence(s: &str) -> String {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| c == '.' && s[i + 1..].starts_with(|n: char| n.is_whitespace()))
        .map(|(i, _)| i + 1)
        .unwrap_or(s.len());
    s[..end].to_string()
}

fn page(title: &str) -> String {
    format!("<!-- {HEADER} -->\n\n# {title}\n\n")
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    out.push('|');
    for h in header {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|");
    for _ in header {
        out.push_str(" --- |");
    }
    out.push('\n');
    for r in rows {
        out.push('|');
        for c in r {
            if c.is_empty() {
                out.push_str("   |");
            } else {
                let _ = write!(out, " {c} |");
            }
        }
        out.push('\n');
    }
    out.push('\n');
}

/// How many segments (and workflows) that read an event only through other segments
/// are named in a cell.
const VIA_SHOWN: usize = 10;

fn list_or_dash(items: Vec<String>) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

// --- the catalog ------------------------------------------------------------------------

struct Catalog<'a> {
    ir: &'a Ir,
    an: Analysis<'a>,
}

/// Where a link is written from: the `src/` root or `src/events/`.
#[derive(Clone, Copy, PartialEq)]
enum From {
    Root,
    Events,
}

impl From {
    fn up(self) -> &'static str {
        match self {
            From::Root => "",
            From::Events => "../",
        }
    }
}

impl<'a> Catalog<'a> {
    fn new(ir: &'a Ir) -> Self {
        Catalog {
            ir,
            an: Analysis::new(ir),
        }
    }

    // links

    fn event_link(&self, id: EventId, from: From) -> String {
        let e = self.ir.event(id);
        let dir = match from {
            From::Root => "events/",
            From::Events => "",
        };
        format!("[{}]({dir}{}.md)", code(&e.name), file_stem(&e.name))
    }

    fn segment_link(&self, id: SegmentId, from: From) -> String {
        let s = self.ir.segment(id);
        format!(
            "[{}]({}segments.md#{})",
            code(&s.name),
            from.up(),
            anchor(&s.name)
        )
    }

    fn workflow_link(&self, w: &Workflow, from: From) -> String {
        format!(
            "[{}]({}workflows.md#{})",
            code(&w.name),
            from.up(),
            anchor(&w.name)
        )
    }

    fn attribute_link(&self, p: &Property, from: From) -> String {
        format!(
            "[{}]({}attributes.md#{})",
            code(&p.name),
            from.up(),
            anchor(&format!("attr-{}", p.name))
        )
    }

    // relations

    /// Workflows that read the event through segments, at most [`VIA_SHOWN`] of them.
    fn workflows_via_segments_cell(&self, id: EventId, from: From) -> String {
        let all = self.workflows_via_segments(id);
        let more = all.len().saturating_sub(VIA_SHOWN);
        let mut v: Vec<String> = all
            .iter()
            .take(VIA_SHOWN)
            .map(|w| self.workflow_link(w, from))
            .collect();
        if more > 0 {
            v.push(format!("and {more} more"));
        }
        list_or_dash(v)
    }

    /// Segments reading the event: every direct reader, then at most [`VIA_SHOWN`] that
    /// read it through other segments. A long chain of segments would otherwise make the
    /// catalog grow with the square of the contract.
    fn segments_cell(&self, id: EventId, from: From) -> String {
        let mut v: Vec<String> = self
            .an
            .segments_reading_directly(id)
            .iter()
            .map(|sg| self.segment_link(*sg, from))
            .collect();
        let via = self.an.segments_reading_via(id);
        let more = via.len().saturating_sub(VIA_SHOWN);
        v.extend(
            via.iter()
                .take(VIA_SHOWN)
                .map(|sg| format!("{} (via segments)", self.segment_link(*sg, from))),
        );
        if more > 0 {
            v.push(format!("and {more} more via segments"));
        }
        list_or_dash(v)
    }

    fn triggers(&self, ev: EventId) -> Vec<&'a Workflow> {
        self.an.triggered_by(ev)
    }

    fn workflows_via_segments(&self, ev: EventId) -> Vec<&'a Workflow> {
        self.an.workflows_via_segments(ev)
    }

    fn ends(&self, ev: EventId) -> Vec<&'a Workflow> {
        self.an.ended_by(ev)
    }

    // rendering pieces

    fn ty_md(&self, ty: &Ty, from: From) -> String {
        match ty {
            Ty::String(s) => match s.format {
                Some(f) => format!("string ({})", f.as_str()),
                None => "string".into(),
            },
            Ty::Integer(_) => "integer".into(),
            Ty::Number(_) => "number".into(),
            Ty::Boolean => "boolean".into(),
            Ty::Timestamp => "timestamp".into(),
            Ty::Date => "date".into(),
            Ty::Array(a) => format!("array of {}", self.ty_md(&a.items, from)),
            Ty::Ref(id) => {
                let t = self.ir.ty(*id);
                match (&t.origin, &t.kind) {
                    (TypeOrigin::Named, _) => format!(
                        "[{}]({}types.md#{})",
                        cell(&t.name),
                        from.up(),
                        anchor(&t.name)
                    ),
                    (_, TypeKind::Enum(_)) => "enum".into(),
                    (_, TypeKind::Object(_)) => "object".into(),
                    (_, TypeKind::Alias(inner)) => self.ty_md(inner, from),
                }
            }
        }
    }

    fn constraints(&self, ty: &Ty) -> Vec<String> {
        let mut out = Vec::new();
        match ty {
            Ty::String(s) => {
                match (s.min_length, s.max_length) {
                    (Some(a), Some(b)) => out.push(format!("length {a} to {b}")),
                    (Some(a), None) => out.push(format!("length ≥ {a}")),
                    (None, Some(b)) => out.push(format!("length ≤ {b}")),
                    (None, None) => {}
                }
                if let Some(p) = &s.pattern {
                    out.push(format!("pattern {}", code(p)));
                }
                match s.format {
                    Some(StringFormat::Currency) => out.push("ISO 4217 code".into()),
                    Some(StringFormat::Country) => out.push("ISO 3166-1 alpha-2 code".into()),
                    Some(StringFormat::E164) => out.push("E.164 phone number".into()),
                    Some(f) => out.push(format!("format {}", f.as_str())),
                    None => {}
                }
            }
            Ty::Integer(b) | Ty::Number(b) => match (b.minimum, b.maximum) {
                (Some(a), Some(b)) => out.push(format!(
                    "{} to {}",
                    super::json::number(a),
                    super::json::number(b)
                )),
                (Some(a), None) => out.push(format!("≥ {}", super::json::number(a))),
                (None, Some(b)) => out.push(format!("≤ {}", super::json::number(b))),
                (None, None) => {}
            },
            Ty::Timestamp => out.push("Unix seconds".into()),
            Ty::Date => out.push("YYYY-MM-DD".into()),
            Ty::Boolean => {}
            Ty::Array(a) => {
                match (a.min_items, a.max_items) {
                    (Some(x), Some(y)) => out.push(format!("{x} to {y} items")),
                    (Some(x), None) => out.push(format!("at least {x} item{}", plural(x))),
                    (None, Some(y)) => out.push(format!("at most {y} item{}", plural(y))),
                    (None, None) => {}
                }
                let inner = self.constraints(&a.items);
                if !inner.is_empty() {
                    out.push(format!("each: {}", inner.join("; ")));
                }
            }
            Ty::Ref(id) => {
                let t = self.ir.ty(*id);
                match (&t.origin, &t.kind) {
                    (TypeOrigin::Inline { .. }, TypeKind::Enum(e)) => out.push(format!(
                        "one of {}",
                        e.values
                            .iter()
                            .map(|v| code(&v.value))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    (TypeOrigin::Inline { .. }, TypeKind::Object(o)) if o.additional_properties => {
                        out.push("other keys allowed".into())
                    }
                    (TypeOrigin::Inline { .. }, TypeKind::Alias(inner)) => {
                        out.extend(self.constraints(inner))
                    }
                    _ => {}
                }
            }
        }
        out
    }

    fn property_description(&self, p: &Property) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &p.deprecated {
            parts.push(format!(
                "**Deprecated:** {}.",
                cell(d).trim_end_matches('.')
            ));
        }
        if p.pii {
            parts.push("*PII.*".into());
        }
        if let Some(d) = &p.description {
            parts.push(cell(d));
        }
        if !p.examples.is_empty() {
            parts.push(format!(
                "Example{}: {}",
                if p.examples.len() > 1 { "s" } else { "" },
                p.examples
                    .iter()
                    .map(code_json)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        parts.join(" ")
    }

    /// Property rows; inline objects (and arrays of them) are expanded in place with
    /// dotted names (`carrier.service.level`, `gift_notes[].recipient`).
    fn property_rows(
        &self,
        props: &[Property],
        prefix: &str,
        from: From,
        rows: &mut Vec<Vec<String>>,
        depth: usize,
    ) {
        for p in props {
            let name = format!("{prefix}{}", p.name);
            rows.push(vec![
                code(&name),
                self.ty_md(&p.ty, from),
                if p.optional {
                    "no".into()
                } else {
                    "yes".into()
                },
                self.constraints(&p.ty).join("; "),
                self.property_description(p),
            ]);
            if depth < 16 {
                let (inner, suffix) = self.inline_object(&p.ty);
                if let Some(props) = inner {
                    self.property_rows(props, &format!("{name}{suffix}."), from, rows, depth + 1);
                }
            }
        }
    }

    /// The properties of an inline object type (through arrays), with `[]` per array.
    fn inline_object(&self, ty: &'a Ty) -> (Option<&'a [Property]>, String) {
        match ty {
            Ty::Array(a) => {
                let (p, s) = self.inline_object(&a.items);
                (p, format!("[]{s}"))
            }
            Ty::Ref(id) => {
                let t = self.ir.ty(*id);
                match (&t.origin, &t.kind) {
                    (TypeOrigin::Inline { .. }, TypeKind::Object(o)) => {
                        (Some(&o.properties[..]), String::new())
                    }
                    _ => (None, String::new()),
                }
            }
            _ => (None, String::new()),
        }
    }

    fn condition_md(&self, c: &Condition, from: From) -> String {
        conditions::condition(&Md { cat: self, from }, c)
    }

    fn trigger_md(&self, w: &Workflow, from: From) -> String {
        match &w.trigger {
            Some(t) => conditions::trigger(&Md { cat: self, from }, t),
            None => "—".into(),
        }
    }

    fn audience_md(&self, w: &Workflow, from: From) -> String {
        list_or_dash(
            w.audience
                .iter()
                .map(|s| self.segment_link(*s, from))
                .collect(),
        )
    }

    fn exits_md(&self, w: &Workflow, from: From, sep: &str) -> String {
        if w.exit_when.is_empty() {
            "—".into()
        } else {
            w.exit_when
                .iter()
                .map(|c| self.condition_md(c, from))
                .collect::<Vec<_>>()
                .join(sep)
        }
    }

    fn channels_md(&self, w: &Workflow) -> String {
        list_or_dash(w.channels.iter().map(|c| c.as_str().to_string()).collect())
    }

    // pages

    fn book_toml(&self) -> String {
        // A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
        let title = serde_json::Value::from(format!(
            "{} {} — event catalog",
            self.ir.name, self.ir.version
        ))
        .to_string()
        .replace('\u{7f}', "\\u007F");
        format!(
            "# {HEADER}\n[book]\ntitle = {title}\nlanguage = \"en\"\nsrc = \"src\"\n\n\
             [output.html]\n# The flowchart in map.md is Mermaid: add mdbook-mermaid to render it.\n"
        )
    }

    fn summary(&self) -> String {
        let mut s = format!("<!-- {HEADER} -->\n\n# Summary\n\n[Overview](README.md)\n\n");
        s.push_str("- [Events](events/README.md)\n");
        for e in &self.ir.events {
            let _ = writeln!(
                s,
                "  - [{}](events/{}.md)",
                summary_title(&e.name),
                file_stem(&e.name)
            );
        }
        s.push_str("- [Attributes](attributes.md)\n");
        s.push_str("- [Types](types.md)\n");
        s.push_str("- [Segments](segments.md)\n");
        s.push_str("- [Workflows](workflows.md)\n");
        s.push_str("- [Event map](map.md)\n");
        s.push_str("- [Suppression](suppression.md)\n");
        s
    }

    fn index(&self) -> String {
        let ir = self.ir;
        let mut s = page(&format!("{} {}", md::md_line(&ir.name), ir.version));
        let _ = writeln!(
            s,
            "The event contract for Customer.io's Track API: {} events, {} person attributes, \
             {} types, {} segments and {} workflows.\n",
            ir.events.len(),
            ir.attributes.len(),
            ir.types
                .iter()
                .filter(|t| t.origin == TypeOrigin::Named)
                .count(),
            ir.segments.len(),
            ir.workflows.len()
        );
        s.push_str("## Identity\n\n");
        let _ = writeln!(
            s,
            "A person is identified by {} ({}{}), sent as the Track API identifier `id`.",
            code(&ir.identity.id),
            self.ty_md(&ir.identity.id_type, From::Root),
            {
                let c = self.constraints(&ir.identity.id_type);
                if c.is_empty() {
                    String::new()
                } else {
                    format!(", {}", c.join("; "))
                }
            }
        );
        if let Some(a) = &ir.identity.anonymous_id {
            let _ = writeln!(s, "Anonymous activity carries {}.", code(a));
        }
        s.push_str("\n## Contents\n\n");
        s.push_str(
            "- [Events](events/README.md): what producers send with track, one page each.\n",
        );
        s.push_str("- [Attributes](attributes.md): what is sent with identify.\n");
        s.push_str("- [Types](types.md): the shared types and enums.\n");
        s.push_str("- [Segments](segments.md) and [Workflows](workflows.md): who the campaigns reach and when.\n");
        s.push_str("- [Event map](map.md): which segments and workflows read each event.\n");
        s.push_str("- [Suppression](suppression.md): what stops each revenue workflow.\n\n");
        s.push_str(
            "JSON Schemas of every event and of the attributes are generated next to this \
                    catalog (`schemas/`).\n",
        );
        s
    }

    fn events_index(&self) -> String {
        let mut s = page("Events");
        let rows: Vec<Vec<String>> = self
            .ir
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let id = EventId(i as u32);
                let mut desc = e
                    .description
                    .as_deref()
                    .map(first_sentence)
                    .map(|d| cell(&d))
                    .unwrap_or_default();
                if e.deprecated.is_some() {
                    desc = format!("**Deprecated.** {desc}");
                }
                vec![
                    self.event_link(id, From::Events),
                    e.owner.as_deref().map(cell).unwrap_or_else(|| "—".into()),
                    list_or_dash(
                        self.triggers(id)
                            .iter()
                            .map(|w| self.workflow_link(w, From::Events))
                            .collect(),
                    ),
                    desc,
                ]
            })
            .collect();
        table(
            &mut s,
            &["Event", "Owner", "Triggers", "Description"],
            &rows,
        );
        s
    }

    fn event_page(&self, id: EventId, e: &Event) -> String {
        let mut s = page(&code(&e.name));
        if let Some(d) = &e.deprecated {
            let _ = writeln!(s, "> **Deprecated:** {}\n", md::md_line(d));
        }
        if let Some(d) = &e.description {
            let _ = writeln!(s, "{}\n", text(d));
        }
        let f = From::Events;
        let rows = vec![
            vec![
                "Owner (emits it)".into(),
                e.owner.as_deref().map(cell).unwrap_or_else(|| "—".into()),
            ],
            vec![
                "Idempotency key".into(),
                e.idempotency_property()
                    .map(|p| code(&p.name))
                    .unwrap_or_else(|| "—".into()),
            ],
            vec![
                "Backfill".into(),
                match e.backfill {
                    BackfillPolicy::Allowed => "allowed: historical replays may send it".into(),
                    BackfillPolicy::Forbidden => "forbidden: live traffic only".into(),
                },
            ],
            vec![
                "Triggers".into(),
                list_or_dash(
                    self.triggers(id)
                        .iter()
                        .map(|w| self.workflow_link(w, f))
                        .collect(),
                ),
            ],
            vec!["Read by segments".into(), self.segments_cell(id, f)],
            vec![
                "Read by workflows (through segments)".into(),
                self.workflows_via_segments_cell(id, f),
            ],
            vec![
                "Ends workflows".into(),
                list_or_dash(
                    self.ends(id)
                        .iter()
                        .map(|w| self.workflow_link(w, f))
                        .collect(),
                ),
            ],
            vec![
                "JSON Schema".into(),
                code(&format!(
                    "schemas/{}",
                    super::schema::event_path(e)
                        .to_string_lossy()
                        .replace('\\', "/")
                )),
            ],
        ];
        table(&mut s, &["", ""], &rows);
        s.push_str("## Properties\n\n");
        if e.properties.is_empty() {
            s.push_str("None: the event carries no data.\n\n");
        } else {
            let mut rows = Vec::new();
            self.property_rows(&e.properties, "", f, &mut rows, 0);
            table(
                &mut s,
                &["Name", "Type", "Required", "Constraints", "Description"],
                &rows,
            );
        }
        s.push_str(
            "## Example\n\nA Track API v2 operation (`POST /api/v2/entity`) sending this event. \
                    Values come from the contract's examples where it gives them.\n\n",
        );
        s.push_str(&json_block(example::track_operation(self.ir, e).pretty()));
        s
    }

    fn attributes(&self) -> String {
        let mut s = page("Attributes");
        s.push_str(
            "Person attributes, sent with identify. Identify is a partial update: every attribute \
             is optional in any one call, and a call changes only the attributes it carries. \
             **Derived** attributes are computed by the backend; **consent** attributes are the \
             opt-in flags campaigns require; **PII** marks personal data.\n\n",
        );
        let rows: Vec<Vec<String>> = self
            .ir
            .attributes
            .iter()
            .map(|p| {
                vec![
                    format!(
                        "<a id=\"{}\"></a>{}",
                        anchor(&format!("attr-{}", p.name)),
                        code(&p.name)
                    ),
                    self.ty_md(&p.ty, From::Root),
                    self.constraints(&p.ty).join("; "),
                    p.consent
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                    if p.derived {
                        "yes".into()
                    } else {
                        String::new()
                    },
                    if p.pii { "yes".into() } else { String::new() },
                    self.property_description(&Property {
                        pii: false,
                        ..p.clone()
                    }),
                ]
            })
            .collect();
        if rows.is_empty() {
            s.push_str("The contract defines no attributes.\n\n");
        } else {
            table(
                &mut s,
                &[
                    "Name",
                    "Type",
                    "Constraints",
                    "Consent",
                    "Derived",
                    "PII",
                    "Description",
                ],
                &rows,
            );
        }
        s.push_str("## Example\n\nA Track API v2 identify operation with every attribute that is neither derived nor deprecated.\n\n");
        s.push_str(&json_block(example::identify_operation(self.ir).pretty()));
        s
    }

    fn types(&self) -> String {
        let mut s = page("Types");
        let named: Vec<_> = self
            .ir
            .types
            .iter()
            .filter(|t| t.origin == TypeOrigin::Named)
            .collect();
        if named.is_empty() {
            s.push_str("The contract defines no named types.\n");
        }
        for t in named {
            let _ = writeln!(s, "## {}\n", md::md_line(&t.name));
            if let Some(d) = &t.deprecated {
                let _ = writeln!(s, "> **Deprecated:** {}\n", md::md_line(d));
            }
            if let Some(d) = &t.description {
                let _ = writeln!(s, "{}\n", text(d));
            }
            match &t.kind {
                TypeKind::Enum(e) => {
                    if e.values.iter().any(|v| !v.aliases.is_empty()) {
                        s.push_str(
                            "Enum. Only the canonical values are valid; aliases are the spellings \
                                    other systems send, mapped to the value by normalisation and \
                                    reported by validation.\n\n",
                        );
                    } else {
                        s.push_str("Enum.\n\n");
                    }
                    let rows: Vec<Vec<String>> = e
                        .values
                        .iter()
                        .map(|v| {
                            vec![
                                code(&v.value),
                                v.aliases
                                    .iter()
                                    .map(|a| code(a))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                v.description.as_deref().map(cell).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    table(&mut s, &["Value", "Aliases", "Description"], &rows);
                }
                TypeKind::Object(o) => {
                    let _ = writeln!(
                        s,
                        "Object{}.\n",
                        if o.additional_properties {
                            "; keys not listed here are allowed"
                        } else {
                            ""
                        }
                    );
                    let mut rows = Vec::new();
                    self.property_rows(&o.properties, "", From::Root, &mut rows, 0);
                    table(
                        &mut s,
                        &["Name", "Type", "Required", "Constraints", "Description"],
                        &rows,
                    );
                }
                TypeKind::Alias(ty) => {
                    let c = self.constraints(ty);
                    let _ = writeln!(
                        s,
                        "{}{}.\n",
                        self.ty_md(ty, From::Root),
                        if c.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", c.join("; "))
                        }
                    );
                }
            }
        }
        s
    }

    fn segments(&self) -> String {
        let mut s = page("Segments");
        if self.ir.segments.is_empty() {
            s.push_str("The contract defines no segments.\n");
        }
        for (i, seg) in self.ir.segments.iter().enumerate() {
            let id = SegmentId(i as u32);
            let _ = writeln!(s, "## {}\n", md::md_line(&seg.name));
            if let Some(d) = &seg.description {
                let _ = writeln!(s, "{}\n", text(d));
            }
            for (label, conds) in [
                ("All of", &seg.all),
                ("Any of", &seg.any),
                ("None of", &seg.none),
            ] {
                if conds.is_empty() {
                    continue;
                }
                let _ = writeln!(s, "{label}:\n");
                for c in conds {
                    let _ = writeln!(s, "- {}", self.condition_md(c, From::Root));
                }
                s.push('\n');
            }
            let mut used = Vec::new();
            for (w, u) in self.an.workflow_uses(id) {
                let how: Vec<&str> = [
                    (u.trigger, "trigger"),
                    (u.audience, "audience"),
                    (u.exit, "exit"),
                ]
                .into_iter()
                .filter_map(|(yes, how)| yes.then_some(how))
                .collect();
                used.push(format!(
                    "{} ({})",
                    self.workflow_link(w, From::Root),
                    how.join(", ")
                ));
            }
            for other in self.an.graph().users(id) {
                used.push(format!(
                    "{} (segment)",
                    self.segment_link(*other, From::Root)
                ));
            }
            let _ = writeln!(s, "Used by: {}.\n", list_or_dash(used));
        }
        s
    }

    fn workflows(&self) -> String {
        let mut s = page("Workflows");
        if self.ir.workflows.is_empty() {
            s.push_str("The contract defines no workflows.\n");
        }
        for w in &self.ir.workflows {
            let _ = writeln!(s, "## {}\n", md::md_line(&w.name));
            if let Some(d) = &w.description {
                let _ = writeln!(s, "{}\n", text(d));
            }
            let rows = vec![
                vec![
                    "Goal".into(),
                    w.goal
                        .map(|g| g.as_str().to_string())
                        .unwrap_or_else(|| "—".into()),
                ],
                vec!["Trigger".into(), self.trigger_md(w, From::Root)],
                vec!["Audience".into(), self.audience_md(w, From::Root)],
                vec![
                    "Wait".into(),
                    w.wait.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                ],
                vec!["Exit when (any)".into(), self.exits_md(w, From::Root, "; ")],
                vec!["Channels".into(), self.channels_md(w)],
            ];
            table(&mut s, &["", ""], &rows);
        }
        s
    }

    fn map(&self) -> String {
        let ir = self.ir;
        let mut s = page("Event map");
        s.push_str(
            "Which segments and workflows read each event. *Via segments* means through a \
                    segment that references a segment reading the event; workflows read events \
                    through their trigger, their audience and their exit conditions.\n\n",
        );
        let rows: Vec<Vec<String>> = ir
            .events
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let id = EventId(i as u32);
                vec![
                    self.event_link(id, From::Root),
                    self.segments_cell(id, From::Root),
                    list_or_dash(
                        self.triggers(id)
                            .iter()
                            .map(|w| self.workflow_link(w, From::Root))
                            .collect(),
                    ),
                    self.workflows_via_segments_cell(id, From::Root),
                    list_or_dash(
                        self.ends(id)
                            .iter()
                            .map(|w| self.workflow_link(w, From::Root))
                            .collect(),
                    ),
                ]
            })
            .collect();
        table(
            &mut s,
            &[
                "Event",
                "Segments",
                "Triggers workflows",
                "Workflows via segments",
                "Ends workflows",
            ],
            &rows,
        );
        s.push_str(
            "## Flowchart\n\nEvents (rectangles) feed segments (rounded) and trigger \
                    workflows (double-bordered); a segment triggers the workflows that start when \
                    a person enters it. Dotted arrows are exit conditions. Audiences are listed on \
                    the [Workflows](workflows.md) page, not drawn.\n\n",
        );
        s.push_str("```mermaid\n");
        s.push_str(&self.mermaid());
        s.push_str("```\n");
        s
    }

    fn mermaid(&self) -> String {
        let ir = self.ir;
        let mut s = String::from("flowchart LR\n");
        // Node ids come from names, so adding one segment does not renumber the others
        // and the chart's diff in a pull request shows only what changed.
        let ev: Vec<String> = ir
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| node_id("e", &e.name, i))
            .collect();
        let sg: Vec<String> = ir
            .segments
            .iter()
            .enumerate()
            .map(|(i, x)| node_id("s", &x.name, i))
            .collect();
        let wf: Vec<String> = ir
            .workflows
            .iter()
            .enumerate()
            .map(|(i, x)| node_id("w", &x.name, i))
            .collect();
        let at = |a: u32| node_id("a", &ir.attributes[a as usize].name, a as usize);
        for (i, e) in ir.events.iter().enumerate() {
            let _ = writeln!(s, "  {}[\"{}\"]", ev[i], mermaid_label(&e.name));
        }
        for (i, seg) in ir.segments.iter().enumerate() {
            let _ = writeln!(s, "  {}([\"{}\"])", sg[i], mermaid_label(&seg.name));
        }
        for (i, w) in ir.workflows.iter().enumerate() {
            let _ = writeln!(s, "  {}[[\"{}\"]]", wf[i], mermaid_label(&w.name));
        }
        let mut attrs = BTreeSet::new();
        for w in &ir.workflows {
            for c in &w.exit_when {
                if let Condition::Attribute { attribute, .. } = c {
                    attrs.insert(attribute.0);
                }
            }
        }
        for a in &attrs {
            let _ = writeln!(
                s,
                "  {}{{{{\"attribute: {}\"}}}}",
                at(*a),
                mermaid_label(&ir.attributes[*a as usize].name)
            );
        }
        let mut edges = BTreeSet::new();
        for (i, seg) in ir.segments.iter().enumerate() {
            for c in seg.conditions() {
                match c {
                    Condition::Event { event, .. } => {
                        edges.insert(format!("  {} --> {}", ev[event.0 as usize], sg[i]));
                    }
                    Condition::Segment { segment, .. } => {
                        edges.insert(format!("  {} --> {}", sg[segment.0 as usize], sg[i]));
                    }
                    Condition::Attribute { .. } => {}
                }
            }
        }
        let mut lines: Vec<String> = edges.into_iter().collect();
        for (i, w) in ir.workflows.iter().enumerate() {
            match &w.trigger {
                Some(Trigger::Event { event, .. }) => {
                    lines.push(format!("  {} --> {}", ev[event.0 as usize], wf[i]))
                }
                Some(Trigger::Segment { segment }) => {
                    lines.push(format!("  {} --> {}", sg[segment.0 as usize], wf[i]))
                }
                None => {}
            }
            let mut exits = BTreeSet::new();
            for c in &w.exit_when {
                exits.insert(match c {
                    Condition::Event { event, .. } => {
                        format!("  {} -. exit .-> {}", ev[event.0 as usize], wf[i])
                    }
                    Condition::Segment { segment, .. } => {
                        format!("  {} -. exit .-> {}", sg[segment.0 as usize], wf[i])
                    }
                    Condition::Attribute { attribute, .. } => {
                        format!("  {} -. exit .-> {}", at(attribute.0), wf[i])
                    }
                });
            }
            lines.extend(exits);
        }
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        s
    }

    fn suppression(&self) -> String {
        let ir = self.ir;
        let mut s = page("Suppression");
        s.push_str(
            "What stops each revenue workflow: a person leaves the workflow as soon as any \
                    exit condition holds, so they are not asked to buy what they just bought. A \
                    revenue workflow without exit conditions is listed with **nothing**.\n\n",
        );
        let revenue: Vec<&Workflow> = ir
            .workflows
            .iter()
            .filter(|w| w.goal == Some(crate::ir::Goal::Revenue))
            .collect();
        if revenue.is_empty() {
            s.push_str("The contract has no revenue workflows.\n\n");
        } else {
            let rows: Vec<Vec<String>> = revenue
                .iter()
                .map(|w| {
                    vec![
                        self.workflow_link(w, From::Root),
                        self.trigger_md(w, From::Root),
                        w.wait.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                        if w.exit_when.is_empty() {
                            "**nothing**".into()
                        } else {
                            self.exits_md(w, From::Root, "<br>")
                        },
                    ]
                })
                .collect();
            table(
                &mut s,
                &["Workflow", "Trigger", "Wait", "Stops when (any)"],
                &rows,
            );
        }
        let others: Vec<&Workflow> = ir
            .workflows
            .iter()
            .filter(|w| w.goal != Some(crate::ir::Goal::Revenue))
            .collect();
        if !others.is_empty() {
            s.push_str("## Other workflows\n\n");
            let rows: Vec<Vec<String>> = others
                .iter()
                .map(|w| {
                    vec![
                        self.workflow_link(w, From::Root),
                        w.goal
                            .map(|g| g.as_str().to_string())
                            .unwrap_or_else(|| "—".into()),
                        self.trigger_md(w, From::Root),
                        self.exits_md(w, From::Root, "<br>"),
                    ]
                })
                .collect();
            table(
                &mut s,
                &["Workflow", "Goal", "Trigger", "Stops when (any)"],
                &rows,
            );
        }
        s
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A SUMMARY.md link title.
fn summary_title(name: &str) -> String {
    md::md_line(name)
}

/// The catalog's spelling of conditions and triggers: names are links to their pages.
struct Md<'c, 'a> {
    cat: &'c Catalog<'a>,
    from: From,
}

impl conditions::Style for Md<'_, '_> {
    fn event(&self, id: EventId) -> String {
        format!("performed {}", self.cat.event_link(id, self.from))
    }
    fn trigger_event(&self, id: EventId) -> String {
        format!("event {}", self.cat.event_link(id, self.from))
    }
    fn attribute(&self, id: AttributeId) -> String {
        let a = self.cat.ir.attribute(id);
        format!("attribute {}", self.cat.attribute_link(a, self.from))
    }
    fn segment(&self, id: SegmentId) -> String {
        format!("in segment {}", self.cat.segment_link(id, self.from))
    }
    fn trigger_segment(&self, id: SegmentId) -> String {
        format!("entering segment {}", self.cat.segment_link(id, self.from))
    }
    fn op(&self, op: &Op) -> String {
        match op {
            Op::Equals(v) => format!("= {}", code_json(v)),
            Op::NotEquals(v) => format!("≠ {}", code_json(v)),
            Op::In(vs) => format!(
                "in {}",
                vs.iter().map(code_json).collect::<Vec<_>>().join(", ")
            ),
            Op::Exists(true) => "is set".into(),
            Op::Exists(false) => "is not set".into(),
            Op::Gt(v) => format!("> {}", code_json(v)),
            Op::Gte(v) => format!("≥ {}", code_json(v)),
            Op::Lt(v) => format!("< {}", code_json(v)),
            Op::Lte(v) => format!("≤ {}", code_json(v)),
            Op::Contains(v) => format!("contains {}", code_json(v)),
        }
    }
    fn filter(&self, f: &Filter) -> String {
        f.ops
            .iter()
            .map(|op| format!("{} {}", code(&f.dotted()), self.op(op)))
            .collect::<Vec<_>>()
            .join(" and ")
    }
    const FILTER_SEPARATOR: &'static str = " and ";
    const SORT_FILTERS: bool = false;
    const COUNT: &'static str = ", count ";
    const WITHIN: &'static str = ", within ";
}
