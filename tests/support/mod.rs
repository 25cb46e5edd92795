//! Running `trackc` under the hostile-input suites' bounds: every case must finish within
//! [`TIME_LIMIT`] and [`RSS_LIMIT_KB`], never panic, and touch nothing outside what it was
//! asked to. One harness for every `tests/hostile_*.rs` file (each includes it with
//! `mod support;`), so the bounds are written once.
#![allow(dead_code)]

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bound is 2 s; a debug build on a loaded 2-core CI machine gets headroom. A
/// case that regresses to a hang or to quadratic work blows far past this.
pub const TIME_LIMIT: Duration = Duration::from_secs(4);
/// Peak resident memory of the `trackc` process: 100 MB.
///
/// Linux keeps a process's RSS high-water mark across `exec`, so a child's `ru_maxrss` is at
/// least the test process's own RSS when it forked: build big inputs in pieces (write them
/// to a file, or stream them) rather than holding them in memory while spawning.
pub const RSS_LIMIT_KB: u64 = 100 * 1024;

/// What one run did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident set size of the child, from `wait4`'s rusage, in KiB.
    pub max_rss_kb: u64,
}

impl Outcome {
    /// Exit code `want`, no panic, no signal, within the time and memory bounds.
    #[track_caller]
    pub fn assert_bounded(&self, want: i32) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "panicked:\n{}",
            self.stderr
        );
        assert_eq!(self.signal, None, "killed by a signal:\n{}", self.stderr);
        assert_eq!(
            self.code,
            Some(want),
            "stdout:\n{}\nstderr:\n{}",
            truncate(&self.stdout),
            truncate(&self.stderr)
        );
        assert!(
            self.elapsed < TIME_LIMIT,
            "took {:?}:\n{}",
            self.elapsed,
            truncate(&self.stderr)
        );
        assert!(
            self.max_rss_kb < RSS_LIMIT_KB,
            "peak RSS {} KiB:\n{}",
            self.max_rss_kb,
            truncate(&self.stderr)
        );
        self
    }

    /// Neither stream carries a raw control character other than newline and tab (no ESC,
    /// CR, BEL, …: the terminal shows text, it does not obey it).
    #[track_caller]
    pub fn assert_no_control_chars(&self) -> &Self {
        for (name, s) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if let Some(c) = s
                .chars()
                .find(|c| c.is_control() && *c != '\n' && *c != '\t')
            {
                panic!("{name} carries {c:?}:\n{}", truncate(s));
            }
        }
        self
    }
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(4000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Run the `trackc` binary in `cwd` with `args`, feeding `stdin` (or a closed stdin).
pub fn trackc(cwd: &Path, args: &[&str], stdin: Option<&[u8]>) -> Outcome {
    trackc_env(cwd, args, stdin, &[])
}

/// As [`trackc`], with extra environment variables.
pub fn trackc_env(
    cwd: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Outcome {
    let start = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trackc"));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn trackc");
    let pid = child.id() as i32;
    // Feed stdin from a thread, so a child that does not read it cannot deadlock the test.
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let out_pipe = child.stdout.take().unwrap();
    let err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || read_capped(out_pipe));
    let err_t = std::thread::spawn(move || read_capped(err_pipe));
    // A watchdog: a hung child is killed at 5x the limit so the suite itself cannot hang.
    let watchdog_pid = pid;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done2 = done.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + TIME_LIMIT * 5;
        while Instant::now() < deadline {
            if done2.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !done2.load(std::sync::atomic::Ordering::SeqCst) {
            unsafe { libc::kill(watchdog_pid, libc::SIGKILL) };
        }
    });
    let mut status: libc::c_int = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(rc, pid, "wait4 failed");
    let elapsed = start.elapsed();
    // The std handle must not wait again: the child is reaped already.
    std::mem::forget(child);
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let status = std::process::ExitStatus::from_raw(status);
    Outcome {
        code: status.code(),
        signal: status.signal(),
        stdout: String::from_utf8_lossy(&out_t.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
        elapsed,
        max_rss_kb: usage.ru_maxrss as u64,
    }
}

/// Read a child's stream, keeping at most 8 MiB (a runaway writer cannot exhaust the test).
fn read_capped(mut r: impl std::io::Read) -> Vec<u8> {
    const CAP: usize = 8 << 20;
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => {
                if out.len() < CAP {
                    out.extend_from_slice(&buf[..n.min(CAP - out.len())]);
                }
            }
        }
    }
}

/// A fresh temporary folder with `contract/` holding the given files.
pub fn contract_dir(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("contract");
    std::fs::create_dir(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    tmp
}

/// Every file below `root` with its bytes, sorted: compare before and after a run to prove
/// that nothing was written or deleted.
pub fn snapshot_tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            } else if ft.is_symlink() {
                out.push((
                    p.clone(),
                    std::fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// A minimal valid contract header (contract name, version, identity).
pub const HEADER: &str = "contract: hostile\nversion: \"1.0.0\"\nidentity:\n  id: customer_id\n";

/// Run git in `dir` with a fixed identity and no system or signing configuration (the
/// suites' temporary repositories); a failure fails the test with git's message.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=trackc tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.bigFileThreshold=1m",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
