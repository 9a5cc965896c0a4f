//! The command line as clap parses it: names, flags and help texts, nothing else. What the
//! values mean is decided by the core (`docksandbox::RunRequest` and friends).

use clap::{Args, Parser, Subcommand};

/// Run AI coding agents in isolated Docker containers, with your project mounted at the same
/// absolute path.
#[derive(Debug, Parser)]
#[command(
    name = "docksandbox",
    disable_version_flag = true,
    after_help = "SANDBOX is a name, an id or a unique id prefix (see `docksandbox ls`)."
)]
pub struct Cli {
    /// Print debug output on stderr (engine requests, error details)
    #[arg(short = 'D', long, global = true, help_heading = "Global options")]
    pub debug: bool,

    /// Docker engine to use (unix:///path, tcp://host:port, ssh://user@host) [default: --engine, DOCKER_HOST, DOCKER_CONTEXT, the docker CLI's current context, else the local socket]
    #[arg(
        short = 'H',
        long,
        global = true,
        value_name = "HOST",
        help_heading = "Global options"
    )]
    pub host: Option<String>,

    /// Docker context to use, by name, from the docker CLI's contexts (`docker context ls`; TLS certificates included)
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help_heading = "Global options"
    )]
    pub engine: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create (or reuse) the sandbox for a workspace and run an agent in it.
    Run(Box<RunArgs>),
    /// List sandboxes.
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Show everything known about sandboxes, as a JSON array.
    Inspect(InspectArgs),
    /// Remove sandboxes (credentials volumes are kept).
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Stop sandboxes (`run` starts them again).
    Stop(StopArgs),
    /// Remove stopped sandboxes and those whose workspace is gone (and, when asked, unused images and credentials volumes)
    Prune(PruneArgs),
    /// Run a command in a running sandbox.
    Exec(ExecArgs),
    /// Build and list templates (the images sandboxes run in).
    Template(TemplateArgs),
    /// Show and change what a sandbox can reach, and its connection log.
    Network(NetworkArgs),
    /// Show what the agent changed: a branch sandbox's branch against its base (commits and uncommitted changes), or a review-mode sandbox's kept writes.
    Diff(DiffArgs),
    /// Show a branch sandbox's commits that its base does not have.
    Log(BranchLogArgs),
    /// Merge a branch sandbox's branch into your checked-out branch (or --into) with git on the host: fast-forward when it can; refused on a conflict or when your uncommitted changes touch the same files.
    Merge(MergeArgs),
    /// Copy a review-mode sandbox's changes onto the host workspace.
    Apply(ApplyArgs),
    /// Drop a review-mode sandbox's changes.
    Discard(DiscardArgs),
    /// Find (and disable) files in a workspace through which the host would run programs.
    Guard(GuardArgs),
    /// Show a sandbox's published ports, or publish another one while it runs (`port add`).
    Port(PortArgs),
    /// Show what detached sessions (`run -d AGENT ARGS…`) printed.
    Logs(LogsArgs),
    /// Show what sandboxes use: CPU, memory (now / limit, peak), processes, network bytes.
    Stats(StatsArgs),
    /// Save a sandbox's file system (what was installed; not the workspace or credentials) as a template: `run -t TEMPLATE` starts from it.
    Save(SaveArgs),
    /// Remove ephemeral sandboxes whose session died and those past their --ttl; stop those idle past their --idle-stop (every run, ls and exec does this too; run this from a timer).
    Gc,
    /// Keep throwaway sandboxes of one spec created and started by a server in the background, and hand them out (`pool take`).
    Pool(PoolArgs),
    /// Serve the Model Context Protocol (stdio, or Streamable HTTP with --http): MCP clients create sandboxes and run commands and file operations in them, within --root.
    Mcp(McpArgs),
    /// Show the version.
    Version,
    /// Print a shell completion script.
    Completion(CompletionArgs),
}

