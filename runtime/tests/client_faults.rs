//! The client against the fault-injecting emulator: a caller that gives up and re-sends,
//! 207s that do not say what failed, Retry-After in both forms, a server that never answers.
//! Each test is a failure of issue 18, measured against real HTTP on 127.0.0.1.
#![cfg(feature = "reqwest")]

mod emulator;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use emulator::events::ProductViewed;
use emulator::{Emulator, Fault};
use trackc::Client;
use trackc::client::{BatchItemError, Error, RetryPolicy, TrackError};

const SITE: &str = "site-7";
const KEY: &str = "k3y-DO-NOT-LEAK-9f8e7d";

fn client(emu: &Emulator, retry: RetryPolicy) -> Client {
    Client::builder(SITE, KEY)
        .base_url(emu.url())
        .timeout(Duration::from_millis(300))
        .retry(retry)
        .build()
        .unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
        budget: Duration::from_secs(10),
    }
}

fn seq_of(body: Option<&serde_json::Value>) -> Option<u64> {
    let b = body?;
    b.pointer("/data/seq")
        .or_else(|| b.pointer("/batch/0/attributes/seq"))
        .and_then(serde_json::Value::as_u64)
}

/// Issue 18, failure 1: calls that give up although Customer.io processed the event (the
/// connection reset after processing, every attempt), then re-sent by the application.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_that_gives_up_and_resends_creates_no_duplicates() {
    let emu = Emulator::start(SITE, KEY).await;
    // Every third event: each attempt is processed, then its reply is lost.
    emu.set_faults(|ctx| {
        seq_of(ctx.body)
            .filter(|s| s % 3 == 0)
            .map(|_| Fault::ResetAfter)
    });
    let c = client(&emu, fast());
    let mut given_up = Vec::new();
    for seq in 0..30 {
        let ev = ProductViewed {
            sku: format!("sku-{seq}"),
            seq,
        };
        match c.track(format!("cust-{}", seq % 4).as_str(), &ev).await {
            Ok(_) => assert!(seq % 3 != 0),
            Err(e @ TrackError::Undelivered { .. }) => given_up.push(e),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(given_up.len(), 10);
    // Later, the server is healthy: the application re-sends what it gave up on.
    emu.clear_faults();
    for e in &given_up {
        let prepared = e.prepared().unwrap();
        assert_eq!(c.send(prepared).await.unwrap(), prepared.id());
    }
    let store = emu.store();
    assert_eq!(store.events.len(), 30, "every event once");
    assert!(
        store.duplicate_events_ignored >= 10,
        "re-sends were deduplicated by id"
    );
    let mut seqs: Vec<u64> = store
        .events
        .iter()
        .map(|e| e.data["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..30).collect::<Vec<_>>());
}

/// Issue 18, failure 2: a 207 that does not list which operation failed. The server refused
/// one operation (a suppressed person) but the body says nothing usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_207_without_per_item_outcomes_is_never_reported_ok() {
    for body in [
        "<html>502 upstream</html>",
        r#"{"meta":{}}"#,
        r#"{"errors":[{"reason":"x"}]}"#,
    ] {
        let emu = Emulator::start(SITE, KEY).await;
        let c = client(&emu, fast());
        c.suppress("blocked").await.unwrap();
        emu.set_faults(move |ctx| {
            (ctx.path == "/api/v2/batch").then_some(Fault::Garbled207 { body })
        });
        let prepared: Vec<_> = (0..10)
            .map(|seq| {
                let person = if seq == 4 { "blocked" } else { "cust-1" };
                c.prepare(
                    person,
                    &ProductViewed {
                        sku: "s".into(),
                        seq,
                    },
                )
                .unwrap()
            })
            .collect();
        let mut b = c.batch();
        for p in &prepared {
            b.add(p).unwrap();
        }
        let report = b.send().await;
        let ok = report.results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 0, "{body}: {:?}", report.results);
        assert!(
            report
                .results
                .iter()
                .all(|r| matches!(r, Err(BatchItemError::OutcomeUnknown { .. })))
        );
        // Re-sent as a batch with the same ids: the 9 are not duplicated, the refused one
        // is now reported.
        emu.clear_faults();
        let mut b = c.batch();
        for p in &prepared {
            b.add(p).unwrap();
        }
        let report = b.send().await;
        let failed: Vec<usize> = report.failures().map(|(i, _)| i).collect();
        assert_eq!(failed, [4]);
        let store = emu.store();
        assert_eq!(store.events.len(), 9);
        assert_eq!(store.duplicate_events_ignored, 9);
    }
}

/// Issue 18, failure 3: Retry-After, as seconds and as an HTTP date, reaches the caller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_reaches_the_caller_in_both_forms() {
    let emu = Emulator::start(SITE, KEY).await;
    let c = client(&emu, RetryPolicy::none());
    emu.set_faults(|_| Some(Fault::TooManyRequests { retry_after: 42 }));
    let err = c.delete("cust-1").await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)), "{err}");
    emu.set_faults(|_| Some(Fault::TooManyRequestsUntil { secs: 90 }));
    let err = c
        .track(
            "cust-1",
            &ProductViewed {
                sku: "s".into(),
                seq: 1,
            },
        )
        .await
        .unwrap_err();
    let wait = err
        .error()
        .retry_after()
        .expect("HTTP-date Retry-After kept");
    // Whole seconds on the wire, and the date is read a moment after it was written.
    assert!(
        (Duration::from_secs(87)..=Duration::from_secs(90)).contains(&wait),
        "{wait:?}"
    );
    // With retries: a wait beyond the budget gives up at once and still reports it.
    let c = client(
        &emu,
        RetryPolicy {
            budget: Duration::from_secs(5),
            ..fast()
        },
    );
    let started = Instant::now();
    let err = c.suppress("cust-1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(err, Error::Status { status: 429, .. }), "{err}");
    assert!(err.retry_after().unwrap() > Duration::from_secs(80));
}

