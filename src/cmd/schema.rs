use crate::{Format, exit};

pub fn run(_format: Format) -> u8 {
    println!(
        "{}",
        trackc_codegen::format_schema::contract_format_schema()
    );
    exit::OK
}
