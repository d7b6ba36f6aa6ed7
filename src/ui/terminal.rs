//! The terminal guard: raw mode + alternate screen on entry; restored on drop (quit), on a
//! panic of the UI thread, and on SIGINT, SIGQUIT, SIGTERM and SIGHUP.
//!
//! - **Signals** are caught by a thread of their own (registered *before* the terminal is
//!   touched) and handed to the event loop, which quits cleanly; the process then exits
//!   128 + the signal's number. Should the loop not get there within [`SIGNAL_GRACE`]
//!   (stuck in a long draw, say), or on a second signal, the signal thread restores the
//!   terminal and exits itself — a signal never leaves the terminal raw. While a foreground
//!   program runs (Session Manager shell), SIGINT and SIGQUIT belong to it (a Ctrl-C there
//!   must not end the console), as `system(3)` does.
//! - **Panics** always go to the log file. A panic of the UI thread restores the terminal
//!   first and is then printed on the main screen. A panic of any other thread (a tokio
//!   worker, a data-layer task) never touches the terminal — raw mode stays on, so keys keep
//!   working — and is shown in the console as an error toast, pointing at the log.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;
use std::time::Duration;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

pub type Backend = CrosstermBackend<Stdout>;

/// How long the event loop has to quit after a signal before the signal thread restores
/// the terminal and exits on its own.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(3);

/// Owns the terminal while the console runs.
pub struct Tui {
    pub terminal: Terminal<Backend>,
    active: bool,
    signals: Option<UnboundedReceiver<i32>>,
}

static HOOK: Once = Once::new();
static SIGNAL_THREAD: Once = Once::new();
/// The thread that owns the terminal (the event loop's).
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
/// The first signal received (0 = none).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);
/// A foreground program has the terminal (SIGINT/SIGQUIT are its).
static FOREGROUND: AtomicBool = AtomicBool::new(false);
/// The last panic of a thread other than the UI's, for the console to show.
static WORKER_PANIC: Mutex<Option<String>> = Mutex::new(None);
/// Where the log goes (named in messages about panics).
static LOG_FILE: Mutex<Option<std::path::PathBuf>> = Mutex::new(None);

/// Put the terminal back as we found it (idempotent; safe from a panic hook or a signal
/// thread).
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

/// The signal that ended the console, if one did (SIGINT = 2, ...).
pub fn signalled() -> Option<i32> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The exit status for a console ended by `signal`: 128 + its number, as shells report it.
pub fn signal_exit_code(signal: i32) -> u8 {
    (128 + signal.clamp(0, 127)) as u8
}

/// The last panic of a worker thread since the previous call (shown as an error toast).
pub fn take_worker_panic() -> Option<String> {
    WORKER_PANIC.lock().ok().and_then(|mut p| p.take())
}

/// Name the log file in panic messages.
pub fn set_log_file(path: &std::path::Path) {
    if let Ok(mut l) = LOG_FILE.lock() {
        *l = Some(path.to_path_buf());
    }
}

fn log_file_hint() -> String {
    LOG_FILE
        .lock()
        .ok()
        .and_then(|l| l.as_ref().map(|p| format!(" (details in {})", p.display())))
        .unwrap_or_default()
}

fn on_ui_thread() -> bool {
    UI_THREAD
        .lock()
        .ok()
        .and_then(|t| *t)
        .is_none_or(|t| t == std::thread::current().id())
}

/// "message at file:line" of a panic.
fn panic_text(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    match info.location() {
        Some(l) => format!("{payload} at {}:{}", l.file(), l.line()),
        None => payload,
    }
}

/// Chain a panic hook: every panic is logged; a panic of the UI thread restores the
/// terminal before the previous hook prints it; any other thread's panic is only logged and
/// kept for the console to show — never printed over the UI.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("unnamed");
            if on_panic(&panic_text(info), name, on_ui_thread()) {
                restore();
                prev(info);
            }
        }));
    });
}

/// Log a panic; for a worker thread keep it for the console. Returns whether the terminal
/// is to be restored and the panic printed (the UI thread's).
fn on_panic(text: &str, thread: &str, ui_thread: bool) -> bool {
    tracing::error!(
        thread = %thread,
        "panic: {text}\n{}",
        std::backtrace::Backtrace::force_capture()
    );
    if ui_thread {
        return true;
    }
    if let Ok(mut p) = WORKER_PANIC.lock() {
        // where the details are first: a long panic text is cut in the footer
        *p = Some(format!(
            "internal error in {thread}{}: {text}",
            log_file_hint()
        ));
    }
    false
}

