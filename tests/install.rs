//! Installing trackc in another repository, exactly as docs/getting-started.md says: the
//! test takes the guide's own code blocks (the contract, the events crate's Cargo.toml,
//! build.rs and lib.rs, the install command), points the guide's stand-in git URL at this
//! repository (`file://`), and builds an out-of-tree events crate and the CLI from git.
//!
//! It compiles trackc from scratch outside the workspace (a few minutes on two cores), so
//! it is `#[ignore]`d in the default run; `.ci/run` runs it with `--ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

const STAND_IN: &str = "https://git.example.com/trackc.git";

/// The code blocks of a Markdown file, as (info string, body), in order.
fn code_blocks(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push((info.trim().to_owned(), body));
    }
    out
}

/// The block whose first line is the comment `// <name>` or `# <name>`.
fn block_named<'a>(blocks: &'a [(String, String)], name: &str) -> &'a str {
    blocks
        .iter()
        .find(|(_, body)| {
            let first = body.lines().next().unwrap_or("");
            first == format!("// {name}") || first == format!("# {name}")
        })
        .map(|(_, b)| b.as_str())
        .unwrap_or_else(|| panic!("docs/getting-started.md has no block for {name}"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run command");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
#[ignore = "builds trackc outside the workspace from git (minutes); .ci/run runs it"]
fn an_out_of_tree_events_crate_builds_the_documented_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/getting-started.md")).unwrap();
    let blocks = code_blocks(&guide);
    let url = format!("file://{}", root.display());
    let tmp = tempfile::tempdir().unwrap();
    let shop = tmp.path().join("shop");

    // The repository as the guide lays it out.
    let files = [
        (
            "contract/contract.yaml",
            block_named(&blocks, "contract/contract.yaml"),
        ),
        (
            "events/Cargo.toml",
            block_named(&blocks, "events/Cargo.toml"),
        ),
        ("events/build.rs", block_named(&blocks, "events/build.rs")),
        (
            "events/src/lib.rs",
            block_named(&blocks, "events/src/lib.rs"),
        ),
    ];
    for (path, body) in files {
        let p = shop.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body.replace(STAND_IN, &url)).unwrap();
    }
    // A producer's test of its own: build the generated event, validate it, read its
    // contract metadata. Written against the guide's contract.
    std::fs::create_dir_all(shop.join("events/tests")).unwrap();
    std::fs::write(
        shop.join("events/tests/order.rs"),
        r#"
use trackc::Event;

#[test]
fn an_order_validates() {
    // `new` takes the required properties in wire-name order (docs/rust.md).
    let item = events::Item::new(1, "SKN-1".into());
    let order = events::OrderCompleted::new("USD".into(), vec![item], "ord_1".into(), 64.8);
    order.validate().unwrap();
    assert_eq!(events::OrderCompleted::NAME, "order_completed");
    let mut bad = order.clone();
    bad.order_id.clear();
    assert!(bad.validate().is_err());
}
"#,
    )
    .unwrap();
    // The workspace's lock file pins the registry crates to versions CI has already built.
    std::fs::copy(root.join("Cargo.lock"), shop.join("events/Cargo.lock")).unwrap();

    let target: PathBuf = root.join("target/install-test");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(&cargo)
        .args(["test", "--quiet"])
        .current_dir(shop.join("events"))
        .env("CARGO_TARGET_DIR", &target)
        // No debug info: the build is what is tested, and CI has two cores.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_NET_GIT_FETCH_WITH_CLI", "true"));
    let generated = std::fs::read_dir(target.join("debug/build"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("out/events.rs"))
        .find(|p| p.exists())
        .expect("build.rs wrote events.rs");
    let code = std::fs::read_to_string(generated).unwrap();
    assert!(code.contains("pub struct OrderCompleted"), "{code}");

    // The CLI, installed with the guide's command (plus `--debug` for a faster build of the
    // same package and binary, and `--root` to keep it inside the test's folder).
    let install_line = blocks
        .iter()
        .flat_map(|(_, b)| b.lines())
        .find(|l| l.starts_with("cargo install --locked --git"))
        .expect("the guide's install command");
    let words: Vec<String> = install_line
        .split_whitespace()
        .skip(2)
        .map(|w| w.replace(STAND_IN, &url))
        .collect();
    let bin_root = tmp.path().join("bin");
    run(Command::new(&cargo)
        .arg("install")
        .args(&words)
        .args(["--debug", "--quiet", "--root"])
        .arg(&bin_root)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_NET_GIT_FETCH_WITH_CLI", "true"));
    let trackc = bin_root.join("bin/trackc");
    let out = run(Command::new(&trackc)
        .args(["check", "contract"])
        .current_dir(&shop));
    assert!(out.contains("ok: acme-shop 0.1.0"), "{out}");
    run(Command::new(&trackc)
        .args(["generate", "contract", "--out", "generated"])
        .current_dir(&shop));
    assert!(
        shop.join("generated/schemas/events/order_completed.schema.json")
            .exists()
    );
    assert!(shop.join("generated/docs/book.toml").exists());
}
