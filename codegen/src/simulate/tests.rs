//! The people model on the example contract, line by line.

use super::*;

fn example() -> Ir {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract");
    crate::check(&dir).unwrap().ir.unwrap()
}

fn simulate(ir: &Ir, lines: &[String]) -> Report {
    let v = Validator::new(ir).unwrap();
    let mut s = Simulator::new(ir, &v, Options::default()).unwrap();
    for (i, l) in lines.iter().enumerate() {
        s.feed_line(i as u64 + 1, l.as_bytes());
    }
    s.finish().unwrap()
}

/// `lines` simulated with the traffic ending at `until` (`--until`); validate rejects
/// none of them.
fn simulate_until<'l>(ir: &Ir, lines: impl Iterator<Item = &'l str>, until: i64) -> Report {
    let v = Validator::new(ir).unwrap();
    let opts = Options {
        from: None,
        until: Some(until),
    };
    let mut s = Simulator::new(ir, &v, opts).unwrap();
    for (i, l) in lines.enumerate() {
        s.feed_line(i as u64 + 1, l.as_bytes());
    }
    let r = s.finish().unwrap();
    assert_eq!(r.rejected.count, 0, "{:?}", r.rejected);
    r
}

fn identify(id: &str, t: i64, attrs: &str) -> String {
    format!(
        r#"{{"type":"person","identifiers":{{"id":"{id}"}},"action":"identify","timestamp":{t},"attributes":{attrs}}}"#
    )
}

fn event(id: &str, t: i64, name: &str, eid: &str, data: &str) -> String {
    format!(
        r#"{{"type":"person","identifiers":{{"id":"{id}"}},"action":"event","name":"{name}","id":"{eid}","timestamp":{t},"attributes":{data}}}"#
    )
}

#[test]
fn cart_recovery_exits_on_an_order_and_sends_otherwise() {
    let ir = example();
    let subscribed = r#"{"email":"a@example.com","email_opt_in":true}"#;
    let checkout = |c: &str| {
        format!(
            r#"{{"checkout_id":"{c}","cart_value":50,"currency":"USD","items":[{{"sku":"S1","product_name":"Serum","quantity":1,"unit_price":50,"category":"skincare"}}]}}"#
        )
    };
    let lines = vec![
        identify("cus_00000001", 1000, subscribed),
        identify(
            "cus_00000002",
            1000,
            r#"{"email":"b@example.com","email_opt_in":true}"#,
        ),
        event(
            "cus_00000001",
            2000,
            "checkout_started",
            "01HZY0000000000000000000A1",
            &checkout("ch_1"),
        ),
        event(
            "cus_00000002",
            2000,
            "checkout_started",
            "01HZY0000000000000000000A2",
            &checkout("ch_2"),
        ),
        event(
            "cus_00000001",
            2500,
            "order_completed",
            "01HZY0000000000000000000B1",
            r#"{"order_id":"o1","revenue":50,"currency":"USD","is_first_order":false,"items":[{"sku":"S1","product_name":"Serum","quantity":1,"unit_price":50,"category":"skincare"}]}"#,
        ),
        identify("cus_00000003", 9000, "{}"),
    ];
    let r = simulate(&ir, &lines);
    assert_eq!(r.rejected.count, 0, "{:?}", r.rejected);
    let w = &r.workflows["cart_recovery"];
    assert_eq!((w.entered, w.sent, w.exited), (2, 1, 1), "{w:?}");
}

