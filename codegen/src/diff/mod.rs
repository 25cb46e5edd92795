//! `trackc diff`: compare two resolved contracts and classify every change — who it
//! breaks, the semver bump it needs, and the segments and workflows it reaches.
//!
//! The diff reads two [`Ir`]s only (never YAML). Each change carries a rule of
//! [`DiffRule`], a location in NEW (in OLD for removals), an optional hint
//! (probable renames), and its impacts: the segments and workflows that read the changed
//! element, followed transitively through `segment:` conditions, triggers, audiences and
//! exit conditions.
//!
//! ## Version gate
//! The bump NEW declares (its `version` against OLD's) must be at least the bump the
//! changes need. Pre-1.0 versions follow Cargo's reading of semver: in `0.y.z` the minor
//! number is the breaking one, so `0.3.0 → 0.4.0` declares a major bump and
//! `0.3.0 → 0.3.1` declares a minor one (it may add, as well as fix); in `0.0.z` every bump
//! is major. A version that goes backwards, or stays, declares no bump. Pre-release tags
//! are not compared.

mod compare;
mod conditions;
mod enums;
mod events;
mod identity;
mod impact;
pub mod input;
mod pairing;
mod properties;
mod render;
mod segments;
mod shape;
mod types;
mod workflows;

use crate::ir::{Ir, Version};
use crate::source::{SourceMap, Span};

pub use crate::rules::{Breaks, Bump, DiffRule};

/// Which contract a location is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Old,
    New,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImpactKind {
    Segment,
    Workflow,
}

impl ImpactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImpactKind::Segment => "segment",
            ImpactKind::Workflow => "workflow",
        }
    }
}

/// A segment or workflow that reads a changed element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impact {
    pub kind: ImpactKind,
    pub name: String,
    /// How it reads it: `none condition`, `trigger`, `audience segment email_subscribers`, ...
    pub via: String,
}

/// One classified change.
#[derive(Clone, Debug)]
pub struct Change {
    pub rule: DiffRule,
    pub message: String,
    /// `probably a rename of `x``, ...
    pub hint: Option<String>,
    /// Where it is: in NEW, or in OLD for removals.
    pub side: Side,
    pub span: Span,
    pub impacts: Vec<Impact>,
}

impl Change {
    pub fn code(&self) -> &'static str {
        self.rule.id()
    }
    pub fn breaks(&self) -> Breaks {
        self.rule.class().breaks
    }
    pub fn bump(&self) -> Bump {
        self.rule.class().bump
    }
}

/// Every change between two contracts, and the version gate.
#[derive(Debug)]
pub struct Report {
    pub old_name: String,
    pub new_name: String,
    pub old_version: Version,
    pub new_version: Version,
    /// Sorted by bump (major first), then in contract order (identity, types, attributes,
    /// events, segments, workflows; by name).
    pub changes: Vec<Change>,
}

impl Report {
    /// The biggest bump any change needs.
    pub fn required_bump(&self) -> Bump {
        self.changes
            .iter()
            .map(Change::bump)
            .max()
            .unwrap_or(Bump::None)
    }

    /// The bump NEW's version declares over OLD's (see the module docs for 0.x).
    pub fn declared_bump(&self) -> Bump {
        declared_bump(self.old_version, self.new_version)
    }

    /// Whether some change needs a major bump.
    pub fn breaking(&self) -> bool {
        self.required_bump() == Bump::Major
    }

    /// The gate: the declared bump covers the needed one.
    pub fn ok(&self) -> bool {
        self.declared_bump() >= self.required_bump()
    }

    /// `{"breaking","required_bump","declared_bump","ok","old_version","new_version","changes":[..]}`
    pub fn to_json(&self, sources: &Sources) -> serde_json::Value {
        render::json(self, sources)
    }

    /// A pull-request comment: a one-line verdict, a table, the impacts.
    pub fn to_markdown(&self, sources: &Sources) -> String {
        render::markdown(self, sources)
    }

    /// Grouped by bump, ANSI-colored when `color`.
    pub fn to_human(&self, sources: &Sources, color: bool) -> String {
        render::human(self, sources, color)
    }
}

/// The files of both contracts, to turn spans into `file:line:column`.
pub struct Sources<'a> {
    pub old: &'a SourceMap,
    pub new: &'a SourceMap,
}

impl Sources<'_> {
    /// file, 1-based line and column of a change.
    pub fn location(&self, change: &Change) -> (&str, usize, usize) {
        match change.side {
            Side::Old => self.old.location(change.span),
            Side::New => self.new.location(change.span),
        }
    }
}

/// The bump from `old` to `new`, reading `0.y.z` as Cargo does.
pub fn declared_bump(old: Version, new: Version) -> Bump {
    if new <= old {
        return Bump::None;
    }
    if new.major != old.major {
        return Bump::Major;
    }
    // Same major from here on.
    if old.major == 0 {
        if old.minor == 0 && new.minor == 0 {
            // 0.0.z: every release is breaking.
            return Bump::Major;
        }
        return if new.minor != old.minor {
            Bump::Major
        } else {
            Bump::Minor
        };
    }
    if new.minor != old.minor {
        Bump::Minor
    } else {
        Bump::Patch
    }
}

/// Compare two resolved contracts.
pub fn diff(old: &Ir, new: &Ir) -> Report {
    let mut changes = compare::compare(old, new);
    for c in &mut changes {
        let ir = match c.change.side {
            Side::Old => old,
            Side::New => new,
        };
        c.change.impacts = impact::impacts(ir, &c.targets);
    }
    let mut changes: Vec<Change> = changes.into_iter().map(|c| c.change).collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.bump()));
    Report {
        old_name: old.name.clone(),
        new_name: new.name.clone(),
        old_version: old.version,
        new_version: new.version,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    #[test]
    fn declared_bumps() {
        assert_eq!(declared_bump(v(1, 0, 0), v(1, 0, 0)), Bump::None);
        assert_eq!(declared_bump(v(1, 2, 0), v(1, 1, 0)), Bump::None);
        assert_eq!(declared_bump(v(1, 0, 0), v(1, 0, 1)), Bump::Patch);
        assert_eq!(declared_bump(v(1, 0, 3), v(1, 1, 0)), Bump::Minor);
        assert_eq!(declared_bump(v(1, 4, 3), v(2, 0, 0)), Bump::Major);
        assert_eq!(declared_bump(v(0, 3, 0), v(0, 4, 0)), Bump::Major);
        assert_eq!(declared_bump(v(0, 3, 0), v(0, 3, 1)), Bump::Minor);
        assert_eq!(declared_bump(v(0, 0, 1), v(0, 0, 2)), Bump::Major);
        assert_eq!(declared_bump(v(0, 0, 1), v(0, 1, 0)), Bump::Major);
        assert_eq!(declared_bump(v(0, 9, 0), v(1, 0, 0)), Bump::Major);
    }
}
