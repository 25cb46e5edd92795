//! `trackc validate [DIR] FILE`: check captured Track API traffic against the contract.
//!
//! Human output (stdout): violations grouped by event and code, with exact counts and the
//! first few examples of each, then the totals. `--format json`: one document listing the
//! first `--max-violations` violations in input order, streamed as they are found, the
//! counts last: `{"violations": [{"line", "event", "path", "code", "message", "index"?,
//! "hint"?}, ..], "truncated"?: true, "total_violations"?: N, "records", "valid",
//! "invalid"}` (`truncated` and `total_violations` only when some are not listed).
//!
//! Input with no record at all (an empty file, a closed stdin) is an error, exit 2: a
//! capture that holds nothing is a broken capture, not clean traffic.
//!
//! Everything taken from the traffic is escaped for the terminal in human output
//! ([`terminal::escape`]) and for JSON in JSON output ([`json::to_writer`]).

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use trackc_codegen::diag;
use trackc_codegen::escape::{json as safe_json, terminal};
use trackc_codegen::validate::{
    self, Detail, EventGroup, Options, Reported, Summary, Validator, Violation,
};

use super::{print_json, usage_error};
use crate::{Color, Format, exit};

/// Examples shown per (event, code) group in human output.
const EXAMPLES: usize = 3;
/// Distinct groups kept in human output; later ones are folded into one per code.
const MAX_GROUPS: usize = 1000;
/// The group of violations whose record names no event.
const NO_EVENT: &str = "(no event)";
const OTHER_EVENTS: &str = "(other events)";

pub struct Args<'a> {
    /// `[DIR] FILE`: one or two positionals.
    pub paths: &'a [PathBuf],
    pub format: Format,
    pub color: Color,
    pub jobs: usize,
    /// `--format json` lists at most this many violations.
    pub max_violations: usize,
}

pub fn run(args: Args<'_>) -> u8 {
    let format = args.format;
    let (dir, file) = match args.paths {
        [file] => (Path::new("contract"), file.as_path()),
        [dir, file] => (dir.as_path(), file.as_path()),
        _ => return usage_error(format, "usage: trackc validate [DIR] FILE"),
    };
    let validator = match load(dir, format, args.color) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let input = match validate::open_input(file) {
        Ok(r) => r,
        Err(e) => return usage_error(format, &format!("cannot read {}: {e}", file.display())),
    };
    let mut opts = Options {
        jobs: args.jobs,
        ..Options::default()
    };
    let result = match format {
        Format::Json => {
            opts.detail = Detail::First(args.max_violations);
            json(&validator, input, &opts)
        }
        _ => {
            opts.detail = Detail::PerGroup(EXAMPLES);
            human(&validator, input, &opts)
        }
    };
    match result {
        Ok(s) if s.records == 0 => {
            let what = if file.as_os_str() == "-" {
                "standard input (it is empty or closed)".to_owned()
            } else {
                format!("{} (it is empty or holds only blank lines)", file.display())
            };
            usage_error(
                format,
                &format!("no records in {what}: nothing was validated"),
            )
        }
        Ok(s) if s.invalid > 0 => exit::FAILED,
        Ok(_) => exit::OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::FAILED,
        Err(e) => {
            // Stdout may hold half a report; the error goes to stderr either way.
            eprintln!("error: reading {}: {e}", file.display());
            exit::USAGE
        }
    }
}

/// The contract in `dir` compiled for validation, or the exit code after its errors were
/// reported (`trackc serve` judges with the same).
pub fn load(dir: &Path, format: Format, color: Color) -> Result<Validator, u8> {
    let checked = match trackc_codegen::check(dir) {
        Ok(c) => c,
        Err(e) => return Err(usage_error(format, &e.to_string())),
    };
    let ir = match checked.valid_ir() {
        Some(ir) => ir,
        None => {
            match format {
                Format::Json => print_json(&diag::to_json(&checked.sources, &checked.diagnostics)),
                _ => eprint!("{}", checked.render(color.enabled())),
            }
            return Err(exit::FAILED);
        }
    };
    Validator::new(ir).map_err(|e| {
        match format {
            Format::Json => print_json(&serde_json::json!({ "error": e.to_string() })),
            _ => eprintln!("error: {}", terminal::escape(&e.to_string())),
        }
        exit::FAILED
    })
}

