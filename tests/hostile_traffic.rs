//! Hostile traffic and hostile names in `validate` and `diff` (issue 12, findings 3, 4, 12,
//! 13 and 17): every case finishes within the harness's time and memory bounds, prints no
//! character a terminal obeys, and renders contract text in Markdown literally.
//!
//! The hostile inputs are built here, in memory: the figures in the issue came from
//! inputs of the same shape, larger. They stay small in this process (large ones are
//! streamed through gzip): the harness's peak RSS of a child includes the test
//! process's own peak (Linux records it in `ru_maxrss` at `exec`).

mod support;

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use support::{HEADER, Outcome, contract_dir, trackc};

/// A contract with one event whose property is an enum (so wrong values are violations).
fn validate_contract() -> tempfile::TempDir {
    let yaml = format!(
        "{HEADER}events:\n  signed_up:\n    properties:\n      plan: {{ type: enum, values: [free, pro] }}\n"
    );
    contract_dir(&[("contract.yaml", yaml.as_bytes())])
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn validate_file(tmp: &Path, name: &str, bytes: &[u8], extra: &[&str]) -> Outcome {
    std::fs::write(tmp.join(name), bytes).unwrap();
    let mut args = vec!["validate", "contract", name];
    args.extend_from_slice(extra);
    trackc(tmp, &args, None)
}

fn json(o: &Outcome) -> serde_json::Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", o.stdout))
}

// Finding 3: `diff --format markdown` -------------------------------------------------

/// A name that closes a one-backtick code span and then links, images and raw HTML.
const HOSTILE_NAME: &str = "a` [pwn](javascript:alert(1)) ![](https://attacker.example/p.png) <img src=x onerror=alert(1)> `b";
/// A name whose backticks are followed by text: it cannot end a quoted name.
const TICKED_NAME: &str = "x`[pwn](javascript:alert(1))`y";
/// A deprecation note (free text in a diff message) trying the same, plus a table break,
/// a heading and a mention.
const HOSTILE_NOTE: &str = "use [this](javascript:alert(1)) ![x](https://attacker.example/p.png) <script>x</script> | forged | cell\n# heading @org/everyone www.attacker.example";

fn diff_pair() -> tempfile::TempDir {
    let old = format!("{HEADER}events:\n  page_viewed: {{}}\n");
    let new = format!(
        "{HEADER}events:\n  page_viewed:\n    deprecated: {}\n  {}: {{}}\n  {}: {{}}\n",
        serde_json::Value::from(HOSTILE_NOTE),
        serde_json::Value::from(HOSTILE_NAME),
        serde_json::Value::from(TICKED_NAME),
    );
    let tmp = tempfile::tempdir().unwrap();
    for (side, yaml) in [("old", old), ("new", new)] {
        std::fs::create_dir(tmp.path().join(side)).unwrap();
        std::fs::write(tmp.path().join(side).join("contract.yaml"), yaml).unwrap();
    }
    tmp
}

#[test]
fn diff_markdown_shows_hostile_names_and_text_literally() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let tmp = diff_pair();
    let o = trackc(
        tmp.path(),
        &["diff", "old", "new", "--format", "markdown"],
        None,
    );
    o.assert_bounded(1).assert_no_control_chars();
    let md = &o.stdout;
    let mut codes = Vec::new();
    let mut cells = 0;
    let mut row_cells = Vec::new();
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match ev {
            Event::Start(Tag::Link { dest_url, .. }) => panic!("a link to {dest_url}:\n{md}"),
            Event::Start(Tag::Image { dest_url, .. }) => panic!("an image {dest_url}:\n{md}"),
            Event::Start(Tag::Heading { .. }) if !codes.is_empty() => {
                panic!("a heading after the verdict:\n{md}")
            }
            Event::Start(Tag::Strikethrough | Tag::Emphasis | Tag::Strong)
                if !md.contains("<br>_") =>
            {
                panic!("emphasis:\n{md}")
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                // Only trackc's own markup: the marker comment, line breaks, the footer.
                let ours = ["<!-- trackc-diff -->\n", "<br>", "<sub>", "</sub>"];
                assert!(ours.contains(&h.as_ref()), "HTML {h:?} in:\n{md}");
            }
            Event::Code(c) => codes.push(c.into_string()),
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => {
                row_cells.push(cells);
                cells = 0;
            }
            _ => {}
        }
    }
    // Every row has the table's five cells: no `|` or newline broke out of one.
    assert!(row_cells.len() >= 3, "{row_cells:?}\n{md}");
    assert!(row_cells.iter().all(|&n| n == 5), "{row_cells:?}\n{md}");
    // The name, the note and the backtick name are all shown, in order: as code spans
    // and literal text. (A backtick followed by a space reads as the end of a quoted
    // name, so HOSTILE_NAME shows as pieces; a name whose backticks cannot end it is one
    // span, exactly as written.)
    assert!(codes.iter().any(|c| c == TICKED_NAME), "{codes:?}\n{md}");
    let mut shown = String::new();
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Text(t) | Event::Code(t) => shown.push_str(&t),
            Event::SoftBreak | Event::InlineHtml(_) => shown.push(' '),
            _ => {}
        }
    }
    let squash = |s: &str| s.replace(['`', ' ', '\n'], "");
    assert!(squash(&shown).contains(&squash(HOSTILE_NAME)), "{shown}");
    for piece in HOSTILE_NOTE.split_whitespace() {
        assert!(shown.contains(piece), "{piece} in {shown}");
    }
}

