//! The client against the local Track API emulator (`tests/emulator`), over real HTTP on
//! 127.0.0.1 with the reqwest transport. Needs feature `reqwest`, which the self
//! dev-dependency in Cargo.toml turns on for `cargo test`.
#![cfg(feature = "reqwest")]

mod emulator;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use emulator::events::d2c_event;
use emulator::{DEVIATIONS, Emulator, Fault, FaultCtx};
use serde_json::{Value, json};
use trackc::client::{Error, Identifier, RetryPolicy};
use trackc::{Backfill, Client, IdempotencyKey, Timestamp, Violations};

const SITE: &str = "site-7";
const KEY: &str = "k3y-DO-NOT-LEAK-9f8e7d";

// ---- hand-written contract types (the derive macro is not used here) ----

#[derive(serde::Serialize)]
struct OrderCompleted {
    order_id: String,
    revenue: f64,
    currency: &'static str,
    seq: u64,
}

impl trackc::Event for OrderCompleted {
    const CONTRACT: &'static str = "d2c";
    const NAME: &'static str = "order_completed";
    const BACKFILL: Backfill = Backfill::Allowed;
    const TRIGGERS: &'static [&'static str] = &["post_purchase"];
    fn idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        Some(IdempotencyKey::String(&self.order_id))
    }
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        if self.revenue < 0.0 {
            v.push(
                &trackc::Path::Root.field("revenue"),
                "minimum",
                "below 0".into(),
            );
        }
        v.into_result()
    }
}

#[derive(serde::Serialize)]
struct ProductViewed {
    sku: String,
    seq: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    padding: String,
}

d2c_event!(ProductViewed, "product_viewed", Allowed, []);

#[derive(serde::Serialize)]
struct CheckoutStarted {
    cart_id: String,
}

d2c_event!(
    CheckoutStarted,
    "checkout_started",
    Forbidden,
    ["cart_recovery"]
);

#[derive(serde::Serialize, Default)]
struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    ltv: Option<f64>,
    lifetime_orders: Option<i64>,
    is_vip: Option<bool>,
    last_order_at: Option<Timestamp>,
}

impl trackc::Attributes for Profile {
    fn validate(&self) -> Result<(), Violations> {
        Ok(())
    }
}

// ---- helpers ----

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        budget: Duration::from_secs(15),
    }
}

fn client(emu: &Emulator) -> Client {
    client_with(emu, KEY, false)
}

fn client_with(emu: &Emulator, key: &str, backfill: bool) -> Client {
    Client::builder(SITE, key)
        .base_url(emu.url())
        .timeout(Duration::from_millis(400))
        .retry(fast_retries())
        .backfill(backfill)
        .build()
        .unwrap()
}

fn days_ago(d: i64) -> Timestamp {
    Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - d * 86_400)
}

fn assert_openapi_clean(emu: &Emulator) {
    let store = emu.store();
    let bad = store.openapi_failures();
    assert!(
        bad.is_empty(),
        "requests failed the OpenAPI check: {:#?}",
        bad.iter()
            .map(|l| (&l.method, &l.path, &l.openapi_errors, &l.body))
            .collect::<Vec<_>>()
    );
}

/// The `seq` of the (first) event in a request body, to aim faults at logical sends.
fn seq_of(body: Option<&Value>) -> Option<u64> {
    let b = body?;
    b.pointer("/data/seq")
        .or_else(|| b.pointer("/batch/0/attributes/seq"))
        .and_then(Value::as_u64)
}

