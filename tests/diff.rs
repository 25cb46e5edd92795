//! `trackc diff`: one fixture pair per diff rule (snapshotted), scenarios (renames, the
//! version gate), git `REF:PATH` inputs in a temporary repository, and the CLI contract.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use trackc_codegen::diff::{self, DiffRule, Sources, input};

const FIXTURES: &str = "tests/fixtures/diff";

/// Diff a fixture pair through the library: the JSON report.
fn diff_pair(dir: &Path) -> serde_json::Value {
    let load = |side: &str| {
        let sources = input::read(dir.join(side).to_str().unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let checked = trackc_codegen::check_sources(sources);
        assert!(
            !checked.has_errors(),
            "{}/{side} has errors:\n{}",
            dir.display(),
            checked.render(false)
        );
        checked
    };
    let (old, new) = (load("old"), load("new"));
    let report = diff::diff(old.ir.as_ref().unwrap(), new.ir.as_ref().unwrap());
    report.to_json(&Sources {
        old: &old.sources,
        new: &new.sources,
    })
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

fn pair_dirs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("fixtures/diff/_snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn every_rule_has_a_fixture_pair_that_produces_it() {
    let dirs = pair_dirs(Path::new(FIXTURES));
    let names: Vec<&str> = dirs.iter().map(|(n, _)| n.as_str()).collect();
    for rule in DiffRule::ALL {
        assert!(
            names.contains(&rule.id()),
            "diff rule `{rule}` has no fixture pair in {FIXTURES}/{rule}/{{old,new}}",
        );
    }
    for (name, _) in &dirs {
        assert!(
            name.starts_with('_') || DiffRule::from_id(name).is_some(),
            "{FIXTURES}/{name} is not a diff rule id (scenarios go under `_scenarios/`)"
        );
    }
    let mut ids: Vec<&str> = DiffRule::ALL.iter().map(|r| r.id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), DiffRule::ALL.len(), "diff rule ids are unique");
}

#[test]
fn rule_fixture_pairs() {
    let settings = snapshot_settings();
    for (name, dir) in pair_dirs(Path::new(FIXTURES)) {
        if name.starts_with('_') {
            continue;
        }
        let report = diff_pair(&dir);
        assert!(
            codes(&report).contains(&name),
            "the `{name}` pair does not produce `{name}`: {:?}",
            codes(&report)
        );
        settings.bind(|| insta::assert_json_snapshot!(name.clone(), report));
    }
}

#[test]
fn scenario_pairs() {
    let settings = snapshot_settings();
    for (name, dir) in pair_dirs(&Path::new(FIXTURES).join("_scenarios")) {
        let report = diff_pair(&dir);
        settings.bind(|| insta::assert_json_snapshot!(format!("scenario-{name}"), report));
    }
}

/// Conditions are compared by meaning, not by how they print: `within: 1h` rewritten as
/// `within: 60m` is no change (it was reported as a breaking `segment-condition-changed`
/// when conditions were matched by their rendered text).
#[test]
fn a_condition_written_another_way_is_no_change() {
    let report = diff_pair(&Path::new(FIXTURES).join("_scenarios/condition-same-meaning"));
    assert_eq!(codes(&report), Vec::<String>::new(), "{report}");
    assert_eq!(report["ok"], true);
}

#[test]
fn renames_are_hinted_both_ways() {
    let report = diff_pair(&Path::new(FIXTURES).join("_scenarios/rename-event"));
    let hints: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["hint"].as_str())
        .collect();
    assert!(
        hints
            .iter()
            .any(|h| h.contains("renamed to `page_visited`"))
    );
    assert!(hints.iter().any(|h| h.contains("rename of `page_viewed`")));
}

