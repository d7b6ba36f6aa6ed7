//! Screenshots of the main views from the real update + renderer, as text and SVG
//! (`cargo test --test console -- --ignored screenshots` writes them to `screenshots/`), and
//! the key table for the README, generated from the built-in keymap.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::action::{Effect, Msg};
use super::keymap::Keymap;
use super::state::{Meta, State};
use super::theme::{ColorMode, Theme};
use super::update::update;
use super::views::frame::render;

/// One screenshot.
pub struct Shot {
    pub name: &'static str,
    pub caption: &'static str,
    pub buffer: Buffer,
}

/// Draw `state` at `w`×`h` into a buffer (prepares the view first, as the runtime does).
pub fn draw_buffer(state: &mut State, w: u16, h: u16, theme: &Theme, keymap: &Keymap) -> Buffer {
    state.size = (w, h);
    state.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| render(f, state, theme, keymap))
        .expect("draw");
    term.backend().buffer().clone()
}

/// Plain text of a buffer (trailing spaces trimmed).
pub fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What the runtime does for a scripted session: carries out the effects `update` asks for
/// (node loads, jobs) and hands back their answers, with the data layer's updates.
pub trait Driver {
    /// Carry out one effect (answers come back through [`Driver::next`]).
    fn execute(&mut self, effect: Effect);
    /// The next message (a fleet update, the patch index, a job's answer), waiting at most
    /// `timeout`; `None` when nothing came.
    fn next(&mut self, timeout: Duration) -> Option<Msg>;
}

/// A scripted session: feed the update, type keys, wait for answers, take shots.
pub struct Script<'a> {
    pub state: State,
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    pub driver: &'a mut dyn Driver,
}

impl Script<'_> {
    pub fn send(&mut self, msg: Msg) {
        let fx = update(&mut self.state, msg, self.keymap);
        for e in fx {
            self.driver.execute(e);
        }
    }

    pub fn keys(&mut self, s: &str) {
        for c in s.chars() {
            let code = match c {
                '\r' => KeyCode::Enter,
                '\x1b' => KeyCode::Esc,
                '\t' => KeyCode::Tab,
                // ctrl-s (the run pane's send), ctrl-w (wide mode)
                '\x13' | '\x17' => {
                    let c = if c == '\x13' { 's' } else { 'w' };
                    let k = KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
                    self.send(Msg::Key(k));
                    continue;
                }
                c => KeyCode::Char(c),
            };
            self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        }
    }

    /// Feed answers until `done` holds and nothing more came for a moment (so what is
    /// drawn next is the settled picture, the same on every run). Panics after five
    /// minutes, naming `what`.
    pub fn settle(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let start = Instant::now();
        let quiet = Duration::from_millis(400);
        loop {
            match self.driver.next(quiet) {
                Some(m) => self.send(m),
                None => {
                    self.state.size = (120, 40);
                    self.state.prepare();
                    if done(&self.state) {
                        return;
                    }
                }
            }
            if start.elapsed() > Duration::from_secs(300) {
                let seen = self.state.data.as_ref().map(|d| {
                    format!(
                        "in progress {}, schedules read {:?}, index {:?}, {} nodes",
                        d.snapshot.in_progress,
                        d.snapshot.schedules.fetched_at,
                        d.patch_index.progress,
                        d.snapshot.nodes.len()
                    )
                });
                let screen = screen_text(&mut self.state, self.theme, self.keymap, 120, 40);
                panic!("screenshots: waited five minutes for {what} (seen: {seen:?}):\n{screen}");
            }
        }
    }

    /// [`Script::settle`] until the screen at `(w, h)` says what `done` looks for.
    pub fn settle_screen(&mut self, what: &str, (w, h): (u16, u16), done: impl Fn(&str) -> bool) {
        let (theme, keymap) = (self.theme, self.keymap);
        let start = Instant::now();
        loop {
            self.settle(what, |_| true);
            if done(&screen_text(&mut self.state, theme, keymap, w, h)) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "screenshots: waited five minutes for {what}"
            );
        }
    }

    pub fn shot(&mut self, w: u16, h: u16) -> Buffer {
        draw_buffer(&mut self.state, w, h, self.theme, self.keymap)
    }
}

