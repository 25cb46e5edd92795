//! Wire types for the contract's `timestamp` (Unix seconds) and `date` (`YYYY-MM-DD`).
//!
//! With the crate features `chrono`, `time` and `jiff`, both convert to and from those
//! crates' types (`with_chrono`, `with_time`, `with_jiff` below; the list and the rounding
//! rule are in the docs of [`Timestamp`] and [`Date`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use trackc_wire::time::{self as wire, MAX_TIMESTAMP_SECONDS};

/// A point in time, sent as an integer of Unix **seconds** (Customer.io's timestamp
/// segments break on milliseconds).
///
/// Conversions (crate features `chrono`, `time`, `jiff`):
///
/// | feature | into a `Timestamp` (`From`) | from a `Timestamp` (`TryFrom`) |
/// | --- | --- | --- |
/// | `chrono` | `DateTime<Tz>`, any `Tz: TimeZone` | `DateTime<Utc>` |
/// | `time` | `OffsetDateTime`, `UtcDateTime`, `time::Timestamp` | the same three |
/// | `jiff` | `jiff::Timestamp`, `ZonedDateTime` (and `&ZonedDateTime`) | `jiff::Timestamp` |
///
/// Into a `Timestamp`, sub-second precision is floored (truncated towards negative
/// infinity), as in `From<SystemTime>`, so that ordering holds: 1969-12-31T23:59:59.5Z is
/// `-1`, not `0` (jiff's own `as_second()` would say `0`). These `From`s are total; a leap
/// second of chrono (`23:59:60.x`) counts as the `23:59:59` before it.
///
/// From a `Timestamp`, a `TryFrom` fails with [`TimestampRangeError`] outside the target's
/// range: chrono's years -262143 to 262142, time's years ±9999 (±999999 with its
/// `large-dates` feature), jiff's years ±9999 less about a day at each end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From Unix seconds.
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    /// Unix seconds.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The current time, truncated to whole seconds.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Whether the value is plausible as seconds: a value this large is almost certainly
    /// milliseconds sent by mistake.
    pub const fn looks_like_milliseconds(self) -> bool {
        wire::looks_like_milliseconds(self.0 as i128)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(d.as_secs() as i64),
            // Before the epoch: round towards negative infinity so that ordering holds.
            Err(e) => {
                let d = e.duration();
                let secs = d.as_secs() as i64 + i64::from(d.subsec_nanos() > 0);
                Timestamp(-secs)
            }
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        if t.0 >= 0 {
            UNIX_EPOCH + Duration::from_secs(t.0 as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(t.0.unsigned_abs())
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = i64::deserialize(d)?;
        let t = Timestamp(secs);
        if t.looks_like_milliseconds() {
            return Err(serde::de::Error::custom(format_args!(
                "timestamp {secs} looks like milliseconds; send Unix seconds"
            )));
        }
        Ok(t)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "description": "Unix timestamp in seconds",
            "minimum": -MAX_TIMESTAMP_SECONDS,
            "maximum": MAX_TIMESTAMP_SECONDS,
        })
    }
}

/// A [`Timestamp`] outside the range of the date-time type it was converted to: a
/// `Timestamp` holds any `i64`, and chrono, time and jiff each stop at some year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampRangeError {
    seconds: i64,
    target: &'static str,
}

impl TimestampRangeError {
    /// The timestamp that did not fit.
    pub const fn timestamp(&self) -> Timestamp {
        Timestamp(self.seconds)
    }
}

impl std::fmt::Display for TimestampRangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timestamp {} is out of range for {}",
            self.seconds, self.target
        )
    }
}

impl std::error::Error for TimestampRangeError {}

/// A calendar date, sent as `YYYY-MM-DD`.
///
/// Conversions (crate features): `From<Date>` for chrono's `NaiveDate`, `time::Date` and
/// `jiff::civil::Date` (each holds every year 0000 to 9999), and `TryFrom` of each, which
/// fails with a [`DateError`] for a year before 0000 or after 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a string is not a `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError(String);

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DateError {}

