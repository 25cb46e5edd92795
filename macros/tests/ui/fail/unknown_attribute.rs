// An identify struct with a field that is not an attribute (did you mean).
#[derive(trackc::serde::Serialize, trackc::Attributes)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract")]
pub struct Person {
    pub emial: Option<String>,
}

fn main() {}
