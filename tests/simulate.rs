//! `trackc simulate`: the CLI over scenario fixtures (tests/fixtures/simulate/) against the
//! example contract, with outcomes computed by hand (tests/fixtures/simulate/README.md).

mod cli;

use std::path::Path;

use cli::{json, stdout, trackc};

const SCENARIOS: &str = "tests/fixtures/simulate/scenarios.ndjson";

/// `trackc ARGS`, which must exit with `code`.
fn exits(args: &[&str], code: i32) -> std::process::Output {
    let o = trackc(args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn scenarios_match_the_hand_computed_outcomes() {
    // Messages after conversion, a backfill enrolment and a duplicate: exit 1.
    let o = exits(&["simulate", "contract", SCENARIOS, "--format", "json"], 1);
    let r = json(&o);
    let cart = &r["workflows"]["cart_recovery"];
    // cat (backfill), ann, bob, eve, fay start a checkout of $80 while subscribed.
    assert_eq!(cart["entered"], 5);
    // bob orders under his id: the one exit.
    assert_eq!(cart["exited"], 1);
    assert_eq!(cart["exits"]["event order_completed"], 1);
    assert_eq!(cart["sent"], 4);
    // ann (order under her email), eve (anonymous order merged late), fay (order arrived
    // after the message was due); cat's backfilled checkout is sent, but she never
    // converted.
    assert_eq!(cart["sent_after_conversion"], 3);
    let missed = r["sent_after_conversion"].as_array().unwrap();
    let by = |p: &str| missed.iter().find(|m| m["person"] == p).unwrap();
    assert_eq!(by("id:cus_ann00001")["reason"], "different_identifier");
    assert_eq!(by("id:cus_ann00001")["event_line"], 14);
    assert_eq!(by("id:cus_ann00001")["trigger_line"], 8);
    assert_eq!(
        by("id:cus_ann00001")["missed_exit"],
        "event order_completed"
    );
    assert_eq!(by("id:cus_eve00001")["reason"], "different_identifier");
    assert!(
        by("id:cus_eve00001")["why"]
            .as_str()
            .unwrap()
            .contains("merge on line 20")
    );
    assert_eq!(by("id:cus_fay00001")["reason"], "arrived_late");
    // The SMS recovery: every abandoner entered cart_abandoners, none is an SMS subscriber.
    assert_eq!(r["workflows"]["cart_recovery_sms"]["triggered"], 5);
    assert_eq!(r["workflows"]["cart_recovery_sms"]["not_in_audience"], 5);
    // First orders: dan, dan's resend under a new event id (already waiting), bob, fay
    // enter or retry; ann's email profile and eve's anonymous one have no consent.
    let onboarding = &r["workflows"]["new_customer_onboarding"];
    assert_eq!(onboarding["triggered"], 6);
    assert_eq!(onboarding["entered"], 3);
    assert_eq!(onboarding["already_waiting"], 1);
    assert_eq!(onboarding["not_in_audience"], 2);
    assert_eq!(onboarding["waiting"], 3);
    // The refund changes nothing: bob's onboarding still waits, nothing else triggered.
    assert_eq!(r["segments"]["cart_abandoners"]["entered"], 5);
    assert_eq!(r["segments"]["cart_abandoners"]["left"], 3);
    assert_eq!(r["segments"]["cart_abandoners"]["members"], 2);
    // The retried order: the same event id is counted once; a new id counts 25 twice.
    assert_eq!(r["duplicates"], 1);
    assert_eq!(r["duplicate_revenue"], 25.0);
    assert_eq!(r["duplicate_list"][0]["line"], 12);
    assert_eq!(r["duplicate_list"][0]["first_line"], 10);
    assert_eq!(r["backfill_enrolments"], 1);
    assert_eq!(r["backfill_list"][0]["workflow"], "cart_recovery");
    assert_eq!(r["backfill_list"][0]["age"], 8200);
    assert_eq!(r["fragmented_people"], 1);
    assert_eq!(r["people"], 6);
    assert_eq!(r["rejected"]["count"], 3);
}

#[test]
fn reports_snapshots() {
    for (format, name) in [
        ("human", "simulate_human"),
        ("markdown", "simulate_markdown"),
        ("json", "simulate_json"),
    ] {
        let o = trackc(&["simulate", "contract", SCENARIOS, "--format", format]);
        assert_eq!(o.status.code(), Some(1));
        insta::assert_snapshot!(name, stdout(&o));
    }
}

/// Both commands on one capture: records validate rejects are reported, and simulated
/// only when Customer.io accepts them all the same; validate's duplicate keys are
/// simulate's duplicates; every other record validate accepts is simulated.
fn differential(contract: &str, file: &str) -> serde_json::Value {
    let v = json(&trackc(&["validate", contract, file, "--format", "json"]));
    let s = json(&trackc(&["simulate", contract, file, "--format", "json"]));
    let violations = v["violations"].as_array().unwrap();
    let dup = |x: &&serde_json::Value| x["code"] == "duplicate_idempotency_key";
    let dups: Vec<u64> = violations
        .iter()
        .filter(dup)
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    let others: Vec<(u64, String)> = violations
        .iter()
        .filter(|x| !dup(x))
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(s["duplicates"].as_u64().unwrap(), dups.len() as u64);
    let s_dups: Vec<u64> = s["duplicate_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(s_dups, dups);
    assert_eq!(
        v["invalid"].as_u64().unwrap(),
        s["rejected"]["count"].as_u64().unwrap() + dups.len() as u64
    );
    let listed: Vec<(u64, String)> = s["rejected"]["listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, others);
    // Nothing validate accepts is dropped: the valid records, the duplicates and the
    // rejected records Customer.io takes all the same are the operations simulated.
    let taken = rejected_simulated(&s);
    assert_eq!(
        s["simulated"].as_u64().unwrap(),
        v["valid"].as_u64().unwrap() + dups.len() as u64 + taken,
        "{file}"
    );
    s
}

#[test]
fn differential_against_validate() {
    let s = differential("contract", SCENARIOS);
    // What Customer.io refuses is not simulated: the unknown event on line 21 reaches no
    // one, while the order under an email (line 14) is simulated on the email profile.
    let sim: Vec<(u64, bool)> = s["rejected"]["listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["simulated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(sim, vec![(2, true), (14, true), (21, false)]);
}

/// A JSON object with a key sent twice: validate reads the last value (of an envelope
/// field, of an event property), so simulate does, instead of dropping the record.
#[test]
fn differential_on_duplicated_json_keys() {
    let s = differential("contract", "tests/fixtures/simulate/duplicated_keys.ndjson");
    assert_eq!(s["simulated"], 5);
    let cart = &s["workflows"]["cart_recovery"];
    // Line 3 is a `checkout_started` (its last `name`), line 4's cart is worth 80 (its
    // last `cart_value`, past the trigger's 20); line 5's order is cus_dup00001's (its last
    // `identifiers`), which ends her journey.
    assert_eq!(cart["triggered"], 2);
    assert_eq!(cart["entered"], 2);
    assert_eq!(cart["exited"], 1);
    assert_eq!(s["profiles"]["id"], 2);
}

#[test]
fn html_page_is_self_contained_escaped_and_plotted() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("hostile.ndjson");
    let scenarios =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIOS)).unwrap();
    let evil = concat!(
        r#"{"type":"person","identifiers":{"id":"cus_evil0001"},"action":"event","name":"<img src=x onerror=alert(1)>","id":"01JD0000000000000000000X01","timestamp":1796045000,"attributes":{}}"#,
        "\n",
        r#"{"method":"POST","path":"/api/v1/customers/%3Cscript%3Ealert(1)%3C%2Fscript%3E%40x.co/events","body":{"name":"order_completed","id":"01JD0000000000000000000X02","timestamp":1796045001,"data":{"order_id":"o<b>","revenue":1,"currency":"USD","items":[{"sku":"S","product_name":"P","quantity":1,"unit_price":1,"category":"skincare"}],"is_first_order":true}}}"#,
        "\n"
    );
    std::fs::write(&hostile, format!("{scenarios}{evil}")).unwrap();
    let o = exits(
        &[
            "simulate",
            "contract",
            hostile.to_str().unwrap(),
            "--format",
            "html",
        ],
        1,
    );
    let page = stdout(&o);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Self-contained: no script, nothing fetched.
    for banned in [
        "<script",
        "<img",
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!page.contains(banned), "{banned} in the page");
    }
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&lt;script&gt;"));
    // The plots: a funnel per workflow someone entered (a sentence for the others) and
    // the membership over time, drawn as SVG.
    let funnels = page.matches("<svg").count() - 1;
    let nobody = page.matches(": nobody entered (").count();
    assert_eq!(funnels + nobody, 11, "a funnel or a sentence per workflow");
    assert!(funnels >= 2 && nobody >= 1, "{funnels} funnels");
    assert!(page.contains(
        "<code>cart_recovery_sms</code>: nobody entered (5 triggered, 5 not in the audience, 0 already waiting)."
    ));
    assert!(page.contains("segment members over time"));
    assert!(page.contains("cart_abandoners"));
}

#[test]
fn serve_store_is_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "CREATE TABLE requests (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, body TEXT NOT NULL, valid INTEGER NOT NULL, status INTEGER NOT NULL, violations TEXT NOT NULL);
         CREATE TABLE operations (request_id INTEGER NOT NULL, idx INTEGER, event TEXT, person TEXT, valid INTEGER NOT NULL, op TEXT NOT NULL, violations TEXT NOT NULL);",
    )
    .unwrap();
    let rows = [
        (
            "PUT",
            "/api/v1/customers/cus_st000001",
            r#"{"email":"s@example.com","email_opt_in":true}"#,
        ),
        (
            "POST",
            "/api/v1/customers/cus_st000001/events",
            r#"{"name":"checkout_started","id":"01JD0000000000000000000S01","data":{"checkout_id":"c","cart_value":30,"currency":"USD","items":[{"sku":"S","product_name":"P","quantity":1,"unit_price":30,"category":"skincare"}]}}"#,
        ),
    ];
    for (i, (m, p, b)) in rows.iter().enumerate() {
        c.execute(
            "INSERT INTO requests VALUES (?1, ?2, ?3, ?4, ?5, 1, 200, '[]')",
            rusqlite::params![
                i as i64 + 1,
                1_796_040_000_000i64 + i as i64 * 1000,
                m,
                p,
                b
            ],
        )
        .unwrap();
    }
    drop(c);
    let o = trackc(&[
        "simulate",
        "contract",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = json(&o);
    assert_eq!(r["records"], 2);
    assert_eq!(r["workflows"]["cart_recovery"]["entered"], 1);
    assert_eq!(r["workflows"]["cart_recovery"]["waiting"], 1);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = trackc(&[
        "simulate",
        "contract",
        "tests/fixtures/simulate/missing.ndjson",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = trackc(&[
        "simulate", "contract", SCENARIOS, "--from", "10", "--until", "5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = trackc(&["simulate", "contract", "/dev/null", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(json(&o)["error"].is_string());
}

#[test]
fn until_ends_the_simulation() {
    // Before any message is due: everyone who entered is still waiting.
    let o = trackc(&[
        "simulate",
        "contract",
        SCENARIOS,
        "--format",
        "json",
        "--until",
        "1796040150",
    ]);
    let r = json(&o);
    let cart = &r["workflows"]["cart_recovery"];
    assert_eq!(
        cart["sent"], 1,
        "cat's backfilled checkout was due long before"
    );
    assert_eq!(cart["waiting"], 1, "ann's checkout at T+100");
    assert_eq!(r["end"], 1796040150);
}

/// A late merge brings every event of the secondary that an exit can count: a waiting
/// journey counts them (a `count` over several, a `within` window at the merge), and a
/// message already sent is flagged only when the merged events, with the person's own,
/// would have made the exit hold before it went out (tests/fixtures/simulate/README.md,
/// "Late merges").
#[test]
fn late_merges_reevaluate_counted_and_windowed_exits() {
    let o = exits(
        &[
            "simulate",
            "tests/fixtures/simulate/late_merge",
            "tests/fixtures/simulate/late_merge.ndjson",
            "--format",
            "json",
        ],
        1,
    );
    let r = json(&o);
    assert_eq!(r["rejected"]["count"], 0);
    let count = &r["workflows"]["nudge_count"];
    // aaa exits at the merge (two anonymous views after the trigger); bbb and ccc are sent.
    assert_eq!(count["entered"], 3);
    assert_eq!(count["exited"], 1);
    assert_eq!(count["sent"], 2);
    // bbb: one own view and one merged view before the message: flagged; ccc: one merged
    // view only, never two: not flagged.
    assert_eq!(count["sent_after_conversion"], 1);
    let window = &r["workflows"]["nudge_window"];
    // eee exits at the merge (two views within 10m of it); ddd's two views are 900 s
    // apart, and only one is within 10m of the merge: sent.
    assert_eq!(window["entered"], 4);
    assert_eq!(window["exited"], 1);
    assert_eq!(window["sent"], 3);
    // ggg: two merged views 300 s apart before the message: flagged; fff: 900 s apart,
    // never two within 10m: not flagged.
    assert_eq!(window["sent_after_conversion"], 1);
    let missed: Vec<(String, u64, String)> = r["sent_after_conversion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["person"].as_str().unwrap().to_owned(),
                m["event_line"].as_u64().unwrap(),
                m["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        missed,
        [
            (
                "id:cus_bbb00001".to_owned(),
                19,
                "different_identifier".to_owned()
            ),
            (
                "id:cus_ggg00001".to_owned(),
                33,
                "different_identifier".to_owned()
            ),
        ]
    );
}

/// Records rejected by validate but simulated all the same (as listed).
fn rejected_simulated(r: &serde_json::Value) -> u64 {
    r["rejected"]["listed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["simulated"] == true)
        .count() as u64
}

/// Records none of the report's counts takes: every record is simulated, rejected
/// without being simulated, naming no person, after `--until` or past the bound of
/// operations — exactly once (the lists here are not cut, so the rejected records
/// simulated all the same are those listed as such).
fn unaccounted(r: &serde_json::Value) -> i64 {
    assert!(r.get("truncated").is_none());
    let n = |k: &str| r[k].as_i64().unwrap_or(0);
    n("records")
        - n("simulated")
        - (r["rejected"]["count"].as_i64().unwrap() - rejected_simulated(r) as i64)
        - n("unattributed")
        - n("after_until")
        - n("not_simulated")
}

const UNATTRIBUTED: &str = "tests/fixtures/simulate/unattributed.ndjson";

/// Operations Customer.io takes that name no person (an anonymous event without an
/// anonymous id, a form, a metric, an unsubscribe, objects and deliveries, one in a
/// batch) are counted and listed, not lost (tests/fixtures/simulate/README.md,
/// "Operations naming no person").
#[test]
fn operations_naming_no_person_are_counted_and_listed() {
    let r = json(&exits(
        &["simulate", "contract", UNATTRIBUTED, "--format", "json"],
        0,
    ));
    assert_eq!(r["records"], 16);
    assert_eq!(r["simulated"], 7);
    assert_eq!(r["rejected"]["count"], 3);
    assert_eq!(r["unattributed"], 8);
    assert!(r.get("after_until").is_none());
    let listed: Vec<(u64, Option<u64>, Option<&str>)> = r["unattributed_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["line"].as_u64().unwrap(),
                u["index"].as_u64(),
                u["event"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (2, None, Some("product_viewed")),
            (4, None, None),
            (5, None, None),
            (6, None, None),
            (7, Some(1), None),
            (10, None, None),
            (11, None, None),
            (12, None, Some("product_viewed")),
        ]
    );
    assert_eq!(unaccounted(&r), 0);
    // Records after `--until` are counted too: lines 13 (an email's, which Customer.io
    // takes) and 14.
    let r = json(&trackc(&[
        "simulate",
        "contract",
        UNATTRIBUTED,
        "--format",
        "json",
        "--until",
        "1796047250",
    ]));
    assert_eq!(
        (&r["simulated"], &r["unattributed"], &r["after_until"]),
        (&5.into(), &8.into(), &2.into())
    );
    assert_eq!(unaccounted(&r), 0);
    // Every fixture accounts for every record.
    for (contract, file) in [
        ("contract", SCENARIOS),
        ("contract", "tests/fixtures/simulate/duplicated_keys.ndjson"),
        (
            "tests/fixtures/simulate/late_merge",
            "tests/fixtures/simulate/late_merge.ndjson",
        ),
        (
            "tests/fixtures/simulate/timed_exits",
            "tests/fixtures/simulate/timed_exits.ndjson",
        ),
    ] {
        let r = json(&trackc(&["simulate", contract, file, "--format", "json"]));
        assert_eq!(unaccounted(&r), 0, "{file}");
        assert_eq!(r["unattributed"], 0, "{file}");
    }
    // Every format says so.
    let human = stdout(&exits(&["simulate", "contract", UNATTRIBUTED], 0));
    assert!(
        human.contains("3 records rejected by validate, 8 naming no person;"),
        "{human}"
    );
    assert!(human.contains("Naming no person: 8 "), "{human}");
    assert!(
        human.contains("  - line 2: event `product_viewed`\n"),
        "{human}"
    );
    assert!(human.contains("  - line 7 (operation 1): not an event of the contract\n"));
    let md = stdout(&exits(
        &["simulate", "contract", UNATTRIBUTED, "--format", "markdown"],
        0,
    ));
    assert!(md.contains("### Naming no person: 8 "), "{md}");
    assert!(md.contains("- line 12: event `product_viewed`\n"), "{md}");
    let html = stdout(&exits(
        &["simulate", "contract", UNATTRIBUTED, "--format", "html"],
        0,
    ));
    assert!(html.contains("8 naming no person;"));
    assert!(html.contains("<h2>Naming no person: 8</h2>"));
    assert!(html.contains("<li>line 2: event <code>product_viewed</code></li>"));
}

/// Sections with nothing to list say so, under a heading with their count, instead of an
/// empty list under a bare heading.
#[test]
fn html_sections_with_nothing_to_list_say_so() {
    let page = trackc(&[
        "simulate",
        "tests/fixtures/simulate/timed_exits",
        "tests/fixtures/simulate/timed_exits.ndjson",
        "--format",
        "html",
    ]);
    let page = String::from_utf8(page.stdout).unwrap();
    assert!(page.contains(
        "<h2>Sent after conversion: 0</h2>\n<p>No message went out after its person converted.</p>"
    ));
    assert!(page.contains("<h2>Data promises</h2>\n<p>No duplicate keys"));
    assert!(!page.contains("<ul>\n</ul>"), "{page}");
}