/// `docksandbox run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Everything after AGENT goes to the agent unchanged:\n  docksandbox run claude --continue\n  docksandbox run shell -c 'echo hi'"
)]
pub struct RunArgs {
    /// Workspace directory, mounted at the same absolute path [default: the current directory]
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workspace: Option<String>,

    /// Set a container environment variable (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Mount a host path (repeatable)
    #[arg(short = 'v', long = "volume", value_name = "HOST:CTR[:ro|:readonly]")]
    pub volumes: Vec<String>,

    /// Template image [default: the agent's]
    #[arg(short = 't', long, value_name = "IMAGE")]
    pub template: Option<String>,

    /// Mount the Docker socket: this gives the agent control of the Docker engine (the same as --docker host)
    #[arg(long)]
    pub mount_docker_socket: bool,

    /// Docker inside the sandbox: none; scoped (a filtered engine: the agent builds and runs containers of its own, binds only from the workspace, nothing privileged); host (the engine itself: root on the host) [default: none]
    #[arg(long, value_name = "none|scoped|host")]
    pub docker: Option<String>,

    /// Where the agent's login lives: sandbox (a volume shared by the agent's sandboxes) or none [default: sandbox]
    #[arg(long, value_name = "sandbox|none")]
    pub credentials: Option<String>,

    /// Sandbox (container) name [default: derived from the workspace and agent]
    #[arg(long)]
    pub name: Option<String>,

    /// Create or reuse and start the sandbox and print its name; with agent arguments, also start the agent with them in the background (its output: `docksandbox logs`)
    #[arg(short = 'd', long)]
    pub detached: bool,

    /// A fresh sandbox, removed when the session ends (also when this command is killed: the next docksandbox command removes it)
    #[arg(long = "rm", conflicts_with = "detached")]
    pub remove: bool,

    /// Remove the sandbox this long after it is made (90s, 30m, 2h, 7d, 1h30m)
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,

    /// Stop the sandbox after this long without an exec or attached session; the next run or exec starts it again
    #[arg(long, value_name = "DURATION")]
    pub idle_stop: Option<String>,

    /// Work on this branch of the workspace's repository, in its own worktree beside the repository (made from HEAD, or --from, when new); one sandbox per repository, branch and agent
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,

    /// With --branch: what a new branch starts from (a branch, tag or commit) [default: HEAD]
    #[arg(long = "from", value_name = "REF", requires = "branch")]
    pub branch_from: Option<String>,

    /// Print no progress messages
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Replace the sandbox when the requested configuration differs from the stored one
    #[arg(long)]
    pub recreate: bool,

    /// CPU limit
    #[arg(long, value_name = "N")]
    pub cpus: Option<f64>,

    /// Memory limit (512m, 2g, or bytes)
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,

    /// Process limit
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub pids_limit: Option<i64>,

    /// Network: proxy (alone behind an egress proxy that applies the policy; the default), bridge (open, including this host and the LAN) or none
    #[arg(long, value_name = "proxy|bridge|none")]
    pub network: Option<String>,

    /// Allow a host through the proxy: HOST, *.DOMAIN, HOST:PORT, IP[:PORT] or CIDR (repeatable)
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// Refuse a host through the proxy (repeatable; the more specific rule wins, deny wins ties)
    #[arg(long = "deny-host", value_name = "HOST")]
    pub deny_hosts: Vec<String>,

    /// What the proxy does with connections no rule decides [default: allow]
    #[arg(long, value_name = "allow|deny")]
    pub network_policy: Option<String>,

    /// Allow a preset's hosts: agent, github, registries, or one of your presets (repeatable)
    #[arg(long = "allow-preset", value_name = "NAME")]
    pub allow_presets: Vec<String>,

    /// Resolve NAME to IP in the proxy instead of asking DNS (repeatable)
    #[arg(long = "add-host", value_name = "NAME:IP")]
    pub add_hosts: Vec<String>,

