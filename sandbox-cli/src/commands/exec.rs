//! `docksandbox exec`: a command in a running sandbox, like `docker exec`.

use docksandbox::ExecOptions;

use super::Global;
use crate::cli::ExecArgs;
use crate::failure::Outcome;
use crate::session::{self, Stdin};
use crate::tty::{self, RawMode};

pub async fn exec(g: &Global, a: ExecArgs) -> Outcome {
    let opts = ExecOptions {
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        ..Default::default()
    }
    .env_pairs(&a.env)?;
    let client = g.client()?;
    // A sandbox stopped for being idle is started again.
    let sandbox = client.resume(a.sandbox()).await?;
    let on_terminal = a.tty && tty::stdin_is_terminal();
    let size = a.tty.then(|| tty::size().unwrap_or(tty::FALLBACK_SIZE));
    let _raw = if on_terminal && a.interactive {
        Some(RawMode::enable()?)
    } else {
        None
    };
    let p = sandbox
        .exec_process(a.command().to_vec(), opts, size)
        .await?;
    let stdin = match (a.interactive, a.tty) {
        (true, _) => Stdin::Forward,
        (false, true) => Stdin::Idle,
        (false, false) => Stdin::Closed,
    };
    let code = session::attach(p, stdin, on_terminal).await?;
    drop(_raw);
    super::run::tell_oom(&sandbox, code).await;
    super::guard::after_session(&sandbox).await;
    Ok(super::run::exit_status(code))
}
