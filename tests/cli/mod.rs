//! Running the `trackc` binary from a CLI test over fixtures: in the workspace root,
//! without colour, its output read back as text or JSON. Shared by the test files that
//! include it with `mod cli;` (validate, simulate).
#![allow(dead_code)]

use std::process::{Command, Output};

/// `trackc ARGS` run in the workspace root with `NO_COLOR`.
pub fn trackc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("trackc runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}
