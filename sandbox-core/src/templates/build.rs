//! Building templates on the engine: the built-in chain (`base`, then the agent's template)
//! or any Dockerfile, labelled with the docksandbox version and the definition hash, skipped
//! when up to date, streamed as [`Progress::Build`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::backend::BuildRequest;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::ca_bundle;
use crate::model::label_keys::VERSION;
use crate::progress::Progress;
use crate::templates::bootstrap::BOOTSTRAP_IMAGE;
use crate::templates::definition::{
    hex16, Template, TemplateBuildOptions, BASE_IMAGE_ENV, DEFAULT_BASE_IMAGE, TEMPLATE_BASE,
    TEMPLATE_HASH, TEMPLATE_INPUTS, TEMPLATE_NAME,
};

/// Serializes builds within a process: concurrent `run`s needing the same template build it once.
static BUILD_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Name of the CA bundle inside a build context (empty file when there is none).
const CONTEXT_CA: &str = "docksandbox-ca.crt";

/// The result of building one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltTemplate {
    /// The image reference (`docksandbox/claude:latest`).
    pub image: String,
    /// The image id.
    pub id: String,
    /// `false` when the image was already up to date and nothing was built.
    pub built: bool,
}

/// Whether a template's image is on the engine and built from the current definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateState {
    /// Built from the current definition.
    Current,
    /// Built from another definition: `run` rebuilds it.
    Outdated,
    /// Not on the engine: `run` builds it.
    Missing,
}

impl std::fmt::Display for TemplateState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TemplateState::Current => "up to date",
            TemplateState::Outdated => "outdated",
            TemplateState::Missing => "not built",
        })
    }
}

/// A Dockerfile build: `docksandbox template build -f Dockerfile -t TAG DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileBuild {
    /// The Dockerfile (inside or outside `context`).
    pub dockerfile: PathBuf,
    /// The image tag to build.
    pub tag: String,
    /// The build context directory.
    pub context: PathBuf,
}

/// Template builds on one engine: the built-in chain, `run`'s first-use build, any Dockerfile.
pub(crate) struct TemplateBuilder<'e> {
    engine: &'e Engine,
}

impl<'e> TemplateBuilder<'e> {
    /// Builds on `engine`.
    pub(crate) fn new(engine: &'e Engine) -> Self {
        TemplateBuilder { engine }
    }

