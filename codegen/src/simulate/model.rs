//! The contract compiled for the people model: each event's `where` filters numbered (so
//! a record keeps one bit per filter, not its data), each segment's and workflow's
//! conditions as indexes, the attributes the conditions read, and durations in seconds.

use std::collections::HashMap;

use crate::analysis::eval;
use crate::ir::{AttributeId, Condition, EventId, Filter, Goal, Ir, Op, SegmentId, Trigger};

/// A `where` filter set of an event: the bit a record of the event carries when its data
/// satisfies every filter. At most [`MAX_FILTERS`] per event.
pub(crate) type Bit = u8;

/// Distinct `where` filter sets naming one event (the bits of a record).
pub const MAX_FILTERS: usize = 64;

/// Events a history keeps per profile (of an exit condition, or of a condition with a
/// `within` window): its `count` compares with at most one less
/// ([`eval::count_enough`]).
pub const MAX_COUNTED: u64 = 4096;

/// An event condition of a segment or an exit: the event, its filter bit, window, count.
#[derive(Clone, Debug)]
pub(crate) struct EventCond<'ir> {
    pub event: EventId,
    pub bit: Bit,
    /// `within`, in seconds.
    pub window: Option<i64>,
    pub count: &'ir [Op],
    /// Events of a history (an exit's, a window's) that decide the condition: the
    /// latest this many ([`eval::count_enough`]).
    pub keep: usize,
    /// An exit condition's workflow (by index); `None` for a segment's.
    pub exit_of: Option<u32>,
    /// An exit condition that can turn true by time alone: its window slides an event
    /// out and its `count` holds at fewer events but not at more (`equals: 1`). A
    /// waiting journey's exit of this kind has a timer of its own.
    pub slides_true: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Cond<'ir> {
    /// Index into [`Model::conds`].
    Event(u32),
    Attribute {
        slot: u16,
        attribute: AttributeId,
        op: &'ir Op,
    },
    Segment(SegmentId),
}

pub(crate) struct SegmentPlan<'ir> {
    pub all: Vec<Cond<'ir>>,
    pub any: Vec<Cond<'ir>>,
    pub none: Vec<Cond<'ir>>,
}

pub(crate) enum TriggerPlan {
    Event { event: EventId, bit: Bit },
    Segment(SegmentId),
    None,
}

pub(crate) struct WorkflowPlan<'ir> {
    pub trigger: TriggerPlan,
    pub audience: &'ir [SegmentId],
    pub wait: i64,
    /// The exit conditions, in the contract's order; an event exit counts only events
    /// after the trigger (its history is the journey's, not the person's).
    pub exits: Vec<Cond<'ir>>,
    /// Exit conditions as written (`event order_completed`), for reports.
    pub exit_text: Vec<String>,
    pub revenue: bool,
    /// Events an exit condition names (a conversion under another event is "not in the
    /// contract").
    pub exit_events: Vec<EventId>,
}

pub(crate) struct Model<'ir> {
    pub ir: &'ir Ir,
    /// Per event: its filter sets, by bit.
    pub sets: Vec<Vec<&'ir [Filter]>>,
    pub conds: Vec<EventCond<'ir>>,
    pub segments: Vec<SegmentPlan<'ir>>,
    pub workflows: Vec<WorkflowPlan<'ir>>,
    /// Attributes kept per person: those a condition reads, then `email` and `phone`
    /// (fragmentation). Index = slot.
    pub slots: Vec<AttributeId>,
    pub slot_of: HashMap<AttributeId, u16>,
    pub email_slot: Option<u16>,
    pub phone_slot: Option<u16>,
    /// Events an exit of a revenue workflow names: performing one is converting.
    pub conversions: Vec<bool>,
    /// Per event: whether any segment condition, trigger or exit reads it.
    pub read: Vec<bool>,
    /// Event conditions by event: of segments (a count or the times in a window per
    /// person), and of exits (the latest events that decide them per person).
    pub conds_of: Vec<Vec<u32>>,
    pub exits_of: Vec<Vec<u32>>,
    /// Per event: whether a filter set reads its data (else its bits need no data).
    pub filtered: Vec<bool>,
    /// Per event: the members of its data a record is read for ([`DataPick`]).
    pub picks: Vec<DataPick<'ir>>,
    /// The attributes an identify is read for: the slots' names in slot order, then the
    /// contract's `anonymous_id` attribute (when it names one).
    pub identify_names: Vec<&'ir str>,
}

