//! `docksandbox pool start|take|status|stop`: a warm pool kept by a server process in the
//! background (`pool serve`, started by `pool start`), which owns the pool's sandboxes (if it
//! is killed, the next docksandbox command removes them) and hands them out over a socket only
//! this host user can reach ([`docksandbox::Pool::control_socket`]). One request per
//! connection, one line each way: `take` → `ok NAME`, `status` → the JSON status, `stop` →
//! `stopped`; a failure is `error MESSAGE`.

use std::io::BufRead;
use std::path::Path;

use docksandbox::{Error, Pool, PoolStatus, RunRequest};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};

use super::Global;
use crate::cli::{PoolArgs, PoolCommand, PoolStartArgs, PoolStatusArgs};
use crate::failure::{Failure, Outcome};

pub async fn pool(g: &Global, a: PoolArgs) -> Outcome {
    match a.command {
        PoolCommand::Start(s) => start(s).await,
        PoolCommand::Serve(s) => serve(g, s).await,
        PoolCommand::Take(n) => {
            let name = ask(&n.name, "take").await?;
            println!("{name}");
            Ok(0)
        }
        PoolCommand::Status(s) => status(g, s).await,
        PoolCommand::Stop(n) => stop(g, &n.name).await,
    }
}

fn request(a: &PoolStartArgs) -> RunRequest {
    RunRequest {
        agent: a.agent.clone(),
        name: Some(a.name.clone()),
        template: a.template.clone(),
        env_pairs: a.env.clone(),
        network: a.network.clone(),
        allow_hosts: a.allow_hosts.clone(),
        deny_hosts: a.deny_hosts.clone(),
        network_policy: a.network_policy.clone(),
        cpus: a.cpus,
        memory: a.memory.clone(),
        pids_limit: a.pids_limit,
        label_pairs: a.labels.clone(),
        ..Default::default()
    }
}

/// Runs `pool serve` with the same arguments in its own process group, its stderr in
/// `NAME.log` beside its socket, and waits for its first line: `ready` or `error …`.
async fn start(a: PoolStartArgs) -> Outcome {
    if answers(&Pool::control_socket(&a.name)).await {
        return Err(invalid(format!(
            "the pool `{}` is running already (`docksandbox pool stop {}` first)",
            a.name, a.name
        ))
        .into());
    }
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let at = args
        .windows(2)
        .position(|w| w[0] == "pool" && w[1] == "start")
        .ok_or_else(|| Error::Client("cannot find `pool start` in the command line".into()))?;
    args[at + 1] = "serve".into();
    let socket = Pool::control_socket(&a.name);
    let log_path = socket.with_extension("log");
    let log = std::fs::File::create(&log_path)?;
    let exe = std::env::current_exe()?;
    let mut child = {
        use std::os::unix::process::CommandExt;
        std::process::Command::new(exe)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .process_group(0)
            .spawn()?
    };
    let out = child.stdout.take().expect("piped stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(out).read_line(&mut line);
        line
    })
    .await
    .map_err(|e| Error::Client(e.to_string()))?;
    let line = line.trim();
    if line == "ready" {
        println!(
            "pool {}: {} sandboxes ready (take one: docksandbox pool take {}; its log: {})",
            a.name,
            a.size,
            a.name,
            log_path.display()
        );
        Ok(0)
    } else {
        let _ = child.wait();
        let why = line.strip_prefix("error ").unwrap_or(line);
        let why = if why.is_empty() {
            format!("its server exited; see {}", log_path.display())
        } else {
            why.to_string()
        };
        Err(Error::StartFailed {
            name: a.name,
            reason: why,
        }
        .into())
    }
}

/// The server: keeps the pool, answers on its socket, and removes everything on `stop`,
/// SIGTERM or SIGINT.
async fn serve(g: &Global, a: PoolStartArgs) -> Outcome {
    let client = g.client()?;
    let socket = Pool::control_socket(&a.name);
    let said = |line: String| println!("{line}");
    let pool = match request(&a).pool(&client, a.size).await {
        Ok(p) => p,
        Err(e) => {
            said(format!("error {e}"));
            return Err(e.into());
        }
    };
    if answers(&socket).await {
        let _ = pool.close().await;
        said(format!("error the pool `{}` is running already", a.name));
        return Ok(1);
    }
    let _ = std::fs::remove_file(&socket);
    let listener = match UnixListener::bind(&socket) {
        Ok(l) => l,
        Err(e) => {
            let _ = pool.close().await;
            said(format!("error cannot listen on {}: {e}", socket.display()));
            return Ok(1);
        }
    };
    if let Err(e) = pool.wait_ready().await {
        let _ = pool.close().await;
        let _ = std::fs::remove_file(&socket);
        said(format!("error {e}"));
        return Err(e.into());
    }
    said("ready".into());
    // A `stop` request's connection comes here, answered once everything is removed.
    let (stop_tx, mut stop_rx) = tokio::sync::mpsc::channel::<OwnedWriteHalf>(1);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let done_with: Option<OwnedWriteHalf> = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((conn, _)) = accepted else { continue };
                let (pool, stop_tx) = (pool.clone(), stop_tx.clone());
                tokio::spawn(async move { answer(conn, &pool, stop_tx).await });
            }
            asked = stop_rx.recv() => break asked,
            _ = term.recv() => break None,
            _ = tokio::signal::ctrl_c() => break None,
        }
    };
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(socket.with_extension("log"));
    let closed = pool.close().await;
    if let Some(mut reply) = done_with {
        let _ = reply.write_all(b"stopped\n").await;
        let _ = reply.shutdown().await;
    }
    closed?;
    Ok(0)
}

