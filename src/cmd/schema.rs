use crate::{Format, exit};

/// The schema is JSON for `human` and `json`; `markdown` wraps it in a document that can
/// be pasted into a wiki or a pull request (a heading, how to use it, the schema in a
/// fenced block). Each form ends with its own newline.
pub fn run(format: Format) -> u8 {
    let schema = trackc_codegen::format_schema::contract_format_schema();
    match format {
        Format::Human | Format::Json => print!("{schema}"),
        Format::Markdown => print!("{}", markdown(&schema)),
    }
    exit::OK
}

fn markdown(schema: &str) -> String {
    // The schema is trackc's own text, but fence it with more backticks than it holds
    // anyway, so the block can never be closed from inside.
    let longest = schema.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "# The trackc contract format\n\n\
         JSON Schema (draft 2020-12) of trackc's contract files. Editors that use \
         yaml-language-server validate and complete a contract file whose first line is \
         `# yaml-language-server: $schema=<path to this schema>`.\n\n\
         {fence}json\n{}{}{fence}\n",
        schema,
        if schema.ends_with('\n') { "" } else { "\n" }
    )
}
