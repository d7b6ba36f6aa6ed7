//! Untrusted text from remote systems (names, tags, command output, domain names).
//!
//! Everything AWS sends goes through [`sanitize`] before it is drawn or written to a
//! report: terminal escape sequences (CSI, OSC, DCS, ...) and control characters are
//! removed so a hostile tag value cannot move the cursor, retitle the terminal or hide text.

/// Strip terminal escape sequences and control characters from one-line text.
/// Tabs and newlines become a single space.
pub fn sanitize(s: &str) -> String {
    sanitize_impl(s, false)
}

/// Like [`sanitize`], but keeps newlines (for multi-line command output); tabs become
/// four spaces and `\r\n` becomes `\n`.
pub fn sanitize_multiline(s: &str) -> String {
    sanitize_impl(s, true)
}

/// `true` when `s` needs no change (the fast path for clean data).
pub fn is_clean(s: &str) -> bool {
    if s.is_ascii() {
        return !s.bytes().any(|b| b < 0x20 || b == 0x7f);
    }
    !s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Append `s` sanitized (as [`sanitize`]) to `out`, without allocating when it is clean.
pub fn push_sanitized(out: &mut String, s: &str) {
    if is_clean(s) {
        out.push_str(s);
    } else {
        out.push_str(&sanitize(s));
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn sanitize_impl(s: &str, multiline: bool) -> String {
    if is_clean(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI / OSC / DCS introducers: treat like their ESC forms.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if multiline => out.push('\n'),
            '\r' if multiline => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\t' if multiline => out.push_str("    "),
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            skip_string(chars);
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // nF escape: intermediates then a final byte.
            while let Some(&c) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&c) {
                    break;
                }
            }
        }
        Some(_) => {
            chars.next(); // two-character escape (ESC c, ESC 7, ...)
        }
        None => {}
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // parameters and intermediates (0x20..=0x3f), then one final byte (0x40..=0x7e)
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // OSC/DCS/... strings end at BEL, ST (ESC \) or C1 ST.
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(sanitize("web\u{1b}[2J\u{1b}[31m-01\u{1b}[0m"), "web-01");
        assert_eq!(sanitize("\u{1b}]0;pwned\u{7}host"), "host");
        assert_eq!(
            sanitize("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
        assert_eq!(sanitize("a\u{0}b\u{8}c\u{7f}d"), "abcd");
        assert_eq!(sanitize("tab\there\nnew"), "tab here new");
        assert_eq!(sanitize("rtl\u{202E}txt"), "rtltxt");
        assert_eq!(sanitize("\u{9b}31mred"), "red");
    }

    #[test]
    fn clean_text_is_unchanged() {
        let s = "ip-10-0-0-1.ec2.internal — Ünïcode ✓";
        assert!(is_clean(s));
        assert_eq!(sanitize(s), s);
    }

    #[test]
    fn multiline_keeps_lines() {
        assert_eq!(
            sanitize_multiline("a\r\nb\rc\n\u{1b}[1mB\u{1b}[0m"),
            "a\nb\nc\nB"
        );
        assert_eq!(sanitize_multiline("x\ty"), "x    y");
    }
}
