//! The people model in time order: records (sorted by time, then line) merged with
//! timers (a window sliding past an event — a segment condition's, or the exit of a
//! waiting journey that can turn true by time —, a journey's message falling due). At
//! one moment, records come before timers; one record is applied, then segments are
//! re-evaluated, then waiting journeys check their exits, then triggers start journeys,
//! which check their exits at once; a window's timer re-evaluates the same way
//! (docs/semantics.md, "Evaluation order").

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use serde_json::Value;
use trackc_wire::time::format_date_time;

use super::duplicates::{Verdict, Verdicts};
use super::model::{Cond, Model, TriggerPlan};
use super::report::*;
use super::{Body, Directory, IdKind, NO_TIME, Performed, Rec, Simulator, bounds, push_listed};
use crate::analysis::eval;
use crate::ir::SegmentId;

/// Customer.io triggers no campaign from an event older than this when it arrives.
const NO_TRIGGER_AFTER: i64 = 72 * 3600;

/// A condition's history for one person: how many matching events (no window), or
/// the times of the latest within the window — as many as decide the condition
/// ([`super::model::EventCond::keep`]), oldest first — and when the one timer of the
/// window falls due (it slides the oldest out, then is set for the next).
enum Hist {
    Count(u64),
    Times {
        ts: VecDeque<i64>,
        armed: Option<i64>,
    },
}

/// A record's place in time order: (time, line, index in a batch).
type At = (i64, u64, u32);

