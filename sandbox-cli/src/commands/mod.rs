//! One module per command; each maps its arguments onto the core and prints the result.

mod apply;
mod completion;
mod diff;
mod discard;
mod exec;
mod gc;
pub mod guard;
mod inspect;
mod log;
mod logs;
mod ls;
mod merge;
mod network;
mod pool;
mod port;
mod prune;
mod rm;
mod run;
mod save;
mod stats;
mod stop;
mod template;
mod version;

use docksandbox::Client;

use crate::cli::{Cli, Command};
use crate::failure::Outcome;

/// What every command may need from the global flags.
#[derive(Debug, Clone)]
pub struct Global {
    /// `-D`: errors with details.
    pub debug: bool,
    /// `-H`: the engine address.
    pub host: Option<String>,
    /// `--engine`: a docker context's name.
    pub engine: Option<String>,
    /// `run -q`: no progress output.
    pub quiet: bool,
}

impl Global {
    /// A client for the engine `-H` or `--engine` names, else the one the docker CLI would
    /// use (`DOCKER_HOST`, `DOCKER_CONTEXT`, the current context, the local socket).
    pub fn client(&self) -> docksandbox::Result<Client> {
        let engine =
            docksandbox::EngineConfig::resolve(self.host.as_deref(), self.engine.as_deref())?;
        Ok(Client::connect_with(&engine)?.with_progress(crate::progress::observer(self.quiet)))
    }
}

/// Command-line paths as the core takes them: relative ones against the current directory.
pub fn paths(args: &[String]) -> docksandbox::Result<Vec<std::path::PathBuf>> {
    args.iter()
        .map(|p| std::path::absolute(p).map_err(docksandbox::Error::from))
        .collect()
}

/// Runs the command `cli` names and returns its exit status.
pub async fn dispatch(cli: Cli) -> Outcome {
    let g = Global {
        debug: cli.debug,
        quiet: match &cli.command {
            Command::Run(r) => r.quiet,
            Command::Template(t) => {
                matches!(&t.command, crate::cli::TemplateCommand::Build(b) if b.quiet)
            }
            _ => false,
        },
        host: cli.host,
        engine: cli.engine,
    };
    match cli.command {
        Command::Run(a) => run::run(&g, *a).await,
        Command::Ls(a) => ls::ls(&g, a).await,
        Command::Inspect(a) => inspect::inspect(&g, a).await,
        Command::Rm(a) => rm::rm(&g, a).await,
        Command::Stop(a) => stop::stop(&g, a).await,
        Command::Prune(a) => prune::prune(&g, a).await,
        Command::Exec(a) => exec::exec(&g, a).await,
        Command::Template(a) => template::template(&g, a).await,
        Command::Network(a) => network::network(&g, a).await,
        Command::Diff(a) => diff::diff(&g, a).await,
        Command::Log(a) => log::log(&g, a).await,
        Command::Merge(a) => merge::merge(&g, a).await,
        Command::Apply(a) => apply::apply(&g, a).await,
        Command::Discard(a) => discard::discard(&g, a).await,
        Command::Guard(a) => guard::guard(&g, a).await,
        Command::Port(a) => port::port(&g, a).await,
        Command::Gc => gc::gc(&g).await,
        Command::Save(a) => save::save(&g, a).await,
        Command::Stats(a) => stats::stats(&g, a).await,
        Command::Logs(a) => logs::logs(&g, a).await,
        Command::Pool(a) => pool::pool(&g, a).await,
        Command::Mcp(a) => crate::mcp::mcp(&g, a).await,
        Command::Version => version::version(),
        Command::Completion(a) => completion::completion(a),
    }
}
