//! cargo-fuzz target for the loader and everything after it: any bytes, read as a
//! contract file (lossily, as the proptest fuzz test does), checked and rendered both
//! ways. Run from `codegen/`: `cargo +nightly fuzz run loader fuzz/seeds`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trackc_codegen::source::{SourceFile, SourceMap};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut sources = SourceMap::default();
    sources.add(SourceFile::new("a.yaml".into(), "a.yaml".into(), text));
    let checked = trackc_codegen::check_sources(sources);
    let _ = checked.render(false);
    let _ = checked.render(true);
    let _ = trackc_codegen::diag::to_json(&checked.sources, &checked.diagnostics);
});
