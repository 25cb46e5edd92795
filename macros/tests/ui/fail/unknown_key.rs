// Attribute mode: an unknown constraint key (did you mean), and a bad format.
#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(event = "x", contract_name = "c")]
pub struct X {
    #[trackc(minimun = 0)]
    pub n: i64,
}

fn main() {}
