//! Scalars of the envelope checked on the spot: timestamps, event ids, the person's id
//! and anonymous ids.

use super::identity::IdValue;
use serde::de::MapAccess;
use trackc_wire::IdentifierKey;

use super::shape::{Shape, Shaped, Subject, detached};
use super::{Quoted, Wire, Worker, codes, limits};

/// A scalar of the envelope checked on the spot (timestamps, event ids, identifiers).
#[derive(Clone, Copy)]
pub(super) enum ScalarKind {
    Timestamp,
    EventId,
    PersonId,
    AnonymousId,
}

pub(super) struct ScalarSeed<'a, 'v> {
    pub(super) w: &'a mut Worker<'v>,
    pub(super) kind: ScalarKind,
    pub(super) path: &'a dyn Fn() -> String,
}

impl<'de> Shape<'de> for ScalarSeed<'_, '_> {
    type Value = ();

    fn expected(&self) -> &'static str {
        match self.kind {
            ScalarKind::Timestamp => "an integer of Unix seconds",
            ScalarKind::EventId => "a ULID string",
            ScalarKind::PersonId => "a string or an integer",
            ScalarKind::AnonymousId => "a string",
        }
    }

    fn int(self, n: i128) {
        match self.kind {
            ScalarKind::Timestamp => {
                self.w.timestamp = Some(n);
                if trackc_wire::time::looks_like_milliseconds(n) {
                    self.w.cx.push(
                        (self.path)(),
                        codes::TIMESTAMP_SECONDS,
                        format!("timestamp {n} looks like milliseconds; send Unix seconds"),
                        Some(format!("send {}", n / 1000)),
                    );
                }
            }
            ScalarKind::PersonId => {
                if let Some(t) = &mut self.w.tap {
                    let text = super::tap::integer_text(n);
                    t.identifier(IdentifierKey::Id, text.as_deref());
                }
                self.w.check_id(IdValue::Int(n), self.path)
            }
            _ => self.wrong(Wire::Int(n)),
        }
    }

    fn str(self, s: &str) {
        match self.kind {
            ScalarKind::EventId => {
                use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
                self.w.event_id = Some(BuildHasherDefault::<DefaultHasher>::default().hash_one(s));
                if !is_ulid(s) {
                    self.w.cx.push(
                        (self.path)(),
                        codes::EVENT_ID,
                        format!("event id {} is not a ULID; Customer.io deduplicates events by a ULID id", Quoted(s)),
                        None,
                    );
                }
            }
            ScalarKind::PersonId => {
                if let Some(t) = &mut self.w.tap {
                    t.identifier(IdentifierKey::Id, Some(s));
                }
                self.w.check_id(IdValue::Str(s), self.path)
            }
            ScalarKind::AnonymousId => {
                if s.len() > limits::IDENTIFIER_BYTES {
                    self.w.cx.push(
                        (self.path)(),
                        codes::IDENTIFIER_TOO_LONG,
                        format!(
                            "anonymous id is {} bytes; Customer.io allows at most {}",
                            s.len(),
                            limits::IDENTIFIER_BYTES
                        ),
                        None,
                    );
                }
            }
            ScalarKind::Timestamp => match trackc_wire::time::parse_date_time(s) {
                // What a JavaScript `Date` (or Python's `isoformat()`) turns into in JSON.
                Some(seconds) => self.w.cx.push(
                    (self.path)(),
                    codes::TYPE,
                    format!(
                        "timestamp {} is a date-time string; Track API timestamps are Unix seconds",
                        Quoted(s)
                    ),
                    Some(format!(
                        "send {} (a JavaScript `Date` arrives as this text: send \
                         `Math.floor(date.getTime() / 1000)`; Python: `int(dt.timestamp())`)",
                        seconds.floor() as i64
                    )),
                ),
                None => self.wrong(Wire::Str(s)),
            },
        }
    }
    #[cold]
    fn wrong(self, found: Wire<'_>) {
        let expected = self.expected();
        let path = (self.path)();
        match self.kind {
            ScalarKind::PersonId => {
                if let Some(t) = &mut self.w.tap {
                    t.identifier(IdentifierKey::Id, None);
                }
                self.w
                    .check_id(IdValue::Other(detached(found)), &|| path.clone())
            }
            ScalarKind::Timestamp => {
                self.w
                    .wrong_shape(path, codes::TYPE, Subject::Value, expected, found)
            }
            ScalarKind::EventId => {
                self.w
                    .wrong_shape(path, codes::EVENT_ID, Subject::Value, expected, found)
            }
            ScalarKind::AnonymousId => self.w.wrong_shape(
                path.clone(),
                codes::INVALID_REQUEST,
                Subject::Field(&path),
                expected,
                found,
            ),
        }
    }
}

/// Crockford base32, 26 characters, at most `7ZZZ…` (128 bits).
fn is_ulid(s: &str) -> bool {
    /// The base32 digits in either case (no I, L, O, U): one lookup a byte, since every
    /// idempotent event of the traffic carries an id.
    const DIGIT: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = matches!(
                (c as u8).to_ascii_uppercase(),
                b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z'
            );
            c += 1;
        }
        t
    };
    let b = s.as_bytes();
    b.len() == 26 && matches!(b[0], b'0'..=b'7') && b.iter().all(|&c| DIGIT[c as usize])
}

/// Read a scalar field of the envelope and check it on the spot.
pub(super) fn scalar_field<'de, A: MapAccess<'de>>(
    w: &mut Worker<'_>,
    map: &mut A,
    kind: ScalarKind,
    path: &dyn Fn() -> String,
) -> Result<(), A::Error> {
    map.next_value_seed(Shaped(ScalarSeed { w, kind, path }))
}

#[cfg(test)]
mod tests {
    use super::is_ulid;

    #[test]
    fn ulids() {
        for ok in [
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "01arz3ndektsv4rrffq69g5fav",
        ] {
            assert!(is_ulid(ok), "{ok}");
        }
        for bad in [
            "",
            "01ARZ3NDEKTSV4RRFFQ69G5FA",
            "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
            "81ARZ3NDEKTSV4RRFFQ69G5FAV",
            "01ARZ3NDEKTSV4RRFFQ69G5FAI",
            "01ARZ3NDEKTSV4RRFFQ69G5FAL",
            "01ARZ3NDEKTSV4RRFFQ69G5FAO",
            "01ARZ3NDEKTSV4RRFFQ69G5FAU",
            "01ARZ3NDEKTSV4RRFFQ69G5FA-",
            "01ARZ3NDEKTSV4RRFFQ69G5Fé",
        ] {
            assert!(!is_ulid(bad), "{bad}");
        }
    }
}
