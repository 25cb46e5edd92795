//! `trackc validate [DIR] FILE`: check captured Track API traffic against the contract.
//!
//! Input: trackc's NDJSON lines, a HAR file or a mitmproxy flow dump (`--input`, or told
//! by the name and first line; [`validate::read_capture`]).
//!
//! Human output (stdout): violations grouped by event and code, with exact counts and the
//! first few examples of each, then the totals ([`human`]); `--format markdown` the same
//! as a pull-request comment; `--format junit` / `sarif` for CI test reports and code
//! scanning ([`ci`]). `--format json`: one document listing the
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

mod ci;
mod human;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use trackc_codegen::diag;
use trackc_codegen::escape::{json as safe_json, terminal};
use trackc_codegen::validate::{self, Detail, InputKind, Options, Reported, Summary, Validator};

use super::{print_json, usage_error};
use crate::{Color, Format, exit};

/// Examples shown per (event, code) group in human and Markdown output.
const EXAMPLES: usize = 3;

/// `--format` of `validate`: the shared three, and the two CI report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
    Markdown,
    Junit,
    Sarif,
}

impl ReportFormat {
    /// How usage errors and the contract's diagnostics are shown: JSON for `json`, on
    /// stderr as text for the others (a report file never holds an error instead).
    fn base(self) -> Format {
        match self {
            ReportFormat::Json => Format::Json,
            _ => Format::Human,
        }
    }
}

/// `--input`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Input {
    #[default]
    Auto,
    Ndjson,
    Har,
    Mitmproxy,
}

pub struct Args<'a> {
    /// `[DIR] FILE`: one or two positionals.
    pub paths: &'a [PathBuf],
    pub format: ReportFormat,
    pub input: Input,
    pub color: Color,
    pub jobs: usize,
    /// `--format json` lists at most this many violations.
    pub max_violations: usize,
    /// `--now`: the reference time of replays (Unix seconds).
    pub now: Option<i64>,
}

pub fn run(args: Args<'_>) -> u8 {
    let report = args.format;
    let format = report.base();
    let (dir, file) = match args.paths {
        [file] => (Path::new("contract"), file.as_path()),
        [dir, file] => (dir.as_path(), file.as_path()),
        _ => return usage_error(format, "usage: trackc validate [DIR] FILE"),
    };
    let validator = match load(dir, format, args.color) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let kind = match args.input {
        Input::Auto => None,
        Input::Ndjson => Some(InputKind::Ndjson),
        Input::Har => Some(InputKind::Har),
        Input::Mitmproxy => Some(InputKind::Mitmproxy),
    };
    let opened =
        validate::open_input(file).and_then(|input| validate::read_capture(file, kind, input));
    let (input, skipped) = match opened {
        Ok(r) => r,
        Err(e) => return usage_error(format, &format!("cannot read {}: {e}", file.display())),
    };
    let mut opts = Options {
        jobs: args.jobs,
        now: args.now,
        ..Options::default()
    };
    let result = match report {
        ReportFormat::Json => {
            opts.detail = Detail::First(args.max_violations);
            json(&validator, input, &opts, &skipped)
        }
        ReportFormat::Human | ReportFormat::Markdown => {
            opts.detail = Detail::PerGroup(EXAMPLES);
            let markdown = report == ReportFormat::Markdown;
            human::report(&validator, input, &opts, &skipped, file, markdown)
        }
        ReportFormat::Junit | ReportFormat::Sarif => {
            opts.detail = Detail::First(args.max_violations);
            ci::report(
                &validator,
                input,
                &opts,
                file,
                report == ReportFormat::Sarif,
            )
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

fn json(
    v: &Validator,
    input: impl io::BufRead + Send,
    opts: &Options,
    skipped: &validate::Skipped,
) -> io::Result<Summary> {
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
    write!(
        out,
        ",\n  \"records\": {},\n  \"valid\": {},\n  \"invalid\": {}",
        summary.records, summary.valid, summary.invalid
    )?;
    if skipped.count() > 0 {
        write!(out, ",\n  \"skipped\": {}", skipped.count())?;
    }
    writeln!(out, "\n}}")?;
    out.flush()?;
    Ok(summary)
}
