//! The grouped report: violations by event, then by rule, with exact counts and the first
//! few examples of each, then the totals; for a terminal, or as Markdown for a
//! pull-request comment (`--format markdown`).

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use trackc_codegen::escape::markdown::{self as md, Context};
use trackc_codegen::escape::terminal;
use trackc_codegen::validate::{
    self, EventGroup, Options, Reported, Skipped, Summary, Validator, Violation,
};

use super::EXAMPLES;

/// Distinct groups kept; later ones are folded into one per code.
const MAX_GROUPS: usize = 1000;
/// The group of violations whose record names no event.
const NO_EVENT: &str = "(no event)";
const OTHER_EVENTS: &str = "(other events)";

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
                let g = self.get(
                    EventGroup::of(violation.event.as_deref()),
                    violation.code.id(),
                );
                g.count += 1;
                if g.examples.len() < EXAMPLES {
                    g.examples.push(violation);
                }
            }
            Reported::Omitted(o) => {
                self.total += o.count;
                self.get(o.event, o.code.id()).count += o.count;
            }
        }
    }
}

pub(super) fn report(
    v: &Validator,
    input: impl io::BufRead + Send,
    opts: &Options,
    skipped: &Skipped,
    file: &Path,
    markdown: bool,
) -> io::Result<Summary> {
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
    for (_, codes) in &mut by_event {
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    }
    let totals = format!(
        "{} {}: {} valid, {} invalid ({total} {})",
        summary.records,
        plural(summary.records, "record"),
        summary.valid,
        summary.invalid,
        plural(total, "violation")
    );
    let skipped = match skipped.count() {
        0 => String::new(),
        n => format!(
            "{n} {} not Track API calls: skipped",
            if n == 1 {
                "request was"
            } else {
                "requests were"
            }
        ),
    };
    if markdown {
        write_markdown(&mut out, &by_event, file, &totals, &skipped)?;
    } else {
        write_human(&mut out, &by_event, &totals, &skipped)?;
    }
    out.flush()?;
    Ok(summary)
}

fn event_name(event: &EventGroup) -> Option<&str> {
    match event {
        EventGroup::Named(e) => Some(e),
        _ => None,
    }
}

fn group_label(event: &EventGroup) -> &'static str {
    match event {
        EventGroup::Others => OTHER_EVENTS,
        _ => NO_EVENT,
    }
}

fn at(e: &Violation) -> String {
    match e.index {
        Some(i) => format!("line {} [{i}]", e.line),
        None => format!("line {}", e.line),
    }
}

fn write_human(
    out: &mut impl Write,
    by_event: &[EventGroups],
    totals: &str,
    skipped: &str,
) -> io::Result<()> {
    // Traffic text is shown, never obeyed by the terminal.
    let esc = |s: &str| terminal::escape(s).into_owned();
    for (event, codes) in by_event {
        let n: u64 = codes.iter().map(|(_, g)| g.count).sum();
        let name = event_name(event).map_or_else(|| group_label(event).to_owned(), esc);
        writeln!(out, "{name} ({n} {})", plural(n, "violation"))?;
        for (code, g) in codes {
            writeln!(out, "  {code} × {}", g.count)?;
            for e in &g.examples {
                let path = if e.path.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", esc(&e.path))
                };
                writeln!(out, "    {}: {path}{}", at(e), esc(&e.message))?;
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
    writeln!(out, "{totals}")?;
    if !skipped.is_empty() {
        writeln!(out, "{skipped}")?;
    }
    Ok(())
}

/// The same report as a pull-request comment: a heading with the verdict, a table of
/// events × rules with counts, then the examples of each group.
fn write_markdown(
    out: &mut impl Write,
    by_event: &[EventGroups],
    file: &Path,
    totals: &str,
    skipped: &str,
) -> io::Result<()> {
    let cx = Context::Block;
    let file = md::code(&file.display().to_string(), Context::Block);
    let verdict = if by_event.is_empty() {
        "fits the contract"
    } else {
        "violates the contract"
    };
    writeln!(out, "## trackc validate: {file} {verdict}\n")?;
    writeln!(out, "{}\n", md::text(totals, cx))?;
    if !skipped.is_empty() {
        writeln!(out, "{}\n", md::text(skipped, cx))?;
    }
    if by_event.is_empty() {
        return Ok(());
    }
    let name = |event: &EventGroup, cx: Context| match event_name(event) {
        Some(e) => md::code(e, cx),
        None => group_label(event).to_owned(),
    };
    writeln!(out, "| Event | Rule | Violations |\n|---|---|---:|")?;
    for (event, codes) in by_event {
        for (code, g) in codes {
            writeln!(
                out,
                "| {} | `{code}` | {} |",
                name(event, Context::TableCell),
                g.count
            )?;
        }
    }
    writeln!(out)?;
    for (event, codes) in by_event {
        writeln!(out, "### {}\n", name(event, cx))?;
        for (code, g) in codes {
            writeln!(out, "- `{code}` × {}", g.count)?;
            for e in &g.examples {
                let path = if e.path.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", md::code(&e.path, Context::Block))
                };
                let message = md::message(&e.message, Context::Block);
                writeln!(out, "  - {}: {path}{message}", at(e))?;
                if let Some(h) = &e.hint {
                    writeln!(out, "    hint: {}", md::message(h, Context::Block))?;
                }
            }
            if g.count > g.examples.len() as u64 {
                writeln!(out, "  - … and {} more", g.count - g.examples.len() as u64)?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
