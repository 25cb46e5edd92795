//! Every route of the Track API: method, path template and its parameters, body, and for
//! v2 the operation types and actions (`tests/openapi.rs` checks this table against the
//! published OpenAPI document in both directions).
//!
//! [`match_request`] finds the route of a request as it was on the wire (method and raw,
//! percent-encoded path); [`Route::path`] builds a path for the client.

use std::borrow::Cow;
use std::fmt;

use crate::identifier::{PathPerson, decode_segment, encode_segment};

/// An HTTP method of the Track API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
}

impl Method {
    pub const ALL: [Method; 4] = [Method::Get, Method::Put, Method::Post, Method::Delete];

    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    /// A method name, in any case (`post` is `POST`).
    pub fn parse(s: &str) -> Option<Method> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Track API's generations: v1 routes take one kind of request each; v2 routes take
/// operations ([`Operation`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    V1,
    V2,
}

/// A parameter in a route's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    /// A person: `id`, `email` or `cio_…` ([`PathPerson`]).
    Identifier,
    DeviceId,
    DeliveryId,
    FormId,
    SegmentId,
}

impl Param {
    /// The name in the path template (`{identifier}`).
    pub const fn name(self) -> &'static str {
        match self {
            Param::Identifier => "identifier",
            Param::DeviceId => "device_id",
            Param::DeliveryId => "delivery_id",
            Param::FormId => "form_id",
            Param::SegmentId => "segment_id",
        }
    }

    /// Whether the parameter names a person (and so the contract's identity rules apply).
    pub const fn names_person(self) -> bool {
        matches!(self, Param::Identifier)
    }
}

/// What a route's body holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// No body.
    None,
    /// Identify: the person's attributes (`_update`, `cio_subscription_preferences`, …).
    Attributes,
    /// `{"device": {…}}`.
    Device,
    /// `{"unsubscribe": true}`.
    Unsubscribe,
    /// A track request: `name`, `type` ([`EventType`]), `data`, `id`, `timestamp`.
    Event,
    /// [`Body::Event`] with an optional `anonymous_id`.
    AnonymousEvent,
    /// A form's fields, mapped to attributes.
    FormFields,
    /// `{"primary": {…}, "secondary": {…}}`, each one [`crate::IdentifierKey::MERGE`] key.
    Merge,
    /// A delivery metric (`delivery_id`, `metric`, …).
    Metric,
    /// A push device metric (`delivery_id`, `event`, `device_id`).
    PushMetric,
    /// `{"ids": […]}`.
    SegmentIds,
    /// One v2 operation.
    Operation,
    /// `{"batch": [operation, …]}`.
    Batch,
}

/// The `type` of a v1 track request: an event, or a page or screen view whose `name` is
/// the page's URL or the screen's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Event,
    Page,
    Screen,
}

impl EventType {
    pub const ALL: [EventType; 3] = [EventType::Event, EventType::Page, EventType::Screen];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::Event => "event",
            EventType::Page => "page",
            EventType::Screen => "screen",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Which route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteId {
    Region,
    Identify,
    Delete,
    AddDevice,
    DeleteDevice,
    Suppress,
    Unsuppress,
    Unsubscribe,
    Track,
    TrackAnonymous,
    SubmitForm,
    Merge,
    Metrics,
    PushMetrics,
    AddToSegment,
    RemoveFromSegment,
    Entity,
    Batch,
}

impl RouteId {
    pub fn route(self) -> &'static Route {
        // The table is in the order of the enum (a unit test holds it there).
        &ROUTES[self as usize]
    }
}

/// One route of the Track API.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    pub id: RouteId,
    pub method: Method,
    /// The path with `{parameters}`, as the OpenAPI document writes it.
    pub template: &'static str,
    /// The template's parameters, in order.
    pub params: &'static [Param],
    pub body: Body,
    /// The `type`s a track body may have ([`Body::Event`], [`Body::AnonymousEvent`]).
    pub event_types: &'static [EventType],
    /// The OpenAPI document's `operationId`.
    pub operation_id: &'static str,
}

