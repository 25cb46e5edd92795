//! Client logic against a scripted in-memory transport.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::*;
use crate::{IdempotencyKey, Violations};

#[derive(serde::Serialize)]
struct Order {
    order_id: String,
    total: f64,
}

impl Event for Order {
    const CONTRACT: &'static str = "shop";
    const NAME: &'static str = "order_completed";
    const BACKFILL: Backfill = Backfill::Allowed;
    const TRIGGERS: &'static [&'static str] = &["post_purchase"];
    fn idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        Some(IdempotencyKey::String(&self.order_id))
    }
    fn validate(&self) -> Result<(), Violations> {
        Ok(())
    }
}

#[derive(serde::Serialize)]
struct Visit {
    page: String,
}

impl Event for Visit {
    const CONTRACT: &'static str = "shop";
    const NAME: &'static str = "site_visit";
    const BACKFILL: Backfill = Backfill::Allowed;
    const TRIGGERS: &'static [&'static str] = &[];
    fn idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        None
    }
    fn validate(&self) -> Result<(), Violations> {
        Ok(())
    }
}

#[derive(serde::Serialize)]
struct Live;

impl Event for Live {
    const CONTRACT: &'static str = "shop";
    const NAME: &'static str = "live_only";
    const BACKFILL: Backfill = Backfill::Forbidden;
    const TRIGGERS: &'static [&'static str] = &[];
    fn idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        None
    }
    fn validate(&self) -> Result<(), Violations> {
        Ok(())
    }
}

type Script = VecDeque<Result<Response, TransportError>>;

#[derive(Clone, Default)]
struct Mock {
    script: Arc<Mutex<Script>>,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Mock {
    fn new(script: impl IntoIterator<Item = Result<Response, TransportError>>) -> Self {
        Mock {
            script: Arc::new(Mutex::new(script.into_iter().collect())),
            seen: Arc::default(),
        }
    }
    fn bodies(&self) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| serde_json::from_slice(r.body.as_deref().unwrap_or(b"null")).unwrap())
            .collect()
    }
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Transport for Mock {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.seen.lock().unwrap().push(request);
        let next = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(ok(200)));
        Box::pin(async move { next })
    }
}

fn ok(status: u16) -> Response {
    Response {
        status,
        retry_after: None,
        body: b"{}".to_vec(),
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        budget: Duration::from_secs(5),
    }
}

fn client(mock: &Mock) -> Client {
    Client::builder("site", "very-secret-key")
        .base_url("http://test.invalid/")
        .retry(fast())
        .transport(mock.clone())
        .build()
        .unwrap()
}

fn net() -> Result<Response, TransportError> {
    Err(TransportError::new(TransportErrorKind::Network, "reset"))
}

#[tokio::test]
async fn retries_reuse_the_same_random_id_and_body() {
    let mock = Mock::new([Ok(ok(500)), net(), Ok(ok(429)), Ok(ok(200))]);
    let id = client(&mock)
        .track("p1", &Visit { page: "/".into() })
        .await
        .unwrap();
    let bodies = mock.bodies();
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    assert_eq!(bodies[0]["id"], id.to_string());
    assert_eq!(
        mock.seen.lock().unwrap()[0].url,
        "http://test.invalid/api/v1/customers/p1/events"
    );
}

#[tokio::test]
async fn keyed_events_get_the_derived_id() {
    let mock = Mock::new([]);
    let order = Order {
        order_id: "o-1".into(),
        total: 9.5,
    };
    let c = client(&mock);
    let a = c.track("p1", &order).await.unwrap();
    let b = c.track("p2", &order).await.unwrap();
    assert_eq!(a, b);
    assert_eq!(
        a,
        derive_event_id("shop", "order_completed", IdempotencyKey::String("o-1"))
    );
}

