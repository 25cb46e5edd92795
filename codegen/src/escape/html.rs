//! HTML text and double- or single-quoted attribute values (`trackc serve`'s page,
//! `trackc simulate --format html`): XML's
//! escaping ([`super::xml`]: the markup characters as entities, controls and bidirectional
//! overrides as `U+XXXX`), and also the invisible characters that make two different names
//! look the same on a page (zero-width space and joiners, the BOM), shown the same way: a
//! person comparing `order_completed` with `order_completed\u{200b}` must see why they
//! differ.

use std::borrow::Cow;

use super::xml;

fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// `s` as HTML text or a quoted attribute value.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(invisible) {
        return xml::escape(s);
    }
    let mut shown = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if invisible(c) {
            shown.push_str(&format!("U+{:04X}", c as u32));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(xml::escape(&shown).into_owned())
}

/// A message with names quoted in backticks, for HTML: each quoted name as `<code>`, the
/// rest as text (pieces as [`super::quoted_names`] splits them), all escaped.
pub fn message(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for (is_name, piece) in super::quoted_names(s) {
        if is_name {
            out.push_str("<code>");
            out.push_str(&escape(piece));
            out.push_str("</code>");
        } else {
            out.push_str(&escape(piece));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names_become_code() {
        assert_eq!(
            message("event `a<b>` was removed & `x`"),
            "event <code>a&lt;b&gt;</code> was removed &amp; <code>x</code>"
        );
        // A name with a backtick inside; a lone backtick stays text.
        assert_eq!(message("`a`b` and don`t"), "<code>a`b</code> and don`t");
        assert_eq!(message("no names"), "no names");
    }

    #[test]
    fn markup_controls_and_invisible_characters() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(
            escape("<script>&\"'\u{202e}x\u{200b}\u{1b}"),
            "&lt;script&gt;&amp;&quot;&apos;U+202ExU+200BU+001B"
        );
    }
}
