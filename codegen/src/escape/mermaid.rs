//! Text for Mermaid charts (the catalog's flowchart).

use std::fmt::Write as _;

use super::visible;

/// A quoted Mermaid label's text (`["..."]`): one line, with Mermaid's entity codes for
/// what its parser, its HTML labels or its directives would read.
pub fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '%' => out.push_str("#37;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(visible(c).unwrap_or(c)),
        }
    }
    out
}

/// A link target for a `click ID href "..."` line: every byte outside
/// `[A-Za-z0-9_./#-]` percent-encoded, so nothing in it can end the string, start a
/// directive (`%%`), read as an entity code (`#name;`) or a scheme (`javascript:` has a
/// `:`, which is encoded). Callers pass only generated page paths (file stems, anchors).
pub fn link(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'#' | b'-') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_keep_only_path_characters() {
        assert_eq!(
            super::link("segments.html#cart_abandoners"),
            "segments.html#cart_abandoners"
        );
        assert_eq!(
            super::link("segments.html#ünï"),
            "segments.html#%C3%BCn%C3%AF"
        );
        assert_eq!(
            super::link("javascript:alert(1)\"%%"),
            "javascript%3Aalert%281%29%22%25%25"
        );
    }

    #[test]
    fn directives_and_quotes_are_entities() {
        assert_eq!(
            super::label("%%{init: {\"securityLevel\": \"loose\"}}%%"),
            "#37;#37;{init: {#quot;securityLevel#quot;: #quot;loose#quot;}}#37;#37;"
        );
    }
}
