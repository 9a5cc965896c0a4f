//! `docksandbox template build|ls`.

use std::path::PathBuf;

use docksandbox::{DockerfileBuild, TemplateBuildOptions};

use super::Global;
use crate::cli::{TemplateArgs, TemplateBuildArgs, TemplateCommand};
use crate::failure::Outcome;

pub async fn template(g: &Global, a: TemplateArgs) -> Outcome {
    match a.command {
        TemplateCommand::Build(b) => build(g, b).await,
        TemplateCommand::Ls => ls(g).await,
    }
}

fn options(b: &TemplateBuildArgs) -> TemplateBuildOptions {
    let mut o = TemplateBuildOptions::from_env();
    if let Some(i) = &b.base_image {
        o.base_image = Some(i.clone());
    }
    if let Some(c) = &b.ca_bundle {
        o.ca_bundle = Some(PathBuf::from(c));
    }
    o.no_cache = b.no_cache;
    o.force = b.force;
    o.bootstrap = b.bootstrap;
    o.no_host_ca |= b.no_host_ca;
    o
}

async fn build(g: &Global, b: TemplateBuildArgs) -> Outcome {
    let opts = options(&b);
    let client = g.client()?;
    let built = match (&b.file, &b.tag) {
        (Some(file), Some(tag)) => vec![
            client
                .build_dockerfile(
                    &DockerfileBuild {
                        dockerfile: PathBuf::from(file),
                        tag: tag.clone(),
                        context: PathBuf::from(b.target.as_deref().unwrap_or(".")),
                    },
                    &opts,
                )
                .await?,
        ],
        _ => {
            // clap requires the name without -f.
            let name = b.target.as_deref().unwrap_or_default();
            client.build_template(name, &opts).await?
        }
    };
    for t in built {
        let state = if t.built { "built" } else { "up to date" };
        println!("{}\t{state}\t{}", t.image, t.id);
    }
    Ok(0)
}

async fn ls(g: &Global) -> Outcome {
    let client = g.client()?;
    let rows = client.template_states().await?;
    println!(
        "{:<8}  {:<26}  {:<10}  DESCRIPTION",
        "NAME", "IMAGE", "STATUS"
    );
    for (t, state) in rows {
        println!(
            "{:<8}  {:<26}  {:<10}  {}",
            t.name,
            t.image,
            state.to_string(),
            t.description
        );
    }
    Ok(0)
}
