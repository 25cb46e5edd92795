//! trackc-codegen: load → resolve → lint → emit / diff / validate.

// The stages, in pipeline order. Each folder is one stage; only what the CLI, the derive
// macros, build scripts and the tests use is public (re-exported below).

/// One analysis of the IR (segment graph, who reads what, conditions written once).
mod analysis;
/// The checked IR, its diagnostics and the lints that check it.
mod checker;
/// `trackc diff`: what breaks whom between two versions of a contract.
#[cfg(feature = "diff")]
pub mod diff;
/// Back ends: the Rust emitter (always), JSON Schemas (`json-schema`), the Markdown catalog
/// (`catalog`).
pub mod emit;
/// The JSON Schema of the contract format itself (`trackc schema`).
#[cfg(feature = "schema")]
pub mod format_schema;
/// Front end: contract files → YAML with spans → AST → one resolved IR.
mod front;
/// `trackc simulate`: captured traffic replayed through the contract's people model.
#[cfg(feature = "simulate")]
pub mod simulate;
/// `trackc validate`: captured Track traffic (NDJSON) checked against the contract.
#[cfg(feature = "validate")]
pub mod validate;

mod build;
/// Untrusted text made safe for where it is written.
pub mod escape;
pub mod rules;
#[cfg(feature = "testing")]
pub mod testing;

pub use build::{BuildError, Builder};
/// The IR every back end reads, and the diagnostics of a check.
pub use checker::{diag, ir};
/// Source files and spans; Rust names for contract names (the derive macros use both).
pub use front::{naming, source};

/// Reading a contract from disk (what [`check`] does before checking).
pub mod load {
    pub use crate::front::load::{LoadError, read_sources};
}

use std::path::Path;

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
pub fn check(path: &Path) -> Result<Checked, front::load::LoadError> {
    let sources = front::load::read_sources(path)?;
    Ok(check_sources(sources))
}

/// Test support: `text` as a contract of one file, `contract.yaml`, checked; its IR (it
/// panics when the contract does not resolve).
#[cfg(test)]
pub(crate) fn checked_text(text: &str) -> ir::Ir {
    let mut sources = source::SourceMap::default();
    sources.add(source::SourceFile::new(
        "contract.yaml".into(),
        "contract.yaml".into(),
        text.to_owned(),
    ));
    check_sources(sources).ir.expect("the contract resolves")
}

/// As [`check`], for sources already in memory.
pub fn check_sources(sources: source::SourceMap) -> Checked {
    let mut diagnostics = Vec::new();
    let ast = front::load::load(&sources, &mut diagnostics);
    let ir = front::resolve::resolve(&ast, &mut diagnostics);
    if let Some(ir) = &ir {
        checker::lint::lint(ir, &mut diagnostics);
    }
    let overrides = ir.as_ref().map(|i| i.lints.clone()).unwrap_or_default();
    checker::lint::apply_levels(&mut diagnostics, &overrides);
    diag::sort(&mut diagnostics);
    Checked {
        sources,
        ir,
        diagnostics,
    }
}