/// Records before `--from` build up state but are not counted: a duplicate order and an
/// out-of-order record before it are not reported; a repeat after it of a key first used
/// before it is.
#[test]
fn records_before_from_are_not_counted() {
    let ir = example();
    let order = |eid: &str, t: i64| {
        event(
            "cus_00000001",
            t,
            "order_completed",
            eid,
            r#"{"order_id":"o1","revenue":50,"currency":"USD","is_first_order":false,"items":[{"sku":"S1","product_name":"Serum","quantity":1,"unit_price":50,"category":"skincare"}]}"#,
        )
    };
    let lines = [
        order("01HZY0000000000000000000B1", 2000),
        order("01HZY0000000000000000000B2", 2100),
        // Out of order, before --from.
        identify("cus_00000001", 1500, "{}"),
        order("01HZY0000000000000000000B3", 5000),
    ];
    let run = |from: Option<i64>| {
        let v = Validator::new(&ir).unwrap();
        let mut s = Simulator::new(&ir, &v, Options { from, until: None }).unwrap();
        for (i, l) in lines.iter().enumerate() {
            s.feed_line(i as u64 + 1, l.as_bytes());
        }
        s.finish().unwrap()
    };
    let all = run(None);
    assert_eq!((all.duplicates, all.out_of_order), (2, 1));
    let later = run(Some(3000));
    assert_eq!((later.duplicates, later.out_of_order), (1, 0));
    assert_eq!(later.duplicate_list[0].line, 4);
    assert_eq!(later.duplicate_list[0].first_line, 1);
}

/// An order whose timestamp is before the cart reminder was due, but which reached
/// Customer.io after it: the journey waits on as if the order had not happened. A second
/// checkout meanwhile finds it waiting (one journey), the reminder goes out when due
/// (arrived late) unless the person left the audience, and waits past `--until`.
#[test]
fn a_late_exit_event_keeps_the_journey_until_its_message() {
    let ir = example();
    let checkout = |eid: &str, t: i64| {
        event(
            "cus_00000001",
            t,
            "checkout_started",
            eid,
            r#"{"checkout_id":"ch_1","cart_value":50,"currency":"USD","items":[{"sku":"S1","product_name":"Serum","quantity":1,"unit_price":50,"category":"skincare"}]}"#,
        )
    };
    let order = event(
        "cus_00000001",
        10_300,
        "order_completed",
        "01HZY0000000000000000000B1",
        r#"{"order_id":"o1","revenue":50,"currency":"USD","is_first_order":true,"items":[{"sku":"S1","product_name":"Serum","quantity":1,"unit_price":50,"category":"skincare"}]}"#,
    );
    // Received at 12,400: after the reminder fell due (10,000 + 30 min = 11,800).
    let late_order = format!("{{\"received_at\":12400,{}", &order[1..]);
    let base = vec![
        identify(
            "cus_00000001",
            1000,
            r#"{"email":"a@example.com","email_opt_in":true}"#,
        ),
        checkout("01HZY0000000000000000000A1", 10_000),
        late_order,
        checkout("01HZY0000000000000000000A2", 10_600),
        // The traffic goes on past the reminder.
        identify("cus_00000002", 13_000, "{}"),
    ];
    let r = simulate(&ir, &base);
    assert_eq!(r.rejected.count, 0, "{:?}", r.rejected);
    let w = &r.workflows["cart_recovery"];
    assert_eq!(
        (w.triggered, w.entered, w.already_waiting, w.exited, w.sent),
        (2, 1, 1, 0, 1),
        "{w:?}"
    );
    assert_eq!(w.sent_after_conversion, 1);
    assert_eq!(r.sent_after_conversion[0].reason, Reason::ArrivedLate);
    assert_eq!(r.sent_after_conversion[0].event_line, 3);
    // Unsubscribed before the reminder fell due: nothing goes out.
    let mut left = base.clone();
    left.push(identify(
        "cus_00000001",
        11_000,
        r#"{"email_opt_in":false}"#,
    ));
    let r = simulate(&ir, &left);
    let w = &r.workflows["cart_recovery"];
    assert_eq!(
        (w.left_audience, w.sent, w.sent_after_conversion),
        (1, 0, 0),
        "{w:?}"
    );
    // The traffic ends before the reminder falls due: still waiting.
    let r = simulate_until(&ir, base.iter().map(String::as_str), 11_000);
    let w = &r.workflows["cart_recovery"];
    assert_eq!((w.waiting, w.sent, w.exited), (1, 0, 0), "{w:?}");
}

