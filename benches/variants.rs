//! Grouping command outputs into variants at war-room scale: 1,000 targets whose outputs
//! are 24,000 characters each (what GetCommandInvocation returns at most), every one
//! carrying its own instance id, host name, IP addresses and timestamps, in 4 real
//! variants. Budget: 100 ms for the whole grouping (issue #17).
//!
//! Every output is cut at the 24,000-character limit, at a node-dependent place (host
//! names differ in length): the cut line is dropped and the rest groups with the output it
//! begins, so the summary reads "996 identical · 3 variants".
//!
//! Also measured: the diff of a variant against the majority (what Enter on a variant
//! shows), and the command pane with 1,000 targets: the cost of one keystroke (model
//! update + drawing the pane into a 200×60 buffer) and of one poll's worth of updates
//! (1,000 invocations changing, regrouped, drawn). Budget: 16 ms per keystroke.
//!
//! `cargo bench --bench variants` (env: VARIANTS_TARGETS, VARIANTS_CHARS, VARIANTS_ROUNDS).

use std::time::{Duration, Instant};

use ssmdeck::actions::panes::PaneInput;
use ssmdeck::actions::panes::command::CommandPane;
use ssmdeck::actions::variants::{Subject, Variants, diff};
use ssmdeck::model::{CommandInvocation, CommandPluginOutput, CommandSummary};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One target's output: `rpm -qa`-like lines and log lines with per-node values.
fn output(i: usize, chars: usize) -> (String, String) {
    let host = format!(
        "ip-10-{}-{}-{}.eu-west-1.compute.internal",
        i % 16,
        i % 251,
        1 + i % 253
    );
    let id = format!(
        "i-0{:016x}",
        0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1)
    );
    let variant = match i % 250 {
        0 => "openssl-3.0.8-1.amzn2023.0.13.x86_64",
        1 | 2 => "openssl-3.0.8-1.amzn2023.0.12.x86_64",
        3 => "package openssl is not installed",
        _ => "openssl-3.0.8-1.amzn2023.0.14.x86_64",
    };
    let mut s = String::with_capacity(chars + 200);
    let mut k = 0;
    while s.len() < chars {
        match k % 4 {
            0 => s.push_str(&format!(
                "2026-11-23T07:{:02}:{:02}.{:03}Z {host} amazon-ssm-agent[{}]: INFO [{id}] worker ready\n",
                (i + k) % 60,
                (i * 7 + k) % 60,
                (i * 13 + k) % 1000,
                4242
            )),
            1 => s.push_str(&format!("libxml2-2.10.4-1.amzn2023.0.{}.x86_64\n", k % 7)),
            2 => s.push_str(&format!("{variant}\n")),
            _ => s.push_str(&format!(
                "inet 10.{:02}.{:03}.{:03}/20 brd 10.{:02}.15.255 scope global dynamic eth0\n",
                i % 16,
                i % 251,
                1 + i % 253,
                i % 16
            )),
        }
        k += 1;
    }
    let mut cut = chars.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    (s, host)
}

