//! One request: decided (route, query, body, ownership), rewritten, forwarded; the answer
//! passed back (lists and inspects of children with their forwarded ports filled in).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use docksandbox_proxy::engine_api::create::{check_create, check_existing, PortRequest};
use docksandbox_proxy::engine_api::objects::new_volume;
use docksandbox_proxy::engine_api::query::Query;
use docksandbox_proxy::engine_api::route::{self, ContainerAction as A, Route};
use docksandbox_proxy::engine_api::scope::{OWNER_LABEL, PORTS_LABEL};
use docksandbox_proxy::engine_api::{body_kind, decide_body, BodyKind, Refusal, MAX_JSON_BODY};

use super::upstream::{full, Body};
use super::Ctx;

/// Request headers passed on to the engine (everything else is dropped).
const PASSED_HEADERS: &[&str] = &[
    "x-registry-auth",
    "x-registry-config",
    "x-docker-expose-session-uuid",
    "x-docker-expose-session-name",
    "x-docker-expose-session-sharedkey",
    "x-docker-expose-session-grpc-method",
    "user-agent",
];

/// A container's bind sources: its `Binds` and its mounts' `(Type, Source)`.
type Binds = (Vec<String>, Vec<(String, String)>);

/// Answers one request.
pub async fn handle(ctx: Arc<Ctx>, req: Request<Incoming>) -> Response<Body> {
    let line = format!("{} {}", req.method(), req.uri().path());
    match decide(&ctx, req).await {
        Ok(r) => r,
        Err(refusal) => {
            crate::server::out::line(
                &json!({"engine": "refused", "request": line, "status": refusal.status, "reason": refusal.message})
                    .to_string(),
            );
            refusal_response(&refusal)
        }
    }
}

fn parts_header(req: &Request<Incoming>, name: &str) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn refusal_response(r: &Refusal) -> Response<Body> {
    let mut resp = Response::new(full(r.body()));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::FORBIDDEN);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// The container `name` if it is the sandbox's: its inspect answer.
async fn owned_container(ctx: &Ctx, name: &str) -> Result<Value, Refusal> {
    match ctx.engine.get(&format!("/containers/{name}/json")).await? {
        Some(c) if owns(ctx, &c["Config"]["Labels"]) => Ok(c),
        _ => Err(Refusal::not_found("container", name)),
    }
}

fn owns(ctx: &Ctx, labels: &Value) -> bool {
    labels[OWNER_LABEL].as_str() == Some(ctx.scope.owner.as_str())
}

async fn owned_image(ctx: &Ctx, name: &str) -> Result<Value, Refusal> {
    match ctx.engine.get(&format!("/images/{name}/json")).await? {
        Some(i) if owns(ctx, &i["Config"]["Labels"]) => Ok(i),
        Some(_) => Err(Refusal::forbidden(format!(
            "image {name} is not one this sandbox built; docksandbox's scoped Docker access lets it tag, push or remove only its own images"
        ))),
        None => Err(Refusal::not_found("image", name)),
    }
}

/// Refuses `tag` when an image of that name exists and is not the sandbox's.
async fn tag_free(ctx: &Ctx, tag: &str) -> Result<(), Refusal> {
    if tag.is_empty() || tag.contains('%') {
        return Ok(());
    }
    match ctx.engine.get(&format!("/images/{tag}/json")).await? {
        Some(i) if !owns(ctx, &i["Config"]["Labels"]) => Err(Refusal::forbidden(format!(
            "the name {tag} belongs to an image this sandbox did not make; docksandbox's scoped Docker access does not let it be replaced"
        ))),
        _ => Ok(()),
    }
}

async fn owned_network(ctx: &Ctx, name: &str, sandbox_net_ok: bool) -> Result<Value, Refusal> {
    match ctx.engine.get(&format!("/networks/{name}")).await? {
        Some(n) if owns(ctx, &n["Labels"]) => Ok(n),
        Some(n) if sandbox_net_ok && n["Name"].as_str() == Some(ctx.scope.network.as_str()) => {
            Ok(n)
        }
        _ => Err(Refusal::not_found("network", name)),
    }
}

async fn owned_volume(ctx: &Ctx, name: &str) -> Result<Option<Value>, Refusal> {
    match ctx.engine.get(&format!("/volumes/{name}")).await? {
        Some(v) if owns(ctx, &v["Labels"]) => Ok(Some(v)),
        Some(_) => Err(Refusal::forbidden(format!(
            "volume {name} is not this sandbox's; docksandbox's scoped Docker access mounts only volumes the sandbox made"
        ))),
        None => Ok(None),
    }
}

