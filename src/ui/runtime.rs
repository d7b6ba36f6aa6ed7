//! The async runtime around the pure core: reads terminal events, fleet updates, job
//! answers, ticks and signals; feeds them to `update`; executes the effects (data-layer
//! calls through the [`Source`], background jobs through the [`Jobs`] runner, foreground
//! programs here); draws only when state is dirty, at most one frame per [`FRAME`].

use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::action::Msg;
use super::context::{ContextChoice, ContextEvent};
use super::effect::{Effect, JobEvent, JobId, JobKind};
use super::jobs::Jobs;
pub use super::jobs::Services;
use super::keymap::Keymap;
use super::state::State;
use super::terminal::Tui;
use super::theme::Theme;
use super::update::update;
use super::views::frame::render;
use crate::model::{FleetUpdate, NodeKey};

/// Minimum time between two frames.
pub const FRAME: Duration = Duration::from_millis(16);
/// Slow tick for ages, spinners and toasts.
pub const TICK: Duration = Duration::from_millis(1000);

/// Where data comes from: the live fleet, or the built-in fixture.
pub trait Source: Send {
    fn refresh(&self);
    fn load_node(&self, key: NodeKey);
    fn stop(&self);
    /// Re-read patch schedules now (sources without them ignore it).
    fn refresh_schedules(&self) {}
    /// Forward the patch index (its latest index and progress) to the console as
    /// `Msg::PatchIndex`, from now on (called once when the console starts).
    fn forward_patch_index(&self, _tx: UnboundedSender<Msg>) {}
    /// `:ctx` / `:region`: connect to another profile / region scope in the background,
    /// the current one untouched, and answer `Msg::Context(Ready | Failed)` on `tx`.
    fn try_context(&mut self, id: u64, _choice: ContextChoice, tx: UnboundedSender<Msg>) {
        let _ = tx.send(Msg::Context(ContextEvent::Failed {
            id,
            message: "this data source has one context only".into(),
        }));
    }
    /// Switch to what `try_context(id)` connected: the old feed stops; the new feed and
    /// the services its jobs use. `None`: nothing connected under that id.
    fn commit_context(&mut self, _id: u64) -> Option<(UnboundedReceiver<FleetUpdate>, Services)> {
        None
    }
}

/// A source serving the deterministic fixture (`SSMDECK_FIXTURE=1`), with a short
/// simulated load so the loading states show.
pub struct FixtureSource {
    tx: UnboundedSender<FleetUpdate>,
}

impl FixtureSource {
    pub fn start() -> (UnboundedReceiver<FleetUpdate>, FixtureSource) {
        let (tx, rx) = unbounded_channel();
        let s = FixtureSource { tx };
        s.refresh();
        (rx, s)
    }
}

impl Source for FixtureSource {
    fn refresh(&self) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let _ = tx.send(super::fixture::update_of(super::fixture::partial()));
            tokio::time::sleep(Duration::from_millis(250)).await;
            let _ = tx.send(super::fixture::update());
        });
    }
    fn load_node(&self, key: NodeKey) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(120)).await;
            let snap = super::fixture::snapshot();
            let Some(n) = snap.node(&key) else {
                let _ = tx.send(FleetUpdate::NodePatches {
                    key,
                    result: Err("node not found".into()),
                });
                return;
            };
            let _ = tx.send(FleetUpdate::NodeInventory {
                key: key.clone(),
                result: Ok(super::fixture::inventory(n)),
            });
            let _ = tx.send(FleetUpdate::NodePatches {
                key: key.clone(),
                result: Ok(super::fixture::patches(n)),
            });
            let _ = tx.send(FleetUpdate::NodeCommands {
                key,
                result: Ok(super::fixture::invocations(n)),
            });
        });
    }
    fn stop(&self) {}
    /// The fixture's index, once its snapshot is there.
    fn forward_patch_index(&self, tx: UnboundedSender<Msg>) {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = tx.send(Msg::PatchIndex(super::fixture::patch_index()));
        });
    }
}