    /// Builds the built-in template `name` and its parents (see [`crate::Client::build_template`]).
    pub(crate) async fn build_template(
        &self,
        name: &str,
        options: &TemplateBuildOptions,
    ) -> Result<Vec<BuiltTemplate>> {
        let template = Template::builtin(name).ok_or_else(|| {
            Error::invalid(
                "template",
                format!(
                    "no built-in template `{}`; built-in templates are shell (= base), {}; build your own with -f Dockerfile -t TAG",
                    name.escape_debug(),
                    Template::all().iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        let ca = options
            .build_ca_bundle()
            .as_deref()
            .map(ca_bundle::load)
            .transpose()?;
        let _guard = BUILD_LOCK.lock().await;
        let mut out = Vec::new();
        for t in template.chain() {
            out.push(self.build_one(t, options, ca.as_deref(), true).await?);
        }
        Ok(out)
    }

    /// Makes sure the built-in template `template` (and its parents) exists with its current
    /// definition, building what is missing or outdated: what `run` does on first use.
    pub(crate) async fn ensure_template(
        &self,
        template: &'static Template,
        options: &TemplateBuildOptions,
    ) -> Result<()> {
        if self.is_current(template).await? {
            return Ok(());
        }
        let ca = options
            .build_ca_bundle()
            .as_deref()
            .map(ca_bundle::load)
            .transpose()?;
        let _guard = BUILD_LOCK.lock().await;
        for t in template.chain() {
            if !self.is_current(t).await? {
                self.build_one(t, options, ca.as_deref(), false).await?;
            }
        }
        Ok(())
    }

    /// Every built-in template with the state of its image on the engine.
    pub(crate) async fn template_states(&self) -> Result<Vec<(&'static Template, TemplateState)>> {
        let mut out = Vec::new();
        for t in Template::all() {
            let state = match self.engine.backend.image(&t.image).await? {
                None => TemplateState::Missing,
                Some(i) if i.labels.get(TEMPLATE_HASH) == Some(&t.definition_hash()) => {
                    TemplateState::Current
                }
                Some(_) => TemplateState::Outdated,
            };
            out.push((t, state));
        }
        Ok(out)
    }

    /// The image exists and was built from the current definition.
    async fn is_current(&self, t: &Template) -> Result<bool> {
        Ok(self
            .engine
            .backend
            .image(&t.image)
            .await?
            .is_some_and(|i| i.labels.get(TEMPLATE_HASH) == Some(&t.definition_hash())))
    }

    async fn build_one(
        &self,
        t: &Template,
        options: &TemplateBuildOptions,
        ca: Option<&[u8]>,
        explicit: bool,
    ) -> Result<BuiltTemplate> {
        let (from, from_arg) = match t.parent_template() {
            Some(p) => (p.image.clone(), "PARENT"),
            None => (self.base(options).await?, "BASE_IMAGE"),
        };
        let from_id = self.build_base_id(&from).await?;
        let inputs = {
            let mut h = Sha256::new();
            h.update(t.definition_hash().as_bytes());
            h.update(from_id.as_bytes());
            h.update(Sha256::digest(ca.unwrap_or_default()));
            hex16(&h.finalize())
        };
        let current = self.engine.backend.image(&t.image).await?;
        if let Some(cur) = &current {
            if explicit && !options.force && cur.labels.get(TEMPLATE_INPUTS) == Some(&inputs) {
                return Ok(BuiltTemplate {
                    image: t.image.clone(),
                    id: cur.id.clone(),
                    built: false,
                });
            }
        }
        let mut build_args: HashMap<String, String> = t.args.clone().into_iter().collect();
        build_args.insert(from_arg.into(), from.clone());
        if ca.is_some() {
            build_args.extend(ca_bundle::env_pairs());
        }
        let labels = image_labels([
            (TEMPLATE_NAME, t.name.clone()),
            (TEMPLATE_HASH, t.definition_hash()),
            (TEMPLATE_INPUTS, inputs),
            (TEMPLATE_BASE, from.clone()),
        ]);
        let context = context_tar(&[
            ("Dockerfile", t.dockerfile().as_bytes()),
            (CONTEXT_CA, ca.unwrap_or_default()),
        ])?;
        self.run_build(BuildRequest {
            tag: t.image.clone(),
            context: vec![context],
            build_args,
            labels,
            no_cache: options.no_cache,
        })
        .await
    }

    async fn run_build(&self, request: BuildRequest) -> Result<BuiltTemplate> {
        let image = request.tag.clone();
        self.engine.report(&Progress::Step {
            message: format!("building template {image}"),
        });
        let observer = |p: &Progress| self.engine.report(p);
        let replaced = self.engine.backend.image(&image).await?.map(|i| i.id);
        let id = self.engine.backend.build(request, &observer).await?;
        // The image the tag named before is left untagged: removed unless something uses it,
        // so rebuilds leave no `<none>` images behind.
        if let Some(old) = replaced.filter(|old| *old != id) {
            self.engine.backend.remove_unused_image(&old).await?;
        }
        self.engine.report(&Progress::Done {
            message: format!("built {image}"),
        });
        Ok(BuiltTemplate {
            image,
            id,
            built: true,
        })
    }

    /// The image `base` is built FROM, made ready: the one named, or produced from Debian's
    /// packages when `bootstrap` is asked; by default the registry's Debian image when the
    /// engine has it or can pull it, else the Debian base made from Debian's packages (an
    /// earlier one when there is one; the switch said in one line).
    async fn base(&self, options: &TemplateBuildOptions) -> Result<String> {
        let backend = &self.engine.backend;
        if options.bootstrap {
            self.bootstrap(options.base_image()).await?;
            return Ok(options.base_image().to_string());
        }
        if options.base_image.is_some() || backend.image(DEFAULT_BASE_IMAGE).await?.is_some() {
            return Ok(options.base_image().to_string());
        }
        if backend.image(BOOTSTRAP_IMAGE).await?.is_some() {
            return Ok(BOOTSTRAP_IMAGE.to_string());
        }
        let why = match self.engine.pull(DEFAULT_BASE_IMAGE).await {
            Ok(()) => return Ok(DEFAULT_BASE_IMAGE.to_string()),
            Err(Error::ImageNotFound { reason, .. }) => reason,
            Err(e) => e.to_string(),
        };
        self.engine.report(&Progress::Step {
            message: format!(
                "no registry answered for {DEFAULT_BASE_IMAGE} ({why}): producing the Debian base {BOOTSTRAP_IMAGE} from Debian's packages (debootstrap)"
            ),
        });
        self.bootstrap(BOOTSTRAP_IMAGE).await?;
        Ok(BOOTSTRAP_IMAGE.to_string())
    }

    /// Produces `image` from Debian's packages unless it exists.
    async fn bootstrap(&self, image: &str) -> Result<()> {
        crate::templates::bootstrap::bootstrap_base_image(
            self.engine,
            &crate::templates::bootstrap::BootstrapOptions {
                image: image.to_string(),
                ..Default::default()
            },
        )
        .await
    }

    /// The id of the image a template is built FROM, pulling it when missing.
    async fn build_base_id(&self, from: &str) -> Result<String> {
        if let Some(i) = self.engine.backend.image(from).await? {
            return Ok(i.id);
        }
        self.engine.pull(from).await.map_err(|e| Error::ImageNotFound {
            image: from.to_string(),
            reason: format!(
                "templates are built FROM it and it could not be pulled ({}). Without a registry, produce it from Debian's packages with `docksandbox template build --bootstrap` (needs root and debootstrap), or set {BASE_IMAGE_ENV} to a local Debian-based image",
                match e {
                    Error::ImageNotFound { reason, .. } => reason,
                    e => e.to_string(),
                }
            ),
        })?;
        self.engine
            .backend
            .image(from)
            .await?
            .map(|i| i.id)
            .ok_or_else(|| Error::ImageNotFound {
                image: from.to_string(),
                reason: "missing right after its pull".into(),
            })
    }

    /// Builds a Dockerfile (see [`crate::Client::build_dockerfile`]).
    pub(crate) async fn build_dockerfile(
        &self,
        build: &DockerfileBuild,
        options: &TemplateBuildOptions,
    ) -> Result<BuiltTemplate> {
        crate::model::validate::template(&build.tag)?;
        let dockerfile = std::fs::read(&build.dockerfile).map_err(|e| {
            Error::invalid("dockerfile", format!("{}: {e}", build.dockerfile.display()))
        })?;
        if !build.context.is_dir() {
            return Err(Error::invalid(
                "context",
                format!("{} is not a directory", build.context.display()),
            ));
        }
        let ca = options
            .build_ca_bundle()
            .as_deref()
            .map(ca_bundle::load)
            .transpose()?;
        let dir = build.context.clone();
        let extra: Vec<(String, Vec<u8>)> = vec![
            ("Dockerfile".into(), dockerfile),
            (CONTEXT_CA.into(), ca.clone().unwrap_or_default()),
        ];
        let context = tokio::task::spawn_blocking(move || dir_context_tar(&dir, &extra))
            .await
            .map_err(|e| Error::Client(format!("context archive task failed: {e}")))??;
        let inputs = hex16(&Sha256::digest(&context));
        if !options.force {
            if let Some(cur) = self.engine.backend.image(&build.tag).await? {
                if cur.labels.get(TEMPLATE_INPUTS) == Some(&inputs) {
                    return Ok(BuiltTemplate {
                        image: build.tag.clone(),
                        id: cur.id,
                        built: false,
                    });
                }
            }
        }
        let mut build_args = HashMap::new();
        if ca.is_some() {
            build_args.extend(ca_bundle::env_pairs());
        }
        let labels = image_labels([
            (TEMPLATE_NAME, build.tag.clone()),
            (TEMPLATE_INPUTS, inputs),
        ]);
        let _guard = BUILD_LOCK.lock().await;
        self.run_build(BuildRequest {
            tag: build.tag.clone(),
            context: vec![context],
            build_args,
            labels,
            no_cache: options.no_cache,
        })
        .await
    }
}

/// The labels of a built image: `pairs` and the docksandbox version that built it.
fn image_labels<const N: usize>(pairs: [(&str, String); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain([(VERSION.to_string(), crate::VERSION.to_string())])
        .collect()
}

fn header(len: usize) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(len as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    h
}

/// A tar archive of in-memory files.
fn context_tar(files: &[(&str, &[u8])]) -> Result<Bytes> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        b.append_data(&mut header(data.len()), name, *data)?;
    }
    Ok(b.into_inner()?.into())
}

/// A deterministic tar archive of `dir` (no times or owners, so its hash changes only with
/// content) with `extra` files added at its root (replacing same-named ones).
fn dir_context_tar(dir: &Path, extra: &[(String, Vec<u8>)]) -> Result<Bytes> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b.follow_symlinks(false);
    let mut entries: Vec<PathBuf> = Vec::new();
    collect(dir, dir, &mut entries)?;
    entries.sort();
    for rel in entries {
        if extra.iter().any(|(n, _)| Path::new(n) == rel) {
            continue;
        }
        b.append_path_with_name(dir.join(&rel), &rel)?;
    }
    for (name, data) in extra {
        b.append_data(&mut header(data.len()), name, data.as_slice())?;
    }
    Ok(b.into_inner()?.into())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        let ty = entry.file_type()?;
        out.push(rel);
        if ty.is_dir() {
            collect(root, &path, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_context_is_deterministic_and_extra_files_win() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/a"), "a").unwrap();
        std::fs::write(d.path().join("Dockerfile"), "old").unwrap();
        let extra = vec![("Dockerfile".to_string(), b"FROM x".to_vec())];
        let one = dir_context_tar(d.path(), &extra).unwrap();
        let two = dir_context_tar(d.path(), &extra).unwrap();
        assert_eq!(one, two);
        let mut names = Vec::new();
        let mut ar = tar::Archive::new(&one[..]);
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            if name == "Dockerfile" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut e, &mut s).unwrap();
                assert_eq!(s, "FROM x");
            }
            names.push(name);
        }
        assert_eq!(names.iter().filter(|n| *n == "Dockerfile").count(), 1);
        assert!(names.iter().any(|n| n == "sub/a"));
        std::fs::write(d.path().join("sub/a"), "b").unwrap();
        assert_ne!(dir_context_tar(d.path(), &extra).unwrap(), one);
    }
}