impl Date {
    /// A date, if it exists in the proleptic Gregorian calendar (years 0000 to 9999).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        match wire::check_ymd(year, month, day) {
            Ok(()) => Ok(Date { year, month, day }),
            Err(e) => Err(DateError(e.to_string())),
        }
    }

    pub const fn year(self) -> u16 {
        self.year
    }

    pub const fn month(self) -> u8 {
        self.month
    }

    pub const fn day(self) -> u8 {
        self.day
    }

    /// A date of a foreign calendar type, which is valid but may be outside 0000 to 9999.
    #[cfg(any(feature = "chrono", feature = "time", feature = "jiff"))]
    fn from_valid_ymd(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        match u16::try_from(year) {
            Ok(y) if y <= 9999 => Date::new(y, month, day),
            _ => Err(DateError(format!("year {year} is outside 0000 to 9999"))),
        }
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, DateError> {
        match wire::parse_date(s) {
            Ok((year, month, day)) => Ok(Date { year, month, day }),
            Err(wire::DateError::NotYmd) => {
                Err(DateError(format!("`{s}` is not a YYYY-MM-DD date")))
            }
            Err(e) => Err(DateError(e.to_string())),
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": wire::DATE_PATTERN,
        })
    }
}

#[cfg(feature = "chrono")]
mod with_chrono {
    use ::chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

    use super::{Date, DateError, Timestamp, TimestampRangeError};

    /// The second the instant falls in (floor); a leap second (`23:59:60.x`) counts as the
    /// `23:59:59` before it.
    impl<Tz: TimeZone> From<DateTime<Tz>> for Timestamp {
        fn from(t: DateTime<Tz>) -> Self {
            // chrono keeps the nanoseconds non-negative, so `timestamp()` is the floor.
            Timestamp(t.timestamp())
        }
    }

    /// Fails outside chrono's range (years -262143 to 262142).
    impl TryFrom<Timestamp> for DateTime<Utc> {
        type Error = TimestampRangeError;

        fn try_from(t: Timestamp) -> Result<Self, TimestampRangeError> {
            DateTime::from_timestamp_secs(t.0).ok_or(TimestampRangeError {
                seconds: t.0,
                target: "chrono::DateTime<Utc>",
            })
        }
    }

    impl From<Date> for NaiveDate {
        fn from(d: Date) -> Self {
            NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
                .expect("chrono holds every date of years 0000 to 9999")
        }
    }

    /// Fails for a year before 0000 or after 9999.
    impl TryFrom<NaiveDate> for Date {
        type Error = DateError;

        fn try_from(d: NaiveDate) -> Result<Self, DateError> {
            Date::from_valid_ymd(d.year(), d.month() as u8, d.day() as u8)
        }
    }
}

#[cfg(feature = "time")]
mod with_time {
    use ::time::{Month, OffsetDateTime, UtcDateTime};

    use super::{Date, DateError, Timestamp, TimestampRangeError};

    fn out_of_range(t: Timestamp, target: &'static str) -> TimestampRangeError {
        TimestampRangeError {
            seconds: t.0,
            target,
        }
    }

    /// The second the instant falls in (floor).
    impl From<OffsetDateTime> for Timestamp {
        fn from(t: OffsetDateTime) -> Self {
            // time keeps the nanoseconds non-negative, so `unix_timestamp()` is the floor.
            Timestamp(t.unix_timestamp())
        }
    }

    /// The second the instant falls in (floor).
    impl From<UtcDateTime> for Timestamp {
        fn from(t: UtcDateTime) -> Self {
            Timestamp(t.unix_timestamp())
        }
    }

    /// The second the instant falls in (floor).
    impl From<::time::Timestamp> for Timestamp {
        fn from(t: ::time::Timestamp) -> Self {
            // Nanoseconds are 0 to 999_999_999 on top of `as_seconds()`: the floor.
            Timestamp(t.as_seconds())
        }
    }

    /// At offset UTC. Fails outside time's range (years ±9999, or ±999999 with time's
    /// `large-dates` feature).
    impl TryFrom<Timestamp> for OffsetDateTime {
        type Error = TimestampRangeError;

        fn try_from(t: Timestamp) -> Result<Self, TimestampRangeError> {
            OffsetDateTime::from_unix_timestamp(t.0)
                .map_err(|_| out_of_range(t, "time::OffsetDateTime"))
        }
    }

