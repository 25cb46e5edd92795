//! `trackc schema`: the JSON Schema of the contract format validates real contract files
//! (as an editor would through yaml-language-server) and rejects what the checker rejects.

use std::path::Path;
use std::process::Command;

fn trackc_schema() -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn the_schema_is_valid_draft_2020_12() {
    let schema = trackc_schema();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "not a valid 2020-12 schema"
    );
}

#[test]
fn example_and_fixture_contracts_validate() {
    let validator = jsonschema::validator_for(&trackc_schema()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("contract"), &mut files);
    yaml_files(&root.join("tests/fixtures/full"), &mut files);
    assert!(files.len() > 3);
    for f in files {
        let doc = as_json(&f);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
}

#[test]
fn typos_and_misplaced_keys_are_rejected() {
    let validator = jsonschema::validator_for(&trackc_schema()).unwrap();
    let bad = [
        "events: { a: { descripton: x } }",
        "events: { a: { properties: { n: { type: string, minimum: 1 } } } }",
        "attributes: { x: { type: boolean, consent: fax } }",
        "segments: { s: { all: [ { event: a, within: 30 } ] } }",
        "workflows: { w: { trigger: { event: a }, channels: [pigeon] } }",
        "types: { T: { type: enum } }",
        // What check refuses: an empty `any`, `exists` on a count.
        "segments: { s: { any: [] } }",
        "segments: { s: { all: [ { event: a, count: { exists: true } } ] } }",
    ];
    for y in bad {
        let doc: serde_json::Value = serde_saphyr::from_str(y).unwrap();
        assert!(!validator.is_valid(&doc), "accepted: {y}");
    }
}

#[test]
fn committed_schema_matches_the_command() {
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/schemas/contract-format.schema.json"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(
        committed,
        String::from_utf8(out.stdout).unwrap(),
        "run `trackc schema > generated/schemas/contract-format.schema.json`"
    );
}

#[test]
fn markdown_format_is_a_document_around_the_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["schema", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# The trackc contract format\n"), "{md}");
    let body = md
        .split_once("```json\n")
        .and_then(|(_, rest)| rest.rsplit_once("```\n"))
        .map(|(json, _)| json)
        .expect("a fenced json block");
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(parsed, trackc_schema());
}
