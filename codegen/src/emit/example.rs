//! Example payloads for the catalog: the contract's own `examples` where a property has
//! one (and it fits the type), otherwise a synthesized value that satisfies every
//! constraint (bounds, lengths, patterns, formats, item counts). Deterministic.
//!
//! Bounded: one example holds at most [`EXAMPLE_BYTES`] of synthesized strings and array
//! items, Customer.io's limit on an event's data. A minimum length or item count beyond
//! it (which Customer.io could never accept) gives a shorter example rather than a hang or
//! an allocation failure: `min_length: 3000000` or `min_items: 100000000` cost what a
//! 100 KB example costs.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::json::{J, Obj};
use crate::ir::{Event, Ir, Property, StringFormat, StringTy, Ty, TypeKind};

/// A fixed, plausible Unix time in seconds (2024-06-03T16:00:00Z).
pub const EXAMPLE_TIMESTAMP: i64 = 1_717_430_400;
pub const EXAMPLE_DATE: &str = "2024-06-03";
/// The most bytes of JSON one example synthesizes (strings and array items): Customer.io's
/// limit on an event's data (`MAX_EVENT_DATA_BYTES` in the runtime's client).
pub const EXAMPLE_BYTES: usize = 100_000;

/// A Track API v2 operation sending `event` (`attributes` is the event's data).
pub fn track_operation(ir: &Ir, event: &Event) -> J {
    Obj::new()
        .with("type", "person")
        .with("identifiers", Obj::new().with("id", identity_id(ir)))
        .with("action", "event")
        .with("name", event.name.as_str())
        .with("attributes", event_data(ir, event))
        .into()
}

/// A Track API v2 identify operation with every attribute that is neither `derived` nor
/// deprecated.
pub fn identify_operation(ir: &Ir) -> J {
    let mut attrs = Obj::new();
    let budget = &mut EXAMPLE_BYTES.clone();
    for p in ir
        .attributes
        .iter()
        .filter(|p| !p.derived && p.deprecated.is_none())
    {
        attrs.insert(p.name.clone(), property_within(ir, p, budget));
    }
    Obj::new()
        .with("type", "person")
        .with("identifiers", Obj::new().with("id", identity_id(ir)))
        .with("action", "identify")
        .with("attributes", attrs)
        .into()
}

/// The event's data with every property, optional ones included (but not deprecated ones).
pub fn event_data(ir: &Ir, event: &Event) -> J {
    object(ir, &event.properties, 0, &mut EXAMPLE_BYTES.clone())
}

/// An identifier value that fits the identity's `id_type`.
pub fn identity_id(ir: &Ir) -> J {
    match ir.underlying(&ir.identity.id_type) {
        Ty::String(s) if s.pattern.is_none() && s.format.is_none() => {
            J::Str(fit_length("42", s, EXAMPLE_BYTES).unwrap_or_else(|| "42".into()))
        }
        ty => value(ir, ty, 0),
    }
}

/// A property's first contract example when it fits the type, else a synthesized value.
pub fn property(ir: &Ir, p: &Property) -> J {
    property_within(ir, p, &mut EXAMPLE_BYTES.clone())
}

fn property_within(ir: &Ir, p: &Property, budget: &mut usize) -> J {
    match p.examples.first() {
        Some(ex) if ir.fits(&p.ty, ex) => super::json::from_value(ex),
        _ => value_within(ir, &p.ty, 0, budget),
    }
}

fn object(ir: &Ir, props: &[Property], depth: usize, budget: &mut usize) -> J {
    let mut o = Obj::new();
    // Deprecated optional properties are left out: examples show what to send.
    for p in props
        .iter()
        .filter(|p| !(p.optional && p.deprecated.is_some()))
    {
        let v = match p.examples.first() {
            Some(ex) if ir.fits(&p.ty, ex) => super::json::from_value(ex),
            _ => value_within(ir, &p.ty, depth + 1, budget),
        };
        o.insert(p.name.clone(), v);
    }
    J::Obj(o)
}

/// A synthesized value of the type, at most [`EXAMPLE_BYTES`] of it.
pub fn value(ir: &Ir, ty: &Ty, depth: usize) -> J {
    value_within(ir, ty, depth, &mut EXAMPLE_BYTES.clone())
}

