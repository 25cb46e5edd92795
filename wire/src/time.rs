//! Timestamps (integers of Unix seconds) and dates (`YYYY-MM-DD`) as the Track API takes
//! them.

use std::fmt;

/// Unix seconds at or above this are taken to be milliseconds (it is the year 5138 in
/// seconds, and 1973-03-03 in milliseconds), so `1700000000000` is refused as a timestamp.
pub const MAX_TIMESTAMP_SECONDS: i64 = 99_999_999_999;

/// A record whose `timestamp` is older than its reference time (the capture's, or `--now`)
/// by more than this is a historical replay (a backfill), not a live event: SDKs and
/// queues deliver live events within minutes.
pub const REPLAY_AFTER_SECONDS: i64 = 3600;

/// Whether `seconds` is too large (either sign) to be Unix seconds: almost certainly
/// milliseconds sent by mistake (Customer.io's timestamp segments break on them).
pub const fn looks_like_milliseconds(seconds: i128) -> bool {
    seconds > MAX_TIMESTAMP_SECONDS as i128 || seconds < -(MAX_TIMESTAMP_SECONDS as i128)
}

/// A capture time (Unix seconds as any JSON number: a HAR's or `trackc serve`'s
/// `received_at`, `--now`) floored to whole seconds, when it can be one: finite and within
/// ±[`MAX_TIMESTAMP_SECONDS`]. Anything else is no reference time at all, so that no
/// arithmetic on times meets the ends of `i64`.
pub fn capture_seconds(t: f64) -> Option<i64> {
    let max = MAX_TIMESTAMP_SECONDS as f64;
    (t.is_finite() && (-max..=max).contains(&t.floor())).then(|| t.floor() as i64)
}

/// Calendar dates `YYYY-MM-DD`, years 0000 to 9999, February 29 in leap years only: the
/// same set as [`parse_date`], as a regular expression (JSON Schemas, `regex`).
pub const DATE_PATTERN: &str = "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)$";

/// Why a year, month and day, or a text, is not a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateError {
    /// The text is not four digits, `-`, two digits, `-`, two digits. [`fmt::Display`]
    /// does not repeat the text: the caller quotes it as suits where it goes.
    NotYmd,
    /// A year past 9999 (only from [`check_ymd`]: four digits cannot say it).
    Year(u16),
    /// A month outside 1 to 12.
    Month(u8),
    /// A day the month does not have.
    Day { year: u16, month: u8, day: u8 },
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DateError::NotYmd => f.write_str("not a YYYY-MM-DD date"),
            DateError::Year(year) => write!(f, "year {year} has more than four digits"),
            DateError::Month(month) => write!(f, "month {month} is not 1 to 12"),
            DateError::Day { year, month, day } => {
                write!(f, "{year:04}-{month:02} has no day {day}")
            }
        }
    }
}

impl std::error::Error for DateError {}

/// Days in `month` of `year` in the proleptic Gregorian calendar; 0 for a month outside
/// 1 to 12.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// Whether the day exists, years 0000 to 9999.
pub fn check_ymd(year: u16, month: u8, day: u8) -> Result<(), DateError> {
    if year > 9999 {
        return Err(DateError::Year(year));
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::Month(month));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(DateError::Day { year, month, day });
    }
    Ok(())
}

/// `YYYY-MM-DD` read as (year, month, day), if that day exists.
pub fn parse_date(s: &str) -> Result<(u16, u8, u8), DateError> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(DateError::NotYmd);
    }
    // Digits only, checked above: each part parses.
    let num = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7) as u8, num(8..10) as u8);
    check_ymd(year, month, day)?;
    Ok((year, month, day))
}

/// An RFC 3339 date-time (`2026-11-30T09:00:00.123Z`, `…+01:00`; what a JavaScript `Date`
/// serialises to) as Unix seconds.
pub fn parse_date_time(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        frac = format!("0.{}", &r[..digits]).parse().ok()?;
        rest = &r[digits..];
    }
    let offset = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    let days = days_from_civil(y, m as u32, d as u32);
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss - offset) as f64 + frac)
}