/// The text of the screen at `w`×`h` (for `settle` conditions).
pub fn screen_text(state: &mut State, theme: &Theme, keymap: &Keymap, w: u16, h: u16) -> String {
    buffer_text(&draw_buffer(state, w, h, theme, keymap))
}

/// The README screenshots, from a live session (the demo world through the data layer and
/// the job runner, driven by `driver`) drawn as of `now`.
pub fn readme_shots(now: chrono::DateTime<chrono::Utc>, driver: &mut dyn Driver) -> Vec<Shot> {
    let (keymap, theme) = look();
    let mut sc = Script {
        state: demo_state(now),
        keymap: &keymap,
        theme: &theme,
        driver,
    };
    settle_world(&mut sc);
    // the gallery's columns, chosen as a user would with `C` (views.toml): at 200 columns
    // the names, tasks and domains it sells are whole
    sc.state.meta.columns = gallery_columns();
    let mut shots = Vec::new();
    let mut take = |sc: &mut Script<'_>, name, caption, (w, h): (u16, u16)| {
        shots.push(Shot {
            name,
            caption,
            buffer: sc.shot(w, h),
        })
    };
    let std = (120, 40);
    // views with many columns or long names: wide enough that nothing that matters is cut
    // (`WHOLE_COLUMNS` below names what must be whole; a test checks the committed files)
    let wide = (200, 45);
    take(
        &mut sc,
        "nodes",
        "`:nodes` — every managed node, worst compliance first (columns chosen with `C`)",
        wide,
    );
    sc.keys("/sev:critical ping:online");
    sc.keys("\r");
    take(
        &mut sc,
        "nodes-filter",
        "`/sev:critical ping:online` — field filters, shown in the header",
        wide,
    );
    sc.keys("d");
    take(
        &mut sc,
        "describe",
        "`d` — describe the row (here a node): every field, wrapped, searchable (`/`), copyable (`c`)",
        std,
    );
    sc.keys("y");
    take(
        &mut sc,
        "raw",
        "`y` — the record behind the row as JSON (`d`/`y`/Tab switch)",
        std,
    );
    sc.keys("\x1b");
    sc.keys("\r");
    sc.settle("the node's inventory, patches and invocations", |s| {
        use super::data::Load;
        s.view_as::<super::views::node::NodeView>()
            .is_some_and(|v| {
                !matches!(v.patches, Load::Loading)
                    && !matches!(v.inventory, Load::Loading)
                    && !matches!(v.invocations, Load::Loading)
            })
    });
    take(
        &mut sc,
        "node",
        "Enter — node detail: inventory, baseline and schedule, patches, invocations, software and CVEs",
        wide,
    );
    sc.keys("\x1b");
    sc.keys(":org\r");
    take(
        &mut sc,
        "org",
        "`:org` — OU → account tree with roll-ups and inline errors",
        std,
    );
    sc.keys(":compliance\r");
    take(
        &mut sc,
        "compliance",
        "`:compliance` — the fleet dashboard; Tab switches the breakdown, Enter drills down",
        std,
    );
    sc.keys(":certs\r");
    take(
        &mut sc,
        "certs",
        "`:certs` — certificates by expiry, colour bands and risk markers",
        wide,
    );
    sc.keys(":errors\r");
    take(
        &mut sc,
        "errors",
        "`:errors` — what could not be read, per account / region / service",
        wide,
    );
    // an AWS message is longer than any line: Enter shows it whole
    sc.keys("\r");
    take(
        &mut sc,
        "error-detail",
        "Enter on an error — the whole message, wrapped, with where it happened",
        std,
    );
    sc.keys("\x1b");
    // patch now on the critical nodes: the blast radius before anything is sent
    sc.keys(":nodes\r/sev:critical\r");
    sc.keys("p");
    sc.keys(" ");
    take(
        &mut sc,
        "patch-now",
        "`p` — patch now: the blast radius (accounts, regions, platforms, patch groups, exclusions, production) before anything is sent",
        std,
    );
    sc.keys("\x1b");
    // the run pane on the same nodes, with a command typed
    sc.keys("x");
    sc.keys("df -h /var");
    take(
        &mut sc,
        "run",
        "`x` — Run Command on the marked / filtered nodes: the shell / PowerShell split and the preview",
        std,
    );
    sc.keys("\x1b\x1b");
    sc.keys(":windows\r");
    take(
        &mut sc,
        "windows",
        "`:windows` — maintenance windows and patch associations of every account, soonest next run first (`→` scrolls to the columns out of view: `4 ▸`)",
        wide,
    );
    sc.keys(":baselines\r");
    take(
        &mut sc,
        "baselines",
        "`:baselines` — every patch baseline in use, its rules in words, nodes and % compliant",
        wide,
    );
    sc.keys(":patches\r/cve:CVE-2024-38653\r");
    take(
        &mut sc,
        "patches",
        "`:patches` + `/cve:CVE-2024-38653` — the patches naming a CVE across the organization, nodes missing it first",
        wide,
    );
    sc.keys(":software\r");
    sc.settle("the software inventory", |s| {
        s.view_as::<super::views::software::SoftwareView>()
            .is_some_and(|v| !matches!(v.inv, super::data::Load::Loading))
    });
    sc.keys("/drift:yes name:ssm\r");
    take(
        &mut sc,
        "software",
        "`:software` + `/drift:yes` — applications whose versions drifted across accounts",
        wide,
    );
    // the defaults again: help and 80×24 show what a new user sees
    sc.state.meta.columns = Default::default();
    sc.keys(":nodes\r?");
    take(
        &mut sc,
        "help",
        "`?` — help generated from the live keymap",
        std,
    );
    sc.keys("\x1b:nodes\r");
    take(
        &mut sc,
        "nodes-80x24",
        "80×24: columns drop by priority",
        (80, 24),
    );
    shots
}

