//! A multipart body (RFC 2046 5.1, as PS3.18 8.6.1.2 uses `multipart/related`)
//! split into parts as its bytes arrive: STOW-RS uploads of any size pass
//! through bounded memory. The reader holds at most one pushed chunk plus a
//! delimiter's length of body, and a part's header block of at most
//! `MAX_HEADER_BLOCK` bytes; a peer's endless header line is refused, not kept.

use bytes::{Buf, Bytes, BytesMut};

/// Far more than the few headers a DICOM part carries.
pub const MAX_HEADER_BLOCK: usize = 16 * 1024;
/// RFC 2046 5.1.1 says a boundary is 1 to 70 characters, but Orthanc's
/// DICOMweb client sends longer ones; any that fits in a line is taken.
const MAX_BOUNDARY_LEN: usize = 256;
/// Transport padding allowed after a delimiter, before its CRLF.
const MAX_PADDING: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the boundary must be 1 to {MAX_BOUNDARY_LEN} characters")]
    Boundary,
    #[error("a part's headers are longer than {MAX_HEADER_BLOCK} bytes")]
    HeadersTooLong,
    #[error("a part's header line is malformed")]
    MalformedHeader,
    #[error("a delimiter is not followed by a line break")]
    MalformedDelimiter,
    #[error("the body ends before its closing delimiter")]
    Truncated,
}

/// What the body holds next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A part begins; its headers, names lower-cased, values trimmed.
    PartStart(Vec<(String, String)>),
    /// Some of the current part's body.
    Data(Bytes),
    /// The current part is complete.
    PartEnd,
    /// The closing delimiter: nothing after it is read.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter: discarded.
    Preamble,
    /// Just past a delimiter: `--` closes, else padding and CRLF.
    AfterDelimiter,
    Headers,
    Body,
    /// After the closing delimiter: discarded.
    Epilogue,
}

#[derive(Debug)]
pub struct MultipartReader {
    /// CRLF `--` boundary: what ends a part's body.
    delimiter: Vec<u8>,
    buffer: BytesMut,
    state: State,
    ended: bool,
}

impl MultipartReader {
    pub fn new(boundary: &str) -> Result<Self, MultipartError> {
        if boundary.is_empty() || boundary.len() > MAX_BOUNDARY_LEN {
            return Err(MultipartError::Boundary);
        }
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        // The first delimiter may open the body with no line break before it.
        let buffer = BytesMut::from(&b"\r\n"[..]);
        Ok(Self { delimiter, buffer, state: State::Preamble, ended: false })
    }

    /// More of the body. Call `next_event` until it answers `None` before
    /// pushing again, so the buffer never holds more than one chunk.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.state != State::Epilogue {
            self.buffer.extend_from_slice(chunk);
        }
    }

    /// The body has no more bytes.
    pub fn end(&mut self) {
        self.ended = true;
    }

    /// The next event the bytes pushed so far make whole; `None` when more
    /// are needed (or, after `End`, ever).
    pub fn next_event(&mut self) -> Result<Option<Event>, MultipartError> {
        loop {
            match self.state {
                State::Epilogue => {
                    self.buffer.clear();
                    return Ok(None);
                }
                State::Preamble => match find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        self.buffer.advance(at + self.delimiter.len());
                        self.state = State::AfterDelimiter;
                    }
                    None => {
                        let keep = self.delimiter.len() - 1;
                        if self.buffer.len() > keep {
                            self.buffer.advance(self.buffer.len() - keep);
                        }
                        return self.need_more();
                    }
                },
                State::AfterDelimiter => {
                    if self.buffer.len() < 2 {
                        return self.need_more();
                    }
                    if self.buffer.starts_with(b"--") {
                        self.state = State::Epilogue;
                        return Ok(Some(Event::End));
                    }
                    let padding = self.buffer.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
                    if padding > MAX_PADDING {
                        return Err(MultipartError::MalformedDelimiter);
                    }
                    if self.buffer.len() < padding + 2 {
                        return self.need_more();
                    }
                    if &self.buffer[padding..padding + 2] != b"\r\n" {
                        return Err(MultipartError::MalformedDelimiter);
                    }
                    self.buffer.advance(padding + 2);
                    self.state = State::Headers;
                }
                State::Headers => {
                    // The block ends at the first empty line; it may be the very first.
                    let end = if self.buffer.starts_with(b"\r\n") {
                        Some((0, 2))
                    } else {
                        find(&self.buffer, b"\r\n\r\n").map(|at| (at, at + 4))
                    };
                    let Some((block_end, consumed)) = end else {
                        if self.buffer.len() > MAX_HEADER_BLOCK {
                            return Err(MultipartError::HeadersTooLong);
                        }
                        return self.need_more();
                    };
                    if block_end > MAX_HEADER_BLOCK {
                        return Err(MultipartError::HeadersTooLong);
                    }
                    let headers = parse_headers(&self.buffer[..block_end])?;
                    self.buffer.advance(consumed);
                    self.state = State::Body;
                    return Ok(Some(Event::PartStart(headers)));
                }
                State::Body => match find(&self.buffer, &self.delimiter) {
                    Some(0) => {
                        self.buffer.advance(self.delimiter.len());
                        self.state = State::AfterDelimiter;
                        return Ok(Some(Event::PartEnd));
                    }
                    Some(at) => return Ok(Some(Event::Data(self.buffer.split_to(at).freeze()))),
                    None => {
                        // Keep what could be the start of a delimiter split across chunks.
                        let keep = self.delimiter.len() - 1;
                        if self.buffer.len() > keep {
                            let ready = self.buffer.len() - keep;
                            return Ok(Some(Event::Data(self.buffer.split_to(ready).freeze())));
                        }
                        return self.need_more();
                    }
                },
            }
        }
    }

    fn need_more(&self) -> Result<Option<Event>, MultipartError> {
        if self.ended { Err(MultipartError::Truncated) } else { Ok(None) }
    }
}

