//! Layered TOML files — the one loader behind themes and keymaps.
//!
//! A name resolves to a user file `<dir>/NAME.toml` and/or a built-in of that name. A user
//! file is layered over the built-in of the same name, or over the file its top-level
//! `extends = "OTHER"` names, else over the base (`default`); a built-in may extend another
//! built-in. `extends = "NAME"` inside the user's `NAME.toml` means the built-in `NAME`.
//!
//! Checked here, for both kinds, before any terminal is touched: names are plain file names
//! (a theme or keymap cannot be read from outside its directory: no `/`, `\`, `..` or
//! leading dot), `extends` is a name, every name in the chain exists, and a chain that comes
//! back to itself is rejected with the chain shown (`a → b → a`). Errors name the file and,
//! where there is one, the line.

use std::fmt;
use std::path::Path;

use super::tomlpos::line_of;

/// A problem with a theme or keymap file: which file, which line (when a line says it),
/// and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// File path, `builtin:NAME`, or empty when the problem is a name given on the command
    /// line or in the config.
    pub file: String,
    pub line: Option<usize>,
    pub problem: String,
}

impl FileError {
    pub fn at(file: &str, line: usize, problem: impl Into<String>) -> FileError {
        FileError {
            file: file.to_string(),
            line: Some(line),
            problem: problem.into(),
        }
    }

    fn name(problem: String) -> FileError {
        FileError {
            file: String::new(),
            line: None,
            problem,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.problem),
            (false, Some(l)) => write!(f, "{}: line {l}: {}", self.file, self.problem),
            (false, None) => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

impl std::error::Error for FileError {}

/// What kind of layered file: `theme` or `keymap`.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    /// `theme`, `keymap` (in messages).
    pub what: &'static str,
    /// Embedded files: (name, text).
    pub builtin: &'static [(&'static str, &'static str)],
    /// What a user file without `extends` and without a built-in of its name layers over.
    pub base: &'static str,
}

impl Kind {
    fn builtin(&self, name: &str) -> Option<&'static str> {
        self.builtin
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    fn builtin_names(&self) -> String {
        self.builtin
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One file of a resolved chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The file's path, or `builtin:NAME`.
    pub label: String,
    pub text: String,
}

/// Why `name` cannot name a file in its directory, if it cannot.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a {what} name: use the name of a built-in or of a file in the \
             {what}s directory, without `.toml` (letters, digits, `-`, `_`, `.`; no path)"
        ))
    }
}

/// The files of `name`, base first. See the module docs for the rules.
pub fn resolve(kind: Kind, name: &str, user_dir: &Path) -> Result<Vec<Layer>, FileError> {
    let what = kind.what;
    check_name(what, name).map_err(FileError::name)?;
    let mut chain: Vec<Layer> = Vec::new(); // top first
    let mut names: Vec<String> = Vec::new(); // the `extends` chain so far
    let mut cur = name.to_string();
    loop {
        if names.contains(&cur) {
            let from = chain.last().cloned().unwrap_or(Layer {
                label: String::new(),
                text: String::new(),
            });
            let mut shown = names.clone();
            shown.push(cur.clone());
            return Err(FileError::at(
                &from.label,
                line_of(&from.text, "", "extends"),
                format!("`extends` makes a cycle: {}", shown.join(" → ")),
            ));
        }
        names.push(cur.clone());
        let upath = user_dir.join(format!("{cur}.toml"));
        let utext = match std::fs::read_to_string(&upath) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(FileError {
                    file: upath.display().to_string(),
                    line: None,
                    problem: format!("cannot read it: {e}"),
                });
            }
        };
        let btext = kind.builtin(&cur);
        if utext.is_none() && btext.is_none() {
            return Err(match chain.last() {
                None => FileError::name(format!(
                    "no {what} named `{cur}` (built-in: {}; user {what}s go in {})",
                    kind.builtin_names(),
                    user_dir.display()
                )),
                Some(from) => FileError::at(
                    &from.label,
                    line_of(&from.text, "", "extends"),
                    format!(
                        "extends unknown {what} `{cur}` (built-in: {})",
                        kind.builtin_names()
                    ),
                ),
            });
        }
        let mut next: Option<String> = None;
        let mut over_builtin = true;
        if let Some(text) = utext {
            let label = upath.display().to_string();
            next = extends_of(what, &text, &label)?;
            if next.as_deref() == Some(cur.as_str()) && btext.is_some() {
                next = None; // `extends = "NAME"` in NAME.toml: the built-in NAME
            } else if next.is_some() {
                over_builtin = false;
            }
            chain.push(Layer { label, text });
        }
        if over_builtin {
            match btext {
                Some(text) => {
                    let label = format!("builtin:{cur}");
                    next = extends_of(what, text, &label)?;
                    chain.push(Layer {
                        label,
                        text: text.to_string(),
                    });
                }
                None if cur != kind.base => next = Some(kind.base.to_string()),
                None => {}
            }
        }
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    chain.reverse();
    Ok(chain)
}

