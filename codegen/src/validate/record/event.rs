//! A track call's event name and data (v2 `event` operations and v1 track requests).

use serde::de::{IgnoredAny, MapAccess};
use serde_json::value::RawValue;

use super::super::compile::EventCheck;
use super::super::promises::KeyUse;
use super::{NodeId, NodeSeed, Path, Worker, codes, did_you_mean, limits, with_raw};

/// What a track call's envelope said of the event itself (not of its data), for the
/// contract's promises: whether it carried an event `id`, and its `timestamp`.
#[derive(Clone, Copy, Default)]
pub(super) struct Envelope {
    pub has_id: bool,
    /// A hash of the `id` string (two records with the same id are one event).
    pub id: Option<u64>,
    /// Whether a `timestamp` was sent (`timestamp`: the integer it was, if one).
    pub has_timestamp: bool,
    pub timestamp: Option<i128>,
}

/// Where an event's data stands when the envelope ends.
#[derive(Clone, Copy)]
pub(super) enum Data<'de> {
    Absent,
    /// Checked in the same pass (or skipped: not an event of the contract).
    Checked,
    /// Checked where it was sent, and kept for simulate ([`super::tap`]).
    CheckedRaw(&'de RawValue),
    Raw(&'de RawValue),
}

impl Worker<'_> {
    /// The event name and data of a track call (v2 `event` or v1).
    /// `at`: the prefix and field names the paths of envelope problems are built from
    /// (only when there is one: no allocation on the valid path).
    pub(super) fn finish_event(
        &mut self,
        name: &str,
        data: Data<'_>,
        env: Envelope,
        at: (&str, &str, &str),
    ) {
        let v = self.cx.v;
        let (prefix, name_field, data_field) = at;
        let name_path = || format!("{prefix}{name_field}");
        let data_path = || format!("{prefix}{data_field}");
        if name.len() > limits::EVENT_NAME_BYTES {
            self.cx.push(
                name_path(),
                codes::EVENT_NAME_TOO_LONG,
                format!(
                    "event name is {} bytes; Customer.io allows at most {}",
                    name.len(),
                    limits::EVENT_NAME_BYTES
                ),
                None,
            );
            return;
        }
        let Some(ev) = v.event(name) else {
            let hint = did_you_mean(name, v.event_names.iter().map(|s| &**s))
                .map(|m| format!("did you mean `{m}`?"));
            self.cx.push(
                name_path(),
                codes::UNKNOWN_EVENT,
                format!("event `{name}` is not in the contract"),
                hint,
            );
            return;
        };
        let ev = *ev;
        let raw = match data {
            Data::Checked | Data::CheckedRaw(_) => None,
            Data::Absent => Some("{}"),
            Data::Raw(raw) => Some(raw.get()),
        };
        if let Some(raw) = raw {
            self.event_data(ev.data, raw, data_path);
        }
        self.promises(name, ev, env, prefix);
    }

    /// Check the data of a contract event kept raw until its envelope was read.
    fn event_data(&mut self, node: NodeId, raw: &str, data_path: impl Fn() -> String) {
        if raw.len() > limits::EVENT_DATA_BYTES {
            self.cx.push(
                data_path(),
                codes::EVENT_DATA_TOO_LARGE,
                format!(
                    "event data is {} bytes; Customer.io allows at most {}",
                    raw.len(),
                    limits::EVENT_DATA_BYTES
                ),
                None,
            );
        }
        self.check_raw(node, raw);
    }

    /// Check data (or attributes) kept raw against `node`.
    pub(super) fn check_raw(&mut self, node: NodeId, raw: &str) {
        // What data sent before said of the key and revenue is not this data's.
        self.cx.captured = Default::default();
        let seed = NodeSeed {
            cx: &mut self.cx,
            node,
            path: &Path::Root,
            limit: None,
        };
        // The raw text was parsed once already; this cannot fail.
        let _ = with_raw(raw, seed);
    }

    /// The contract's promises about one event of the traffic: an idempotent event
    /// carries an `id` and has its key remembered (duplicates are found across the
    /// capture, [`super::super::promises`]); a `backfill: forbidden` event is no replay.
    fn promises(&mut self, name: &str, ev: EventCheck, env: Envelope, prefix: &str) {
        let captured = std::mem::take(&mut self.cx.captured);
        if ev.idempotent
            && let Some(t) = &mut self.tap
        {
            t.key = captured.key.as_deref().map(|k| t.text(k));
            t.revenue = captured.revenue;
        }
        if ev.idempotent {
            if !env.has_id {
                self.cx.push(
                    format!("{prefix}id"),
                    codes::MISSING_EVENT_ID,
                    format!(
                        "`{name}` has an idempotency key but was sent without an event `id`: \
                         Customer.io counts every retry again"
                    ),
                    Some("send `id`, a ULID derived from the idempotency key (trackc's generated code does)".into()),
                );
            }
            if let Some(key) = captured.key {
                self.key_use = Some(KeyUse {
                    line: 0,
                    index: None,
                    fingerprint: self.cx.v.fingerprints.of(name, &key),
                    event: name.into(),
                    key,
                    id: env.id,
                    revenue: captured.revenue,
                    valid: true,
                });
            }
        }
        if ev.backfill_forbidden
            && let Some(ts) = env.timestamp
            && let Some(now) = self.reference_time()
            && now - ts > trackc_wire::time::REPLAY_AFTER_SECONDS as i128
        {
            let age = now - ts;
            let live = if age < 72 * 3600 {
                "younger than 72 hours, so Customer.io would enrol people in live journeys"
            } else {
                "a replay, though older than the 72 hours in which Customer.io triggers journeys"
            };
            self.cx.push(
                format!("{prefix}timestamp"),
                codes::FORBIDDEN_BACKFILL,
                format!(
                    "`{name}` is marked `backfill: forbidden` but was sent {} after its timestamp \
                     ({live})",
                    age_text(age)
                ),
                Some("send it live without a timestamp, or mark the event `backfill: allowed` if replays are intended".into()),
            );
        }
    }
}

/// `3 h 20 min`, `5 d 2 h`: how long ago, for messages.
fn age_text(seconds: i128) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// Read event data (or identify attributes) in the envelope: checked against `node` in
/// the same pass, skipped when there is nothing to check (`Some(None)`: not an event of
/// the contract), or kept raw until the envelope says how (`None`). `keep`: checked
/// where it is, and kept raw too (for simulate: the verdict is the same as without).
pub(super) fn data_value<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    node: Option<Option<NodeId>>,
    keep: bool,
) -> Result<Data<'de>, A::Error> {
    Ok(match node {
        Some(Some(node)) if keep => {
            let raw = map.next_value::<&'de RawValue>()?;
            w.check_raw(node, raw.get());
            Data::CheckedRaw(raw)
        }
        Some(Some(node)) => {
            // What data sent before said of the key and revenue is not this data's.
            w.cx.captured = Default::default();
            map.next_value_seed(NodeSeed {
                cx: &mut w.cx,
                node,
                path: &Path::Root,
                limit: None,
            })?;
            Data::Checked
        }
        Some(None) => {
            map.next_value::<IgnoredAny>()?;
            Data::Checked
        }
        None => Data::Raw(map.next_value::<&'de RawValue>()?),
    })
}
