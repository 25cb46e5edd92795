//! Valid payloads (proptest strategies) and invalid ones (mutations of a valid payload),
//! derived from the IR alone, so that any backend's verdict can be compared with what the
//! contract says.
//!
//! ```ignore
//! use trackc_codegen::testing::payloads::{Shape, valid, mutations};
//! let shape = Shape::event(ir, event);
//! proptest!(|(data in valid(shape.clone()))| {
//!     assert!(my_backend_accepts(&data));
//!     for m in mutations(&shape, &data) {
//!         assert_eq!(my_backend_accepts(&m.payload), m.valid, "{}: {}", m.path, m.what);
//!     }
//! });
//! ```
//!
//! Semantics (trackc's, shared by the schema emitter and `trackc validate`): properties
//! are required unless optional; an optional property may be absent but not `null`;
//! closed objects refuse unknown keys; enums accept canonical values only (aliases are
//! invalid); lengths count Unicode scalar values; patterns match the whole value;
//! timestamps are integers within ±`MAX_TIMESTAMP_SECONDS`; dates are real calendar dates.
//! Generated numbers are never integral floats for integer properties (`1.0`), where
//! JSON Schema and trackc differ by design.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::ir::{Event, Ir, StringFormat, StringTy, Ty, TypeKind};
use trackc_wire::formats;
use trackc_wire::time::MAX_TIMESTAMP_SECONDS;

/// A resolved, owned type tree (references followed), so strategies can be `'static`.
#[derive(Clone, Debug)]
pub enum Shape {
    String(StringTy),
    Integer {
        min: Option<f64>,
        max: Option<f64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    Timestamp,
    Date,
    Enum {
        values: Vec<String>,
        aliases: Vec<String>,
    },
    Array {
        items: Arc<Shape>,
        min_items: Option<u64>,
        max_items: Option<u64>,
    },
    Object {
        fields: Vec<Field>,
        open: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub shape: Arc<Shape>,
    pub optional: bool,
}

impl Shape {
    pub fn of(ir: &Ir, ty: &Ty) -> Shape {
        match ty {
            Ty::String(s) => Shape::String(s.clone()),
            Ty::Integer(b) => Shape::Integer {
                min: b.minimum,
                max: b.maximum,
            },
            Ty::Number(b) => Shape::Number {
                min: b.minimum,
                max: b.maximum,
            },
            Ty::Boolean => Shape::Boolean,
            Ty::Timestamp => Shape::Timestamp,
            Ty::Date => Shape::Date,
            Ty::Array(a) => Shape::Array {
                items: Arc::new(Shape::of(ir, &a.items)),
                min_items: a.min_items,
                max_items: a.max_items,
            },
            Ty::Ref(id) => match &ir.ty(*id).kind {
                TypeKind::Enum(e) => Shape::Enum {
                    values: e.values.iter().map(|v| v.value.clone()).collect(),
                    aliases: e
                        .values
                        .iter()
                        .flat_map(|v| v.aliases.iter().cloned())
                        .filter(|a| !e.values.iter().any(|v| &v.value == a))
                        .collect(),
                },
                TypeKind::Object(o) => {
                    Shape::object(ir, &o.properties, o.additional_properties, false)
                }
                TypeKind::Alias(inner) => Shape::of(ir, inner),
            },
        }
    }

    fn object(ir: &Ir, props: &[crate::ir::Property], open: bool, all_optional: bool) -> Shape {
        Shape::Object {
            fields: props
                .iter()
                .map(|p| Field {
                    name: p.name.clone(),
                    shape: Arc::new(Shape::of(ir, &p.ty)),
                    optional: p.optional || all_optional,
                })
                .collect(),
            open,
        }
    }

    /// An event's data.
    pub fn event(ir: &Ir, e: &Event) -> Arc<Shape> {
        Arc::new(Shape::object(ir, &e.properties, false, false))
    }

    /// Identify attributes (every one optional).
    pub fn attributes(ir: &Ir) -> Arc<Shape> {
        Arc::new(Shape::object(ir, &ir.attributes, false, true))
    }

    /// A fixed valid value (the smallest that satisfies every constraint).
    pub fn example(&self) -> Value {
        match self {
            Shape::String(s) => crate::emit::example::string(s)
                .map(Value::from)
                .unwrap_or(Value::Null),
            Shape::Integer { min, max } => {
                let (lo, hi) = int_range(*min, *max);
                json!(0i64.clamp(lo, hi))
            }
            Shape::Number { min, max } => {
                let mut v = 0.5f64;
                if let Some(m) = min {
                    v = v.max(*m);
                }
                if let Some(m) = max {
                    v = v.min(*m);
                }
                json!(v)
            }
            Shape::Boolean => json!(false),
            Shape::Timestamp => json!(crate::emit::example::EXAMPLE_TIMESTAMP),
            Shape::Date => json!(crate::emit::example::EXAMPLE_DATE),
            Shape::Enum { values, .. } => values.first().map(|v| json!(v)).unwrap_or(Value::Null),
            Shape::Array {
                items, min_items, ..
            } => Value::Array(
                (0..min_items.unwrap_or(0))
                    .map(|_| items.example())
                    .collect(),
            ),
            Shape::Object { fields, .. } => Value::Object(
                fields
                    .iter()
                    .filter(|f| !f.optional)
                    .map(|f| (f.name.clone(), f.shape.example()))
                    .collect(),
            ),
        }
    }
}

const INT_SPAN: i64 = 1_000_000_000;
const NUM_SPAN: f64 = 1e6;

fn int_range(min: Option<f64>, max: Option<f64>) -> (i64, i64) {
    let lo = min.map(|m| m.ceil().max(-9e15) as i64);
    let hi = max.map(|m| m.floor().min(9e15) as i64);
    match (lo, hi) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l.saturating_add(INT_SPAN)),
        (None, Some(h)) => (h.saturating_sub(INT_SPAN), h),
        (None, None) => (-INT_SPAN, INT_SPAN),
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        _ => 28,
    }
}

