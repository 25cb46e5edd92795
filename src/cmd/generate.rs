//! `trackc generate`: write the JSON Schemas (`OUT/schemas/`) and the Markdown catalog
//! (`OUT/docs/`), or with `--check` compare them with what is on disk.
//!
//! A file is rewritten only when its content changed (mtimes stay put otherwise). A file
//! under the output folders that trackc would not write now but whose first line is
//! trackc's header line for its kind ([`trackc_codegen::emit::is_generated`]; a renamed
//! or removed event's page, say) is *extra*: `generate` removes it and `--check` reports
//! it. Other files are never touched. `schemas/contract-format.schema.json` (the contract
//! format's own schema, also printed by `trackc schema`) is written and checked with the
//! rest, and `--rust FILE` adds the Rust module.
//!
//! The output folder may hold anything a pull request committed, symbolic links included,
//! so nothing below `--out` is followed: a link where a generated file or folder goes is
//! an error, links found while looking for extra files are left alone, and every path
//! written is checked to be a plain relative path below `--out`. Writing is all or
//! nothing: every file is checked and written to a temporary file first, and only when
//! all are written are they renamed into place, so a failure leaves the previous output
//! as it was.

use std::io;
use std::path::{Path, PathBuf};

use trackc_codegen::diag;
use trackc_codegen::emit::{self, GeneratedFile};

use super::{print_json, usage_error};
use crate::{Color, Format, exit};

pub struct Options<'a> {
    pub dir: &'a Path,
    pub out: &'a Path,
    pub check: bool,
    pub format: Format,
    pub color: Color,
    /// Also write the Rust module here (relative to the current folder).
    pub rust: Option<&'a Path>,
}
/// Folders skipped when looking for extra files (mdBook's build output).
const SKIP_DIRS: &[&str] = &["docs/book"];
/// How far into a file its header lines are looked for.
const HEADER_WINDOW: usize = 4096;

/// Every file `generate` writes for a contract, paths relative to the output folder.
pub fn files(ir: &trackc_codegen::ir::Ir) -> Vec<GeneratedFile> {
    let mut out = vec![GeneratedFile::new(
        PathBuf::from("schemas/contract-format.schema.json"),
        trackc_codegen::format_schema::contract_format_schema(),
    )];
    let schemas = emit::schema::generate(ir);
    // The catalog publishes the same schemas (`docs/src/schemas/`), made once.
    let book_schemas: Vec<GeneratedFile> = emit::markdown::book_schemas(&schemas).collect();
    for f in schemas {
        out.push(GeneratedFile::new(
            Path::new("schemas").join(f.path),
            f.contents,
        ));
    }
    for f in emit::markdown::generate(ir).into_iter().chain(book_schemas) {
        out.push(GeneratedFile::new(
            Path::new("docs").join(f.path),
            f.contents,
        ));
    }
    out
}

pub fn run(opts: Options<'_>) -> u8 {
    let format = opts.format;
    let checked = match trackc_codegen::check(opts.dir) {
        Ok(c) => c,
        Err(e) => return usage_error(format, &e.to_string()),
    };
    let Some(ir) = checked.valid_ir() else {
        match format {
            Format::Json => print_json(&diag::to_json(&checked.sources, &checked.diagnostics)),
            _ => {
                eprint!("{}", checked.render(opts.color.enabled()));
                eprintln!("error: the contract has errors; nothing was generated");
            }
        }
        return exit::FAILED;
    };
    if format != Format::Json && !checked.diagnostics.is_empty() {
        eprint!("{}", checked.render(opts.color.enabled()));
    }
    let mut files = files(ir);
    if let Some(rust) = opts.rust {
        // An absolute path: `out.join` leaves it as it is. The user names this file, so it
        // may be outside `--out`; it is still never written through a link.
        let path = match std::env::current_dir() {
            Ok(cwd) => cwd.join(rust),
            Err(e) => return usage_error(format, &format!("cannot read the current folder: {e}")),
        };
        files.push(GeneratedFile::new(path, emit::rust::generate(ir)));
    }
    let result = if opts.check {
        check(opts.out, &files, format)
    } else {
        write(opts.out, &files, format)
    };
    match result {
        Ok(code) => code,
        Err(e) => usage_error(format, &e),
    }
}

/// A path as shown to the user: `/`-separated, control characters visible (a file found
/// on disk may be named anything).
fn display(out: &Path, rel: &Path) -> String {
    let full = out.join(rel);
    // The Rust module is given relative to the current folder; show it that way.
    let shown = match std::env::current_dir() {
        Ok(cwd) if rel.is_absolute() => full
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or(full),
        _ => full,
    };
    shown
        .to_string_lossy()
        .replace('\\', "/")
        .chars()
        .map(|c| trackc_codegen::escape::visible(c).unwrap_or(c))
        .collect()
}

