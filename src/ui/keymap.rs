//! Keymaps: TOML files mapping keys to [`Action`] names, per view section with a `[global]`
//! fallback. Built-ins (`keymaps/*.toml`) are embedded; a user file
//! `<config dir>/keymaps/NAME.toml` is merged over the built-in of the same name (or over the
//! one named by its top-level `extends = "..."`, else `default`) by the loader shared with
//! themes ([`crate::config::layered`]: names, `extends` cycles). `"key" = "none"` unbinds.
//!
//! Problems (unknown action, duplicate binding, bad key, unknown section, a keymap that
//! leaves no way to quit) are reported with file and line, at startup.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use crate::config::layered::{self, FileError, Kind, toml_error};
use crate::config::tomlpos::line_of;

pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// Keymaps for the layered loader.
pub const KIND: Kind = Kind {
    what: "keymap",
    builtin: BUILTIN,
    base: "default",
};

/// A key with its modifiers, normalised so that `G` == `shift-g` and `?` ignores shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyCombo {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// `KeyCode` subset we bind, ordered (for stable help output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

impl KeyCombo {
    pub fn from_event(ev: &KeyEvent) -> Option<KeyCombo> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            _ => return None,
        };
        Some(
            KeyCombo {
                code,
                ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
                alt: ev.modifiers.contains(KeyModifiers::ALT),
                shift: ev.modifiers.contains(KeyModifiers::SHIFT),
            }
            .normalized(),
        )
    }

    fn normalized(mut self) -> Self {
        if let KeyCodeOrd::Char(c) = self.code {
            if self.shift && c.is_ascii_lowercase() {
                self.code = KeyCodeOrd::Char(c.to_ascii_uppercase());
            }
            if self.ctrl && c.is_ascii_uppercase() && !self.shift {
                // ctrl-C arrives as ctrl + 'c' in most terminals
                self.code = KeyCodeOrd::Char(c.to_ascii_lowercase());
            }
            self.shift = false;
        }
        if self.code == KeyCodeOrd::BackTab {
            self.shift = false;
        }
        self
    }

    /// Parse `q`, `G`, `shift-g`, `ctrl-c`, `alt-x`, `enter`, `esc`, `space`, `f5`, `pgdn`...
    pub fn parse(s: &str) -> Result<KeyCombo, String> {
        if s.is_empty() {
            return Err("empty key".into());
        }
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 {
                if let Some(r) = strip_mod(&lower, &["ctrl-", "c-", "control-"]) {
                    ctrl = true;
                    rest = &rest[rest.len() - r.len()..];
                    continue;
                }
                if let Some(r) = strip_mod(&lower, &["alt-", "a-", "meta-", "m-"]) {
                    alt = true;
                    rest = &rest[rest.len() - r.len()..];
                    continue;
                }
                if let Some(r) = strip_mod(&lower, &["shift-", "s-"]) {
                    shift = true;
                    rest = &rest[rest.len() - r.len()..];
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeOrd::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" | "cr" => KeyCodeOrd::Enter,
                "esc" | "escape" => KeyCodeOrd::Esc,
                "tab" => KeyCodeOrd::Tab,
                "backtab" => KeyCodeOrd::BackTab,
                "backspace" | "bs" => KeyCodeOrd::Backspace,
                "delete" | "del" => KeyCodeOrd::Delete,
                "insert" | "ins" => KeyCodeOrd::Insert,
                "space" => KeyCodeOrd::Char(' '),
                "up" => KeyCodeOrd::Up,
                "down" => KeyCodeOrd::Down,
                "left" => KeyCodeOrd::Left,
                "right" => KeyCodeOrd::Right,
                "pageup" | "pgup" => KeyCodeOrd::PageUp,
                "pagedown" | "pgdn" | "pgdown" => KeyCodeOrd::PageDown,
                "home" => KeyCodeOrd::Home,
                "end" => KeyCodeOrd::End,
                "minus" => KeyCodeOrd::Char('-'),
                "hash" => KeyCodeOrd::Char('#'),
                other => {
                    if let Some(n) = other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
                        && (1..=24).contains(&n)
                    {
                        KeyCodeOrd::F(n)
                    } else {
                        return Err(format!("bad key `{s}`"));
                    }
                }
            },
        };
        Ok(KeyCombo {
            code,
            ctrl,
            alt,
            shift,
        }
        .normalized())
    }
}

