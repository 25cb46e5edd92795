//! A JSON value whose object keys keep the order they were inserted in, and its pretty
//! printer. The emitters build documents in a chosen key order (`$schema`, `$id`, `title`,
//! ...) and the output must not depend on whether some crate in the build enabled
//! serde_json's `preserve_order`, so they do not go through `serde_json::Map`.

use std::borrow::Cow;
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    /// Already formatted as a JSON number.
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Obj),
}

/// An object with keys in insertion order. Inserting an existing key replaces its value
/// in place. Keys are mostly the emitters' own literals (`"type"`, `"description"`):
/// borrowed, not allocated per node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Obj(pub Vec<(Key, J)>);

/// An object key: a literal of the emitter or a name from the contract.
pub type Key = Cow<'static, str>;

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<J>) -> &mut Self {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    /// Builder form, for keys that are new to the object (the emitters chain literals):
    /// appended without the search [`Self::insert`] does, which was a twentieth of
    /// generating schemas. A repeated key is a bug in the emitter, caught by debug builds.
    pub fn with(mut self, key: impl Into<Key>, value: impl Into<J>) -> Self {
        let key = key.into();
        debug_assert!(!self.contains_key(&key), "key {key:?} set twice");
        self.0.push((key, value.into()));
        self
    }

    pub fn get(&self, key: &str) -> Option<&J> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Obj> for J {
    fn from(o: Obj) -> J {
        J::Obj(o)
    }
}

impl From<&str> for J {
    fn from(s: &str) -> J {
        J::Str(s.to_owned())
    }
}

impl From<String> for J {
    fn from(s: String) -> J {
        J::Str(s)
    }
}

impl From<&String> for J {
    fn from(s: &String) -> J {
        J::Str(s.clone())
    }
}

impl From<bool> for J {
    fn from(b: bool) -> J {
        J::Bool(b)
    }
}

impl From<u64> for J {
    fn from(n: u64) -> J {
        J::Num(n.to_string())
    }
}

impl From<i64> for J {
    fn from(n: i64) -> J {
        J::Num(n.to_string())
    }
}

impl From<f64> for J {
    fn from(n: f64) -> J {
        J::Num(number(n))
    }
}

impl From<Vec<J>> for J {
    fn from(v: Vec<J>) -> J {
        J::Arr(v)
    }
}

/// A float as a JSON number: integral values without a fraction (`0`, not `0.0`), so that
/// an integer's bounds read as integers; others in serde_json's shortest form.
pub fn number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        format!("{}", n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "null".into())
    }
}

/// A serde_json value (from the contract: examples, operands), object keys sorted so the
/// output does not depend on serde_json's map implementation.
pub fn from_value(v: &serde_json::Value) -> J {
    match v {
        serde_json::Value::Null => J::Null,
        serde_json::Value::Bool(b) => J::Bool(*b),
        serde_json::Value::Number(n) => J::Num(n.to_string()),
        serde_json::Value::String(s) => J::Str(s.clone()),
        serde_json::Value::Array(a) => J::Arr(a.iter().map(from_value).collect()),
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            J::Obj(Obj(keys
                .into_iter()
                .map(|k| (Key::Owned(k.clone()), from_value(&m[k])))
                .collect()))
        }
    }
}

