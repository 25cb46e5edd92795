//! `trackc simulate`: replay captured traffic through the contract's people model —
//! identity, segments over time, workflows, the data promises — and report what would
//! have happened (docs/simulate.md; the meaning of every part is docs/semantics.md).
//!
//! Two phases. **Reading** ([`Simulator::feed_line`]): every line is judged by the
//! validator first; records it rejects are counted and listed, not simulated. The rest
//! become compact records: the profile (an index), the time, the event with one bit per
//! `where` filter set of the contract ([`model`]) instead of its data, and only the
//! attributes a condition reads. **Running** ([`Simulator::finish`]): records in time
//! order, merged with the timers of sliding windows and waiting journeys ([`run`]).
//! Conditions are evaluated by `analysis::eval`, the one definition of what they mean.
//!
//! Memory: per profile (identifiers, attributes read, open windows, journeys) plus one
//! compact record per operation (about 80 bytes: time order needs them all before the
//! first is run); no line or event data is kept.

mod model;
mod read;
mod report;
mod run;

use std::collections::HashMap;

use serde_json::Value;

use crate::ir::{EventId, Ir};
use crate::validate::{Validator, ViolationLevel, bounds as vbounds};
pub use model::{MAX_FILTERS, ModelError};
pub use read::IdKind;
pub use report::*;

/// What a run keeps besides counts.
pub mod bounds {
    /// Entries of each list in the report (counts stay exact).
    pub const MAX_LISTED: usize = 1000;
    /// Samples of segment membership over time.
    pub const SAMPLES: usize = 48;
    /// Profiles followed; operations for further ones are counted as rejected.
    pub const MAX_PROFILES: usize = 1 << 24;
    /// Operations kept for the run (about 80 bytes each).
    pub const MAX_OPERATIONS: usize = 1 << 27;
}

/// `--from` / `--until` (Unix seconds).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Records before it build up the state (history, attributes, membership) but start
    /// no journey and are not counted.
    pub from: Option<i64>,
    /// Records after it are not read; the simulation ends there.
    pub until: Option<i64>,
}

/// Profiles by identifier: one per (kind, value), as Customer.io keeps them.
#[derive(Default)]
pub(crate) struct Directory {
    /// Per kind (by `IdKind as usize`): value → profile.
    by_key: [HashMap<Box<str>, u32>; 5],
    pub keys: Vec<(IdKind, Box<str>)>,
}

impl Directory {
    pub fn get(&self, kind: IdKind, value: &str) -> Option<u32> {
        let value = vbounds::clip(value, vbounds::NAME_CHARS);
        self.by_key[kind as usize].get(&*value).copied()
    }

    fn intern(&mut self, kind: IdKind, value: &str) -> Option<u32> {
        if let Some(i) = self.get(kind, value) {
            return Some(i);
        }
        if self.keys.len() >= bounds::MAX_PROFILES {
            return None;
        }
        let i = self.keys.len() as u32;
        let value: Box<str> = vbounds::clip(value, vbounds::NAME_CHARS).into();
        self.keys.push((kind, value.clone()));
        self.by_key[kind as usize].insert(value, i);
        Some(i)
    }

    /// `id:cus_1`, `email:jane@example.com`.
    pub fn show(&self, p: u32) -> String {
        let (k, v) = &self.keys[p as usize];
        format!("{}:{v}", k.as_str())
    }
}

/// One operation, compact.
pub(crate) struct Rec {
    pub time: i64,
    /// When the capture received it ([`NO_TIME`] when unknown).
    pub recv: i64,
    pub line: u64,
    /// Index in a batch ([`u32::MAX`] for none).
    pub index: u32,
    pub person: u32,
    pub body: Body,
}

pub(crate) const NO_TIME: i64 = i64::MIN;

pub(crate) enum Body {
    Event {
        event: EventId,
        bits: u64,
        /// Hashes of the event `id` and of the idempotency key (0: none).
        id: u64,
        key: u64,
        revenue: f64,
    },
    Identify(Box<[(u16, Option<Value>)]>),
    /// This profile is merged into the record's person.
    Merge(u32),
    Other,
}

/// Reads lines, then runs them ([`Simulator::finish`]).
pub struct Simulator<'a> {
    model: model::Model<'a>,
    validator: &'a Validator,
    opts: Options,
    dir: Directory,
    recs: Vec<Rec>,
    report: Report,
    /// The time of the last line that had one (for lines with neither timestamp nor
    /// `received_at`).
    last_time: i64,
    /// Per profile: the latest record time read (out-of-order records).
    latest: Vec<i64>,
}

/// Violations of records Customer.io accepts all the same: about how the record is sent,
/// not what it says.
fn accepted(code: crate::rules::TrafficRule) -> bool {
    use crate::validate::codes;
    [
        codes::IDENTIFIED_BY_EMAIL,
        codes::IDENTIFIED_BY_PHONE,
        codes::FORBIDDEN_BACKFILL,
        codes::MISSING_EVENT_ID,
    ]
    .contains(&code)
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // A fixed hasher: reports are the same on every run.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish().max(1)
}

impl<'a> Simulator<'a> {
    pub fn new(ir: &'a Ir, validator: &'a Validator, opts: Options) -> Result<Self, ModelError> {
        Ok(Simulator {
            model: model::Model::new(ir)?,
            validator,
            opts,
            dir: Directory::default(),
            recs: Vec::new(),
            report: Report::default(),
            last_time: 0,
            latest: Vec::new(),
        })
    }

