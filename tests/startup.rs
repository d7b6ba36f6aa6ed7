//! The console starts instantly and heals by itself (issue 12, item 5), end to end: the real
//! `ssmdeck` binary in a pseudo-terminal against the simulator, driven like a user.
//!
//! 1. A first run fills the profile's cache.
//! 2. The endpoint goes away; a new console paints the cached fleet at once (marked
//!    `cached`), before any network call can answer.
//! 3. The endpoint comes back; without a keypress the console connects and shows fresh data.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// A console in a pseudo-terminal, read through a VT100 emulator.
struct Console {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Console {
    fn start(dirs: &Path, url: &str) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        std::fs::create_dir_all(dirs.join("home")).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_ssmdeck"));
        cmd.cwd(dirs);
        for a in [
            "--endpoint-url",
            url,
            "--regions",
            "us-east-1,eu-west-1",
            "--refresh",
            "3600",
        ] {
            cmd.arg(a);
        }
        for (k, sub) in [
            ("SSMDECK_CONFIG_DIR", "config"),
            ("SSMDECK_DATA_DIR", "data"),
            ("SSMDECK_CACHE_DIR", "cache"),
            ("HOME", "home"),
            ("AWS_CONFIG_FILE", "home/aws-config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "home/aws-credentials"),
        ] {
            cmd.env(k, dirs.join(sub));
        }
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        cmd.env("AWS_SECRET_ACCESS_KEY", "x");
        cmd.env("AWS_REGION", "us-east-1");
        cmd.env_remove("AWS_PROFILE");
        cmd.env_remove("AWS_ENDPOINT_URL");
        cmd.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(30, 120, 0)));
        let p2 = parser.clone();
        std::thread::spawn(move || {
            let _master = pair.master; // keeps the pty open while reading
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p2.lock().unwrap().process(&buf[..n]);
            }
        });
        Console {
            parser,
            writer,
            child,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_until(&self, secs: u64, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn quit(mut self) {
        self.writer.write_all(b"q").unwrap();
        self.writer.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the console did not quit on q");
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// Nodes on screen, and a finished refresh (no "done/total" spinner in the header).
fn loaded(s: &str) -> bool {
    s.contains(" i-")
        && s.contains("updated ")
        && !header(s).contains('/')
        && !header(s).contains("discovering")
}

#[test]
fn console_paints_the_cache_with_the_endpoint_down_and_heals_without_a_key() {
    let dirs = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(ssmdeck::sim::start(ssmdeck::sim::SimConfig {
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            nodes_per_account: 12,
            certs_per_account: 2,
            ..ssmdeck::sim::SimConfig::default()
        }))
        .expect("simulator");

    // 1. a first run fills the cache
    let c = Console::start(dirs.path(), &sim.url);
    let first = c.wait_until(60, "the fleet loaded", loaded);
    assert!(!header(&first).contains("cached"), "{first}");
    let cache_dir = dirs.path().join("cache");
    let cached = || {
        std::fs::read_dir(&cache_dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().ends_with(".bin"))
            })
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cached() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(cached(), "the snapshot was cached");
    c.quit();

    // 2. the endpoint is gone: the cached fleet is painted anyway, marked cached
    sim.set_unreachable(true);
    let c = Console::start(dirs.path(), &sim.url);
    let offline = c.wait_until(10, "the cached fleet while AWS is unreachable", |s| {
        s.contains(" i-") && header(s).contains("cached")
    });
    assert!(!offline.contains("no data"), "{offline}");
    std::thread::sleep(Duration::from_millis(1500));
    // still the cached picture: nothing was dropped while the endpoint is down
    assert!(header(&c.screen()).contains("cached"), "{}", c.screen());

    // 3. it comes back: fresh data without a keypress
    sim.set_unreachable(false);
    let healed = c.wait_until(60, "fresh data after the endpoint came back", |s| {
        loaded(s) && !header(s).contains("cached")
    });
    assert!(healed.contains(" i-"));
    c.quit();
    drop(sim);
}