#[tokio::test]
async fn bad_request_and_unauthorized_are_not_retried() {
    let bad = Response {
        status: 400,
        retry_after: None,
        body: br#"{"meta":{"errors":["name is required"]}}"#.to_vec(),
    };
    let mock = Mock::new([Ok(bad)]);
    let err = client(&mock)
        .track("p", &Visit { page: "/".into() })
        .await
        .map_err(Error::from);
    assert!(
        matches!(&err, Err(Error::BadRequest { errors }) if errors == &["name is required"]),
        "{err:?}"
    );
    assert_eq!(mock.count(), 1);

    let mock = Mock::new([Ok(ok(401))]);
    let err = client(&mock).delete("p").await;
    assert!(matches!(err, Err(Error::Unauthorized)));
    assert_eq!(mock.count(), 1);
}

#[tokio::test]
async fn retries_stop_after_the_limit() {
    let mock = Mock::new([
        Ok(ok(503)),
        Ok(ok(503)),
        Ok(ok(503)),
        Ok(ok(503)),
        Ok(ok(503)),
    ]);
    let err = client(&mock).suppress("p").await.unwrap_err();
    assert_eq!(mock.count(), 4, "1 attempt + 3 retries");
    assert!(
        matches!(err, Error::RetriesExhausted { attempts: 4, .. }),
        "{err}"
    );
    assert!(matches!(err.last(), Error::Status { status: 503, .. }));
}

#[tokio::test]
async fn retry_after_beyond_the_budget_gives_up_early() {
    let slow = Response {
        status: 429,
        retry_after: Some("120".into()),
        body: vec![],
    };
    let mock = Mock::new([Ok(slow)]);
    let started = Instant::now();
    let err = client(&mock).unsuppress("p").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(err, Error::Status { status: 429, .. }), "{err}");
    assert_eq!(mock.count(), 1);
}

#[tokio::test]
async fn the_api_key_never_shows() {
    let mock = Mock::new([Ok(ok(401))]);
    let c = client(&mock);
    let err = c.delete("p").await.unwrap_err();
    let req = mock.seen.lock().unwrap()[0].clone();
    let shown = format!(
        "{c:?} {err} {err:?} {req:?} {:?}",
        Client::builder("s", "very-secret-key")
    );
    assert!(!shown.contains("very-secret-key"), "{shown}");
    let encoded = req
        .authorization
        .expose()
        .trim_start_matches("Basic ")
        .to_owned();
    assert!(!shown.contains(&encoded), "{shown}");
}

#[tokio::test]
async fn identifiers_and_limits_are_checked_before_sending() {
    let mock = Mock::new([]);
    let c = client(&mock);
    let long = "x".repeat(151);
    let err = c
        .track(long.as_str(), &Visit { page: "/".into() })
        .await
        .map_err(Error::from);
    assert!(matches!(err, Err(Error::Invalid { ref field, .. }) if field == "identifier"));
    let err = c.delete("").await;
    assert!(matches!(err, Err(Error::Invalid { ref field, .. }) if field == "identifier"));
    let err = c
        .track_at(
            "p",
            &Visit { page: "/".into() },
            Timestamp::from_unix_seconds(1_700_000_000_000),
        )
        .await
        .map_err(Error::from);
    assert!(matches!(err, Err(Error::Invalid { ref field, .. }) if field == "timestamp"));
    let err = c.merge("a", Identifier::Email("")).await;
    assert!(matches!(err, Err(Error::Invalid { ref field, .. }) if field == "secondary"));
    assert_eq!(mock.count(), 0);
}

#[tokio::test]
async fn path_segments_are_encoded() {
    let mock = Mock::new([]);
    let c = client(&mock);
    c.delete(Identifier::Email("a+b@x.io")).await.unwrap();
    c.suppress(Identifier::CioId("03a1")).await.unwrap();
    c.unsuppress("a/b c").await.unwrap();
    let urls: Vec<String> = mock
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.url.clone())
        .collect();
    assert_eq!(
        urls,
        [
            "http://test.invalid/api/v1/customers/a%2Bb%40x.io",
            "http://test.invalid/api/v1/customers/cio_03a1/suppress",
            "http://test.invalid/api/v1/customers/a%2Fb%20c/unsuppress",
        ]
    );
}

