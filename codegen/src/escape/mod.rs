//! Untrusted text (names, descriptions and values from a contract or from captured
//! traffic) made safe for where it is printed: a terminal ([`terminal`]), a JSON document
//! read in a terminal or a log ([`json`]), a Markdown document such as a pull-request
//! comment ([`markdown`]) or an XML report such as JUnit's ([`xml`]).
//!
//! The rule is the same for every destination: the reader sees the text, never an
//! instruction to the thing that shows it (a terminal's escape sequence, a Markdown link).

pub mod json;
pub mod markdown;
pub mod terminal;
pub mod xml;
