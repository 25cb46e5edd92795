//! The one pairing of old and new elements every kind of the comparison uses, as buf's
//! breaking-change rules pair descriptors: by key, then rename hints between what was
//! removed and what was added.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Side;
use super::compare::Cx;
use crate::front::similarity::Pattern;
use crate::ir::{EnumValue, Event, Ir, Property, Segment, TypeDef, Workflow};
use crate::source::Span;

/// Something compared across the two contracts, paired by its key.
pub(super) trait Element {
    /// Its name (an enum value's value).
    fn key(&self) -> &str;
    /// Where it is defined.
    fn span(&self) -> Span;
}

macro_rules! keyed_by {
    ($($ty:ty => $field:ident),* $(,)?) => {
        $(impl Element for $ty {
            fn key(&self) -> &str {
                &self.$field
            }
            fn span(&self) -> Span {
                self.span
            }
        })*
    };
}

keyed_by! {
    TypeDef => name,
    Property => name,
    Event => name,
    EnumValue => value,
    Segment => name,
    Workflow => name,
}

/// One key's elements.
pub(super) enum Paired<'a, T> {
    /// Only in OLD; the hint names a probable new name.
    Removed(&'a T, Option<String>),
    /// Only in NEW; the hint names a probable old name.
    Added(&'a T, Option<String>),
    Both(&'a T, &'a T),
}

impl<'a> Cx<'a> {
    /// The elements of one kind on both sides, paired by key, in key order. A removed and
    /// an added element with the same `shape` (a fingerprint on its side's IR) and similar
    /// keys are hinted as a probable rename, both ways.
    pub fn pair<T: Element + 'a>(
        &self,
        old: impl IntoIterator<Item = &'a T>,
        new: impl IntoIterator<Item = &'a T>,
        shape: impl Fn(&Ir, &T) -> String,
    ) -> Vec<(&'a str, Paired<'a, T>)> {
        let mut map: BTreeMap<&'a str, (Option<&'a T>, Option<&'a T>)> = BTreeMap::new();
        for o in old {
            map.entry(o.key()).or_default().0 = Some(o);
        }
        for n in new {
            map.entry(n.key()).or_default().1 = Some(n);
        }
        let only = |side: Side| -> Vec<(&'a str, String)> {
            map.iter()
                .filter_map(|(&k, &(o, n))| match (side, o, n) {
                    (Side::Old, Some(o), None) => Some((k, shape(self.old, o))),
                    (Side::New, None, Some(n)) => Some((k, shape(self.new, n))),
                    _ => None,
                })
                .collect()
        };
        let renames = renames(&only(Side::Old), &only(Side::New));
        map.into_iter()
            .filter_map(|(k, pair)| {
                let paired = match pair {
                    (Some(o), None) => {
                        let to = renames.iter().find(|(r, _)| *r == k);
                        let hint = to.map(|(_, a)| {
                            format!("probably renamed to `{a}` (same shape, similar name)")
                        });
                        Paired::Removed(o, hint)
                    }
                    (None, Some(n)) => {
                        let of = renames.iter().find(|(_, a)| *a == k);
                        let hint = of.map(|(r, _)| {
                            format!("probably a rename of `{r}` (same shape, similar name)")
                        });
                        Paired::Added(n, hint)
                    }
                    (Some(o), Some(n)) => Paired::Both(o, n),
                    (None, None) => return None,
                };
                Some((k, paired))
            })
            .collect()
    }
}

/// Most (removed, added) pairs of one kind compared for rename hints: the hints are
/// all-pairs, so a diff that removes and adds thousands of same-shaped names would be
/// quadratic; past this many comparisons the rest simply get no rename hint.
const MAX_RENAME_COMPARISONS: usize = 50_000;

/// How alike two names are, 0 to 1 (1 - distance / longer length), for a rename hint;
/// `None` for a name too long to be compared (see [`crate::front::similarity`]).
fn likeness(removed: &Pattern, added: &str) -> Option<f64> {
    let d = removed.distance(added)?;
    let longer = removed.chars().max(added.chars().count());
    Some(if longer == 0 {
        1.0
    } else {
        1.0 - d as f64 / longer as f64
    })
}

/// Rename hints between removed and added names of one kind, with the same shape.
/// Returns (removed → added) pairs.
fn renames<'a>(
    removed: &[(&'a str, String)],
    added: &[(&'a str, String)],
) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    let mut budget = MAX_RENAME_COMPARISONS;
    // Shapes can be long (an object's whole layout): compare them once, by hashing.
    let mut by_shape: HashMap<&str, Vec<&'a str>> = HashMap::new();
    for (a, shape) in added {
        by_shape.entry(shape).or_default().push(a);
    }
    for &(r, ref rshape) in removed {
        let Some(pattern) = Pattern::new(r) else {
            continue;
        };
        let mut best: Option<(f64, &'a str)> = None;
        for &a in by_shape.get(rshape.as_str()).into_iter().flatten() {
            if used.contains(a) {
                continue;
            }
            if budget == 0 {
                return out;
            }
            budget -= 1;
            let Some(score) = likeness(&pattern, a) else {
                continue;
            };
            let similar = score >= 0.5 || a.contains(r) || r.contains(a);
            let better = best.is_none_or(|(s, b)| score > s || (score == s && a < b));
            if similar && better {
                best = Some((score, a));
            }
        }
        if let Some((_, a)) = best {
            used.insert(a);
            out.push((r, a));
        }
    }
    out
}
