//! Source files and byte spans into them.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(file: FileId, start: u32, end: u32) -> Self {
        Span { file, start, end }
    }

    /// An empty span at the start of a file: for problems with a file as a whole.
    pub const fn file_start(file: FileId) -> Self {
        Span {
            file,
            start: 0,
            end: 0,
        }
    }
}

/// A value with the span it was written at.
#[derive(Clone, Copy, Debug)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub const fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sp<U> {
        Sp {
            value: f(self.value),
            span: self.span,
        }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Why a file of the contract was not taken as text. The file stays in the
/// [`SourceMap`] (with empty text) so that a diagnostic can name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Over the per-file budget; `bytes` is its size, or what was read before stopping.
    TooLarge { bytes: u64 },
    /// Not UTF-8 at this 1-based line and column (byte offset `byte`).
    NotUtf8 {
        line: usize,
        column: usize,
        byte: usize,
    },
    /// A symbolic link inside the contract folder (or a link in a git tree).
    Symlink,
    /// A FIFO, socket or device: `kind` in words.
    NotRegular { kind: &'static str },
}

/// One loaded file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user should see it (relative to where the contract was named).
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    /// Set when the file was not read as text; `text` is then empty.
    pub refused: Option<Refusal>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// A file that was not read as text, and why.
    pub fn refused(name: String, path: PathBuf, why: Refusal) -> Self {
        let mut f = SourceFile::new(name, path, String::new());
        f.refused = Some(why);
        f
    }

    pub fn new(name: String, path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0u32];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        SourceFile {
            name,
            path,
            text,
            refused: None,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// Byte offset of a 1-based line and column (in characters).
    pub fn offset_of(&self, line: usize, col: usize) -> u32 {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len() as u32;
        };
        let rest = &self.text[start as usize..];
        let within: usize = rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        start + within as u32
    }
}

/// Every file of a contract, in load order.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// file, 1-based line and column of a span's start.
    pub fn location(&self, span: Span) -> (&str, usize, usize) {
        let f = self.get(span.file);
        let (l, c) = f.line_col(span.start);
        (&f.name, l, c)
    }
}
