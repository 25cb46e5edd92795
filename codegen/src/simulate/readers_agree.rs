//! The two ways simulate reads an operation's envelope — from the validator's own pass
//! ([`crate::validate::tap`], the common shapes) and by reading the line again
//! ([`super::read`], every shape) — give the same records, line by line and report by
//! report.

use proptest::prelude::*;

use super::*;

fn contract(dir: &str) -> Ir {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    crate::check(&dir).unwrap().ir.unwrap()
}

/// The lines as prepared, rendered with identifiers' texts (not their places).
fn prepared(ir: &Ir, v: &Validator, tap: bool, lines: &[String]) -> (String, usize) {
    let m = model::Model::new(ir).unwrap();
    let mut judge = line_judge(&m, v, tap);
    let mut batch = Batch::default();
    let mut tapped = 0;
    for (i, l) in lines.iter().enumerate() {
        prepare(
            &m,
            &v.fingerprints,
            &mut judge,
            i as u64 + 1,
            l.as_bytes(),
            &mut batch,
        );
        tapped += usize::from(judge.tapped().is_some());
    }
    let who = |w: Option<&Who>| w.map(|w| format!("{:?}:{}", w.kind, &batch.texts[w.text.clone()]));
    let mut out = String::new();
    let mut ops = batch.ops.iter();
    for p in &batch.lines {
        out += &format!(
            "line {} records {} invalid {} rejected {:?} received {:?}\n",
            p.line, p.records, p.invalid, p.rejected, p.received_at
        );
        for op in ops.by_ref().take(p.ops) {
            let body = match &op.body {
                PreBody::Identify { attrs, anonymous } => {
                    format!("identify {attrs:?} anonymous {:?}", who(anonymous.as_ref()))
                }
                PreBody::Merge(s) => format!("merge {:?}", who(Some(s))),
                other => format!("{other:?}"),
            };
            out += &format!(
                "  {:?} {:?} {:?} {body}\n",
                op.index,
                who(op.who.as_ref()),
                op.timestamp
            );
        }
    }
    (out, tapped)
}

fn report(ir: &Ir, v: &Validator, tap: bool, text: &str) -> String {
    let mut s = Simulator::new(ir, v, Options::default()).unwrap();
    s.set_tap(tap);
    for (i, l) in text.lines().enumerate() {
        s.feed_line(i as u64 + 1, l.as_bytes());
    }
    serde_json::to_string_pretty(&s.finish().unwrap()).unwrap()
}

#[test]
fn the_fixtures_give_the_same_report_both_ways() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let example = contract("../contract");
    let late = contract("../tests/fixtures/simulate/late_merge");
    let timed = contract("../tests/fixtures/simulate/timed_exits");
    for (ir, file) in [
        (&example, "simulate/scenarios.ndjson"),
        (&example, "simulate/duplicated_keys.ndjson"),
        (&example, "simulate/unattributed.ndjson"),
        (&timed, "simulate/timed_exits.ndjson"),
        (&late, "simulate/late_merge.ndjson"),
        (&example, "validate/traffic.ndjson"),
        (&example, "validate/valid.ndjson"),
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect(file);
        let v = Validator::new(ir).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let (tapped, n) = prepared(ir, &v, true, &lines);
        let (read, _) = prepared(ir, &v, false, &lines);
        assert_eq!(tapped, read, "{file}");
        assert_eq!(
            report(ir, &v, true, &text),
            report(ir, &v, false, &text),
            "{file}"
        );
        // The tap is what reads these files, not the fallback.
        if file.starts_with("simulate/") && !file.contains("unattributed") {
            assert!(
                n * 2 > lines.len(),
                "{file}: {n} of {} lines tapped",
                lines.len()
            );
        }
    }
}

