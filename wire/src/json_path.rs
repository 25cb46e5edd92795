//! JSON paths into a request's data, as every report shows them: `$.items[2].category`,
//! `$["a key"]`.

use std::fmt;

use crate::text::{clip, json_quoted};

/// A JSON path built on the stack while checking a value; rendered only when something
/// fails.
#[derive(Clone, Copy, Debug)]
pub enum JsonPath<'a> {
    /// `$`, the value itself.
    Root,
    /// A key of an object: `.name` when it is a plain name (ASCII letters, digits, `_`),
    /// else `["…"]` as a JSON string.
    Field(&'a JsonPath<'a>, &'a str),
    /// An element of an array: `[2]`.
    Index(&'a JsonPath<'a>, usize),
}

impl JsonPath<'_> {
    pub fn field<'a>(&'a self, name: &'a str) -> JsonPath<'a> {
        JsonPath::Field(self, name)
    }

    pub fn index(&self, i: usize) -> JsonPath<'_> {
        JsonPath::Index(self, i)
    }

    /// The path with every key cut at `max` characters (with `…`): what a report keeps of
    /// names that come from untrusted traffic does not grow with it.
    pub fn clipped(&self, max: usize) -> Clipped<'_> {
        Clipped { path: self, max }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, max: usize) -> fmt::Result {
        match self {
            JsonPath::Root => f.write_str("$"),
            JsonPath::Field(parent, name) => {
                parent.write(f, max)?;
                let plain = !name.is_empty()
                    && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
                let name = clip(name, max);
                if plain {
                    write!(f, ".{name}")
                } else {
                    write!(f, "[{}]", json_quoted(&name))
                }
            }
            JsonPath::Index(parent, i) => {
                parent.write(f, max)?;
                write!(f, "[{i}]")
            }
        }
    }
}

impl fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, usize::MAX)
    }
}

/// See [`JsonPath::clipped`].
#[derive(Clone, Copy, Debug)]
pub struct Clipped<'a> {
    path: &'a JsonPath<'a>,
    max: usize,
}

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.path.write(f, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let root = JsonPath::Root;
        let items = root.field("items");
        let second = items.index(2);
        assert_eq!(second.field("category").to_string(), "$.items[2].category");
        assert_eq!(root.field("a key").to_string(), r#"$["a key"]"#);
        assert_eq!(root.field("").to_string(), r#"$[""]"#);
        assert_eq!(root.field("q\"").to_string(), r#"$["q\""]"#);
        assert_eq!(root.field("é").to_string(), r#"$["é"]"#);
    }

    #[test]
    fn clipped_keys() {
        let root = JsonPath::Root;
        let long = "k".repeat(10);
        assert_eq!(root.field(&long).clipped(4).to_string(), "$.kkkk…");
        assert_eq!(
            root.field("a b c d e").clipped(4).to_string(),
            r#"$["a b …"]"#
        );
        // Plain or not is decided on the whole name.
        assert_eq!(
            root.field("kkkk kk").clipped(4).to_string(),
            r#"$["kkkk…"]"#
        );
        assert_eq!(root.field(&long).to_string(), format!("$.{long}"));
    }
}
