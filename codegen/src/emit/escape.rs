//! Contract text and names for each place they are written to. Contracts arrive in pull
//! requests (from forks too), so every name, description, owner, note and value is
//! untrusted: it must show as the text it is, never become a construct of the output.
//!
//! One function per destination; every emitter uses these and no hand-made escaping:
//! - [`md_lines`] (running Markdown text: the catalog's descriptions, Rust doc comments),
//!   [`md_cell`] (a Markdown table cell), [`md_line`] (one line: headings, link titles):
//!   contract text is *literal* text. No link, image, raw HTML, heading, list, quote,
//!   table, emphasis, strikethrough or footnote can come from it; the one construct kept
//!   is the `inline code` span (and fenced code blocks in running text, shown as `text`),
//!   whose content is literal already. Line starts cannot open a block (`#`, `>`, `-`,
//!   `1.`, `~~~`, four spaces), every pipe is escaped, and line breaks become paragraph
//!   breaks (running text), spaces (cells) or are dropped (one line).
//! - [`md_code`]: a name as a code span whose backtick fence is longer than any run of
//!   backticks inside it, so the name cannot close it; safe in a table cell.
//! - [`mermaid_label`]: a quoted Mermaid label, with Mermaid's `#code;` entities for
//!   quotes, HTML, `%` (a `%%{init}%%` directive anywhere in the chart would change its
//!   security level) and backticks (Markdown labels).
//! - [`rust_comment`]: one line of a `//` comment.
//!
//! Everywhere, control characters other than tab and newline are replaced by a visible
//! stand-in ([`visible`]): a bare CR is a line break to Markdown and an error in a Rust doc
//! comment, and Unicode's bidirectional overrides are refused by rustc in comments.
//! Anchors (`markdown::anchor`) and file names (`super::file_stem`) are made only of
//! characters that need no escaping.

/// The stand-in for a character that must not be written as it is: C0 controls (but tab
/// and newline) as their Unicode control pictures (`␍` for CR), DEL as `␡`, C1 controls
/// and the bidirectional embeddings, overrides and isolates as `�`.
pub fn visible(c: char) -> Option<char> {
    match c {
        '\t' | '\n' => None,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// `s` with CRLF and bare CR as LF (what a Markdown reader takes as line breaks).
fn unify_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Running text as Markdown lines (joined with `\n` they are the text): one line per
/// line of the text, trimmed, escaped by [`md_escape`]; blank lines kept (paragraph
/// breaks); fenced code blocks (a line starting with three backticks up to the next such
/// line, or the end) kept with their lines as they are, marked `text` (never a doctest,
/// never a playground), inside a fence longer than any run of backticks they contain.
pub fn md_lines(text: &str) -> Vec<String> {
    let text = unify_newlines(text);
    let lines: Vec<&str> = text.trim().split('\n').collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.starts_with("```") {
            let end = lines[i + 1..]
                .iter()
                .position(|l| l.trim().starts_with("```"))
                .map_or(lines.len(), |k| i + 1 + k);
            let body = &lines[i + 1..end];
            let run = body.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
            let fence = "`".repeat(run.max(2) + 1);
            out.push(format!("{fence}text"));
            for l in body {
                out.push(l.chars().map(|c| visible(c).unwrap_or(c)).collect());
            }
            out.push(fence);
            i = end + 1;
            continue;
        }
        out.push(md_escape(t, false));
        i += 1;
    }
    out
}

/// Text for a Markdown table cell: one line (the lines of a paragraph joined with a
/// space, paragraphs with `<br>`), every pipe escaped.
pub fn md_cell(s: &str) -> String {
    let s = unify_newlines(s);
    let mut paras: Vec<Vec<&str>> = vec![Vec::new()];
    for line in s.split('\n').map(str::trim) {
        match paras.last_mut() {
            Some(p) if !line.is_empty() => p.push(line),
            Some(p) if !p.is_empty() => paras.push(Vec::new()),
            _ => {}
        }
    }
    let paras: Vec<String> = paras
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| md_escape(&p.join(" "), true))
        .collect();
    paras.join("<br>")
}

