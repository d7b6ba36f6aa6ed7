//! Console benchmark (harness = false): `cargo bench --bench console`.
//!
//! With 50,000 nodes loaded it prints:
//! - frame render time of `:nodes` at 120×40 (target ≤ 4 ms), against an empty frame;
//! - filter keystroke to screen: update + prepare + render per typed character (≤ 16 ms);
//! - RSS with the fleet loaded (≤ 150 MB), against the process before loading;
//! - startup to first frame (theme + keymap + state + first render) and startup to the first
//!   frame *with data* from a cached snapshot file (read + parse + aggregates + build + render).
//!
//! `CONSOLE_BENCH_KEYS=1` also lists the slowest keystrokes (their index in the typed queries).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ssmdeck::model::{AggregateConfig, Aggregates, FleetSnapshot, FleetUpdate};
use ssmdeck::ui::action::Msg;
use ssmdeck::ui::keymap::Keymap;
use ssmdeck::ui::shots::draw_buffer;
use ssmdeck::ui::state::{Meta, State};
use ssmdeck::ui::theme::{ColorMode, Theme};
use ssmdeck::ui::{fixture, update::update};

const NODES: usize = 50_000;

fn rss_kb() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (get("VmRSS:"), get("VmHWM:"))
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    let p99 = ms(v[(v.len() * 99 / 100).min(v.len() - 1)]);
    (mean, ms(v[v.len() / 2]), p99.max(ms(*v.last().unwrap())))
}

fn look() -> (Theme, Keymap) {
    let t = Theme::load_in(
        "default",
        std::path::Path::new("/nonexistent"),
        ColorMode::TrueColor,
    )
    .unwrap();
    let k = Keymap::load("default", std::path::Path::new("/nonexistent")).unwrap();
    (t, k)
}

fn meta() -> Meta {
    Meta {
        demo: true,
        theme: "default".into(),
        keymap: "default".into(),
        ..Default::default()
    }
}

