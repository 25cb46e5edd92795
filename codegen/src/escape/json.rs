//! JSON for a terminal or a log: serde_json escapes the C0 controls (`\u001b`) but writes
//! DEL, the C1 controls and the bidirectional overrides as they are, which some terminals
//! obey. Those characters can only stand inside JSON strings (everything else in a JSON
//! text is ASCII), so spelling them `\uXXXX` keeps the document and its values the same.

use std::borrow::Cow;
use std::io;

use super::terminal::is_unsafe;

/// `json` (a serialized JSON text) with every [`is_unsafe`] character as a `\u` escape.
pub fn safe(json: &str) -> Cow<'_, str> {
    if !json.contains(|c: char| c >= '\u{7f}' && is_unsafe(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c >= '\u{7f}' && is_unsafe(c) {
            // All of them are in the Basic Multilingual Plane: one `\uXXXX` each.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `value` as compact JSON on `w`, made [`safe`].
pub fn to_writer<W: io::Write, T: serde::Serialize>(mut w: W, value: &T) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::from)?;
    w.write_all(safe(&text).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn c0_is_escaped_by_serde_json_and_the_rest_here() {
        let v = serde_json::json!({"name": "a\u{1b}[31m\u{9b}\u{7f}\u{202e}b\n"});
        let text = serde_json::to_string(&v).unwrap();
        assert!(text.contains("\\u001b"), "{text}");
        assert_eq!(
            safe(&text),
            r#"{"name":"a\u001b[31m\u009b\u007f\u202eb\n"}"#
        );
    }

    proptest! {
        /// The same value comes back, and no character a terminal obeys is left.
        #[test]
        fn round_trips(s in any::<String>()) {
            let text = serde_json::to_string_pretty(&serde_json::json!({"k": s, "a": [s]})).unwrap();
            let safe = safe(&text);
            prop_assert!(!safe.chars().any(|c| c != '\n' && is_unsafe(c)));
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            prop_assert_eq!(&back["k"], &serde_json::Value::from(s.clone()));
        }
    }
}
