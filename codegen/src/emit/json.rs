//! A JSON value whose object keys keep the order they were inserted in, and its pretty
//! printer. The emitters build documents in a chosen key order (`$schema`, `$id`, `title`,
//! ...) and the output must not depend on whether some crate in the build enabled
//! serde_json's `preserve_order`, so they do not go through `serde_json::Map`.

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
/// in place.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Obj(pub Vec<(String, J)>);

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<J>) -> &mut Self {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    pub fn with(mut self, key: impl Into<String>, value: impl Into<J>) -> Self {
        self.insert(key, value);
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
                .map(|k| (k.clone(), from_value(&m[k])))
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
                o.0.iter().map(|(k, v)| (k.clone(), v.to_value())).collect(),
            ),
        }
    }

    /// Pretty JSON, two-space indent, `\n` line ends, a final newline; arrays of short
    /// scalars (enum values, examples) stay on one line while they fit in 100 columns.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
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
            J::Arr(a) => {
                if a.iter().all(J::is_scalar) {
                    let mut line = String::new();
                    self.write_compact(&mut line);
                    if indent * 2 + line.len() <= 100 {
                        out.push_str(&line);
                        return;
                    }
                }
                if a.iter().all(J::is_scalar) {
                    // Fill lines up to 100 columns (long code lists stay readable).
                    out.push_str("[\n");
                    let mut col = 0;
                    for (i, v) in a.iter().enumerate() {
                        let mut item = String::new();
                        v.write_compact(&mut item);
                        if i + 1 < a.len() {
                            item.push(',');
                        }
                        if col > 0 && col + 1 + item.len() > 100 {
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
                        out.push_str(&item);
                        col += item.len();
                    }
                    out.push('\n');
                    pad(out, indent);
                    out.push(']');
                    return;
                }
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
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// A JSON string literal. Non-ASCII is written as is (the files are UTF-8); control
/// characters, quotes and backslashes are escaped, as are U+2028/U+2029.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
}
