//! Fuzzing the loader (and everything after it) with proptest: arbitrary bytes, YAML-ish
//! text, and mutations of the example contract's own files (bytes and lines inserted,
//! deleted and replaced, lines swapped, keys swapped, indentation changed) are fed to
//! `check_sources`, and the result is rendered both ways. Nothing may panic, and every
//! case must finish quickly.
//!
//! cargo-fuzz needs a nightly toolchain; this runs on stable, in CI, with 256 cases by
//! default. Run longer with `PROPTEST_CASES=100000 cargo test -p trackc-codegen --release
//! --test fuzz_loader`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use trackc_codegen::source::{SourceFile, SourceMap};

/// Per case, with room for a loaded CI machine and a debug build.
const CASE_LIMIT: Duration = Duration::from_secs(5);

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Shrinking a slow case can take long; a finding is reported either way.
        max_shrink_time: 60_000,
        ..ProptestConfig::default()
    }
}

/// The seed corpus: every file of the example contract and of the type-feature fixture,
/// as (folder, name, text).
fn corpus() -> &'static [Vec<(String, String)>] {
    static CORPUS: OnceLock<Vec<Vec<(String, String)>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        ["contract", "tests/fixtures/full"]
            .iter()
            .map(|dir| {
                let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
                    .expect("corpus folder")
                    .map(|e| e.expect("entry").path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                    .collect();
                files.sort();
                files
                    .into_iter()
                    .map(|p| {
                        let name = format!("{dir}/{}", p.file_name().unwrap().to_string_lossy());
                        (name, std::fs::read_to_string(&p).expect("corpus file"))
                    })
                    .collect()
            })
            .collect()
    })
}

/// Check the files, render the result both ways; panics propagate, time is asserted.
fn run(files: Vec<(String, String)>) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let mut sources = SourceMap::default();
    for (name, text) in files {
        sources.add(SourceFile::new(name.clone(), PathBuf::from(name), text));
    }
    let checked = trackc_codegen::check_sources(sources);
    let human = checked.render(false);
    let _ = checked.render(true);
    let json = trackc_codegen::diag::to_json(&checked.sources, &checked.diagnostics);
    // Every diagnostic's code is its rule's registered id (codes are typed: the id is
    // looked up back from the JSON text, as a reader of the output would).
    for d in &checked.diagnostics {
        let id = d.code.id();
        prop_assert_eq!(trackc_codegen::rules::CheckRule::from_id(id), Some(d.code));
    }
    prop_assert_eq!(
        json["diagnostics"].as_array().map(Vec::len),
        Some(checked.diagnostics.len())
    );
    // An accepted contract has an IR; a rejected one says why.
    if checked.has_errors() {
        prop_assert!(human.contains("error["), "{}", human);
    }
    let elapsed = start.elapsed();
    prop_assert!(elapsed < CASE_LIMIT, "case took {:?}", elapsed);
    Ok(())
}

