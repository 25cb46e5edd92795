//! `trackc explain`: every rule explains itself; an unknown id is a usage error with a
//! "did you mean".

use std::process::{Command, Output};

use trackc_codegen::ir::LintLevel;
use trackc_codegen::rules::{AnyRule, Family};

fn trackc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(args)
        .output()
        .expect("run trackc")
}

fn level(l: LintLevel) -> &'static str {
    match l {
        LintLevel::Allow => "allow",
        LintLevel::Warn => "warn",
        LintLevel::Deny => "deny",
    }
}

#[test]
fn every_rule_explains() {
    for r in AnyRule::all() {
        let out = trackc(&["explain", r.id()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "explain {}", r.id());
        assert!(stdout.starts_with(r.id()), "{stdout}");
        assert!(stdout.contains(r.summary()), "{}", r.id());
        assert!(stdout.contains(r.explanation()), "{}", r.id());
        let class = match r {
            AnyRule::Check(c) => c.class(),
            AnyRule::Traffic(t) => t.class(),
            AnyRule::Diff(d) => {
                let needs = format!("needs a {} bump", d.class().bump.as_str());
                assert!(stdout.contains(&needs), "{stdout}");
                continue;
            }
        };
        assert!(
            stdout.contains(&format!("{} by default", level(class.default))),
            "{}: {stdout}",
            r.id()
        );
        // Overridable rules show how to override them; the others say they cannot be.
        if class.overridable {
            assert!(
                stdout.contains(&format!("lints:\n      {}: allow", r.id())),
                "{stdout}"
            );
        } else {
            assert!(stdout.contains("cannot be lowered"), "{stdout}");
        }
    }
}

#[test]
fn every_rule_explains_as_json() {
    for r in AnyRule::all() {
        let out = trackc(&["explain", r.id(), "--format", "json"]);
        assert_eq!(out.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        // One list per family, the rule in its own.
        let key = match r.family() {
            Family::Check => "rules",
            Family::Diff => "diff_rules",
            Family::Traffic => "traffic_rules",
        };
        for list in ["rules", "diff_rules", "traffic_rules"] {
            let n = v[list].as_array().expect(list).len();
            assert_eq!(n, usize::from(list == key), "{}: {v}", r.id());
        }
        let rule = &v[key][0];
        assert_eq!(rule["id"], r.id());
        assert_eq!(rule["summary"], r.summary());
        assert_eq!(rule["explanation"], r.explanation());
        match r {
            AnyRule::Check(c) => assert_eq!(rule["overridable"], c.class().overridable),
            AnyRule::Traffic(t) => assert_eq!(rule["default"], level(t.class().default)),
            AnyRule::Diff(d) => assert_eq!(rule["bump"], d.class().bump.as_str()),
        }
    }
}

#[test]
fn explain_without_an_id_lists_every_rule() {
    let out = trackc(&["explain"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A section per family (checker, diff, traffic rules), each a heading, a blank line
    // and one rule a line.
    let listed: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.is_empty() && !l.ends_with(':'))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    let ids: Vec<&str> = AnyRule::all().map(AnyRule::id).collect();
    assert_eq!(listed, ids);
    let headings = stdout.lines().filter(|l| l.ends_with(':')).count();
    assert_eq!(headings, Family::ALL.len(), "{stdout}");
}

#[test]
fn unknown_id_is_a_usage_error_with_did_you_mean() {
    let out = trackc(&["explain", "unused-segments"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    insta::assert_snapshot!(stderr, @"error: no rule `unused-segments`; did you mean `unused-segment`? (`trackc explain` lists every rule)");

    // Far from every id: no guess, still exit 2.
    let out = trackc(&["explain", "zzzz"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no rule `zzzz`"), "{stderr}");
    assert!(!stderr.contains("did you mean"), "{stderr}");

    // JSON: one document with `error`.
    let out = trackc(&[
        "explain",
        "revenue-workflow-without-exits",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("did you mean `revenue-workflow-without-exit`?"),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    // Like `trackc explain | head -c 0`: the reader goes away before trackc writes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .arg("explain")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Either it finished writing before the pipe closed, or SIGPIPE ended it.
    assert!(
        out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
        "{:?}: {stderr}",
        out.status
    );
}