    /// Read one line (numbered `line_no`, 1-based).
    pub fn feed_line(&mut self, line_no: u64, text: &[u8]) {
        let (summary, violations) = self.validator.validate_line(line_no, text);
        self.report.records += summary.records;
        self.report.rejected.count += summary.invalid;
        // Operations with an error of their own (a batch's by index; a line's error
        // without index rejects the whole line).
        let mut bad: Vec<Option<u32>> = Vec::new();
        // Operations whose only errors are about how they are sent (named by email or
        // phone, replayed though the contract forbids it, without an event id) reach
        // Customer.io all the same: they are simulated — the fragmentation, backfill
        // enrolments and double counts this report is for — and listed as rejected.
        for v in &violations {
            if v.level == ViolationLevel::Error && !accepted(v.code) && !bad.contains(&v.index) {
                bad.push(v.index);
            }
        }
        let mut listed: Vec<Option<u32>> = Vec::new();
        for v in violations {
            if v.level != ViolationLevel::Error || listed.contains(&v.index) {
                continue;
            }
            listed.push(v.index);
            let simulated = !(bad.contains(&v.index) || v.index.is_some() && bad.contains(&None));
            if self.report.rejected.listed.len() < bounds::MAX_LISTED {
                self.report.rejected.listed.push(RejectedRecord {
                    simulated,
                    line: v.line,
                    index: v.index,
                    event: v.event,
                    code: v.code,
                    message: v.message,
                });
            } else {
                self.report.truncated = true;
            }
        }
        let line = read::line(text.trim_ascii());
        let batch_bad = bad.contains(&None);
        for op in line.ops {
            if bad.contains(&op.index) || (batch_bad && op.index.is_some()) {
                continue;
            }
            self.operation(line_no, line.received_at, op);
        }
    }

    fn operation(&mut self, line: u64, received_at: Option<i64>, op: read::Op) {
        let time = op.timestamp.or(received_at).unwrap_or(self.last_time);
        self.last_time = time;
        if self.opts.until.is_some_and(|u| time > u) || self.recs.len() >= bounds::MAX_OPERATIONS {
            return;
        }
        let Some(who) = op.who else { return };
        let Some(person) = self.dir.intern(who.kind, &who.value) else {
            self.report.rejected.count += 1;
            return;
        };
        let m = &self.model;
        let mut extra = None;
        let body = match op.what {
            read::What::Event { name, data, id } => {
                match m.ir.events.binary_search_by(|e| e.name.as_str().cmp(&name)) {
                    Ok(i) => {
                        let event = EventId(i as u32);
                        let ev = m.ir.event(event);
                        let bits = if m.read[event.0 as usize] {
                            m.bits(event, &data)
                        } else {
                            0
                        };
                        let prop =
                            |p: Option<&crate::ir::Property>| p.and_then(|p| data.get(&p.name));
                        let key = prop(ev.idempotency_property())
                            .filter(|v| !v.is_null())
                            .map_or(0, |v| hash(&v.to_string()));
                        let revenue = prop(ev.properties.iter().find(|p| p.name == "revenue"))
                            .and_then(Value::as_f64)
                            .unwrap_or(f64::NAN);
                        Body::Event {
                            event,
                            bits,
                            id: id.as_deref().map_or(0, hash),
                            key,
                            revenue,
                        }
                    }
                    Err(_) => Body::Other,
                }
            }
            read::What::Identify { attributes } => {
                if let Some(anon) = m.ir.identity.anonymous_id.as_deref()
                    && let Some(a) = attributes.get(anon).and_then(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    && let Some(secondary) = self.dir.intern(IdKind::Anonymous, &a)
                {
                    extra = Some(Body::Merge(secondary));
                }
                let mut kept: Vec<(u16, Option<Value>)> = Vec::new();
                for (slot, a) in m.slots.iter().enumerate() {
                    let name = &m.ir.attribute(*a).name;
                    if let Some(v) = attributes.get(name) {
                        kept.push((slot as u16, (!v.is_null()).then(|| v.clone())));
                    }
                }
                Body::Identify(kept.into())
            }
            read::What::Merge { secondary } => {
                match self.dir.intern(secondary.kind, &secondary.value) {
                    Some(s) if s != person => Body::Merge(s),
                    _ => Body::Other,
                }
            }
            read::What::Other => Body::Other,
        };
        // Out of order: older than what the profile already sent.
        if self.latest.len() <= person as usize {
            self.latest.resize(person as usize + 1, i64::MIN);
        }
        let latest = &mut self.latest[person as usize];
        if time < *latest {
            self.report.out_of_order += 1;
            if self.report.out_of_order_list.len() < bounds::MAX_LISTED {
                self.report.out_of_order_list.push(OutOfOrder {
                    line,
                    person: self.dir.show(person),
                    behind: *latest - time,
                });
            } else {
                self.report.truncated = true;
            }
        }
        *latest = (*latest).max(time);
        self.report.simulated += 1;
        let index = op.index.unwrap_or(u32::MAX);
        let recv = received_at.unwrap_or(NO_TIME);
        self.recs.push(Rec {
            time,
            recv,
            line,
            index,
            person,
            body,
        });
        if let Some(body) = extra {
            self.recs.push(Rec {
                time,
                recv,
                line,
                index,
                person,
                body,
            });
        }
    }

    /// Run the records read, in time order, and report.
    pub fn finish(self) -> Report {
        run::run(self)
    }
}

#[cfg(test)]
mod tests;
