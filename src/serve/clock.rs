//! `received_at`: the wall clock as RFC 3339 UTC with milliseconds.

use time::OffsetDateTime;

pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// `t` in UTC as `YYYY-MM-DDTHH:MM:SS.mmmZ` (the calendar is the `time` crate's; only the
/// layout is ours, so no formatting feature is compiled in for one string).
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
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
    use super::rfc3339;
    use time::{Duration, OffsetDateTime};

    fn at(secs: i64, millis: i64) -> String {
        rfc3339(OffsetDateTime::from_unix_timestamp(secs).unwrap() + Duration::milliseconds(millis))
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(1_717_430_400, 5), "2024-06-03T16:00:00.005Z");
        assert_eq!(at(951_782_400, 999), "2000-02-29T00:00:00.999Z");
        assert_eq!(at(4_102_444_799, 0), "2099-12-31T23:59:59.000Z");
    }
}
