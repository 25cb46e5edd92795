//! One analysis of the checked IR, built once per use and read by the lints, the Markdown
//! catalog and diff's impacts (like prost-build's `MessageGraph`): the segment graph
//! ([`segments`]: edges, cycles, closures, who names whom), who reads, triggers and ends
//! what, and how a condition is written and identified ([`conditions`]). No back end walks
//! segment conditions on its own.

#[cfg(any(feature = "catalog", feature = "diff", feature = "simulate"))]
// Without the catalog only diff/compare.rs reads it, once the merge wires it there.
#[cfg_attr(not(feature = "catalog"), allow(dead_code))]
pub(crate) mod conditions;
/// What conditions mean on values (operators, filters, counts), for `simulate`.
#[cfg(feature = "simulate")]
pub(crate) mod eval;
pub(crate) mod segments;

#[cfg(feature = "catalog")]
use std::cell::OnceCell;
#[cfg(feature = "catalog")]
use std::collections::BTreeSet;

#[cfg(feature = "catalog")]
use crate::ir::EventId;
use crate::ir::{Channel, Condition, Ir, Op, SegmentId, Trigger, Workflow};
pub(crate) use segments::{Lists, SegmentGraph};

/// The channels whose messages need the person's consent (a `consent:` attribute set to
/// true by the audience): the lints require it, the catalog shows it.
pub(crate) const CONSENT_CHANNELS: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Push];

/// Whether the workflow's audience lets in only people whose consent attribute for `ch` is
/// true: some audience segment requires it. Only `all:` conditions count (an `any:` branch
/// could let people in without it), through the segments named in `all:`.
pub(crate) fn audience_requires_consent(
    ir: &Ir,
    an: &Analysis<'_>,
    w: &Workflow,
    ch: Channel,
) -> bool {
    w.audience.iter().any(|&seg| {
        an.graph().closure(seg, Lists::All).into_iter().any(|s| {
            ir.segment(s).all.iter().any(|c| match c {
                Condition::Attribute { attribute, op, .. } => {
                    ir.attribute(*attribute).consent == Some(ch)
                        && *op == Op::Equals(serde_json::Value::Bool(true))
                }
                Condition::Segment { .. } | Condition::Event { .. } => false,
            })
        })
    })
}

/// How a workflow uses a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SegmentUse {
    pub trigger: bool,
    pub audience: bool,
    pub exit: bool,
}

pub(crate) struct Analysis<'ir> {
    #[cfg(feature = "catalog")]
    ir: &'ir Ir,
    #[cfg(not(feature = "catalog"))]
    ir: std::marker::PhantomData<&'ir Ir>,
    graph: SegmentGraph,
    /// Per segment: the workflows using it (index into `ir.workflows`) and how.
    workflow_uses: Vec<Vec<(usize, SegmentUse)>>,
    /// Per event: who reads it; computed when first asked (the lints never ask).
    #[cfg(feature = "catalog")]
    readers: OnceCell<Readers>,
}

#[cfg(feature = "catalog")]
/// Who reads each event, computed once: per-event queries are lookups, so a back end asking
/// for every event stays linear in the size of the contract.
struct Readers {
    /// Segments with a condition on the event.
    direct: Vec<Vec<SegmentId>>,
    /// Segments that read it only through segments they name.
    via: Vec<Vec<SegmentId>>,
    /// Workflows the event triggers.
    triggers: Vec<Vec<usize>>,
    /// Workflows whose trigger segment or an audience segment reads it.
    via_workflows: Vec<Vec<usize>>,
    /// Workflows a person leaves when it happens: an `event` exit on it, or a `segment`
    /// exit whose segment it can make the person a member of (not one it is under an odd
    /// number of `none:`s in: that event can only end membership).
    ends: Vec<Vec<usize>>,
}

#[cfg(feature = "catalog")]
/// How many segments deep [`Analysis`] follows `segment:` conditions to find the events a
/// segment reads: the sets stay bounded (a chain of segments would otherwise give every
/// segment the events of all those after it, the square of the contract).
const READS_DEPTH: usize = 64;

