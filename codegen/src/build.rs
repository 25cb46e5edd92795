//! The build.rs API (like prost-build's `Config`): generate the contract's Rust types into
//! `OUT_DIR` at build time.
//!
//! ```no_run
//! // build.rs, in `fn main()`:
//! trackc_codegen::Builder::new()
//!     .contract("../contract")
//!     .out_file("events.rs")
//!     .compile_or_exit();
//! ```
//!
//! ```ignore
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/events.rs"));
//! ```
//!
//! `compile()` returns a [`BuildError`] whose `Display` is the checker's rendered
//! diagnostics: `.compile().unwrap_or_else(|e| panic!("{e}"))` fails the build with
//! them; [`Builder::compile_or_exit`] prints them to stderr and exits with status 1 (no
//! panic backtrace noise). Either way Cargo shows them.
//!
//! The builder prints `cargo:rerun-if-changed` for the contract folder (Cargo then notices
//! added and removed files) and for every contract file, also when the contract has errors
//! (so that fixing it reruns the build script). The output file is written only when its
//! content changed, so an unchanged contract does not recompile the crate.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diag::Severity;

/// Generates Rust from a contract in a build script.
#[derive(Clone, Debug)]
pub struct Builder {
    contract: PathBuf,
    out_dir: Option<PathBuf>,
    out_file: PathBuf,
    rerun_if_changed: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the build failed.
#[derive(Debug)]
pub enum BuildError {
    /// The contract could not be read (missing folder, no YAML files, IO error).
    Load(crate::load::LoadError),
    /// The contract has errors: the rendered diagnostics.
    Contract(String),
    /// `OUT_DIR` is not set and no `out_dir` was given.
    NoOutDir,
    /// Writing the output failed.
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Load(e) => write!(f, "trackc: {e}"),
            BuildError::Contract(rendered) => f.write_str(rendered.trim_end()),
            BuildError::NoOutDir => f.write_str(
                "trackc: OUT_DIR is not set (run from a build script, or call `.out_dir(...)`)",
            ),
            BuildError::Io(p, e) => write!(f, "trackc: cannot write `{}`: {e}", p.display()),
        }
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// Defaults: contract `contract` (relative to the package), output `events.rs` in
    /// `OUT_DIR`, rerun-if-changed lines printed.
    pub fn new() -> Self {
        Builder {
            contract: PathBuf::from("contract"),
            out_dir: None,
            out_file: PathBuf::from("events.rs"),
            rerun_if_changed: true,
        }
    }

    /// The contract folder or file. Relative paths are relative to the package
    /// (`CARGO_MANIFEST_DIR`), as build scripts run there.
    pub fn contract(mut self, path: impl AsRef<Path>) -> Self {
        self.contract = path.as_ref().to_path_buf();
        self
    }

    /// Where to write (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The output file name inside the output folder (default `events.rs`).
    pub fn out_file(mut self, name: impl AsRef<Path>) -> Self {
        self.out_file = name.as_ref().to_path_buf();
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default true).
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.rerun_if_changed = yes;
        self
    }

    fn contract_path(&self) -> PathBuf {
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) if self.contract.is_relative() => Path::new(&dir).join(&self.contract),
            _ => self.contract.clone(),
        }
    }

    /// Check the contract and write the Rust module. Returns the path written (or left
    /// alone because it was up to date).
    pub fn compile(self) -> Result<PathBuf, BuildError> {
        let root = self.contract_path();
        let mut stdout = std::io::stdout().lock();
        if self.rerun_if_changed {
            let _ = writeln!(stdout, "cargo:rerun-if-changed={}", root.display());
        }
        let sources = crate::load::read_sources(&root).map_err(BuildError::Load)?;
        if self.rerun_if_changed {
            for p in sources.paths() {
                let _ = writeln!(stdout, "cargo:rerun-if-changed={}", p.display());
            }
        }
        let checked = crate::check_sources(sources);
        let Some(ir) = checked.valid_ir() else {
            return Err(BuildError::Contract(checked.render(false)));
        };
        let warnings = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        if warnings > 0 {
            let _ = writeln!(
                stdout,
                "cargo:warning=trackc: the contract has {warnings} warning(s); run `trackc check {}` to see them",
                self.contract.display()
            );
        }
        let code = crate::emit::rust::generate(ir);
        let dir = match self.out_dir {
            Some(d) => d,
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?),
        };
        let out = dir.join(&self.out_file);
        write_if_changed(&out, code.as_bytes())?;
        Ok(out)
    }

    /// [`compile`](Self::compile), or print the error (the rendered diagnostics) to
    /// stderr and exit with status 1.
    pub fn compile_or_exit(self) -> PathBuf {
        match self.compile() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}

/// Write `bytes` to `path` unless it already holds exactly them.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, BuildError> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BuildError::Io(parent.to_path_buf(), e))?;
    }
    std::fs::write(path, bytes).map_err(|e| BuildError::Io(path.to_path_buf(), e))?;
    Ok(true)
}
