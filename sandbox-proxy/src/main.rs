//! `docksandbox-proxy`: the egress proxy docksandbox runs beside a sandbox.
//!
//! ```text
//! docksandbox-proxy serve [--policy PATH] [--http ADDR] [--socks ADDR] [--tls-ports LIST]
//!                         [--secrets FILE] [--ca-out FILE] [--upstream-ca FILE]
//! docksandbox-proxy policy set [--policy PATH]     (reads the policy JSON on stdin)
//! docksandbox-proxy policy show [--policy PATH]
//! docksandbox-proxy forward --listen ADDR --to HOST:PORT
//! docksandbox-proxy --version
//! ```

mod engine;
mod forward;
mod policy_cmd;
mod server;

use std::path::PathBuf;

use docksandbox_proxy::{HTTP_PORT, POLICY_PATH, SOCKS_PORT};

const USAGE: &str = "usage:
  docksandbox-proxy serve [--policy PATH] [--http ADDR] [--socks ADDR] [--tls-ports LIST]
                          [--secrets FILE] [--ca-out FILE] [--upstream-ca FILE]
      HTTP proxy (CONNECT and absolute-URI) on --http (default 0.0.0.0:3128) and SOCKS5 on
      --socks (default 0.0.0.0:1080), enforcing the policy in PATH (default /state/policy.json,
      re-read when it changes; missing or invalid at start: everything is refused).
      --tls-ports: CONNECT ports that must carry a TLS ClientHello naming the CONNECT host
      (comma-separated, default 443).
      --secrets FILE: secrets (JSON) whose placeholders the proxy replaces, in request headers
      only, on TLS it terminates for their hosts with a per-sandbox CA; --ca-out FILE: where
      that CA's certificate is written; --upstream-ca FILE: more CAs trusted for real servers.
  docksandbox-proxy policy set [--policy PATH]    validate the policy JSON on stdin, replace PATH atomically
  docksandbox-proxy policy show [--policy PATH]   print PATH
  docksandbox-proxy engine --upstream SOCKET --listen SOCKET --socket-volume NAME --owner NAME
                           --sandbox NAME --workspace DIR --network NAME [--socket-path PATH]...
                           [--memory BYTES] [--nano-cpus N] [--pids N] [--build-arg K=V]...
      the scoped Docker access of one sandbox: an Engine API server on --listen that forwards
      to --upstream only what the sandbox may do (its own objects, binds inside --workspace,
      children on --network), rewritten into that scope.
  docksandbox-proxy forward --listen ADDR --to HOST:PORT
      the way in to one port of a sandbox: every TCP connection to --listen is joined to
      --to (resolved for each connection), and to nothing else.
  docksandbox-proxy --version";

/// Parsed `--name value` / `--name=value` options; anything else is an error.
fn options(args: &[String], allowed: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(flag) = a.strip_prefix("--") else {
            return Err(format!("unexpected argument '{a}'"));
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = it.next().ok_or_else(|| format!("--{flag} needs a value"))?;
                (flag.to_string(), v.clone())
            }
        };
        if !allowed.contains(&name.as_str()) {
            return Err(format!("unknown option --{name}"));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn last(opts: &[(String, String)], name: &str) -> Option<String> {
    opts.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

fn tls_ports(list: &str) -> Result<Vec<u16>, String> {
    list.split(',')
        .map(|p| match p.trim().parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "--tls-ports: '{}' is not a port 1-65535",
                p.escape_debug()
            )),
        })
        .collect()
}

