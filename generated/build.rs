//! Generates the example contract's Rust types into OUT_DIR.
fn main() {
    trackc_codegen::Builder::new()
        .contract("../contract")
        .out_file("events.rs")
        .compile_or_exit();
}
