//! One fixture per rule: `tests/fixtures/rules/<rule-id>/` is a minimal contract that
//! breaks exactly that rule. Each test runs `trackc check` on it, snapshots the human
//! output, checks the exit code (1 for deny rules, 0 for warn rules) and checks, in the
//! JSON output, that every diagnostic with the rule's code points at the offending token.
//!
//! Adding a rule to `codegen/src/rules.rs` without a fixture and a case here fails
//! `every_rule_has_a_fixture`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use trackc_codegen::ir::LintLevel;
use trackc_codegen::rules::CheckRule;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_dir(rule: &str) -> String {
    format!("tests/fixtures/rules/{rule}")
}

/// `trackc ARGS` from the repository root (so paths in the output are relative).
fn trackc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run trackc")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// One expected diagnostic: file (in the fixture folder), 1-based line and column, and
/// the text the source has at that place (the offending token).
type At = (&'static str, u64, u64, &'static str);

fn check_case(rule: &str, expected: &[At], also: &[&str]) {
    let dir = fixture_dir(rule);
    assert!(
        root().join(&dir).is_dir(),
        "missing fixture folder {dir} for rule `{rule}`"
    );
    let r = CheckRule::from_id(rule)
        .unwrap_or_else(|| panic!("`{rule}` is not a check rule"))
        .class();

    // Human output, snapshotted.
    let human = trackc(&["check", &dir, "--color", "never"]);
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let want = if r.default == LintLevel::Deny { 1 } else { 0 };
    assert_eq!(
        human.status.code(),
        Some(want),
        "exit code for `{rule}` ({:?} by default):\n{stderr}",
        r.default
    );
    assert!(
        stderr.contains(&format!("[{rule}]")),
        "no `{rule}` diagnostic in:\n{stderr}"
    );
    insta::with_settings!({ snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(rule, stderr);
    });

    // JSON output: the same exit code, and every diagnostic of the rule where expected.
    let out = trackc(&["check", &dir, "--format", "json"]);
    assert_eq!(out.status.code(), Some(want));
    let v = json(&out);
    let diags = v["diagnostics"].as_array().expect("diagnostics array");
    let mut found = Vec::new();
    for d in diags {
        let code = d["code"].as_str().expect("code");
        if code == rule {
            let sev = if r.default == LintLevel::Deny {
                "error"
            } else {
                "warning"
            };
            assert_eq!(d["severity"], sev, "{d}");
            found.push((
                d["file"].as_str().expect("file").to_owned(),
                d["line"].as_u64().expect("line"),
                d["column"].as_u64().expect("column"),
            ));
        } else {
            // Fixtures are otherwise clean: nothing else, unless listed.
            assert!(
                also.contains(&code),
                "fixture for `{rule}` also reports `{code}`: {d}"
            );
        }
    }
    let want_at: Vec<(String, u64, u64)> = expected
        .iter()
        .map(|(f, l, c, _)| (format!("{dir}/{f}"), *l, *c))
        .collect();
    assert_eq!(found, want_at, "locations of `{rule}` diagnostics");

    // Each location is the offending token in the source.
    for (file, line, col, token) in expected {
        let text = std::fs::read_to_string(root().join(&dir).join(file)).expect("read fixture");
        let l = text
            .lines()
            .nth(*line as usize - 1)
            .unwrap_or_else(|| panic!("{file} has no line {line}"));
        let at: String = l.chars().skip(*col as usize - 1).collect();
        assert!(
            at.starts_with(token),
            "`{rule}` at {file}:{line}:{col} points at `{at}`, expected `{token}`"
        );
    }
}

macro_rules! cases {
    ($($name:ident: $rule:literal => [$($at:expr),* $(,)?] $(also [$($also:literal),*])?;)*) => {
        /// Every rule with a case below.
        const COVERED: &[&str] = &[$($rule),*];
        $(
            #[test]
            fn $name() {
                check_case($rule, &[$($at),*], &[$($($also),*)?]);
            }
        )*
    };
}

