//! Enum values: removed (with a hint when the value became an alias), added, and their
//! aliases and docs.

use super::Side;
use super::compare::{Cx, Lifecycle, Place, emit};
use super::impact::Target;
use super::pairing::Paired;
use crate::ir::EnumDef;
use crate::rules::DiffRule;

impl Cx<'_> {
    pub(super) fn enum_values(&mut self, place: &Place, o: &EnumDef, n: &EnumDef) {
        let what = place.describe();
        // Values have no shape beyond their spelling: every removed one may be renamed.
        for (value, paired) in self.pair(&o.values, &n.values, |_, _| String::new()) {
            // A removed value that became an alias of another: say so rather than guess a
            // rename.
            let paired = match paired {
                Paired::Removed(ov, renamed) => {
                    let alias_of = n
                        .values
                        .iter()
                        .find(|v| v.aliases.iter().any(|a| a == value));
                    let hint = alias_of.map(|v| {
                        format!(
                            "now an alias of `{}`: producers sending \"{value}\" are normalised, but the generated variant is gone",
                            v.value
                        )
                    });
                    Paired::Removed(ov, hint.or(renamed))
                }
                other => other,
            };
            let kind = Lifecycle {
                what: &format!("{what}: enum value `{value}`"),
                removed: DiffRule::EnumValueRemoved,
                target: Some(Target::EnumValue(
                    Box::new(place.target()),
                    value.to_owned(),
                )),
                added: DiffRule::EnumValueAdded,
                added_as: "was added",
            };
            if let Some((ov, nv)) = self.lifecycle(paired, kind) {
                for a in ov.aliases.iter().filter(|a| !nv.aliases.contains(a)) {
                    self.push(
                        emit(
                            DiffRule::EnumAliasRemoved,
                            Side::New,
                            nv.span,
                            format!("{what}: alias \"{a}\" of enum value `{value}` was removed"),
                        )
                        .target(place.target()),
                    );
                }
                for a in nv.aliases.iter().filter(|a| !ov.aliases.contains(a)) {
                    self.push(emit(
                        DiffRule::EnumAliasAdded,
                        Side::New,
                        nv.span,
                        format!("{what}: alias \"{a}\" added to enum value `{value}`"),
                    ));
                }
                let docs = format!("{what} enum value `{value}`");
                self.description(&docs, &ov.description, &nv.description, nv.span);
            }
        }
    }
}
