//! Text for a terminal: no character that a terminal obeys instead of showing.
//!
//! ESC starts CSI/OSC sequences (colors, cursor moves, window titles, hyperlinks, and on
//! some terminals clipboard writes), CR and BS overwrite what was printed, a newline
//! forges a line of the report, the C1 range (U+0080..U+009F) holds 8-bit CSI/OSC
//! introducers, and bidirectional overrides reorder what is shown ("Trojan Source").
//!
//! C0 controls and DEL become their Unicode Control Pictures (ESC → `␛`, CR → `␍`, newline
//! → `␊`), as `check`'s diagnostics (annotate-snippets, after rustc) show them; C1
//! controls and the invisible direction marks become `\u{..}`. Everything else, including
//! every printable non-ASCII character, is kept: text without these characters is
//! returned unchanged (borrowed).

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as is.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidirectional embeddings, overrides, isolates and marks.
        | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// `s` for one line of terminal output: every [`is_unsafe`] character made visible,
/// newline and tab included.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// `s` for several lines of terminal output: as [`escape`], but newlines (and tabs) stay.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// Text already made terminal-safe by annotate-snippets (which shows C0 controls and
/// bidirectional overrides as pictures, and may add its own ESC color sequences): only
/// what it lets through, the C1 controls and direction marks.
pub fn escape_rendered(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c >= '\u{80}' && is_unsafe(c))
}

fn escape_where(s: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&bad) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if bad(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push_visible(out: &mut String, c: char) {
    match super::control_picture(c) {
        Some(p) => out.push(p),
        None => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(escape("a\x1b]8;;http://x\x07b"), "a␛]8;;http://x␇b");
        assert_eq!(escape("ok\rforged\nline\t"), "ok␍forged␊line␉");
        assert_eq!(escape("\u{9b}31m\u{202e}cba"), "\\u{9b}31m\\u{202e}cba");
        assert_eq!(escape("\u{7f}"), "␡");
        assert_eq!(escape_lines("a\nb\tc\x1b"), "a\nb\tc␛");
        assert_eq!(
            escape_rendered("\x1b[1mx\u{85}\x1b[0m"),
            "\x1b[1mx\\u{85}\x1b[0m"
        );
    }

    #[test]
    fn safe_text_is_borrowed() {
        for s in ["", "order_completed", "café → ☕ 日本", "`x` | [y](z)"] {
            assert!(matches!(escape(s), Cow::Borrowed(t) if t == s), "{s:?}");
        }
    }

    proptest! {
        /// Nothing a terminal obeys survives, and safe characters are kept in order.
        #[test]
        fn no_unsafe_character_survives(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.chars().any(is_unsafe), "{e:?}");
            // Every safe character of the input is shown, in order (a subsequence).
            let mut rest = e.chars();
            for c in s.chars().filter(|&c| !is_unsafe(c)) {
                prop_assert!(rest.any(|x| x == c), "{c:?} lost in {e:?}");
            }
            let lines = escape_lines(&s);
            prop_assert!(!lines.chars().any(|c| c != '\n' && c != '\t' && is_unsafe(c)));
            prop_assert_eq!(lines.matches('\n').count(), s.matches('\n').count());
        }
    }
}
