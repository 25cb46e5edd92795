//! Files → YAML nodes → the merged [`ast::Contract`], reporting every structural problem.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, HintBudget, did_you_mean_help_within};
use crate::front::ast::*;
use crate::front::yaml::budget::MAX_FILE_BYTES;
use crate::front::yaml::{self, Node};
use crate::rules::CheckRule;
use crate::source::{FileId, Refusal, SourceFile, SourceMap, Sp, Span};

/// A problem with the command's input itself (exit 2), not with the contract's content.
#[derive(Debug)]
pub enum LoadError {
    NotFound(PathBuf),
    NoYamlFiles(PathBuf),
    Io(PathBuf, std::io::Error),
    /// The path named on the command line is a FIFO, socket or device.
    NotRegular(PathBuf, &'static str),
    /// Over a budget that applies to the contract as a whole (file count, total bytes,
    /// folder depth): `what` says which, in words.
    OverBudget(PathBuf, String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotFound(p) => write!(f, "contract path `{}` does not exist", p.display()),
            LoadError::NoYamlFiles(p) => write!(
                f,
                "`{}` contains no `.yaml` or `.yml` files; a contract is a folder of YAML files",
                p.display()
            ),
            LoadError::Io(p, e) => write!(f, "cannot read `{}`: {e}", p.display()),
            LoadError::NotRegular(p, kind) => write!(
                f,
                "`{}` is {kind}; a contract is a folder of YAML files or one regular file",
                p.display()
            ),
            LoadError::OverBudget(p, what) => write!(
                f,
                "the contract `{}` has {what}; trackc reads contracts under fixed budgets against hostile input (see `trackc explain yaml-syntax`)",
                p.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// One `*.yaml` entry of a contract folder, as found (links are not followed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub path: PathBuf,
    pub kind: EntryKind,
}

/// What a directory entry is, without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// A regular file: read it.
    File,
    /// A symbolic link (to a file or a folder): refused, never followed.
    Symlink,
    /// A FIFO, socket or device, in words: refused, never opened.
    Special(&'static str),
}

/// The contract's `*.yaml` / `*.yml` entries, in path order.
///
/// `path` itself may be a link (the user named it); inside it, links are refused rather
/// than followed, whether or not they point inside the folder. Following only the ones
/// that stay inside would need the target resolved and then opened without a race, and
/// a `REF:PATH` side of `diff` has no file system to resolve them in: refusing them all
/// keeps what `check` reads and what `diff` reads from git the same contract.
pub fn discover(path: &Path) -> Result<Vec<Found>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound(path.to_path_buf()),
        _ => LoadError::Io(path.to_path_buf(), e),
    })?;
    if !meta.is_dir() {
        return match special_kind(&meta.file_type()) {
            Some(kind) => Err(LoadError::NotRegular(path.to_path_buf(), kind)),
            None => Ok(vec![Found {
                path: path.to_path_buf(),
                kind: EntryKind::File,
            }]),
        };
    }
    let mut files = Vec::new();
    walk(path, path, 0, &mut files)?;
    if files.is_empty() {
        return Err(LoadError::NoYamlFiles(path.to_path_buf()));
    }
    files.sort();
    Ok(files)
}

/// A FIFO, socket or device, in words; `None` for files, folders and links.
fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
        if ft.is_block_device() || ft.is_char_device() {
            return Some("a device");
        }
    }
    if ft.is_file() || ft.is_dir() || ft.is_symlink() {
        None
    } else {
        Some("not a regular file")
    }
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<Found>) -> Result<(), LoadError> {
    use crate::front::yaml::budget::{MAX_FILES, MAX_FOLDER_DEPTH};
    if depth > MAX_FOLDER_DEPTH {
        return Err(LoadError::OverBudget(
            root.to_path_buf(),
            format!("folders nested more than {MAX_FOLDER_DEPTH} levels deep"),
        ));
    }
    let rd = std::fs::read_dir(dir).map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
    for entry in rd {
        let entry = entry.map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
        let p = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // `DirEntry::file_type` does not follow links.
        let ft = entry.file_type().map_err(|e| LoadError::Io(p.clone(), e))?;
        let kind = if ft.is_dir() {
            walk(root, &p, depth + 1, out)?;
            continue;
        } else if ft.is_symlink() {
            // A link to a folder could hold contract files: refuse it too, rather than
            // silently leave out what it points at (a stat, never a read of the target).
            if !is_yaml(&p) && !std::fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            EntryKind::Symlink
        } else if !is_yaml(&p) {
            continue;
        } else if let Some(kind) = special_kind(&ft) {
            EntryKind::Special(kind)
        } else {
            EntryKind::File
        };
        out.push(Found { path: p, kind });
        if out.len() > MAX_FILES {
            return Err(LoadError::OverBudget(
                root.to_path_buf(),
                format!("more than {MAX_FILES} `.yaml` files"),
            ));
        }
    }
    Ok(())
}

/// Read every file of the contract at `path` into a source map, within the budgets of
/// [`yaml::budget`]: each file at most `MAX_FILE_BYTES` (counted while reading, never
/// trusted from metadata: `/proc` files and devices report size 0), all of them together
/// at most `MAX_TOTAL_BYTES`.
pub fn read_sources(path: &Path) -> Result<SourceMap, LoadError> {
    let mut map = SourceMap::default();
    let mut total = Total::new(path);
    for found in discover(path)? {
        let name = display_name(&found.path);
        let file = found.path;
        let refusal = match found.kind {
            EntryKind::Symlink => Some(Refusal::Symlink),
            EntryKind::Special(kind) => Some(Refusal::NotRegular { kind }),
            EntryKind::File => None,
        };
        if let Some(why) = refusal {
            map.add(SourceFile::refused(name, file, why));
            continue;
        }
        // The path the user named may be a link; an entry found inside may not.
        let inside = file != path;
        let read = read_regular(&file, inside, &mut total)?;
        map.add(match read {
            Ok(text) => SourceFile::new(name, file, text),
            Err(why) => SourceFile::refused(name, file, why),
        });
    }
    Ok(map)
}