impl<'ir> Analysis<'ir> {
    pub(crate) fn new(ir: &'ir Ir) -> Self {
        let mut workflow_uses = vec![Vec::new(); ir.segments.len()];
        for (i, w) in ir.workflows.iter().enumerate() {
            let mut uses: Vec<(SegmentId, SegmentUse)> = Vec::new();
            let mut mark =
                |s: SegmentId, f: fn(&mut SegmentUse)| match uses.iter_mut().find(|(x, _)| *x == s)
                {
                    Some((_, u)) => f(u),
                    None => {
                        let mut u = SegmentUse::default();
                        f(&mut u);
                        uses.push((s, u));
                    }
                };
            if let Some(Trigger::Segment { segment }) = &w.trigger {
                mark(*segment, |u| u.trigger = true);
            }
            for a in &w.audience {
                mark(*a, |u| u.audience = true);
            }
            for c in &w.exit_when {
                if let Condition::Segment { segment, .. } = c {
                    mark(*segment, |u| u.exit = true);
                }
            }
            for (s, u) in uses {
                workflow_uses[s.0 as usize].push((i, u));
            }
        }
        Analysis {
            #[cfg(feature = "catalog")]
            ir,
            #[cfg(not(feature = "catalog"))]
            ir: std::marker::PhantomData,
            graph: SegmentGraph::new(&ir.segments),
            workflow_uses,
            #[cfg(feature = "catalog")]
            readers: OnceCell::new(),
        }
    }

    pub(crate) fn graph(&self) -> &SegmentGraph {
        &self.graph
    }

    #[cfg(feature = "catalog")]
    /// The workflows using `segment` (trigger, audience, exit), in workflow order.
    pub(crate) fn workflow_uses(
        &self,
        segment: SegmentId,
    ) -> impl Iterator<Item = (&'ir Workflow, SegmentUse)> + '_ {
        self.workflow_uses[segment.0 as usize]
            .iter()
            .map(|&(i, u)| (&self.ir.workflows[i], u))
    }

    /// Whether a workflow or another segment uses `segment`.
    pub(crate) fn is_used(&self, segment: SegmentId) -> bool {
        !self.workflow_uses[segment.0 as usize].is_empty() || !self.graph.users(segment).is_empty()
    }

    #[cfg(feature = "catalog")]
    fn readers(&self) -> &Readers {
        self.readers.get_or_init(|| Readers::new(self.ir))
    }

    #[cfg(feature = "catalog")]
    /// Segments with a condition on the event, in segment order.
    pub(crate) fn segments_reading_directly(&self, ev: EventId) -> &[SegmentId] {
        &self.readers().direct[ev.0 as usize]
    }

    #[cfg(feature = "catalog")]
    /// Segments that read the event only through segments they name, in segment order.
    pub(crate) fn segments_reading_via(&self, ev: EventId) -> &[SegmentId] {
        &self.readers().via[ev.0 as usize]
    }

    #[cfg(feature = "catalog")]
    /// Workflows the event triggers, in workflow order.
    pub(crate) fn triggered_by(&self, ev: EventId) -> Vec<&'ir Workflow> {
        self.workflows(&self.readers().triggers[ev.0 as usize])
    }

    #[cfg(feature = "catalog")]
    /// Workflows whose trigger segment or an audience segment reads the event.
    pub(crate) fn workflows_via_segments(&self, ev: EventId) -> Vec<&'ir Workflow> {
        self.workflows(&self.readers().via_workflows[ev.0 as usize])
    }

    #[cfg(feature = "catalog")]
    /// The workflows the event can send people into: those it triggers and those whose
    /// trigger or audience segments read it, as indexes into `ir.workflows`, in order.
    pub(crate) fn workflows_fed_by(&self, ev: EventId) -> Vec<usize> {
        let r = self.readers();
        let mut v: Vec<usize> = r.triggers[ev.0 as usize]
            .iter()
            .chain(&r.via_workflows[ev.0 as usize])
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[cfg(feature = "catalog")]
    /// Workflows a person leaves when the event happens: an `event` exit on it, or an exit
    /// segment it can make the person a member of (not through `none:`).
    pub(crate) fn ended_by(&self, ev: EventId) -> Vec<&'ir Workflow> {
        self.workflows(&self.readers().ends[ev.0 as usize])
    }

    #[cfg(feature = "catalog")]
    fn workflows(&self, ids: &[usize]) -> Vec<&'ir Workflow> {
        ids.iter().map(|&i| &self.ir.workflows[i]).collect()
    }
}

