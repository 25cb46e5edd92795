//! The front end: contract files (read only as regular files inside the folder) → YAML with
//! spans → AST → one resolved IR, with "did you mean" hints and Rust names assigned once.

pub(crate) mod ast;
pub(crate) mod load;
pub mod naming;
pub(crate) mod resolve;
pub(crate) mod similarity;
pub mod source;
pub(crate) mod yaml;
