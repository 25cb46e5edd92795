use std::io::IsTerminal;

use trackc_codegen::diag;
use trackc_codegen::diff::{self, Sources, input};
use trackc_codegen::escape::markdown::{self as md, Context};
use trackc_codegen::escape::terminal;

use super::{print_json, usage_error};
use crate::{Color, Format, exit};

/// The report goes to stdout, so color follows stdout (not stderr as for `check`).
fn stdout_color(color: Color) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

pub fn run(old: &str, new: &str, format: Format, color: Color) -> u8 {
    let read = |spec: &str| input::read(spec).map_err(|e| e.to_string());
    let (old_sources, new_sources) = match (read(old), read(new)) {
        (Ok(o), Ok(n)) => (o, n),
        // The error may quote a file or ref name from the repository: shown, not obeyed.
        (Err(e), _) | (_, Err(e)) => return usage_error(format, &terminal::escape(&e)),
    };
    let old_checked = trackc_codegen::check_sources(old_sources);
    let new_checked = trackc_codegen::check_sources(new_sources);
    for (side, spec, checked) in [("old", old, &old_checked), ("new", new, &new_checked)] {
        if checked.valid_ir().is_none() {
            return invalid(side, spec, checked, format, color);
        }
    }
    let (Some(o), Some(n)) = (old_checked.valid_ir(), new_checked.valid_ir()) else {
        unreachable!("both sides were checked above");
    };
    let report = diff::diff(o, n);
    let sources = Sources {
        old: &old_checked.sources,
        new: &new_checked.sources,
    };
    match format {
        Format::Json => print_json(&report.to_json(&sources)),
        Format::Markdown => print!("{}", report.to_markdown(&sources)),
        Format::Human => print!("{}", report.to_human(&sources, stdout_color(color))),
    }
    if report.ok() { exit::OK } else { exit::FAILED }
}

/// One side does not check: its diagnostics, exit 1 (the contract is wrong, not the command).
fn invalid(
    side: &str,
    spec: &str,
    checked: &trackc_codegen::Checked,
    format: Format,
    color: Color,
) -> u8 {
    let message = format!("the {side} contract `{spec}` has errors; fix them before diffing");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == diag::Severity::Error)
        .cloned()
        .collect();
    match format {
        Format::Json => {
            let mut v = diag::to_json(&checked.sources, &errors);
            v["error"] = message.into();
            v["side"] = side.into();
            print_json(&v);
        }
        Format::Markdown => {
            // A pull-request comment: the contract's text is shown, never rendered.
            println!("<!-- trackc-diff -->");
            println!(
                "### ❌ trackc diff: {}",
                md::message(&message, Context::Block)
            );
            println!();
            let mut text = String::new();
            for d in &errors {
                text.push_str(&diag::render(&checked.sources, d, false));
                text.push_str("\n\n");
            }
            print!("{}", md::fenced(&text, "text"));
        }
        Format::Human => {
            for d in &errors {
                let shown = diag::render(&checked.sources, d, color.enabled());
                eprintln!("{}\n", terminal::escape_rendered(&shown));
            }
            eprintln!("error: {}", terminal::escape(&message));
        }
    }
    exit::FAILED
}
