//! Console state: the data received, the view stack (with breadcrumbs), modal panes, the
//! prompt (`:` / `/`), marks and toasts. Plain data; changed only by `update`. Every view on
//! the stack and every open pane carries its [`Owner`] id (its jobs are keyed by it).

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};

pub use super::data::{Data, Load};
use super::effect::Owner;
use super::views::contract::{Pane, View};

/// A view or pane with its owner id.
pub struct Owned<T: ?Sized> {
    pub owner: Owner,
    pub item: Box<T>,
}

impl<T: ?Sized> std::ops::Deref for Owned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.item
    }
}

impl<T: ?Sized> std::ops::DerefMut for Owned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.item
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Filter,
}

/// The `:` / `/` input line.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// Command completions (best first) for `:`.
    pub completions: Vec<String>,
    pub selected: usize,
    /// Filter text when `/` was pressed.
    pub before: String,
}

/// Facts for the header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    pub demo: bool,
    pub readonly: bool,
    pub profile: Option<String>,
    pub regions: Vec<String>,
    pub theme: String,
    pub keymap: String,
    /// Problems found at startup worth showing once (e.g. "no cache").
    pub notes: Vec<String>,
    /// `stale_after_days` from the config (0 = the default, 7).
    pub stale_days: i64,
    /// Column choices from `views.toml`.
    pub columns: super::columns::ColumnPrefs,
    /// Where the column chooser saves them (`None`: not saved, as in tests).
    pub views_file: Option<std::path::PathBuf>,
}

/// A vim visual-line range being marked (`V`): marks from before it, and its anchor row.
#[derive(Clone, Debug, PartialEq)]
pub struct Visual {
    pub base: HashSet<String>,
    pub anchor: usize,
}

/// `-c/--command` and `--filter` from the command line, applied once data arrives.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Startup {
    pub command: Option<String>,
    pub filter: Option<String>,
}

/// Everything the console knows.
pub struct State {
    pub now: DateTime<Utc>,
    pub meta: Meta,
    pub data: Option<Data>,
    /// Error of the last refresh when no data at all could be collected.
    pub fatal: Option<String>,
    /// Navigation stack; never empty.
    pub stack: Vec<Owned<dyn View>>,
    /// Modal panes, topmost last.
    pub panes: Vec<Owned<dyn Pane>>,
    /// Owners that started a job (told to stop them when they go).
    pub job_owners: HashSet<Owner>,
    /// The next owner id.
    pub next_owner: u64,
    pub help: Option<usize>,
    pub prompt: Option<Prompt>,
    /// Marked row ids (instance ids for nodes); survive refreshes.
    pub marks: HashSet<String>,
    pub toasts: VecDeque<Toast>,
    /// Terminal size (cols, rows).
    pub size: (u16, u16),
    pub dirty: bool,
    pub quit: bool,
    /// Label last drawn for the data age; a tick only redraws when it changes.
    pub age_label: String,
    pub spinner: usize,
    /// When the active view was last rebuilt from a snapshot.
    pub last_build: Option<std::time::Instant>,
    /// A visual-line range in progress (vim `V`).
    pub visual: Option<Visual>,
    /// Startup command and filter still to apply (on the first snapshot).
    pub startup: Option<Startup>,
    /// The patch index when it arrived before any snapshot (kept by the first one).
    pub pending_index: Option<super::data::PatchIndexFeed>,
    /// `:ctx` / `:region`: the context shown, a switch in progress, the regions known.
    pub ctx: super::context::Ctx,
    /// Every toast of the session, whole (`:messages`).
    pub messages: super::messages::MessageLog,
}

