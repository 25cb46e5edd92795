//! Text for generated Rust source outside doc comments (doc comments are Markdown:
//! [`super::markdown::md_lines`]).

use super::visible;

/// Text for one line of a `//` comment: no line break (it would end the comment and
/// start code), no control character, no bidirectional override.
pub fn comment(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' => '\u{240a}',
            c => visible(c).unwrap_or(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_comment_stays_one_line() {
        assert_eq!(super::comment("x\nfn evil() {}"), "x\u{240a}fn evil() {}");
    }
}
