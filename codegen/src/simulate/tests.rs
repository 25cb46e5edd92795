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
    s.finish()
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
