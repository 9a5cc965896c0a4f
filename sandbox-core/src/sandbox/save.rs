//! Saving a sandbox as a template: its file system (what the agent installed, never the
//! workspace or the credentials volume: those are mounts, which an export leaves out), paused
//! while it is read, imported as a local image with the configuration of the template it came
//! from (so neither the spec's environment nor a secret's placeholder is baked in), labelled
//! with its source.

use crate::backend::SandboxStatus;
use crate::error::{Error, Result};
use crate::model::label_keys::{AGENT, SAVED_FROM};
use crate::model::paths::SESSION_LOG;
use crate::model::validate;
use crate::sandbox::exec_options::ExecOptions;
use crate::sandbox::Sandbox;

/// `"…"` for a Dockerfile instruction's value.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Sandbox {
    /// Saves the sandbox's file system as the local image `template` (`NAME[:TAG]`) and
    /// returns its id; `run` with that template starts from it, with everything installed.
    /// The sandbox is paused while it is read.
    ///
    /// ```no_run
    /// # async fn f(sb: &docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// sb.exec(["sh", "-c", "pip install ruff"]).await?;
    /// let id = sb.save("my-tools:v1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn save(&self, template: &str) -> Result<String> {
        validate::image_name(template, "template")?;
        let backend = self.inner.backend.as_ref();
        let source = self.inner.spec.template_image().to_string();
        let config = backend.image(&source).await?;
        let mut changes = Vec::new();
        if let Some(c) = &config {
            for e in &c.env {
                if let Some((k, v)) = e.split_once('=') {
                    changes.push(format!("ENV {k}={}", quoted(v)));
                }
            }
            if !c.entrypoint.is_empty() {
                changes.push(format!("ENTRYPOINT {}", serde_json::json!(c.entrypoint)));
            }
            if !c.cmd.is_empty() {
                changes.push(format!("CMD {}", serde_json::json!(c.cmd)));
            }
            if !c.working_dir.is_empty() {
                changes.push(format!("WORKDIR {}", c.working_dir));
            }
            if !c.user.is_empty() {
                changes.push(format!("USER {}", c.user));
            }
        }
        changes.push(format!(
            "LABEL {}={} {}={} docksandbox.saved-template={}",
            quoted(SAVED_FROM),
            quoted(&self.inner.name),
            quoted(AGENT),
            quoted(&self.inner.spec.agent.name),
            quoted(&source)
        ));
        let status = backend.inspect(&self.inner.id).await?.summary.status;
        let paused = status == SandboxStatus::Running;
        if paused {
            // What detached sessions printed is in the engine's log already; not in the image.
            let _ = self
                .exec_with(
                    ["sh", "-c", &format!(": > {SESSION_LOG}")],
                    ExecOptions::default().user("0:0"),
                )
                .await;
            backend.pause(&self.inner.id).await?;
        }
        let saved = async {
            let rootfs = backend.export(&self.inner.id).await?;
            backend.import(template, &changes, rootfs).await
        }
        .await;
        if paused {
            if let Err(e) = backend.unpause(&self.inner.id).await {
                tracing::warn!(error = %e, "could not unpause sandbox `{}`", self.inner.name);
            }
        }
        saved.map_err(|e| match e {
            Error::BootstrapFailed { reason, .. } => Error::Engine {
                status: 500,
                message: format!("saving `{}` as {template}: {reason}", self.inner.name),
            },
            e => e,
        })?;
        Ok(backend
            .image(template)
            .await?
            .map(|i| i.id)
            .unwrap_or_default())
    }
}
