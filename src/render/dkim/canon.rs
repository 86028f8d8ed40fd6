//! Relaxed canonicalisation (RFC 6376 §3.4.2 headers, §3.4.4 body): what the signature
//! covers is the message as a verifier will see it after relays refold headers or strip
//! trailing whitespace, so both sides hash the same bytes. Works on the message as sent
//! (lettre's formatted output), never on lettre's header structures: what is signed is then
//! exactly what goes on the wire.

/// Space and horizontal tab, the WSP of RFC 5234.
fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The message split at the first empty line: header block (ending with the CRLF of the
/// last field) and body. `None` when there is no empty line.
pub(super) fn split(message: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memchr::memmem::find(message, b"\r\n\r\n")?;
    Some((&message[..at + 2], &message[at + 4..]))
}

/// The fields of a header block, each with its continuation lines, without the final CRLF:
/// `Subject: a\r\n b`.
pub(super) fn fields(head: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while let Some(i) = find_crlf(&head[pos..]) {
        let next = pos + i + 2;
        // A field ends at a CRLF not followed by whitespace (which would continue it).
        if head.get(next).is_none_or(|&b| !is_wsp(b)) {
            fields.push(&head[start..pos + i]);
            start = next;
        }
        pos = next;
    }
    if start < head.len() {
        fields.push(&head[start..]);
    }
    fields
}

fn find_crlf(s: &[u8]) -> Option<usize> {
    memchr::memmem::find(s, b"\r\n")
}

/// The field's name as written (`Subject` of `Subject: a`).
pub(super) fn field_name(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    trim_end_wsp(&field[..end])
}

/// `field` relaxed (§3.4.2) and appended to `out` with a CRLF when `crlf`: name lower-cased,
/// unfolded, runs of whitespace one space, no whitespace around the colon or at the end.
pub(super) fn relaxed_header(field: &[u8], crlf: bool, out: &mut Vec<u8>) {
    let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    out.extend(field_name(field).iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let value = field.get(colon + 1..).unwrap_or_default();
    let mut pending_space = false;
    let mut wrote = false;
    for &b in value {
        if b == b'\r' || b == b'\n' {
            // Unfolding: the CRLF goes, the whitespace after it stays (and is reduced).
            continue;
        }
        if is_wsp(b) {
            pending_space = wrote;
            continue;
        }
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        out.push(b);
        wrote = true;
    }
    if crlf {
        out.extend_from_slice(b"\r\n");
    }
}

/// `body` relaxed (§3.4.4), appended to `out`: whitespace at line ends removed, runs of
/// whitespace one space, empty lines at the end removed, and a final CRLF when anything
/// is left. Lines end at CRLF only (a bare LF is content, as in SMTP).
pub(super) fn relaxed_body(body: &[u8], out: &mut Vec<u8>) {
    out.reserve(body.len());
    let mut empty_lines = 0usize;
    let mut rest = body;
    loop {
        let (line, next) = match find_crlf(rest) {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, &b""[..]),
        };
        let line = trim_end_wsp(line);
        if line.is_empty() {
            // Kept back: empty lines count only when something follows them.
            empty_lines += 1;
        } else {
            for _ in 0..empty_lines {
                out.extend_from_slice(b"\r\n");
            }
            empty_lines = 0;
            reduce_wsp(line, out);
            out.extend_from_slice(b"\r\n");
        }
        if next.is_empty() {
            return;
        }
        rest = next;
    }
}

/// `s` with each run of whitespace as one space.
fn reduce_wsp(s: &[u8], out: &mut Vec<u8>) {
    let mut rest = s;
    while let Some(i) = rest.iter().position(|&b| is_wsp(b)) {
        out.extend_from_slice(&rest[..i]);
        out.push(b' ');
        let run = rest[i..].iter().take_while(|&&b| is_wsp(b)).count();
        rest = &rest[i + run..];
    }
    out.extend_from_slice(rest);
}

fn trim_end_wsp(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
    &s[..end]
}
