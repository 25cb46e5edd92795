//! The two sides of a diff: a contract folder or file on disk, or `REF:PATH` read from git
//! (`origin/main:contract`) into memory with `git ls-tree` and `git cat-file`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::load::{self, LoadError};
use crate::source::{SourceFile, SourceMap};
use crate::yaml::budget::MAX_FILE_BYTES;

/// A problem with the input itself (exit 2): a missing path, a bad git ref.
#[derive(Debug)]
pub enum InputError {
    Load(LoadError),
    Git { spec: String, message: String },
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Load(e) => e.fmt(f),
            InputError::Git { spec, message } => {
                write!(f, "cannot read `{spec}` from git: {message}")
            }
        }
    }
}

impl std::error::Error for InputError {}

impl From<LoadError> for InputError {
    fn from(e: LoadError) -> Self {
        InputError::Load(e)
    }
}

/// How a side is named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    Path(PathBuf),
    Git { rev: String, path: String },
}

impl Spec {
    /// An existing path is a path; otherwise `REV:PATH` (git ref names cannot contain `:`).
    pub fn parse(s: &str) -> Spec {
        if !Path::new(s).exists()
            && let Some((rev, path)) = s.split_once(':')
            && !rev.is_empty()
        {
            return Spec::Git {
                rev: rev.to_owned(),
                path: path.to_owned(),
            };
        }
        Spec::Path(PathBuf::from(s))
    }
}

/// Read one side into memory, ready for [`crate::check_sources`].
pub fn read(spec: &str) -> Result<SourceMap, InputError> {
    match Spec::parse(spec) {
        Spec::Path(p) => Ok(load::read_sources(&p)?),
        Spec::Git { rev, path } => read_git(spec, &rev, &path, None),
    }
}

/// As [`read`], running git in `dir` (for tests and tools that do not chdir).
pub fn read_in(spec: &str, dir: &Path) -> Result<SourceMap, InputError> {
    match Spec::parse_in(spec, dir) {
        Spec::Path(p) => Ok(load::read_sources(&dir.join(p))?),
        Spec::Git { rev, path } => read_git(spec, &rev, &path, Some(dir)),
    }
}

impl Spec {
    fn parse_in(s: &str, dir: &Path) -> Spec {
        if dir.join(s).exists() {
            Spec::Path(PathBuf::from(s))
        } else {
            match Spec::parse(s) {
                Spec::Path(_) => Spec::Path(PathBuf::from(s)),
                git => git,
            }
        }
    }
}

fn git(dir: Option<&Path>, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().map_err(|e| format!("cannot run `git`: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        return Err(if err.is_empty() {
            format!("`git {}` failed ({})", args.join(" "), out.status)
        } else {
            err.strip_prefix("fatal: ").unwrap_or(err).to_owned()
        });
    }
    Ok(out.stdout)
}

fn read_git(
    spec: &str,
    rev: &str,
    path: &str,
    dir: Option<&Path>,
) -> Result<SourceMap, InputError> {
    let fail = |message: String| InputError::Git {
        spec: spec.to_owned(),
        message,
    };
    // The revision first, for a clear message when it does not exist.
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{tree}}"),
        ],
    )
    .map_err(|_| {
        fail(format!(
            "`{rev}` is not a commit or tree in this repository"
        ))
    })?;
    let pathspec = if path.is_empty() { "." } else { path };
    let listing = git(dir, &["ls-tree", "-r", "-z", rev, "--", pathspec]).map_err(fail)?;
    let prefix = pathspec.trim_start_matches("./").trim_end_matches('/');
    let mut entries: Vec<(PathBuf, String)> = Vec::new();
    let mut any = false;
    for rec in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let Some((meta, file)) = rec.split_once('\t') else {
            continue;
        };
        any = true;
        let mut meta = meta.split(' ');
        let (_mode, kind, oid) = (meta.next(), meta.next(), meta.next());
        if kind != Some("blob") {
            continue;
        }
        let Some(oid) = oid else { continue };
        // Hidden files and folders inside the contract are skipped, as on disk.
        let inner = file
            .strip_prefix(prefix)
            .map(|r| r.trim_start_matches('/'))
            .filter(|_| prefix != ".")
            .unwrap_or(file);
        let hidden = Path::new(inner)
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.') && c.as_os_str() != "..");
        let yaml = matches!(
            Path::new(file).extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if !hidden && yaml {
            entries.push((PathBuf::from(file), oid.to_owned()));
        }
    }
    if !any {
        return Err(fail(format!("`{path}` does not exist at `{rev}`")));
    }
    if entries.is_empty() {
        return Err(fail(format!(
            "`{path}` at `{rev}` contains no `.yaml` or `.yml` files"
        )));
    }
    entries.sort();
    let mut map = SourceMap::default();
    for (file, oid) in entries {
        let bytes = git(dir, &["cat-file", "blob", &oid]).map_err(fail)?;
        let name = format!("{rev}:{}", file.to_string_lossy());
        // The loader's convention for files it cannot take as text: a leading NUL.
        let text = if bytes.len() > MAX_FILE_BYTES {
            format!("\u{0}too large: {} bytes", bytes.len())
        } else {
            match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => format!(
                    "\u{0}invalid utf-8 at byte {}",
                    e.utf8_error().valid_up_to()
                ),
            }
        };
        map.add(SourceFile::new(name, file, text));
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(
            Spec::parse("origin/main:contract"),
            Spec::Git {
                rev: "origin/main".into(),
                path: "contract".into()
            }
        );
        assert_eq!(
            Spec::parse("no/such/dir"),
            Spec::Path(PathBuf::from("no/such/dir"))
        );
        assert_eq!(Spec::parse(":x"), Spec::Path(PathBuf::from(":x")));
    }
}