#[test]
fn backfill_guard_rules() {
    let now = Timestamp::from_unix_seconds(1_800_000_000);
    let hours_ago = |h: i64| Some(Timestamp::from_unix_seconds(1_800_000_000 - h * 3600));
    // Forbidden by the contract, whatever the timestamp.
    assert!(matches!(
        backfill_guard::<Live>(hours_ago(1000), now),
        Err(Error::Backfill {
            event: "live_only",
            ..
        })
    ));
    // A timestamp is required.
    assert!(backfill_guard::<Visit>(None, now).is_err());
    assert!(backfill_guard::<Visit>(hours_ago(1), now).is_ok());
    // Trigger events: not within 72 h (+ skew margin), not in the future.
    assert!(backfill_guard::<Order>(hours_ago(1), now).is_err());
    assert!(backfill_guard::<Order>(hours_ago(72), now).is_err());
    assert!(backfill_guard::<Order>(hours_ago(-5), now).is_err());
    assert!(backfill_guard::<Order>(hours_ago(73), now).is_ok());
}

#[tokio::test]
async fn backfill_mode_in_calls() {
    let mock = Mock::new([]);
    let c = Client::builder("site", "key")
        .transport(mock.clone())
        .backfill(true)
        .build()
        .unwrap();
    let order = Order {
        order_id: "o".into(),
        total: 1.0,
    };
    assert!(matches!(
        c.track("p", &order).await,
        Err(TrackError::Refused(Error::Backfill { .. }))
    ));
    assert!(matches!(
        c.track_at("p", &order, Timestamp::now()).await,
        Err(TrackError::Refused(Error::Backfill { .. }))
    ));
    let old = Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - 30 * 86_400);
    c.track_at("p", &order, old).await.unwrap();
    assert!(c.batch().track("p", &Live).is_err());
    assert_eq!(mock.count(), 1);
}

#[test]
fn batch_packing_respects_both_limits() {
    let mock = Mock::new([]);
    let c = client(&mock);
    let mut b = c.batch();
    // ~20 KB operations: 24 fit in 500,000 bytes.
    let big = "y".repeat(20_000);
    for i in 0..50 {
        let idx = b
            .track(format!("p{i}").as_str(), &Visit { page: big.clone() })
            .unwrap();
        assert_eq!(idx, i);
    }
    let too_big = Visit {
        page: "z".repeat(40_000),
    };
    assert!(
        matches!(b.track("p", &too_big), Err(Error::Invalid { ref field, .. }) if field == "operation")
    );
    let chunks = b.chunks();
    assert!(chunks.len() >= 3);
    let mut next = 0;
    for r in chunks {
        assert_eq!(r.start, next);
        next = r.end;
        assert!(b.body(r).len() <= MAX_BATCH_BYTES_FOR_TESTS);
    }
    assert_eq!(next, 50);
}

const MAX_BATCH_BYTES_FOR_TESTS: usize = limits::MAX_BATCH_BYTES;

#[tokio::test]
async fn batch_maps_207_errors_to_items() {
    let partial = Response {
        status: 207,
        retry_after: None,
        body: br#"{"errors":[{"batch_index":1,"reason":"invalid","field":"identifiers","message":"bad"}]}"#
            .to_vec(),
    };
    // Two requests: the 207 is for the second, so its index 1 is item (first len) + 1.
    let mock = Mock::new([Ok(ok(200)), Ok(partial)]);
    let c = client(&mock);
    let mut b = c.batch();
    let big = "y".repeat(25_000);
    for i in 0..30 {
        b.track(format!("p{i}").as_str(), &Visit { page: big.clone() })
            .unwrap();
    }
    let first_len = b.chunks()[0].len();
    let report = b.send().await;
    assert_eq!(report.requests, 2);
    let failed: Vec<usize> = report.failures().map(|(i, _)| i).collect();
    assert_eq!(failed, [first_len + 1]);
}

