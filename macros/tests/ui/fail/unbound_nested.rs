// A nested type with the right name that is not bound to the contract type.
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
pub struct Item {
    pub sku: String,
}

fn main() {}