fn len_ok(v: &str, s: &StringTy) -> bool {
    let n = v.chars().count() as u64;
    s.min_length.is_none_or(|m| n >= m) && s.max_length.is_none_or(|m| n <= m)
}

fn anchored(p: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!("^(?:{p})$")).ok()
}

/// Whether trackc's runtime accepts `v` in the format.
pub fn format_ok(v: &str, f: StringFormat) -> bool {
    let re = |p: &str| regex::Regex::new(p).map(|r| r.is_match(v)).unwrap_or(false);
    match f {
        StringFormat::Email => re(formats::EMAIL_PATTERN),
        StringFormat::E164 => re(formats::E164_PATTERN),
        StringFormat::Uri => re(formats::URI_PATTERN),
        StringFormat::Uuid => re(formats::UUID_PATTERN),
        StringFormat::Currency => formats::is_currency(v),
        StringFormat::Country => formats::is_country(v),
    }
}

fn string_strategy(s: &StringTy) -> BoxedStrategy<String> {
    let base: BoxedStrategy<String> = match s.format {
        Some(StringFormat::Email) => {
            regex_strategy("[a-z0-9._+-]{1,10}@[a-z0-9-]{1,10}\\.[a-z]{2,4}")
        }
        Some(StringFormat::E164) => regex_strategy("\\+[1-9][0-9]{1,14}"),
        Some(StringFormat::Uri) => regex_strategy("(https?|mailto|urn):[a-z0-9/._~?#=&%-]{0,20}"),
        Some(StringFormat::Uuid) => regex_strategy(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        ),
        Some(StringFormat::Currency) => proptest::sample::select(formats::CURRENCIES)
            .prop_map(str::to_owned)
            .boxed(),
        Some(StringFormat::Country) => proptest::sample::select(formats::COUNTRIES)
            .prop_map(str::to_owned)
            .boxed(),
        None => match &s.pattern {
            Some(p) => {
                let stripped = p.strip_prefix('^').unwrap_or(p);
                let stripped = stripped.strip_suffix('$').unwrap_or(stripped);
                match proptest::string::string_regex(stripped) {
                    Ok(st) => st.boxed(),
                    Err(_) => Just(crate::emit::example::matching(p, |_| true).unwrap_or_default())
                        .boxed(),
                }
            }
            None => {
                let min = s.min_length.unwrap_or(0).min(200) as usize;
                let max = s
                    .max_length
                    .map(|m| m as usize)
                    .unwrap_or(min + 16)
                    .min(min + 16);
                proptest::collection::vec(any::<char>(), min..=max.max(min))
                    .prop_map(|cs| cs.into_iter().collect::<String>())
                    .boxed()
            }
        },
    };
    let s = s.clone();
    let re = s.pattern.as_deref().and_then(anchored);
    base.prop_filter("string constraints", move |v| {
        len_ok(v, &s)
            && re.as_ref().is_none_or(|r| r.is_match(v))
            && s.format.is_none_or(|f| format_ok(v, f))
    })
    .boxed()
}