/// One line of Markdown text (a heading, a link's text): line breaks are spaces.
pub fn md_line(s: &str) -> String {
    let s = unify_newlines(s);
    let joined: Vec<&str> = s.split('\n').map(str::trim).collect();
    md_escape(joined.join(" ").trim(), true)
}

/// A name as an inline code span that shows exactly the name: the fence is one backtick
/// longer than the longest run inside, padded with a space when the name starts or ends
/// with a backtick or a space (the reader strips one). Line breaks and control characters
/// show as [`visible`] stand-ins (a line break would end a table row, or the paragraph);
/// `|` is `\|`, which a table cell needs (and shows as `|`).
pub fn md_code(name: &str) -> String {
    let body: String = name
        .chars()
        .map(|c| match c {
            '\n' => '\u{240a}',
            c => visible(c).unwrap_or(c),
        })
        .collect();
    let fence = "`".repeat(longest_run(&body, '`') + 1);
    let pad = body.is_empty()
        || body.starts_with('`')
        || body.ends_with('`')
        || (body.starts_with(' ') && body.ends_with(' ') && body.trim() != "");
    let mut out = String::with_capacity(body.len() + 2 * fence.len() + 2);
    out.push_str(&fence);
    if pad {
        out.push(' ');
    }
    push_code_body(&mut out, &body);
    if pad {
        out.push(' ');
    }
    out.push_str(&fence);
    out
}

/// A code span's content in a table cell: `|` escaped, and a backslash right before a
/// pipe doubled, so that no reader (GFM splits rows at a pipe after an escaped
/// backslash) can end the cell inside the span.
fn push_code_body(out: &mut String, body: &str) {
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' if chars.peek() == Some(&'|') => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// One line (no line break) of contract text as literal Markdown: code spans are kept
/// (their content is literal to Markdown), everything else that Markdown or its
/// extensions (GFM tables, strikethrough, footnotes, heading attributes, math,
/// super/subscript) could read as syntax is backslash-escaped or an entity.
/// `in_cell`: the line is a table cell (pipes inside code spans escaped too).
fn md_escape(line: &str, in_cell: bool) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let b = line.as_bytes();
    // Runs of backticks, and for each the next run of the same length (its closer): a
    // code span, as CommonMark pairs them. Linear: one pass from the right.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let start = i;
            while i < b.len() && b[i] == b'`' {
                i += 1;
            }
            runs.push((start, i - start));
        } else {
            i += 1;
        }
    }
    let mut closer = vec![None; runs.len()];
    let mut last_of_len: std::collections::HashMap<usize, usize> = Default::default();
    for k in (0..runs.len()).rev() {
        closer[k] = last_of_len.get(&runs[k].1).copied();
        last_of_len.insert(runs[k].1, k);
    }
    let mut pos = 0;
    let mut k = 0;
    while k < runs.len() {
        let (start, len) = runs[k];
        match closer[k] {
            Some(j) => {
                escape_text(&line[pos..start], pos == 0, &mut out);
                let (cstart, clen) = runs[j];
                out.push_str(&line[start..start + len]);
                let body: String = line[start + len..cstart]
                    .chars()
                    .map(|c| visible(c).unwrap_or(c))
                    .collect();
                if in_cell {
                    push_code_body(&mut out, &body);
                } else {
                    out.push_str(&body);
                }
                out.push_str(&line[cstart..cstart + clen]);
                pos = cstart + clen;
                k = j + 1;
            }
            None => {
                // No closer: literal backticks.
                escape_text(&line[pos..start + len], pos == 0, &mut out);
                pos = start + len;
                k += 1;
            }
        }
    }
    escape_text(&line[pos..], pos == 0, &mut out);
    out
}

