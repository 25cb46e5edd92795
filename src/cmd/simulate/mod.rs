//! `trackc simulate [DIR] FILE...`: replay captured traffic through the contract's
//! segments and workflows ([`trackc_codegen::simulate`]) and report what would have
//! happened: human (a table a lifecycle marketer can read), `json`, `markdown` (a
//! pull-request comment) or `html` (one self-contained page with SVG plots, [`html`]).
//!
//! Inputs: what `trackc validate` reads (NDJSON, `.gz`, HAR, mitmproxy dumps), and the
//! SQLite store of `trackc serve --store PATH` (told by its header, [`store`]).
//!
//! Exit: 0 when nothing below is found; 1 when a message went out after conversion, a
//! backfilled record enrolled someone in a workflow, or an idempotency key was used twice
//! (records `validate` rejects are reported but do not fail the run: that is validate's
//! verdict); 2 usage or IO, and an input without any record.

mod html;
mod store;
mod text;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use trackc_codegen::escape::{json as safe_json, terminal};
use trackc_codegen::simulate::{Options, Report, Simulator};
use trackc_codegen::validate;

use super::usage_error;
use crate::{Color, Format, exit};

/// The most input files.
pub const MAX_FILES: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
    Markdown,
    Html,
}

pub struct Args<'a> {
    /// `[DIR] FILE...`: the contract folder when the first is a directory.
    pub paths: &'a [PathBuf],
    pub format: ReportFormat,
    pub color: Color,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

pub fn run(args: Args<'_>) -> u8 {
    let format = match args.format {
        ReportFormat::Json => Format::Json,
        _ => Format::Human,
    };
    let (dir, files) = match args.paths {
        [first, rest @ ..] if !rest.is_empty() && first.is_dir() => (first.as_path(), rest),
        files => (Path::new("contract"), files),
    };
    if files.is_empty() || files.len() > MAX_FILES {
        return usage_error(
            format,
            &format!("usage: trackc simulate [DIR] FILE... (1 to {MAX_FILES} files)"),
        );
    }
    if let (Some(f), Some(u)) = (args.from, args.until)
        && f > u
    {
        return usage_error(format, "--from is after --until");
    }
    let checked = match trackc_codegen::check(dir) {
        Ok(c) => c,
        Err(e) => return usage_error(format, &e.to_string()),
    };
    let validator = match super::validate::load(dir, format, args.color) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let Some(ir) = checked.valid_ir() else {
        return exit::FAILED;
    };
    let opts = Options {
        from: args.from,
        until: args.until,
    };
    let mut sim = match Simulator::new(ir, &validator, opts) {
        Ok(s) => s,
        Err(e) => return usage_error(format, &e.to_string()),
    };
    // Line numbers run on over the files, so every line of the report is one place.
    let mut line_no = 0u64;
    for file in files {
        let r = if store::is_store(file) {
            store::read(file, |line| {
                line_no += 1;
                sim.feed_line(line_no, line.as_bytes());
            })
        } else {
            feed_file(file, &mut sim, &mut line_no)
        };
        if let Err(e) = r {
            return usage_error(
                format,
                &format!(
                    "cannot read {}: {e}",
                    terminal::escape(&file.display().to_string())
                ),
            );
        }
    }
    let report = match sim.finish() {
        Ok(r) => r,
        Err(e) => {
            return usage_error(
                format,
                &format!("cannot keep the records' time order on disk: {e}"),
            );
        }
    };
    if report.records == 0 {
        return usage_error(format, "no records in the input: nothing was simulated");
    }
    let out = match args.format {
        ReportFormat::Json => json(&report),
        ReportFormat::Human => text::human(ir, &report),
        ReportFormat::Markdown => text::markdown(ir, &report),
        ReportFormat::Html => html::page(ir, &report),
    };
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: writing the report: {e}");
        }
        return exit::USAGE;
    }
    if report.failed() {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// The JSON document (every text escaped for JSON and terminals).
pub fn json(report: &Report) -> String {
    let v = serde_json::to_value(report).expect("reports serialize");
    let text = serde_json::to_string_pretty(&v).expect("JSON values serialize");
    format!("{}\n", safe_json::safe(&text))
}

/// Feed every line of a capture file (NDJSON, `.gz`, HAR, mitmproxy), as `validate`
/// reads it ([`Simulator::feed_reader`]: a line too long to be a request is not held).
fn feed_file(file: &Path, sim: &mut Simulator<'_>, line_no: &mut u64) -> io::Result<()> {
    let input = validate::open_input(file)?;
    let (input, _skipped) = validate::read_capture(file, None, input)?;
    *line_no = sim.feed_reader(input, *line_no + 1)?;
    Ok(())
}

/// `2026-11-30T12:00:00Z` for Unix seconds (UTC).
pub use trackc_wire::time::format_date_time as utc;
