//! The JSON Schema of the contract format itself (`trackc schema`).
pub fn contract_format_schema() -> String {
    String::from("{}")
}
