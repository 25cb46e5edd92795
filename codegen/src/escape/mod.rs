//! Untrusted text (names, descriptions and values from a contract or from captured
//! traffic) made safe for where it is written, one module per destination:
//! - [`terminal`]: a terminal; [`json`]: a JSON document read in a terminal or a log;
//! - [`markdown`]: Markdown, both the generated kind (the mdBook catalog, Rust doc
//!   comments: [`markdown::md_lines`] and its siblings) and a pull-request comment
//!   ([`markdown::text`], [`markdown::code`], [`markdown::message`], [`markdown::fenced`]);
//! - [`mermaid`]: a Mermaid label; [`rust`]: a line of a `//` comment;
//! - [`xml`]: an XML report such as JUnit's; [`html`]: a page (`trackc serve`'s).
//!
//! The rule is the same for every destination: the reader sees the text, never an
//! instruction to the thing that shows it (a terminal's escape sequence, a Markdown link).
//! Control characters show as a visible stand-in: [`control_picture`] for C0 and DEL
//! everywhere, then each destination's spelling of the rest (C1 controls and bidirectional
//! overrides: `\u{..}` on a terminal, `�` in generated files, [`visible`]).

pub mod html;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod rust;
pub mod terminal;
pub mod xml;

/// The Unicode control picture of a C0 control (`␛` for ESC, `␊` for a newline) or of DEL
/// (`␡`): what `check`'s diagnostics (annotate-snippets, after rustc) show.
pub fn control_picture(c: char) -> Option<char> {
    match c {
        // U+2400..U+241F are the pictures of U+0000..U+001F, in order; U+2421 is DEL's.
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('\u{2421}'),
        _ => None,
    }
}

/// The stand-in, in a generated file, for a character that must not be written as it is:
/// C0 controls (but tab and newline) and DEL as their [`control_picture`]s, C1 controls and
/// the bidirectional embeddings, overrides and isolates as `�`. A bare CR is a line break
/// to Markdown and an error in a Rust doc comment, and rustc refuses the overrides in
/// comments.
pub fn visible(c: char) -> Option<char> {
    match c {
        '\t' | '\n' => None,
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Some('\u{fffd}'),
        c => control_picture(c),
    }
}

/// The longest run of `c` in `s` (a fence must be longer).
fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}
