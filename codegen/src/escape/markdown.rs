//! Text for Markdown documents, shown literally, never as a link, image, HTML, heading,
//! emphasis, math, mention or table break. Two readers:
//!
//! **Generated documents** (the mdBook catalog; Rust doc comments, read by rustdoc):
//! - [`md_lines`] (running text), [`md_cell`] (a table cell), [`md_line`] (one line:
//!   headings, link titles): contract text is *literal* text. No link, image, raw HTML,
//!   heading, list, quote, table, emphasis, strikethrough or footnote can come from it; the
//!   one construct kept is the `inline code` span (and fenced code blocks in running text,
//!   shown as `text`), whose content is literal already. Line starts cannot open a block
//!   (`#`, `>`, `-`, `1.`, `~~~`, four spaces), every pipe is escaped, and line breaks
//!   become paragraph breaks (running text), spaces (cells) or are dropped (one line).
//! - [`md_code`]: a name as a code span that the name cannot close; safe in a table cell.
//!
//! Control characters other than tab and newline show as their [`visible`] stand-ins.
//! Anchors (`emit::markdown::anchor`) and file names (`emit::file_stem`) are made only of
//! characters that need no escaping.
//!
//! **A pull-request comment** (CommonMark with GitHub's extensions, often also read in a
//! CI log):
//!
//! - [`code`]: an inline code span. Its fence is one backtick longer than the longest run
//!   of backticks inside, with a space of padding when the text starts or ends with a
//!   backtick or a space (CommonMark strips one space each side), so no name can close it.
//! - [`text`]: prose. Every character that starts inline markup is backslash-escaped;
//!   a word that GitHub would turn into a link by itself (`https://…`, `www.…`, `a@b.c`,
//!   `@team`, `#12`) becomes a code span instead, since escapes do not stop GitHub's
//!   autolinker (it runs on the text after escapes are resolved). A newline becomes `<br>`:
//!   no text ever starts a line, so nothing can open a heading, list, quote or fence.
//! - [`message`]: a message whose names are quoted in backticks (`` event `x` was
//!   removed ``): the quoted names become [`code`] spans, the rest [`text`].
//! - [`fenced`]: a fenced code block longer than any backtick run inside.
//!
//! Every form also escapes for the terminal ([`super::terminal`]): a report printed in a
//! CI log carries no escape sequence either.

use std::fmt::Write as _;

use super::{longest_run, terminal, visible};

/// Where the Markdown goes: GitHub splits table rows on `|` even inside code spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Block,
    TableCell,
}

/// `s` as an inline code span, shown literally.
pub fn code(s: &str, cx: Context) -> String {
    let mut body = terminal::escape(s).into_owned();
    if cx == Context::TableCell {
        // GitHub unescapes `\|` in a cell before the code span is read.
        body = body.replace('|', "\\|");
    }
    code_span(&body, |out, body| out.push_str(body))
}

/// `body` as an inline code span: the fence one backtick longer than the longest run of
/// backticks inside, padded with a space when the body starts or ends with a backtick, or
/// starts and ends with a space without being all spaces (a CommonMark reader strips one
/// space each side then). An empty body is one space. `push_body` writes the body (a table
/// cell escapes its pipes).
fn code_span(body: &str, push_body: impl FnOnce(&mut String, &str)) -> String {
    if body.is_empty() {
        return "` `".to_owned();
    }
    let fence = "`".repeat(longest_run(body, '`') + 1);
    let pad = body.starts_with('`')
        || body.ends_with('`')
        || (body.starts_with(' ')
            && body.ends_with(' ')
            && !body.trim_start_matches(' ').is_empty());
    let mut out = String::with_capacity(body.len() + 2 * fence.len() + 2);
    out.push_str(&fence);
    if pad {
        out.push(' ');
    }
    push_body(&mut out, body);
    if pad {
        out.push(' ');
    }
    out.push_str(&fence);
    out
}

/// Whether GitHub would turn `word` into a link or a mention by itself.
fn autolinks(word: &str) -> bool {
    word.contains("://")
        || word.contains('@')
        || word.contains('#')
        || word.to_ascii_lowercase().contains("www.")
}

/// `s` as prose, shown literally.
pub fn text(s: &str, cx: Context) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut first = true;
    for line in s.split('\n') {
        if !first {
            out.push_str("<br>");
        }
        first = false;
        let mut rest = line;
        while !rest.is_empty() {
            let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if ws > 0 {
                // Spaces are kept; a tab is shown (terminal), so it cannot indent a block.
                out.push_str(&terminal::escape(&rest[..ws]));
                rest = &rest[ws..];
                continue;
            }
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            let word = &rest[..end];
            if autolinks(word) {
                out.push_str(&code(word, cx));
            } else {
                push_word(&mut out, word);
            }
            rest = &rest[end..];
        }
    }
    out
}