#[cfg(feature = "catalog")]
/// The events a segment reads, split by what their arrival can do to membership.
#[derive(Clone, Default)]
struct Polar {
    /// Events under an even number of `none:`s (counting through named segments): their
    /// arrival can make the person a member.
    enter: BTreeSet<u32>,
    /// Events under an odd number: their arrival can only end membership.
    leave: BTreeSet<u32>,
}

#[cfg(feature = "catalog")]
/// [`Polar`] of segment `s`, memoised, as deep as [`READS_DEPTH`] (so a cycle ends).
fn polarity(ir: &Ir, s: usize, memo: &mut Vec<Option<Polar>>, depth: usize) -> Polar {
    if let Some(p) = &memo[s] {
        return p.clone();
    }
    let mut out = Polar::default();
    if depth < READS_DEPTH {
        let seg = &ir.segments[s];
        for (negated, list) in [(false, &seg.all), (false, &seg.any), (true, &seg.none)] {
            for c in list {
                match c {
                    Condition::Event { event, count, .. } => {
                        // One more event makes the condition hold (`rise`) or fail.
                        // Under `none:` the two swap.
                        let (rise, fall) = eval::count_moves(count);
                        let (enter, leave) = if negated { (fall, rise) } else { (rise, fall) };
                        if enter {
                            out.enter.insert(event.0);
                        }
                        if leave {
                            out.leave.insert(event.0);
                        }
                    }
                    Condition::Segment { segment, .. } => {
                        let p = polarity(ir, segment.0 as usize, memo, depth + 1);
                        let (same, flipped) = if negated {
                            (&mut out.leave, &mut out.enter)
                        } else {
                            (&mut out.enter, &mut out.leave)
                        };
                        same.extend(&p.enter);
                        flipped.extend(&p.leave);
                    }
                    Condition::Attribute { .. } => {}
                }
            }
        }
    }
    memo[s] = Some(out.clone());
    out
}

#[cfg(feature = "catalog")]
impl Readers {
    fn new(ir: &Ir) -> Self {
        let n_events = ir.events.len();
        // Events each segment reads, directly or through segments it names.
        let mut memo: Vec<Option<BTreeSet<u32>>> = vec![None; ir.segments.len()];
        fn visit(
            ir: &Ir,
            s: usize,
            memo: &mut Vec<Option<BTreeSet<u32>>>,
            depth: usize,
        ) -> BTreeSet<u32> {
            if let Some(r) = &memo[s] {
                return r.clone();
            }
            let mut out = BTreeSet::new();
            if depth < READS_DEPTH {
                for c in ir.segments[s].conditions() {
                    match c {
                        Condition::Event { event, .. } => {
                            out.insert(event.0);
                        }
                        Condition::Segment { segment, .. } => {
                            out.extend(visit(ir, segment.0 as usize, memo, depth + 1));
                        }
                        Condition::Attribute { .. } => {}
                    }
                }
            }
            memo[s] = Some(out.clone());
            out
        }
        let reads: Vec<BTreeSet<u32>> = (0..ir.segments.len())
            .map(|s| visit(ir, s, &mut memo, 0))
            .collect();
        // Per segment, computed when an exit names it: the events whose arrival can make a
        // person a member (under an even number of `none:`s, through named segments) and
        // those that can only end membership (under an odd number).
        let mut polar: Vec<Option<Polar>> = vec![None; ir.segments.len()];
        let mut direct = vec![Vec::new(); n_events];
        let mut via = vec![Vec::new(); n_events];
        for (s, seg) in ir.segments.iter().enumerate() {
            let own: BTreeSet<u32> = seg
                .conditions()
                .filter_map(|c| match c {
                    Condition::Event { event, .. } => Some(event.0),
                    _ => None,
                })
                .collect();
            for e in &reads[s] {
                let list = if own.contains(e) {
                    &mut direct
                } else {
                    &mut via
                };
                list[*e as usize].push(SegmentId(s as u32));
            }
        }
        let mut triggers = vec![Vec::new(); n_events];
        let mut via_workflows = vec![Vec::new(); n_events];
        let mut ends = vec![Vec::new(); n_events];
        for (i, w) in ir.workflows.iter().enumerate() {
            let mut entering: BTreeSet<u32> = BTreeSet::new();
            match &w.trigger {
                Some(Trigger::Event { event, .. }) => triggers[event.0 as usize].push(i),
                Some(Trigger::Segment { segment }) => {
                    entering.extend(&reads[segment.0 as usize]);
                }
                None => {}
            }
            for a in &w.audience {
                entering.extend(&reads[a.0 as usize]);
            }
            for e in entering {
                via_workflows[e as usize].push(i);
            }
            let mut leaving: BTreeSet<u32> = BTreeSet::new();
            for c in &w.exit_when {
                match c {
                    // Only if one more event can make it hold (not `count: { lt: 1 }`).
                    Condition::Event { event, count, .. } => {
                        if eval::count_moves(count).0 {
                            leaving.insert(event.0);
                        }
                    }
                    Condition::Segment { segment, .. } => {
                        let p = polarity(ir, segment.0 as usize, &mut polar, 0);
                        leaving.extend(&p.enter);
                    }
                    Condition::Attribute { .. } => {}
                }
            }
            for e in leaving {
                ends[e as usize].push(i);
            }
        }
        Readers {
            direct,
            via,
            triggers,
            via_workflows,
            ends,
        }
    }
}

