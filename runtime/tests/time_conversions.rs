//! `Timestamp` and `Date` conversions to and from chrono, time and jiff (crate features
//! `chrono`, `time`, `jiff`; the dev-dependency on `trackc` turns them on for `cargo test`).

use trackc::{Date, Timestamp};

/// 2024-02-29T12:34:56Z, a leap day.
const LEAP_DAY_NOON: i64 = 1_709_210_096;

/// 9999-12-31T23:59:59Z, the last second of four-digit years.
const LAST_SECOND: i64 = 253_402_300_799;

/// Seconds every crate holds.
const SECONDS: [i64; 5] = [0, 1, -1, LEAP_DAY_NOON, -LEAP_DAY_NOON];

/// Dates every crate holds, as `YYYY-MM-DD`.
const DATES: [&str; 5] = [
    "2024-02-29",
    "2000-02-29",
    "0000-01-01",
    "9999-12-31",
    "1970-01-01",
];

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds)
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

#[cfg(feature = "chrono")]
mod chrono {
    use super::*;
    use ::chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

    #[test]
    fn timestamps_round_trip() {
        for s in SECONDS.into_iter().chain([LAST_SECOND]) {
            let dt = DateTime::<Utc>::try_from(ts(s)).unwrap();
            assert_eq!(dt.timestamp(), s);
            assert_eq!(Timestamp::from(dt), ts(s));
        }
        let dt = DateTime::<Utc>::try_from(ts(LEAP_DAY_NOON)).unwrap();
        assert_eq!(dt.to_string(), "2024-02-29 12:34:56 UTC");
    }

    #[test]
    fn fractions_are_floored() {
        let at = |s, ns| Timestamp::from(DateTime::from_timestamp(s, ns).unwrap());
        assert_eq!(at(-2, 500_000_000), ts(-2)); // -1.5s
        assert_eq!(at(-1, 999_999_999), ts(-1)); // -1ns
        assert_eq!(at(0, 999_999_999), ts(0));
        assert_eq!(at(41, 1), ts(41));
    }

    #[test]
    fn any_time_zone_converts() {
        let plus_two = FixedOffset::east_opt(2 * 3600).unwrap();
        let local = plus_two.with_ymd_and_hms(2024, 2, 29, 14, 34, 56).unwrap();
        assert_eq!(Timestamp::from(local), ts(LEAP_DAY_NOON));
    }

    #[test]
    fn a_leap_second_counts_as_the_second_before() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        assert_eq!(Timestamp::from(leap), ts(1_483_228_799));
    }

    #[test]
    fn out_of_range_timestamps_are_errors() {
        for s in [i64::MAX, i64::MIN, 8_210_298_412_800] {
            let err = DateTime::<Utc>::try_from(ts(s)).unwrap_err();
            assert_eq!(err.timestamp(), ts(s));
            assert_eq!(
                err.to_string(),
                format!("timestamp {s} is out of range for chrono::DateTime<Utc>")
            );
        }
        let max = DateTime::<Utc>::MAX_UTC.timestamp();
        let min = DateTime::<Utc>::MIN_UTC.timestamp();
        assert!(DateTime::<Utc>::try_from(ts(max)).is_ok());
        assert!(DateTime::<Utc>::try_from(ts(min)).is_ok());
        assert!(DateTime::<Utc>::try_from(ts(max + 1)).is_err());
        assert!(DateTime::<Utc>::try_from(ts(min - 1)).is_err());
    }

    #[test]
    fn dates_round_trip() {
        for s in DATES {
            let d = NaiveDate::from(date(s));
            assert_eq!(d.to_string(), s);
            assert_eq!(Date::try_from(d).unwrap(), date(s));
        }
    }

    #[test]
    fn dates_outside_four_digit_years_are_errors() {
        let before = NaiveDate::from_ymd_opt(-1, 12, 31).unwrap();
        let after = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        let err = Date::try_from(before).unwrap_err();
        assert_eq!(err.to_string(), "year -1 is outside 0000 to 9999");
        assert!(Date::try_from(after).is_err());
        assert!(Date::try_from(NaiveDate::MIN).is_err());
        assert!(Date::try_from(NaiveDate::MAX).is_err());
    }
}

