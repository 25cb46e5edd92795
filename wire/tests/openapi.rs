//! The route table against the Track API's OpenAPI document, both ways: every documented
//! path, method, parameter, body, v1 event `type` and v2 type × action is in the table,
//! and the table has nothing the document does not.

use std::collections::BTreeSet;

use serde_json::Value;
use trackc_wire::IdentifierKey;
use trackc_wire::route::{
    self, Action, Body, EventType, Method, OPERATIONS, ObjectType, ROUTES, RouteId,
};

fn document() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../runtime/tests/data/track-api-openapi.json"
    );
    let text = std::fs::read_to_string(path).expect("the OpenAPI document is readable");
    serde_json::from_str(&text).expect("the OpenAPI document is JSON")
}

/// `v` with its `$ref` followed (in this document, refs point into `components`).
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let pointer = r.strip_prefix('#').expect("local $ref");
        v = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    v
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")?.as_str()?.rsplit('/').next()
}

/// Every (type, action) a schema admits, with the schema name it came from and whether it
/// requires `identifiers`: the leaves of its oneOf/anyOf/allOf tree.
fn operations_of(
    doc: &Value,
    schema: &Value,
    name: Option<&str>,
    out: &mut BTreeSet<(String, String, String, bool)>,
) {
    let s = resolve(doc, schema);
    let name = ref_name(schema).or(name);
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            for branch in list {
                operations_of(doc, branch, None, out);
            }
            return;
        }
    }
    // A leaf: its type and action may sit in `allOf` parts.
    let (mut ty, mut action, mut identifiers) = (None, None, false);
    let mut parts = vec![s];
    while let Some(p) = parts.pop() {
        let p = resolve(doc, p);
        if let Some(all) = p.get("allOf").and_then(Value::as_array) {
            parts.extend(all);
        }
        let one = |field: &str| -> Option<String> {
            let e = resolve(doc, p.pointer(&format!("/properties/{field}"))?);
            let list = e.get("enum")?.as_array()?;
            assert_eq!(list.len(), 1, "one {field} per operation schema");
            Some(list[0].as_str()?.to_owned())
        };
        ty = ty.or(one("type"));
        action = action.or(one("action"));
        identifiers |= p
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|x| x == "identifiers"));
    }
    let name = name.expect("every operation is a named schema").to_owned();
    out.insert((
        ty.expect("operation type"),
        action.expect("operation action"),
        name,
        identifiers,
    ));
}

fn table_operations() -> BTreeSet<(String, String, String, bool)> {
    OPERATIONS
        .iter()
        .map(|o| {
            (
                o.ty.as_str().to_owned(),
                o.action.as_str().to_owned(),
                o.schema.to_owned(),
                o.requires_identifiers,
            )
        })
        .collect()
}

#[test]
fn every_documented_route_is_in_the_table_and_nothing_else() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(m) = Method::ALL
                .into_iter()
                .find(|m| m.as_str().eq_ignore_ascii_case(method))
            else {
                continue;
            };
            documented.insert((m, path.clone()));
            let route = ROUTES
                .iter()
                .find(|r| r.method == m && r.template == path)
                .unwrap_or_else(|| panic!("{} {path} is not in the table", m.as_str()));
            assert_eq!(op["operationId"], route.operation_id, "{path}");

            // Path parameters: the template's, in order.
            let params: Vec<&str> = [&item["parameters"], &op["parameters"]]
                .into_iter()
                .filter_map(Value::as_array)
                .flatten()
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().expect("parameter name"))
                .collect();
            let ours: Vec<&str> = route.params.iter().map(|p| p.name()).collect();
            assert_eq!(params, ours, "{path}");

            // A body exactly where the document has one, of the documented kind.
            let body = &op["requestBody"]["content"]["application/json"]["schema"];
            assert_eq!(
                body.is_null(),
                route.body == Body::None,
                "{} {path}: body",
                m.as_str()
            );
            let body_ref = ref_name(body);
            match route.body {
                Body::Event => assert_eq!(body_ref, Some("eventsRequest")),
                Body::AnonymousEvent => assert_eq!(body_ref, Some("anonymousEventsRequest")),
                Body::Batch => assert!(body.pointer("/properties/batch").is_some()),
                Body::Merge => {
                    assert!(body.pointer("/properties/primary").is_some());
                    assert!(body.pointer("/properties/secondary").is_some());
                }
                Body::Device => assert!(body.pointer("/properties/device").is_some()),
                Body::Unsubscribe => {
                    assert!(body.pointer("/properties/unsubscribe").is_some())
                }
                Body::SegmentIds => assert!(body.pointer("/properties/ids").is_some()),
                _ => {}
            }

            // v1 track `type`s: the union of the body's branches.
            let mut types = BTreeSet::new();
            if let Some(branches) = resolve(&doc, body).get("oneOf").and_then(Value::as_array)
                && matches!(route.body, Body::Event | Body::AnonymousEvent)
            {
                for b in branches {
                    for t in b["properties"]["type"]["enum"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        types.insert(EventType::parse(t.as_str().unwrap()).expect("known type"));
                    }
                }
            }
            let ours: BTreeSet<EventType> = route.event_types.iter().copied().collect();
            assert_eq!(types, ours, "{path}: event types");
        }
    }
    let table: BTreeSet<(Method, String)> = ROUTES
        .iter()
        .map(|r| (r.method, r.template.to_owned()))
        .collect();
    assert_eq!(
        documented, table,
        "the table has routes the document does not"
    );
    assert_eq!(ROUTES.len(), table.len(), "no route twice");
}

