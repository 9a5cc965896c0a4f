//! Agent profiles: an agent is data (program, default arguments, where it keeps its login,
//! which API keys it reads, which template it runs in).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A coding agent docksandbox can launch.
///
/// Built-ins are [`Claude`], [`Codex`], [`Gemini`], [`Copilot`] and [`Shell`]; a custom agent is one value:
///
/// ```
/// use docksandbox::Agent;
/// let aider = Agent::custom("aider", "aider")
///     .with_default_args(["--yes-always"])
///     .with_api_key_env(["OPENAI_API_KEY"])
///     .with_credential_paths([".aider"])
///     .with_default_template("my/aider:latest");
/// assert_eq!(aider.name, "aider");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Short name, part of the sandbox's identity (`claude`, `shell`, …).
    pub name: String,
    /// Programs to launch, first one found in the template wins (`["bash", "sh"]` for the shell).
    pub command: Vec<String>,
    /// Arguments put before the user's own.
    pub default_args: Vec<String>,
    /// Paths relative to the sandbox user's home where the agent keeps its login and settings;
    /// kept in the per-agent credentials volume.
    pub credential_paths: Vec<String>,
    /// Host environment variables forwarded into the agent's process (never stored on the container).
    pub api_key_env: Vec<String>,
    /// The template image used when the spec names none.
    pub default_template: String,
    /// Paths relative to the home directory holding the agent's user-level configuration that
    /// is not a secret (instructions, settings, commands): shared read-only from the host's
    /// home when the spec asks for it ([`crate::SandboxSpec::share_agent_config`]).
    #[serde(default)]
    pub user_config_paths: Vec<String>,
    /// The hosts the agent needs to work (its API, its login), what the `agent` network preset
    /// allows: `HOST` or `HOST:PORT` rules.
    #[serde(default)]
    pub network_hosts: Vec<String>,
    /// The agent's API keys and the hosts each may go to: with a `proxy` network, a key set
    /// on the host becomes a [`crate::Secret`] (the sandbox holds a placeholder).
    #[serde(default)]
    pub secret_hosts: Vec<(String, Vec<String>)>,
    /// Variables the agent's CLI needs to work in a sandbox, set on the container (a spec's
    /// own `env` wins): Claude Code's `IS_SANDBOX=1`, which lets it skip permissions when the
    /// workspace (and so its user) is root's.
    #[serde(default)]
    pub env: Vec<(String, String)>,
}

