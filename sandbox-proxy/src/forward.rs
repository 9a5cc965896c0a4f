//! `docksandbox-proxy forward`: the way in to one port of a sandbox. It listens on `--listen`
//! (published by the engine on the host) and joins each connection to `--to` (the sandbox's
//! name and port on the sandbox's network, resolved again for every connection, so a sandbox
//! that started again at another address is still found). It forwards to that one target
//! only: nothing that reaches it can go anywhere else.

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use docksandbox_proxy::READY_MARKER;

/// Connections forwarded at once; more wait for one to end.
const MAX_CONNECTIONS: usize = 512;

/// Serves until killed; the exit status when it cannot listen.
pub async fn serve(listen: String, to: String) -> i32 {
    let listener = match TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("docksandbox-proxy forward: cannot listen on {listen}: {e}");
            return 1;
        }
    };
    println!("{READY_MARKER}");
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return 1;
        };
        let (mut inbound, _) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => continue,
        };
        let to = to.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match TcpStream::connect(&to).await {
                Ok(mut out) => {
                    let _ = inbound.set_nodelay(true);
                    let _ = out.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                }
                Err(e) => eprintln!("docksandbox-proxy forward: {to}: {e}"),
            }
        });
    }
}
