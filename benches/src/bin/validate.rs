//! `trackc validate` throughput, side by side with its peers and the floor, in one run.
//!
//! ```text
//! cargo run --release -p trackc-bench --bin validate -- [--lines N] [--seed S]
//!     [--invalid-per-mille P] [--keep FILE] [--runs R]
//! ```
//!
//! Writes N lines (default 1,000,000) of synthetic Track API traffic for the example
//! contract (`trackc_bench::synth::traffic`: v2 operations, some batches and v1
//! requests, P‰ invalid; deterministic by seed) to a temporary NDJSON file, then times,
//! each over the whole file:
//! - serde_json parsing alone, into `IgnoredAny` and into `Value` (the floor), and into
//!   `Value` on every core with no coordination (the file cut in byte ranges: what the
//!   machine gives independent threads, the ceiling for `--jobs`);
//! - the jsonschema crate with the emitted schemas (`trackc_codegen::emit::schema`): parse
//!   to `Value`, find each record's data, `is_valid` against its event's schema;
//! - `trackc validate` (`trackc_codegen::validate::run`) on one core and on all cores.
//!
//! Records are counted as `validate` counts them (each operation of a batch is one).
//!
//! With `--runs R` the floor (`Value`), validate on one core and validate on all cores
//! run R times, interleaved (floor, 1 core, all cores, floor, ...), so that a busy
//! neighbour slows each of them alike; the table shows medians, and the ratios are the
//! medians of each round's ratios.

use std::collections::HashMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use trackc_bench::synth::{TrafficSpec, traffic};
use trackc_codegen::emit::schema;
use trackc_codegen::ir::Ir;
use trackc_codegen::validate::{self, Options, Validator};

struct Args {
    lines: usize,
    seed: u64,
    invalid_per_mille: u32,
    keep: Option<PathBuf>,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        lines: 1_000_000,
        seed: 7,
        invalid_per_mille: 20,
        keep: None,
        runs: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--lines" => a.lines = value().parse().unwrap_or_else(|_| usage("--lines N")),
            "--seed" => a.seed = value().parse().unwrap_or_else(|_| usage("--seed S")),
            "--invalid-per-mille" => {
                a.invalid_per_mille = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--invalid-per-mille P"))
            }
            "--keep" => a.keep = Some(PathBuf::from(value())),
            "--runs" => {
                a.runs = value()
                    .parse()
                    .ok()
                    .filter(|&r| r > 0)
                    .unwrap_or_else(|| usage("--runs R (at least 1)"))
            }
            _ => usage(&format!("unknown argument {flag}")),
        }
    }
    a
}

fn usage(why: &str) -> ! {
    eprintln!(
        "error: {why}\nusage: validate [--lines N] [--seed S] [--invalid-per-mille P] [--keep FILE] [--runs R]"
    );
    std::process::exit(2)
}

fn load_contract() -> Ir {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract");
    let checked = trackc_codegen::check(&dir).expect("the example contract is readable");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    checked.ir.expect("the example contract resolves")
}

/// Write the traffic in pieces (bounded memory), each piece its own derived seed.
fn write_traffic(ir: &Ir, a: &Args, path: &Path) -> io::Result<u64> {
    const PIECE: usize = 20_000;
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let (mut done, mut piece, mut bytes) = (0, 0u64, 0u64);
    while done < a.lines {
        let n = PIECE.min(a.lines - done);
        let spec = TrafficSpec {
            invalid_per_mille: a.invalid_per_mille,
            ..TrafficSpec::valid(n, a.seed.wrapping_mul(1_000_003).wrapping_add(piece))
        };
        let text = traffic(ir, &spec);
        bytes += text.len() as u64;
        out.write_all(text.as_bytes())?;
        done += n;
        piece += 1;
    }
    out.flush()?;
    Ok(bytes)
}

/// Every line of the file, through `f`.
fn each_line(path: &Path, f: impl FnMut(&[u8])) {
    lines_of(
        validate::open_input(path).expect("the traffic file is readable"),
        f,
    )
}

/// Every non-blank line of `input`, trimmed, through `f`.
fn lines_of(mut input: impl BufRead, mut f: impl FnMut(&[u8])) {
    let mut line = Vec::with_capacity(1 << 16);
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).expect("read") == 0 {
            break;
        }
        let l = line.trim_ascii();
        if !l.is_empty() {
            f(l);
        }
    }
}

