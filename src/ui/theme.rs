//! Themes: TOML files with a `[palette]` of named colours and `[roles]` mapping semantic
//! roles (compliant, non_compliant, critical, selection, border, ...) to styles. Views ask
//! for roles, never for raw colours.
//!
//! Built-ins (`themes/*.toml`) are embedded; `<config dir>/themes/NAME.toml` overrides a
//! built-in by name, layering over it (or over `extends = "..."`, else `default`), so a user
//! file may change just a few palette entries. The chain is resolved by the loader shared
//! with keymaps ([`crate::config::layered`]: names, `extends` cycles). `NO_COLOR` drops colours (keeping bold /
//! reverse so selection stays visible); without 256/truecolour support (COLORTERM/TERM)
//! colours are mapped to the 16 ANSI colours, where a `[palette16]` entry replaces the
//! palette entry of the same name (the cursor, marked rows and the cursor on a marked row
//! keep three different backgrounds there too; a test checks every built-in theme).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use crate::config::layered::{self, FileError, Kind, toml_error};
use crate::config::tomlpos::line_of;
use crate::model::{Compliance, ExpiryBand, PingStatus};

pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Themes for the layered loader.
pub const KIND: Kind = Kind {
    what: "theme",
    builtin: BUILTIN,
    base: "default",
};

/// Semantic roles. Every built-in theme defines all of them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumString, strum::Display, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Base text (and the screen background).
    Text,
    Muted,
    Header,
    Title,
    Border,
    TableHeader,
    Selection,
    Marked,
    /// The cursor on a marked row (patched over `selection`): its background differs from
    /// both, after 256- and 16-colour quantisation too.
    SelectionMarked,
    /// Characters matched by the filter.
    Match,
    /// Key names in hints and help.
    Key,
    Breadcrumb,
    Prompt,
    Compliant,
    NonCompliant,
    Unreported,
    Critical,
    Warning,
    Stale,
    Offline,
    Expired,
    Band7,
    Band14,
    Band30,
    Band45,
    Ok,
    Error,
    Info,
    Badge,
    BadgeDemo,
    BadgeReadonly,
    Gauge,
    Bar,
    BarEmpty,
    Risk,
    Spinner,
}

impl Role {
    pub fn all() -> &'static [Role] {
        <Role as strum::VariantArray>::VARIANTS
    }
}

/// How many colours the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    TrueColor,
    Ansi256,
    Ansi16,
    /// `NO_COLOR`: modifiers only.
    None,
}

impl ColorMode {
    /// From `NO_COLOR`, `COLORTERM` and `TERM`.
    pub fn detect() -> ColorMode {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        Self::from_env(&var("NO_COLOR"), &var("COLORTERM"), &var("TERM"))
    }

    pub fn from_env(no_color: &str, colorterm: &str, term: &str) -> ColorMode {
        if !no_color.is_empty() {
            return ColorMode::None;
        }
        let ct = colorterm.to_ascii_lowercase();
        if ct == "truecolor" || ct == "24bit" {
            return ColorMode::TrueColor;
        }
        let term = term.to_ascii_lowercase();
        if term.contains("256") || term.contains("direct") || term.contains("kitty") {
            return ColorMode::Ansi256;
        }
        ColorMode::Ansi16
    }
}

/// A theme problem, naming the file and line.
pub type ThemeError = FileError;

/// A resolved theme.
#[derive(Clone, Debug)]
pub struct Theme {
    pub name: String,
    /// Files merged, base first (`builtin:NAME` for embedded ones).
    pub sources: Vec<String>,
    pub mode: ColorMode,
    roles: HashMap<Role, Style>,
}

#[derive(Clone, Debug, Default)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    mods: Vec<(Modifier, bool)>,
}

#[derive(Default)]
struct Layered {
    palette: BTreeMap<String, (String, String, usize)>, // name -> (value, file, line)
    /// `[palette16]`: entries used instead of `[palette]` ones in 16-colour terminals
    /// (nearest-colour mapping turns every dark tint into the same grey).
    palette16: BTreeMap<String, (String, String, usize)>,
    roles: BTreeMap<String, (StyleSpec, String, usize)>,
}

