// An enum whose variants do not match the contract's values.
#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", type = "Category")]
pub enum Category {
    #[serde(rename = "Skin Care")]
    Skincare,
    Supplement,
}

fn main() {}