#[test]
fn version_gate() {
    let gate = |name: &str| {
        let r = diff_pair(&Path::new(FIXTURES).join("_scenarios").join(name));
        (
            r["required_bump"].as_str().unwrap().to_owned(),
            r["declared_bump"].as_str().unwrap().to_owned(),
            r["ok"].as_bool().unwrap(),
        )
    };
    let s = |a: &str, b: &str, ok| (a.to_owned(), b.to_owned(), ok);
    assert_eq!(gate("no-change"), s("none", "none", true));
    assert_eq!(gate("gate-breaking-with-major"), s("major", "major", true));
    assert_eq!(gate("gate-breaking-with-minor"), s("major", "minor", false));
    assert_eq!(gate("gate-additive-with-minor"), s("minor", "minor", true));
    assert_eq!(gate("gate-docs-with-patch"), s("patch", "patch", true));
    assert_eq!(gate("gate-pre1-minor-is-major"), s("major", "major", true));
    assert_eq!(gate("gate-pre1-patch-is-minor"), s("major", "minor", false));
    // An additive change with no bump fails the gate.
    let r = diff_pair(&Path::new(FIXTURES).join("event-added"));
    assert_eq!(r["ok"], false);
    assert_eq!(r["breaking"], false);
}

// The CLI ------------------------------------------------------------------------------