fn main() {
    let (rss0, _) = rss_kb();
    let (theme, keymap) = look();

    // Baseline: an empty frame (no data yet).
    let mut empty = State::new(meta(), fixture::now());
    let mut base = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        std::hint::black_box(draw_buffer(&mut empty, 120, 40, &theme, &keymap));
        base.push(t.elapsed());
    }
    let (base_mean, _, _) = stats(base);

    // 50k nodes.
    let snap = fixture::large(NODES);
    let nodes = snap.nodes.len();
    let agg = Aggregates::compute(&snap, &AggregateConfig::default(), fixture::now());
    let mut state = State::new(meta(), fixture::now());
    let t = Instant::now();
    update(
        &mut state,
        Msg::Fleet(FleetUpdate::Snapshot {
            snapshot: snap.into(),
            aggregates: agg.into(),
        }),
        &keymap,
    );
    draw_buffer(&mut state, 120, 40, &theme, &keymap);
    let ingest = t.elapsed();

    let mut frames = Vec::new();
    for _ in 0..200 {
        state.dirty = true;
        let t = Instant::now();
        std::hint::black_box(draw_buffer(&mut state, 120, 40, &theme, &keymap));
        frames.push(t.elapsed());
    }
    let (f_mean, f_med, f_max) = stats(frames);

    // The console warms the table's search text when idle after the first frame (runtime).
    state.view_mut().warm();
    // Filter: '/' then type, each keystroke through update + prepare + render.
    update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)),
        &keymap,
    );
    let mut keys = Vec::new();
    let mut shown = 0;
    for word in [
        "prod web 1",
        "",
        "account:workload-1 ping:online",
        "",
        "sev:critical !ubuntu",
    ] {
        if word.is_empty() {
            // clear the line (ctrl-u) between queries
            let t = Instant::now();
            update(
                &mut state,
                Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
                &keymap,
            );
            draw_buffer(&mut state, 120, 40, &theme, &keymap);
            keys.push(t.elapsed());
            continue;
        }
        for c in word.chars() {
            let t = Instant::now();
            update(
                &mut state,
                Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
                &keymap,
            );
            std::hint::black_box(draw_buffer(&mut state, 120, 40, &theme, &keymap));
            keys.push(t.elapsed());
        }
        shown = state
            .view()
            .table()
            .map(|(t, _)| t.order.len())
            .unwrap_or(0);
    }
    let nkeys = keys.len();
    if std::env::var_os("CONSOLE_BENCH_KEYS").is_some() {
        let mut by: Vec<(usize, Duration)> = keys.iter().copied().enumerate().collect();
        by.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
        eprintln!(
            "slowest keystrokes (index, ms): {:?}",
            by.iter()
                .take(8)
                .map(|(i, d)| (*i, d.as_secs_f64() * 1000.0))
                .collect::<Vec<_>>()
        );
    }
    let (k_mean, k_med, k_max) = stats(keys);
    let (rss1, hwm1) = rss_kb();
    let (cache_bytes, cache_json) = {
        let d = state.data.as_ref().unwrap();
        (
            ssmdeck::fleet::cache::encode(d.snapshot.as_ref(), d.aggregates.as_ref()),
            serde_json::to_vec(d.snapshot.as_ref()).unwrap(),
        )
    };

    // Startup to first frame (no data yet) and to the first frame with cached data, through
    // the data layer's cache (`fleet::cache`: read + decode, aggregates stored with it).
    let dir = std::env::temp_dir().join(format!("ssmdeck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cache = dir.join("snapshot.bin");
    std::fs::write(&cache, &cache_bytes).unwrap();
    let mut first = Vec::new();
    let mut first_data = Vec::new();
    let (mut parse, mut build, mut json) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..10 {
        let t = Instant::now();
        let (theme, keymap) = look();
        let mut s = State::new(meta(), fixture::now());
        std::hint::black_box(draw_buffer(&mut s, 120, 40, &theme, &keymap));
        first.push(t.elapsed());
        let t1 = Instant::now();
        let cached = ssmdeck::fleet::cache::load(&cache).expect("the cache loads");
        parse.push(t1.elapsed());
        let t3 = Instant::now();
        update(
            &mut s,
            Msg::Fleet(FleetUpdate::Snapshot {
                snapshot: cached.snapshot.into(),
                aggregates: cached.aggregates.into(),
            }),
            &keymap,
        );
        std::hint::black_box(draw_buffer(&mut s, 120, 40, &theme, &keymap));
        build.push(t3.elapsed());
        first_data.push(t.elapsed());
        drop(s);
    }
    // the baseline: the same snapshot as JSON (the previous cache format), in its own loop
    // so its 47 MB of garbage does not sit in the heap of the cold starts above
    for _ in 0..10 {
        let t4 = Instant::now();
        std::hint::black_box(serde_json::from_slice::<FleetSnapshot>(&cache_json).unwrap());
        json.push(t4.elapsed());
    }
    // Breakdown of the cold start: read, decode, the :nodes view's source and table.
    let (mut t_read, mut t_decode, mut t_src, mut t_table, mut t_warm) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..10 {
        let t = Instant::now();
        let bytes = std::fs::read(&cache).unwrap();
        t_read.push(t.elapsed());
        let t = Instant::now();
        let cached = ssmdeck::fleet::cache::decode(&bytes).unwrap();
        t_decode.push(t.elapsed());
        let data = ssmdeck::ui::state::Data {
            snapshot: cached.snapshot.into(),
            aggregates: cached.aggregates.into(),
            generation: 1,
            complete_at: None,
            last_outcome: Default::default(),
            stale_days: 7,
            patch_index: Default::default(),
        };
        let t = Instant::now();
        let src = ssmdeck::ui::views::nodes::NodesSource::build(
            &data,
            &ssmdeck::ui::views::NodeScope::All,
            fixture::now(),
        );
        t_src.push(t.elapsed());
        let t = Instant::now();
        let mut table =
            ssmdeck::ui::table::TableState::new(ssmdeck::ui::views::nodes::COL_COMPLIANCE, false);
        table.rebuild(&src);
        t_table.push(t.elapsed());
        let t = Instant::now();
        table.warm(&src);
        t_warm.push(t.elapsed());
    }
    let breakdown = [t_read, t_decode, t_src, t_table, t_warm].map(|v| stats(v).0);
    let (p_mean, _, _) = stats(parse);
    let (b_mean, _, _) = stats(build);
    let (j_mean, _, _) = stats(json);
    let _ = std::fs::remove_dir_all(&dir);
    let (s_mean, _, _) = stats(first);
    let first_min = first_data
        .iter()
        .min()
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let (sd_mean, sd_med, _) = stats(first_data);

    println!("ssmdeck console benchmark — {nodes} nodes, 120×40");
    println!("  empty frame (baseline)          {base_mean:8.3} ms");
    println!(
        "  :nodes frame                    {f_mean:8.3} ms mean, {f_med:.3} median, {f_max:.3} max   = {:.1}× baseline   (target ≤ 4 ms)",
        f_mean / base_mean
    );
    println!(
        "  filter keystroke → screen       {k_mean:8.3} ms mean, {k_med:.3} median, {k_max:.3} max over {nkeys} keys   = {:.1}× a frame   (target ≤ 16 ms; last query shows {shown})",
        k_mean / f_mean
    );
    println!(
        "  ingest 50k snapshot (1st build) {:8.1} ms",
        ingest.as_secs_f64() * 1000.0
    );
    println!(
        "  RSS                             {:8.1} MB now, {:.1} MB peak, {:.1} MB before loading   = {:.1}× baseline   (target ≤ 150 MB)",
        rss1 as f64 / 1024.0,
        hwm1 as f64 / 1024.0,
        rss0 as f64 / 1024.0,
        hwm1 as f64 / rss0.max(1) as f64
    );
    println!(
        "  startup → first frame           {s_mean:8.3} ms   = {:.1}× an empty frame   (target ≤ 50 ms)",
        s_mean / base_mean
    );
    println!(
        "  startup → first frame with data {sd_mean:8.1} ms mean, {sd_med:.1} median, {first_min:.1} min over 10 starts   (target ≤ 50 ms; cache file {:.1} MB: read + decode + console build + render)",
        cache_bytes.len() as f64 / 1e6
    );
    println!(
        "      of which: read + decode {p_mean:.1} ms (JSON of the same snapshot, {:.1} MB: {j_mean:.1} ms = {:.1}× slower), console build + first frame {b_mean:.1} ms",
        cache_json.len() as f64 / 1e6,
        j_mean / p_mean
    );
    println!(
        "      breakdown: read {:.1} ms, decode {:.1} ms, :nodes rows {:.1} ms, table (sort + filter) {:.1} ms; then, when idle, search text {:.1} ms",
        breakdown[0], breakdown[1], breakdown[2], breakdown[3], breakdown[4]
    );
}