fn json(v: &Validator, input: impl io::BufRead + Send, opts: &Options) -> io::Result<Summary> {
    let Detail::First(max) = opts.detail else {
        unreachable!("JSON lists the first violations")
    };
    let mut out = BufWriter::new(io::stdout().lock());
    // Written with the first violation, or at the end: input without records is an
    // error document instead.
    let mut started = false;
    let (mut listed, mut total) = (0usize, 0u64);
    let mut cut = false;
    let mut write_err = None;
    let summary = validate::run(v, input, opts, |item| {
        let violation = match item {
            Reported::Violation(violation) => violation,
            Reported::Omitted(o) => {
                total += o.count;
                cut = true;
                return;
            }
        };
        total += 1;
        // A prefix of the input's violations: once one is left out, so are the rest.
        if cut || listed >= max {
            cut = true;
            return;
        }
        if write_err.is_some() {
            return;
        }
        let sep: &[u8] = if started {
            b",\n    "
        } else {
            b"{\n  \"violations\": [\n    "
        };
        started = true;
        listed += 1;
        let r = out
            .write_all(sep)
            .and_then(|()| safe_json::to_writer(&mut out, &violation));
        if let Err(e) = r {
            write_err = Some(e);
        }
    })?;
    if let Some(e) = write_err {
        return Err(e);
    }
    if summary.records == 0 {
        return Ok(summary);
    }
    let close: &[u8] = if started {
        b"\n  ]"
    } else {
        b"{\n  \"violations\": []"
    };
    out.write_all(close)?;
    if (listed as u64) < total {
        write!(
            out,
            ",\n  \"truncated\": true,\n  \"total_violations\": {total}"
        )?;
    }
    writeln!(
        out,
        ",\n  \"records\": {},\n  \"valid\": {},\n  \"invalid\": {}\n}}",
        summary.records, summary.valid, summary.invalid
    )?;
    out.flush()?;
    Ok(summary)
}

/// An event's groups: code → violations.
type EventGroups = (EventGroup, Vec<(&'static str, Group)>);

#[derive(Default)]
struct Group {
    count: u64,
    examples: Vec<Violation>,
}

/// (event, code) → group, at most [`MAX_GROUPS`] named events; named events sort first,
/// then the folded ones, then the records that name none.
#[derive(Default)]
struct Groups {
    map: BTreeMap<(EventGroup, &'static str), Group>,
    total: u64,
}

impl Groups {
    fn get(&mut self, event: EventGroup, code: &'static str) -> &mut Group {
        let mut key = (event, code);
        if !self.map.contains_key(&key) && self.map.len() >= MAX_GROUPS {
            key.0 = EventGroup::Others;
        }
        self.map.entry(key).or_default()
    }

    fn add(&mut self, item: Reported) {
        match item {
            Reported::Violation(violation) => {
                self.total += 1;
                let g = self.get(EventGroup::of(violation.event.as_deref()), violation.code);
                g.count += 1;
                if g.examples.len() < EXAMPLES {
                    g.examples.push(violation);
                }
            }
            Reported::Omitted(o) => {
                self.total += o.count;
                self.get(o.event, o.code).count += o.count;
            }
        }
    }
}

fn human(v: &Validator, input: impl io::BufRead + Send, opts: &Options) -> io::Result<Summary> {
    let mut groups = Groups::default();
    let summary = validate::run(v, input, opts, |item| groups.add(item))?;
    if summary.records == 0 {
        return Ok(summary);
    }
    let total = groups.total;
    let mut out = BufWriter::new(io::stdout().lock());
    // Events in key order; codes by count, then name.
    let mut by_event: Vec<EventGroups> = Vec::new();
    for ((event, code), g) in groups.map {
        match by_event.last_mut() {
            Some((e, codes)) if *e == event => codes.push((code, g)),
            _ => by_event.push((event, vec![(code, g)])),
        }
    }
    // Traffic text is shown, never obeyed by the terminal.
    let esc = |s: &str| terminal::escape(s).into_owned();
    for (event, mut codes) in by_event {
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let n: u64 = codes.iter().map(|(_, g)| g.count).sum();
        let name = match &event {
            EventGroup::Named(e) => esc(e),
            EventGroup::Others => OTHER_EVENTS.to_owned(),
            EventGroup::None => NO_EVENT.to_owned(),
        };
        writeln!(out, "{name} ({n} {})", plural(n, "violation"))?;
        for (code, g) in codes {
            writeln!(out, "  {code} × {}", g.count)?;
            for e in &g.examples {
                let at = match e.index {
                    Some(i) => format!("line {} [{i}]", e.line),
                    None => format!("line {}", e.line),
                };
                let path = if e.path.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", esc(&e.path))
                };
                writeln!(out, "    {at}: {path}{}", esc(&e.message))?;
                if let Some(h) = &e.hint {
                    writeln!(out, "      hint: {}", esc(h))?;
                }
            }
            if g.count > g.examples.len() as u64 {
                writeln!(out, "    … and {} more", g.count - g.examples.len() as u64)?;
            }
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} {}: {} valid, {} invalid ({total} {})",
        summary.records,
        plural(summary.records, "record"),
        summary.valid,
        summary.invalid,
        plural(total, "violation")
    )?;
    out.flush()?;
    Ok(summary)
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
