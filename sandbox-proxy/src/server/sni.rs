//! Reading the server name (SNI) from a TLS ClientHello, without terminating TLS.
//!
//! A careful hand parser: records are reassembled until the whole ClientHello handshake message
//! is there (it may span records), every length is checked against what remains, and anything
//! malformed is "not TLS". Nothing is decrypted. With Encrypted Client Hello only the outer
//! server name is visible; it is what gets checked.

/// The largest ClientHello (records and headers included) the proxy waits for.
pub const MAX_HELLO: usize = 16 * 1024;

/// What the first bytes of a connection are.
#[derive(Debug, PartialEq, Eq)]
pub enum Hello {
    /// A whole ClientHello; its server name (lowercase, no trailing dot), if it has one.
    Complete { sni: Option<String>, ech: bool },
    /// A ClientHello so far; more bytes are needed.
    Incomplete,
    /// Not a TLS ClientHello, and why.
    NotTls(String),
}

/// A bounds-checked reader over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    /// A vector with a one- or two-byte length prefix.
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

fn not_tls(why: &str) -> Hello {
    Hello::NotTls(why.to_string())
}

/// Looks at the bytes read so far from a client.
pub fn parse(buf: &[u8]) -> Hello {
    let mut handshake: Vec<u8> = Vec::new();
    let mut rest = buf;
    loop {
        if rest.is_empty() {
            return Hello::Incomplete;
        }
        if rest[0] != 0x16 {
            return not_tls("the first byte is not a TLS handshake record");
        }
        if rest.len() >= 2 && rest[1] != 0x03 {
            return not_tls("the record version is not TLS");
        }
        if rest.len() < 5 {
            return Hello::Incomplete;
        }
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if len == 0 || len > 16 * 1024 {
            return not_tls("bad TLS record length");
        }
        if rest.len() < 5 + len {
            return Hello::Incomplete;
        }
        handshake.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
        if handshake[0] != 0x01 {
            return not_tls("the first handshake message is not a ClientHello");
        }
        if handshake.len() < 4 {
            continue;
        }
        let body_len = (usize::from(handshake[1]) << 16)
            | (usize::from(handshake[2]) << 8)
            | usize::from(handshake[3]);
        if body_len + 4 > MAX_HELLO {
            return not_tls("the ClientHello is larger than 16 KiB");
        }
        if handshake.len() >= 4 + body_len {
            return client_hello(&handshake[4..4 + body_len]);
        }
    }
}

/// Parses a ClientHello body (after the handshake header).
fn client_hello(body: &[u8]) -> Hello {
    let mut r = Reader { buf: body };
    let fields = (|| {
        let version = r.take(2)?;
        r.take(32)?; // random
        let session = r.vec8()?;
        let suites = r.vec16()?;
        let compression = r.vec8()?;
        Some((version, session.len(), suites.len(), compression.len()))
    })();
    let Some((version, session, suites, compression)) = fields else {
        return not_tls("truncated ClientHello");
    };
    if version[0] != 0x03 || session > 32 || suites < 2 || suites % 2 != 0 || compression < 1 {
        return not_tls("malformed ClientHello");
    }
    if r.buf.is_empty() {
        return Hello::Complete {
            sni: None,
            ech: false,
        };
    }
    let Some(exts) = r.vec16() else {
        return not_tls("truncated ClientHello extensions");
    };
    if !r.buf.is_empty() {
        return not_tls("bytes after the ClientHello extensions");
    }
    let mut r = Reader { buf: exts };
    let mut seen: Vec<u16> = Vec::new();
    let mut sni = None;
    let mut ech = false;
    while !r.buf.is_empty() {
        let (Some(kind), Some(data)) = (r.u16(), r.vec16()) else {
            return not_tls("truncated ClientHello extension");
        };
        let kind = kind as u16;
        if seen.contains(&kind) {
            return not_tls("a ClientHello extension appears twice");
        }
        seen.push(kind);
        match kind {
            0x0000 => match server_name(data) {
                Ok(name) => sni = name,
                Err(why) => return not_tls(why),
            },
            0xfe0d => ech = true,
            _ => {}
        }
    }
    Hello::Complete { sni, ech }
}

/// The host name of a server_name extension (RFC 6066 §3).
fn server_name(data: &[u8]) -> Result<Option<String>, &'static str> {
    let mut r = Reader { buf: data };
    let Some(list) = r.vec16() else {
        return Err("truncated server_name extension");
    };
    if !r.buf.is_empty() {
        return Err("bytes after the server_name list");
    }
    let mut r = Reader { buf: list };
    let mut host = None;
    while !r.buf.is_empty() {
        let (Some(kind), Some(name)) = (r.u8(), r.vec16()) else {
            return Err("truncated server_name entry");
        };
        if kind != 0 {
            continue;
        }
        if host.is_some() {
            return Err("two host names in server_name");
        }
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
            return Err("the server name is not a printable ASCII host name");
        }
        let s = String::from_utf8_lossy(name).to_ascii_lowercase();
        host = Some(s.strip_suffix('.').unwrap_or(&s).to_string());
    }
    Ok(host)
}

