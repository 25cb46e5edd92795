//! The person: the contract's identifier (from `identifiers.id` or a v1 path) and the
//! `identifiers` object of a v2 operation.

use serde::de::{IgnoredAny, MapAccess};

use super::scalar::{ScalarKind, ScalarSeed};
use super::shape::{Shape, Shaped, StrSeed, Subject};
use super::{IdKind, Quoted, Shown, Wire, Worker, codes, limits};
use trackc_wire::IdentifierKey;

impl Worker<'_> {
    /// The contract's id, from `identifiers.id` or a v1 path. `path` is rendered only
    /// for a violation (not for every record).
    pub(super) fn check_id(&mut self, id: IdValue<'_>, path: &dyn Fn() -> String) {
        let v = self.cx.v;
        let name = &v.identity.name;
        if let IdValue::Str(s) = id {
            if s.contains('@') && v.fmt.email.is_match(s) {
                self.cx.push(
                    path(),
                    codes::IDENTIFIED_BY_EMAIL,
                    format!(
                        "the contract identifies people by `{name}`, but the path names the person by an email address, {}",
                        Quoted(s)
                    ),
                    Some(format!("send `{name}` as the identifier and email as an attribute")),
                );
                return;
            }
            if s.len() > limits::IDENTIFIER_BYTES {
                self.cx.push(
                    path(),
                    codes::IDENTIFIER_TOO_LONG,
                    format!(
                        "identifier is {} bytes; Customer.io allows at most {}",
                        s.len(),
                        limits::IDENTIFIER_BYTES
                    ),
                    None,
                );
            }
            if s.is_empty() {
                self.cx.push(
                    path(),
                    codes::IDENTIFIER_INVALID,
                    format!("`{name}` is empty"),
                    None,
                );
                return;
            }
        }
        match (&v.identity.kind, id) {
            (IdKind::String(sc), IdValue::Str(s)) => {
                let n = s.chars().count() as u64;
                let bad = if sc.min_length.is_some_and(|m| n < m) {
                    Some(format!(
                        "`{name}` {} is shorter than {}",
                        Quoted(s),
                        sc.min_length.unwrap_or(0)
                    ))
                } else if sc.max_length.is_some_and(|m| n > m) {
                    Some(format!(
                        "`{name}` {} is longer than {}",
                        Quoted(s),
                        sc.max_length.unwrap_or(0)
                    ))
                } else if sc.pattern.as_ref().is_some_and(|re| !re.is_match(s)) {
                    let re = sc.pattern_text.as_deref().unwrap_or("");
                    Some(format!(
                        "`{name}` {} does not match the pattern {re}",
                        Quoted(s)
                    ))
                } else if sc.format.is_some_and(|f| !v.fmt.check(f, s)) {
                    let f = sc.format.map_or("", |f| f.as_str());
                    Some(format!("`{name}` {} is not a valid {f}", Quoted(s)))
                } else {
                    None
                };
                if let Some(message) = bad {
                    self.cx
                        .push(path(), codes::IDENTIFIER_INVALID, message, None);
                }
            }
            (IdKind::String(_), other) => self.cx.push(
                path(),
                codes::IDENTIFIER_TYPE,
                format!(
                    "`{name}` is a string in the contract; found {}",
                    other.wire()
                ),
                match other {
                    IdValue::Int(n) => Some(format!("send \"{n}\"")),
                    _ => None,
                },
            ),
            (IdKind::Integer(b), id) => {
                let n = match id {
                    IdValue::Int(n) => Some(n),
                    IdValue::Str(s) => s.parse::<i128>().ok().filter(|_| {
                        s.bytes()
                            .enumerate()
                            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == b'-'))
                    }),
                    IdValue::Other(_) => None,
                };
                match n {
                    None => self.cx.push(
                        path(),
                        codes::IDENTIFIER_TYPE,
                        format!(
                            "`{name}` is an integer in the contract; found {}",
                            id.wire()
                        ),
                        None,
                    ),
                    Some(n) => {
                        let x = n as f64;
                        if b.minimum.is_some_and(|m| x < m) || b.maximum.is_some_and(|m| x > m) {
                            let range = match (b.minimum, b.maximum) {
                                (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
                                (Some(lo), None) => format!("at least {lo}"),
                                (None, Some(hi)) => format!("at most {hi}"),
                                (None, None) => String::new(),
                            };
                            self.cx.push(
                                path(),
                                codes::IDENTIFIER_INVALID,
                                format!("`{name}` {n} is out of range ({range})"),
                                None,
                            );
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum IdValue<'a> {
    Str(&'a str),
    Int(i128),
    Other(Wire<'static>),
}

impl IdValue<'_> {
    fn wire(&self) -> String {
        match self {
            IdValue::Str(s) => Wire::Str(s).to_string(),
            IdValue::Int(n) => Wire::Int(*n).to_string(),
            IdValue::Other(w) => w.to_string(),
        }
    }
}

/// `identifiers` (or a merge's `primary`/`secondary`, the `field`): exactly one of `id`
/// (the contract's) and the other `keys` (`email`, `phone`, `cio_id`).
pub(super) struct IdentSeed<'a, 'v> {
    pub(super) w: &'a mut Worker<'v>,
    pub(super) prefix: &'a str,
    pub(super) field: &'a str,
    pub(super) keys: &'static [IdentifierKey],
}

impl<'de> Shape<'de> for IdentSeed<'_, '_> {
    type Value = ();

    fn expected(&self) -> &'static str {
        "an object"
    }

    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut id, mut email, mut phone, mut cio, mut n) = (false, false, false, false, 0);
        // What was sent as email and phone, for the message.
        let (mut sent_email, mut sent_phone) = (String::new(), String::new());
        let (prefix, field) = (self.prefix, self.field);
        while let Some(key) = map.next_key_seed(Shaped(StrSeed))? {
            let key = key.unwrap_or_default();
            n += 1;
            let known = IdentifierKey::parse(&key).filter(|k| self.keys.contains(k));
            match known.map_or("", IdentifierKey::as_str) {
                "id" => {
                    id = true;
                    let path = || format!("{prefix}{field}.id");
                    map.next_value_seed(Shaped(ScalarSeed {
                        w: &mut *self.w,
                        kind: ScalarKind::PersonId,
                        path: &path,
                    }))?;
                }
                "email" | "phone" | "cio_id" => {
                    // Kept to be shown: the message names the offending value.
                    let value: serde_json::Value = map.next_value()?;
                    if let (Some(t), Some(k)) = (&mut self.w.tap, known) {
                        let number = value.as_number().map(|n| n.to_string());
                        t.identifier(k, value.as_str().or(number.as_deref()));
                    }
                    let shown = match value.as_str() {
                        Some(s) => Quoted(s).to_string(),
                        None => Quoted(&value.to_string()).to_string(),
                    };
                    match &*key {
                        "email" => (email, sent_email) = (true, shown),
                        "phone" => (phone, sent_phone) = (true, shown),
                        _ => cio = true,
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    let keys: Vec<&str> = self.keys.iter().map(|k| k.as_str()).collect();
                    let (last, rest) = keys.split_last().unwrap_or((&"", &[]));
                    let m = format!(
                        "unknown identifier `{}` ({} or {last})",
                        Shown(&key),
                        rest.join(", ")
                    );
                    self.w.request(format!("{prefix}{field}"), m);
                }
            }
        }
        let name = &self.w.cx.v.identity.name;
        let path = || format!("{prefix}{field}");
        if !id {
            let (code, message, hint) = if email {
                (
                    codes::IDENTIFIED_BY_EMAIL,
                    format!(
                        "the contract identifies people by `{name}`, but the person is identified by email {sent_email}"
                    ),
                    Some(format!(
                        "send {field} {{\"id\": <{name}>}} and email as an attribute"
                    )),
                )
            } else if phone {
                (
                    codes::IDENTIFIED_BY_PHONE,
                    format!(
                        "the contract identifies people by `{name}`, but the person is identified by phone {sent_phone}"
                    ),
                    Some(format!(
                        "send {field} {{\"id\": <{name}>}} and phone as an attribute"
                    )),
                )
            } else if cio {
                (
                    codes::MISSING_IDENTIFIER,
                    format!(
                        "the person is identified by cio_id; the contract identifies people by `{name}`"
                    ),
                    None,
                )
            } else {
                (
                    codes::MISSING_IDENTIFIER,
                    format!("no `id` in {field}; the contract identifies people by `{name}`"),
                    None,
                )
            };
            self.w.cx.push(path(), code, message, hint);
        } else if n > 1 {
            self.w.cx.push(
                path(),
                codes::MULTIPLE_IDENTIFIERS,
                "more than one identifier; Customer.io accepts exactly one".into(),
                Some("send only `id`".into()),
            );
        }
        Ok(())
    }

    fn wrong(self, found: Wire<'_>) {
        if let Some(t) = &mut self.w.tap {
            t.line.whole = true;
        }
        let expected = self.expected();
        let path = format!("{}{}", self.prefix, self.field);
        self.w.wrong_shape(
            path,
            codes::INVALID_REQUEST,
            Subject::Field(self.field),
            expected,
            found,
        );
    }
}
