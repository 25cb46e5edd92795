//! The Markdown catalog, ready for mdBook (`mdbook build generated/docs`): complete as
//! generated, with nothing to install or edit (no preprocessor, no network).
//!
//! # Files (relative to the output folder, e.g. `generated/docs/`)
//! - `book.toml`, `.gitignore` (the `book/` build folder);
//! - `mermaid.min.js` (Mermaid, vendored in `codegen/vendor/mermaid/` with its licence) and
//!   `mermaid-init.js` (renders the ```` ```mermaid ```` blocks; long names in cells break at `_`), `catalog.css` (pages fit
//!   the window: tables wrap instead of scrolling); `book.toml` lists them;
//! - `src/SUMMARY.md`, `src/README.md` (the index);
//! - `src/events/index.md` (the list; not `README.md`: mdBook makes that `index.html` but
//!   turns a link to it into one to `README.html`, which does not exist) and
//!   `src/events/{event}.md` (a page per event);
//! - `src/attributes.md`, `src/types.md`, `src/segments.md`, `src/workflows.md`;
//! - `src/map.md`: events → segments → workflows, as a table and one Mermaid flowchart per
//!   workflow (node kinds styled, nodes linking to their pages);
//! - `src/suppression.md`: what stops each revenue workflow (and the others' exits);
//! - `src/schemas/…`: the JSON Schemas, copied by [`book_schemas`] (the CLI writes them once
//!   per run, for `schemas/` and for the book), linked from the pages.
//!
//! Text from the contract is shown literally, never as links, images, HTML or block
//! structure (`crate::escape::markdown`: running text, table cells, one-line headings;
//! `crate::escape::mermaid`: labels and click links); names are code spans that cannot be
//! closed from inside. The only HTML in the catalog is trackc's own: the header comment,
//! `<a id>` anchors (made of `[a-z0-9_-]` and letters) and `<br>` between paragraphs in a
//! cell. A chart's click links are built only from generated page paths
//! ([`file_stem`], [`anchor`]).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use super::{GeneratedFile, HEADER, example, file_stem};
use crate::analysis::{Analysis, CONSENT_CHANNELS, audience_requires_consent, conditions};
use crate::escape::{self, markdown as md};
use crate::ir::{
    AttributeId, BackfillPolicy, Channel, Condition, Event, EventId, Filter, Ir, Op, Property,
    SegmentId, StringFormat, Trigger, Ty, TypeKind, TypeOrigin, Workflow,
};

/// The Mermaid release vendored in `codegen/vendor/mermaid/`.
pub const MERMAID_VERSION: &str = "12.3.0";
const MERMAID_JS: &str = include_str!("../../vendor/mermaid/mermaid.min.js");
const MERMAID_LICENSE: &str = include_str!("../../vendor/mermaid/LICENSE");

/// The file Mermaid is written to, next to `book.toml` (kept out of the snapshots: it is
/// the vendored file behind a header and its licence).
pub const MERMAID_FILE: &str = "mermaid.min.js";

