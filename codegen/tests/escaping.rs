//! Escaping round-trips, one property per destination (`trackc_codegen::escape`):
//! for arbitrary strings the escaped text contains no active construct (read back with
//! pulldown-cmark, the parser of mdBook and rustdoc, with their extensions), and reads
//! back as the input where the destination can carry it. And for arbitrary descriptions
//! the generated Rust parses and keeps the text.

use proptest::prelude::*;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use trackc_codegen::escape::markdown::{md_cell, md_code, md_line, md_lines};
use trackc_codegen::escape::mermaid::label as mermaid_label;
use trackc_codegen::escape::rust::comment as rust_comment;
use trackc_codegen::escape::visible;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_GFM
}

/// Characters that mean something to Markdown, its extensions, HTML, Mermaid or Rust,
/// plus ordinary text, whitespace, line breaks and control characters.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(
            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r".chars().collect::<Vec<_>>()
        ),
        3 => prop::sample::select("aZ09é日".chars().collect::<Vec<_>>()),
        1 => prop::sample::select(
            vec!['\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202e}', '\u{2028}', '\u{a0}']
        ),
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..60).prop_map(|v| v.into_iter().collect())
}

/// Text without backticks and control characters: what must read back unchanged.
fn plain_string() -> impl Strategy<Value = String> {
    hostile_string().prop_map(|s| {
        s.chars()
            .filter(|&c| c != '`' && (c == '\n' || c == '\r' || c == '\t' || visible(c).is_none()))
            .collect()
    })
}

/// Every event of `md`, panicking on an active construct. `allow_code_block`: fenced
/// `text` blocks are trackc's own (running text keeps fences).
fn inert_events(md: &str, allow_table: bool) -> Vec<Event<'_>> {
    let events: Vec<Event> = Parser::new_ext(md, options()).collect();
    for ev in &events {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                assert_eq!(&**info, "text", "{md:?}")
            }
            Event::Start(
                Tag::Paragraph
                | Tag::CodeBlock(_)
                | Tag::TableHead
                | Tag::TableRow
                | Tag::TableCell
                | Tag::Table(_),
            ) if allow_table || matches!(ev, Event::Start(Tag::Paragraph)) => {}
            Event::Start(t) => panic!("{t:?} from {md:?}"),
            Event::Html(h) | Event::InlineHtml(h) => {
                assert_eq!(&**h, "<br>", "HTML from {md:?}")
            }
            Event::FootnoteReference(_) | Event::TaskListMarker(_) | Event::Rule => {
                panic!("{ev:?} from {md:?}")
            }
            Event::InlineMath(_) | Event::DisplayMath(_) => panic!("{ev:?} from {md:?}"),
            _ => {}
        }
    }
    events
}

/// The input as running text reads: lines trimmed, paragraphs separated by one blank
/// line, line breaks as `\n`.
fn paragraphs(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut paras: Vec<Vec<&str>> = vec![Vec::new()];
    for line in s.trim().split('\n').map(str::trim) {
        if line.is_empty() {
            if !paras.last().unwrap().is_empty() {
                paras.push(Vec::new());
            }
        } else {
            paras.last_mut().unwrap().push(line);
        }
    }
    paras
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn read_back(events: &[Event]) -> String {
    let mut out = String::new();
    for ev in events {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(t),
            Event::SoftBreak => out.push('\n'),
            Event::InlineHtml(h) if &**h == "<br>" => out.push_str("\n\n"),
            Event::End(TagEnd::Paragraph) => out.push_str("\n\n"),
            _ => {}
        }
    }
    out.trim_end_matches('\n').to_owned()
}

/// The one body cell of a table holding `cell`.
fn in_table(cell: &str) -> String {
    format!("| h |\n| --- |\n| {cell} |\n")
}

