//! Customer.io's official clients against `trackc serve --tls`: `customerio` (PyPI) and
//! `customerio-node` (npm), pinned in tests/serve_support/sdk/ (requirements.txt,
//! package.json and its lock) and installed by this test into target/tmp/sdk (again only
//! when those files change), each sending valid and invalid calls of the example
//! contract; the summary and the recorded verdicts are asserted. Ignored by plain
//! `cargo test` (needs python3, npm and the registries); `.ci/run` runs it with
//! `--ignored`.
//!
//! Both clients speak HTTPS only: the certificate trackc names on stdout is trusted
//! through `REQUESTS_CA_BUNDLE` (Python) and the request defaults' `ca` (Node, whose
//! client also needs `port` there: it keeps only the URL's host name).

mod serve_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use serve_support::{Server, event_id};

/// The pinned clients: the project's own files, never a version named here.
const PINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/serve_support/sdk");

/// `target/tmp/sdk/NAME`, holding what `install` installed from `pins` (the files are
/// copied there last, as the stamp of a finished install): installed again when a pin
/// changed or an install was cut short.
fn installed(name: &str, pins: &[&str], install: impl FnOnce(&Path)) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sdk")
        .join(name);
    let stamp = dir.join("installed");
    let fresh = pins
        .iter()
        .all(|f| std::fs::read(Path::new(PINS).join(f)).ok() == std::fs::read(stamp.join(f)).ok());
    if !fresh {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        install(&dir);
        std::fs::create_dir_all(&stamp).unwrap();
        for f in pins {
            std::fs::copy(Path::new(PINS).join(f), stamp.join(f)).unwrap();
        }
    }
    dir
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `trackc serve --tls` with credentials, and its certificate's path.
fn start() -> (Server, String) {
    let s = Server::start(&["--tls", "--site-id", "site_1", "--api-key", "key_1"]);
    let cert = s.certificate.clone().expect("the certificate line");
    (s, cert)
}

/// The verdicts both clients' traffic must get: three calls valid, one order invalid
/// (`currency: "usd"`, rule `format`).
fn assert_verdicts(s: &Server) {
    let sum = s.summary();
    assert_eq!(
        sum["requests"],
        json!({"total": 4, "valid": 3, "invalid": 1}),
        "{sum}"
    );
    assert_eq!(
        sum["by_event"]["order_completed"],
        json!({"total": 2, "valid": 1, "invalid": 1})
    );
    assert_eq!(sum["by_event"]["identify"]["valid"], 1);
    assert_eq!(sum["by_event"]["site_visit"]["valid"], 1);
    assert_eq!(sum["by_rule"], json!({"format": 1}));
    let m = s
        .post(
            "/_trackc/match",
            r#"{"name":"order_completed","attributes":{"order_id":"ord_bad"}}"#,
        )
        .json();
    assert_eq!(m["count"], 1, "{m}");
    let found = &m["matches"][0];
    assert_eq!(found["valid"], false);
    assert_eq!(found["violations"][0]["path"], "$.currency");
    assert_eq!(found["operation"]["identifiers"]["id"], "cus_8f2k1m0q");
    let m = s
        .post(
            "/_trackc/match",
            r#"{"name":"order_completed","attributes":{"order_id":"ord_ok"}}"#,
        )
        .json();
    assert_eq!(m["matches"][0]["valid"], true, "{m}");
    let lines = s.requests("");
    assert!(
        lines
            .iter()
            .all(|l| l["method"].is_string() && l["received_at"].is_number())
    );
}

const ITEMS: &str = r#"[{"sku": "SKN-SERUM-30ML", "product_name": "Daily Vitamin C Serum", "quantity": 1, "unit_price": 32.4, "category": "skincare"}]"#;

#[test]
#[ignore = "installs customerio from PyPI; run by .ci/run"]
fn python_client_over_https() {
    let dir = installed("py", &["requirements.txt"], |dir| {
        run(Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "--no-deps",
                "--target",
            ])
            .arg(dir.join("site"))
            .arg("--requirement")
            .arg(Path::new(PINS).join("requirements.txt")));
    })
    .join("site");
    let (s, cert) = start();
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let script = format!(
        r#"
import sys
sys.path.insert(0, {dir:?})
from customerio import CustomerIO
cio = CustomerIO("site_1", "key_1", host="127.0.0.1", port={port}, retries=0)
items = {ITEMS}
cio.identify(id="cus_8f2k1m0q", email="jane@example.com", email_opt_in=True)
cio.track(customer_id="cus_8f2k1m0q", name="order_completed", id="{ok_id}", data=dict(order_id="ord_ok", revenue=64.8, currency="USD", items=items, is_first_order=True))
cio.track(customer_id="cus_8f2k1m0q", name="order_completed", id="{bad_id}", data=dict(order_id="ord_bad", revenue=64.8, currency="usd", items=items, is_first_order=True))
cio.track_anonymous(anonymous_id="anon_3c9", name="site_visit", data=dict(path="/"))
try:
    CustomerIO("site_1", "wrong", host="127.0.0.1", port={port}, retries=0).identify(id="cus_8f2k1m0q")
    print("accepted")
except Exception as e:
    print("refused", "401" in str(e))
"#,
        dir = dir.to_str().unwrap(),
        ok_id = event_id("ord_ok"),
        bad_id = event_id("ord_bad"),
    );
    let out = run(Command::new("python3")
        .args(["-c", &script])
        .env("REQUESTS_CA_BUNDLE", &cert));
    assert_eq!(out.trim(), "refused True");
    assert_verdicts(&s);
}

#[test]
#[ignore = "installs customerio-node from npm; run by .ci/run"]
fn node_client_over_https() {
    let dir = installed("node", &["package.json", "package-lock.json"], |dir| {
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(Path::new(PINS).join(f), dir.join(f)).unwrap();
        }
        run(Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(dir));
    });
    let (s, cert) = start();
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let script = format!(
        r#"
const fs = require('fs');
const {{ TrackClient }} = require({module:?});
const defaults = {{ url: 'https://127.0.0.1:{port}/api/v1', port: {port}, ca: fs.readFileSync({cert:?}) }};
const cio = new TrackClient('site_1', 'key_1', defaults);
const items = {ITEMS};
(async () => {{
  await cio.identify('cus_8f2k1m0q', {{ email: 'jane@example.com', email_opt_in: true }});
  await cio.track('cus_8f2k1m0q', {{ name: 'order_completed', id: '{ok_id}', data: {{ order_id: 'ord_ok', revenue: 64.8, currency: 'USD', items, is_first_order: true }} }});
  await cio.track('cus_8f2k1m0q', {{ name: 'order_completed', id: '{bad_id}', data: {{ order_id: 'ord_bad', revenue: 64.8, currency: 'usd', items, is_first_order: true }} }});
  await cio.trackAnonymous('anon_3c9', {{ name: 'site_visit', data: {{ path: '/' }} }});
  try {{
    await new TrackClient('site_1', 'wrong', defaults).identify('cus_8f2k1m0q', {{}});
    console.log('accepted');
  }} catch (e) {{
    console.log('refused', e.statusCode === 401);
  }}
}})().catch((e) => {{ console.error(e); process.exit(1); }});
"#,
        module = dir.join("node_modules/customerio-node").to_str().unwrap(),
        ok_id = event_id("ord_ok"),
        bad_id = event_id("ord_bad"),
    );
    let out = run(Command::new("node").args(["-e", &script]));
    assert_eq!(out.trim(), "refused true");
    assert_verdicts(&s);
}
