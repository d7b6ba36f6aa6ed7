//! `:region` (`:regions`) — the regions the next refresh reads, as checkboxes (the column
//! chooser's keys): every region in scope, every region seen this session and the ones
//! taken out of scope, each with the nodes the picture has there. Space toggles, `a` all /
//! none, Enter applies (the scope is connected first, the old one kept if that fails),
//! Esc cancels. `:region us-east-1,eu-west-1` applies at once.
//!
//! Regions taken out of scope are not silently dropped: they are no longer read nor shown
//! (as k9s shows one namespace at a time), and the header says so (`⊘ out of scope: …`,
//! with the nodes the last picture had there) until they are back in scope.

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::checklist;
use super::contract::{Handled, Open, Pane, PaneCx, PaneSize, Selection, Spec};
use crate::text::sanitize;
use crate::ui::action::Action;
use crate::ui::context::ContextChoice;
use crate::ui::theme::{Role, Theme};

pub const SPEC: Spec = Spec {
    id: "region",
    commands: &["region", "regions", "rg"],
    describe: "Regions the next refresh reads: space toggles, Enter applies",
    action: None,
    table: false,
    scoped: false,
    open: Open::Pane(open),
};

/// One region offered.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionRow {
    pub region: String,
    /// Read by the current scope.
    pub in_scope: bool,
    /// Nodes the picture has there (for a region out of scope: when it was taken out).
    pub nodes: Option<usize>,
}

pub struct RegionPane {
    pub rows: Vec<RegionRow>,
    /// What Enter applies.
    pub chosen: BTreeSet<String>,
    pub cursor: usize,
    profile: Option<String>,
    demo: bool,
    /// `:region A,B`: applied as soon as it opens.
    direct: Option<Vec<String>>,
}

/// The regions in scope now: as the last switch set them, else as the data says.
pub fn in_scope(sel: &Selection<'_>) -> Vec<String> {
    if let Some(r) = &sel.ctx.scope_regions {
        return r.clone();
    }
    sel.snapshot()
        .map(|s| s.regions.clone())
        .unwrap_or_default()
}

fn open(sel: &Selection<'_>) -> Result<Box<dyn Pane>, String> {
    let scope = in_scope(sel);
    let mut known: BTreeSet<String> = sel.ctx.known_regions.clone();
    known.extend(scope.iter().cloned());
    known.extend(sel.ctx.out_of_scope.iter().map(|(r, _)| r.clone()));
    if known.is_empty() {
        return Err(
            "no region known yet: wait for the first picture (or start with --regions)".into(),
        );
    }
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    if let Some(s) = sel.snapshot() {
        for n in &s.nodes {
            *counts.entry(n.region.as_str()).or_default() += 1;
        }
    }
    let rows: Vec<RegionRow> = known
        .iter()
        .map(|r| {
            let in_scope = scope.contains(r);
            let nodes = if in_scope {
                sel.snapshot()
                    .map(|_| counts.get(r.as_str()).copied().unwrap_or(0))
            } else {
                sel.ctx
                    .out_of_scope
                    .iter()
                    .find(|(x, _)| x == r)
                    .map(|(_, n)| *n)
            };
            RegionRow {
                region: r.clone(),
                in_scope,
                nodes,
            }
        })
        .collect();
    let direct = if sel.args.trim().is_empty() {
        None
    } else {
        let want: Vec<String> = sel
            .args
            .split([',', ' '])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = want.iter().find(|r| !crate::model::is_region_name(r)) {
            return Err(format!(
                "`{}` is not a region name (expected something like us-east-1)",
                sanitize(bad)
            ));
        }
        Some(want)
    };
    Ok(Box::new(RegionPane {
        chosen: scope.iter().cloned().collect(),
        rows,
        cursor: 0,
        profile: sel.ctx.profile.clone(),
        demo: sel.ctx.demo,
        direct,
    }))
}