/// What is on disk compared with what would be written.
#[derive(Default)]
struct Plan {
    missing: Vec<usize>,
    stale: Vec<usize>,
    unchanged: usize,
    extra: Vec<PathBuf>,
}

/// What is at a path, found without following links.
enum OnDisk {
    Missing,
    File(Vec<u8>),
}

/// Look at `base/rel` without following any link below `base`: every folder on the way
/// must be a real folder, the file a regular file (or absent). `rel` must be a plain
/// relative path (no root, no `..`, no `.`); an absolute `rel` (the `--rust` file, which
/// the user names) is only checked not to be a link itself.
fn look(base: &Path, rel: &Path) -> Result<OnDisk, String> {
    use std::path::Component;
    let shown = |p: &Path| display(base, p.strip_prefix(base).unwrap_or(p));
    let mut at = base.to_path_buf();
    let components: Vec<Component> = if rel.is_absolute() {
        at = rel.to_path_buf();
        Vec::new()
    } else {
        let c: Vec<Component> = rel.components().collect();
        if c.is_empty() || !c.iter().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "refusing to write {}: not a plain path inside the output folder",
                shown(rel)
            ));
        }
        c
    };
    let n = components.len();
    for (i, c) in components.iter().enumerate() {
        at.push(c);
        if i + 1 == n {
            break;
        }
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link; trackc does not write through links (remove it)",
                    shown(&at)
                ));
            }
            Ok(m) if !m.is_dir() => {
                return Err(format!("{} is not a folder", shown(&at)));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
            Err(e) => return Err(format!("cannot read {}: {e}", shown(&at))),
        }
    }
    match std::fs::symlink_metadata(&at) {
        Ok(m) if m.file_type().is_symlink() => Err(format!(
            "{} is a symbolic link; trackc does not write through links (remove it)",
            shown(&at)
        )),
        Ok(m) if !m.is_file() => Err(format!("{} is not a regular file", shown(&at))),
        Ok(_) => std::fs::read(&at)
            .map(OnDisk::File)
            .map_err(|e| format!("cannot read {}: {e}", shown(&at))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(OnDisk::Missing),
        Err(e) => Err(format!("cannot read {}: {e}", shown(&at))),
    }
}

fn plan(out: &Path, files: &[GeneratedFile]) -> Result<Plan, String> {
    let mut p = Plan::default();
    // Two contract names must never share a file (a hash collision of two file stems,
    // or two names a case-insensitive file system would take as one).
    let mut seen = std::collections::BTreeMap::new();
    for f in files {
        let key = f.path.to_string_lossy().to_lowercase();
        if let Some(prev) = seen.insert(key, &f.path) {
            return Err(format!(
                "two generated files would share one name: {} and {}",
                display(out, prev),
                display(out, &f.path)
            ));
        }
    }
    for (i, f) in files.iter().enumerate() {
        match look(out, &f.path)? {
            OnDisk::File(bytes) if bytes == f.contents.as_bytes() => p.unchanged += 1,
            OnDisk::File(_) => p.stale.push(i),
            OnDisk::Missing => p.missing.push(i),
        }
    }
    let wanted: std::collections::BTreeSet<&Path> =
        files.iter().map(|f| f.path.as_path()).collect();
    for root in ["schemas", "docs"] {
        let mut found = Vec::new();
        // A linked output folder would be walked (and its files removed) elsewhere.
        if std::fs::symlink_metadata(out.join(root)).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "{} is a symbolic link; trackc does not write through links (remove it)",
                display(out, Path::new(root))
            ));
        }
        walk(out, Path::new(root), &mut found)?;
        for rel in found {
            if wanted.contains(rel.as_path()) {
                continue;
            }
            if has_header(&out.join(&rel))? {
                p.extra.push(rel);
            }
        }
    }
    p.extra.sort();
    Ok(p)
}

/// Every regular file under `out/rel`, as paths relative to `out`, skipping hidden
/// folders, mdBook's build folder and every symbolic link (never followed).
fn walk(out: &Path, rel: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let dir = out.join(rel);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", display(out, rel))),
    };
    let mut entries: Vec<_> = entries
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read {}: {e}", display(out, rel)))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let child = rel.join(&name);
        // `file_type` does not follow links: a link is neither a folder nor a file here.
        let ty = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", display(out, &child)))?;
        if ty.is_dir() {
            let hidden = name.to_string_lossy().starts_with('.');
            if !hidden && !SKIP_DIRS.iter().any(|s| Path::new(s) == child) {
                walk(out, &child, found)?;
            }
        } else if ty.is_file() {
            found.push(child);
        }
    }
    Ok(())
}