/// The bytes read so far across a contract's files, against `MAX_TOTAL_BYTES`.
pub(crate) struct Total {
    root: PathBuf,
    bytes: u64,
}

impl Total {
    pub(crate) fn new(root: &Path) -> Self {
        Total {
            root: root.to_path_buf(),
            bytes: 0,
        }
    }

    /// Count `n` more bytes; an error once the contract is over the total budget.
    pub(crate) fn add(&mut self, n: u64) -> Result<(), LoadError> {
        use crate::front::yaml::budget::MAX_TOTAL_BYTES;
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > MAX_TOTAL_BYTES as u64 {
            return Err(LoadError::OverBudget(
                self.root.clone(),
                format!(
                    "more than {} MiB of YAML in all its files together",
                    MAX_TOTAL_BYTES / (1024 * 1024)
                ),
            ));
        }
        Ok(())
    }
}

/// Text of one regular file, or why it is refused. Opened without following a final
/// link when `inside` the folder and without blocking (a FIFO swapped in after
/// [`discover`] looked must not hang the run), then checked on the open descriptor, so
/// what is read is what was checked.
fn read_regular(
    file: &Path,
    inside: bool,
    total: &mut Total,
) -> Result<Result<String, Refusal>, LoadError> {
    use std::io::Read;
    let io = |e: std::io::Error| LoadError::Io(file.to_path_buf(), e);
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(not(unix))]
    let _ = inside;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if inside { libc::O_NOFOLLOW } else { 0 };
        options.custom_flags(libc::O_NONBLOCK | nofollow);
    }
    let handle = match options.open(file) {
        Ok(h) => h,
        // O_NOFOLLOW on a link: it was swapped in after the walk.
        #[cfg(unix)]
        Err(e) if inside && e.raw_os_error() == Some(libc::ELOOP) => {
            return Ok(Err(Refusal::Symlink));
        }
        Err(e) => return Err(io(e)),
    };
    let meta = handle.metadata().map_err(io)?;
    if !meta.is_file() {
        let kind = special_kind(&meta.file_type()).unwrap_or("not a regular file");
        return Ok(Err(Refusal::NotRegular { kind }));
    }
    let limit = MAX_FILE_BYTES as u64;
    if meta.len() > limit {
        return Ok(Err(Refusal::TooLarge { bytes: meta.len() }));
    }
    // Charge the size first, so a contract over the total is refused before it is read,
    // then whatever the read found beyond it (a file that grew meanwhile).
    total.add(meta.len())?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    handle.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    total.add((bytes.len() as u64).saturating_sub(meta.len()))?;
    if bytes.len() as u64 > limit {
        return Ok(Err(Refusal::TooLarge {
            bytes: bytes.len() as u64,
        }));
    }
    Ok(text_of(bytes))
}

/// The file's text, or where it stops being UTF-8.
pub(crate) fn text_of(bytes: Vec<u8>) -> Result<String, Refusal> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let valid = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
        Refusal::NotUtf8 {
            line: valid.matches('\n').count() + 1,
            column: valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
            byte: at,
        }
    })
}

/// The diagnostic for a file that was not taken as text.
fn refused(id: FileId, why: &Refusal) -> Diagnostic {
    let limit_mib = MAX_FILE_BYTES / (1024 * 1024);
    let (msg, help) = match why {
        Refusal::TooLarge { bytes } => (
            format!("file is {bytes} bytes; contract files are limited to {limit_mib} MiB"),
            "split the contract into several files (one per domain); a real contract is far smaller".to_owned(),
        ),
        Refusal::NotUtf8 { line, column, byte } => (
            format!(
                "file is not UTF-8 text: invalid UTF-8 at line {line}, column {column} (byte {byte})"
            ),
            "contract files are UTF-8 YAML; re-save the file as UTF-8".to_owned(),
        ),
        Refusal::Symlink => (
            "file is a symbolic link; it was not followed".to_owned(),
            "trackc reads only regular files inside the contract folder: replace the link with the file itself".to_owned(),
        ),
        Refusal::NotRegular { kind } => (
            format!("file is {kind}, not a regular file; it was not opened"),
            "trackc reads only regular files inside the contract folder: remove it or rename it to something other than `.yaml`".to_owned(),
        ),
    };
    Diagnostic::new(CheckRule::YamlSyntax, Span::file_start(id), msg).help(help)
}

fn display_name(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// Parse and merge every file. Diagnostics are appended to `diags`.
pub fn load(sources: &SourceMap, diags: &mut Vec<Diagnostic>) -> Contract {
    let mut contract = Contract::default();
    let mut hints = HintBudget::per_run();
    for (id, file) in sources.files() {
        if let Some(why) = &file.refused {
            diags.push(refused(id, why));
            continue;
        }
        match yaml::parse(id, file) {
            Err(d) => diags.push(d),
            Ok(None) => diags.push(
                Diagnostic::new(CheckRule::YamlSyntax, Span::file_start(id), "file is empty")
                    .label("no YAML document here")
                    .help("add a section (`events:`, `segments:`, ...) or remove the file"),
            ),
            Ok(Some(root)) => {
                let mut r = Reader {
                    text: &file.text,
                    diags,
                    hints: &mut hints,
                };
                r.top_level(id, root, &mut contract);
            }
        }
    }
    contract
}

struct Reader<'a> {
    text: &'a str,
    diags: &'a mut Vec<Diagnostic>,
    /// "Did you mean" work left for the whole contract (every file shares it).
    hints: &'a mut HintBudget,
}

/// Keys read from one map; what is left at [`Reader::finish`] is unknown.
struct MapIn {
    entries: Vec<(Sp<String>, Sp<Node>)>,
    used: Vec<bool>,
    span: Span,
}

