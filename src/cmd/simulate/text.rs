//! The human report (a terminal: every contract and traffic text through
//! [`terminal::escape`]) and the Markdown one (a pull-request comment: through
//! `escape::markdown`). Both show the same sections from the one [`Report`].

use std::fmt::Write as _;

use trackc_codegen::escape::markdown::{self as md, Context};
use trackc_codegen::escape::terminal;
use trackc_codegen::ir::Ir;
use trackc_codegen::simulate::Report;

use super::utc;

/// How a text is written for one destination.
trait Out {
    /// A name or text from the contract or the traffic.
    fn text(&self, s: &str) -> String;
    fn code(&self, s: &str) -> String;
    fn heading(&self, s: &str) -> String;
    /// A table: header then rows.
    fn table(&self, head: &[&str], rows: &[Vec<String>]) -> String;
    fn item(&self, s: &str) -> String;
    fn subitem(&self, s: &str) -> String;
}

struct Terminal;
struct Markdown;

impl Out for Terminal {
    fn text(&self, s: &str) -> String {
        terminal::escape(s).into_owned()
    }
    fn code(&self, s: &str) -> String {
        format!("`{}`", terminal::escape(s))
    }
    fn heading(&self, s: &str) -> String {
        format!("\n{s}\n")
    }
    fn table(&self, head: &[&str], rows: &[Vec<String>]) -> String {
        let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
        for r in rows {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let mut s = String::from(" ");
            for (i, c) in cells.iter().enumerate() {
                let pad = width[i] - c.chars().count();
                if i == 0 {
                    let _ = write!(s, " {c}{}", " ".repeat(pad));
                } else {
                    let _ = write!(s, "  {}{c}", " ".repeat(pad));
                }
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut out = line(head.to_vec());
        for r in rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }
    fn item(&self, s: &str) -> String {
        format!("  - {s}\n")
    }
    fn subitem(&self, s: &str) -> String {
        format!("      {s}\n")
    }
}

impl Out for Markdown {
    // As validate's and diff's pull-request comments: no link or mention a sender could
    // plant (an anonymous id `@team` or `https://…`), names quoted as code.
    fn text(&self, s: &str) -> String {
        md::message(s, Context::Block)
    }
    fn code(&self, s: &str) -> String {
        md::code(s, Context::TableCell)
    }
    fn heading(&self, s: &str) -> String {
        format!("\n### {s}\n\n")
    }
    fn table(&self, head: &[&str], rows: &[Vec<String>]) -> String {
        let mut out = format!("| {} |\n", head.join(" | "));
        out.push('|');
        for (i, _) in head.iter().enumerate() {
            out.push_str(if i == 0 { " --- |" } else { " ---: |" });
        }
        out.push('\n');
        for r in rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out
    }
    fn item(&self, s: &str) -> String {
        format!("- {s}\n")
    }
    fn subitem(&self, s: &str) -> String {
        format!("  - {s}\n")
    }
}

/// `line 4`, `line 4 (operation 2)` (in a batch).
pub(super) fn place(line: u64, index: Option<u32>) -> String {
    match index {
        Some(i) => format!("line {line} (operation {i})"),
        None => format!("line {line}"),
    }
}

pub fn human(ir: &Ir, r: &Report) -> String {
    render(&Terminal, ir, r, false)
}

pub fn markdown(ir: &Ir, r: &Report) -> String {
    render(&Markdown, ir, r, true)
}

fn render(o: &impl Out, ir: &Ir, r: &Report, markdown: bool) -> String {
    let mut s = String::new();
    if markdown {
        let _ = writeln!(
            s,
            "## trackc simulate: {}\n",
            md::text(&ir.name, Context::Block)
        );
    } else {
        let _ = writeln!(s, "trackc simulate: {}", terminal::escape(&ir.name));
    }
    let span = match (r.start, r.end) {
        (Some(a), Some(b)) => format!(" from {} to {}", utc(a), utc(b)),
        _ => String::new(),
    };
    let profiles: Vec<String> = r
        .profiles
        .iter()
        .map(|(k, n)| format!("{n} by {k}"))
        .collect();
    // Shown when there are any: most captures name a person in every operation.
    let unattributed = match r.unattributed {
        0 => String::new(),
        n => format!(", {n} naming no person"),
    };
    let _ = writeln!(
        s,
        "{} records{span}: {} operations simulated, {} records rejected by validate{unattributed}; {} people ({} profiles: {})",
        r.records,
        r.simulated,
        r.rejected.count,
        r.people,
        r.profiles.values().sum::<u64>(),
        profiles.join(", ")
    );
    s.push_str(&o.heading("Workflows"));
    let rows: Vec<Vec<String>> = r
        .workflows
        .iter()
        .map(|(name, w)| {
            vec![
                o.code(name),
                w.triggered.to_string(),
                w.entered.to_string(),
                w.not_in_audience.to_string(),
                w.exited.to_string(),
                w.left_audience.to_string(),
                w.waiting.to_string(),
                w.sent.to_string(),
                w.sent_after_conversion.to_string(),
            ]
        })
        .collect();
    s.push_str(&o.table(
        &[
            "workflow",
            "triggered",
            "entered",
            "not in audience",
            "exited",
            "left audience",
            "waiting",
            "sent",
            "sent after conversion",
        ],
        &rows,
    ));
    let exits: Vec<String> = r
        .workflows
        .iter()
        .flat_map(|(name, w)| {
            w.exits
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(move |(c, n)| (name, c, n))
        })
        .map(|(name, c, n)| o.item(&format!("{}: {n} exited on {}", o.code(name), o.code(c))))
        .collect();
    if !exits.is_empty() {
        s.push_str(&o.heading("Exits"));
        exits.iter().for_each(|e| s.push_str(e));
    }
    let total = r.sent_after_conversion_total();
    s.push_str(&o.heading(&format!("Sent after conversion: {total}")));
    for m in &r.sent_after_conversion {
        s.push_str(&o.item(&format!(
            "{} to {} (trigger line {}, sent {}): missed {}, {}: {}",
            o.code(&m.workflow),
            o.code(&m.person),
            m.trigger_line,
            utc(m.sent_at),
            o.code(&m.missed_exit),
            m.reason.as_str(),
            o.text(&m.why)
        )));
    }
    s.push_str(&o.heading("Segments"));
    let rows: Vec<Vec<String>> = r
        .segments
        .iter()
        .map(|(name, g)| {
            vec![
                o.code(name),
                g.entered.to_string(),
                g.left.to_string(),
                g.members.to_string(),
            ]
        })
        .collect();
    s.push_str(&o.table(&["segment", "entered", "left", "members at the end"], &rows));
    s.push_str(&o.heading("Data promises"));
    let _ = write!(
        s,
        "{}",
        o.item(&format!(
            "duplicate idempotency keys: {} (revenue counted twice: {})",
            r.duplicates, r.duplicate_revenue
        ))
    );
    for d in &r.duplicate_list {
        s.push_str(&o.subitem(&format!(
            "line {}: {} for {} repeats line {}",
            d.line,
            o.code(&d.event),
            o.code(&d.person),
            d.first_line
        )));
    }
    s.push_str(&o.item(&format!("backfill enrolments: {}", r.backfill_enrolments)));
    for b in &r.backfill_list {
        s.push_str(&o.subitem(&format!(
            "line {}: {} enrolled in {} by a record {} s old",
            b.line,
            o.code(&b.person),
            o.code(&b.workflow),
            b.age
        )));
    }
    s.push_str(&o.item(&format!("events out of order: {}", r.out_of_order)));
    for x in &r.out_of_order_list {
        s.push_str(&o.subitem(&format!(
            "line {}: {} is {} s behind its latest record",
            x.line,
            o.code(&x.person),
            x.behind
        )));
    }
    s.push_str(&o.item(&format!(
        "fragmented people: {} (anonymous profiles never merged: {})",
        r.fragmented_people, r.unmerged_anonymous
    )));
    for f in &r.fragment_list {
        s.push_str(&o.subitem(&format!(
            "{} and {}: {}",
            o.code(&f.person),
            o.code(&f.other),
            f.kind.replace('_', " ")
        )));
    }
    if r.rejected.count > 0 {
        s.push_str(&o.heading(&format!(
            "Rejected by validate: {} (simulated only when Customer.io accepts them all the same)",
            r.rejected.count
        )));
        for x in &r.rejected.listed {
            let at = place(x.line, x.index);
            let sim = if x.simulated { " (simulated)" } else { "" };
            s.push_str(&o.item(&format!(
                "{at}{sim}: {} {}",
                o.code(x.code.id()),
                o.text(&x.message)
            )));
        }
    }
    if r.unattributed > 0 {
        s.push_str(&o.heading(&format!(
            "Naming no person: {} (Customer.io takes them, but no profile sees them: not simulated)",
            r.unattributed
        )));
        for x in &r.unattributed_list {
            let at = place(x.line, x.index);
            let what = match &x.event {
                Some(e) => format!("event {}", o.code(e)),
                None => "not an event of the contract".to_owned(),
            };
            s.push_str(&o.item(&format!("{at}: {what}")));
        }
    }
    if r.truncated {
        s.push_str(&format!(
            "\nLists are cut at {} entries; counts are exact.\n",
            trackc_codegen::simulate::bounds::MAX_LISTED
        ));
    }
    if r.not_simulated > 0 {
        s.push_str(&format!(
            "\n{} operations past the bound of {} were counted, not simulated.\n",
            r.not_simulated,
            trackc_codegen::simulate::bounds::MAX_OPERATIONS
        ));
    }
    if r.after_until > 0 {
        s.push_str(&format!(
            "\n{} operations after --until were counted, not simulated.\n",
            r.after_until
        ));
    }
    s
}