/// The floor on every core, with no coordination at all: the file cut into `parts` byte
/// ranges at line ends, each parsed to `Value` by its own thread from its own handle.
/// What the machine gives two independent threads bounds what `--jobs` can give.
fn floor_parallel(path: &Path, parts: usize) {
    let len = std::fs::metadata(path).expect("the traffic file").len();
    // Cut points moved forward to the next line start.
    let mut cuts = vec![0u64];
    for k in 1..parts as u64 {
        let mut f = io::BufReader::new(std::fs::File::open(path).expect("open"));
        let at = len * k / parts as u64;
        io::Seek::seek(&mut f, io::SeekFrom::Start(at)).expect("seek");
        let mut skip = Vec::new();
        let n = f.read_until(b'\n', &mut skip).expect("read");
        cuts.push((at + n as u64).max(*cuts.last().unwrap_or(&0)));
    }
    cuts.push(len);
    std::thread::scope(|s| {
        for w in cuts.windows(2) {
            let (start, end) = (w[0], w[1]);
            s.spawn(move || {
                let mut f = std::fs::File::open(path).expect("open");
                io::Seek::seek(&mut f, io::SeekFrom::Start(start)).expect("seek");
                let input = io::BufReader::with_capacity(1 << 16, io::Read::take(f, end - start));
                lines_of(input, |l| {
                    std::hint::black_box(serde_json::from_slice::<Value>(l).ok());
                });
            });
        }
    });
}

/// The jsonschema crate with the emitted schemas, one record at a time.
struct SchemaPeer {
    events: HashMap<String, jsonschema::Validator>,
    attributes: jsonschema::Validator,
    empty: Value,
}

impl SchemaPeer {
    fn new(ir: &Ir) -> Self {
        let build = |s: Value| {
            jsonschema::draft202012::options()
                .build(&s)
                .expect("emitted schemas compile")
        };
        SchemaPeer {
            events: ir
                .events
                .iter()
                .map(|e| {
                    (
                        e.name.clone(),
                        build(schema::event_schema(ir, e).to_value()),
                    )
                })
                .collect(),
            attributes: build(schema::attributes_schema(ir).to_value()),
            empty: Value::Object(Default::default()),
        }
    }

    /// (records, invalid) of one parsed line.
    fn line(&self, v: &Value) -> (u64, u64) {
        if let Some(ops) = v.get("batch").and_then(Value::as_array) {
            return ops
                .iter()
                .fold((0, 0), |(r, i), op| (r + 1, i + u64::from(!self.op(op))));
        }
        if let (Some(path), Some(body)) = (v.get("path").and_then(Value::as_str), v.get("body")) {
            let ok = if path.ends_with("/events") {
                self.event(body.get("name"), body.get("data"))
            } else {
                self.attributes.is_valid(body)
            };
            return (1, u64::from(!ok));
        }
        (1, u64::from(!self.op(v)))
    }

    fn op(&self, op: &Value) -> bool {
        match op.get("action").and_then(Value::as_str) {
            Some("event") => self.event(op.get("name"), op.get("attributes")),
            Some("identify") => self
                .attributes
                .is_valid(op.get("attributes").unwrap_or(&self.empty)),
            _ => false,
        }
    }

    fn event(&self, name: Option<&Value>, data: Option<&Value>) -> bool {
        match name
            .and_then(Value::as_str)
            .and_then(|n| self.events.get(n))
        {
            Some(s) => s.is_valid(data.unwrap_or(&self.empty)),
            None => false,
        }
    }
}

struct Row {
    name: String,
    time: Duration,
    cpu: Duration,
    invalid: Option<u64>,
}

/// User + system CPU time of the whole process (Linux `/proc/self/stat`; zero elsewhere).
/// On a busy machine wall time includes waiting for a core; CPU time does not.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15 (clock ticks).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    let ticks = f.iter().sum::<u64>();
    Duration::from_millis(ticks * 10)
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, Duration, T) {
    let (start, cpu) = (Instant::now(), cpu_time());
    let v = f();
    (start.elapsed(), cpu_time().saturating_sub(cpu), v)
}

