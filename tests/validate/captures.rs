//! `trackc validate` on captures from common tools (HAR, mitmproxy dumps) and its CI
//! reports (JUnit XML, SARIF, Markdown).
//!
//! The captures are made here from the NDJSON fixture, so the differential is exact: the
//! same requests give the same violations (line for line, path for path, message for
//! message) whatever tool recorded them.

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use serde_json::{Value, json};

use super::{stdout, trackc};

const TRAFFIC: &str = "tests/fixtures/validate/traffic.ndjson";

fn report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), String::from_utf8_lossy(&o.stderr)))
}

/// The fixture's JSON lines as (method, path, body) requests: a v2 operation is what
/// `POST /api/v2/entity` carries, a batch what `/api/v2/batch` carries.
fn requests() -> Vec<(String, String, Value)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(TRAFFIC))
        .expect("the fixture");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            if let (Some(m), Some(p)) = (v["method"].as_str(), v["path"].as_str()) {
                (m.to_owned(), p.to_owned(), v["body"].clone())
            } else if v.get("batch").is_some() {
                ("POST".into(), "/api/v2/batch".into(), v)
            } else {
                ("POST".into(), "/api/v2/entity".into(), v)
            }
        })
        .collect()
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

/// The requests as trackc's own lines (the baseline), one a line.
fn ndjson(reqs: &[(String, String, Value)]) -> String {
    reqs.iter()
        .map(|(m, p, b)| json!({"method": m, "path": p, "body": b}).to_string() + "\n")
        .collect()
}

/// The requests as a HAR file, bodies alternately as text and as base64, and two requests
/// that are not Track API calls at the end.
fn har(reqs: &[(String, String, Value)]) -> String {
    let mut entries: Vec<Value> = reqs
        .iter()
        .enumerate()
        .map(|(i, (m, p, b))| {
            let text = b.to_string();
            let post = if i % 2 == 0 {
                json!({"mimeType": "application/json", "text": text})
            } else {
                let enc = base64::engine::general_purpose::STANDARD.encode(text);
                json!({"mimeType": "application/json", "text": enc, "encoding": "base64"})
            };
            json!({
                "startedDateTime": "2026-11-30T09:00:00.000Z",
                "request": {"method": m, "url": format!("https://track.customer.io{p}?src=har"),
                    "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
                    "postData": post},
                "response": {"status": 200},
            })
        })
        .collect();
    for url in ["https://www.example.com/", "https://cdn.example.com/app.js"] {
        entries.push(json!({"request": {"method": "GET", "url": url, "headers": []}}));
    }
    json!({"log": {"version": "1.2", "creator": {"name": "test"}, "entries": entries}}).to_string()
}

/// The requests as mitmproxy's jsondump writes flows: bytes as Python literals
/// (`str(b'..')[2:-1]`: non-ASCII as `\xNN`), a line a flow.
fn mitmproxy(reqs: &[(String, String, Value)]) -> String {
    let pybytes = |s: &str| -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'\\' => out.push_str("\\\\"),
                b'\'' => out.push_str("\\'"),
                b'\n' => out.push_str("\\n"),
                0x20..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        out
    };
    let mut out: String = reqs
        .iter()
        .map(|(m, p, b)| {
            json!({"request": {"method": m, "scheme": "https", "host": "track.customer.io",
                "port": 443, "path": p, "http_version": "HTTP/1.1", "headers": {},
                "content": pybytes(&b.to_string()), "timestamp_start": 1_796_029_200_000u64}})
            .to_string()
                + "\n"
        })
        .collect();
    out.push_str(
        &json!({"request": {"method": "GET", "host": "api.example.com", "path": "/v1/me",
            "content": ""}})
        .to_string(),
    );
    out.push('\n');
    out
}

