//! Customer.io's documented Track API limits ([`trackc_wire::limits`]), checked before
//! anything is sent. Sizes of JSON values are those of compact JSON, as the client sends it.

use serde_json::{Map, Value};
use trackc_wire::limits as wire;

use super::Error;
use crate::Timestamp;

/// A person's identifier (id, email, cio_id), and an anonymous id.
pub const MAX_IDENTIFIER_BYTES: usize = wire::IDENTIFIER_BYTES;
/// An attribute's name.
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = wire::ATTRIBUTE_NAME_BYTES;
/// An attribute's value.
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = wire::ATTRIBUTE_VALUE_BYTES;
/// Attributes in one identify call.
pub const MAX_ATTRIBUTES: usize = wire::ATTRIBUTES_PER_CALL;
/// An event's name.
pub const MAX_EVENT_NAME_BYTES: usize = wire::EVENT_NAME_BYTES;
/// An event's `data`, as compact JSON.
pub const MAX_EVENT_DATA_BYTES: usize = wire::EVENT_DATA_BYTES;
/// One v2 operation (`/api/v2/entity` body, or one element of a batch).
pub const MAX_OPERATION_BYTES: usize = wire::OPERATION_BYTES;
/// One `/api/v2/batch` body.
pub const MAX_BATCH_BYTES: usize = wire::BATCH_BYTES;

/// Identify attributes whose value may be an object: the schema defines them.
const OBJECT_ATTRIBUTES: &[&str] = &["cio_subscription_preferences", "cio_relationships"];

pub(crate) fn identifier(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "identifier is empty"));
    }
    if value.len() > MAX_IDENTIFIER_BYTES {
        return Err(Error::invalid(
            field,
            format!(
                "identifier is {} bytes; Customer.io allows at most {MAX_IDENTIFIER_BYTES}",
                value.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn event_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::invalid("name", "event name is empty"));
    }
    if name.len() > MAX_EVENT_NAME_BYTES {
        return Err(Error::invalid(
            "name",
            format!(
                "event name is {} bytes; Customer.io allows at most {MAX_EVENT_NAME_BYTES}",
                name.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn timestamp(field: &str, ts: Timestamp) -> Result<(), Error> {
    if ts.looks_like_milliseconds() {
        return Err(Error::invalid(
            field,
            format!(
                "{} looks like milliseconds; Customer.io needs Unix seconds",
                ts.unix_seconds()
            ),
        ));
    }
    if ts.unix_seconds() < 0 {
        return Err(Error::invalid(field, "timestamp is before 1970"));
    }
    Ok(())
}

fn to_object<T: serde::Serialize + ?Sized>(
    value: &T,
    field: &str,
) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::invalid(
            field,
            format!("must serialize to a JSON object, not {}", kind(&other)),
        )),
        Err(e) => Err(Error::invalid(field, format!("cannot be serialized: {e}"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An event's `data`: a JSON object of at most [`MAX_EVENT_DATA_BYTES`].
pub(crate) fn event_data<T: serde::Serialize + ?Sized>(
    event: &T,
) -> Result<Map<String, Value>, Error> {
    let map = to_object(event, "data")?;
    let size = json_len(&Value::Object(map.clone()));
    if size > MAX_EVENT_DATA_BYTES {
        return Err(Error::invalid(
            "data",
            format!(
                "event data is {size} bytes; Customer.io allows at most {MAX_EVENT_DATA_BYTES}"
            ),
        ));
    }
    Ok(map)
}

/// Identify attributes: a JSON object; `null`s dropped (identify is a partial update, and
/// an absent value leaves the attribute alone); names and values within the limits; values
/// strings, numbers or booleans, as Customer.io documents.
pub(crate) fn identify_attributes<T: serde::Serialize + ?Sized>(
    attrs: &T,
) -> Result<Map<String, Value>, Error> {
    let mut map = to_object(attrs, "attributes")?;
    map.retain(|_, v| !v.is_null());
    if map.len() > MAX_ATTRIBUTES {
        return Err(Error::invalid(
            "attributes",
            format!(
                "{} attributes; Customer.io allows at most {MAX_ATTRIBUTES} per identify call",
                map.len()
            ),
        ));
    }
    for (name, value) in &map {
        let field = || format!("attributes.{name}");
        if name.is_empty() {
            return Err(Error::invalid("attributes", "an attribute name is empty"));
        }
        if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
            return Err(Error::invalid(
                field(),
                format!(
                    "attribute name is {} bytes; Customer.io allows at most {MAX_ATTRIBUTE_NAME_BYTES}",
                    name.len()
                ),
            ));
        }
        let size = match value {
            Value::String(s) => s.len(),
            Value::Object(_) if OBJECT_ATTRIBUTES.contains(&name.as_str()) => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(Error::invalid(
                    field(),
                    format!(
                        "identify attribute values are strings, numbers or booleans, not {}",
                        kind(value)
                    ),
                ));
            }
            other => json_len(other),
        };
        if size > MAX_ATTRIBUTE_VALUE_BYTES {
            return Err(Error::invalid(
                field(),
                format!(
                    "attribute value is {size} bytes; Customer.io allows at most {MAX_ATTRIBUTE_VALUE_BYTES}"
                ),
            ));
        }
    }
    Ok(map)
}

pub(crate) fn json_len(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    serde_json::to_writer(&mut c, v).expect("a Value always serializes");
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(r: Result<Map<String, Value>, Error>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn identifiers() {
        assert!(identifier("identifier", &"a".repeat(150)).is_ok());
        assert!(identifier("identifier", &"a".repeat(151)).is_err());
        assert!(identifier("identifier", "").is_err());
        // Bytes, not characters.
        assert!(identifier("identifier", &"é".repeat(76)).is_err());
    }

    #[test]
    fn attributes_are_checked_and_name_the_field() {
        let ok =
            identify_attributes(&json!({"plan": "pro", "ltv": 12.5, "vip": true, "gone": null}))
                .unwrap();
        assert_eq!(ok.len(), 3, "nulls are dropped");
        assert_eq!(
            field_of(identify_attributes(&json!({"bio": "x".repeat(1001)}))),
            "attributes.bio"
        );
        assert_eq!(
            field_of(identify_attributes(&json!({"tags": ["a"]}))),
            "attributes.tags"
        );
        let long_name = "n".repeat(151);
        assert_eq!(
            field_of(identify_attributes(&json!({ long_name.clone(): 1 }))),
            format!("attributes.{long_name}")
        );
        let many: Map<String, Value> = (0..301).map(|i| (format!("a{i}"), json!(i))).collect();
        assert_eq!(field_of(identify_attributes(&many)), "attributes");
        assert_eq!(field_of(identify_attributes(&json!([1]))), "attributes");
    }

    #[test]
    fn event_data_size() {
        assert!(event_data(&json!({"x": "y".repeat(99_990)})).is_ok());
        assert_eq!(
            field_of(event_data(&json!({"x": "y".repeat(100_000)}))),
            "data"
        );
        assert!(event_name(&"e".repeat(100)).is_ok());
        assert!(event_name(&"e".repeat(101)).is_err());
        assert!(timestamp("timestamp", Timestamp::from_unix_seconds(1_700_000_000_000)).is_err());
    }
}
