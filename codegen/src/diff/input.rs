//! The two sides of a diff: a contract folder or file on disk, or `REF:PATH` read from git
//! (`origin/main:contract`) into memory with `git ls-tree` and `git cat-file`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::front::load::{self, LoadError, Total};
use crate::front::yaml::budget::{MAX_FILE_BYTES, MAX_FILES};
use crate::source::{Refusal, SourceFile, SourceMap};

/// A problem with the input itself (exit 2): a missing path, a bad git ref.
#[derive(Debug)]
pub enum InputError {
    Load(LoadError),
    Git {
        spec: String,
        message: String,
    },
    /// The side is not a path but names a git revision: the user meant `REV:PATH`
    /// (`trackc diff HEAD~1 HEAD`).
    RevisionWithoutPath {
        rev: String,
    },
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Load(e) => e.fmt(f),
            InputError::Git { spec, message } => {
                write!(f, "cannot read `{spec}` from git: {message}")
            }
            InputError::RevisionWithoutPath { rev } => write!(
                f,
                "contract path `{rev}` does not exist; `{rev}` is a git revision; name the \
contract folder inside it: `{rev}:contract`"
            ),
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
        Spec::Path(p) => read_path(spec, &p, None),
        Spec::Git { rev, path } => read_git(spec, &rev, &path, None),
    }
}

/// As [`read`], running git in `dir` (for tests and tools that do not chdir).
pub fn read_in(spec: &str, dir: &Path) -> Result<SourceMap, InputError> {
    match Spec::parse_in(spec, dir) {
        Spec::Path(p) => read_path(spec, &dir.join(p), Some(dir)),
        Spec::Git { rev, path } => read_git(spec, &rev, &path, Some(dir)),
    }
}

/// A path on disk; when it does not exist but `spec` is a git revision, say how to name
/// a folder inside the revision instead of only "does not exist".
fn read_path(spec: &str, path: &Path, dir: Option<&Path>) -> Result<SourceMap, InputError> {
    match load::read_sources(path) {
        Err(LoadError::NotFound(_)) if is_commit(spec, dir) => {
            Err(InputError::RevisionWithoutPath {
                rev: spec.to_owned(),
            })
        }
        other => Ok(other?),
    }
}

/// Whether `rev` names a commit in the repository at `dir` (or the current directory).
/// Only a hint depends on it, so any failure (no git, not a repository) is "no".
fn is_commit(rev: &str, dir: Option<&Path>) -> bool {
    // A revision never starts with `-`: such text would reach git as an option.
    if rev.is_empty() || rev.starts_with('-') {
        return false;
    }
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
        4096,
    )
    .is_ok_and(|out| out.is_some_and(|o| !o.is_empty()))
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

fn git_command(dir: Option<&Path>, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    cmd
}

/// What git said on failure, without its `fatal: ` prefix.
fn git_failure(args: &[&str], status: std::process::ExitStatus, stderr: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    let err = err.trim();
    if err.is_empty() {
        format!("`git {}` failed ({status})", args.join(" "))
    } else {
        err.strip_prefix("fatal: ").unwrap_or(err).to_owned()
    }
}

/// Run git and keep at most `cap` bytes of its output: `Ok(None)` when it wrote more (it
/// is killed then), so that a huge listing never lands in memory whole.
fn git(dir: Option<&Path>, args: &[&str], cap: usize) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    let mut child = git_command(dir, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `git`: {e}"))?;
    let stderr = child.stderr.take().expect("piped");
    // stderr is drained by a thread so that git cannot block on it while we read stdout.
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.take(64 * 1024).read_to_end(&mut buf);
        buf
    });
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("piped")
        .take(cap as u64 + 1)
        .read_to_end(&mut out);
    if out.len() > cap {
        let _ = child.kill();
        let _ = child.wait();
        return Ok(None);
    }
    let status = child.wait().map_err(|e| format!("cannot run `git`: {e}"))?;
    let err = err_reader.join().unwrap_or_default();
    read.map_err(|e| format!("cannot read from `git`: {e}"))?;
    if !status.success() {
        return Err(git_failure(args, status, &err));
    }
    Ok(Some(out))
}

/// The most bytes of `git ls-tree` output read: ~100 bytes per file, so far more files
/// than [`MAX_FILES`] `.yaml` files with the rest of a folder around them.
const MAX_LISTING_BYTES: usize = 64 * 1024 * 1024;

