//! The `ExecStream` class: a streaming command as an async iterator.

use std::sync::Arc;

use docksandbox::ExecEvent;
use futures_util::StreamExt;
use napi::bindgen_prelude::{Buffer, Env, PromiseRaw};
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::options::ExecOptions;
use crate::task::spawn;

/// One item of `execStream()`: an output chunk, or (last) the exit code.
#[napi(object)]
#[allow(missing_debug_implementations)] // napi's Buffer / Uint8Array have no Debug
pub struct ExecChunk {
    /// Which stream `data` was written to (absent on the exit item).
    #[napi(ts_type = "'stdout' | 'stderr'")]
    pub stream: Option<String>,
    /// The bytes written (absent on the exit item).
    pub data: Option<Buffer>,
    /// The exit code, on the last item only.
    pub exit_code: Option<i64>,
}

/// What `next()` resolves to: the iterator protocol's result.
#[napi(object)]
#[allow(missing_debug_implementations)] // holds an ExecChunk
pub struct ExecStreamResult {
    /// Whether the stream ended (`value` is then absent).
    pub done: bool,
    /// The next chunk.
    pub value: Option<ExecChunk>,
}

enum State {
    /// Not started: the command starts on the first `next()`, so `execStream()` can return
    /// the iterator at once.
    Start(docksandbox::Sandbox, Vec<String>, ExecOptions),
    Running(docksandbox::ExecStream),
    Done,
}

/// A running command's output; `index.js` makes it async-iterable.
#[napi]
pub struct ExecStream {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for ExecStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecStream").finish_non_exhaustive()
    }
}

impl ExecStream {
    pub(crate) fn new(sb: docksandbox::Sandbox, cmd: Vec<String>, opts: ExecOptions) -> Self {
        ExecStream {
            state: Arc::new(Mutex::new(State::Start(sb, cmd, opts))),
        }
    }
}

fn chunk(ev: ExecEvent) -> ExecChunk {
    let (stream, data, exit_code) = match ev {
        ExecEvent::Stdout(b) => (Some("stdout"), Some(b), None),
        ExecEvent::Stderr(b) => (Some("stderr"), Some(b), None),
        ExecEvent::Exit(code) => (None, None, Some(code)),
    };
    ExecChunk {
        stream: stream.map(String::from),
        data: data.map(|b| Buffer::from(b.to_vec())),
        exit_code,
    }
}

#[napi]
impl ExecStream {
    /// The next chunk; the first call starts the command. Rejects with the command's error
    /// (e.g. `EXEC_TIMEOUT`), after which the stream is done.
    #[napi]
    pub fn next<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ExecStreamResult>> {
        let state = self.state.clone();
        spawn(
            env,
            async move {
                let mut st = state.lock().await;
                if let State::Start(..) = &*st {
                    let State::Start(sb, cmd, opts) = std::mem::replace(&mut *st, State::Done)
                    else {
                        unreachable!()
                    };
                    *st = State::Running(sb.exec_stream(cmd, opts.into_core()?).await?);
                }
                let State::Running(events) = &mut *st else {
                    return Ok(None);
                };
                match events.next().await {
                    Some(Ok(ev)) => Ok(Some(ev)),
                    Some(Err(e)) => {
                        *st = State::Done;
                        Err(e)
                    }
                    None => {
                        *st = State::Done;
                        Ok(None)
                    }
                }
            },
            |ev| {
                Ok(ExecStreamResult {
                    done: ev.is_none(),
                    value: ev.map(chunk),
                })
            },
        )
    }

    /// Ends the iteration early (what `break` in `for await` calls): the output is no longer
    /// read and the connection to the command is closed.
    #[napi(js_name = "return")]
    pub fn finish<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ExecStreamResult>> {
        let state = self.state.clone();
        spawn(
            env,
            async move {
                *state.lock().await = State::Done;
                Ok(())
            },
            |()| {
                Ok(ExecStreamResult {
                    done: true,
                    value: None,
                })
            },
        )
    }
}
