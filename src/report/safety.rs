//! Making untrusted remote strings safe for each output format.
//!
//! Every string that came from AWS (names, tags, computer names, domain names, error
//! messages) passes through here before it is written to a report:
//! - control characters and terminal escape sequences are stripped ([`crate::text::sanitize`]);
//! - CSV cells that a spreadsheet would evaluate as a formula are neutralised ([`csv_cell`]);
//! - Markdown and HTML metacharacters are escaped ([`md`], [`html`]).

use crate::text::sanitize;

/// A CSV cell: control characters stripped, and a cell that would start a spreadsheet
/// formula (`=`, `+`, `-`, `@`, tab or carriage return first, also after leading spaces)
/// is prefixed with `'` so Excel / LibreOffice / Sheets show it as text.
/// Plain numbers (`-3`, `+1.5`) are left alone: a number is not a formula.
pub fn csv_cell(raw: &str) -> String {
    let starts_with_ws_control = raw.starts_with(['\t', '\r']);
    let clean = sanitize(raw);
    if starts_with_ws_control || is_formula_like(&clean) {
        format!("'{clean}")
    } else {
        clean
    }
}

/// Whether a spreadsheet could evaluate this (already sanitized) text as a formula.
pub fn is_formula_like(s: &str) -> bool {
    let trimmed = s.trim_start_matches([' ', '\u{a0}']);
    let Some(first) = trimmed.chars().next() else {
        return false;
    };
    if !matches!(
        first,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'
    ) {
        return false;
    }
    // A plain number such as `-3` or `+1.5` is data, not a formula.
    !(trimmed.len() > 1 && trimmed.parse::<f64>().is_ok_and(f64::is_finite))
}

/// Text for Markdown (tables and prose): control characters stripped, Markdown and
/// inline-HTML metacharacters backslash-escaped so remote text cannot add links,
/// images, emphasis, code spans or break a table row.
pub fn md(raw: &str) -> String {
    let clean = sanitize(raw);
    let chars: Vec<char> = clean.chars().collect();
    let mut out = String::with_capacity(clean.len());
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' => true,
            // Intraword `_` / `~` never start emphasis (CommonMark); escape only at edges,
            // so identifiers like AMAZON_ISSUED stay readable in chat tools.
            '_' | '~' => {
                let before = i.checked_sub(1).map(|j| chars[j]);
                let after = chars.get(i + 1).copied();
                !(before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric))
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for HTML element content and quoted attribute values: control characters
/// stripped, `& < > " '` escaped.
pub fn html(raw: &str) -> String {
    let clean = sanitize(raw);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for JSON string values: control characters stripped (JSON escaping itself is
/// serde_json's job).
pub fn json(raw: &str) -> String {
    sanitize(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(csv_cell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\t=1+1"), "' =1+1");
        assert_eq!(csv_cell("\r=1+1"), "' =1+1");
        assert_eq!(csv_cell("  =1+1"), "'  =1+1");
        assert_eq!(csv_cell("＝1+1"), "'＝1+1");
        assert_eq!(csv_cell("-"), "'-");
    }

    #[test]
    fn ordinary_text_and_numbers_pass() {
        assert_eq!(csv_cell("web-01"), "web-01");
        assert_eq!(csv_cell("-3"), "-3");
        assert_eq!(csv_cell("+1.5"), "+1.5");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_cell("-inf"), "'-inf");
    }

    #[test]
    fn control_characters_are_stripped_everywhere() {
        assert_eq!(csv_cell("web\u{1b}[31m-01\u{7}"), "web-01");
        assert_eq!(md("x\u{1b}]0;t\u{7}y"), "xy");
        assert_eq!(html("a\u{0}b"), "ab");
        assert_eq!(json("a\u{1b}[2Jb"), "ab");
    }

    #[test]
    fn markdown_and_html_are_escaped() {
        assert_eq!(
            md("a|b [x](http://e) *y*"),
            "a\\|b \\[x\\](http://e) \\*y\\*"
        );
        assert_eq!(md("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(
            html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
