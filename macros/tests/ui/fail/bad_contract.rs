// A contract with errors: the checker's diagnostics, with file:line.
#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "bad_contract", event = "order_completed")]
pub struct OrderCompleted {
    pub order_id: String,
}

fn main() {}