/// The columns the gallery's lists show (as chosen with `C`, saved in `views.toml`).
const GALLERY_COLUMNS: &str = r#"
[nodes]
columns = ["NAME", "INSTANCE", "ACCOUNT", "REGION", "PLATFORM", "COMPLIANCE", "MISS", "CRIT PATCHES", "SCAN"]
[windows]
columns = ["NAME", "KIND", "ACCOUNT", "REGION", "SCHEDULE", "NEXT RUN", "NODES", "TASKS"]
[baselines]
columns = ["NAME", "OS", "PATCH GROUPS", "APPROVAL RULES", "NODES", "COMPL", "ACCOUNT", "REGION"]
[certs]
columns = ["DOMAIN", "ACCOUNT", "REGION", "TYPE", "STATUS", "NOT AFTER", "DAYS", "IN USE", "RENEWAL", "RISK"]
"#;

fn gallery_columns() -> super::columns::ColumnPrefs {
    super::columns::ColumnPrefs::parse(
        GALLERY_COLUMNS,
        "screenshots",
        &super::views::column_tables(),
    )
    .expect("the gallery's column choices name columns of their views")
}

/// The built-in keymap and theme (what a new user sees).
fn look() -> (Keymap, Theme) {
    let none = std::path::Path::new("/nonexistent");
    let keymap = Keymap::load("default", none).expect("builtin keymap");
    let theme = Theme::load_in("default", none, ColorMode::TrueColor).expect("builtin theme");
    (keymap, theme)
}

/// A fresh console on the demo world, its clock at `now`.
fn demo_state(now: chrono::DateTime<chrono::Utc>) -> State {
    let meta = Meta {
        demo: true,
        theme: "default".into(),
        keymap: "default".into(),
        ..Default::default()
    };
    State::new(meta, now)
}

/// Wait for the whole picture: a finished refresh, the schedules and tags read, the patch
/// index complete.
fn settle_world(sc: &mut Script<'_>) {
    sc.settle(
        "the first refresh, the schedules and the patch index",
        |s| {
            s.data.as_ref().is_some_and(|d| {
                !d.snapshot.in_progress
                    && d.snapshot.schedules.fetched_at.is_some()
                    && d.patch_index.published
                    && !d.patch_index.progress.running
                    && d.patch_index.progress.pending == 0
                    && d.patch_index.progress.total == d.snapshot.nodes.len()
            })
        },
    );
}

