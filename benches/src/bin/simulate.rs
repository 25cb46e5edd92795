//! `trackc simulate` side by side with `trackc validate` on the same file: time and peak
//! memory of each.
//!
//! ```text
//! cargo run --release -p trackc-bench --bin simulate -- [--lines N] [--people P]
//!     [--events E] [--seed S] [--keep DIR]
//! ```
//!
//! Writes the synthetic contract (`trackc_bench::synth::contract`, E events × 8
//! properties, its segments and workflows) and N lines (default 1,000,000) of its traffic
//! spread over P people (default 100,000) to a temporary folder (or DIR, kept), then runs each of
//! `validate` (on every core, as the CLI does) and `simulate` in a child process of this
//! binary (`--only validate|simulate|simulate-reading-twice FILE DIR`), so that each one's peak resident memory
//! and CPU time (getrusage) are its own: on a shared machine CPU time is the steadier
//! figure.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use trackc_bench::synth::{self, Spec, TrafficSpec};
use trackc_codegen::simulate::{Options as SimOptions, Simulator};
use trackc_codegen::validate::{self, Options, Validator};

fn bad_usage(why: &str) -> ! {
    eprintln!(
        "error: {why}\nusage: simulate [--lines N] [--people P] [--events E] [--seed S] [--keep DIR]"
    );
    std::process::exit(2)
}

/// (peak resident MB, CPU seconds user + system) of this process so far.
fn usage() -> (f64, f64) {
    // SAFETY: getrusage writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        u.ru_maxrss as f64 / 1024.0,
        secs(u.ru_utime) + secs(u.ru_stime),
    )
}

fn checked(dir: &Path) -> trackc_codegen::Checked {
    let c = trackc_codegen::check(dir).expect("the synthetic contract is readable");
    assert!(!c.has_errors(), "{}", c.render(false));
    c
}

/// One measured run in this process: prints `seconds records peak_mb`.
fn only(what: &str, file: &Path, dir: &Path) {
    let c = checked(dir);
    let ir = c.valid_ir().expect("valid");
    let v = Validator::new(ir).expect("validator");
    let cpu0 = usage().1;
    let start = Instant::now();
    let records = match what {
        "validate" => {
            let input = validate::open_input(file).expect("readable");
            validate::run(&v, input, &Options::default(), |_| {})
                .expect("read")
                .records
        }
        // `simulate-reading-twice`: each line read again after judging it, as before the
        // envelopes came from the validator's pass (for comparison in one build).
        "simulate" | "simulate-reading-twice" => {
            let mut sim = Simulator::new(ir, &v, SimOptions::default()).expect("model");
            sim.set_tap(what == "simulate");
            let input = validate::open_input(file).expect("readable");
            sim.feed_reader(input, 1).expect("read");
            let read = start.elapsed().as_secs_f64();
            let r = sim.finish().expect("the sorted runs");
            eprintln!(
                "  simulate: {read:.2} s reading, {:.2} s running",
                start.elapsed().as_secs_f64() - read
            );
            eprintln!(
                "  simulate: {} people, {} journeys entered, {} sent, {} sent after conversion, {} duplicates",
                r.people,
                r.workflows.values().map(|w| w.entered).sum::<u64>(),
                r.workflows.values().map(|w| w.sent).sum::<u64>(),
                r.sent_after_conversion_total(),
                r.duplicates
            );
            r.records
        }
        _ => bad_usage("--only validate|simulate|simulate-reading-twice"),
    };
    let secs = start.elapsed().as_secs_f64();
    let (peak, cpu) = usage();
    println!("{secs} {records} {peak} {}", cpu - cpu0);
}

fn main() -> io::Result<()> {
    let mut it = std::env::args().skip(1);
    let (mut lines, mut people, mut events, mut seed) =
        (1_000_000usize, 100_000u64, 100usize, 7u64);
    let mut keep: Option<PathBuf> = None;
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| bad_usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--only" => {
                let what = value();
                let file = PathBuf::from(value());
                let dir = PathBuf::from(value());
                only(&what, &file, &dir);
                return Ok(());
            }
            "--lines" => lines = value().parse().unwrap_or_else(|_| bad_usage("--lines N")),
            "--people" => people = value().parse().unwrap_or_else(|_| bad_usage("--people P")),
            "--events" => events = value().parse().unwrap_or_else(|_| bad_usage("--events E")),
            "--seed" => seed = value().parse().unwrap_or_else(|_| bad_usage("--seed S")),
            "--keep" => keep = Some(PathBuf::from(value())),
            _ => bad_usage(&format!("unknown argument {flag}")),
        }
    }
    let tmp = tempfile::tempdir()?;
    let root = keep.unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&root)?;
    let dir = root.join("contract");
    synth::contract(&Spec::new(events, 8, seed)).write(&dir)?;
    let c = checked(&dir);
    let ir = c.valid_ir().expect("valid");
    let (n_seg, n_wf) = (ir.segments.len(), ir.workflows.len());
    let file = root.join("traffic.ndjson");
    let mut out = BufWriter::new(std::fs::File::create(&file)?);
    let (mut done, mut piece) = (0usize, 0u64);
    while done < lines {
        let n = 20_000.min(lines - done);
        let spec = TrafficSpec {
            people,
            ..TrafficSpec::valid(n, seed.wrapping_mul(1_000_003).wrapping_add(piece))
        };
        out.write_all(synth::traffic(ir, &spec).as_bytes())?;
        done += n;
        piece += 1;
    }
    out.flush()?;
    drop(out);
    let mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
    eprintln!(
        "synthetic contract: {events} events, {n_seg} segments, {n_wf} workflows; {lines} lines ({mb:.0} MB) over {people} people"
    );
    let exe = std::env::current_exe()?;
    let mut rows = Vec::new();
    for what in ["validate", "simulate"] {
        let o = Command::new(&exe)
            .args(["--only", what])
            .arg(&file)
            .arg(&dir)
            .output()?;
        io::stderr().write_all(&o.stderr)?;
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let f: Vec<f64> = text
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let [secs, records, peak, cpu] = f[..] else {
            bad_usage(&format!("{what} child said {text:?}"));
        };
        rows.push((what, secs, records, peak, cpu));
    }
    println!("| command | wall time | CPU time | records/s | peak memory |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (what, secs, records, peak, cpu) in &rows {
        println!(
            "| {what} | {secs:.2} s | {cpu:.2} s | {:.0} | {peak:.0} MB |",
            records / secs
        );
    }
    println!(
        "simulate / validate: {:.2}x wall time, {:.2}x CPU time",
        rows[1].1 / rows[0].1,
        rows[1].4 / rows[0].4
    );
    Ok(())
}