#[test]
fn har_and_mitmproxy_captures_give_the_verdicts_of_the_same_lines() {
    let reqs = requests();
    assert!(reqs.len() >= 10, "the fixture has requests of every shape");
    let dir = Dir::new("validate_captures");
    let base = dir.write("baseline.ndjson", &ndjson(&reqs));
    // The captures carry their own time (2026-11-30T09:00:00Z), the reference of
    // replays; the plain lines are judged at the same time through `--now`.
    let want = report(&trackc(&[
        "validate",
        "contract",
        &base,
        "--format",
        "json",
        "--now",
        "2026-11-30T09:00:00Z",
    ]));
    assert!(want["invalid"].as_u64().unwrap() > 5, "{want}");
    assert!(
        want["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["code"] == "forbidden_backfill"),
        "the fixture's 2024 order is a replay in 2026: {want}"
    );

    let har = dir.write("capture.har", &har(&reqs));
    let dump = dir.write("flows.jsonl", &mitmproxy(&reqs));
    for (file, extra) in [
        (&har, &[][..]),
        (&dump, &[][..]),
        (&dump, &["--input", "mitmproxy"][..]),
    ] {
        let mut args = vec!["validate", "contract", file.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let o = trackc(&args);
        assert_eq!(o.status.code(), Some(1), "{file}");
        let mut got = report(&o);
        let skipped = got
            .as_object_mut()
            .unwrap()
            .remove("skipped")
            .and_then(|s| s.as_u64());
        assert_eq!(skipped, Some(if file == &har { 2 } else { 1 }), "{file}");
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn a_broken_har_is_a_usage_error() {
    let dir = Dir::new("validate_captures_broken");
    let file = dir.write("broken.har", r#"{"log": {"entries": "#);
    let o = trackc(&["validate", "contract", &file]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a HAR document"), "{err}");
    // Named as HAR on the command line, an NDJSON file is refused the same way.
    let o = trackc(&["validate", "contract", TRAFFIC, "--input", "har"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Every element of a JUnit report, parsed back: (name, attributes) in document order.
fn xml_elements(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("well-formed attribute");
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .expect("valid entities");
                        (a.key.as_ref().to_string(), v.into_owned())
                    })
                    .collect();
                out.push((e.name().as_ref().to_string(), attrs));
            }
            Ok(Event::Eof) => return out,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML: {e}\n{text}"),
        }
    }
}

fn attr<'a>(el: &'a (String, Vec<(String, String)>), key: &str) -> &'a str {
    el.1.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{} has no {key}", el.0))
}

#[test]
fn junit_lists_each_invalid_record_as_a_failed_test() {
    let o = trackc(&["validate", "contract", TRAFFIC, "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let els = xml_elements(&text);
    let suite = els.iter().find(|e| e.0 == "testsuite").unwrap();
    let want = report(&trackc(&[
        "validate", "contract", TRAFFIC, "--format", "json",
    ]));
    assert_eq!(attr(suite, "tests"), want["records"].to_string());
    assert_eq!(attr(suite, "failures"), want["invalid"].to_string());
    let failed: Vec<_> = els
        .iter()
        .zip(els.iter().skip(1))
        .filter(|(a, b)| a.0 == "testcase" && b.0 == "failure")
        .collect();
    assert_eq!(failed.len() as u64, want["invalid"].as_u64().unwrap());
    // A case per invalid record, at its line, classed by its event, its first violation
    // as the failure's message.
    let first = &want["violations"][0];
    let (case, failure) = failed[0];
    assert_eq!(attr(case, "line"), first["line"].to_string());
    assert_eq!(
        attr(case, "classname"),
        format!("trackc.validate.{}", first["event"].as_str().unwrap())
    );
    assert_eq!(attr(failure, "type"), first["code"].as_str().unwrap());
    assert!(
        attr(failure, "message").contains(first["message"].as_str().unwrap()),
        "{text}"
    );
    insta::assert_snapshot!("validate_junit", text);
}

#[test]
fn sarif_has_a_result_per_violation_at_its_line() {
    let o = trackc(&["validate", "contract", TRAFFIC, "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    let sarif = report(&o);
    let want = report(&trackc(&[
        "validate", "contract", TRAFFIC, "--format", "json",
    ]));
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "trackc");
    let results = run["results"].as_array().unwrap();
    let violations = want["violations"].as_array().unwrap();
    assert_eq!(results.len(), violations.len());
    for (r, v) in results.iter().zip(violations) {
        assert_eq!(r["ruleId"], v["code"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], TRAFFIC);
        assert_eq!(loc["region"]["startLine"], v["line"]);
        assert!(
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(v["message"].as_str().unwrap())
        );
        // Every rule a result names is declared on the driver.
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules.iter().any(|rule| rule["id"] == r["ruleId"]));
    }
    insta::assert_json_snapshot!("validate_sarif", sarif);
}

#[test]
fn ci_reports_of_clean_traffic_pass_and_cut_reports_say_so() {
    let o = trackc(&[
        "validate",
        "contract",
        "tests/fixtures/validate/valid.ndjson",
        "--format",
        "junit",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let els = xml_elements(&stdout(&o));
    assert!(!els.iter().any(|e| e.0 == "failure"));
    let o = trackc(&[
        "validate",
        "contract",
        TRAFFIC,
        "--format",
        "sarif",
        "--max-violations",
        "2",
    ]);
    let sarif = report(&o);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(sarif["runs"][0]["properties"]["truncated"], true);
    let o = trackc(&[
        "validate",
        "contract",
        TRAFFIC,
        "--format",
        "junit",
        "--max-violations",
        "2",
    ]);
    let els = xml_elements(&stdout(&o));
    assert!(
        els.iter()
            .any(|e| e.0 == "failure" && attr(e, "type") == "truncated")
    );
}

#[test]
fn markdown_report_is_a_pull_request_comment() {
    let o = trackc(&["validate", "contract", TRAFFIC, "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.starts_with("## trackc validate: "), "{text}");
    insta::assert_snapshot!("validate_markdown", text);
}

/// Names from a hostile capture cannot break out of the XML report or reach the terminal.
#[test]
fn hostile_names_stay_text_in_junit() {
    let dir = Dir::new("validate_captures_hostile");
    let name = "x\"/><testcase name=\"pwned\u{1b}[2J\u{0}";
    let line = json!({"type": "person", "identifiers": {"id": "cus_8f2k1m0q"},
        "action": "event", "name": name, "attributes": {}})
    .to_string();
    let file = dir.write("hostile.ndjson", &(line + "\n"));
    let o = trackc(&["validate", "contract", &file, "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{0}'),
        "{text}"
    );
    let els = xml_elements(&text);
    assert_eq!(
        els.iter().filter(|e| e.0 == "testcase").count(),
        1,
        "{text}"
    );
    let case = els.iter().find(|e| e.0 == "testcase").unwrap();
    assert!(attr(case, "classname").contains("pwned"));
}
