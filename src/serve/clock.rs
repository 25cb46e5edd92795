//! `received_at`: the wall clock in Unix milliseconds (stored, and given to the API as
//! Unix seconds, the unit `trackc validate` reads a capture line's `received_at` in), and
//! as RFC 3339 UTC with milliseconds for the page.

use time::OffsetDateTime;

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `ms` (since the Unix epoch) in seconds, as JSON shows it: `1717430400.005`.
pub fn seconds(ms: i64) -> serde_json::Value {
    if ms % 1000 == 0 {
        (ms / 1000).into()
    } else {
        (ms as f64 / 1000.0).into()
    }
}

/// `ms` (since the Unix epoch) as `YYYY-MM-DDTHH:MM:SS.mmmZ` (the calendar is the `time`
/// crate's; only the layout is ours, so no formatting feature is compiled in for one
/// string). Out of `time`'s range: the number itself.
pub fn rfc3339(ms: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_717_430_400_005), "2024-06-03T16:00:00.005Z");
        assert_eq!(rfc3339(951_782_400_999), "2000-02-29T00:00:00.999Z");
        assert_eq!(rfc3339(4_102_444_799_000), "2099-12-31T23:59:59.000Z");
        assert_eq!(seconds(1_717_430_400_000).to_string(), "1717430400");
        assert_eq!(seconds(1_717_430_400_005).to_string(), "1717430400.005");
    }
}