impl Route {
    pub fn version(&self) -> Version {
        if self.template.starts_with("/api/v2/") {
            Version::V2
        } else {
            Version::V1
        }
    }

    /// The path with `args` (one per [`Route::params`], in order, as plain text)
    /// percent-encoded into it. A person is [`PathPerson::path_value`].
    pub fn path(&self, args: &[&str]) -> String {
        let mut out = String::with_capacity(self.template.len() + 16);
        let mut args = args.iter();
        for seg in self.template.split('/').skip(1) {
            out.push('/');
            if seg.starts_with('{') {
                out.push_str(&encode_segment(args.next().copied().unwrap_or("")));
            } else {
                out.push_str(seg);
            }
        }
        out
    }
}

const V1_TRACK_TYPES: &[EventType] = &EventType::ALL;

/// Every route, in the order of [`RouteId`].
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    route(RouteId::Region, Method::Get, "/api/v1/accounts/region", &[], Body::None, "getRegion"),
    route(RouteId::Identify, Method::Put, "/api/v1/customers/{identifier}", &[Param::Identifier], Body::Attributes, "identify"),
    route(RouteId::Delete, Method::Delete, "/api/v1/customers/{identifier}", &[Param::Identifier], Body::None, "delete"),
    route(RouteId::AddDevice, Method::Put, "/api/v1/customers/{identifier}/devices", &[Param::Identifier], Body::Device, "add_device"),
    route(RouteId::DeleteDevice, Method::Delete, "/api/v1/customers/{identifier}/devices/{device_id}", &[Param::Identifier, Param::DeviceId], Body::None, "delete_device"),
    route(RouteId::Suppress, Method::Post, "/api/v1/customers/{identifier}/suppress", &[Param::Identifier], Body::None, "suppress"),
    route(RouteId::Unsuppress, Method::Post, "/api/v1/customers/{identifier}/unsuppress", &[Param::Identifier], Body::None, "unsuppress"),
    route(RouteId::Unsubscribe, Method::Post, "/unsubscribe/{delivery_id}", &[Param::DeliveryId], Body::Unsubscribe, "unsubscribe"),
    Route {
        event_types: V1_TRACK_TYPES,
        ..route(RouteId::Track, Method::Post, "/api/v1/customers/{identifier}/events", &[Param::Identifier], Body::Event, "track")
    },
    Route {
        event_types: V1_TRACK_TYPES,
        ..route(RouteId::TrackAnonymous, Method::Post, "/api/v1/events", &[], Body::AnonymousEvent, "trackAnonymous")
    },
    route(RouteId::SubmitForm, Method::Post, "/api/v1/forms/{form_id}/submit", &[Param::FormId], Body::FormFields, "submitForm"),
    route(RouteId::Merge, Method::Post, "/api/v1/merge_customers", &[], Body::Merge, "merge"),
    route(RouteId::Metrics, Method::Post, "/api/v1/metrics", &[], Body::Metric, "metrics"),
    route(RouteId::PushMetrics, Method::Post, "/api/v1/push/events", &[], Body::PushMetric, "pushMetrics"),
    route(RouteId::AddToSegment, Method::Post, "/api/v1/segments/{segment_id}/add_customers", &[Param::SegmentId], Body::SegmentIds, "add_to_segment"),
    route(RouteId::RemoveFromSegment, Method::Post, "/api/v1/segments/{segment_id}/remove_customers", &[Param::SegmentId], Body::SegmentIds, "remove_from_segment"),
    route(RouteId::Entity, Method::Post, "/api/v2/entity", &[], Body::Operation, "entity"),
    route(RouteId::Batch, Method::Post, "/api/v2/batch", &[], Body::Batch, "batch"),
];

const fn route(
    id: RouteId,
    method: Method,
    template: &'static str,
    params: &'static [Param],
    body: Body,
    operation_id: &'static str,
) -> Route {
    Route {
        id,
        method,
        template,
        params,
        body,
        event_types: &[],
        operation_id,
    }
}