async fn read_json_body(body: Incoming) -> Result<Bytes, Refusal> {
    match Limited::new(body, MAX_JSON_BODY).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Refusal {
                status: 413,
                message: format!(
                    "request bodies over {} MiB are refused by docksandbox's scoped Docker access",
                    MAX_JSON_BODY >> 20
                ),
            })
        }
        Err(e) => Err(Refusal::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
    }
}

async fn decide(ctx: &Arc<Ctx>, req: Request<Incoming>) -> Result<Response<Body>, Refusal> {
    let ctype = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("application/x-www-form-urlencoded") || ctype.starts_with("multipart/") {
        return Err(Refusal::bad_request(
            "form-encoded bodies are refused by docksandbox's scoped Docker access (the engine would read settings from them)",
        ));
    }
    let mut target = route::parse(req.method().as_str(), req.uri().path())?;
    let mut query = Query::parse(req.uri().query())?;
    let upgrade = req.headers().get(UPGRADE).cloned();
    if upgrade.is_some() && !target.route.hijacks() {
        return Err(Refusal::bad_request(format!(
            "{} cannot be upgraded",
            target.route.render()
        )));
    }
    let scope = &ctx.scope;
    let mut after = After::Nothing;
    // A start with host binds: the sandbox is paused while the binds are checked again and the
    // engine mounts them, so nothing in it can swap a checked directory for a symlink between
    // the check and the mount.
    let mut freeze: Option<Binds> = None;
    let mut create_volumes: Vec<String> = Vec::new();

    // Ownership and query rules, resolving names to IDs.
    match &mut target.route {
        Route::Ping
        | Route::Version
        | Route::Info
        | Route::Auth
        | Route::ImageSearch
        | Route::Distribution(_)
        | Route::ImageList
        | Route::ImageInspect(_)
        | Route::ImageHistory(_)
        | Route::ContainerCreate => {}
        Route::Session => {
            let id = parts_header(&req, "x-docker-expose-session-uuid");
            if id.is_empty() {
                return Err(Refusal::bad_request(
                    "a session needs its X-Docker-Expose-Session-Uuid",
                ));
            }
            if let Ok(mut s) = ctx.sessions.lock() {
                s.insert(id);
            }
        }
        Route::ContainerList => {
            query.add_label_filter(OWNER_LABEL, &scope.owner)?;
            after = After::ListPorts;
        }
        Route::Events
        | Route::VolumeList
        | Route::NetworkList
        | Route::ContainerPrune
        | Route::VolumePrune
        | Route::NetworkPrune
        | Route::ImagePrune => query.add_label_filter(OWNER_LABEL, &scope.owner)?,
        Route::Container { id, action } => {
            let c = owned_container(ctx, id).await?;
            let full_id = c["Id"].as_str().unwrap_or_default().to_string();
            match action {
                A::Start | A::Restart => {
                    // `checkpoint-dir` names a host directory the engine would read.
                    if let Some((k, _)) = query
                        .0
                        .iter()
                        .find(|(k, _)| !matches!(k.as_str(), "detachKeys" | "t"))
                    {
                        return Err(Refusal::forbidden(format!(
                            "start with {k:?} is refused by docksandbox's scoped Docker access"
                        )));
                    }
                    let binds: Vec<String> = c["HostConfig"]["Binds"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|b| b.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let mounts: Vec<(String, String)> = c["Mounts"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|m| {
                                    (
                                        m["Type"].as_str().unwrap_or("").to_string(),
                                        m["Source"].as_str().unwrap_or("").to_string(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    check_existing(&binds, &mounts, scope)?;
                    let host_binds = binds.iter().any(|b| b.starts_with('/'))
                        || mounts.iter().any(|(t, _)| t == "bind");
                    if host_binds {
                        freeze = Some((binds, mounts));
                    }
                    after = After::Started(full_id.clone());
                }
                A::Delete => after = After::Removed(full_id.clone()),
                A::Inspect => after = After::InspectPorts(full_id.clone()),
                _ => {}
            }
            *id = full_id;
        }
        Route::ExecStart(id) | Route::ExecResize(id) | Route::ExecInspect(id) => {
            let e = ctx
                .engine
                .get(&format!("/exec/{id}/json"))
                .await?
                .ok_or_else(|| Refusal::not_found("exec instance", id))?;
            owned_container(ctx, e["ContainerID"].as_str().unwrap_or_default())
                .await
                .map_err(|_| Refusal::not_found("exec instance", id))?;
            *id = e["ID"].as_str().unwrap_or(id).to_string();
        }
        Route::ImageCreate => {
            if query.get("fromSrc").is_some() {
                return Err(Refusal::forbidden(
                    "importing an image (fromSrc) is refused by docksandbox's scoped Docker access; pull or build instead",
                ));
            }
            if query.get("fromImage").is_none_or(str::is_empty) {
                return Err(Refusal::bad_request("images/create needs fromImage"));
            }
        }
        Route::ImageTag(n) => {
            let i = owned_image(ctx, n).await?;
            let repo = query.get("repo").unwrap_or("");
            let tag = query.get("tag").unwrap_or("latest");
            tag_free(ctx, &format!("{repo}:{tag}")).await?;
            *n = i["Id"].as_str().unwrap_or(n).to_string();
        }
        Route::ImagePush(n) => {
            owned_image(ctx, n).await?;
        }
        Route::ImageDelete(n) => {
            let i = owned_image(ctx, n).await?;
            // By name: removing a tag the sandbox gave must not remove the image's other names.
            let _ = i;
        }
        Route::Commit => {
            if query
                .get("changes")
                .is_some_and(|c| c.contains("io.docksandbox."))
            {
                return Err(Refusal::forbidden(
                    "docksandbox's labels cannot be set by a commit",
                ));
            }
            let c = query.get("container").unwrap_or("").to_string();
            let owned = owned_container(ctx, &c).await?;
            query.set("container", owned["Id"].as_str().unwrap_or_default());
            if let Some(repo) = query.get("repo").filter(|r| !r.is_empty()) {
                let tag = query.get("tag").unwrap_or("latest");
                tag_free(ctx, &format!("{repo}:{tag}")).await?;
            }
        }
        Route::Build => {
            let tags = docksandbox_proxy::engine_api::objects::check_build(&mut query, scope)?;
            if let Some(session) = query.get("session").filter(|s| !s.is_empty()) {
                // The client opens its session and sends the build at once: wait for it.
                let mut ours = false;
                for _ in 0..100 {
                    ours = ctx.sessions.lock().is_ok_and(|s| s.contains(session));
                    if ours {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                if !ours {
                    return Err(Refusal::forbidden(
                        "a build with a session this sandbox did not open is refused by docksandbox's scoped Docker access",
                    ));
                }
            }
            for t in tags {
                let t = if t.contains(':') && !t.rsplit(':').next().unwrap_or("").contains('/') {
                    t
                } else {
                    format!("{t}:latest")
                };
                tag_free(ctx, &t).await?;
            }
        }
        Route::VolumeCreate => {}
        Route::VolumeInspect(n) | Route::VolumeDelete(n) => {
            if owned_volume(ctx, n).await?.is_none() {
                return Err(Refusal::not_found("volume", n));
            }
        }
        Route::NetworkCreate => after = After::NetworkCreated,
        Route::NetworkInspect(n) => {
            let net = owned_network(ctx, n, true).await?;
            *n = net["Id"].as_str().unwrap_or(n).to_string();
        }
        Route::NetworkDelete(n) => {
            let net = owned_network(ctx, n, false).await?;
            *n = net["Id"].as_str().unwrap_or(n).to_string();
            // The sandbox joined it (so its names resolve there): it leaves first, or the
            // engine refuses to remove a network with endpoints.
            let _ = ctx
                .engine
                .json(
                    "POST",
                    &format!("/networks/{n}/disconnect"),
                    Some(json!({ "Container": scope.sandbox, "Force": true })),
                )
                .await;
        }
        Route::NetworkConnect(n) | Route::NetworkDisconnect(n) => {
            let net = owned_network(ctx, n, true).await?;
            *n = net["Id"].as_str().unwrap_or(n).to_string();
        }
    }

    // The body.
    let kind = body_kind(&target.route);
    let (parts, incoming) = req.into_parts();
    let body: Body = match kind {
        BodyKind::Empty => full(Bytes::new()),
        BodyKind::Stream => incoming.boxed(),
        BodyKind::Json => {
            let raw = read_json_body(incoming).await?;
            let decided = match &target.route {
                Route::ContainerCreate => {
                    let (c, needs) = check_create(&raw, scope)?;
                    for name in &needs.containers {
                        owned_container(ctx, name).await?;
                    }
                    for name in &needs.networks {
                        owned_network(ctx, name, true).await?;
                    }
                    for name in &needs.volumes {
                        if owned_volume(ctx, name).await?.is_none() {
                            create_volumes.push(name.clone());
                        }
                    }
                    serde_json::to_vec(&c).unwrap_or_default()
                }
                Route::NetworkConnect(_) | Route::NetworkDisconnect(_) => {
                    let v: docksandbox_proxy::engine_api::strict::Object =
                        docksandbox_proxy::engine_api::create::decode(&raw, "network connect")?;
                    let c = v.0.get("Container").and_then(Value::as_str).unwrap_or("");
                    let owned = owned_container(ctx, c).await;
                    let is_sandbox = c == scope.sandbox;
                    if owned.is_err() && !is_sandbox {
                        return Err(Refusal::not_found("container", c));
                    }
                    let ep = v.0.get("EndpointConfig").unwrap_or(&Value::Null);
                    if ep["DriverOpts"].as_object().is_some_and(|o| !o.is_empty())
                        || ep["Links"].as_array().is_some_and(|l| !l.is_empty())
                    {
                        return Err(Refusal::forbidden(
                            "endpoint driver options and links are refused by docksandbox's scoped Docker access",
                        ));
                    }
                    serde_json::to_vec(&v.0).unwrap_or_default()
                }
                r => decide_body(r, &raw, scope)?,
            };
            full(decided)
        }
    };
    for name in create_volumes {
        let (status, v) = ctx
            .engine
            .json(
                "POST",
                "/volumes/create",
                Some(serde_json::to_value(new_volume(&name, scope)).unwrap_or_default()),
            )
            .await?;
        if status >= 300 {
            return Err(Refusal {
                status,
                message: v["message"]
                    .as_str()
                    .unwrap_or("cannot create volume")
                    .into(),
            });
        }
    }

    // Forward.
    let uri = query.with_path(&target.path());
    let mut b = Request::builder()
        .method(parts.method.clone())
        .uri(uri)
        .header("host", "docker");
    for h in PASSED_HEADERS {
        // Every value: a session names each method it exposes in a header of its own.
        for v in parts.headers.get_all(*h) {
            b = b.header(*h, v);
        }
    }
    match kind {
        BodyKind::Json => b = b.header(CONTENT_TYPE, "application/json"),
        BodyKind::Stream => {
            if let Some(v) = parts.headers.get(CONTENT_TYPE) {
                b = b.header(CONTENT_TYPE, v);
            }
        }
        BodyKind::Empty => {}
    }
    if let Some(u) = &upgrade {
        b = b.header(UPGRADE, u).header(CONNECTION, "Upgrade");
    }
    let up_req = b
        .body(body)
        .map_err(|e| Refusal::bad_request(format!("cannot forward: {e}")))?;
    let mut resp = match freeze {
        None => ctx.engine.send(up_req).await?,
        Some((binds, mounts)) => {
            let sandbox = format!("/containers/{}", scope.sandbox);
            let paused = matches!(
                ctx.engine
                    .json("POST", &format!("{sandbox}/pause"), None)
                    .await,
                Ok((204, _))
            );
            let sent = match check_existing(&binds, &mounts, scope) {
                Ok(()) => ctx.engine.send(up_req).await,
                Err(e) => Err(e),
            };
            if paused {
                let _ = ctx
                    .engine
                    .json("POST", &format!("{sandbox}/unpause"), None)
                    .await;
            }
            sent?
        }
    };

    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        return Ok(hijack(parts, &mut resp));
    }
    let ok = resp.status().is_success();
    match after {
        After::Nothing => {}
        After::Started(id) if ok => start_forwards(ctx, &id).await,
        After::Removed(id) if ok => ctx.forwards.remove(&id),
        After::NetworkCreated if ok => {
            let (resp_parts, body) = resp.into_parts();
            let bytes = body.collect().await.map_err(bad_gateway)?.to_bytes();
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if let Some(id) = v["Id"].as_str() {
                // The sandbox joins its children's networks, so their names resolve.
                let _ = ctx
                    .engine
                    .json(
                        "POST",
                        &format!("/networks/{id}/connect"),
                        Some(json!({ "Container": scope.sandbox })),
                    )
                    .await;
            }
            return Ok(rebuilt(resp_parts, bytes));
        }
        After::InspectPorts(id) if ok => {
            let fwd = ctx.forwards.of(&id);
            let (resp_parts, body) = resp.into_parts();
            let bytes = body.collect().await.map_err(bad_gateway)?.to_bytes();
            let mut v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let mut ports = serde_json::Map::new();
            for (cport, port) in fwd {
                ports.insert(
                    cport,
                    json!([{ "HostIp": ctx.address, "HostPort": port.to_string() }]),
                );
            }
            if !ports.is_empty() {
                v["NetworkSettings"]["Ports"] = Value::Object(ports);
            }
            return Ok(rebuilt(
                resp_parts,
                serde_json::to_vec(&v).unwrap_or_default().into(),
            ));
        }
        After::ListPorts if ok => {
            let (resp_parts, body) = resp.into_parts();
            let bytes = body.collect().await.map_err(bad_gateway)?.to_bytes();
            let mut v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            for c in v.as_array_mut().into_iter().flatten() {
                let id = c["Id"].as_str().unwrap_or_default().to_string();
                let fwd = ctx.forwards.of(&id);
                if fwd.is_empty() {
                    continue;
                }
                c["Ports"] = Value::Array(
                    fwd.into_iter()
                        .map(|(cport, port)| {
                            let (p, proto) = cport.split_once('/').unwrap_or((&cport, "tcp"));
                            json!({ "IP": ctx.address, "PrivatePort": p.parse::<u16>().unwrap_or(0), "PublicPort": port, "Type": proto })
                        })
                        .collect(),
                );
            }
            return Ok(rebuilt(
                resp_parts,
                serde_json::to_vec(&v).unwrap_or_default().into(),
            ));
        }
        _ => {}
    }
    Ok(resp.map(|b| b.boxed()))
}

/// What to do once the engine answered.
enum After {
    Nothing,
    Started(String),
    Removed(String),
    NetworkCreated,
    InspectPorts(String),
    ListPorts,
}

fn bad_gateway(e: hyper::Error) -> Refusal {
    Refusal {
        status: 502,
        message: format!("the engine's answer was cut: {e}"),
    }
}

fn rebuilt(mut parts: hyper::http::response::Parts, body: Bytes) -> Response<Body> {
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(hyper::header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    Response::from_parts(parts, full(body))
}

/// Passes a hijacked stream through: the client gets the engine's 101, then bytes are copied
/// both ways.
fn hijack(client: hyper::http::request::Parts, engine: &mut Response<Incoming>) -> Response<Body> {
    let mut out = Response::new(full(Bytes::new()));
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for (k, v) in engine.headers() {
        out.headers_mut().insert(k, v.clone());
    }
    let engine_up = hyper::upgrade::on(engine);
    let client_req = Request::from_parts(client, ());
    let mut client_req = client_req;
    let client_up = hyper::upgrade::on(&mut client_req);
    tokio::spawn(async move {
        if let (Ok(c), Ok(e)) = (client_up.await, engine_up.await) {
            let mut c = TokioIo::new(c);
            let mut e = TokioIo::new(e);
            let _ = tokio::io::copy_bidirectional(&mut c, &mut e).await;
        }
    });
    out
}

/// Starts forwarding the ports container `id` asked for.
async fn start_forwards(ctx: &Ctx, id: &str) {
    let Ok(Some(c)) = ctx.engine.get(&format!("/containers/{id}/json")).await else {
        return;
    };
    let requests: Vec<PortRequest> = c["Config"]["Labels"][PORTS_LABEL]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    if requests.is_empty() {
        return;
    }
    let nets = &c["NetworkSettings"]["Networks"];
    let ip = nets[&ctx.scope.network]["IPAddress"]
        .as_str()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            nets.as_object().and_then(|m| {
                m.values()
                    .find_map(|n| n["IPAddress"].as_str().filter(|s| !s.is_empty()))
            })
        })
        .unwrap_or_default()
        .to_string();
    if !ip.is_empty() {
        ctx.forwards.set(id, &ip, &requests).await;
    }
}

/// At start: forwards for the sandbox's running children (a restarted proxy keeps them).
pub async fn restore_forwards(ctx: &Ctx) {
    let filter =
        json!({ "label": [format!("{OWNER_LABEL}={}", ctx.scope.owner), PORTS_LABEL.to_string()] });
    let path = format!(
        "/containers/json?filters={}",
        form_urlencoded::byte_serialize(filter.to_string().as_bytes()).collect::<String>()
    );
    if let Ok(Some(list)) = ctx.engine.get(&path).await {
        for c in list.as_array().into_iter().flatten() {
            if let Some(id) = c["Id"].as_str() {
                start_forwards(ctx, id).await;
            }
        }
    }
}
