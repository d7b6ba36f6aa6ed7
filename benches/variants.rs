//! Grouping command outputs into variants at war-room scale: 1,000 targets whose outputs
//! are 24,000 characters each (what GetCommandInvocation returns at most), every one
//! carrying its own instance id, host name, IP addresses and timestamps, in 4 real
//! variants. Budget: 100 ms for the whole grouping (issue #17).
//!
//! Also measured: the diff of a variant against the majority (what Enter on a variant
//! shows).
//!
//! `cargo bench --bench variants` (env: VARIANTS_TARGETS, VARIANTS_CHARS, VARIANTS_ROUNDS).

use std::time::{Duration, Instant};

use ssmdeck::actions::variants::{Subject, Variants, diff};

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
        .map(|((t, _), own)| Subject { text: t, own })
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
    if v.variants.len() < 2 {
        return;
    }

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
