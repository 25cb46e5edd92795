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
//!
//! Cargo reads a build script's stdout line by line and has no escaping: a path printed
//! in a directive that held a newline would end the directive and start another
//! (`cargo:rustc-link-arg=...`). File names come from the contract folder, that is from
//! pull requests, so a path that cannot be printed as one line of plain text (a control
//! character, or not UTF-8) fails the build instead ([`BuildError::UnsafePath`]). The
//! folder's own directive is printed first, so renaming the file reruns the script.

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
    Load(crate::front::load::LoadError),
    /// The contract has errors: the rendered diagnostics.
    Contract(String),
    /// `OUT_DIR` is not set and no `out_dir` was given.
    NoOutDir,
    /// Writing the output failed.
    Io(PathBuf, std::io::Error),
    /// A contract path that cannot be printed in a `cargo:` directive (a control
    /// character such as a newline, or not UTF-8).
    UnsafePath(PathBuf),
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
            BuildError::UnsafePath(p) => write!(
                f,
                "trackc: the contract path {:?} has a control character or is not UTF-8; \
                 rename it (Cargo directives cannot carry such a path)",
                p.as_os_str()
            ),
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
        self.compile_to(&mut std::io::stdout().lock())
    }

    /// [`compile`](Self::compile), printing Cargo's directives to `directives`.
    fn compile_to(self, directives: &mut impl Write) -> Result<PathBuf, BuildError> {
        let root = self.contract_path();
        if self.rerun_if_changed {
            directive(directives, "rerun-if-changed", &root)?;
        }
        let sources = crate::front::load::read_sources(&root).map_err(BuildError::Load)?;
        if self.rerun_if_changed {
            for p in sources.paths() {
                directive(directives, "rerun-if-changed", p)?;
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
            // The folder name is the build script author's, but it is printed as text all
            // the same: a control character is shown escaped, never obeyed.
            let _ = writeln!(
                directives,
                "cargo:warning=trackc: the contract has {warnings} warning(s); run `trackc check {}` to see them",
                self.contract.display().to_string().escape_debug()
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

/// Print `cargo:{key}={path}`, or refuse a path that is not one line of plain text.
fn directive(w: &mut impl Write, key: &str, path: &Path) -> Result<(), BuildError> {
    match path.to_str() {
        Some(s) if !s.contains(char::is_control) => {
            let _ = writeln!(w, "cargo:{key}={s}");
            Ok(())
        }
        _ => Err(BuildError::UnsafePath(path.to_path_buf())),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "trackc-build-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("contract")).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const CONTRACT: &str = "contract: built\nversion: \"1.0.0\"\nidentity:\n  id: customer_id\n\
                            events:\n  order_completed:\n    description: An order.\n";

    fn run(tmp: &TempDir) -> (Result<PathBuf, BuildError>, String) {
        let mut printed = Vec::new();
        let result = Builder::new()
            .contract(tmp.0.join("contract"))
            .out_dir(tmp.0.join("out"))
            .compile_to(&mut printed);
        (result, String::from_utf8(printed).unwrap())
    }

    #[test]
    fn directives_name_the_folder_and_every_file() {
        let tmp = TempDir::new("ok");
        std::fs::write(tmp.0.join("contract/events.yaml"), CONTRACT).unwrap();
        let (result, printed) = run(&tmp);
        let out = result.unwrap();
        assert!(
            std::fs::read_to_string(out)
                .unwrap()
                .contains("OrderCompleted")
        );
        let dir = tmp.0.join("contract");
        let want = format!(
            "cargo:rerun-if-changed={}\ncargo:rerun-if-changed={}\n",
            dir.display(),
            dir.join("events.yaml").display()
        );
        assert!(printed.starts_with(&want), "{printed}");
        // Then at most the warning count.
        assert!(
            printed[want.len()..]
                .lines()
                .all(|l| l.starts_with("cargo:warning=trackc: the contract has")),
            "{printed}"
        );
    }

    #[test]
    fn a_file_name_cannot_add_directives() {
        for name in [
            "a\ncargo:rustc-link-arg=-Wl,--wrap=main\n.yaml",
            "b\rcargo:warning=hi\r.yaml",
            "c\u{85}cargo:rustc-cfg=evil.yaml",
        ] {
            let tmp = TempDir::new("hostile");
            std::fs::write(tmp.0.join("contract/events.yaml"), CONTRACT).unwrap();
            std::fs::write(tmp.0.join("contract").join(name), "types: {}\n").unwrap();
            let (result, printed) = run(&tmp);
            // Only the folder's directive: it reruns the script when the file is renamed.
            assert_eq!(
                printed,
                format!(
                    "cargo:rerun-if-changed={}\n",
                    tmp.0.join("contract").display()
                ),
                "{name:?}"
            );
            // The loader may refuse the name first; if it does not, the builder does.
            if let Err(BuildError::UnsafePath(_)) | Ok(_) = &result {
                let shown = result.expect_err(name).to_string();
                assert!(
                    !shown.contains(['\n', '\r', '\u{85}']),
                    "the error shows the name escaped: {shown}"
                );
            }
            assert!(
                !tmp.0.join("out").exists(),
                "nothing generated for {name:?}"
            );
        }
    }
}
