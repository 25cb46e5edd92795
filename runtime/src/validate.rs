//! Constraint violations and the checks behind `validate()`.
//!
//! `#[derive(trackc::Event)]` expands to calls into [`checks`], for generated and
//! hand-written structs alike, so the validation logic exists once.

use std::fmt;

/// One constraint a value breaks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON path of the offending value, e.g. `$.items[2].quantity`.
    pub path: String,
    /// Stable id of the check, e.g. `minimum`, `pattern`, `format`.
    pub code: &'static str,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.code)
    }
}

/// Every violation found in one value.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    pub fn push(&mut self, path: &Path<'_>, code: &'static str, message: String) {
        self.0.push(Violation {
            path: path.to_string(),
            code,
            message,
        });
    }

    /// `Ok(())` when there is nothing to report.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A JSON path built on the stack while validating; rendered only when something fails
/// (`$.items[2].quantity`, the same paths `trackc validate` reports).
pub use trackc_wire::JsonPath as Path;

/// A value that can check its own constraints (and those of everything inside it).
///
/// Derived for contract structs; implemented here for the wire scalars, `Option`, `Vec`
/// and `Box`, so that nested values are walked without the derive knowing their types.
pub trait Validate {
    fn validate_into(&self, path: &Path<'_>, out: &mut Violations);
}

macro_rules! leaf {
    ($($t:ty),*) => {$(
        impl Validate for $t {
            #[inline]
            fn validate_into(&self, _: &Path<'_>, _: &mut Violations) {}
        }
    )*};
}

leaf!(String, str, bool, i64, i32, u32, u64, f64, f32, crate::Date);

impl Validate for crate::Timestamp {
    fn validate_into(&self, path: &Path<'_>, out: &mut Violations) {
        if self.looks_like_milliseconds() {
            out.push(
                path,
                "timestamp_seconds",
                format!(
                    "timestamp {} looks like milliseconds; send Unix seconds",
                    self.unix_seconds()
                ),
            );
        }
    }
}

impl<T: Validate + ?Sized> Validate for &T {
    fn validate_into(&self, path: &Path<'_>, out: &mut Violations) {
        (**self).validate_into(path, out)
    }
}

impl<T: Validate + ?Sized> Validate for Box<T> {
    fn validate_into(&self, path: &Path<'_>, out: &mut Violations) {
        (**self).validate_into(path, out)
    }
}

impl<T: Validate> Validate for Option<T> {
    fn validate_into(&self, path: &Path<'_>, out: &mut Violations) {
        if let Some(v) = self {
            v.validate_into(path, out)
        }
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_into(&self, path: &Path<'_>, out: &mut Violations) {
        for (i, v) in self.iter().enumerate() {
            v.validate_into(&path.index(i), out)
        }
    }
}

/// The individual checks. Each pushes one violation when the value fails.
pub mod checks {
    use super::{Path, Violations};
    use crate::formats;

    pub fn minimum(v: f64, min: f64, path: &Path<'_>, out: &mut Violations) {
        // NaN fails every bound.
        if v.partial_cmp(&min).is_none_or(|o| o.is_lt()) {
            out.push(
                path,
                "minimum",
                format!("{v} is less than the minimum {min}"),
            );
        }
    }

    pub fn maximum(v: f64, max: f64, path: &Path<'_>, out: &mut Violations) {
        if v.partial_cmp(&max).is_none_or(|o| o.is_gt()) {
            out.push(
                path,
                "maximum",
                format!("{v} is greater than the maximum {max}"),
            );
        }
    }

    pub fn finite(v: f64, path: &Path<'_>, out: &mut Violations) {
        if !v.is_finite() {
            out.push(path, "type", format!("{v} is not a finite number"));
        }
    }

    /// Lengths count Unicode scalar values, as JSON Schema's `minLength` does.
    pub fn min_length(v: &str, min: usize, path: &Path<'_>, out: &mut Violations) {
        let n = v.chars().count();
        if n < min {
            out.push(path, "min_length", format!("length {n} is less than {min}"));
        }
    }

    pub fn max_length(v: &str, max: usize, path: &Path<'_>, out: &mut Violations) {
        let n = v.chars().count();
        if n > max {
            out.push(
                path,
                "max_length",
                format!("length {n} is greater than {max}"),
            );
        }
    }

    pub fn min_items(n: usize, min: usize, path: &Path<'_>, out: &mut Violations) {
        if n < min {
            out.push(
                path,
                "min_items",
                format!("{n} items, at least {min} required"),
            );
        }
    }

    pub fn max_items(n: usize, max: usize, path: &Path<'_>, out: &mut Violations) {
        if n > max {
            out.push(
                path,
                "max_items",
                format!("{n} items, at most {max} allowed"),
            );
        }
    }

    /// `re` must be anchored (`^...$`): the contract's patterns match the whole value.
    pub fn pattern(v: &str, re: &regex::Regex, path: &Path<'_>, out: &mut Violations) {
        if !re.is_match(v) {
            out.push(
                path,
                "pattern",
                format!("{:?} does not match the pattern {}", v, re.as_str()),
            );
        }
    }

    /// `format` is one of the contract's string formats.
    pub fn format(v: &str, format: &str, path: &Path<'_>, out: &mut Violations) {
        if !crate::formats_ok(v, format) {
            out.push(path, "format", format!("{v:?} is not a valid {format}"));
        }
    }

    pub fn is_currency(v: &str) -> bool {
        formats::is_currency(v)
    }
}
