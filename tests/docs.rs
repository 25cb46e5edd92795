//! The user guide (docs/) shows only what trackc accepts: every ```yaml block in it is
//! loaded by the checker. A block without `contract:` gets a header (name, version,
//! identity) and must check with no errors; a block marked ```yaml fragment is a piece of
//! a larger contract and must load with no error other than references it does not define;
//! ```yaml not-a-contract marks another tool's file (a CI workflow).

use std::path::Path;

use trackc_codegen::diag::Severity;
use trackc_codegen::source::{SourceFile, SourceMap};

const HEADER: &str = "contract: docs-snippet\nversion: \"1.0.0\"\nidentity:\n  id: customer_id\n";

/// Rules a fragment may break: it refers to names defined elsewhere in a contract.
const REFERENCE_RULES: &[&str] = &[
    "unknown-type",
    "unknown-event",
    "unknown-attribute",
    "unknown-segment",
    "unknown-property",
];

struct Block {
    file: String,
    line: usize,
    fragment: bool,
    text: String,
}

fn yaml_blocks(dir: &Path) -> Vec<Block> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines().enumerate();
        while let Some((n, line)) = lines.next() {
            let Some(info) = line.trim_start().strip_prefix("```") else {
                continue;
            };
            let mut words = info.split_whitespace();
            let lang = words.next().unwrap_or("");
            let marks: Vec<&str> = words.collect();
            let fragment = marks.contains(&"fragment");
            // A YAML file of another tool (a CI workflow): not a contract.
            let other_tool = marks.contains(&"not-a-contract");
            let mut body = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            if lang == "yaml" && !other_tool {
                out.push(Block {
                    file: path.file_name().unwrap().to_string_lossy().into_owned(),
                    line: n + 1,
                    fragment,
                    text: body,
                });
            }
        }
    }
    out
}

#[test]
fn every_yaml_example_in_the_guide_loads() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let blocks = yaml_blocks(&docs);
    assert!(
        blocks.len() >= 8,
        "expected the guide's examples, found {}",
        blocks.len()
    );
    let mut failures = Vec::new();
    for b in &blocks {
        let text = if b.text.contains("\ncontract:") || b.text.starts_with("contract:") {
            b.text.clone()
        } else {
            format!("{HEADER}{}", b.text)
        };
        let mut map = SourceMap::default();
        let name = format!("{}:{}", b.file, b.line);
        map.add(SourceFile::new(name.clone(), name.into(), text));
        let checked = trackc_codegen::check_sources(map);
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter(|d| !(b.fragment && REFERENCE_RULES.contains(&d.code.id())))
            .collect();
        if !errors.is_empty() {
            failures.push(format!(
                "{}:{} ({}):\n{}",
                b.file,
                b.line,
                if b.fragment { "fragment" } else { "contract" },
                checked.render(false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_guide_links_only_inside_the_repository() {
    // Relative links must resolve; the README and the guide point at nothing outside.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bad = Vec::new();
    let mut pages: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.push(root.join("README.md"));
    pages.push(root.join("CONTRIBUTING.md"));
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            let target = &rest[..end];
            rest = &rest[end..];
            if target.starts_with("http://") || target.starts_with("https://") {
                continue; // external sites are allowed; files outside the repo are not
            }
            let file = target.split('#').next().unwrap();
            if file.is_empty() {
                continue;
            }
            let resolved = page.parent().unwrap().join(file);
            let inside = resolved
                .canonicalize()
                .map(|p| p.starts_with(root.canonicalize().unwrap()))
                .unwrap_or(false);
            if !inside {
                bad.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "links that do not resolve inside the repository:\n{}",
        bad.join("\n")
    );
}