/// The `extends` of one file: `None`, or a checked name.
fn extends_of(what: &str, text: &str, label: &str) -> Result<Option<String>, FileError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, label, &e))?;
    let at = |problem: String| FileError::at(label, line_of(text, "", "extends"), problem);
    match table.get("extends") {
        None => Ok(None),
        Some(toml::Value::String(s)) => {
            check_name(what, s).map_err(|p| at(format!("extends: {p}")))?;
            Ok(Some(s.clone()))
        }
        Some(_) => Err(at(format!("`extends` must be the name of a {what}"))),
    }
}

/// A TOML syntax error of `text` (from `label`) with its line.
pub fn toml_error(text: &str, label: &str, e: &toml::de::Error) -> FileError {
    let line = e
        .span()
        .map(|s| super::line_col(text, s.start).0)
        .unwrap_or(1);
    FileError::at(label, line, e.message().trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: Kind = Kind {
        what: "keymap",
        builtin: &[
            ("default", "[global]\n"),
            ("vim", "extends = \"default\"\n[global]\n"),
        ],
        base: "default",
    };

    fn labels(chain: &[Layer], dir: &Path) -> Vec<String> {
        let d = dir.display().to_string();
        chain.iter().map(|l| l.label.replace(&d, "DIR")).collect()
    }

    #[test]
    fn chains_layer_user_files_over_builtins_and_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("default.toml"), "[global]\n").unwrap();
        std::fs::write(p.join("mine.toml"), "extends = \"vim\"\n").unwrap();
        std::fs::write(p.join("bare.toml"), "[global]\n").unwrap();
        std::fs::write(p.join("vim.toml"), "extends = \"vim\"\n").unwrap();
        assert_eq!(
            labels(&resolve(KIND, "default", p).unwrap(), p),
            ["builtin:default", "DIR/default.toml"]
        );
        assert_eq!(
            labels(&resolve(KIND, "mine", p).unwrap(), p),
            [
                "builtin:default",
                "DIR/default.toml",
                "builtin:vim",
                "DIR/vim.toml",
                "DIR/mine.toml"
            ]
        );
        assert_eq!(
            labels(&resolve(KIND, "bare", p).unwrap(), p),
            ["builtin:default", "DIR/default.toml", "DIR/bare.toml"]
        );
        // `extends = "vim"` in vim.toml: over the built-in vim, not a cycle
        assert_eq!(
            labels(&resolve(KIND, "vim", p).unwrap(), p),
            [
                "builtin:default",
                "DIR/default.toml",
                "builtin:vim",
                "DIR/vim.toml"
            ]
        );
    }

    #[test]
    fn cycles_are_rejected_with_the_chain_shown() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("a.toml"), "extends = \"b\"\n").unwrap();
        std::fs::write(p.join("b.toml"), "# b\n\nextends = \"a\"\n").unwrap();
        let e = resolve(KIND, "a", p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: line 3: `extends` makes a cycle: a → b → a",
                p.join("b.toml").display()
            )
        );
        std::fs::write(p.join("self.toml"), "extends = \"self\"\n").unwrap();
        let e = resolve(KIND, "self", p).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("line 1: `extends` makes a cycle: self → self"),
            "{e}"
        );
    }

    #[test]
    fn names_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for bad in [
            "../../etc/x",
            "/etc/passwd",
            "a/b",
            ".hidden",
            "",
            "..",
            "a\\b",
        ] {
            let e = resolve(KIND, bad, p).unwrap_err();
            assert_eq!(e.file, "", "{bad}");
            assert!(
                e.problem
                    .starts_with(&format!("`{bad}` is not a keymap name")),
                "{bad}: {e}"
            );
        }
        std::fs::write(p.join("x.toml"), "extends = \"../y\"\n").unwrap();
        let e = resolve(KIND, "x", p).unwrap_err();
        assert!(
            e.to_string()
                .contains("x.toml: line 1: extends: `../y` is not a keymap name"),
            "{e}"
        );
        std::fs::write(p.join("n.toml"), "extends = 3\n").unwrap();
        let e = resolve(KIND, "n", p).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("line 1: `extends` must be the name of a keymap"),
            "{e}"
        );
    }

    #[test]
    fn missing_names_say_what_exists_without_a_line_zero() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let e = resolve(KIND, "nope", p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "no keymap named `nope` (built-in: default, vim; user keymaps go in {})",
                p.display()
            )
        );
        std::fs::write(p.join("m.toml"), "\nextends = \"gone\"\n").unwrap();
        let e = resolve(KIND, "m", p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: line 2: extends unknown keymap `gone` (built-in: default, vim)",
                p.join("m.toml").display()
            )
        );
    }
}
