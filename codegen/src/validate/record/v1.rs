//! v1 requests: `method`, `path` and a body whose shape the route gives (identify
//! attributes, a track call, a v2 entity operation or a v2 batch).

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::event::{Data, Envelope, data_value};
use super::identity::IdValue;
use super::scalar::{ScalarKind, scalar_field};
use super::shape::{Shape, Shaped, Subject, string_field};
use super::v2::{Op, OpSeed, batch_value};
use super::{Cow, Key, NodeSeed, Path, Wire, Worker, codes, fmt, with_raw};
use crate::validate::routes::{self, Route, TrackType};

/// A v1 request's fields, as far as they have been read.
pub(super) struct V1<'de> {
    pub(super) method: Option<Cow<'de, str>>,
    pub(super) method_bad: bool,
    pub(super) path: Option<Cow<'de, str>>,
    pub(super) path_bad: bool,
    pub(super) body: Body<'de>,
}

impl Worker<'_> {
    pub(super) fn finish_v1(&mut self, v1: V1<'_>, len: usize) {
        let (Some(method), Some(path)) = (v1.method.as_deref(), v1.path.as_deref()) else {
            if v1.method.is_none() && !v1.method_bad {
                self.request(
                    "method".into(),
                    "a v1 request needs `method`, `path` and `body`".into(),
                );
            } else if v1.path.is_none() && !v1.path_bad {
                self.request(
                    "path".into(),
                    "a v1 request needs `method`, `path` and `body`".into(),
                );
            }
            return self.finish_record(None, None);
        };
        let route = Route::of(method, path);
        // A body kept raw (long lines) is measured; one read inline is under every limit.
        let len = match &v1.body {
            Body::Deferred(raw) => raw.get().len(),
            _ => len,
        };
        let body = match v1.body {
            Body::Deferred(raw) => {
                let seed = BodySeed {
                    w: self,
                    route: &route,
                    len,
                };
                match with_raw(raw.get(), seed) {
                    Ok(b) => b,
                    Err(_) => Body::Done,
                }
            }
            b => b,
        };
        match route {
            Route::Identify(ref id) | Route::Track(ref id) | Route::Other(Some(ref id), _) => {
                if let Some(id) = routes::path_person(&mut self.cx, id) {
                    self.check_id(IdValue::Str(id), &|| "path".into());
                }
                match route {
                    Route::Identify(_) => self.finish_record(None, Some("identify")),
                    Route::Other(_, operation) => self.finish_record(None, Some(operation)),
                    _ => self.finish_track_body(body),
                }
            }
            Route::Merge => {
                match body {
                    Body::Op(op) if op.is_object() => {
                        routes::merge_sides(&mut self.cx, "body.", op.sides())
                    }
                    _ => self.request(
                        "body".into(),
                        "POST /api/v1/merge_customers needs `{\"primary\": {..}, \"secondary\": {..}}` as its body".into(),
                    ),
                }
                self.finish_record(None, Some("merge"))
            }
            Route::Anonymous => self.finish_track_body(body),
            Route::Other(None, operation) => self.finish_record(None, Some(operation)),
            Route::Entity => match body {
                Body::Op(op) => self.finish_op(op, None, "body.", Some(len)),
                _ => {
                    self.request(
                        "body".into(),
                        "POST /api/v2/entity needs an operation as its body".into(),
                    );
                    self.finish_record(None, None)
                }
            },
            Route::Batch => {
                if !matches!(body, Body::Done) {
                    self.request(
                        "body".into(),
                        "POST /api/v2/batch needs `{\"batch\": [..]}` as its body".into(),
                    );
                    self.finish_record(None, None)
                }
            }
            Route::Unknown(why, hint) => {
                routes::unknown_route(&mut self.cx, why, hint);
                self.finish_record(None, None)
            }
        }
    }

    fn finish_track_body(&mut self, body: Body<'_>) {
        match body {
            Body::Track(t) => match routes::track_type(&mut self.cx, t.ty.as_deref(), t.data_found)
            {
                TrackType::View(view) => self.finish_record(None, Some(view.as_str())),
                TrackType::Unknown => self.finish_record(None, t.ty.as_deref()),
                TrackType::Event => match t.name.as_deref() {
                    Some(name) => {
                        self.finish_event(name, t.data, t.env, ("body.", "name", "data"));
                        self.finish_record(None, Some(name));
                    }
                    None => {
                        if !t.name_bad {
                            self.request(
                                "body.name".into(),
                                "a v1 track request needs `name`".into(),
                            );
                        }
                        self.finish_record(None, None)
                    }
                },
            },
            Body::Absent => {
                self.request(
                    "body".into(),
                    "a v1 track request needs a body with `name`".into(),
                );
                self.finish_record(None, None)
            }
            _ => self.finish_record(None, None),
        }
    }
}

