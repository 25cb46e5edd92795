use std::path::Path;

use trackc_codegen::diag;

use super::{print_json, usage_error};
use crate::{Color, Format, exit};

pub fn run(dir: &Path, format: Format, color: Color) -> u8 {
    let checked = match trackc_codegen::check(dir) {
        Ok(c) => c,
        Err(e) => return usage_error(format, &e.to_string()),
    };
    match format {
        Format::Json => print_json(&diag::to_json(&checked.sources, &checked.diagnostics)),
        _ => {
            let text = checked.render(color.enabled());
            eprint!("{text}");
            if let (true, Some(ir)) = (checked.diagnostics.is_empty(), &checked.ir) {
                eprintln!(
                    "ok: {} {} — {} events, {} attributes, {} types, {} segments, {} workflows",
                    ir.name,
                    ir.version,
                    ir.events.len(),
                    ir.attributes.len(),
                    ir.types.len(),
                    ir.segments.len(),
                    ir.workflows.len()
                );
            }
        }
    }
    if checked.has_errors() {
        exit::FAILED
    } else {
        exit::OK
    }
}
