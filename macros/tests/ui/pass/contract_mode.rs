// Hand-written structs bound to the contract: renames, optional fields left non-Option,
// nested types bound with `type = ...`; validate() reports every violation by wire path.
use trackc::{Backfill, Event, IdempotencyKey};

#[derive(Debug, trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde", rename_all = "snake_case")]
#[trackc(contract = "contract", event = "order_completed")]
pub struct OrderCompleted {
    #[serde(rename = "order_id")]
    pub id: String,
    pub revenue: f64,
    pub currency: String,
    pub items: Vec<Item>,
    pub is_first_order: bool,
    // Optional in the contract, required here: allowed (stricter).
    pub discount_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip)]
    pub internal_note: (),
}

#[derive(Debug, trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", type = "Item")]
pub struct Item {
    pub sku: String,
    pub quantity: u32,
    pub category: Category,
}

#[derive(Debug, trackc::serde::Serialize, trackc::Validate)]
#[serde(crate = "trackc::serde", rename_all = "lowercase")]
#[trackc(contract = "contract", type = "Category")]
pub enum Category {
    Skincare,
    Supplements,
}

#[derive(trackc::serde::Serialize, trackc::Event)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract", event = "page_viewed")]
pub struct PageViewed {
    pub path: std::borrow::Cow<'static, str>,
}

#[derive(trackc::serde::Serialize, trackc::Attributes)]
#[serde(crate = "trackc::serde")]
#[trackc(contract = "contract")]
pub struct Person {
    pub email: Option<String>,
    pub lifetime_orders: i64,
}

fn main() {
    assert_eq!(OrderCompleted::NAME, "order_completed");
    assert_eq!(OrderCompleted::CONTRACT, "derive-fixture");
    assert_eq!(OrderCompleted::BACKFILL, Backfill::Forbidden);
    assert_eq!(OrderCompleted::TRIGGERS, &["post_purchase"]);
    assert_eq!(PageViewed::BACKFILL, Backfill::Allowed);
    assert!(PageViewed::TRIGGERS.is_empty());

    let mut order = OrderCompleted {
        id: "ord_1".into(),
        revenue: 10.0,
        currency: "USD".into(),
        items: vec![Item { sku: "AB-1".into(), quantity: 1, category: Category::Skincare }],
        is_first_order: true,
        discount_code: "WELCOME".into(),
        tags: Some(vec!["ok".into()]),
        internal_note: (),
    };
    assert_eq!(order.idempotency_key(), Some(IdempotencyKey::String("ord_1")));
    order.validate().unwrap();

    order.id = String::new();
    order.revenue = -1.0;
    order.currency = "usd".into();
    order.items.push(Item { sku: "nope".into(), quantity: 0, category: Category::Supplements });
    order.tags = Some(vec!["fine".into(), "toolong".into()]);
    let v = order.validate().unwrap_err();
    let got: Vec<(String, &str)> = v.iter().map(|v| (v.path.clone(), v.code)).collect();
    assert_eq!(
        got,
        [
            ("$.order_id".to_string(), "min_length"),
            ("$.revenue".to_string(), "minimum"),
            ("$.currency".to_string(), "format"),
            ("$.items[1].sku".to_string(), "pattern"),
            ("$.items[1].quantity".to_string(), "minimum"),
            ("$.tags[0]".to_string(), "max_length"),
            ("$.tags[1]".to_string(), "max_length"),
        ],
        "{v}"
    );

    order.revenue = f64::NAN;
    order.items.clear();
    let v = order.validate().unwrap_err();
    assert!(v.iter().any(|v| v.path == "$.revenue" && v.code == "type"), "{v}");
    assert!(v.iter().any(|v| v.path == "$.items" && v.code == "min_items"), "{v}");

    let p = Person { email: Some("not-an-email".into()), lifetime_orders: -1 };
    let v = trackc::Attributes::validate(&p).unwrap_err();
    assert_eq!(v.to_string(), "$.email: \"not-an-email\" is not a valid email (format); $.lifetime_orders: -1 is less than the minimum 0 (minimum)");
    PageViewed { path: "/".into() }.validate().unwrap();
}