/// Every catalog file, in a fixed order.
pub fn generate(ir: &Ir) -> Vec<GeneratedFile> {
    let cat = Catalog::new(ir);
    let mut files = vec![
        GeneratedFile::new("book.toml", cat.book_toml()),
        GeneratedFile::new(".gitignore", format!("# {HEADER}\nbook/\n")),
        GeneratedFile::new(MERMAID_FILE, mermaid_js()),
        GeneratedFile::new("mermaid-init.js", format!("/* {HEADER} */\n{MERMAID_INIT}")),
        GeneratedFile::new("catalog.css", format!("/* {HEADER} */\n{CATALOG_CSS}")),
        GeneratedFile::new("src/SUMMARY.md", cat.summary()),
        GeneratedFile::new("src/README.md", cat.index()),
        GeneratedFile::new("src/events/index.md", cat.events_index()),
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

/// The JSON Schemas (as `emit::schema::generate` writes them under `schemas/`) as files
/// of the book, `src/schemas/…`, which the pages link to; mdBook copies them to the site.
pub fn book_schemas(schemas: &[GeneratedFile]) -> impl Iterator<Item = GeneratedFile> + '_ {
    schemas
        .iter()
        .map(|f| GeneratedFile::new(Path::new("src/schemas").join(&f.path), f.contents.clone()))
}

/// `mermaid.min.js` as written: trackc's header, Mermaid's licence (MIT asks that it
/// travel with the file), then the vendored file unchanged.
fn mermaid_js() -> String {
    let mut s = String::with_capacity(MERMAID_JS.len() + MERMAID_LICENSE.len() + 200);
    let _ = write!(
        s,
        "/* {HEADER} */\n/*! Mermaid {MERMAID_VERSION} (https://mermaid.js.org), vendored by trackc.\n\n"
    );
    // The licence text has no `*/`, so it cannot end the comment early.
    debug_assert!(!MERMAID_LICENSE.contains("*/"));
    s.push_str(MERMAID_LICENSE.trim_end());
    s.push_str("\n*/\n");
    s.push_str(MERMAID_JS);
    s
}

/// Renders the ```` ```mermaid ```` blocks: mdBook writes them as
/// `<pre><code class="language-mermaid">`, which Mermaid does not look for, so each becomes
/// Mermaid's own `<pre class="mermaid">` (its text taken as text, never as HTML) and is
/// rendered with the strict security level (labels are text, links are sanitised).
const MERMAID_INIT: &str = r#"// Turns mdBook's ```mermaid code blocks into Mermaid diagrams (no preprocessor needed),
// and lets long names in table cells break after their underscores.
(function () {
  var blocks = document.querySelectorAll("code.language-mermaid");
  for (var i = 0; i < blocks.length; i++) {
    var pre = document.createElement("pre");
    pre.className = "mermaid";
    pre.textContent = blocks[i].textContent;
    blocks[i].parentNode.replaceWith(pre);
  }
  var cls = document.documentElement.classList;
  var dark = cls.contains("coal") || cls.contains("navy") || cls.contains("ayu");
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: dark ? "dark" : "default",
    flowchart: { useMaxWidth: true }
  });
  mermaid.run({ querySelector: "pre.mermaid" });

  // Long snake_case names in narrow table cells break after an underscore (a <wbr>, which
  // copying the name does not carry) instead of anywhere in a word. Built from text
  // nodes, never from markup. A name with a part too long for a cell keeps breaking
  // anywhere (catalog.css), so no page scrolls sideways.
  var names = document.querySelectorAll(".content td code");
  for (var j = 0; j < names.length; j++) {
    var code = names[j];
    if (code.childNodes.length !== 1 || code.firstChild.nodeType !== 3) continue;
    var parts = code.textContent.split("_");
    if (parts.length < 2) continue;
    var longest = 0;
    code.textContent = "";
    for (var k = 0; k < parts.length; k++) {
      longest = Math.max(longest, parts[k].length);
      var last = k === parts.length - 1;
      code.appendChild(document.createTextNode(last ? parts[k] : parts[k] + "_"));
      if (!last) code.appendChild(document.createElement("wbr"));
    }
    if (longest <= 24) code.className += " breaks-at-underscores";
  }
})();
"#;