/// A ClientHello for tests: one record, optional server name, optional ECH extension.
#[cfg(test)]
pub fn build_hello(sni: Option<&str>, ech: bool) -> Vec<u8> {
    let mut exts = Vec::new();
    if let Some(name) = sni {
        let n = name.as_bytes();
        let mut entry = vec![0u8];
        entry.extend_from_slice(&(n.len() as u16).to_be_bytes());
        entry.extend_from_slice(n);
        let mut list = (entry.len() as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&entry);
        exts.extend_from_slice(&[0, 0]);
        exts.extend_from_slice(&(list.len() as u16).to_be_bytes());
        exts.extend_from_slice(&list);
    }
    if ech {
        exts.extend_from_slice(&[0xfe, 0x0d, 0, 1, 0]);
    }
    exts.extend_from_slice(&[0x00, 0x2b, 0, 3, 2, 3, 4]); // supported_versions: TLS 1.3
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 2, 0x13, 0x01]);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sni(name: &str) -> Hello {
        Hello::Complete {
            sni: Some(name.to_string()),
            ech: false,
        }
    }

    #[test]
    fn reads_the_server_name() {
        assert_eq!(
            parse(&build_hello(Some("Example.COM."), false)),
            sni("example.com")
        );
        assert_eq!(
            parse(&build_hello(None, false)),
            Hello::Complete {
                sni: None,
                ech: false
            }
        );
        assert_eq!(
            parse(&build_hello(Some("public.test"), true)),
            Hello::Complete {
                sni: Some("public.test".into()),
                ech: true
            }
        );
    }

    #[test]
    fn waits_for_the_whole_hello_and_ignores_what_follows() {
        let h = build_hello(Some("a.test"), false);
        for cut in 0..h.len() {
            assert_eq!(parse(&h[..cut]), Hello::Incomplete, "cut at {cut}");
        }
        let mut more = h.clone();
        more.extend_from_slice(b"\x17\x03\x03\x00\x01x");
        assert_eq!(parse(&more), sni("a.test"));
    }

    #[test]
    fn reassembles_a_hello_split_over_records() {
        let h = build_hello(Some("split.test"), false);
        let hs = &h[5..];
        let (a, b) = hs.split_at(3);
        let mut two = vec![0x16, 3, 1, 0, a.len() as u8];
        two.extend_from_slice(a);
        two.extend_from_slice(&[0x16, 3, 1]);
        two.extend_from_slice(&(b.len() as u16).to_be_bytes());
        two.extend_from_slice(b);
        assert_eq!(parse(&two), sni("split.test"));
    }

    #[test]
    fn refuses_what_is_not_tls() {
        for bytes in [
            &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
            b"GET / HTTP/1.1\r\n",
            b"\x16\x04\x00",
            b"\x16\x03\x01\x00\x00",
        ] {
            assert!(matches!(parse(bytes), Hello::NotTls(_)), "{bytes:?}");
        }
        // A handshake record that is not a ClientHello (a ServerHello).
        let mut h = build_hello(Some("a.test"), false);
        h[5] = 2;
        assert!(matches!(parse(&h), Hello::NotTls(_)));
    }

    #[test]
    fn refuses_malformed_hellos() {
        let good = build_hello(Some("a.test"), false);
        // Every single-byte corruption of a length either parses, waits or refuses: never panics.
        for i in 0..good.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut b = good.clone();
                b[i] = v;
                let _ = parse(&b);
            }
        }
        // Truncating the body while fixing up the outer lengths is refused.
        let mut short = good[..good.len() - 4].to_vec();
        let (rec_len, hs_len) = (short.len() - 5, short.len() - 9);
        short[3..5].copy_from_slice(&(rec_len as u16).to_be_bytes());
        short[6..9].copy_from_slice(&(hs_len as u32).to_be_bytes()[1..]);
        assert!(matches!(parse(&short), Hello::NotTls(_)));
        // Two server names are refused.
        assert_eq!(
            server_name(&[0, 8, 0, 0, 1, b'a', 0, 0, 1, b'b']),
            Err("two host names in server_name")
        );
        assert!(server_name(&[0, 4, 0, 0, 1, b' ']).is_err());
    }
}
