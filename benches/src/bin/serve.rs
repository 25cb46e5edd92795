//! `trackc serve` under load, side by side with its floor: a plain hyper server that reads
//! each body and answers `200 {}` without judging or storing.
//!
//! ```text
//! cargo build --release --bin trackc
//! cargo run --release -p trackc-bench --features serve --bin serve -- \
//!     [--trackc PATH]... [--secs S] [--clients C] [--only single|batch] [--no-pin]
//! ```
//!
//! For each scenario — single v2 events (`POST /api/v2/entity`, one valid live
//! `order_completed`) and 100-operation batches (`POST /api/v2/batch`) — C clients
//! (default 64), each on its own keep-alive connection, send back to back for S seconds
//! (default 10), first to the floor, then to `trackc serve contract --store` (a fresh
//! SQLite file, `synchronous=FULL`; each `--trackc` binary in turn, so a before and an
//! after build compare in one run). Printed: requests/s, p50/p99 latency, the ratio to
//! the floor, the server's CPU time per request and how busy its core was, how busy the
//! load generator's core was, requests lost (2xx answers minus the store's total: must be
//! 0), and trackc's RSS sampled every second (shown at each quarter of the run and at its
//! end). After each trackc row, its judge-only ceiling: `trackc validate --jobs 1` on
//! copies of the line serve hands the engine, on the server's core (no HTTP, no store).
//!
//! Fairness: the load generator and each server get a core of their own (on a machine
//! with two or more): this process pins itself to CPU 0 and runs its clients on one
//! thread; the floor (this binary again, `--as-floor`, in its own process) and trackc are
//! pinned to CPU 1, so each runs one Tokio worker, and the ratio compares what each
//! server can do with one core. The clients speak HTTP/1.1 by hand (a prepared request's
//! bytes, then the status line and `content-length`), so the generator spends little per
//! request; a server's core below ~100% busy while the generator's is at 100% means the
//! generator, not the server, set that row's rate. `--no-pin` pins nothing (every
//! process on every core, as earlier runs had it).

use std::io::BufRead;
use std::net::SocketAddr;
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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Args {
    trackc: Vec<String>,
    secs: u64,
    clients: usize,
    only: Option<String>,
    pin: bool,
}

fn args() -> Args {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let mut a = Args {
        trackc: Vec::new(),
        secs: 10,
        clients: 64,
        only: None,
        pin: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--no-pin" {
            a.pin = false;
            continue;
        }
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--trackc" => a.trackc.push(value),
            "--secs" => a.secs = value.parse().expect("--secs N"),
            "--clients" => a.clients = value.parse().expect("--clients N"),
            "--only" => a.only = Some(value),
            other => panic!("unknown argument {other}"),
        }
    }
    if a.trackc.is_empty() {
        a.trackc.push(format!("{target}/release/trackc"));
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

/// Pin the calling thread (and the threads and processes it starts after) to `cpu`.
fn pin(cpu: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A server process for `command`, pinned to `cpu` when given; its first line on stdout
/// is `listening on http://ADDR`.
fn start(mut command: Command, cpu: Option<usize>) -> (Child, SocketAddr) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only system calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // The server goes when the bench goes, even when a panic ends it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            match cpu {
                Some(cpu) => pin(cpu),
                None => Ok(()),
            }
        });
    }
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (cargo build --release --bin trackc)"));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{command:?} printed {line:?}"));
    (child, addr.parse().unwrap())
}

/// The floor, in its own process (`--as-floor`): read the body, answer `{}`.
fn floor_process() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on http://{}", l.local_addr().unwrap());
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
}

struct Run {
    ok: u64,
    failed: u64,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

/// One exchange on a keep-alive connection: send `request`, read the answer (status line,
/// `content-length`, the body). `Some(2xx?)`, or `None` when the connection failed.
async fn exchange(s: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> Option<bool> {
    s.write_all(request).await.ok()?;
    buf.clear();
    let (status, total) = loop {
        buf.reserve(4096);
        if s.read_buf(buf).await.ok()? == 0 {
            return None;
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).ok()?;
            let status: u16 = head.get(9..12)?.parse().ok()?;
            let length: usize = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })?;
            break (status, end + 4 + length);
        }
    };
    while buf.len() < total {
        buf.reserve(total - buf.len());
        if s.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
    Some((200..300).contains(&status))
}

