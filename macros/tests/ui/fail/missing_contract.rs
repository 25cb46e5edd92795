// A contract path that does not exist.
#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "no_such_folder", event = "order_completed")]
pub struct OrderCompleted {
    pub order_id: String,
}

fn main() {}
