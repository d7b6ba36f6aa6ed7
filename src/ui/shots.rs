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
                // ctrl-s (the run pane's send)
                '\x13' => {
                    let k = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
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
    let mut shots = Vec::new();
    let mut take = |sc: &mut Script<'_>, name, caption, (w, h): (u16, u16)| {
        shots.push(Shot {
            name,
            caption,
            buffer: sc.shot(w, h),
        })
    };
    let std = (120, 40);
    // views with many columns: wide enough that nothing that matters is cut
    let wide = (200, 45);
    take(
        &mut sc,
        "nodes",
        "`:nodes` — every managed node, worst compliance first",
        std,
    );
    sc.keys("/sev:critical ping:online");
    sc.keys("\r");
    take(
        &mut sc,
        "nodes-filter",
        "`/sev:critical ping:online` — field filters, shown in the header",
        std,
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
        std,
    );
    sc.keys(":errors\r");
    take(
        &mut sc,
        "errors",
        "`:errors` — what could not be read, per account / region / service",
        std,
    );
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
        "`:windows` — maintenance windows and patch associations of every account, soonest next run first",
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
    let std = (120, 40);
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