cases! {
    yaml_syntax: "yaml-syntax" => [("events.yaml", 4, 5, "description: Again.")];
    unknown_key: "unknown-key" => [("contract.yaml", 7, 5, "descripton")];
    invalid_value: "invalid-value" => [("contract.yaml", 9, 11, "revenu")];
    invalid_duration: "invalid-duration" => [("contract.yaml", 10, 11, "30")];
    missing_section: "missing-section" => [("contract.yaml", 1, 1, "contract:")];
    invalid_version: "invalid-version" => [("contract.yaml", 2, 10, "\"1.0\"")];
    duplicate_definition: "duplicate-definition" => [("b.yaml", 2, 3, "signed_up:")];
    unknown_type: "unknown-type" => [("contract.yaml", 8, 13, "strng")];
    type_cycle: "type-cycle" => [("contract.yaml", 10, 3, "Department:")];
    unknown_event: "unknown-event" => [("contract.yaml", 9, 23, "signed_in")];
    unknown_attribute: "unknown-attribute" => [("contract.yaml", 13, 20, "is_vipp")];
    unknown_segment: "unknown-segment" => [("contract.yaml", 10, 16, "newcomers")];
    unknown_property: "unknown-property" => [("contract.yaml", 14, 9, "plann")];
    invalid_enum_value: "invalid-enum-value" => [("contract.yaml", 18, 25, "\"Pro Plan\"")];
    operator_type_mismatch: "operator-type-mismatch" => [("contract.yaml", 14, 18, "contains: 3")];
    segment_cycle: "segment-cycle" => [("contract.yaml", 8, 9, "segment: loyal")];
    invalid_pattern: "invalid-pattern" => [("contract.yaml", 8, 40, "\"[A-Z\"")];
    invalid_bounds: "invalid-bounds" => [("contract.yaml", 8, 53, "1 }")];
    invalid_example: "invalid-example" => [("contract.yaml", 8, 7, "seats:")];
    naming_convention: "naming-convention" => [("contract.yaml", 6, 3, "SignedUp")];
    // Cross-file (event `option` / type `Option`), same struct (`cart_value` /
    // `cartValue`, which also is not snake_case) and enum values (`self` / `Self`).
    identifier_collision: "identifier-collision" => [
        ("contract.yaml", 6, 3, "option:"),
        ("contract.yaml", 10, 7, "cartValue"),
        ("types.yaml", 12, 20, "Self]"),
    ] also ["naming-convention"];
    identity_is_contact: "identity-is-contact" => [("contract.yaml", 4, 7, "email")];
    invalid_idempotency_key: "invalid-idempotency-key" => [("contract.yaml", 7, 22, "signup_id")];
    revenue_without_idempotency_key: "revenue-without-idempotency-key" => [("contract.yaml", 6, 3, "donation_made:")];
    revenue_workflow_without_exit: "revenue-workflow-without-exit" => [("contract.yaml", 8, 3, "upsell:")];
    channel_without_consent: "channel-without-consent" => [("contract.yaml", 10, 3, "welcome:")];
    backfill_trigger: "backfill-trigger" => [("contract.yaml", 9, 3, "welcome:")];
    consent_not_boolean: "consent-not-boolean" => [("contract.yaml", 6, 19, "type: string")];
    // Generated by tests/fixtures/rules/customerio-limit/generate.py.
    customerio_limit: "customerio-limit" => [
        ("contract.yaml", 6, 3, "newsletter_preferences_updated_"),
        ("contract.yaml", 308, 3, "attribute_301:"),
        ("contract.yaml", 310, 3, "preferred_contact_window_"),
    ];
    non_scalar_attribute: "non-scalar-attribute" => [("contract.yaml", 6, 21, "type: array")];
    inconsistent_property: "inconsistent-property" => [("contract.yaml", 8, 14, "integer")];
    duplicate_inline_enum: "duplicate-inline-enum" => [("contract.yaml", 8, 15, "type: enum")];
    missing_items: "missing-items" => [("contract.yaml", 6, 3, "cart_updated:")];
    pii_unmarked: "pii-unmarked" => [("contract.yaml", 6, 3, "email:")];
    deprecated_reference: "deprecated-reference" => [("contract.yaml", 10, 3, "welcome:")];
    unused_segment: "unused-segment" => [("contract.yaml", 8, 3, "newcomers:")];
    unknown_lint: "unknown-lint" => [
        ("contract.yaml", 6, 3, "unused-segments: allow"),
        ("contract.yaml", 7, 17, "warn"),
    ];
}

#[test]
fn every_rule_has_a_fixture() {
    let ids: BTreeSet<&str> = CheckRule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), CheckRule::ALL.len(), "duplicate check rule ids");
    let covered: BTreeSet<&str> = COVERED.iter().copied().collect();
    let missing: Vec<_> = ids.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "rules without a case in tests/check_rules.rs: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&ids).collect();
    assert!(unknown.is_empty(), "cases for unknown rules: {unknown:?}");
    let folders: BTreeSet<String> = std::fs::read_dir(root().join("tests/fixtures/rules"))
        .expect("tests/fixtures/rules")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for id in &ids {
        assert!(folders.contains(*id), "no fixture folder for `{id}`");
    }
    for f in &folders {
        assert!(
            ids.contains(f.as_str()),
            "tests/fixtures/rules/{f} is not a rule id"
        );
    }
}