/// The `type` of a v2 operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectType {
    Person,
    Object,
    Delivery,
}

impl ObjectType {
    pub const ALL: [ObjectType; 3] = [ObjectType::Person, ObjectType::Object, ObjectType::Delivery];

    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectType::Person => "person",
            ObjectType::Object => "object",
            ObjectType::Delivery => "delivery",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The `action` of a v2 operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Identify,
    IdentifyAnonymous,
    Delete,
    Event,
    Screen,
    Page,
    AddRelationships,
    DeleteRelationships,
    AddDevice,
    DeleteDevice,
    Merge,
    Suppress,
    Unsuppress,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Identify,
        Action::IdentifyAnonymous,
        Action::Delete,
        Action::Event,
        Action::Screen,
        Action::Page,
        Action::AddRelationships,
        Action::DeleteRelationships,
        Action::AddDevice,
        Action::DeleteDevice,
        Action::Merge,
        Action::Suppress,
        Action::Unsuppress,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Identify => "identify",
            Action::IdentifyAnonymous => "identify_anonymous",
            Action::Delete => "delete",
            Action::Event => "event",
            Action::Screen => "screen",
            Action::Page => "page",
            Action::AddRelationships => "add_relationships",
            Action::DeleteRelationships => "delete_relationships",
            Action::AddDevice => "add_device",
            Action::DeleteDevice => "delete_device",
            Action::Merge => "merge",
            Action::Suppress => "suppress",
            Action::Unsuppress => "unsuppress",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A v2 operation: a type and an action (the same set for `/api/v2/entity` and each
/// element of `/api/v2/batch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub ty: ObjectType,
    pub action: Action,
    /// Whether it must name its subject in `identifiers` (a person merge names two people
    /// in `primary` and `secondary` instead; the document leaves them optional for object
    /// deletes and relationship changes).
    pub requires_identifiers: bool,
    /// The OpenAPI document's schema name (`person_merge`).
    pub schema: &'static str,
}

const fn op(ty: ObjectType, action: Action, schema: &'static str) -> Operation {
    Operation {
        ty,
        action,
        requires_identifiers: true,
        schema,
    }
}

/// Every v2 operation.
pub static OPERATIONS: &[Operation] = &[
    op(ObjectType::Person, Action::Identify, "identify_person"),
    op(ObjectType::Person, Action::Delete, "person_delete"),
    op(ObjectType::Person, Action::Event, "person_event"),
    op(ObjectType::Person, Action::Screen, "person_screen"),
    op(ObjectType::Person, Action::Page, "person_page"),
    op(
        ObjectType::Person,
        Action::AddRelationships,
        "person_add_relationships",
    ),
    op(
        ObjectType::Person,
        Action::DeleteRelationships,
        "person_delete_relationships",
    ),
    op(ObjectType::Person, Action::AddDevice, "person_add_device"),
    op(
        ObjectType::Person,
        Action::DeleteDevice,
        "person_delete_device",
    ),
    Operation {
        requires_identifiers: false,
        ..op(ObjectType::Person, Action::Merge, "person_merge")
    },
    op(ObjectType::Person, Action::Suppress, "person_suppress"),
    op(ObjectType::Person, Action::Unsuppress, "person_unsuppress"),
    op(ObjectType::Object, Action::Identify, "object_identify"),
    op(
        ObjectType::Object,
        Action::IdentifyAnonymous,
        "object_identify_anonymous",
    ),
    Operation {
        requires_identifiers: false,
        ..op(ObjectType::Object, Action::Delete, "object_delete")
    },
    Operation {
        requires_identifiers: false,
        ..op(
            ObjectType::Object,
            Action::AddRelationships,
            "object_add_relationships",
        )
    },
    Operation {
        requires_identifiers: false,
        ..op(
            ObjectType::Object,
            Action::DeleteRelationships,
            "object_delete_relationships",
        )
    },
    op(ObjectType::Delivery, Action::Event, "delivery_operations"),
];

/// The operation of a type and an action, if the Track API has it.
pub fn operation(ty: ObjectType, action: Action) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.ty == ty && o.action == action)
}

