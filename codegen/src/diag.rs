//! Diagnostics: what the checker says, where, and how to fix it.

use crate::source::{SourceMap, Span};

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
    /// The stable rule id (`trackc explain ID`).
    pub code: &'static str,
    pub message: String,
    /// The offending token.
    pub primary: Label,
    /// Other places the finding concerns (the first definition of a duplicate, ...).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Self {
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

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sort key: file, position, then code, so output is stable.
    fn key(&self) -> (Span, &'static str, &str) {
        (self.primary.span, self.code, &self.message)
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
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let snippet_for = |span: Span| {
        let file = sources.get(span.file);
        Snippet::source(file.text.as_str())
            .line_start(1)
            .path(file.name.as_str())
            .fold(true)
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

    // A file that could not be taken as text (not UTF-8, too large) has no source line
    // to show: its text is only a marker (see `load::read_sources`). Name the file alone.
    let primary_file = sources.get(diag.primary.span.file);
    if primary_file.text.starts_with('\u{0}') {
        let mut report = vec![
            level
                .primary_title(diag.message.as_str())
                .id(diag.code)
                .element(annotate_snippets::Origin::path(primary_file.name.as_str())),
        ];
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
        return renderer.render(&report);
    }
    let mut primary = snippet_for(diag.primary.span).annotation(
        AnnotationKind::Primary
            .span(range(diag.primary.span))
            .label(non_empty(&diag.primary.message)),
    );
    let mut other_files = Vec::new();
    for label in &diag.secondary {
        let ann = AnnotationKind::Context
            .span(range(label.span))
            .label(non_empty(&label.message));
        if label.span.file == diag.primary.span.file {
            primary = primary.annotation(ann);
        } else {
            other_files.push(snippet_for(label.span).annotation(ann));
        }
    }
    let mut group = level
        .primary_title(diag.message.as_str())
        .id(diag.code)
        .element(primary);
    for s in other_files {
        group = group.element(s);
    }
    let mut report = vec![group];
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
                "code": d.code,
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

/// The closest candidate to `name` by edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase());
            (d, c)
        })
        .filter(|&(d, c)| {
            let limit = (c.len().max(name.len()) / 3).max(1);
            d <= limit
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` or nothing.
pub fn did_you_mean_help<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}
