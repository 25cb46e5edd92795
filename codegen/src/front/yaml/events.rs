//! The node tree read straight from the YAML parser's events: the fast path.
//!
//! serde-saphyr's `Spanned<Tagged<_>>` route ([`super::parse`]'s fallback) costs about as
//! much again as parsing: every node passes through two wrapper visitors, a location map
//! and a tag sequence. Contracts are plain YAML (no anchors, aliases, tags, merge keys or
//! exotic numbers), and for those the tree can be built from granit-parser's events (the
//! parser serde-saphyr itself runs) in one pass.
//!
//! This reader only ever *declines*: whenever the input leaves the plain subset it knows
//! to give the same tree as serde-saphyr (any anchor, alias, tag, duplicate key, `<<`, a
//! second document, a parser error, a budget reached, a plain scalar that is not a word,
//! a plain decimal or a null), it returns `None` and the caller parses the file the
//! serde-saphyr way, which also produces every diagnostic. So errors, budgets and YAML's
//! corner cases keep one definition; `tests::the_fast_path_agrees_with_serde_saphyr`
//! holds the two to the same trees and spans.

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span as YamlSpan};

use super::{Node, budget};
use crate::source::{FileId, Sp, Span};

/// Why the fast path handed a file to serde-saphyr (for tests and profiles; the user
/// sees serde-saphyr's result either way).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Decline(pub &'static str);

type Fast<T> = Result<T, Decline>;

fn decline<T>(why: &'static str) -> Fast<T> {
    Err(Decline(why))
}

/// The tree of `text`'s one document, or why the fast path declines (see the module
/// docs; an empty stream is the caller's to recognise).
pub(super) fn parse(file_id: FileId, text: &str) -> Fast<Sp<Node>> {
    let mut options = Options::default();
    options.flow_nesting_limit = budget::MAX_FLOW_NESTING;
    options.block_nesting_limit = budget::MAX_DEPTH + 1;
    options.simple_key_max_lookahead = serde_saphyr::Budget::default().simple_key_max_lookahead;
    let mut reader = Reader {
        parser: Parser::new_from_str_with_options(text, options),
        file_id,
        nodes: 0,
    };
    reader.document()
}

struct Reader<'a> {
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    file_id: FileId,
    nodes: usize,
}

/// An open collection: where it started and what it has so far.
enum Open {
    Seq(Span, Vec<Sp<Node>>),
    /// A map, and the key read whose value has not come yet.
    Map(Span, Vec<(Sp<String>, Sp<Node>)>, Option<Sp<String>>),
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Fast<(Event<'a>, YamlSpan)> {
        match self.parser.next_event() {
            Some(Ok(e)) => Ok(e),
            Some(Err(_)) => decline("a parser error"),
            None => decline("the end of the stream too early"),
        }
    }

    fn span(&self, s: YamlSpan) -> Fast<Span> {
        let offset = |m: serde_saphyr::granit_parser::Marker| {
            m.byte_offset().and_then(|b| u32::try_from(b).ok())
        };
        match (offset(s.start), offset(s.end)) {
            (Some(start), Some(end)) => Ok(Span::new(self.file_id, start, end)),
            _ => decline("a position without a byte offset"),
        }
    }

    fn document(&mut self) -> Fast<Sp<Node>> {
        let (Event::StreamStart, _) = self.next()? else {
            return decline("no stream start");
        };
        let (Event::DocumentStart(..), _) = self.next()? else {
            return decline("no document");
        };
        let root = self.value()?;
        // Exactly one document, then the end of the stream.
        let (Event::DocumentEnd, _) = self.next()? else {
            return decline("more after the document");
        };
        let (Event::StreamEnd, _) = self.next()? else {
            return decline("a second document");
        };
        Ok(root)
    }

