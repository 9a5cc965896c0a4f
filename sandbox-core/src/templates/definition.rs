//! Template definitions: the images sandboxes run in, kept as data (Dockerfiles and
//! `templates.json` under `sandbox-core/templates/`), embedded in the library.
//!
//! A template's *definition hash* covers its Dockerfile, its build arguments and its parent's
//! definition hash: `run` rebuilds a template exactly when that hash differs from the one
//! stored on the image (label [`TEMPLATE_HASH`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::model::ca_bundle::CA_BUNDLE_ENV;

/// Image label: the template's name.
pub const TEMPLATE_NAME: &str = "docksandbox.template";
/// Image label: the definition hash the image was built from.
pub const TEMPLATE_HASH: &str = "docksandbox.template.hash";
/// Image label: hash of every build input (definition, FROM image id, CA bundle); an explicit
/// build is skipped when it matches.
pub const TEMPLATE_INPUTS: &str = "docksandbox.template.inputs";
/// Image label: the image the template was built FROM.
pub const TEMPLATE_BASE: &str = "docksandbox.template.base-image";

/// The registry image the `base` template is built FROM unless told otherwise.
pub const DEFAULT_BASE_IMAGE: &str = "debian:bookworm-slim";

/// Environment variable that, set to `1`, stops builds trusting the host's CA store.
pub const NO_HOST_CA_ENV: &str = "DOCKSANDBOX_NO_HOST_CA";

/// Where hosts keep their CA store (one PEM bundle), tried in order.
const HOST_CA_STORES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Environment variable naming the image the `base` template is built FROM.
pub const BASE_IMAGE_ENV: &str = "DOCKSANDBOX_BASE_IMAGE";

/// A built-in template.
///
/// ```
/// let claude = docksandbox::Template::builtin("claude").unwrap();
/// assert_eq!(claude.image, "docksandbox/claude:latest");
/// assert_eq!(claude.parent.as_deref(), Some("base"));
/// assert_eq!(claude.binary, "claude");
/// // The shell agent runs in the base template.
/// assert_eq!(docksandbox::Template::for_agent("shell").unwrap().name, "base");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// `base`, `claude`, `codex`, `gemini` or `copilot`.
    pub name: String,
    /// The image it is built into.
    pub image: String,
    /// File name of its Dockerfile under `templates/`.
    #[serde(rename = "dockerfile")]
    pub dockerfile_name: String,
    /// The template it is built FROM (`None`: built FROM the base image).
    pub parent: Option<String>,
    /// The program the template exists to provide (checked at the end of the build).
    pub binary: String,
    /// One line for `template ls`.
    pub description: String,
    /// Build arguments (versions, package names).
    pub args: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    templates: Vec<Template>,
}

static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    let table: Table = serde_json::from_str(include_str!("../../templates/templates.json"))
        .expect("templates/templates.json is valid (checked by a unit test)");
    table.templates
});

fn dockerfile_text(name: &str) -> &'static str {
    match name {
        "base.Dockerfile" => include_str!("../../templates/base.Dockerfile"),
        "agent.Dockerfile" => include_str!("../../templates/agent.Dockerfile"),
        other => panic!("templates.json names {other}, which is not embedded"),
    }
}

impl Template {
    /// Every built-in template, parents before children.
    pub fn all() -> &'static [Template] {
        &TEMPLATES
    }

    /// The built-in template called `name` (`shell` is an alias of `base`).
    pub fn builtin(name: &str) -> Option<&'static Template> {
        let name = if name == "shell" { "base" } else { name };
        TEMPLATES.iter().find(|t| t.name == name)
    }

    /// The template a built-in agent runs in by default.
    pub fn for_agent(agent: &str) -> Option<&'static Template> {
        Template::builtin(agent)
    }

    /// The built-in template that builds `image`, if any.
    pub fn for_image(image: &str) -> Option<&'static Template> {
        TEMPLATES.iter().find(|t| t.image == image)
    }

    /// The Dockerfile's text.
    pub fn dockerfile(&self) -> &'static str {
        dockerfile_text(&self.dockerfile_name)
    }

    /// The parent template, if any.
    pub fn parent_template(&self) -> Option<&'static Template> {
        self.parent.as_deref().and_then(Template::builtin)
    }

    /// The chain to build for this template: its ancestors first, itself last.
    pub fn chain(&'static self) -> Vec<&'static Template> {
        let mut chain = vec![self];
        while let Some(p) = chain.last().and_then(|t| t.parent_template()) {
            chain.push(p);
        }
        chain.reverse();
        chain
    }

    /// Hash of the definition: Dockerfile, build arguments, and the parent's definition hash.
    pub fn definition_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update([0]);
        h.update(self.dockerfile().as_bytes());
        for (k, v) in &self.args {
            h.update([0]);
            h.update(k.as_bytes());
            h.update([b'=']);
            h.update(v.as_bytes());
        }
        if let Some(p) = self.parent_template() {
            h.update([0]);
            h.update(p.definition_hash().as_bytes());
        }
        hex16(&h.finalize())
    }
}