/// One request on the socket.
async fn answer(conn: UnixStream, pool: &Pool, stop: tokio::sync::mpsc::Sender<OwnedWriteHalf>) {
    let (read, mut write) = conn.into_split();
    let mut line = String::new();
    if BufReader::new(read).read_line(&mut line).await.is_err() {
        return;
    }
    let reply = match line.trim() {
        "take" => match pool.take().await {
            Ok(sb) => format!("ok {}", sb.name()),
            Err(e) => format!("error {e}"),
        },
        "status" => serde_json::to_string(&pool.status()).unwrap_or_default(),
        "stop" => {
            let _ = stop.send(write).await;
            return;
        }
        other => format!("error unknown request `{}`", other.escape_debug()),
    };
    let _ = write.write_all(format!("{reply}\n").as_bytes()).await;
}

/// Whether a server answers on `socket`.
async fn answers(socket: &Path) -> bool {
    UnixStream::connect(socket).await.is_ok()
}

/// Sends one request to the server of pool `name`; its reply, `ok ` stripped.
async fn ask(name: &str, what: &str) -> Result<String, Failure> {
    let socket = Pool::control_socket(name);
    let conn = UnixStream::connect(&socket).await.map_err(|e| {
        invalid(format!(
            "no pool `{name}` is running here ({}: {e}): `docksandbox pool start {name}` first",
            socket.display()
        ))
    })?;
    let (read, mut write) = conn.into_split();
    write.write_all(format!("{what}\n").as_bytes()).await?;
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    let line = line.trim().to_string();
    if let Some(why) = line.strip_prefix("error ") {
        return Err(Error::Client(why.to_string()).into());
    }
    if line.is_empty() {
        return Err(Error::Client(format!(
            "the pool `{name}`'s server ended without an answer"
        ))
        .into());
    }
    Ok(line.strip_prefix("ok ").unwrap_or(&line).to_string())
}

async fn status(g: &Global, a: PoolStatusArgs) -> Outcome {
    let names: Vec<String> = match &a.name {
        Some(n) => vec![n.clone()],
        None => pools_on_engine(g).await?,
    };
    let mut all = Vec::new();
    for n in &names {
        let st = match ask(n, "status").await {
            Ok(json) => serde_json::from_str::<PoolStatus>(&json).ok(),
            Err(_) => None,
        };
        all.push((n.clone(), st));
    }
    if a.name.is_some() && all.iter().all(|(_, s)| s.is_none()) {
        ask(&names[0], "status").await?;
    }
    if a.json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|(n, s)| match s {
                Some(s) => serde_json::json!({"name": n, "running": true, "status": s}),
                None => serde_json::json!({"name": n, "running": false}),
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(0);
    }
    println!("POOL  SIZE  READY  STARTING  TAKEN  SERVER");
    for (n, s) in &all {
        match s {
            Some(s) => println!(
                "{n}  {}  {}  {}  {}  running",
                s.size, s.ready, s.starting, s.taken
            ),
            None => println!(
                "{n}  -  -  -  -  gone (`docksandbox pool stop {n}` removes its sandboxes)"
            ),
        }
    }
    Ok(0)
}

/// The pools whose sandboxes are on the engine.
async fn pools_on_engine(g: &Global) -> Result<Vec<String>, Failure> {
    let mut names: Vec<String> = g
        .client()?
        .list()
        .await?
        .into_iter()
        .filter_map(|s| s.spec.and_then(|sp| sp.pool))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Asks the server to stop (it removes the pool's sandboxes); then removes any the engine still
/// has (a server that was killed).
async fn stop(g: &Global, name: &str) -> Outcome {
    let asked = ask(name, "stop").await;
    let client = g.client()?;
    let mut removed = 0;
    for s in client.list().await? {
        if s.spec.as_ref().and_then(|sp| sp.pool.as_deref()) == Some(name) {
            match client.get(&s.id).await {
                Ok(sb) => match sb.remove().await {
                    Ok(()) | Err(Error::NotFound { .. }) => removed += 1,
                    Err(e) => return Err(e.into()),
                },
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    if asked.is_err() {
        // A killed server's socket and log.
        let socket = Pool::control_socket(name);
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_file(socket.with_extension("log"));
    }
    match asked {
        Ok(_) => println!("pool {name} stopped"),
        Err(_) if removed > 0 => {
            println!("pool {name}: its server was gone; removed its {removed} sandboxes")
        }
        Err(e) => return Err(e),
    }
    Ok(0)
}

fn invalid(reason: String) -> Error {
    Error::InvalidSpec {
        field: "pool".into(),
        reason,
    }
}
