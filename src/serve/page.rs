//! The page at `/`: totals, per-event counts, violations grouped by rule and event with
//! the offending JSON path highlighted in the request, the recent requests, and a filter.
//! Rendered here (every text from the contract or the traffic escaped by [`esc`], the HTML of `trackc_codegen::escape`); the
//! script (`/_trackc/page.js`, no external assets) re-fetches the `<main>` part every
//! second and on every keystroke in the filter. The Content-Security-Policy allows no
//! script but that one file, so markup that slipped through could not run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use trackc_codegen::escape::json as safe_json;

use super::inspect::Recorded;

/// Requests the page reads (the most recent), and shows in its list.
pub const SCANNED: usize = 500;
pub const LISTED: usize = 50;
/// Examples shown per (rule, event) group.
const EXAMPLES: usize = 3;
/// Characters of a request's JSON shown per example.
const SHOWN_JSON: usize = 8_000;

pub const SCRIPT: &str = r#"'use strict';
const filter = document.getElementById('filter');
let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const r = await fetch('/?part=main&q=' + encodeURIComponent(filter.value));
    if (r.ok) document.getElementById('main').innerHTML = await r.text();
  } catch (e) {
  } finally {
    busy = false;
  }
}
filter.addEventListener('input', refresh);
setInterval(refresh, 1000);
refresh();
"#;

pub const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'";

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.valid{color:#16661e}.invalid{color:#b00020}
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:20em}
mark{background:#ffd2d2;color:#b00020;font-weight:bold}
.group{margin:.8em 0;padding:.3em .8em;border-left:4px solid #b00020}";

/// HTML text or a quoted attribute value (the escape home's HTML destination).
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    trackc_codegen::escape::html::escape(s)
}

/// The whole page.
pub fn page(main: &str, filter: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>trackc serve</title><style>{STYLE}</style></head><body>\
         <h1>trackc serve</h1>\
         <form method=\"get\" action=\"/\"><label>Filter <input id=\"filter\" name=\"q\" \
         value=\"{}\" placeholder=\"event, rule, path or person\" autocomplete=\"off\"></label></form>\
         <div id=\"main\">{main}</div><script src=\"/_trackc/page.js\"></script></body></html>\n",
        esc(filter)
    )
}

/// The part the script refreshes: from the summary and the recent requests (newest
/// first), those matching `filter`.
pub fn main_part(summary: &Value, recent: &[Recorded], filter: &str) -> String {
    let mut h = String::new();
    let req = &summary["requests"];
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    let _ = write!(
        h,
        "<p id=\"totals\"><strong>{}</strong> requests: <span class=\"valid\">{} valid</span>, \
         <span class=\"invalid\">{} invalid</span></p>",
        n(&req["total"]),
        n(&req["valid"]),
        n(&req["invalid"])
    );
    let needle = filter.trim().to_lowercase();
    let shown: Vec<&Recorded> = recent.iter().filter(|r| matches(r, &needle)).collect();

    h.push_str("<h2>Events</h2><table id=\"events\"><tr><th>event</th><th>total</th><th>valid</th><th>invalid</th></tr>");
    if let Some(events) = summary["by_event"].as_object() {
        for (event, c) in events {
            if !needle.is_empty() && !event.to_lowercase().contains(&needle) {
                continue;
            }
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"valid\">{}</td><td class=\"invalid\">{}</td></tr>",
                esc(event),
                n(&c["total"]),
                n(&c["valid"]),
                n(&c["invalid"])
            );
        }
    }
    h.push_str("</table>");

    h.push_str("<h2>Violations by rule and event</h2><div id=\"violations\">");
    let groups = group(&shown);
    if groups.is_empty() {
        h.push_str("<p>None.</p>");
    }
    for ((code, event), examples) in &groups {
        let total = summary["by_rule"][code.as_str()].as_i64();
        let _ = write!(
            h,
            "<div class=\"group\"><h3><code>{}</code> in <code>{}</code> ({} in recent requests{})</h3>",
            esc(code),
            esc(event),
            examples.len(),
            total.map_or(String::new(), |t| format!(", {t} in all"))
        );
        for (r, v) in examples.iter().take(EXAMPLES) {
            let path = v["path"].as_str().unwrap_or("");
            let _ = write!(
                h,
                "<p>#{} <code>{} {}</code> at <code class=\"path\">{}</code>: {}",
                r.seq,
                esc(&r.request.method),
                esc(&r.request.path),
                esc(if path.is_empty() {
                    "(the request)"
                } else {
                    path
                }),
                trackc_codegen::escape::html::message(v["message"].as_str().unwrap_or(""))
            );
            if let Some(hint) = v["hint"].as_str() {
                let _ = write!(
                    h,
                    " <em>{}</em>",
                    trackc_codegen::escape::html::message(hint)
                );
            }
            h.push_str("</p>");
            h.push_str(&highlighted(r, v));
        }
        h.push_str("</div>");
    }
    h.push_str("</div>");

    h.push_str("<h2>Recent requests</h2><table id=\"recent\"><tr><th>#</th><th>received</th><th>request</th><th>verdict</th></tr>");
    for r in shown.iter().take(LISTED) {
        let codes: Vec<String> = violations(r)
            .iter()
            .map(|v| v["code"].as_str().unwrap_or("").to_owned())
            .collect();
        let verdict = if r.request.valid {
            "<span class=\"valid\">valid</span>".to_owned()
        } else {
            format!(
                "<span class=\"invalid\">invalid: {}</span>",
                esc(&codes.join(", "))
            )
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{} {}</code> → {}</td><td>{verdict}</td></tr>",
            r.seq,
            super::clock::rfc3339(r.request.received_at),
            esc(&r.request.method),
            esc(&r.request.path),
            r.request.status
        );
    }
    h.push_str("</table>");
    h
}