/// The catalog's pages fit a laptop's window: tables take the content's width and wrap
/// long names (code spans) and descriptions (the last column) anywhere instead of
/// scrolling sideways, while short words in other cells stay whole; code blocks wrap. A
/// table's first column (the name the row is about) keeps room for a usual name, so that
/// only a long one breaks. A name the init script split at its underscores
/// (`breaks-at-underscores`) is sized by its parts and wraps only between them.
const CATALOG_CSS: &str = r#":root {
  --content-max-width: 1100px;
}
.content .table-wrapper {
  overflow-x: visible;
}
.content table {
  width: 100%;
  table-layout: auto;
}
.content td {
  overflow-wrap: break-word;
  vertical-align: top;
}
.content td:last-child {
  overflow-wrap: anywhere;
}
.content td code,
.content li code {
  white-space: normal;
  overflow-wrap: anywhere;
}
.content td code.breaks-at-underscores {
  overflow-wrap: normal;
}
.content td:first-child {
  min-width: 11em;
}
.content pre > code {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
.content pre.mermaid {
  background: none;
  text-align: center;
}
.content pre.mermaid svg {
  max-width: 100%;
  height: auto;
}
"#;

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

/// The first sentence: up to the first `.` followed by white space outside a code span
/// (a cut inside one would leave its backticks unpaired, shown literally).
fn first_sentence(s: &str) -> String {
    let s = s.trim();
    let stop = |from: usize, to: usize| {
        s[from..to]
            .char_indices()
            .find(|&(i, c)| c == '.' && s[from + i + 1..].starts_with(char::is_whitespace))
            .map(|(i, _)| from + i)
    };
    let mut pos = 0;
    for (start, len, close) in md::code_spans(s) {
        if let Some(i) = stop(pos, start) {
            return s[..=i].to_string();
        }
        pos = close + len;
    }
    match stop(pos, s.len()) {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

/// Key/value facts as a list (`- **Key:** value`): a table would need a header row, which
/// here is empty and shows as a bar.
fn facts(out: &mut String, rows: &[(&str, String)]) {
    for (k, v) in rows {
        let _ = writeln!(out, "- **{k}:** {v}");
    }
    out.push('\n');
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
    /// Per workflow, a bit per [`CONSENT_CHANNELS`] entry: whether its audience requires
    /// that channel's consent. Computed when an event page first asks.
    consent_required: OnceCell<Vec<u8>>,
    /// Per channel, links (from an event page) to its consent attributes, joined.
    consent_links: OnceCell<BTreeMap<Channel, String>>,
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
            consent_required: OnceCell::new(),
            consent_links: OnceCell::new(),
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
        conditions::condition(
            &Md {
                cat: self,
                from,
                exit: false,
            },
            c,
        )
    }

    /// An exit condition: as [`Self::condition_md`], but an `event` exit says that only
    /// events performed after the trigger count (docs/semantics.md, "Workflows").
    fn exit_md(&self, c: &Condition, from: From) -> String {
        conditions::condition(
            &Md {
                cat: self,
                from,
                exit: true,
            },
            c,
        )
    }

    fn trigger_md(&self, w: &Workflow, from: From) -> String {
        match &w.trigger {
            Some(t) => conditions::trigger(
                &Md {
                    cat: self,
                    from,
                    exit: false,
                },
                t,
            ),
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
                .map(|c| self.exit_md(c, from))
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
             [output.html]\n\
             # Mermaid (vendored) renders the flowcharts without a preprocessor; catalog.css\n\
             # makes wide tables wrap. trackc writes all three files.\n\
             additional-js = [\"mermaid.min.js\", \"mermaid-init.js\"]\n\
             additional-css = [\"catalog.css\"]\n"
        )
    }

    fn summary(&self) -> String {
        let mut s = format!("<!-- {HEADER} -->\n\n# Summary\n\n[Overview](README.md)\n\n");
        s.push_str("- [Events](events/index.md)\n");
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
        s.push_str("- [Events](events/index.md): what producers send with track, one page each.\n");
        s.push_str("- [Attributes](attributes.md): what is sent with identify.\n");
        s.push_str("- [Types](types.md): the shared types and enums.\n");
        s.push_str("- [Segments](segments.md) and [Workflows](workflows.md): who the campaigns reach and when.\n");
        s.push_str("- [Event map](map.md): which segments and workflows read each event.\n");
        s.push_str("- [Suppression](suppression.md): what stops each revenue workflow.\n\n");
        s.push_str(
            "JSON Schemas (draft 2020-12) of every event (linked from its page), of the \
             [attributes](schemas/attributes.schema.json) and of \
             [everything in one bundle](schemas/bundle.schema.json) are published with this catalog \
             (`schemas/`).\n",
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
        let schema = super::schema::event_path(e)
            .to_string_lossy()
            .replace('\\', "/");
        facts(
            &mut s,
            &[
                (
                    "Owner (emits it)",
                    e.owner.as_deref().map(cell).unwrap_or_else(|| "—".into()),
                ),
                (
                    "Idempotency key",
                    e.idempotency_property()
                        .map(|p| code(&p.name))
                        .unwrap_or_else(|| "—".into()),
                ),
                (
                    "Backfill",
                    match e.backfill {
                        BackfillPolicy::Allowed => "allowed: historical replays may send it".into(),
                        BackfillPolicy::Forbidden => "forbidden: live traffic only".into(),
                    },
                ),
                (
                    "Triggers",
                    list_or_dash(
                        self.triggers(id)
                            .iter()
                            .map(|w| self.workflow_link(w, f))
                            .collect(),
                    ),
                ),
                ("Read by segments", self.segments_cell(id, f)),
                (
                    "Read by workflows (through segments)",
                    self.workflows_via_segments_cell(id, f),
                ),
                (
                    "Ends workflows",
                    list_or_dash(
                        self.ends(id)
                            .iter()
                            .map(|w| self.workflow_link(w, f))
                            .collect(),
                    ),
                ),
                (
                    "JSON Schema",
                    // The stem is made of `[a-z0-9_-]`: the path needs no escaping.
                    format!(
                        "[{}](../schemas/{schema})",
                        code(&format!("schemas/{schema}"))
                    ),
                ),
            ],
        );
        self.channels_and_consent(&mut s, id);
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

    /// Whether workflow `w`'s audience requires `ch`'s consent; `None` for a channel that
    /// needs none (see [`CONSENT_CHANNELS`]).
    fn consent_required(&self, w: usize, ch: Channel) -> Option<bool> {
        let bit = CONSENT_CHANNELS.iter().position(|c| *c == ch)?;
        let bits = self.consent_required.get_or_init(|| {
            self.ir
                .workflows
                .iter()
                .map(|wf| {
                    CONSENT_CHANNELS
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| {
                            wf.channels.contains(c)
                                && audience_requires_consent(self.ir, &self.an, wf, **c)
                        })
                        .fold(0u8, |m, (i, _)| m | 1 << i)
                })
                .collect()
        });
        Some(bits[w] & 1 << bit != 0)
    }

    /// The event page's "Channels and consent": per channel of the workflows the event
    /// feeds (triggers, or reaches through their trigger or audience segments), those
    /// workflows, the consent attributes for the channel and the workflows whose audience
    /// does not require consent. At most [`VIA_SHOWN`] workflows are named per list.
    fn channels_and_consent(&self, s: &mut String, id: EventId) {
        let f = From::Events;
        s.push_str("## Channels and consent\n\n");
        let mut by_channel: BTreeMap<Channel, Vec<usize>> = BTreeMap::new();
        for w in self.an.workflows_fed_by(id) {
            for ch in &self.ir.workflows[w].channels {
                by_channel.entry(*ch).or_default().push(w);
            }
        }
        if by_channel.is_empty() {
            s.push_str("No workflow sends messages because of this event.\n\n");
            return;
        }
        s.push_str(
            "The messages this event can lead to: the channels of the workflows it triggers or \
             reaches through their trigger and audience segments, and the consent attribute each \
             channel needs (an audience segment must require it to be true).\n\n",
        );
        let names = |ws: &[usize]| {
            let more = ws.len().saturating_sub(VIA_SHOWN);
            let mut v: Vec<String> = ws
                .iter()
                .take(VIA_SHOWN)
                .map(|&w| self.workflow_link(&self.ir.workflows[w], f))
                .collect();
            if more > 0 {
                v.push(format!("and {more} more"));
            }
            v.join(", ")
        };
        for (ch, ws) in &by_channel {
            let _ = write!(s, "- **{}** through {}", ch.as_str(), names(ws));
            let consent = self
                .consent_links
                .get_or_init(|| {
                    let mut m: BTreeMap<Channel, Vec<String>> = BTreeMap::new();
                    for a in &self.ir.attributes {
                        if let Some(c) = a.consent {
                            m.entry(c).or_default().push(self.attribute_link(a, f));
                        }
                    }
                    m.into_iter().map(|(c, v)| (c, v.join(", "))).collect()
                })
                .get(ch)
                .map_or("", String::as_str);
            let missing: Vec<usize> = ws
                .iter()
                .copied()
                .filter(|&w| self.consent_required(w, *ch) == Some(false))
                .collect();
            match (consent.is_empty(), CONSENT_CHANNELS.contains(ch)) {
                (_, false) => s.push_str(": needs no consent attribute.\n"),
                (true, true) => s.push_str(": **no consent attribute** is declared.\n"),
                (false, true) if missing.is_empty() => {
                    let _ = writeln!(
                        s,
                        ": consent {consent}, required by each workflow's audience."
                    );
                }
                (false, true) => {
                    let _ = writeln!(
                        s,
                        ": consent {consent}; **not required** by the audience of {}.",
                        names(&missing)
                    );
                }
            }
        }
        s.push('\n');
    }

    fn attributes(&self) -> String {
        let mut s = page("Attributes");
        s.push_str(
            "Person attributes, sent with identify. Identify is a partial update: every attribute \
             is optional in any one call, and a call changes only the attributes it carries. \
             A description starts with **Consent** for the opt-in flags campaigns require (and \
             the channel), **Derived** for attributes the backend computes and *PII* for \
             personal data. JSON Schema: \
             [`schemas/attributes.schema.json`](schemas/attributes.schema.json).\n\n",
        );
        // Consent, derived and PII lead the description (as PII does for event
        // properties) rather than take three mostly empty columns.
        let rows: Vec<Vec<String>> = self
            .ir
            .attributes
            .iter()
            .map(|p| {
                let mut notes = String::new();
                if let Some(c) = p.consent {
                    let _ = write!(notes, "**Consent** for {}. ", c.as_str());
                }
                if p.derived {
                    notes.push_str("**Derived.** ");
                }
                notes.push_str(&self.property_description(p));
                vec![
                    format!(
                        "<a id=\"{}\"></a>{}",
                        anchor(&format!("attr-{}", p.name)),
                        code(&p.name)
                    ),
                    self.ty_md(&p.ty, From::Root),
                    self.constraints(&p.ty).join("; "),
                    notes,
                ]
            })
            .collect();
        if rows.is_empty() {
            s.push_str("The contract defines no attributes.\n\n");
        } else {
            table(
                &mut s,
                &["Name", "Type", "Constraints", "Description"],
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
            facts(
                &mut s,
                &[
                    (
                        "Goal",
                        w.goal
                            .map(|g| g.as_str().to_string())
                            .unwrap_or_else(|| "—".into()),
                    ),
                    ("Trigger", self.trigger_md(w, From::Root)),
                    ("Audience", self.audience_md(w, From::Root)),
                    (
                        "Wait",
                        w.wait.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                    ),
                    ("Exit when (any)", self.exits_md(w, From::Root, "; ")),
                    ("Channels", self.channels_md(w)),
                ],
            );
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
            "## Workflows\n\nOne flowchart per workflow: what starts it, who may enter and what \
             stops it, with the events, segments and attributes the segments read directly. \
             Events are blue rectangles, segments green rounded boxes, attributes purple \
             hexagons, the workflow an orange double-bordered box; dotted arrows are exit \
             conditions. Click a node for its page.\n\n",
        );
        if ir.workflows.is_empty() {
            s.push_str("The contract defines no workflows.\n");
        }
        for w in &ir.workflows {
            let _ = writeln!(s, "### {}\n", md::md_line(&w.name));
            s.push_str("```mermaid\n");
            self.workflow_chart(w, &mut s);
            s.push_str("```\n\n");
        }
        s
    }

    /// One workflow's flowchart. Node ids come from names (so a chart's diff in a pull
    /// request shows only what changed) and are unique within the chart; every label goes
    /// through `escape::mermaid`, and every click link is a generated page path.
    fn workflow_chart(&self, w: &Workflow, s: &mut String) {
        let ir = self.ir;
        let mut chart = Chart::default();
        let wf = chart.node(
            Node::Workflow,
            &w.name,
            0,
            format!("workflows.html#{}", anchor(&w.name)),
        );
        let mut shown: Vec<SegmentId> = Vec::new();
        match &w.trigger {
            Some(Trigger::Event { event, .. }) => {
                let e = self.event_node(&mut chart, *event);
                chart.edge(&e, "-->|trigger|", &wf);
            }
            Some(Trigger::Segment { segment }) => {
                let n = self.segment_node(&mut chart, *segment);
                chart.edge(&n, "-->|enters|", &wf);
                shown.push(*segment);
            }
            None => {}
        }
        for a in &w.audience {
            let n = self.segment_node(&mut chart, *a);
            chart.edge(&n, "-->|audience|", &wf);
            shown.push(*a);
        }
        for c in &w.exit_when {
            let n = self.condition_node(&mut chart, c);
            chart.edge(&n, "-. exit .->", &wf);
            if let Condition::Segment { segment, .. } = c {
                shown.push(*segment);
            }
        }
        // What each segment shown reads directly; segments it names are drawn, not
        // expanded (their own page and chart say what they read).
        let mut expanded = BTreeSet::new();
        for seg in shown {
            if !expanded.insert(seg) {
                continue;
            }
            let target = self.segment_node(&mut chart, seg);
            let sg = ir.segment(seg);
            let lists = [
                (&sg.all, "-->"),
                (&sg.any, "-->|any|"),
                (&sg.none, "-->|not|"),
            ];
            let total: usize = lists.iter().map(|(l, _)| l.len()).sum();
            let mut drawn = 0;
            for (list, arrow) in lists {
                for c in list.iter() {
                    if drawn == CHART_INPUTS {
                        break;
                    }
                    drawn += 1;
                    let n = self.condition_node(&mut chart, c);
                    chart.edge(&n, arrow, &target);
                }
            }
            if total > drawn {
                let more = chart.node(
                    Node::More,
                    &format!("… {} more", total - drawn),
                    seg.0 as usize,
                    format!("segments.html#{}", anchor(&sg.name)),
                );
                chart.edge(&more, "-->", &target);
            }
        }
        chart.write(s);
    }

    fn event_node(&self, chart: &mut Chart, id: EventId) -> String {
        let e = self.ir.event(id);
        chart.node(
            Node::Event,
            &e.name,
            id.0 as usize,
            format!("events/{}.html", file_stem(&e.name)),
        )
    }

    fn segment_node(&self, chart: &mut Chart, id: SegmentId) -> String {
        let sg = self.ir.segment(id);
        chart.node(
            Node::Segment,
            &sg.name,
            id.0 as usize,
            format!("segments.html#{}", anchor(&sg.name)),
        )
    }

    fn condition_node(&self, chart: &mut Chart, c: &Condition) -> String {
        match c {
            Condition::Event { event, .. } => self.event_node(chart, *event),
            Condition::Segment { segment, .. } => self.segment_node(chart, *segment),
            Condition::Attribute { attribute, .. } => {
                let a = self.ir.attribute(*attribute);
                chart.node(
                    Node::Attribute,
                    &a.name,
                    attribute.0 as usize,
                    format!("attributes.html#{}", anchor(&format!("attr-{}", a.name))),
                )
            }
        }
    }

    fn suppression(&self) -> String {
        let ir = self.ir;
        let mut s = page("Suppression");
        s.push_str(
            "What stops each revenue workflow: a person leaves the workflow as soon as any \
                    exit condition holds, so they are not asked to buy what they just bought. An \
                    event exit counts only events performed after the trigger. A revenue \
                    workflow without exit conditions is listed with **nothing**.\n\n",
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

/// How many conditions of one segment a workflow's chart draws; the rest are one
/// "… N more" node linking to the segment.
const CHART_INPUTS: usize = 12;

/// The kinds of node in a workflow's chart, each with its shape and style.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Workflow,
    Event,
    Segment,
    Attribute,
    More,
}

impl Node {
    /// Node id prefix, Mermaid shape (open, close) and class.
    fn style(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Node::Workflow => ("w", "[[\"", "\"]]", "workflow"),
            Node::Event => ("e", "[\"", "\"]", "event"),
            Node::Segment => ("s", "([\"", "\"])", "segment"),
            Node::Attribute => ("a", "{{\"", "\"}}", "attribute"),
            Node::More => ("m", "[\"", "\"]", "more"),
        }
    }
}

/// A flowchart being drawn: nodes (each once, in the order first met) and edges (each
/// once), written out by [`Chart::write`].
#[derive(Default)]
struct Chart {
    nodes: Vec<(String, Node, String, String)>,
    ids: BTreeSet<String>,
    edges: Vec<String>,
    seen_edges: BTreeSet<String>,
}

impl Chart {
    /// The node's id, adding the node (with its label and click link) when new.
    fn node(&mut self, kind: Node, name: &str, index: usize, link: String) -> String {
        let (prefix, ..) = kind.style();
        let id = node_id(prefix, name, index);
        if self.ids.insert(id.clone()) {
            self.nodes.push((id.clone(), kind, name.to_owned(), link));
        }
        id
    }

    fn edge(&mut self, from: &str, arrow: &str, to: &str) {
        let e = format!("  {from} {arrow} {to}\n");
        if self.seen_edges.insert(e.clone()) {
            self.edges.push(e);
        }
    }

    fn write(&self, s: &mut String) {
        s.push_str("flowchart LR\n");
        s.push_str(CHART_CLASSES);
        for (id, kind, name, _) in &self.nodes {
            let (_, open, close, class) = kind.style();
            let _ = writeln!(s, "  {id}{open}{}{close}:::{class}", mermaid_label(name));
        }
        for e in &self.edges {
            s.push_str(e);
        }
        for (id, _, _, link) in &self.nodes {
            let _ = writeln!(s, "  click {id} href \"{}\"", escape::mermaid::link(link));
        }
    }
}

/// The node styles (readable in mdBook's light and dark themes: dark text on light fills).
const CHART_CLASSES: &str = "  classDef event fill:#dbeafe,stroke:#1d4ed8,color:#0b1f4d\n  \
    classDef segment fill:#dcfce7,stroke:#15803d,color:#0b3d1d\n  \
    classDef attribute fill:#f3e8ff,stroke:#7e22ce,color:#3b0764\n  \
    classDef workflow fill:#ffedd5,stroke:#c2410c,color:#431407,stroke-width:2px\n  \
    classDef more fill:#f4f4f5,stroke:#71717a,color:#27272a,stroke-dasharray:3 3\n";

/// How many steps of `f`'s path lead to the last array a `where` steps through (an array of
/// objects on the way, or of scalars at the end when the filter does not compare the array
/// itself), as `analysis::eval` reads event data; `None` when it steps through none.
fn last_array(ir: &Ir, props: &[Property], f: &Filter) -> Option<usize> {
    let mut props = props;
    let mut last = None;
    for (i, key) in f.path.iter().enumerate() {
        let p = props.iter().find(|p| p.name == *key)?;
        let at_end = i + 1 == f.path.len();
        let mut ty = ir.underlying(&p.ty);
        while let Ty::Array(a) = ty {
            if at_end && matches!(ir.underlying(&f.ty), Ty::Array(_)) {
                break;
            }
            last = Some(i + 1);
            ty = ir.underlying(&a.items);
        }
        if at_end {
            break;
        }
        match ty {
            Ty::Ref(id) => match &ir.ty(*id).kind {
                TypeKind::Object(o) => props = &o.properties,
                _ => return None,
            },
            _ => return None,
        }
    }
    last
}

/// A SUMMARY.md link title.
fn summary_title(name: &str) -> String {
    md::md_line(name)
}

/// The catalog's spelling of conditions and triggers: names are links to their pages.
struct Md<'c, 'a> {
    cat: &'c Catalog<'a>,
    from: From,
    /// Spelling an exit condition: an event is one performed after the trigger.
    exit: bool,
}

impl conditions::Style for Md<'_, '_> {
    fn event(&self, id: EventId) -> String {
        format!("performed {}", self.cat.event_link(id, self.from))
    }
    fn event_end(&self, qualified: bool) -> &'static str {
        match (self.exit, qualified) {
            (false, _) => "",
            (true, false) => " after the trigger",
            (true, true) => ", after the trigger",
        }
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
    /// The path once, then its operators: `` `total` ≥ `10` and ≤ `20` ``. Several
    /// operators on a path into an array must hold for one element (docs/semantics.md,
    /// "Conditions"), and say so: `` `items.price` ≥ `10` and ≤ `20` in one element of
    /// `items` ``.
    fn filter(&self, event: EventId, f: &Filter) -> String {
        let ops: Vec<String> = f.ops.iter().map(|op| self.op(op)).collect();
        let mut s = format!("{} {}", code(&f.dotted()), ops.join(" and "));
        if f.ops.len() > 1
            && let Some(k) = last_array(self.cat.ir, &self.cat.ir.event(event).properties, f)
        {
            let _ = write!(s, " in one element of {}", code(&f.path[..k].join(".")));
        }
        s
    }
    const FILTER_SEPARATOR: &'static str = " and ";
    const SORT_FILTERS: bool = false;
    const COUNT: &'static str = ", count ";
    const WITHIN: &'static str = ", within ";
}

#[cfg(test)]
mod tests {
    use super::first_sentence;

    fn page(text: &str, path: &str) -> String {
        let ir = crate::checked_text(text);
        super::generate(&ir)
            .into_iter()
            .find(|f| f.path.to_string_lossy().replace('\\', "/").ends_with(path))
            .expect("the page is generated")
            .contents
    }

    /// Several operators on a path into an array hold for one element (as
    /// `analysis::eval` reads them), and the catalog says so; on a plain path, or with one
    /// operator, the path is written once. An event exit counts events after the trigger.
    #[test]
    fn operators_on_an_array_path_are_one_element_and_exits_follow_the_trigger() {
        let text = r#"
contract: words
version: "1.0.0"
identity:
  id: customer_id
  id_type: { type: string }
events:
  started: { owner: web, properties: {} }
  ordered:
    owner: web
    properties:
      total: { type: number }
      items:
        type: array
        items:
          type: object
          properties:
            price: { type: number }
            sku: { type: string }
segments:
  mid_priced:
    description: Bought an item priced 10 to 20.
    all:
      - event: ordered
        where:
          items.price: { gte: 10, lte: 20 }
          items.sku: { equals: a }
          total: { gt: 5, lt: 50 }
workflows:
  nudge:
    trigger: { event: started }
    wait: 1d
    exit_when:
      - event: ordered
        count: { gte: 2 }
        within: 7d
      - segment: mid_priced
"#;
        let segments = page(text, "src/segments.md");
        assert!(
            segments.contains(
                "where `items.price` ≥ `10` and ≤ `20` in one element of `items` and \
                 `items.sku` = `\"a\"` and `total` > `5` and < `50`"
            ),
            "{segments}"
        );
        let workflows = page(text, "src/workflows.md");
        assert!(
            workflows.contains(
                "**Exit when (any):** performed [`ordered`](events/ordered.md), \
                 count ≥ `2`, within 7d, after the trigger; in segment [`mid_priced`](segments.md#mid_priced)"
            ),
            "{workflows}"
        );
    }

    #[test]
    fn the_first_sentence_ends_outside_code_spans() {
        assert_eq!(first_sentence(" One. Two. "), "One.");
        assert_eq!(
            first_sentence("Set `cart. total` first. Then"),
            "Set `cart. total` first."
        );
        assert_eq!(first_sentence("A ``x`. y`` b. c"), "A ``x`. y`` b.");
        // An unpaired backtick opens nothing: the sentence ends at the first full stop.
        assert_eq!(first_sentence("A ` b. c"), "A ` b.");
        assert_eq!(first_sentence("No stop"), "No stop");
    }
}
