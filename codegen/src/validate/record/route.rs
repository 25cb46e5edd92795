//! A v1 request's method and path → the Track API route it calls.

use std::borrow::Cow;

use super::{Quoted, Shown};

/// A v1 request's route.
pub(super) enum Route<'a> {
    Identify(Cow<'a, str>),
    Track(Cow<'a, str>),
    Anonymous,
    Entity,
    Batch,
    /// Another Track API path (delete, devices, suppress, merge ...): identifier only.
    Other(Option<Cow<'a, str>>),
    Invalid(String),
}

impl<'a> Route<'a> {
    pub(super) fn of(method: &str, full: &'a str) -> Route<'a> {
        let mut path = full;
        if let Some(i) = path.find("://") {
            path = path[i + 3..].find('/').map_or("/", |j| &path[i + 3 + j..]);
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = path.strip_suffix('/').unwrap_or(path);
        let m = ["PUT", "POST", "DELETE"]
            .into_iter()
            .find(|m| method.eq_ignore_ascii_case(m))
            .unwrap_or("");
        let wrong = |what: &str| {
            Route::Invalid(format!(
                "{} {} is not a Track API request ({what})",
                Shown(method),
                Shown(full)
            ))
        };
        if let Some(rest) = path.strip_prefix("/api/v1/customers/") {
            let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let id = percent_decode(id);
            return match (tail, m) {
                ("", "PUT") => Route::Identify(id),
                ("", "DELETE") => Route::Other(Some(id)),
                ("", _) => wrong("identify is PUT"),
                ("events", "POST") => Route::Track(id),
                ("events", _) => wrong("track is POST"),
                _ => Route::Other(Some(id)),
            };
        }
        match (path, m) {
            ("/api/v1/events", "POST") => Route::Anonymous,
            ("/api/v1/events", _) => wrong("anonymous track is POST"),
            ("/api/v2/entity", "POST") => Route::Entity,
            ("/api/v2/batch", "POST") => Route::Batch,
            ("/api/v2/entity" | "/api/v2/batch", _) => wrong("v2 requests are POST"),
            (p, _) if p.starts_with("/api/v1/") || p.starts_with("/api/v2/") => Route::Other(None),
            _ => Route::Invalid(format!("{} is not a Track API path", Quoted(full))),
        }
    }
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}
