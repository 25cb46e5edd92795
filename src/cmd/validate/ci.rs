//! Reports for CI: JUnit XML (test reports: one failed test case per invalid record) and
//! SARIF 2.1.0 (code scanning: one result per violation, located at its line of the
//! capture). Both list the first `--max-violations` violations in input order; counts
//! stay exact, and a report that leaves some out says how many.
//!
//! Every name and text from the traffic is escaped for XML ([`xml::escape`]) or written by
//! serde_json and then made terminal-safe ([`safe_json`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;

use trackc_codegen::escape::{json as safe_json, xml};
use trackc_codegen::rules::TrafficRule;
use trackc_codegen::validate::{self, Detail, Options, Reported, Summary, Validator, Violation};

/// The first violations (in input order) and how many there were in all.
struct Collected {
    listed: Vec<Violation>,
    total: u64,
}

fn collect(
    v: &Validator,
    input: impl io::BufRead + Send,
    opts: &Options,
) -> io::Result<(Summary, Collected)> {
    let Detail::First(max) = opts.detail else {
        unreachable!("CI reports list the first violations")
    };
    let mut c = Collected {
        listed: Vec::new(),
        total: 0,
    };
    let mut cut = false;
    let summary = validate::run(v, input, opts, |item| match item {
        Reported::Violation(violation) => {
            c.total += 1;
            // A prefix of the input's violations: once one is left out, so are the rest.
            if !cut && c.listed.len() < max {
                c.listed.push(violation);
            } else {
                cut = true;
            }
        }
        Reported::Omitted(o) => {
            c.total += o.count;
            cut = true;
        }
    })?;
    Ok((summary, c))
}

pub(super) fn report(
    v: &Validator,
    input: impl io::BufRead + Send,
    opts: &Options,
    file: &Path,
    sarif: bool,
) -> io::Result<Summary> {
    let (summary, c) = collect(v, input, opts)?;
    if summary.records == 0 {
        return Ok(summary);
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let file = file.display().to_string();
    if sarif {
        write_sarif(&mut out, &c, &file)?;
    } else {
        write_junit(&mut out, &summary, &c, &file)?;
    }
    out.flush()?;
    Ok(summary)
}

fn at(v: &Violation) -> String {
    match v.index {
        Some(i) => format!("line {} [{i}]", v.line),
        None => format!("line {}", v.line),
    }
}

fn one_line(v: &Violation) -> String {
    let path = if v.path.is_empty() {
        String::new()
    } else {
        format!("{}: ", v.path)
    };
    format!("{}: {path}{} ({})", at(v), v.message, v.code.id())
}

/// JUnit: the capture is a suite, each record a test. Invalid records are listed as failed
/// test cases (named by line, classed by event, the first violation as the failure's
/// message and all of them in its text); the valid ones are counted as tests and shown as
/// one passing case, so a test-report UI shows both numbers.
fn write_junit(
    out: &mut impl Write,
    summary: &Summary,
    c: &Collected,
    file: &str,
) -> io::Result<()> {
    let file = xml::escape(file);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="trackc validate" tests="{}" failures="{}">"#,
        summary.records, summary.invalid
    )?;
    writeln!(
        out,
        r#"  <testsuite name="{file}" tests="{}" failures="{}" errors="0" skipped="0">"#,
        summary.records, summary.invalid
    )?;
    let mut records = c
        .listed
        .chunk_by(|a, b| (a.line, a.index) == (b.line, b.index));
    for record in records.by_ref() {
        let first = &record[0];
        let event = first.event.as_deref().unwrap_or("(no event)");
        writeln!(
            out,
            r#"    <testcase classname="trackc.validate.{}" name="{}" file="{file}" line="{}">"#,
            xml::escape(event),
            at(first),
            first.line
        )?;
        writeln!(
            out,
            r#"      <failure type="{}" message="{}">"#,
            first.code.id(),
            xml::escape(&one_line(first))
        )?;
        for v in record {
            writeln!(out, "{}", xml::escape(&one_line(v)))?;
            if let Some(h) = &v.hint {
                writeln!(out, "  hint: {}", xml::escape(h))?;
            }
        }
        writeln!(out, "      </failure>\n    </testcase>")?;
    }
    let listed = c.listed.len() as u64;
    if listed < c.total {
        writeln!(
            out,
            r#"    <testcase classname="trackc.validate" name="more violations" file="{file}">"#
        )?;
        writeln!(
            out,
            r#"      <failure type="truncated" message="{} more violations not listed (--max-violations)"/>"#,
            c.total - listed
        )?;
        writeln!(out, "    </testcase>")?;
    }
    if summary.valid > 0 {
        writeln!(
            out,
            r#"    <testcase classname="trackc.validate" name="{} valid records" file="{file}"/>"#,
            summary.valid
        )?;
    }
    writeln!(out, "  </testsuite>\n</testsuites>")
}

/// SARIF 2.1.0: one run of the `trackc` tool, one result per violation at its line of the
/// capture, the rule id being the violation's code.
fn write_sarif(out: &mut impl Write, c: &Collected, file: &str) -> io::Result<()> {
    let mut codes: Vec<TrafficRule> = c.listed.iter().map(|v| v.code).collect();
    codes.sort_unstable_by_key(|code| code.id());
    codes.dedup();
    let rules: Vec<_> = codes
        .iter()
        .map(|code| {
            let rule = code.definition();
            serde_json::json!({
                "id": rule.id,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.explanation },
                "help": { "text": format!("`trackc explain {}` explains this rule.", rule.id) },
            })
        })
        .collect();
    let results: Vec<_> = c
        .listed
        .iter()
        .map(|v| {
            let mut text = v.message.clone();
            if let Some(h) = &v.hint {
                text.push_str("; hint: ");
                text.push_str(h);
            }
            let mut logical = String::new();
            if let Some(e) = &v.event {
                logical.push_str(e);
            }
            if !v.path.is_empty() {
                logical.push_str(if logical.is_empty() { "" } else { " " });
                logical.push_str(&v.path);
            }
            let mut location = serde_json::json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": file },
                    "region": { "startLine": v.line },
                },
            });
            if !logical.is_empty() {
                location["logicalLocations"] =
                    serde_json::json!([{ "fullyQualifiedName": logical }]);
            }
            let mut result = serde_json::json!({
                "ruleId": v.code.id(),
                "level": "error",
                "message": { "text": text },
                "locations": [location],
            });
            if let Some(i) = v.index {
                result["properties"] = serde_json::json!({ "batchIndex": i });
            }
            result
        })
        .collect();
    let mut run = serde_json::json!({
        "tool": { "driver": {
            "name": "trackc",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "artifacts": [{ "location": { "uri": file } }],
        "results": results,
    });
    let listed = c.listed.len() as u64;
    if listed < c.total {
        run["properties"] = serde_json::json!({
            "truncated": true,
            "totalViolations": c.total,
        });
    }
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    let text = serde_json::to_string_pretty(&doc).map_err(io::Error::from)?;
    writeln!(out, "{}", safe_json::safe(&text))
}