    /// One whole value (a scalar, or a collection to its end), iteratively: nesting is
    /// bounded by the budget, not by the stack.
    fn value(&mut self) -> Fast<Sp<Node>> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            let (event, at) = self.next()?;
            let span = self.span(at)?;
            let done: Sp<Node> = match event {
                Event::Scalar(text, style, 0, None) => {
                    self.count()?;
                    // A key: kept until its value arrives.
                    if let Some(Open::Map(_, _, key @ None)) = open.last_mut() {
                        *key = Some(Sp::new(key_text(text, style)?, span));
                        continue;
                    }
                    Sp::new(scalar(text, style)?, span)
                }
                Event::SequenceStart(_, 0, None) => {
                    self.enter(&open)?;
                    open.push(Open::Seq(span, Vec::new()));
                    continue;
                }
                Event::MappingStart(_, 0, None) => {
                    self.enter(&open)?;
                    open.push(Open::Map(span, Vec::new(), None));
                    continue;
                }
                Event::SequenceEnd => match open.pop() {
                    Some(Open::Seq(start, items)) => Sp::new(Node::Seq(items), start),
                    _ => return decline("an unbalanced sequence end"),
                },
                Event::MappingEnd => match open.pop() {
                    Some(Open::Map(start, entries, None)) => {
                        if has_duplicate_key(&entries) {
                            return decline("a duplicate key");
                        }
                        Sp::new(Node::Map(entries), start)
                    }
                    _ => return decline("an unbalanced mapping end"),
                },
                Event::Alias(_) => return decline("an alias"),
                Event::Scalar(_, _, 0, Some(_))
                | Event::SequenceStart(_, 0, Some(_))
                | Event::MappingStart(_, 0, Some(_)) => return decline("a tag"),
                Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                    return decline("an anchor");
                }
                _ => return decline("another event"),
            };
            match open.last_mut() {
                None => return Ok(done),
                Some(Open::Seq(_, items)) => items.push(done),
                Some(Open::Map(_, entries, key)) => match key.take() {
                    Some(key) => entries.push((key, done)),
                    None => return decline("a value without a key"),
                },
            }
        }
    }

    fn count(&mut self) -> Fast<()> {
        self.nodes += 1;
        if self.nodes > budget::MAX_NODES {
            return decline("the node budget");
        }
        Ok(())
    }

    fn enter(&mut self, open: &[Open]) -> Fast<()> {
        self.count()?;
        if let Some(Open::Map(_, _, None)) = open.last() {
            return decline("a collection as a key");
        }
        if open.len() >= budget::MAX_DEPTH {
            return decline("the depth budget");
        }
        Ok(())
    }
}

/// Whether serde-saphyr might read a plain scalar as a number: a conservative test, true
/// for every spelling its integer parser (sign, radix prefixes `0x` `0o` `0b`, `_`) or
/// Rust's float grammar could accept. Words are never numbers there: a leading letter
/// fails both, and `inf`/`nan` are refused as non-finite and stay strings.
fn could_be_a_number(t: &str) -> bool {
    let b = t.as_bytes();
    if b.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || !c.is_ascii())
    {
        return false;
    }
    let numeric = |c: &u8| c.is_ascii_hexdigit() || b"+-._xXoObB".contains(c);
    if !b.iter().all(numeric) {
        return false;
    }
    if b.iter().any(|c| b"_xXoObB".contains(c)) {
        return true;
    }
    // Rust's float grammar: [+-]? digits? (. digits?)? ([eE] [+-]? digits)?
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    };
    digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        digits(&mut i);
    }
    i == b.len()
}

