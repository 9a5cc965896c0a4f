//! Core futures as JavaScript promises, on napi-rs's tokio runtime.

use std::future::Future;

use napi::bindgen_prelude::{Env, PromiseRaw, ToNapiValue};

/// Runs `fut` on napi-rs's tokio runtime and returns its promise: the event loop never waits.
/// On success `map` turns the value into JavaScript on the JavaScript thread; a core error
/// rejects the promise with the error [`crate::error::to_js`] builds.
///
/// This is what `#[napi] async fn` expands to, plus the error mapping it cannot do (its
/// rejections carry napi's status as `code`).
pub(crate) fn spawn<'e, T, V, F, M>(env: &'e Env, fut: F, map: M) -> napi::Result<PromiseRaw<'e, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = docksandbox::Result<T>> + Send + 'static,
    M: FnOnce(T) -> napi::Result<V> + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, r| match r {
        Ok(v) => map(v),
        Err(e) => Err(crate::error::to_js(env, e)),
    })
}