/// The members of an event's data that the model reads, so that a record parses only
/// those: `revenue`, the idempotency key's property, the first names of the `where`
/// filters' paths (a filter reaches no further than the member its path starts with).
pub(crate) struct DataPick<'ir> {
    /// `revenue`, then the key's property when the event has one, then the filters'.
    pub names: Vec<&'ir str>,
    /// The event has an idempotency key (`names[1]`).
    pub key: bool,
    /// A filter reads the data itself (an empty path): the data is built whole.
    pub whole: bool,
}

/// A contract the model cannot run (a bound of the model, not of the contract).
#[derive(Debug)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'ir> Model<'ir> {
    pub(crate) fn new(ir: &'ir Ir) -> Result<Model<'ir>, ModelError> {
        let mut m = Model {
            ir,
            sets: vec![Vec::new(); ir.events.len()],
            conds: Vec::new(),
            segments: Vec::new(),
            workflows: Vec::new(),
            slots: Vec::new(),
            slot_of: HashMap::new(),
            email_slot: None,
            phone_slot: None,
            conversions: vec![false; ir.events.len()],
            read: vec![false; ir.events.len()],
            conds_of: vec![Vec::new(); ir.events.len()],
            exits_of: vec![Vec::new(); ir.events.len()],
            filtered: Vec::new(),
            picks: Vec::new(),
            identify_names: Vec::new(),
        };
        for s in &ir.segments {
            let mut plan = |cs: &'ir [Condition]| -> Result<Vec<Cond<'ir>>, ModelError> {
                cs.iter().map(|c| m.cond(c, true)).collect()
            };
            let all = plan(&s.all)?;
            let any = plan(&s.any)?;
            let none = plan(&s.none)?;
            m.segments.push(SegmentPlan { all, any, none });
        }
        let style = crate::analysis::conditions::Plain(ir);
        for w in &ir.workflows {
            let trigger = match &w.trigger {
                Some(Trigger::Event { event, filter }) => TriggerPlan::Event {
                    event: *event,
                    bit: m.bit(*event, filter)?,
                },
                Some(Trigger::Segment { segment }) => TriggerPlan::Segment(*segment),
                None => TriggerPlan::None,
            };
            let exits = w
                .exit_when
                .iter()
                .map(|c| m.cond(c, false))
                .collect::<Result<Vec<_>, _>>()?;
            for c in &exits {
                if let Cond::Event(i) = c {
                    m.conds[*i as usize].exit_of = Some(m.workflows.len() as u32);
                }
            }
            let exit_events = w
                .exit_when
                .iter()
                .filter_map(|c| match c {
                    Condition::Event { event, .. } => Some(*event),
                    _ => None,
                })
                .collect::<Vec<_>>();
            let revenue = w.goal == Some(Goal::Revenue);
            if revenue {
                for e in &exit_events {
                    m.conversions[e.0 as usize] = true;
                }
            }
            m.workflows.push(WorkflowPlan {
                trigger,
                audience: &w.audience,
                wait: w.wait.map_or(0, |d| seconds(d.seconds())),
                exit_text: w
                    .exit_when
                    .iter()
                    .map(|c| crate::analysis::conditions::condition(&style, c))
                    .collect(),
                exits,
                revenue,
                exit_events,
            });
        }
        for (i, a) in ir.attributes.iter().enumerate() {
            let id = AttributeId(i as u32);
            if a.name == "email" {
                m.email_slot = Some(m.slot(id));
            } else if a.name == "phone" {
                m.phone_slot = Some(m.slot(id));
            }
        }
        for (e, c) in m.conversions.iter().enumerate() {
            if *c {
                m.read[e] = true;
            }
        }
        m.filtered = m
            .sets
            .iter()
            .map(|sets| sets.iter().any(|s| !s.is_empty()))
            .collect();
        m.picks = (ir.events.iter().zip(&m.sets))
            .map(|(ev, sets)| {
                let mut names = vec!["revenue"];
                let key = ev.idempotency_property().map(|p| p.name.as_str());
                names.extend(key);
                let mut whole = false;
                for f in sets.iter().flat_map(|s| s.iter()) {
                    match f.path.first() {
                        Some(head) if !names[1..].contains(&head.as_str()) => {
                            names.push(head.as_str())
                        }
                        Some(_) => {}
                        None => whole = true,
                    }
                }
                DataPick {
                    names,
                    key: key.is_some(),
                    whole,
                }
            })
            .collect();
        m.identify_names = (m.slots.iter())
            .map(|a| ir.attribute(*a).name.as_str())
            .chain(ir.identity.anonymous_id.as_deref())
            .collect();
        Ok(m)
    }

    fn slot(&mut self, a: AttributeId) -> u16 {
        if let Some(s) = self.slot_of.get(&a) {
            return *s;
        }
        let s = self.slots.len() as u16;
        self.slots.push(a);
        self.slot_of.insert(a, s);
        s
    }

    /// The bit of a filter set on `event` (one per distinct set, the empty set included).
    fn bit(&mut self, event: EventId, filter: &'ir [Filter]) -> Result<Bit, ModelError> {
        self.read[event.0 as usize] = true;
        let sets = &mut self.sets[event.0 as usize];
        let key = |f: &[Filter]| -> Vec<(String, String)> {
            f.iter()
                .map(|f| (f.dotted(), format!("{:?}", f.ops)))
                .collect()
        };
        let k = key(filter);
        if let Some(i) = sets.iter().position(|s| key(s) == k) {
            return Ok(i as Bit);
        }
        if sets.len() >= MAX_FILTERS {
            return Err(ModelError(format!(
                "event `{}` is filtered {} different ways by segments and workflows; \
                 `trackc simulate` follows at most {MAX_FILTERS}",
                self.ir.event(event).name,
                sets.len() + 1
            )));
        }
        sets.push(filter);
        Ok((sets.len() - 1) as Bit)
    }

    fn cond(&mut self, c: &'ir Condition, segment: bool) -> Result<Cond<'ir>, ModelError> {
        Ok(match c {
            Condition::Event {
                event,
                filter,
                within,
                count,
                ..
            } => {
                let bit = self.bit(*event, filter)?;
                let i = self.conds.len() as u32;
                let keep = eval::count_enough(count);
                if (!segment || within.is_some()) && keep > MAX_COUNTED {
                    return Err(ModelError(format!(
                        "a condition on `{}` counts up to {}; `trackc simulate` follows \
                         counts up to {MAX_COUNTED} in a window or an exit",
                        self.ir.event(*event).name,
                        keep - 1
                    )));
                }
                let slides_true = !segment
                    && within.is_some()
                    && (0..keep)
                        .any(|n| eval::count_holds(count, n) && !eval::count_holds(count, n + 1));
                self.conds.push(EventCond {
                    event: *event,
                    bit,
                    window: within.map(|d| seconds(d.seconds())),
                    count,
                    keep: keep as usize,
                    exit_of: None,
                    slides_true,
                });
                if segment {
                    self.conds_of[event.0 as usize].push(i);
                } else {
                    self.exits_of[event.0 as usize].push(i);
                }
                Cond::Event(i)
            }
            Condition::Attribute { attribute, op, .. } => Cond::Attribute {
                slot: self.slot(*attribute),
                attribute: *attribute,
                op,
            },
            Condition::Segment { segment, .. } => Cond::Segment(*segment),
        })
    }

    /// The filter bits event data sets.
    pub(crate) fn bits(&self, event: EventId, data: &serde_json::Value) -> u64 {
        let mut bits = 0u64;
        for (i, set) in self.sets[event.0 as usize].iter().enumerate() {
            if eval::filters_hold(self.ir, set, data) {
                bits |= 1 << i;
            }
        }
        bits
    }
}

fn seconds(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 4).min(i64::MAX / 4)
}
