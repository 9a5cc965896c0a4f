//! What each frame kind means, and the encoding of the structured payloads.

/// Frame kinds. Host → server kinds are below `0x20`, server → host kinds from `0x20`.
pub mod kind {
    /// Host → server, first frame, id 0: [`super::Hello`].
    pub const HELLO: u8 = 0x01;
    /// Host → server: start process `id` ([`super::Spawn`]).
    pub const SPAWN: u8 = 0x02;
    /// Host → server: bytes for the stdin of process `id`.
    pub const STDIN: u8 = 0x03;
    /// Host → server: close the stdin of process `id` (empty payload).
    pub const STDIN_CLOSE: u8 = 0x04;
    /// Host → server: the host consumed this many (`u32`) output bytes of process `id`.
    pub const CREDIT: u8 = 0x05;
    /// Host → server: resize the terminal of process `id` (`u16` rows, `u16` cols).
    pub const RESIZE: u8 = 0x06;
    /// Host → server: send signal (`u8`) to process `id`; `9` (SIGKILL) kills its whole tree.
    pub const KILL: u8 = 0x07;
    /// Host → server: nobody reads process `id`'s output any more: drop it, never wait for credit.
    pub const DETACH: u8 = 0x08;

    /// Server → host, first frame, id 0: [`super::Hello`] with the version the server speaks.
    pub const HELLO_OK: u8 = 0x20;
    /// Server → host, id 0: the connection is refused or broken (UTF-8 reason); the server exits.
    pub const FATAL: u8 = 0x21;
    /// Server → host: process `id` could not start: `u8` exit code (126/127), then UTF-8 reason.
    pub const SPAWN_FAILED: u8 = 0x22;
    /// Server → host: bytes process `id` wrote to stdout (or to its terminal).
    pub const STDOUT: u8 = 0x23;
    /// Server → host: bytes process `id` wrote to stderr.
    pub const STDERR: u8 = 0x24;
    /// Server → host: this many (`u32`) stdin bytes of process `id` were written to it.
    pub const STDIN_CREDIT: u8 = 0x25;
    /// Server → host: process `id` ended ([`super::Exit`]); always its last frame.
    pub const EXIT: u8 = 0x26;
}

/// A payload that does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// The greeting both sides send first: a magic string, then the protocol version (`u16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// Protocol version.
    pub version: u16,
}

/// Marks a docksandbox-execd greeting.
pub const MAGIC: &[u8; 17] = b"docksandbox-execd";

impl Hello {
    /// The payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&self.version.to_be_bytes());
        v
    }

    /// Parses a payload.
    pub fn decode(p: &[u8]) -> Result<Self, DecodeError> {
        match p.strip_prefix(&MAGIC[..]) {
            Some([a, b]) => Ok(Hello {
                version: u16::from_be_bytes([*a, *b]),
            }),
            _ => Err(DecodeError("not a docksandbox-execd greeting".into())),
        }
    }
}

/// How a process should be started.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spawn {
    /// Run it on a new terminal (stdout and stderr both arrive as [`kind::STDOUT`]).
    pub tty: bool,
    /// Keep its stdin open for [`kind::STDIN`] frames (otherwise it reads `/dev/null`).
    pub stdin: bool,
    /// Terminal rows (with `tty`; 0: 24).
    pub rows: u16,
    /// Terminal columns (with `tty`; 0: 80).
    pub cols: u16,
    /// `uid`, `uid:gid`, `name` or `name:group` (as `docker exec --user`); empty: the server's.
    pub user: String,
    /// Working directory; empty: `/`.
    pub cwd: String,
    /// Program and arguments (the program is looked up in `PATH`).
    pub argv: Vec<String>,
    /// `K=V` pairs added to (or replacing in) the container's environment.
    pub env: Vec<String>,
}

impl Spawn {
    /// The payload: `u8` flags (1: tty, 2: stdin), `u16` rows, `u16` cols, then strings
    /// user, cwd, a `u32` count and the argv strings, a `u32` count and the env strings;
    /// every string is a `u32` length and UTF-8 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(64);
        v.push(u8::from(self.tty) | (u8::from(self.stdin) << 1));
        v.extend_from_slice(&self.rows.to_be_bytes());
        v.extend_from_slice(&self.cols.to_be_bytes());
        put_str(&mut v, &self.user);
        put_str(&mut v, &self.cwd);
        for list in [&self.argv, &self.env] {
            v.extend_from_slice(&(list.len() as u32).to_be_bytes());
            for s in list {
                put_str(&mut v, s);
            }
        }
        v
    }

    /// Parses a payload.
    pub fn decode(p: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader(p);
        let flags = r.u8()?;
        let rows = r.u16()?;
        let cols = r.u16()?;
        let user = r.string()?;
        let cwd = r.string()?;
        let argv = r.list()?;
        let env = r.list()?;
        if !r.0.is_empty() {
            return Err(DecodeError("trailing bytes after a spawn request".into()));
        }
        Ok(Spawn {
            tty: flags & 1 != 0,
            stdin: flags & 2 != 0,
            rows,
            cols,
            user,
            cwd,
            argv,
            env,
        })
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
}