/// The `boundary` parameter of a `multipart/*` Content-Type value, quoted or not.
pub fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn parse_headers(block: &[u8]) -> Result<Vec<(String, String)>, MultipartError> {
    let text = std::str::from_utf8(block).map_err(|_| MultipartError::MalformedHeader)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n").filter(|line| !line.is_empty()) {
        if line.starts_with([' ', '\t']) {
            // RFC 5322 2.2.3: a folded line continues the header before it.
            let (_, value) = headers.last_mut().ok_or(MultipartError::MalformedHeader)?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(MultipartError::MalformedHeader)?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(MultipartError::MalformedHeader);
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(headers)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A part as read: its headers and its body.
    type Part = (Vec<(String, String)>, Vec<u8>);

    /// Every event of `body` pushed `chunk` bytes at a time, data joined per part.
    fn parts(body: &[u8], chunk: usize) -> Result<Vec<Part>, MultipartError> {
        let mut reader = MultipartReader::new("XyZ")?;
        let mut parts: Vec<Part> = Vec::new();
        let mut ended = false;
        let mut chunks = body.chunks(chunk.max(1)).peekable();
        loop {
            while let Some(event) = reader.next_event()? {
                match event {
                    Event::PartStart(headers) => parts.push((headers, Vec::new())),
                    Event::Data(data) => parts.last_mut().expect("a part").1.extend_from_slice(&data),
                    Event::PartEnd => {}
                    Event::End => ended = true,
                }
            }
            match chunks.next() {
                Some(next) => reader.push(next),
                None if ended => return Ok(parts),
                None => reader.end(),
            }
        }
    }

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--X part\r\n--XyZ  \r\n\r\nsecond\r\n--XyZ--\r\nepilogue";

    #[test]
    fn parts_come_out_whole_however_the_body_is_chunked() {
        for chunk in [1, 2, 3, 5, 7, 16, 1000] {
            let found = parts(BODY, chunk).expect("a well-formed body");
            assert_eq!(found.len(), 2, "chunk {chunk}");
            assert_eq!(found[0].0, [("content-type".to_owned(), "application/dicom".to_owned())]);
            assert_eq!(found[0].1, b"first\r\n--X part", "chunk {chunk}");
            assert!(found[1].0.is_empty());
            assert_eq!(found[1].1, b"second");
        }
    }

    #[test]
    fn a_body_may_open_with_its_delimiter_and_fold_a_header() {
        let body = b"--XyZ\r\nContent-Type: application/dicom;\r\n transfer-syntax=1.2\r\n\r\nx\r\n--XyZ--";
        let found = parts(body, 4).expect("a well-formed body");
        assert_eq!(found[0].0[0].1, "application/dicom; transfer-syntax=1.2");
        assert_eq!(found[0].1, b"x");
    }

    #[test]
    fn a_body_without_its_closing_delimiter_is_truncated() {
        assert_eq!(parts(b"--XyZ\r\n\r\nunfinished", 3), Err(MultipartError::Truncated));
        assert_eq!(parts(b"no delimiter at all", 3), Err(MultipartError::Truncated));
    }

    #[test]
    fn an_endless_header_block_is_refused_in_bounded_memory() {
        let mut reader = MultipartReader::new("XyZ").expect("a boundary");
        reader.push(b"--XyZ\r\nX-Long: ");
        let line = vec![b'a'; 4096];
        let mut refused = None;
        for _ in 0..64 {
            reader.push(&line);
            match reader.next_event() {
                Ok(None) => continue,
                other => {
                    refused = Some(other);
                    break;
                }
            }
        }
        assert_eq!(refused, Some(Err(MultipartError::HeadersTooLong)));
        assert!(reader.buffer.len() <= MAX_HEADER_BLOCK + line.len() + 16);
    }

    #[test]
    fn malformed_delimiters_and_headers_are_refused() {
        assert_eq!(parts(b"--XyZ junk\r\n\r\n--XyZ--", 100), Err(MultipartError::MalformedDelimiter));
        assert_eq!(parts(b"--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", 100), Err(MultipartError::MalformedHeader));
        assert!(MultipartReader::new("").is_err());
        assert!(MultipartReader::new(&"b".repeat(100)).is_ok(), "Orthanc's are longer than RFC 2046's 70");
        assert!(MultipartReader::new(&"b".repeat(257)).is_err());
    }

    #[test]
    fn the_boundary_is_read_quoted_or_not() {
        let quoted = r#"multipart/related; type="application/dicom"; boundary="a b:c""#;
        assert_eq!(boundary_of(quoted).as_deref(), Some("a b:c"));
        assert_eq!(boundary_of("multipart/related; BOUNDARY=xyz").as_deref(), Some("xyz"));
        assert_eq!(boundary_of("multipart/related"), None);
    }
}
