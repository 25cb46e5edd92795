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
/// A message with names quoted in backticks (`` event `x` was removed ``), split into
/// pieces: `(true, name)` for a quoted name (without its backticks), `(false, text)` for
/// the prose around. Every character of `s` but the quoting backticks is in one piece;
/// empty prose is left out.
///
/// A name may itself contain backticks; a backtick closes the name only before a space,
/// punctuation or the end, so `` `a`b` `` is the one name ``a`b``, and one opens a name
/// only after a space, punctuation or the start. A backtick that opens no name it can
/// close stays in the prose.
pub fn quoted_names(s: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut plain = 0; // start of the pending prose
    let mut prev: Option<char> = None;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '`' && opens_name(prev) {
            let body = i + 1;
            let close = s[body..].char_indices().find_map(|(j, c)| {
                let at = body + j;
                (c == '`' && closes_name(s[at + 1..].chars().next())).then_some(at)
            });
            if let Some(end) = close {
                if plain < i {
                    out.push((false, &s[plain..i]));
                }
                out.push((true, &s[body..end]));
                plain = end + 1;
                prev = Some('`');
                while iter.peek().is_some_and(|&(k, _)| k < plain) {
                    iter.next();
                }
                continue;
            }
        }
        prev = Some(c);
    }
    if plain < s.len() {
        out.push((false, &s[plain..]));
    }
    out
}

/// Whether a backtick after `prev` can open a quoted name.
fn opens_name(prev: Option<char>) -> bool {
    prev.is_none_or(|c| !c.is_alphanumeric() && c != '`')
}

/// Whether a backtick before `next` can close a quoted name.
fn closes_name(next: Option<char>) -> bool {
    next.is_none_or(|c| c.is_whitespace() || ":;,.)!?\"'".contains(c))
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}