#[cfg(feature = "time")]
mod time {
    use super::*;
    use ::time::{Month, OffsetDateTime, UtcDateTime, UtcOffset};

    #[test]
    fn timestamps_round_trip() {
        for s in SECONDS.into_iter().chain([LAST_SECOND]) {
            let odt = OffsetDateTime::try_from(ts(s)).unwrap();
            assert_eq!(odt.offset(), UtcOffset::UTC);
            assert_eq!(odt.unix_timestamp(), s);
            assert_eq!(Timestamp::from(odt), ts(s));
            let utc = UtcDateTime::try_from(ts(s)).unwrap();
            assert_eq!(Timestamp::from(utc), ts(s));
            let t = ::time::Timestamp::try_from(ts(s)).unwrap();
            assert_eq!(Timestamp::from(t), ts(s));
        }
        let odt = OffsetDateTime::try_from(ts(LEAP_DAY_NOON)).unwrap();
        assert_eq!(
            (odt.year(), odt.month(), odt.day()),
            (2024, Month::February, 29)
        );
    }

    #[test]
    fn fractions_are_floored() {
        let nanos = |n: i128| {
            let odt = OffsetDateTime::from_unix_timestamp_nanos(n).unwrap();
            let utc = UtcDateTime::from_unix_timestamp_nanos(n).unwrap();
            let t = ::time::Timestamp::from_nanoseconds(n).unwrap();
            let got = Timestamp::from(odt);
            assert_eq!(Timestamp::from(utc), got);
            assert_eq!(Timestamp::from(t), got);
            got
        };
        assert_eq!(nanos(-1_500_000_000), ts(-2));
        assert_eq!(nanos(-1), ts(-1));
        assert_eq!(nanos(999_999_999), ts(0));
        assert_eq!(nanos(41_000_000_001), ts(41));
    }

    #[test]
    fn offsets_do_not_change_the_instant() {
        let odt = OffsetDateTime::try_from(ts(LEAP_DAY_NOON)).unwrap();
        let east = odt.to_offset(UtcOffset::from_hms(5, 30, 0).unwrap());
        assert_eq!(Timestamp::from(east), ts(LEAP_DAY_NOON));
    }

    #[test]
    fn out_of_range_timestamps_are_errors() {
        let max = UtcDateTime::MAX.unix_timestamp();
        let min = UtcDateTime::MIN.unix_timestamp();
        for s in [i64::MAX, i64::MIN, max + 1, min - 1] {
            let err = OffsetDateTime::try_from(ts(s)).unwrap_err();
            assert_eq!(err.timestamp(), ts(s));
            assert_eq!(
                err.to_string(),
                format!("timestamp {s} is out of range for time::OffsetDateTime")
            );
            assert!(UtcDateTime::try_from(ts(s)).is_err());
            assert!(::time::Timestamp::try_from(ts(s)).is_err());
        }
        assert!(OffsetDateTime::try_from(ts(max)).is_ok());
        assert!(UtcDateTime::try_from(ts(min)).is_ok());
        assert!(::time::Timestamp::try_from(ts(min)).is_ok());
    }

    #[test]
    fn dates_round_trip() {
        for s in DATES {
            let d = ::time::Date::from(date(s));
            let (y, m, day) = d.to_calendar_date();
            assert_eq!(format!("{y:04}-{:02}-{day:02}", u8::from(m)), s);
            assert_eq!(Date::try_from(d).unwrap(), date(s));
        }
        let leap = ::time::Date::from_calendar_date(2024, Month::February, 29).unwrap();
        assert_eq!(Date::try_from(leap).unwrap(), date("2024-02-29"));
    }

    #[test]
    fn dates_before_year_zero_are_errors() {
        let before = ::time::Date::from_calendar_date(-1, Month::December, 31).unwrap();
        let err = Date::try_from(before).unwrap_err();
        assert_eq!(err.to_string(), "year -1 is outside 0000 to 9999");
        assert!(Date::try_from(::time::Date::MIN).is_err());
    }
}

#[cfg(feature = "jiff")]
mod jiff {
    use super::*;
    use ::jiff::civil;
    use ::jiff::tz::{Offset, TimeZone};

