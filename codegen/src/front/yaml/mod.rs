//! YAML → a tree of spanned nodes, under budgets.
//!
//! serde-saphyr does the parsing; we deserialize into a generic [`Node`] tree (rather
//! than straight into the AST) so that every key and value keeps its span and the loader
//! can report *every* unknown key with a "did you mean", not just the first serde sees.

mod events;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Spanned, Tagged};

use crate::diag::Diagnostic;
use crate::rules::CheckRule;
use crate::source::{FileId, SourceFile, Sp, Span};

/// The budgets a single contract file is parsed under. Generous for real contracts
/// (a 5,000-event contract is far inside them) and tight enough that hostile input
/// (alias bombs, deep nesting, huge files) is refused in milliseconds.
pub mod budget {
    /// Largest file read, in bytes (counted while reading).
    pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
    /// Most bytes read across all the files of one contract (a folder or a git tree): the
    /// per-file limit alone let eight 8 MB files through.
    pub const MAX_TOTAL_BYTES: usize = 16 * 1024 * 1024;
    /// Most `.yaml` / `.yml` files in one contract.
    pub const MAX_FILES: usize = 10_000;
    /// Deepest folder nesting inside a contract folder.
    pub const MAX_FOLDER_DEPTH: usize = 32;
    /// Deepest nesting of collections.
    pub const MAX_DEPTH: usize = 64;
    /// Most nested flow collections (`[[[...]]]`).
    pub const MAX_FLOW_NESTING: usize = 64;
    /// Most YAML nodes in one file.
    pub const MAX_NODES: usize = 2_000_000;
    /// Most alias uses (`*x`) and anchors (`&x`) in one file.
    pub const MAX_ALIASES: usize = 1_000;
    pub const MAX_ANCHORS: usize = 1_000;
    /// Most parser events in one file, alias replays included.
    pub const MAX_EVENTS: usize = 8_000_000;
    /// Most events replayed by aliases in one file (what an alias bomb multiplies).
    pub const MAX_REPLAYED_EVENTS: usize = 100_000;
    /// Most scalar bytes in one file, alias replays included.
    pub const MAX_SCALAR_BYTES: usize = 64 * 1024 * 1024;
}

/// A YAML value with spans on every key and value.
#[derive(Clone, Debug)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Sp<Node>>),
    Map(Vec<(Sp<String>, Sp<Node>)>),
}

impl Node {
    /// What the user wrote, in words, for "expected X, found Y".
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a map",
        }
    }

    /// The node as JSON (for examples and operands).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Node::Null => serde_json::Value::Null,
            Node::Bool(b) => (*b).into(),
            Node::Int(i) => (*i).into(),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Node::Str(s) => s.as_str().into(),
            Node::Seq(items) => items.iter().map(|n| n.value.to_json()).collect(),
            Node::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// Raw node as serde-saphyr hands it over, before spans are mapped to our [`Span`].
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawItem>),
    Map(Vec<(Spanned<Tagged<String>>, RawItem)>),
}

