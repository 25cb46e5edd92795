//! The one registry of rules: every rule `trackc check`, `trackc diff` and `trackc
//! validate` applies has a stable id, a class (a default level, or a diff rule's bump and
//! who it breaks), a summary and an explanation (`trackc explain ID`), declared once in
//! the family's module ([`check`], [`diff`], [`traffic`]).
//!
//! Code names a rule by its family's enum ([`CheckRule`], [`DiffRule`], [`TrafficRule`]),
//! so a misspelt rule does not compile. Ids are read from text only at the edge: a
//! contract's `lints:` (unknown ids are the `unknown-lint` diagnostic, with a "did you
//! mean") and `trackc explain ID` ([`AnyRule::find`]). Ids never change meaning.
//!
//! To add a rule: add a line to its family's table (variant, id, class, summary,
//! explanation), emit it where it is detected, and add the fixture its family's tests ask
//! for (`tests/fixtures/rules/ID/` for check rules, `tests/fixtures/diff/ID/{old,new}/` for
//! diff rules, a case in `codegen/src/validate/tests.rs` for traffic rules).

use crate::front::ast::LintLevel;

/// Declares one family: its enum of rules and their definitions, in listing order.
macro_rules! family {
    (
        $(#[$meta:meta])*
        $Family:ident: $Class:ty;
        $($Rule:ident, $id:literal, $class:expr, $summary:literal, $explanation:literal;)*
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $Family {
            $($Rule,)*
        }

        impl $Family {
            /// Every rule of the family, in the order `trackc explain` lists them.
            pub const ALL: &'static [$Family] = &[$($Family::$Rule,)*];

            const DEFINITIONS: &'static [$crate::rules::Rule<$Class>] = &[$(
                $crate::rules::Rule {
                    id: $id,
                    class: $class,
                    summary: $summary,
                    explanation: $explanation,
                },
            )*];

            pub fn definition(self) -> &'static $crate::rules::Rule<$Class> {
                &Self::DEFINITIONS[self as usize]
            }

            pub fn id(self) -> &'static str {
                self.definition().id
            }

            pub fn class(self) -> $Class {
                self.definition().class
            }

            /// The rule with this id (for ids read from text: `lints:`, `trackc explain`).
            pub fn from_id(id: &str) -> Option<$Family> {
                Self::ALL.iter().copied().find(|r| r.id() == id)
            }
        }

        impl std::fmt::Display for $Family {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

pub mod check;
pub mod diff;
pub mod traffic;

pub use check::CheckRule;
pub use diff::{Breaks, Bump, Class, DiffRule, RustEffect};
pub use traffic::TrafficRule;

/// What is declared once about a rule. `C` is what the family says about it: a
/// [`Level`] for check and traffic rules, a [`Class`] for diff rules.
#[derive(Debug)]
pub struct Rule<C: 'static> {
    pub id: &'static str,
    pub class: C,
    /// One line, for listings.
    pub summary: &'static str,
    /// Why the rule exists and how to satisfy it.
    pub explanation: &'static str,
}

/// A check or traffic rule's default level, and whether a contract's `lints:` may change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub default: LintLevel,
    /// Structural rules cannot be lowered: the contract (or the record) would not mean
    /// anything (an unresolved reference has no type to generate).
    pub overridable: bool,
}

/// Always an error.
const FIXED: Level = Level {
    default: LintLevel::Deny,
    overridable: false,
};
/// An error unless the contract lowers it.
const DENY: Level = Level {
    default: LintLevel::Deny,
    overridable: true,
};
/// A warning unless the contract raises or silences it.
const WARN: Level = Level {
    default: LintLevel::Warn,
    overridable: true,
};

/// The command whose rules a family holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Check,
    Diff,
    Traffic,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Check, Family::Diff, Family::Traffic];

    /// The command that applies it.
    pub fn command(self) -> &'static str {
        match self {
            Family::Check => "trackc check",
            Family::Diff => "trackc diff",
            Family::Traffic => "trackc validate",
        }
    }

    /// Its rules, in listing order.
    pub fn rules(self) -> Vec<AnyRule> {
        match self {
            Family::Check => CheckRule::ALL.iter().copied().map(AnyRule::Check).collect(),
            Family::Diff => DiffRule::ALL.iter().copied().map(AnyRule::Diff).collect(),
            Family::Traffic => TrafficRule::ALL
                .iter()
                .copied()
                .map(AnyRule::Traffic)
                .collect(),
        }
    }
}

/// A rule of any family, for the places that take an id as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyRule {
    Check(CheckRule),
    Diff(DiffRule),
    Traffic(TrafficRule),
}

impl AnyRule {
    /// Every rule, family by family.
    pub fn all() -> impl Iterator<Item = AnyRule> {
        Family::ALL.into_iter().flat_map(Family::rules)
    }

    /// The rule with this id, in whichever family (ids are unique across families).
    pub fn find(id: &str) -> Option<AnyRule> {
        AnyRule::all().find(|r| r.id() == id)
    }

    pub fn family(self) -> Family {
        match self {
            AnyRule::Check(_) => Family::Check,
            AnyRule::Diff(_) => Family::Diff,
            AnyRule::Traffic(_) => Family::Traffic,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            AnyRule::Check(r) => r.id(),
            AnyRule::Diff(r) => r.id(),
            AnyRule::Traffic(r) => r.id(),
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            AnyRule::Check(r) => r.definition().summary,
            AnyRule::Diff(r) => r.definition().summary,
            AnyRule::Traffic(r) => r.definition().summary,
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            AnyRule::Check(r) => r.definition().explanation,
            AnyRule::Diff(r) => r.definition().explanation,
            AnyRule::Traffic(r) => r.definition().explanation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_families() {
        let mut ids: Vec<&str> = AnyRule::all().map(AnyRule::id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn every_rule_is_found_by_its_id_and_explained() {
        for r in AnyRule::all() {
            assert_eq!(AnyRule::find(r.id()), Some(r));
            assert!(!r.summary().trim().is_empty(), "{}", r.id());
            assert!(!r.explanation().trim().is_empty(), "{}", r.id());
        }
        assert_eq!(AnyRule::find("no-such-rule"), None);
    }

    /// Check and diff ids are kebab-case, traffic ids snake_case (the `code` validate has
    /// always printed): a family's spelling tells which command a code comes from.
    #[test]
    fn ids_are_spelt_by_family() {
        for r in AnyRule::all() {
            let sep = if r.family() == Family::Traffic {
                '_'
            } else {
                '-'
            };
            assert!(
                r.id()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == sep),
                "{}",
                r.id()
            );
        }
    }
}