impl J {
    /// As a serde_json value (for validators and tests).
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            J::Null => serde_json::Value::Null,
            J::Bool(b) => (*b).into(),
            J::Num(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
            J::Str(s) => s.as_str().into(),
            J::Arr(a) => a.iter().map(J::to_value).collect(),
            J::Obj(o) => serde_json::Value::Object(
                o.0.iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Pretty JSON, two-space indent, `\n` line ends, a final newline; arrays of short
    /// scalars (enum values, examples) stay on one line while they fit in 100 columns.
    pub fn pretty(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    /// Compact JSON on one line.
    pub fn compact(&self) -> String {
        let mut out = String::new();
        self.write_compact(&mut out);
        out
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, J::Arr(_) | J::Obj(_))
    }

    fn write_compact(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => write_str(out, s),
            J::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_compact(out);
                }
                out.push(']');
            }
            J::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.0.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str(out, k);
                    out.push_str(": ");
                    v.write_compact(out);
                }
                out.push('}');
            }
        }
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            J::Arr(a) if a.is_empty() => out.push_str("[]"),
            J::Obj(o) if o.is_empty() => out.push_str("{}"),
            J::Arr(a) if a.iter().all(J::is_scalar) => {
                // On one line when it fits; else filled to 100 columns (long code lists
                // stay readable). Written in place and measured: no string per item.
                let start = out.len();
                self.write_compact(out);
                if indent * 2 + (out.len() - start) <= 100 {
                    return;
                }
                out.truncate(start);
                out.push_str("[\n");
                let mut col = 0;
                for (i, v) in a.iter().enumerate() {
                    let last = i + 1 == a.len();
                    let width = v.compact_len() + usize::from(!last);
                    if col > 0 && col + 1 + width > 100 {
                        out.push('\n');
                        col = 0;
                    }
                    if col == 0 {
                        pad(out, indent + 1);
                        col = (indent + 1) * 2;
                    } else {
                        out.push(' ');
                        col += 1;
                    }
                    v.write_compact(out);
                    if !last {
                        out.push(',');
                    }
                    col += width;
                }
                out.push('\n');
                pad(out, indent);
                out.push(']');
            }
            J::Arr(a) => {
                out.push_str("[\n");
                for (i, v) in a.iter().enumerate() {
                    pad(out, indent + 1);
                    v.write(out, indent + 1);
                    if i + 1 < a.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                pad(out, indent);
                out.push(']');
            }
            J::Obj(o) => {
                out.push_str("{\n");
                for (i, (k, v)) in o.0.iter().enumerate() {
                    pad(out, indent + 1);
                    write_str(out, k);
                    out.push_str(": ");
                    v.write(out, indent + 1);
                    if i + 1 < o.0.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                pad(out, indent);
                out.push('}');
            }
            scalar => scalar.write_compact(out),
        }
    }

    /// The length in bytes of [`Self::write_compact`]'s text of a scalar.
    fn compact_len(&self) -> usize {
        match self {
            J::Null => 4,
            J::Bool(b) => 4 + usize::from(!*b),
            J::Num(n) => n.len(),
            J::Str(s) => str_len(s),
            J::Arr(_) | J::Obj(_) => self.compact().len(),
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = indent * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// How a character is written in a JSON string, if not as itself.
fn escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '\u{7f}' => "",
        _ => return None,
    })
}

/// A JSON string literal. Non-ASCII is written as is (the files are UTF-8); control
/// characters, quotes and backslashes are escaped, as are U+2028/U+2029. Runs of plain
/// text are copied whole; the scan is by bytes, since every character escaped is ASCII
/// or starts with the byte 0xE2.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f && b != 0xe2 {
            i += 1;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or_default();
        if let Some(e) = escape(c) {
            out.push_str(&s[plain..i]);
            if e.is_empty() {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                out.push_str(e);
            }
            plain = i + c.len_utf8();
        }
        i += c.len_utf8();
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// The length in bytes of [`write_str`]'s text.
fn str_len(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match escape(c) {
            None => c.len_utf8(),
            Some("") => 6,
            Some(e) => e.len(),
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_parseable_json_in_insertion_order() {
        let doc = J::Obj(
            Obj::new()
                .with("z", 1.5)
                .with("a", J::Arr(vec!["x".into(), J::Null]))
                .with("q\"\n\u{1}", Obj::new())
                .with("n", 3.0),
        );
        let text = doc.pretty();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc.to_value());
        assert!(text.find("\"z\"").unwrap() < text.find("\"a\"").unwrap());
        assert!(text.contains("\"n\": 3\n"));
        assert!(text.contains("[\"x\", null]"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_round_trips_and_its_length_is_measured(s in "(?s).{0,40}|[\u{0}-\u{7f}\u{2027}-\u{202a}é]{0,20}") {
            let mut out = String::new();
            write_str(&mut out, &s);
            proptest::prop_assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s.clone());
            let raw = out.contains(['\u{2028}', '\u{2029}', '\u{7f}']);
            proptest::prop_assert!(!raw, "unescaped separator in {:?}", out);
            proptest::prop_assert_eq!(str_len(&s), out.len());
        }
    }

    #[test]
    fn measured_lengths_are_the_written_ones() {
        for v in [
            J::Null,
            J::Bool(true),
            J::Bool(false),
            J::Num("-1.5e3".into()),
            J::Str("plain é 日本".into()),
            J::Str("q\"b\\n\n\r\t\u{1}\u{7f}\u{2028}x".into()),
        ] {
            assert_eq!(v.compact_len(), v.compact().len(), "{v:?}");
        }
    }

    #[test]
    fn long_scalar_arrays_fill_lines_of_100_columns() {
        let items: Vec<J> = (0..60).map(|i| J::Str(format!("value_{i}"))).collect();
        let text = J::Obj(Obj::new().with("enum", items)).pretty();
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
        assert!(text.lines().count() > 3);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["enum"].as_array().unwrap().len(), 60);
    }
}
