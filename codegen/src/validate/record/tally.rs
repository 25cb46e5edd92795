//! A worker's accounting: records and invalid records, and the violations of each
//! (event, code) group kept in detail or counted.

use super::super::ViolationLevel;
use super::super::promises::KeyUse;
use super::{Detail, EventGroup, Omitted, Summary, Violation, Worker, bounds};
use crate::rules::TrafficRule;

/// How many violations of one (event, code) group a chunk kept and counted.
#[derive(Clone, Copy, Default)]
pub(super) struct Tally {
    kept: u64,
    omitted: u64,
}

pub(super) type GroupKey = (EventGroup, TrafficRule);

/// Whether a violation of `code` in a record of `event` belongs to the group `key`.
fn same_group(key: &GroupKey, event: Option<&str>, code: TrafficRule) -> bool {
    key.1 == code
        && match (&key.0, event) {
            (EventGroup::Named(k), Some(ev)) => k.as_str() == bounds::clip(ev, bounds::NAME_CHARS),
            (EventGroup::None, None) => true,
            _ => false,
        }
}

impl Worker<'_> {
    /// Keep at most `limit` violations in detail in the next chunk ([`Detail::First`]).
    pub fn set_limit(&mut self, limit: usize) {
        if let Detail::First(n) = self.detail {
            self.limit = n.min(limit);
        }
    }

    pub fn summary(&self) -> Summary {
        Summary {
            records: self.records,
            valid: self.records - self.invalid,
            invalid: self.invalid,
        }
    }

    /// Reset the counts (the engine takes them per chunk).
    pub fn take_summary(&mut self) -> Summary {
        let s = self.summary();
        self.records = 0;
        self.invalid = 0;
        s
    }

    /// The chunk's violations that were counted, not kept (in a stable order); the next
    /// chunk starts its groups afresh.
    pub fn take_omitted(&mut self) -> Vec<Omitted> {
        self.index.clear();
        self.last = None;
        let mut out: Vec<Omitted> = self
            .groups
            .drain(..)
            .filter(|(_, t, _)| t.omitted > 0)
            .map(|((event, code), t, _)| Omitted {
                event,
                code,
                count: t.omitted,
            })
            .collect();
        out.sort_by(|a, b| (&a.event, a.code).cmp(&(&b.event, b.code)));
        out
    }

    /// The line parsed (or is one invalid record): its counts join the chunk's.
    pub(super) fn commit_line(&mut self) {
        for i in self.touched.drain(..) {
            let (_, chunk, line) = &mut self.groups[i];
            chunk.kept += line.kept;
            chunk.omitted += line.omitted;
            *line = Tally::default();
        }
    }

    /// The group of a violation of `code` in a record of `event`.
    fn group(&mut self, event: Option<&str>, code: TrafficRule) -> usize {
        if let Some(i) = self.last
            && same_group(&self.groups[i].0, event, code)
        {
            return i;
        }
        // A chunk has few groups, usually: a scan costs less than hashing the key.
        if self.groups.len() <= 16
            && let Some(i) = self
                .groups
                .iter()
                .position(|(k, ..)| same_group(k, event, code))
        {
            self.last = Some(i);
            return i;
        }
        let mut key = (EventGroup::of(event), code);
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                if self.groups.len() >= bounds::CHUNK_GROUPS {
                    key.0 = EventGroup::Others;
                }
                match self.index.get(&key) {
                    Some(&i) => i,
                    None => {
                        self.groups
                            .push((key.clone(), Tally::default(), Tally::default()));
                        self.index.insert(key, self.groups.len() - 1);
                        self.groups.len() - 1
                    }
                }
            }
        };
        self.last = Some(i);
        i
    }

    /// Close one record: its findings become violations (at the contract's level for
    /// each rule: silenced ones dropped, warnings leaving the record valid).
    pub(super) fn finish_record(&mut self, index: Option<u32>, event: Option<&str>) {
        self.records += 1;
        self.cx.captured = Default::default();
        let mut valid = true;
        if !self.cx.found.is_empty() {
            // Through a spare vector, so that neither loses its capacity.
            let mut found = std::mem::take(&mut self.spare);
            std::mem::swap(&mut found, &mut self.cx.found);
            let v = self.cx.v;
            for f in found.drain(..) {
                let Some(level) = v.level(f.code) else {
                    continue;
                };
                valid &= !level.is_error();
                self.report(index, event, f.path, (f.code, level), f.message, f.hint);
            }
            self.spare = found;
            if !valid {
                self.invalid += 1;
            }
        }
        if let Some(u) = self.key_use.take() {
            self.keys.push(KeyUse {
                line: self.line_no,
                index,
                valid,
                ..u
            });
        }
    }

    /// One violation: kept in detail (cut to [`bounds`]) or counted in its group.
    #[cold]
    pub(super) fn report(
        &mut self,
        index: Option<u32>,
        event: Option<&str>,
        mut path: String,
        (code, level): (TrafficRule, ViolationLevel),
        mut message: String,
        mut hint: Option<String>,
    ) {
        if let Some(e) = &mut self.errors
            && level.is_error()
            && e.last() != Some(&(index, code))
        {
            e.push((index, code));
        }
        let i = self.group(event, code);
        let (key, chunk, line) = &mut self.groups[i];
        let keep = match self.detail {
            Detail::First(_) => self.pending.len() < self.limit,
            Detail::PerGroup(n) => chunk.kept + line.kept < n as u64,
        };
        if line.kept == 0 && line.omitted == 0 {
            self.touched.push(i);
        }
        if !keep {
            line.omitted += 1;
            return;
        }
        line.kept += 1;
        let event = match &key.0 {
            EventGroup::Named(e) => Some(e.clone()),
            _ => event.map(|e| bounds::clip(e, bounds::NAME_CHARS).into_owned()),
        };
        bounds::clip_string(&mut path, bounds::PATH_CHARS);
        bounds::clip_string(&mut message, bounds::MESSAGE_CHARS);
        if let Some(h) = &mut hint {
            bounds::clip_string(h, bounds::HINT_CHARS);
        }
        self.pending.push(Violation {
            line: self.line_no,
            index,
            event,
            path,
            code,
            level,
            message,
            hint,
        });
    }
}
