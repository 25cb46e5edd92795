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
/// Messages quote names from contracts and paths: what a terminal obeys is shown, not
/// obeyed, in both.
pub fn usage_error(format: Format, message: &str) -> u8 {
    if format == Format::Json {
        let text = serde_json::json!({ "error": message }).to_string();
        println!("{}", trackc_codegen::escape::json::safe(&text));
    } else {
        let message = trackc_codegen::escape::terminal::escape_lines(message);
        eprintln!("error: {message}");
    }
    exit::USAGE
}

/// Print a JSON document on stdout (with the characters a terminal obeys as `\u` escapes).
pub fn print_json(v: &serde_json::Value) {
    let text = serde_json::to_string_pretty(v).expect("JSON values serialize");
    println!("{}", trackc_codegen::escape::json::safe(&text));
}
