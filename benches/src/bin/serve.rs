//! `trackc serve` under load, side by side with its floor: a plain hyper server on the same
//! machine that reads each body and answers `200 {}` without judging or storing.
//!
//! ```text
//! cargo build --release --bin trackc
//! cargo run --release -p trackc-bench --features serve --bin serve -- \
//!     [--trackc PATH] [--secs S] [--clients C]
//! ```
//!
//! For each scenario — single v2 events (`POST /api/v2/entity`, one valid live
//! `order_completed`) and 100-operation batches (`POST /api/v2/batch`) — C clients
//! (default 64), each on its own keep-alive connection, send back to back for S seconds
//! (default 10), first to the floor, then to `trackc serve contract --store` (a fresh
//! SQLite file, `synchronous=FULL`). Printed: requests/s, p50/p99 latency, the ratio to the
//! floor, requests lost (2xx answers minus the store's total: must be 0), and trackc's RSS
//! sampled every second (shown at each quarter of the run and at its end).

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

struct Args {
    trackc: String,
    secs: u64,
    clients: usize,
}

fn args() -> Args {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let mut a = Args {
        trackc: format!("{target}/release/trackc"),
        secs: 10,
        clients: 64,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--trackc" => a.trackc = value,
            "--secs" => a.secs = value.parse().expect("--secs N"),
            "--clients" => a.clients = value.parse().expect("--clients N"),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// One valid `order_completed` for person `n`: with an event id, as the official SDKs and
/// trackc's client send, and sent live (`timestamp` is the bench's start: an old one is a
/// replay of an event the contract marks `backfill: forbidden`).
fn order(n: usize, timestamp: u64) -> String {
    format!(
        r#"{{"type":"person","identifiers":{{"id":"cus_{n:08}"}},"action":"event","name":"order_completed","id":"01HZX{n:021}","timestamp":{timestamp},"attributes":{{"order_id":"ord_{n}","revenue":64.8,"currency":"USD","items":[{{"sku":"SKN-SERUM-30ML","product_name":"Daily Vitamin C Serum","quantity":1,"unit_price":32.4,"category":"skincare"}}],"is_first_order":true}}}}"#
    )
}

/// The floor: read the body, answer `{}`.
async fn floor() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"{}",
                    ))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

struct Run {
    ok: u64,
    failed: u64,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

async fn load(addr: std::net::SocketAddr, path: &'static str, body: Bytes, a: &Args) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..a.clients)
        .map(|_| {
            let (stop, body) = (stop.clone(), body.clone());
            tokio::spawn(async move {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let (mut ok, mut failed, mut lat) = (0u64, 0u64, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    let req = Request::post(path)
                        .header("host", "127.0.0.1")
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))
                        .unwrap();
                    let t = Instant::now();
                    match send.send_request(req).await {
                        Ok(res) => {
                            let good = res.status().is_success();
                            let _ = res.into_body().collect().await;
                            lat.push(t.elapsed());
                            if good { ok += 1 } else { failed += 1 }
                        }
                        Err(_) => {
                            failed += 1;
                            break;
                        }
                    }
                }
                (ok, failed, lat)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(a.secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut run = Run {
        ok: 0,
        failed: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (ok, failed, lat) = t.await.unwrap();
        run.ok += ok;
        run.failed += failed;
        run.latencies.extend(lat);
    }
    run.elapsed = start.elapsed();
    run.latencies.sort();
    run
}

fn pct(l: &[Duration], p: f64) -> f64 {
    if l.is_empty() {
        return 0.0;
    }
    let i = ((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1;
    l[i].as_secs_f64() * 1000.0
}

/// The sample taken `share` of the way through the run: memory flat over time shows as
/// the same figure at each quarter.
fn at(samples: &[u64], share: f64) -> u64 {
    let i = ((samples.len() as f64 * share) as usize).min(samples.len().saturating_sub(1));
    samples.get(i).copied().unwrap_or(0)
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn start_trackc(a: &Args, store: &std::path::Path) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(&a.trackc)
        // The store's default bound (1 GiB) fills within a minute of batches; past it
        // trackc answers 503, which would be measured instead of storing.
        .args([
            "serve",
            "contract",
            "--listen",
            "127.0.0.1:0",
            "--max-store-mb",
            "16384",
        ])
        .arg("--store")
        .arg(store)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release --bin trackc)", a.trackc));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect(&line);
    (child, addr.parse().unwrap())
}

async fn stored_total(addr: std::net::SocketAddr) -> u64 {
    let s = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/_trackc/summary")
        .header("host", "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    let b = res.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    v["requests"]["total"].as_u64().unwrap()
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let single = Bytes::from(order(1, now));
    let batch = Bytes::from(format!(
        "{{\"batch\":[{}]}}",
        (0..100)
            .map(|n| order(n, now))
            .collect::<Vec<_>>()
            .join(",")
    ));
    println!(
        "{} clients, {} s per target and scenario (nproc {})",
        a.clients,
        a.secs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| scenario | server | requests/s | p50 ms | p99 ms | vs floor | lost | RSS KiB at ¼/½/¾/end |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    rt.block_on(async {
        let floor_addr = floor().await;
        for (name, path, body) in [
            ("single v2 event", "/api/v2/entity", single.clone()),
            ("100-operation batch", "/api/v2/batch", batch.clone()),
        ] {
            let f = load(floor_addr, path, body.clone(), &a).await;
            let f_rate = f.ok as f64 / f.elapsed.as_secs_f64();
            println!(
                "| {name} | floor (hyper, 200) | {f_rate:.0} | {:.2} | {:.2} | 1.00 | – | – |",
                pct(&f.latencies, 0.5),
                pct(&f.latencies, 0.99)
            );
            let dir = tempfile::tempdir().unwrap();
            let (mut child, addr) = start_trackc(&a, &dir.path().join("store.db"));
            let pid = child.id();
            let sampling = Arc::new(AtomicBool::new(true));
            let sampler = {
                let sampling = sampling.clone();
                std::thread::spawn(move || {
                    let mut samples = Vec::new();
                    while sampling.load(Ordering::Relaxed) {
                        samples.push(rss_kb(pid));
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    samples
                })
            };
            let t = load(addr, path, body, &a).await;
            sampling.store(false, Ordering::Relaxed);
            let samples = sampler.join().unwrap();
            let stored = stored_total(addr).await;
            let rate = t.ok as f64 / t.elapsed.as_secs_f64();
            println!(
                "| {name} | trackc serve --store | {rate:.0} | {:.2} | {:.2} | {:.2} | {} | {}/{}/{}/{} |",
                pct(&t.latencies, 0.5),
                pct(&t.latencies, 0.99),
                rate / f_rate,
                t.ok as i64 - stored as i64,
                at(&samples, 0.25),
                at(&samples, 0.5),
                at(&samples, 0.75),
                samples.last().copied().unwrap_or(0)
            );
            if t.failed > 0 || f.failed > 0 {
                println!("  (non-2xx answers: floor {}, trackc {})", f.failed, t.failed);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    });
}