fn trackc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run trackc");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cli_exit_codes_and_formats() {
    let pair = |name: &str, side: &str| format!("{FIXTURES}/{name}/{side}");
    let (code, out, _) = trackc(
        &root(),
        &[
            "diff",
            &pair("_scenarios/no-change", "old"),
            &pair("_scenarios/no-change", "new"),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = trackc(
        &root(),
        &[
            "diff",
            &pair("_scenarios/gate-breaking-with-major", "old"),
            &pair("_scenarios/gate-breaking-with-major", "new"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "a breaking change with a major bump passes: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["breaking"], true);
    assert_eq!(v["required_bump"], "major");
    for key in ["code", "message", "breaks", "impacts"] {
        assert!(v["changes"][0].get(key).is_some(), "{key} in {v}");
    }

    let (code, out, _) = trackc(
        &root(),
        &[
            "diff",
            &pair("segment-widened", "old"),
            &pair("segment-widened", "new"),
            "--format",
            "markdown",
        ],
    );
    assert_eq!(code, 1);
    snapshot_settings().bind(|| insta::assert_snapshot!("cli-markdown-segment-widened", out));
    let (code, out, _) = trackc(
        &root(),
        &[
            "diff",
            &pair("constraint-tightened", "old"),
            &pair("constraint-tightened", "new"),
            "--color",
            "never",
        ],
    );
    assert_eq!(code, 1);
    snapshot_settings().bind(|| insta::assert_snapshot!("cli-human-constraint-tightened", out));

    // Usage and IO: exit 2.
    let (code, _, err) = trackc(
        &root(),
        &["diff", "no/such/dir", &pair("event-added", "new")],
    );
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = trackc(
        &root(),
        &["diff", "no/such/dir", "also/missing", "--format", "json"],
    );
    assert_eq!(code, 2);
    assert!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["error"].is_string());

    // Rules are explained.
    let (code, out, _) = trackc(&root(), &["diff", "--explain"]);
    assert_eq!(code, 0);
    // A legend of the BREAKS column (one line per value), a blank line, one line per rule.
    assert_eq!(out.lines().count(), 4 + 1 + DiffRule::ALL.len(), "{out}");
    for b in ["producers", "consumers", "both", "none"] {
        assert!(
            out.contains(&format!("breaks {b:9}  ")),
            "{b} undefined in:\n{out}"
        );
    }
    assert!(
        out.contains("breaks both       producers (code that sends the event) and consumers"),
        "{out}"
    );
    let (code, out, _) = trackc(&root(), &["diff", "--explain", "workflow-exit-removed"]);
    assert_eq!(code, 0);
    assert!(out.contains("Suppression weakened"));
    assert!(
        out.contains("\nbreaks consumers: consumers (segments, workflows, reports"),
        "{out}"
    );
    let (code, out, _) = trackc(&root(), &["diff", "--explain", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["breaks"]["both"]
            .as_str()
            .is_some_and(|m| m.contains("producers") && m.contains("consumers")),
        "{v}"
    );
    let (code, _, _) = trackc(&root(), &["diff", "--explain", "no-such-rule"]);
    assert_eq!(code, 2);
}

/// A change that breaks Rust code built on the generated types says so in every format,
/// also where `breaks` names only consumers (issue 17.4); one that does not, does not.
#[test]
fn changes_that_break_rust_producers_say_so() {
    let pair = |rule: &str, side: &str| format!("{FIXTURES}/{rule}/{side}");
    let run = |rule: &str, format: &str| {
        let args = [
            "diff",
            &pair(rule, "old"),
            &pair(rule, "new"),
            "--format",
            format,
        ];
        trackc(&root(), &args).1
    };
    let human = run("property-now-optional", "human");
    assert!(
        human.contains("property-now-optional (breaks consumers; breaks Rust producers)"),
        "{human}"
    );
    assert!(
        human.contains("Breaks Rust producers: code built on"),
        "{human}"
    );
    let md = run("property-now-optional", "markdown");
    assert!(md.contains("| consumers; breaks Rust producers |"), "{md}");
    assert!(md.contains("Breaks Rust producers: code built on"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&run("property-now-optional", "json")).unwrap();
    assert_eq!(json["changes"][0]["rust"], "breaks");
    let human = run("deprecation-changed", "human");
    assert!(
        human.contains("deprecation-changed (warns Rust producers)"),
        "{human}"
    );
    for rule in ["property-added", "enum-value-added"] {
        let human = run(rule, "human");
        assert!(!human.contains("Rust producers"), "{human}");
        let json: serde_json::Value = serde_json::from_str(&run(rule, "json")).unwrap();
        assert!(json["changes"][0].get("rust").is_none(), "{json}");
    }
}

#[test]
fn verdict_counts_only_the_changes_that_need_the_required_bump() {
    // 4 major changes and 1 minor one: the major bump is needed by 4 of them, not 5.
    let pair = |side: &str| format!("{FIXTURES}/_scenarios/enum-value-removed-read/{side}");
    let (code, out, _) = trackc(
        &root(),
        &["diff", &pair("old"), &pair("new"), "--color", "never"],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("ok: 4 of 5 changes need a major bump; 1.0.0 → 2.0.0 declares major"),
        "{out}"
    );
    let (code, out, _) = trackc(
        &root(),
        &["diff", &pair("old"), &pair("new"), "--format", "markdown"],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("trackc diff: 4 of 5 changes need a major bump; 1.0.0 → 2.0.0"),
        "{out}"
    );
    // One major and one minor change: singular verb.
    let pair = |side: &str| format!("{FIXTURES}/_scenarios/rename-event/{side}");
    let (_, out, _) = trackc(
        &root(),
        &["diff", &pair("old"), &pair("new"), "--color", "never"],
    );
    assert!(out.contains("1 of 2 changes needs a major bump"), "{out}");
}

#[test]
fn cli_invalid_contract_is_exit_1_with_its_diagnostics() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "contract: x\nversion: \"1.0.0\"\nidentity: { id: customer_id }\nevents:\n  a:\n    properties:\n      b: nosuchtype\n",
    )
    .unwrap();
    let good = root().join(FIXTURES).join("event-added/old");
    let (code, out, _) = trackc(
        &root(),
        &[
            "diff",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["side"], "new");
    assert_eq!(v["diagnostics"][0]["code"], "unknown-type");
    let (code, _, err) = trackc(
        &root(),
        &["diff", bad.to_str().unwrap(), good.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("unknown-type") && err.contains("the old contract"),
        "{err}"
    );
}

// Git inputs -----------------------------------------------------------------------------

use support::git;

/// The base contract split over two files, plus files the loader must skip.
fn write_contract(dir: &Path, text: &str) {
    let contract = dir.join("contract");
    std::fs::create_dir_all(contract.join(".hidden")).unwrap();
    let at = text.find("\nsegments:\n").unwrap();
    std::fs::write(contract.join("a.yaml"), &text[..at + 1]).unwrap();
    std::fs::write(contract.join("b.yml"), &text[at + 1..]).unwrap();
    std::fs::write(contract.join("README.md"), "not a contract file").unwrap();
    std::fs::write(contract.join(".hidden/x.yaml"), "not: [valid").unwrap();
}

#[test]
fn a_bare_revision_is_hinted_to_name_a_folder_inside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q"]);
    let text = std::fs::read_to_string(root().join(FIXTURES).join("event-added/old/contract.yaml"))
        .unwrap();
    write_contract(repo, &text);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "v1"]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", "v2"]);

    let (code, _, err) = trackc(repo, &["diff", "HEAD~1", "HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "`HEAD~1` is a git revision; name the contract folder inside it: `HEAD~1:contract`"
        ),
        "{err}"
    );
    let (code, out, _) = trackc(
        repo,
        &["diff", "HEAD~1:contract", "HEAD", "--format", "json"],
    );
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["error"].as_str().unwrap().contains("`HEAD:contract`"),
        "{v}"
    );
    // A missing path that is no revision gets no hint; nor does text git would take as
    // an option.
    for missing in ["no-such-folder", "--all"] {
        let (code, _, err) = trackc(repo, &["diff", "--", "contract", missing]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("does not exist"), "{err}");
        assert!(!err.contains("git revision"), "{err}");
    }
}

#[test]
fn git_ref_inputs_in_a_temporary_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q"]);
    let fixture = |name: &str, side: &str| {
        std::fs::read_to_string(
            root()
                .join(FIXTURES)
                .join(name)
                .join(side)
                .join("contract.yaml"),
        )
        .unwrap()
    };
    write_contract(repo, &fixture("constraint-tightened", "old"));
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "v1"]);

    // Unchanged: exit 0, no changes.
    let (code, out, err) = trackc(
        repo,
        &["diff", "HEAD:contract", "contract", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));

    // Tighten constraints without a bump: exit 1, located in the working tree and in git.
    write_contract(repo, &fixture("constraint-tightened", "new"));
    let (code, out, err) = trackc(
        repo,
        &["diff", "HEAD:contract", "contract", "--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["required_bump"], "major");
    assert!(codes(&v).iter().all(|c| c == "constraint-tightened"));
    assert_eq!(codes(&v).len(), 5);

    // With a major bump it passes.
    let bumped =
        fixture("constraint-tightened", "new").replace("version: \"1.0.0\"", "version: \"2.0.0\"");
    write_contract(repo, &bumped);
    let (code, out, _) = trackc(repo, &["diff", "HEAD:contract", "contract"]);
    assert_eq!(code, 0, "{out}");

    // Both sides from git; the removal is located in the old commit's file.
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "v2"]);
    let (code, out, err) = trackc(
        repo,
        &[
            "diff",
            "HEAD~1:contract",
            "HEAD:contract",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["declared_bump"], "major");
    assert!(
        v["changes"][0]["file"]
            .as_str()
            .unwrap()
            .starts_with("HEAD:contract/")
    );

    // The library reads git from another directory too.
    let sources = input::read_in("HEAD~1:contract", repo).unwrap();
    let names: Vec<String> = sources.files().map(|(_, f)| f.name.clone()).collect();
    assert_eq!(names, ["HEAD~1:contract/a.yaml", "HEAD~1:contract/b.yml"]);

    // Usage errors: a bad ref, a missing path, a tree without YAML.
    for spec in [
        "nosuchref:contract",
        "HEAD:nosuchdir",
        "HEAD:contract/README.md",
    ] {
        let (code, _, err) = trackc(repo, &["diff", spec, "contract"]);
        assert_eq!(code, 2, "{spec}: {err}");
        assert!(err.contains(spec), "{spec}: {err}");
    }
}

/// The example contract's own history: every committed version reads and diffs.
#[test]
fn example_contract_history() {
    let root = root();
    let is_repo = Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(&root)
        .output()
        .is_ok_and(|o| o.status.success());
    if !is_repo {
        eprintln!("not a git checkout; skipping");
        return;
    }
    let (code, out, err) = trackc(
        &root,
        &["diff", "HEAD:contract", "HEAD:contract", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));
    assert_eq!(v["required_bump"], "none");

    let log = Command::new("git")
        .args(["log", "--format=%H", "--reverse", "--", "contract"])
        .current_dir(&root)
        .output()
        .unwrap();
    let commits: Vec<String> = String::from_utf8(log.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    for w in commits.windows(2) {
        let (code, out, err) = trackc(
            &root,
            &[
                "diff",
                &format!("{}:contract", w[0]),
                &format!("{}:contract", w[1]),
                "--format",
                "json",
            ],
        );
        assert!(code == 0 || code == 1, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v.get("error").is_none(), "{v}");
    }
}