/// Issue 18, failure 4: against a server that never answers, a 3-request batch ends by one
/// deadline, not one full retry cycle per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_against_a_silent_server_ends_by_its_deadline() {
    let emu = Emulator::start(SITE, KEY).await;
    emu.set_faults(|_| Some(Fault::Withhold));
    let budget = Duration::from_millis(1500);
    let c = client(
        &emu,
        RetryPolicy {
            max_retries: 100,
            budget,
            ..fast()
        },
    );
    let mut b = c.batch();
    for seq in 0..60 {
        b.track(
            format!("cust-{seq}").as_str(),
            &ProductViewed {
                sku: "x".repeat(20_000),
                seq,
            },
        )
        .unwrap();
    }
    let started = Instant::now();
    let report = b.send().await;
    let elapsed = started.elapsed();
    assert!(report.requests >= 3, "{}", report.requests);
    // One request alone takes the whole budget: before, this was requests x budget.
    assert!(
        elapsed < budget * 2,
        "{elapsed:?} for {} requests",
        report.requests
    );
    assert!(
        report
            .results
            .iter()
            .all(|r| r.as_ref().unwrap_err().is_retryable())
    );
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for r in &report.results {
        let Err(BatchItemError::RequestFailed(e)) = r else {
            panic!("{r:?}")
        };
        *kinds
            .entry(match **e {
                Error::DeadlineExceeded { .. } => "not sent",
                _ => "timed out",
            })
            .or_default() += 1;
    }
    assert!(kinds["not sent"] > 0, "{kinds:?}");
    // The batch deadline is configurable apart from the per-call budget.
    let c = Client::builder(SITE, KEY)
        .base_url(emu.url())
        .timeout(Duration::from_millis(100))
        .retry(RetryPolicy {
            max_retries: 100,
            budget: Duration::from_secs(30),
            ..fast()
        })
        .batch_deadline(Duration::from_millis(400))
        .build()
        .unwrap();
    let mut b = c.batch();
    b.delete("cust-1").unwrap();
    let started = Instant::now();
    let report = b.send().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!report.is_ok());
}
