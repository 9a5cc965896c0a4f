//! The tokio runtime the core's futures run on, one per process, and the two ways calls reach
//! it: awaited from a foreign async function (cancellation aborts the task) or blocked on.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::error::{DocksandboxError, Result};

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("docksandbox-ffi")
            .enable_all()
            .build()
            .expect("the tokio runtime could not start")
    })
}

/// Runs `fut` on the runtime; the returned future completes with its result. Dropping it
/// (a cancelled coroutine or task) aborts the work, which drops the core's future inside
/// the runtime (a command started with `kill_on_drop` is then killed).
pub(crate) fn spawn<T, F>(fut: F) -> Spawned<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    Spawned(runtime().spawn(fut))
}

/// Blocks the calling thread until `fut` is done (the blocking variants, and languages
/// without async support such as Ruby).
pub(crate) fn block_on<T, F>(fut: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    // On the runtime's own threads (a listener calling back in) blocking would deadlock.
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(DocksandboxError::Other {
            code: docksandbox::ErrorKind::Other.code().to_string(),
            description: "a blocking docksandbox call was made from inside an exec listener; use the async variant".into(),
        });
    }
    runtime().block_on(spawn(fut))
}

/// A task on the runtime, aborted when dropped.
#[derive(Debug)]
pub(crate) struct Spawned<T>(JoinHandle<Result<T>>);

impl<T> Future for Spawned<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        Pin::new(&mut self.0).poll(cx).map(|r| match r {
            Ok(r) => r,
            Err(e) => Err(DocksandboxError::Other {
                code: docksandbox::ErrorKind::Other.code().to_string(),
                description: if e.is_panic() {
                    "docksandbox panicked (a bug: please report it)".into()
                } else {
                    "the call was cancelled".into()
                },
            }),
        })
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