fn main() {
    let a = args();
    let ir = load_contract();
    let tmp = tempfile::Builder::new()
        .prefix("trackc-bench-validate-")
        .suffix(".ndjson")
        .tempfile()
        .expect("a temporary file");
    let path = a.keep.clone().unwrap_or_else(|| tmp.path().to_owned());
    let (gen_time, _, bytes) = time(|| write_traffic(&ir, &a, &path).expect("write the traffic"));
    let validator = Validator::new(&ir).expect("the example contract compiles");
    let cores = Options::default().threads();
    eprintln!(
        "generated {} lines ({:.1} MB) in {:.1}s: {}",
        a.lines,
        bytes as f64 / 1e6,
        gen_time.as_secs_f64(),
        path.display()
    );

    let mut rows = Vec::new();
    let run_validate = |jobs: usize| {
        let input = validate::open_input(&path).expect("the traffic file is readable");
        let opts = Options {
            jobs,
            ..Options::default()
        };
        validate::run(&validator, input, &opts, |_| {}).expect("validate runs")
    };
    // Warm the page cache and count the records once.
    let summary = run_validate(0);
    let records = summary.records;

    // The peers, once (not part of the interleaved rounds).
    let (t, cpu, ()) = time(|| {
        each_line(&path, |l| {
            serde_json::from_slice::<serde::de::IgnoredAny>(l).ok();
        })
    });
    rows.push(Row {
        name: "serde_json → IgnoredAny (parse only), 1 core".into(),
        time: t,
        cpu,
        invalid: None,
    });
    let peer = SchemaPeer::new(&ir);
    let (t, cpu, invalid) = time(|| {
        let mut invalid = 0;
        each_line(&path, |l| match serde_json::from_slice::<Value>(l) {
            Ok(v) => invalid += peer.line(&v).1,
            Err(_) => invalid += 1,
        });
        invalid
    });
    let schema_row = Row {
        name: "jsonschema + emitted schemas (Value), 1 core".into(),
        time: t,
        cpu,
        invalid: Some(invalid),
    };
    // The rounds: the floor, validate on one core, validate on all cores, interleaved.
    let (mut floor, mut one, mut all, mut floor_all) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut invalid_one, mut invalid_all) = (0, 0);
    for _ in 0..a.runs {
        let (t, cpu, ()) = time(|| {
            each_line(&path, |l| {
                std::hint::black_box(serde_json::from_slice::<Value>(l).ok());
            })
        });
        floor.push((t, cpu));
        let (t, cpu, ()) = time(|| floor_parallel(&path, cores));
        floor_all.push((t, cpu));
        let (t, cpu, s) = time(|| run_validate(1));
        one.push((t, cpu));
        invalid_one = s.invalid;
        let (t, cpu, s) = time(|| run_validate(0));
        all.push((t, cpu));
        invalid_all = s.invalid;
    }
    type Timed = (Duration, Duration);
    let wall = |p: &Timed| p.0.as_secs_f64();
    let cpu = |p: &Timed| p.1.as_secs_f64().max(1e-3);
    let median_row = |name: String, v: &[Timed], invalid| Row {
        name,
        time: Duration::from_secs_f64(median(v.iter().map(wall).collect())),
        cpu: Duration::from_secs_f64(median(v.iter().map(cpu).collect())),
        invalid,
    };
    rows.push(median_row(
        "serde_json → Value (parse only), 1 core".into(),
        &floor,
        None,
    ));
    rows.push(median_row(
        format!("serde_json → Value, all cores ({cores}), no coordination"),
        &floor_all,
        None,
    ));
    rows.push(schema_row);
    rows.push(median_row(
        "trackc validate, 1 core".into(),
        &one,
        Some(invalid_one),
    ));
    rows.push(median_row(
        format!("trackc validate, all cores ({cores})"),
        &all,
        Some(invalid_all),
    ));
    let (one_core, one_core_cpu) = (rows[4].time, rows[4].cpu);
    // Each round's ratio, then their median: a neighbour's burst spoils one round only.
    let ratio = |num: &[Timed], den: &[Timed], f: &dyn Fn(&Timed) -> f64| {
        median(num.iter().zip(den).map(|(n, d)| f(n) / f(d)).collect())
    };

    println!(
        "trackc validate benchmark: example contract, {} lines = {records} records, {:.1} MB, seed {}, {}‰ invalid, {cores} cores",
        a.lines,
        bytes as f64 / 1e6,
        a.seed,
        a.invalid_per_mille
    );
    println!(
        "{:<48} {:>8} {:>13} {:>9} {:>8} {:>13} {:>9} {:>8}",
        "engine", "wall s", "records/s", "vs val×1", "cpu s", "rec/cpu-s", "vs val×1", "invalid"
    );
    for r in &rows {
        let (wall, cpu) = (r.time.as_secs_f64(), r.cpu.as_secs_f64().max(1e-3));
        println!(
            "{:<48} {:>8.3} {:>13} {:>8.2}× {:>8.2} {:>13} {:>8.2}× {:>8}",
            r.name,
            wall,
            thousands((records as f64 / wall) as u64),
            one_core.as_secs_f64() / wall,
            cpu,
            thousands((records as f64 / cpu) as u64),
            one_core_cpu.as_secs_f64().max(1e-3) / cpu,
            r.invalid.map_or_else(|| "-".into(), |n| n.to_string())
        );
    }
    println!(
        "rounds: {}; median of each round's ratio: validate 1 core ÷ Value floor {:.2}× by wall time, \
         {:.2}× by CPU time; validate all cores ÷ 1 core {:.2}× by wall time; the floor on all \
         cores ÷ on 1 core (what this machine gives independent threads) {:.2}×",
        a.runs,
        ratio(&floor, &one, &wall),
        ratio(&floor, &one, &cpu),
        ratio(&one, &all, &wall),
        ratio(&floor, &floor_all, &wall),
    );
    println!(
        "vs val×1: times faster than trackc validate on one core (by wall time, then by CPU time;\n\
         CPU time is the fair measure on a busy machine, wall time the one that shows cores).\n\
         jsonschema checks data only, validate the envelope too, so their invalid counts differ."
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average during the run: {}", load.trim());
    }
}

fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    x[x.len() / 2]
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