/// Names and notes with terminal escapes: the human report shows them, the Markdown and
/// JSON reports too (Markdown is printed in CI logs).
#[test]
fn diff_reports_escape_terminal_sequences() {
    let tmp = tempfile::tempdir().unwrap();
    let old = format!("{HEADER}events:\n  page_viewed: {{}}\n");
    let new = format!(
        "{HEADER}events:\n  page_viewed:\n    deprecated: \"\\e]0;pwned\\a\\e[2J\\rok\\x9b31m\\u202e\"\n  \"x\\e[31my\": {{}}\n"
    );
    for (side, yaml) in [("old", old), ("new", new)] {
        std::fs::create_dir(tmp.path().join(side)).unwrap();
        std::fs::write(tmp.path().join(side).join("contract.yaml"), yaml).unwrap();
    }
    for format in ["human", "markdown", "json"] {
        let o = trackc(
            tmp.path(),
            &["diff", "old", "new", "--format", format, "--color", "never"],
            None,
        );
        o.assert_bounded(1).assert_no_control_chars();
        assert!(
            o.stdout.contains("x␛[31my") || o.stdout.contains("x\\u001b[31my"),
            "{format}:\n{}",
            o.stdout
        );
    }
}

// Finding 4: `validate` output ----------------------------------------------------------

#[test]
fn validate_escapes_terminal_sequences_from_traffic() {
    let tmp = validate_contract();
    // An OSC 8 hyperlink, a screen clear, a CR overwrite, an 8-bit CSI and a bidi
    // override: in an unknown event name, an unknown key and a value.
    let line = serde_json::json!({
        "type": "person", "identifiers": {"id": "c1"}, "action": "event",
        "name": "x\u{1b}]8;;https://attacker.example\u{7}click\u{1b}]8;;\u{7}\u{1b}[2J\rok",
    });
    let line2 = serde_json::json!({
        "type": "person", "identifiers": {"id": "c1"}, "action": "event", "name": "signed_up",
        "attributes": {"plan": "\u{1b}[31mred\u{9b}31m", "k\u{1b}[1m\u{202e}": 1},
    });
    let traffic = format!("{line}\n{line2}\n");
    for format in ["human", "json"] {
        let o = validate_file(
            tmp.path(),
            "t.ndjson",
            traffic.as_bytes(),
            &["--format", format],
        );
        o.assert_bounded(1).assert_no_control_chars();
        if format == "human" {
            assert!(
                o.stdout.contains("x␛]8;;https://attacker.example␇click"),
                "{}",
                o.stdout
            );
            assert!(o.stdout.contains("\\u{202e}"), "{}", o.stdout);
        } else {
            // The same strings, JSON-escaped: they read back as sent.
            let v = json(&o);
            assert_eq!(v["violations"][0]["event"], line["name"], "{}", o.stdout);
        }
    }
}

// Finding 12: memory bounded whatever the violations, names and `--jobs` ---------------

/// Lines that are batches of empty operations: every operation is a violation.
fn many_violations() -> Vec<u8> {
    let mut line = String::from("{\"batch\":[");
    for i in 0..40_000 {
        line.push_str(if i == 0 { "{}" } else { ",{}" });
    }
    line.push_str("]}\n");
    line.repeat(8).into_bytes()
}