// ---- tests ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_passes_the_openapi_check_and_lands() {
    let emu = Emulator::start(SITE, KEY).await;
    let c = client(&emu);
    let profile = Profile {
        email: Some("ada@example.com".into()),
        ltv: Some(1234.56),
        lifetime_orders: Some(7),
        is_vip: Some(true),
        last_order_at: Some(days_ago(3)),
    };
    c.identify("cust-1", &profile).await.unwrap();
    c.identify(Identifier::Email("bob@example.com"), &Profile::default())
        .await
        .unwrap();
    let order = OrderCompleted {
        order_id: "o-1".into(),
        revenue: 99.5,
        currency: "EUR",
        seq: 1,
    };
    let id1 = c.track("cust-1", &order).await.unwrap();
    let id2 = c.track_at("cust-1", &order, days_ago(1)).await.unwrap();
    assert_eq!(id1, id2, "same order, same id");
    let view = ProductViewed {
        sku: "SKU-1".into(),
        seq: 2,
        padding: String::new(),
    };
    c.track_anonymous("anon-9", &view).await.unwrap();
    c.track_anonymous_at("anon-9", &view, days_ago(2))
        .await
        .unwrap();
    c.suppress("cust-2").await.unwrap();
    c.unsuppress("cust-2").await.unwrap();
    c.identify("cust-3", &Profile::default()).await.unwrap();
    c.merge("cust-1", "cust-3").await.unwrap();
    c.merge(
        Identifier::Email("bob@example.com"),
        Identifier::CioId("a1b2"),
    )
    .await
    .unwrap();
    c.delete("cust-2").await.unwrap();
    c.delete("weird id/with ümlaut@x").await.unwrap();

    let mut b = c.batch();
    b.identify("cust-4", &profile).unwrap();
    b.track("cust-4", &view).unwrap();
    b.track_at("cust-4", &order, days_ago(5)).unwrap();
    b.suppress("cust-5").unwrap();
    b.unsuppress("cust-5").unwrap();
    b.merge("cust-4", Identifier::Email("x@example.com"))
        .unwrap();
    b.delete("cust-6").unwrap();
    let report = b.send().await;
    assert!(report.is_ok(), "{:?}", report.results);
    assert_eq!(report.requests, 1);

    assert_openapi_clean(&emu);
    let store = emu.store();
    assert!(
        store.log.iter().all(|l| l.status == 200),
        "{:#?}",
        store.log
    );
    let p = &store.people["id:cust-1"].attributes;
    assert_eq!(p["ltv"], json!(1234.56));
    assert_eq!(p["is_vip"], json!(true));
    assert!(
        !p.contains_key("email") || p["email"] == "ada@example.com",
        "{p:?}"
    );
    // `None` attributes are not sent (identify is a partial update).
    assert!(
        !store.people["email:bob@example.com"]
            .attributes
            .contains_key("ltv")
    );
    // order twice (v1) + once more in the batch: the batch one is the same order id too.
    let orders: Vec<_> = store
        .events
        .iter()
        .filter(|e| e.name == "order_completed")
        .collect();
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(store.duplicate_events_ignored, 2);
    let views = store
        .events
        .iter()
        .filter(|e| e.name == "product_viewed")
        .count();
    assert_eq!(views, 3, "random ids: each logical send is its own event");
    assert!(store.events.iter().all(|e| e.id.is_some()));
    assert!(store.people.contains_key("id:cust-1") && !store.people.contains_key("id:cust-3"));
    assert!(!store.people.contains_key("id:cust-6"));
    assert_eq!(store.merges.len(), 3);
}

