//! `trackc explain [ID]` and `trackc diff --explain [ID]`: the one printer of the rule
//! registry (`trackc_codegen::rules`), for every family, human or `--format json`.

use trackc_codegen::diag;
use trackc_codegen::ir::LintLevel;
use trackc_codegen::rules::{AnyRule, Breaks, DiffRule, Family, Level};

use super::{print_json, usage_error};
use crate::{Format, exit};

/// Which rules a command explains.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `trackc explain`: every family.
    All,
    /// `trackc diff --explain`: the diff rules, with the BREAKS column's words.
    Diff,
}

impl Scope {
    fn rules(self) -> Vec<AnyRule> {
        match self {
            Scope::All => AnyRule::all().collect(),
            Scope::Diff => Family::Diff.rules(),
        }
    }

    /// A usage error for an id that names no rule in scope, with a "did you mean".
    fn unknown(self, id: &str, format: Format) -> u8 {
        let ids = self.rules().into_iter().map(AnyRule::id);
        let hint = diag::did_you_mean_help(id, ids)
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        let message = match self {
            Scope::All => format!("no rule `{id}`{hint} (`trackc explain` lists every rule)"),
            Scope::Diff => {
                format!("no diff rule `{id}`{hint} (`trackc diff --explain` lists them)")
            }
        };
        usage_error(format, &message)
    }
}

fn level(l: LintLevel) -> &'static str {
    match l {
        LintLevel::Allow => "allow",
        LintLevel::Warn => "warn",
        LintLevel::Deny => "deny",
    }
}

/// Explain the rule `id`, or list every rule in `scope`.
pub fn run(scope: Scope, id: Option<&str>, format: Format) -> u8 {
    let rules: Vec<AnyRule> = match id {
        None => scope.rules(),
        Some(id) => match AnyRule::find(id).filter(|r| scope.rules().contains(r)) {
            Some(r) => vec![r],
            None => return scope.unknown(id, format),
        },
    };
    match (format, scope) {
        (Format::Json, Scope::All) => {
            let of = |family| -> Vec<serde_json::Value> {
                let in_family = rules.iter().filter(|r| r.family() == family);
                in_family.map(|r| json(*r)).collect()
            };
            print_json(&serde_json::json!({
                "rules": of(Family::Check),
                "diff_rules": of(Family::Diff),
                "traffic_rules": of(Family::Traffic),
            }));
        }
        (Format::Json, Scope::Diff) => {
            let items: Vec<_> = rules.iter().map(|r| json(*r)).collect();
            let breaks: serde_json::Map<_, _> = Breaks::ALL
                .iter()
                .map(|b| (b.as_str().to_owned(), b.meaning().into()))
                .collect();
            print_json(&serde_json::json!({ "rules": items, "breaks": breaks }));
        }
        (_, Scope::All) if id.is_none() => list_all(&rules),
        (_, Scope::Diff) if id.is_none() => list_diff(&rules),
        (_, scope) => {
            for r in rules {
                explain(r, scope);
            }
        }
    }
    exit::OK
}

/// A rule as JSON: its id, what its family says about it, its texts.
fn json(r: AnyRule) -> serde_json::Value {
    match r {
        AnyRule::Check(c) => level_json(r, c.class()),
        AnyRule::Traffic(t) => level_json(r, t.class()),
        AnyRule::Diff(d) => serde_json::json!({
            "id": r.id(),
            "breaks": d.class().breaks.as_str(),
            "bump": d.class().bump.as_str(),
            "rust": d.class().rust.as_str(),
            "summary": r.summary(),
            "explanation": r.explanation(),
        }),
    }
}

fn level_json(r: AnyRule, l: Level) -> serde_json::Value {
    serde_json::json!({
        "id": r.id(),
        "default": level(l.default),
        "overridable": l.overridable,
        "summary": r.summary(),
        "explanation": r.explanation(),
    })
}

/// `trackc explain`: a section per family, one rule a line.
fn list_all(rules: &[AnyRule]) {
    let width = rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for family in Family::ALL {
        let heading = match family {
            Family::Check => "Checker rules (`trackc check`), with their default level:",
            Family::Diff => "Diff rules (`trackc diff`), with the bump they need:",
            Family::Traffic => "Traffic rules (`trackc validate`), with their default level:",
        };
        if family != Family::Check {
            println!();
        }
        println!("{heading}\n");
        for r in rules.iter().filter(|r| r.family() == family) {
            let class = match r {
                AnyRule::Check(c) => level(c.class().default),
                AnyRule::Traffic(t) => level(t.class().default),
                AnyRule::Diff(d) => d.class().bump.as_str(),
            };
            println!("{:width$}  {:5}  {}", r.id(), class, r.summary());
        }
    }
}

/// `trackc diff --explain`: the BREAKS words, then a table.
fn list_diff(rules: &[AnyRule]) {
    let width = rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for b in Breaks::ALL {
        println!("breaks {:9}  {}", b.as_str(), b.meaning());
    }
    println!();
    for r in rules {
        if let AnyRule::Diff(d) = r {
            let class = d.class();
            let (bump, breaks) = (class.bump.as_str(), class.breaks.as_str());
            println!("{:width$}  {bump:5}  {breaks:9}  {}", r.id(), r.summary());
        }
    }
}

/// One rule in full: its class, summary and explanation, and how to override it.
fn explain(r: AnyRule, scope: Scope) {
    match r {
        AnyRule::Check(c) => println!("{} ({})\n", r.id(), level_words(c.class())),
        AnyRule::Traffic(t) => println!("{} (traffic rule: {})\n", r.id(), level_words(t.class())),
        AnyRule::Diff(d) => explain_diff_class(d, scope),
    }
    println!("{}\n", r.summary());
    println!("{}", r.explanation());
    let overridable = match r {
        AnyRule::Check(c) => c.class().overridable,
        AnyRule::Traffic(t) => t.class().overridable,
        AnyRule::Diff(_) => false,
    };
    if overridable {
        println!(
            "\nOverride it in the contract:\n\n    lints:\n      {}: allow   # or warn, deny",
            r.id()
        );
    }
}

fn level_words(l: Level) -> String {
    let fixed = if l.overridable {
        ""
    } else {
        ", cannot be lowered"
    };
    format!("{} by default{fixed}", level(l.default))
}

fn explain_diff_class(d: DiffRule, scope: Scope) {
    let class = d.class();
    let (bump, breaks) = (class.bump.as_str(), class.breaks.as_str());
    match scope {
        Scope::All => println!("{d} (diff rule: needs a {bump} bump, breaks {breaks})\n"),
        Scope::Diff => {
            println!("{d} (needs a {bump} bump; breaks {breaks})\n");
            println!("breaks {breaks}: {}\n", class.breaks.meaning());
        }
    }
    if let Some(note) = class.rust.note() {
        println!("{note}: {}.\n", class.rust.meaning());
    }
}