    /// PEM bundle of extra CA certificates (TLS-inspecting proxies), mounted into the sandbox and used to build its template [default: DOCKSANDBOX_CA_BUNDLE]
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<String>,

    /// How the workspace is shared: rw (read-write), ro (read-only; see --writable) or review (writes kept aside until `docksandbox apply`) [default: rw]
    #[arg(long, value_name = "rw|ro|review")]
    pub workspace_mode: Option<String>,

    /// With --workspace-mode ro: a directory inside the workspace that stays writable, e.g. target (repeatable)
    #[arg(long = "writable", value_name = "DIR")]
    pub writable: Vec<String>,

    /// A secret kept on this host: NAME (value from this host's variable NAME) or NAME=@FILE; the sandbox's NAME holds a placeholder the egress proxy replaces in requests to the secret's hosts only (repeatable)
    #[arg(long = "secret", value_name = "NAME[=@FILE]")]
    pub secrets: Vec<String>,

    /// Where a --secret may go: host names or *.domain (repeatable)
    #[arg(long = "secret-host", value_name = "NAME=HOST[,HOST]")]
    pub secret_hosts: Vec<String>,

    /// How --secret values reach the sandbox: proxy (a placeholder inside, the value added on the way out) or env (the value in the agent's environment: any process there can read it) [default: proxy]
    #[arg(long, value_name = "proxy|env")]
    pub secret_mode: Option<String>,

    /// Publish a port of the sandbox on this host; bound to 127.0.0.1 unless HOST_IP is written out, a free host port unless HOST_PORT is given (repeatable)
    #[arg(
        short = 'p',
        long = "publish",
        value_name = "[HOST_IP:][HOST_PORT:]PORT[/tcp|udp]"
    )]
    pub ports: Vec<String>,

    /// Leave the repository's hooks and config writable inside (the git guard mounts them read-only, so nothing the agent writes there runs at your next `git`)
    #[arg(long)]
    pub no_git_guard: bool,

    /// Share your non-secret agent configuration (e.g. ~/.claude/CLAUDE.md, settings.json, commands/, agents/) read-only
    #[arg(long)]
    pub share_agent_config: bool,

    /// Add a container label (for tooling and tests)
    #[arg(long = "label", value_name = "KEY=VALUE", hide = true)]
    pub labels: Vec<String>,

    // One list, so that nothing after AGENT is taken for a `run` flag.
    /// The agent (claude, codex, gemini, copilot or shell), then its arguments
    #[arg(
        value_name = "AGENT",
        value_names = ["AGENT", "AGENT_ARGS"],
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    agent_and_args: Vec<String>,
}

impl RunArgs {
    /// The agent's name.
    pub fn agent(&self) -> &str {
        self.agent_and_args.first().map_or("", String::as_str)
    }

    /// Everything after the agent, unchanged.
    pub fn agent_args(&self) -> &[String] {
        self.agent_and_args.get(1..).unwrap_or_default()
    }
}

/// `docksandbox ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Only print sandbox ids
    #[arg(short = 'q', long, conflicts_with = "json")]
    pub quiet: bool,

    /// Print a JSON array (the objects `inspect` prints)
    #[arg(long)]
    pub json: bool,

    /// Do not cut long names, templates and workspaces to fit 80 columns
    #[arg(long)]
    pub no_trunc: bool,
}

/// `docksandbox logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing what comes, until the sandbox stops
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only what came since: a duration back from now (10m, 2h), a Unix time or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// The sandbox
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,
}

/// `docksandbox stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print a JSON array, one object per sandbox
    #[arg(long)]
    pub json: bool,
    /// Sandboxes
    #[arg(value_name = "SANDBOX", required = true)]
    pub sandboxes: Vec<String>,
}

/// `docksandbox save`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  docksandbox save my-sandbox my-tools:v1 && docksandbox run -t my-tools:v1 claude"
)]
pub struct SaveArgs {
    /// The sandbox
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,
    /// The image to make
    #[arg(value_name = "TEMPLATE[:TAG]")]
    pub template: String,
}

