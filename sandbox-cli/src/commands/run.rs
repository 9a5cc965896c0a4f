//! `docksandbox run`: create or reuse the sandbox, then launch the agent in it, attached to
//! this terminal (or streaming, without one).

use docksandbox::{ExecOptions, RunRequest, Sandbox, DOCKER_SOCKET_WARNING};

use super::Global;
use crate::cli::RunArgs;
use crate::failure::Outcome;
use crate::session::{self, Stdin};
use crate::tty::{self, RawMode};

/// The request the flags describe; every rule about the values is the core's.
pub fn request(a: &RunArgs) -> docksandbox::Result<RunRequest> {
    crate::words::remember("mounts", &a.volumes);
    crate::words::remember("add_hosts", &a.add_hosts);
    crate::words::remember("writable", &a.writable);
    crate::words::remember("secrets", &a.secrets);
    crate::words::remember("secret_hosts", &a.secret_hosts);
    crate::words::remember("ports", &a.ports);
    Ok(RunRequest {
        workspace: a.workspace.clone(),
        agent: a.agent().to_string(),
        template: a.template.clone(),
        env_pairs: a.env.clone(),
        volumes: a.volumes.clone(),
        credentials: a.credentials.clone(),
        mount_docker_socket: a.mount_docker_socket.then_some(true),
        docker: a.docker.clone(),
        name: a.name.clone(),
        recreate: a.recreate,
        cpus: a.cpus,
        memory: a.memory.clone(),
        pids_limit: a.pids_limit,
        network: a.network.clone(),
        allow_hosts: a.allow_hosts.clone(),
        deny_hosts: a.deny_hosts.clone(),
        network_policy: a.network_policy.clone(),
        allow_presets: a.allow_presets.clone(),
        add_hosts: a.add_hosts.clone(),
        label_pairs: a.labels.clone(),
        ca_bundle: a.ca_bundle.clone(),
        share_agent_config: a.share_agent_config.then_some(true),
        git_guard: a.no_git_guard.then_some(false),
        workspace_mode: a.workspace_mode.clone(),
        writable: a.writable.clone(),
        secrets: a.secrets.clone(),
        secret_hosts: a.secret_hosts.clone(),
        secret_mode: a.secret_mode.clone(),
        ports: a.ports.clone(),
        ephemeral: a.remove.then_some(true),
        ttl: a.ttl.clone(),
        idle_stop: a.idle_stop.clone(),
        branch: a.branch.clone(),
        branch_from: a.branch_from.clone(),
        ..Default::default()
    })
}

pub async fn run(g: &Global, a: RunArgs) -> Outcome {
    let req = request(&a)?;
    // Validate (nothing is created, no engine needed) before any warning or connection.
    let spec = req.builder()?.build()?;
    if spec
        .ports
        .iter()
        .any(docksandbox::PortMapping::all_interfaces)
    {
        crate::logging::warn(docksandbox::ALL_INTERFACES_WARNING);
    }
    let host_asked = a.mount_docker_socket || a.docker.as_deref() == Some("host");
    if host_asked {
        crate::logging::warn(DOCKER_SOCKET_WARNING);
    }
    let client = g.client()?;
    let sandbox = req.run(&client).await?;
    if !host_asked && sandbox.spec().docker == Some(docksandbox::DockerAccess::Host) {
        crate::logging::warn(DOCKER_SOCKET_WARNING);
    }
    if a.detached {
        if !a.agent_args().is_empty() {
            sandbox.start_agent_detached(a.agent_args()).await?;
        }
        println!("{}", sandbox.name());
        return Ok(0);
    }
    let session = async {
        let code = if tty::stdin_is_terminal() {
            interactive(&sandbox, a.agent_args()).await?
        } else {
            let p = sandbox
                .attach_agent(a.agent_args(), options(), None)
                .await?;
            session::attach(p, Stdin::Forward, false).await?
        };
        tell_oom(&sandbox, code).await;
        super::guard::after_session(&sandbox).await;
        Ok(exit_status(code))
    }
    .await;
    if a.remove {
        // `--rm`: gone when the session ends, however it ended.
        if let Err(e) = sandbox.close().await {
            crate::logging::warn(&format!(
                "could not remove the sandbox `{}`: {e}; `docksandbox gc` will",
                sandbox.name()
            ));
        }
    }
    session
}

/// After a session that exited 137: says so when the out-of-memory killer ended it.
pub async fn tell_oom(sandbox: &Sandbox, code: i64) {
    if code != 137 || !sandbox.oom_killed_since_checked().await.unwrap_or(false) {
        return;
    }
    let limit = match sandbox.spec().resources.memory {
        Some(m) if m >= 1 << 30 && m % (1 << 30) == 0 => format!("limit {} GiB", m >> 30),
        Some(m) => format!("limit {} MiB", m >> 20),
        None => "no limit of its own: the engine's memory ran out".to_string(),
    };
    eprintln!("docksandbox: killed: out of memory ({limit}; raise it with --memory)");
}

/// The agent on a terminal of this terminal's size, in raw mode until it exits.
async fn interactive(sandbox: &Sandbox, args: &[String]) -> Result<i64, crate::failure::Failure> {
    let size = tty::size().unwrap_or(tty::FALLBACK_SIZE);
    let _raw = RawMode::enable()?;
    let p = sandbox.attach_agent(args, options(), Some(size)).await?;
    session::attach(p, Stdin::Forward, true).await
}

fn options() -> ExecOptions {
    ExecOptions::default()
}

/// A process exit status from an exec's exit code.
pub fn exit_status(code: i64) -> i32 {
    i32::try_from(code).unwrap_or(crate::failure::EXIT_ERROR)
}
