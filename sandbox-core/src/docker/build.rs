//! Images on the Docker Engine: inspect, build (with progress and the failing step's output),
//! import of a root filesystem.

use std::collections::VecDeque;

use bollard::query_parameters::{BuildImageOptionsBuilder, CreateImageOptionsBuilder};
use bollard::Docker;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::error_map::{map, status};
use crate::backend::{BuildRequest, ImageDetails};
use crate::error::{Error, Result};
use crate::Progress;

/// Lines of the failing step kept for the error.
const KEEP_LINES: usize = 40;

pub(super) async fn image(
    docker: &Docker,
    host: &str,
    reference: &str,
) -> Result<Option<ImageDetails>> {
    match docker.inspect_image(reference).await {
        Ok(i) => {
            let c = i.config.unwrap_or_default();
            Ok(Some(ImageDetails {
                id: i.id.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
                env: c.env.unwrap_or_default(),
                entrypoint: c.entrypoint.unwrap_or_default(),
                cmd: c.cmd.unwrap_or_default(),
                working_dir: c.working_dir.unwrap_or_default(),
                user: c.user.unwrap_or_default(),
            }))
        }
        Err(e) => match map(host, e) {
            e if status(&e) == Some(404) => Ok(None),
            e => Err(e),
        },
    }
}

/// Removes the image `id` when nothing uses it (no force: an image a container or another
/// tag still uses stays, and that is not an error).
pub(super) async fn remove_unused_image(docker: &Docker, host: &str, id: &str) -> Result<bool> {
    let opts = bollard::query_parameters::RemoveImageOptionsBuilder::default()
        .force(false)
        .noprune(false)
        .build();
    match docker.remove_image(id, Some(opts), None).await {
        Ok(_) => Ok(true),
        Err(e) => match map(host, e) {
            e if matches!(status(&e), Some(404) | Some(409)) => Ok(false),
            e => Err(e),
        },
    }
}

/// Images carrying the label `key`: `(id, tags)`.
pub(super) async fn list_images(
    docker: &Docker,
    host: &str,
    key: &str,
) -> Result<Vec<(String, Vec<String>)>> {
    let filters = std::collections::HashMap::from([("label", vec![key.to_string()])]);
    let opts = bollard::query_parameters::ListImagesOptionsBuilder::default()
        .all(false)
        .filters(&filters)
        .build();
    let list = docker
        .list_images(Some(opts))
        .await
        .map_err(|e| map(host, e))?;
    Ok(list
        .into_iter()
        .map(|i| {
            let tags = i
                .repo_tags
                .into_iter()
                .filter(|t| t != "<none>:<none>")
                .collect();
            (i.id, tags)
        })
        .collect())
}

/// `Step 3/16 : RUN …` → `(3, 16)`.
fn parse_step(line: &str) -> Option<(u32, u32)> {
    let rest = line.strip_prefix("Step ")?;
    let (frac, _) = rest.split_once(' ')?;
    let (n, of) = frac.split_once('/')?;
    Some((n.parse().ok()?, of.parse().ok()?))
}

pub(super) async fn build(
    docker: &Docker,
    host: &str,
    request: BuildRequest,
    progress: &(dyn for<'p> Fn(&'p Progress) + Send + Sync),
) -> Result<String> {
    let opts = BuildImageOptionsBuilder::default()
        .t(&request.tag)
        .dockerfile("Dockerfile")
        .buildargs(&request.build_args)
        .labels(&request.labels)
        .nocache(request.no_cache)
        .rm(true)
        .forcerm(true)
        .build();
    let body = bollard::body_stream(futures_util::stream::iter(request.context));
    let mut stream = docker.build_image(opts, None, Some(body));
    let mut step_line = String::from("the start");
    let mut step = None;
    let mut tail: VecDeque<String> = VecDeque::new();
    let mut partial = String::new();
    let failed =
        |step_line: &str, reason: String, tail: &VecDeque<String>| Error::TemplateBuildFailed {
            image: request.tag.clone(),
            step: step_line.to_string(),
            reason,
            output: tail.iter().cloned().collect::<Vec<_>>().join("\n"),
        };
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(failed(&step_line, error, &tail))
            }
            Err(e) => {
                return Err(match map(host, e) {
                    Error::Engine { message, .. } => failed(&step_line, message, &tail),
                    e => e,
                })
            }
        };
        if let Some(text) = info.stream {
            partial.push_str(&text);
            while let Some(nl) = partial.find('\n') {
                let line: String = partial.drain(..=nl).collect();
                let line = line.trim_end().to_string();
                if let Some(s) = parse_step(&line) {
                    step = Some(s);
                    step_line = line.clone();
                    tail.clear();
                } else if !line.is_empty() {
                    tail.push_back(line.clone());
                    if tail.len() > KEEP_LINES {
                        tail.pop_front();
                    }
                }
                progress(&Progress::Build {
                    image: request.tag.clone(),
                    step,
                    line,
                });
            }
        }
        if let Some(status_text) = info.status {
            progress(&Progress::Build {
                image: request.tag.clone(),
                step,
                line: status_text,
            });
        }
        if let Some(err) = info.error_detail.and_then(|d| d.message) {
            return Err(failed(&step_line, err, &tail));
        }
    }
    match image(docker, host, &request.tag).await? {
        Some(i) => Ok(i.id),
        None => Err(failed(
            &step_line,
            "the engine reported no error but the image is missing".into(),
            &tail,
        )),
    }
}

pub(super) async fn import(
    docker: &Docker,
    host: &str,
    tag: &str,
    changes: &[String],
    rootfs: BoxStream<'static, std::io::Result<Bytes>>,
) -> Result<()> {
    let (repo, tag_part) = match tag.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (tag, "latest"),
    };
    let opts = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repo)
        .tag(tag_part)
        .changes(changes.to_vec())
        .build();
    let mut s = docker.create_image(Some(opts), Some(bollard::body_try_stream(rootfs)), None);
    while let Some(item) = s.next().await {
        let info = item.map_err(|e| map(host, e))?;
        if let Some(e) = info.error_detail.and_then(|d| d.message) {
            return Err(Error::BootstrapFailed {
                image: tag.to_string(),
                reason: format!("the engine refused the import: {e}"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps_are_parsed() {
        assert_eq!(super::parse_step("Step 3/16 : RUN true"), Some((3, 16)));
        assert_eq!(super::parse_step(" ---> Running in abc"), None);
        assert_eq!(super::parse_step("Step x/y : z"), None);
    }
}