/// The actions a type has, in table order (for messages: "person: identify, delete, …").
pub fn actions_of(ty: ObjectType) -> impl Iterator<Item = Action> {
    OPERATIONS
        .iter()
        .filter(move |o| o.ty == ty)
        .map(|o| o.action)
}

/// The path of a request target: without scheme and host (`https://track.customer.io`),
/// query and fragment, and without one trailing `/`.
pub fn request_path(target: &str) -> &str {
    let mut path = target;
    if let Some(i) = path.find("://") {
        path = path[i + 3..].find('/').map_or("/", |j| &path[i + 3 + j..]);
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.strip_suffix('/').unwrap_or(path)
}

/// A path that a capture tool stored percent-decoded, encoded again: an identifier holding
/// `/` (`/api/v1/customers/a/b/events` for the person `a/b`) splits into segments and
/// matches no route. When `method` and `path` match no route, and the path is a route's
/// template whose one `{identifier}` took the extra segments (its fixed prefix and tail
/// around them), the path with that identifier encoded (`a%2Fb`); else `None`. For
/// capture adapters only: on the wire such a path is not a route.
pub fn reencode_decoded(method: &str, path: &str) -> Option<String> {
    let path = request_path(path);
    if !matches!(match_request(method, path), Matched::Unknown) {
        return None;
    }
    ROUTES
        .iter()
        .filter(|r| r.params == [Param::Identifier])
        .filter_map(|r| {
            let (head, tail) = r.template.split_once("{identifier}")?;
            let id = path.strip_prefix(head)?.strip_suffix(tail)?;
            if id.is_empty() || !id.contains('/') {
                return None;
            }
            let fixed = format!("{head}{}{tail}", encode_segment(id));
            matches!(match_request(method, &fixed), Matched::Route(..)).then_some(fixed)
        })
        // The longest tail first (`…/suppress` before the bare person path).
        .max_by_key(|p| p.len())
}

/// The route whose template `path` (as [`request_path`] gives it) misses by one literal
/// segment (`/api/v1/customers/42/evnts` → `…/{identifier}/events`), for a "did you mean";
/// when several do, the one whose segment is spelt closest (`evnts` is nearer `events` than
/// `devices`), then the first in table order.
pub fn nearest(path: &str) -> Option<&'static Route> {
    let segs: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &'static Route)> = None;
    for r in ROUTES {
        let t: Vec<&str> = r.template.split('/').collect();
        if t.len() != segs.len() {
            continue;
        }
        let mut misses = t
            .iter()
            .zip(&segs)
            .filter(|(t, s)| (s.is_empty() || !t.starts_with('{')) && t != s);
        let (want, got) = match (misses.next(), misses.next()) {
            // The path is a route: nothing to suggest.
            (None, _) => return None,
            (Some(miss), None) => miss,
            _ => continue,
        };
        let d = spelling_distance(want, got);
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, r));
        }
    }
    best.map(|(_, r)| r)
}

/// Edit distance between a template's literal segment and what was sent, capped: a sent
/// segment is untrusted and may be megabytes long, so past 64 bytes it only counts as far.
fn spelling_distance(want: &str, got: &str) -> usize {
    const CAP: usize = 64;
    let (a, b) = (want.as_bytes(), &got.as_bytes()[..got.len().min(CAP)]);
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let next = (diag + usize::from(x != y))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()] + got.len().saturating_sub(CAP)
}

