//! The MCP tools' arguments and results: typed, so that their JSON Schemas are generated and
//! their decoding is strict (unknown keys refused). What the values mean is the core's.

use std::collections::BTreeMap;

use rmcp::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

/// `sandbox_run`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunArgs {
    /// The project directory (absolute, or relative to the server's directory), mounted at
    /// the same path; it must be under one of the server's roots.
    pub workspace: String,
    /// claude, codex, gemini, copilot or shell (the default).
    pub agent: Option<String>,
    /// The template image (default: the agent's).
    pub template: Option<String>,
    /// Work on this git branch in its own worktree beside the repository.
    pub branch: Option<String>,
    /// What a new branch starts from (default HEAD).
    pub branch_from: Option<String>,
    /// Container environment variables.
    pub env: Option<BTreeMap<String, String>>,
    /// proxy (the default: the public internet through the egress proxy, never the host,
    /// the LAN or cloud metadata), none, or bridge.
    pub network: Option<String>,
    /// Hosts the sandbox may reach (the proxy's allow list; `*.example.com` patterns).
    pub allow_hosts: Option<Vec<String>>,
    /// Memory limit: 512m, 2g, or bytes.
    pub memory: Option<String>,
    /// CPU limit.
    pub cpus: Option<f64>,
    /// The sandbox's name (default: derived from the workspace and agent).
    pub name: Option<String>,
}

impl RunArgs {
    /// The core request these arguments make (what they mean is the core's to check).
    pub fn into_request(self) -> docksandbox::RunRequest {
        docksandbox::RunRequest {
            workspace: Some(self.workspace),
            agent: self.agent.unwrap_or_else(|| "shell".into()),
            template: self.template,
            branch: self.branch,
            branch_from: self.branch_from,
            env: self.env.unwrap_or_default(),
            network: self.network,
            allow_hosts: self.allow_hosts.unwrap_or_default(),
            memory: self.memory,
            cpus: self.cpus,
            name: self.name,
            ..Default::default()
        }
    }
}

/// A tool that names one sandbox.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxArg {
    /// The sandbox: its name (from sandbox_run or sandbox_list), or a branch sandbox's branch.
    pub sandbox: String,
}

/// `sandbox_exec`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecArgs {
    /// The sandbox.
    pub sandbox: String,
    /// The program and its arguments, run directly (give this or `command`).
    pub argv: Option<Vec<String>>,
    /// A command line run by the sandbox's `sh -c` inside the sandbox (give this or `argv`).
    pub command: Option<String>,
    /// Working directory inside the sandbox (default: the workspace).
    pub cwd: Option<String>,
    /// Extra environment variables for this command.
    pub env: Option<BTreeMap<String, String>>,
    /// Seconds before the command is killed (default 120).
    pub timeout_secs: Option<f64>,
    /// Text given to the command's standard input.
    pub stdin: Option<String>,
}

/// `sandbox_read_file` and `sandbox_list_files`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathArgs {
    /// The sandbox.
    pub sandbox: String,
    /// A path inside the sandbox (relative paths are inside the workspace; default `.` for
    /// sandbox_list_files).
    pub path: Option<String>,
}

/// `sandbox_write_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteArgs {
    /// The sandbox.
    pub sandbox: String,
    /// A path inside the sandbox (relative paths are inside the workspace); its directory
    /// must exist.
    pub path: String,
    /// The file's new content (text).
    pub content: String,
}

/// `sandbox_network_allow`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowArgs {
    /// The sandbox.
    pub sandbox: String,
    /// Hosts to allow (`api.example.com`, `*.example.com`, `example.com:443`).
    pub hosts: Vec<String>,
}

/// What `sandbox_run` made or found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunResult {
    /// The sandbox's name: what the other tools take.
    pub sandbox: String,
    /// Its workspace (the same path inside and on the host).
    pub workspace: String,
    /// Its status.
    pub status: String,
}

/// A sandbox as `sandbox_list` shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListedSandbox {
    /// Its name.
    pub sandbox: String,
    /// Its agent.
    pub agent: String,
    /// Its workspace.
    pub workspace: String,
    /// Its status.
    pub status: String,
    /// A branch sandbox's branch.
    pub branch: Option<String>,
}

/// `sandbox_list`'s result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListResult {
    /// The sandboxes under the server's roots, newest first.
    pub sandboxes: Vec<ListedSandbox>,
}

