//! `docksandbox-execd`: the process server docksandbox runs inside a sandbox.
//!
//! `docksandbox-execd serve` speaks the protocol of `PROTOCOL.md` on its stdin and stdout: the
//! host starts it through one engine exec (as root) and sends it commands to run. It listens
//! on nothing; when its stdin closes it kills what it started and exits.

mod process;
mod server;
mod sys;
mod user;

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("serve") => {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("docksandbox-execd: cannot start: {e}");
                    std::process::exit(1);
                }
            };
            let code = rt.block_on(server::serve());
            std::process::exit(code);
        }
        Some("--version") => println!(
            "docksandbox-execd {} (protocol {})",
            env!("CARGO_PKG_VERSION"),
            docksandbox_execd::PROTOCOL_VERSION
        ),
        _ => {
            eprintln!("usage: docksandbox-execd serve   (speaks the docksandbox exec protocol on stdin/stdout)");
            std::process::exit(2);
        }
    }
}
