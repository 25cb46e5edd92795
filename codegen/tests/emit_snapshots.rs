//! Snapshots of the JSON Schema and Markdown emitters for the example contract and the
//! type-feature fixture. Each snapshot is every file of one emitter, concatenated with a
//! `==> path <==` line before each.

use std::path::Path;

use trackc_codegen::emit::{GeneratedFile, markdown, schema};
use trackc_codegen::ir::Ir;

fn load(rel: &str) -> Ir {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    let checked = trackc_codegen::check(&dir).expect("contract folder is readable");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    checked.ir.expect("a valid contract resolves")
}

/// Vendored Mermaid, as the catalog writes it after its header and licence.
const MERMAID: &str = include_str!("../vendor/mermaid/mermaid.min.js");

fn joined(files: &[GeneratedFile]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("==> {} <==\n", f.path.display()));
        if f.path == Path::new(markdown::MERMAID_FILE) {
            // Only trackc's part is snapshotted; the rest is the vendored file, unchanged.
            let ours = f
                .contents
                .strip_suffix(MERMAID)
                .expect("the vendored Mermaid, unchanged, ends the file");
            out.push_str(ours);
            out.push_str(&format!(
                "[vendored mermaid.min.js: {} bytes]\n",
                MERMAID.len()
            ));
        } else {
            out.push_str(&f.contents);
        }
    }
    out
}

#[test]
fn example_contract_schemas() {
    insta::assert_snapshot!(joined(&schema::generate(&load("contract"))));
}

#[test]
fn example_contract_catalog() {
    insta::assert_snapshot!(joined(&markdown::generate(&load("contract"))));
}

#[test]
fn full_fixture_schemas() {
    insta::assert_snapshot!(joined(&schema::generate(&load("tests/fixtures/full"))));
}

#[test]
fn full_fixture_catalog() {
    insta::assert_snapshot!(joined(&markdown::generate(&load("tests/fixtures/full"))));
}

#[test]
fn output_is_byte_stable() {
    let ir = load("tests/fixtures/full");
    assert_eq!(schema::generate(&ir), schema::generate(&ir));
    assert_eq!(markdown::generate(&ir), markdown::generate(&ir));
    let again = load("tests/fixtures/full");
    assert_eq!(
        joined(&schema::generate(&ir)),
        joined(&schema::generate(&again))
    );
}

#[test]
fn every_file_carries_the_header() {
    for rel in ["contract", "tests/fixtures/full"] {
        let ir = load(rel);
        for f in schema::generate(&ir).iter().chain(&markdown::generate(&ir)) {
            let head: String = f.contents.chars().take(200).collect();
            assert!(
                head.contains(trackc_codegen::emit::HEADER),
                "{} has no header",
                f.path.display()
            );
            // ... as its first line, so that `generate` can remove it once it is stale.
            let name = f.path.file_name().unwrap().to_string_lossy();
            assert!(
                trackc_codegen::emit::is_generated(&name, &head),
                "{} is not recognised as generated",
                f.path.display()
            );
        }
    }
}