/// What a command gave back.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExecResult {
    /// Its exit code (128 + signal number when a signal ended it); -1 when it was killed for
    /// its timeout.
    pub exit_code: i64,
    /// Its standard output (head and tail when longer than the cap).
    pub stdout: String,
    /// Its standard error (head and tail when longer than the cap).
    pub stderr: String,
    /// Whether stdout or stderr was cut.
    pub truncated: bool,
    /// Whether it was killed for running past its timeout.
    pub timed_out: bool,
}

/// A file's content.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileResult {
    /// The path read.
    pub path: String,
    /// Its content as text (invalid UTF-8 replaced; head and tail when longer than the cap).
    pub content: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the content was cut.
    pub truncated: bool,
}

/// A directory's entries.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FilesResult {
    /// The directory listed.
    pub path: String,
    /// Its entries, sorted by name.
    pub entries: Vec<FileEntry>,
}

/// One entry of a directory.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileEntry {
    /// Its name.
    pub name: String,
    /// file, directory, symlink or other.
    pub kind: String,
    /// Size in bytes.
    pub size: u64,
}

/// `sandbox_inspect`'s result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InspectResult {
    /// What `docksandbox inspect` shows: settings, mounts, security, limits, network, ports,
    /// branch.
    pub info: serde_json::Value,
}

/// A plain acknowledgement.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Done {
    /// What was done.
    pub done: String,
}

/// A diff.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiffResult {
    /// The unified diff (head and tail when longer than the cap).
    pub diff: String,
    /// Whether it was cut.
    pub truncated: bool,
}

/// How core field names read as tool arguments in error messages (`None`: the same name).
pub fn word(field: &str) -> Option<String> {
    let w = match field {
        "branch.from" => "branch_from",
        "allow_hosts" | "network_policy" => "allow_hosts",
        "max_sandboxes" => "the server's --max-sandboxes",
        _ => return None,
    };
    Some(w.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    /// Field names the tools know, and some they do not.
    const KEYS: &[&str] = &[
        "workspace",
        "agent",
        "template",
        "branch",
        "branch_from",
        "env",
        "network",
        "allow_hosts",
        "memory",
        "cpus",
        "name",
        "sandbox",
        "argv",
        "command",
        "cwd",
        "timeout_secs",
        "stdin",
        "path",
        "content",
        "hosts",
        "bogus",
        "",
    ];

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[ -~]{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "/", "..", "/etc", "proxy", "bridge", "none", "-1", "1e309", "512m", "*.x",
                "a\u{0}b"
            ])
            .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{0,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arguments() -> impl Strategy<Value = Value> {
        prop::collection::vec((prop::sample::select(KEYS), json()), 0..8).prop_map(|kv| {
            let mut m = Map::new();
            for (k, v) in kv {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever a client sends as arguments, decoding them and making the core's request
        /// (bounds applied, then validated) gives a value or an error, never a panic.
        #[test]
        fn any_arguments_decode_or_are_refused(v in arguments()) {
            let _ = serde_json::from_value::<SandboxArg>(v.clone());
            if let Ok(e) = serde_json::from_value::<ExecArgs>(v.clone()) {
                let _ = e.timeout_secs.map(|t| docksandbox::timeout_from_secs(t, "timeout_secs"));
            }
            let _ = serde_json::from_value::<PathArgs>(v.clone());
            let _ = serde_json::from_value::<WriteArgs>(v.clone());
            let _ = serde_json::from_value::<AllowArgs>(v.clone());
            if let Ok(run) = serde_json::from_value::<RunArgs>(v) {
                let dir = tempfile::tempdir().unwrap();
                let bounds = docksandbox::Bounds::new([dir.path()]).unwrap();
                let mut req = run.into_request();
                if req.shape_within(&bounds).is_ok() {
                    if let Ok(spec) = req.builder().and_then(|b| b.build()) {
                        let _ = bounds.check(&spec);
                    }
                }
            }
        }

        /// Timeouts: any number gives a duration or a named error.
        #[test]
        fn any_timeout_is_a_duration_or_refused(t in any::<f64>()) {
            if let Err(e) = docksandbox::timeout_from_secs(t, "timeout_secs") {
                prop_assert!(e.to_string().contains("timeout_secs"));
            }
        }
    }
}