/// A v1 body, read inline or from its raw text.
pub(super) enum Body<'de> {
    Absent,
    Deferred(&'de RawValue),
    Op(Op<'de>),
    Track(TrackBody<'de>),
    /// Fully handled (identify attributes, batches, other routes).
    Done,
}

pub(super) struct TrackBody<'de> {
    name: Option<Cow<'de, str>>,
    name_bad: bool,
    /// `type`: `event` (the default), `page` or `screen`.
    ty: Option<Cow<'de, str>>,
    /// The event's own `id` and `timestamp`.
    env: Envelope,
    data: Data<'de>,
    /// What checking `data` as the event's found (dropped for a page or screen view).
    data_found: std::ops::Range<usize>,
}

pub(super) struct BodySeed<'a, 'v, 'r> {
    pub(super) w: &'a mut Worker<'v>,
    pub(super) route: &'r Route<'r>,
    pub(super) len: usize,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_, '_, '_> {
    type Value = Body<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Body<'de>, D::Error> {
        let w = self.w;
        match self.route {
            Route::Identify(_) => {
                let node = w.cx.v.attributes;
                NodeSeed {
                    cx: &mut w.cx,
                    node,
                    path: &Path::Root,
                    limit: None,
                }
                .deserialize(d)?;
                Ok(Body::Done)
            }
            Route::Track(_) | Route::Anonymous => d.deserialize_any(Shaped(TrackBodySeed {
                w,
                anonymous: matches!(self.route, Route::Anonymous),
            })),
            Route::Entity | Route::Merge => Ok(Body::Op(
                Shaped(OpSeed { w, prefix: "body." }).deserialize(d)?,
            )),
            Route::Batch => {
                d.deserialize_any(BatchBodySeed { w, len: self.len })?;
                Ok(Body::Done)
            }
            Route::Other(..) | Route::Unknown(..) => {
                IgnoredAny::deserialize(d)?;
                Ok(Body::Done)
            }
        }
    }
}

pub(super) struct TrackBodySeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    anonymous: bool,
}

impl<'de> Shape<'de> for TrackBodySeed<'_, '_> {
    type Value = Body<'de>;
    const SHOWS_STRINGS: bool = false;

    fn expected(&self) -> &'static str {
        "an object"
    }

    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body<'de>, A::Error> {
        let w = self.w;
        let mut t = TrackBody {
            name: None,
            name_bad: false,
            ty: None,
            env: Envelope::default(),
            data: Data::Absent,
            data_found: 0..0,
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Name => {
                    t.name = string_field(w, &mut map, || "body.name".into())?;
                    t.name_bad = t.name.is_none();
                }
                Key::Type => t.ty = string_field(w, &mut map, || "body.type".into())?,
                Key::Data => {
                    let start = w.cx.found.len();
                    let ready = match &t.name {
                        // A page or screen view's data is not an event's.
                        _ if t.ty.as_deref().is_some_and(|ty| ty != "event") => Some(None),
                        Some(name) if !w.big_data => Some(w.cx.v.event(name).map(|e| e.data)),
                        _ => None,
                    };
                    t.data = data_value(w, &mut map, ready, false)?;
                    t.data_found = start..w.cx.found.len();
                }
                Key::Timestamp => {
                    w.timestamp = None;
                    scalar_field(w, &mut map, ScalarKind::Timestamp, &|| {
                        "body.timestamp".to_owned()
                    })?;
                    t.env.timestamp = w.timestamp.take();
                }
                Key::Id => {
                    t.env.has_id = true;
                    w.event_id = None;
                    scalar_field(w, &mut map, ScalarKind::EventId, &|| "body.id".to_owned())?;
                    t.env.id = w.event_id.take();
                }
                Key::AnonymousId if self.anonymous => {
                    scalar_field(w, &mut map, ScalarKind::AnonymousId, &|| {
                        "body.anonymous_id".to_owned()
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Body::Track(t))
    }

    fn wrong(self, found: Wire<'_>) -> Body<'de> {
        let expected = self.expected();
        self.w.wrong_shape(
            "body".into(),
            codes::INVALID_REQUEST,
            Subject::Part("a track body"),
            expected,
            found,
        );
        Body::Done
    }
}

struct BatchBodySeed<'a, 'v> {
    w: &'a mut Worker<'v>,
    len: usize,
}

impl<'de> Visitor<'de> for BatchBodySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a batch body")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::Batch {
                seen = true;
                batch_value(self.w, &mut map, "body.", self.len)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !seen {
            self.w
                .request("body".into(), "a batch body needs `batch`".into());
            self.w.finish_record(None, None);
        }
        Ok(())
    }
}
