//! Which requests are Track API calls: the one place `trackc serve` decides a route exists
//! (else 404). The routes are trackc-wire's table (`wire/src/route.rs`, checked against
//! the published OpenAPI document); this module only names what `serve` does with each.

use hyper::Method;
use trackc_wire::route::{Matched, Param, RouteId, match_request};

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
/// call. The person id is percent-decoded (`jane%40example.com` is `jane@example.com`).
pub fn track(method: &Method, path: &str) -> Option<Route> {
    // The two routes SDKs send to most, decided without walking the table (a test below
    // checks that the table says the same).
    if method == Method::POST {
        match path {
            "/api/v2/entity" => return Some(Route::Entity),
            "/api/v2/batch" => return Some(Route::Batch),
            _ => {}
        }
    }
    let Matched::Route(route, params) = match_request(method.as_str(), path) else {
        return None;
    };
    let id = params.get(Param::Identifier).map(str::to_owned);
    let other = |action: &'static str| Route::Other {
        action,
        id: id.clone(),
    };
    Some(match route.id {
        RouteId::Region => Route::Region,
        RouteId::Identify => Route::Identify { id: id.clone()? },
        RouteId::Track => Route::Track { id: id.clone()? },
        RouteId::TrackAnonymous => Route::Anonymous,
        RouteId::Entity => Route::Entity,
        RouteId::Batch => Route::Batch,
        RouteId::Delete => other("delete"),
        RouteId::AddDevice => other("add_device"),
        RouteId::DeleteDevice => other("delete_device"),
        RouteId::Suppress => other("suppress"),
        RouteId::Unsuppress => other("unsuppress"),
        RouteId::Unsubscribe => other("unsubscribe"),
        RouteId::SubmitForm => other("form_submit"),
        RouteId::Merge => other("merge"),
        RouteId::Metrics => other("metric"),
        RouteId::PushMetrics => other("push_metric"),
        RouteId::AddToSegment => other("add_to_segment"),
        RouteId::RemoveFromSegment => other("remove_from_segment"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_the_table() {
        for (path, id, route) in [
            ("/api/v2/entity", RouteId::Entity, Route::Entity),
            ("/api/v2/batch", RouteId::Batch, Route::Batch),
        ] {
            let Matched::Route(r, _) = match_request("POST", path) else {
                panic!("the table has no POST {path}");
            };
            assert_eq!(r.id, id);
            assert_eq!(track(&Method::POST, path), Some(route));
        }
    }

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
            // A trailing slash is the same route (trackc-wire's reading, as validate's).
            (Method::POST, "/api/v2/batch/"),
        ];
        for (m, p) in yes {
            assert!(track(&m, p).is_some(), "{m} {p}");
        }
        let no = [
            (Method::GET, "/api/v2/entity"),
            (Method::POST, "/api/v1/customers/cus_1/evnts"),
            (Method::POST, "/api/v1/customer/cus_1/events"),
            (Method::PUT, "/api/v1/customers//events"),
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
        assert_eq!(
            track(&Method::POST, "/api/v1/customers/jane%40example.com/events"),
            Some(Route::Track {
                id: "jane@example.com".into()
            })
        );
    }
}
