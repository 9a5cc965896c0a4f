//! `docksandbox network`: the policy of a `proxy` sandbox, shown and changed live, and its
//! connection log. Every rule and its meaning are the core's.

use futures_util::StreamExt;

use docksandbox::{parse_network_default, parse_rule, NetworkLogEntry};

use super::Global;
use crate::cli::{NetworkArgs, NetworkCommand};
use crate::failure::Outcome;

pub async fn network(g: &Global, a: NetworkArgs) -> Outcome {
    let client = g.client()?;
    match a.command {
        NetworkCommand::Allow { sandbox, hosts } => {
            let rules = rules(&hosts)?;
            client.get(&sandbox).await?.allow_hosts(&rules).await?;
        }
        NetworkCommand::Deny { sandbox, hosts } => {
            let rules = rules(&hosts)?;
            client.get(&sandbox).await?.deny_hosts(&rules).await?;
        }
        NetworkCommand::Policy { sandbox, default } => {
            let d = parse_network_default(&default, "network_policy")?;
            client.get(&sandbox).await?.set_network_default(d).await?;
        }
        NetworkCommand::Show { sandbox, json } => {
            let sb = client.get(&sandbox).await?;
            let p = sb.network_policy().await?;
            let presets = sb.network_presets()?;
            if json {
                let mut v = serde_json::to_value(&p).unwrap_or_default();
                v["presets"] = presets
                    .iter()
                    .map(|(name, rules)| (name.clone(), serde_json::json!(rules)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                for (name, rules) in &presets {
                    let rules: Vec<String> = rules.iter().map(ToString::to_string).collect();
                    println!("preset {name}: {}", rules.join(", "));
                }
                println!("default: {}", p.default);
                for r in &p.allow {
                    println!("allow {r}");
                }
                for r in &p.deny {
                    println!("deny {r}");
                }
                for (name, ips) in &p.hosts {
                    let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
                    println!("host {name} = {}", ips.join(", "));
                }
                for n in &p.refused {
                    println!("refused {n}");
                }
            }
        }
        NetworkCommand::Log {
            sandbox,
            follow,
            json,
            denied,
        } => {
            let mut log = client.get(&sandbox).await?.network_log(follow).await?;
            while let Some(e) = log.next().await {
                let e = e?;
                if denied && e.decision != "deny" {
                    continue;
                }
                if json {
                    println!("{}", serde_json::to_string(&e).unwrap_or_default());
                } else {
                    println!("{}", line(&e));
                }
            }
        }
    }
    Ok(0)
}

fn rules(hosts: &[String]) -> docksandbox::Result<Vec<docksandbox::NetworkRule>> {
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| parse_rule(h, &format!("hosts[{i}]")))
        .collect()
}

/// One log entry as a line: time, decision, target, address, rule, bytes.
fn line(e: &NetworkLogEntry) -> String {
    format!(
        "{} {:<5} {:<7} {}:{} {} ({}) up {} down {}",
        e.time,
        e.decision,
        e.proto,
        e.host,
        e.port,
        e.addr.as_deref().unwrap_or("-"),
        e.rule,
        e.bytes_up,
        e.bytes_down
    )
}