/// Whether the file starts with trackc's header line for its kind.
fn has_header(path: &Path) -> Result<bool, String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(HEADER_WINDOW);
    std::fs::File::open(path)
        .and_then(|f| f.take(HEADER_WINDOW as u64).read_to_end(&mut head))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    Ok(emit::is_generated(&name, &String::from_utf8_lossy(&head)))
}

fn check(out: &Path, files: &[GeneratedFile], format: Format) -> Result<u8, String> {
    let p = plan(out, files)?;
    let names = |ix: &[usize]| -> Vec<String> {
        ix.iter().map(|i| display(out, &files[*i].path)).collect()
    };
    let (missing, stale) = (names(&p.missing), names(&p.stale));
    let extra: Vec<String> = p.extra.iter().map(|r| display(out, r)).collect();
    let ok = missing.is_empty() && stale.is_empty() && extra.is_empty();
    match format {
        Format::Json => print_json(&serde_json::json!({
            "ok": ok,
            "files": files.len(),
            "stale": stale,
            "missing": missing,
            "extra": extra,
        })),
        _ => {
            for f in &stale {
                eprintln!("stale: {f}");
            }
            for f in &missing {
                eprintln!("missing: {f}");
            }
            for f in &extra {
                eprintln!("extra: {f}");
            }
            if ok {
                eprintln!("ok: {} generated files are up to date", files.len());
            } else {
                eprintln!(
                    "error: {} generated file{} out of date; run `trackc generate`",
                    stale.len() + missing.len() + extra.len(),
                    if stale.len() + missing.len() + extra.len() == 1 {
                        " is"
                    } else {
                        "s are"
                    }
                );
            }
        }
    }
    Ok(if ok { exit::OK } else { exit::FAILED })
}

fn write(out: &Path, files: &[GeneratedFile], format: Format) -> Result<u8, String> {
    let p = plan(out, files)?;
    let mut todo: Vec<usize> = p.missing.iter().chain(&p.stale).copied().collect();
    todo.sort();
    let staged = stage(out, files, &todo)?;
    let mut written = Vec::new();
    for (k, (tmp, path)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            for (tmp, _) in &staged[k..] {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(format!("cannot write {}: {e}", path.display()));
        }
        written.push(display(out, &files[todo[k]].path));
    }
    let mut removed = Vec::new();
    for rel in &p.extra {
        let path = out.join(rel);
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", display(out, rel)))?;
        removed.push(display(out, rel));
    }
    match format {
        Format::Json => print_json(&serde_json::json!({
            "files": files.len(),
            "written": written,
            "unchanged": p.unchanged,
            "removed": removed,
        })),
        _ => {
            for f in &written {
                eprintln!("wrote {f}");
            }
            for f in &removed {
                eprintln!("removed {f}");
            }
            eprintln!(
                "ok: {} files in {} ({} written, {} unchanged, {} removed)",
                files.len(),
                out.display(),
                written.len(),
                p.unchanged,
                removed.len()
            );
        }
    }
    Ok(exit::OK)
}

/// Write every file of `todo` to a temporary file next to its place; (temporary, final)
/// pairs. On any failure the temporary files and the folders made for them are removed,
/// so the output is left as it was.
fn stage(
    out: &Path,
    files: &[GeneratedFile],
    todo: &[usize],
) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut made: Vec<PathBuf> = Vec::new();
    let result = (|| {
        for &i in todo {
            let f = &files[i];
            let path = out.join(&f.path);
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            make_dirs(&dir, &mut made)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = dir.join(format!(".{name}.trackc-tmp"));
            write_new(&tmp, f.contents.as_bytes())?;
            staged.push((tmp, path));
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(staged),
        Err(e) => {
            for (tmp, _) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
            for d in made.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
            Err(e)
        }
    }
}

/// Create `dir` and its missing parents, noting each folder made.
fn make_dirs(dir: &Path, made: &mut Vec<PathBuf>) -> Result<(), String> {
    if dir.as_os_str().is_empty() || std::fs::symlink_metadata(dir).is_ok() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_dirs(parent, made)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {
            made.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("cannot create {}: {e}", dir.display())),
    }
}

/// Write a new file at `tmp`, never through a link: a leftover temporary file (or a link
/// put in its place) is removed first, and the file is created exclusively.
fn write_new(tmp: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    if let Ok(m) = std::fs::symlink_metadata(tmp)
        && !m.is_dir()
    {
        let _ = std::fs::remove_file(tmp);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    f.write_all(bytes).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        format!("cannot write {}: {e}", tmp.display())
    })
}
