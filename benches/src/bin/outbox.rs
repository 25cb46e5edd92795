//! Throughput of the client's durable outbox vs direct batch sending, in one run, against
//! the local Track API emulator (`runtime/tests/emulator`, 127.0.0.1, no faults).
//!
//! ```text
//! cargo run --release -p trackc-bench --features outbox --bin outbox -- [--events N] [--people P] [--runs R]
//! ```
//!
//! Per run (fresh emulator and database each time), with N events (default 20,000) for P
//! people (default 1,000), prepared beforehand (checks and ids are not timed):
//! - enqueue, one event per transaction (`Outbox::enqueue`, an fsync each; the first
//!   min(N, 2,000) events, extrapolated as a rate);
//! - enqueue in transactions of 100 (`Outbox::enqueue_all`);
//! - drain everything through the outbox (batch requests of up to 100 people, one event per
//!   person in flight);
//! - direct: the same events in `Batch`es of 100 operations, then in full-size batches
//!   (500,000-byte requests), sent one after the other.
//!
//! Medians of R runs (default 3). The emulator validates every operation against the
//! OpenAPI schema, in the same process: its cost is in every figure alike.

#[path = "../../../runtime/tests/emulator/mod.rs"]
mod emulator;

use std::time::{Duration, Instant};

use emulator::Emulator;
use emulator::events::ProductViewed;
use trackc::Client;
use trackc::client::outbox::Outbox;
use trackc::client::{PreparedEvent, RetryPolicy};

const SITE: &str = "bench-site";
const KEY: &str = "bench-key";

struct Args {
    events: u64,
    people: u64,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        events: 20_000,
        people: 1_000,
        runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--events" => a.events = value().max(1),
            "--people" => a.people = value().max(1),
            "--runs" => a.runs = value().max(1) as usize,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn client(emu: &Emulator) -> Client {
    Client::builder(SITE, KEY)
        .base_url(emu.url())
        .retry(RetryPolicy::default())
        .build()
        .expect("client")
}

fn events(c: &Client, a: &Args) -> Vec<PreparedEvent> {
    (0..a.events)
        .map(|seq| {
            c.prepare(
                format!("cust-{}", seq % a.people).as_str(),
                &ProductViewed::new(seq),
            )
            .expect("a valid event")
        })
        .collect()
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[derive(Default)]
struct Run {
    enqueue_one: f64,
    enqueue_100: f64,
    drain: f64,
    direct_100: f64,
    direct_full: f64,
}

async fn direct(emu: &Emulator, events: &[PreparedEvent], per_batch: usize) -> f64 {
    let c = client(emu);
    let t = Instant::now();
    for chunk in events.chunks(per_batch) {
        let mut b = c.batch();
        for e in chunk {
            b.add(e).expect("fits a batch");
        }
        let report = b.send().await;
        assert!(report.is_ok(), "{:?}", report.failures().next());
    }
    let r = rate(events.len(), t.elapsed());
    assert_eq!(emu.store().events.len(), events.len());
    r
}

async fn run(a: &Args) -> Run {
    let mut out = Run::default();
    let dir = tempfile::tempdir().expect("temp dir");

    let emu = Emulator::start(SITE, KEY).await;
    let evs = events(&client(&emu), a);

    // Enqueue one by one (durable each), into a database used only for this figure.
    let single = Outbox::open(dir.path().join("single.sqlite3")).expect("open");
    let n = evs.len().min(2_000);
    let t = Instant::now();
    for e in &evs[..n] {
        single.enqueue(e).expect("enqueue");
    }
    out.enqueue_one = rate(n, t.elapsed());

    let outbox = Outbox::open(dir.path().join("outbox.sqlite3"))
        .expect("open")
        .batch_size(100);
    let t = Instant::now();
    for chunk in evs.chunks(100) {
        outbox.enqueue_all(chunk).expect("enqueue");
    }
    out.enqueue_100 = rate(evs.len(), t.elapsed());

    let c = client(&emu);
    let t = Instant::now();
    let report = outbox
        .drain(&c, Duration::from_secs(600))
        .await
        .expect("drain");
    out.drain = rate(evs.len(), t.elapsed());
    assert_eq!(report.delivered as usize, evs.len(), "{report:?}");
    assert_eq!(emu.store().events.len(), evs.len());
    drop(emu);

    let emu = Emulator::start(SITE, KEY).await;
    out.direct_100 = direct(&emu, &evs, 100).await;
    drop(emu);
    let emu = Emulator::start(SITE, KEY).await;
    out.direct_full = direct(&emu, &evs, evs.len()).await;
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let runs: Vec<Run> = (0..a.runs).map(|_| rt.block_on(run(&a))).collect();
    let m = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    println!(
        "outbox vs direct: {} events, {} people, median of {} runs (events/s)",
        a.events, a.people, a.runs
    );
    let drain = m(|r| r.drain);
    for (what, v) in [
        (
            "enqueue, 1 per transaction (fsync each)",
            m(|r| r.enqueue_one),
        ),
        ("enqueue, 100 per transaction", m(|r| r.enqueue_100)),
        ("drain through the outbox (batches of <= 100 people)", drain),
        ("direct, batches of 100 operations", m(|r| r.direct_100)),
        (
            "direct, full-size batches (500,000 bytes)",
            m(|r| r.direct_full),
        ),
    ] {
        println!("  {what:<54} {v:>10.0}   {:.2}x the drain", v / drain);
    }
}
