// Constraints come from the contract in contract mode.
#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", event = "order_completed")]
pub struct OrderCompleted {
    #[trackc(min_length = 1)]
    pub order_id: String,
    pub revenue: f64,
    pub currency: String,
    pub items: Vec<Item>,
    pub is_first_order: bool,
}

#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", type = "Item")]
pub struct Item {
    pub sku: String,
    pub quantity: i64,
    pub category: Category,
}

#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde", rename_all = "snake_case")]
#[trackc(contract = "contract", type = "Category")]
pub enum Category {
    Skincare,
    Supplements,
}

fn main() {}
