//! The Engine API routes the scoped-docker proxy knows, parsed from a request's method and raw
//! path: exact, case-sensitive and anchored. A path is refused before any matching when it holds
//! a `%` (decoding is never needed for engine object names, and a second decoding by the
//! daemon could differ), an empty segment (`//`), a `.` or `..` segment, or an API version
//! older than [`MIN_VERSION`] (older versions apply a `HostConfig` sent to `start`).

use super::refusal::Refusal;

/// The API version a request without one is forwarded as (the 20.10 engine's own).
pub const DEFAULT_VERSION: &str = "1.41";

/// The oldest API version accepted: before 1.24 `POST /containers/{id}/start` applies a
/// `HostConfig` body and `/copy` exists.
pub const MIN_VERSION: (u32, u32) = (1, 24);

/// The action on one container (`/containers/{id}/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerAction {
    /// `GET json`
    Inspect,
    /// `GET top`
    Top,
    /// `GET logs`
    Logs,
    /// `GET changes`
    Changes,
    /// `GET export`
    Export,
    /// `GET stats`
    Stats,
    /// `POST resize`
    Resize,
    /// `POST start`
    Start,
    /// `POST stop`
    Stop,
    /// `POST restart`
    Restart,
    /// `POST kill`
    Kill,
    /// `POST update`
    Update,
    /// `POST rename`
    Rename,
    /// `POST pause`
    Pause,
    /// `POST unpause`
    Unpause,
    /// `POST attach` (hijacked)
    Attach,
    /// `POST wait`
    Wait,
    /// `DELETE` the container
    Delete,
    /// `HEAD archive`
    ArchiveStat,
    /// `GET archive`
    ArchiveGet,
    /// `PUT archive`
    ArchivePut,
    /// `POST exec` (creates an exec instance)
    ExecCreate,
}

/// A known route. Anything else is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET|HEAD /_ping`
    Ping,
    /// `GET /version`
    Version,
    /// `GET /info`
    Info,
    /// `POST /auth`
    Auth,
    /// `GET /images/search`
    ImageSearch,
    /// `GET /distribution/{name}/json`
    Distribution(String),
    /// `GET /images/json`
    ImageList,
    /// `GET /images/{name}/json`
    ImageInspect(String),
    /// `GET /images/{name}/history`
    ImageHistory(String),
    /// `POST /images/create` (pull)
    ImageCreate,
    /// `POST /images/{name}/tag`
    ImageTag(String),
    /// `POST /images/{name}/push`
    ImagePush(String),
    /// `DELETE /images/{name}`
    ImageDelete(String),
    /// `POST /images/prune`
    ImagePrune,
    /// `GET /containers/json`
    ContainerList,
    /// `POST /containers/create`
    ContainerCreate,
    /// `POST /containers/prune`
    ContainerPrune,
    /// One container's route.
    Container {
        /// The name or ID as the client wrote it.
        id: String,
        /// What is done to it.
        action: ContainerAction,
    },
    /// `POST /exec/{id}/start` (hijacked)
    ExecStart(String),
    /// `POST /exec/{id}/resize`
    ExecResize(String),
    /// `GET /exec/{id}/json`
    ExecInspect(String),
    /// `GET /events`
    Events,
    /// `POST /build`
    Build,
    /// `POST /session` (BuildKit's session, hijacked)
    Session,
    /// `POST /commit`
    Commit,
    /// `GET /volumes`
    VolumeList,
    /// `POST /volumes/create`
    VolumeCreate,
    /// `POST /volumes/prune`
    VolumePrune,
    /// `GET /volumes/{name}`
    VolumeInspect(String),
    /// `DELETE /volumes/{name}`
    VolumeDelete(String),
    /// `GET /networks`
    NetworkList,
    /// `POST /networks/create`
    NetworkCreate,
    /// `POST /networks/prune`
    NetworkPrune,
    /// `GET /networks/{id}`
    NetworkInspect(String),
    /// `DELETE /networks/{id}`
    NetworkDelete(String),
    /// `POST /networks/{id}/connect`
    NetworkConnect(String),
    /// `POST /networks/{id}/disconnect`
    NetworkDisconnect(String),
}