/// Diagnostics that concern two places show both: in the human output and as
/// `related` in JSON.
#[test]
fn two_place_diagnostics_show_both() {
    let related = |rule: &str, code: &str| -> Vec<(String, u64, u64)> {
        let v = json(&trackc(&["check", &fixture_dir(rule), "--format", "json"]));
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == code)
            .flat_map(|d| d["related"].as_array().cloned().unwrap_or_default())
            .map(|r| {
                (
                    r["file"].as_str().unwrap().to_owned(),
                    r["line"].as_u64().unwrap(),
                    r["column"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let dir = fixture_dir("duplicate-definition");
    assert_eq!(
        related("duplicate-definition", "duplicate-definition"),
        vec![(format!("{dir}/a.yaml"), 6, 3)]
    );
    let dir = fixture_dir("identifier-collision");
    assert_eq!(
        related("identifier-collision", "identifier-collision"),
        vec![
            (format!("{dir}/types.yaml"), 2, 3),
            (format!("{dir}/contract.yaml"), 9, 7),
            (format!("{dir}/types.yaml"), 12, 14),
        ]
    );
}

/// The example contract and the type-feature fixture check clean (warnings allowed).
#[test]
fn example_contracts_pass() {
    for dir in ["contract", "tests/fixtures/full"] {
        let out = trackc(&["check", dir, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{dir}");
        let v = json(&out);
        for d in v["diagnostics"].as_array().unwrap() {
            assert_eq!(d["severity"], "warning", "{dir}: {d}");
        }
    }
}

// ---- `lints:` overrides ------------------------------------------------------------

/// A copy of a rule fixture with a `lints:` section appended, in a temporary folder.
fn with_lints(rule: &str, lints: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("contract");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(root().join(fixture_dir(rule))).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    std::fs::write(dir.join("zz_lints.yaml"), format!("lints:\n{lints}")).unwrap();
    (tmp, dir)
}

fn check_json(dir: &Path) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let v = json(&out);
    (
        out.status.code(),
        v["diagnostics"].as_array().unwrap().clone(),
    )
}

#[test]
fn lints_raise_a_warning_to_an_error() {
    let (_t, dir) = with_lints("unused-segment", "  unused-segment: deny\n");
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(1));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "unused-segment");
    assert_eq!(diags[0]["severity"], "error");
}

#[test]
fn lints_allow_silences_a_rule() {
    let (_t, dir) = with_lints("unused-segment", "  unused-segment: allow\n");
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(0));
    assert!(diags.is_empty(), "{diags:?}");
    // And the human output says nothing but `ok`.
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["check", "--color", "never"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("ok: rule-fixture 1.0.0"), "{stderr}");
}

#[test]
fn lints_lower_an_overridable_deny_rule() {
    let (_t, dir) = with_lints(
        "revenue-workflow-without-exit",
        "  revenue-workflow-without-exit: warn\n",
    );
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(0));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["severity"], "warning");
}

#[test]
fn lints_cannot_lower_a_structural_rule() {
    // `unknown-type` cannot be lowered: the override is refused and the rule still fires.
    let (_t, dir) = with_lints("unknown-type", "  unknown-type: allow\n");
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(1));
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unknown-type", "unknown-lint"], "{diags:?}");
    let lint = &diags[1];
    assert_eq!(lint["severity"], "error");
    assert_eq!(lint["message"], "rule `unknown-type` cannot be lowered");
    assert_eq!(
        (lint["line"].as_u64(), lint["column"].as_u64()),
        (Some(2), Some(17))
    );
}

// ---- one diagnostic per mistake ---------------------------------------------------

/// A contract in a temporary folder.
fn contract(yaml: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("contract");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("contract.yaml"), yaml).unwrap();
    (tmp, dir)
}

const REVENUE_WORKFLOW: &str = "contract: c\nversion: \"1.0.0\"\nidentity:\n  id: customer_id\n\
events:\n  signed_up: {}\nworkflows:\n  upsell:\n    goal: revenue\n    trigger: { event: signed_up }\n";

#[test]
fn unknown_exit_event_is_not_also_a_missing_exit() {
    // The workflow has an exit; its event is misspelt. That is one mistake, reported once.
    let (_t, dir) = contract(&format!(
        "{REVENUE_WORKFLOW}    exit_when: [{{ event: order_complete }}]\n"
    ));
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(1));
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unknown-event"], "{diags:?}");
}

