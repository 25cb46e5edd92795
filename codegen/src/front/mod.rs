//! The front end: contract files (read only as regular files inside the folder) → YAML with
//! spans → AST → one resolved IR, with "did you mean" hints and Rust names assigned once.

pub mod ast;
pub mod load;
pub mod naming;
pub mod resolve;
pub mod similarity;
pub mod source;
pub mod yaml;