impl Route {
    /// Whether the client may ask to take the connection over (`Upgrade`) on this route.
    pub fn hijacks(&self) -> bool {
        matches!(
            self,
            Route::ExecStart(_)
                | Route::Session
                | Route::Container {
                    action: ContainerAction::Attach,
                    ..
                }
        )
    }
}

impl Route {
    /// The path of this route after `/v{version}` (names as they are in the route: the server
    /// puts resolved IDs in before rendering).
    ///
    /// ```
    /// use docksandbox_proxy::engine_api::route::{parse, Route};
    /// for p in ["/containers/abc/start", "/images/a/b:1/json", "/exec/e/start", "/networks/n/connect"] {
    ///     assert_eq!(parse("POST", p).or_else(|_| parse("GET", p)).unwrap().route.render(), p);
    /// }
    /// ```
    pub fn render(&self) -> String {
        use ContainerAction as A;
        match self {
            Route::Ping => "/_ping".into(),
            Route::Version => "/version".into(),
            Route::Info => "/info".into(),
            Route::Auth => "/auth".into(),
            Route::ImageSearch => "/images/search".into(),
            Route::Distribution(n) => format!("/distribution/{n}/json"),
            Route::ImageList => "/images/json".into(),
            Route::ImageInspect(n) => format!("/images/{n}/json"),
            Route::ImageHistory(n) => format!("/images/{n}/history"),
            Route::ImageCreate => "/images/create".into(),
            Route::ImageTag(n) => format!("/images/{n}/tag"),
            Route::ImagePush(n) => format!("/images/{n}/push"),
            Route::ImageDelete(n) => format!("/images/{n}"),
            Route::ImagePrune => "/images/prune".into(),
            Route::ContainerList => "/containers/json".into(),
            Route::ContainerCreate => "/containers/create".into(),
            Route::ContainerPrune => "/containers/prune".into(),
            Route::Container { id, action } => {
                let a = match action {
                    A::Delete => return format!("/containers/{id}"),
                    A::Inspect => "json",
                    A::Top => "top",
                    A::Logs => "logs",
                    A::Changes => "changes",
                    A::Export => "export",
                    A::Stats => "stats",
                    A::Resize => "resize",
                    A::Start => "start",
                    A::Stop => "stop",
                    A::Restart => "restart",
                    A::Kill => "kill",
                    A::Update => "update",
                    A::Rename => "rename",
                    A::Pause => "pause",
                    A::Unpause => "unpause",
                    A::Attach => "attach",
                    A::Wait => "wait",
                    A::ArchiveStat | A::ArchiveGet | A::ArchivePut => "archive",
                    A::ExecCreate => "exec",
                };
                format!("/containers/{id}/{a}")
            }
            Route::ExecStart(i) => format!("/exec/{i}/start"),
            Route::ExecResize(i) => format!("/exec/{i}/resize"),
            Route::ExecInspect(i) => format!("/exec/{i}/json"),
            Route::Events => "/events".into(),
            Route::Build => "/build".into(),
            Route::Session => "/session".into(),
            Route::Commit => "/commit".into(),
            Route::VolumeList => "/volumes".into(),
            Route::VolumeCreate => "/volumes/create".into(),
            Route::VolumePrune => "/volumes/prune".into(),
            Route::VolumeInspect(n) | Route::VolumeDelete(n) => format!("/volumes/{n}"),
            Route::NetworkList => "/networks".into(),
            Route::NetworkCreate => "/networks/create".into(),
            Route::NetworkPrune => "/networks/prune".into(),
            Route::NetworkInspect(n) | Route::NetworkDelete(n) => format!("/networks/{n}"),
            Route::NetworkConnect(n) => format!("/networks/{n}/connect"),
            Route::NetworkDisconnect(n) => format!("/networks/{n}/disconnect"),
        }
    }
}

/// A parsed request target: the API version it is forwarded with and its route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `1.41` and the like.
    pub version: String,
    /// What it asks for.
    pub route: Route,
}

impl Target {
    /// The path forwarded to the engine: always versioned.
    pub fn path(&self) -> String {
        format!("/v{}{}", self.version, self.route.render())
    }
}

