//! Launching the sandbox's agent: finding its program in the template, its default
//! arguments, and its API keys forwarded from the host into that process only.

use crate::backend::ExecProcess;
use crate::error::{Error, Result};
use crate::model::secret::SecretMode;
use crate::model::validate;
use crate::sandbox::exec_options::ExecOptions;
use crate::sandbox::exec_output::ExecOutput;
use crate::sandbox::{Sandbox, TtySize};
use crate::templates::definition::Template;

impl Sandbox {
    /// The agent's full command line: its program (the first of its commands found in the
    /// template), its default args, then `args`. Fails with [`Error::AgentNotInstalled`].
    pub async fn agent_command(&self, args: &[String]) -> Result<Vec<String>> {
        validate::args(args)?;
        let program = self
            .inner
            .agent_program
            .get_or_try_init(|| self.find_agent_program())
            .await?;
        let agent = &self.inner.spec.agent;
        let mut cmd = vec![program.clone()];
        cmd.extend(agent.default_args.iter().cloned());
        cmd.extend(args.iter().cloned());
        Ok(cmd)
    }

    async fn find_agent_program(&self) -> Result<String> {
        let agent = &self.inner.spec.agent;
        let mut cmd = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            r#"for c; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; exit 0; }; done; exit 127"#.into(),
            "sh".into(),
        ];
        cmd.extend(agent.command.iter().cloned());
        let out = self.exec(cmd).await?;
        let found = out.stdout_str().trim().to_string();
        if out.exit_code == 0 && !found.is_empty() {
            Ok(found)
        } else {
            Err(Error::AgentNotInstalled {
                agent: agent.name.clone(),
                command: agent.command.join(" or "),
                image: self.inner.spec.template_image().to_string(),
                fix: match Template::for_agent(&agent.name) {
                    Some(t) => format!(
                        "Build the agent's template with `docksandbox template build {}` and run with `--template {}` (or without --template)",
                        agent.name, t.image
                    ),
                    None => "Use a template that installs it (pass --template)".to_string(),
                },
            })
        }
    }

    pub(crate) fn agent_options(&self, mut opts: ExecOptions) -> ExecOptions {
        let spec = &self.inner.spec;
        // A key the proxy adds stays out: the sandbox's variable holds its placeholder.
        let proxied = |k: &str| {
            spec.secrets
                .iter()
                .any(|s| s.name == k && s.effective_mode() == SecretMode::Proxy)
        };
        for key in &spec.agent.api_key_env {
            if proxied(key) {
                continue;
            }
            if let Ok(v) = std::env::var(key) {
                if !v.is_empty() && !opts.env.contains_key(key) {
                    opts.env.insert(key.clone(), v);
                }
            }
        }
        // `--secret-mode env`: the value itself, in the agent's process only.
        for (i, s) in spec.secrets.iter().enumerate() {
            if s.effective_mode() == SecretMode::Env && !opts.env.contains_key(&s.name) {
                if let Ok(v) = s.value(i) {
                    opts.env.insert(s.name.clone(), v);
                }
            }
        }
        opts
    }

    /// Runs the agent non-interactively with `args` and captures its output. The agent's
    /// API keys are forwarded from the host environment into this process only.
    pub async fn run_agent(&self, args: &[String], opts: ExecOptions) -> Result<ExecOutput> {
        let cmd = self.agent_command(args).await?;
        self.exec_with(cmd, self.agent_options(opts)).await
    }

    /// Starts the agent attached to stdin, with a terminal of `tty` size when given: what
    /// `docksandbox run AGENT` uses. API keys are forwarded as for [`Sandbox::run_agent`].
    pub async fn attach_agent(
        &self,
        args: &[String],
        opts: ExecOptions,
        tty: Option<TtySize>,
    ) -> Result<ExecProcess> {
        let cmd = self.agent_command(args).await?;
        self.exec_process(cmd, self.agent_options(opts), tty).await
    }
}