impl Theme {
    pub fn builtin(name: &str) -> Theme {
        Self::load_in(
            name,
            Path::new("/nonexistent-ssmdeck-themes"),
            ColorMode::TrueColor,
        )
        .unwrap_or_else(|e| panic!("built-in theme {name} is broken: {e}"))
    }

    /// Resolve theme `name` with user files from `user_dir`, for the detected colour mode.
    pub fn load(name: &str, user_dir: &Path) -> Result<Theme, ThemeError> {
        Self::load_in(name, user_dir, ColorMode::detect())
    }

    pub fn load_in(name: &str, user_dir: &Path, mode: ColorMode) -> Result<Theme, ThemeError> {
        let chain = layered::resolve(KIND, name, user_dir)?;
        let mut merged = Layered::default();
        let mut sources = Vec::new();
        for l in &chain {
            parse_layer(&l.text, &l.label, &mut merged)?;
            sources.push(l.label.clone());
        }
        let mut roles = HashMap::new();
        for role in Role::all() {
            let key = role.to_string();
            let Some((spec, file, line)) = merged.roles.get(&key) else {
                return Err(ThemeError {
                    file: sources.last().cloned().unwrap_or_default(),
                    line: None,
                    problem: format!("role `{key}` is not defined"),
                });
            };
            let resolve = |v: &Option<String>, what: &str| -> Result<Option<Color>, ThemeError> {
                let Some(v) = v else { return Ok(None) };
                let mut value = v.clone();
                if mode == ColorMode::Ansi16
                    && let Some((pv, _, _)) = merged.palette16.get(&value)
                {
                    value = pv.clone();
                }
                for _ in 0..4 {
                    match merged.palette.get(&value) {
                        Some((pv, _, _)) => value = pv.clone(),
                        None => break,
                    }
                }
                parse_color(&value).map(Some).map_err(|_| {
                    // Point at the palette entry when the role used a palette name.
                    let (file, line) = match merged.palette.get(v) {
                        Some((_, f, l)) => (f.clone(), *l),
                        None => (file.clone(), *line),
                    };
                    ThemeError {
                        file,
                        line: Some(line),
                        problem: format!(
                            "bad colour `{value}` for roles.{key}.{what} (use a palette name, an ANSI name like `red`, `#rrggbb` or 0-255)"
                        ),
                    }
                })
            };
            let mut style = Style::default();
            if let Some(c) = resolve(&spec.fg, "fg")? {
                style = style.fg(c);
            }
            if let Some(c) = resolve(&spec.bg, "bg")? {
                style = style.bg(c);
            }
            for (m, on) in &spec.mods {
                style = if *on {
                    style.add_modifier(*m)
                } else {
                    style.remove_modifier(*m)
                };
            }
            roles.insert(*role, adapt(style, *role, mode));
        }
        Ok(Theme {
            name: name.to_string(),
            sources,
            mode,
            roles,
        })
    }

    pub fn style(&self, role: Role) -> Style {
        self.roles.get(&role).copied().unwrap_or_default()
    }

    pub fn compliance(&self, c: Compliance) -> Style {
        self.style(match c {
            Compliance::Compliant => Role::Compliant,
            Compliance::NonCompliant => Role::NonCompliant,
            Compliance::Unreported => Role::Unreported,
        })
    }

    pub fn band(&self, b: ExpiryBand) -> Style {
        self.style(match b {
            ExpiryBand::Expired => Role::Expired,
            ExpiryBand::Within7 => Role::Band7,
            ExpiryBand::Within14 => Role::Band14,
            ExpiryBand::Within30 => Role::Band30,
            ExpiryBand::Within45 => Role::Band45,
            ExpiryBand::Later => Role::Text,
            ExpiryBand::Unknown => Role::Muted,
        })
    }

    pub fn ping(&self, p: PingStatus) -> Style {
        self.style(match p {
            PingStatus::Online => Role::Ok,
            PingStatus::ConnectionLost => Role::Offline,
            PingStatus::Inactive | PingStatus::Unknown | PingStatus::Other(_) => Role::Muted,
        })
    }