/// `docksandbox port`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  docksandbox port my-sandbox\n  docksandbox port my-sandbox 3000\n  docksandbox port add my-sandbox 5173\n  docksandbox port add my-sandbox 127.0.0.1:8080:8080"
)]
pub struct PortArgs {
    #[command(subcommand)]
    pub command: Option<PortCommand>,

    /// The sandbox
    #[arg(value_name = "SANDBOX", required = true)]
    pub sandbox: Option<String>,

    /// Only this port of the sandbox: print the host address it is reached at
    #[arg(value_name = "PORT[/tcp|udp]")]
    pub port: Option<String>,
}

/// The `port` subcommands.
#[derive(Debug, Subcommand)]
pub enum PortCommand {
    /// Publish a port of a running sandbox without recreating it (a forwarder beside it, removed with it)
    Add {
        /// The sandbox
        #[arg(value_name = "SANDBOX")]
        sandbox: String,
        /// The port, as with `run -p`
        #[arg(value_name = "[HOST_IP:][HOST_PORT:]PORT")]
        port: String,
    },
}

/// `docksandbox inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Sandboxes to inspect
    #[arg(value_name = "SANDBOX", required = true)]
    pub sandboxes: Vec<String>,
}

/// `docksandbox rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Running sandboxes are stopped and removed anyway; for a branch sandbox, also drop its worktree's uncommitted changes and (with --delete-branch) an unmerged branch
    #[arg(short = 'f', long)]
    pub force: bool,

    /// A branch sandbox's branch goes too (refused when its base has not merged it, unless --force)
    #[arg(long)]
    pub delete_branch: bool,

    /// Remove every sandbox
    #[arg(long, conflicts_with = "sandboxes")]
    pub all: bool,

    /// Also remove the named volumes the agent made through scoped Docker access (its
    /// containers, networks and anonymous volumes always go with the sandbox)
    #[arg(long)]
    pub volumes: bool,

    /// Sandboxes to remove
    #[arg(value_name = "SANDBOX", required_unless_present = "all")]
    pub sandboxes: Vec<String>,
}

/// `docksandbox prune`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  docksandbox prune -f\n  docksandbox prune --dry-run --images\n  docksandbox prune -f --filter since=24h"
)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,

    /// Only sandboxes created at least this long ago: since=DURATION (90s, 30m, 24h, 7d)
    #[arg(long = "filter", value_name = "since=DURATION")]
    pub filters: Vec<String>,

    /// Print what would be removed and remove nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Also remove docksandbox's images that no container uses
    #[arg(long)]
    pub images: bool,

    /// Also remove the agents' credentials volumes (their logins) that no sandbox uses
    #[arg(long)]
    pub volumes: bool,
}

/// `docksandbox stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Sandboxes to stop
    #[arg(value_name = "SANDBOX", required = true)]
    pub sandboxes: Vec<String>,
}

/// `docksandbox exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Keep stdin open and forward it to the command
    #[arg(short = 'i', long)]
    pub interactive: bool,

    /// Allocate a terminal
    #[arg(short = 't', long)]
    pub tty: bool,

    /// Set an environment variable (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Working directory [default: the workspace]
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,

    /// User (name or uid[:gid]) [default: the workspace owner]
    #[arg(short = 'u', long)]
    pub user: Option<String>,

    // One list, so that nothing after SANDBOX is taken for an `exec` flag (like docker).
    /// The sandbox, then the command and its arguments
    #[arg(
        value_name = "SANDBOX",
        value_names = ["SANDBOX", "CMD"],
        required = true,
        num_args = 2..,
        trailing_var_arg = true
    )]
    sandbox_and_command: Vec<String>,
}

impl ExecArgs {
    /// The sandbox reference.
    pub fn sandbox(&self) -> &str {
        self.sandbox_and_command.first().map_or("", String::as_str)
    }

