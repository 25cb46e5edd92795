//! The generated types of the example contract in use.

use trackc::{Backfill, Event, IdempotencyKey};
use trackc_example_events::*;

fn order() -> OrderCompleted {
    // `new` takes the required properties in wire-name order; optional ones have setters.
    OrderCompleted::new(
        "USD".into(),
        true,
        vec![Item::new(
            Category::Skincare,
            "Daily Vitamin C Serum".into(),
            2,
            "SKN-SERUM-30ML".into(),
            32.4,
        )],
        "ord_1042".into(),
        64.8,
    )
}

#[test]
fn order_completed_serializes_and_validates() {
    let o = order();
    let json = trackc::serde_json::to_value(&o).unwrap();
    assert_eq!(
        json,
        trackc::serde_json::json!({
            "order_id": "ord_1042",
            "revenue": 64.8,
            "currency": "USD",
            "items": [{
                "sku": "SKN-SERUM-30ML",
                "product_name": "Daily Vitamin C Serum",
                "quantity": 2,
                "unit_price": 32.4,
                "category": "skincare"
            }],
            "is_first_order": true
        })
    );
    o.validate().unwrap();
    assert_eq!(OrderCompleted::NAME, "order_completed");
    assert_eq!(OrderCompleted::CONTRACT, "acme-retention");
    assert_eq!(OrderCompleted::BACKFILL, Backfill::Forbidden);
    assert!(!OrderCompleted::TRIGGERS.is_empty());
    assert_eq!(
        o.idempotency_key(),
        Some(IdempotencyKey::String("ord_1042"))
    );
    let back: OrderCompleted = trackc::serde_json::from_value(json).unwrap();
    assert_eq!(back, o);
}

#[test]
fn validate_reports_every_violation_with_its_path() {
    let mut o = order();
    o.order_id.clear();
    o.currency = "usd".into();
    o.items[0].quantity = 0;
    o.items[0].unit_price = -1.0;
    let v = o.validate().unwrap_err();
    let got: Vec<String> = v.iter().map(|v| format!("{} {}", v.path, v.code)).collect();
    assert_eq!(
        got,
        [
            "$.order_id min_length",
            "$.currency format",
            "$.items[0].quantity minimum",
            "$.items[0].unit_price minimum",
        ]
    );
    o.items.clear();
    assert!(
        o.validate()
            .unwrap_err()
            .iter()
            .any(|v| v.path == "$.items" && v.code == "min_items")
    );
}

#[test]
fn normalize_maps_aliases() {
    assert_eq!(Category::normalize("Skin Care"), Some(Category::Skincare));
    assert_eq!(Category::normalize("skincare"), Some(Category::Skincare));
    assert_eq!(Category::normalize("SKIN CARE"), Some(Category::Skincare));
    assert_eq!(Category::normalize("kit"), Some(Category::Bundles));
    assert_eq!(Category::normalize("vitamins"), None);
    assert_eq!("skincare".parse::<Category>(), Ok(Category::Skincare));
    assert!("Skin Care".parse::<Category>().is_err());
    assert_eq!(Category::Supplements.to_string(), "supplements");
    assert_eq!(Category::Bundles.as_str(), "bundles");
}

#[test]
fn deserialize_refuses_null_unknown_fields_and_milliseconds() {
    let base = trackc::serde_json::to_value(order()).unwrap();
    let mut with_null = base.clone();
    with_null["discount_code"] = trackc::serde_json::Value::Null;
    assert!(trackc::serde_json::from_value::<OrderCompleted>(with_null).is_err());
    let mut unknown = base.clone();
    unknown["coupon"] = "X".into();
    assert!(trackc::serde_json::from_value::<OrderCompleted>(unknown).is_err());
    let attrs: Result<PersonAttributes, _> = trackc::serde_json::from_value(
        trackc::serde_json::json!({"last_order_at": 1_700_000_000_000i64}),
    );
    assert!(attrs.is_err());
}

#[test]
fn pii_is_redacted_in_debug() {
    let p = PersonAttributes::new()
        .with_email("jane@example.com".into())
        .with_phone("+14155550123".into())
        .with_is_vip(true);
    let dbg = format!("{p:?}");
    assert!(!dbg.contains("jane@"), "{dbg}");
    assert!(!dbg.contains("4155550123"), "{dbg}");
    assert!(dbg.contains("<redacted>"), "{dbg}");
    assert!(dbg.contains("is_vip: Some(true)"), "{dbg}");
    // Identify is a partial update: unset attributes are not sent.
    assert_eq!(
        trackc::serde_json::to_string(&p).unwrap(),
        r#"{"email":"jane@example.com","is_vip":true,"phone":"+14155550123"}"#
    );
    trackc::Attributes::validate(&p).unwrap();
}

#[test]
fn setters_set_optional_properties() {
    let o = order().with_discount_code("WELCOME10".into());
    assert_eq!(o.discount_code.as_deref(), Some("WELCOME10"));
    assert_eq!(order().discount_code, None);
    assert_eq!(PersonAttributes::new(), PersonAttributes::default());
}
