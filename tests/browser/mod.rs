//! Headless Chromium (Debian's `chromium`) for the browser tests: a page's DOM after its
//! scripts ran. Shared by `tests/serve_browser.rs` and `tests/catalog_site.rs`.
#![allow(dead_code)]

use std::process::Command;

/// The DOM of `url` after its scripts ran, with `args` added (a window size, a longer
/// virtual-time budget); `--virtual-time-budget=3000` unless `args` sets one.
pub fn dom_with(url: &str, args: &[&str]) -> String {
    let profile = tempfile::tempdir().expect("a temporary profile folder");
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args);
    if !args.iter().any(|a| a.starts_with("--virtual-time-budget=")) {
        cmd.arg("--virtual-time-budget=3000");
    }
    let o = cmd
        .args(["--dump-dom", url])
        .output()
        .expect("chromium runs (apt-get install chromium)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The DOM of `url` after its scripts ran.
pub fn dom(url: &str) -> String {
    dom_with(url, &[])
}