/// The fault test: every kind of fault, many concurrent sends, each stored exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_every_event_is_stored_exactly_once() {
    let started = Instant::now();
    let emu = Emulator::start(SITE, KEY).await;
    // Client timeout 400 ms; slow responses take 1.2 s.
    emu.set_faults(|ctx: &FaultCtx<'_>| {
        let seq = seq_of(ctx.body)?;
        match (seq % 8, ctx.attempt) {
            (0, 1) => Some(Fault::Status500),
            (1, 1) if seq % 16 == 1 => Some(Fault::TooManyRequests { retry_after: 1 }),
            (1, 1) => Some(Fault::Status500),
            (2, 1) => Some(Fault::ResetBefore),
            (2, 2) => Some(Fault::ResetAfter),
            (3, 1) => Some(Fault::SlowAfter { millis: 1200 }),
            (4, 1) => Some(Fault::ResetAfter),
            (5, 1) => Some(Fault::Status500),
            (5, 2) => Some(Fault::SlowAfter { millis: 1200 }),
            (5, 3) => Some(Fault::TooManyRequests { retry_after: 0 }),
            _ => None,
        }
    });
    let c = client(&emu);

    // Phase 1: 96 single v1 sends, half with an idempotency key, half with random ids.
    const N: u64 = 96;
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..N {
        let c = c.clone();
        tasks.spawn(async move {
            let person = format!("cust-{}", seq % 10);
            let id = if seq % 2 == 0 {
                let e = OrderCompleted {
                    order_id: format!("o-{seq}"),
                    revenue: seq as f64,
                    currency: "USD",
                    seq,
                };
                c.track(person.as_str(), &e).await
            } else {
                let e = ProductViewed {
                    sku: format!("SKU-{seq}"),
                    seq,
                    padding: String::new(),
                };
                c.track(person.as_str(), &e).await
            };
            (seq, id)
        });
    }
    let mut ids = BTreeMap::new();
    while let Some(r) = tasks.join_next().await {
        let (seq, id) = r.unwrap();
        ids.insert(seq, id.unwrap_or_else(|e| panic!("event {seq} lost: {e}")));
    }

    // Phase 2: a second service sends every keyed order again: no new events.
    let other = client(&emu);
    for seq in (0..N).step_by(2) {
        let e = OrderCompleted {
            order_id: format!("o-{seq}"),
            revenue: seq as f64,
            currency: "USD",
            seq,
        };
        other.track("cust-x", &e).await.unwrap();
    }

    // Phase 3: 120 batched events of ~10 KB (3 requests of up to 500 KB), faults per
    // request aimed by the seq of its first operation.
    const B: u64 = 120;
    let mut batch = c.batch();
    for seq in N..N + B {
        let e = ProductViewed {
            sku: format!("SKU-{seq}"),
            seq,
            padding: "p".repeat(10_000),
        };
        batch
            .track(format!("cust-{}", seq % 10).as_str(), &e)
            .unwrap();
    }
    let report = batch.send().await;
    assert!(
        report.is_ok(),
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
    assert!(report.requests >= 3);

    let elapsed = started.elapsed();
    let store = emu.store();
    let mut per_seq: BTreeMap<u64, usize> = BTreeMap::new();
    for e in &store.events {
        *per_seq.entry(e.data["seq"].as_u64().unwrap()).or_default() += 1;
    }
    let sent = N + B;
    let stored = store.events.len() as u64;
    let duplicates: usize = per_seq.values().map(|n| n.saturating_sub(1)).sum();
    let lost: Vec<u64> = (0..sent).filter(|s| !per_seq.contains_key(s)).collect();
    let openapi_failures = store.openapi_failures().len();
    println!(
        "fault test: events sent {sent} ({N} v1 + {B} batched, plus {} keyed re-sends), \
         requests {}, faults injected {:?}, events stored {stored}, duplicates {duplicates}, \
         lost {}, re-deliveries absorbed by id dedupe {}, OpenAPI failures {openapi_failures}, \
         {:.2}s",
        N / 2,
        store.log.len(),
        store.faults,
        lost.len(),
        store.duplicate_events_ignored,
        elapsed.as_secs_f64()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert_eq!(duplicates, 0);
    assert_eq!(stored, sent);
    assert_eq!(openapi_failures, 0);
    for e in store.events.iter().filter(|e| e.via == "v1") {
        let seq = e.data["seq"].as_u64().unwrap();
        assert_eq!(e.id.as_deref(), Some(ids[&seq].to_string().as_str()));
    }
    // Every kind of fault was exercised.
    for kind in [
        "500",
        "429 + Retry-After",
        "reset before processing",
        "reset after processing",
        "slower than timeout (after processing)",
    ] {
        assert!(
            store.faults.get(kind).copied().unwrap_or(0) > 0,
            "{kind} not injected"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failures_are_not_retried() {
    let emu = Emulator::start(SITE, KEY).await;
    let c = client_with(&emu, "wrong-key", false);
    let view = ProductViewed {
        sku: "s".into(),
        seq: 0,
        padding: String::new(),
    };
    assert!(matches!(
        c.track("cust-1", &view).await.map_err(Error::from),
        Err(Error::Unauthorized)
    ));
    assert_eq!(emu.store().log.len(), 1);

    // A batch that needs two requests: after the 401, the second is not even tried.
    let mut b = c.batch();
    for seq in 0..60 {
        b.track(
            "cust-1",
            &ProductViewed {
                sku: "s".into(),
                seq,
                padding: "p".repeat(10_000),
            },
        )
        .unwrap();
    }
    let report = b.send().await;
    assert_eq!(report.requests, 2);
    assert_eq!(report.failures().count(), 60);
    let store = emu.store();
    assert_eq!(store.log.len(), 2, "one v1 request, one batch request");
    assert!(store.log.iter().all(|l| l.status == 401 && !l.authorized));
    assert!(store.events.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_failures_are_not_retried() {
    let emu = Emulator::start(SITE, KEY).await;
    emu.set_faults(|_| Some(Fault::BadRequest));
    let c = client(&emu);
    let err = c.identify("cust-1", &Profile::default()).await.unwrap_err();
    match err {
        Error::BadRequest { errors } => assert_eq!(errors, ["injected: request refused"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.store().log.len(), 1);
    emu.clear_faults();

    // Refused before sending: nothing reaches the emulator.
    let bad = OrderCompleted {
        order_id: "o".into(),
        revenue: -1.0,
        currency: "USD",
        seq: 0,
    };
    match c.track("cust-1", &bad).await.map_err(Error::from) {
        Err(Error::Validation(v)) => assert_eq!(v.0[0].path, "$.revenue"),
        other => panic!("{other:?}"),
    }
    let long = "x".repeat(151);
    match c.delete(long.as_str()).await {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "identifier"),
        other => panic!("{other:?}"),
    }
    let big = ProductViewed {
        sku: "s".into(),
        seq: 0,
        padding: "p".repeat(100_001),
    };
    match c.track("cust-1", &big).await.map_err(Error::from) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "data"),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.store().log.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let emu = Emulator::start(SITE, KEY).await;
    emu.set_faults(|ctx| (ctx.attempt == 1).then_some(Fault::TooManyRequests { retry_after: 1 }));
    let c = client(&emu);
    let t = Instant::now();
    c.suppress("cust-1").await.unwrap();
    let waited = t.elapsed();
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(emu.store().log.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_maps_207_errors_to_the_callers_items() {
    let emu = Emulator::start(SITE, KEY).await;
    let c = client(&emu);
    c.suppress("blocked").await.unwrap();
    let mut b = c.batch();
    let mut expected_failures = Vec::new();
    for seq in 0..100u64 {
        // Every 17th item is for a suppressed person: Customer.io refuses it in the 207.
        let person = if seq % 17 == 16 { "blocked" } else { "cust-1" };
        let i = b
            .track(
                person,
                &ProductViewed {
                    sku: "s".into(),
                    seq,
                    padding: "p".repeat(9_000),
                },
            )
            .unwrap();
        assert_eq!(i as u64, seq);
        if person == "blocked" {
            expected_failures.push(i);
        }
    }
    let report = b.send().await;
    assert!(
        report.requests >= 2,
        "the 207s must come from several requests"
    );
    let failed: Vec<usize> = report.failures().map(|(i, _)| i).collect();
    assert_eq!(failed, expected_failures);
    for (_, e) in report.failures() {
        assert!(e.to_string().contains("suppressed"), "{e}");
    }
    let store = emu.store();
    assert_eq!(store.events.len(), 100 - expected_failures.len());
    assert!(store.log.iter().any(|l| l.status == 207));
    drop(store);
    assert_openapi_clean(&emu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_mode_against_the_emulator() {
    let emu = Emulator::start(SITE, KEY).await;
    let c = client_with(&emu, KEY, true);
    let order = OrderCompleted {
        order_id: "o-old".into(),
        revenue: 10.0,
        currency: "USD",
        seq: 1,
    };
    // Trigger event: refused within 72 h, accepted when older.
    assert!(matches!(
        c.track_at("cust-1", &order, days_ago(1))
            .await
            .map_err(Error::from),
        Err(Error::Backfill { .. })
    ));
    c.track_at("cust-1", &order, days_ago(30)).await.unwrap();
    // No timestamp: refused.
    let view = ProductViewed {
        sku: "s".into(),
        seq: 2,
        padding: String::new(),
    };
    assert!(matches!(
        c.track("cust-1", &view).await.map_err(Error::from),
        Err(Error::Backfill { .. })
    ));
    c.track_at("cust-1", &view, days_ago(0)).await.unwrap();
    // Forbidden by the contract.
    let e = c
        .track_at(
            "cust-1",
            &CheckoutStarted {
                cart_id: "c".into(),
            },
            days_ago(400),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("backfill: forbidden"), "{e}");
    // Identify is allowed.
    c.identify("cust-1", &Profile::default()).await.unwrap();
    let store = emu.store();
    assert_eq!(store.log.len(), 3);
    assert_eq!(store.events.len(), 2);
    assert!(store.events.iter().all(|e| e.timestamp.is_some()));
}

/// The emulator itself: it must refuse what Customer.io refuses, or the tests above prove
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_enforces_the_openapi_document_and_limits() {
    let emu = Emulator::start(SITE, KEY).await;
    let http = reqwest::Client::new();
    let base = emu.url();
    let send = |method: reqwest::Method, path: &str, body: Option<Value>, auth: bool| {
        let mut r = http.request(method, format!("{base}{path}"));
        if auth {
            r = r.basic_auth(SITE, Some(KEY));
        }
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            (status, body)
        }
    };
    use reqwest::Method as M;
    let ulid = "01HK153X00S4BXFSY53VM9ZPJF";

    let (s, _) = send(M::PUT, "/api/v1/customers/c1", Some(json!({"a": 1})), false).await;
    assert_eq!(s, 401);
    // The documented deviation: decimal attribute values are accepted.
    assert_eq!(DEVIATIONS.len(), 2);
    let (s, _) = send(
        M::PUT,
        "/api/v1/customers/c1",
        Some(json!({"ltv": 12.5, "n": 3})),
        true,
    )
    .await;
    assert_eq!(s, 200);
    // Arrays are not attribute values.
    let (s, b) = send(
        M::PUT,
        "/api/v1/customers/c1",
        Some(json!({"tags": ["a"]})),
        true,
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["meta"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    // Events need a name, and ids must be ULIDs.
    let (s, _) = send(
        M::POST,
        "/api/v1/customers/c1/events",
        Some(json!({"data": {}})),
        true,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = send(
        M::POST,
        "/api/v1/customers/c1/events",
        Some(json!({"name": "x", "id": "not-a-ulid"})),
        true,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = send(
        M::POST,
        "/api/v1/customers/c1/events",
        Some(json!({"name": "x", "id": ulid, "timestamp": 1_700_000_000_000_i64})),
        true,
    )
    .await;
    assert_eq!(s, 400, "milliseconds");
    let (s, _) = send(
        M::POST,
        "/api/v1/customers/c1/events",
        Some(json!({"name": "x", "id": ulid, "timestamp": 1_700_000_000})),
        true,
    )
    .await;
    assert_eq!(s, 200);
    // Limits.
    let (s, _) = send(
        M::PUT,
        "/api/v1/customers/c1",
        Some(json!({"bio": "x".repeat(1001)})),
        true,
    )
    .await;
    assert_eq!(s, 400);
    let long = "x".repeat(151);
    let (s, _) = send(M::DELETE, &format!("/api/v1/customers/{long}"), None, true).await;
    assert_eq!(s, 400);
    let (s, _) = send(
        M::POST,
        "/api/v1/events",
        Some(json!({"name": "e".repeat(101), "anonymous_id": "a"})),
        true,
    )
    .await;
    assert_eq!(s, 400);
    // Merge: one identifier each.
    let (s, _) = send(
        M::POST,
        "/api/v1/merge_customers",
        Some(json!({"primary": {"id": "a", "email": "a@x.io"}, "secondary": {"id": "b"}})),
        true,
    )
    .await;
    assert_eq!(s, 400);
    // Paths and methods.
    let (s, _) = send(M::GET, "/api/v1/merge_customers", None, true).await;
    assert_eq!(s, 405);
    let (s, _) = send(M::POST, "/api/v1/nope", None, true).await;
    assert_eq!(s, 404);
    // A batch with one bad operation: 207 naming its index.
    let (s, b) = send(
        M::POST,
        "/api/v2/batch",
        Some(json!({"batch": [
            {"type": "person", "identifiers": {"id": "a"}, "action": "event", "name": "x", "id": ulid},
            {"type": "person", "identifiers": {"id": "a"}, "action": "event"},
        ]})),
        true,
    )
    .await;
    assert_eq!(s, 207, "{b}");
    assert_eq!(b["errors"][0]["batch_index"], 1);
    // Too large.
    let ops: Vec<Value> = (0..20)
        .map(|i| json!({"type": "person", "identifiers": {"id": format!("p{i}")}, "action": "identify", "attributes": {"x": "y".repeat(30_000)}}))
        .collect();
    let (s, _) = send(
        M::POST,
        "/api/v2/batch",
        Some(json!({ "batch": ops })),
        true,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = send(
        M::POST,
        "/api/v2/entity",
        Some(json!({"type": "person", "identifiers": {"id": "p"}, "action": "identify", "attributes": {"x": "y".repeat(33_000)}})),
        true,
    )
    .await;
    assert_eq!(s, 400);
    let store = emu.store();
    assert!(store.openapi_failures().len() >= 5);
}