/// Literal text outside code spans. `at_start`: `s` starts the line, where `-`, `+`,
/// `=`, `:` and `1.` / `1)` would open a block.
fn escape_text(s: &str, at_start: bool, out: &mut String) {
    if at_start {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && matches!(s.as_bytes().get(digits), Some(b'.' | b')')) {
            out.push_str(&s[..digits]);
            out.push('\\');
            escape_chars(&s[digits..], out);
            return;
        }
        if s.starts_with(['-', '+', '=', ':']) {
            out.push('\\');
        }
    }
    escape_chars(s, out);
}

fn escape_chars(s: &str, out: &mut String) {
    let mut prev: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Inside a word (`order_id`) an underscore is not emphasis: keep it readable.
            '_' if prev.is_some_and(|p| p.is_ascii_alphanumeric())
                && chars.peek().is_some_and(|n| n.is_ascii_alphanumeric()) =>
            {
                out.push('_')
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(visible(c).unwrap_or(c)),
        }
        prev = Some(c);
    }
}

/// A quoted Mermaid label's text (`["..."]`): one line, with Mermaid's entity codes for
/// what its parser, its HTML labels or its directives would read.
pub fn mermaid_label(s: &str) -> String {
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

/// Text for one line of a `//` comment: no line break (it would end the comment and
/// start code), no control character, no bidirectional override.
pub fn rust_comment(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' => '\u{240a}',
            c => visible(c).unwrap_or(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_text_is_literal() {
        assert_eq!(
            md_lines("[x](javascript:alert(1)) ![](https://a.example/p.png) <img src=x>"),
            ["\\[x\\](javascript:alert(1)) !\\[\\](https://a.example/p.png) &lt;img src=x&gt;"]
        );
        assert_eq!(
            md_lines("# h\n- a\n1. b\n> q\n    code\n~~~\nx|y\n---"),
            [
                "\\# h",
                "\\- a",
                "1\\. b",
                "&gt; q",
                "code",
                "\\~\\~\\~",
                "x\\|y",
                "\\---"
            ]
        );
        assert_eq!(
            md_lines("the order_id, *not* _this_"),
            ["the order_id, \\*not\\* \\_this\\_"]
        );
        assert_eq!(md_lines("a\rb\r\nc"), ["a", "b", "c"]);
        assert_eq!(md_lines("bell\u{7}\u{202e}"), ["bell\u{2407}\u{fffd}"]);
    }

    #[test]
    fn code_spans_are_kept_and_closed() {
        assert_eq!(md_lines("use `a<b>` here"), ["use `a<b>` here"]);
        assert_eq!(md_lines("a ``x`y`` b"), ["a ``x`y`` b"]);
        assert_eq!(md_lines("one ` alone"), ["one \\` alone"]);
        assert_eq!(md_cell("`a|b`"), "`a\\|b`");
        assert_eq!(md_cell("a\nb\n \n\nc"), "a b<br>c");
    }

    #[test]
    fn fences_are_longer_than_their_content() {
        assert_eq!(
            md_lines("x\n```rust\nfn main() {}\n````\n"),
            ["x", "```text", "fn main() {}", "```"]
        );
        assert_eq!(
            md_lines("```\n a ```` b\n```"),
            ["`````text", " a ```` b", "`````"]
        );
    }

    #[test]
    fn names_as_code() {
        assert_eq!(md_code("order_completed"), "`order_completed`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("a|b\nc"), "`a\\|b\u{240a}c`");
        assert_eq!(md_code(" "), "` `");
    }

    #[test]
    fn mermaid_and_comments() {
        assert_eq!(
            mermaid_label("%%{init: {\"securityLevel\": \"loose\"}}%%"),
            "#37;#37;{init: {#quot;securityLevel#quot;: #quot;loose#quot;}}#37;#37;"
        );
        assert_eq!(rust_comment("x\nfn evil() {}"), "x\u{240a}fn evil() {}");
    }
}