/// A synthesized value; `budget` is what is left of [`EXAMPLE_BYTES`] and is charged
/// for every string and array item made.
fn value_within(ir: &Ir, ty: &Ty, depth: usize, budget: &mut usize) -> J {
    if depth > 32 {
        return J::Null;
    }
    match ty {
        Ty::String(s) => {
            let v = string_within(s, *budget).unwrap_or_else(|| "example".into());
            *budget = budget.saturating_sub(v.len());
            J::Str(v)
        }
        Ty::Integer(b) => {
            let mut v = 1.0f64;
            if let Some(min) = b.minimum {
                v = v.max(min.ceil());
            }
            if let Some(max) = b.maximum {
                v = v.min(max.floor());
            }
            J::from(v)
        }
        Ty::Number(b) => {
            let mut v = 10.0f64;
            if let Some(min) = b.minimum {
                v = v.max(min);
            }
            if let Some(max) = b.maximum {
                v = v.min(max);
            }
            J::from(v)
        }
        Ty::Boolean => J::Bool(true),
        Ty::Timestamp => J::from(EXAMPLE_TIMESTAMP),
        Ty::Date => J::from(EXAMPLE_DATE),
        Ty::Array(a) => {
            let mut n = a.min_items.unwrap_or(0).max(1);
            if let Some(max) = a.max_items {
                n = n.min(max);
            }
            let item = value_within(ir, &a.items, depth + 1, budget);
            // Each copy costs its compact JSON and a comma; past the budget the array is
            // shorter than `min_items` (no such array fits in an event anyway).
            let each = item.compact().len() + 1;
            let n = (n as usize).min((*budget / each).max(1));
            *budget = budget.saturating_sub(each.saturating_mul(n.saturating_sub(1)));
            J::Arr(vec![item; n])
        }
        Ty::Ref(id) => match &ir.ty(*id).kind {
            TypeKind::Enum(e) => e
                .values
                .first()
                .map(|v| J::from(v.value.as_str()))
                .unwrap_or(J::Null),
            TypeKind::Object(o) => object(ir, &o.properties, depth + 1, budget),
            TypeKind::Alias(inner) => value_within(ir, inner, depth + 1, budget),
        },
    }
}

/// A string satisfying the type's format, pattern and lengths, when one is found within
/// [`EXAMPLE_BYTES`].
pub fn string(s: &StringTy) -> Option<String> {
    string_within(s, EXAMPLE_BYTES)
}

/// [`string`], padded to at most `cap` characters.
fn string_within(s: &StringTy, cap: usize) -> Option<String> {
    let base = match s.format {
        Some(StringFormat::Email) => "jane@example.com",
        Some(StringFormat::E164) => "+14155550123",
        Some(StringFormat::Uri) => "https://example.com/",
        Some(StringFormat::Uuid) => "3f1c2a9e-8b7d-4c6f-9a2e-1d0b5c4e7f60",
        Some(StringFormat::Currency) => "USD",
        Some(StringFormat::Country) => "US",
        None => "example",
    };
    match &s.pattern {
        None => fit_length(base, s, cap),
        Some(p) => PATTERN_EXAMPLES.with(|cache| {
            // Compiling the pattern is most of the cost, and a contract's patterns are few
            // and shared (named types, the identity id on every event's example): one
            // search per distinct string type, not per use.
            let key = (p.clone(), s.format, s.min_length, s.max_length);
            if let Some(found) = cache.borrow().get(&key) {
                return found.clone();
            }
            let found = pattern_example(p, base, s);
            let mut cache = cache.borrow_mut();
            if cache.len() >= PATTERN_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, found.clone());
            found
        }),
    }
}

type PatternKey = (String, Option<StringFormat>, Option<u64>, Option<u64>);

/// Enough for every distinct string type of a large contract; past it, start over (a
/// bound, so a process that emits many contracts does not grow).
const PATTERN_CACHE_ENTRIES: usize = 4096;

