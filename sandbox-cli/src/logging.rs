//! Diagnostics on stderr: the core's progress notes as plain `docksandbox: …` lines, or full
//! tracing output with `--debug` (with each run step's time).

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. `debug`: everything docksandbox does (`RUST_LOG` refines
/// it); otherwise the core's notes (pulling an image, recreating a sandbox) unless `quiet`,
/// and warnings.
pub fn init(debug: bool, quiet: bool) {
    if debug {
        let filter = EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("docksandbox=debug,bollard=info,info"));
        // Each step of a run (lookup, create, helper_install, start, ready…) prints its
        // time when it closes: where a slow start spends it.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init();
    } else {
        let level = if quiet { "warn" } else { "info" };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(format!("docksandbox={level},off")))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .event_format(Plain)
            .try_init();
    }
}

/// `docksandbox: [warning: ]message field=value`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "docksandbox: ")?;
        if *event.metadata().level() <= Level::WARN {
            write!(writer, "warning: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// A warning for the user, on stderr (shown even with `--quiet`).
pub fn warn(message: &str) {
    eprintln!("docksandbox: warning: {message}");
}
