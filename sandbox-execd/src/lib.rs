//! The protocol of `docksandbox-execd`, the process server docksandbox places in every sandbox.
//!
//! The host talks to the server over one byte stream (the server's stdin and stdout, bridged by
//! one long-lived engine exec). The stream carries [`frame`]s; [`message`] gives the meaning of
//! each frame kind. The whole protocol is described in `PROTOCOL.md` next to this crate.
//!
//! ```
//! use docksandbox_execd::{frame, message};
//! let bytes = frame::encode(message::kind::KILL, 7, &[9]);
//! let mut d = frame::Decoder::default();
//! d.push(&bytes);
//! let f = d.next_frame().unwrap().unwrap();
//! assert_eq!((f.kind, f.id, f.payload.as_slice()), (message::kind::KILL, 7, &[9][..]));
//! ```

pub mod frame;
pub mod message;

/// The protocol version this crate speaks. The server refuses any other.
pub const PROTOCOL_VERSION: u16 = 1;

/// Output bytes the server may send for one process before the host grants more with
/// [`message::kind::CREDIT`].
pub const OUTPUT_WINDOW: u32 = 1 << 20;

/// Stdin bytes the host may send for one process before the server grants more with
/// [`message::kind::STDIN_CREDIT`].
pub const STDIN_WINDOW: u32 = 1 << 20;

/// Largest data payload either side puts in one frame.
pub const MAX_CHUNK: usize = 64 * 1024;