fn push_word(out: &mut String, word: &str) {
    let word = terminal::escape(word);
    let chars: Vec<char> = word.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '$' | '!' => true,
            // `snake_case` cannot open emphasis; a `_` at a word's edge can.
            '_' => {
                let alnum = |j: Option<&char>| j.is_some_and(|c| c.is_alphanumeric());
                !(i > 0 && alnum(chars.get(i - 1)) && alnum(chars.get(i + 1)))
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A message with names quoted in backticks: the names as [`code`], the rest as [`text`]
/// (the pieces as [`super::quoted_names`] splits them).
pub fn message(s: &str, cx: Context) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for (is_name, piece) in super::quoted_names(s) {
        out.push_str(&if is_name {
            code(piece, cx)
        } else {
            text(piece, cx)
        });
    }
    out
}

/// `s` (several lines) as a fenced code block with `info`, closed by a fence no line of
/// `s` can match.
pub fn fenced(s: &str, info: &str) -> String {
    let body = terminal::escape_lines(s);
    let fence = "`".repeat((longest_run(&body, '`') + 1).max(3));
    let mut out = String::with_capacity(body.len() + 16);
    let _ = writeln!(out, "{fence}{info}");
    out.push_str(&body);
    if !body.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    out
}

// --- generated documents ----------------------------------------------------------------

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
/// with a backtick or a space (the reader strips one; see [`code_span`]). Line breaks and control characters
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
    code_span(&body, push_code_body)
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

/// One line (no line break) of contract text as literal Markdown: code spans are kept
/// (their content is literal to Markdown), everything else that Markdown or its
/// extensions (GFM tables, strikethrough, footnotes, heading attributes, math,
/// super/subscript) could read as syntax is backslash-escaped or an entity.
/// `in_cell`: the line is a table cell (pipes inside code spans escaped too).
fn md_escape(line: &str, in_cell: bool) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    // Backticks outside the spans (no closer) are literal: `escape_text` escapes them.
    let mut pos = 0;
    for (start, len, cstart) in code_spans(line) {
        escape_text(&line[pos..start], pos == 0, &mut out);
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
        out.push_str(&line[cstart..cstart + len]);
        pos = cstart + len;
    }
    escape_text(&line[pos..], pos == 0, &mut out);
    out
}

/// The code spans of one line, as CommonMark pairs backticks: a run of backticks and the
/// next run of the same length (its closer). Each as (opening run's start, run length,
/// closing run's start), in order. Linear: one pass from the right.
pub(crate) fn code_spans(line: &str) -> Vec<(usize, usize, usize)> {
    let b = line.as_bytes();
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
    let mut next_of_len: std::collections::HashMap<usize, usize> = Default::default();
    for k in (0..runs.len()).rev() {
        closer[k] = next_of_len.insert(runs[k].1, k);
    }
    let mut spans = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        match closer[k] {
            Some(j) => {
                spans.push((runs[k].0, runs[k].1, runs[j].0));
                k = j + 1;
            }
            None => k += 1,
        }
    }
    spans
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

#[cfg(test)]
mod tests {
    use super::*;
    use Context::{Block, TableCell};
    use proptest::prelude::*;

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
    fn code_spans_outlast_backticks_inside() {
        assert_eq!(code("order_completed", Block), "`order_completed`");
        assert_eq!(code("a`b", Block), "``a`b``");
        assert_eq!(code("`x", Block), "`` `x ``");
        assert_eq!(code("x``", Block), "``` x`` ```");
        assert_eq!(code(" a ", Block), "`  a  `");
        assert_eq!(code("   ", Block), "`   `");
        assert_eq!(code("", Block), "` `");
        assert_eq!(code("a|b", TableCell), "`a\\|b`");
        assert_eq!(code("a|b", Block), "`a|b`");
        assert_eq!(code("a\nb\x1b", Block), "`a␊b␛`");
    }