/// Whether two keys of a map are the same text: pairwise for the small maps contracts
/// are made of, sorted beyond (a hostile map of a million keys stays n log n).
fn has_duplicate_key(entries: &[(Sp<String>, Sp<Node>)]) -> bool {
    if entries.len() <= 16 {
        return entries
            .iter()
            .enumerate()
            .any(|(i, (a, _))| entries[..i].iter().any(|(b, _)| a.value == b.value));
    }
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.value.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// A key as serde-saphyr reads it into a `String`: quoted and block keys as written,
/// plain keys only when they are words (a plain `null`, `1`, `<<` or `~` key goes the
/// serde-saphyr way).
fn key_text(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Fast<String> {
    match style {
        ScalarStyle::Plain => match scalar(text, style)? {
            Node::Str(s) if s != "<<" => Ok(s),
            _ => decline("a plain key that is not a word"),
        },
        _ => Ok(text.into_owned()),
    }
}

/// A scalar's value under serde-saphyr's rules (YAML 1.2 core schema, strict booleans),
/// for the spellings contracts use; a decline for anything else.
fn scalar(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Fast<Node> {
    if style != ScalarStyle::Plain {
        return Ok(Node::Str(text.into_owned()));
    }
    let t = text.as_ref();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Node::Null),
        "true" | "True" | "TRUE" => return Ok(Node::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Node::Bool(false)),
        _ => {}
    }
    // `.inf`, `.nan` and their signed spellings are floats (or refused) there.
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned.starts_with('.') && unsigned.bytes().any(|c| c.is_ascii_alphabetic()) {
        return decline("a dotted word");
    }
    if !could_be_a_number(t) {
        return Ok(Node::Str(text.into_owned()));
    }
    // `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: JSON's numbers, what contracts
    // write. Leading zeros (`007`), `+`, `_`, radixes, `1.`, `.5` go serde-saphyr's way.
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (digits, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let plain_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !plain_digits(int)
        || (int.len() > 1 && int.starts_with('0'))
        || !frac.is_none_or(plain_digits)
        || !exponent.is_none_or(plain_digits)
    {
        return decline("a number spelled another way");
    }
    let number = if frac.is_none() && exponent.is_none() {
        if t.starts_with('-') {
            t.parse::<i64>().ok().map(Node::Int)
        } else {
            // serde-saphyr visits u64; past i64 the tree holds a float.
            t.parse::<u64>()
                .ok()
                .map(|v| i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
        }
    } else {
        t.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Node::Float)
    };
    number.map_or_else(|| decline("a number out of range"), Ok)
}

#[cfg(test)]
mod tests {
    use super::super::parse_with_serde_saphyr;
    use super::*;
    use crate::source::SourceFile;
    use proptest::prelude::*;

    /// The same tree with the same spans (floats by their bits).
    fn same(a: &Sp<Node>, b: &Sp<Node>) -> bool {
        a.span == b.span
            && match (&a.value, &b.value) {
                (Node::Null, Node::Null) => true,
                (Node::Bool(x), Node::Bool(y)) => x == y,
                (Node::Int(x), Node::Int(y)) => x == y,
                (Node::Float(x), Node::Float(y)) => x.to_bits() == y.to_bits(),
                (Node::Str(x), Node::Str(y)) => x == y,
                (Node::Seq(x), Node::Seq(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
                }
                (Node::Map(x), Node::Map(y)) => {
                    x.len() == y.len()
                        && x.iter().zip(y).all(|((ka, va), (kb, vb))| {
                            ka.value == kb.value && ka.span == kb.span && same(va, vb)
                        })
                }
                _ => false,
            }
    }

    /// Whether the fast path took `text`; panics if it took it and disagrees.
    fn agrees(text: &str) -> bool {
        let Ok(fast) = parse(FileId(0), text) else {
            return false;
        };
        let file = SourceFile::new("t.yaml".into(), "t.yaml".into(), text.into());
        match parse_with_serde_saphyr(FileId(0), &file) {
            Ok(Some(slow)) => assert!(
                same(&fast, &slow),
                "fast path differs on {text:?}:\nfast {fast:#?}\nslow {slow:#?}"
            ),
            Ok(None) => panic!("fast path read a tree serde-saphyr does not see: {text:?}"),
            Err(e) => panic!(
                "fast path accepted what serde-saphyr refuses ({}): {text:?}",
                e.message
            ),
        }
        true
    }

    /// Every YAML file in the repository (contracts, fixtures, fuzz seeds).
    #[test]
    fn the_fast_path_agrees_with_serde_saphyr() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut stack = vec![
            root.join("contract"),
            root.join("tests/fixtures"),
            root.join("codegen/fuzz/seeds"),
        ];
        let (mut files, mut fast) = (0, 0);
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                ) {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    files += 1;
                    fast += usize::from(agrees(&text));
                }
            }
        }
        assert!(files > 100, "{files} files");
        // The example contract is plain YAML: all of it takes the fast path.
        for entry in std::fs::read_dir(root.join("contract")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                agrees(&text),
                "{} declined: {:?}",
                path.display(),
                parse(FileId(0), &text).err()
            );
        }
        assert!(
            fast * 2 > files,
            "only {fast} of {files} files took the fast path"
        );
    }

    #[cfg(feature = "testing")]
    #[test]
    fn hostile_contracts_agree() {
        let mut rng = crate::testing::hostile::Rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..200 {
            let text = if i % 2 == 0 {
                crate::testing::hostile::contract(&mut rng, i)
            } else {
                crate::testing::hostile::rich_contract(&mut rng, i)
            };
            assert!(
                agrees(&text),
                "declined a generated contract ({:?}):\n{text}",
                parse(FileId(0), &text).err()
            );
        }
    }

    #[test]
    fn corner_cases_agree_or_decline() {
        for text in [
            "a: 1\n",
            "a: -1\nb: 0\nc: 9223372036854775807\nd: 9223372036854775808\ne: -9223372036854775809\n",
            "a: 1.5\nb: -0.25\nc: 1.\nd: .5\ne: 1e3\nf: 1.0e-3\ng: .inf\nh: -.inf\ni: .nan\nj: +.nan\n",
            "a: 007\nb: 0x1F\nc: 0o17\nd: 0b101\ne: 0X1F\nf: 1_000\ng: +1\nh: -0\ni: 00.5\n",
            "a: ~\nb:\nc: null\nd: Null\ne: NULL\nf: nULL\n",
            "a: true\nb: True\nc: TRUE\nd: tRUE\ne: yes\nf: no\ng: on\nh: off\ni: y\nj: n\n",
            "a: inf\nb: nan\nc: infinity\nd: -inf\ne: NaN\n",
            "'a': \"b\"\n\"c d\": 'e''f'\n? g\n: h\n",
            "a: |\n  line\n  two\nb: >\n  folded\n  text\nc: |-\n  x\nd: >+\n  y\n\n",
            "a: plain\n  continued\n  here\nb: \"dq \\t \\u00e9\"\n",
            "a: [1, two, {b: c}, [], {}]\nd: {e: [f, g], 'h': ~}\n",
            "- a\n- - b\n  - c\n- d: e\n  f: g\n",
            "---\na: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\na: 2\n",
            "a: 1\n'a': 2\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: !custom x\n",
            "<<: {a: 1}\n",
            "? [a]\n: b\n",
            "1: a\ntrue: b\n~: c\n",
            "a: 1 # comment\n# own line\nb: 2\n",
            "a:\r\n  b: 1\r\n  c: [x, y]\r\n",
            "\u{feff}a: 1\n",
            "é: ü\n日本: 語\n",
            "a: b: c\n",
            "a: [1, 2\n",
            "a: 'unterminated\n",
            "{a: 1, b: [2, 3]}",
            "[a, b]",
            "just a scalar",
            "- 1\n- -2\n- 3.25\n- '4'\n",
            "version: 1.1.0\nwait: 2d\nat: 2024-01-01\nt: 12:30\nh: 1a\nx: 0b1\ny: 1e999\nz: -\nw: .\n",
            "a: -inf\nb: +nan\nc: 1.2.3\nd: 1-2\ne: 2e\nf: e2\ng: -e\nh: 0.\ni: -.5\n",
        ] {
            agrees(text);
        }
    }

    #[test]
    fn deep_and_wide_inputs_decline_or_agree_quickly() {
        let t = std::time::Instant::now();
        assert!(parse(FileId(0), &"[".repeat(20_000)).is_err());
        let deep = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        assert!(parse(FileId(0), &deep).is_err());
        let wide: String = (0..50_000).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(agrees(&wide));
        let dup = format!("{wide}k5: 1\n");
        assert!(parse(FileId(0), &dup).is_err());
        assert!(t.elapsed().as_secs() < 20);
    }

    fn scalar_text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "",
                "~",
                "null",
                "NULL",
                "true",
                "False",
                "yes",
                "no",
                "0",
                "-0",
                "1",
                "-1",
                "01",
                "1.5",
                "-2.25",
                "1e3",
                ".inf",
                "-.inf",
                ".nan",
                "0x10",
                "+3",
                "1_0",
                "a",
                "b c",
                "'q'",
                "\"d\\tq\"",
                "é",
                "{}",
                "[]",
                "[a, 1]",
                "{k: v}",
                "-",
                "--",
                "a#b",
                "x: y",
            ])
            .prop_map(str::to_owned),
            "[a-z0-9 ._-]{0,8}",
            any::<i64>().prop_map(|i| i.to_string()),
            any::<f64>().prop_map(|f| f.to_string()),
        ]
    }

    fn document() -> impl Strategy<Value = String> {
        let key = prop_oneof!["[a-z_][a-z0-9_]{0,6}".prop_map(|s| s), scalar_text(),];
        prop::collection::vec((key, scalar_text(), 0..3usize), 1..12).prop_map(|entries| {
            let mut s = String::new();
            for (k, v, nest) in entries {
                match nest {
                    0 => s.push_str(&format!("{k}: {v}\n")),
                    1 => s.push_str(&format!("{k}:\n  - {v}\n  - {v}\n")),
                    _ => s.push_str(&format!("{k}:\n  inner: {v}\n  other: [{v}]\n")),
                }
            }
            s
        })
    }

    proptest! {
        /// Whatever the fast path reads, serde-saphyr reads the same.
        #[test]
        fn generated_documents_agree_or_decline(text in document()) {
            agrees(&text);
        }
    }
}