/// A late event that makes a segment exit hold, and takes the person out of the
/// audience: the journey sees the person's segments without the changes that event made,
/// so the message goes out when due (arrived late).
#[test]
fn a_late_event_counts_for_no_segment_exit_or_audience_of_the_journey() {
    let ir = crate::checked_text(
        r#"
contract: late
version: "1.0.0"
identity:
  id: customer_id
events:
  started: { owner: web, properties: {} }
  bought: { owner: web, properties: {} }
segments:
  buyers:
    description: Bought.
    all:
      - event: bought
  not_buyers:
    description: Never bought.
    none:
      - event: bought
workflows:
  nudge:
    goal: engagement
    trigger: { event: started }
    audience: [not_buyers]
    wait: 30m
    exit_when:
      - segment: buyers
    channels: [webhook]
"#,
    );
    let bought = event(
        "cus_1",
        10_300,
        "bought",
        "01HZY0000000000000000000B1",
        "{}",
    );
    let lines = vec![
        event(
            "cus_1",
            10_000,
            "started",
            "01HZY0000000000000000000A1",
            "{}",
        ),
        // Received after the message fell due (10,000 + 30 min = 11,800).
        format!("{{\"received_at\":12400,{}", &bought[1..]),
        identify("cus_2", 13_000, "{}"),
    ];
    let r = simulate(&ir, &lines);
    assert_eq!(r.rejected.count, 0, "{:?}", r.rejected);
    let w = &r.workflows["nudge"];
    assert_eq!(
        (
            w.entered,
            w.exited,
            w.left_audience,
            w.sent,
            w.sent_after_conversion
        ),
        (1, 0, 0, 1, 1),
        "{w:?}"
    );
    assert_eq!(r.sent_after_conversion[0].reason, Reason::ArrivedLate);
    assert_eq!(r.sent_after_conversion[0].missed_exit, "segment buyers");
    // On time, the same order ends the journey.
    let on_time = vec![lines[0].clone(), bought, lines[2].clone()];
    let w = &simulate(&ir, &on_time).workflows["nudge"];
    assert_eq!((w.exited, w.sent), (1, 0), "{w:?}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A capture of a few people: identifies, checkouts, orders, product views, at
    /// distinct times (ties are broken by line, which shuffling changes), and anonymous
    /// views sent without an anonymous id (they name no person). Every line is one the
    /// contract accepts ([`generated_lines_are_valid`]); orders reuse three keys, so
    /// some are duplicates, which only the whole capture shows. Some orders reach
    /// Customer.io up to an hour after their timestamp (`received_at`), so that some
    /// arrive after a cart reminder they should have stopped was due.
    fn capture() -> impl Strategy<Value = Vec<String>> {
        let op = (0u8..4, 0u8..7, 1i64..20_000, 0u8..3, 0i64..3_500);
        prop::collection::vec(op, 1..40).prop_map(|ops| {
            let mut t = 1_796_000_000i64;
            ops.into_iter()
                .enumerate()
                .map(|(i, (p, kind, dt, key, delay))| {
                    t += dt;
                    let id = format!("cus_0000000{p}");
                    let eid = format!("01HZY00000000000000000{i:04}");
                    let item = r#"[{"sku":"S1","product_name":"Serum","quantity":1,"unit_price":50,"category":"skincare"}]"#;
                    match kind {
                        0 => identify(&id, t, &format!(r#"{{"email":"p{p}@example.com","email_opt_in":true}}"#)),
                        1 => event(&id, t, "checkout_started", &eid, &format!(r#"{{"checkout_id":"c{i}","cart_value":50,"currency":"USD","items":{item}}}"#)),
                        2 | 6 => {
                            let order = event(&id, t, "order_completed", &eid, &format!(r#"{{"order_id":"o{key}","revenue":50,"currency":"USD","is_first_order":true,"items":{item}}}"#));
                            if kind == 6 {
                                format!(r#"{{"received_at":{},{}"#, t + delay, &order[1..])
                            } else {
                                order
                            }
                        }
                        3 => event(&id, t, "product_viewed", &eid, VIEW),
                        4 => format!(
                            r#"{{"method":"POST","path":"/api/v1/events","body":{{"name":"product_viewed","id":"{eid}","timestamp":{t},"data":{VIEW}}}}}"#
                        ),
                        _ => identify(&id, t, r#"{"email_opt_in":false}"#),
                    }
                })
                .collect()
        })
    }

    /// What does not depend on where a record sits in the file.
    fn outcome(r: &Report) -> String {
        format!(
            "{:?} {:?} {} {} {} {} {} {} {}",
            r.workflows,
            r.segments,
            r.duplicates,
            r.backfill_enrolments,
            r.fragmented_people,
            r.sent_after_conversion.len(),
            r.rejected.count,
            r.simulated,
            r.unattributed
        )
    }

    /// The data of a `product_viewed` the contract accepts.
    const VIEW: &str =
        r#"{"sku":"S1","product_name":"Serum","category":"skincare","price":50,"currency":"USD"}"#;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The properties below are about traffic the contract accepts: validate finds
        /// no error in any generated line, and every record is simulated but the
        /// anonymous views without an anonymous id, counted as naming no person.
        #[test]
        fn generated_lines_are_valid(lines in capture()) {
            let ir = example();
            let v = Validator::new(&ir).unwrap();
            for (i, l) in lines.iter().enumerate() {
                let (summary, violations) = v.validate_line(i as u64 + 1, l.as_bytes());
                prop_assert_eq!(summary.invalid, 0, "{} {:?}", l, violations);
            }
            let r = simulate(&ir, &lines);
            let anonymous = lines.iter().filter(|l| l.contains("/api/v1/events")).count() as u64;
            prop_assert_eq!(r.rejected.count, 0);
            prop_assert_eq!(r.unattributed, anonymous);
            prop_assert_eq!(r.records, lines.len() as u64);
            prop_assert_eq!(r.simulated + r.unattributed, r.records);
        }

        #[test]
        fn replaying_twice_gives_the_same_report(lines in capture()) {
            let ir = example();
            prop_assert_eq!(simulate(&ir, &lines), simulate(&ir, &lines));
        }

        /// Time order kept on disk in runs of a few records gives the report of the
        /// in-memory sort.
        #[test]
        fn runs_on_disk_give_the_in_memory_report(lines in capture(), run in 1usize..8) {
            let ir = example();
            let v = Validator::new(&ir).unwrap();
            let mut s = Simulator::new(&ir, &v, Options::default()).unwrap();
            s.set_run_records(run);
            for (i, l) in lines.iter().enumerate() {
                s.feed_line(i as u64 + 1, l.as_bytes());
            }
            prop_assert_eq!(s.finish().unwrap(), simulate(&ir, &lines));
        }

        #[test]
        fn shuffled_input_is_put_back_in_time_order(
            (lines, shuffled) in capture().prop_flat_map(|l| (Just(l.clone()), Just(l).prop_shuffle()))
        ) {
            let ir = example();
            prop_assert_eq!(outcome(&simulate(&ir, &lines)), outcome(&simulate(&ir, &shuffled)));
        }
    }
}

/// The pipelined reader gives what line-by-line feeding gives, whatever the threads.
#[test]
fn reader_and_lines_agree_for_any_number_of_threads() {
    let ir = example();
    let v = Validator::new(&ir).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/simulate/scenarios.ndjson");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let by_line = simulate(&ir, &lines);
    for threads in [1, 3] {
        let mut s = Simulator::new(&ir, &v, Options::default()).unwrap();
        s.set_threads(threads);
        let last = s.feed_reader(text.as_bytes(), 1).unwrap();
        assert_eq!(last, lines.len() as u64);
        assert_eq!(s.finish().unwrap(), by_line, "{threads} threads");
    }
    // The scenarios again, their time order kept on disk in runs of three records.
    let mut s = Simulator::new(&ir, &v, Options::default()).unwrap();
    s.set_run_records(3);
    s.feed_reader(text.as_bytes(), 1).unwrap();
    assert_eq!(s.finish().unwrap(), by_line, "runs on disk");
}

/// A window keeps only the latest events that decide its count, and its one timer walks
/// from the oldest to the next: `browsers_not_buying` (3 product views within 2 weeks)
/// is entered at the third view and left exactly when the fifth-latest of seven views
/// slides out, whatever was dropped on the way.
#[test]
fn a_counted_window_slides_event_by_event() {
    let ir = example();
    let day = 86_400;
    let view = |d: i64, n: usize| {
        event(
            "cus_00000001",
            d * day,
            "product_viewed",
            &format!("01HZY00000000000000000V{n:03}"),
            r#"{"sku":"S1","product_name":"Serum","category":"skincare","price":50,"currency":"USD"}"#,
        )
    };
    // Views on days 0 to 6; the segment holds while 3 fall within (t - 14 d, t].
    let lines: Vec<String> = (0..7).map(|d| view(d, d as usize)).collect();
    let run = |until: i64| {
        let r = simulate_until(&ir, lines.iter().map(String::as_str), until);
        let g = &r.segments["browsers_not_buying"];
        (g.entered, g.left, g.members)
    };
    // Entered at the third view (day 2).
    assert_eq!(run(2 * day), (1, 0, 1));
    // Day 17: days 0–3 slid out, 4, 5, 6 remain.
    assert_eq!(run(17 * day + 3600), (1, 0, 1));
    // Day 18: day 4 slides out, two remain.
    assert_eq!(run(18 * day), (1, 1, 0));
}

/// Exits that turn true by time alone end the journey at that second, not when something
/// else next happens to the person or when the message falls due
/// (tests/fixtures/simulate/README.md, "Exits that turn true by time"). Each moment is
/// read as the end of the traffic (`--until`): the journey waits one second before it
/// and has exited at it.
#[test]
fn exits_that_turn_true_by_time_end_journeys_at_that_second() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/simulate/timed_exits");
    let ir = crate::check(&dir).unwrap().ir.unwrap();
    let text = std::fs::read_to_string(dir.with_extension("ndjson")).unwrap();
    // (entered, exited, waiting, sent) of workflow `w` when the traffic ends at `until`.
    let at = |until: i64, w: &str| {
        let r = simulate_until(&ir, text.lines(), until);
        let s = &r.workflows[w];
        (s.entered, s.exited, s.waiting, s.sent)
    };
    let t = 1_796_040_000;
    // `trial_tips` exits on `gone_quiet` (views, none in 2 d). ddd's only view, three
    // days before her trial (T+100), made her quiet already: she exits as she enters.
    // aaa's view at T+3600 slides out of the window at T+3600+2d = T+176400.
    assert_eq!(at(t + 99, "trial_tips"), (0, 0, 0, 0));
    assert_eq!(at(t + 100, "trial_tips"), (2, 1, 1, 0));
    assert_eq!(at(t + 176_399, "trial_tips"), (2, 1, 1, 0));
    assert_eq!(at(t + 176_400, "trial_tips"), (2, 2, 0, 0));
    // `demo_follow_up` exits on fewer than one view in the last day: bbb has none after
    // her demo (T+100) when it is booked, so the exit holds at once (her view at T+3600
    // comes after it).
    assert_eq!(at(t + 100, "demo_follow_up"), (1, 1, 0, 0));
    // `webinar_recap` exits on exactly one view in the last hour: ccc's two anonymous
    // views (T+200, T+300) join her at the merge (T+400), two after her webinar (T+100);
    // at T+200+1h = T+3800 the first slides out and one is left. eee's three (T+200,
    // T+300, T+350) leave two at T+3800; the timer walks on to T+3900, which leaves one.
    assert_eq!(at(t + 3_799, "webinar_recap"), (2, 0, 2, 0));
    assert_eq!(at(t + 3_800, "webinar_recap"), (2, 1, 1, 0));
    assert_eq!(at(t + 3_899, "webinar_recap"), (2, 1, 1, 0));
    assert_eq!(at(t + 3_900, "webinar_recap"), (2, 2, 0, 0));
    // A week on, when every message was due: none went out.
    for w in ["trial_tips", "demo_follow_up", "webinar_recap"] {
        let (entered, exited, waiting, sent) = at(t + 8 * 86_400, w);
        assert_eq!((exited, waiting, sent), (entered, 0, 0), "{w}");
    }
}
