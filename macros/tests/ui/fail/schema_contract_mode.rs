#[derive(trackc::JsonSchema)]
#[trackc(contract = "contract", type = "Item")]
pub struct Item {
    pub sku: String,
}

fn main() {}
