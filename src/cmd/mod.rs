pub mod check;
pub mod diff;
pub mod explain;
pub mod generate;
pub mod schema;
pub mod serve;
pub mod simulate;
pub mod validate;

use crate::{Format, exit};

/// Report a usage or IO problem: human on stderr, or a JSON `error` document on stdout.
pub fn usage_error(format: Format, message: &str) -> u8 {
    if format == Format::Json {
        println!("{}", serde_json::json!({ "error": message }));
    } else {
        eprintln!("error: {message}");
    }
    exit::USAGE
}

/// Print a JSON document on stdout (with the characters a terminal obeys as `\u` escapes).
pub fn print_json(v: &serde_json::Value) {
    let text = serde_json::to_string_pretty(v).expect("JSON values serialize");
    println!("{}", trackc_codegen::escape::json::safe(&text));
}