/// Run the console until quit. The terminal is restored when `tui` drops.
pub async fn run(
    mut tui: Tui,
    mut state: State,
    theme: Theme,
    keymap: Keymap,
    feed: UnboundedReceiver<FleetUpdate>,
    mut source: Box<dyn Source>,
    services: Services,
) -> std::io::Result<()> {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let mut jobs = Jobs::new(services, tx.clone());
    source.forward_patch_index(tx.clone());
    let mut events = Some(EventStream::new());
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // SIGINT, SIGQUIT, SIGTERM, SIGHUP (caught since before the terminal was touched)
    let mut signals = tui.take_signals();
    let size = tui.terminal.size()?;
    state.size = (size.width, size.height);
    state.now = Utc::now();
    state.prepare();
    let mut last_draw: Option<Instant> = None;
    // the context the feed belongs to: its messages are tagged with it (a switch replaces
    // the feed; what the old one sent is dropped by `update`)
    let mut feed = Feed {
        rx: feed,
        open: true,
        epoch: 0,
    };
    loop {
        if state.dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let postponed = state.prepare();
            tui.draw(|f| render(f, &state, &theme, &keymap))?;
            state.dirty = postponed;
            last_draw = Some(Instant::now());
        }
        // idle: prepare what the next keystroke may need (a big table's search text)
        if !state.dirty && state.view_mut().warm() {
            continue;
        }
        let wait = match (state.dirty, last_draw) {
            (true, Some(t)) => FRAME.saturating_sub(t.elapsed()),
            _ => Duration::from_secs(3600),
        };
        let mut batch: Vec<Msg> = Vec::new();
        tokio::select! {
            ev = next_event(&mut events) => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => batch.push(Msg::Key(k)),
                Some(Ok(Event::Resize(w, h))) => batch.push(Msg::Resize(w, h)),
                Some(Ok(Event::Paste(t))) => batch.push(Msg::Paste(t)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => batch.push(Msg::Terminate),
            },
            u = feed.rx.recv(), if feed.open => match u {
                Some(u) => batch.push(feed.tag(u)),
                None => feed.open = false,
            },
            Some(m) = rx.recv() => batch.push(m),
            _ = tick.tick() => {
                batch.push(Msg::Tick(Utc::now()));
                // a worker thread's panic: shown, never printed over the screen
                if let Some(message) = super::terminal::take_worker_panic() {
                    batch.push(Msg::Fleet(FleetUpdate::Notice { message, is_error: true }));
                }
            }
            _ = recv_signal(&mut signals) => batch.push(Msg::Terminate),
            _ = tokio::time::sleep(wait) => {}
        }
        // Drain whatever else is already queued, so bursts cost one frame.
        while batch.len() < 512 {
            match feed.rx.try_recv() {
                Ok(u) => batch.push(feed.tag(u)),
                Err(_) => break,
            }
        }
        while batch.len() < 1024 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        for msg in batch {
            let effects = update(&mut state, msg, &keymap);
            for e in effects {
                execute(
                    e,
                    &mut tui,
                    &mut events,
                    source.as_mut(),
                    &mut feed,
                    &tx,
                    &mut jobs,
                    &mut state,
                )?;
            }
        }
        if state.quit {
            source.stop();
            return Ok(());
        }
    }
}

/// The fleet feed of the context shown.
struct Feed {
    rx: UnboundedReceiver<FleetUpdate>,
    open: bool,
    epoch: u64,
}

impl Feed {
    fn tag(&self, u: FleetUpdate) -> Msg {
        Msg::OfContext(self.epoch, Box::new(Msg::Fleet(u)))
    }
}

async fn recv_signal(s: &mut Option<UnboundedReceiver<i32>>) {
    match s {
        Some(rx) => {
            if rx.recv().await.is_none() {
                std::future::pending::<()>().await
            }
        }
        None => std::future::pending::<()>().await,
    }
}

async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match events {
        Some(e) => e.next().await,
        None => std::future::pending().await,
    }
}

#[allow(clippy::too_many_arguments)]
fn execute(
    e: Effect,
    tui: &mut Tui,
    events: &mut Option<EventStream>,
    source: &mut dyn Source,
    feed: &mut Feed,
    tx: &UnboundedSender<Msg>,
    jobs: &mut Jobs,
    state: &mut State,
) -> std::io::Result<()> {
    match e {
        Effect::Quit => state.quit = true,
        Effect::Refresh => source.refresh(),
        Effect::RefreshSchedules => source.refresh_schedules(),
        Effect::LoadNode(k) => source.load_node(k),
        Effect::Start(owner, job) => jobs.start(owner, job),
        Effect::Stop(id) => jobs.stop(id),
        Effect::StopAll(owner) => jobs.stop_all(owner),
        Effect::Foreground(owner, mut command) => {
            // Stop reading stdin so the child gets the keyboard, then give the screen back.
            *events = None;
            tui.suspend();
            let status = command.0.status().map_err(|e| e.to_string());
            tui.resume()?;
            *events = Some(EventStream::new());
            let id = JobId {
                owner,
                kind: JobKind::Foreground,
            };
            let _ = tx.send(Msg::Job(id, JobEvent::Exited(status)));
            state.dirty = true;
        }
        Effect::SaveFile { path, text } => {
            let wrote = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| std::fs::write(&path, text));
            if let Err(e) = wrote {
                state.toast(format!("cannot save {}: {e}", path.display()), true);
            }
            state.dirty = true;
        }
        Effect::TryContext { id, choice } => source.try_context(id, choice, tx.clone()),
        Effect::CommitContext(id) => match source.commit_context(id) {
            Some((rx, services)) => {
                *feed = Feed {
                    rx,
                    open: true,
                    epoch: id,
                };
                jobs.switch(services);
            }
            None => state.toast(
                "the new context was lost before the switch: try :ctx again",
                true,
            ),
        },
        Effect::Clipboard(text) => {
            use std::io::Write;
            let seq = super::clipboard::osc52(&text, super::clipboard::in_tmux());
            let out = tui.terminal.backend_mut();
            out.write_all(seq.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