fn version_ok(v: &str) -> Result<(), Refusal> {
    let mut parts = v.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
    match (major, minor, parts.next()) {
        (Some(ma), Some(mi), None) if (ma, mi) >= MIN_VERSION => Ok(()),
        (Some(_), Some(_), None) => Err(Refusal::forbidden(format!(
            "API version {v} is refused by docksandbox's scoped Docker access (older than {}.{}, whose `start` applies a HostConfig); use a newer client",
            MIN_VERSION.0, MIN_VERSION.1
        ))),
        _ => Err(Refusal::bad_request(format!("malformed API version {v:?}"))),
    }
}

/// Parses `method` and the raw (undecoded) `path` of a request.
///
/// ```
/// use docksandbox_proxy::engine_api::route::{parse, ContainerAction, Route};
///
/// let t = parse("POST", "/v1.41/containers/abc/start").unwrap();
/// assert_eq!(t.route, Route::Container { id: "abc".into(), action: ContainerAction::Start });
/// assert_eq!(parse("GET", "/_ping").unwrap().version, "1.41");
/// assert!(parse("POST", "/v1.41//containers/create").is_err());
/// assert!(parse("POST", "/v1.23/containers/abc/start").is_err());
/// assert!(parse("POST", "/v1.41/plugins/pull").is_err());
/// ```
pub fn parse(method: &str, path: &str) -> Result<Target, Refusal> {
    if path.contains('%') {
        return Err(Refusal::bad_request(
            "percent-encoded request paths are refused by docksandbox's scoped Docker access",
        ));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Refusal::bad_request("the request path must start with /"));
    };
    let mut segs: Vec<&str> = rest.split('/').collect();
    if segs.iter().any(|s| s.is_empty() || *s == "." || *s == "..") {
        return Err(Refusal::bad_request(format!(
            "request path {path:?} has an empty, `.` or `..` segment"
        )));
    }
    let mut version = DEFAULT_VERSION.to_string();
    if let Some(v) = segs.first().and_then(|s| s.strip_prefix('v')) {
        if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.') {
            version_ok(v)?;
            version = v.to_string();
            segs.remove(0);
        }
    }
    let route = route(method, &segs).ok_or_else(|| {
        Refusal::forbidden(format!(
            "{method} /{} is not allowed by docksandbox's scoped Docker access",
            segs.join("/")
        ))
    })?;
    Ok(Target { version, route })
}