    /// Style for a compliance percentage (≥95 ok, ≥80 warning, else non-compliant).
    pub fn pct(&self, pct: Option<f64>) -> Style {
        match pct {
            None => self.style(Role::Muted),
            Some(p) if p >= 95.0 => self.style(Role::Compliant),
            Some(p) if p >= 80.0 => self.style(Role::Warning),
            Some(_) => self.style(Role::NonCompliant),
        }
    }

    /// A non-zero count in `role`, zero muted.
    pub fn count(&self, n: u64, role: Role) -> Style {
        if n == 0 {
            self.style(Role::Muted)
        } else {
            self.style(role)
        }
    }
}

fn adapt(style: Style, role: Role, mode: ColorMode) -> Style {
    match mode {
        ColorMode::TrueColor => style,
        ColorMode::Ansi256 => Style {
            fg: style.fg.map(to_256),
            bg: style.bg.map(to_256),
            ..style
        },
        ColorMode::Ansi16 => Style {
            fg: style.fg.map(to_16),
            bg: style.bg.map(to_16),
            ..style
        },
        ColorMode::None => {
            let mut s = Style {
                fg: None,
                bg: None,
                ..style
            };
            s = match role {
                Role::Selection
                | Role::SelectionMarked
                | Role::Badge
                | Role::BadgeDemo
                | Role::BadgeReadonly
                | Role::Gauge => s.add_modifier(Modifier::REVERSED),
                Role::Match | Role::Marked => s.add_modifier(Modifier::UNDERLINED),
                Role::Critical
                | Role::Error
                | Role::NonCompliant
                | Role::Expired
                | Role::Header => s.add_modifier(Modifier::BOLD),
                Role::Muted => s.add_modifier(Modifier::DIM),
                _ => s,
            };
            s
        }
    }
}

fn rgb_of(c: Color) -> Option<(u8, u8, u8)> {
    match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) if i >= 16 => Some(xterm_rgb(i)),
        _ => None,
    }
}

fn xterm_rgb(i: u8) -> (u8, u8, u8) {
    if i >= 232 {
        let v = 8 + (i - 232) * 10;
        return (v, v, v);
    }
    let i = i - 16;
    let step = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
    (step(i / 36), step((i / 6) % 6), step(i % 6))
}

fn to_256(c: Color) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    let q = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (qr, qg, qb) = (q(r), q(g), q(b));
    let cube = 16 + 36 * qr + 6 * qg + qb;
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    let gray_idx = if avg > 238 {
        23
    } else {
        (avg.saturating_sub(3) / 10) as u8
    };
    let gray = 232 + gray_idx.min(23);
    let d = |(a, b2, c2): (u8, u8, u8)| {
        let dr = i32::from(a) - i32::from(r);
        let dg = i32::from(b2) - i32::from(g);
        let db = i32::from(c2) - i32::from(b);
        dr * dr + dg * dg + db * db
    };
    if d(xterm_rgb(gray)) < d(xterm_rgb(cube)) {
        Color::Indexed(gray)
    } else {
        Color::Indexed(cube)
    }
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn to_16(c: Color) -> Color {
    let Some((r, g, b)) = rgb_of(c) else { return c };
    ANSI16
        .iter()
        .min_by_key(|(_, (ar, ag, ab))| {
            let dr = i32::from(*ar) - i32::from(r);
            let dg = i32::from(*ag) - i32::from(g);
            let db = i32::from(*ab) - i32::from(b);
            dr * dr + dg * dg + db * db
        })
        .map(|(c, _)| *c)
        .unwrap_or(c)
}

/// `reset`, ANSI names, `#rrggbb`, `#rgb`, or an index `0`..`255`.
#[allow(clippy::result_unit_err)]
pub fn parse_color(s: &str) -> Result<Color, ()> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        let v = |h: &str| u8::from_str_radix(h, 16).map_err(|_| ());
        return match hex.len() {
            6 if hex.is_ascii() => Ok(Color::Rgb(v(&hex[0..2])?, v(&hex[2..4])?, v(&hex[4..6])?)),
            3 if hex.is_ascii() => {
                let d = |i: usize| v(&hex[i..i + 1]).map(|x| x * 17);
                Ok(Color::Rgb(d(0)?, d(1)?, d(2)?))
            }
            _ => Err(()),
        };
    }
    if let Ok(i) = t.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    let norm: String = t
        .to_ascii_lowercase()
        .chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .collect();
    Color::from_str(&norm).map_err(|_| ())
}

