//! How alike two names are, for "did you mean" hints and diff's rename hints, at a cost
//! bounded against hostile names.
//!
//! A textbook edit distance costs `len(a) × len(b)` time and memory per pair: a 4 MB unknown
//! key against one candidate was half a second, and hundreds of long names against each
//! other took minutes. Here a name is compared only when it is at most [`MAX_NAME_BYTES`]
//! long (a longer one is no typo of a real name), and one comparison is Hyyrö's bit-parallel
//! optimal-string-alignment distance: one pass over the other name with the pattern's
//! columns packed into a `u128`, so a pair costs at most 128 word steps and no allocation.

/// Names longer than this (in bytes) are never compared: no hint, no rename guess. Real
/// event, type and property names are far shorter, and the bit-parallel distance below
/// needs the pattern to fit in one `u128` (128 characters).
pub const MAX_NAME_BYTES: usize = 128;

/// A name prepared for comparisons against many others: ASCII case folded, and one bit
/// mask per distinct character (where it occurs in the name).
pub struct Pattern {
    chars: usize,
    ascii: [u128; 128],
    other: Vec<(char, u128)>,
}

impl Pattern {
    /// `None` for a name over [`MAX_NAME_BYTES`].
    pub fn new(name: &str) -> Option<Pattern> {
        if name.len() > MAX_NAME_BYTES {
            return None;
        }
        let mut p = Pattern {
            chars: 0,
            ascii: [0; 128],
            other: Vec::new(),
        };
        for (i, c) in name.chars().map(|c| c.to_ascii_lowercase()).enumerate() {
            let bit = 1u128 << i;
            if c.is_ascii() {
                p.ascii[c as usize] |= bit;
            } else if let Some(e) = p.other.iter_mut().find(|e| e.0 == c) {
                e.1 |= bit;
            } else {
                p.other.push((c, bit));
            }
            p.chars = i + 1;
        }
        Some(p)
    }

    /// Length in characters.
    pub fn chars(&self) -> usize {
        self.chars
    }