#[test]
fn empty_exit_list_is_a_missing_exit() {
    let (_t, dir) = contract(&format!("{REVENUE_WORKFLOW}    exit_when: []\n"));
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(1));
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["revenue-workflow-without-exit"], "{diags:?}");
}

#[test]
fn duplicate_inline_enum_needs_the_same_values_in_the_same_order() {
    let (_t, dir) = contract(
        r#"contract: c
version: "1.0.0"
identity:
  id: customer_id
events:
  a:
    properties:
      tier: { type: enum, values: [free, pro] }
  b:
    properties:
      tier: { type: enum, values: [pro, free] }
      level: { type: enum, values: [free, pro, team] }
"#,
    );
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(0));
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn duplicate_inline_enum_points_at_an_existing_named_type() {
    let (_t, dir) = contract(
        r#"contract: c
version: "1.0.0"
identity:
  id: customer_id
types:
  Tier: { type: enum, values: [free, pro] }
events:
  a:
    properties:
      tier: { type: enum, values: [free, pro] }
  b:
    properties:
      tier: { type: enum, values: [free, pro] }
"#,
    );
    let (code, diags) = check_json(&dir);
    assert_eq!(code, Some(0));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "duplicate-inline-enum");
    assert!(
        diags[0]
            .to_string()
            .contains("write `type: Tier` in each place"),
        "{}",
        diags[0]
    );
}

// ---- `--format json` -----------------------------------------------------------------

#[test]
fn json_output_has_the_documented_shape() {
    // Errors and warnings, across two files.
    let out = trackc(&[
        "check",
        &fixture_dir("identifier-collision"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "JSON mode prints nothing on stderr");
    let v = json(&out);
    let top = v.as_object().expect("an object");
    assert_eq!(
        top.keys().collect::<Vec<_>>(),
        ["diagnostics"],
        "one key at the top"
    );
    let diags = v["diagnostics"].as_array().expect("an array");
    assert!(diags.len() >= 2);
    let mut severities = BTreeSet::new();
    for d in diags {
        let d = d.as_object().expect("each diagnostic is an object");
        for key in ["severity", "code", "message", "file", "line", "column"] {
            assert!(d.contains_key(key), "`{key}` missing in {d:?}");
        }
        for key in d.keys() {
            assert!(
                [
                    "severity", "code", "message", "file", "line", "column", "help", "related"
                ]
                .contains(&key.as_str()),
                "undocumented key `{key}`"
            );
        }
        let sev = d["severity"].as_str().expect("severity is a string");
        assert!(["error", "warning"].contains(&sev));
        severities.insert(sev.to_owned());
        assert!(CheckRule::from_id(d["code"].as_str().expect("code is a string")).is_some());
        assert!(!d["message"].as_str().expect("message").is_empty());
        assert!(d["file"].as_str().expect("file").ends_with(".yaml"));
        assert!(d["line"].as_u64().expect("line is a number") >= 1);
        assert!(d["column"].as_u64().expect("column is a number") >= 1);
    }
    assert_eq!(severities.len(), 2, "both severities appear");

    // A clean contract: an empty list.
    let out = trackc(&["check", "tests/fixtures/full", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert!(v["diagnostics"].is_array());

    // Usage and IO problems: exit 2 and one JSON document with `error`.
    let out = trackc(&["check", "tests/fixtures/no-such-folder", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["error"].as_str().unwrap().contains("does not exist"),
        "{v}"
    );
}

/// Conditions whose meaning the docs cannot give are refused: `count: { exists: .. }` (a
/// count is never missing) and an empty `any` ("at least one of none"), each at its token.
#[test]
fn a_count_exists_and_an_empty_any_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("contract.yaml"),
        "contract: rule-fixture\nversion: \"1.0.0\"\nidentity:\n  id: customer_id\nevents:\n  signed_up: {}\n\
         segments:\n  counted:\n    all:\n      - event: signed_up\n        count: { exists: true }\n  nobody:\n    all:\n      - event: signed_up\n    any: []\n",
    )
    .unwrap();
    let out = trackc(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let found: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "operator-type-mismatch");
    assert_eq!(found[0].1, 11);
    assert!(found[0].2.contains("count"), "{found:?}");
    assert_eq!(found[1].0, "invalid-value");
    assert_eq!(found[1].1, 15);
    assert!(found[1].2.contains("`any` lists no condition"), "{found:?}");
}