thread_local! {
    static PATTERN_EXAMPLES: std::cell::RefCell<std::collections::HashMap<PatternKey, Option<String>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn pattern_example(p: &str, base: &str, s: &StringTy) -> Option<String> {
    let re = regex::Regex::new(&format!("^(?:{p})$")).ok()?;
    if re.is_match(base) && len_ok(base, s) {
        return Some(base.into());
    }
    matching(p, |c| re.is_match(c) && len_ok(c, s))
}

fn len_ok(v: &str, s: &StringTy) -> bool {
    let n = v.chars().count() as u64;
    s.min_length.is_none_or(|m| n >= m) && s.max_length.is_none_or(|m| n <= m)
}

/// The base string padded with `x` (to at most `cap` characters) or cut to fit the
/// lengths (formats other than none are already short and fixed).
fn fit_length(base: &str, s: &StringTy, cap: usize) -> Option<String> {
    let mut v: String = base.into();
    if s.format.is_none() {
        if let Some(min) = s.min_length {
            let have = v.chars().count() as u64;
            let pad = min.min(cap as u64).saturating_sub(have);
            v.extend(std::iter::repeat_n('x', pad as usize));
        }
        if let Some(max) = s.max_length {
            v = v.chars().take(max as usize).collect();
        }
    }
    len_ok(&v, s).then_some(v)
}

/// A string matching `pattern` (a whole-value regex) and accepted by `ok`: built from the
/// pattern's syntax tree, taking the first alternative and the first alphanumeric
/// character of each class, and repeating each repetition `min + extra` times for
/// growing `extra` until `ok` accepts.
pub fn matching(pattern: &str, ok: impl Fn(&str) -> bool) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    (0..=64).find_map(|extra| {
        let mut out = String::new();
        build(&hir, extra, &mut out);
        ok(&out).then_some(out)
    })
}

fn build(hir: &Hir, extra: u32, out: &mut String) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(l) => out.push_str(&String::from_utf8_lossy(&l.0)),
        HirKind::Class(Class::Unicode(c)) => {
            let chars = c.ranges().iter().flat_map(|r| r.start()..=r.end());
            let pick = chars
                .clone()
                .take(4096)
                .find(|ch| ch.is_ascii_alphanumeric())
                .or_else(|| chars.clone().next());
            if let Some(ch) = pick {
                out.push(ch);
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            let bytes = c.ranges().iter().flat_map(|r| r.start()..=r.end());
            let pick = bytes
                .clone()
                .find(|b| b.is_ascii_alphanumeric())
                .or_else(|| bytes.clone().find(|b| b.is_ascii()));
            if let Some(b) = pick {
                out.push(b as char);
            }
        }
        HirKind::Repetition(r) => {
            let n = r
                .min
                .saturating_add(extra)
                .min(r.max.unwrap_or(u32::MAX))
                .min(r.min.max(1).saturating_add(256));
            for _ in 0..n {
                build(&r.sub, extra, out);
            }
        }
        HirKind::Capture(c) => build(&c.sub, extra, out),
        HirKind::Concat(parts) => {
            for p in parts {
                build(p, extra, out);
            }
        }
        HirKind::Alternation(alts) => {
            if let Some(first) = alts.first() {
                build(first, extra, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_match_their_patterns_and_lengths() {
        let s = StringTy {
            pattern: Some("^cus_[0-9a-z]{8,}$".into()),
            ..Default::default()
        };
        assert_eq!(string(&s).as_deref(), Some("cus_00000000"));
        let s = StringTy {
            pattern: Some("^[A-Z0-9]+(-[A-Z0-9]+)*$".into()),
            min_length: Some(3),
            max_length: Some(32),
            format: None,
        };
        assert_eq!(string(&s).as_deref(), Some("00-00"));
        let s = StringTy {
            min_length: Some(9),
            ..Default::default()
        };
        assert_eq!(string(&s).as_deref(), Some("examplexx"));
    }

    #[test]
    fn examples_are_bounded() {
        let s = StringTy {
            min_length: Some(3_000_000),
            ..Default::default()
        };
        // Beyond what Customer.io accepts: not padded to it, and fast.
        let t = std::time::Instant::now();
        assert_eq!(string(&s), None);
        let s = StringTy {
            min_length: Some(EXAMPLE_BYTES as u64),
            ..Default::default()
        };
        assert_eq!(string(&s).map(|v| v.len()), Some(EXAMPLE_BYTES));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }
}
