//! examples/send_order.rs, run as a newcomer would: it builds, sends through the client to
//! a recording transport, and what it sent is valid traffic for the example contract.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `cargo test` builds the examples next to the test binaries (target/debug/examples).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    debug.join("examples").join(name)
}

#[test]
fn send_order_sends_valid_traffic() {
    let out = Command::new(example("send_order"))
        .output()
        .expect("run examples/send_order (built by cargo test)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("refused before sending"), "{stderr}");
    assert!(stderr.contains("sent order_completed as event"), "{stderr}");
    let capture = out.stdout;
    assert_eq!(capture.iter().filter(|&&b| b == b'\n').count(), 2);

    let root = env!("CARGO_MANIFEST_DIR");
    let mut validate = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args([
            "validate",
            &format!("{root}/contract"),
            "-",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    validate.stdin.take().unwrap().write_all(&capture).unwrap();
    let v = validate.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v.status.code(), Some(0), "{report}");
    assert_eq!(report["records"], 2, "{report}");
    assert_eq!(report["invalid"], 0, "{report}");
}
