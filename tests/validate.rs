//! `trackc validate`: the CLI over small NDJSON fixtures (tests/fixtures/validate/)
//! against the example contract.

mod cli;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use cli::{json, stdout, trackc};

/// HAR files, mitmproxy dumps and the CI report formats (one test binary with this one).
#[path = "validate/captures.rs"]
mod captures;

const TRAFFIC: &str = "tests/fixtures/validate/traffic.ndjson";
const VALID: &str = "tests/fixtures/validate/valid.ndjson";

#[test]
fn human_report_groups_by_event_and_code() {
    let o = trackc(&["validate", "contract", TRAFFIC]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!("validate_human", stdout(&o));
}

#[test]
fn json_report_lists_every_violation() {
    let o = trackc(&["validate", "contract", TRAFFIC, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(
        (
            v["records"].as_u64(),
            v["valid"].as_u64(),
            v["invalid"].as_u64()
        ),
        (Some(15), Some(4), Some(11))
    );
    insta::assert_json_snapshot!("validate_json", v);
    // Same answer on one core, on two, and from gzip.
    for args in [
        &[
            "validate", "contract", TRAFFIC, "--format", "json", "--jobs", "1",
        ][..],
        &[
            "validate", "contract", TRAFFIC, "--format", "json", "--jobs", "2",
        ],
        &[
            "validate",
            "contract",
            "tests/fixtures/validate/traffic.ndjson.gz",
            "--format",
            "json",
        ],
    ] {
        assert_eq!(json(&trackc(args)), v, "{args:?}");
    }
}

#[test]
fn valid_traffic_exits_zero_and_the_dir_defaults_to_contract() {
    let o = trackc(&["validate", VALID]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "5 records: 5 valid, 0 invalid (0 violations)\n");
    let o = trackc(&["validate", VALID, "--format", "json"]);
    assert_eq!(
        json(&o),
        serde_json::json!({"violations": [], "records": 5, "valid": 5, "invalid": 0})
    );
}

#[test]
fn stdin_is_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["validate", "contract", "-", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("trackc runs");
    let traffic = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(TRAFFIC)).unwrap();
    child.stdin.take().unwrap().write_all(&traffic).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let from_file = json(&trackc(&[
        "validate", "contract", TRAFFIC, "--format", "json",
    ]));
    assert_eq!(json(&o), from_file);
}

#[test]
fn unreadable_input_and_usage_errors_exit_two() {
    let o = trackc(&[
        "validate",
        "contract",
        "tests/fixtures/validate/missing.ndjson",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot read"),
        "{o:?}"
    );
    let o = trackc(&[
        "validate",
        "contract",
        "tests/fixtures/validate/missing.ndjson",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(json(&o)["error"].as_str().unwrap().contains("cannot read"));
    assert_eq!(trackc(&["validate"]).status.code(), Some(2));
    assert_eq!(trackc(&["validate", "a", "b", "c"]).status.code(), Some(2));
    assert_eq!(
        trackc(&["validate", "no-such-contract", VALID])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_broken_contract_is_reported_not_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("contract.yaml"),
        "contract: broken\nversion: \"1.0.0\"\nidentity: { id: customer_id }\nevents:\n  a: { properties: { x: NoSuchType } }\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let o = trackc(&["validate", d, VALID]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("NoSuchType"),
        "{o:?}"
    );
    let o = trackc(&["validate", d, VALID, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!json(&o)["diagnostics"].as_array().unwrap().is_empty());
}