    /// The command line to run.
    pub fn command(&self) -> &[String] {
        self.sandbox_and_command.get(1..).unwrap_or_default()
    }
}

/// `docksandbox diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The sandbox
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,

    /// One line per changed path (A added, M modified, D deleted, R renamed) and a count
    #[arg(long)]
    pub stat: bool,

    /// Print the changes as a JSON array (path, kind, from, entry, old_mode, new_mode, size, binary)
    #[arg(long, conflicts_with = "stat")]
    pub json: bool,

    /// Only changes under these paths
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

/// `docksandbox apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The sandbox
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,

    /// Show what would be applied, change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Apply even over host files that changed since the sandbox saw them
    #[arg(long)]
    pub force: bool,

    /// Apply changes through which the host would run programs (git hooks and config, .envrc, editor tasks)
    #[arg(long)]
    pub allow_exec_vectors: bool,

    /// Only changes under these paths [default: all]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

/// `docksandbox discard`.
#[derive(Debug, Args)]
pub struct DiscardArgs {
    /// The sandbox
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,

    /// Only changes under these paths [default: all]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

/// `docksandbox guard`.
#[derive(Debug, Args)]
pub struct GuardArgs {
    #[command(subcommand)]
    pub command: GuardCommand,
}

/// The `guard` subcommands.
#[derive(Debug, Subcommand)]
pub enum GuardCommand {
    /// Report git hooks, git config and attribute drivers, .envrc and VS Code tasks/settings that appeared or changed since the workspace's sandbox was made
    Check {
        /// The workspace [default: the current directory]
        #[arg(value_name = "WORKSPACE")]
        workspace: Option<String>,
        /// Disable what was found (hooks renamed *.disabled, keys removed with a backup kept)
        #[arg(long)]
        fix: bool,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

/// `docksandbox completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn everything_after_the_agent_goes_to_the_agent() {
        let cli = Cli::parse_from(["docksandbox", "run", "-q", "shell", "-d", "-c", "echo hi"]);
        let Command::Run(r) = cli.command else {
            panic!("not run")
        };
        assert!(r.quiet && !r.detached);
        assert_eq!(r.agent(), "shell");
        assert_eq!(r.agent_args(), ["-d", "-c", "echo hi"]);
        assert!(Cli::try_parse_from(["docksandbox", "run", "--bogus", "shell"]).is_err());

        let cli = Cli::parse_from(["docksandbox", "exec", "-i", "box", "sh", "-c", "exit 3"]);
        let Command::Exec(e) = cli.command else {
            panic!("not exec")
        };
        assert_eq!((e.sandbox(), e.interactive), ("box", true));
        assert_eq!(e.command(), ["sh", "-c", "exit 3"]);
        let cli = Cli::parse_from(["docksandbox", "exec", "box", "-t", "--", "x"]);
        let Command::Exec(e) = cli.command else {
            panic!("not exec")
        };
        assert!(!e.tty);
        assert_eq!(e.command(), ["-t", "--", "x"]);
    }
}

/// `docksandbox template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    #[command(subcommand)]
    pub command: TemplateCommand,
}

/// The template subcommands.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Build a built-in template (and the base it is built FROM), or your own Dockerfile
    Build(TemplateBuildArgs),
    /// List the built-in templates and whether their images are built
    #[command(visible_alias = "list")]
    Ls,
}

/// `docksandbox template build`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  docksandbox template build claude\n  docksandbox template build claude --bootstrap --ca-bundle /etc/ssl/certs/ca-certificates.crt\n  docksandbox template build -f Dockerfile -t my/agent:latest ."
)]
pub struct TemplateBuildArgs {
    /// A built-in template (claude, codex, gemini, copilot, shell); with -f, the build context directory [default: .]
    #[arg(value_name = "AGENT|DIR", required_unless_present = "file")]
    pub target: Option<String>,

