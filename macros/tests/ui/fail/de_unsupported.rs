#[derive(trackc::Deserialize)]
#[serde(crate = "trackc::serde")]
pub struct A {
    #[serde(deserialize_with = "parse")]
    pub a: i64,
}

#[derive(trackc::Deserialize)]
#[serde(tag = "type")]
pub enum B {
    X,
}

#[derive(trackc::Deserialize)]
pub struct C(pub i64);

#[derive(trackc::Deserialize)]
pub struct D<T> {
    pub t: T,
}

#[derive(trackc::Deserialize)]
pub enum E {
    X(i64),
}

#[derive(trackc::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct F {
    #[serde(flatten)]
    pub rest: std::collections::BTreeMap<String, i64>,
}

#[derive(Default, trackc::Deserialize)]
#[serde(default)]
pub struct G {
    pub a: i64,
}

#[derive(trackc::JsonSchema)]
#[serde(transparent)]
pub struct H {
    pub a: i64,
}

fn main() {}