pub(crate) fn hex16(digest: &[u8]) -> String {
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// How templates are built: the image `base` is built FROM and an optional CA bundle.
///
/// ```
/// let opts = docksandbox::TemplateBuildOptions::default().with_base_image("docksandbox/debian:bookworm");
/// assert_eq!(opts.base_image(), "docksandbox/debian:bookworm");
/// assert_eq!(docksandbox::TemplateBuildOptions::default().base_image(), docksandbox::DEFAULT_BASE_IMAGE);
/// let boot = docksandbox::TemplateBuildOptions { bootstrap: true, ..Default::default() };
/// assert_eq!(boot.base_image(), docksandbox::BOOTSTRAP_IMAGE);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateBuildOptions {
    /// The image `base` is built FROM; [`DEFAULT_BASE_IMAGE`] when `None`.
    pub base_image: Option<String>,
    /// A PEM bundle of CA certificates trusted during the build (and copied into `base`);
    /// `None`: the host's own CA store (see [`TemplateBuildOptions::build_ca_bundle`]).
    pub ca_bundle: Option<PathBuf>,
    /// Do not trust the host's CA store during builds (only [`Self::ca_bundle`], if set).
    pub no_host_ca: bool,
    /// Build every step again, ignoring the engine's layer cache.
    pub no_cache: bool,
    /// Build even when the image is up to date.
    pub force: bool,
    /// When the base image is missing, produce it from Debian's packages with debootstrap
    /// (see [`crate::Client::bootstrap_base_image`]); the base image is then
    /// [`crate::BOOTSTRAP_IMAGE`] unless one is named.
    pub bootstrap: bool,
}

impl TemplateBuildOptions {
    /// Options from the environment: [`BASE_IMAGE_ENV`], [`CA_BUNDLE_ENV`] and
    /// [`NO_HOST_CA_ENV`].
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        TemplateBuildOptions {
            base_image: var(BASE_IMAGE_ENV),
            ca_bundle: var(CA_BUNDLE_ENV).map(PathBuf::from),
            no_host_ca: var(NO_HOST_CA_ENV).is_some_and(|v| v != "0"),
            ..Default::default()
        }
    }

    /// Sets the image `base` is built FROM.
    pub fn with_base_image(mut self, image: impl Into<String>) -> Self {
        self.base_image = Some(image.into());
        self
    }

    /// Sets the CA bundle.
    pub fn with_ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// The CA bundle a build trusts: [`Self::ca_bundle`] when set, else (unless
    /// [`Self::no_host_ca`]) the host's own store — `SSL_CERT_FILE`, then Debian's, Fedora's
    /// and Alpine's paths — so that a build behind a TLS-inspecting proxy the host trusts
    /// (npm, apt) works as on the host.
    ///
    /// ```
    /// let o = docksandbox::TemplateBuildOptions { no_host_ca: true, ..Default::default() };
    /// assert_eq!(o.build_ca_bundle(), None);
    /// let o = docksandbox::TemplateBuildOptions::default().with_ca_bundle("/my/ca.pem");
    /// assert_eq!(o.build_ca_bundle(), Some("/my/ca.pem".into()));
    /// ```
    pub fn build_ca_bundle(&self) -> Option<PathBuf> {
        if let Some(p) = &self.ca_bundle {
            return Some(p.clone());
        }
        if self.no_host_ca {
            return None;
        }
        let env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        env.into_iter()
            .chain(HOST_CA_STORES.iter().map(PathBuf::from))
            .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0))
    }

    /// The image `base` is built FROM.
    pub fn base_image(&self) -> &str {
        match (&self.base_image, self.bootstrap) {
            (Some(b), _) => b,
            (None, true) => crate::templates::bootstrap::BOOTSTRAP_IMAGE,
            (None, false) => DEFAULT_BASE_IMAGE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_consistent() {
        let names: Vec<&str> = Template::all().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["base", "claude", "codex", "gemini", "copilot"]);
        for t in Template::all() {
            assert!(!t.dockerfile().is_empty());
            if let Some(p) = &t.parent {
                let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
                assert!(pos(p) < pos(&t.name), "parents come first");
            }
            let agent = crate::model::agent::Agent::builtin(if t.name == "base" {
                "shell"
            } else {
                &t.name
            })
            .unwrap();
            assert_eq!(agent.default_template, t.image, "agent and template agree");
        }
        assert_eq!(Template::builtin("codex").unwrap().chain().len(), 2);
    }

    #[test]
    fn definition_hash_follows_the_parent() {
        let base = Template::builtin("base").unwrap();
        let claude = Template::builtin("claude").unwrap();
        assert_eq!(claude.definition_hash(), claude.definition_hash());
        assert_ne!(claude.definition_hash(), base.definition_hash());
        let mut changed = claude.clone();
        changed.args.insert("PACKAGE".into(), "other".into());
        assert_ne!(changed.definition_hash(), claude.definition_hash());
    }
}