fn violations(r: &Recorded) -> Vec<Value> {
    match serde_json::from_str(&r.request.violations) {
        Ok(Value::Array(v)) => v,
        _ => Vec::new(),
    }
}

/// The filter: a request matches when its path, an event or rule of its violations, or
/// its body contains the text (case-insensitive).
fn matches(r: &Recorded, needle: &str) -> bool {
    needle.is_empty()
        || r.request.path.to_lowercase().contains(needle)
        || r.request.violations.to_lowercase().contains(needle)
        || r.request.body.to_lowercase().contains(needle)
}

type Groups<'a> = BTreeMap<(String, String), Vec<(&'a Recorded, Value)>>;

/// Violations by (rule, event), each with its request.
fn group<'a>(recent: &[&'a Recorded]) -> Groups<'a> {
    let mut groups: Groups<'a> = BTreeMap::new();
    for r in recent {
        for v in violations(r) {
            let code = v["code"].as_str().unwrap_or("").to_owned();
            let event = v["event"].as_str().unwrap_or("(no event)").to_owned();
            groups.entry((code, event)).or_default().push((r, v));
        }
    }
    groups
}

/// One key or index of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// The part of the request a violation is about (the operation of a batch, else the
/// body) as indented JSON, the value at the violation's path marked.
fn highlighted(r: &Recorded, v: &Value) -> String {
    let Ok(body) = serde_json::from_str::<Value>(&r.request.body) else {
        return String::new();
    };
    let index = v["index"].as_u64().map(|i| i as usize);
    let (shown, target) = locate(
        &r.request.path,
        &body,
        index,
        v["path"].as_str().unwrap_or(""),
    );
    let mut out = String::from("<pre>");
    let mut budget = SHOWN_JSON;
    render(
        shown,
        &mut Vec::new(),
        target.as_deref(),
        0,
        &mut out,
        &mut budget,
    );
    out.push_str("</pre>");
    out
}

/// What to show (the batch operation or the body) and the deepest existing value on the
/// violation's path in it.
fn locate<'a>(
    request_path: &str,
    body: &'a Value,
    index: Option<usize>,
    path: &str,
) -> (&'a Value, Option<Vec<Seg>>) {
    let shown = match (index, body.get("batch")) {
        (Some(i), Some(Value::Array(ops))) if i < ops.len() => &ops[i],
        _ => body,
    };
    let v1 = request_path.starts_with("/api/v1/");
    let mut segs = Vec::new();
    if let Some(data) = path.strip_prefix('$') {
        // Event data: v2 `attributes`; v1 track `data`; v1 identify: the body itself.
        if !v1 {
            segs.push(Seg::Key("attributes".into()));
        } else if request_path.ends_with("/events") {
            segs.push(Seg::Key("data".into()));
        }
        segs.extend(parse(data));
    } else if path.is_empty() || path == "path" {
        return (shown, None);
    } else {
        let mut rest = path.strip_prefix("body.").unwrap_or(path);
        if index.is_some()
            && let Some(i) = rest.find("].")
            && rest.starts_with("batch[")
        {
            rest = &rest[i + 2..];
        }
        segs.extend(parse(&format!(".{rest}")));
    }
    // The deepest value that exists: a missing property marks its object.
    let mut at = shown;
    let mut found = Vec::new();
    for s in segs {
        let next = match (&s, at) {
            (Seg::Key(k), Value::Object(o)) => o.get(k),
            (Seg::Index(i), Value::Array(a)) => a.get(*i),
            _ => None,
        };
        match next {
            Some(n) => {
                at = n;
                found.push(s);
            }
            None => break,
        }
    }
    (shown, Some(found))
}