fn run(args: &[String]) -> Result<i32, String> {
    match args.first().map(String::as_str) {
        Some("serve") => {
            let opts = options(
                &args[1..],
                &[
                    "policy",
                    "http",
                    "socks",
                    "tls-ports",
                    "secrets",
                    "ca-out",
                    "upstream-ca",
                ],
            )?;
            let cfg = server::Config {
                policy: PathBuf::from(last(&opts, "policy").unwrap_or_else(|| POLICY_PATH.into())),
                http: last(&opts, "http").unwrap_or_else(|| format!("0.0.0.0:{HTTP_PORT}")),
                socks: last(&opts, "socks").unwrap_or_else(|| format!("0.0.0.0:{SOCKS_PORT}")),
                tls_ports: tls_ports(&last(&opts, "tls-ports").unwrap_or_else(|| "443".into()))?,
                secrets: last(&opts, "secrets").map(PathBuf::from),
                ca_out: last(&opts, "ca-out").map(PathBuf::from),
                upstream_ca: last(&opts, "upstream-ca").map(PathBuf::from),
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start: {e}"))?;
            Ok(rt.block_on(server::serve(cfg)))
        }
        Some("engine") => {
            let opts = options(
                &args[1..],
                &[
                    "upstream",
                    "listen",
                    "socket-volume",
                    "owner",
                    "sandbox",
                    "workspace",
                    "network",
                    "socket-path",
                    "memory",
                    "nano-cpus",
                    "pids",
                    "build-arg",
                    "label",
                ],
            )?;
            let need = |n: &str| last(&opts, n).ok_or_else(|| format!("engine: --{n} is required"));
            let num = |n: &str| -> Result<Option<i64>, String> {
                last(&opts, n)
                    .map(|v| {
                        v.parse::<i64>()
                            .map_err(|_| format!("--{n}: '{v}' is not a number"))
                    })
                    .transpose()
            };
            let all = |n: &str| -> Vec<String> {
                opts.iter()
                    .filter(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            let scope = docksandbox_proxy::engine_api::scope::Scope {
                owner: need("owner")?,
                sandbox: need("sandbox")?,
                workspace: PathBuf::from(need("workspace")?),
                network: need("network")?,
                socket_paths: all("socket-path"),
                proxy_socket: String::new(),
                build_args: all("build-arg")
                    .into_iter()
                    .filter_map(|kv| {
                        kv.split_once('=')
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                    })
                    .collect(),
                labels: all("label")
                    .into_iter()
                    .filter_map(|kv| {
                        kv.split_once('=')
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                    })
                    .collect(),
                limits: docksandbox_proxy::engine_api::scope::Limits {
                    memory: num("memory")?,
                    nano_cpus: num("nano-cpus")?,
                    pids: num("pids")?,
                },
            };
            let cfg = engine::Config {
                upstream: PathBuf::from(need("upstream")?),
                listen: PathBuf::from(need("listen")?),
                socket_volume: need("socket-volume")?,
                scope,
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start: {e}"))?;
            Ok(rt.block_on(engine::serve(cfg)))
        }
        Some("forward") => {
            let opts = options(&args[1..], &["listen", "to"])?;
            let need =
                |n: &str| last(&opts, n).ok_or_else(|| format!("forward: --{n} is required"));
            let (listen, to) = (need("listen")?, need("to")?);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start: {e}"))?;
            Ok(rt.block_on(forward::serve(listen, to)))
        }
        Some("policy") => {
            let sub = args.get(1).map(String::as_str);
            let opts = options(args.get(2..).unwrap_or_default(), &["policy"])?;
            let path = PathBuf::from(last(&opts, "policy").unwrap_or_else(|| POLICY_PATH.into()));
            match sub {
                Some("set") => Ok(policy_cmd::set(&path)),
                Some("show") => Ok(policy_cmd::show(&path)),
                _ => Err("policy: say 'set' or 'show'".into()),
            }
        }
        Some("--version") | Some("-V") | Some("version") => {
            println!("docksandbox-proxy {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Some("--help") | Some("-h") | Some("help") => {
            println!("{USAGE}");
            Ok(0)
        }
        Some(other) => Err(format!("unknown command '{}'", other.escape_debug())),
        None => Err("no command given".into()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("docksandbox-proxy: {e}\n{USAGE}");
            2
        }
    };
    std::process::exit(code);
}
