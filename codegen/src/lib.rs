//! trackc-codegen: load → resolve → lint → emit / diff / validate.

pub mod build;
pub mod checker;
pub mod diff;
pub mod emit;
pub mod escape;
pub mod front;
pub mod rules;
#[cfg(feature = "testing")]
pub mod testing;
pub mod validate;

pub use checker::{diag, ir, lint};
pub use front::{ast, load, naming, resolve, similarity, source, yaml};

use std::path::Path;

pub use build::{BuildError, Builder};

/// A checked contract: its files, the IR (when it resolved), and every diagnostic.
pub struct Checked {
    pub sources: source::SourceMap,
    pub ir: Option<ir::Ir>,
    pub diagnostics: Vec<diag::Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        diag::has_errors(&self.diagnostics)
    }

    /// The IR, when the contract has no errors (warnings allowed).
    pub fn valid_ir(&self) -> Option<&ir::Ir> {
        if self.has_errors() {
            None
        } else {
            self.ir.as_ref()
        }
    }

    /// Every diagnostic rendered rustc-style, then the summary line.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&diag::render(&self.sources, d, color));
            out.push_str("\n\n");
        }
        if let Some(s) = diag::summary(&self.diagnostics) {
            out.push_str(&s);
            out.push('\n');
        }
        out
    }
}

/// Load, resolve and lint the contract at `path` (a folder or one file).
pub fn check(path: &Path) -> Result<Checked, load::LoadError> {
    let sources = load::read_sources(path)?;
    Ok(check_sources(sources))
}

/// As [`check`], for sources already in memory.
pub fn check_sources(sources: source::SourceMap) -> Checked {
    let mut diagnostics = Vec::new();
    let ast = load::load(&sources, &mut diagnostics);
    let ir = resolve::resolve(&ast, &mut diagnostics);
    if let Some(ir) = &ir {
        lint::lint(ir, &mut diagnostics);
    }
    let overrides = ir.as_ref().map(|i| i.lints.clone()).unwrap_or_default();
    lint::apply_levels(&mut diagnostics, &overrides);
    diag::sort(&mut diagnostics);
    Checked {
        sources,
        ir,
        diagnostics,
    }
}
#[cfg(feature = "schema")]
pub mod format_schema;