fn route(method: &str, s: &[&str]) -> Option<Route> {
    use ContainerAction as A;
    let name = |from: usize, to_end: usize| -> Option<String> {
        let end = s.len().checked_sub(to_end)?;
        (end > from).then(|| s[from..end].join("/"))
    };
    Some(match (method, s) {
        ("GET" | "HEAD", ["_ping"]) => Route::Ping,
        ("GET", ["version"]) => Route::Version,
        ("GET", ["info"]) => Route::Info,
        ("POST", ["auth"]) => Route::Auth,
        ("GET", ["events"]) => Route::Events,
        ("POST", ["build"]) => Route::Build,
        ("POST", ["session"]) => Route::Session,
        ("POST", ["commit"]) => Route::Commit,
        ("GET", ["images", "json"]) => Route::ImageList,
        ("GET", ["images", "search"]) => Route::ImageSearch,
        ("POST", ["images", "create"]) => Route::ImageCreate,
        ("POST", ["images", "prune"]) => Route::ImagePrune,
        ("POST", ["images", "load"]) | ("GET", ["images", "get"]) => return None,
        ("GET", ["images", .., "json"]) => Route::ImageInspect(name(1, 1)?),
        ("GET", ["images", .., "history"]) => Route::ImageHistory(name(1, 1)?),
        ("GET", ["images", .., "get"]) => return None,
        ("POST", ["images", .., "tag"]) => Route::ImageTag(name(1, 1)?),
        ("POST", ["images", .., "push"]) => Route::ImagePush(name(1, 1)?),
        ("DELETE", ["images", ..]) => Route::ImageDelete(name(1, 0)?),
        ("GET", ["distribution", .., "json"]) => Route::Distribution(name(1, 1)?),
        ("GET", ["containers", "json"]) => Route::ContainerList,
        ("POST", ["containers", "create"]) => Route::ContainerCreate,
        ("POST", ["containers", "prune"]) => Route::ContainerPrune,
        ("DELETE", ["containers", id]) => Route::Container {
            id: id.to_string(),
            action: A::Delete,
        },
        (m, ["containers", id, action]) => {
            let action = match (m, *action) {
                ("GET", "json") => A::Inspect,
                ("GET", "top") => A::Top,
                ("GET", "logs") => A::Logs,
                ("GET", "changes") => A::Changes,
                ("GET", "export") => A::Export,
                ("GET", "stats") => A::Stats,
                ("POST", "resize") => A::Resize,
                ("POST", "start") => A::Start,
                ("POST", "stop") => A::Stop,
                ("POST", "restart") => A::Restart,
                ("POST", "kill") => A::Kill,
                ("POST", "update") => A::Update,
                ("POST", "rename") => A::Rename,
                ("POST", "pause") => A::Pause,
                ("POST", "unpause") => A::Unpause,
                ("POST", "attach") => A::Attach,
                ("POST", "wait") => A::Wait,
                ("HEAD", "archive") => A::ArchiveStat,
                ("GET", "archive") => A::ArchiveGet,
                ("PUT", "archive") => A::ArchivePut,
                ("POST", "exec") => A::ExecCreate,
                _ => return None,
            };
            Route::Container {
                id: id.to_string(),
                action,
            }
        }
        ("POST", ["exec", id, "start"]) => Route::ExecStart(id.to_string()),
        ("POST", ["exec", id, "resize"]) => Route::ExecResize(id.to_string()),
        ("GET", ["exec", id, "json"]) => Route::ExecInspect(id.to_string()),
        ("GET", ["volumes"]) => Route::VolumeList,
        ("POST", ["volumes", "create"]) => Route::VolumeCreate,
        ("POST", ["volumes", "prune"]) => Route::VolumePrune,
        ("GET", ["volumes", n]) => Route::VolumeInspect(n.to_string()),
        ("DELETE", ["volumes", n]) => Route::VolumeDelete(n.to_string()),
        ("GET", ["networks"]) => Route::NetworkList,
        ("POST", ["networks", "create"]) => Route::NetworkCreate,
        ("POST", ["networks", "prune"]) => Route::NetworkPrune,
        ("GET", ["networks", n]) => Route::NetworkInspect(n.to_string()),
        ("DELETE", ["networks", n]) => Route::NetworkDelete(n.to_string()),
        ("POST", ["networks", n, "connect"]) => Route::NetworkConnect(n.to_string()),
        ("POST", ["networks", n, "disconnect"]) => Route::NetworkDisconnect(n.to_string()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_the_reference_lists() {
        for (m, p) in [
            ("POST", "//containers/create"),
            ("POST", "/v1.41/containers/./create"),
            ("POST", "/v1.41/containers%2Fcreate"),
            ("POST", "/v1.41/containers%252Fcreate"),
            ("POST", "/v1.12/containers/create"),
            ("POST", "/v1.23/containers/x/start"),
            ("POST", "/v1.41/grpc"),
            ("POST", "/v1.41/plugins/pull"),
            ("POST", "/v1.41/swarm/init"),
            ("POST", "/v1.41/services/create"),
            ("POST", "/v1.41/images/load"),
            ("GET", "/v1.41/images/get"),
            ("GET", "/v1.41/images/alpine/get"),
            ("POST", "/v1.41/containers/x/copy"),
            ("GET", "/v1.41/system/df"),
            ("POST", "/v1.41/build/prune"),
            ("OPTIONS", "/v1.41/containers/create"),
            ("POST", "/v1.41/containers/x/attach/ws"),
            ("GET", "/v1.41/containers/x/y/json"),
            ("POST", "/V1.41/containers/create"),
            ("POST", "/v1.41/Containers/create"),
        ] {
            assert!(parse(m, p).is_err(), "{m} {p} was accepted");
        }
    }

    #[test]
    fn image_names_span_slashes() {
        assert_eq!(
            parse("GET", "/v1.41/images/ghcr.io/a/b:1/json")
                .unwrap()
                .route,
            Route::ImageInspect("ghcr.io/a/b:1".into())
        );
        assert_eq!(
            parse("DELETE", "/images/a/b").unwrap().route,
            Route::ImageDelete("a/b".into())
        );
        assert!(parse("GET", "/images//json").is_err());
    }
}
