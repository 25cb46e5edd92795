use crate::{Format, exit};

/// The schema is JSON whatever `--format` says; it ends with its own newline.
pub fn run(_format: Format) -> u8 {
    print!(
        "{}",
        trackc_codegen::format_schema::contract_format_schema()
    );
    exit::OK
}
