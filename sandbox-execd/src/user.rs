//! Who a process runs as: `docker exec --user` semantics over the container's own
//! `/etc/passwd` and `/etc/group`.

/// The identity a process takes before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups: the user's groups in `/etc/group` plus the container's added groups.
    pub groups: Vec<u32>,
    /// Home from `/etc/passwd`, when the user has an entry.
    pub home: Option<String>,
}

struct Passwd {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

fn passwd() -> Vec<Passwd> {
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(Passwd {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                home: f.get(5).unwrap_or(&"/").to_string(),
            })
        })
        .collect()
}

/// `(name, gid, members)` of every group.
fn groups() -> Vec<(String, u32, Vec<String>)> {
    let text = std::fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            let members = f
                .get(3)
                .map(|m| {
                    m.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some((f.first()?.to_string(), f.get(2)?.parse().ok()?, members))
        })
        .collect()
}

/// The groups the engine added to this container (`HostConfig.GroupAdd`): the server runs as
/// root, so they are its supplementary groups minus root's own.
pub(crate) fn container_added_groups() -> Vec<u32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mine: Vec<u32> = status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|g| {
            g.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let roots: Vec<u32> = groups()
        .into_iter()
        .filter(|(_, _, m)| m.iter().any(|n| n == "root"))
        .map(|(_, g, _)| g)
        .collect();
    mine.into_iter()
        .filter(|g| *g != 0 && !roots.contains(g))
        .collect()
}

/// Resolves `user` (`uid`, `uid:gid`, `name`, `name:group`); `None` when empty (the server's own).
pub(crate) fn resolve(user: &str, added: &[u32]) -> Result<Option<Identity>, String> {
    if user.is_empty() {
        return Ok(None);
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let users = passwd();
    let entry = match u.parse::<u32>() {
        Ok(uid) => users.into_iter().find(|p| p.uid == uid),
        Err(_) => Some(users.into_iter().find(|p| p.name == u).ok_or_else(|| {
            format!("unable to find user {u}: no matching entries in passwd file")
        })?),
    };
    let uid = match (u.parse::<u32>(), &entry) {
        (Ok(uid), _) => uid,
        (Err(_), Some(p)) => p.uid,
        (Err(_), None) => unreachable!("a named user without an entry was refused above"),
    };
    let all_groups = groups();
    let gid = match g {
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => all_groups
                .iter()
                .find(|(n, _, _)| n == g)
                .map(|(_, gid, _)| *gid)
                .ok_or_else(|| {
                    format!("unable to find group {g}: no matching entries in group file")
                })?,
        },
        None => entry.as_ref().map_or(0, |p| p.gid),
    };
    let mut sup: Vec<u32> = match &entry {
        Some(p) => all_groups
            .iter()
            .filter(|(_, _, m)| m.contains(&p.name))
            .map(|(_, g, _)| *g)
            .collect(),
        None => Vec::new(),
    };
    for g in added {
        if !sup.contains(g) {
            sup.push(*g);
        }
    }
    Ok(Some(Identity {
        uid,
        gid,
        groups: sup,
        home: entry.map(|p| p.home),
    }))
}
