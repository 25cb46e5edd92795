//! The durable outbox against the fault-injecting emulator: order per person, stored ids,
//! dead letters that do not block a queue, a 401 that touches nothing, resuming after a
//! reopen. (Killing the sender mid-drain: `outbox_crash.rs`.)
#![cfg(all(feature = "reqwest", feature = "outbox"))]

mod emulator;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use emulator::events::ProductViewed;
use emulator::{Emulator, Fault};
use serde_json::Value;
use trackc::Client;
use trackc::client::outbox::Outbox;
use trackc::client::{PreparedEvent, RetryPolicy};

const SITE: &str = "site-7";
const KEY: &str = "k3y-DO-NOT-LEAK-9f8e7d";

fn client_with(emu: &Emulator, key: &str) -> Client {
    Client::builder(SITE, key)
        .base_url(emu.url())
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(10),
            budget: Duration::from_secs(10),
        })
        .build()
        .unwrap()
}

fn event(c: &Client, person: &str, seq: u64) -> PreparedEvent {
    c.prepare(
        person,
        &ProductViewed {
            sku: format!("sku-{seq}"),
            seq,
        },
    )
    .unwrap()
}

/// Every `seq` in the request body (v1 event or v2 batch).
fn seqs_of(body: Option<&Value>) -> Vec<u64> {
    let Some(b) = body else { return vec![] };
    if let Some(ops) = b["batch"].as_array() {
        return ops
            .iter()
            .filter_map(|o| o["attributes"]["seq"].as_u64())
            .collect();
    }
    b["data"]["seq"].as_u64().into_iter().collect()
}

/// The events stored by the emulator, per person, in the order it accepted them.
fn accepted_per_person(emu: &Emulator) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for e in &emu.store().events {
        out.entry(e.person.clone().unwrap_or_default())
            .or_default()
            .push(e.data["seq"].as_u64().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_in_order_per_person_with_the_stored_ids_under_faults() {
    let emu = Emulator::start(SITE, KEY).await;
    // ~30% of first attempts fail: 500, 429, resets before and after processing.
    emu.set_faults(|ctx| {
        let s = *seqs_of(ctx.body).first()?;
        match (s * 7 + u64::from(ctx.attempt)) % 10 {
            0 => Some(Fault::Status500),
            1 => Some(Fault::ResetAfter),
            2 => Some(Fault::ResetBefore),
            3 if ctx.attempt == 1 => Some(Fault::TooManyRequests { retry_after: 0 }),
            _ => None,
        }
    });
    let c = client_with(&emu, KEY);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path().join("outbox.sqlite3"))
        .unwrap()
        .batch_size(7);
    let events: Vec<PreparedEvent> = (0..300)
        .map(|seq| event(&c, &format!("cust-{}", seq % 13), seq))
        .collect();
    assert_eq!(outbox.enqueue_all(&events).unwrap(), 300);
    assert_eq!(outbox.pending().unwrap(), 300);
    let report = outbox.drain(&c, Duration::from_secs(60)).await.unwrap();
    assert_eq!(
        (report.delivered, report.remaining, report.dead_lettered),
        (300, 0, 0)
    );
    assert!(report.retried > 0, "faults were hit: {report:?}");

    let store = emu.store();
    let stored: HashSet<&str> = store
        .events
        .iter()
        .filter_map(|e| e.id.as_deref())
        .collect();
    let enqueued: HashSet<String> = events.iter().map(|e| e.id().to_string()).collect();
    assert_eq!(store.events.len(), 300, "each once");
    assert_eq!(
        stored,
        enqueued.iter().map(String::as_str).collect(),
        "the stored ids"
    );
    drop(store);
    for (person, seqs) in accepted_per_person(&emu) {
        assert!(seqs.is_sorted(), "{person}: {seqs:?}");
    }
    // Events enqueued without a timestamp were stamped at enqueue.
    assert!(emu.store().events.iter().all(|e| e.timestamp.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_become_dead_letters_and_the_queue_goes_on() {
    let emu = Emulator::start(SITE, KEY).await;
    let c = client_with(&emu, KEY);
    c.suppress("blocked").await.unwrap();
    // Any request carrying seq 5 is refused whole with a 400: the outbox must find it.
    emu.set_faults(|ctx| seqs_of(ctx.body).contains(&5).then_some(Fault::BadRequest));
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path().join("o.sqlite3")).unwrap();
    let mut events = Vec::new();
    for seq in 0..12 {
        // seq 3 for a suppressed person: refused as a batch item (207).
        let person = match seq {
            3 => "blocked",
            _ => ["a", "b"][seq as usize % 2],
        };
        events.push(event(&c, person, seq));
    }
    outbox.enqueue_all(&events).unwrap();
    let report = outbox.drain(&c, Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        (report.delivered, report.dead_lettered, report.remaining),
        (10, 2, 0)
    );
    let dead = outbox.dead_letters().unwrap();
    let dead_ids: Vec<_> = dead.iter().map(|d| d.event.id()).collect();
    assert_eq!(dead_ids, [events[3].id(), events[5].id()]);
    assert!(dead[0].reason.contains("suppressed"), "{}", dead[0].reason);
    assert!(dead[1].reason.contains("400"), "{}", dead[1].reason);
    // b's later events (7, 9, 11) went on after 5 was set aside.
    let per = accepted_per_person(&emu);
    assert_eq!(per["id:b"], [1, 7, 9, 11]);
    assert_eq!(per["id:a"], [0, 2, 4, 6, 8, 10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_stops_the_drain_and_keeps_every_event() {
    let emu = Emulator::start(SITE, KEY).await;
    let bad = client_with(&emu, "wrong-key");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.sqlite3");
    let outbox = Outbox::open(&path).unwrap();
    let events: Vec<_> = (0..5).map(|s| event(&bad, "a", s)).collect();
    outbox.enqueue_all(&events).unwrap();
    let err = outbox
        .drain(&bad, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!format!("{err} {err:?}").contains("wrong-key"));
    assert_eq!(outbox.pending().unwrap(), 5);
    assert!(outbox.dead_letters().unwrap().is_empty());
    drop(outbox);
    // The next process, with the right key, resumes where it stopped.
    let outbox = Outbox::open(&path).unwrap();
    assert_eq!(outbox.pending().unwrap(), 5);
    let good = client_with(&emu, KEY);
    let report = outbox.drain(&good, Duration::from_secs(10)).await.unwrap();
    assert_eq!(report.delivered, 5);
    assert_eq!(accepted_per_person(&emu)["id:a"], [0, 1, 2, 3, 4]);
    let stored: Vec<_> = emu
        .store()
        .events
        .iter()
        .map(|e| e.id.clone().unwrap())
        .collect();
    let want: Vec<_> = events.iter().map(|e| e.id().to_string()).collect();
    assert_eq!(stored, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_waits_out_a_retry_after_and_stops_at_its_limit() {
    let emu = Emulator::start(SITE, KEY).await;
    emu.set_faults(|_| Some(Fault::TooManyRequests { retry_after: 3600 }));
    let c = client_with(&emu, KEY);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path().join("o.sqlite3")).unwrap();
    outbox.enqueue(&event(&c, "a", 0)).unwrap();
    outbox.enqueue(&event(&c, "a", 1)).unwrap();
    let started = std::time::Instant::now();
    let report = outbox.drain(&c, Duration::from_millis(500)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((report.delivered, report.remaining), (0, 2));
    // The head was tried once, then left to its Retry-After; the second never went out.
    assert_eq!(emu.store().log.len(), 1);
}