fn parse_layer(text: &str, label: &str, out: &mut Layered) -> Result<(), ThemeError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, label, &e))?;
    let err = |section: &str, key: &str, problem: String| {
        FileError::at(label, line_of(text, section, key), problem)
    };
    for (k, v) in &table {
        match k.as_str() {
            "name" | "extends" | "description" => {}
            "palette" => {
                let Some(p) = v.as_table() else {
                    return Err(err("", k, "[palette] must be a table".into()));
                };
                for (name, c) in p {
                    let value = match c {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(i) => i.to_string(),
                        _ => {
                            return Err(err(
                                "palette",
                                name,
                                format!("bad colour for palette.{name}"),
                            ));
                        }
                    };
                    // Palette entries may reference other entries; validate literal ones now.
                    if !out.palette.contains_key(&value)
                        && parse_color(&value).is_err()
                        && !p.contains_key(&value)
                    {
                        return Err(err(
                            "palette",
                            name,
                            format!(
                                "bad colour `{value}` for palette.{name} (use an ANSI name like `red`, `#rrggbb` or 0-255)"
                            ),
                        ));
                    }
                    out.palette.insert(
                        name.clone(),
                        (value, label.to_string(), line_of(text, "palette", name)),
                    );
                }
            }
            "palette16" => {
                let Some(p) = v.as_table() else {
                    return Err(err("", k, "[palette16] must be a table".into()));
                };
                for (name, c) in p {
                    let value = match c {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(i) => i.to_string(),
                        _ => String::new(),
                    };
                    if parse_color(&value).is_err() {
                        return Err(err(
                            "palette16",
                            name,
                            format!(
                                "bad colour `{value}` for palette16.{name} (use an ANSI name like `blue` or 0-15)"
                            ),
                        ));
                    }
                    out.palette16.insert(
                        name.clone(),
                        (value, label.to_string(), line_of(text, "palette16", name)),
                    );
                }
            }
            "roles" => {
                let Some(r) = v.as_table() else {
                    return Err(err("", k, "[roles] must be a table".into()));
                };
                for (name, spec) in r {
                    if Role::from_str(name).is_err() {
                        return Err(err(
                            "roles",
                            name,
                            format!(
                                "unknown role `{name}` (known: {})",
                                Role::all()
                                    .iter()
                                    .map(|r| r.to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    let spec = parse_spec(spec).map_err(|p| err("roles", name, p))?;
                    // Check colours that are not palette names right away, for a precise line.
                    for c in [&spec.fg, &spec.bg].into_iter().flatten() {
                        if !out.palette.contains_key(c) && parse_color(c).is_err() {
                            return Err(err(
                                "roles",
                                name,
                                format!(
                                    "bad colour `{c}` for roles.{name} (not in [palette]; use an ANSI name like `red`, `#rrggbb` or 0-255)"
                                ),
                            ));
                        }
                    }
                    out.roles.insert(
                        name.clone(),
                        (spec, label.to_string(), line_of(text, "roles", name)),
                    );
                }
            }
            other => {
                return Err(err(
                    "",
                    other,
                    format!(
                        "unknown key `{other}` (expected name, extends, [palette], [palette16], [roles])"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn parse_spec(v: &toml::Value) -> Result<StyleSpec, String> {
    match v {
        toml::Value::String(s) => Ok(StyleSpec {
            fg: Some(s.clone()),
            ..Default::default()
        }),
        toml::Value::Integer(i) => Ok(StyleSpec {
            fg: Some(i.to_string()),
            ..Default::default()
        }),
        toml::Value::Table(t) => {
            let mut spec = StyleSpec::default();
            for (k, v) in t {
                let colour = |v: &toml::Value| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    toml::Value::Integer(i) => Ok(i.to_string()),
                    _ => Err(format!("`{k}` must be a colour")),
                };
                match k.as_str() {
                    "fg" => spec.fg = Some(colour(v)?),
                    "bg" => spec.bg = Some(colour(v)?),
                    m @ ("bold" | "dim" | "italic" | "underline" | "reversed") => {
                        let on = v
                            .as_bool()
                            .ok_or_else(|| format!("`{m}` must be true or false"))?;
                        let modifier = match m {
                            "bold" => Modifier::BOLD,
                            "dim" => Modifier::DIM,
                            "italic" => Modifier::ITALIC,
                            "underline" => Modifier::UNDERLINED,
                            _ => Modifier::REVERSED,
                        };
                        spec.mods.push((modifier, on));
                    }
                    other => {
                        return Err(format!(
                            "unknown style key `{other}` (fg, bg, bold, dim, italic, underline, reversed)"
                        ));
                    }
                }
            }
            Ok(spec)
        }
        _ => Err("a role is a colour string or a table like { fg = \"red\", bold = true }".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_define_every_role() {
        for (name, _) in BUILTIN {
            let t = Theme::load_in(name, Path::new("/nonexistent"), ColorMode::TrueColor).unwrap();
            assert_ne!(t.style(Role::Selection), Style::default(), "{name}");
            assert_ne!(t.style(Role::Critical), t.style(Role::Compliant), "{name}");
        }
    }

    #[test]
    fn bad_colour_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"default\"\n[roles]\ncritical = { fg = \"#12345z\", bold = true }\n",
        )
        .unwrap();
        let e = Theme::load_in("mine", dir.path(), ColorMode::TrueColor).unwrap_err();
        let file = dir.path().join("mine.toml").display().to_string();
        assert_eq!(e.file, file);
        assert_eq!(e.line, Some(3));
        assert!(e.problem.contains("bad colour `#12345z`"), "{e}");

        std::fs::write(dir.path().join("p.toml"), "[palette]\nok = \"grean\"\n").unwrap();
        let e = Theme::load_in("p", dir.path(), ColorMode::TrueColor).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.to_string().contains("bad colour `grean` for palette.ok"),
            "{e}"
        );

        std::fs::write(dir.path().join("r.toml"), "[roles]\ncriticl = \"red\"\n").unwrap();
        let e = Theme::load_in("r", dir.path(), ColorMode::TrueColor).unwrap_err();
        assert!(
            e.to_string().contains("line 2: unknown role `criticl`"),
            "{e}"
        );

        std::fs::write(dir.path().join("s.toml"), "[roles\n").unwrap();
        let e = Theme::load_in("s", dir.path(), ColorMode::TrueColor).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}: line 1", dir.path().join("s.toml").display())),
            "{e}"
        );

        let e = Theme::load_in("nope", dir.path(), ColorMode::TrueColor).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "no theme named `nope` (built-in: default, light, high-contrast; user themes go in {})",
                dir.path().display()
            ),
            "no `line 0`"
        );

        std::fs::write(dir.path().join("x.toml"), "extends = \"y\"\n").unwrap();
        std::fs::write(dir.path().join("y.toml"), "extends = \"x\"\n").unwrap();
        let e = Theme::load_in("x", dir.path(), ColorMode::TrueColor).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: line 1: `extends` makes a cycle: x → y → x",
                dir.path().join("y.toml").display()
            )
        );
        let e = Theme::load_in("../x", dir.path(), ColorMode::TrueColor).unwrap_err();
        assert!(
            e.to_string().starts_with("`../x` is not a theme name"),
            "{e}"
        );
    }

    #[test]
    fn user_theme_overrides_builtin_by_name_keeping_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("default.toml"),
            "[palette]\ncrit = \"#010203\"\n",
        )
        .unwrap();
        let t = Theme::load_in("default", dir.path(), ColorMode::TrueColor).unwrap();
        assert_eq!(t.style(Role::Critical).fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(t.sources.len(), 2);
        assert!(t.style(Role::Compliant).fg.is_some());
    }

    #[test]
    fn colour_modes() {
        assert_eq!(
            ColorMode::from_env("1", "truecolor", "xterm-256color"),
            ColorMode::None
        );
        assert_eq!(
            ColorMode::from_env("", "truecolor", "xterm"),
            ColorMode::TrueColor
        );
        assert_eq!(
            ColorMode::from_env("", "", "tmux-256color"),
            ColorMode::Ansi256
        );
        assert_eq!(ColorMode::from_env("", "", "xterm"), ColorMode::Ansi16);
        let t = Theme::load_in("default", Path::new("/x"), ColorMode::Ansi16).unwrap();
        for r in Role::all() {
            let s = t.style(*r);
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{r}: {c:?}"
                );
            }
        }
        let t = Theme::load_in("default", Path::new("/x"), ColorMode::None).unwrap();
        assert_eq!(t.style(Role::Critical).fg, None);
        assert!(
            t.style(Role::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert_eq!(to_256(Color::Rgb(255, 0, 0)), Color::Indexed(196));
    }

    /// The xterm-256 index a terminal shows for `c` (named colours are the first 16).
    fn xterm_index(c: Color) -> Option<u8> {
        let named = [
            Color::Black,
            Color::Red,
            Color::Green,
            Color::Yellow,
            Color::Blue,
            Color::Magenta,
            Color::Cyan,
            Color::Gray,
            Color::DarkGray,
            Color::LightRed,
            Color::LightGreen,
            Color::LightYellow,
            Color::LightBlue,
            Color::LightMagenta,
            Color::LightCyan,
            Color::White,
        ];
        match c {
            Color::Indexed(i) => Some(i),
            Color::Rgb(..) => match to_256(c) {
                Color::Indexed(i) => Some(i),
                _ => None,
            },
            other => named.iter().position(|n| *n == other).map(|i| i as u8),
        }
    }

    /// The audit's finding: the old cursor #2e3c64 and mark #3d2f5b both became xterm 238
    /// in tmux-256color (the quantisation here is xterm's and tmux's: cube vs grey ramp).
    #[test]
    fn quantisation_is_xterms() {
        assert_eq!(to_256(Color::Rgb(0x2e, 0x3c, 0x64)), Color::Indexed(238));
        assert_eq!(to_256(Color::Rgb(0x3d, 0x2f, 0x5b)), Color::Indexed(238));
        assert_eq!(to_256(Color::Rgb(0x5f, 0x87, 0xaf)), Color::Indexed(67));
        assert_eq!(to_256(Color::Rgb(0x80, 0x80, 0x80)), Color::Indexed(244));
    }

    /// In every built-in theme and colour mode, the cursor row, a marked row and the cursor
    /// on a marked row have three different backgrounds (as the table draws them: text,
    /// then mark, then cursor) — after 256- and 16-colour quantisation too.
    #[test]
    fn cursor_mark_and_cursor_on_mark_stay_apart_in_256_and_16_colours() {
        for (name, _) in BUILTIN {
            for mode in [ColorMode::TrueColor, ColorMode::Ansi256, ColorMode::Ansi16] {
                let t = Theme::load_in(name, Path::new("/nonexistent"), mode).unwrap();
                let text = t.style(Role::Text);
                let sel = t.style(Role::Selection);
                let cursor = text.patch(sel).bg;
                let marked = text.patch(t.style(Role::Marked)).bg;
                let both = text
                    .patch(t.style(Role::Marked))
                    .patch(sel.patch(t.style(Role::SelectionMarked)))
                    .bg;
                let idx = |c: Option<Color>| {
                    c.and_then(xterm_index)
                        .unwrap_or_else(|| panic!("{name} {mode:?}: no background {c:?}"))
                };
                let (c, m, b) = (idx(cursor), idx(marked), idx(both));
                assert!(
                    c != m && c != b && m != b,
                    "{name} {mode:?}: cursor {c}, marked {m}, cursor on marked {b}"
                );
                if mode == ColorMode::Ansi16 {
                    assert!(c < 16 && m < 16 && b < 16, "{name}: {c} {m} {b}");
                }
            }
        }
    }
}
