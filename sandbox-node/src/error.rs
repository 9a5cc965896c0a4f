//! The one place where core errors become JavaScript errors.
//!
//! Every failure of the package is an `Error` whose `message` is the core's message and whose
//! `code` is [`docksandbox::ErrorKind::code`] (`DOCKER_UNAVAILABLE`, `INVALID_SPEC`,
//! `CONFIG_CHANGED`, `NOT_FOUND`, `EXEC_TIMEOUT`, `IMAGE_ERROR`, `SANDBOX_ERROR`). Two codes carry
//! the core's data too: `EXEC_TIMEOUT` errors have `stdout`/`stderr` Buffers (output captured
//! before the kill), `CONFIG_CHANGED` errors have `changes: [{ field, stored, requested }]`.
//!
//! The error object is built here, on the JavaScript thread, and handed to napi-rs as the
//! rejection value: a plain `napi::Error` could only carry napi's own status as `code`.

use docksandbox::Error as CoreError;
use napi::bindgen_prelude::{Buffer, Env, JsObjectValue, JsValue, Object};

/// The JavaScript error for `e`.
pub(crate) fn to_js(env: &Env, e: CoreError) -> napi::Error {
    match build(env, e) {
        Ok(obj) => napi::Error::from(obj.to_unknown()),
        // Only when the engine cannot make objects (environment shutting down).
        Err(fallback) => fallback,
    }
}

fn build(env: &Env, e: CoreError) -> napi::Result<Object<'_>> {
    let message = e.message_with(&crate::words::word);
    let mut obj = env.create_error(napi::Error::from_reason(message))?;
    obj.set_named_property("code", e.kind().code())?;
    match e {
        CoreError::ExecTimeout { stdout, stderr, .. } => {
            obj.set_named_property("stdout", Buffer::from(stdout))?;
            obj.set_named_property("stderr", Buffer::from(stderr))?;
        }
        CoreError::ConfigChanged { changes, .. } => {
            let mut list = env.create_array(changes.len() as u32)?;
            for (i, c) in changes.into_iter().enumerate() {
                let mut o = Object::new(env)?;
                o.set_named_property("field", c.field)?;
                o.set_named_property("stored", c.stored)?;
                o.set_named_property("requested", c.requested)?;
                list.set(i as u32, o)?;
            }
            obj.set_named_property("changes", list)?;
        }
        _ => {}
    }
    Ok(obj)
}
