//! The MCP resources: each sandbox within the server's bounds has two,
//! `docksandbox://SANDBOX/inspect` (what `sandbox_inspect` returns, as JSON) and
//! `docksandbox://SANDBOX/log` (the end of its session's output, as text).

use futures_util::StreamExt;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use rmcp::ErrorData as McpError;

use super::tools::{say, Server, OUTPUT_CAP};

const SCHEME: &str = "docksandbox://";

/// What a sandbox's resource shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Inspect,
    Log,
}

impl View {
    const ALL: [View; 2] = [View::Inspect, View::Log];

    fn word(self) -> &'static str {
        match self {
            View::Inspect => "inspect",
            View::Log => "log",
        }
    }

    fn mime(self) -> &'static str {
        match self {
            View::Inspect => "application/json",
            View::Log => "text/plain",
        }
    }

    fn about(self) -> &'static str {
        match self {
            View::Inspect => {
                "the sandbox's settings, mounts, security, limits, network, ports and branch"
            }
            View::Log => "the end of the sandbox's session output (its last 64 KiB)",
        }
    }
}

/// `docksandbox://NAME/VIEW` → (NAME, VIEW).
fn parse(uri: &str) -> Option<(&str, View)> {
    let rest = uri.strip_prefix(SCHEME)?;
    let (name, view) = rest.split_once('/')?;
    let view = View::ALL.into_iter().find(|v| v.word() == view)?;
    (!name.is_empty()).then_some((name, view))
}

fn uri(name: &str, view: View) -> String {
    format!("{SCHEME}{name}/{}", view.word())
}

/// The resource templates: one per view.
pub fn templates() -> Vec<ResourceTemplate> {
    View::ALL
        .into_iter()
        .map(|v| {
            ResourceTemplate::new(format!("{SCHEME}{{sandbox}}/{}", v.word()), v.word())
                .with_description(v.about())
                .with_mime_type(v.mime())
        })
        .collect()
}

/// Keeps the last `cap` bytes of a stream of chunks, and how many came before them.
fn keep_tail(buf: &mut Vec<u8>, dropped: &mut usize, chunk: &[u8], cap: usize) {
    buf.extend_from_slice(chunk);
    if buf.len() > cap * 2 {
        let cut = buf.len() - cap;
        *dropped += cut;
        buf.drain(..cut);
    }
}

impl Server {
    /// Both resources of every sandbox under the roots.
    pub(super) async fn resources(&self) -> Result<Vec<Resource>, McpError> {
        let all = self
            .client
            .list()
            .await
            .map_err(|e| McpError::internal_error(say(e), None))?;
        Ok(all
            .into_iter()
            .filter(|i| {
                i.spec
                    .as_ref()
                    .is_some_and(|s| self.bounds.allows_sandbox(s))
            })
            .flat_map(|i| {
                View::ALL.into_iter().map(move |v| {
                    Resource::new(uri(&i.name, v), format!("{} {}", i.name, v.word()))
                        .with_description(v.about())
                        .with_mime_type(v.mime())
                })
            })
            .collect())
    }

    /// Reads one resource; an unknown URI or sandbox is "resource not found", with why.
    pub(super) async fn read(&self, uri: &str) -> Result<ReadResourceResult, McpError> {
        let Some((name, view)) = parse(uri) else {
            return Err(McpError::resource_not_found(
                format!("`{uri}` is not a docksandbox resource: docksandbox://SANDBOX/inspect or docksandbox://SANDBOX/log"),
                None,
            ));
        };
        let sb = self
            .sandbox(name)
            .await
            .map_err(|e| McpError::resource_not_found(e, None))?;
        let failed = |e| McpError::internal_error(say(e), None);
        let text = match view {
            View::Inspect => {
                let info = sb.inspect().await.map_err(failed)?;
                serde_json::to_string_pretty(&info)
                    .map_err(|e| McpError::internal_error(e.to_string(), None))?
            }
            View::Log => {
                let mut chunks = sb.logs(false, 0).await.map_err(failed)?;
                let (mut buf, mut dropped) = (Vec::new(), 0usize);
                while let Some(chunk) = chunks.next().await {
                    keep_tail(&mut buf, &mut dropped, &chunk.map_err(failed)?, OUTPUT_CAP);
                }
                if buf.len() > OUTPUT_CAP {
                    dropped += buf.len() - OUTPUT_CAP;
                    buf.drain(..buf.len() - OUTPUT_CAP);
                }
                let tail = String::from_utf8_lossy(&buf);
                if dropped > 0 {
                    format!("[{dropped} earlier bytes left out]\n{tail}")
                } else {
                    tail.into_owned()
                }
            }
        };
        Ok(ReadResourceResult::new(vec![
            ResourceContents::TextResourceContents {
                uri: uri.to_string(),
                mime_type: Some(view.mime().into()),
                text,
                meta: None,
            },
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_a_sandbox_and_a_view() {
        assert_eq!(
            parse("docksandbox://shell-a-1/inspect"),
            Some(("shell-a-1", View::Inspect))
        );
        assert_eq!(
            parse("docksandbox://shell-a-1/log"),
            Some(("shell-a-1", View::Log))
        );
        for bad in [
            "docksandbox://shell/other",
            "docksandbox:///log",
            "file:///etc/passwd",
            "docksandbox://x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(uri("a", View::Log), "docksandbox://a/log");
    }

    #[test]
    fn the_log_keeps_its_tail() {
        let (mut buf, mut dropped) = (Vec::new(), 0);
        for _ in 0..10 {
            keep_tail(&mut buf, &mut dropped, &[b'x'; 7], 4);
        }
        assert!(buf.len() <= 8 + 7);
        assert_eq!(buf.len() + dropped, 70);
    }
}
