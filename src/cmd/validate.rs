//! `trackc validate [DIR] FILE`: check captured Track API traffic against the contract.
//!
//! Human output (stdout): violations grouped by event and code, with counts and the first
//! few examples of each, then the totals. `--format json`: one document listing *every*
//! violation, streamed as it is found (so memory stays bounded), the counts last:
//! `{"violations": [{"line", "event", "path", "code", "message", "index"?, "hint"?}, ..],
//! "records", "valid", "invalid"}`.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use trackc_codegen::diag;
use trackc_codegen::validate::{self, Options, Summary, Validator, Violation};

use super::{print_json, usage_error};
use crate::{Color, Format, exit};

/// Examples shown per (event, code) group in human output.
const EXAMPLES: usize = 3;
/// Distinct groups kept in human output; later ones are folded into one per code.
const MAX_GROUPS: usize = 1000;
/// The group of violations whose record names no event.
const NO_EVENT: &str = "(no event)";

pub struct Args<'a> {
    /// `[DIR] FILE`: one or two positionals.
    pub paths: &'a [PathBuf],
    pub format: Format,
    pub color: Color,
    pub jobs: usize,
}

pub fn run(args: Args<'_>) -> u8 {
    let format = args.format;
    let (dir, file) = match args.paths {
        [file] => (Path::new("contract"), file.as_path()),
        [dir, file] => (dir.as_path(), file.as_path()),
        _ => return usage_error(format, "usage: trackc validate [DIR] FILE"),
    };
    let checked = match trackc_codegen::check(dir) {
        Ok(c) => c,
        Err(e) => return usage_error(format, &e.to_string()),
    };
    let ir = match checked.valid_ir() {
        Some(ir) => ir,
        None => {
            match format {
                Format::Json => print_json(&diag::to_json(&checked.sources, &checked.diagnostics)),
                _ => eprint!("{}", checked.render(args.color.enabled())),
            }
            return exit::FAILED;
        }
    };
    let validator = match Validator::new(ir) {
        Ok(v) => v,
        Err(e) => {
            match format {
                Format::Json => print_json(&serde_json::json!({ "error": e.to_string() })),
                _ => eprintln!("error: {e}"),
            }
            return exit::FAILED;
        }
    };
    let input = match validate::open_input(file) {
        Ok(r) => r,
        Err(e) => return usage_error(format, &format!("cannot read {}: {e}", file.display())),
    };
    let opts = Options {
        jobs: args.jobs,
        ..Options::default()
    };
    let result = match format {
        Format::Json => json(&validator, input, &opts),
        _ => human(&validator, input, &opts),
    };
    match result {
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

fn json(v: &Validator, input: impl io::BufRead + Send, opts: &Options) -> io::Result<Summary> {
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(b"{\n  \"violations\": [")?;
    let mut first = true;
    let mut write_err = None;
    let summary = validate::run(v, input, opts, |violation| {
        if write_err.is_some() {
            return;
        }
        let sep: &[u8] = if first { b"\n    " } else { b",\n    " };
        first = false;
        let r = out
            .write_all(sep)
            .and_then(|()| serde_json::to_writer(&mut out, &violation).map_err(io::Error::from));
        if let Err(e) = r {
            write_err = Some(e);
        }
    })?;
    if let Some(e) = write_err {
        return Err(e);
    }
    let close: &[u8] = if first { b"]" } else { b"\n  ]" };
    out.write_all(close)?;
    writeln!(
        out,
        ",\n  \"records\": {},\n  \"valid\": {},\n  \"invalid\": {}\n}}",
        summary.records, summary.valid, summary.invalid
    )?;
    out.flush()?;
    Ok(summary)
}

/// An event's groups: code → violations.
type EventGroups = (Option<String>, Vec<(&'static str, Group)>);

#[derive(Default)]
struct Group {
    count: u64,
    examples: Vec<Violation>,
}

fn human(v: &Validator, input: impl io::BufRead + Send, opts: &Options) -> io::Result<Summary> {
    // (event, code) → group; `None` sorts the no-event group last.
    let mut groups: BTreeMap<(Option<String>, &'static str), Group> = BTreeMap::new();
    let mut total = 0u64;
    let summary = validate::run(v, input, opts, |violation| {
        total += 1;
        let mut key = (violation.event.clone(), violation.code);
        if !groups.contains_key(&key) && groups.len() >= MAX_GROUPS {
            key.0 = Some("(other events)".into());
        }
        let g = groups.entry(key).or_default();
        g.count += 1;
        if g.examples.len() < EXAMPLES {
            g.examples.push(violation);
        }
    })?;
    let mut out = BufWriter::new(io::stdout().lock());
    // Events by name, the no-event group last; codes by count, then name.
    let mut by_event: Vec<EventGroups> = Vec::new();
    for ((event, code), g) in groups {
        match by_event.last_mut() {
            Some((e, codes)) if *e == event => codes.push((code, g)),
            _ => by_event.push((event, vec![(code, g)])),
        }
    }
    by_event.sort_by(|a, b| (a.0.is_none(), &a.0).cmp(&(b.0.is_none(), &b.0)));
    for (event, mut codes) in by_event {
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let n: u64 = codes.iter().map(|(_, g)| g.count).sum();
        writeln!(
            out,
            "{} ({n} {})",
            event.as_deref().unwrap_or(NO_EVENT),
            plural(n, "violation")
        )?;
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
                    format!("{}: ", e.path)
                };
                writeln!(out, "    {at}: {path}{}", e.message)?;
                if let Some(h) = &e.hint {
                    writeln!(out, "      hint: {h}")?;
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
