//! trackc's performance harness: every figure of BENCHMARKS.md, side by side, in one run.
//!
//! ```text
//! export CARGO_TARGET_DIR=/work/targets/bench   # any target dir
//! cargo run --release -p trackc-bench --bin harness -- [--quick] [--runs N] [--sizes 100,1000,5000]
//!     [--skip-builds] [--only STAGES] [--json FILE]
//! cargo run --release -p trackc-bench --bin harness -- gen DIR [--events N] [--props M] [--seed S]
//!     [--traffic FILE --lines L [--invalid PER_MILLE]]
//! ```
//!
//! Stages (`--only 1,2,3,4,5`):
//! 1. check + generate (schemas, Markdown, Rust) against the floor: serde-saphyr parsing the
//!    same files into `serde_json::Value` (both read the files from disk).
//! 2. Rust generation against typify on the bundle JSON Schema trackc emits.
//! 3. `cargo build` of the generated crate (1,000 events) against typify's output, deps
//!    warm, the crate itself timed (touch + build).
//! 4. validate throughput: trackc's validator (1 thread and all cores) against the
//!    jsonschema crate on the emitted schemas and serde_json parsing alone.
//! 5. build.rs: a no-op rebuild does not run the build script (cargo -v says `Fresh`, and
//!    the script's run counter does not move); a one-event edit regenerates in under 5%
//!    of a clean build of the generated crate.
//!
//! Stages 1 and 2 are timed in CPU time of the measuring thread (robust on a shared
//! machine); 3, 4 and 5 in wall time. Timings are medians of `--runs` runs (default 7, `--quick` 3; the cargo builds use
//! fewer). Temporary crates live under `$CARGO_TARGET_DIR/harness/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use trackc_bench::synth::{self, Spec, TrafficSpec};
use trackc_codegen::emit;

const PROPS: usize = 8;
const SEED: u64 = 1;