/// The run pane and the command pane on a command sent through them: a demo world whose
/// Run Command lifecycle runs (the main shots' world is frozen, where nothing sent ever
/// finishes). `openssl version` on one account's online Linux nodes: the answers grouped
/// into variants.
pub fn run_shots(now: chrono::DateTime<chrono::Utc>, driver: &mut dyn Driver) -> Vec<Shot> {
    let (keymap, theme) = look();
    let mut sc = Script {
        state: demo_state(now),
        keymap: &keymap,
        theme: &theme,
        driver,
    };
    settle_world(&mut sc);
    // wide enough for the breadcrumb (the command and its filter) and the targets whole
    let std = (200, 45);
    let mut shots = Vec::new();
    sc.keys(":nodes\r/account:web-prod ping:online os:linux\r");
    sc.keys("x");
    // a paste keeps its line breaks (Enter in the editor is a new line too)
    sc.send(Msg::Paste("openssl version".into()));
    shots.push(Shot {
        name: "run",
        caption: "`x` — Run Command on the marked / filtered nodes: the command, the preview (documents, accounts, exclusions, production) and the confirmation",
        buffer: sc.shot(std.0, std.1),
    });
    // type the phrase the pane asks for (`Type `…` and press Enter`), then send
    let text = screen_text(&mut sc.state, &theme, &keymap, std.0, std.1);
    let phrase = text
        .split("Type `")
        .nth(1)
        .and_then(|t| t.split('`').next())
        .map(str::to_string);
    // the first ctrl-s moves to the confirmation, the second sends
    sc.keys("\x13");
    if let Some(p) = phrase {
        sc.keys(&p);
        sc.keys("\x13");
    }
    sc.settle_screen("every target of the run finished", std, |text| {
        text.contains("Finished:") && text.contains("outputs:")
    });
    shots.push(Shot {
        name: "command-pane",
        caption: "the run's results — per-target grid, outputs grouped into variants",
        buffer: sc.shot(std.0, std.1),
    });
    sc.keys("v");
    shots.push(Shot {
        name: "command-variants",
        caption: "`v` — the variants, largest first, with the first line that differs; Enter: its output and diff",
        buffer: sc.shot(std.0, std.1),
    });
    shots
}

/// SVG colours for `Color::Reset` in the default theme.
pub fn svg(shot: &Shot) -> String {
    super::svg::buffer_to_svg(&shot.buffer, "#c0caf5", "#1a1b26")
}

/// The README key table (Markdown) from a keymap: global keys, list keys, per-view keys.
pub fn keys_markdown(km: &Keymap) -> String {
    let mut out = String::from("| Where | Keys | Action |\n|---|---|---|\n");
    let groups: &[(&str, &str)] = &[
        ("everywhere", "global"),
        ("lists", "table"),
        ("`:org`", "org"),
        ("`:nodes`", "nodes"),
        ("`:compliance`", "compliance"),
        ("node detail", "node"),
        ("`:commands`", "commands"),
        ("describe / raw panes", "describe"),
        ("command output pane", "command_output"),
    ];
    for (label, section) in groups {
        for (a, keys) in km.section(section) {
            let k = keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!("| {label} | {k} | {} (`{a}`) |\n", a.describe()));
        }
    }
    out
}

/// What a committed screenshot must show whole, per shot: the columns whose cells are
/// never cut (`…`). Every shot's top bar and breadcrumb line (its first two lines) must be
/// whole too. Checked against `screenshots/*.txt` by a test, so a regenerated gallery that
/// cuts what it sells fails.
pub const WHOLE_COLUMNS: &[(&str, &[&str])] = &[
    (
        "nodes",
        &["NAME", "INSTANCE", "ACCOUNT", "PLATFORM", "COMPLIANCE"],
    ),
    (
        "nodes-filter",
        &["NAME", "INSTANCE", "ACCOUNT", "COMPLIANCE"],
    ),
    (
        "windows",
        &["NAME", "ACCOUNT", "SCHEDULE", "NEXT RUN", "TASKS"],
    ),
    ("baselines", &["NAME", "ACCOUNT"]),
    ("patches", &["TITLE"]),
    ("certs", &["DOMAIN", "ACCOUNT"]),
    // a long AWS message is cut in the list (the error-detail shot shows it whole)
    ("errors", &["ACCOUNT", "CODE"]),
    ("org", &["NAME"]),
];

