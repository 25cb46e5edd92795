use trackc_codegen::diff::rules::{self as diff_rules, DIFF_RULES};
use trackc_codegen::ir::LintLevel;
use trackc_codegen::rules::{self, RULES};

use super::{print_json, usage_error};
use crate::{Format, exit};

fn level(l: LintLevel) -> &'static str {
    match l {
        LintLevel::Allow => "allow",
        LintLevel::Warn => "warn",
        LintLevel::Deny => "deny",
    }
}

pub fn run(id: Option<&str>, format: Format) -> u8 {
    if let Some(r) = id.and_then(diff_rules::get) {
        return explain_diff_rule(r, format);
    }
    let rules: Vec<&rules::Rule> = match id {
        None => RULES.iter().collect(),
        Some(id) => match rules::get(id) {
            Some(r) => vec![r],
            None => {
                let all = RULES
                    .iter()
                    .map(|r| r.id)
                    .chain(DIFF_RULES.iter().map(|r| r.id));
                let hint = trackc_codegen::diag::did_you_mean_help(id, all)
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                return usage_error(
                    format,
                    &format!("no rule `{id}`{hint} (`trackc explain` lists every rule)"),
                );
            }
        },
    };
    match format {
        Format::Json => {
            let items: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "default": level(r.default),
                        "overridable": r.overridable,
                        "summary": r.summary,
                        "explanation": r.explanation,
                    })
                })
                .collect();
            let diff: Vec<_> = if id.is_none() {
                DIFF_RULES.iter().map(diff_json).collect()
            } else {
                Vec::new()
            };
            print_json(&serde_json::json!({ "rules": items, "diff_rules": diff }));
        }
        _ if id.is_none() => {
            let width = RULES
                .iter()
                .map(|r| r.id.len())
                .chain(DIFF_RULES.iter().map(|r| r.id.len()))
                .max()
                .unwrap_or(0);
            println!("Checker rules (`trackc check`), with their default level:\n");
            for r in rules {
                println!("{:width$}  {:5}  {}", r.id, level(r.default), r.summary);
            }
            println!("\nDiff rules (`trackc diff`), with the bump they need:\n");
            for r in DIFF_RULES {
                println!("{:width$}  {:5}  {}", r.id, r.bump.as_str(), r.summary);
            }
        }
        _ => {
            for r in rules {
                println!(
                    "{} ({} by default{})\n",
                    r.id,
                    level(r.default),
                    if r.overridable {
                        ""
                    } else {
                        ", cannot be lowered"
                    }
                );
                println!("{}\n", r.summary);
                println!("{}", r.explanation);
                if r.overridable {
                    println!(
                        "\nOverride it in the contract:\n\n    lints:\n      {}: allow   # or warn, deny",
                        r.id
                    );
                }
            }
        }
    }
    exit::OK
}

fn diff_json(r: &diff_rules::DiffRule) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "bump": r.bump.as_str(),
        "breaks": r.breaks.as_str(),
        "summary": r.summary,
        "explanation": r.explanation,
    })
}

fn explain_diff_rule(r: &diff_rules::DiffRule, format: Format) -> u8 {
    if format == Format::Json {
        print_json(&serde_json::json!({ "rules": [], "diff_rules": [diff_json(r)] }));
    } else {
        println!(
            "{} (diff rule: needs a {} bump, breaks {})\n",
            r.id,
            r.bump.as_str(),
            r.breaks.as_str()
        );
        println!("{}\n", r.summary);
        println!("{}", r.explanation);
    }
    exit::OK
}