    /// Build this Dockerfile instead of a built-in template (needs -t)
    #[arg(
        short = 'f',
        long = "file",
        value_name = "DOCKERFILE",
        requires = "tag"
    )]
    pub file: Option<String>,

    /// The image to build with -f
    #[arg(short = 't', long, value_name = "TAG", requires = "file")]
    pub tag: Option<String>,

    /// The image the base template is built FROM [default: DOCKSANDBOX_BASE_IMAGE, else debian:bookworm-slim]
    #[arg(long, value_name = "IMAGE")]
    pub base_image: Option<String>,

    /// PEM bundle of CA certificates trusted during the build [default: DOCKSANDBOX_CA_BUNDLE, else the host's own CA store]
    #[arg(long, value_name = "FILE", conflicts_with = "no_host_ca")]
    pub ca_bundle: Option<String>,

    /// Do not trust the host's CA store during the build [env: DOCKSANDBOX_NO_HOST_CA=1]
    #[arg(long)]
    pub no_host_ca: bool,

    /// Produce the base image from Debian's packages with debootstrap (needs root) instead of pulling it (done anyway when no registry answers)
    #[arg(long)]
    pub bootstrap: bool,

    /// Do not use the engine's layer cache
    #[arg(long)]
    pub no_cache: bool,

    /// Build even when the image is up to date
    #[arg(long)]
    pub force: bool,

    /// Print no progress messages
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `docksandbox network`.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    #[command(subcommand)]
    pub command: NetworkCommand,
}

/// The `network` subcommands: changes apply at once, without a restart, and last.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Allow hosts (HOST, *.DOMAIN, HOST:PORT, IP[:PORT], CIDR)
    Allow {
        /// The sandbox
        #[arg(value_name = "SANDBOX")]
        sandbox: String,
        /// Hosts to allow
        #[arg(value_name = "HOST", required = true)]
        hosts: Vec<String>,
    },
    /// Refuse hosts
    Deny {
        /// The sandbox
        #[arg(value_name = "SANDBOX")]
        sandbox: String,
        /// Hosts to refuse
        #[arg(value_name = "HOST", required = true)]
        hosts: Vec<String>,
    },
    /// Set what happens to connections no rule decides
    Policy {
        /// The sandbox
        #[arg(value_name = "SANDBOX")]
        sandbox: String,
        /// allow or deny
        #[arg(value_name = "allow|deny")]
        default: String,
    },
    /// Show the rules in force (presets expanded)
    Show {
        /// The sandbox
        #[arg(value_name = "SANDBOX")]
        sandbox: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show the connection log: one line per connection
    Log {
        /// The sandbox
        #[arg(value_name = "SANDBOX")]
        sandbox: String,
        /// Follow new connections
        #[arg(short = 'f', long)]
        follow: bool,
        /// Print JSON lines
        #[arg(long)]
        json: bool,
        /// Only refused connections
        #[arg(long)]
        denied: bool,
    },
}

/// `docksandbox log`.
#[derive(Debug, Args)]
pub struct BranchLogArgs {
    /// The branch sandbox (its name, or its branch)
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,
}

/// `docksandbox merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The branch sandbox (its name, or its branch)
    #[arg(value_name = "SANDBOX")]
    pub sandbox: String,

    /// One new commit with the branch's changes instead of its commits
    #[arg(long)]
    pub squash: bool,

    /// The branch to merge into [default: the one the repository has checked out]
    #[arg(long, value_name = "BRANCH")]
    pub into: Option<String>,
}