fn status(status: u16, retry_after: Option<&str>, body: &[u8]) -> Response {
    Response {
        status,
        retry_after: retry_after.map(str::to_owned),
        body: body.to_vec(),
    }
}

#[tokio::test]
async fn a_failed_track_carries_its_prepared_event_and_a_resend_keeps_the_id() {
    let mock = Mock::new([Ok(ok(503)), Ok(ok(503)), Ok(ok(503)), Ok(ok(503))]);
    let c = client(&mock);
    let err = c
        .track("p1", &Visit { page: "/".into() })
        .await
        .unwrap_err();
    let TrackError::Undelivered { event, error } = &err else {
        panic!("{err:?}")
    };
    assert!(error.is_retryable());
    assert_eq!(err.event_id(), Some(event.id()));
    assert!(err.to_string().contains(&event.id().to_string()), "{err}");
    // The application gives up and re-sends later: same id, same body.
    let resent = c.send(err.prepared().unwrap()).await.unwrap();
    assert_eq!(resent, event.id());
    let bodies = mock.bodies();
    assert_eq!(bodies.len(), 5);
    assert!(bodies.iter().all(|b| b == &bodies[0]));

    // Preparing gives the id before anything is sent, and a refused event has none.
    let prepared = c.prepare("p2", &Visit { page: "/x".into() }).unwrap();
    assert_eq!(mock.count(), 5);
    assert_eq!(c.send(&prepared).await.unwrap(), prepared.id());
    assert_eq!(mock.bodies()[5]["id"], prepared.id().to_string());
    let refused = c.track("", &Visit { page: "/".into() }).await.unwrap_err();
    assert!(matches!(
        refused,
        TrackError::Refused(Error::Invalid { .. })
    ));
    assert_eq!(refused.event_id(), None);
}

#[tokio::test]
async fn anonymous_prepared_events_keep_their_id_too() {
    let mock = Mock::new([net(), net(), net(), net()]);
    let c = client(&mock);
    let err = c
        .track_anonymous("anon-1", &Visit { page: "/".into() })
        .await
        .unwrap_err();
    let prepared = err.into_prepared().unwrap();
    assert_eq!(prepared.recipient(), &Recipient::Anonymous("anon-1".into()));
    c.send(&prepared).await.unwrap();
    let bodies = mock.bodies();
    assert_eq!(bodies.last().unwrap()["anonymous_id"], "anon-1");
    assert!(bodies.iter().all(|b| b["id"] == prepared.id().to_string()));
}

#[tokio::test]
async fn a_207_that_does_not_say_which_items_failed_reports_all_unknown() {
    for body in [
        &b"<html>upstream error</html>"[..],
        br#"{"meta":{}}"#,
        br#"{"errors":"some failed"}"#,
        br#"{"errors":[]}"#,
        br#"{"errors":[{"reason":"invalid"}]}"#,
        br#"{"errors":[{"batch_index":"1"}]}"#,
        br#"{"errors":[{"batch_index":7}]}"#,
        br#"{"errors":[{"batch_index":0},{"message":"no index"}]}"#,
    ] {
        let mock = Mock::new([Ok(status(207, None, body))]);
        let c = client(&mock);
        let mut b = c.batch();
        for p in ["a", "b", "c"] {
            b.track(p, &Visit { page: "/".into() }).unwrap();
        }
        let report = b.send().await;
        let shown = String::from_utf8_lossy(body);
        assert!(
            report
                .results
                .iter()
                .all(|r| matches!(r, Err(BatchItemError::OutcomeUnknown { .. }))),
            "{shown}: {:?}",
            report.results
        );
        assert!(
            report
                .results
                .iter()
                .all(|r| r.as_ref().unwrap_err().is_retryable())
        );
    }
}

