//! Diagnostics: what the checker says, where, and how to fix it.

use crate::rules::CheckRule;
use crate::source::{FileId, SourceMap, Span};

/// How bad a diagnostic is, after `lints:` overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place a diagnostic points at, with what to say there.
#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding about a contract.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The rule (its id is the stable `code`: `trackc explain ID`).
    pub code: CheckRule,
    pub message: String,
    /// The offending token.
    pub primary: Label,
    /// Other places the finding concerns (the first definition of a duplicate, ...).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: CheckRule, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// What to say under the marker at the primary span.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sort key: file, position, then code (by id), so output is stable.
    fn key(&self) -> (Span, &'static str, &str) {
        (self.primary.span, self.code.id(), &self.message)
    }
}

/// Diagnostics in a stable order (by file, then position).
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| a.key().cmp(&b.key()));
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// Render rustc-style: `error[code]: message`, `--> file:line:col`, the source line
/// with a marker, secondary places, and a `help:` line.
pub fn render(sources: &SourceMap, diag: &Diagnostic, color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Level, Snippet};

    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    // Within the text and on char boundaries (a parser's one-byte span may fall inside
    // a multi-byte character): widen to the whole character.
    let range = |span: Span| {
        let text = &sources.get(span.file).text;
        let mut start = (span.start as usize).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (span.end as usize).clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        start..end
    };

    // A file that was not taken as text (not UTF-8, too large, a link, a FIFO) has no
    // source line to show (see `load::read_sources`). Name the file alone.
    let primary_file = sources.get(diag.primary.span.file);
    if primary_file.refused.is_some() {
        let report = vec![
            level
                .primary_title(diag.message.as_str())
                .id(diag.code.id())
                .element(annotate_snippets::Origin::path(primary_file.name.as_str())),
        ];
        return render_with_help(report, diag, color);
    }
    // Only the lines the labels are on go to annotate-snippets (with their line number):
    // it scans all the source it is given, so giving it the whole file made N diagnostics
    // in one file cost N × the file's size (2,000 unknown references: 24 s).
    let snippet_for = |file: FileId, within: std::ops::Range<usize>| {
        let f = sources.get(file);
        let text = f.text.as_str();
        let start = text[..within.start].rfind('\n').map_or(0, |i| i + 1);
        let end = text[within.end..]
            .find('\n')
            .map_or(text.len(), |i| within.end + i + 1);
        let snippet = Snippet::source(&text[start..end])
            .line_start(f.line_col(start as u32).0)
            .path(f.name.as_str())
            .fold(true);
        (snippet, start)
    };
    let primary_file_id = diag.primary.span.file;
    let same_file = std::iter::once(&diag.primary)
        .chain(&diag.secondary)
        .filter(|l| l.span.file == primary_file_id)
        .map(|l| range(l.span));
    let within = same_file.clone().map(|r| r.start).min().unwrap_or(0)
        ..same_file.map(|r| r.end).max().unwrap_or(0);
    let shift = |r: std::ops::Range<usize>, by: usize| r.start - by..r.end - by;
    let (snippet, base) = snippet_for(primary_file_id, within);
    let mut primary = snippet.annotation(
        AnnotationKind::Primary
            .span(shift(range(diag.primary.span), base))
            .label(non_empty(&diag.primary.message)),
    );
    let mut other_files = Vec::new();
    for label in &diag.secondary {
        let r = range(label.span);
        let ann = |base| {
            AnnotationKind::Context
                .span(shift(r.clone(), base))
                .label(non_empty(&label.message))
        };
        if label.span.file == primary_file_id {
            primary = primary.annotation(ann(base));
        } else {
            let (snippet, base) = snippet_for(label.span.file, r.clone());
            other_files.push(snippet.annotation(ann(base)));
        }
    }
    let mut group = level
        .primary_title(diag.message.as_str())
        .id(diag.code.id())
        .element(primary);
    for s in other_files {
        group = group.element(s);
    }
    render_with_help(vec![group], diag, color)
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The one-line summary rustc prints at the end.
pub fn summary(diags: &[Diagnostic]) -> Option<String> {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!("{} emitted", plural(w, "warning"))),
        (e, 0) => Some(format!(
            "could not accept the contract due to {}",
            plural(e, "error")
        )),
        (e, w) => Some(format!(
            "could not accept the contract due to {}; {} emitted",
            plural(e, "error"),
            plural(w, "warning")
        )),
    }
}

/// `{"diagnostics":[{"severity","code","message","file","line","column", ...}]}`
pub fn to_json(sources: &SourceMap, diags: &[Diagnostic]) -> serde_json::Value {
    let items: Vec<_> = diags
        .iter()
        .map(|d| {
            let (file, line, column) = sources.location(d.primary.span);
            let related: Vec<_> = d
                .secondary
                .iter()
                .map(|l| {
                    let (file, line, column) = sources.location(l.span);
                    serde_json::json!({"file": file, "line": line, "column": column, "message": l.message})
                })
                .collect();
            let mut v = serde_json::json!({
                "severity": d.severity.as_str(),
                "code": d.code.id(),
                "message": d.message,
                "file": file,
                "line": line,
                "column": column,
            });
            if let Some(h) = &d.help {
                v["help"] = h.as_str().into();
            }
            if !related.is_empty() {
                v["related"] = related.into();
            }
            v
        })
        .collect();
    serde_json::json!({ "diagnostics": items })
}

/// The closest candidate to `name` by edit distance, for "did you mean" hints: within a
/// third of the longer name (at least 1), ignoring ASCII case. Bounded for hostile input
/// (see [`crate::front::similarity`]): a name over 128 bytes gets no hint, and one hint looks at
/// a bounded number of candidates however many there are.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    crate::front::similarity::closest(name, candidates, &mut HintBudget::per_call())
}

/// The work every hint of one run may do together: a contract with thousands of unknown
/// names against thousands of candidates stays linear (see [`did_you_mean_help_within`]).
pub use crate::front::similarity::Budget as HintBudget;

/// `did you mean `x`?` or nothing.
pub fn did_you_mean_help<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// As [`did_you_mean_help`], spending from a budget shared by a whole run.
pub fn did_you_mean_help_within<'a>(
    budget: &mut HintBudget,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    crate::front::similarity::closest(name, candidates, budget)
        .map(|c| format!("did you mean `{c}`?"))
}

/// The report's groups, then the diagnostic's help, rendered.
fn render_with_help<'a>(
    mut report: Vec<annotate_snippets::Group<'a>>,
    diag: &'a Diagnostic,
    color: bool,
) -> String {
    use annotate_snippets::{Group, Level, Renderer};
    if let Some(help) = &diag.help {
        report.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&report)
}