#[test]
fn validate_memory_does_not_grow_with_violations_or_jobs() {
    let tmp = validate_contract();
    let gz = gzip(&many_violations());
    let mut listed = None;
    for jobs in ["1", "2", "8"] {
        for format in ["human", "json"] {
            let o = validate_file(
                tmp.path(),
                "many.ndjson.gz",
                &gz,
                &["--jobs", jobs, "--format", format],
            );
            o.assert_bounded(1);
            if format == "json" {
                let v = json(&o);
                // Three violations per operation: no type, no action, no identifier.
                assert_eq!(v["records"], 320_000, "{jobs}");
                assert_eq!(v["truncated"], true);
                assert_eq!(v["total_violations"], 960_000);
                let list = v["violations"].as_array().unwrap().clone();
                assert_eq!(list.len(), 1000);
                // The first 1000 violations, whatever the number of workers.
                match &listed {
                    None => listed = Some(list),
                    Some(l) => assert_eq!(l, &list, "--jobs {jobs}"),
                }
            } else {
                assert!(o.stdout.contains("(960000 violations)"), "{}", o.stdout);
                assert!(
                    o.stdout.contains("invalid_request × 640000"),
                    "{}",
                    o.stdout
                );
                assert!(o.stdout.contains("… and 639997 more"), "{}", o.stdout);
            }
        }
    }
    // `--max-violations` is bounded too.
    let o = validate_file(
        tmp.path(),
        "many.ndjson.gz",
        &gz,
        &["--format", "json", "--max-violations", "5"],
    );
    o.assert_bounded(1);
    assert_eq!(json(&o)["violations"].as_array().unwrap().len(), 5);
    for bad in ["0", "10001", "-1"] {
        validate_file(
            tmp.path(),
            "many.ndjson.gz",
            &gz,
            &["--max-violations", bad],
        )
        .assert_bounded(2);
    }
}

#[test]
fn validate_memory_does_not_grow_with_long_names() {
    let tmp = validate_contract();
    // 1,000 distinct event names of 15,000 characters, each also a key: each is its own
    // group. 30 MB once inflated (under the gzip ratio guard), streamed into gzip here.
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    for i in 0..1000 {
        let name = format!("{i:04}{}", "e".repeat(15_000));
        writeln!(
            gz,
            "{{\"type\":\"person\",\"identifiers\":{{\"id\":\"c\"}},\"action\":\"event\",\"name\":\"{name}\",\"attributes\":{{\"{name}\":1}}}}"
        )
        .unwrap();
    }
    let gz = gz.finish().unwrap();
    for format in ["human", "json"] {
        let o = validate_file(
            tmp.path(),
            "names.ndjson.gz",
            &gz,
            &["--format", format, "--jobs", "4"],
        );
        o.assert_bounded(1).assert_no_control_chars();
        // Names are cut at 200 characters; counts stay exact.
        assert!(o.stdout.len() < 1_500_000, "{} bytes", o.stdout.len());
        if format == "human" {
            assert!(
                o.stdout.contains(&format!("0007{}…", "e".repeat(196))),
                "cut name"
            );
            assert!(
                o.stdout
                    .contains("1000 records: 0 valid, 1000 invalid (1000 violations)")
            );
        } else {
            assert_eq!(json(&o)["invalid"], 1000);
        }
    }
}

// Finding 13: `--jobs` --------------------------------------------------------------------

#[test]
fn jobs_is_bounded_at_parse_time() {
    let tmp = validate_contract();
    let one = b"{\"type\":\"person\",\"identifiers\":{\"id\":\"c\"},\"action\":\"event\",\"name\":\"signed_up\",\"attributes\":{\"plan\":\"pro\"}}\n";
    for jobs in [
        "18446744073709551615",
        "6148914691236517206",
        "1000000",
        "257",
        "-1",
    ] {
        let arg = format!("--jobs={jobs}");
        let o = validate_file(tmp.path(), "one.ndjson", one, &[&arg]);
        o.assert_bounded(2);
        assert!(o.stderr.contains("--jobs"), "{}", o.stderr);
    }
    // The most it allows, on a one-line file, starts one worker: quick.
    for jobs in ["256", "0", "1"] {
        validate_file(tmp.path(), "one.ndjson", one, &["--jobs", jobs]).assert_bounded(0);
    }
}

// Finding 17: empty input, newline bombs ---------------------------------------------------

#[test]
fn no_records_is_an_error() {
    let tmp = validate_contract();
    // A closed stdin, an empty stdin, an empty file, a file of blank lines.
    let o = trackc(tmp.path(), &["validate", "contract", "-"], None);
    o.assert_bounded(2);
    assert!(
        o.stderr.contains("no records in standard input"),
        "{}",
        o.stderr
    );
    let o = trackc(
        tmp.path(),
        &["validate", "contract", "-", "--format", "json"],
        Some(b""),
    );
    o.assert_bounded(2);
    assert!(
        json(&o)["error"].as_str().unwrap().contains("no records"),
        "{}",
        o.stdout
    );
    validate_file(tmp.path(), "empty.ndjson", b"", &[]).assert_bounded(2);
    let o = validate_file(tmp.path(), "blank.ndjson", b"\n \r\n\t\n\n", &[]);
    o.assert_bounded(2);
    assert!(o.stderr.contains("only blank lines"), "{}", o.stderr);
}