#[cfg(all(test, feature = "catalog"))]
mod tests {
    use super::*;

    use crate::checked_text as checked;

    /// "Ends workflows" lists only the events that can make an exit hold: not those in an
    /// exit segment's `none:` (their arrival can only end membership), but those under two
    /// `none:`s (a segment named in `none:` that has the event in its own `none:`).
    #[test]
    fn an_exit_segment_is_ended_only_by_events_that_can_make_it_true() {
        let ir = checked(
            r#"
contract: polar
version: "1.0.0"
identity:
  id: customer_id
  id_type: { type: string }
events:
  started: { owner: web, properties: {} }
  bought: { owner: web, properties: {} }
  refunded: { owner: web, properties: {} }
  browsed: { owner: web, properties: {} }
  complained: { owner: web, properties: {} }
  viewed: { owner: web, properties: {} }
  clicked: { owner: web, properties: {} }
segments:
  settled:
    description: Bought, and no refund since.
    all:
      - event: bought
    none:
      - event: refunded
      - segment: unhappy
  unhappy:
    description: Complained and has not browsed since.
    any:
      - event: complained
    none:
      - event: browsed
  quiet:
    description: Clicked fewer than three times; under none, viewing at most once.
    all:
      - event: clicked
        count: { lt: 3 }
    none:
      - event: viewed
        count: { lte: 1 }
workflows:
  nudge:
    trigger: { event: started }
    wait: 1d
    exit_when:
      - segment: settled
      - segment: quiet
      - event: clicked
        count: { lt: 1 }
"#,
        );
        let an = Analysis::new(&ir);
        let ends = |name: &str| {
            let id = EventId(ir.events.iter().position(|e| e.name == name).unwrap() as u32);
            an.ended_by(id)
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(ends("bought"), ["nudge"]);
        // Under one `none:`: can only make `settled` false.
        assert!(ends("refunded").is_empty());
        assert!(ends("complained").is_empty());
        // Under two: browsing ends `unhappy`, which can make the person `settled`.
        assert_eq!(ends("browsed"), ["nudge"]);
        assert!(ends("started").is_empty());
        // One more event can only make `count: { lt: .. }` fail: never an exit by itself,
        // and under `none:` it can make the segment hold.
        assert!(ends("clicked").is_empty());
        assert_eq!(ends("viewed"), ["nudge"]);
        // The segment still reads all of them.
        let settled = SegmentId(
            ir.segments
                .iter()
                .position(|s| s.name == "settled")
                .unwrap() as u32,
        );
        for e in ["bought", "refunded"] {
            let id = EventId(ir.events.iter().position(|x| x.name == e).unwrap() as u32);
            assert_eq!(an.segments_reading_directly(id), [settled]);
        }
    }
}
