// An unknown event, with did you mean.
#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", event = "order_complete")]
pub struct OrderCompleted {
    pub order_id: String,
}

fn main() {}
