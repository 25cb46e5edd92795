//! The checked IR and its checker: the resolved model every back end reads, the diagnostics
//! (rule id, span, level), and the lints that check the IR.

pub mod diag;
pub mod ir;
pub(crate) mod lint;