#[test]
fn v2_operations_are_the_documented_ones_for_entity_and_batch() {
    let doc = document();
    let body = |id: RouteId| {
        let r = id.route();
        doc["paths"][r.template][r.method.as_str().to_ascii_lowercase()]["requestBody"]
            ["content"]["application/json"]["schema"]
            .clone()
    };
    let mut entity = BTreeSet::new();
    operations_of(&doc, &body(RouteId::Entity), None, &mut entity);
    let batch_items = body(RouteId::Batch)["properties"]["batch"]["items"].clone();
    let mut batch = BTreeSet::new();
    operations_of(&doc, &batch_items, None, &mut batch);
    let table = table_operations();
    assert_eq!(entity, table, "/api/v2/entity");
    assert_eq!(batch, table, "/api/v2/batch items");
    assert_eq!(table.len(), OPERATIONS.len(), "no operation twice");
    // Every variant of the enums is used, so none is undocumented.
    for a in Action::ALL {
        assert!(OPERATIONS.iter().any(|o| o.action == a), "{a:?}");
    }
    for t in ObjectType::ALL {
        assert!(route::actions_of(t).next().is_some(), "{t:?}");
    }
}

/// The titles of a `oneOf` of identifier shapes (`id`, `email`, …).
fn identifier_keys(doc: &Value, v: &Value) -> BTreeSet<IdentifierKey> {
    resolve(doc, v)["oneOf"]
        .as_array()
        .expect("oneOf of identifiers")
        .iter()
        .map(|b| {
            let title = b["title"].as_str().expect("title").to_ascii_lowercase();
            IdentifierKey::parse(&title).unwrap_or_else(|| panic!("identifier {title}"))
        })
        .collect()
}

#[test]
fn identifier_keys_are_the_documented_ones() {
    let doc = document();
    let set = |keys: &[IdentifierKey]| keys.iter().copied().collect::<BTreeSet<_>>();
    let s = &doc["components"]["schemas"];
    assert_eq!(
        identifier_keys(&doc, &s["person_common"]["properties"]["identifiers"]),
        set(IdentifierKey::V2)
    );
    for side in ["primary", "secondary"] {
        assert_eq!(
            identifier_keys(&doc, &s["person_merge"]["properties"][side]),
            set(IdentifierKey::MERGE)
        );
        let v1 = &doc["paths"]["/api/v1/merge_customers"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["properties"][side];
        assert_eq!(identifier_keys(&doc, v1), set(IdentifierKey::MERGE));
    }
    // A v1 path's {identifier}: id, email or cio_… (what PathPerson reads).
    let param = &doc["components"]["parameters"]["track_customer_id"];
    assert_eq!(
        identifier_keys(&doc, &param["schema"]),
        set(IdentifierKey::MERGE)
    );
    let cio = param["schema"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["title"] == "cio_id")
        .unwrap();
    assert!(
        cio["format"]
            .as_str()
            .is_some_and(|f| f.starts_with(trackc_wire::identifier::CIO_ID_PREFIX))
    );
}