fn regex_strategy(re: &str) -> BoxedStrategy<String> {
    proptest::string::string_regex(re)
        .expect("built-in generator regexes are supported")
        .boxed()
}

/// Valid values of the shape.
pub fn valid(shape: Arc<Shape>) -> BoxedStrategy<Value> {
    match &*shape {
        Shape::String(s) => string_strategy(s).prop_map(Value::from).boxed(),
        Shape::Integer { min, max } => {
            let (lo, hi) = int_range(*min, *max);
            prop_oneof![Just(lo), Just(hi), lo..=hi]
                .prop_map(|v| json!(v))
                .boxed()
        }
        Shape::Number { min, max } => {
            let lo = min.unwrap_or(max.map_or(-NUM_SPAN, |m| m - NUM_SPAN));
            let hi = max.unwrap_or(lo + NUM_SPAN);
            let (lo, hi) = (lo.max(-1e300), hi.min(1e300));
            prop_oneof![Just(lo), Just(hi), lo..=hi]
                .prop_filter("finite", |v: &f64| v.is_finite())
                .prop_map(|v| json!(v))
                .boxed()
        }
        Shape::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        Shape::Timestamp => {
            let m = MAX_TIMESTAMP_SECONDS;
            prop_oneof![Just(-m), Just(m), Just(0i64), -m..=m, 0i64..2_000_000_000]
                .prop_map(|v| json!(v))
                .boxed()
        }
        Shape::Date => (0u32..=9999, 1u32..=12, 1u32..=31)
            .prop_map(|(y, m, d)| {
                let d = d.min(days_in_month(y, m));
                json!(format!("{y:04}-{m:02}-{d:02}"))
            })
            .boxed(),
        Shape::Enum { values, .. } => proptest::sample::select(values.clone())
            .prop_map(Value::from)
            .boxed(),
        Shape::Array {
            items,
            min_items,
            max_items,
        } => {
            let min = min_items.unwrap_or(0).min(64) as usize;
            let max = max_items
                .map(|m| m as usize)
                .unwrap_or(min + 3)
                .min(min + 3);
            proptest::collection::vec(valid(items.clone()), min..=max.max(min))
                .prop_map(Value::Array)
                .boxed()
        }
        Shape::Object { fields, open } => {
            let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
                .iter()
                .map(|f| {
                    let name = f.name.clone();
                    let v = valid(f.shape.clone());
                    if f.optional {
                        proptest::option::of(v.prop_map(move |v| (name.clone(), v))).boxed()
                    } else {
                        v.prop_map(move |v| Some((name.clone(), v))).boxed()
                    }
                })
                .collect();
            let open = *open;
            (parts, any::<bool>())
                .prop_map(move |(kvs, extra)| {
                    let mut m: Map<String, Value> = kvs.into_iter().flatten().collect();
                    if open && extra {
                        m.insert("__trackc_extra".into(), json!({"any": [1, "x"]}));
                    }
                    Value::Object(m)
                })
                .boxed()
        }
    }
}