    #[test]
    fn prose_is_literal() {
        assert_eq!(
            text(
                "see [x](javascript:alert(1)) ![](https://attacker.example/p.png)",
                Block
            ),
            "see \\[x\\](javascript:alert(1)) `![](https://attacker.example/p.png)`"
        );
        assert_eq!(
            text("<img src=x onerror=alert(1)>", Block),
            "\\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(text("a | b\n# h", TableCell), "a \\| b<br>`#` h");
        assert_eq!(
            text("min_length *x* _y_", Block),
            "min_length \\*x\\* \\_y\\_"
        );
        assert_eq!(
            text("ping @org/team www.x.io #1", Block),
            "ping `@org/team` `www.x.io` `#1`"
        );
        assert_eq!(
            text("$x$ ~~s~~ &lt;", Block),
            "\\$x\\$ \\~\\~s\\~\\~ \\&lt;"
        );
        assert_eq!(text("use screen_viewed", Block), "use screen_viewed");
    }

    #[test]
    fn messages_quote_names_as_code() {
        assert_eq!(
            message(
                "segment `cart_abandoners`: condition `event x within 1h` removed from `none`",
                TableCell
            ),
            "segment `cart_abandoners`: condition `event x within 1h` removed from `none`"
        );
        assert_eq!(
            message("event `a`b` was removed", Block),
            "event ``a`b`` was removed"
        );
        assert_eq!(
            message("event `x` [y](javascript:alert(1)) `z` was removed", Block),
            "event `x` \\[y\\](javascript:alert(1)) `z` was removed"
        );
        assert_eq!(message("a ` lone backtick", Block), "a \\` lone backtick");
        assert_eq!(
            message("event `` was removed", Block),
            "event ` ` was removed"
        );
    }

    #[test]
    fn fences_outlast_backticks_inside() {
        assert_eq!(fenced("a\n", "text"), "```text\na\n```\n");
        assert_eq!(
            fenced("```\nx\n````", "text"),
            "`````text\n```\nx\n````\n`````\n"
        );
    }

    /// The rendered Markdown's inline structure, by the CommonMark rules this module relies
    /// on: a backslash escapes the next ASCII punctuation; a run of N backticks opens a
    /// code span closed by the next run of exactly N. Returns (outside-code text, code
    /// span contents) with escapes resolved, or None if a span is left open.
    fn parse(md: &str) -> Option<(String, Vec<String>)> {
        let b: Vec<char> = md.chars().collect();
        let (mut prose, mut spans, mut i) = (String::new(), Vec::new(), 0);
        while i < b.len() {
            match b[i] {
                '\\' if i + 1 < b.len() && b[i + 1].is_ascii_punctuation() => {
                    prose.push(b[i + 1]);
                    i += 2;
                }
                '`' => {
                    let n = b[i..].iter().take_while(|&&c| c == '`').count();
                    let mut j = i + n;
                    loop {
                        if j >= b.len() {
                            return None;
                        }
                        let m = b[j..].iter().take_while(|&&c| c == '`').count();
                        if m == n {
                            break;
                        }
                        j += m.max(1);
                    }
                    let mut body: String = b[i + n..j].iter().collect();
                    if body.len() >= 2
                        && body.starts_with(' ')
                        && body.ends_with(' ')
                        && !body.chars().all(|c| c == ' ')
                    {
                        body = body[1..body.len() - 1].to_owned();
                    }
                    spans.push(body);
                    i = j + n;
                }
                c => {
                    prose.push(c);
                    i += 1;
                }
            }
        }
        Some((prose, spans))
    }

    proptest! {
        /// Any text round-trips: a code span shows exactly the (terminal-escaped) text.
        #[test]
        fn code_round_trips(s in any::<String>()) {
            let md = code(&s, Block);
            let (prose, spans) = parse(&md).expect("closed");
            prop_assert_eq!(prose, "");
            prop_assert_eq!(spans, vec![if s.is_empty() { " ".to_owned() } else { terminal::escape(&s).into_owned() }]);
        }

        /// Prose never leaves markup active: outside code spans, no unescaped character
        /// that opens a link, image, HTML, emphasis, math, strike-through or table cell.
        #[test]
        fn prose_has_no_live_markup(s in "[ -~\n\u{1b}\u{e9}]{0,40}", table in any::<bool>()) {
            let cx = if table { TableCell } else { Block };
            let md = text(&s, cx);
            prop_assert!(!md.contains('\n'));
            // The line breaks are trackc's own markup.
            let md = md.replace("<br>", " ");
            let (_, spans) = parse(&md).expect("closed");
            let _ = spans;
            let mut chars = md.chars().peekable();
            let mut in_code = 0usize;
            let mut prev = ' ';
            while let Some(c) = chars.next() {
                if c == '\\' && in_code == 0 {
                    chars.next();
                    prev = 'x';
                    continue;
                }
                if c == '`' {
                    let mut n = 1;
                    while chars.peek() == Some(&'`') { chars.next(); n += 1; }
                    in_code = if in_code == 0 { n } else if in_code == n { 0 } else { in_code };
                    prev = '`';
                    continue;
                }
                if in_code == 0 {
                    prop_assert!(!"*[]<>&|~$!".contains(c), "live {c:?} in {md:?}");
                    if c == '_' {
                        let next = chars.peek().copied().unwrap_or(' ');
                        prop_assert!(prev.is_alphanumeric() && next.is_alphanumeric(), "live _ in {md:?}");
                    }
                }
                prev = c;
            }
        }

        /// A message with any names is read back as the same names, in order, when the
        /// names contain no backtick before a space or punctuation.
        #[test]
        fn message_names_round_trip(names in proptest::collection::vec("[a-z_`|\\[\\]()!<>]{1,12}", 1..4)) {
            prop_assume!(names.iter().all(|n| {
                let b: Vec<char> = n.chars().collect();
                b[0] != '`' && b.windows(2).all(|w| w[0] != '`' || !super::super::closes_name(Some(w[1])))
            }));
            let msg: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let md = message(&format!("event {} was removed", msg.join(" and ")), TableCell);
            let (_, spans) = parse(&md).expect("closed");
            let shown: Vec<String> = spans.iter().map(|s| s.replace("\\|", "|")).collect();
            prop_assert_eq!(shown, names);
        }
    }
}
