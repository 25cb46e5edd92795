//! Kill -9 the process draining an outbox of 10,000 events at random points, restart it,
//! repeat; at the end every event was delivered, none twice after deduplication by id, and
//! each person's events were accepted in the order they were enqueued.
//!
//! The sending process is this test binary, re-executed with `TRACKC_OUTBOX_CHILD` set (it
//! then only drains). The emulator runs in the parent, so it sees every process's requests.
//! Seeded: with `CI` set the seed is fixed; otherwise it is random and printed, and
//! `TRACKC_CRASH_SEED=<n>` replays a run.
#![cfg(all(feature = "reqwest", feature = "outbox", unix))]

mod emulator;

use std::collections::{BTreeMap, HashSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use emulator::events::ProductViewed;
use emulator::{Emulator, Fault};
use trackc::Client;
use trackc::client::RetryPolicy;
use trackc::client::outbox::Outbox;

const SITE: &str = "site-7";
const KEY: &str = "k3y-DO-NOT-LEAK-9f8e7d";
const EVENTS: u64 = 10_000;
const PEOPLE: u64 = 200;
const KILLS: u32 = 25;
const CI_SEED: u64 = 0x7ac4_c018;
const CHILD_ENV: &str = "TRACKC_OUTBOX_CHILD";
const TEST_NAME: &str = "kill_9_while_draining_loses_and_duplicates_nothing";

fn client(url: &str) -> Client {
    Client::builder(SITE, KEY)
        .base_url(url)
        .timeout(Duration::from_millis(500))
        .retry(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(20),
            budget: Duration::from_secs(10),
        })
        .build()
        .unwrap()
}

/// SplitMix64: a seeded sequence for the kill times (no dependency for a few numbers).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    if let Ok(s) = std::env::var("TRACKC_CRASH_SEED") {
        return s.parse().expect("TRACKC_CRASH_SEED is a u64");
    }
    if std::env::var_os("CI").is_some() {
        return CI_SEED;
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    t.as_nanos() as u64 ^ u64::from(std::process::id())
}

/// The sending process: drain until the outbox is empty, then exit 0.
fn child(spec: &str) {
    let (db, url) = spec.split_once('|').unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let outbox = Outbox::open(db).unwrap();
        let c = client(url);
        loop {
            let report = outbox.drain(&c, Duration::from_secs(60)).await.unwrap();
            if report.remaining == 0 {
                break;
            }
        }
    });
}

#[test]
fn kill_9_while_draining_loses_and_duplicates_nothing() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    let started = Instant::now();
    let seed = seed();
    eprintln!("outbox crash test: seed {seed} (TRACKC_CRASH_SEED={seed} replays it)");
    let mut rng = SplitMix(seed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(Emulator::start(SITE, KEY));
    // Some faults too, seeded: 500s and replies lost after processing (the emulator has
    // the events, the sender does not know).
    let fault_seed = rng.next();
    emu.set_faults(move |ctx| {
        let first = ctx.body?.pointer("/batch/0/attributes/seq")?.as_u64()?;
        let mut r = SplitMix(fault_seed ^ first ^ u64::from(ctx.attempt) << 40);
        match r.below(20) {
            0 => Some(Fault::Status500),
            1 => Some(Fault::ResetAfter),
            _ => None,
        }
    });

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("outbox.sqlite3");
    let c = client(&emu.url());
    let events: Vec<_> = (0..EVENTS)
        .map(|seq| {
            c.prepare(
                format!("cust-{}", seq % PEOPLE).as_str(),
                &ProductViewed::new(seq),
            )
            .unwrap()
        })
        .collect();
    Outbox::open(&db).unwrap().enqueue_all(&events).unwrap();

    let exe = std::env::current_exe().unwrap();
    let spec = format!("{}|{}", db.display(), emu.url());
    let (mut kills, mut runs) = (0u32, 0u32);
    let mut delivered_at_kill = Vec::new();
    loop {
        runs += 1;
        assert!(
            runs <= KILLS + 5,
            "the outbox did not drain after {runs} runs"
        );
        let mut proc = Command::new(&exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &spec)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        if kills < KILLS {
            // Process start and opening the database take a few ms; the drain of what is
            // left some tens on a quiet machine (a few hundred on a loaded one): kill
            // anywhere in between. A longer pause lets a fast drain finish first, and too
            // few kills land.
            std::thread::sleep(Duration::from_millis(5 + rng.below(40)));
            if proc.try_wait().unwrap().is_none() {
                proc.kill().unwrap(); // SIGKILL
                proc.wait().unwrap();
                kills += 1;
                delivered_at_kill.push(emu.store().events.len());
                continue;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = proc.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                proc.kill().unwrap();
                panic!("the sender did not finish within 60 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(status.success(), "the sender failed: {status}");
        break;
    }

    let store = emu.store();
    let want: HashSet<String> = events.iter().map(|e| e.id().to_string()).collect();
    let got: HashSet<String> = store.events.iter().filter_map(|e| e.id.clone()).collect();
    assert_eq!(
        got.len(),
        store.events.len(),
        "the emulator keeps each id once"
    );
    assert_eq!(got, want, "every event delivered, with its stored id");
    // No event twice under another id either: each seq once.
    let seqs: HashSet<u64> = store
        .events
        .iter()
        .map(|e| e.data["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.len() as u64, EVENTS);
    let mut per_person: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &store.events {
        per_person
            .entry(e.person.as_deref().unwrap())
            .or_default()
            .push(e.data["seq"].as_u64().unwrap());
    }
    assert_eq!(per_person.len() as u64, PEOPLE);
    for (person, seqs) in &per_person {
        assert!(seqs.is_sorted(), "{person} out of order: {seqs:?}");
    }
    assert_eq!(Outbox::open(&db).unwrap().pending().unwrap(), 0);
    eprintln!(
        "outbox crash test: {kills} kills in {runs} runs, {} re-sends deduplicated by id, \
         faults {:?}, delivered when killed {delivered_at_kill:?}, {:.1}s",
        store.duplicate_events_ignored,
        store.faults,
        started.elapsed().as_secs_f64()
    );
    assert!(
        kills >= KILLS / 2,
        "too few kills landed mid-drain: {kills}"
    );
}