fn strip_mod<'a>(s: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| s.strip_prefix(p))
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "ctrl-")?;
        }
        if self.alt {
            write!(f, "alt-")?;
        }
        if self.shift {
            write!(f, "shift-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => write!(f, "space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::Enter => write!(f, "enter"),
            KeyCodeOrd::Esc => write!(f, "esc"),
            KeyCodeOrd::Tab => write!(f, "tab"),
            KeyCodeOrd::BackTab => write!(f, "backtab"),
            KeyCodeOrd::Backspace => write!(f, "backspace"),
            KeyCodeOrd::Delete => write!(f, "del"),
            KeyCodeOrd::Insert => write!(f, "ins"),
            KeyCodeOrd::Up => write!(f, "↑"),
            KeyCodeOrd::Down => write!(f, "↓"),
            KeyCodeOrd::Left => write!(f, "←"),
            KeyCodeOrd::Right => write!(f, "→"),
            KeyCodeOrd::PageUp => write!(f, "pgup"),
            KeyCodeOrd::PageDown => write!(f, "pgdn"),
            KeyCodeOrd::Home => write!(f, "home"),
            KeyCodeOrd::End => write!(f, "end"),
        }
    }
}

/// A keymap problem, naming the file and line.
pub type KeymapError = FileError;

/// The live keymap.
#[derive(Clone, Debug, Default)]
pub struct Keymap {
    pub name: String,
    /// Files merged, in order (built-ins shown as `builtin:NAME`).
    pub sources: Vec<String>,
    sections: BTreeMap<String, HashMap<KeyCombo, Action>>,
}

/// One parsed file: section → key → Some(action) / None (unbind).
type Layer = BTreeMap<String, Vec<(KeyCombo, Option<Action>)>>;

