//! The scoped-docker proxy's decisions, as a library (the server in the `docksandbox-proxy`
//! binary applies them; the fuzz target drives them): which Engine API requests a sandbox may
//! send, and how each allowed one is rewritten into the sandbox's scope before it reaches the
//! engine. Rules and the attacks they answer: `../shared/reference/scoped-docker-socket.md`,
//! summed up in ARCHITECTURE.md.
//!
//! ```
//! use docksandbox_proxy::engine_api::{decide_body, route, scope::*};
//! let scope = Scope { owner: "sb".into(), sandbox: "sb".into(), workspace: "/w".into(),
//!     network: "sb-net".into(), socket_paths: vec![], proxy_socket: String::new(),
//!     build_args: vec![], limits: Limits::default(), labels: vec![] };
//! let t = route::parse("POST", "/v1.41/containers/create").unwrap();
//! assert!(decide_body(&t.route, br#"{"Image":"a","HostConfig":{"PidMode":"host"}}"#, &scope).is_err());
//! ```

pub mod create;
pub mod mounts;
pub mod objects;
pub mod query;
pub mod refusal;
pub mod route;
pub mod scope;

pub use refusal::Refusal;

use route::{ContainerAction, Route};
use scope::Scope;

/// The largest JSON body read (larger ones are refused with 413).
pub const MAX_JSON_BODY: usize = 4 << 20;

/// What is done with a route's request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// None is forwarded (whatever the client sent is dropped).
    Empty,
    /// JSON, decided and re-serialized.
    Json,
    /// Passed through as a stream (a build context or an archive: tar for the engine to read,
    /// not settings).
    Stream,
}

/// How `route`'s body is handled.
pub fn body_kind(route: &Route) -> BodyKind {
    match route {
        Route::ContainerCreate
        | Route::VolumeCreate
        | Route::NetworkCreate
        | Route::NetworkConnect(_)
        | Route::NetworkDisconnect(_)
        | Route::Auth
        | Route::Commit
        | Route::ExecStart(_)
        | Route::Container {
            action: ContainerAction::ExecCreate | ContainerAction::Update,
            ..
        } => BodyKind::Json,
        Route::Build
        | Route::Container {
            action: ContainerAction::ArchivePut,
            ..
        } => BodyKind::Stream,
        _ => BodyKind::Empty,
    }
}

/// Decides a JSON body of `route` and returns the bytes to forward (re-serialized), or the
/// refusal. Checks that need the engine (ownership) are the server's.
pub fn decide_body(route: &Route, body: &[u8], scope: &Scope) -> Result<Vec<u8>, Refusal> {
    let json = |v: &dyn erased::Ser| v.to_vec();
    match route {
        Route::ContainerCreate => create::check_create(body, scope).map(|(c, _)| json(&c)),
        Route::VolumeCreate => objects::check_volume(body, scope).map(|v| json(&v)),
        Route::NetworkCreate => objects::check_network(body, scope).map(|v| json(&v)),
        Route::Container {
            action: ContainerAction::ExecCreate,
            ..
        } => objects::check_exec(body).map(|v| json(&v)),
        Route::Container {
            action: ContainerAction::Update,
            ..
        } => objects::check_update(body, scope).map(|v| json(&v)),
        _ => {
            // Small fixed-shape bodies (auth, connect, exec start, commit's config): any JSON
            // object, re-serialized (duplicate keys refused).
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Vec::new());
            }
            let v: strict::Object = create::decode(body, "request")?;
            Ok(serde_json::to_vec(&v.0).unwrap_or_default())
        }
    }
}

mod erased {
    /// Serializes any model to JSON bytes.
    pub trait Ser {
        fn to_vec(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_vec(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}

pub mod strict {
    //! A JSON object read with duplicate keys refused at every depth.

    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    /// A JSON object with no duplicate key anywhere in it.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Object(pub Map<String, Value>);

    struct StrictValue(Value);

    impl<'de> Deserialize<'de> for StrictValue {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(V).map(StrictValue)
        }
    }

    struct V;

    impl<'de> Visitor<'de> for V {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
            let mut v = Vec::new();
            while let Some(StrictValue(x)) = a.next_element()? {
                v.push(x);
            }
            Ok(Value::Array(v))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
            let mut m = Map::new();
            while let Some(k) = a.next_key::<String>()? {
                let StrictValue(v) = a.next_value()?;
                if m.keys().any(|e| e.eq_ignore_ascii_case(&k)) {
                    return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                }
                m.insert(k, v);
            }
            Ok(Value::Object(m))
        }
    }

    impl<'de> Deserialize<'de> for Object {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match d.deserialize_any(V)? {
                Value::Object(m) => Ok(Object(m)),
                _ => Err(serde::de::Error::custom("expected a JSON object")),
            }
        }
    }
}
