//! `trackc`: the event-contract compiler for Customer.io's Track API.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use trackc_codegen::validate::bounds;

mod cmd;
mod serve;

/// Exit codes: 0 ok, 1 the check failed, 2 usage or IO.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
}

#[derive(Parser)]
#[command(name = "trackc", version, about = "The event-contract compiler for Customer.io's Track API", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Load and lint a contract: references, types, naming and retention rules.
    Check {
        /// The contract folder (or one file).
        #[arg(default_value = "contract")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long, value_enum, default_value_t)]
        color: Color,
    },
    /// Write the JSON Schemas and the Markdown catalog (`--check`: compare, write nothing).
    Generate {
        /// The contract folder (or one file).
        #[arg(default_value = "contract")]
        dir: PathBuf,
        /// Output folder: schemas go to OUT/schemas, the catalog to OUT/docs.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        /// Write nothing; exit 1 naming every stale, missing or extra generated file.
        #[arg(long)]
        check: bool,
        /// Also write the Rust module (the same code `trackc_codegen::Builder` writes).
        #[arg(long, value_name = "FILE")]
        rust: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long, value_enum, default_value_t)]
        color: Color,
    },
    /// Check captured Track API traffic (NDJSON: v2 operations and batches, v1 requests)
    /// against the contract; exit 1 when any record violates it.
    Validate {
        /// `[DIR] FILE`: the contract folder (default `contract`) and the traffic (`-` for
        /// stdin; gunzipped when the name ends in `.gz`).
        #[arg(num_args = 1..=2, required = true, value_name = "[DIR] FILE")]
        paths: Vec<PathBuf>,
        /// human, json, markdown (a pull-request comment), junit (JUnit XML for test
        /// reports) or sarif (SARIF 2.1.0 for code scanning).
        #[arg(long, value_enum, default_value_t)]
        format: cmd::validate::ReportFormat,
        /// What FILE holds: trackc's NDJSON lines, a HAR file, or a mitmproxy flow dump.
        /// `auto`: `*.har` is HAR; otherwise the first line tells a dump from NDJSON.
        #[arg(long, value_enum, default_value_t)]
        input: cmd::validate::Input,
        #[arg(long, value_enum, default_value_t)]
        color: Color,
        /// Worker threads (0: every core; at most 256, and never more than chunks of
        /// input).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=bounds::MAX_JOBS as i64))]
        jobs: u16,
        /// `--format json` lists at most N violations (the first, in input order; 1 to
        /// 10000). Counts stay exact: when some are not listed, the document says
        /// `"truncated": true` and `"total_violations"`. Human output shows 3 examples per
        /// event and code. An input without any record is an error (exit 2).
        #[arg(
            long,
            value_name = "N",
            default_value_t = bounds::DEFAULT_MAX_VIOLATIONS as u16,
            value_parser = clap::value_parser!(u16).range(1..=bounds::MAX_VIOLATIONS as i64)
        )]
        max_violations: u16,
        /// The time replays are judged against (`forbidden_backfill`): Unix seconds or an
        /// RFC 3339 date-time. Default: each line's `received_at` (captures and
        /// `trackc serve` record it); without either, timestamps are not judged.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        now: Option<i64>,
    },
    /// Replay captured traffic through the contract's segments and workflows: who enters,
    /// exits and gets messages, and which messages go out after a person converted; exit 1
    /// on messages sent after conversion, backfill enrolments or duplicate keys.
    Simulate {
        /// `[DIR] FILE...`: the contract folder (default `contract`) and the traffic:
        /// NDJSON, `.gz`, HAR or mitmproxy captures, or a `trackc serve --store` database.
        #[arg(num_args = 1.., required = true, value_name = "[DIR] FILE")]
        paths: Vec<PathBuf>,
        /// human, json, markdown (a pull-request comment) or html (a page with plots).
        #[arg(long, value_enum, default_value_t)]
        format: cmd::simulate::ReportFormat,
        #[arg(long, value_enum, default_value_t)]
        color: Color,
        /// Records before this time build up state but start no journey and are not
        /// counted (Unix seconds or RFC 3339).
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        from: Option<i64>,
        /// Records after this time are not read; the simulation ends there.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        until: Option<i64>,
    },
    /// Explain a rule (or list every rule).
    Explain {
        /// A rule id, e.g. `revenue-workflow-without-exit`.
        id: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Classify every change between two contracts and check NEW's version bump.
    ///
    /// OLD and NEW are contract folders (or files) or `REF:PATH` read from git
    /// (`trackc diff origin/main:contract contract`). Exit 1 when a change needs a bigger
    /// bump than NEW's version declares, or when a side has errors.
    Diff {
        /// The contract before the change: a folder, a file or `REF:PATH`.
        #[arg(required_unless_present = "explain")]
        old: Option<String>,
        /// The contract after the change.
        #[arg(required_unless_present = "explain")]
        new: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long, value_enum, default_value_t)]
        color: Color,
        /// Explain a diff rule (or list every one) instead of diffing.
        #[arg(long, value_name = "RULE", num_args = 0..=1, default_missing_value = "")]
        explain: Option<String>,
    },
    /// A local Track API that any SDK can point at: every request is judged against the
    /// contract, recorded, and answered as Customer.io would (inspection API under
    /// `/_trackc/`).
    Serve(ServeArgs),
    /// Print the JSON Schema of the contract format, for editors.
    Schema {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The contract folder (or one file).
    #[arg(default_value = "contract")]
    dir: PathBuf,
    /// Address to listen on; port 0 picks a free one (the first line on stdout names it).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// Keep the recorded requests in this SQLite file (they survive a restart); without
    /// it, a temporary one.
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
    /// The store's size bound, in MiB: past it, requests get 503 (never a silent loss).
    #[arg(long, value_name = "MB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    max_store_mb: u64,
    /// observe: answer success, record the verdict; enforce: answer Customer.io's error
    /// for requests that break the contract.
    #[arg(long, value_enum, default_value_t)]
    mode: serve::Mode,
    /// Accept only this site id (Basic auth user; or TRACKC_SITE_ID).
    #[arg(long)]
    site_id: Option<String>,
    /// Accept only this API key (Basic auth password; or TRACKC_API_KEY). Never shown.
    #[arg(long, hide_default_value = true)]
    api_key: Option<String>,
    /// HTTPS with a self-signed certificate made at start (its file is named on stdout).
    #[arg(long)]
    tls: bool,
    /// Send requests that pass (every request in observe mode) on to URL, e.g.
    /// https://track.customer.io, with the caller's credentials; relay the answer.
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[arg(long, value_enum, default_value_t)]
    color: Color,
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so a closed pipe (`trackc explain | head`) would make `println!`
    // panic. A command-line filter should end quietly, as every Unix tool does.
    #[cfg(unix)]
    // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check { dir, format, color } => cmd::check::run(&dir, format, color),
        Command::Generate {
            dir,
            out,
            check,
            rust,
            format,
            color,
        } => cmd::generate::run(cmd::generate::Options {
            dir: &dir,
            out: &out,
            check,
            format,
            color,
            rust: rust.as_deref(),
        }),
        Command::Validate {
            paths,
            format,
            input,
            color,
            jobs,
            max_violations,
            now,
        } => cmd::validate::run(cmd::validate::Args {
            paths: &paths,
            format,
            input,
            color,
            jobs: jobs.into(),
            max_violations: max_violations.into(),
            now,
        }),
        Command::Simulate {
            paths,
            format,
            color,
            from,
            until,
        } => cmd::simulate::run(cmd::simulate::Args {
            paths: &paths,
            format,
            color,
            from,
            until,
        }),
        Command::Explain { id, format } => {
            cmd::explain::run(cmd::explain::Scope::All, id.as_deref(), format)
        }
        Command::Schema { format } => cmd::schema::run(format),
        Command::Serve(a) => cmd::serve::run(cmd::serve::Args {
            dir: &a.dir,
            listen: &a.listen,
            store: a.store.as_deref(),
            max_store_mb: a.max_store_mb,
            mode: a.mode,
            site_id: a.site_id,
            api_key: a.api_key,
            tls: a.tls,
            forward: a.forward.as_deref(),
            format: a.format,
            color: a.color,
        }),
        Command::Diff {
            old,
            new,
            format,
            color,
            explain,
        } => match (explain, old, new) {
            (Some(id), _, _) => cmd::explain::run(
                cmd::explain::Scope::Diff,
                Some(id.as_str()).filter(|s| !s.is_empty()),
                format,
            ),
            (None, Some(old), Some(new)) => cmd::diff::run(&old, &new, format, color),
            _ => cmd::usage_error(format, "`trackc diff` takes OLD and NEW"),
        },
    };
    ExitCode::from(code)
}

/// `--now`: Unix seconds, or an RFC 3339 date-time (`2026-11-30T12:00:00Z`).
fn parse_now(s: &str) -> Result<i64, String> {
    let max = trackc_wire::time::MAX_TIMESTAMP_SECONDS;
    let t = match s.parse::<i64>() {
        Ok(n) => n,
        Err(_) => trackc_wire::time::parse_date_time(s)
            .map(|t| t.floor() as i64)
            .ok_or_else(|| {
                format!(
                    "`{s}` is neither Unix seconds nor an RFC 3339 date-time (2026-11-30T12:00:00Z)"
                )
            })?,
    };
    if !(-max..=max).contains(&t) {
        return Err(format!(
            "`{s}` is out of range: Unix seconds from -{max} to {max} (milliseconds are not taken)"
        ));
    }
    Ok(t)
}