impl RegionPane {
    fn toggle(&mut self) {
        if let Some(r) = self.rows.get(self.cursor)
            && !self.chosen.remove(&r.region)
        {
            self.chosen.insert(r.region.clone());
        }
    }

    fn toggle_all(&mut self) {
        if self.chosen.len() == self.rows.len() {
            self.chosen.clear();
        } else {
            self.chosen = self.rows.iter().map(|r| r.region.clone()).collect();
        }
    }

    fn current(&self) -> BTreeSet<String> {
        self.rows
            .iter()
            .filter(|r| r.in_scope)
            .map(|r| r.region.clone())
            .collect()
    }

    /// Enter: switch the scope to the regions chosen (in order), or say why not.
    fn apply(&mut self, regions: Vec<String>, cx: &mut PaneCx<'_>) {
        if regions.is_empty() {
            cx.error("choose at least one region (space toggles)");
            return;
        }
        cx.close = true;
        if regions.iter().cloned().collect::<BTreeSet<_>>() == self.current() {
            cx.toast("regions unchanged");
            return;
        }
        cx.switch = Some(ContextChoice {
            profile: self.profile.clone(),
            regions: Some(regions),
        });
    }
}

impl Pane for RegionPane {
    fn id(&self) -> &'static str {
        SPEC.id
    }

    fn title(&self) -> String {
        match (&self.profile, self.demo) {
            (_, true) => "Regions · demo".into(),
            (Some(p), _) => format!("Regions · profile {}", sanitize(p)),
            (None, _) => "Regions".into(),
        }
    }

    fn size(&self) -> PaneSize {
        PaneSize::Modal {
            width_pct: 60,
            height_pct: 70,
        }
    }

    fn opened(&mut self, cx: &mut PaneCx<'_>) {
        if let Some(want) = self.direct.take() {
            self.apply(want, cx);
        }
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut PaneCx<'_>) -> bool {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        match key.code {
            KeyCode::Char(' ') => self.toggle(),
            KeyCode::Char('a') => self.toggle_all(),
            KeyCode::Enter => {
                let regions: Vec<String> = self
                    .rows
                    .iter()
                    .filter(|r| self.chosen.contains(&r.region))
                    .map(|r| r.region.clone())
                    .collect();
                self.apply(regions, cx);
            }
            _ => return false,
        }
        true
    }

    fn action(&mut self, action: Action, _cx: &mut PaneCx<'_>) -> Handled {
        if checklist::move_cursor(&mut self.cursor, self.rows.len(), &action) {
            return Handled::Consumed;
        }
        match action {
            Action::Back | Action::Quit | Action::Help => Handled::NotConsumed,
            _ => Handled::Consumed,
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let mut lines = checklist::header(
            theme,
            [
                "space toggle · a all/none · Enter apply · Esc cancel",
                "out of scope: not read, not shown, named under the header",
            ],
        );
        let (offset, room) = checklist::window(self.cursor, area.height, lines.len());
        let width = self
            .rows
            .iter()
            .map(|r| r.region.chars().count())
            .max()
            .unwrap_or(0);
        for (i, r) in self.rows.iter().enumerate().skip(offset).take(room) {
            let on = self.chosen.contains(&r.region);
            let (style, [cursor, check]) = checklist::row_start(theme, i == self.cursor, on);
            let nodes = match r.nodes {
                Some(1) => "1 node".to_string(),
                Some(n) => format!("{n} nodes"),
                None => "-".into(),
            };
            let (state, role) = match (r.in_scope, on) {
                (true, true) => ("in scope", Role::Ok),
                (true, false) => ("in scope → out", Role::Warning),
                (false, true) => ("out of scope → in", Role::Info),
                (false, false) => ("out of scope: not read, not shown", Role::Stale),
            };
            lines.push(Line::from(vec![
                cursor,
                check,
                Span::styled(
                    format!("{:<width$}  {nodes:>11}  ", sanitize(&r.region)),
                    style,
                ),
                Span::styled(state, theme.style(role)),
            ]));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![(Action::Back, "cancel")]
    }
}