impl Keymap {
    /// Sections every keymap may use (views); panes registered by other modules add theirs.
    pub fn known_sections() -> Vec<String> {
        let mut v: Vec<String> = ["global", "table", "help"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(super::views::REGISTRY.iter().map(|s| s.id.to_string()));
        v
    }

    /// Resolve `name`: user file in `user_dir` merged over the built-in of that name (see
    /// [`crate::config::layered`]), then checked for a way out.
    pub fn load(name: &str, user_dir: &Path) -> Result<Keymap, KeymapError> {
        let known = Self::known_sections();
        let chain = layered::resolve(KIND, name, user_dir)?;
        let mut km = Keymap {
            name: name.to_string(),
            ..Default::default()
        };
        for l in &chain {
            let layer = parse_layer(&l.text, &l.label, &known)?;
            km.sources.push(l.label.clone());
            for (section, binds) in layer {
                let sec = km.sections.entry(section).or_default();
                for (k, a) in binds {
                    match a {
                        Some(a) => {
                            sec.insert(k, a);
                        }
                        None => {
                            sec.remove(&k);
                        }
                    }
                }
            }
        }
        km.check_way_out()?;
        Ok(km)
    }

    /// Every view must leave a way to quit: a `quit` key, or a `command_mode` key (then
    /// `:quit`). A keymap that locks the user in is rejected at startup.
    fn check_way_out(&self) -> Result<(), KeymapError> {
        for spec in super::views::REGISTRY.iter().filter(|s| s.is_view()) {
            let sections = spec.sections();
            if self.keys_for(&sections, Action::Quit).is_empty()
                && self.keys_for(&sections, Action::CommandMode).is_empty()
            {
                return Err(FileError {
                    file: self.sources.last().cloned().unwrap_or_default(),
                    line: None,
                    problem: format!(
                        "keymap `{}` leaves no way to quit in [{}]: bind `quit` or \
                         `command_mode` (then `:quit`), e.g. `q = \"quit\"` and \
                         `\":\" = \"command_mode\"` under [global]",
                        self.name, spec.id
                    ),
                });
            }
        }
        Ok(())
    }

    /// Parse one keymap text alone (no merging) — used by tests and `load`.
    pub fn from_text(text: &str, label: &str) -> Result<Keymap, KeymapError> {
        let layer = parse_layer(text, label, &Self::known_sections())?;
        let mut km = Keymap {
            name: label.to_string(),
            sources: vec![label.to_string()],
            ..Default::default()
        };
        for (section, binds) in layer {
            let sec = km.sections.entry(section).or_default();
            for (k, a) in binds {
                if let Some(a) = a {
                    sec.insert(k, a);
                }
            }
        }
        Ok(km)
    }

    /// The action for a key in `section` (then `table` for list views, then `global`).
    pub fn resolve(&self, sections: &[&str], key: &KeyEvent) -> Option<Action> {
        let combo = KeyCombo::from_event(key)?;
        sections
            .iter()
            .chain(std::iter::once(&"global"))
            .find_map(|s| self.sections.get(*s).and_then(|m| m.get(&combo)).copied())
    }

    /// Keys bound to `action` that are effective in `sections` (not shadowed), shortest first.
    pub fn keys_for(&self, sections: &[&str], action: Action) -> Vec<KeyCombo> {
        let mut out: Vec<KeyCombo> = Vec::new();
        let chain: Vec<&str> = sections
            .iter()
            .copied()
            .chain(std::iter::once("global"))
            .collect();
        for (i, s) in chain.iter().enumerate() {
            let Some(m) = self.sections.get(*s) else {
                continue;
            };
            for (k, a) in m {
                if *a != action || out.contains(k) {
                    continue;
                }
                let shadowed = chain[..i]
                    .iter()
                    .any(|s2| self.sections.get(*s2).is_some_and(|m2| m2.contains_key(k)));
                if !shadowed {
                    out.push(*k);
                }
            }
        }
        out.sort_by_key(|k| (k.to_string().chars().count(), *k));
        out
    }

    /// Bindings defined in one section only, grouped by action (for the README key table).
    pub fn section(&self, section: &str) -> Vec<(Action, Vec<KeyCombo>)> {
        let Some(m) = self.sections.get(section) else {
            return Vec::new();
        };
        Action::all()
            .iter()
            .filter_map(|a| {
                let mut k: Vec<KeyCombo> =
                    m.iter().filter(|(_, x)| *x == a).map(|(k, _)| *k).collect();
                k.sort_by_key(|k| (k.to_string().chars().count(), *k));
                (!k.is_empty()).then_some((*a, k))
            })
            .collect()
    }

    /// Effective bindings in `sections`, grouped by action (for the help overlay).
    pub fn effective(&self, sections: &[&str]) -> Vec<(Action, Vec<KeyCombo>)> {
        Action::all()
            .iter()
            .filter_map(|a| {
                let k = self.keys_for(sections, *a);
                (!k.is_empty()).then_some((*a, k))
            })
            .collect()
    }
}

fn parse_layer(text: &str, label: &str, known: &[String]) -> Result<Layer, KeymapError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, label, &e))?;
    let err = |section: &str, key: &str, problem: String| {
        FileError::at(label, line_of(text, section, key), problem)
    };
    let mut layer = Layer::new();
    for (section, v) in &table {
        if section == "extends" {
            continue; // checked by the loader
        }
        let Some(binds) = v.as_table() else {
            return Err(err(
                "",
                section,
                format!("`{section}` must be a section like [global] or [nodes]"),
            ));
        };
        if !known.iter().any(|k| k == section) {
            return Err(err(
                section,
                "",
                format!("unknown section [{section}] (known: {})", known.join(", ")),
            ));
        }
        let mut seen: HashMap<KeyCombo, String> = HashMap::new();
        let entry = layer.entry(section.clone()).or_default();
        for (key, action) in binds {
            let combo = KeyCombo::parse(key).map_err(|p| err(section, key, p))?;
            let Some(name) = action.as_str() else {
                return Err(err(
                    section,
                    key,
                    format!("the action for `{key}` must be a string like \"quit\""),
                ));
            };
            if let Some(prev) = seen.insert(combo, key.clone()) {
                return Err(err(
                    section,
                    key,
                    format!(
                        "duplicate binding: `{key}` is the same key as `{prev}` in [{section}]"
                    ),
                ));
            }
            let act = if name == "none" {
                None
            } else {
                Some(Action::from_str(name).map_err(|_| {
                    err(
                        section,
                        key,
                        format!(
                            "unknown action `{name}` (known: {})",
                            Action::all()
                                .iter()
                                .map(|a| a.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?)
            };
            entry.push((combo, act));
        }
    }
    Ok(layer)
}

/// Path a user keymap named `name` would have.
pub fn user_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn builtins_parse_and_bind_the_basics() {
        let dir = tempfile::tempdir().unwrap();
        for (name, _) in BUILTIN {
            let km = Keymap::load(name, dir.path()).unwrap();
            for a in [
                Action::Quit,
                Action::Help,
                Action::CommandMode,
                Action::FilterMode,
            ] {
                assert!(
                    !km.keys_for(&["nodes"], a).is_empty(),
                    "{name}: {a} unbound"
                );
            }
        }
        let vim = Keymap::load("vim", dir.path()).unwrap();
        assert_eq!(
            vim.resolve(&["nodes"], &key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            vim.resolve(&["nodes"], &key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
    }

    #[test]
    fn key_parsing_normalises() {
        assert_eq!(
            KeyCombo::parse("G").unwrap(),
            KeyCombo::parse("shift-g").unwrap()
        );
        assert_eq!(KeyCombo::parse("ctrl-c").unwrap().to_string(), "ctrl-c");
        assert_eq!(KeyCombo::parse("space").unwrap().to_string(), "space");
        assert!(KeyCombo::parse("hyper-x").is_err());
        assert!(KeyCombo::parse("f99").is_err());
        let ev = key(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(KeyCombo::from_event(&ev), KeyCombo::parse("?").ok());
    }

    #[test]
    fn view_section_overrides_global() {
        let km = Keymap::from_text(
            "[global]\nq = \"quit\"\nx = \"help\"\n[nodes]\nx = \"patch_now\"\n",
            "t.toml",
        )
        .unwrap();
        let x = key(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(km.resolve(&["nodes"], &x), Some(Action::PatchNow));
        assert_eq!(km.resolve(&["certs"], &x), Some(Action::Help));
        assert!(
            km.keys_for(&["nodes"], Action::Help).is_empty(),
            "x is shadowed in nodes"
        );
    }

    #[test]
    fn broken_files_name_file_line_and_problem() {
        let e =
            Keymap::from_text("[global]\nq = \"quit\"\nz = \"explode\"\n", "my.toml").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(
            e.to_string()
                .starts_with("my.toml: line 3: unknown action `explode`"),
            "{e}"
        );

        let e = Keymap::from_text(
            "[global]\nG = \"bottom\"\n\"shift-g\" = \"top\"\n",
            "d.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("duplicate binding"), "{e}");
        assert_eq!(e.line, Some(3));

        let e = Keymap::from_text("[global]\n\"hyper-q\" = \"quit\"\n", "k.toml").unwrap_err();
        assert_eq!(e.to_string(), "k.toml: line 2: bad key `hyper-q`");

        let e = Keymap::from_text("[nodez]\nq = \"quit\"\n", "s.toml").unwrap_err();
        assert!(e.to_string().contains("unknown section [nodez]"), "{e}");

        let e = Keymap::from_text("[global]\nq = \"quit\"\nq = \"help\"\n", "t.toml").unwrap_err();
        assert!(e.to_string().starts_with("t.toml: line 3"), "{e}");
    }

    #[test]
    fn user_keymap_merges_over_builtin_and_can_unbind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("default.toml"),
            "[global]\nq = \"none\"\nZ = \"quit\"\n",
        )
        .unwrap();
        let km = Keymap::load("default", dir.path()).unwrap();
        assert_eq!(
            km.resolve(&["nodes"], &key(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.resolve(&["nodes"], &key(KeyCode::Char('Z'), KeyModifiers::SHIFT)),
            Some(Action::Quit)
        );
        // the rest of the built-in is still there
        assert_eq!(
            km.resolve(&["nodes"], &key(KeyCode::Char('?'), KeyModifiers::NONE)),
            Some(Action::Help)
        );
        assert_eq!(km.sources.len(), 2);

        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"vim\"\n[global]\nQ = \"quit\"\n",
        )
        .unwrap();
        let km = Keymap::load("mine", dir.path()).unwrap();
        assert_eq!(
            km.resolve(&["nodes"], &key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert!(
            Keymap::load("nope", dir.path())
                .unwrap_err()
                .to_string()
                .contains("no keymap named")
        );
    }

    #[test]
    fn extends_cycles_and_lockouts_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("a.toml"), "extends = \"b\"\n").unwrap();
        std::fs::write(p.join("b.toml"), "extends = \"a\"\n").unwrap();
        assert_eq!(
            Keymap::load("a", p).unwrap_err().to_string(),
            format!(
                "{}: line 1: `extends` makes a cycle: a → b → a",
                p.join("b.toml").display()
            )
        );
        std::fs::write(
            p.join("locked.toml"),
            "[global]\nq = \"none\"\n\"ctrl-c\" = \"none\"\n\":\" = \"none\"\n",
        )
        .unwrap();
        assert_eq!(
            Keymap::load("locked", p).unwrap_err().to_string(),
            format!(
                "{}: keymap `locked` leaves no way to quit in [org]: bind `quit` or \
                 `command_mode` (then `:quit`), e.g. `q = \"quit\"` and \
                 `\":\" = \"command_mode\"` under [global]",
                p.join("locked.toml").display()
            )
        );
        // without a quit key, `:` then `:quit` is a way out
        std::fs::write(
            p.join("colon.toml"),
            "[global]\nq = \"none\"\n\"ctrl-c\" = \"none\"\n",
        )
        .unwrap();
        assert!(Keymap::load("colon", p).is_ok());
        // a view section that shadows every way out is caught too
        std::fs::write(
            p.join("certs.toml"),
            "[certs]\nq = \"help\"\n\"ctrl-c\" = \"help\"\n\":\" = \"help\"\n",
        )
        .unwrap();
        let e = Keymap::load("certs", p).unwrap_err().to_string();
        assert!(e.contains("leaves no way to quit in [certs]"), "{e}");
        let e = Keymap::load("../../etc/passwd", p).unwrap_err().to_string();
        assert!(
            e.starts_with("`../../etc/passwd` is not a keymap name"),
            "{e}"
        );
    }
}
