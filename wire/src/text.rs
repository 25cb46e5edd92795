//! Small text rules of the wire: the loose spelling of enum values ([`fold`]), JSON string
//! quoting ([`json_quoted`]) and cutting untrusted names short ([`clip`]).

use std::borrow::Cow;
use std::fmt;

/// The loose spelling generated enums' `normalize` matches on: lowercase, with spaces,
/// `-`, `_` and `.` removed (`"Skin Care"`, `"skin-care"` → `"skincare"`). The Rust
/// emitter computes it when it writes the match table and the runtime when it reads a
/// value, so both call this one function.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ' ' | '-' | '_' | '.') {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `s` cut at `max` characters, with `…` when cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    match s.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &s[..cut])),
        None => Cow::Borrowed(s),
    }
}

/// `s` as a JSON string literal, escaped exactly as serde_json writes it (`\"`, `\\`,
/// `\b \f \n \r \t`, other control characters as `\u00XX`), so that text shown from this
/// crate and from serde_json is the same.
pub fn json_quoted(s: &str) -> JsonQuoted<'_> {
    JsonQuoted(s)
}

/// See [`json_quoted`].
#[derive(Clone, Copy, Debug)]
pub struct JsonQuoted<'a>(&'a str);

impl fmt::Display for JsonQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        f.write_str("\"")?;
        let mut start = 0;
        for (i, b) in self.0.bytes().enumerate() {
            let esc: &str = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                0x08 => "\\b",
                0x0c => "\\f",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..0x20 => "",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            if esc.is_empty() {
                let u = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ];
                // ASCII by construction.
                f.write_str(std::str::from_utf8(&u).map_err(|_| fmt::Error)?)?;
            } else {
                f.write_str(esc)?;
            }
            start = i + 1;
        }
        f.write_str(&self.0[start..])?;
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds() {
        assert_eq!(fold("Skin Care"), "skincare");
        assert_eq!(fold("skin-care"), "skincare");
        assert_eq!(fold("SKIN_CARE"), "skincare");
        assert_eq!(fold("Über.Größe"), "übergröße");
    }

    #[test]
    fn clips_by_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
        assert_eq!(clip("ééé", 3), "ééé");
        assert_eq!(clip("éééé", 3), "ééé…");
    }

    #[test]
    fn quotes_like_serde_json() {
        for s in [
            "",
            "plain",
            "q\"b\\s",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
            "line\nfeed\r\ttab",
            "é ☃ \u{2028}",
        ] {
            assert_eq!(
                json_quoted(s).to_string(),
                serde_json::Value::from(s).to_string(),
                "{s:?}"
            );
        }
    }
}