impl State {
    pub fn new(meta: Meta, now: DateTime<Utc>) -> State {
        let ctx = super::context::Ctx {
            profile: meta.profile.clone(),
            demo: meta.demo,
            ..Default::default()
        };
        State {
            now,
            meta,
            data: None,
            fatal: None,
            stack: vec![Owned {
                owner: Owner(1),
                item: Box::new(super::views::nodes::NodesView::new(
                    super::views::scope::NodeScope::All,
                )),
            }],
            panes: Vec::new(),
            job_owners: HashSet::new(),
            next_owner: 2,
            help: None,
            prompt: None,
            marks: HashSet::new(),
            toasts: VecDeque::new(),
            size: (120, 40),
            dirty: true,
            quit: false,
            age_label: String::new(),
            spinner: 0,
            last_build: None,
            visual: None,
            startup: None,
            pending_index: None,
            ctx,
            messages: Default::default(),
        }
    }

    pub fn view(&self) -> &dyn View {
        &**self.stack.last().expect("view stack is never empty")
    }

    pub fn view_mut(&mut self) -> &mut dyn View {
        &mut **self.stack.last_mut().expect("view stack is never empty")
    }

    /// The topmost pane, if any.
    pub fn pane(&self) -> Option<&dyn Pane> {
        self.panes.last().map(|p| &**p)
    }

    /// The current view as its concrete type (tests, the e2e harness).
    pub fn view_as<T: 'static>(&self) -> Option<&T> {
        self.view().as_any().downcast_ref::<T>()
    }

    /// Put a pane on top without running its `opened` hook (drawing tests; `update` opens
    /// panes through the registry). Returns its owner id.
    pub fn push_pane(&mut self, pane: Box<dyn Pane>) -> Owner {
        let owner = self.new_owner();
        self.panes.push(Owned { owner, item: pane });
        self.dirty = true;
        owner
    }

    /// A fresh owner id for a view or pane being opened.
    pub fn new_owner(&mut self) -> Owner {
        let o = Owner(self.next_owner);
        self.next_owner += 1;
        o
    }

    /// A refresh is in flight (partial snapshot or nothing yet).
    pub fn loading(&self) -> bool {
        match &self.data {
            None => self.fatal.is_none(),
            Some(d) => d.snapshot.in_progress,
        }
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        self.messages.push(super::messages::Message {
            at: self.now,
            error,
            text: text.clone(),
        });
        self.toasts.retain(|t| t.text != text);
        self.toasts.push_back(Toast {
            text,
            error,
            at: self.now,
        });
        while self.toasts.len() > 3 {
            self.toasts.pop_front();
        }
        self.dirty = true;
    }

    /// Rows available to the table body for the current size.
    pub fn body_rows(&self) -> usize {
        // header, breadcrumbs, footer
        let body = self.size.1.saturating_sub(3) as usize;
        self.view().page_rows(body)
    }

    /// Rebuild the active view if its data is older than the latest snapshot. Called by the
    /// runtime before drawing and by `update` after navigation — never by render.
    /// Returns `true` when a rebuild was postponed (draw again a little later).
    pub fn prepare(&mut self) -> bool {
        let rows = self.body_rows();
        let now = self.now;
        if let Some(data) = self.data.clone() {
            // While a refresh streams partial snapshots, rebuild at most every 400 ms
            // (a big fleet's rebuild is not free); complete snapshots rebuild at once.
            let throttled = data.snapshot.in_progress
                && self.view().built().is_some()
                && self
                    .last_build
                    .is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(400));
            if throttled {
                self.view_mut().set_page(rows);
                let width = self.size.0;
                let prefs = &self.meta.columns;
                if let Some(v) = self.stack.last_mut() {
                    v.set_layout(width, prefs);
                }
                return true;
            } else {
                let v = self.stack.last_mut().expect("non-empty");
                if v.built() != Some(data.generation) {
                    v.ensure_built(&data, now);
                    self.last_build = Some(std::time::Instant::now());
                } else {
                    // up to date with the data; a view showing ages rebuilds as the clock
                    // moves (`:errors`), the others return at once
                    v.ensure_built(&data, now);
                }
            }
        }
        let log = &self.messages;
        if let Some(v) = self.stack.last_mut() {
            v.messages(log);
        }
        self.view_mut().set_page(rows);
        let width = self.size.0;
        let prefs = &self.meta.columns;
        if let Some(v) = self.stack.last_mut() {
            v.set_layout(width, prefs);
        }
        false
    }
}