/// `.a.b[2]["odd key"]` as segments.
fn parse(mut p: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    while !p.is_empty() {
        if let Some(rest) = p.strip_prefix("[\"") {
            let end = rest.find("\"]").unwrap_or(rest.len());
            let key: String = serde_json::from_str(&format!("\"{}\"", &rest[..end]))
                .unwrap_or_else(|_| rest[..end].to_owned());
            out.push(Seg::Key(key));
            p = rest.get(end + 2..).unwrap_or("");
        } else if let Some(rest) = p.strip_prefix('[') {
            let end = rest.find(']').unwrap_or(rest.len());
            if let Ok(i) = rest[..end].parse() {
                out.push(Seg::Index(i));
            }
            p = rest.get(end + 1..).unwrap_or("");
        } else if let Some(rest) = p.strip_prefix('.') {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Seg::Key(rest[..end].to_owned()));
            p = &rest[end..];
        } else {
            break;
        }
    }
    out
}

/// Indented JSON as escaped HTML, the value at `target` in `<mark>`; at most `budget`
/// characters of JSON.
fn render(
    v: &Value,
    at: &mut Vec<Seg>,
    target: Option<&[Seg]>,
    depth: usize,
    out: &mut String,
    budget: &mut usize,
) {
    if *budget == 0 {
        return;
    }
    let marked = target == Some(at.as_slice());
    if marked {
        out.push_str("<mark>");
    }
    let pad = "  ".repeat(depth + 1);
    let close = "  ".repeat(depth);
    let text = |s: &str, out: &mut String, budget: &mut usize| {
        let shown = safe_json::safe(s);
        if shown.len() > *budget {
            let cut = shown
                .char_indices()
                .nth(*budget)
                .map_or(shown.len(), |(i, _)| i);
            out.push_str(&esc(&shown[..cut]));
            out.push('…');
            *budget = 0;
        } else {
            *budget -= shown.len();
            out.push_str(&esc(&shown));
        }
    };
    match v {
        Value::Object(o) if !o.is_empty() => {
            out.push_str("{\n");
            for (i, (k, val)) in o.iter().enumerate() {
                out.push_str(&pad);
                text(&Value::from(k.as_str()).to_string(), out, budget);
                out.push_str(": ");
                at.push(Seg::Key(k.clone()));
                render(val, at, target, depth + 1, out, budget);
                at.pop();
                if *budget == 0 {
                    break;
                }
                out.push_str(if i + 1 < o.len() { ",\n" } else { "\n" });
            }
            out.push_str(&close);
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.push_str("[\n");
            for (i, val) in a.iter().enumerate() {
                out.push_str(&pad);
                at.push(Seg::Index(i));
                render(val, at, target, depth + 1, out, budget);
                at.pop();
                if *budget == 0 {
                    break;
                }
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&close);
            out.push(']');
        }
        other => text(&other.to_string(), out, budget),
    }
    if marked {
        out.push_str("</mark>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(path: &str, body: &str, violations: &str) -> Recorded {
        Recorded {
            seq: 1,
            request: crate::serve::store::RequestRow {
                received_at: 1_767_225_600_000,
                method: "POST".into(),
                path: path.into(),
                body: body.into(),
                valid: false,
                status: 200,
                violations: violations.into(),
            },
        }
    }

    #[test]
    fn marks_the_offending_value_in_the_batch_operation() {
        let r = recorded(
            "/api/v2/batch",
            r#"{"batch":[{"name":"a"},{"name":"b","attributes":{"items":[{"c":"<x>"}]}}]}"#,
            "[]",
        );
        let v = serde_json::json!({"index": 1, "path": "$.items[0].c"});
        let h = highlighted(&r, &v);
        assert!(h.contains("<mark>&quot;&lt;x&gt;&quot;</mark>"), "{h}");
        assert!(!h.contains("\"a\""), "only the operation is shown: {h}");
    }

    #[test]
    fn a_missing_property_marks_its_object_and_request_fields_resolve() {
        let r = recorded(
            "/api/v1/customers/c/events",
            r#"{"name":"x","data":{"a":1}}"#,
            "[]",
        );
        let h = highlighted(&r, &serde_json::json!({"path": "$.missing"}));
        assert!(h.contains("<mark>{"), "{h}");
        let h = highlighted(&r, &serde_json::json!({"path": "body.name"}));
        assert!(h.contains("<mark>&quot;x&quot;</mark>"), "{h}");
    }

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse(r#".a[2]["b.c"].d"#),
            vec![
                Seg::Key("a".into()),
                Seg::Index(2),
                Seg::Key("b.c".into()),
                Seg::Key("d".into())
            ]
        );
    }
}
