//! Copy to the clipboard of the terminal the user sits at (also over SSH / tmux) with
//! OSC 52: `ESC ] 52 ; c ; <base64> BEL`. Only text ssmdeck produces is copied (sanitized
//! describe text, our own JSON); the runtime writes the sequence between frames
//! (`Effect::Clipboard`).
//!
//! Inside tmux the sequence is passed through (`ESC P tmux; … ESC \`, every ESC doubled) so
//! it reaches the outer terminal; tmux needs `set -g set-clipboard on` (its default
//! `external` also works for applications) or `allow-passthrough on`.

/// Most terminals cap OSC 52 payloads (xterm: 100,000 bytes of base64 by default); longer
/// text is cut at a character boundary below this many bytes and the caller says so.
pub const MAX_BYTES: usize = 74_000;

/// The text cut to [`MAX_BYTES`] (at a char boundary) and whether it was cut.
pub fn fit(text: &str) -> (&str, bool) {
    if text.len() <= MAX_BYTES {
        return (text, false);
    }
    let mut end = MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// The OSC 52 sequence that puts `text` on the system clipboard; wrapped for tmux when
/// `tmux` is true.
pub fn osc52(text: &str, tmux: bool) -> String {
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    if tmux {
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    }
}

/// Whether we run inside tmux (its sequences need the passthrough wrapper).
pub fn in_tmux() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o, "{i}");
        }
    }

    #[test]
    fn osc52_puts_the_text_on_the_clipboard_and_passes_through_tmux() {
        assert_eq!(osc52("i-0abc", false), "\x1b]52;c;aS0wYWJj\x07");
        let t = osc52("i-0abc", true);
        assert!(
            t.starts_with("\x1bPtmux;\x1b\x1b]52;c;aS0wYWJj\x07"),
            "{t:?}"
        );
        assert!(t.ends_with("\x1b\\"));
    }

    #[test]
    fn long_text_is_cut_at_a_char_boundary() {
        let s = "é".repeat(MAX_BYTES);
        let (cut, was_cut) = fit(&s);
        assert!(was_cut);
        assert!(cut.len() <= MAX_BYTES);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(fit("short"), ("short", false));
    }
}