    fn mask(&self, c: char) -> u128 {
        if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            self.other.iter().find(|e| e.0 == c).map_or(0, |e| e.1)
        }
    }

    /// The optimal string alignment distance (insertions, deletions, substitutions and
    /// transpositions of neighbours, each 1) to `other`, ignoring ASCII case. `None` when
    /// `other` is over [`MAX_NAME_BYTES`]. Hyyrö (2003), "A bit-vector algorithm for
    /// computing Levenshtein and Damerau edit distances", as in RapidFuzz.
    pub fn distance(&self, other: &str) -> Option<usize> {
        if other.len() > MAX_NAME_BYTES {
            return None;
        }
        if self.chars == 0 {
            return Some(other.chars().count());
        }
        let last = 1u128 << (self.chars - 1);
        let (mut vp, mut vn, mut d0, mut pm_prev) = (!0u128, 0u128, 0u128, 0u128);
        let mut dist = self.chars;
        for c in other.chars().map(|c| c.to_ascii_lowercase()) {
            let pm = self.mask(c);
            let tr = ((!d0 & pm) << 1) & pm_prev;
            d0 = ((((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn) | tr;
            let hp = vn | !(d0 | vp);
            let hn = d0 & vp;
            if hp & last != 0 {
                dist += 1;
            } else if hn & last != 0 {
                dist -= 1;
            }
            let hp = (hp << 1) | 1;
            let hn = hn << 1;
            vp = hn | !(d0 | hp);
            vn = hp & d0;
            pm_prev = pm;
        }
        Some(dist)
    }
}

/// Work allowed for hints, in bytes of candidate names looked at (each costs about one
/// word step of [`Pattern::distance`]). One hint against thousands of names is cheap; a
/// contract with thousands of unknown references, each compared with thousands of names,
/// is the product of the two. So a hint has a budget of its own ([`Budget::per_call`]),
/// and a whole `check` shares one ([`Budget::per_run`]): once it is spent, the remaining
/// problems are still reported, only without a "did you mean".
#[derive(Debug)]
pub struct Budget {
    left: usize,
}

impl Budget {
    /// One hint: ~5,000 names of 25 characters (every event of a large contract).
    pub const PER_CALL: usize = 128 * 1024;
    /// Every hint of one run: ~20 ms in a release build, under a second in a debug one.
    pub const PER_RUN: usize = 2 * 1024 * 1024;

    pub fn per_call() -> Self {
        Budget {
            left: Self::PER_CALL,
        }
    }

    pub fn per_run() -> Self {
        Budget {
            left: Self::PER_RUN,
        }
    }
}

/// The closest candidate to `name` within a third of the longer one's length (at least 1),
/// ties to the alphabetically first; `None` for a name over [`MAX_NAME_BYTES`]. Looks at
/// candidates in order while `budget` (and at most [`Budget::PER_CALL`]) lasts.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &mut Budget,
) -> Option<&'a str> {
    let pattern = Pattern::new(name)?;
    let mut left = budget.left.min(Budget::PER_CALL);
    let spent_from = left;
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let cost = c.len().min(MAX_NAME_BYTES) + 1;
        if cost > left {
            break;
        }
        left -= cost;
        if c.len() > MAX_NAME_BYTES {
            continue;
        }
        let limit = (c.len().max(name.len()) / 3).max(1);
        let bound = best.map_or(limit, |(d, _)| d.min(limit));
        // The distance is at least the difference in length: most candidates stop here.
        if c.chars().count().abs_diff(pattern.chars()) > bound {
            continue;
        }
        let Some(d) = pattern.distance(c) else {
            continue;
        };
        let better = match best {
            _ if d > limit => false,
            None => true,
            Some((bd, bc)) => d < bd || (d == bd && c < bc),
        };
        if better {
            best = Some((d, c));
        }
    }
    budget.left -= spent_from - left;
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn osa(a: &str, b: &str) -> usize {
        Pattern::new(a).unwrap().distance(b).unwrap()
    }

    #[test]
    fn known_distances() {
        assert_eq!(osa("", ""), 0);
        assert_eq!(osa("", "abc"), 3);
        assert_eq!(osa("abc", ""), 3);
        assert_eq!(osa("signed_up", "signed_pu"), 1);
        assert_eq!(osa("Signed_Up", "signed_up"), 0);
        assert_eq!(osa("kitten", "sitting"), 3);
        assert_eq!(osa("ca", "abc"), 3); // OSA, not unrestricted Damerau (2)
        assert_eq!(osa("café", "cafe"), 1);
        let long = "x".repeat(128);
        assert_eq!(osa(&long, &"y".repeat(128)), 128);
        assert!(Pattern::new(&"x".repeat(129)).is_none());
        assert!(
            Pattern::new("x")
                .unwrap()
                .distance(&"x".repeat(129))
                .is_none()
        );
    }

    fn hint<'a>(name: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        closest(name, names, &mut Budget::per_call())
    }

    #[test]
    fn closest_names() {
        let names = ["signed_up", "signed_out", "order_completed"];
        assert_eq!(hint("signed_pu", names), Some("signed_up"));
        assert_eq!(hint("ORDER_COMPLETE", names), Some("order_completed"));
        assert_eq!(hint("zzz", names), None);
        assert_eq!(hint(&"a".repeat(4_000_000), names), None);
    }

    #[test]
    fn budgets_bound_the_work_and_are_shared() {
        let names: Vec<String> = (0..20_000).map(|i| format!("{i:0>128}")).collect();
        let all = || names.iter().map(String::as_str);
        // One call looks at most PER_CALL bytes of names: the last name is out of reach.
        assert_ne!(hint(&names[19_999], all()), Some(names[19_999].as_str()));
        assert_eq!(hint(&names[10], all()), Some(names[10].as_str()));
        // A run's budget is shared: once spent, no more hints.
        let mut run = Budget::per_run();
        let found = (0..100)
            .filter(|_| closest(&names[0], all(), &mut run).is_some())
            .count();
        // Each call spends its whole share (it keeps looking for a closer name).
        let per_call = Budget::PER_CALL / 129 * 129;
        let rest = Budget::PER_RUN % per_call;
        assert_eq!(found, Budget::PER_RUN / per_call + usize::from(rest >= 129));
        assert_eq!(closest(&names[0], all(), &mut run), None);
    }

    proptest! {
        // The bit-parallel distance is strsim's optimal string alignment distance (the
        // textbook dynamic programme) on the case-folded names, for any names up to the cap.
        #[test]
        fn equals_the_textbook_distance(a in "[a-cA-C_é]{0,40}", b in "[a-cA-C_é]{0,40}") {
            let want = strsim::osa_distance(&a.to_ascii_lowercase(), &b.to_ascii_lowercase());
            prop_assert_eq!(osa(&a, &b), want);
        }

        #[test]
        fn long_patterns_agree_too(a in "[ab]{100,128}", b in "[ab]{0,128}") {
            prop_assert_eq!(osa(&a, &b), strsim::osa_distance(&a, &b));
        }
    }
}