#[test]
fn blank_lines_cost_a_scan() {
    let tmp = validate_contract();
    // 8 MB of newlines on stdin, then one record: line numbers stay right.
    let mut input = vec![b'\n'; 8 << 20];
    input.extend_from_slice(b"{\"type\":\"person\",\"identifiers\":{\"id\":\"c\"},\"action\":\"event\",\"name\":\"nope\"}\n");
    let o = trackc(tmp.path(), &["validate", "contract", "-"], Some(&input));
    o.assert_bounded(1);
    assert!(
        o.stdout.contains(&format!("line {}", (8 << 20) + 1)),
        "{}",
        o.stdout
    );
}

#[test]
fn a_gzip_bomb_is_refused() {
    let tmp = validate_contract();
    // One member of 1 MiB of newlines (about 1 KB compressed), 5,000 times: a 5 MB file
    // that inflates to 5 GB.
    let member = gzip(&vec![b'\n'; 1 << 20]);
    let bomb = member.repeat(5000);
    let o = validate_file(tmp.path(), "bomb.ndjson.gz", &bomb, &[]);
    o.assert_bounded(2);
    assert!(o.stderr.contains("decompression bomb"), "{}", o.stderr);
    // Real traffic, gzipped, still reads (tests/validate.rs reads the fixture).
    let line = b"{\"type\":\"person\",\"identifiers\":{\"id\":\"c\"},\"action\":\"event\",\"name\":\"signed_up\",\"attributes\":{\"plan\":\"pro\"}}\n";
    validate_file(tmp.path(), "ok.ndjson.gz", &gzip(&line.repeat(1000)), &[]).assert_bounded(0);
}

// `trackc simulate` ------------------------------------------------------------------

/// A contract with a segment over a window and a workflow it triggers, so that every
/// record moves timers, memberships and journeys.
fn simulate_contract() -> tempfile::TempDir {
    let yaml = format!(
        "{HEADER}events:\n  signed_up:\n    properties:\n      plan: {{ type: enum, values: [free, pro] }}\n\
         segments:\n  recent:\n    all:\n      - event: signed_up\n        within: 1h\n\
         workflows:\n  welcome:\n    goal: engagement\n    trigger: {{ segment: recent }}\n    wait: 30m\n    exit_when:\n      - event: signed_up\n        where: {{ plan: {{ equals: pro }} }}\n    channels: [webhook]\n"
    );
    contract_dir(&[("contract.yaml", yaml.as_bytes())])
}

/// `trackc simulate contract t.ndjson --format json` in `dir`, with `lines` as `t.ndjson`:
/// bounded, exit 0, and its report.
fn simulate_json(dir: &Path, lines: &str) -> serde_json::Value {
    std::fs::write(dir.join("t.ndjson"), lines).unwrap();
    let o = trackc(
        dir,
        &["simulate", "contract", "t.ndjson", "--format", "json"],
        None,
    );
    o.assert_bounded(0);
    json(&o)
}

/// A chain of 5,000 merges (each profile merged into the next), identifiers full of
/// terminal escapes, and events in reverse time order: bounded time and memory, and no
/// character a terminal obeys in the report.
#[test]
fn simulate_merge_chains_escapes_and_reversed_time_are_bounded() {
    let dir = simulate_contract();
    let mut lines = String::new();
    for i in 0..5_000u32 {
        let t = 1_800_000_000 - i as i64 * 7;
        lines.push_str(&format!(
            "{{\"type\":\"person\",\"identifiers\":{{\"id\":\"c{i}\"}},\"action\":\"event\",\"name\":\"signed_up\",\"id\":\"01HZY{i:021}\",\"timestamp\":{t},\"attributes\":{{\"plan\":\"free\"}}}}\n"
        ));
        lines.push_str(&format!(
            "{{\"type\":\"person\",\"action\":\"merge\",\"primary\":{{\"id\":\"c{}\"}},\"secondary\":{{\"id\":\"c{i}\"}},\"timestamp\":{t}}}\n",
            i + 1
        ));
    }
    for i in 0..200 {
        lines.push_str(&format!(
            "{{\"type\":\"person\",\"identifiers\":{{\"email\":\"\\u001b]52;c;x\\u0007\\u001b[2J{i}@x.co\"}},\"action\":\"event\",\"name\":\"signed_up\",\"id\":\"01HZZ{i:021}\",\"timestamp\":1800000000,\"attributes\":{{\"plan\":\"free\"}}}}\n"
        ));
    }
    let o = {
        std::fs::write(dir.path().join("t.ndjson"), lines).unwrap();
        trackc(dir.path(), &["simulate", "contract", "t.ndjson"], None)
    };
    o.assert_bounded(0).assert_no_control_chars();
    assert!(o.stdout.contains("welcome"), "{}", o.stdout);
    let j = trackc(
        dir.path(),
        &["simulate", "contract", "t.ndjson", "--format", "json"],
        None,
    );
    j.assert_bounded(0);
    let r = json(&j);
    // Each merge names the next profile at its own time; that profile's event comes 7 s
    // earlier, on the next line.
    assert_eq!(r["out_of_order"], 4_999);
    assert_eq!(r["simulated"], 10_200);
    assert_eq!(
        r["rejected"]["count"], 200,
        "named by email: listed, and simulated"
    );
}

