//! Frames: `u32` length (big endian, counting what follows), `u8` kind, `u32` process id, payload.

/// Bytes of a frame before its payload: length, kind, id.
pub const HEADER_LEN: usize = 9;

/// Largest payload a frame may carry; a longer length prefix is a protocol error.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// What the frame means ([`crate::message::kind`]).
    pub kind: u8,
    /// The process the frame is about (0: the connection).
    pub id: u32,
    /// The kind-specific payload.
    pub payload: Vec<u8>,
}

/// The stream does not hold valid frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub String);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FrameError {}

/// Encodes one frame. Panics when `payload` is longer than [`MAX_PAYLOAD`] (a caller bug:
/// data is always sent in chunks of at most [`crate::MAX_CHUNK`]).
pub fn encode(kind: u8, id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    encode_into(&mut out, kind, id, payload);
    out
}

/// Appends one encoded frame to `out`.
pub fn encode_into(out: &mut Vec<u8>, kind: u8, id: u32, payload: &[u8]) {
    assert!(payload.len() <= MAX_PAYLOAD, "frame payload too long");
    let len = u32::try_from(payload.len() + 5).expect("bounded above");
    out.extend_from_slice(&len.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Incremental decoder: push bytes as they arrive, take whole frames out.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
}

impl Decoder {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 64 * 1024 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as frames.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next whole frame, `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let avail = &self.buf[self.start..];
        if avail.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([avail[0], avail[1], avail[2], avail[3]]) as usize;
        if len < 5 {
            return Err(FrameError(format!(
                "frame length {len} is below the header's 5 bytes"
            )));
        }
        if len - 5 > MAX_PAYLOAD {
            return Err(FrameError(format!(
                "frame length {len} exceeds the maximum of {} (not a docksandbox-execd stream?)",
                MAX_PAYLOAD + 5
            )));
        }
        if avail.len() < 4 + len {
            return Ok(None);
        }
        let kind = avail[4];
        let id = u32::from_be_bytes([avail[5], avail[6], avail[7], avail[8]]);
        let payload = avail[HEADER_LEN..4 + len].to_vec();
        self.start += 4 + len;
        Ok(Some(Frame { kind, id, payload }))
    }
}

/// The most bytes one write of queued frames carries.
pub const WRITE_BATCH: usize = 256 * 1024;

/// Joins queued frames into one write, both ends' way of sending: the frame just received,
/// then whatever else is queued already, up to about [`WRITE_BATCH`] bytes.
///
/// ```
/// let mut queue = vec![b"b".to_vec(), b"c".to_vec()].into_iter();
/// let mut batch = docksandbox_execd::frame::WriteBatch::default();
/// assert_eq!(batch.fill(b"a", || queue.next()), b"abc");
/// ```
#[derive(Debug, Default)]
pub struct WriteBatch {
    buf: Vec<u8>,
}

impl WriteBatch {
    /// The bytes of `first` and of every frame `more` yields at once (a channel's
    /// `try_recv`), stopping when `more` has none or the batch holds [`WRITE_BATCH`] bytes.
    pub fn fill(&mut self, first: &[u8], mut more: impl FnMut() -> Option<Vec<u8>>) -> &[u8] {
        self.buf.clear();
        self.buf.extend_from_slice(first);
        while self.buf.len() < WRITE_BATCH {
            match more() {
                Some(f) => self.buf.extend_from_slice(&f),
                None => break,
            }
        }
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_batch_stops_when_full_or_when_nothing_is_queued() {
        let mut batch = WriteBatch::default();
        let mut calls = 0;
        let full = batch.fill(&[1; 100], || {
            calls += 1;
            Some(vec![2; 64 * 1024])
        });
        assert!(full.len() >= WRITE_BATCH && full.len() < WRITE_BATCH + 64 * 1024);
        assert_eq!(calls, 4);
        assert_eq!(batch.fill(b"x", || None), b"x");
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_frame_split_anywhere_decodes_once_whole() {
        let bytes = encode(3, 0xdead_beef, b"hello");
        for cut in 0..bytes.len() {
            let mut d = Decoder::default();
            d.push(&bytes[..cut]);
            assert_eq!(d.next_frame().unwrap(), None, "cut at {cut}");
            d.push(&bytes[cut..]);
            let f = d.next_frame().unwrap().unwrap();
            assert_eq!(
                (f.kind, f.id, f.payload),
                (3, 0xdead_beef, b"hello".to_vec())
            );
            assert_eq!(d.next_frame().unwrap(), None);
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn oversized_and_undersized_lengths_are_errors() {
        let mut d = Decoder::default();
        d.push(&u32::MAX.to_be_bytes());
        assert!(d.next_frame().unwrap_err().0.contains("exceeds"));
        let mut d = Decoder::default();
        d.push(&[0, 0, 0, 4, 1, 0, 0, 0]);
        assert!(d.next_frame().unwrap_err().0.contains("below"));
    }

    proptest! {
        #[test]
        fn frames_round_trip_through_any_chunking(
            frames in proptest::collection::vec((any::<u8>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..20),
            chunk in 1usize..64,
        ) {
            let mut wire = Vec::new();
            for (k, id, p) in &frames {
                encode_into(&mut wire, *k, *id, p);
            }
            let mut d = Decoder::default();
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                d.push(piece);
                while let Some(f) = d.next_frame().unwrap() {
                    got.push((f.kind, f.id, f.payload));
                }
            }
            prop_assert_eq!(got, frames);
            prop_assert_eq!(d.pending(), 0);
        }
    }
}
