//! Which requests are Track API calls: the one place `trackc serve` decides a route exists
//! (else 404). It follows the published OpenAPI document's paths and methods
//! (runtime/tests/data/track-api-openapi.json); the shared route table of the wire-rules
//! crate replaces [`track`] when it lands.

use hyper::Method;

/// A Track API route, with the person it names when its path does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `PUT /api/v1/customers/{id}`.
    Identify { id: String },
    /// `POST /api/v1/customers/{id}/events`.
    Track { id: String },
    /// `POST /api/v1/events`.
    Anonymous,
    /// `POST /api/v2/entity`.
    Entity,
    /// `POST /api/v2/batch`.
    Batch,
    /// `GET /api/v1/accounts/region`.
    Region,
    /// Another v1 route (`action` names it: `delete`, `add_device`, `merge` ...), with the
    /// person its path names, if any.
    Other {
        action: &'static str,
        id: Option<String>,
    },
}

impl Route {
    /// v2 routes answer with `errors`; v1 with `meta.errors`.
    pub fn is_v2(&self) -> bool {
        matches!(self, Route::Entity | Route::Batch)
    }
}

/// The route of `method path` (the path without its query), or `None`: not a Track API
/// call. The person id is kept as sent (percent-encoded), like the path in the capture.
pub fn track(method: &Method, path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    let id = |s: &&str| Some((*s).to_owned());
    let other = |action: &'static str, id: Option<String>| Some(Route::Other { action, id });
    let m = method.clone();
    match (m, segments.as_slice()) {
        (Method::GET, ["api", "v1", "accounts", "region"]) => Some(Route::Region),
        (Method::PUT, ["api", "v1", "customers", c]) => Some(Route::Identify { id: (*c).into() }),
        (Method::DELETE, ["api", "v1", "customers", c]) => other("delete", id(c)),
        (Method::POST, ["api", "v1", "customers", c, "events"]) => {
            Some(Route::Track { id: (*c).into() })
        }
        (Method::PUT, ["api", "v1", "customers", c, "devices"]) => other("add_device", id(c)),
        (Method::DELETE, ["api", "v1", "customers", c, "devices", _]) => {
            other("delete_device", id(c))
        }
        (Method::POST, ["api", "v1", "customers", c, "suppress"]) => other("suppress", id(c)),
        (Method::POST, ["api", "v1", "customers", c, "unsuppress"]) => other("unsuppress", id(c)),
        (Method::POST, ["unsubscribe", _]) => other("unsubscribe", None),
        (Method::POST, ["api", "v1", "events"]) => Some(Route::Anonymous),
        (Method::POST, ["api", "v1", "forms", _, "submit"]) => other("form_submit", None),
        (Method::POST, ["api", "v1", "merge_customers"]) => other("merge", None),
        (Method::POST, ["api", "v1", "metrics"]) => other("metric", None),
        (Method::POST, ["api", "v1", "push", "events"]) => other("push_metric", None),
        (Method::POST, ["api", "v1", "segments", _, "add_customers"]) => {
            other("add_to_segment", None)
        }
        (Method::POST, ["api", "v1", "segments", _, "remove_customers"]) => {
            other("remove_from_segment", None)
        }
        (Method::POST, ["api", "v2", "entity"]) => Some(Route::Entity),
        (Method::POST, ["api", "v2", "batch"]) => Some(Route::Batch),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_route_and_nothing_else() {
        let yes = [
            (Method::GET, "/api/v1/accounts/region"),
            (Method::PUT, "/api/v1/customers/cus_1"),
            (Method::DELETE, "/api/v1/customers/cus_1"),
            (Method::POST, "/api/v1/customers/jane%40example.com/events"),
            (Method::PUT, "/api/v1/customers/cus_1/devices"),
            (Method::DELETE, "/api/v1/customers/cus_1/devices/dev_1"),
            (Method::POST, "/api/v1/customers/cus_1/suppress"),
            (Method::POST, "/api/v1/customers/cus_1/unsuppress"),
            (Method::POST, "/unsubscribe/dlv_1"),
            (Method::POST, "/api/v1/events"),
            (Method::POST, "/api/v1/forms/f1/submit"),
            (Method::POST, "/api/v1/merge_customers"),
            (Method::POST, "/api/v1/metrics"),
            (Method::POST, "/api/v1/push/events"),
            (Method::POST, "/api/v1/segments/7/add_customers"),
            (Method::POST, "/api/v1/segments/7/remove_customers"),
            (Method::POST, "/api/v2/entity"),
            (Method::POST, "/api/v2/batch"),
        ];
        for (m, p) in yes {
            assert!(track(&m, p).is_some(), "{m} {p}");
        }
        let no = [
            (Method::GET, "/api/v2/entity"),
            (Method::POST, "/api/v1/customers/cus_1/evnts"),
            (Method::POST, "/api/v1/customer/cus_1/events"),
            (Method::PUT, "/api/v1/customers//events"),
            (Method::POST, "/api/v2/batch/"),
            (Method::POST, "/"),
            (Method::POST, ""),
        ];
        for (m, p) in no {
            assert_eq!(track(&m, p), None, "{m} {p}");
        }
        assert_eq!(
            track(&Method::PUT, "/api/v1/customers/cus_1"),
            Some(Route::Identify { id: "cus_1".into() })
        );
    }
}
