use std::path::Path;
use std::sync::LazyLock;

use super::*;

fn compile(dir: &str) -> Validator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let checked = crate::check(&dir).expect("contract loads");
    let ir = checked.valid_ir().expect("contract has no errors");
    Validator::new(ir).expect("contract compiles")
}

/// The example contract (`contract/`).
static EXAMPLE: LazyLock<Validator> = LazyLock::new(|| compile("../contract"));
/// The type-feature fixture (integer ids, open objects, arrays of arrays ...).
static FULL: LazyLock<Validator> = LazyLock::new(|| compile("../tests/fixtures/full"));

const ID: &str = r#""identifiers":{"id":"cus_12345678"}"#;

/// An event operation, with an event id (idempotent events need one: `missing_event_id`).
fn op(name: &str, data: &str) -> String {
    format!(
        r#"{{"type":"person",{ID},"action":"event","id":"{EVENT_ID}","name":"{name}","attributes":{data}}}"#
    )
}

const EVENT_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

fn identify(attrs: &str) -> String {
    format!(r#"{{"type":"person",{ID},"action":"identify","attributes":{attrs}}}"#)
}

const ITEM: &str = r#"{"sku":"SKN-1","product_name":"Serum","quantity":1,"unit_price":20.5,"category":"skincare"}"#;

fn order(extra: &str) -> String {
    format!(
        r#"{{"order_id":"ord_1","revenue":64.8,"currency":"USD","items":[{ITEM}],"is_first_order":true{extra}}}"#
    )
}

/// `(path, code)` of every violation.
fn codes_of(v: &Validator, ndjson: &str) -> Vec<(String, TrafficRule)> {
    let (_, viol) = v.validate_str(ndjson);
    viol.into_iter().map(|v| (v.path, v.code)).collect()
}

fn one(v: &Validator, line: &str) -> Violation {
    let (s, mut viol) = v.validate_str(line);
    assert_eq!(viol.len(), 1, "{viol:#?}");
    assert_eq!(s.invalid, 1);
    viol.pop().unwrap()
}

fn valid(v: &Validator, line: &str) {
    let (s, viol) = v.validate_str(line);
    assert!(viol.is_empty(), "{line}\n{viol:#?}");
    assert_eq!((s.records, s.valid, s.invalid), (1, 1, 0));
}

#[test]
fn a_valid_event_and_identify_pass() {
    valid(&EXAMPLE, &op("order_completed", &order("")));
    valid(
        &EXAMPLE,
        &op("order_completed", &order(r#","discount_code":"WELCOME10""#)),
    );
    valid(
        &EXAMPLE,
        &identify(
            r#"{"email":"jane@example.com","phone":"+14155550123","email_opt_in":true,"last_order_at":1717430400,"subscription_status":"active"}"#,
        ),
    );
    valid(&EXAMPLE, &identify("{}"));
}

#[test]
fn a_string_where_a_number_belongs_is_a_type_violation_with_a_hint() {
    let v = one(
        &EXAMPLE,
        &op("order_completed", &order("").replace("64.8", "\"64.8\"")),
    );
    assert_eq!((v.path.as_str(), v.code), ("$.revenue", codes::TYPE));
    assert_eq!(v.message, r#"expected number, found string "64.8""#);
    assert_eq!(
        v.hint.as_deref(),
        Some("send 64.8 as a JSON number, not a string")
    );
    assert_eq!(v.event.as_deref(), Some("order_completed"));
    assert_eq!(v.line, 1);
}

#[test]
fn an_enum_alias_is_reported_with_the_canonical_value() {
    let data = order("").replace("\"skincare\"", "\"Skin Care\"");
    let v = one(&EXAMPLE, &op("order_completed", &data));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("$.items[0].category", codes::ENUM_ALIAS)
    );
    assert_eq!(v.hint.as_deref(), Some("normalise 'Skin Care' → skincare"));
}

#[test]
fn an_unknown_enum_value_lists_the_values_and_suggests_one() {
    let data = order("").replace("\"skincare\"", "\"suplements\"");
    let v = one(&EXAMPLE, &op("order_completed", &data));
    assert_eq!(v.code, codes::ENUM);
    assert!(
        v.message.contains("skincare, supplements, bundles"),
        "{}",
        v.message
    );
    assert_eq!(v.hint.as_deref(), Some("did you mean `supplements`?"));
}

#[test]
fn required_properties_and_unknown_ones() {
    let data = order(r#","discount_cod":"X""#).replace(r#""order_id":"ord_1","#, "");
    assert_eq!(
        codes_of(&EXAMPLE, &op("order_completed", &data)),
        [
            ("$.discount_cod".into(), codes::UNKNOWN_PROPERTY),
            ("$.order_id".into(), codes::MISSING_PROPERTY),
        ]
    );
    let (_, v) = EXAMPLE.validate_str(&op("order_completed", &data));
    assert_eq!(v[0].hint.as_deref(), Some("did you mean `discount_code`?"));
    // In a nested object too, and an event with no data at all misses everything.
    let data = order("").replace(r#""sku":"SKN-1","#, r#""skuu":"SKN-1","#);
    assert_eq!(
        codes_of(&EXAMPLE, &op("order_completed", &data)),
        [
            ("$.items[0].skuu".into(), codes::UNKNOWN_PROPERTY),
            ("$.items[0].sku".into(), codes::MISSING_PROPERTY),
        ]
    );
    let line = format!(r#"{{"type":"person",{ID},"action":"event","name":"cart_updated"}}"#);
    assert_eq!(codes_of(&EXAMPLE, &line).len(), 4);
}

#[test]
fn unknown_events_and_attributes_suggest_names() {
    let v = one(&EXAMPLE, &op("order_complete", "{}"));
    assert_eq!((v.path.as_str(), v.code), ("name", codes::UNKNOWN_EVENT));
    assert_eq!(v.hint.as_deref(), Some("did you mean `order_completed`?"));
    assert_eq!(v.event.as_deref(), Some("order_complete"));
    let v = one(&EXAMPLE, &identify(r#"{"frist_name":"Jane"}"#));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("$.frist_name", codes::UNKNOWN_ATTRIBUTE)
    );
    assert_eq!(v.hint.as_deref(), Some("did you mean `first_name`?"));
    assert_eq!(v.event.as_deref(), Some("identify"));
    // Customer.io's own keys and the contract's anonymous id are not attributes.
    valid(
        &EXAMPLE,
        &identify(r#"{"_update":true,"anonymous_id":"a1","cio_relationships":[]}"#),
    );
    valid(
        &EXAMPLE,
        &identify(r#"{"created_at":1717430400,"_timestamp":1717430400,"unsubscribed":"1"}"#),
    );
    let v = one(&EXAMPLE, &identify(r#"{"created_at":1717430400000}"#));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("$.created_at", codes::TIMESTAMP_SECONDS)
    );
    assert_eq!(
        one(&EXAMPLE, &identify(r#"{"_update":"yes"}"#)).code,
        codes::TYPE
    );
}

#[test]
fn constraints_and_formats() {
    let cases = [
        (
            r#""currency":"USD""#,
            r#""currency":"usd""#,
            "$.currency",
            codes::FORMAT,
        ),
        (
            r#""revenue":64.8"#,
            r#""revenue":-1"#,
            "$.revenue",
            codes::MINIMUM,
        ),
        (
            r#""order_id":"ord_1""#,
            r#""order_id":"""#,
            "$.order_id",
            codes::MIN_LENGTH,
        ),
        (
            r#""quantity":1"#,
            r#""quantity":0"#,
            "$.items[0].quantity",
            codes::MINIMUM,
        ),
        (
            r#""quantity":1"#,
            r#""quantity":1.0"#,
            "$.items[0].quantity",
            codes::TYPE,
        ),
        (
            r#""quantity":1"#,
            r#""quantity":null"#,
            "$.items[0].quantity",
            codes::TYPE,
        ),
        (
            r#""is_first_order":true"#,
            r#""is_first_order":"true""#,
            "$.is_first_order",
            codes::TYPE,
        ),
        (&format!("[{ITEM}]"), "[]", "$.items", codes::MIN_ITEMS),
        (&format!("[{ITEM}]"), "{}", "$.items", codes::TYPE),
    ];
    for (from, to, path, code) in cases {
        let data = order("").replacen(from, to, 1);
        assert_ne!(data, order(""), "{from}");
        let v = one(&EXAMPLE, &op("order_completed", &data));
        assert_eq!(
            (v.path.as_str(), v.code),
            (path, code),
            "{to}: {}",
            v.message
        );
    }
    let v = one(&EXAMPLE, &identify(r#"{"phone":"415 555 0123"}"#));
    assert_eq!((v.path.as_str(), v.code), ("$.phone", codes::FORMAT));
    let v = one(&EXAMPLE, &identify(r#"{"email":"jane"}"#));
    assert_eq!(v.code, codes::FORMAT);
    let v = one(&EXAMPLE, &identify(r#"{"first_name":null}"#));
    assert_eq!(v.code, codes::TYPE);
    let long = "é".repeat(101);
    let v = one(
        &EXAMPLE,
        &identify(&format!(r#"{{"first_name":"{long}"}}"#)),
    );
    assert_eq!(
        (v.code, v.message.as_str()),
        (codes::MAX_LENGTH, "length 101 is greater than 100")
    );
    let ok = "é".repeat(100);
    valid(&EXAMPLE, &identify(&format!(r#"{{"first_name":"{ok}"}}"#)));
    // `referrer` is a uri.
    let v = one(
        &EXAMPLE,
        &op("site_visit", r#"{"path":"/","referrer":"not a uri"}"#),
    );
    assert_eq!(v.code, codes::FORMAT);
}

#[test]
fn dates_patterns_open_objects_and_nested_arrays() {
    let paused = |d: &str| {
        op(
            "subscription_paused",
            &format!(r#"{{"subscription_id":"sub_1","resume_on":{d}}}"#),
        )
    };
    valid(&EXAMPLE, &paused("\"2024-02-29\""));
    assert_eq!(one(&EXAMPLE, &paused("\"2023-02-29\"")).code, codes::DATE);
    assert_eq!(one(&EXAMPLE, &paused("\"2023-2-09\"")).code, codes::DATE);
    assert_eq!(one(&EXAMPLE, &paused("20230209")).code, codes::TYPE);
    // The full fixture: Sku pattern, open Metadata, arrays of arrays.
    let id = r#""identifiers":{"id":7}"#;
    let line = |data: &str| {
        format!(
            r#"{{"type":"person",{id},"action":"event","name":"order_placed","attributes":{data}}}"#
        )
    };
    let lines = r#"[{"sku":"SERUM-30ML","quantity":1,"unit_price":5,"category":"Skin Care","fulfilment":"warehouse"}]"#;
    let data = format!(
        r#"{{"order_id":"o","revenue":1,"currency":"EUR","lines":{lines},"coupon_codes":[],"size_grid":[[1,2],[-1]]}}"#
    );
    let found = codes_of(&FULL, &line(&data));
    assert!(
        found.contains(&("$.lines[0].category".into(), codes::ENUM_ALIAS)),
        "{found:?}"
    );
    assert!(
        found.contains(&("$.size_grid[1][0]".into(), codes::MINIMUM)),
        "{found:?}"
    );
    let bad_sku = data.replace("SERUM-30ML", "serum");
    assert!(codes_of(&FULL, &line(&bad_sku)).contains(&("$.lines[0].sku".into(), codes::PATTERN)));
    // Upper bounds: a value over `maximum`, an array over `max_items`.
    let tags = format!("[{}]", ["\"t\""; 11].join(","));
    let over = data
        .replace(r#""quantity":1"#, r#""quantity":100"#)
        .replace(
            r#""fulfilment":"warehouse""#,
            &format!(r#""fulfilment":"warehouse","tags":{tags}"#),
        );
    let found = codes_of(&FULL, &line(&over));
    assert!(
        found.contains(&("$.lines[0].quantity".into(), codes::MAXIMUM)),
        "{found:?}"
    );
    assert!(
        found.contains(&("$.lines[0].tags".into(), codes::MAX_ITEMS)),
        "{found:?}"
    );
}

#[test]
fn identifiers() {
    let with = |ids: &str| {
        format!(
            r#"{{"type":"person","identifiers":{ids},"action":"event","name":"site_visit","attributes":{{"path":"/"}}}}"#
        )
    };
    let v = one(&EXAMPLE, &with(r#"{"email":"jane@example.com"}"#));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("identifiers", codes::IDENTIFIED_BY_EMAIL)
    );
    let v = one(&EXAMPLE, &with(r#"{"id":"jane@example.com"}"#));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("identifiers.id", codes::IDENTIFIED_BY_EMAIL)
    );
    assert_eq!(
        one(&EXAMPLE, &with(r#"{"phone":"+14155550123"}"#)).code,
        codes::IDENTIFIED_BY_PHONE
    );
    assert_eq!(
        one(&EXAMPLE, &with(r#"{"cio_id":"a1"}"#)).code,
        codes::MISSING_IDENTIFIER
    );
    assert_eq!(one(&EXAMPLE, &with("{}")).code, codes::MISSING_IDENTIFIER);
    assert_eq!(
        one(&EXAMPLE, &with(r#"{"id":"cus_12345678","email":"j@x.io"}"#)).code,
        codes::MULTIPLE_IDENTIFIERS
    );
    let v = one(&EXAMPLE, &with(r#"{"id":"42"}"#));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("identifiers.id", codes::IDENTIFIER_INVALID)
    );
    assert!(v.message.contains("does not match"), "{}", v.message);
    assert_eq!(
        one(&EXAMPLE, &with(r#"{"id":42}"#)).code,
        codes::IDENTIFIER_TYPE
    );
    let long = format!("cus_{}", "a".repeat(150));
    assert_eq!(
        one(&EXAMPLE, &with(&format!(r#"{{"id":"{long}"}}"#))).code,
        codes::IDENTIFIER_TOO_LONG
    );
    let no_ids = r#"{"type":"person","action":"identify","attributes":{}}"#;
    assert_eq!(one(&EXAMPLE, no_ids).code, codes::MISSING_IDENTIFIER);
    // Integer ids (the full fixture): numbers and digit strings, bounds.
    let ident =
        |ids: &str| format!(r#"{{"type":"person","identifiers":{ids},"action":"identify"}}"#);
    valid(&FULL, &ident(r#"{"id":7}"#));
    valid(&FULL, &ident(r#"{"id":"7"}"#));
    assert_eq!(
        one(&FULL, &ident(r#"{"id":0}"#)).code,
        codes::IDENTIFIER_INVALID
    );
    assert_eq!(
        one(&FULL, &ident(r#"{"id":"x7"}"#)).code,
        codes::IDENTIFIER_TYPE
    );
}

#[test]
fn timestamps_are_seconds() {
    let v = one(&EXAMPLE, &identify(r#"{"last_order_at":1717430400000}"#));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("$.last_order_at", codes::TIMESTAMP_SECONDS)
    );
    assert_eq!(v.hint.as_deref(), Some("send 1717430400"));
    valid(&EXAMPLE, &identify(r#"{"last_order_at":99999999999}"#));
    assert_eq!(
        one(&EXAMPLE, &identify(r#"{"last_order_at":100000000000}"#)).code,
        codes::TIMESTAMP_SECONDS
    );
    assert_eq!(
        one(&EXAMPLE, &identify(r#"{"last_order_at":1717430400.5}"#)).code,
        codes::TYPE
    );
    // The operation's own timestamp.
    let line = format!(
        r#"{{"type":"person",{ID},"action":"event","name":"site_visit","timestamp":1717430400123,"attributes":{{"path":"/"}}}}"#
    );
    let v = one(&EXAMPLE, &line);
    assert_eq!(
        (v.path.as_str(), v.code),
        ("timestamp", codes::TIMESTAMP_SECONDS)
    );
}

#[test]
fn event_ids_are_ulids() {
    let line = |id: &str| {
        format!(
            r#"{{"type":"person",{ID},"action":"event","id":{id},"name":"site_visit","attributes":{{"path":"/"}}}}"#
        )
    };
    valid(&EXAMPLE, &line("\"01ARZ3NDEKTSV4RRFFQ69G5FAV\""));
    assert_eq!(one(&EXAMPLE, &line("\"order-1\"")).code, codes::EVENT_ID);
    assert_eq!(
        one(&EXAMPLE, &line("\"81ARZ3NDEKTSV4RRFFQ69G5FAV\"")).code,
        codes::EVENT_ID
    );
    assert_eq!(one(&EXAMPLE, &line("12")).code, codes::EVENT_ID);
}

#[test]
fn field_order_does_not_change_the_verdict() {
    let data = order("")
        .replace("\"skincare\"", "\"Skin Care\"")
        .replace("64.8", "\"64.8\"");
    let forward = op("order_completed", &data);
    let backward = format!(
        r#"{{"attributes":{data},"name":"order_completed","action":"event",{ID},"id":"{EVENT_ID}","type":"person"}}"#
    );
    let (s1, v1) = EXAMPLE.validate_str(&forward);
    let (s2, v2) = EXAMPLE.validate_str(&backward);
    assert_eq!((s1, v1.len()), (s2, 2));
    assert_eq!(v1, v2);
    // v1 with the body before the path.
    let a = format!(
        r#"{{"method":"POST","path":"/api/v1/customers/cus_12345678/events","body":{{"name":"order_completed","id":"{EVENT_ID}","data":{data}}}}}"#
    );
    let b = format!(
        r#"{{"body":{{"data":{data},"id":"{EVENT_ID}","name":"order_completed"}},"path":"/api/v1/customers/cus_12345678/events","method":"POST"}}"#
    );
    let (_, va) = EXAMPLE.validate_str(&a);
    let (_, vb) = EXAMPLE.validate_str(&b);
    assert_eq!(va, vb);
    assert_eq!(va.len(), 2);
}

#[test]
fn v1_requests() {
    let track =
        |path: &str, body: &str| format!(r#"{{"method":"POST","path":"{path}","body":{body}}}"#);
    let body = format!(
        r#"{{"name":"order_completed","id":"{EVENT_ID}","data":{},"timestamp":1717430400}}"#,
        order("")
    );
    valid(
        &EXAMPLE,
        &track("/api/v1/customers/cus_12345678/events", &body),
    );
    valid(
        &EXAMPLE,
        &track(
            "https://track-eu.customer.io/api/v1/customers/cus_12345678/events?x=1",
            &body,
        ),
    );
    let anon = r#"{"name":"site_visit","anonymous_id":"a-1","data":{"path":"/"}}"#;
    valid(&EXAMPLE, &track("/api/v1/events", anon));
    let v = one(
        &EXAMPLE,
        &track("/api/v1/customers/jane%40example.com/events", &body),
    );
    assert_eq!(
        (v.path.as_str(), v.code),
        ("path", codes::IDENTIFIED_BY_EMAIL)
    );
    let put = r#"{"method":"PUT","path":"/api/v1/customers/cus_12345678","body":{"email":"jane@example.com","plan":"x"}}"#;
    let v = one(&EXAMPLE, put);
    assert_eq!(
        (v.path.as_str(), v.code, v.event.as_deref()),
        ("$.plan", codes::UNKNOWN_ATTRIBUTE, Some("identify"))
    );
    let v = one(&EXAMPLE, &track("/api/v1/customers/cus_12345678", "{}"));
    assert_eq!((v.path.as_str(), v.code), ("path", codes::UNKNOWN_ROUTE));
    let v = one(
        &EXAMPLE,
        &track("/api/v1/customers/cus_12345678/events", r#"{"data":{}}"#),
    );
    assert_eq!(
        (v.path.as_str(), v.code),
        ("body.name", codes::INVALID_REQUEST)
    );
    let v = one(
        &EXAMPLE,
        &track(
            "/api/v1/customers/cus_12345678/events",
            r#"{"name":"site_visit","data":{"path":"/"},"timestamp":1717430400000}"#,
        ),
    );
    assert_eq!(
        (v.path.as_str(), v.code),
        ("body.timestamp", codes::TIMESTAMP_SECONDS)
    );
    valid(
        &EXAMPLE,
        r#"{"method":"DELETE","path":"/api/v1/customers/cus_12345678","body":null}"#,
    );
    // v2 requests captured the v1 way.
    let entity = format!(
        r#"{{"method":"POST","path":"/api/v2/entity","body":{}}}"#,
        op("site_visit", r#"{"path":"/"}"#)
    );
    valid(&EXAMPLE, &entity);
    let batch = format!(
        r#"{{"method":"POST","path":"/api/v2/batch","body":{{"batch":[{},{}]}}}}"#,
        op("site_visit", r#"{"path":"/"}"#),
        op("site_visit", "{}")
    );
    let (s, v) = EXAMPLE.validate_str(&batch);
    assert_eq!((s.records, s.invalid), (2, 1));
    assert_eq!(v[0].index, Some(1));
}

#[test]
fn batches_are_one_record_per_operation() {
    let line = format!(
        r#"{{"batch":[{},{},{}]}}"#,
        op("site_visit", r#"{"path":"/"}"#),
        op("site_visit", r#"{"path":""}"#),
        identify(r#"{"email":"nope"}"#)
    );
    let (s, v) = EXAMPLE.validate_str(&line);
    assert_eq!((s.records, s.valid, s.invalid), (3, 1, 2));
    assert_eq!(
        v.iter()
            .map(|v| (v.index, v.event.as_deref(), v.code))
            .collect::<Vec<_>>(),
        [
            (Some(1), Some("site_visit"), codes::MIN_LENGTH),
            (Some(2), Some("identify"), codes::FORMAT)
        ]
    );
    let (s, v) = EXAMPLE.validate_str(r#"{"batch":[]}"#);
    assert_eq!((s.invalid, v[0].code), (1, codes::INVALID_REQUEST));
    let (s, v) = EXAMPLE.validate_str(r#"{"batch":[1]}"#);
    assert_eq!((s.invalid, v[0].code), (1, codes::INVALID_REQUEST));
}

#[test]
fn lines_that_are_not_json_or_not_requests() {
    let good = op("site_visit", r#"{"path":"/"}"#);
    let input = format!("{good}\nnot json\n\n{{\"batch\":[{good},\n[1,2]\n{good}\n");
    let (s, v) = EXAMPLE.validate_str(&input);
    assert_eq!((s.records, s.valid, s.invalid), (5, 2, 3));
    assert_eq!(
        v.iter().map(|v| (v.line, v.code)).collect::<Vec<_>>(),
        [
            (2, codes::INVALID_JSON),
            (4, codes::INVALID_JSON),
            (5, codes::INVALID_REQUEST)
        ]
    );
    let v = one(
        &EXAMPLE,
        r#"{"type":"person","identifiers":{"id":"cus_12345678"}}"#,
    );
    assert_eq!(
        (v.path.as_str(), v.code),
        ("action", codes::INVALID_REQUEST)
    );
    let v = one(
        &EXAMPLE,
        &format!(r#"{{"type":"persona",{ID},"action":"identify"}}"#),
    );
    assert_eq!(
        (v.path.as_str(), v.code),
        ("type", codes::UNKNOWN_OPERATION)
    );
    let v = one(
        &EXAMPLE,
        &format!(r#"{{"type":"person",{ID},"action":"event","name":7}}"#),
    );
    assert_eq!((v.path.as_str(), v.code), ("name", codes::INVALID_REQUEST));
    let (s, v) = EXAMPLE.validate_line(9, b"{\"type\":\"person\",\"name\":\"\xff\"}");
    assert_eq!(
        (s.invalid, v[0].line, v[0].code),
        (1, 9, codes::INVALID_JSON)
    );
    assert!(v[0].message.starts_with("not UTF-8"), "{}", v[0].message);
    // Objects and deliveries are outside the contract.
    valid(
        &EXAMPLE,
        r#"{"type":"object","identifiers":{"object_type_id":"1","object_id":"a"},"action":"identify","attributes":{"x":1}}"#,
    );
}

#[test]
fn customer_io_limits() {
    let name = "e".repeat(101);
    assert_eq!(
        one(&EXAMPLE, &op(&name, "{}")).code,
        codes::EVENT_NAME_TOO_LONG
    );
    let (_, v) = EXAMPLE.validate_str(&identify(&format!(r#"{{"{}":1}}"#, "a".repeat(151))));
    assert_eq!(
        v.iter().map(|v| v.code).collect::<Vec<_>>(),
        [codes::ATTRIBUTE_NAME_TOO_LONG, codes::UNKNOWN_ATTRIBUTE]
    );
    // Long values: the contract's `first_name` has max_length 100, so use an email.
    let email = format!("{}@example.com", "j".repeat(1000));
    let (_, v) = EXAMPLE.validate_str(&identify(&format!(r#"{{"email":"{email}"}}"#)));
    assert_eq!(
        v.iter().map(|v| v.code).collect::<Vec<_>>(),
        [codes::ATTRIBUTE_VALUE_TOO_LONG]
    );
    let many: Vec<String> = (0..301).map(|i| format!(r#""a{i}":1"#)).collect();
    let (_, v) = EXAMPLE.validate_str(&identify(&format!("{{{}}}", many.join(","))));
    assert_eq!(v.last().unwrap().code, codes::TOO_MANY_ATTRIBUTES);
    // An operation over 32,000 bytes, alone and in a batch.
    let feedback = "x".repeat(1990);
    let items: Vec<&str> = std::iter::repeat_n(ITEM, 400).collect();
    let big = format!(
        r#"{{"cart_id":"c","cart_value":1,"currency":"USD","items":[{}]}}"#,
        items.join(",")
    );
    assert!(big.len() > 32_000 && big.len() < 100_000);
    let v = one(&EXAMPLE, &op("cart_updated", &big));
    assert_eq!((v.path.as_str(), v.code), ("", codes::OPERATION_TOO_LARGE));
    let small = op(
        "subscription_canceled",
        &format!(r#"{{"subscription_id":"s","reason":"other","feedback":"{feedback}"}}"#),
    );
    let batch = format!(
        r#"{{"batch":[{small},{},{small}]}}"#,
        op("cart_updated", &big)
    );
    let (s, v) = EXAMPLE.validate_str(&batch);
    assert_eq!((s.records, s.invalid), (3, 1));
    assert_eq!(
        (v[0].index, v[0].code),
        (Some(1), codes::OPERATION_TOO_LARGE)
    );
    // A batch over 500,000 bytes refuses every operation in it.
    let ops: Vec<&str> = std::iter::repeat_n(small.as_str(), 260).collect();
    let batch = format!(r#"{{"batch":[{}]}}"#, ops.join(","));
    assert!(batch.len() > 500_000);
    let (s, v) = EXAMPLE.validate_str(&batch);
    assert_eq!((s.records, s.invalid), (260, 260));
    assert_eq!(
        v.iter().map(|v| v.code).collect::<Vec<_>>(),
        [codes::BATCH_TOO_LARGE]
    );
    // v1 event data over 100,000 bytes.
    let items: Vec<&str> = std::iter::repeat_n(ITEM, 1100).collect();
    let huge = format!(
        r#"{{"cart_id":"c","cart_value":1,"currency":"USD","items":[{}]}}"#,
        items.join(",")
    );
    let line = format!(
        r#"{{"method":"POST","path":"/api/v1/customers/cus_12345678/events","body":{{"name":"cart_updated","data":{huge}}}}}"#
    );
    let v = one(&EXAMPLE, &line);
    assert_eq!(
        (v.path.as_str(), v.code),
        ("body.data", codes::EVENT_DATA_TOO_LARGE)
    );
}

#[test]
fn escaped_keys_and_strings_are_read_like_plain_ones() {
    let data = order("")
        .replace("\"order_id\"", "\"order\\u005fid\"")
        .replace("\"ord_1\"", "\"ord\\u005f1\"");
    valid(&EXAMPLE, &op("order_completed", &data));
    let data = order("").replace("\"skincare\"", "\"Skin\\u0020Care\"");
    assert_eq!(
        one(&EXAMPLE, &op("order_completed", &data)).hint.as_deref(),
        Some("normalise 'Skin Care' → skincare")
    );
}

#[test]
fn the_engine_keeps_line_order_on_every_core_and_reads_gzip() {
    use std::io::Write;
    let good = op("site_visit", r#"{"path":"/"}"#);
    let bad = op("site_visit", r#"{"path":""}"#);
    let mut input = String::new();
    for i in 0..20_000 {
        input.push_str(if i % 7 == 0 { &bad } else { &good });
        input.push('\n');
        if i % 1000 == 0 {
            input.push_str("garbage\n");
        }
    }
    let (want_s, want_v) = EXAMPLE.validate_str(&input);
    for jobs in [1, 2, 4] {
        let opts = Options {
            jobs,
            chunk_bytes: 10_000,
            chunk_lines: 100,
            detail: Detail::First(usize::MAX),
            now: None,
        };
        let mut got = Vec::new();
        let s = run(&EXAMPLE, input.as_bytes(), &opts, |r| {
            got.push(violation(r))
        })
        .unwrap();
        assert_eq!(s, want_s, "jobs {jobs}");
        assert_eq!(got, want_v, "jobs {jobs}");
    }
    let dir = std::env::temp_dir().join(format!("trackc-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("traffic.ndjson.gz");
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), Default::default());
    gz.write_all(input.as_bytes()).unwrap();
    gz.finish().unwrap();
    let mut n = 0;
    let s = run(
        &EXAMPLE,
        open_input(&path).unwrap(),
        &Options::default(),
        |r| n += count(&r),
    )
    .unwrap();
    assert_eq!((s, n), (want_s, want_v.len() as u64));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_line_too_long_to_hold_is_skipped_not_buffered() {
    let mut input = op("site_visit", r#"{"path":"/"}"#);
    input.push('\n');
    input.push_str(&"x".repeat(limits::LINE_BYTES + 10));
    input.push('\n');
    input.push_str(&op("site_visit", r#"{"path":"/"}"#));
    let mut got = Vec::new();
    let s = run(
        &EXAMPLE,
        input.as_bytes(),
        &Options {
            jobs: 1,
            ..Options::default()
        },
        |r| got.push(violation(r)),
    )
    .unwrap();
    assert_eq!((s.records, s.invalid), (3, 1));
    assert_eq!((got[0].line, got[0].code), (2, codes::LINE_TOO_LARGE));
}

fn violation(r: Reported) -> Violation {
    match r {
        Reported::Violation(v) => v,
        Reported::Omitted(o) => panic!("not kept: {o:?}"),
    }
}

fn count(r: &Reported) -> u64 {
    match r {
        Reported::Violation(_) => 1,
        Reported::Omitted(o) => o.count,
    }
}

/// Traffic with many violations per line (a batch of empty operations), some lines
/// broken off half-way (their violations do not count), and blank lines.
fn crowded() -> String {
    let batch = format!("{{\"batch\":[{}{{}}]}}", "{},".repeat(300));
    let mut input = String::new();
    for i in 0..60 {
        input.push_str(&batch);
        input.push('\n');
        if i % 7 == 0 {
            input.push_str(&batch[..batch.len() / 2]);
            input.push_str("\n\n  \n");
        }
        if i % 10 == 0 {
            input.push_str(&op("nope", "{}"));
            input.push('\n');
        }
    }
    input
}

#[test]
fn past_the_first_n_violations_are_counted_the_same_on_every_core() {
    let input = crowded();
    let (want_s, want_v) = EXAMPLE.validate_str(&input);
    for n in [0, 1, 250, 5000] {
        for jobs in [1, 2, 4] {
            let opts = Options {
                jobs,
                chunk_bytes: 20_000,
                chunk_lines: 7,
                detail: Detail::First(n),
                now: None,
            };
            let (mut kept, mut total, mut cut) = (Vec::new(), 0, false);
            let s = run(&EXAMPLE, input.as_bytes(), &opts, |r| {
                total += count(&r);
                match r {
                    Reported::Violation(v) if !cut && kept.len() < n => kept.push(v),
                    _ => cut = true,
                }
            })
            .unwrap();
            assert_eq!(s, want_s);
            assert_eq!(total, want_v.len() as u64, "n {n} jobs {jobs}");
            let first = &want_v[..n.min(want_v.len())];
            assert_eq!(kept, first, "n {n} jobs {jobs}");
        }
    }
}

/// (event, code) → (count, first examples).
type ByGroup = std::collections::BTreeMap<(Option<String>, TrafficRule), (u64, Vec<Violation>)>;

#[test]
fn per_group_detail_keeps_the_first_examples_and_exact_counts() {
    let input = crowded();
    let (_, want_v) = EXAMPLE.validate_str(&input);
    let mut want = ByGroup::default();
    for v in &want_v {
        let g = want.entry((v.event.clone(), v.code)).or_default();
        g.0 += 1;
        if g.1.len() < 3 {
            g.1.push(v.clone());
        }
    }
    for jobs in [1, 3] {
        let opts = Options {
            jobs,
            chunk_bytes: 20_000,
            chunk_lines: 5,
            detail: Detail::PerGroup(3),
            now: None,
        };
        let mut got = ByGroup::default();
        run(&EXAMPLE, input.as_bytes(), &opts, |r| match r {
            Reported::Violation(v) => {
                let g = got.entry((v.event.clone(), v.code)).or_default();
                g.0 += 1;
                if g.1.len() < 3 {
                    g.1.push(v);
                }
            }
            Reported::Omitted(o) => {
                let event = match o.event {
                    EventGroup::Named(e) => Some(e),
                    EventGroup::None => None,
                    EventGroup::Others => panic!("few groups"),
                };
                got.entry((event, o.code)).or_default().0 += o.count;
            }
        })
        .unwrap();
        assert_eq!(got, want, "jobs {jobs}");
    }
}

#[test]
fn kept_violations_are_cut_to_bounds() {
    let long = "k".repeat(5000);
    let name = "e".repeat(5000);
    let line = format!(
        r#"{{"type":"person","identifiers":{{"id":"c"}},"action":"event","name":"{name}"}}
{{"type":"person","identifiers":{{"id":"c","{long}":1}},"action":"event","name":"site_visit","attributes":{{"path":"/","{long}":{{"{long}":1}}}}}}"#
    );
    let (_, v) = EXAMPLE.validate_str(&line);
    assert!(v.len() >= 3, "{v:?}");
    for v in &v {
        assert!(
            v.event
                .as_ref()
                .is_none_or(|e| e.chars().count() <= bounds::NAME_CHARS + 1)
        );
        assert!(
            v.path.chars().count() <= bounds::PATH_CHARS + 1,
            "{}",
            v.path
        );
        assert!(
            v.message.chars().count() <= bounds::MESSAGE_CHARS + 1,
            "{}",
            v.message
        );
    }
    assert_eq!(
        v[0].event.as_deref(),
        Some(format!("{}…", &name[..200]).as_str())
    );
    assert_eq!(bounds::clip("héllo", 2), "hé…");
    assert_eq!(bounds::clip("héllo", 5), "héllo");
}

#[test]
fn blank_lines_are_skipped_and_counted() {
    let input = format!(
        "\n\n \r\n\t\n{}\n\n\n{}",
        op("nope", "{}"),
        op("nope", "{}")
    );
    for jobs in [1, 2] {
        let mut lines = Vec::new();
        let opts = Options {
            jobs,
            ..Options::default()
        };
        let s = run(&EXAMPLE, input.as_bytes(), &opts, |r| {
            lines.push(violation(r).line)
        })
        .unwrap();
        assert_eq!(s.records, 2);
        assert_eq!(lines, [5, 8]);
    }
}

/// Issue 14's route findings: every route of the table is recognised, anything else is
/// `unknown_route`; types and actions outside the table are `unknown_operation`.
#[test]
fn routes_come_from_the_track_api_table() {
    let req = |m: &str, path: &str, body: &str| {
        format!(r#"{{"method":"{m}","path":"{path}","body":{body}}}"#)
    };
    let unknown = [
        req("POST", "/api/v1/customers/cus_12345678/evnts", "{}"),
        req("PUT", "/api/v1/customer/cus_12345678", "{}"),
        req("POST", "/api/v1/customers/cus_12345678", "{}"),
        req("POST", "/not/track", "{}"),
    ];
    for line in &unknown {
        let v = one(&EXAMPLE, line);
        assert_eq!(
            (v.path.as_str(), v.code),
            ("path", codes::UNKNOWN_ROUTE),
            "{line}"
        );
    }
    let v = one(&EXAMPLE, &unknown[0]);
    assert_eq!(
        v.hint.as_deref(),
        Some("did you mean POST /api/v1/customers/{identifier}/events?")
    );
    let v = one(&EXAMPLE, &unknown[2]);
    assert!(v.message.contains("takes PUT or DELETE"), "{}", v.message);
    // Real routes that used to be refused or skipped.
    valid(
        &EXAMPLE,
        &req("POST", "/unsubscribe/dlv_123", r#"{"unsubscribe":true}"#),
    );
    valid(
        &EXAMPLE,
        &req("POST", "/api/v1/customers/cus_12345678/suppress", "null"),
    );
    valid(
        &EXAMPLE,
        &req(
            "DELETE",
            "/api/v1/customers/cus_12345678/devices/tok%2F1",
            "null",
        ),
    );
}

#[test]
fn cio_ids_in_the_path_are_customer_io_s_own() {
    let put = |id: &str| {
        format!(
            r#"{{"method":"PUT","path":"/api/v1/customers/{id}","body":{{"email":"jane@example.com"}}}}"#
        )
    };
    valid(&EXAMPLE, &put("cio_03000001"));
    // Only its size is checked; other ids still follow the contract.
    let v = one(&EXAMPLE, &put(&format!("cio_{}", "0".repeat(150))));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("path", codes::IDENTIFIER_TOO_LONG)
    );
    let v = one(&EXAMPLE, &put("42"));
    assert_eq!(
        (v.path.as_str(), v.code),
        ("path", codes::IDENTIFIER_INVALID)
    );
    // The message shows the contract's pattern, not the compiled regex.
    assert_eq!(
        v.message,
        r#"`customer_id` "42" does not match the pattern ^cus_[0-9a-z]{8,}$"#
    );
}

#[test]
fn v1_page_and_screen_views_are_judged_like_v2() {
    let track = |body: &str| {
        format!(
            r#"{{"method":"POST","path":"/api/v1/customers/cus_12345678/events","body":{body}}}"#
        )
    };
    for body in [
        r#"{"type":"page","name":"https://shop.example/serum","data":{"referrer":"x"}}"#,
        // `type` after `data`: the data was first read as an event's.
        r#"{"name":"site_visit","data":{"path":7},"type":"screen"}"#,
    ] {
        let (s, v) = EXAMPLE.validate_str(&track(body));
        assert!(v.is_empty(), "{body}: {v:#?}");
        assert_eq!(s.valid, 1);
    }
    let (_, v) = EXAMPLE.validate_str(&track(r#"{"type":"page","name":"/x"}"#));
    assert!(v.is_empty(), "{v:#?}");
    let v2 = r#"{"type":"person","identifiers":{"id":"cus_12345678"},"action":"page","name":"https://shop.example/serum","attributes":{"referrer":"x"}}"#;
    valid(&EXAMPLE, v2);
    let v = one(
        &EXAMPLE,
        &track(r#"{"type":"bogus","name":"site_visit","data":{"path":7}}"#),
    );
    assert_eq!(
        (v.path.as_str(), v.code),
        ("body.type", codes::UNKNOWN_OPERATION)
    );
    // `"type":"event"` is an event.
    let v = one(
        &EXAMPLE,
        &track(r#"{"type":"event","name":"site_visit","data":{"path":7}}"#),
    );
    assert_eq!((v.path.as_str(), v.code), ("$.path", codes::TYPE));
}

#[test]
fn unknown_v2_types_and_actions() {
    let op = |ty: &str, action: &str| {
        format!(
            r#"{{"type":"{ty}",{ID},"action":"{action}","name":"site_visit","attributes":{{"path":"/"}}}}"#
        )
    };
    for (ty, action, path) in [
        ("person", "evnt", "action"),
        ("person", "track", "action"),
        ("bogus", "event", "type"),
        ("delivery", "identify", "action"),
    ] {
        let v = one(&EXAMPLE, &op(ty, action));
        assert_eq!(
            (v.path.as_str(), v.code),
            (path, codes::UNKNOWN_OPERATION),
            "{ty} {action}"
        );
    }
    let v = one(&EXAMPLE, &op("person", "evnt"));
    assert_eq!(v.hint.as_deref(), Some("did you mean `event`?"));
    valid(&EXAMPLE, &op("person", "screen"));
    valid(&EXAMPLE, &op("object", "delete"));
}

#[test]
fn merges_follow_the_identity_rules() {
    let v1 = |body: &str| {
        format!(r#"{{"method":"POST","path":"/api/v1/merge_customers","body":{body}}}"#)
    };
    let v2 = |sides: &str| format!(r#"{{"type":"person","action":"merge",{sides}}}"#);
    let ok = r#""primary":{"id":"cus_12345678"},"secondary":{"id":"cus_87654321"}"#;
    valid(&EXAMPLE, &v1(&format!("{{{ok}}}")));
    valid(&EXAMPLE, &v2(ok));
    let cases = [
        (
            r#""primary":{"id":"jane@example.com"},"secondary":{"id":"cus_87654321"}"#,
            "primary.id",
            codes::IDENTIFIED_BY_EMAIL,
        ),
        (
            r#""primary":{"id":"cus_12345678"},"secondary":{"id":"+14155550123"}"#,
            "secondary.id",
            codes::IDENTIFIER_INVALID,
        ),
        (
            r#""primary":{"email":"jane@example.com"},"secondary":{"id":"cus_87654321"}"#,
            "primary",
            codes::IDENTIFIED_BY_EMAIL,
        ),
        (
            r#""primary":{"phone":"+14155550123"},"secondary":{"id":"cus_87654321"}"#,
            "primary",
            codes::INVALID_REQUEST,
        ),
        (
            r#""primary":{"id":"cus_12345678"}"#,
            "secondary",
            codes::INVALID_REQUEST,
        ),
    ];
    for (sides, path, code) in cases {
        let found: Vec<_> = codes_of(&EXAMPLE, &v1(&format!("{{{sides}}}")));
        assert!(
            found.contains(&(format!("body.{path}"), code)),
            "v1 {sides}: {found:?}"
        );
        let found = codes_of(&EXAMPLE, &v2(sides));
        assert!(
            found.contains(&(path.to_owned(), code)),
            "v2 {sides}: {found:?}"
        );
        assert!(
            found.iter().all(|(p, _)| p != "identifiers"),
            "a merge needs no identifiers: {found:?}"
        );
    }
}

/// Issue 14's traffic rules from the contract's promises, each with its case.
mod promises {
    use super::*;

    fn order_line(id: &str, order_id: &str, extra: &str) -> String {
        let data = order("").replace("ord_1", order_id);
        format!(
            r#"{{"type":"person",{ID},"action":"event"{id},"name":"order_completed","attributes":{data}{extra}}}"#
        )
    }

    fn with_id(id: &str) -> String {
        format!(r#","id":"{id}""#)
    }

    const OTHER_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAW";

    #[test]
    fn an_idempotent_event_without_an_id_is_missing_event_id() {
        let v = one(&EXAMPLE, &order_line("", "ord_1", ""));
        assert_eq!((v.path.as_str(), v.code), ("id", codes::MISSING_EVENT_ID));
        // Not idempotent: no id needed.
        valid(
            &EXAMPLE,
            &format!(
                r#"{{"type":"person",{ID},"action":"event","name":"site_visit","attributes":{{"path":"/"}}}}"#
            ),
        );
        // v1 as well.
        let v1 = format!(
            r#"{{"method":"POST","path":"/api/v1/customers/cus_12345678/events","body":{{"name":"order_completed","data":{}}}}}"#,
            order("")
        );
        assert_eq!(one(&EXAMPLE, &v1).path, "body.id");
    }

    #[test]
    fn the_same_key_twice_is_a_duplicate_naming_the_first_line_and_the_revenue() {
        let lines = [
            order_line(&with_id(EVENT_ID), "ord_1", ""),
            order_line(&with_id(EVENT_ID), "ord_2", ""),
            // A retry that kept its id: Customer.io counts it once.
            order_line(&with_id(EVENT_ID), "ord_1", ""),
            // The same order under another id: counted twice.
            order_line(&with_id(OTHER_ID), "ord_1", ""),
        ]
        .join("\n");
        let (s, viol) = EXAMPLE.validate_str(&lines);
        assert_eq!((s.records, s.valid, s.invalid), (4, 3, 1), "{viol:#?}");
        assert_eq!(viol.len(), 1, "{viol:#?}");
        let v = &viol[0];
        assert_eq!(
            (v.line, v.path.as_str(), v.code),
            (4, "$.order_id", codes::DUPLICATE_IDEMPOTENCY_KEY)
        );
        assert!(
            v.message.contains("already sent on line 1"),
            "{}",
            v.message
        );
        assert!(
            v.message.contains("revenue 64.8 is counted twice"),
            "{}",
            v.message
        );
    }

    #[test]
    fn duplicates_are_found_across_chunks_and_threads_in_input_order() {
        // 300 orders, every one sent twice 150 lines apart under new ids.
        let mut lines = Vec::new();
        for round in 0..2 {
            for i in 0..150 {
                let id = format!("01ARZ3NDEKTSV4RRFFQ69G{round}{i:03}");
                lines.push(order_line(&with_id(&id), &format!("ord_{i}"), ""));
            }
        }
        let text = lines.join("\n");
        for jobs in [1, 3] {
            let opts = Options {
                jobs,
                chunk_bytes: 4_000,
                chunk_lines: 7,
                detail: Detail::First(usize::MAX),
                now: None,
            };
            let mut got = Vec::new();
            let s = run(&EXAMPLE, text.as_bytes(), &opts, |r| {
                if let Reported::Violation(v) = r {
                    got.push(v);
                }
            })
            .unwrap();
            assert_eq!((s.records, s.invalid), (300, 150), "jobs {jobs}");
            let lines: Vec<u64> = got.iter().map(|v| v.line).collect();
            assert_eq!(lines, (151..=300).collect::<Vec<_>>(), "jobs {jobs}");
            assert!(
                got.iter()
                    .all(|v| v.code == codes::DUPLICATE_IDEMPOTENCY_KEY)
            );
        }
    }

    #[test]
    fn a_forbidden_backfill_is_judged_against_received_at_or_now() {
        let ts = 1_796_029_200i64; // 2026-11-30T09:00:00Z
        let v1 = |at: &str| {
            format!(
                r#"{{"method":"POST","path":"/api/v1/customers/cus_12345678/events","body":{{"name":"order_completed","id":"{EVENT_ID}","timestamp":{ts},"data":{}}}{at}}}"#,
                order("")
            )
        };
        // Sent live (received within the hour): fine.
        valid(&EXAMPLE, &v1(&format!(r#","received_at":{}"#, ts + 120)));
        // A day later: a replay of a forbidden event.
        let v = one(
            &EXAMPLE,
            &v1(&format!(r#","received_at":{}.5"#, ts + 86_400)),
        );
        assert_eq!(
            (v.path.as_str(), v.code),
            ("body.timestamp", codes::FORBIDDEN_BACKFILL)
        );
        assert!(v.message.contains("1 d 0 h"), "{}", v.message);
        assert!(v.message.contains("live journeys"), "{}", v.message);
        // Without a reference time nothing is judged.
        valid(&EXAMPLE, &v1(""));
        // `--now` judges every line.
        let mut w = record::Worker::new(&EXAMPLE, Detail::First(usize::MAX));
        w.set_now(Some(ts + 10 * 86_400));
        w.check_line(1, v1("").as_bytes());
        assert_eq!(w.pending.len(), 1);
        assert!(w.pending[0].message.contains("older than the 72 hours"));
        // `backfill: allowed` events may be replayed.
        let refund = format!(
            r#"{{"type":"person",{ID},"action":"event","id":"{EVENT_ID}","timestamp":{ts},"name":"order_refunded","attributes":{{"refund_id":"re_1","order_id":"ord_1","amount":5.0}}}}"#
        );
        let mut w = record::Worker::new(&EXAMPLE, Detail::First(usize::MAX));
        w.set_now(Some(ts + 10 * 86_400));
        w.check_line(1, refund.as_bytes());
        assert!(
            w.pending
                .iter()
                .all(|v| v.code != codes::FORBIDDEN_BACKFILL),
            "{:#?}",
            w.pending
        );
    }

    #[test]
    fn a_timestamp_inside_the_data_is_misplaced_and_a_js_date_gets_a_hint() {
        let v = one(
            &EXAMPLE,
            &op("order_completed", &order(r#","timestamp":1796029200"#)),
        );
        assert_eq!(
            (v.path.as_str(), v.code),
            ("$.timestamp", codes::MISPLACED_TIMESTAMP)
        );
        assert!(v.hint.unwrap().contains("beside the event's `name`"));
        let js = format!(
            r#"{{"type":"person",{ID},"action":"event","timestamp":"2026-11-30T09:00:00.000Z","name":"site_visit","attributes":{{"path":"/"}}}}"#
        );
        let v = one(&EXAMPLE, &js);
        assert_eq!((v.path.as_str(), v.code), ("timestamp", codes::TYPE));
        assert!(v.hint.unwrap().contains("send 1796029200"));
    }

    /// The example contract with `levels` added to its `lints:`.
    fn with_lints(levels: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract");
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        let main = dir.path().join("contract.yaml");
        let text = std::fs::read_to_string(&main).unwrap();
        assert!(text.contains("\nlints:\n"));
        std::fs::write(
            &main,
            text.replace("\nlints:\n", &format!("\nlints:\n{levels}")),
        )
        .unwrap();
        dir
    }

    #[test]
    fn the_contract_lowers_or_silences_its_promises() {
        let dir = with_lints("  missing_event_id: warn\n  misplaced_timestamp: allow\n");
        let checked = crate::check(dir.path()).unwrap();
        let v = Validator::new(checked.valid_ir().expect("lowered levels are accepted")).unwrap();
        let line = order_line("", "ord_1", "").replace(
            r#""is_first_order":true"#,
            r#""is_first_order":true,"timestamp":1"#,
        );
        let (s, viol) = v.validate_str(&line);
        assert_eq!((s.valid, s.invalid), (1, 0), "{viol:#?}");
        assert_eq!(viol.len(), 1);
        assert_eq!(
            (viol[0].code, viol[0].level),
            (codes::MISSING_EVENT_ID, ViolationLevel::Warning)
        );
        let json = serde_json::to_string(&viol[0]).unwrap();
        assert!(json.contains(r#""level":"warning""#), "{json}");
    }

    #[test]
    fn a_fixed_traffic_rule_cannot_be_lowered() {
        let dir = with_lints("  unknown_event: allow\n");
        let checked = crate::check(dir.path()).unwrap();
        assert!(checked.has_errors());
        let out = checked.render(false);
        assert!(
            out.contains("traffic rule `unknown_event` cannot be changed"),
            "{out}"
        );
    }
}

#[test]
fn a_name_or_action_sent_again_after_the_data_with_another_value_is_refused() {
    let v = &*EXAMPLE;
    // The data was checked as an order's; the last `name` makes it a refund.
    let line = op("order_completed", &order(""));
    let open = &line[..line.len() - 1];
    let renamed = format!(r#"{open},"name":"order_refunded"}}"#);
    let found = one(v, &renamed);
    assert_eq!(
        (found.code, found.path.as_str()),
        (codes::INVALID_REQUEST, "name")
    );
    assert!(
        found
            .message
            .contains(r#"("order_completed", then "order_refunded")"#),
        "{}",
        found.message
    );
    // The same name again, or a second name before the data, is no such case.
    valid(v, &format!(r#"{open},"name":"order_completed"}}"#));
    let before = line.replacen(
        r#""name":"order_completed""#,
        r#""name":"order_refunded","name":"order_completed""#,
        1,
    );
    valid(v, &before);
    // Attributes read for an identify, then `action` says event.
    let line = identify(r#"{"email":"a@example.com"}"#);
    let changed = format!(
        r#"{},"action":"event","name":"site_visit"}}"#,
        &line[..line.len() - 1]
    );
    assert!(
        codes_of(v, &changed).contains(&("action".to_owned(), codes::INVALID_REQUEST)),
        "{:?}",
        codes_of(v, &changed)
    );
}