struct Args {
    quick: bool,
    runs: usize,
    sizes: Vec<usize>,
    skip_builds: bool,
    only: Vec<u8>,
    json: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut a = Args {
        quick: false,
        runs: 0,
        sizes: vec![100, 1_000, 5_000],
        skip_builds: false,
        only: vec![1, 2, 3, 4, 5],
        json: None,
    };
    let mut it = std::env::args().skip(1);
    let mut first = true;
    while let Some(arg) = it.next() {
        if first && arg == "gen" {
            gen_cmd(it.collect())?;
            return Ok(None);
        }
        if first && arg == "prof" {
            prof_cmd(it.collect())?;
            return Ok(None);
        }
        first = false;
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => a.quick = true,
            "--runs" => a.runs = val("--runs")?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--sizes" => {
                a.sizes = val("--sizes")?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--sizes: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--skip-builds" => a.skip_builds = true,
            "--only" => {
                a.only = val("--only")?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--only: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--json" => a.json = Some(val("--json")?.into()),
            "-h" | "--help" => {
                println!("{}", USAGE);
                return Ok(None);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if a.runs == 0 {
        a.runs = if a.quick { 3 } else { 7 };
    }
    Ok(Some(a))
}

const USAGE: &str = "usage: harness [--quick] [--runs N] [--sizes 100,1000,5000] [--skip-builds] [--only 1,2,3,4,5] [--json FILE]\n       harness gen DIR [--events N] [--props M] [--seed S] [--traffic FILE --lines L [--invalid PER_MILLE]]";

fn gen_cmd(args: Vec<String>) -> Result<(), String> {
    let mut it = args.into_iter();
    let dir = PathBuf::from(it.next().ok_or(USAGE)?);
    let (mut events, mut props, mut seed) = (100, PROPS, SEED);
    let (mut traffic, mut lines, mut invalid) = (None::<PathBuf>, 10_000, 0);
    while let Some(a) = it.next() {
        let v = it.next().ok_or(format!("{a} needs a value"))?;
        let num = || v.parse::<u64>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--events" => events = num()? as usize,
            "--props" => props = num()? as usize,
            "--seed" => seed = num()?,
            "--traffic" => traffic = Some(v.into()),
            "--lines" => lines = num()? as usize,
            "--invalid" => invalid = num()? as u32,
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    let spec = Spec::new(events, props, seed);
    synth::contract(&spec)
        .write(&dir)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {} ({events} events x {props} properties)",
        dir.display()
    );
    if let Some(file) = traffic {
        let c = trackc_codegen::check(&dir).map_err(|e| e.to_string())?;
        let ir = c.valid_ir().ok_or_else(|| c.render(false))?;
        let t = synth::traffic(
            ir,
            &TrafficSpec {
                invalid_per_mille: invalid,
                ..TrafficSpec::valid(lines, seed)
            },
        );
        std::fs::write(&file, t).map_err(|e| e.to_string())?;
        eprintln!("wrote {} ({lines} lines)", file.display());
    }
    Ok(())
}

/// `prof STAGE EVENTS RUNS`: loop one stage, for a profiler (`perf record`, `valgrind
/// --tool=callgrind`). STAGE: check, schema, markdown, rust, floor.
fn prof_cmd(args: Vec<String>) -> Result<(), String> {
    let stage = args.first().cloned().ok_or("prof STAGE [EVENTS] [RUNS]")?;
    let n: usize = args
        .get(1)
        .map_or(Ok(1_000), |s| s.parse())
        .map_err(|e| format!("{e}"))?;
    let runs: usize = args
        .get(2)
        .map_or(Ok(5), |s| s.parse())
        .map_err(|e| format!("{e}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    synth::contract(&Spec::new(n, PROPS, SEED))
        .write(dir.path())
        .map_err(|e| e.to_string())?;
    let c = trackc_codegen::check(dir.path()).map_err(|e| e.to_string())?;
    let ir = c.valid_ir().ok_or("invalid contract")?;
    let files = yaml_files(dir.path());
    let t = Instant::now();
    for _ in 0..runs {
        match stage.as_str() {
            "check" => drop(std::hint::black_box(trackc_codegen::check(dir.path()))),
            "schema" => drop(std::hint::black_box(emit::schema::generate(ir))),
            "markdown" => drop(std::hint::black_box(emit::markdown::generate(ir))),
            "rust" => drop(std::hint::black_box(emit::rust::generate(ir))),
            "floor" => {
                for f in &files {
                    let text = std::fs::read_to_string(f).unwrap();
                    let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
                    std::hint::black_box(v);
                }
            }
            _ => return Err(format!("unknown stage `{stage}`")),
        }
    }
    eprintln!(
        "{stage} x{runs} at {n} events: {} per run",
        fmt_t(secs(t.elapsed()) / runs as f64)
    );
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => return,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut h = Harness::new(args);
    h.run();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// This thread's CPU time in seconds (`/proc/thread-self/schedstat`), or wall time where
/// that is not available. The in-process, single-threaded stages (1, 2) are timed in CPU
/// time: on a shared machine (other builds running) wall time measures the neighbours.
fn cpu_now() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(
            || {
                static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
                secs(START.get_or_init(Instant::now).elapsed())
            },
            |ns| ns as f64 / 1e9,
        )
}

/// A CPU-time stopwatch.
struct Cpu(f64);

impl Cpu {
    fn start() -> Self {
        Cpu(cpu_now())
    }
    fn secs(&self) -> f64 {
        cpu_now() - self.0
    }

    /// CPU time per call of `f`, repeated for at least 0.2 s: the thread's CPU time only
    /// moves at scheduler ticks, so one call of a few milliseconds may read as zero.
    fn per_call(mut f: impl FnMut()) -> f64 {
        let t = Cpu::start();
        let mut calls = 0;
        while calls == 0 || t.secs() < 0.2 {
            f();
            calls += 1;
        }
        t.secs() / calls as f64
    }
}

/// `1.23 ms`, `4.5 s`.
fn fmt_t(s: f64) -> String {
    if s.is_nan() {
        "n/a".into()
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else {
        format!("{:.0} k/s", r / 1e3)
    }
}

struct Harness {
    args: Args,
    root: PathBuf,
    work: PathBuf,
    report: String,
    json: BTreeMap<String, serde_json::Value>,
    /// Per size: the contract dir (kept for later stages).
    contracts: BTreeMap<usize, tempfile::TempDir>,
}

impl Harness {
    fn new(args: Args) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .canonicalize()
            .expect("workspace root");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let target = if target.is_relative() {
            root.join(target)
        } else {
            target
        };
        let work = target.join("harness");
        std::fs::create_dir_all(&work).expect("harness dir");
        Harness {
            args,
            root,
            work,
            report: String::new(),
            json: BTreeMap::new(),
            contracts: BTreeMap::new(),
        }
    }

    fn out(&mut self, s: &str) {
        println!("{s}");
        self.report.push_str(s);
        self.report.push('\n');
    }

    fn record(&mut self, key: impl Into<String>, v: impl Into<serde_json::Value>) {
        self.json.insert(key.into(), v.into());
    }

    fn contract(&mut self, n: usize) -> PathBuf {
        self.contracts
            .entry(n)
            .or_insert_with(|| {
                let dir = tempfile::tempdir().expect("temp dir");
                synth::contract(&Spec::new(n, PROPS, SEED))
                    .write(dir.path())
                    .expect("write contract");
                dir
            })
            .path()
            .to_path_buf()
    }

    fn run(&mut self) {
        self.machine();
        let only = self.args.only.clone();
        if only.contains(&1) {
            self.stage1();
        }
        if only.contains(&2) {
            self.stage2();
        }
        if only.contains(&3) && !self.args.skip_builds {
            self.stage3();
        }
        if only.contains(&4) {
            self.stage4();
        }
        if only.contains(&5) && !self.args.skip_builds {
            self.stage5();
        }
        if let Some(path) = &self.args.json {
            let text = serde_json::to_string_pretty(&self.json).unwrap();
            std::fs::write(path, text).expect("write --json");
            eprintln!("wrote {}", path.display());
        }
    }

    fn machine(&mut self) {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let mem = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:").map(|r| r.trim().to_owned()))
            .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let rustc = Command::new("rustc")
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        self.out(&format!(
            "machine: {cores} cores, {model}, {mem}; {rustc}; runs {} ({})",
            self.args.runs,
            if self.args.quick { "quick" } else { "full" }
        ));
        self.record("machine", format!("{cores} cores, {model}, {mem}; {rustc}"));
    }

    /// 1. check + generate vs the serde-saphyr floor, at every size.
    fn stage1(&mut self) {
        self.out(
            "\n## 1. check + generate vs the parse floor (serde-saphyr → serde_json::Value)\n",
        );
        self.out(&format!(
            "{PROPS} properties per event. trackc = read + load + resolve + lint + schemas + Markdown + Rust.\n"
        ));
        self.out("| events | YAML | floor | check | schemas | markdown | rust | trackc total | total ÷ floor | check ÷ floor |");
        self.out("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let mut rows = Vec::new();
        for n in self.args.sizes.clone() {
            let dir = self.contract(n);
            let files = yaml_files(&dir);
            let bytes: u64 = files
                .iter()
                .map(|f| f.metadata().map_or(0, |m| m.len()))
                .sum();
            let (mut floor, mut check, mut schema, mut md, mut rust) =
                (vec![], vec![], vec![], vec![], vec![]);
            for _ in 0..self.args.runs {
                let t = Cpu::start();
                for f in &files {
                    let text = std::fs::read_to_string(f).unwrap();
                    let v: serde_json::Value = serde_saphyr::from_str(&text).expect("floor parses");
                    std::hint::black_box(v);
                }
                floor.push(t.secs());

                let t = Cpu::start();
                let c = trackc_codegen::check(&dir).expect("check");
                check.push(t.secs());
                assert!(c.diagnostics.is_empty(), "{}", c.render(false));
                let ir = c.ir.as_ref().unwrap();
                let t = Cpu::start();
                std::hint::black_box(emit::schema::generate(ir));
                schema.push(t.secs());
                let t = Cpu::start();
                std::hint::black_box(emit::markdown::generate(ir));
                md.push(t.secs());
                let t = Cpu::start();
                std::hint::black_box(emit::rust::generate(ir));
                rust.push(t.secs());
            }
            let total: Vec<f64> = (0..check.len())
                .map(|i| check[i] + schema[i] + md[i] + rust[i])
                .collect();
            let (f, c, s, m, r, t) = (
                median(floor),
                median(check),
                median(schema),
                median(md),
                median(rust),
                median(total),
            );
            self.out(&format!(
                "| {n} | {:.0} KiB | {} | {} | {} | {} | {} | **{}** | **{:.2}×** | {:.2}× |",
                bytes as f64 / 1024.0,
                fmt_t(f),
                fmt_t(c),
                fmt_t(s),
                fmt_t(m),
                fmt_t(r),
                fmt_t(t),
                t / f,
                c / f
            ));
            for (k, v) in [
                ("floor", f),
                ("check", c),
                ("schema", s),
                ("markdown", m),
                ("rust", r),
                ("total", t),
            ] {
                self.record(format!("1.{n}.{k}"), v);
            }
            rows.push((n, f, c, s, m, r, t));
        }
        // Growth: time per event, and the exponent between consecutive sizes.
        if rows.len() > 1 {
            self.out("\nGrowth (exponent k in t ∝ n^k between consecutive sizes; 1 is linear):\n");
            self.out("| sizes | floor | check | schemas | markdown | rust | total |");
            self.out("|---|---:|---:|---:|---:|---:|---:|");
            for w in rows.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let k = |x: f64, y: f64| (y / x).ln() / (b.0 as f64 / a.0 as f64).ln();
                let cells = [
                    k(a.1, b.1),
                    k(a.2, b.2),
                    k(a.3, b.3),
                    k(a.4, b.4),
                    k(a.5, b.5),
                    k(a.6, b.6),
                ];
                let mut line = format!("| {} → {} |", a.0, b.0);
                for c in cells {
                    let flag = if c > 1.25 { " ⚠" } else { "" };
                    let _ = write!(line, " {c:.2}{flag} |");
                }
                self.out(&line);
            }
        }
    }

    /// 2. trackc's Rust generation vs typify on trackc's bundle schema.
    fn stage2(&mut self) {
        self.out("\n## 2. Rust generation vs typify (on trackc's emitted bundle JSON Schema)\n");
        self.out("typify: parse the schema text + convert `$defs` → `definitions` + `add_root_schema` + `to_stream` + prettyplease.\ntrackc: `emit::rust::generate(&ir)` (IR → text); and the whole path from YAML (check + generate).\n");
        self.out("| events | trackc rust::generate | trackc check + generate | typify (tokens) | typify (formatted) | typify ÷ trackc generate | typify ÷ trackc from YAML |");
        self.out("|---:|---:|---:|---:|---:|---:|---:|");
        let sizes: Vec<usize> = self.args.sizes.clone();
        for n in sizes {
            let dir = self.contract(n);
            let c = trackc_codegen::check(&dir).expect("check");
            let ir = c.valid_ir().expect("valid");
            let bundle = emit::schema::generate(ir)
                .into_iter()
                .find(|f| f.path.ends_with("bundle.schema.json"))
                .expect("bundle schema")
                .contents;
            let runs = if n >= 5_000 {
                self.args.runs.min(3)
            } else {
                self.args.runs
            };
            let (mut tr, mut tr_all, mut ty_tok, mut ty_fmt) = (vec![], vec![], vec![], vec![]);
            let mut failed = None;
            for _ in 0..runs {
                tr.push(Cpu::per_call(|| {
                    std::hint::black_box(emit::rust::generate(ir));
                }));
                let t = Cpu::start();
                let c2 = trackc_codegen::check(&dir).unwrap();
                std::hint::black_box(emit::rust::generate(c2.ir.as_ref().unwrap()));
                tr_all.push(t.secs());
                match typify_generate(&bundle) {
                    Ok((tok, fmt, _)) => {
                        ty_tok.push(tok);
                        ty_fmt.push(fmt);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = failed {
                self.out(&format!(
                    "| {n} | {} | {} | typify failed: {e} | | | |",
                    fmt_t(median(tr)),
                    fmt_t(median(tr_all))
                ));
                continue;
            }
            let (a, b, c_, d) = (median(tr), median(tr_all), median(ty_tok), median(ty_fmt));
            self.out(&format!(
                "| {n} | {} | {} | {} | {} | **{:.1}×** | {:.1}× |",
                fmt_t(a),
                fmt_t(b),
                fmt_t(c_),
                fmt_t(d),
                d / a,
                d / b
            ));
            for (k, v) in [
                ("trackc", a),
                ("trackc_from_yaml", b),
                ("typify_tokens", c_),
                ("typify", d),
            ] {
                self.record(format!("2.{n}.{k}"), v);
            }
        }
    }

    /// 3. cargo build of the generated crates (1,000 events).
    fn stage3(&mut self) {
        let n = 1_000;
        self.out(&format!(
            "\n## 3. `cargo build` of the generated crate ({n} events), deps warm\n"
        ));
        let dir = self.contract(n);
        let c = trackc_codegen::check(&dir).expect("check");
        let ir = c.valid_ir().expect("valid");
        let rust = emit::rust::generate(ir);
        let bundle = emit::schema::generate(ir)
            .into_iter()
            .find(|f| f.path.ends_with("bundle.schema.json"))
            .unwrap()
            .contents;
        let typify_src = match typify_generate(&bundle) {
            Ok((_, _, src)) => Some(src),
            Err(e) => {
                self.out(&format!("typify failed: {e}"));
                None
            }
        };
        let runtime = self.root.join("runtime");
        let base = self.work.join("stage3");
        let target = self.work.join("stage3-target");
        let trackc_crate = base.join("trackc_events");
        write_crate(
            &trackc_crate,
            "trackc_events",
            &format!(
                "trackc = {{ path = {:?} }}\n",
                runtime.display().to_string()
            ),
            &rust,
        );
        let mut crates = vec![("trackc", trackc_crate, rust.len())];
        if let Some(src) = &typify_src {
            let deps = typify_deps(src);
            let typify_crate = base.join("typify_events");
            write_crate(&typify_crate, "typify_events", &deps, src);
            crates.push(("typify", typify_crate, src.len()));
        }
        let runs = if self.args.quick { 1 } else { 3 };
        self.out(&format!("Each crate: build once (deps), then `touch src/lib.rs && cargo build` × {runs}, median; debug profile; shared target dir.\n"));
        self.out("| crate | source | lines | build (crate only) | ratio to trackc |");
        self.out("|---|---:|---:|---:|---:|");
        let mut base_t = f64::NAN;
        for (name, path, len) in crates {
            if let Err(e) = cargo(&path, &target, &["build"]) {
                self.out(&format!(
                    "| {name} | | | build failed: {} | |",
                    e.lines().take(20).collect::<Vec<_>>().join(" ")
                ));
                continue;
            }
            let mut ts = vec![];
            for _ in 0..runs {
                touch(&path.join("src/lib.rs"));
                let t = Instant::now();
                cargo(&path, &target, &["build"]).expect("rebuild");
                ts.push(secs(t.elapsed()));
            }
            let t = median(ts);
            if name == "trackc" {
                base_t = t;
            }
            let lines =
                std::fs::read_to_string(path.join("src/lib.rs")).map_or(0, |s| s.lines().count());
            self.out(&format!(
                "| {name} | {:.0} KiB | {lines} | **{}** | {:.2}× |",
                len as f64 / 1024.0,
                fmt_t(t),
                t / base_t
            ));
            self.record(format!("3.{name}.build"), t);
        }
    }

    /// 4. validate throughput.
    fn stage4(&mut self) {
        self.out("\n## 4. validate throughput (harness's own run; see also the validate bench)\n");
        let lines = if self.args.quick { 100_000 } else { 1_000_000 };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for (label, dir) in [
            ("example contract", self.root.join("contract")),
            ("synthetic 1,000 events", self.contract(1_000)),
        ] {
            let c = trackc_codegen::check(&dir).expect("check");
            let ir = c.valid_ir().expect("valid");
            // v2 operations only: every line one record, comparable with jsonschema.
            let spec = TrafficSpec {
                batch_per_mille: 0,
                v1_per_mille: 0,
                identify_per_mille: 0,
                ..TrafficSpec::valid(lines, 42)
            };
            let traffic = synth::traffic(ir, &spec);
            let mb = traffic.len() as f64 / 1e6;
            let validator = trackc_codegen::validate::Validator::new(ir).expect("validator");
            let runs = self.args.runs.min(5);

            let mut t1 = vec![];
            for _ in 0..runs {
                let t = Instant::now();
                let (s, v) = validator.validate_str(&traffic);
                t1.push(secs(t.elapsed()));
                assert_eq!(s.invalid, 0, "{:?}", v.first());
            }
            let mut tn = vec![];
            for _ in 0..runs {
                let t = Instant::now();
                let chunks = split_lines(&traffic, cores);
                std::thread::scope(|sc| {
                    for ch in chunks {
                        let v = &validator;
                        sc.spawn(move || std::hint::black_box(v.validate_str(ch)));
                    }
                });
                tn.push(secs(t.elapsed()));
            }
            let mut floor = vec![];
            for _ in 0..runs {
                let t = Instant::now();
                for l in traffic.lines() {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    std::hint::black_box(v);
                }
                floor.push(secs(t.elapsed()));
            }
            // jsonschema: one validator per event schema; pick it by `name`, validate
            // `attributes` (the parse is part of its cost, as it is of trackc's).
            let schemas = emit::schema::generate(ir);
            let mut by_event = std::collections::HashMap::new();
            for e in &ir.events {
                let p = emit::schema::event_path(e);
                let f = schemas.iter().find(|f| f.path == p).expect("event schema");
                let v: serde_json::Value = serde_json::from_str(&f.contents).unwrap();
                by_event.insert(
                    e.name.clone(),
                    jsonschema::validator_for(&v).expect("jsonschema compiles"),
                );
            }
            let mut js = vec![];
            for _ in 0..runs {
                let t = Instant::now();
                let mut bad = 0u64;
                for l in traffic.lines() {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    let name = v["name"].as_str().unwrap();
                    if !by_event[name].is_valid(&v["attributes"]) {
                        bad += 1;
                    }
                }
                js.push(secs(t.elapsed()));
                assert_eq!(bad, 0, "jsonschema and trackc disagree on valid traffic");
            }
            let n = lines as f64;
            let (a, b, f, j) = (
                n / median(t1),
                n / median(tn),
                n / median(floor),
                n / median(js),
            );
            self.out(&format!(
                "**{label}**: {lines} v2 track operations ({mb:.0} MB), all valid.\n"
            ));
            self.out("| engine | records/s | ÷ jsonschema | ÷ serde_json floor |");
            self.out("|---|---:|---:|---:|");
            for (k, r) in [
                ("trackc validate, 1 thread", a),
                (&*format!("trackc validate, {cores} threads"), b),
                ("jsonschema (per-event validators), 1 thread", j),
                ("serde_json parse to Value, 1 thread (floor)", f),
            ] {
                self.out(&format!(
                    "| {k} | {} | {:.2}× | {:.2}× |",
                    fmt_rate(r),
                    r / j,
                    r / f
                ));
            }
            self.out("");
            let key = if label.starts_with("example") {
                "example"
            } else {
                "synthetic"
            };
            for (k, v) in [
                ("trackc_1", a),
                ("trackc_n", b),
                ("jsonschema", j),
                ("floor", f),
            ] {
                self.record(format!("4.{key}.{k}"), v);
            }
        }
    }

    /// 5. build.rs: no-op rebuild and one-event edit.
    fn stage5(&mut self) {
        let n = 1_000;
        self.out(&format!(
            "\n## 5. build.rs ({n} events): no-op rebuild and a one-event edit\n"
        ));
        let base = self.work.join("stage5");
        let target = self.work.join("stage5-target");
        let _ = std::fs::remove_dir_all(&base);
        let krate = base.join("trackc_buildrs");
        let contract = krate.join("contract");
        let generated = synth::contract(&Spec::new(n, PROPS, SEED));
        generated.write(&contract).unwrap();
        let counter = krate.join("build-runs.log");
        std::fs::create_dir_all(krate.join("src")).unwrap();
        std::fs::write(
            krate.join("Cargo.toml"),
            format!(
                "[package]\nname = \"trackc_buildrs\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\ntrackc = {{ path = {:?} }}\n\n[build-dependencies]\ntrackc-codegen = {{ path = {:?} }}\n\n[workspace]\n",
                self.root.join("runtime").display().to_string(),
                self.root.join("codegen").display().to_string()
            ),
        )
        .unwrap();
        std::fs::write(
            krate.join("build.rs"),
            "use std::io::Write;\n\nfn main() {\n    let t = std::time::Instant::now();\n    \
             trackc_codegen::Builder::new().contract(\"contract\").compile_or_exit();\n    \
             let us = t.elapsed().as_micros();\n    \
             let log = std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\")).join(\"build-runs.log\");\n    \
             let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();\n    \
             writeln!(f, \"{us}\").unwrap();\n}\n",
        )
        .unwrap();
        std::fs::write(
            krate.join("src/lib.rs"),
            "include!(concat!(env!(\"OUT_DIR\"), \"/events.rs\"));\n",
        )
        .unwrap();
        let runs_log = || -> Vec<u128> {
            std::fs::read_to_string(&counter)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect()
        };
        // Warm: deps (trackc, trackc-codegen for the build script) built once.
        if let Err(e) = cargo(&krate, &target, &["build"]) {
            self.out(&format!(
                "build failed: {}",
                e.lines().take(30).collect::<Vec<_>>().join("\n")
            ));
            return;
        }
        // Clean build of the generated crate (its build script compiled and run, the
        // crate compiled), deps warm.
        let runs = if self.args.quick { 1 } else { 3 };
        let mut clean = vec![];
        for _ in 0..runs {
            cargo(&krate, &target, &["clean", "-p", "trackc_buildrs"]).unwrap();
            let t = Instant::now();
            cargo(&krate, &target, &["build"]).unwrap();
            clean.push(secs(t.elapsed()));
        }
        let clean = median(clean);
        // No-op rebuild.
        let before = runs_log().len();
        let t = Instant::now();
        let out = cargo(&krate, &target, &["build", "-v"]).unwrap();
        let noop = secs(t.elapsed());
        let fresh = out.contains("Fresh trackc_buildrs");
        let ran = out.contains("Running `") && out.contains("build-script-build");
        let noop_runs = runs_log().len() - before;
        // One-event edit: an optional property added to one event, then rebuild.
        let ev = "invoice_created_0";
        let (fi, at) = generated.find_event(ev).expect("event present");
        let rel = &generated.files[fi].0;
        let path = contract.join(rel);
        let mut text = std::fs::read_to_string(&path).unwrap();
        let props = text[at..].find("    properties:\n").unwrap() + at + "    properties:\n".len();
        let mut edits = vec![];
        let mut rebuilds = vec![];
        for i in 0..runs {
            text.insert_str(
                props,
                &format!("      added_note_{i}: {{ type: string, optional: true }}\n"),
            );
            std::fs::write(&path, &text).unwrap();
            let before = runs_log().len();
            let t = Instant::now();
            cargo(&krate, &target, &["build"]).unwrap();
            rebuilds.push(secs(t.elapsed()));
            let log = runs_log();
            assert_eq!(
                log.len(),
                before + 1,
                "the edit reran the build script once"
            );
            edits.push(*log.last().unwrap() as f64 / 1e6);
        }
        let (regen, rebuild) = (median(edits), median(rebuilds));
        self.out("| measurement | value |");
        self.out("|---|---:|");
        self.out(&format!(
            "| no-op `cargo build -v`: build script rerun? | **{}** (`Fresh trackc_buildrs`: {fresh}; script runs logged: {noop_runs}) in {} |",
            if noop_runs == 0 && fresh && !ran { "no" } else { "YES" },
            fmt_t(noop)
        ));
        self.out(&format!("| clean build of the generated crate (build script compiled + run, crate compiled; deps warm) | {} |", fmt_t(clean)));
        self.out(&format!("| one-event edit: regeneration (Builder::compile inside build.rs, debug build-script profile) | **{}** |", fmt_t(regen)));
        self.out(&format!(
            "| regeneration ÷ clean build | **{:.1}%** |",
            regen / clean * 100.0
        ));
        self.out(&format!(
            "| one-event edit: whole `cargo build` (regenerate + recompile the crate) | {} |",
            fmt_t(rebuild)
        ));
        for (k, v) in [
            ("noop", noop),
            ("clean", clean),
            ("regen", regen),
            ("rebuild", rebuild),
        ] {
            self.record(format!("5.{k}"), v);
        }
        self.record("5.noop_script_runs", noop_runs as u64);
    }
}

fn split_lines(s: &str, parts: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    let size = s.len() / parts.max(1) + 1;
    while !rest.is_empty() {
        let cut = if rest.len() <= size {
            rest.len()
        } else {
            rest[size..].find('\n').map_or(rest.len(), |i| size + i + 1)
        };
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// typify on the bundle: (seconds to tokens, seconds to formatted text, the text).
fn typify_generate(bundle: &str) -> Result<(f64, f64, String), String> {
    let t = Cpu::start();
    let mut v: serde_json::Value = serde_json::from_str(bundle).map_err(|e| e.to_string())?;
    // trackc emits draft 2020-12 (`$defs`); typify reads draft-07 (`definitions`).
    to_draft07(&mut v);
    // The root (a v1 body dispatching on `name` with if/then, which typify does not
    // support) is dropped: the types are the definitions (every event's data, the
    // identify attributes, the named and inline types), as trackc's Rust output has.
    let defs = v.get_mut("definitions").map(serde_json::Value::take);
    let v = serde_json::json!({ "definitions": defs });
    let root: schemars08::schema::RootSchema =
        serde_json::from_value(v).map_err(|e| format!("schemars 0.8 cannot read it: {e}"))?;
    let tokens = std::panic::catch_unwind(move || {
        let mut settings = typify::TypeSpaceSettings::default();
        settings.with_struct_builder(false);
        let mut space = typify::TypeSpace::new(&settings);
        space
            .add_root_schema(root)
            .map_err(|e| format!("add_root_schema: {e}"))?;
        Ok::<_, String>(space.to_stream())
    })
    .map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("typify panicked: {}", msg.lines().next().unwrap_or(""))
    })??;
    let tok = t.secs();
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("typify output does not parse: {e}"))?;
    let text = prettyplease::unparse(&file);
    Ok((tok, t.secs(), text))
}

fn to_draft07(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(defs) = m.remove("$defs") {
                m.insert("definitions".into(), defs);
            }
            m.remove("$schema");
            if let Some(serde_json::Value::String(r)) = m.get_mut("$ref")
                && let Some(rest) = r.strip_prefix("#/$defs/")
            {
                *r = format!("#/definitions/{rest}");
            }
            for (_, x) in m.iter_mut() {
                to_draft07(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(to_draft07),
        _ => {}
    }
}

/// The dependencies typify's output names.
fn typify_deps(src: &str) -> String {
    let mut deps =
        String::from("serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n");
    if src.contains("regress::") {
        deps.push_str("regress = \"0.12\"\n");
    }
    if src.contains("chrono::") {
        deps.push_str("chrono = { version = \"0.4\", features = [\"serde\"] }\n");
    }
    if src.contains("uuid::") {
        deps.push_str("uuid = { version = \"1\", features = [\"serde\"] }\n");
    }
    deps
}

fn write_crate(dir: &Path, name: &str, deps: &str, src: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{deps}\n[workspace]\n"),
    )
    .unwrap();
    let lib = dir.join("src/lib.rs");
    let src = format!("#![allow(warnings, clippy::all)]\n{src}");
    if std::fs::read_to_string(&lib).ok().as_deref() != Some(&src) {
        std::fs::write(lib, src).unwrap();
    }
}

fn touch(p: &Path) {
    let f = std::fs::File::options().append(true).open(p).unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
}

/// Run cargo in `dir`; the combined output, or an error with it.
fn cargo(dir: &Path, target: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}
