//! Random contracts with hostile names (keywords, prelude names, digits, spaces, unicode,
//! punctuation, near-collisions) either get an `identifier-collision` diagnostic or
//! generate Rust that compiles. All the generated modules of one run go into one crate,
//! checked with one `cargo check` in a target dir kept between runs (see [`tmp`]).
//!
//! `TRACKC_HOSTILE_SEED` picks the seed (printed on failure; fixed under `CI`, else from
//! the clock); `TRACKC_HOSTILE_N` the
//! number of contracts (default 30).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use trackc_codegen::testing::hostile::{self, Rng, contract};

/// Where the generated crate and its build live: Cargo's temporary folder for tests, kept
/// between runs. The target folder is shared with the root package's
/// `rust_minor_changes` test (same dependencies, same profile), so the runtime and its
/// dependencies are checked once for both.
fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

#[test]
fn hostile_names_collide_or_compile() {
    let seed = hostile::seed("TRACKC_HOSTILE_SEED", 12345);
    let n: usize = std::env::var("TRACKC_HOSTILE_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let mut rng = Rng(seed);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let krate = tmp().join("hostile-names");
    let src = krate.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).unwrap();
    let mut lib = String::new();
    let (mut compiled, mut collided) = (0, 0);
    for i in 0..n {
        let text = contract(&mut rng, i);
        let checked = hostile::check(&text, i);
        if checked.has_errors() {
            let other: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| {
                    d.severity == trackc_codegen::diag::Severity::Error
                        && d.code.id() != "identifier-collision"
                })
                .collect();
            assert!(
                other.is_empty(),
                "seed {seed}, contract {i}: errors other than identifier-collision\n{}\n{text}",
                checked.render(false)
            );
            collided += 1;
            continue;
        }
        let ir = checked.ir.as_ref().unwrap();
        let code = trackc_codegen::emit::rust::generate(ir);
        std::fs::write(src.join(format!("c{i}.rs")), code).unwrap();
        std::fs::write(src.join(format!("c{i}.yaml")), text).unwrap();
        writeln!(
            lib,
            "#[allow(deprecated)]\npub mod c{i} {{\n    include!(\"c{i}.rs\");\n}}"
        )
        .unwrap();
        compiled += 1;
    }
    std::fs::write(src.join("lib.rs"), lib).unwrap();
    let runtime = workspace.join("runtime");
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"hostile-names\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\ntrackc = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    // Same versions as the workspace, so the shared target dir reuses its builds.
    let _ = std::fs::copy(workspace.join("Cargo.lock"), krate.join("Cargo.lock"));
    let out = Command::new(env!("CARGO"))
        // `check`: type and name errors are what a hostile name causes; code generation
        // adds minutes and finds nothing more.
        .args(["check", "--quiet", "--offline"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", tmp().join("generated-crates-target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "seed {seed}: {compiled} generated modules (in {}) do not compile:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "seed {seed}: {compiled} contracts compiled, {collided} refused with identifier-collision"
    );
}