/// The cuts in a screenshot's text that [`WHOLE_COLUMNS`] forbids, as readable problems
/// ("windows: NAME cut on line 5: …"). A column is the span from its title in the header
/// line (the first line holding every named title) to the next title; its cells are the
/// lines below up to the first blank line or the footer.
pub fn cut_cells(name: &str, text: &str) -> Vec<String> {
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().take(2).enumerate() {
        if l.contains(&'…') {
            out.push(format!(
                "{name}: line {} (title / breadcrumb) is cut: {}",
                i + 1,
                l.iter().collect::<String>()
            ));
        }
    }
    let Some((_, cols)) = WHOLE_COLUMNS.iter().find(|(n, _)| *n == name) else {
        return out;
    };
    let find = |line: &[char], title: &str| -> Option<usize> {
        let t: Vec<char> = title.chars().collect();
        (0..line.len().saturating_sub(t.len() - 1)).find(|&i| {
            line[i..i + t.len()] == t[..]
                && (i == 0 || line[i - 1] == ' ')
                && line
                    .get(i + t.len())
                    .is_none_or(|c| *c == ' ' || *c == '▲' || *c == '▼')
        })
    };
    let Some(h) = lines
        .iter()
        .position(|l| cols.iter().all(|c| find(l, c).is_some()))
    else {
        out.push(format!("{name}: no header line with every one of {cols:?}"));
        return out;
    };
    let header = &lines[h];
    if header.contains(&'…') {
        out.push(format!(
            "{name}: the header is cut: {}",
            header.iter().collect::<String>()
        ));
    }
    for col in *cols {
        let Some(start) = find(header, col) else {
            continue;
        };
        // the next title: the first non-space after a space past this title
        let mut end = start + col.chars().count();
        while end < header.len() && header[end] != ' ' {
            end += 1;
        }
        while end < header.len() && header[end] == ' ' {
            end += 1;
        }
        let end = if end >= header.len() { usize::MAX } else { end };
        for (y, l) in lines.iter().enumerate().skip(h + 1) {
            let s: String = l.iter().collect();
            if s.trim().is_empty() || s.starts_with(" <") {
                break;
            }
            let cell: String = l
                .iter()
                .skip(start)
                .take(end.saturating_sub(start))
                .collect();
            if cell.contains('…') {
                out.push(format!(
                    "{name}: {col} cut on line {}: {}",
                    y + 1,
                    cell.trim_end()
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod whole_tests {
    use super::*;

    #[test]
    fn the_check_finds_a_cut_cell_and_passes_whole_ones() {
        let ok = " ssmdeck\n errors   1\n  ACCOUNT▲    CODE         MESSAGE\n▸ web-prod    AccessDenied not authorized\n <:> cmd\n";
        assert!(
            cut_cells("errors", ok).is_empty(),
            "{:?}",
            cut_cells("errors", ok)
        );
        let cut = ok.replace("AccessDenied", "AccessDeni… ");
        let p = cut_cells("errors", &cut);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("CODE cut on line 4"), "{p:?}");
        let title = ok.replace(" errors   1", " errors › a very long fil…");
        assert!(cut_cells("errors", &title)[0].contains("breadcrumb"));
        // a column missing from the header is a problem too, not a pass
        assert!(!cut_cells("certs", ok).is_empty());
    }

    /// The committed gallery (`screenshots/*.txt`) shows whole what it sells: regenerate
    /// with `cargo test --test console -- --ignored screenshots` and fix what this names.
    #[test]
    fn committed_screenshots_cut_nothing_that_matters() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
        let mut problems = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("screenshots/") {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "txt") {
                let name = p.file_stem().unwrap().to_string_lossy().to_string();
                let text = std::fs::read_to_string(&p).unwrap();
                problems.extend(cut_cells(&name, &text));
                seen += 1;
            }
        }
        assert!(seen >= WHOLE_COLUMNS.len(), "{seen} screenshots");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
