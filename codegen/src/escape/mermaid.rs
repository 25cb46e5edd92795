//! Text for Mermaid charts (the catalog's flowchart).

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

#[cfg(test)]
mod tests {
    #[test]
    fn directives_and_quotes_are_entities() {
        assert_eq!(
            super::label("%%{init: {\"securityLevel\": \"loose\"}}%%"),
            "#37;#37;{init: {#quot;securityLevel#quot;: #quot;loose#quot;}}#37;#37;"
        );
    }
}
