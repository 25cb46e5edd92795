//! XML text and attribute values (JUnit reports): the five markup characters as entities,
//! and the characters XML 1.0 cannot hold at all (C0 controls but tab/newline/return,
//! U+FFFE/U+FFFF) shown as `U+XXXX`, so a hostile name can neither end an element nor
//! make the report unreadable to the CI that parses it. Terminal controls (DEL, C1, the
//! bidirectional overrides) are shown the same way: reports are also read in terminals.

use std::borrow::Cow;

use super::terminal::is_unsafe;

fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !(c >= '\u{7f}' && is_unsafe(c))
}

/// `s` as XML character data or a double- or single-quoted attribute value.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(|c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || !allowed(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if !allowed(c) => out.push_str(&format!("U+{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markup_and_forbidden_characters() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(
            escape("</failure><x a='1'>&\u{0}\u{1b}\u{202e}"),
            "&lt;/failure&gt;&lt;x a=&apos;1&apos;&gt;&amp;U+0000U+001BU+202E"
        );
    }

    proptest! {
        /// Whatever the text, the escaped form holds no markup character and nothing XML
        /// 1.0 forbids, so it stays one text node.
        #[test]
        fn never_markup(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.contains(['<', '>', '"', '\'']));
            prop_assert!(e.chars().all(allowed));
            prop_assert!(e.split('&').skip(1).all(|rest| ["amp;", "lt;", "gt;", "quot;", "apos;"].iter().any(|p| rest.starts_with(p))));
        }
    }
}