fn main() {
    let targets = env("VARIANTS_TARGETS", 1_000);
    let chars = env("VARIANTS_CHARS", 24_000);
    let rounds = env("VARIANTS_ROUNDS", 15);
    let data: Vec<(String, String)> = (0..targets).map(|i| output(i, chars)).collect();
    let owns: Vec<[&str; 1]> = data.iter().map(|(_, h)| [h.as_str()]).collect();
    let subjects: Vec<Subject> = data
        .iter()
        .zip(&owns)
        .map(|((t, _), own)| Subject {
            text: t,
            own,
            // cut at GetCommandInvocation's 24,000 characters
            truncated: t.len() >= chars,
        })
        .collect();

    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    let mut v = Variants::default();
    for _ in 0..rounds {
        let t0 = Instant::now();
        v = std::hint::black_box(Variants::group(&subjects));
        times.push(t0.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = *times.last().unwrap();
    let mb = (targets * chars) as f64 / 1e6;
    let budget = Duration::from_millis(100);
    println!("variants: {targets} targets x {chars} chars ({mb:.1} MB), {rounds} rounds");
    println!("  summary: {}", v.summary());
    println!(
        "  group: median {:.1} ms, worst {:.1} ms ({:.0} MB/s); budget {} ms -> median is {:.2}x the budget",
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
        mb / median.as_secs_f64(),
        budget.as_millis(),
        median.as_secs_f64() / budget.as_secs_f64()
    );
    println!("  variants found: {}", v.variants.len());
    if v.variants.len() >= 2 {
        let majority = &v.variants[0].normalized;
        let other = &v.variants[1].normalized;
        let t0 = Instant::now();
        let d = std::hint::black_box(diff(majority, other, 3));
        let dt = t0.elapsed();
        println!(
            "  diff of a variant against the majority: {:.2} ms ({} lines shown)",
            dt.as_secs_f64() * 1e3,
            d.len()
        );
    }
    pane(targets, rounds.max(5));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The command pane with `targets` targets: a keystroke (update + draw) and a poll's
/// worth of invocations (apply + regroup + draw), each drawn into a 200×60 buffer.
fn pane(targets: usize, rounds: usize) {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ssmdeck::ui::theme::{ColorMode, Theme};
    let theme = Theme::load_in(
        "default",
        std::path::Path::new("/nonexistent"),
        ColorMode::TrueColor,
    )
    .expect("the default theme");
    // commands of ≤ 50 ids, as the run pane sends them
    let ids: Vec<String> = (0..targets).map(|i| format!("i-{i:017x}")).collect();
    let commands: Vec<CommandSummary> = ids
        .chunks(50)
        .enumerate()
        .map(|(c, chunk)| CommandSummary {
            command_id: format!("cmd-{c:04}"),
            account_id: format!("{:012}", 100_000_000_000u64 + (c % 6) as u64),
            region: "eu-west-1".into(),
            document_name: "AWS-RunShellScript".into(),
            instance_ids: chunk.to_vec(),
            ..CommandSummary::default()
        })
        .collect();
    let inv = |i: usize, status: &str, round: usize| {
        let c = &commands[i / 50];
        // ListCommandInvocations' ≤ 2,500 characters of `df -h`-like output
        let full = i.is_multiple_of(97);
        let mut out = String::new();
        for _ in 0..28 {
            out.push_str(&format!(
                "/dev/nvme0n1p1   20G  {}G  {}G  {}% / ip-10-0-{}-{}.ec2.internal\n",
                if full { 19 } else { 7 },
                if full { 1 } else { 13 },
                if full { 95 } else { 35 },
                i % 250,
                (i + round) % 250
            ));
        }
        CommandInvocation {
            command_id: c.command_id.clone(),
            account_id: c.account_id.clone(),
            region: c.region.clone(),
            instance_id: ids[i].clone(),
            status: status.into(),
            plugins: vec![CommandPluginOutput {
                name: "aws:runShellScript".into(),
                status: status.into(),
                response_code: if status == "Success" { 0 } else { -1 },
                stdout: out,
                ..CommandPluginOutput::default()
            }],
            ..CommandInvocation::default()
        }
    };
    let mut p = CommandPane::new("bench", &commands, false);
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let now = chrono::Utc::now();
    let names = std::collections::HashMap::new();
    let mut draw = |p: &CommandPane| {
        term.draw(|f| {
            ssmdeck::ui::views::command_output::render_command(
                p,
                0,
                now,
                &names,
                f,
                f.area(),
                &theme,
            )
        })
        .expect("draw");
    };
    // polls: every target moves on (InProgress, then Success in waves)
    let mut polls = Vec::new();
    for r in 0..rounds {
        let batch: Vec<CommandInvocation> = (0..targets)
            .map(|i| {
                let done = i * rounds / targets.max(1) <= r;
                inv(i, if done { "Success" } else { "InProgress" }, r)
            })
            .collect();
        let t0 = Instant::now();
        p.apply(&batch);
        draw(&p);
        polls.push(t0.elapsed());
    }
    let mut keys = Vec::new();
    for k in 0..200 {
        let input = match k % 4 {
            0 | 1 => PaneInput::Down,
            2 => PaneInput::Sort,
            _ => PaneInput::Up,
        };
        let t0 = Instant::now();
        std::hint::black_box(p.input(input));
        draw(&p);
        keys.push(t0.elapsed());
    }
    polls.sort();
    keys.sort();
    let budget = Duration::from_millis(16);
    println!("pane: {targets} targets · outputs {}", p.variants.summary());
    println!(
        "  keystroke (update + draw 200x60): median {:.2} ms, worst {:.2} ms; budget 16 ms -> median is {:.2}x the budget",
        ms(keys[keys.len() / 2]),
        ms(*keys.last().expect("keys")),
        keys[keys.len() / 2].as_secs_f64() / budget.as_secs_f64()
    );
    println!(
        "  poll of {targets} changed invocations (apply + regroup + draw): median {:.2} ms, worst {:.2} ms",
        ms(polls[polls.len() / 2]),
        ms(*polls.last().expect("polls"))
    );
}