/// The decoded path parameters of a matched request (at most two).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Params<'a> {
    items: [Option<(Param, Cow<'a, str>)>; 2],
}

impl<'a> Params<'a> {
    /// The value of `param`, percent-decoded.
    pub fn get(&self, param: Param) -> Option<&str> {
        self.items
            .iter()
            .flatten()
            .find(|(p, _)| *p == param)
            .map(|(_, v)| &**v)
    }

    /// The person the path names, if any.
    pub fn person(&self) -> Option<PathPerson<'_>> {
        self.get(Param::Identifier).map(PathPerson::parse)
    }

    /// Every parameter, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (Param, &str)> {
        self.items.iter().flatten().map(|(p, v)| (*p, &**v))
    }

    /// The value of `param`, taken out (borrowed from the path unless it was decoded).
    pub fn take(&mut self, param: Param) -> Option<Cow<'a, str>> {
        self.items
            .iter_mut()
            .find(|i| i.as_ref().is_some_and(|(p, _)| *p == param))?
            .take()
            .map(|(_, v)| v)
    }
}

/// How a request's method and path relate to the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matched<'a> {
    /// A route, with its decoded parameters.
    Route(&'static Route, Params<'a>),
    /// The path is a route's, the method is not: `routes` are the routes of this path, in
    /// table order (their methods are the ones allowed); the parameters are those of the
    /// first.
    WrongMethod {
        routes: Vec<&'static Route>,
        params: Params<'a>,
    },
    /// No route has this path.
    Unknown,
}

/// The route of `method` and `path` as they were on the wire: the path percent-encoded
/// (a `%2F` inside an identifier stays inside it), with or without scheme and host, query
/// or a trailing `/` ([`request_path`]); the method in any case.
pub fn match_request<'a>(method: &str, path: &'a str) -> Matched<'a> {
    let path = request_path(path);
    let method = Method::parse(method);
    let mut by_path: Option<Params<'a>> = None;
    let mut routes = Vec::new();
    for r in ROUTES {
        let Some(params) = match_template(r.template, path) else {
            continue;
        };
        if Some(r.method) == method {
            return Matched::Route(r, params);
        }
        routes.push(r);
        by_path.get_or_insert(params);
    }
    match by_path {
        Some(params) => Matched::WrongMethod { routes, params },
        None => Matched::Unknown,
    }
}

