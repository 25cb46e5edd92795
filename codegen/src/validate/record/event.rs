//! A track call's event name and data (v2 `event` operations and v1 track requests).

use serde::de::{IgnoredAny, MapAccess};
use serde_json::value::RawValue;

use super::{NodeId, NodeSeed, Path, Worker, codes, did_you_mean, limits, with_raw};

/// Where an event's data stands when the envelope ends.
#[derive(Clone, Copy)]
pub(super) enum Data<'de> {
    Absent,
    /// Checked in the same pass (or skipped: not an event of the contract).
    Checked,
    Raw(&'de RawValue),
}

impl Worker<'_> {
    /// The event name and data of a track call (v2 `event` or v1).
    /// `at`: the prefix and field names the paths of envelope problems are built from
    /// (only when there is one: no allocation on the valid path).
    pub(super) fn finish_event(&mut self, name: &str, data: Data<'_>, at: (&str, &str, &str)) {
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
        let raw = match data {
            Data::Checked => return,
            Data::Absent => "{}",
            Data::Raw(raw) => raw.get(),
        };
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
        let seed = NodeSeed {
            cx: &mut self.cx,
            node: ev.data,
            path: &Path::Root,
            limit: None,
        };
        // The raw text was parsed once already; this cannot fail.
        let _ = with_raw(raw, seed);
    }
}

/// Read event data (or identify attributes) in the envelope: checked against `node` in
/// the same pass, skipped when there is nothing to check (`Some(None)`: not an event of
/// the contract), or kept raw until the envelope says how (`None`).
pub(super) fn data_value<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    node: Option<Option<NodeId>>,
) -> Result<Data<'de>, A::Error> {
    Ok(match node {
        Some(Some(node)) => {
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
