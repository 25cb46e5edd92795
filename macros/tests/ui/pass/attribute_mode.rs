// Attribute mode (what trackc's Rust emitter writes): metadata and constraints from
// attributes, the same validation code as contract mode.
use trackc::{Backfill, Event, IdempotencyKey};

#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(
    event = "points_redeemed",
    contract_name = "loyalty",
    idempotency_key = "redemption-id",
    backfill = "allowed",
    triggers("wf_a", "wf_b")
)]
pub struct PointsRedeemed {
    #[serde(rename = "redemption-id")]
    #[trackc(minimum = 1)]
    pub redemption_id: i64,
    #[trackc(minimum = -500, maximum = 500.5)]
    pub adjustment: Option<i32>,
    #[trackc(min_length = 1, max_length = 5, pattern = "(cus|mem)_[0-9]+")]
    pub member: String,
    #[trackc(format = "currency")]
    pub currency: Option<String>,
    #[trackc(min_items = 1, max_items = 3, items(min_items = 1, items(minimum = 0)))]
    pub grid: Vec<Vec<i64>>,
    pub nested: Option<Box<Nested>>,
    #[trackc(skip)]
    pub ignored: std::collections::BTreeMap<String, String>,
}

#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
#[trackc(type = "Nested")]
pub struct Nested {
    #[serde(rename = "a b")]
    #[trackc(maximum = 1)]
    pub ab: f32,
}

#[derive(trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
pub enum Plain {
    A,
}

fn main() {
    assert_eq!(PointsRedeemed::NAME, "points_redeemed");
    assert_eq!(PointsRedeemed::CONTRACT, "loyalty");
    assert_eq!(PointsRedeemed::BACKFILL, Backfill::Allowed);
    assert_eq!(PointsRedeemed::TRIGGERS, &["wf_a", "wf_b"]);
    assert_eq!(<Nested as trackc::__private::ContractType>::NAME, "Nested");
    let mut e = PointsRedeemed {
        redemption_id: 7,
        adjustment: Some(-500),
        member: "cus_1".into(),
        currency: None,
        grid: vec![vec![0, 1]],
        nested: Some(Box::new(Nested { ab: 1.0 })),
        ignored: Default::default(),
    };
    assert_eq!(e.idempotency_key(), Some(IdempotencyKey::Integer(7)));
    e.validate().unwrap();
    e.redemption_id = 0;
    e.adjustment = Some(501);
    e.member = "xcus_123".into();
    e.currency = Some("EURO".into());
    e.grid = vec![vec![], vec![-1], vec![], vec![]];
    e.nested = Some(Box::new(Nested { ab: 2.0 }));
    let v = e.validate().unwrap_err();
    let got: Vec<String> = v.iter().map(|v| format!("{} {}", v.path, v.code)).collect();
    assert_eq!(
        got,
        [
            "$[\"redemption-id\"] minimum",
            "$.adjustment maximum",
            "$.member max_length",
            "$.member pattern",
            "$.currency format",
            "$.grid max_items",
            "$.grid[0] min_items",
            "$.grid[1][0] minimum",
            "$.grid[2] min_items",
            "$.grid[3] min_items",
            "$.nested[\"a b\"] maximum",
        ],
        "{v}"
    );
    let _ = Plain::A;
}