/// `path`'s parameters if it has the shape of `template`. A parameter is one non-empty
/// segment.
fn match_template<'a>(template: &str, path: &'a str) -> Option<Params<'a>> {
    // Most templates differ from the path in their literal start (`/api/v1/…` against
    // `/api/v2/…`): one comparison rejects them before any segment is split.
    let literal = template.split('{').next().unwrap_or(template);
    if !path.starts_with(literal) {
        return None;
    }
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = Params::default();
    let mut n = 0;
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    let param = param_named(name)?;
                    *params.items.get_mut(n)? = Some((param, decode_segment(ps)));
                    n += 1;
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn param_named(name: &str) -> Option<Param> {
    [
        Param::Identifier,
        Param::DeviceId,
        Param::DeliveryId,
        Param::FormId,
        Param::SegmentId,
    ]
    .into_iter()
    .find(|p| p.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order_and_templates_name_their_params() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert_eq!(r.id as usize, i, "{:?}", r.id);
            assert_eq!(r.id.route(), r);
            let names: Vec<&str> = r
                .template
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let params: Vec<&str> = r.params.iter().map(|p| p.name()).collect();
            assert_eq!(names, params, "{}", r.template);
            assert!(params.len() <= 2, "Params holds two");
        }
    }

    #[test]
    fn matches_routes_with_decoded_params() {
        let Matched::Route(r, params) = match_request("put", "/api/v1/customers/a%2Fb%40c") else {
            panic!("identify not matched");
        };
        assert_eq!(r.id, RouteId::Identify);
        assert_eq!(params.person(), Some(PathPerson::IdOrEmail("a/b@c")));

        let Matched::Route(r, params) = match_request(
            "DELETE",
            "https://track-eu.customer.io/api/v1/customers/cio_03/devices/tok%20en/?x=1",
        ) else {
            panic!("delete_device not matched");
        };
        assert_eq!(r.id, RouteId::DeleteDevice);
        assert_eq!(params.person(), Some(PathPerson::CioId("03")));
        assert_eq!(params.get(Param::DeviceId), Some("tok en"));

        let Matched::Route(r, params) = match_request("POST", "/unsubscribe/dlv_1") else {
            panic!("unsubscribe not matched");
        };
        assert_eq!(r.id, RouteId::Unsubscribe);
        assert_eq!(params.person(), None);
        assert_eq!(params.get(Param::DeliveryId), Some("dlv_1"));
    }

    #[test]
    fn wrong_methods_and_unknown_paths() {
        let Matched::WrongMethod { routes, mut params } =
            match_request("GET", "/api/v1/customers/42")
        else {
            panic!("GET of a person is not a route");
        };
        let allowed: Vec<Method> = routes.iter().map(|r| r.method).collect();
        assert_eq!(allowed, [Method::Put, Method::Delete]);
        assert_eq!(params.take(Param::Identifier).as_deref(), Some("42"));
        assert_eq!(params.take(Param::Identifier), None);
        for (m, p) in [
            ("POST", "/api/v1/customers/42/evnts"),
            ("PUT", "/api/v1/customer/42"),
            ("POST", "/api/v1/customers//events"),
            ("POST", "/api/v1/customers/a/b/events"),
            ("POST", "/api/v2/entities"),
            ("POST", "/"),
            ("POST", ""),
            ("BREW", "/api/v2/entity/x"),
        ] {
            assert_eq!(match_request(m, p), Matched::Unknown, "{m} {p}");
        }
        assert!(matches!(
            match_request("BREW", "/api/v2/entity"),
            Matched::WrongMethod { .. }
        ));
    }

    #[test]
    fn builds_encoded_paths() {
        assert_eq!(
            RouteId::Track.route().path(&["a/b c"]),
            "/api/v1/customers/a%2Fb%20c/events"
        );
        let cio = PathPerson::CioId("03").path_value();
        assert_eq!(
            RouteId::Suppress.route().path(&[&cio]),
            "/api/v1/customers/cio_03/suppress"
        );
        assert_eq!(RouteId::Batch.route().path(&[]), "/api/v2/batch");
        assert_eq!(RouteId::Batch.route().version(), Version::V2);
        assert_eq!(RouteId::Unsubscribe.route().version(), Version::V1);
    }

    #[test]
    fn operations() {
        assert!(
            operation(ObjectType::Person, Action::Merge).is_some_and(|o| !o.requires_identifiers)
        );
        assert!(operation(ObjectType::Delivery, Action::Identify).is_none());
        assert_eq!(
            actions_of(ObjectType::Delivery).collect::<Vec<_>>(),
            vec![Action::Event]
        );
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("track"), None);
    }

    #[test]
    fn decoded_paths_are_encoded_again() {
        assert_eq!(
            reencode_decoded("POST", "/api/v1/customers/a/b/events").as_deref(),
            Some("/api/v1/customers/a%2Fb/events")
        );
        assert_eq!(
            reencode_decoded("PUT", "https://track.customer.io/api/v1/customers/x/y/z").as_deref(),
            Some("/api/v1/customers/x%2Fy%2Fz")
        );
        // A route already, or nothing to re-encode.
        assert_eq!(
            reencode_decoded("POST", "/api/v1/customers/a%2Fb/events"),
            None
        );
        assert_eq!(reencode_decoded("POST", "/api/v1/customers/42/evnts"), None);
        assert_eq!(reencode_decoded("GET", "/elsewhere/a/b"), None);
    }

    #[test]
    fn nearest_routes() {
        let near = |p| nearest(p).map(|r| r.id);
        assert_eq!(near("/api/v1/customers/42/evnts"), Some(RouteId::Track));
        assert_eq!(near("/api/v1/customer/42"), Some(RouteId::Identify));
        assert_eq!(near("/api/v2/entities"), Some(RouteId::Entity));
        assert_eq!(
            near("/api/v1/customers/42/events"),
            None,
            "a route is no miss"
        );
        assert_eq!(near("/totally/else/x/y/z"), None);
    }
}
