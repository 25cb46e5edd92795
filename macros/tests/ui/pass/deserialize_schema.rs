// `trackc::Deserialize` and `trackc::JsonSchema`: serde's attributes as serde reads them,
// except that an `Option<T>` field refuses null and a struct is read from a map only;
// the schema carries the `#[trackc]` constraints.
use trackc::schemars::generate::SchemaSettings;
use trackc::serde_json::{self, json};

#[derive(Debug, PartialEq, trackc::serde::Serialize, trackc::Deserialize, trackc::JsonSchema)]
#[serde(crate = "trackc::serde", deny_unknown_fields)]
/// An order.
pub struct Order {
    #[serde(rename = "order-id", alias = "orderId")]
    #[trackc(min_length = 1)]
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[trackc(format = "currency")]
    pub currency: Option<String>,
    #[serde(default = "ten")]
    #[trackc(minimum = 0, maximum = 10.5)]
    pub quantity: i64,
    #[trackc(min_items = 1, items(format = "email"))]
    pub emails: Vec<String>,
    pub status: Status,
    #[serde(skip)]
    pub local: u8,
    /// Nested, boxed.
    pub next: Option<Box<Order>>,
}

fn ten() -> i64 {
    10
}

#[derive(Debug, PartialEq, trackc::serde::Serialize, trackc::Deserialize, trackc::JsonSchema)]
#[serde(crate = "trackc::serde", rename_all = "snake_case")]
pub enum Status {
    Paid,
    #[serde(rename = "on-hold", alias = "hold")]
    OnHold,
}

#[derive(Debug, PartialEq, trackc::serde::Serialize, trackc::Deserialize, trackc::JsonSchema)]
#[serde(crate = "trackc::serde")]
pub struct Open {
    pub a: i64,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

fn main() {
    let o: Order = serde_json::from_value(json!({
        "orderId": "A1", "emails": ["a@b.co"], "status": "hold"
    }))
    .unwrap();
    assert_eq!(o.order_id, "A1");
    assert_eq!(o.quantity, 10);
    assert_eq!(o.currency, None);
    assert_eq!(o.status, Status::OnHold);
    assert_eq!(o.next, None);

    let err = |v: serde_json::Value| serde_json::from_value::<Order>(v).unwrap_err().to_string();
    let base = json!({"order-id": "A1", "emails": [], "status": "paid"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    assert!(err(with("currency", json!(null))).contains("invalid type: null"));
    assert!(err(with("extra", json!(1))).contains("unknown field `extra`"));
    assert!(err(json!({"emails": [], "status": "paid"})).contains("missing field `order-id`"));
    assert!(err(with("status", json!("gone"))).contains("unknown variant `gone`"));
    assert!(err(json!(["A1", null, 1, [], "paid"])).contains("invalid type: sequence"));
    assert!(serde_json::from_str::<Order>(r#"{"order-id":"a","order-id":"b","emails":[],"status":"paid"}"#)
        .unwrap_err()
        .to_string()
        .contains("duplicate field `order-id`"));

    let open: Open = serde_json::from_value(json!({"a": 1, "b": true})).unwrap();
    assert_eq!(open.rest.get("b"), Some(&json!(true)));

    let schema = trackc::schemars::SchemaGenerator::new(SchemaSettings::draft2020_12())
        .into_root_schema_for::<Order>()
        .to_value();
    assert_eq!(schema["description"], "An order.");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], json!(["order-id", "emails", "status"]));
    let p = &schema["properties"];
    assert_eq!(p["order-id"]["minLength"], 1);
    assert_eq!(p["quantity"]["maximum"], 10.5);
    assert_eq!(p["currency"]["type"], "string");
    assert_eq!(p["currency"]["$ref"], "#/$defs/trackc-currency");
    assert_eq!(p["emails"]["minItems"], 1);
    assert_eq!(p["emails"]["items"]["format"], "email");
    assert!(p["emails"]["items"]["pattern"].is_string());
    assert!(p.get("local").is_none());
    assert_eq!(schema["$defs"]["Status"]["enum"], json!(["paid", "on-hold"]));
    assert!(schema["$defs"]["trackc-currency"]["enum"].as_array().unwrap().len() > 100);
    let open = trackc::schemars::schema_for!(Open).to_value();
    assert_eq!(open["additionalProperties"], true);
}