/// Segment `s`'s bit in membership words.
fn bit(words: &[u64], s: SegmentId) -> bool {
    let i = s.0 as usize;
    words.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

struct Journey {
    workflow: u32,
    trigger_line: u64,
    /// Where the trigger is in time order: an event exit counts only later records.
    trigger_at: At,
    due: i64,
    /// Exit events that reached Customer.io only after the message was due: they count
    /// for no exit check of this journey, and its message goes out ([`Engine::due`]).
    late: Vec<Late>,
    /// The segments those late events moved the person in or out of (membership words
    /// to flip): this journey's segment exits and its audience when due see the person's
    /// membership without their changes ([`Journey::member`]).
    unseen: Option<Box<[u64]>>,
}

impl Journey {
    /// Whether an exit event at `a` counts for this journey: after its trigger, and not
    /// one that arrived after its message ([`Journey::late`]).
    fn counts(&self, a: &At) -> bool {
        *a > self.trigger_at && !self.late.iter().any(|l| l.at == *a)
    }

    /// Whether the person is in `s` as this journey sees it: `members` without the
    /// changes of the late events ([`Journey::unseen`]).
    fn member(&self, members: &[u64], s: SegmentId) -> bool {
        bit(members, s) ^ self.unseen.as_deref().is_some_and(|u| bit(u, s))
    }
}

/// An exit event that made an exit of a journey hold, but arrived after its message.
struct Late {
    at: At,
    recv: i64,
    exit: usize,
}

/// A message that went out, kept (the last per workflow) for merges that arrive later.
struct Sent {
    workflow: u32,
    trigger_line: u64,
    trigger_at: At,
    due: i64,
    /// Per exit condition of the workflow (empty for other than event exits): the
    /// person's own matching events between the trigger and the message, the latest
    /// [`super::model::EventCond::keep`]. A merge adds the secondary's to them.
    exits: Vec<Vec<At>>,
}

/// Insert `at` into the time-ordered `list`, keeping only its latest `keep` entries.
fn remember(list: &mut Vec<At>, at: At, keep: usize) {
    let i = list.partition_point(|x| *x <= at);
    list.insert(i, at);
    if list.len() > keep {
        list.drain(..list.len() - keep);
    }
}

/// An exit condition's history for one person.
struct ExitHist {
    /// Index into `Model::conds`.
    cond: u32,
    /// The latest matching events, time-ordered, at most the condition's `keep`.
    events: Vec<At>,
    /// When the timer of a condition that can turn true by time alone
    /// ([`super::model::EventCond::slides_true`]) falls due: the next moment an event
    /// after the waiting journey's trigger slides out of the window. One at a time, set
    /// only while a journey of its workflow waits.
    armed: Option<i64>,
}

impl ExitHist {
    /// The next moment after `now` an event after `trigger` slides out of a window `w`.
    fn next_slide(&self, trigger: At, w: i64, now: i64) -> Option<i64> {
        (self.events.iter())
            .filter(|a| **a > trigger)
            .map(|a| a.0.saturating_add(w))
            .find(|&x| x > now)
    }
}

/// The latest time a profile performed a conversion event (one of each: a person's
/// records cannot grow it).
#[derive(Clone, Copy)]
struct Seen {
    event: u32,
    at: At,
}

#[derive(Default)]
struct Person {
    /// Merged into this profile (itself when not merged).
    root: Option<u32>,
    attrs: Vec<(u16, Value)>,
    hist: Vec<(u32, Hist)>,
    /// Per exit condition: the latest matching events, as many as decide it. A journey
    /// reads those after its trigger; a merge joins them.
    exits: Vec<ExitHist>,
    members: Vec<u64>,
    journeys: Vec<Journey>,
    sent: Vec<Sent>,
    seen: Vec<Seen>,
    active: bool,
}

impl Person {
    fn attr(&self, slot: u16) -> Option<&Value> {
        self.attrs.iter().find(|(s, _)| *s == slot).map(|(_, v)| v)
    }

    fn is_member(&self, s: SegmentId) -> bool {
        bit(&self.members, s)
    }

    fn exit_events(&self, c: u32) -> &[At] {
        self.exits
            .iter()
            .find(|x| x.cond == c)
            .map_or(&[], |x| x.events.as_slice())
    }

    fn exit_hist_mut(&mut self, c: u32) -> &mut ExitHist {
        match self.exits.iter().position(|x| x.cond == c) {
            Some(i) => &mut self.exits[i],
            None => {
                self.exits.push(ExitHist {
                    cond: c,
                    events: Vec::new(),
                    armed: None,
                });
                self.exits.last_mut().expect("pushed")
            }
        }
    }

    /// The trigger of the journey waiting on exit condition `cond` when that exit can
    /// turn true by time alone (its window timers are set only then).
    fn waiting_by_time(&self, cond: &super::model::EventCond<'_>) -> Option<At> {
        cond.slides_true
            .then(|| self.waiting(cond.exit_of))
            .flatten()
    }

    /// The trigger of the waiting journey of workflow `w`, if one waits.
    fn waiting(&self, w: Option<u32>) -> Option<At> {
        let w = w?;
        self.journeys
            .iter()
            .find(|j| j.workflow == w)
            .map(|j| j.trigger_at)
    }

    fn see(&mut self, s: Seen) {
        match self.seen.iter_mut().find(|x| x.event == s.event) {
            Some(x) if x.at <= s.at => *x = s,
            Some(_) => {}
            None => self.seen.push(s),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Window,
    Due,
}

struct Engine<'a> {
    m: Model<'a>,
    dir: Directory,
    people: Vec<Person>,
    timers: BinaryHeap<Reverse<(i64, Timer, u32)>>,
    r: Report,
    from: i64,
    /// Current members per segment.
    counts: Vec<u64>,
    /// Per segment and workflow (by index; into the report's maps by name at the end).
    seg_stats: Vec<SegmentStats>,
    wf_stats: Vec<WorkflowStats>,
    /// The second and later uses of idempotency keys, found before the run
    /// ([`super::duplicates`]), taken as their records come.
    verdicts: Verdicts,
    samples: Vec<i64>,
    next_sample: usize,
    scratch: Vec<u8>,
    /// Reused per evaluation: the membership words, the segments entered.
    words: Vec<u64>,
    /// The person's membership before the record being settled ([`Self::settle`]).
    before: Vec<u64>,
    entered: Vec<SegmentId>,
}

/// Records the merging thread hands the people model at a time.
const MERGE_BATCH: usize = 4096;

pub(super) fn run(sim: Simulator<'_>) -> std::io::Result<Report> {
    let Simulator { model, intake, .. } = sim;
    let super::Intake {
        dir,
        recs,
        keys,
        mut report,
        opts,
        ..
    } = intake;
    let verdicts = super::duplicates::verdicts(keys)?;
    let start = recs.least.map(|(time, ..)| time);
    let end = opts.until.or(recs.greatest.map(|(time, ..)| time));
    let mut recs = recs.into_sorted()?;
    report.start = start;
    report.end = end;
    for u in &mut report.unattributed_list {
        u.event = u.event_id.map(|e| model.ir.event(e).name.clone());
    }
    let n_seg = model.ir.segments.len();
    let samples = match (start, end) {
        (Some(s), Some(e)) if e > s => (0..=bounds::SAMPLES as i64)
            .map(|i| {
                let step = (e as i128 - s as i128) * i as i128 / bounds::SAMPLES as i128;
                (s as i128 + step) as i64
            })
            .collect(),
        (Some(s), _) => vec![s],
        _ => Vec::new(),
    };
    let mut eng = Engine {
        people: (0..dir.keys.len()).map(|_| Person::default()).collect(),
        dir,
        timers: BinaryHeap::new(),
        r: report,
        from: opts.from.unwrap_or(i64::MIN),
        counts: vec![0; n_seg],
        seg_stats: vec![SegmentStats::default(); n_seg],
        wf_stats: Vec::new(),
        verdicts,
        samples,
        next_sample: 0,
        scratch: Vec::new(),
        words: Vec::new(),
        before: Vec::new(),
        entered: Vec::new(),
        m: model,
    };
    for i in 0..eng.m.ir.workflows.len() {
        let mut stats = WorkflowStats::default();
        for t in &eng.m.workflows[i].exit_text {
            stats.exits.insert(t.clone(), 0);
        }
        eng.wf_stats.push(stats);
    }
    // The merge of the sorted runs (reading them back, decoding records) runs on a thread
    // of its own, a batch ahead of the people model: the model is the one thread that
    // must see every record in order.
    std::thread::scope(|scope| -> std::io::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<Rec>>>(4);
        scope.spawn(move || {
            loop {
                let mut batch = Vec::with_capacity(MERGE_BATCH);
                let end = loop {
                    match recs.next() {
                        Ok(Some(r)) => batch.push(r),
                        Ok(None) => break true,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                    if batch.len() == MERGE_BATCH {
                        break false;
                    }
                };
                if !batch.is_empty() && tx.send(Ok(batch)).is_err() || end {
                    // Done, or the model stopped: the runs are closed (and removed) here.
                    return;
                }
            }
        });
        for batch in rx {
            for rec in batch? {
                eng.timers_before(rec.time, false);
                eng.sample_until(rec.time, false);
                eng.record(rec);
            }
        }
        Ok(())
    })?;
    if let Some(end) = end {
        eng.timers_before(end, true);
        eng.sample_until(end, true);
    }
    Ok(eng.finish())
}

impl Engine<'_> {
    fn root(&mut self, mut p: u32) -> u32 {
        while let Some(r) = self.people[p as usize].root {
            if r == p {
                break;
            }
            // Path halving.
            if let Some(rr) = self.people[r as usize].root
                && rr != r
            {
                self.people[p as usize].root = Some(rr);
            }
            p = r;
        }
        p
    }

    fn sample_until(&mut self, t: i64, inclusive: bool) {
        while let Some(&at) = self.samples.get(self.next_sample) {
            if at > t || (at == t && !inclusive) {
                break;
            }
            self.next_sample += 1;
            self.r.membership.times.push(at);
            for (i, s) in self.m.ir.segments.iter().enumerate() {
                let c = self.counts[i];
                self.r
                    .membership
                    .segments
                    .entry(s.name.clone())
                    .or_default()
                    .push(c);
            }
        }
    }

    /// Fire the timers before `t` (at `t` too when `inclusive`).
    fn timers_before(&mut self, t: i64, inclusive: bool) {
        while let Some(&Reverse((at, kind, p))) = self.timers.peek() {
            if at > t || (at == t && !inclusive) {
                break;
            }
            self.timers.pop();
            self.sample_until(at, false);
            let p = self.root(p);
            self.settle(p, at, None, true);
            self.rearm(p, at);
            if kind == Timer::Due {
                self.due(p, at);
            }
        }
    }

    /// After `p`'s timers at `at` (its windows slid, [`Self::settle`]): each window whose
    /// timer fell due sets it for its new oldest event, if any; each exit's, for the next
    /// event to slide out while its journey still waits.
    fn rearm(&mut self, p: u32, at: i64) {
        let person = &mut self.people[p as usize];
        for i in 0..person.exits.len() {
            let h = &person.exits[i];
            if h.armed.is_none_or(|x| x > at) {
                continue;
            }
            let cond = &self.m.conds[h.cond as usize];
            let next = (person.waiting(cond.exit_of))
                .zip(cond.window)
                .and_then(|(trigger, w)| h.next_slide(trigger, w, at));
            person.exits[i].armed = next;
            if let Some(next) = next {
                self.timers.push(Reverse((next, Timer::Window, p)));
            }
        }
        for (c, h) in &mut self.people[p as usize].hist {
            if let Hist::Times { ts, armed } = h
                && armed.is_some_and(|x| x <= at)
            {
                *armed = None;
                if let (Some(&oldest), Some(w)) = (ts.front(), self.m.conds[*c as usize].window) {
                    // Later than `at`: settling dropped every time up to `at - w` (unless
                    // the sum saturated: a timer at `at` again would never end).
                    let next = oldest.saturating_add(w);
                    if next > at {
                        *armed = Some(next);
                        self.timers.push(Reverse((next, Timer::Window, p)));
                    }
                }
            }
        }
    }

    fn record(&mut self, rec: Rec) {
        let p = self.root(rec.person);
        self.people[p as usize].active = true;
        let t = rec.time;
        // Whether what the segments read changed (else their membership is the one
        // settled last, [`Self::settle`]).
        let mut changed = true;
        match &rec.body {
            Body::Event(Performed {
                event,
                bits,
                id: _,
                key,
                revenue,
            }) => {
                let e = event.0;
                match (*key != 0)
                    .then(|| self.verdicts.remove(&(rec.line, rec.index)))
                    .flatten()
                {
                    None => {}
                    // Before `--from` a record only builds up state: not counted.
                    Some(Verdict::Duplicate { .. }) if t < self.from => {}
                    Some(Verdict::Duplicate { first_line }) => {
                        self.r.duplicates += 1;
                        let rev = (!revenue.is_nan()).then_some(*revenue);
                        self.r.duplicate_revenue += rev.unwrap_or(0.0);
                        let d = Duplicate {
                            line: rec.line,
                            first_line,
                            event: self.m.ir.events[e as usize].name.clone(),
                            person: self.dir.show(p),
                            revenue: rev,
                        };
                        push_listed(&mut self.r.duplicate_list, &mut self.r.truncated, || d);
                    }
                    // A retry with the same event id: Customer.io keeps one.
                    Some(Verdict::Retry) => return,
                }
                changed = false;
                for &c in &self.m.conds_of[e as usize] {
                    let cond = &self.m.conds[c as usize];
                    if bits >> cond.bit & 1 == 0 {
                        continue;
                    }
                    changed = true;
                    let person = &mut self.people[p as usize];
                    let h = match person.hist.iter_mut().find(|(i, _)| *i == c) {
                        Some((_, h)) => h,
                        None => {
                            person.hist.push((
                                c,
                                match cond.window {
                                    Some(_) => Hist::Times {
                                        ts: VecDeque::new(),
                                        armed: None,
                                    },
                                    None => Hist::Count(0),
                                },
                            ));
                            &mut person.hist.last_mut().expect("pushed").1
                        }
                    };
                    match h {
                        Hist::Count(n) => *n += 1,
                        Hist::Times { ts, armed } => {
                            // Records come in time order: `t` is the latest.
                            ts.push_back(t);
                            if ts.len() > cond.keep {
                                ts.pop_front();
                            }
                            if armed.is_none()
                                && let (Some(&oldest), Some(w)) = (ts.front(), cond.window)
                            {
                                let at = oldest.saturating_add(w);
                                *armed = Some(at);
                                self.timers.push(Reverse((at, Timer::Window, p)));
                            }
                        }
                    }
                }
                if self.m.conversions[e as usize] {
                    self.people[p as usize].see(Seen {
                        event: e,
                        at: (t, rec.line, rec.index),
                    });
                }
                // Exit histories: a waiting journey counts those after its trigger.
                let at = (t, rec.line, rec.index);
                for &c in &self.m.exits_of[e as usize] {
                    let cond = &self.m.conds[c as usize];
                    if bits >> cond.bit & 1 == 1 {
                        let person = &mut self.people[p as usize];
                        // The journey waiting on this exit, if it can turn true by time.
                        let waiting = person.waiting_by_time(cond);
                        let h = person.exit_hist_mut(c);
                        remember(&mut h.events, at, cond.keep);
                        // This event slides out at `t + w`; an earlier timer is set for an
                        // earlier event, and walks on to this one.
                        if let (Some(_), Some(w), None) = (waiting, cond.window, h.armed) {
                            let due = t.saturating_add(w);
                            h.armed = Some(due);
                            self.timers.push(Reverse((due, Timer::Window, p)));
                        }
                    }
                }
            }
            Body::Identify(attrs) => {
                changed = !attrs.is_empty();
                let person = &mut self.people[p as usize];
                for (slot, v) in attrs.iter() {
                    person.attrs.retain(|(s, _)| s != slot);
                    if let Some(v) = v {
                        person.attrs.push((*slot, v.clone()));
                    }
                }
            }
            Body::Merge(secondary) => {
                let s = self.root(*secondary);
                if s != p {
                    self.merge(s, p, &rec);
                }
            }
            Body::Other => changed = false,
        }
        self.settle(p, t, Some(&rec), changed);
    }

    /// Profile `s` merged into `p` (Customer.io keeps the primary; the secondary's
    /// history and attributes join it).
    fn merge(&mut self, s: u32, p: u32, rec: &Rec) {
        let sec = std::mem::take(&mut self.people[s as usize]);
        self.people[s as usize].root = Some(p);
        for (i, seg) in self.m.ir.segments.iter().enumerate() {
            let _ = seg;
            if sec.is_member(SegmentId(i as u32)) {
                self.counts[i] = self.counts[i].saturating_sub(1);
            }
        }
        for j in &sec.journeys {
            if let Some(w) = self.stats(j.workflow) {
                w.merged_away += 1;
            }
        }
        // Messages already sent that an exit under the secondary should have stopped:
        // the merge came too late.
        let sent = std::mem::take(&mut self.people[p as usize].sent);
        for x in &sent {
            let own = |k: usize| x.exits.get(k).map_or(&[][..], Vec::as_slice);
            if let Some((k, at, event)) = self.exit_with(x.workflow, own, &sec, x.trigger_at, x.due)
            {
                let why = format!(
                    "`{}` on line {} was sent for `{}`, which a merge on line {} joined to `{}` only after the message went out",
                    self.m.ir.events[event as usize].name,
                    at.1,
                    self.dir.show(s),
                    rec.line,
                    self.dir.show(p)
                );
                self.missed(
                    x.workflow,
                    p,
                    x.trigger_line,
                    x.due,
                    k,
                    Reason::DifferentIdentifier,
                    why,
                    at.1,
                );
            }
        }
        self.people[p as usize].sent = sent;
        let person = &mut self.people[p as usize];
        for (slot, v) in sec.attrs {
            if person.attr(slot).is_none() {
                person.attrs.push((slot, v));
            }
        }
        for (c, h) in sec.hist {
            match person.hist.iter_mut().find(|(i, _)| *i == c) {
                // Its window's timer, set for the secondary, fires for the person.
                None => person.hist.push((c, h)),
                Some((_, mine)) => match (mine, h) {
                    (Hist::Count(a), Hist::Count(b)) => *a += b,
                    (Hist::Times { ts: a, armed }, Hist::Times { ts: b, .. }) => {
                        let cond = &self.m.conds[c as usize];
                        // Without the times that slid out before the merge, so that the
                        // timer below is later than it.
                        let since = cond.window.map_or(i64::MIN, |w| rec.time.saturating_sub(w));
                        let mut all: Vec<i64> =
                            a.drain(..).chain(b).filter(|&x| x > since).collect();
                        all.sort_unstable();
                        let drop = all.len().saturating_sub(cond.keep);
                        a.extend(all.into_iter().skip(drop));
                        // The oldest may now be older than the timer set for the person.
                        if let (Some(&oldest), Some(w)) = (a.front(), cond.window) {
                            let at = oldest.saturating_add(w);
                            if armed.is_none_or(|x| at < x) {
                                *armed = Some(at);
                                self.timers.push(Reverse((at, Timer::Window, p)));
                            }
                        }
                    }
                    _ => {}
                },
            }
        }
        for x in &sec.seen {
            person.see(*x);
        }
        // The secondary's exit events join the person's: waiting journeys count those
        // after their trigger when they check their exits, at the merge.
        for x in sec.exits {
            let cond = &self.m.conds[x.cond as usize];
            let waiting = person.waiting_by_time(cond);
            let mine = person.exit_hist_mut(x.cond);
            for at in x.events {
                remember(&mut mine.events, at, cond.keep);
            }
            // A joined event may slide out before the timer set for the person's own.
            if let (Some(trigger), Some(w)) = (waiting, cond.window)
                && let Some(next) = mine.next_slide(trigger, w, rec.time)
                && mine.armed.is_none_or(|x| next < x)
            {
                mine.armed = Some(next);
                self.timers.push(Reverse((next, Timer::Window, p)));
            }
        }
        person.active |= sec.active;
    }

    fn stats(&mut self, w: u32) -> Option<&mut WorkflowStats> {
        self.wf_stats.get_mut(w as usize)
    }

    /// Would an event exit of workflow `w` have held between a trigger at `from` and a
    /// message at `to`, had `other`'s events been the person's? `own(k)`: the person's
    /// own events of exit `k` in that span (they alone did not stop the message). The
    /// exit is checked at each of `other`'s events in the span and at `to`, counting the
    /// events of both in its window; the first exit that holds, the event of `other` that
    /// made it, and that event's id.
    fn exit_with<'o>(
        &self,
        w: u32,
        own: impl Fn(usize) -> &'o [At],
        other: &Person,
        from: At,
        to: i64,
    ) -> Option<(usize, At, u32)> {
        let plan = &self.m.workflows[w as usize];
        for (k, c) in plan.exits.iter().enumerate() {
            let Cond::Event(ci) = c else { continue };
            let cond = &self.m.conds[*ci as usize];
            let mut theirs: Vec<At> = other
                .exit_events(*ci)
                .iter()
                .copied()
                .filter(|a| *a > from && a.0 <= to)
                .collect();
            if theirs.is_empty() {
                continue;
            }
            theirs.sort_unstable();
            let mut all: Vec<At> = own(k)
                .iter()
                .copied()
                .chain(theirs.iter().copied())
                .collect();
            all.sort_unstable();
            // Both sorted: each moment counts by two searches, not a scan (a `count` of
            // thousands would make it quadratic per message).
            let upto = |v: &[At], t: i64| v.partition_point(|a| a.0 <= t);
            let moments = theirs.iter().map(|a| a.0).chain([to]);
            for u in moments {
                let since = cond.window.map_or(i64::MIN, |d| u.saturating_sub(d));
                let n = (upto(&all, u) - upto(&all, since)) as u64;
                if eval::count_holds(cond.count, n) {
                    // The latest of `other`'s events up to that moment made it hold.
                    let by = theirs[..upto(&theirs, u)].last().copied();
                    if let Some(by) = by {
                        return Some((k, by, cond.event.0));
                    }
                }
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn missed(
        &mut self,
        w: u32,
        p: u32,
        trigger_line: u64,
        sent_at: i64,
        exit: usize,
        reason: Reason,
        why: String,
        event_line: u64,
    ) {
        let plan = &self.m.workflows[w as usize];
        let missed_exit = plan
            .exit_text
            .get(exit)
            .cloned()
            .unwrap_or_else(|| why.split('`').nth(1).unwrap_or_default().to_owned());
        if let Some(s) = self.stats(w) {
            s.sent_after_conversion += 1;
        }
        let m = Missed {
            workflow: self.m.ir.workflows[w as usize].name.clone(),
            person: self.dir.show(p),
            trigger_line,
            sent_at,
            missed_exit,
            reason,
            why,
            event_line,
        };
        push_listed(
            &mut self.r.sent_after_conversion,
            &mut self.r.truncated,
            || m,
        );
    }

    /// Does condition `c` hold for `p` at `t`? (`journey`: an exit's own event history.)
    fn holds(&self, p: u32, c: &Cond<'_>, t: i64, journey: Option<(&Journey, usize)>) -> bool {
        let person = &self.people[p as usize];
        match c {
            Cond::Event(ci) => {
                let cond = &self.m.conds[*ci as usize];
                let from = cond.window.map_or(i64::MIN, |w| t.saturating_sub(w));
                let n = match journey {
                    // An exit counts the events after the trigger (the latest that
                    // decide it).
                    Some((j, _)) => person
                        .exit_events(*ci)
                        .iter()
                        .filter(|a| j.counts(a) && a.0 > from && a.0 <= t)
                        .count() as u64,
                    None => match person.hist.iter().find(|(i, _)| i == ci) {
                        None => 0,
                        Some((_, Hist::Count(n))) => *n,
                        Some((_, Hist::Times { ts, .. })) => {
                            ts.iter().filter(|&&x| x > from && x <= t).count() as u64
                        }
                    },
                };
                eval::count_holds(cond.count, n)
            }
            Cond::Attribute {
                slot,
                attribute,
                op,
            } => eval::op_holds(
                self.m.ir,
                &self.m.ir.attribute(*attribute).ty,
                op,
                person.attr(*slot),
            ),
            Cond::Segment(s) => match journey {
                Some((j, _)) => j.member(&person.members, *s),
                None => person.is_member(*s),
            },
        }
    }

    /// Membership of every segment for `p` at `t` (nested segments first), into
    /// `self.words`.
    fn membership(&mut self, p: u32, t: i64) {
        // Drop window entries that slid out.
        let person = &mut self.people[p as usize];
        for (c, h) in &mut person.hist {
            if let (Hist::Times { ts, .. }, Some(w)) = (h, self.m.conds[*c as usize].window) {
                while ts.front().is_some_and(|&x| x <= t.saturating_sub(w)) {
                    ts.pop_front();
                }
            }
        }
        let n = self.m.ir.segments.len();
        let mut state = std::mem::take(&mut self.scratch);
        state.clear();
        state.resize(n, 0);
        for s in 0..n {
            self.eval_segment(p, s, t, &mut state);
        }
        self.words.clear();
        self.words.resize(n.div_ceil(64), 0);
        for (s, v) in state.iter().enumerate() {
            if *v == 3 {
                self.words[s / 64] |= 1 << (s % 64);
            }
        }
        self.scratch = state;
    }

    /// 0 unknown, 1 being evaluated (a cycle, refused by the checker: false), 2 out, 3 in.
    fn eval_segment(&self, p: u32, s: usize, t: i64, state: &mut Vec<u8>) -> bool {
        match state[s] {
            2 => return false,
            3 => return true,
            1 => return false,
            _ => {}
        }
        state[s] = 1;
        let plan = &self.m.segments[s];
        let member = eval::member(&plan.all, &plan.any, &plan.none, |c| match c {
            Cond::Segment(x) => self.eval_segment(p, x.0 as usize, t, state),
            c => self.holds(p, c, t, None),
        });
        state[s] = if member { 3 } else { 2 };
        member
    }

    /// After something changed for `p` at `t`: segments, exits, triggers.
    ///
    /// `changed`: whether what segments read (event conditions' histories, attributes,
    /// a merge) may have changed since the person's last settle. If not, and no window
    /// of the person slides by `t` (its timer is due: timers before `t` have fired), every
    /// condition holds as it did then, and membership is not evaluated again.
    fn settle(&mut self, p: u32, t: i64, rec: Option<&Rec>, changed: bool) {
        let person = &self.people[p as usize];
        let sliding = || {
            (person.hist.iter())
                .any(|(_, h)| matches!(h, Hist::Times { armed: Some(x), .. } if *x <= t))
        };
        if changed || person.members.is_empty() || sliding() {
            self.membership(p, t);
        } else {
            self.words.clone_from(&person.members);
        }
        let counting = t >= self.from;
        let mut entered = std::mem::take(&mut self.entered);
        entered.clear();
        let old = &mut self.people[p as usize].members;
        self.before.clone_from(old);
        if *old != self.words {
            if old.len() < self.words.len() {
                old.resize(self.words.len(), 0);
            }
            for (w, (o, n)) in old.iter().zip(&self.words).enumerate() {
                let mut changed = o ^ n;
                while changed != 0 {
                    let b = changed.trailing_zeros() as usize;
                    changed &= changed - 1;
                    let s = w * 64 + b;
                    let is = n >> b & 1 == 1;
                    let stats = &mut self.seg_stats[s];
                    if is {
                        self.counts[s] += 1;
                        entered.push(SegmentId(s as u32));
                        if counting {
                            stats.entered += 1;
                        }
                    } else {
                        self.counts[s] = self.counts[s].saturating_sub(1);
                        if counting {
                            stats.left += 1;
                        }
                    }
                }
            }
            old.copy_from_slice(&self.words);
        }
        // Waiting journeys: any exit condition that holds ends them.
        self.exits(p, t, rec, 0);
        let started = self.people[p as usize].journeys.len();
        // Triggers.
        for w in 0..self.m.workflows.len() {
            let plan = &self.m.workflows[w];
            let fired = match plan.trigger {
                TriggerPlan::Event { event, bit } => rec.is_some_and(|r| {
                    matches!(&r.body, Body::Event(Performed { event: e, bits, .. }) if *e == event && bits >> bit & 1 == 1)
                }),
                TriggerPlan::Segment(s) => entered.contains(&s),
                TriggerPlan::None => false,
            };
            if !fired || !counting {
                continue;
            }
            let age = rec
                .filter(|r| r.recv != NO_TIME)
                .map_or(0, |r| r.recv.saturating_sub(r.time));
            if age >= NO_TRIGGER_AFTER {
                continue;
            }
            let audience_ok = plan
                .audience
                .iter()
                .all(|s| self.people[p as usize].is_member(*s));
            let busy = self.people[p as usize]
                .journeys
                .iter()
                .any(|j| j.workflow == w as u32);
            let wait = plan.wait;
            let stats = self.stats(w as u32).expect("every workflow");
            stats.triggered += 1;
            if busy {
                stats.already_waiting += 1;
                continue;
            }
            if !audience_ok {
                stats.not_in_audience += 1;
                continue;
            }
            stats.entered += 1;
            // Started by time alone (a window timer): after the records of that second,
            // which come before timers.
            let (line, at) = rec.map_or((0, (t, u64::MAX, u32::MAX)), |r| {
                (r.line, (r.time, r.line, r.index))
            });
            let due = t.saturating_add(wait);
            self.people[p as usize].journeys.push(Journey {
                workflow: w as u32,
                trigger_line: line,
                trigger_at: at,
                due,
                late: Vec::new(),
                unseen: None,
            });
            self.timers.push(Reverse((due, Timer::Due, p)));
            if age > trackc_wire::time::REPLAY_AFTER_SECONDS {
                self.r.backfill_enrolments += 1;
                let b = Backfill {
                    line,
                    workflow: self.m.ir.workflows[w].name.clone(),
                    person: self.dir.show(p),
                    age,
                };
                push_listed(&mut self.r.backfill_list, &mut self.r.truncated, || b);
            }
        }
        self.entered = entered;
        // A journey whose exit already holds when it starts ends at that moment.
        self.exits(p, t, None, started);
    }

    /// `p`'s waiting journeys from the `from`th on, at `t` (after `rec`, if any): each
    /// that an exit condition holds for ends.
    fn exits(&mut self, p: u32, t: i64, rec: Option<&Rec>, from: usize) {
        let mut i = from;
        while i < self.people[p as usize].journeys.len() {
            let exit = {
                let j = &self.people[p as usize].journeys[i];
                let plan = &self.m.workflows[j.workflow as usize];
                plan.exits
                    .iter()
                    .enumerate()
                    .position(|(k, c)| self.holds(p, c, t, Some((j, k))))
            };
            let Some(k) = exit else {
                i += 1;
                continue;
            };
            // The exit event reached Customer.io after the message was due: Customer.io
            // learns of it only then. The journey waits on as if it had not happened
            // (another exit may still end it, a trigger meanwhile finds it waiting) and
            // its message goes out when due, unless the person left the audience.
            let j = &self.people[p as usize].journeys[i];
            let late = rec.filter(|r| {
                let at = (r.time, r.line, r.index);
                r.recv != NO_TIME
                    && r.recv > j.due
                    && !j.late.iter().any(|l| l.at == at)
                    && match self.m.workflows[j.workflow as usize].exits[k] {
                        Cond::Event(ci) => self.people[p as usize].exit_events(ci).contains(&at),
                        // The record made the person a member.
                        Cond::Segment(s) => {
                            matches!(r.body, Body::Event(_)) && !bit(&self.before, s)
                        }
                        Cond::Attribute { .. } => false,
                    }
            });
            if let Some(r) = late {
                let l = Late {
                    at: (r.time, r.line, r.index),
                    recv: r.recv,
                    exit: k,
                };
                // Checked again without it, and without the segments it moved the person
                // in or out of.
                let person = &mut self.people[p as usize];
                let j = &mut person.journeys[i];
                j.late.push(l);
                let n = person.members.len();
                let unseen = j
                    .unseen
                    .get_or_insert_with(|| vec![0; n].into_boxed_slice());
                for (k, u) in unseen.iter_mut().enumerate() {
                    let was = self.before.get(k).copied().unwrap_or(0);
                    *u ^= was ^ person.members[k];
                }
                continue;
            }
            let j = self.people[p as usize].journeys.swap_remove(i);
            let text = self.m.workflows[j.workflow as usize].exit_text[k].clone();
            if let Some(s) = self.stats(j.workflow) {
                s.exited += 1;
                *s.exits.entry(text).or_default() += 1;
            }
        }
    }

    /// Per exit of `j`'s workflow: `p`'s own events after the trigger, up to `to`.
    fn own_exits(&self, p: u32, j: &Journey, to: i64) -> Vec<Vec<At>> {
        let person = &self.people[p as usize];
        self.m.workflows[j.workflow as usize]
            .exits
            .iter()
            .map(|c| match c {
                // Late events were not the person's when the message went out.
                Cond::Event(ci) => person
                    .exit_events(*ci)
                    .iter()
                    .copied()
                    .filter(|a| j.counts(a) && a.0 <= to)
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    fn remember_sent(&mut self, p: u32, j: &Journey) {
        let exits = self.own_exits(p, j, j.due);
        let sent = &mut self.people[p as usize].sent;
        sent.retain(|s| s.workflow != j.workflow);
        sent.push(Sent {
            workflow: j.workflow,
            trigger_line: j.trigger_line,
            trigger_at: j.trigger_at,
            due: j.due,
            exits,
        });
    }

    /// The messages of `p` due at `t`: checked once more, then sent.
    fn due(&mut self, p: u32, t: i64) {
        let mut i = 0;
        while i < self.people[p as usize].journeys.len() {
            if self.people[p as usize].journeys[i].due > t {
                i += 1;
                continue;
            }
            let j = self.people[p as usize].journeys.swap_remove(i);
            let plan = &self.m.workflows[j.workflow as usize];
            let members = &self.people[p as usize].members;
            let in_audience = plan.audience.iter().all(|s| j.member(members, *s));
            if !in_audience {
                if let Some(s) = self.stats(j.workflow) {
                    s.left_audience += 1;
                }
                continue;
            }
            if let Some(s) = self.stats(j.workflow) {
                s.sent += 1;
            }
            self.remember_sent(p, &j);
            if let Some(l) = j.late.first() {
                let why = format!(
                    "the exit event on line {} happened at {} but reached Customer.io at {}, after the message was due at {}",
                    l.at.1,
                    format_date_time(l.at.0),
                    format_date_time(l.recv),
                    format_date_time(j.due)
                );
                self.missed(
                    j.workflow,
                    p,
                    j.trigger_line,
                    j.due,
                    l.exit,
                    Reason::ArrivedLate,
                    why,
                    l.at.1,
                );
                continue;
            }
            self.check_sent(p, &j, t);
        }
    }

    /// A message just went out: did the person convert under another identifier, or by
    /// an event no exit names?
    fn check_sent(&mut self, p: u32, j: &Journey, t: i64) {
        let w = j.workflow;
        let mut others: Vec<(u32, String)> = Vec::new();
        for (slot, kind) in [
            (self.m.email_slot, IdKind::Email),
            (self.m.phone_slot, IdKind::Phone),
        ] {
            let Some(slot) = slot else { continue };
            if let Some(Value::String(v)) = self.people[p as usize].attr(slot)
                && let Some(q) = self.dir.get(kind, v)
            {
                let v = v.clone();
                let q = self.root(q);
                if q != p {
                    others.push((q, format!("{}:{v}", kind.as_str())));
                }
            }
        }
        let own = if others.is_empty() {
            Vec::new()
        } else {
            self.own_exits(p, j, t)
        };
        for (q, shown) in others {
            let own = |k: usize| own.get(k).map_or(&[][..], Vec::as_slice);
            let found = self.exit_with(w, own, &self.people[q as usize], j.trigger_at, t);
            if let Some((k, at, event)) = found {
                let why = format!(
                    "`{}` on line {} was sent for `{shown}`, a different profile than `{}`",
                    self.m.ir.events[event as usize].name,
                    at.1,
                    self.dir.show(p)
                );
                self.missed(
                    w,
                    p,
                    j.trigger_line,
                    t,
                    k,
                    Reason::DifferentIdentifier,
                    why,
                    at.1,
                );
                return;
            }
        }
        let plan = &self.m.workflows[w as usize];
        if plan.revenue {
            let conv = self.people[p as usize].seen.iter().find(|x| {
                self.m.conversions[x.event as usize]
                    && !plan.exit_events.iter().any(|e| e.0 == x.event)
                    // After the trigger record, as exits count.
                    && x.at > j.trigger_at
                    && x.at.0 <= t
            });
            if let Some(x) = conv.copied() {
                let name = &self.m.ir.events[x.event as usize].name;
                let why = format!(
                    "`{name}` on line {} is a conversion (a revenue workflow exits on it) but no exit condition of `{}` names it",
                    x.at.1, self.m.ir.workflows[w as usize].name
                );
                self.missed(
                    w,
                    p,
                    j.trigger_line,
                    t,
                    usize::MAX,
                    Reason::NotInContract,
                    why,
                    x.at.1,
                );
            }
        }
    }

    fn finish(mut self) -> Report {
        for p in 0..self.people.len() {
            let journeys = std::mem::take(&mut self.people[p].journeys);
            for j in journeys {
                if let Some(s) = self.stats(j.workflow) {
                    s.waiting += 1;
                }
            }
        }
        for (i, w) in self.m.ir.workflows.iter().enumerate() {
            let stats = std::mem::take(&mut self.wf_stats[i]);
            self.r.workflows.insert(w.name.clone(), stats);
        }
        for (i, s) in self.m.ir.segments.iter().enumerate() {
            let mut stats = std::mem::take(&mut self.seg_stats[i]);
            stats.members = self.counts[i];
            self.r.segments.insert(s.name.clone(), stats);
        }
        // Profiles and fragmentation.
        let mut by_email: HashMap<String, Vec<u32>> = HashMap::new();
        let mut fragments: Vec<Fragment> = Vec::new();
        let mut fragmented: Vec<bool> = vec![false; self.people.len()];
        for (p, frag) in fragmented.iter_mut().enumerate() {
            let (kind, _) = self.dir.keys[p];
            let merged = self.people[p].root.is_some_and(|r| r != p as u32);
            if merged {
                continue;
            }
            *self.r.profiles.entry(kind.as_str()).or_default() += 1;
            if kind == IdKind::Anonymous && self.people[p].active {
                self.r.unmerged_anonymous += 1;
            }
            if kind != IdKind::Id {
                continue;
            }
            self.r.people += 1;
            for (slot, other) in [
                (self.m.email_slot, IdKind::Email),
                (self.m.phone_slot, IdKind::Phone),
            ] {
                let Some(slot) = slot else { continue };
                let Some(Value::String(v)) = self.people[p].attr(slot) else {
                    continue;
                };
                if other == IdKind::Email {
                    by_email.entry(v.clone()).or_default().push(p as u32);
                }
                if let Some(q) = self.dir.get(other, v) {
                    let q = self.root(q);
                    if q != p as u32 {
                        *frag = true;
                        fragments.push(Fragment {
                            person: self.dir.show(p as u32),
                            kind: if other == IdKind::Email {
                                "email_profile"
                            } else {
                                "phone_profile"
                            },
                            other: self.dir.show(q),
                        });
                    }
                }
            }
        }
        let mut shared: Vec<(&String, &Vec<u32>)> =
            by_email.iter().filter(|(_, v)| v.len() > 1).collect();
        shared.sort();
        for (_, ps) in shared {
            for &p in ps {
                fragmented[p as usize] = true;
                let other = ps.iter().find(|&&q| q != p).copied().unwrap_or(p);
                fragments.push(Fragment {
                    person: self.dir.show(p),
                    kind: "shared_email",
                    other: self.dir.show(other),
                });
            }
        }
        fragments.sort_by(|a, b| (&a.person, a.kind, &a.other).cmp(&(&b.person, b.kind, &b.other)));
        self.r.fragmented_people = fragmented.iter().filter(|f| **f).count() as u64;
        for f in fragments {
            push_listed(&mut self.r.fragment_list, &mut self.r.truncated, || f);
        }
        self.r.sent_after_conversion.sort_by(|a, b| {
            (a.sent_at, &a.person, &a.workflow).cmp(&(b.sent_at, &b.person, &b.workflow))
        });
        // Freeing every profile (a few allocations each) is a tenth of the model's time
        // at 100,000 people: done on a thread of its own while the report is written
        // (here, if no thread can be made).
        let profiles = (
            std::mem::take(&mut self.people),
            std::mem::take(&mut self.dir.keys),
        );
        let _ = std::thread::Builder::new().spawn(move || drop(profiles));
        self.r
    }
}
