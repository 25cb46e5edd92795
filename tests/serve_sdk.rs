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
    // Tests run on threads: one install at a time.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
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
    let dir = python_site();
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
    let dir = node_dir();
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

/// Each recorded request as (method, path, valid, its rules sorted), oldest first.
fn verdicts(s: &Server) -> Vec<(String, String, bool, Vec<String>)> {
    s.requests("")
        .iter()
        .map(|l| {
            let mut codes: Vec<String> = l["verdict"]["violations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v["code"].as_str().unwrap_or_default().to_owned())
                .collect();
            codes.sort();
            codes.dedup();
            (
                l["method"].as_str().unwrap_or_default().to_owned(),
                l["path"].as_str().unwrap_or_default().to_owned(),
                l["verdict"]["valid"].as_bool().unwrap_or(false),
                codes,
            )
        })
        .collect()
}

/// The recorded requests re-judged by `trackc validate` as a capture: the promises that
/// span requests (a key sent twice) show there.
fn revalidated(s: &Server, name: &str) -> serde_json::Value {
    let lines: String = s.requests("").iter().map(|l| format!("{l}\n")).collect();
    let tmp = serve_support::temp_dir(name);
    let file = tmp.path().join("capture.ndjson");
    std::fs::write(&file, lines).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["validate", "contract"])
        .arg(&file)
        .args(["--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("validate's JSON report")
}

fn row(
    method: &str,
    path: &str,
    valid: bool,
    codes: &[&str],
) -> (String, String, bool, Vec<String>) {
    (
        method.into(),
        path.into(),
        valid,
        codes.iter().map(|c| c.to_string()).collect(),
    )
}

/// Ten days before now, in Unix seconds: a replay.
fn days_ago(days: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    now - days * 86_400
}

#[test]
#[ignore = "installs customerio from PyPI; run by .ci/run"]
fn python_client_every_route_line_by_line() {
    let site = python_site();
    let (s, cert) = start();
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let script = format!(
        r#"
import sys
sys.path.insert(0, {site:?})
from customerio import CustomerIO
cio = CustomerIO("site_1", "key_1", host="127.0.0.1", port={port}, retries=0)
items = {ITEMS}
order = dict(order_id="ord_ok", revenue=64.8, currency="USD", items=items, is_first_order=True)
cio.identify(id="cus_8f2k1m0q", email="jane@example.com", email_opt_in=True)
cio.pageview("cus_8f2k1m0q", "https://shop.example/products/serum", referrer="https://www.google.com/")
cio.backfill("cus_8f2k1m0q", "order_completed", {old}, **dict(order, order_id="ord_old"))
cio.track(customer_id="cus_8f2k1m0q", name="order_completed", id="{ok_id}", data=order)
cio.track(customer_id="cus_8f2k1m0q", name="order_completed", id="{other_id}", data=order)
cio.add_device("cus_8f2k1m0q", "dev_1", "ios")
cio.delete_device("cus_8f2k1m0q", "dev_1")
cio.suppress("cus_8f2k1m0q")
cio.unsuppress("cus_8f2k1m0q")
cio.merge_customers("id", "cus_8f2k1m0q", "id", "cus_9z9z9z9z")
cio.merge_customers("id", "cus_8f2k1m0q", "email", "jane@example.com")
cio.track(customer_id="jane@example.com", name="site_visit", data=dict(path="/"))
cio.batch([
    dict(type="person", identifiers=dict(id="cus_8f2k1m0q"), action="event", name="site_visit", attributes=dict(path="/")),
    dict(type="person", identifiers=dict(id="cus_8f2k1m0q"), action="track", name="site_visit", attributes=dict(path="/")),
])
cio.delete("cus_9z9z9z9z")
print("sent")
"#,
        old = days_ago(10),
        ok_id = event_id("ord_ok"),
        other_id = "01JDQ7Z8X4M3N2P1Q0R9S8T7V6",
    );
    let out = run(Command::new("python3")
        .args(["-c", &script])
        .env("REQUESTS_CA_BUNDLE", &cert));
    assert_eq!(out.trim(), "sent");
    let c = "/api/v1/customers/cus_8f2k1m0q";
    let want = vec![
        row("PUT", c, true, &[]),
        row("POST", &format!("{c}/events"), true, &[]),
        row(
            "POST",
            &format!("{c}/events"),
            false,
            &["forbidden_backfill", "missing_event_id"],
        ),
        row("POST", &format!("{c}/events"), true, &[]),
        row("POST", &format!("{c}/events"), true, &[]),
        row("PUT", &format!("{c}/devices"), true, &[]),
        row("DELETE", &format!("{c}/devices/dev_1"), true, &[]),
        row("POST", &format!("{c}/suppress"), true, &[]),
        row("POST", &format!("{c}/unsuppress"), true, &[]),
        row("POST", "/api/v1/merge_customers", true, &[]),
        row(
            "POST",
            "/api/v1/merge_customers",
            false,
            &["identified_by_email"],
        ),
        row(
            "POST",
            "/api/v1/customers/jane%40example.com/events",
            false,
            &["identified_by_email"],
        ),
        row("POST", "/api/v2/batch", false, &["unknown_operation"]),
        row("DELETE", "/api/v1/customers/cus_9z9z9z9z", true, &[]),
    ];
    assert_eq!(verdicts(&s), want);
    // The capture, re-judged: the same order under a second event id is counted twice.
    let report = revalidated(&s, "sdk_python_every_route");
    let dup: Vec<&serde_json::Value> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["code"] == "duplicate_idempotency_key")
        .collect();
    assert_eq!(dup.len(), 1, "{report}");
    assert_eq!(dup[0]["line"], 5);
    assert!(dup[0]["message"].as_str().unwrap().contains("line 4"));
}

#[test]
#[ignore = "installs customerio-node from npm; run by .ci/run"]
fn node_client_every_route_line_by_line() {
    let dir = node_dir();
    let (s, cert) = start();
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let script = format!(
        r#"
const fs = require('fs');
const {{ TrackClient }} = require({module:?});
const defaults = {{ url: 'https://127.0.0.1:{port}/api/v1', port: {port}, ca: fs.readFileSync({cert:?}) }};
const cio = new TrackClient('site_1', 'key_1', defaults);
(async () => {{
  await cio.identify('cus_8f2k1m0q', {{ email_opt_in: true }});
  await cio.trackPageView('cus_8f2k1m0q', 'https://shop.example/products/serum');
  await cio.addDevice('cus_8f2k1m0q', 'dev_1', 'android');
  await cio.deleteDevice('cus_8f2k1m0q', 'dev_1');
  await cio.suppress('cus_8f2k1m0q');
  await cio.unsuppress('cus_8f2k1m0q');
  await cio.mergeCustomers('id', 'cus_8f2k1m0q', 'id', 'cus_9z9z9z9z');
  await cio.mergeCustomers('id', 'cus_8f2k1m0q', 'email', 'jane@example.com');
  await cio.track('jane@example.com', {{ name: 'site_visit', data: {{ path: '/' }} }});
  await cio.track('cus_8f2k1m0q', {{ name: 'site_visit', data: {{ path: '/', timestamp: 1796029200 }} }});
  await cio.trackPush({{ delivery_id: 'dlv_1', event: 'opened', device_id: 'dev_1', timestamp: 1796029200 }});
  await cio.destroy('cus_9z9z9z9z');
  console.log('sent');
}})().catch((e) => {{ console.error(e); process.exit(1); }});
"#,
        module = dir.join("node_modules/customerio-node").to_str().unwrap(),
    );
    let out = run(Command::new("node").args(["-e", &script]));
    assert_eq!(out.trim(), "sent");
    let c = "/api/v1/customers/cus_8f2k1m0q";
    let want = vec![
        row("PUT", c, true, &[]),
        row("POST", &format!("{c}/events"), true, &[]),
        row("PUT", &format!("{c}/devices"), true, &[]),
        row("DELETE", &format!("{c}/devices/dev_1"), true, &[]),
        row("POST", &format!("{c}/suppress"), true, &[]),
        row("POST", &format!("{c}/unsuppress"), true, &[]),
        row("POST", "/api/v1/merge_customers", true, &[]),
        row(
            "POST",
            "/api/v1/merge_customers",
            false,
            &["identified_by_email"],
        ),
        row(
            "POST",
            "/api/v1/customers/jane%40example.com/events",
            false,
            &["identified_by_email"],
        ),
        row(
            "POST",
            &format!("{c}/events"),
            false,
            &["misplaced_timestamp"],
        ),
        row("POST", "/api/v1/push/events", true, &[]),
        row("DELETE", "/api/v1/customers/cus_9z9z9z9z", true, &[]),
    ];
    assert_eq!(verdicts(&s), want);
}

/// The pinned Python client's folder (`customerio`), installed once.
fn python_site() -> PathBuf {
    installed("py", &["requirements.txt"], |dir| {
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
    .join("site")
}

/// The pinned Node client's folder (`node_modules/customerio-node` inside), installed once.
fn node_dir() -> PathBuf {
    installed("node", &["package.json", "package-lock.json"], |dir| {
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(Path::new(PINS).join(f), dir.join(f)).unwrap();
        }
        run(Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(dir));
    })
}