/// One change to a valid payload, and whether the result is still valid.
#[derive(Clone, Debug)]
pub struct Mutation {
    /// JSON path of the changed value (`$.items[0].sku`).
    pub path: String,
    /// What was done (`remove required property`, `below minimum`, ...).
    pub what: String,
    /// trackc's verdict on the mutated payload.
    pub valid: bool,
    /// The whole mutated payload.
    pub payload: Value,
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

enum Edit {
    Replace(Value),
    Remove,
    Insert(String, Value),
}

/// Every mutation of `value` (valid for `shape`): each breaks one rule (`valid: false`)
/// or changes it in a way the contract allows (`valid: true`).
pub fn mutations(shape: &Shape, value: &Value) -> Vec<Mutation> {
    let mut edits = Vec::new();
    collect(shape, value, &mut Vec::new(), &mut edits);
    edits
        .into_iter()
        .map(|(path, edit, what, valid)| {
            let mut payload = value.clone();
            apply(&mut payload, &path, edit);
            Mutation {
                path: render(&path),
                what,
                valid,
                payload,
            }
        })
        .collect()
}

fn render(path: &[Seg]) -> String {
    let mut s = String::from("$");
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn apply(root: &mut Value, path: &[Seg], edit: Edit) {
    let (last, parents) = match (&edit, path.split_last()) {
        (Edit::Insert(..), _) => (None, path),
        (_, Some((last, parents))) => (Some(last), parents),
        (_, None) => (None, path),
    };
    let mut cur = root;
    for seg in parents {
        cur = match seg {
            Seg::Key(k) => &mut cur[k.as_str()],
            Seg::Index(i) => &mut cur[*i],
        };
    }
    match (edit, last) {
        (Edit::Insert(k, v), _) => {
            if let Value::Object(m) = cur {
                m.insert(k, v);
            }
        }
        (Edit::Replace(v), Some(Seg::Key(k))) => cur[k.as_str()] = v,
        (Edit::Replace(v), Some(Seg::Index(i))) => cur[*i] = v,
        (Edit::Replace(v), None) => *cur = v,
        (Edit::Remove, Some(Seg::Key(k))) => {
            if let Value::Object(m) = cur {
                m.remove(k);
            }
        }
        (Edit::Remove, Some(Seg::Index(i))) => {
            if let Value::Array(a) = cur {
                a.remove(*i);
            }
        }
        (Edit::Remove, None) => {}
    }
}

type Edits = Vec<(Vec<Seg>, Edit, String, bool)>;

fn collect(shape: &Shape, value: &Value, path: &mut Vec<Seg>, out: &mut Edits) {
    let mut bad =
        |v: Value, what: &str| out.push((path.clone(), Edit::Replace(v), what.into(), false));
    bad(Value::Null, "null");
    match shape {
        Shape::String(s) => {
            bad(json!(12345), "number for string");
            bad(json!(true), "boolean for string");
            let cur = value.as_str().unwrap_or_default();
            if let Some(min) = s.min_length.filter(|m| *m > 0) {
                let short: String = cur.chars().take(min as usize - 1).collect();
                bad(json!(short), "shorter than min_length");
            }
            if let Some(max) = s.max_length {
                let mut long: String = cur.chars().collect();
                while (long.chars().count() as u64) <= max {
                    long.push('é');
                }
                bad(json!(long), "longer than max_length");
            }
            if let Some(re) = s.pattern.as_deref().and_then(anchored) {
                let candidates = [
                    String::new(),
                    "!".into(),
                    format!("{cur}\n"),
                    format!("\n{cur}"),
                    format!("{cur} !"),
                    "\u{1F600}".into(),
                ];
                if let Some(c) = candidates.into_iter().find(|c| !re.is_match(c)) {
                    bad(json!(c), "does not match pattern");
                }
            }
            if let Some(f) = s.format {
                let candidates: &[&str] = match f {
                    StringFormat::Email => &["not-an-email", "a@b", "a b@c.de", "@example.com"],
                    StringFormat::E164 => &["0123456", "+0123456", "+1 415 555 0123", "+"],
                    StringFormat::Uri => &["no scheme", "/relative/path", "1http://x"],
                    StringFormat::Uuid => &[
                        "3f1c2a9e8b7d4c6f9a2e1d0b5c4e7f60",
                        "3f1c2a9e-8b7d-4c6f-9a2e-1d0b5c4e7f6",
                        "3f1c2a9e-8b7d-4c6f-9a2e-1d0b5c4e7f6g",
                    ],
                    StringFormat::Currency => &["usd", "ZZZ", "US"],
                    StringFormat::Country => &["gb", "UK", "ZZ", "USA"],
                };
                for c in candidates {
                    debug_assert!(!format_ok(c, f));
                    bad(json!(c), &format!("not a valid {}", f.as_str()));
                }
            }
        }
        Shape::Integer { min, max } => {
            bad(json!("1"), "string for integer");
            bad(json!(0.5), "fraction for integer");
            if let Some(m) = min.filter(|m| m.abs() < 9e15) {
                bad(json!(m.ceil() as i64 - 1), "below minimum");
            }
            if let Some(m) = max.filter(|m| m.abs() < 9e15) {
                bad(json!(m.floor() as i64 + 1), "above maximum");
            }
        }
        Shape::Number { min, max } => {
            bad(json!("1.5"), "string for number");
            bad(json!(true), "boolean for number");
            if let Some(m) = min.filter(|m| m.is_finite()) {
                bad(json!(m - 1.0), "below minimum");
                if m.next_down().is_finite() {
                    bad(json!(m.next_down()), "just below minimum");
                }
            }
            if let Some(m) = max.filter(|m| m.is_finite()) {
                bad(json!(m + 1.0), "above maximum");
                if m.next_up().is_finite() {
                    bad(json!(m.next_up()), "just above maximum");
                }
            }
        }
        Shape::Boolean => {
            bad(json!("true"), "string for boolean");
            bad(json!(1), "number for boolean");
        }
        Shape::Timestamp => {
            let m = MAX_TIMESTAMP_SECONDS;
            bad(json!(1_700_000_000_000i64), "milliseconds");
            bad(json!(m + 1), "above the seconds range");
            bad(json!(-m - 1), "below the seconds range");
            bad(json!(1.5), "fraction for timestamp");
            bad(json!("1700000000"), "string for timestamp");
        }
        Shape::Date => {
            for c in [
                "2023-02-29",
                "2024-13-01",
                "2024-04-31",
                "2024-1-01",
                "2024-01-01T00:00:00Z",
                "24-01-01",
            ] {
                bad(json!(c), "not a calendar date");
            }
            bad(json!(20240101), "number for date");
        }
        Shape::Enum { values, aliases } => {
            bad(json!("__not_a_value__"), "not an enum value");
            bad(json!(1), "number for enum");
            for a in aliases {
                bad(json!(a), "alias instead of canonical value");
            }
            if let Some(v) = values.first() {
                let upper = v.to_uppercase();
                if !values.contains(&upper) {
                    bad(json!(upper), "enum value in another case");
                }
            }
        }
        Shape::Array {
            items,
            min_items,
            max_items,
        } => {
            bad(json!({}), "object for array");
            let cur = value.as_array().cloned().unwrap_or_default();
            if let Some(min) = min_items.filter(|m| *m > 0) {
                bad(
                    Value::Array(cur[..(min as usize - 1).min(cur.len())].to_vec()),
                    "fewer than min_items",
                );
            }
            if let Some(max) = max_items.filter(|m| *m < 10_000) {
                let mut long = cur.clone();
                let filler = cur.first().cloned().unwrap_or_else(|| items.example());
                while (long.len() as u64) <= max {
                    long.push(filler.clone());
                }
                bad(Value::Array(long), "more than max_items");
            }
            for (i, v) in cur.iter().enumerate().take(2) {
                path.push(Seg::Index(i));
                collect(items, v, path, out);
                path.pop();
            }
        }
        Shape::Object { fields, open } => {
            bad(json!([]), "array for object");
            let Some(m) = value.as_object() else { return };
            out.push((
                path.clone(),
                Edit::Insert("__trackc_unknown".into(), json!(1)),
                "unknown property".into(),
                *open,
            ));
            for f in fields {
                path.push(Seg::Key(f.name.clone()));
                match m.get(&f.name) {
                    Some(v) => {
                        out.push((
                            path.clone(),
                            Edit::Remove,
                            if f.optional {
                                "remove optional property".into()
                            } else {
                                "remove required property".into()
                            },
                            f.optional,
                        ));
                        collect(&f.shape, v, path, out);
                    }
                    None => {
                        let parent = path[..path.len() - 1].to_vec();
                        out.push((
                            parent,
                            Edit::Insert(f.name.clone(), f.shape.example()),
                            "add optional property".into(),
                            true,
                        ));
                    }
                }
                path.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_apply_where_they_say() {
        let shape = Shape::Object {
            fields: vec![
                Field {
                    name: "a".into(),
                    shape: Arc::new(Shape::Integer {
                        min: Some(1.0),
                        max: None,
                    }),
                    optional: false,
                },
                Field {
                    name: "b".into(),
                    shape: Arc::new(Shape::Boolean),
                    optional: true,
                },
            ],
            open: false,
        };
        let v = json!({"a": 3});
        let ms = mutations(&shape, &v);
        let below = ms.iter().find(|m| m.what == "below minimum").unwrap();
        assert_eq!(below.payload, json!({"a": 0}));
        assert_eq!(below.path, "$.a");
        let add = ms
            .iter()
            .find(|m| m.what == "add optional property")
            .unwrap();
        assert_eq!(add.payload, json!({"a": 3, "b": false}));
        assert!(add.valid);
        let gone = ms
            .iter()
            .find(|m| m.what == "remove required property")
            .unwrap();
        assert_eq!(gone.payload, json!({}));
        assert!(!gone.valid);
    }
}
