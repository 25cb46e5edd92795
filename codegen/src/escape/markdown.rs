//! Text for a Markdown document (CommonMark with GitHub's extensions: a pull-request
//! comment): shown literally, never as a link, image, HTML, heading, emphasis, math,
//! mention or table break.
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

use super::terminal;

/// Where the Markdown goes: GitHub splits table rows on `|` even inside code spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Block,
    TableCell,
}

/// The longest run of `c` in `s`.
fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// `s` as an inline code span, shown literally.
pub fn code(s: &str, cx: Context) -> String {
    let mut body = terminal::escape(s).into_owned();
    if cx == Context::TableCell {
        // GitHub unescapes `\|` in a cell before the code span is read.
        body = body.replace('|', "\\|");
    }
    if body.is_empty() {
        return "` `".to_owned();
    }
    let fence = "`".repeat(longest_run(&body, '`') + 1);
    let pad = body.starts_with('`')
        || body.ends_with('`')
        || (body.starts_with(' ')
            && body.ends_with(' ')
            && !body.trim_start_matches(' ').is_empty());
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
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

/// Whether a backtick after `prev` can open a quoted name.
fn opens(prev: Option<char>) -> bool {
    prev.is_none_or(|c| !c.is_alphanumeric() && c != '`')
}

/// Whether a backtick before `next` can close a quoted name.
fn closes(next: Option<char>) -> bool {
    next.is_none_or(|c| c.is_whitespace() || ":;,.)!?\"'".contains(c))
}

/// A message with names quoted in backticks: the names as [`code`], the rest as [`text`].
///
/// A name may itself contain backticks; a backtick closes the name only before a space,
/// punctuation or the end, so `` `a`b` `` is the one name ``a`b``. Where a name is
/// ambiguous its pieces are still shown literally, as code or escaped text.
pub fn message(s: &str, cx: Context) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut plain = 0; // start of the pending prose
    let mut prev: Option<char> = None;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '`' && opens(prev) {
            let body = i + 1;
            let close = s[body..].char_indices().find_map(|(j, c)| {
                let at = body + j;
                (c == '`' && closes(s[at + 1..].chars().next())).then_some(at)
            });
            if let Some(end) = close {
                out.push_str(&text(&s[plain..i], cx));
                out.push_str(&code(&s[body..end], cx));
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
    out.push_str(&text(&s[plain..], cx));
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

#[cfg(test)]
mod tests {
    use super::*;
    use Context::{Block, TableCell};
    use proptest::prelude::*;

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
                b[0] != '`' && b.windows(2).all(|w| w[0] != '`' || !closes(Some(w[1])))
            }));
            let msg: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let md = message(&format!("event {} was removed", msg.join(" and ")), TableCell);
            let (_, spans) = parse(&md).expect("closed");
            let shown: Vec<String> = spans.iter().map(|s| s.replace("\\|", "|")).collect();
            prop_assert_eq!(shown, names);
        }
    }
}
