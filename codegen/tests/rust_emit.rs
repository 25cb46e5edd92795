//! Snapshots of the Rust emitter for the example contract and the type-feature fixture.

use std::path::Path;

fn generate(dir: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let checked = trackc_codegen::check(&root).expect("contract loads");
    let ir = checked
        .valid_ir()
        .unwrap_or_else(|| panic!("{}", checked.render(false)));
    let a = trackc_codegen::emit::rust::generate(ir);
    // Byte-stable: a second run gives the same text.
    assert_eq!(a, trackc_codegen::emit::rust::generate(ir));
    a
}

#[test]
fn rust_example_contract() {
    insta::assert_snapshot!("rust_contract", generate("contract"));
}

#[test]
fn rust_full_fixture() {
    insta::assert_snapshot!("rust_full", generate("tests/fixtures/full"));
}

/// `TRACKC_TIME_CONTRACT=DIR cargo test --release -p trackc-codegen --test rust_emit -- --ignored --nocapture`:
/// the text emitter and prettyplease laying out the same text (the oracle's work, what the
/// token emitter it replaced also paid), best of 3 each.
#[test]
#[ignore]
fn time_generate() {
    let dir = std::env::var("TRACKC_TIME_CONTRACT").unwrap_or_else(|_| "../contract".into());
    let checked = trackc_codegen::check(Path::new(&dir)).unwrap();
    let ir = checked.valid_ir().expect("valid contract");
    let best = |f: fn(&trackc_codegen::ir::Ir) -> String| {
        (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                let out = f(ir);
                (start.elapsed(), out.len())
            })
            .min()
            .unwrap()
    };
    let (text, bytes) = best(trackc_codegen::emit::rust::generate);
    let (oracle, _) = best(|ir| {
        let text = trackc_codegen::emit::rust::generate(ir);
        trackc_codegen::testing::rust_text::fixpoint(&text).expect("a fixpoint");
        text
    });
    eprintln!(
        "{dir}: {} events, {bytes} bytes of Rust: text {text:?}, text + syn + prettyplease {oracle:?}",
        ir.events.len(),
    );
}
