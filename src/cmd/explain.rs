use trackc_codegen::ast::LintLevel;
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
    let rules: Vec<&rules::Rule> = match id {
        None => RULES.iter().collect(),
        Some(id) => match rules::get(id) {
            Some(r) => vec![r],
            None => {
                let hint = trackc_codegen::diag::did_you_mean_help(id, RULES.iter().map(|r| r.id))
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
            print_json(&serde_json::json!({ "rules": items }));
        }
        _ if id.is_none() => {
            let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules {
                println!("{:width$}  {:5}  {}", r.id, level(r.default), r.summary);
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