    #[test]
    fn timestamps_round_trip() {
        // jiff stops a day short of 9999-12-31T23:59:59Z, so that any offset fits.
        for s in SECONDS.into_iter().chain([253_402_207_200]) {
            let t = ::jiff::Timestamp::try_from(ts(s)).unwrap();
            assert_eq!(t.as_second(), s);
            assert_eq!(Timestamp::from(t), ts(s));
        }
        let t = ::jiff::Timestamp::try_from(ts(LEAP_DAY_NOON)).unwrap();
        assert_eq!(t.to_string(), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn fractions_are_floored() {
        // jiff's own `as_second()` truncates towards zero; the conversion floors.
        let at = |s, ns| Timestamp::from(::jiff::Timestamp::new(s, ns).unwrap());
        assert_eq!(at(-1, -500_000_000), ts(-2)); // -1.5s
        assert_eq!(at(0, -1), ts(-1)); // -1ns
        assert_eq!(at(-5, -999_999_999), ts(-6));
        assert_eq!(at(0, 999_999_999), ts(0));
        assert_eq!(at(41, 1), ts(41));
        assert_eq!(
            ::jiff::Timestamp::new(-1, -500_000_000)
                .unwrap()
                .as_second(),
            -1
        );
    }

    #[test]
    fn zoned_date_times_convert() {
        let t = ::jiff::Timestamp::try_from(ts(LEAP_DAY_NOON)).unwrap();
        let tz = TimeZone::fixed(Offset::from_hours(-7).unwrap());
        let zoned = t.to_zoned_datetime(tz);
        assert_eq!(Timestamp::from(&zoned), ts(LEAP_DAY_NOON));
        assert_eq!(Timestamp::from(zoned), ts(LEAP_DAY_NOON));
    }

    #[test]
    fn out_of_range_timestamps_are_errors() {
        let max = ::jiff::Timestamp::MAX.as_second();
        let min = ::jiff::Timestamp::MIN.as_second();
        for s in [i64::MAX, i64::MIN, max + 1, min - 1] {
            let err = ::jiff::Timestamp::try_from(ts(s)).unwrap_err();
            assert_eq!(err.timestamp(), ts(s));
            assert_eq!(
                err.to_string(),
                format!("timestamp {s} is out of range for jiff::Timestamp")
            );
        }
        assert!(::jiff::Timestamp::try_from(ts(max)).is_ok());
        assert!(::jiff::Timestamp::try_from(ts(min)).is_ok());
    }

    #[test]
    fn dates_round_trip() {
        for s in DATES {
            let d = civil::Date::from(date(s));
            assert_eq!(d.to_string(), s);
            assert_eq!(Date::try_from(d).unwrap(), date(s));
        }
    }

    #[test]
    fn dates_before_year_zero_are_errors() {
        let before = civil::Date::new(-1, 12, 31).unwrap();
        let err = Date::try_from(before).unwrap_err();
        assert_eq!(err.to_string(), "year -1 is outside 0000 to 9999");
        assert!(Date::try_from(civil::Date::MIN).is_err());
    }
}

/// The three crates agree with each other (and with `SystemTime`) through `Timestamp`.
#[cfg(all(feature = "chrono", feature = "time", feature = "jiff"))]
#[test]
fn the_three_crates_agree() {
    use std::time::SystemTime;
    for s in [0, -1, LEAP_DAY_NOON, -62_167_219_200 /* 0000-01-01 */] {
        let c = ::chrono::DateTime::<::chrono::Utc>::try_from(ts(s)).unwrap();
        let t = ::time::OffsetDateTime::try_from(ts(s)).unwrap();
        let j = ::jiff::Timestamp::try_from(ts(s)).unwrap();
        assert_eq!(c.timestamp(), t.unix_timestamp());
        assert_eq!(t.unix_timestamp(), j.as_second());
        assert_eq!(Timestamp::from(SystemTime::from(ts(s))), ts(s));
    }
    let d = date("2024-02-29");
    let c = ::chrono::NaiveDate::from(d);
    let t = ::time::Date::from(d);
    let j = ::jiff::civil::Date::from(d);
    assert_eq!(Date::try_from(c), Date::try_from(t));
    assert_eq!(Date::try_from(t), Date::try_from(j));
}
