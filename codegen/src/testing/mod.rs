//! Test support, behind the `testing` feature: payloads generated from the IR, for the
//! consistency tests that check every backend (JSON Schema, typed Rust, `trackc
//! validate`) gives the same verdict on the same payload.

pub mod hostile;
pub mod payloads;
pub mod rust_text;