/// `"name":value`, for each of `values` (JSON texts).
fn member(name: &'static str, values: Vec<&'static str>) -> impl Strategy<Value = String> {
    prop::sample::select(values).prop_map(move |v| format!(r#""{name}":{v}"#))
}

/// Envelope fields, each with values of the kinds traffic sends and of the kinds it
/// should not (wrong types, escapes, numbers, fields the tap leaves to the other reader).
fn field() -> impl Strategy<Value = String> {
    let ulid = "\"01JD0000000000000000000C01\"";
    prop_oneof![
        member("type", vec![r#""person""#, r#""object""#, "5"]),
        member(
            "identifiers",
            vec![
                r#"{"id":"cus_00000001"}"#,
                r#"{"id":"cus_0000000\u0032"}"#,
                r#"{"id":7}"#,
                r#"{"id":-3}"#,
                r#"{"id":18446744073709551615}"#,
                r#"{"id":99999999999999999999}"#,
                r#"{"id":1.5}"#,
                r#"{"id":true}"#,
                r#"{"id":""}"#,
                r#"{"email":"a@example.com"}"#,
                r#"{"phone":"+14155550100"}"#,
                r#"{"cio_id":"c1"}"#,
                r#"{"cio_id":42}"#,
                r#"{"email":null,"phone":"+14155550100"}"#,
                r#"{"id":"cus_00000001","id":"cus_00000002"}"#,
                r#"{"email":"x@example.com","id":"cus_00000003"}"#,
                r#"{"id":"cus_00000001","color":"red"}"#,
                r#"{}"#,
                r#""cus_00000001""#,
            ]
        ),
        member(
            "action",
            vec![
                r#""event""#,
                r#""identify""#,
                r#""merge""#,
                r#""page""#,
                r#""delete""#,
                "5",
                "null"
            ]
        ),
        member(
            "name",
            vec![
                r#""order_completed""#,
                r#""checkout_started""#,
                r#""order_refunded""#,
                r#""product_viewed""#,
                r#""cart_updated""#,
                r#""subscription_canceled""#,
                r#""site_visit""#,
                r#""order_c\u006fmpleted""#,
                r#""not_an_event""#,
                "3",
            ]
        ),
        member("id", vec![ulid, r#""not-a-ulid""#, "12", "null"]),
        member(
            "timestamp",
            vec![
                "1796032800",
                "1796032800.7",
                "1796032800000",
                "-5",
                "0",
                r#""2026-11-30T00:00:00Z""#,
                "null",
            ]
        ),
        member(
            "attributes",
            vec![
                r#"{"order_id":"ord_1","revenue":80,"currency":"USD","items":[{"sku":"SKN-1","product_name":"Serum","quantity":1,"unit_price":80,"category":"skincare"}],"is_first_order":true}"#,
                r#"{"order_id":"ord\u005f1","revenue":80.5,"is_first_order":false}"#,
                r#"{"order_id":17,"revenue":"80"}"#,
                r#"{"checkout_id":"chk_1","cart_value":50,"currency":"USD","items":[]}"#,
                r#"{"checkout_id":"chk_1","cart_value":10,"revenue":99}"#,
                r#"{"refund_id":"ref_1","order_id":"ord_1","revenue":5}"#,
                r#"{"reason":"too_expensive","subscription_id":"sub_1"}"#,
                r#"{"reason":"other"}"#,
                r#"{"product_id":"p1","product_name":"Serum","category":"skincare","price":50}"#,
                r#"{"email":"a@example.com","email_opt_in":true,"sms_opt_in":false}"#,
                r#"{"email_opt_in":"yes","anonymous_id":"an_1"}"#,
                r#"{"first_name":"Jane","email_opt_in":true,"email_opt_in":false}"#,
                "[1,2]",
                "null",
                "{}",
            ]
        ),
        member("anonymous_id", vec![r#""an_1""#, "7"]),
        prop::sample::select(vec![
            r#""primary":{"id":"cus_00000001"}"#,
            r#""secondary":{"email":"a@example.com"}"#,
        ])
        .prop_map(str::to_owned),
        Just(r#""extra":{"nested":[1,{"id":"x"}]}"#.to_owned()),
    ]
}

/// The scenario fixture's v2 operations: valid records of the example contract.
fn valid_operations() -> Vec<String> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/simulate/scenarios.ndjson");
    let text = std::fs::read_to_string(file).unwrap();
    (text.lines())
        .filter(|l| l.starts_with(r#"{"type":"person""#))
        // Without `received_at`: a line adds its own.
        .map(|l| match l.find(r#","received_at""#) {
            Some(i) => format!("{}}}", &l[..i]),
            None => l.to_owned(),
        })
        .collect()
}

/// A valid v2 operation, with extra fields before its own (replaced by them: the data
/// read raw, before the action says how) and after them (replacing them).
fn operation() -> impl Strategy<Value = String> {
    let ops = valid_operations();
    (
        prop::sample::select(ops),
        prop::collection::vec(field(), 0..3),
        prop::collection::vec(field(), 0..3),
    )
        .prop_map(|(op, before, after)| {
            let inner = &op[1..op.len() - 1];
            let fields: Vec<&str> = (before.iter().map(String::as_str))
                .chain([inner])
                .chain(after.iter().map(String::as_str))
                .collect();
            format!("{{{}}}", fields.join(","))
        })
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => operation(),
        2 => prop::collection::vec(operation(), 1..4)
            .prop_map(|ops| format!(r#"{{"batch":[{}]}}"#, ops.join(","))),
        1 => operation().prop_map(|op| format!(r#"{{"batch":[{op},7,{{"type":"object","action":"identify","identifiers":{{"object_type_id":"1","object_id":"a"}}}}]}}"#)),
        1 => (operation(), prop::sample::select(vec!["1796040000", "1796040000.9", "\"x\""]))
            .prop_map(|(op, r)| format!("{},\"received_at\":{r}}}", &op[..op.len() - 1])),
        1 => operation().prop_map(|op| format!(
            r#"{{"method":"POST","path":"/api/v2/entity","body":{op}}}"#
        )),
        // The validator reads every batch sent and the operation fields beside them;
        // simulate's reader, the last batch only.
        1 => (operation(), operation()).prop_map(|(a, b)| format!(r#"{{"batch":[{a}],"batch":[{b}]}}"#)),
        1 => (operation(), operation()).prop_map(|(a, b)| format!(
            r#"{{"method":"POST","path":"/api/v2/batch","body":{{"batch":[{a}]}},"batch":[{b}]}}"#
        )),
        1 => (operation(), operation()).prop_map(|(a, b)| format!(r#"{{{},"batch":[{b}]}}"#, &a[1..a.len() - 1])),
        // A float timestamp: no integer for the validator, floored by the other reader.
        1 => (operation(), prop::sample::select(vec!["1796032800.7", "-0", "1e9"])).prop_map(|(op, t)| format!(
            r#"{{"batch":[{op},{{"type":"object","identifiers":{{"object_type_id":"1","object_id":"a"}},"action":"identify","timestamp":{t}}}]}}"#
        )),
    ]
}

/// An idempotent event that declares a numeric `revenue` and that no filter reads: its
/// key and revenue come from the validator's promises, not from its data read again.
#[test]
fn key_and_revenue_come_from_the_promises_as_the_data_says() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("contract.yaml"),
        r#"contract: revenue
version: "1.0.0"
identity:
  id: customer_id
  id_type: { type: string }
attributes:
  email: { type: string, format: email, pii: true, description: Where email goes. }
events:
  purchase:
    description: An order.
    owner: web
    idempotency_key: order_id
    properties:
      order_id: { type: string, description: The order. }
      revenue: { type: number, optional: true, description: What it earned. }
segments:
  buyers:
    description: Bought once.
    all:
      - event: purchase
"#,
    )
    .unwrap();
    let ir = crate::check(dir.path()).unwrap().ir.unwrap();
    let v = Validator::new(&ir).unwrap();
    let op = |fields: &str| {
        format!(
            r#"{{"type":"person","identifiers":{{"id":"c1"}},"action":"event","name":"purchase","id":"01JD0000000000000000000C01",{fields}}}"#
        )
    };
    let lines: Vec<String> = [
        op(r#""attributes":{"order_id":"o1","revenue":5}"#),
        op(r#""attributes":{"order_id":"o1","revenue":5.5}"#),
        op(r#""attributes":{"order_id":"o1"}"#),
        // Sent twice: the last one's (no revenue) for both readers.
        op(r#""attributes":{"order_id":"o1","revenue":5},"attributes":{"order_id":"o2"}"#),
        op(r#""attributes":{"revenue":7,"order_id":"o3","revenue":8}"#),
        // Operation fields beside a batch: what their data said is not the batch's.
        format!(
            r#"{{"action":"event","name":"purchase","attributes":{{"order_id":"o4","revenue":9}},"batch":[{}]}}"#,
            op(r#""attributes":{"order_id":"o5"}"#)
        ),
    ]
    .into();
    let (tapped, n) = prepared(&ir, &v, true, &lines);
    let (read, _) = prepared(&ir, &v, false, &lines);
    assert_eq!(tapped, read);
    assert!(n >= 5, "{n} of {} lines tapped", lines.len());
    assert!(tapped.contains("revenue: 5.5"), "{tapped}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_line_is_prepared_the_same_both_ways(lines in prop::collection::vec(line(), 1..6)) {
        static EXAMPLE: std::sync::OnceLock<(Ir, Validator)> = std::sync::OnceLock::new();
        let (ir, v) = EXAMPLE.get_or_init(|| {
            let ir = contract("../contract");
            let v = Validator::new(&ir).unwrap();
            (ir, v)
        });
        let (tapped, _) = prepared(ir, v, true, &lines);
        let (read, _) = prepared(ir, v, false, &lines);
        prop_assert_eq!(tapped, read, "{:#?}", lines);
    }
}

/// The property above compares records, not only verdicts: most generated lines are
/// simulated, and many through the tap.
#[test]
fn the_generated_lines_are_mostly_simulated_and_tapped() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let ir = contract("../contract");
    let v = Validator::new(&ir).unwrap();
    let mut runner = TestRunner::deterministic();
    let lines: Vec<String> = (0..300)
        .map(|_| line().new_tree(&mut runner).unwrap().current())
        .collect();
    let (read, _) = prepared(&ir, &v, false, &lines);
    let (_, tapped) = prepared(&ir, &v, true, &lines);
    let with_ops = read.lines().filter(|l| l.starts_with("  ")).count();
    assert!(
        with_ops * 5 > lines.len() * 2,
        "{with_ops} operations read of {} lines",
        lines.len()
    );
    assert!(
        tapped * 5 > lines.len(),
        "{tapped} of {} lines tapped",
        lines.len()
    );
}

/// Long lines take other paths in the validator (a batch's operations re-read from their
/// text past an operation's size, data kept raw past event data's): the same records.
#[test]
fn long_batches_are_read_the_same_both_ways() {
    let ir = contract("../contract");
    let v = Validator::new(&ir).unwrap();
    let ops = valid_operations();
    let batch = |n: usize| {
        let ops: Vec<&str> = ops.iter().cycle().take(n).map(String::as_str).collect();
        format!(
            r#"{{"batch":[{}],"received_at":1796050000}}"#,
            ops.join(",")
        )
    };
    let lines = vec![batch(3), batch(150), batch(600)];
    assert!(lines[1].len() > crate::validate::limits::OPERATION_BYTES);
    assert!(lines[2].len() > crate::validate::limits::EVENT_DATA_BYTES);
    assert!(lines[2].len() < crate::validate::limits::BATCH_BYTES);
    let (tapped, n) = prepared(&ir, &v, true, &lines);
    let (read, _) = prepared(&ir, &v, false, &lines);
    assert_eq!(tapped, read);
    assert_eq!(n, 3);
    assert!(read.lines().filter(|l| l.starts_with("  ")).count() > 700);
}