/// Capture times at the ends of `i64` (a `received_at` of 1e19 used to make a window's
/// timer fire at `i64::MAX` again and again: the run never ended), an `--until` past
/// any timestamp, and the time arithmetic between such records and old timestamps.
#[test]
fn simulate_capture_times_out_of_range_are_no_time() {
    let dir = simulate_contract();
    let mut lines = String::new();
    for (i, (ts, recv)) in [
        ("", "1e19"),
        ("", "-1e19"),
        ("\"timestamp\":-5,", "1e19"),
        ("\"timestamp\":1800000000,", "1e18"),
        ("", "9223372036854775807"),
        ("\"timestamp\":1800000100,", "1800000200"),
    ]
    .iter()
    .enumerate()
    {
        lines.push_str(&format!(
            "{{\"type\":\"person\",\"identifiers\":{{\"id\":\"c{}\"}},\"action\":\"event\",\"name\":\"signed_up\",\"id\":\"01HZY{i:021}\",{ts}\"received_at\":{recv},\"attributes\":{{\"plan\":\"free\"}}}}\n",
            i % 2
        ));
    }
    let r = simulate_json(dir.path(), &lines);
    assert_eq!(r["simulated"], 6);
    // The times that are times: the timestamps, and 1800000200 (taken by none).
    assert_eq!(r["end"], 1_800_000_100, "{r}");
    for until in [
        "9223372036854775807",
        "-100000000000",
        "9999-12-31T23:59:59Z",
    ] {
        let o = trackc(
            dir.path(),
            &[
                "simulate",
                "contract",
                "t.ndjson",
                &format!("--until={until}"),
            ],
            None,
        );
        o.assert_bounded(2);
        assert!(o.stderr.contains("out of range"), "{}", o.stderr);
    }
}

/// One batch line of 200,000 operations that are all wrong: every one counted, the list
/// cut at its bound, in linear time (the rejected records were matched to their errors
/// one by one against all the others: minutes for one line).
#[test]
fn simulate_a_wide_batch_of_errors_is_linear() {
    let dir = simulate_contract();
    let n = 200_000;
    let mut line = String::with_capacity(n * 2 + 16);
    line.push_str("{\"batch\":[");
    for i in 0..n {
        line.push_str(if i == 0 { "0" } else { ",0" });
    }
    line.push_str("]}\n");
    line.push_str("{\"type\":\"person\",\"identifiers\":{\"id\":\"c\"},\"action\":\"event\",\"name\":\"signed_up\",\"id\":\"01HZY000000000000000000001\",\"timestamp\":1800000000,\"attributes\":{\"plan\":\"free\"}}\n");
    let r = simulate_json(dir.path(), &line);
    assert_eq!(r["records"], n + 1);
    assert_eq!(r["rejected"]["count"], n);
    assert_eq!(r["simulated"], 1);
    assert_eq!(r["rejected"]["listed"].as_array().unwrap().len(), 1000);
    assert_eq!(r["truncated"], true);
}

/// A store whose `requests` is a view (here an endless recursive query) is refused, not
/// run.
#[test]
fn simulate_refuses_a_store_whose_requests_are_not_a_table() {
    let dir = simulate_contract();
    let db = dir.path().join("store.sqlite");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "CREATE VIEW requests (id, received_at, method, path, body, valid, status, violations) AS
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
           SELECT i, 0, 'POST', '/api/v2/entity', '{}', 1, 200, '[]' FROM n;",
    )
    .unwrap();
    drop(c);
    let o = trackc(dir.path(), &["simulate", "contract", "store.sqlite"], None);
    o.assert_bounded(2);
    assert!(o.stderr.contains("not a table"), "{}", o.stderr);
}
