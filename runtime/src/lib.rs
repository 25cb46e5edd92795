//! The runtime crate for trackc: what applications and trackc-generated code depend on.
//!
//! Generated code and hand-written `#[derive(trackc::Event)]` structs depend on this crate
//! alone: it re-exports serde, serde_json and schemars (as prost re-exports its runtime
//! needs) so a user's `Cargo.toml` lists `trackc` and nothing else.
//!
//! # Features
//!
//! - `client`: the typed Track API client (`trackc::Client`), without an HTTP stack of its own.
//! - `reqwest`: `client` plus a reqwest + rustls transport.
//! - `outbox`: `client` plus a durable outbox in an embedded SQLite file (`client::Outbox`).
//! - `chrono`, `time`, `jiff`: conversions of [`Timestamp`] and [`Date`] to and from those
//!   crates' date-time types (`DateTime`/`NaiveDate`, `OffsetDateTime`/`UtcDateTime`/
//!   `time::Timestamp`/`time::Date`, `jiff::Timestamp`/`ZonedDateTime`/`civil::Date`).
//!   Sub-second precision is floored; conversions that can fail are `TryFrom`
//!   ([`TimestampRangeError`], [`DateError`]). Each pulls in its crate without default
//!   features.

pub use schemars;
pub use serde;
pub use serde_json;
/// The contract's string formats: code lists and patterns (defined in `trackc-wire`).
pub use trackc_wire::formats;

/// `#[derive(trackc::Event)]`, `#[derive(trackc::Attributes)]` and
/// `#[derive(trackc::Validate)]` (nested objects and enums).
pub use trackc_macros::{Attributes, Deserialize, Event, JsonSchema, Validate};

mod derive_support;
mod event;
mod private;
mod time;
pub mod validate;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub use client::{Client, ClientBuilder};

pub use event::{Attributes, Backfill, Event, IdempotencyKey};
pub use private::ParseEnumError;
// `self::`: with the `time` feature, a bare `time` also names the time crate.
pub use self::time::{Date, DateError, Timestamp, TimestampRangeError};
pub use validate::{Path, Validate, Violation, Violations};

/// Support code for derive expansions. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::derive_support::{
        Expecting, FieldKey, Key, Meta, Prop, Unknown, enum_schema, object_schema, variant_index,
    };
    pub use crate::private::{
        AsF64, AsIdempotencyKey, AsSlice, AsStr, ContractType, Redacted, fold, str_eq,
    };
    pub use crate::validate::checks;
    pub use regex;
    pub use std::sync::LazyLock;
}

/// Whether `v` is valid in one of the contract's string formats (`email`, `e164`, `uri`,
/// `uuid`, `currency`, `country`). An unknown format name accepts nothing.
pub fn formats_ok(v: &str, format: &str) -> bool {
    use std::sync::LazyLock;
    static EMAIL: LazyLock<regex::Regex> = LazyLock::new(|| re(formats::EMAIL_PATTERN));
    static E164: LazyLock<regex::Regex> = LazyLock::new(|| re(formats::E164_PATTERN));
    static URI: LazyLock<regex::Regex> = LazyLock::new(|| re(formats::URI_PATTERN));
    static UUID: LazyLock<regex::Regex> = LazyLock::new(|| re(formats::UUID_PATTERN));
    fn re(p: &str) -> regex::Regex {
        regex::Regex::new(p).expect("built-in format patterns are valid")
    }
    match format {
        "email" => EMAIL.is_match(v),
        "e164" => E164.is_match(v),
        "uri" => URI.is_match(v),
        "uuid" => UUID.is_match(v),
        "currency" => formats::is_currency(v),
        "country" => formats::is_country(v),
        _ => false,
    }
}