/// A raw node with where it is written and its tag, if one was written (tags are refused).
type RawItem = Spanned<Tagged<RawNode>>;

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawNode;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E>(self) -> Result<RawNode, E> {
                Ok(RawNode::Null)
            }
            fn visit_none<E>(self) -> Result<RawNode, E> {
                Ok(RawNode::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
                RawNode::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
                Ok(RawNode::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
                Ok(RawNode::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawNode, E> {
                i64::try_from(v)
                    .map(RawNode::Int)
                    .or(Ok(RawNode::Float(v as f64)))
            }
            fn visit_i128<E>(self, v: i128) -> Result<RawNode, E> {
                Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
            }
            fn visit_u128<E>(self, v: u128) -> Result<RawNode, E> {
                Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
                Ok(RawNode::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
                Ok(RawNode::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
                Ok(RawNode::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<RawNode, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(RawNode::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<RawNode, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = a.next_key::<Spanned<Tagged<String>>>()? {
                    let v = a.next_value()?;
                    entries.push((k, v));
                }
                Ok(RawNode::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

fn options() -> serde_saphyr::Options {
    let mut b = serde_saphyr::Budget::default();
    b.max_depth = budget::MAX_DEPTH;
    b.flow_nesting_limit = budget::MAX_FLOW_NESTING;
    b.max_nodes = budget::MAX_NODES;
    b.max_aliases = budget::MAX_ALIASES;
    b.max_anchors = budget::MAX_ANCHORS;
    b.max_events = budget::MAX_EVENTS;
    b.max_total_scalar_bytes = budget::MAX_SCALAR_BYTES;
    b.max_documents = 1;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(b);
    // `no`, `on`, `yes` stay strings: enum values and descriptions must not turn into
    // booleans (the "Norway problem").
    o.strict_booleans = true;
    let mut a = serde_saphyr::options::AliasLimits::default();
    a.max_total_replayed_events = budget::MAX_REPLAYED_EVENTS;
    a.max_replay_stack_depth = budget::MAX_DEPTH;
    o.alias_limits = a;
    o
}

/// Parse one file. `Ok(None)` for a file with no document (empty, or only comments).
// One diagnostic per file, on a cold path: not worth a box.
#[allow(clippy::result_large_err)]
pub fn parse(file_id: FileId, file: &SourceFile) -> Result<Option<Sp<Node>>, Diagnostic> {
    let text = file.text.as_str();
    if let Some(d) = find_tab_indent(file_id, text) {
        return Err(d);
    }
    if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    }) {
        return Ok(None);
    }
    if let Ok(tree) = events::parse(file_id, text) {
        return Ok(Some(tree));
    }
    parse_with_serde_saphyr(file_id, file)
}

/// [`parse`] the serde-saphyr way: every input, every diagnostic (the fast path of
/// [`events`] declines to this).
#[allow(clippy::result_large_err)] // as `parse`
fn parse_with_serde_saphyr(
    file_id: FileId,
    file: &SourceFile,
) -> Result<Option<Sp<Node>>, Diagnostic> {
    let text = file.text.as_str();
    let raw: RawItem = serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| syntax_error(file_id, file, &e))?;
    convert(file_id, file, raw).map(Some)
}

/// YAML forbids tabs in indentation; say so precisely instead of a parser's guess.
fn find_tab_indent(file_id: FileId, text: &str) -> Option<Diagnostic> {
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(i) = line[..indent].find('\t') {
            let at = (offset + i) as u32;
            return Some(
                Diagnostic::new(
                    CheckRule::YamlSyntax,
                    Span::new(file_id, at, at + 1),
                    "tab character in indentation",
                )
                .label("YAML indentation must be spaces")
                .help("replace the tab with spaces"),
            );
        }
        offset += line.len();
    }
    None
}

fn syntax_error(file_id: FileId, file: &SourceFile, e: &serde_saphyr::Error) -> Diagnostic {
    let span = match e.location() {
        Some(loc) if loc.line() > 0 => {
            let start = match loc.span().byte_offset() {
                Some(b) => b as u32,
                None => file.offset_of(loc.line() as usize, loc.column() as usize),
            };
            let len = loc.span().byte_len().unwrap_or(0) as u32;
            Span::new(file_id, start, start + len.max(1))
        }
        _ => Span::file_start(file_id),
    };
    let (message, help) = humanize(&plain_message(e));
    let d = Diagnostic::new(CheckRule::YamlSyntax, span, message);
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

/// Budget breaches in words (serde-saphyr reports them in `Debug` form), with a hint.
fn humanize(message: &str) -> (String, Option<&'static str>) {
    use budget::*;
    const BUDGET_HELP: &str = "trackc parses contracts under fixed budgets against hostile input (see `trackc explain yaml-syntax`); a real contract is far inside them";
    const ALIAS_HELP: &str = "trackc parses contracts under fixed budgets against hostile input (see `trackc explain yaml-syntax`); write the values out instead of using aliases";
    const DEPTH_HELP: &str = "trackc parses contracts under fixed budgets against hostile input (see `trackc explain yaml-syntax`); a contract needs far fewer levels";
    if let Some(breach) = message.strip_prefix("budget breached: ") {
        let kind = breach.split([' ', '{']).next().unwrap_or_default();
        let (text, help) = match kind {
            "Depth" => (
                format!("nested more than {MAX_DEPTH} levels deep"),
                DEPTH_HELP,
            ),
            "Documents" => (
                "more than one YAML document in one file".to_owned(),
                "a contract file holds one document: remove the `---` line, or move what follows it to another file",
            ),
            "Anchors" => (
                format!("more than {MAX_ANCHORS} anchors (`&name`)"),
                ALIAS_HELP,
            ),
            "Aliases" => (
                format!("more than {MAX_ALIASES} aliases (`*name`)"),
                ALIAS_HELP,
            ),
            "AliasAnchorRatio" => ("too many aliases per anchor".to_owned(), ALIAS_HELP),
            "Nodes" => (format!("more than {MAX_NODES} YAML nodes"), BUDGET_HELP),
            "Events" => (
                format!("more than {MAX_EVENTS} YAML parser events"),
                BUDGET_HELP,
            ),
            "ScalarBytes" => (
                format!(
                    "more than {} MiB of scalar text (aliases included)",
                    MAX_SCALAR_BYTES / (1024 * 1024)
                ),
                BUDGET_HELP,
            ),
            _ => (message.to_owned(), BUDGET_HELP),
        };
        return (format!("parser budget exceeded: {text}"), Some(help));
    }
    if message.starts_with("recursion limit exceeded") {
        return (
            format!("parser budget exceeded: nested more than {MAX_FLOW_NESTING} levels deep"),
            Some(DEPTH_HELP),
        );
    }
    if message.starts_with("alias replay limit exceeded") {
        return (
            format!(
                "parser budget exceeded: aliases expand to more than {MAX_REPLAYED_EVENTS} YAML nodes"
            ),
            Some(ALIAS_HELP),
        );
    }
    if message.contains("budget") || message.contains("limit") || message.contains("exceeded") {
        return (message.to_owned(), Some(BUDGET_HELP));
    }
    if message.contains("duplicate") {
        return (
            message.to_owned(),
            Some("each key may appear once in a map; merge the two entries"),
        );
    }
    (message.to_owned(), None)
}

/// serde-saphyr's message without its own location prefix and snippet (we render ours).
fn plain_message(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let first = full.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "line 2 column 1: duplicate mapping key: ..." → "duplicate mapping key: ..."
    let msg = match first.split_once(": ") {
        Some((loc, rest)) if loc.starts_with("line ") => rest,
        _ => first,
    };
    let msg = msg
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(msg)
        .trim();
    if msg.is_empty() {
        "invalid YAML".to_owned()
    } else {
        msg.to_owned()
    }
}

fn span_of(file_id: FileId, file: &SourceFile, loc: &serde_saphyr::Location) -> Span {
    let sp = loc.span();
    match (sp.byte_offset(), sp.byte_len()) {
        (Some(o), Some(l)) => Span::new(file_id, o as u32, (o + l) as u32),
        _ => {
            let o = file.offset_of(loc.line() as usize, loc.column() as usize);
            Span::new(file_id, o, o)
        }
    }
}

/// An explicit tag is refused wherever it is written. The contract format gives tags no
/// meaning, and the parser would act on some silently: `!!binary aGVsbG8=` became the text
/// "hello" (a value nobody reviewing the pull request could read), `!custom` was dropped.
/// Even `!!str`, which changes nothing, is refused: one rule, and quoting says the same.
fn refuse_tag(
    file_id: FileId,
    file: &SourceFile,
    loc: &serde_saphyr::Location,
    tag: &str,
) -> Diagnostic {
    let span = span_of(file_id, file, loc);
    let written = tag
        .strip_prefix("tag:yaml.org,2002:")
        .map_or_else(|| tag.to_owned(), |t| format!("!!{t}"));
    Diagnostic::new(
        CheckRule::YamlSyntax,
        span,
        format!("YAML tag `{written}` is not allowed in a contract"),
    )
    .label("tagged value")
    .help("contracts use plain YAML values: remove the tag; to keep the text as it is written, quote it (\"...\")")
}

// As `parse`: one diagnostic per file.
#[allow(clippy::result_large_err)]
fn convert(file_id: FileId, file: &SourceFile, raw: RawItem) -> Result<Sp<Node>, Diagnostic> {
    // `referenced` is where the value is written (the alias, when it is one).
    let span = span_of(file_id, file, &raw.referenced);
    let Tagged(value, tag) = raw.value;
    if let Some(tag) = tag {
        return Err(refuse_tag(file_id, file, &raw.referenced, &tag));
    }
    let node = match value {
        RawNode::Null => Node::Null,
        RawNode::Bool(b) => Node::Bool(b),
        RawNode::Int(i) => Node::Int(i),
        RawNode::Float(f) => Node::Float(f),
        RawNode::Str(s) => Node::Str(s),
        RawNode::Seq(items) => Node::Seq(
            items
                .into_iter()
                .map(|n| convert(file_id, file, n))
                .collect::<Result<_, _>>()?,
        ),
        RawNode::Map(entries) => Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let ks = span_of(file_id, file, &k.referenced);
                    let Tagged(key, tag) = k.value;
                    if let Some(tag) = tag {
                        return Err(refuse_tag(file_id, file, &k.referenced, &tag));
                    }
                    Ok((Sp::new(key, ks), convert(file_id, file, v)?))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Sp::new(node, span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)] // as `parse`: one diagnostic per file, not a hot path
    fn parse_str(s: &str) -> Result<Option<Sp<Node>>, Diagnostic> {
        let f = SourceFile::new("t.yaml".into(), "t.yaml".into(), s.into());
        parse(FileId(0), &f)
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let n = parse_str("a:\n  bee: [1, two]\n").unwrap().unwrap();
        let Node::Map(top) = &n.value else { panic!() };
        let Node::Map(inner) = &top[0].1.value else {
            panic!()
        };
        assert_eq!(inner[0].0.value, "bee");
        assert_eq!((inner[0].0.span.start, inner[0].0.span.end), (5, 8));
        let Node::Seq(items) = &inner[0].1.value else {
            panic!()
        };
        assert_eq!(items[1].span.start, 14);
    }

    #[test]
    fn hostile_input_is_refused_quickly() {
        let t = std::time::Instant::now();
        let deep = "[".repeat(20_000);
        assert!(parse_str(&deep).is_err());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 0..30 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse_str(&bomb).is_err());
        // A hang guard, not a timing: unbudgeted, the bomb expands to 9^31 nodes. Both take
        // milliseconds; the bound leaves room for a debug build beside parallel tests.
        assert!(t.elapsed().as_secs() < 10);
    }

    #[test]
    fn tabs_duplicates_and_empty_files() {
        let e = parse_str("a:\n\tb: 1\n").unwrap_err();
        assert!(e.message.contains("tab"));
        let e = parse_str("a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
        assert!(parse_str("# nothing\n").unwrap().is_none());
        assert!(
            matches!(parse_str("x: no\n").unwrap().unwrap().value, Node::Map(ref m) if matches!(m[0].1.value, Node::Str(_)))
        );
    }
}