async fn load(addr: SocketAddr, path: &str, body: &[u8], a: &Args) -> Run {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..a.clients)
        .map(|_| {
            let (stop, request) = (stop.clone(), request.clone());
            tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let (mut ok, mut failed, mut lat) = (0u64, 0u64, Vec::new());
                let mut buf = Vec::with_capacity(4096);
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match exchange(&mut s, &request, &mut buf).await {
                        Some(good) => {
                            lat.push(t.elapsed());
                            if good { ok += 1 } else { failed += 1 }
                        }
                        None => {
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

/// CPU time (user + system) in a `/proc/.../stat` file.
fn stat_cpu(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in `)`: utime is the
    // 14th field, stime the 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf only reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// CPU time process `pid` has used so far, all its threads.
fn cpu_time(pid: u32) -> Duration {
    stat_cpu(&format!("/proc/{pid}/stat"))
}

/// CPU time of trackc's store thread and of its checkpoint thread (by their names), so
/// a row can say how much of a request's cost is storing it.
fn store_cpu(pid: u32) -> (Duration, Duration) {
    let (mut store, mut checkpoint) = (Duration::ZERO, Duration::ZERO);
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return (store, checkpoint);
    };
    for t in tasks.flatten() {
        let dir = t.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let cpu = || stat_cpu(&dir.join("stat").to_string_lossy());
        match name.trim() {
            "trackc-store" => store += cpu(),
            "trackc-checkpoi" => checkpoint += cpu(),
            _ => {}
        }
    }
    (store, checkpoint)
}

fn trackc_command(trackc: &str, store: &std::path::Path) -> Command {
    let mut c = Command::new(trackc);
    // The store's default bound (1 GiB) fills within a minute of batches; past it trackc
    // answers 503, which would be measured instead of storing.
    c.args([
        "serve",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../contract"),
        "--listen",
        "127.0.0.1:0",
        "--max-store-mb",
        "16384",
    ])
    .arg("--store")
    .arg(store);
    c
}

async fn stored_total(addr: SocketAddr) -> u64 {
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

/// A row's measured figures, for the table.
struct Measured {
    run: Run,
    /// The server's CPU time over the run.
    server_cpu: Duration,
    /// This process's (the load generator's) CPU time over the run.
    client_cpu: Duration,
    /// trackc's store thread and checkpoint thread, over the run.
    store_cpu: (Duration, Duration),
}

impl Measured {
    fn rate(&self) -> f64 {
        self.run.ok as f64 / self.run.elapsed.as_secs_f64()
    }

    /// requests/s | p50 | p99 | vs floor | server µs/req (store + checkpoint) | server
    /// core % | client core %
    fn columns(&self, floor_rate: f64) -> String {
        let wall = self.run.elapsed.as_secs_f64();
        let answered = (self.run.ok + self.run.failed).max(1) as f64;
        let per = |d: Duration| d.as_secs_f64() * 1e6 / answered;
        let (store, checkpoint) = self.store_cpu;
        let split = if store.is_zero() && checkpoint.is_zero() {
            String::new()
        } else {
            format!(" ({:.0} + {:.0})", per(store), per(checkpoint))
        };
        format!(
            "{:.0} | {:.2} | {:.2} | {:.2}× | {:.1}{split} | {:.0}% | {:.0}%",
            self.rate(),
            pct(&self.run.latencies, 0.5),
            pct(&self.run.latencies, 0.99),
            self.rate() / floor_rate,
            per(self.server_cpu),
            self.server_cpu.as_secs_f64() * 100.0 / wall,
            self.client_cpu.as_secs_f64() * 100.0 / wall,
        )
    }
}

async fn measure(pid: u32, addr: SocketAddr, path: &str, body: &[u8], a: &Args) -> Measured {
    let me = std::process::id();
    let (server0, client0, store0) = (cpu_time(pid), cpu_time(me), store_cpu(pid));
    let run = load(addr, path, body, a).await;
    let store1 = store_cpu(pid);
    Measured {
        run,
        server_cpu: cpu_time(pid).saturating_sub(server0),
        client_cpu: cpu_time(me).saturating_sub(client0),
        store_cpu: (
            store1.0.saturating_sub(store0.0),
            store1.1.saturating_sub(store0.1),
        ),
    }
}

/// CPU time of the children this process has waited for.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u
    };
    let t = |v: libc::timeval| Duration::new(v.tv_sec as u64, v.tv_usec as u32 * 1000);
    t(u.ru_utime) + t(u.ru_stime)
}

/// The judging ceiling: the engine alone on the same body, no HTTP and no store —
/// `trackc validate --jobs 1` on `n` lines of it (the line `serve` hands the engine), on
/// the server's core. Its CPU time per line.
fn judge_only(
    trackc: &str,
    path: &str,
    body: &[u8],
    now: u64,
    n: usize,
    cpu: Option<usize>,
) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.ndjson");
    let mut line = format!("{{\"method\":\"POST\",\"path\":\"{path}\",\"body\":").into_bytes();
    line.extend_from_slice(body);
    line.extend_from_slice(format!(",\"received_at\":{now}}}\n").as_bytes());
    std::fs::write(&file, line.repeat(n)).unwrap();
    let mut c = Command::new(trackc);
    c.args([
        "validate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../contract"),
    ])
    .arg(&file)
    .args(["--jobs", "1", "--format", "json"])
    .stdout(Stdio::null());
    if let Some(cpu) = cpu {
        use std::os::unix::process::CommandExt;
        // SAFETY: only a system call between fork and exec.
        unsafe {
            c.pre_exec(move || pin(cpu));
        }
    }
    let before = children_cpu();
    let status = c.status().unwrap_or_else(|e| panic!("{trackc}: {e}"));
    assert_eq!(
        status.code(),
        Some(0),
        "validate judged the bench's traffic invalid"
    );
    children_cpu().saturating_sub(before) / n as u32
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--as-floor") {
        return floor_process();
    }
    let a = args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // CPU 0 for the load generator, CPU 1 for the server under test.
    let server_cpu = (a.pin && cores >= 2).then_some(1);
    if server_cpu.is_some() {
        pin(0).expect("pin the load generator to CPU 0");
    }
    let rt = if server_cpu.is_some() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()
    .expect("runtime");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let single = order(1, now).into_bytes();
    let batch = format!(
        "{{\"batch\":[{}]}}",
        (0..100)
            .map(|n| order(n, now))
            .collect::<Vec<_>>()
            .join(",")
    )
    .into_bytes();
    println!(
        "{} clients, {} s per target and scenario (nproc {cores}, {})",
        a.clients,
        a.secs,
        match server_cpu {
            Some(c) => format!("load generator on CPU 0, each server on CPU {c}"),
            None => "cores shared".into(),
        }
    );
    println!(
        "| scenario | server | requests/s | p50 ms | p99 ms | vs floor | server CPU µs/req (store + checkpoint threads) | server core | client core | lost | RSS KiB at ¼/½/¾/end |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let me = std::env::current_exe().expect("this binary's path");
    let mut floor_cmd = Command::new(me);
    floor_cmd.arg("--as-floor");
    let (mut floor, floor_addr) = start(floor_cmd, server_cpu);
    rt.block_on(async {
        for (name, path, body, lines) in [
            ("single v2 event", "/api/v2/entity", &single, 100_000),
            ("100-operation batch", "/api/v2/batch", &batch, 1_000),
        ] {
            if a.only.as_deref().is_some_and(|o| !name.starts_with(o) && !name.contains(o)) {
                continue;
            }
            let f = measure(floor.id(), floor_addr, path, body, &a).await;
            println!(
                "| {name} | floor (hyper, 200) | {} | – | – |",
                f.columns(f.rate())
            );
            for trackc in &a.trackc {
                let dir = tempfile::tempdir().unwrap();
                let (mut child, addr) =
                    start(trackc_command(trackc, &dir.path().join("store.db")), server_cpu);
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
                let t = measure(pid, addr, path, body, &a).await;
                sampling.store(false, Ordering::Relaxed);
                let samples = sampler.join().unwrap();
                let stored = stored_total(addr).await;
                let label = if a.trackc.len() > 1 {
                    format!("trackc serve --store ({trackc})")
                } else {
                    "trackc serve --store".into()
                };
                println!(
                    "| {name} | {label} | {} | {} | {}/{}/{}/{} |",
                    t.columns(f.rate()),
                    t.run.ok as i64 - stored as i64,
                    at(&samples, 0.25),
                    at(&samples, 0.5),
                    at(&samples, 0.75),
                    samples.last().copied().unwrap_or(0)
                );
                if t.run.failed > 0 || f.run.failed > 0 {
                    println!(
                        "  (non-2xx answers or broken connections: floor {}, trackc {})",
                        f.run.failed, t.run.failed
                    );
                }
                let _ = child.kill();
                let _ = child.wait();
                let judged = judge_only(trackc, path, body, now, lines, server_cpu);
                println!(
                    "| {name} | judge only ({trackc} validate --jobs 1, same line) | {:.0} (ceiling) | | | {:.2}× | {:.1} | | | | |",
                    1.0 / judged.as_secs_f64(),
                    (1.0 / judged.as_secs_f64()) / f.rate(),
                    judged.as_secs_f64() * 1e6
                );
            }
        }
    });
    let _ = floor.kill();
    let _ = floor.wait();
}
