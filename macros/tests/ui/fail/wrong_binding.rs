// A nested type named like the contract type but bound to another contract type.
#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", event = "order_completed")]
pub struct OrderCompleted {
    pub order_id: String,
    pub revenue: f64,
    pub currency: String,
    pub items: Vec<Item>,
    pub is_first_order: bool,
}

#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
#[trackc(type = "Category")]
pub struct Item {
    pub sku: String,
}

fn main() {}
