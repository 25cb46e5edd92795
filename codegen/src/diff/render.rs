//! The three outputs of a diff report: JSON, Markdown (a pull-request comment) and human.

use std::fmt::Write as _;

use super::{Breaks, Bump, Change, Report, Sources};
use crate::escape::markdown::{self as md, Context};
use crate::escape::terminal;
use crate::rules::RustEffect;

fn verdict(r: &Report) -> String {
    let (req, dec) = (r.required_bump(), r.declared_bump());
    let versions = format!("{} → {}", r.old_version, r.new_version);
    if r.changes.is_empty() {
        return format!("no contract changes ({versions})");
    }
    // Count only the changes that need the required bump: "3 changes need a major bump"
    // for 2 major and 1 minor change would overstate it.
    let n = r.changes.len();
    let k = r.changes.iter().filter(|c| c.bump() == req).count();
    let changes = if k == n {
        format!("{n} change{}", if n == 1 { "" } else { "s" })
    } else {
        format!("{k} of {n} changes")
    };
    let declares = match dec {
        Bump::None => format!("{versions} declares no bump"),
        b => format!("{versions} declares {}", b.as_str()),
    };
    let need = if k == 1 { "needs" } else { "need" };
    if r.ok() {
        format!("{changes} {need} a {} bump; {declares}", req.as_str())
    } else {
        format!("{changes} {need} a {} bump, but {declares}", req.as_str())
    }
}

pub fn json(r: &Report, sources: &Sources) -> serde_json::Value {
    let changes: Vec<_> = r
        .changes
        .iter()
        .map(|c| {
            let (file, line, column) = sources.location(c);
            let impacts: Vec<_> = c
                .impacts
                .iter()
                .map(|i| serde_json::json!({"kind": i.kind.as_str(), "name": i.name, "via": i.via}))
                .collect();
            let mut v = serde_json::json!({
                "code": c.code(),
                "message": c.message,
                "breaks": c.breaks().as_str(),
                "bump": c.bump().as_str(),
                "side": c.side.as_str(),
                "file": file,
                "line": line,
                "column": column,
                "impacts": impacts,
            });
            if let Some(h) = &c.hint {
                v["hint"] = h.as_str().into();
            }
            // Only where it is not `none`, like `hint`.
            let rust = c.rule.class().rust;
            if rust != RustEffect::None {
                v["rust"] = rust.as_str().into();
            }
            v
        })
        .collect();
    serde_json::json!({
        "breaking": r.breaking(),
        "required_bump": r.required_bump().as_str(),
        "declared_bump": r.declared_bump().as_str(),
        "ok": r.ok(),
        "old_version": r.old_version.to_string(),
        "new_version": r.new_version.to_string(),
        "changes": changes,
    })
}

