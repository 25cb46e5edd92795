//! The Rust emitter (`emit::rust`, which writes text) writes byte for byte what the token
//! emitter formatted by prettyplease (`emit::rust_tokens`, the oracle) writes: on the example contract, every fixture that checks clean, random
//! hostile contracts (plain and rich, see `trackc_codegen::testing::hostile`) and any
//! contract folders named in `TRACKC_RUST_TEXT_DIRS` (`:`-separated; for the synthetic
//! benchmark contracts of `tests/fixtures/gen_contract.py`).
//!
//! `TRACKC_RUST_TEXT_SEED` picks the seed of the random contracts (fixed under `CI`, else
//! from the clock; printed on failure), `TRACKC_RUST_TEXT_N` their number (default 64 of
//! each generator).

use std::path::{Path, PathBuf};

use trackc_codegen::emit::{rust, rust_tokens};
use trackc_codegen::ir::Ir;
use trackc_codegen::testing::hostile::{self, Rng};

/// Panics with the first differing lines when the two emitters disagree.
fn assert_same(what: &str, ir: &Ir, contract: Option<&str>) {
    let want = rust_tokens::generate(ir);
    let got = rust::generate(ir);
    if want == got {
        return;
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let first = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    let from = first.saturating_sub(8);
    let show = |ls: &[&str]| {
        ls.iter()
            .enumerate()
            .skip(from)
            .take(first - from + 8)
            .map(|(i, l)| format!("{:5} {l}\n", i + 1))
            .collect::<String>()
    };
    panic!(
        "{what}: the text emitter differs from prettyplease at line {}\n--- prettyplease\n{}--- text\n{}{}",
        first + 1,
        show(&w),
        show(&g),
        contract
            .map(|c| format!("--- contract\n{c}"))
            .unwrap_or_default()
    );
}

/// Contract folders: every folder under `root` with a `.yaml` file directly in it.
fn contract_dirs(root: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        out.push(root.to_path_buf());
    }
    for p in entries {
        if p.is_dir() {
            contract_dirs(&p, out);
        }
    }
}

fn compare_dirs(dirs: &[PathBuf]) -> usize {
    let mut compared = 0;
    for dir in dirs {
        let Ok(checked) = trackc_codegen::check(dir) else {
            continue;
        };
        if let Some(ir) = checked.valid_ir() {
            assert_same(&dir.display().to_string(), ir, None);
            compared += 1;
        }
    }
    compared
}

#[test]
fn example_contract_and_fixtures() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut dirs = vec![workspace.join("contract")];
    contract_dirs(&workspace.join("tests/fixtures"), &mut dirs);
    let compared = compare_dirs(&dirs);
    // The example, the full fixture and both sides of the diff fixtures at least.
    assert!(compared > 100, "only {compared} contracts compared");
    eprintln!("{compared} contracts of {} folders compared", dirs.len());
}

#[test]
fn named_contract_dirs() {
    let Ok(dirs) = std::env::var("TRACKC_RUST_TEXT_DIRS") else {
        return;
    };
    let dirs: Vec<PathBuf> = dirs.split(':').map(PathBuf::from).collect();
    assert_eq!(
        compare_dirs(&dirs),
        dirs.len(),
        "a named contract does not check clean"
    );
}

fn random_contracts(generate: fn(&mut Rng, usize) -> String, label: &str) {
    let seed = hostile::seed("TRACKC_RUST_TEXT_SEED", 20_240_611);
    let n: usize = std::env::var("TRACKC_RUST_TEXT_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let mut rng = Rng(seed);
    let mut compared = 0;
    for i in 0..n {
        let text = generate(&mut rng, i);
        let checked = hostile::check(&text, i);
        if let Some(ir) = checked.valid_ir() {
            assert_same(
                &format!("{label} seed {seed}, contract {i}"),
                ir,
                Some(&text),
            );
            compared += 1;
        }
    }
    eprintln!("{label} seed {seed}: {compared} of {n} contracts checked clean and compared");
    // Most contracts check clean; the rest collide on identifiers.
    assert!(
        compared * 3 >= n,
        "{label} seed {seed}: only {compared} of {n} checked clean"
    );
}

#[test]
fn plain_hostile_contracts() {
    random_contracts(hostile::contract, "plain");
}

#[test]
fn rich_hostile_contracts() {
    random_contracts(hostile::rich_contract, "rich");
}
