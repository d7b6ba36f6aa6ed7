//! Line numbers for messages about TOML files (config, themes, keymaps): the `toml` crate gives
//! spans for syntax errors; for semantic errors (unknown action, bad colour) we locate the
//! key by scanning the text for its table header and key.

/// 1-based line of `key` inside `[section]` (`section == ""` = top level), or of the
/// section header when the key is not found, or 1.
pub fn line_of(text: &str, section: &str, key: &str) -> usize {
    let mut current = String::new();
    let mut header_line = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') && !line.starts_with("[[") {
            current = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .to_string();
            if current == section {
                header_line = Some(i + 1);
            }
            continue;
        }
        if current != section {
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        let unquoted = k
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| k.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(k);
        if unquoted == key {
            return i + 1;
        }
    }
    header_line.unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quoted_and_bare_keys_in_sections() {
        let t = "name = \"x\"\n[global]\n\"q\" = \"quit\"\nj = \"down\"\n[nodes]\nj = \"up\"\n";
        assert_eq!(line_of(t, "", "name"), 1);
        assert_eq!(line_of(t, "global", "q"), 3);
        assert_eq!(line_of(t, "global", "j"), 4);
        assert_eq!(line_of(t, "nodes", "j"), 6);
        assert_eq!(line_of(t, "nodes", "zz"), 5);
    }
}