    /// Fails outside time's range (years ±9999, or ±999999 with `large-dates`).
    impl TryFrom<Timestamp> for UtcDateTime {
        type Error = TimestampRangeError;

        fn try_from(t: Timestamp) -> Result<Self, TimestampRangeError> {
            UtcDateTime::from_unix_timestamp(t.0).map_err(|_| out_of_range(t, "time::UtcDateTime"))
        }
    }

    /// Fails outside time's range (years ±9999, or ±999999 with `large-dates`).
    impl TryFrom<Timestamp> for ::time::Timestamp {
        type Error = TimestampRangeError;

        fn try_from(t: Timestamp) -> Result<Self, TimestampRangeError> {
            ::time::Timestamp::from_seconds(t.0).map_err(|_| out_of_range(t, "time::Timestamp"))
        }
    }

    impl From<Date> for ::time::Date {
        fn from(d: Date) -> Self {
            let month = Month::try_from(d.month).expect("a Date's month is 1 to 12");
            ::time::Date::from_calendar_date(d.year.into(), month, d.day)
                .expect("time holds every date of years 0000 to 9999")
        }
    }

    /// Fails for a year before 0000 (or after 9999, with time's `large-dates` feature).
    impl TryFrom<::time::Date> for Date {
        type Error = DateError;

        fn try_from(d: ::time::Date) -> Result<Self, DateError> {
            let (year, month, day) = d.to_calendar_date();
            Date::from_valid_ymd(year, month.into(), day)
        }
    }
}

#[cfg(feature = "jiff")]
mod with_jiff {
    use ::jiff::ZonedDateTime;
    use ::jiff::civil;

    use super::{Date, DateError, Timestamp, TimestampRangeError};

    /// The second the instant falls in (floor): `-0.5s` is `-1`, where `as_second()`
    /// truncates towards zero.
    impl From<::jiff::Timestamp> for Timestamp {
        fn from(t: ::jiff::Timestamp) -> Self {
            // jiff's nanoseconds carry the sign of the seconds.
            Timestamp(t.as_second() - i64::from(t.subsec_nanosecond() < 0))
        }
    }

    /// The second the instant falls in (floor).
    impl From<&ZonedDateTime> for Timestamp {
        fn from(t: &ZonedDateTime) -> Self {
            Timestamp::from(t.timestamp())
        }
    }

    /// The second the instant falls in (floor).
    impl From<ZonedDateTime> for Timestamp {
        fn from(t: ZonedDateTime) -> Self {
            Timestamp::from(t.timestamp())
        }
    }

    /// Fails outside jiff's range: years ±9999 less about a day at each end
    /// (`jiff::Timestamp::MIN` and `MAX`), so that any UTC offset fits.
    impl TryFrom<Timestamp> for ::jiff::Timestamp {
        type Error = TimestampRangeError;

        fn try_from(t: Timestamp) -> Result<Self, TimestampRangeError> {
            ::jiff::Timestamp::from_second(t.0).map_err(|_| TimestampRangeError {
                seconds: t.0,
                target: "jiff::Timestamp",
            })
        }
    }

    impl From<Date> for civil::Date {
        fn from(d: Date) -> Self {
            // Years 0 to 9999 fit an i16; months and days fit an i8.
            civil::Date::new(d.year as i16, d.month as i8, d.day as i8)
                .expect("jiff holds every date of years 0000 to 9999")
        }
    }

    /// Fails for a year before 0000.
    impl TryFrom<civil::Date> for Date {
        type Error = DateError;

        fn try_from(d: civil::Date) -> Result<Self, DateError> {
            Date::from_valid_ymd(d.year().into(), d.month() as u8, d.day() as u8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_round_trips_and_rejects_impossible_days() {
        let d: Date = "2024-02-29".parse().unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2023-2-09".parse::<Date>().is_err());
        assert!("2023-13-01".parse::<Date>().is_err());
        assert!("２０２３-01-01".parse::<Date>().is_err());
    }

    #[test]
    fn timestamps_are_seconds_and_refuse_milliseconds() {
        let t: Timestamp = serde_json::from_str("1700000000").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "1700000000");
        assert!(serde_json::from_str::<Timestamp>("1700000000000").is_err());
        let before = SystemTime::UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(Timestamp::from(before).unix_seconds(), -2);
    }
}