impl MapIn {
    fn take(&mut self, key: &str) -> Option<(Sp<String>, Sp<Node>)> {
        let i = self.entries.iter().position(|(k, _)| k.value == key)?;
        if self.used[i] {
            return None;
        }
        self.used[i] = true;
        // Moved out, not cloned: a clone copied the whole subtree at every level it was
        // taken from (the `events:` map, each event, each property...), so loading cost
        // size × depth in time and memory. What stays behind keeps its key and span for
        // `finish` and for diagnostics; its value is never read again (`used`).
        let (k, v) = &mut self.entries[i];
        let v = std::mem::replace(v, Sp::new(Node::Null, v.span));
        Some((k.clone(), v))
    }

    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.value == key)
    }

    fn value(&mut self, key: &str) -> Option<Sp<Node>> {
        self.take(key).map(|(_, v)| v)
    }
}

/// Which type keys belong to which type, for "`minimum` does not apply to string".
const TYPE_KEYS: &[(&str, &[&str])] = &[
    ("string", &["min_length", "max_length", "pattern", "format"]),
    ("integer", &["minimum", "maximum"]),
    ("number", &["minimum", "maximum"]),
    ("boolean", &[]),
    ("timestamp", &[]),
    ("date", &[]),
    ("enum", &["values"]),
    ("array", &["items", "min_items", "max_items"]),
    ("object", &["properties", "additional_properties"]),
];

use crate::front::ast::BUILTIN_TYPES as BUILTINS;

const PROPERTY_KEYS: &[&str] = &["description", "optional", "pii", "deprecated", "examples"];
const ATTRIBUTE_KEYS: &[&str] = &[
    "description",
    "optional",
    "pii",
    "deprecated",
    "examples",
    "consent",
    "derived",
];
const TYPEDEF_KEYS: &[&str] = &["description", "deprecated"];

