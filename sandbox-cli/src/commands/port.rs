//! `docksandbox port`: a sandbox's published ports (`docker port`'s output), and `port add`,
//! one more on a running sandbox.

use docksandbox::{PortMapping, ALL_INTERFACES_WARNING};

use super::Global;
use crate::cli::{PortArgs, PortCommand};
use crate::failure::Outcome;

pub async fn port(g: &Global, a: PortArgs) -> Outcome {
    let client = g.client()?;
    match a.command {
        Some(PortCommand::Add { sandbox, port }) => {
            crate::words::remember("ports", std::slice::from_ref(&port));
            let p = PortMapping::parse_indexed(&port, 0)?;
            if p.all_interfaces() {
                crate::logging::warn(ALL_INTERFACES_WARNING);
            }
            let sb = client.get(&sandbox).await?;
            println!("{}", sb.add_port(p).await?);
            Ok(0)
        }
        None => {
            let sb = client.get(a.sandbox.as_deref().unwrap_or_default()).await?;
            let ports = sb.ports().await?;
            match a.port {
                None => {
                    for p in &ports {
                        println!("{p}");
                    }
                    Ok(0)
                }
                Some(want) => {
                    crate::words::remember("ports", std::slice::from_ref(&want));
                    let w = PortMapping::parse_indexed(&want, 0)?;
                    let found: Vec<_> = ports
                        .iter()
                        .filter(|p| {
                            p.container_port == w.container_port && p.protocol == w.protocol
                        })
                        .collect();
                    if found.is_empty() {
                        eprintln!(
                            "docksandbox: no port {} of `{}` is published (publish it with `docksandbox port add {} {}`)",
                            w.container_key(),
                            sb.name(),
                            sb.name(),
                            w.container_port
                        );
                        return Ok(1);
                    }
                    for p in found {
                        println!("{}", p.host_address());
                    }
                    Ok(0)
                }
            }
        }
    }
}
