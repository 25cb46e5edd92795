//! The `date` format (`YYYY-MM-DD`, a day that exists, as `trackc::Date` parses it): the
//! front end checks contract values with it, the validator checks traffic.

/// Why a text is not a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateError {
    /// Not `YYYY-MM-DD`.
    Shape,
    NoMonth {
        month: u16,
    },
    NoDay {
        year: u16,
        month: u16,
        day: u16,
    },
}

pub(crate) fn parse(s: &str) -> Result<(), DateError> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(DateError::Shape);
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return Err(DateError::NoMonth { month }),
    };
    if day == 0 || day > days {
        return Err(DateError::NoDay { year, month, day });
    }
    Ok(())
}