fn body_cells(events: &[Event]) -> Vec<String> {
    let mut cells = Vec::new();
    let mut in_body = false;
    let mut cur: Option<String> = None;
    for ev in events {
        match ev {
            Event::End(TagEnd::TableHead) => in_body = true,
            Event::Start(Tag::TableCell) if in_body => cur = Some(String::new()),
            Event::End(TagEnd::TableCell) if in_body => cells.push(cur.take().unwrap()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cur.as_mut() {
                    c.push_str(t)
                }
            }
            Event::InlineHtml(h) if &**h == "<br>" => {
                if let Some(c) = cur.as_mut() {
                    c.push_str("\n\n")
                }
            }
            _ => {}
        }
    }
    cells
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn running_text_is_inert(s in hostile_string()) {
        inert_events(&md_lines(&s).join("\n"), false);
    }

    #[test]
    fn running_text_reads_back(s in plain_string()) {
        let md = md_lines(&s).join("\n");
        let events = inert_events(&md, false);
        prop_assert_eq!(read_back(&events), paragraphs(&s), "{:?}", md);
    }

    #[test]
    fn one_line_is_inert_and_reads_back(s in hostile_string()) {
        let md = md_line(&s);
        prop_assert!(!md.contains(['\n', '\r']));
        let events = inert_events(&md, false);
        if !s.contains('`') && !s.chars().any(|c| visible(c).is_some() && c != '\r') {
            let unified = s.replace("\r\n", "\n").replace('\r', "\n");
            let want = unified.split('\n').map(str::trim).collect::<Vec<_>>().join(" ").trim().to_owned();
            prop_assert_eq!(read_back(&events), want, "{:?}", md);
        }
    }

    #[test]
    fn table_cells_stay_one_cell(s in hostile_string()) {
        let md = in_table(&md_cell(&s));
        let events = inert_events(&md, true);
        let cells = body_cells(&events);
        prop_assert_eq!(cells.len(), 1, "{:?}", md);
        if !s.contains('`') && !s.chars().any(|c| visible(c).is_some() && c != '\r') {
            let want = paragraphs(&s).split("\n\n").map(|p| p.replace('\n', " ")).collect::<Vec<_>>().join("\n\n");
            prop_assert_eq!(&cells[0], &want, "{:?}", md);
        }
    }

    #[test]
    fn names_are_one_code_span(s in hostile_string()) {
        let code = md_code(&s);
        prop_assert!(!code.contains(['\n', '\r']));
        let want: String = s.chars().map(|c| match c { '\n' => '\u{240a}', c => visible(c).unwrap_or(c) }).collect();
        // In a paragraph (a pipe shows as `\|` there, the price of one spelling that is
        // safe in cells too).
        let md = format!("a {code} b");
        let events = inert_events(&md, false);
        let codes: Vec<&str> = events.iter().filter_map(|e| match e { Event::Code(c) => Some(&**c), _ => None }).collect();
        prop_assert_eq!(codes.len(), 1, "{:?}", md);
        if !want.trim().is_empty() && !want.contains('|') {
            prop_assert_eq!(codes[0], want.as_str(), "{:?}", md);
        }
        // In a table cell.
        let md = in_table(&code);
        let events = inert_events(&md, true);
        let cells = body_cells(&events);
        prop_assert_eq!(cells.len(), 1, "{:?}", md);
        if !want.trim().is_empty() && !want.contains("\\|") {
            prop_assert_eq!(cells[0].as_str(), want.as_str(), "{:?}", md);
        }
    }

    #[test]
    fn mermaid_labels_are_plain_and_decode(s in hostile_string()) {
        let label = mermaid_label(&s);
        prop_assert!(!label.contains(['"', '<', '>', '%', '`', '&', '\n', '\r']), "{:?}", label);
        prop_assert!(!label.chars().any(|c| visible(c).is_some()), "{:?}", label);
        let decoded = label
            .replace("#quot;", "\"").replace("#lt;", "<").replace("#gt;", ">")
            .replace("#amp;", "&").replace("#37;", "%").replace("#96;", "`").replace("#35;", "#");
        let want: String = s.chars().map(|c| match c { '\n' | '\r' => ' ', c => visible(c).unwrap_or(c) }).collect();
        prop_assert_eq!(decoded, want);
    }

    #[test]
    fn rust_comments_stay_one_line(s in hostile_string()) {
        let c = rust_comment(&s);
        prop_assert!(!c.chars().any(|c| c == '\n' || c == '\r' || visible(c).is_some()));
        let file = format!("// contract: {c} 1.0.0\npub struct S;\n");
        let parsed = syn::parse_file(&file);
        prop_assert!(parsed.is_ok(), "{:?}", file);
        prop_assert_eq!(parsed.unwrap().items.len(), 1);
    }

    /// Doc comments: the generated Rust parses whatever the description, and its doc
    /// lines read back (as Markdown) as the description.
    #[test]
    fn descriptions_make_rust_that_parses(s in hostile_string()) {
        let yaml = format!(
            "contract: p\nversion: \"1.0.0\"\nidentity:\n  id: customer_id\nevents:\n  e:\n    description: {}\n",
            serde_json::to_string(&s).unwrap()
        );
        let checked = trackc_codegen::testing::hostile::check(&yaml, 0);
        let Some(ir) = checked.valid_ir() else { return Ok(()) };
        let code = trackc_codegen::emit::rust::generate(ir);
        let file = syn::parse_file(&code);
        prop_assert!(file.is_ok(), "{:?}\n{}", file.err(), code);
        // The doc lines above `pub struct E` (and its attributes).
        let lines: Vec<&str> = code.lines().collect();
        let at = lines.iter().position(|l| l.starts_with("pub struct E ")).expect("the struct");
        let last_doc = (0..at).rev().find(|&i| lines[i].starts_with("///")).expect("docs");
        let first_doc = (0..=last_doc).rev().take_while(|&i| lines[i].starts_with("///")).last().unwrap();
        let doc = lines[first_doc..=last_doc]
            .iter()
            .map(|l| { let d = &l[3..]; d.strip_prefix(' ').unwrap_or(d) })
            .collect::<Vec<_>>()
            .join("\n");
        let events = inert_events(&doc, false);
        if !s.contains('`') && !s.chars().any(|c| visible(c).is_some() && c != '\r') && !s.trim().is_empty() {
            let text = read_back(&events);
            let want = paragraphs(&s);
            prop_assert!(text.starts_with(&want), "{:?} reads {:?}", want, text);
        }
    }
}