impl Reader<'_> {
    fn err(&mut self, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::new(CheckRule::InvalidValue, span, msg));
        self.diags.last_mut().expect("just pushed")
    }

    fn expected(&mut self, what: &str, node: &Sp<Node>) {
        let found = node.value.kind();
        self.err(node.span, format!("expected {what}, found {found}"))
            .primary
            .message = format!("expected {what}");
    }

    fn map(&mut self, node: Sp<Node>, what: &str) -> Option<MapIn> {
        match node.value {
            Node::Map(entries) => Some(MapIn {
                used: vec![false; entries.len()],
                entries,
                span: node.span,
            }),
            // `key:` with nothing after it is an empty map, not an error.
            Node::Null => Some(MapIn {
                entries: Vec::new(),
                used: Vec::new(),
                span: node.span,
            }),
            _ => {
                self.expected(what, &node);
                None
            }
        }
    }

    /// Report every key not taken, with a hint from `allowed`.
    fn finish(&mut self, m: MapIn, context: &str, allowed: &[&str], type_name: Option<&str>) {
        for ((k, _), used) in m.entries.iter().zip(&m.used) {
            if *used {
                continue;
            }
            let mut d = Diagnostic::new(
                CheckRule::UnknownKey,
                k.span,
                format!("unknown key `{}` in {context}", k.value),
            )
            .label("not a key here");
            let owners: Vec<&str> = TYPE_KEYS
                .iter()
                .filter(|(_, keys)| keys.contains(&k.value.as_str()))
                .map(|(t, _)| *t)
                .collect();
            if let (Some(t), false) = (type_name, owners.is_empty()) {
                let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                d.message = format!("`{}` does not apply to {article} {t}", k.value);
                d = d.help(format!(
                    "`{}` is a key of {}",
                    k.value,
                    owners.join(" and ")
                ));
            } else if let Some(h) =
                did_you_mean_help_within(self.hints, &k.value, allowed.iter().copied())
            {
                d = d.help(h);
            } else {
                d = d.help(format!("expected one of: {}", allowed.join(", ")));
            }
            self.diags.push(d);
        }
    }

    fn string(&mut self, node: Sp<Node>, what: &str) -> Option<Sp<String>> {
        match node.value {
            Node::Str(s) => Some(Sp::new(s, node.span)),
            _ => {
                self.expected(what, &node);
                None
            }
        }
    }

    /// The source text at a span (trimmed), for quoting what the user wrote.
    fn raw(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
            .trim()
    }

    /// A scalar taken as text as written (`1st`, `3`, `true` in an enum's values).
    fn scalar_text(&mut self, node: Sp<Node>, what: &str) -> Option<Sp<String>> {
        match &node.value {
            Node::Str(s) => Some(Sp::new(s.clone(), node.span)),
            Node::Int(_) | Node::Float(_) | Node::Bool(_) => {
                let raw = self
                    .text
                    .get(node.span.start as usize..node.span.end as usize)
                    .unwrap_or_default()
                    .trim()
                    .trim_matches(['"', '\''])
                    .to_owned();
                Some(Sp::new(raw, node.span))
            }
            _ => {
                self.expected(what, &node);
                None
            }
        }
    }

    fn boolean(&mut self, node: Sp<Node>) -> Option<Sp<bool>> {
        match node.value {
            Node::Bool(b) => Some(Sp::new(b, node.span)),
            _ => {
                self.expected("`true` or `false`", &node);
                None
            }
        }
    }

    fn count(&mut self, node: Sp<Node>) -> Option<Sp<u64>> {
        match node.value {
            Node::Int(i) if i >= 0 => Some(Sp::new(i as u64, node.span)),
            _ => {
                self.expected("a non-negative integer", &node);
                None
            }
        }
    }

    fn number(&mut self, node: Sp<Node>) -> Option<Sp<f64>> {
        match node.value {
            Node::Int(i) => Some(Sp::new(i as f64, node.span)),
            Node::Float(f) if f.is_finite() => Some(Sp::new(f, node.span)),
            _ => {
                self.expected("a number", &node);
                None
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        node: Sp<Node>,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<Sp<T>> {
        let s = self.string(node, what)?;
        match options.iter().find(|(n, _)| *n == s.value) {
            Some((_, v)) => Some(Sp::new(*v, s.span)),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                let help = did_you_mean_help_within(self.hints, &s.value, names.iter().copied())
                    .unwrap_or_else(|| format!("expected one of: {}", names.join(", ")));
                self.err(s.span, format!("`{}` is not a valid {what}", s.value))
                    .help = Some(help);
                None
            }
        }
    }

    fn list(&mut self, node: Sp<Node>, what: &str) -> Option<Vec<Sp<Node>>> {
        match node.value {
            Node::Seq(items) => Some(items),
            Node::Null => Some(Vec::new()),
            _ => {
                self.expected(what, &node);
                None
            }
        }
    }

    fn top_level(&mut self, file: FileId, root: Sp<Node>, c: &mut Contract) {
        let Some(mut m) = self.map(root, "a map of sections (`contract:`, `events:`, ...)") else {
            return;
        };
        for key in ["contract", "version"] {
            if let Some((k, v)) = m.take(key) {
                let what = if key == "contract" {
                    "the contract's name"
                } else {
                    "a semver version string such as \"1.2.0\""
                };
                // A value that is present but wrong is reported once, here or by the
                // resolver, never also as a missing section: keep what was written.
                let value = match &v.value {
                    Node::Str(_) => self.string(v, what),
                    // `version: 1.2` is a number in YAML: keep the text as written, and
                    // the resolver reports it as not semver (quoted in its hint).
                    Node::Float(_) | Node::Int(_) | Node::Bool(_) => {
                        Some(Sp::new(self.raw(v.span).to_owned(), v.span))
                    }
                    _ => {
                        let span = v.span;
                        self.expected(what, &v);
                        // A placeholder the resolver accepts: the error is reported.
                        let placeholder = if key == "version" { "0.0.0" } else { "" };
                        Some(Sp::new(placeholder.to_owned(), span))
                    }
                };
                let slot = if key == "contract" {
                    &mut c.name
                } else {
                    &mut c.version
                };
                if let Some(prev) = slot {
                    self.diags.push(
                        Diagnostic::new(
                            CheckRule::DuplicateDefinition,
                            k.span,
                            format!("`{key}` is set twice"),
                        )
                        .label("set again here")
                        .secondary(prev.span, "first set here")
                        .help(format!("`{key}` belongs in exactly one file")),
                    );
                } else {
                    *slot = value;
                }
            }
        }
        if let Some((k, v)) = m.take("identity") {
            let span = v.span;
            if let Some(prev) = &c.identity {
                self.diags.push(
                    Diagnostic::new(
                        CheckRule::DuplicateDefinition,
                        k.span,
                        "`identity` is defined twice",
                    )
                    .label("defined again here")
                    .secondary(prev.span, "first defined here"),
                );
            } else {
                c.identity = Some(Sp::new(self.identity(v), span));
            }
        }
        if let Some(v) = m.value("types") {
            for (name, node) in self.named_map(v, "a map of type names to definitions") {
                if let Some(t) = self.typedef(node) {
                    c.types.push((name, t));
                }
            }
        }
        if let Some(v) = m.value("attributes") {
            for (name, node) in self.named_map(v, "a map of attribute names to types") {
                if let Some(p) = self.property(node, true) {
                    c.attributes.push((name, p));
                }
            }
        }
        if let Some(v) = m.value("events") {
            for (name, node) in self.named_map(v, "a map of event names to definitions") {
                if let Some(e) = self.event(node) {
                    c.events.push((name, e));
                }
            }
        }
        if let Some(v) = m.value("segments") {
            for (name, node) in self.named_map(v, "a map of segment names to definitions") {
                if let Some(s) = self.segment(node) {
                    c.segments.push((name, s));
                }
            }
        }
        if let Some(v) = m.value("workflows") {
            for (name, node) in self.named_map(v, "a map of workflow names to definitions") {
                if let Some(w) = self.workflow(node) {
                    c.workflows.push((name, w));
                }
            }
        }
        if let Some(v) = m.value("lints") {
            for (name, node) in self.named_map(v, "a map of rule ids to `allow`, `warn` or `deny`")
            {
                let levels = [
                    ("allow", LintLevel::Allow),
                    ("warn", LintLevel::Warn),
                    ("deny", LintLevel::Deny),
                ];
                if let Some(l) = self.choice(node, "lint level", &levels) {
                    c.lints.push((name, l));
                }
            }
        }
        let _ = file;
        self.finish(
            m,
            "the top level",
            &[
                "contract",
                "version",
                "identity",
                "types",
                "attributes",
                "events",
                "segments",
                "workflows",
                "lints",
            ],
            None,
        );
    }

    fn named_map(&mut self, node: Sp<Node>, what: &str) -> Vec<(Sp<String>, Sp<Node>)> {
        match node.value {
            Node::Map(entries) => entries,
            Node::Null => Vec::new(),
            _ => {
                self.expected(what, &node);
                Vec::new()
            }
        }
    }

    /// `identity:` as written. When it is present but wrong, the error is reported here
    /// and a placeholder (empty id) is returned, so that it is not also "missing".
    fn identity(&mut self, node: Sp<Node>) -> Identity {
        let span = node.span;
        let placeholder = Identity {
            id: Sp::new(String::new(), span),
            id_type: None,
            anonymous_id: None,
        };
        let Some(mut m) = self.map(node, "a map with `id`") else {
            return placeholder;
        };
        let has_id = m.has("id");
        let id = m.value("id").and_then(|v| self.string(v, "the id's name"));
        let id_type = m.value("id_type").and_then(|v| self.type_expr_only(v));
        let anonymous_id = m
            .value("anonymous_id")
            .and_then(|v| self.string(v, "the anonymous id's name"));
        self.finish(m, "`identity`", &["id", "id_type", "anonymous_id"], None);
        match id {
            Some(id) => Identity {
                id,
                id_type,
                anonymous_id,
            },
            None => {
                if !has_id {
                    self.err(
                        span,
                        "`identity` needs `id`, the name of the stable internal id",
                    )
                    .help = Some("add `id: customer_id`".into());
                }
                placeholder
            }
        }
    }

    fn typedef(&mut self, node: Sp<Node>) -> Option<TypeDef> {
        if let Node::Map(_) = node.value {
            let mut m = self.map(node, "a type")?;
            let description = m
                .value("description")
                .and_then(|v| self.string(v, "a description"));
            let deprecated = m
                .value("deprecated")
                .and_then(|v| self.string(v, "what to use instead"));
            let ty = self.type_expr_in(&mut m, TYPEDEF_KEYS, "a type definition")?;
            Some(TypeDef {
                ty,
                description,
                deprecated,
            })
        } else {
            let ty = self.type_expr_only(node)?;
            Some(TypeDef {
                ty,
                description: None,
                deprecated: None,
            })
        }
    }

    /// A type expression with no other keys allowed beside the type's own.
    fn type_expr_only(&mut self, node: Sp<Node>) -> Option<Sp<TypeExpr>> {
        match node.value {
            Node::Map(_) => {
                let mut m = self.map(node, "a type")?;
                self.type_expr_in(&mut m, &[], "a type")
            }
            _ => self.type_shorthand(node),
        }
    }

    fn type_shorthand(&mut self, node: Sp<Node>) -> Option<Sp<TypeExpr>> {
        let span = node.span;
        let name = self.string(node, "a type name or a map with `type`")?;
        let ty = match name.value.as_str() {
            "string" => TypeExpr::String(StringKeys::default()),
            "integer" => TypeExpr::Integer(NumberKeys::default()),
            "number" => TypeExpr::Number(NumberKeys::default()),
            "boolean" => TypeExpr::Boolean,
            "timestamp" => TypeExpr::Timestamp,
            "date" => TypeExpr::Date,
            "object" => TypeExpr::Object(ObjectKeys::default()),
            "enum" => {
                self.err(span, "an enum needs its `values`").help =
                    Some("write `{ type: enum, values: [a, b] }`".into());
                return None;
            }
            "array" => {
                self.err(span, "an array needs its `items` type").help =
                    Some("write `{ type: array, items: string }`".into());
                return None;
            }
            _ => TypeExpr::Ref(name),
        };
        Some(Sp::new(ty, span))
    }

    /// The `type` key and that type's keys from `m`; then report what is left, given
    /// that `extra` keys were the caller's to take (and were taken before this call).
    fn type_expr_in(
        &mut self,
        m: &mut MapIn,
        extra: &[&str],
        context: &str,
    ) -> Option<Sp<TypeExpr>> {
        let span = m.span;
        let Some((tk, tv)) = m.take("type") else {
            let mut d = Diagnostic::new(
                CheckRule::InvalidValue,
                span,
                format!("{context} needs a `type`"),
            )
            .label("no `type` key in this map");
            d = if m.has("properties") {
                d.help("add `type: object`")
            } else if m.has("values") {
                d.help("add `type: enum`")
            } else if m.has("items") {
                d.help("add `type: array`")
            } else {
                d.help("add `type: string` (or integer, number, boolean, timestamp, date, enum, array, object, or a named type)")
            };
            self.diags.push(d);
            let m = std::mem::replace(
                m,
                MapIn {
                    entries: vec![],
                    used: vec![],
                    span,
                },
            );
            let allowed: Vec<&str> = extra.to_vec();
            self.finish(m, context, &allowed, None);
            return None;
        };
        // The expression is reported at `type: NAME`: a map's own span is only its first
        // character.
        let head = if tk.span.file == tv.span.file && tk.span.start <= tv.span.end {
            Span::new(tk.span.file, tk.span.start, tv.span.end)
        } else {
            span
        };
        let tname = self.string(tv.clone(), "a type name")?;
        let ty = match tname.value.as_str() {
            "string" => {
                let min_length = m.value("min_length").and_then(|v| self.count(v));
                let max_length = m.value("max_length").and_then(|v| self.count(v));
                let pattern = m
                    .value("pattern")
                    .and_then(|v| self.string(v, "a regular expression"));
                let format = m
                    .value("format")
                    .and_then(|v| self.choice(v, "string format", &StringFormat::ALL));
                TypeExpr::String(StringKeys {
                    min_length,
                    max_length,
                    pattern,
                    format,
                })
            }
            "integer" | "number" => {
                let minimum = m.value("minimum").and_then(|v| self.number(v));
                let maximum = m.value("maximum").and_then(|v| self.number(v));
                let keys = NumberKeys { minimum, maximum };
                if tname.value == "integer" {
                    for b in [&keys.minimum, &keys.maximum].into_iter().flatten() {
                        if b.value.fract() != 0.0 {
                            self.err(b.span, "an integer's bound must be a whole number");
                        }
                    }
                    TypeExpr::Integer(keys)
                } else {
                    TypeExpr::Number(keys)
                }
            }
            "boolean" => TypeExpr::Boolean,
            "timestamp" => TypeExpr::Timestamp,
            "date" => TypeExpr::Date,
            "enum" => {
                let Some(values) = m.value("values") else {
                    self.err(tname.span, "an enum needs its `values`").help =
                        Some("add `values: [a, b]`".into());
                    self.finish_type(m, extra, context, "enum");
                    return None;
                };
                TypeExpr::Enum(self.enum_values(values))
            }
            "array" => {
                let Some(items) = m.value("items") else {
                    self.err(tname.span, "an array needs its `items` type").help =
                        Some("add `items: string` (or any type)".into());
                    self.finish_type(m, extra, context, "array");
                    return None;
                };
                let items = self.type_expr_only(items);
                let min_items = m.value("min_items").and_then(|v| self.count(v));
                let max_items = m.value("max_items").and_then(|v| self.count(v));
                TypeExpr::Array(Box::new(ArrayKeys {
                    items: items?,
                    min_items,
                    max_items,
                }))
            }
            "object" => {
                let mut properties = Vec::new();
                if let Some(v) = m.value("properties") {
                    for (name, node) in self.named_map(v, "a map of property names to types") {
                        if let Some(p) = self.property(node, false) {
                            properties.push((name, p));
                        }
                    }
                }
                let additional_properties = m
                    .value("additional_properties")
                    .and_then(|v| self.boolean(v));
                TypeExpr::Object(ObjectKeys {
                    properties,
                    additional_properties,
                })
            }
            _ => TypeExpr::Ref(tname.clone()),
        };
        let kind = if BUILTINS.contains(&tname.value.as_str()) {
            tname.value.clone()
        } else {
            "named type".to_owned()
        };
        self.finish_type(m, extra, context, &kind);
        Some(Sp::new(ty, head))
    }

    fn finish_type(&mut self, m: &mut MapIn, extra: &[&str], context: &str, kind: &str) {
        let own: &[&str] = TYPE_KEYS
            .iter()
            .find(|(t, _)| *t == kind)
            .map(|(_, k)| *k)
            .unwrap_or(&[]);
        let mut allowed = vec!["type"];
        allowed.extend_from_slice(own);
        allowed.extend_from_slice(extra);
        let span = m.span;
        let taken = std::mem::replace(
            m,
            MapIn {
                entries: vec![],
                used: vec![],
                span,
            },
        );
        self.finish(taken, context, &allowed, Some(kind));
    }

    fn enum_values(&mut self, node: Sp<Node>) -> Vec<EnumValue> {
        let empty = match &node.value {
            Node::Seq(items) => items.is_empty(),
            Node::Map(entries) => entries.is_empty(),
            _ => false,
        };
        if empty {
            // No value could ever be sent.
            self.err(node.span, "an enum needs at least one value").help =
                Some("list its values: `values: [a, b]`".into());
            return Vec::new();
        }
        match node.value {
            Node::Seq(items) => items
                .into_iter()
                .filter_map(|n| self.scalar_text(n, "an enum value"))
                .map(|value| EnumValue {
                    value,
                    description: None,
                    aliases: Vec::new(),
                })
                .collect(),
            Node::Map(entries) => {
                let mut out = Vec::new();
                for (k, v) in entries {
                    let mut ev = EnumValue {
                        value: k,
                        description: None,
                        aliases: Vec::new(),
                    };
                    if !matches!(v.value, Node::Null)
                        && let Some(mut m) = self.map(v, "a map with `description` and `aliases`")
                    {
                        ev.description = m
                            .value("description")
                            .and_then(|d| self.string(d, "a description"));
                        if let Some(a) = m.value("aliases") {
                            for n in self
                                .list(a, "a list of alias spellings")
                                .unwrap_or_default()
                            {
                                if let Some(s) = self.scalar_text(n, "an alias") {
                                    ev.aliases.push(s);
                                }
                            }
                        }
                        self.finish(m, "an enum value", &["description", "aliases"], None);
                    }
                    out.push(ev);
                }
                out
            }
            _ => {
                self.expected(
                    "a list of values, or a map of value → { description, aliases }",
                    &node,
                );
                Vec::new()
            }
        }
    }

    fn property(&mut self, node: Sp<Node>, attribute: bool) -> Option<Property> {
        let keys = if attribute {
            ATTRIBUTE_KEYS
        } else {
            PROPERTY_KEYS
        };
        let context = if attribute {
            "an attribute"
        } else {
            "a property"
        };
        if !matches!(node.value, Node::Map(_)) {
            let ty = self.type_shorthand(node)?;
            return Some(Property {
                ty,
                description: None,
                optional: None,
                pii: None,
                deprecated: None,
                examples: Vec::new(),
                consent: None,
                derived: None,
            });
        }
        let mut m = self.map(node, "a property")?;
        let description = m
            .value("description")
            .and_then(|v| self.string(v, "a description"));
        let optional = m.value("optional").and_then(|v| self.boolean(v));
        let pii = m.value("pii").and_then(|v| self.boolean(v));
        let deprecated = m
            .value("deprecated")
            .and_then(|v| self.string(v, "what to use instead"));
        let examples = match m.value("examples") {
            Some(v) => self.list(v, "a list of examples").unwrap_or_default(),
            None => Vec::new(),
        };
        let (consent, derived) = if attribute {
            let channels = [
                ("email", Channel::Email),
                ("sms", Channel::Sms),
                ("push", Channel::Push),
            ];
            let consent = m
                .value("consent")
                .and_then(|v| self.choice(v, "consent channel", &channels));
            let derived = m.value("derived").and_then(|v| self.boolean(v));
            (consent, derived)
        } else {
            (None, None)
        };
        let ty = self.type_expr_in(&mut m, keys, context)?;
        Some(Property {
            ty,
            description,
            optional,
            pii,
            deprecated,
            examples,
            consent,
            derived,
        })
    }

    fn event(&mut self, node: Sp<Node>) -> Option<EventDef> {
        let mut m = self.map(node, "an event definition")?;
        let description = m
            .value("description")
            .and_then(|v| self.string(v, "a description"));
        let owner = m
            .value("owner")
            .and_then(|v| self.string(v, "the emitting service"));
        let idempotency_key = m
            .value("idempotency_key")
            .and_then(|v| self.string(v, "a property name"));
        let backfill = m.value("backfill").and_then(|v| {
            self.choice(
                v,
                "backfill policy",
                &[
                    ("allowed", BackfillPolicy::Allowed),
                    ("forbidden", BackfillPolicy::Forbidden),
                ],
            )
        });
        let deprecated = m
            .value("deprecated")
            .and_then(|v| self.string(v, "what to use instead"));
        let mut properties = Vec::new();
        if let Some(v) = m.value("properties") {
            for (name, node) in self.named_map(v, "a map of property names to types") {
                if let Some(p) = self.property(node, false) {
                    properties.push((name, p));
                }
            }
        }
        self.finish(
            m,
            "an event",
            &[
                "description",
                "owner",
                "idempotency_key",
                "backfill",
                "deprecated",
                "properties",
            ],
            None,
        );
        Some(EventDef {
            description,
            owner,
            idempotency_key,
            backfill,
            deprecated,
            properties,
        })
    }

    fn duration(&mut self, node: Sp<Node>) -> Option<Sp<Duration>> {
        let span = node.span;
        let text = match &node.value {
            Node::Str(s) => s.clone(),
            Node::Int(i) => {
                let i = *i;
                self.diags.push(
                    Diagnostic::new(
                        CheckRule::InvalidDuration,
                        span,
                        format!("duration `{i}` has no unit"),
                    )
                    .label("expected a positive whole number and a unit")
                    .help(format!(
                        "add a unit: `{i}s`, `{i}m`, `{i}h`, `{i}d` or `{i}w`"
                    )),
                );
                return None;
            }
            Node::Float(_) => {
                let raw = self.raw(span).to_owned();
                self.diags.push(
                    Diagnostic::new(
                        CheckRule::InvalidDuration,
                        span,
                        format!("`{raw}` is not a duration"),
                    )
                    .label("expected a positive whole number and a unit")
                    .help("write a positive integer and one of s m h d w, e.g. `30m`, `21d`"),
                );
                return None;
            }
            _ => {
                self.expected("a duration such as `30m` or `21d`", &node);
                return None;
            }
        };
        // The last character is the unit (it may be any character: split on chars, not
        // bytes; `12hé` was a panic found by the fuzz test).
        let mut chars = text.chars();
        let unit = chars.next_back();
        let num = chars.as_str();
        let unit = match unit {
            Some('s') => Some(DurationUnit::Seconds),
            Some('m') => Some(DurationUnit::Minutes),
            Some('h') => Some(DurationUnit::Hours),
            Some('d') => Some(DurationUnit::Days),
            Some('w') => Some(DurationUnit::Weeks),
            _ => None,
        };
        match (num.parse::<u64>(), unit) {
            (Ok(amount), Some(unit)) if amount > 0 && num.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Sp::new(Duration { amount, unit }, span))
            }
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        CheckRule::InvalidDuration,
                        span,
                        format!("`{text}` is not a duration"),
                    )
                    .label("expected a positive whole number and a unit")
                    .help("write a positive integer and one of s m h d w, e.g. `30m`, `21d`"),
                );
                None
            }
        }
    }

    fn operators(&mut self, node: Sp<Node>, context: &str) -> Vec<Sp<Operator>> {
        let Some(mut m) = self.map(node, "a map of operators (`equals`, `gte`, ...)") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for name in Operator::NAMES {
            if let Some((k, v)) = m.take(name)
                && let Some(op) = self.operator(name, v)
            {
                out.push(Sp::new(op, k.span));
            }
        }
        self.finish(m, context, &Operator::NAMES, None);
        out
    }

    fn operator(&mut self, name: &str, v: Sp<Node>) -> Option<Operator> {
        let scalar = |r: &mut Self, v: Sp<Node>| match v.value {
            Node::Str(_) | Node::Int(_) | Node::Float(_) | Node::Bool(_) => Some(v),
            _ => {
                r.expected("a string, number or boolean", &v);
                None
            }
        };
        Some(match name {
            "equals" => Operator::Equals(scalar(self, v)?),
            "not_equals" => Operator::NotEquals(scalar(self, v)?),
            "in" => {
                let items = match v.value {
                    Node::Seq(items) => items,
                    _ => {
                        self.expected("a list of values", &v);
                        return None;
                    }
                };
                let items: Vec<_> = items.into_iter().filter_map(|n| scalar(self, n)).collect();
                Operator::In(items)
            }
            "exists" => Operator::Exists(self.boolean(v)?.value),
            "gt" => Operator::Gt(scalar(self, v)?),
            "gte" => Operator::Gte(scalar(self, v)?),
            "lt" => Operator::Lt(scalar(self, v)?),
            "lte" => Operator::Lte(scalar(self, v)?),
            _ => Operator::Contains(scalar(self, v)?),
        })
    }

    fn filter(&mut self, node: Sp<Node>) -> Vec<Named<Vec<Sp<Operator>>>> {
        let entries = self.named_map(node, "a map of property paths to operators");
        entries
            .into_iter()
            .map(|(path, ops)| {
                let ops = self.operators(ops, "a `where` condition");
                (path, ops)
            })
            .collect()
    }

    fn conditions(&mut self, node: Sp<Node>) -> Option<Sp<Vec<Sp<Condition>>>> {
        let span = node.span;
        let items = self.list(node, "a list of conditions")?;
        let out = items
            .into_iter()
            .filter_map(|n| self.condition(n))
            .collect();
        Some(Sp::new(out, span))
    }

    fn condition(&mut self, node: Sp<Node>) -> Option<Sp<Condition>> {
        let span = node.span;
        let mut m = self.map(node, "a condition (`event:`, `attribute:` or `segment:`)")?;
        let kinds: Vec<&str> = ["event", "attribute", "segment"]
            .into_iter()
            .filter(|k| m.has(k))
            .collect();
        // Point at `event: NAME` (the condition's head), not at the whole map, whose
        // span is only its first character.
        let span = match kinds.as_slice() {
            [kind] => m
                .entries
                .iter()
                .find(|(k, _)| k.value == *kind)
                .filter(|(k, v)| k.span.file == v.span.file && k.span.start <= v.span.end)
                .map_or(span, |(k, v)| {
                    Span::new(k.span.file, k.span.start, v.span.end)
                }),
            _ => span,
        };
        let cond = match kinds.as_slice() {
            ["event"] => {
                let event = self.string(m.value("event")?, "an event name")?;
                let filter = m.value("where").map(|v| self.filter(v)).unwrap_or_default();
                let within = m.value("within").and_then(|v| self.duration(v));
                let count = m
                    .value("count")
                    .map(|v| self.operators(v, "`count`"))
                    .unwrap_or_default();
                self.finish(
                    m,
                    "an event condition",
                    &["event", "where", "within", "count"],
                    None,
                );
                Condition::Event {
                    event,
                    filter,
                    within,
                    count,
                }
            }
            ["attribute"] => {
                let attribute = self.string(m.value("attribute")?, "an attribute name")?;
                let mut ops = Vec::new();
                for name in Operator::NAMES {
                    if let Some((k, v)) = m.take(name)
                        && let Some(op) = self.operator(name, v)
                    {
                        ops.push(Sp::new(op, k.span));
                    }
                }
                let mut allowed = vec!["attribute"];
                allowed.extend(Operator::NAMES);
                self.finish(m, "an attribute condition", &allowed, None);
                match ops.len() {
                    1 => Condition::Attribute {
                        attribute,
                        op: ops.remove(0),
                    },
                    0 => {
                        self.err(attribute.span, "an attribute condition needs one operator")
                            .help = Some("add one of: equals, not_equals, in, exists, gt, gte, lt, lte, contains".into());
                        return None;
                    }
                    _ => {
                        self.err(
                            ops[1].span,
                            "an attribute condition takes exactly one operator",
                        )
                        .help = Some("split it into two conditions".into());
                        return None;
                    }
                }
            }
            ["segment"] => {
                let segment = self.string(m.value("segment")?, "a segment name")?;
                self.finish(m, "a segment condition", &["segment"], None);
                Condition::Segment { segment }
            }
            [] => {
                let d = Diagnostic::new(
                    CheckRule::InvalidValue,
                    span,
                    "a condition needs `event:`, `attribute:` or `segment:`",
                );
                let d = match m.entries.first() {
                    Some((k, _)) => {
                        match did_you_mean_help_within(
                            self.hints,
                            &k.value,
                            ["event", "attribute", "segment"],
                        ) {
                            Some(h) => d.help(h),
                            None => d,
                        }
                    }
                    None => d,
                };
                self.diags.push(d);
                return None;
            }
            _ => {
                self.err(
                    span,
                    format!("a condition takes one of {}, not several", kinds.join(", ")),
                )
                .help = Some("split it into separate conditions".into());
                return None;
            }
        };
        Some(Sp::new(cond, span))
    }

    fn segment(&mut self, node: Sp<Node>) -> Option<SegmentDef> {
        let span = node.span;
        let mut m = self.map(node, "a segment definition")?;
        let description = m
            .value("description")
            .and_then(|v| self.string(v, "a description"));
        let all = m.value("all").and_then(|v| self.conditions(v));
        let any = m.value("any").and_then(|v| {
            if matches!(&v.value, Node::Null)
                || matches!(&v.value, Node::Seq(items) if items.is_empty())
            {
                // Without `any` no `any` condition is required; an empty one reads as
                // "at least one of none", which nobody meets: say which was meant.
                self.err(v.span, "`any` lists no condition").help =
                    Some("list at least one condition, or leave `any` out".into());
            }
            self.conditions(v)
        });
        let none = m.value("none").and_then(|v| self.conditions(v));
        self.finish(m, "a segment", &["description", "all", "any", "none"], None);
        if all.is_none() && any.is_none() && none.is_none() {
            self.err(span, "a segment needs at least one of `all`, `any`, `none`")
                .help = Some("add `all: [{ event: NAME }]` or another condition list".into());
            return None;
        }
        Some(SegmentDef {
            description,
            all,
            any,
            none,
        })
    }

    fn workflow(&mut self, node: Sp<Node>) -> Option<WorkflowDef> {
        let mut m = self.map(node, "a workflow definition")?;
        let description = m
            .value("description")
            .and_then(|v| self.string(v, "a description"));
        let goal = m.value("goal").and_then(|v| {
            self.choice(
                v,
                "goal",
                &[
                    ("revenue", Goal::Revenue),
                    ("retention", Goal::Retention),
                    ("engagement", Goal::Engagement),
                    ("transactional", Goal::Transactional),
                ],
            )
        });
        let trigger = m.value("trigger").and_then(|v| self.trigger(v));
        let audience = match m.value("audience") {
            Some(v) => match v.value {
                Node::Str(_) => self.string(v, "a segment name").into_iter().collect(),
                _ => self
                    .list(v, "a list of segment names")
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|n| self.string(n, "a segment name"))
                    .collect(),
            },
            None => Vec::new(),
        };
        let wait = m.value("wait").and_then(|v| self.duration(v));
        let exit_when = m.value("exit_when").and_then(|v| self.conditions(v));
        let channel_names = [
            ("email", Channel::Email),
            ("sms", Channel::Sms),
            ("push", Channel::Push),
            ("in_app", Channel::InApp),
            ("webhook", Channel::Webhook),
        ];
        let channels = match m.value("channels") {
            Some(v) => self
                .list(v, "a list of channels")
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| self.choice(n, "channel", &channel_names))
                .collect(),
            None => Vec::new(),
        };
        self.finish(
            m,
            "a workflow",
            &[
                "description",
                "goal",
                "trigger",
                "audience",
                "wait",
                "exit_when",
                "channels",
            ],
            None,
        );
        Some(WorkflowDef {
            description,
            goal,
            trigger,
            audience,
            wait,
            exit_when,
            channels,
        })
    }

    fn trigger(&mut self, node: Sp<Node>) -> Option<Sp<Trigger>> {
        let span = node.span;
        let mut m = self.map(node, "a trigger (`event:` or `segment:`)")?;
        let t = match (m.has("event"), m.has("segment")) {
            (true, false) => {
                let event = self.string(m.value("event")?, "an event name")?;
                let filter = m.value("where").map(|v| self.filter(v)).unwrap_or_default();
                self.finish(m, "an event trigger", &["event", "where"], None);
                Trigger::Event { event, filter }
            }
            (false, true) => {
                let segment = self.string(m.value("segment")?, "a segment name")?;
                self.finish(m, "a segment trigger", &["segment"], None);
                Trigger::Segment { segment }
            }
            (true, true) => {
                self.err(span, "a trigger is an event or a segment, not both");
                return None;
            }
            (false, false) => {
                self.err(span, "a trigger needs `event:` or `segment:`")
                    .help =
                    Some("write `trigger: { event: NAME }` or `trigger: { segment: NAME }`".into());
                return None;
            }
        };
        Some(Sp::new(t, span))
    }
}
