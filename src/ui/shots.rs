//! Screenshots of the main views from the real update + renderer, as text and SVG
//! (`cargo test --test console -- --ignored screenshots` writes them to `screenshots/`), and
//! the key table for the README, generated from the built-in keymap.

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
use crate::model::{FleetUpdate, NodeKey};

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

/// A scripted session: feed the update, type keys, take shots.
pub struct Script<'a> {
    pub state: State,
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    /// Answers for `Effect::LoadNode` (the data layer's on-demand calls).
    pub load_node: &'a dyn Fn(&NodeKey) -> Vec<FleetUpdate>,
}

impl Script<'_> {
    pub fn send(&mut self, msg: Msg) {
        let fx = update(&mut self.state, msg, self.keymap);
        for e in fx {
            if let Effect::LoadNode(k) = e {
                for u in (self.load_node)(&k) {
                    let _ = update(&mut self.state, Msg::Fleet(u), self.keymap);
                }
            }
        }
    }

    pub fn keys(&mut self, s: &str) {
        for c in s.chars() {
            let code = match c {
                '\r' => KeyCode::Enter,
                '\x1b' => KeyCode::Esc,
                '\t' => KeyCode::Tab,
                c => KeyCode::Char(c),
            };
            self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        }
    }

    pub fn shot(&mut self, w: u16, h: u16) -> Buffer {
        draw_buffer(&mut self.state, w, h, self.theme, self.keymap)
    }
}

/// The README screenshots, from one snapshot update (demo world or fixture).
pub fn readme_shots(
    data: FleetUpdate,
    now: chrono::DateTime<chrono::Utc>,
    load_node: &dyn Fn(&NodeKey) -> Vec<FleetUpdate>,
) -> Vec<Shot> {
    let keymap =
        Keymap::load("default", std::path::Path::new("/nonexistent")).expect("builtin keymap");
    let theme = Theme::load_in(
        "default",
        std::path::Path::new("/nonexistent"),
        ColorMode::TrueColor,
    )
    .expect("builtin theme");
    let meta = Meta {
        demo: true,
        theme: "default".into(),
        keymap: "default".into(),
        ..Default::default()
    };
    let mut sc = Script {
        state: State::new(meta, now),
        keymap: &keymap,
        theme: &theme,
        load_node,
    };
    sc.send(Msg::Fleet(data));
    let mut shots = Vec::new();
    let (w, h) = (120, 40);
    shots.push(Shot {
        name: "nodes",
        caption: "`:nodes` — every managed node, worst compliance first",
        buffer: sc.shot(w, h),
    });
    sc.keys("/sev:critical ping:online");
    sc.keys("\r");
    shots.push(Shot {
        name: "nodes-filter",
        caption: "`/sev:critical ping:online` — field filters, shown in the header",
        buffer: sc.shot(w, h),
    });
    sc.keys("\r");
    shots.push(Shot {
        name: "node",
        caption: "Enter — node detail: inventory, patch summary, patches, recent invocations",
        buffer: sc.shot(w, h),
    });
    sc.keys(":org\r");
    shots.push(Shot {
        name: "org",
        caption: "`:org` — OU → account tree with roll-ups and inline errors",
        buffer: sc.shot(w, h),
    });
    sc.keys(":compliance\r");
    shots.push(Shot { name: "compliance", caption: "`:compliance` — the fleet dashboard; Tab switches the breakdown, Enter drills down", buffer: sc.shot(w, h) });
    sc.keys(":certs\r");
    shots.push(Shot {
        name: "certs",
        caption: "`:certs` — certificates by expiry, colour bands and risk markers",
        buffer: sc.shot(w, h),
    });
    sc.keys(":errors\r");
    shots.push(Shot {
        name: "errors",
        caption: "`:errors` — what could not be read, per account / region / service",
        buffer: sc.shot(w, h),
    });
    sc.keys(":nodes\r?");
    shots.push(Shot {
        name: "help",
        caption: "`?` — help generated from the live keymap",
        buffer: sc.shot(w, h),
    });
    sc.keys("\x1b:nodes\r");
    shots.push(Shot {
        name: "nodes-80x24",
        caption: "80×24: columns drop by priority",
        buffer: sc.shot(80, 24),
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