#[derive(Clone, Debug)]
enum Mutation {
    InsertByte(usize, u8),
    InsertText(usize, &'static str),
    DeleteBytes(usize, usize),
    ReplaceByte(usize, u8),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// Replace one word (a key or a value) by another word of the file.
    SwapWords(usize, usize),
    Indent(usize, usize),
    Dedent(usize),
}

/// Fragments that mean something to YAML or to the contract format.
const FRAGMENTS: &[&str] = &[
    ": ",
    "\n",
    "  ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "---\n",
    "...\n",
    "#",
    "\"",
    "'",
    "|\n",
    ">-\n",
    "!!str ",
    "!tag ",
    "? ",
    "\t",
    "~",
    "null",
    "true",
    "1e400",
    "-0",
    "0x1F",
    "segment: ",
    "event: ",
    "attribute: ",
    "type: ",
    "items: ",
    "values: ",
    "where: ",
    "within: 0d",
    "count: { gte: -1 }",
    "optional: true",
    "idempotency_key: ",
    "Self",
    "self",
    "über",
    "\u{feff}",
    "\r\n",
    "\u{0}",
    "lints: { unused-segment: allow }",
    "%YAML 1.2\n",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>();
    prop_oneof![
        (n, any::<u8>()).prop_map(|(i, b)| Mutation::InsertByte(i, b)),
        (n, prop::sample::select(FRAGMENTS)).prop_map(|(i, s)| Mutation::InsertText(i, s)),
        (n, 1usize..64).prop_map(|(i, l)| Mutation::DeleteBytes(i, l)),
        (n, any::<u8>()).prop_map(|(i, b)| Mutation::ReplaceByte(i, b)),
        n.prop_map(Mutation::DeleteLine),
        n.prop_map(Mutation::DuplicateLine),
        (n, n).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (n, n).prop_map(|(a, b)| Mutation::SwapWords(a, b)),
        (n, 1usize..6).prop_map(|(i, k)| Mutation::Indent(i, k)),
        n.prop_map(Mutation::Dedent),
    ]
}

/// Apply on bytes (the result may be invalid UTF-8: it is then read lossily, as a file
/// on disk would be refused; both paths are exercised by the other strategies).
fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut b: Vec<u8> = text.as_bytes().to_vec();
    for m in muts {
        let len = b.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match m {
            Mutation::InsertByte(i, x) => b.insert(at(*i), *x),
            Mutation::InsertText(i, s) => {
                let p = at(*i);
                b.splice(p..p, s.bytes());
            }
            Mutation::DeleteBytes(i, l) => {
                let p = at(*i);
                let e = (p + l).min(len);
                b.drain(p..e);
            }
            Mutation::ReplaceByte(i, x) => {
                if len > 0 {
                    b[i % len] = *x;
                }
            }
            Mutation::DeleteLine(_)
            | Mutation::DuplicateLine(_)
            | Mutation::SwapLines(..)
            | Mutation::Indent(..)
            | Mutation::Dedent(_) => {
                let s = String::from_utf8_lossy(&b).into_owned();
                let mut lines: Vec<String> = s.split('\n').map(str::to_owned).collect();
                let n = lines.len();
                match m {
                    Mutation::DeleteLine(i) => {
                        lines.remove(i % n);
                    }
                    Mutation::DuplicateLine(i) => {
                        let l = lines[i % n].clone();
                        lines.insert(i % n, l);
                    }
                    Mutation::SwapLines(a, c) => lines.swap(a % n, c % n),
                    Mutation::Indent(i, k) => lines[i % n].insert_str(0, &" ".repeat(*k)),
                    Mutation::Dedent(i) => {
                        let l = &mut lines[i % n];
                        let cut = l.len() - l.trim_start_matches(' ').len();
                        l.drain(..cut.min(2));
                    }
                    _ => unreachable!(),
                }
                b = lines.join("\n").into_bytes();
            }
            Mutation::SwapWords(a, c) => {
                let s = String::from_utf8_lossy(&b).into_owned();
                let words = words(&s);
                if words.len() >= 2 {
                    let (pos, old) = words[a % words.len()];
                    let (_, new) = words[c % words.len()];
                    let mut out = String::with_capacity(s.len());
                    out.push_str(&s[..pos]);
                    out.push_str(new);
                    out.push_str(&s[pos + old.len()..]);
                    b = out.into_bytes();
                }
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Each run of letters, digits and `_`: (byte offset, word).
fn words(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        let word_char = c.is_alphanumeric() || c == '_';
        match (start, word_char) {
            (None, true) => start = Some(i),
            (Some(st), false) => {
                out.push((st, &s[st..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes, read as text lossily.
    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        run(vec![("a.yaml".into(), String::from_utf8_lossy(&bytes).into_owned())])?;
    }

    /// Text over YAML's own alphabet, far more likely to parse into something.
    #[test]
    fn yaml_alphabet(text in "[a-z_:{}\\[\\],\\-#&*!|>'\" \n0-9.?~%@`\t]{0,1024}") {
        run(vec![("a.yaml".into(), text)])?;
    }

    /// The example contract (or the type-feature fixture) with one file mutated: the rest
    /// of the contract stays valid, so resolution and linting run on near-valid input.
    #[test]
    fn mutated_contract(
        which in 0usize..2,
        file in any::<usize>(),
        muts in prop::collection::vec(mutation(), 1..8),
    ) {
        let corpus = &corpus()[which];
        let target = file % corpus.len();
        let files = corpus
            .iter()
            .enumerate()
            .map(|(i, (name, text))| {
                let text = if i == target { apply(text, &muts) } else { text.clone() };
                (name.clone(), text)
            })
            .collect();
        run(files)?;
    }

    /// Mutations applied to every file at once, merged as one contract.
    #[test]
    fn mutated_everywhere(
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let files = corpus()[0]
            .iter()
            .map(|(name, text)| (name.clone(), apply(text, &muts)))
            .collect();
        run(files)?;
    }
}

/// Edge cases of the in-memory API itself.
#[test]
fn degenerate_source_maps() {
    // Multi-byte characters where the parser reports a one-byte span (found by the fuzz
    // test: the renderer panicked on a span ending inside a character).
    for text in [
        "",
        "\u{feff}",
        "\n\n",
        "---",
        "...",
        "~",
        "[]",
        "{}",
        "a",
        "\u{0}",
        "\u{fffd}",
        "[\u{fffd}",
        "{\u{fffd}: [",
        "a: \u{fffd}\u{fffd}\n\t- \u{fffd}",
        "ü: &ü *ü",
    ] {
        run(vec![("a.yaml".into(), text.into())]).unwrap();
    }
    // A duration ending in a multi-byte character (found by the fuzz test).
    let (name, text) = corpus()[0]
        .iter()
        .find(|(_, t)| t.contains("wait: "))
        .cloned()
        .expect("a workflow with `wait:`");
    let text: String = text
        .lines()
        .map(|l| match l.find("wait: ") {
            Some(i) => format!("{}wait: 12h\u{fffd}\n", &l[..i]),
            None => format!("{l}\n"),
        })
        .collect();
    let mut files = corpus()[0].clone();
    files.retain(|(n, _)| *n != name);
    files.push((name, text));
    run(files).unwrap();
    // The same file twice: every definition is a duplicate.
    let (name, text) = corpus()[0][0].clone();
    run(vec![(name.clone(), text.clone()), (name, text)]).unwrap();
}