/// Unix seconds as an RFC 3339 date-time in UTC (`2026-11-30T12:00:00Z`), the way reports
/// show a moment.
pub fn format_date_time(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`; `m` in 1..=12).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month 1..=12, day) of a day counted from
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unix_seconds_format_as_utc_date_times() {
        assert_eq!(format_date_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_date_time(1_796_040_000), "2026-11-30T12:00:00Z");
        assert_eq!(format_date_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_date_time(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn civil_days_round_trip() {
        // Every day from 1600 to 2400, both ways, and ordered without gaps.
        let (first, last) = (days_from_civil(1600, 1, 1), days_from_civil(2400, 12, 31));
        let mut prev = None;
        for day in first..=last {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            if let Some((py, pm, pd)) = prev {
                assert!((y, m, d) > (py, pm, pd));
            }
            prev = Some((y, m, d));
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn date_times_convert_to_unix_seconds() {
        assert_eq!(parse_date_time("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_date_time("2026-11-30T10:00:00+01:00"),
            Some(1_796_029_200.0)
        );
        assert_eq!(
            parse_date_time("2026-11-30T09:00:00.5Z"),
            Some(1_796_029_200.5)
        );
        assert_eq!(parse_date_time("2026-13-30T10:00:00Z"), None);
        assert_eq!(parse_date_time("yesterday"), None);
        assert_eq!(parse_date_time("2026-11-30T10:00:00+é"), None);
    }

    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-02-29"), Ok((2024, 2, 29)));
        assert_eq!(parse_date("2000-02-29"), Ok((2000, 2, 29)));
        assert_eq!(parse_date("0000-01-01"), Ok((0, 1, 1)));
        assert_eq!(
            parse_date("1900-02-29"),
            Err(DateError::Day {
                year: 1900,
                month: 2,
                day: 29
            })
        );
        assert_eq!(parse_date("2025-13-01"), Err(DateError::Month(13)));
        assert_eq!(parse_date("2025-00-01"), Err(DateError::Month(0)));
        for bad in [
            "2025-1-01",
            "2025/01/01",
            "20250101",
            "",
            "２０２５-01-01",
            "+025-01-01",
        ] {
            assert_eq!(parse_date(bad), Err(DateError::NotYmd), "{bad}");
        }
        assert_eq!(
            DateError::Day {
                year: 2025,
                month: 2,
                day: 30
            }
            .to_string(),
            "2025-02 has no day 30"
        );
        assert_eq!(check_ymd(10_000, 1, 1), Err(DateError::Year(10_000)));
    }

    #[test]
    fn pattern_and_parser_agree() {
        let re = regex::Regex::new(DATE_PATTERN).unwrap();
        let years = (0..=10)
            .chain(96..=104)
            .chain(1896..=1904)
            .chain(1996..=2104);
        for year in years.chain(2396..=2404).chain(9996..=9999) {
            for month in 0..=13u8 {
                for day in 0..=32u8 {
                    let s = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(re.is_match(&s), parse_date(&s).is_ok(), "{s}");
                }
            }
        }
    }

    #[test]
    fn milliseconds() {
        assert!(!looks_like_milliseconds(1_700_000_000));
        assert!(!looks_like_milliseconds(-(MAX_TIMESTAMP_SECONDS as i128)));
        assert!(looks_like_milliseconds(1_700_000_000_000));
        assert!(looks_like_milliseconds(-1_700_000_000_000));
    }

    #[test]
    fn capture_times_are_whole_seconds_in_range() {
        assert_eq!(capture_seconds(1_764_547_200.9), Some(1_764_547_200));
        assert_eq!(capture_seconds(-0.5), Some(-1));
        let max = MAX_TIMESTAMP_SECONDS as f64;
        assert_eq!(capture_seconds(max + 0.5), Some(MAX_TIMESTAMP_SECONDS));
        assert_eq!(capture_seconds(-max), Some(-MAX_TIMESTAMP_SECONDS));
        for t in [max + 1.0, -max - 0.5, 1e19, -1e19, f64::INFINITY, f64::NAN] {
            assert_eq!(capture_seconds(t), None, "{t}");
        }
    }
}
