//! The SQLite store of `trackc serve --store PATH` as input: its requests, oldest first,
//! as the lines `/_trackc/requests` serves (`serve::inspect`'s reader and line shape,
//! validate's v1 request with `received_at`). Opened read-only; a store `serve` is still
//! writing to is read as of the moment each page is read.

use std::io::{self, Read};
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::serve::inspect::{self, Filter};

/// Requests read per query.
const PAGE: usize = 10_000;

/// Whether `path` is an SQLite database (its 16-byte header).
pub fn is_store(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"SQLite format 3\0"
}

/// Hand every recorded request to `line`, oldest first.
pub fn read(path: &Path, mut line: impl FnMut(&str)) -> io::Result<()> {
    let bad = |e: rusqlite::Error| io::Error::other(format!("reading the store: {e}"));
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(bad)?;
    // A store comes from anywhere: a `requests` view (an endless recursive query, say)
    // would be run, not read. Only serve's tables are read, and nothing in the schema runs.
    c.pragma_update(None, "trusted_schema", false)
        .map_err(bad)?;
    let kind: Option<String> = c
        .query_row(
            "SELECT type FROM sqlite_schema WHERE name = 'requests'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(bad)?;
    match kind.as_deref() {
        Some("table") => {}
        Some(_) => return Err(not_a_store("its `requests` is not a table")),
        None => return Err(not_a_store("it has no `requests` table")),
    }
    let mut after = 0i64;
    loop {
        let f = Filter {
            after,
            limit: PAGE,
            ..Filter::default()
        };
        let rows = inspect::select(&c, &f, false).map_err(bad)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.seq;
        for r in &rows {
            line(&r.line());
        }
    }
}

fn not_a_store(why: &str) -> io::Error {
    io::Error::other(format!("not a store of `trackc serve`: {why}"))
}