/// The built-in agents' sandbox variables (data, not code).
fn builtin_env(agent: &str) -> Vec<(String, String)> {
    let table: &[(&str, &str, &str)] = &[("claude", "IS_SANDBOX", "1")];
    table
        .iter()
        .filter(|(a, _, _)| *a == agent)
        .map(|(_, k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The built-in agents' API keys and their API hosts (data, not code).
fn builtin_secret_hosts(agent: &str) -> Vec<(String, Vec<String>)> {
    let table: &[(&str, &[&str], &[&str])] = &[
        ("claude", &["ANTHROPIC_API_KEY"], &["api.anthropic.com"]),
        ("codex", &["OPENAI_API_KEY"], &["api.openai.com"]),
        (
            "gemini",
            &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            &["generativelanguage.googleapis.com"],
        ),
        (
            "copilot",
            &["GH_TOKEN", "GITHUB_TOKEN"],
            &["api.github.com", "github.com", "*.githubcopilot.com"],
        ),
    ];
    table
        .iter()
        .filter(|(a, _, _)| *a == agent)
        .flat_map(|(_, keys, hosts)| {
            keys.iter()
                .map(|k| (k.to_string(), hosts.iter().map(|h| h.to_string()).collect()))
        })
        .collect()
}

/// The template every built-in agent falls back to until its own template exists.
pub const BASE_TEMPLATE: &str = "docksandbox/base:latest";

impl Agent {
    /// A custom agent running `command`, with no default args, credentials or keys, on the base template.
    pub fn custom(name: impl Into<String>, command: impl Into<String>) -> Self {
        Agent {
            name: name.into(),
            command: vec![command.into()],
            default_args: Vec::new(),
            credential_paths: Vec::new(),
            api_key_env: Vec::new(),
            default_template: BASE_TEMPLATE.to_string(),
            user_config_paths: Vec::new(),
            network_hosts: Vec::new(),
            secret_hosts: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Sets the hosts the agent needs (the `agent` network preset).
    pub fn with_network_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.network_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the arguments put before the user's own.
    pub fn with_default_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.default_args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the home-relative paths kept in the credentials volume.
    pub fn with_credential_paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.credential_paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the home-relative paths of the agent's non-secret user configuration.
    pub fn with_user_config_paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.user_config_paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the host environment variables forwarded to the agent's process.
    pub fn with_api_key_env<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.api_key_env = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a variable the agent's CLI needs in a sandbox (set on the container).
    ///
    /// ```
    /// use docksandbox::Agent;
    /// let a = Agent::custom("tool", "tool").with_env("TOOL_IN_CONTAINER", "1");
    /// assert_eq!(a.env, [("TOOL_IN_CONTAINER".to_string(), "1".to_string())]);
    /// ```
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets the template used when the spec names none.
    pub fn with_default_template(mut self, image: impl Into<String>) -> Self {
        self.default_template = image.into();
        self
    }

    /// Adds fallback programs tried after the first (like `sh` after `bash`).
    pub fn with_fallback_commands<I, S>(mut self, commands: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.command.extend(commands.into_iter().map(Into::into));
        self
    }

    /// The built-in agent called `name`, or `None`.
    ///
    /// ```
    /// assert_eq!(docksandbox::Agent::builtin("codex").unwrap().command, ["codex"]);
    /// assert!(docksandbox::Agent::builtin("nope").is_none());
    /// ```
    pub fn builtin(name: &str) -> Option<Agent> {
        Some(match name {
            "claude" => Claude.into(),
            "codex" => Codex.into(),
            "gemini" => Gemini.into(),
            "copilot" => Copilot.into(),
            "shell" => Shell.into(),
            _ => return None,
        })
    }

    /// Names of the built-in agents.
    pub const BUILTIN_NAMES: [&'static str; 5] = ["claude", "codex", "gemini", "copilot", "shell"];

    /// The built-in agent called `name`, or an [`Error::InvalidSpec`] listing the known ones.
    pub fn from_name(name: &str) -> Result<Agent> {
        Agent::builtin(name).ok_or_else(|| {
            Error::invalid(
                "agent",
                format!(
                    "unknown agent `{name}`; built-in agents are {} (or define a custom agent)",
                    Agent::BUILTIN_NAMES.join(", ")
                ),
            )
        })
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 32
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && self.name.as_bytes()[0].is_ascii_alphanumeric();
        if !name_ok {
            return Err(Error::invalid(
                "agent.name",
                format!(
                    "`{}` must be 1-32 characters of a-z, 0-9, `-` or `_`, starting with a letter or digit",
                    self.name.escape_debug()
                ),
            ));
        }
        if self.command.is_empty() || self.command.iter().any(|c| c.is_empty()) {
            return Err(Error::invalid("agent.command", "must name a program"));
        }
        let all = self
            .command
            .iter()
            .chain(&self.default_args)
            .chain(&self.credential_paths)
            .chain(&self.api_key_env);
        for s in all.chain(std::iter::once(&self.default_template)) {
            if s.contains('\0') {
                return Err(Error::invalid("agent", "contains a NUL byte"));
            }
        }
        for (field, p) in self
            .credential_paths
            .iter()
            .map(|p| ("agent.credential_paths", p))
            .chain(
                self.user_config_paths
                    .iter()
                    .map(|p| ("agent.user_config_paths", p)),
            )
        {
            if p.is_empty()
                || p.starts_with('/')
                || p.contains('\n')
                || p.split('/').any(|c| c == ".." || c == "." || c.is_empty())
            {
                return Err(Error::invalid(
                    field,
                    format!(
                        "`{}` must be a relative path inside the home directory, without `..`, `.` or empty parts",
                        p.escape_debug()
                    ),
                ));
            }
        }
        for k in &self.api_key_env {
            crate::model::validate::env_name(k, "agent.api_key_env")?;
        }
        for h in &self.network_hosts {
            crate::model::network_rule::parse_rule(h, "agent.network_hosts")?;
        }
        for (k, v) in &self.env {
            crate::model::validate::env_name(k, "agent.env")?;
            if v.contains('\0') {
                return Err(Error::invalid("agent.env", "a value contains a NUL byte"));
            }
        }
        Ok(())
    }
}

macro_rules! builtin_agent {
    ($(#[$doc:meta])* $ty:ident, $name:literal, [$($cmd:literal),+], [$($arg:literal),*], [$($cred:literal),*], [$($key:literal),*], [$($cfg:literal),*], [$($host:literal),*], $template:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $ty;

        impl From<$ty> for Agent {
            fn from(_: $ty) -> Agent {
                Agent {
                    name: $name.to_string(),
                    command: vec![$($cmd.to_string()),+],
                    default_args: vec![$($arg.to_string()),*],
                    credential_paths: vec![$($cred.to_string()),*],
                    api_key_env: vec![$($key.to_string()),*],
                    default_template: $template,
                    user_config_paths: vec![$($cfg.to_string()),*],
                    network_hosts: vec![$($host.to_string()),*],
                    secret_hosts: builtin_secret_hosts($name),
                    env: builtin_env($name),
                }
            }
        }
    };
}

builtin_agent!(
    /// Claude Code (`claude`), launched with `--dangerously-skip-permissions` as Docker Sandboxes does.
    Claude, "claude", ["claude"], ["--dangerously-skip-permissions"], [".claude", ".claude.json"], ["ANTHROPIC_API_KEY"],
    [".claude/CLAUDE.md", ".claude/settings.json", ".claude/commands", ".claude/agents"],
    ["api.anthropic.com", "claude.ai", "platform.claude.com", "console.anthropic.com", "statsig.anthropic.com", "sentry.io"], format!("docksandbox/{}:latest", "claude")
);
builtin_agent!(
    /// OpenAI Codex CLI (`codex`).
    Codex, "codex", ["codex"], ["--dangerously-bypass-approvals-and-sandbox"], [".codex"], ["OPENAI_API_KEY"],
    [".codex/AGENTS.md", ".codex/prompts"], ["api.openai.com", "chatgpt.com", "auth.openai.com"], format!("docksandbox/{}:latest", "codex")
);
builtin_agent!(
    /// Gemini CLI (`gemini`).
    Gemini, "gemini", ["gemini"], ["--yolo"], [".gemini"], ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    [".gemini/GEMINI.md", ".gemini/settings.json", ".gemini/commands"],
    ["generativelanguage.googleapis.com", "cloudcode-pa.googleapis.com", "oauth2.googleapis.com", "accounts.google.com"], format!("docksandbox/{}:latest", "gemini")
);
builtin_agent!(
    /// GitHub Copilot CLI (`copilot`).
    Copilot, "copilot", ["copilot"], ["--allow-all-tools"], [".copilot", ".config/gh"], ["GH_TOKEN", "GITHUB_TOKEN"],
    [".copilot/agents"],
    ["github.com", "api.github.com", "*.githubcopilot.com", "copilot-proxy.githubusercontent.com"], format!("docksandbox/{}:latest", "copilot")
);
builtin_agent!(
    /// A plain shell: `bash`, falling back to `sh`.
    Shell, "shell", ["bash", "sh"], [], [], [], [], [], BASE_TEMPLATE.to_string()
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_validate_and_round_trip() {
        for name in Agent::BUILTIN_NAMES {
            let a = Agent::from_name(name).unwrap();
            a.validate().unwrap();
            assert_eq!(a.name, name);
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Agent>(&json).unwrap(), a);
        }
        assert_eq!(Agent::from(Shell).command, ["bash", "sh"]);
        assert_eq!(Agent::from(Claude).api_key_env, ["ANTHROPIC_API_KEY"]);
    }

    #[test]
    fn bad_custom_agents_are_refused() {
        assert!(Agent::custom("Bad Name", "x").validate().is_err());
        assert!(Agent::custom("ok", "").validate().is_err());
        assert!(Agent::custom("ok", "x")
            .with_credential_paths(["../etc"])
            .validate()
            .is_err());
        assert!(Agent::custom("ok", "x")
            .with_api_key_env(["A=B"])
            .validate()
            .is_err());
        Agent::custom("aider", "aider").validate().unwrap();
    }
}
