//! How requests name a person: the identifier keys of v2 `identifiers` and of merges, the
//! v1 path's `{identifier}` (with its `cio_` prefix), and the percent-encoding of path
//! segments.

use std::borrow::Cow;

/// A key that names a person: `{"id": …}`, `{"email": …}`, `{"phone": …}`, `{"cio_id": …}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierKey {
    /// The workspace's own id for the person (the contract's identity).
    Id,
    Email,
    /// E.164; only in v2 `identifiers` (a phone number in a v1 path is read as an `id`).
    Phone,
    /// Customer.io's canonical id.
    CioId,
}

impl IdentifierKey {
    /// The keys of a v2 person operation's `identifiers` (exactly one of them).
    pub const V2: &[IdentifierKey] = &[Self::Id, Self::Email, Self::Phone, Self::CioId];
    /// The keys of a merge's `primary` and `secondary` (v1 `merge_customers` and the v2
    /// person `merge`), and what a v1 path's `{identifier}` may hold.
    pub const MERGE: &[IdentifierKey] = &[Self::Id, Self::Email, Self::CioId];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::CioId => "cio_id",
        }
    }

    pub fn parse(key: &str) -> Option<IdentifierKey> {
        [Self::Id, Self::Email, Self::Phone, Self::CioId]
            .into_iter()
            .find(|k| k.as_str() == key)
    }
}

/// The prefix that marks a `cio_id` in a v1 path: `/api/v1/customers/cio_03000001`.
pub const CIO_ID_PREFIX: &str = "cio_";

/// A v1 path's `{identifier}`, decoded. Customer.io tells the kinds apart by the value's
/// shape: `cio_…` is a `cio_id`; anything else is an `id`, or an `email` when it looks
/// like one (the workspace's settings decide which it accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPerson<'a> {
    /// An `id` or `email`, as sent.
    IdOrEmail(&'a str),
    /// A `cio_id`, without its prefix.
    CioId(&'a str),
}

impl<'a> PathPerson<'a> {
    /// Read a decoded path segment.
    pub fn parse(decoded: &'a str) -> Self {
        match decoded.strip_prefix(CIO_ID_PREFIX) {
            Some(cio) => PathPerson::CioId(cio),
            None => PathPerson::IdOrEmail(decoded),
        }
    }

    /// The value the path holds, before percent-encoding (`cio_` added for a `cio_id`).
    pub fn path_value(&self) -> Cow<'a, str> {
        match *self {
            PathPerson::IdOrEmail(s) => Cow::Borrowed(s),
            PathPerson::CioId(s) => Cow::Owned(format!("{CIO_ID_PREFIX}{s}")),
        }
    }
}

/// Percent-encode a path segment: everything but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), as `%XX` of each UTF-8 byte.
pub fn encode_segment(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out
}

/// Decode a percent-encoded path segment, leniently: a `%` not followed by two hex digits
/// stays as it is, and bytes that do not form UTF-8 become U+FFFD.
pub fn decode_segment(s: &str) -> Cow<'_, str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip() {
        for s in [
            "plain-id_1.~",
            "a b/c?d#e%f",
            "jane+1@example.com",
            "Ünï",
            "",
        ] {
            let e = encode_segment(s);
            assert!(
                e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
            );
            assert_eq!(decode_segment(&e), s);
        }
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }

    #[test]
    fn lenient_decoding() {
        assert_eq!(decode_segment("100%"), "100%");
        assert_eq!(decode_segment("%zz%4"), "%zz%4");
        assert_eq!(decode_segment("%2f%2F"), "//");
        assert_eq!(decode_segment("%FF"), "\u{FFFD}");
    }

    #[test]
    fn path_people() {
        assert_eq!(PathPerson::parse("cio_0300"), PathPerson::CioId("0300"));
        assert_eq!(PathPerson::parse("42"), PathPerson::IdOrEmail("42"));
        assert_eq!(PathPerson::CioId("0300").path_value(), "cio_0300");
        for k in IdentifierKey::V2 {
            assert_eq!(IdentifierKey::parse(k.as_str()), Some(*k));
        }
        assert_eq!(IdentifierKey::parse("ID"), None);
    }
}
