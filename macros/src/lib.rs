//! Derives for trackc: `#[derive(trackc::Event)]`, `#[derive(trackc::Attributes)]` and
//! `#[derive(trackc::Validate)]`. Use them through the `trackc` crate, which re-exports
//! them; the expansion refers to `::trackc::...` paths only.
//!
//! # Two modes, one expansion
//!
//! **Contract mode** binds a hand-written struct to the contract, which is loaded and
//! checked at compile time:
//!
//! ```ignore
//! #[derive(Debug, trackc::serde::Serialize, trackc::Event)]
//! #[serde(crate = "trackc::serde")]
//! #[trackc(contract = "contract", event = "order_completed")]
//! pub struct OrderCompleted { /* ... */ }
//!
//! #[derive(trackc::serde::Serialize, trackc::Validate)]
//! #[serde(crate = "trackc::serde")]
//! #[trackc(contract = "contract", type = "Item")]
//! pub struct Item { /* ... */ }
//! ```
//!
//! `contract` is a folder or a file relative to `CARGO_MANIFEST_DIR`. Field names are
//! matched with the contract's property names after serde's `rename` / `rename_all`
//! (fields with `#[serde(skip)]` or `#[trackc(skip)]` are left out). Every drift is a
//! compile error spanned on the offending field: a type that does not fit, `Option` around
//! a required property, a field the contract does not have, a required property without
//! a field, an unknown event or type (with "did you mean"), and a contract with errors
//! (the checker's diagnostics, with file:line). A non-`Option` field for an optional
//! property is allowed: it is stricter.
//!
//! Types are compared by their written shape (`String`, `i64`, `Vec<T>`, ...): a derive
//! cannot see through type aliases or renamed imports. Nested structs and enums are
//! compared by their last path segment with the contract type's Rust name, and, for
//! non-generic structs, a compile-time assertion checks that the type is bound to that
//! contract type (`trackc::__private::ContractType`, implemented by
//! `#[derive(trackc::Validate)]` with `type = "..."`): a nested type must be bound with
//! `#[trackc(contract = "...", type = "Item")]`, which also checks its own fields or
//! variants against the contract.
//!
//! Cargo rebuilds when a contract file changes: the expansion `include_bytes!`s every
//! file it read. A file *added* to the contract folder later is not seen until something
//! else triggers a rebuild; add `println!("cargo:rerun-if-changed=contract")` to a
//! build.rs (Cargo then watches the folder) or touch a source file.
//!
//! **Attribute mode** (no `contract = ...`; what trackc's Rust emitter writes): metadata and
//! constraints come from attributes, so the validation logic exists once:
//!
//! ```ignore
//! #[derive(trackc::serde::Serialize, trackc::Event)]
//! #[serde(crate = "trackc::serde")]
//! #[trackc(event = "order_completed", contract_name = "acme-retention",
//!          idempotency_key = "order_id", backfill = "forbidden", triggers("post_purchase"))]
//! pub struct OrderCompleted {
//!     #[trackc(min_length = 1)]
//!     pub order_id: String,
//!     #[trackc(min_items = 1, max_items = 50, items(minimum = 0))]
//!     pub quantities: Vec<i64>,
//! }
//! ```
//!
//! Field constraints: `minimum`, `maximum`, `min_length`, `max_length`, `pattern` (matches
//! the whole value), `format` (`email`, `e164`, `uri`, `uuid`, `currency`, `country`),
//! `min_items`, `max_items`, `items(...)` for the constraints of an array's items, and
//! `skip`. `idempotency_key` names a field by its wire name.
//!
//! `#[derive(trackc::Event)]` and `#[derive(trackc::Attributes)]` also implement
//! `trackc::Validate` (do not derive both). `validate()` reports every violation with the
//! JSON path of the value (wire names), walking nested values through `Validate`;
//! floats are also checked to be finite.

use proc_macro::TokenStream;

mod attr;
mod bind;
mod case;
mod contract;
mod ctxt;
mod de;
mod expand;
mod generate;
mod schema;
mod shape;

#[proc_macro_derive(Event, attributes(trackc))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    expand::derive(input, expand::Kind::Event)
}

#[proc_macro_derive(Attributes, attributes(trackc))]
pub fn derive_attributes(input: TokenStream) -> TokenStream {
    expand::derive(input, expand::Kind::Attributes)
}

#[proc_macro_derive(Validate, attributes(trackc))]
pub fn derive_validate(input: TokenStream) -> TokenStream {
    expand::derive(input, expand::Kind::Validate)
}

/// serde's `Deserialize` for structs with named fields and unit-only enums, reading the
/// same `#[serde(...)]` attributes (`rename`, `rename_all`, `alias`, `default`, `skip`,
/// `skip_deserializing`, `flatten` for one map, `deny_unknown_fields`) with a much smaller
/// expansion than serde's derive; trackc's Rust emitter uses it. Differences, on purpose:
/// an `Option<T>` field refuses an explicit `null` (a missing key is `None`), and a struct
/// is read from a map only. Other serde attributes are compile errors.
#[proc_macro_derive(Deserialize, attributes(serde))]
pub fn derive_deserialize(input: TokenStream) -> TokenStream {
    de::derive(input)
}

/// schemars' `JsonSchema` for structs with named fields and unit-only enums, with the
/// `#[trackc(...)]` constraints as JSON Schema keywords (as `trackc generate` writes
/// them) and serde's wire names. An `Option<T>` field is optional and not nullable.
/// Attribute mode only.
#[proc_macro_derive(JsonSchema, attributes(serde, trackc))]
pub fn derive_json_schema(input: TokenStream) -> TokenStream {
    schema::derive(input)
}