/// One `.yaml` blob of the tree, as listed (not yet read).
struct Listed {
    file: PathBuf,
    oid: String,
    size: u64,
    symlink: bool,
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
    // A revision never starts with `-`: such a "ref" would reach git as an option.
    if rev.starts_with('-') {
        return Err(fail(format!(
            "`{rev}` is not a revision (a git revision does not start with `-`)"
        )));
    }
    // The revision first, for a clear message when it does not exist; from here on git
    // gets the tree's object id, never text from the command line in an option's place.
    let tree = git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{tree}}"),
        ],
        4096,
    )
    .ok()
    .flatten()
    .map(|out| String::from_utf8_lossy(&out).trim().to_owned())
    .filter(|oid| !oid.is_empty() && oid.bytes().all(|b| b.is_ascii_hexdigit()))
    .ok_or_else(|| {
        fail(format!(
            "`{rev}` is not a commit or tree in this repository"
        ))
    })?;
    let pathspec = if path.is_empty() { "." } else { path };
    let over = |what: String| InputError::Load(LoadError::OverBudget(PathBuf::from(spec), what));
    let listing = git(
        dir,
        &["ls-tree", "-r", "-z", "-l", &tree, "--", pathspec],
        MAX_LISTING_BYTES,
    )
    .map_err(fail)?
    .ok_or_else(|| over("a git tree listing over 64 MiB".to_owned()))?;
    let prefix = pathspec.trim_start_matches("./").trim_end_matches('/');
    let mut entries: Vec<Listed> = Vec::new();
    let mut any = false;
    for rec in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let Some((meta, file)) = rec.split_once('\t') else {
            continue;
        };
        any = true;
        // `<mode> <type> <oid> <size>`, the size right-aligned with spaces.
        let mut meta = meta.split_whitespace();
        let (mode, kind, oid, size) = (meta.next(), meta.next(), meta.next(), meta.next());
        if kind != Some("blob") {
            continue;
        }
        let (Some(oid), Some(size)) = (oid, size.and_then(|s| s.parse::<u64>().ok())) else {
            continue;
        };
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
            entries.push(Listed {
                file: PathBuf::from(file),
                oid: oid.to_owned(),
                size,
                // As on disk, a link is refused, not followed (see `load::discover`).
                symlink: mode == Some("120000"),
            });
            if entries.len() > MAX_FILES {
                return Err(over(format!("more than {MAX_FILES} `.yaml` files")));
            }
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
    entries.sort_by(|a, b| a.file.cmp(&b.file));
    // Every budget is applied to the listed sizes before any blob is read.
    let mut total = Total::new(Path::new(spec));
    let mut refusals = Vec::with_capacity(entries.len());
    for e in &entries {
        let refusal = if e.symlink {
            Some(Refusal::Symlink)
        } else if e.size > MAX_FILE_BYTES as u64 {
            Some(Refusal::TooLarge { bytes: e.size })
        } else {
            total.add(e.size)?;
            None
        };
        refusals.push(refusal);
    }
    let wanted: Vec<&Listed> = entries
        .iter()
        .zip(&refusals)
        .filter(|(_, r)| r.is_none())
        .map(|(e, _)| e)
        .collect();
    let mut blobs = cat_blobs(dir, &wanted).map_err(fail)?.into_iter();
    let mut map = SourceMap::default();
    for (e, refusal) in entries.into_iter().zip(refusals) {
        let name = format!("{rev}:{}", e.file.to_string_lossy());
        let read = match refusal {
            Some(why) => Err(why),
            None => load::text_of(blobs.next().expect("one blob per wanted entry")),
        };
        map.add(match read {
            Ok(text) => SourceFile::new(name, e.file, text),
            Err(why) => SourceFile::refused(name, e.file, why),
        });
    }
    Ok(map)
}

/// The blobs' contents, in order, from one `git cat-file --batch` (one process, however
/// many files), each read to exactly the size `ls-tree` listed and checked against it.
fn cat_blobs(dir: Option<&Path>, wanted: &[&Listed]) -> Result<Vec<Vec<u8>>, String> {
    use std::io::{BufRead, BufReader, Read, Write};
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let args = ["cat-file", "--batch"];
    let mut child = git_command(dir, &args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `git`: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let request: String = wanted.iter().map(|e| format!("{}\n", e.oid)).collect();
    // Written from a thread: git answers while we ask, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut blobs = Vec::with_capacity(wanted.len());
    let mut result = Ok(());
    for e in wanted {
        let mut header = Vec::new();
        let step = (&mut out)
            .take(256)
            .read_until(b'\n', &mut header)
            .map_err(|err| err.to_string())
            .and_then(|_| {
                let header = String::from_utf8_lossy(&header);
                let want = format!("{} blob {}", e.oid, e.size);
                if header.trim_end() != want {
                    return Err(format!(
                        "`git cat-file` answered `{}` for `{}`",
                        header.trim_end(),
                        e.oid
                    ));
                }
                let mut blob = Vec::with_capacity(e.size as usize);
                (&mut out)
                    .take(e.size + 1)
                    .read_to_end(&mut blob)
                    .map_err(|err| err.to_string())?;
                // The blob, then the newline git ends each answer with.
                if blob.pop() != Some(b'\n') || blob.len() as u64 != e.size {
                    return Err(format!("`git cat-file` cut `{}` short", e.oid));
                }
                Ok(blob)
            });
        match step {
            Ok(blob) => blobs.push(blob),
            Err(err) => {
                result = Err(err);
                break;
            }
        }
    }
    if result.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    let _ = writer.join();
    result.map(|()| blobs)
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