impl Exit {
    /// The payload: `u8` 0 (code) or 1 (signal), then an `i32`.
    pub fn encode(&self) -> Vec<u8> {
        let (tag, n) = match *self {
            Exit::Code(c) => (0u8, c),
            Exit::Signal(s) => (1u8, s),
        };
        let mut v = vec![tag];
        v.extend_from_slice(&n.to_be_bytes());
        v
    }

    /// Parses a payload.
    pub fn decode(p: &[u8]) -> Result<Self, DecodeError> {
        match p {
            [0, a, b, c, d] => Ok(Exit::Code(i32::from_be_bytes([*a, *b, *c, *d]))),
            [1, a, b, c, d] => Ok(Exit::Signal(i32::from_be_bytes([*a, *b, *c, *d]))),
            _ => Err(DecodeError("bad exit status".into())),
        }
    }

    /// The shell's convention: the code, or 128 + the signal number.
    pub fn shell_code(&self) -> i64 {
        match *self {
            Exit::Code(c) => i64::from(c),
            Exit::Signal(s) => 128 + i64::from(s),
        }
    }
}

/// A `u32` payload (credits).
pub fn encode_u32(n: u32) -> [u8; 4] {
    n.to_be_bytes()
}

/// Parses a `u32` payload.
pub fn decode_u32(p: &[u8]) -> Result<u32, DecodeError> {
    <[u8; 4]>::try_from(p)
        .map(u32::from_be_bytes)
        .map_err(|_| DecodeError("expected a 4-byte number".into()))
}

fn put_str(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(&(s.len() as u32).to_be_bytes());
    v.extend_from_slice(s.as_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.0.len() < n {
            return Err(DecodeError("truncated spawn request".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| DecodeError("a string is not UTF-8".into()))
    }
    fn list(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.u32()? as usize;
        if n > self.0.len() / 4 {
            return Err(DecodeError("truncated spawn request".into()));
        }
        (0..n).map(|_| self.string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hello_round_trips_and_refuses_strangers() {
        let h = Hello { version: 7 };
        assert_eq!(Hello::decode(&h.encode()), Ok(h));
        assert!(Hello::decode(b"HTTP/1.1 200 OK").is_err());
    }

    #[test]
    fn exit_round_trips_and_maps_signals_like_a_shell() {
        for e in [Exit::Code(0), Exit::Code(255), Exit::Signal(9)] {
            assert_eq!(Exit::decode(&e.encode()), Ok(e));
        }
        assert_eq!(Exit::Signal(9).shell_code(), 137);
        assert_eq!(Exit::Code(3).shell_code(), 3);
        assert!(Exit::decode(&[2, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn truncated_spawns_are_errors_not_panics() {
        let s = Spawn {
            argv: vec!["echo".into(), "hé".into()],
            env: vec!["A=1".into()],
            user: "1000:1000".into(),
            ..Default::default()
        };
        let p = s.encode();
        for cut in 0..p.len() {
            assert!(Spawn::decode(&p[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = p.clone();
        longer.push(0);
        assert!(Spawn::decode(&longer).is_err());
        assert_eq!(Spawn::decode(&p), Ok(s));
    }

    proptest! {
        #[test]
        fn spawn_round_trips(
            tty: bool, stdin: bool, rows: u16, cols: u16,
            user in ".{0,20}", cwd in ".{0,40}",
            argv in proptest::collection::vec(".{0,30}", 0..8),
            env in proptest::collection::vec(".{0,30}", 0..8),
        ) {
            let s = Spawn { tty, stdin, rows, cols, user, cwd, argv, env };
            prop_assert_eq!(Spawn::decode(&s.encode()), Ok(s));
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_decoders(p in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Spawn::decode(&p);
            let _ = Exit::decode(&p);
            let _ = Hello::decode(&p);
            let _ = decode_u32(&p);
        }
    }
}