/// Catch SIGINT, SIGQUIT, SIGTERM and SIGHUP from now on (once per process); each arrives
/// on the returned channel. See the module docs for the grace period and second signals.
fn watch_signals() -> io::Result<Option<UnboundedReceiver<i32>>> {
    let mut result: io::Result<Option<UnboundedReceiver<i32>>> = Ok(None);
    SIGNAL_THREAD.call_once(|| {
        let (tx, rx) = unbounded_channel();
        result = signal_hook::iterator::Signals::new([SIGINT, SIGQUIT, SIGTERM, SIGHUP]).and_then(
            |mut signals| {
                std::thread::Builder::new()
                    .name("ssmdeck-signals".into())
                    .spawn(move || {
                        for sig in signals.forever() {
                            on_signal(sig, &tx);
                        }
                    })
                    .map(|_| Some(rx))
            },
        );
    });
    result
}

fn on_signal(sig: i32, tx: &UnboundedSender<i32>) {
    if FOREGROUND.load(Ordering::SeqCst) && (sig == SIGINT || sig == SIGQUIT) {
        return;
    }
    tracing::info!(signal = sig, "signal received: quitting");
    if SIGNALLED
        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        // a second signal: do not wait for the event loop
        exit_now(sig);
    }
    if tx.send(sig).is_err() {
        exit_now(sig); // no event loop to quit
    }
    let _ = std::thread::Builder::new()
        .name("ssmdeck-signal-grace".into())
        .spawn(move || {
            std::thread::sleep(SIGNAL_GRACE);
            tracing::warn!(signal = sig, "the console did not quit in time: exiting");
            exit_now(sig);
        });
}

fn exit_now(sig: i32) -> ! {
    restore();
    std::process::exit(i32::from(signal_exit_code(sig)));
}

impl Tui {
    pub fn enter() -> io::Result<Tui> {
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = Some(std::thread::current().id());
        }
        install_panic_hook();
        // before raw mode: from the first raw byte on, a signal restores the terminal
        let signals = watch_signals()?;
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(
            out,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        ) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Tui {
            terminal,
            active: true,
            signals,
        })
    }

    /// The signals that end the console (taken once, by the event loop).
    pub fn take_signals(&mut self) -> Option<UnboundedReceiver<i32>> {
        self.signals.take()
    }

    /// Leave the alternate screen for a foreground program (Session Manager shell).
    pub fn suspend(&mut self) {
        if self.active {
            FOREGROUND.store(true, Ordering::SeqCst);
            restore();
            self.active = false;
        }
    }

    pub fn resume(&mut self) -> io::Result<()> {
        if !self.active {
            FOREGROUND.store(false, Ordering::SeqCst);
            enable_raw_mode()?;
            execute!(
                io::stdout(),
                EnterAlternateScreen,
                EnableBracketedPaste,
                cursor::Hide
            )?;
            self.terminal.clear()?;
            self.active = true;
        }
        Ok(())
    }

    /// Put `text` on the clipboard with OSC 52 (works over SSH and in tmux with
    /// `set-clipboard on`).
    pub fn copy(&mut self, text: &str) -> io::Result<()> {
        use std::io::Write;
        let out = self.terminal.backend_mut();
        out.write_all(osc52(text).as_bytes())?;
        out.flush()
    }

    /// Draw one frame inside a synchronized update (no tearing in tmux / modern terminals).
    pub fn draw(&mut self, f: impl FnOnce(&mut ratatui::Frame<'_>)) -> io::Result<()> {
        queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(f)?;
        execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        Ok(())
    }
}

/// The OSC 52 sequence that sets the clipboard to `text` (control characters removed).
pub fn osc52(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    format!("\x1b]52;c;{}\x07", base64(clean.as_bytes()))
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.active {
            restore();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_base64_of_the_clean_text() {
        assert_eq!(osc52("i-0abc"), "\x1b]52;c;aS0wYWJj\x07");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        // an escape in the text can never end the sequence early
        assert_eq!(osc52("x\x1b]0;evil\x07"), osc52("x]0;evil"));
    }

    #[test]
    fn signal_exit_codes_are_the_shells() {
        assert_eq!(signal_exit_code(SIGINT), 130);
        assert_eq!(signal_exit_code(SIGQUIT), 131);
        assert_eq!(signal_exit_code(SIGTERM), 143);
        assert_eq!(signal_exit_code(SIGHUP), 129);
    }

    #[test]
    fn a_worker_panic_is_kept_for_the_console_not_printed() {
        assert!(
            on_panic("boom at src/x.rs:1", "main", true),
            "the UI thread's is printed"
        );
        assert!(!on_panic(
            "boom in a worker at src/fleet/x.rs:9",
            "tokio-runtime-worker",
            false
        ));
        let shown = take_worker_panic().expect("kept for the console");
        assert!(
            shown.starts_with(
                "internal error in tokio-runtime-worker: boom in a worker at src/fleet/x.rs:9"
            ),
            "{shown}"
        );
        assert_eq!(take_worker_panic(), None, "shown once");
    }
}