#[tokio::test]
async fn retry_after_is_kept_in_the_final_error_in_both_forms() {
    let mock = Mock::new([Ok(status(429, Some("7"), b""))]);
    let c = Client::builder("site", "k")
        .transport(mock.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = c.delete("p").await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)), "{err}");
    assert!(matches!(
        err,
        Error::Status {
            status: 429,
            retry_after: Some(_),
            ..
        }
    ));

    // An HTTP date beyond the budget: given up at once, the wait still reported.
    let far = "Fri, 01 Jan 2100 00:00:00 GMT";
    let mock = Mock::new([Ok(status(503, Some(far), b""))]);
    let err = client(&mock).delete("p").await.unwrap_err();
    let wait = err.retry_after().expect("Retry-After kept");
    assert!(wait > Duration::from_secs(60 * 365 * 86_400), "{wait:?}");
    // Through RetriesExhausted too.
    let mock = Mock::new([Ok(ok(500)), Ok(status(503, Some("2"), b""))]);
    let c = Client::builder("site", "k")
        .transport(mock.clone())
        .retry(RetryPolicy {
            max_retries: 1,
            ..fast()
        })
        .build()
        .unwrap();
    let err = c.delete("p").await.unwrap_err();
    assert!(
        matches!(err, Error::RetriesExhausted { attempts: 2, .. }),
        "{err}"
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
}

/// A transport that never answers.
struct Silent(Arc<Mutex<usize>>);

impl Transport for Silent {
    fn send(&self, _: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        *self.0.lock().unwrap() += 1;
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_batch_shares_one_deadline_across_its_requests() {
    let sent = Arc::new(Mutex::new(0));
    let budget = Duration::from_millis(300);
    let c = Client::builder("site", "k")
        .transport(Silent(sent.clone()))
        .timeout(Duration::from_millis(40))
        .retry(RetryPolicy {
            max_retries: 1000,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            budget,
        })
        .build()
        .unwrap();
    let mut b = c.batch();
    let big = "y".repeat(25_000);
    for i in 0..60 {
        b.track(format!("p{i}").as_str(), &Visit { page: big.clone() })
            .unwrap();
    }
    let chunks = b.chunks();
    assert!(chunks.len() >= 3);
    let started = Instant::now();
    let report = b.send().await;
    let elapsed = started.elapsed();
    // Each request alone would take the whole budget: 3+ budgets before.
    assert!(elapsed < budget * 2, "{elapsed:?}");
    let last = chunks.last().unwrap().start;
    assert!(
        matches!(&report.results[last], Err(BatchItemError::RequestFailed(e)) if matches!(**e, Error::DeadlineExceeded { .. })),
        "{:?}",
        report.results[last]
    );
    assert!(
        report
            .results
            .iter()
            .all(|r| r.as_ref().unwrap_err().is_retryable())
    );

    // One call has the same bound.
    let started = Instant::now();
    let err = c.delete("p").await.unwrap_err();
    assert!(started.elapsed() < budget * 2, "{:?}", started.elapsed());
    assert!(err.is_retryable() || matches!(err, Error::RetriesExhausted { .. }));
}

#[tokio::test]
async fn credentials_echoed_by_a_server_are_scrubbed() {
    let auth = Authorization::basic("site", "very-secret-key");
    let token = auth.token().to_owned();
    let echo = format!(
        r#"{{"meta":{{"error":"bad gateway","headers":["authorization: {}","x-key: very-secret-key","esc: {}"]}}}}"#,
        auth.expose(),
        token.replace('/', "\\/")
    );
    let bad = format!(
        r#"{{"meta":{{"errors":["auth {} refused"]}}}}"#,
        auth.expose()
    );
    let mock = Mock::new([
        Ok(status(502, None, echo.as_bytes())),
        Ok(status(400, None, bad.as_bytes())),
        Err(TransportError::new(
            TransportErrorKind::Network,
            format!("proxy said: {}", auth.expose()),
        )),
    ]);
    let c = Client::builder("site", "very-secret-key")
        .transport(mock.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e1 = c.delete("p").await.unwrap_err();
    let e2 = c.delete("p").await.unwrap_err();
    let e3 = c.delete("p").await.unwrap_err();
    let shown = format!("{e1} {e1:?} {e2} {e2:?} {e3} {e3:?} {c:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    for secret in ["very-secret-key", token.as_str()] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
