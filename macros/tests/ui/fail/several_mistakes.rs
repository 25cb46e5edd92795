// Independent mistakes are reported together, each on its span: keys contract mode
// leaves to the contract, a field that does not fit, a field the contract does not
// have, and (on another struct) two malformed field attributes.

#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", event = "order_completed", backfill = "allowed")]
pub struct OrderCompleted {
    #[trackc(min_length = 1)]
    pub order_id: String,
    pub revenue: String,
    pub currency: String,
    pub items: Vec<Item>,
    pub is_first_order: bool,
    pub coupon: Option<String>,
}

#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", type = "Item")]
pub struct Item {
    #[trackc(maximun = 3)]
    pub sku: String,
    #[trackc(pattern = "(")]
    pub quantity: i64,
    pub category: String,
}

fn main() {}
