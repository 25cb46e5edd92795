//! The segment graph: which segments each segment's conditions name, and who names each
//! segment. Cycles are found once here (`segment-cycle`); every walk over the graph marks
//! what it visited, so a cycle that is reported (and kept in the IR) cannot make a later
//! walk loop. Walks are iterative: a chain of thousands of segments needs no deep stack.

use crate::ir::{Condition, Segment, SegmentId};
use crate::source::Span;

/// Which condition lists an edge may come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lists {
    /// `all:` only: membership of the segment implies membership of the named one.
    All,
    /// `all:`, `any:` and `none:`.
    Every,
}

struct Edge {
    to: SegmentId,
    span: Span,
    in_all: bool,
}

pub(crate) struct SegmentGraph {
    /// The segments each segment's conditions name, in the order written (`all:`, `any:`,
    /// `none:`).
    edges: Vec<Vec<Edge>>,
    /// The segments naming each segment, in segment order, each once.
    users: Vec<Vec<SegmentId>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    OnPath,
    Done,
}

impl SegmentGraph {
    pub(crate) fn new(segments: &[Segment]) -> Self {
        let edges: Vec<Vec<Edge>> = segments
            .iter()
            .map(|s| {
                let in_all = s.all.len();
                s.conditions()
                    .enumerate()
                    .filter_map(|(i, c)| match c {
                        Condition::Segment { segment, span } => Some(Edge {
                            to: *segment,
                            span: *span,
                            in_all: i < in_all,
                        }),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        let mut users = vec![Vec::new(); segments.len()];
        for (from, out) in edges.iter().enumerate() {
            for e in out {
                let list: &mut Vec<SegmentId> = &mut users[e.to.0 as usize];
                if list.last() != Some(&SegmentId(from as u32)) {
                    list.push(SegmentId(from as u32));
                }
            }
        }
        SegmentGraph { edges, users }
    }

    /// The segments `segment`'s conditions name, in the order written.
    #[cfg(feature = "diff")]
    pub(crate) fn named_by(&self, segment: SegmentId) -> impl Iterator<Item = SegmentId> + '_ {
        self.edges[segment.0 as usize].iter().map(|e| e.to)
    }

    /// The segments whose conditions name `segment`, in segment order.
    pub(crate) fn users(&self, segment: SegmentId) -> &[SegmentId] {
        &self.users[segment.0 as usize]
    }

    /// The first cycle met by a depth-first walk in segment order: the segments on it
    /// (from the one the closing condition names) and the span of that condition.
    pub(crate) fn first_cycle(&self) -> Option<(Vec<SegmentId>, Span)> {
        let mut state = vec![Visit::New; self.edges.len()];
        for root in 0..self.edges.len() {
            if state[root] != Visit::New {
                continue;
            }
            state[root] = Visit::OnPath;
            // (segment, index of its next edge)
            let mut path: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some((v, next)) = path.last_mut() {
                let Some(e) = self.edges[*v].get(*next) else {
                    state[*v] = Visit::Done;
                    path.pop();
                    continue;
                };
                *next += 1;
                let w = e.to.0 as usize;
                match state[w] {
                    Visit::OnPath => {
                        let start = path.iter().position(|&(x, _)| x == w).unwrap_or(0);
                        let cycle = path[start..]
                            .iter()
                            .map(|&(x, _)| SegmentId(x as u32))
                            .collect();
                        return Some((cycle, e.span));
                    }
                    Visit::New => {
                        state[w] = Visit::OnPath;
                        path.push((w, 0));
                    }
                    Visit::Done => {}
                }
            }
        }
        None
    }

    /// `from` and every segment its conditions name, directly or through other segments,
    /// each once, in the order a depth-first walk meets them.
    pub(crate) fn closure(&self, from: SegmentId, lists: Lists) -> Vec<SegmentId> {
        let mut seen = vec![false; self.edges.len()];
        let mut out = Vec::new();
        let mut stack = vec![from];
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen[s.0 as usize], true) {
                continue;
            }
            out.push(s);
            let edges = &self.edges[s.0 as usize];
            stack.extend(
                edges
                    .iter()
                    .rev()
                    .filter(|e| lists == Lists::Every || e.in_all)
                    .map(|e| e.to),
            );
        }
        out
    }

    #[cfg(feature = "diff")]
    /// Every segment that names one of `seeds`, directly or through other segments (the
    /// seeds themselves excluded), each with the first segment it names, in the order
    /// written, that is a seed or reaches one.
    pub(crate) fn upstream(&self, seeds: &[bool]) -> Vec<(SegmentId, SegmentId)> {
        let mut reached = seeds.to_vec();
        let mut queue: Vec<SegmentId> = (0..reached.len())
            .filter(|&i| reached[i])
            .map(|i| SegmentId(i as u32))
            .collect();
        let mut found = Vec::new();
        while let Some(s) = queue.pop() {
            for &u in self.users(s) {
                if !std::mem::replace(&mut reached[u.0 as usize], true) {
                    found.push(u);
                    queue.push(u);
                }
            }
        }
        found.sort();
        found
            .into_iter()
            .filter_map(|s| {
                let via = self.named_by(s).find(|t| reached[t.0 as usize])?;
                Some((s, via))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn seg(name: &str, all: &[u32], any: &[u32]) -> Segment {
        let span = Span::file_start(FileId(0));
        let refs = |ids: &[u32]| {
            ids.iter()
                .map(|&i| Condition::Segment {
                    segment: SegmentId(i),
                    span: Span::new(FileId(0), i, i + 1),
                })
                .collect()
        };
        Segment {
            name: name.into(),
            description: None,
            all: refs(all),
            any: refs(any),
            none: Vec::new(),
            span,
        }
    }

    #[test]
    fn finds_the_first_cycle_and_its_closing_condition() {
        // a → b → c → b
        let g = SegmentGraph::new(&[
            seg("a", &[1], &[]),
            seg("b", &[2], &[]),
            seg("c", &[], &[1]),
        ]);
        let (cycle, span) = g.first_cycle().unwrap();
        assert_eq!(cycle, vec![SegmentId(1), SegmentId(2)]);
        assert_eq!(span.start, 1);
        let g = SegmentGraph::new(&[seg("a", &[1], &[]), seg("b", &[], &[])]);
        assert!(g.first_cycle().is_none());
    }

    #[test]
    fn walks_end_on_cycles_and_long_chains() {
        let g = SegmentGraph::new(&[
            seg("a", &[1], &[]),
            seg("b", &[0], &[2]),
            seg("c", &[], &[]),
        ]);
        assert_eq!(
            g.closure(SegmentId(0), Lists::All),
            vec![SegmentId(0), SegmentId(1)]
        );
        assert_eq!(g.closure(SegmentId(0), Lists::Every).len(), 3);
        let n = 100_000u32;
        let chain: Vec<Segment> = (0..n)
            .map(|i| {
                let next = [i + 1];
                seg("s", if i + 1 < n { &next[..] } else { &[] }, &[])
            })
            .collect();
        let g = SegmentGraph::new(&chain);
        assert!(g.first_cycle().is_none());
        assert_eq!(g.closure(SegmentId(0), Lists::All).len(), n as usize);
        #[cfg(feature = "diff")]
        {
            let mut seeds = vec![false; n as usize];
            seeds[n as usize - 1] = true;
            assert_eq!(g.upstream(&seeds).len(), n as usize - 1);
        }
    }

    #[cfg(feature = "diff")]
    #[test]
    fn upstream_names_the_first_reaching_segment_written() {
        // a names c then b; b names d (the seed); c names nothing that reaches d.
        let g = SegmentGraph::new(&[
            seg("a", &[2, 1], &[]),
            seg("b", &[3], &[]),
            seg("c", &[], &[]),
            seg("d", &[], &[]),
        ]);
        let up = g.upstream(&[false, false, false, true]);
        assert_eq!(
            up,
            vec![(SegmentId(0), SegmentId(1)), (SegmentId(1), SegmentId(3))]
        );
    }
}