/// `segment `x` (via), workflow `y` (via)` for the terminal.
fn impacts_line(c: &Change) -> String {
    c.impacts
        .iter()
        .map(|i| {
            let (name, via) = (terminal::escape(&i.name), terminal::escape(&i.via));
            format!("{} `{name}` ({via})", i.kind.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The same in Markdown: names as code spans that no backtick in them can close.
fn impacts_md(c: &Change, cx: Context) -> String {
    c.impacts
        .iter()
        .map(|i| {
            format!(
                "{} {} ({})",
                i.kind.as_str(),
                md::code(&i.name, cx),
                md::message(&i.via, cx)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn markdown(r: &Report, sources: &Sources) -> String {
    let mut out = String::new();
    let icon = if r.ok() { "✅" } else { "❌" };
    let _ = writeln!(out, "<!-- trackc-diff -->");
    let _ = writeln!(out, "### {icon} trackc diff: {}", verdict(r));
    if r.changes.is_empty() {
        return out;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "| bump | rule | breaks | change | where |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for c in &r.changes {
        let (file, line, _) = sources.location(c);
        // Contract text: names as code spans, the rest escaped (see `escape::markdown`).
        let mut msg = md::message(&c.message, Context::TableCell);
        if let Some(h) = &c.hint {
            let _ = write!(msg, "<br>_{}_", md::message(h, Context::TableCell));
        }
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {}{} |",
            c.bump().as_str(),
            c.code(),
            breaks_label(c),
            msg,
            md::code(&format!("{file}:{line}"), Context::TableCell),
            if c.side == super::Side::Old {
                " (old)"
            } else {
                ""
            }
        );
    }
    let with: Vec<&Change> = r.changes.iter().filter(|c| !c.impacts.is_empty()).collect();
    if !with.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "#### Impacts");
        let _ = writeln!(out);
        for c in with {
            let _ = writeln!(
                out,
                "- `{}` {}: {}",
                c.code(),
                md::message(&c.message, Context::Block),
                impacts_md(c, Context::Block)
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "<sub>`trackc diff --explain RULE` explains a rule. Breaking means a major bump is needed.{}</sub>",
        legend(r).map(|l| format!(" {l}")).unwrap_or_default()
    );
    out
}

/// Who a change breaks, with its note for Rust producers: `consumers; breaks Rust
/// producers`.
fn breaks_label(c: &Change) -> String {
    match (c.breaks(), c.rule.class().rust.note()) {
        (b, None) => b.as_str().to_owned(),
        (Breaks::None, Some(n)) => n.to_owned(),
        (b, Some(n)) => format!("{}; {n}", b.as_str()),
    }
}

/// What the Rust notes in the report mean, when it has one.
fn legend(r: &Report) -> Option<String> {
    let mut effects: Vec<RustEffect> = r
        .changes
        .iter()
        .map(|c| c.rule.class().rust)
        .filter(|e| *e != RustEffect::None)
        .collect();
    effects.sort_unstable();
    effects.dedup();
    let lines: Vec<String> = effects
        .iter()
        .rev()
        .filter_map(|e| {
            let note = e.note()?;
            // A sentence of its own: `Breaks Rust producers: ...`.
            let (first, rest) = note.split_at(1);
            Some(format!("{}{rest}: {}.", first.to_uppercase(), e.meaning()))
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn bump(&self, b: Bump, s: &str) -> String {
        let code = match b {
            Bump::Major => "1;31",
            Bump::Minor => "1;33",
            Bump::Patch => "1;36",
            Bump::None => "1",
        };
        self.wrap(code, s)
    }
}

pub fn human(r: &Report, sources: &Sources, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    // Every name, message and file name is contract text: shown, never obeyed.
    let esc = |s: &str| terminal::escape(s).into_owned();
    let title = if r.old_name == r.new_name {
        esc(&r.new_name)
    } else {
        format!("{} → {}", esc(&r.old_name), esc(&r.new_name))
    };
    let _ = writeln!(
        out,
        "{} {title} {} → {}",
        p.wrap("1", "trackc diff:"),
        r.old_version,
        r.new_version
    );
    for bump in [Bump::Major, Bump::Minor, Bump::Patch, Bump::None] {
        let group: Vec<&Change> = r.changes.iter().filter(|c| c.bump() == bump).collect();
        if group.is_empty() {
            continue;
        }
        let label = match bump {
            Bump::Major => "major (breaking)",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
            Bump::None => "none",
        };
        let _ = writeln!(out);
        let _ = writeln!(out, "{} — {}", p.bump(bump, label), group.len());
        for c in group {
            let breaks = match (c.breaks(), c.rule.class().rust.note()) {
                (Breaks::None, None) => String::new(),
                (Breaks::None, Some(_)) => format!(" ({})", breaks_label(c)),
                _ => format!(" (breaks {})", breaks_label(c)),
            };
            let _ = writeln!(
                out,
                "  {}{} {}",
                p.bump(bump, c.code()),
                breaks,
                esc(&c.message)
            );
            let (file, line, col) = sources.location(c);
            let side = if c.side == super::Side::Old {
                " (old)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    {}",
                p.wrap("2", &format!("--> {}:{line}:{col}{side}", esc(file)))
            );
            if let Some(h) = &c.hint {
                let _ = writeln!(out, "    {} {}", p.wrap("1;36", "hint:"), esc(h));
            }
            if !c.impacts.is_empty() {
                let _ = writeln!(out, "    {} {}", p.wrap("1", "impacts:"), impacts_line(c));
            }
        }
    }
    if let Some(l) = legend(r) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", p.wrap("2", &l));
    }
    let _ = writeln!(out);
    let v = verdict(r);
    if r.ok() {
        let _ = writeln!(out, "{} {v}", p.wrap("1;32", "ok:"));
    } else {
        let _ = writeln!(out, "{} {v}", p.wrap("1;31", "error:"));
    }
    out
}