/// `docksandbox mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Serve Streamable HTTP at ADDR (127.0.0.1:PORT) instead of stdio; a bearer token is printed and required
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,

    /// Let --http listen on an address other than loopback
    #[arg(long, requires = "http")]
    pub listen_any: bool,

    /// A directory clients may make sandboxes in (repeatable) [default: the current directory]
    #[arg(long = "root", value_name = "DIR")]
    pub roots: Vec<String>,

    /// A template clients may use (repeatable) [default: any]
    #[arg(long = "template", value_name = "IMAGE")]
    pub templates: Vec<String>,

    /// At most this many sandboxes under the roots [default: no limit]
    #[arg(long, value_name = "N")]
    pub max_sandboxes: Option<usize>,

    /// The network clients' sandboxes get, and the most they may ask for: proxy (the default), none or bridge
    #[arg(long, value_name = "proxy|bridge|none")]
    pub network: Option<String>,

    /// What their proxy does with connections no rule decides [default: allow]
    #[arg(long, value_name = "allow|deny")]
    pub network_policy: Option<String>,

    /// A host their proxy allows, and that clients may ask for (repeatable)
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// A host their proxy refuses, whatever clients ask (repeatable)
    #[arg(long = "deny-host", value_name = "HOST")]
    pub deny_hosts: Vec<String>,

    /// Let clients ask for more network than the above, and widen a running sandbox's (the sandbox_network_allow tool)
    #[arg(long)]
    pub allow_policy_changes: bool,
}

/// `docksandbox pool`.
#[derive(Debug, Args)]
pub struct PoolArgs {
    #[command(subcommand)]
    pub command: PoolCommand,
}

/// `docksandbox pool start|take|status|stop`.
#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Start a pool's server in the background; returns once its sandboxes are ready.
    Start(PoolStartArgs),
    /// Hand out one of a pool's sandboxes, running, to you alone: prints its name (then `docksandbox exec NAME …`; `docksandbox rm NAME`, or `pool stop`, removes it).
    Take(PoolNameArgs),
    /// Show how many of a pool's sandboxes are ready, starting and taken (every pool's without NAME).
    Status(PoolStatusArgs),
    /// Stop a pool: its server ends and every sandbox of the pool, taken or not, is removed.
    Stop(PoolNameArgs),
    /// The pool's server (what `pool start` runs in the background).
    #[command(hide = true)]
    Serve(PoolStartArgs),
}

/// `docksandbox pool start`.
#[derive(Debug, Args)]
pub struct PoolStartArgs {
    /// The pool's name (its sandboxes are NAME-xxxxxx)
    pub name: String,

    /// How many sandboxes it keeps ready
    #[arg(long, default_value_t = 4)]
    pub size: usize,

    /// The agent profile of its sandboxes (claude, codex, gemini, copilot or shell)
    #[arg(long, default_value = "shell")]
    pub agent: String,

    /// Template image [default: the agent's]
    #[arg(short = 't', long, value_name = "IMAGE")]
    pub template: Option<String>,

    /// Set a container environment variable (repeatable)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Network: proxy (the default), bridge or none
    #[arg(long, value_name = "proxy|bridge|none")]
    pub network: Option<String>,

    /// Allow a host through the proxy (repeatable)
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// Refuse a host through the proxy (repeatable)
    #[arg(long = "deny-host", value_name = "HOST")]
    pub deny_hosts: Vec<String>,

    /// What the proxy does with connections no rule decides [default: allow]
    #[arg(long, value_name = "allow|deny")]
    pub network_policy: Option<String>,

    /// CPU limit of each sandbox
    #[arg(long, value_name = "N")]
    pub cpus: Option<f64>,

    /// Memory limit of each sandbox (512m, 2g, or bytes)
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,

    /// Process limit of each sandbox
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub pids_limit: Option<i64>,

    /// Add a container label (for tooling and tests)
    #[arg(long = "label", value_name = "KEY=VALUE", hide = true)]
    pub labels: Vec<String>,
}

/// `docksandbox pool take|stop NAME`.
#[derive(Debug, Args)]
pub struct PoolNameArgs {
    /// The pool's name
    pub name: String,
}

/// `docksandbox pool status [NAME]`.
#[derive(Debug, Args)]
pub struct PoolStatusArgs {
    /// The pool's name [default: every pool]
    pub name: Option<String>,

    /// Print JSON
    #[arg(long)]
    pub json: bool,
}
