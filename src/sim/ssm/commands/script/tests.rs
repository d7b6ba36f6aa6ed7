use chrono::{TimeZone, Utc};

use super::*;
use crate::sim::AccountSeed;
use crate::sim::ssm::fleet::RegionFleet;
use crate::sim::ssm::generate::{RegionSpec, region};

fn fleet(count: usize) -> RegionFleet {
    let account = AccountSeed {
        id: "222222222222".into(),
        name: "web-prod".into(),
        ou_path: "Root/Workloads/Prod".into(),
        active: true,
    };
    region(&RegionSpec {
        seed: 7,
        epoch: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap(),
        account: &account,
        region: "us-east-1",
        region_idx: 0,
        count,
        hostile: false,
    })
}

fn env() -> Env<'static> {
    Env {
        command_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        region: "us-east-1",
        account_id: "222222222222",
        start: Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    }
}

fn sh(n: &NodeRec, script: &str) -> ScriptRun {
    run(n, &env(), &[script.to_string()], false)
}

fn linux(f: &RegionFleet) -> impl Iterator<Item = &NodeRec> {
    f.nodes.iter().filter(|n| !n.windows())
}

#[test]
fn same_node_same_answer_and_exit_codes_like_the_shell() {
    let f = fleet(40);
    let n = linux(&f).next().unwrap();
    let a = sh(n, "uname -a\ndf -h\nuptime");
    assert_eq!(a, sh(n, "uname -a\ndf -h\nuptime"));
    assert!(a.stdout.contains(&n.computer_name), "{}", a.stdout);
    assert!(a.stdout.contains("Filesystem"), "{}", a.stdout);
    assert!(a.stdout.contains("load average"), "{}", a.stdout);
    assert_eq!(a.code, 0);
    assert!(a.stderr.is_empty());

    let bad = sh(n, "frobnicate --now");
    assert_eq!(bad.code, 127);
    assert!(
        bad.stderr.contains(&format!(
            "/var/lib/amazon/ssm/{}/document/orchestration/",
            n.id
        )),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("line 1: frobnicate: command not found"));
    assert!(
        bad.stderr
            .ends_with("failed to run commands: exit status 127\n"),
        "{}",
        bad.stderr
    );
    // && / || / ; / exit, the last command decides
    assert_eq!(sh(n, "false || echo recovered").code, 0);
    assert_eq!(sh(n, "false && echo never").stdout, "");
    assert_eq!(sh(n, "echo a; false").code, 1);
    let e = sh(n, "echo before\nexit 3\necho after");
    assert_eq!((e.stdout.as_str(), e.code), ("before\n", 3));
    // pipes through text filters
    let p = sh(n, "cat /etc/os-release | grep -c NAME");
    assert_eq!(p.code, 0);
    assert!(p.stdout.trim().parse::<u32>().unwrap() >= 2);
    assert_eq!(sh(n, "seq 1 100 | tail -n 2").stdout, "99\n100\n");
    assert_eq!(sh(n, "echo hi | grep nothing").code, 1);
    // commands are read, never run: a destructive one changes nothing and says so plainly
    assert_eq!(sh(n, "rm -rf /").code, 127);
}

#[test]
fn package_versions_agree_with_the_inventory() {
    let f = fleet(80);
    let mut checked = 0;
    for n in linux(&f).filter(|n| facts::rpm_based(n)) {
        let list = crate::sim::ssm::patches::patch_list(n);
        // an installed package of the inventory (AWS:Application derives from the same list)
        let Some(p) = list.iter().find(|p| {
            p.state == crate::sim::ssm::patches::PState::Installed && !p.kb_id.starts_with("kernel")
        }) else {
            continue;
        };
        let name = p.kb_id.rsplit_once('.').unwrap().0;
        let out = sh(n, &format!("rpm -q {name}"));
        assert_eq!(out.code, 0, "{name}: {out:?}");
        let evr = p.title.split_once(':').unwrap().1; // epoch:version
        let version = evr.split_once(':').map_or(evr, |(_, v)| v);
        assert!(
            out.stdout.contains(version),
            "rpm -q {name} = {} but inventory says {}",
            out.stdout,
            p.title
        );
        checked += 1;
    }
    assert!(checked > 10, "{checked}");
    // base packages are always there, unknown ones are not
    let n = linux(&f).find(|n| facts::rpm_based(n)).unwrap();
    assert_eq!(sh(n, "rpm -q openssl").code, 0);
    let none = sh(n, "rpm -q no-such-package");
    assert_eq!(none.code, 1);
    assert_eq!(none.stdout, "package no-such-package is not installed\n");
    // dpkg only where it exists
    assert_eq!(sh(n, "dpkg -l libssl3").code, 127);
    if let Some(u) = linux(&f).find(|n| !facts::rpm_based(n)) {
        let d = sh(u, "dpkg -l libssl3");
        assert_eq!(d.code, 0, "{d:?}");
        assert!(d.stdout.contains("ii  libssl3:amd64"), "{}", d.stdout);
        assert_eq!(sh(u, "rpm -q openssl").code, 127);
    }
}

#[test]
fn services_differ_on_a_few_nodes_with_systemctl_exit_codes() {
    let f = fleet(400);
    let web: Vec<&NodeRec> = linux(&f)
        .filter(|n| matches!(facts::role(n), "web" | "api" | "gateway"))
        .collect();
    assert!(web.len() > 20, "{}", web.len());
    let runs: Vec<ScriptRun> = web
        .iter()
        .map(|n| sh(n, "systemctl status nginx"))
        .collect();
    let ok = runs.iter().filter(|r| r.code == 0).count();
    let down = runs.iter().filter(|r| r.code == 3).count();
    assert!(ok > down && down > 0, "ok {ok} down {down}");
    let failed = runs
        .iter()
        .find(|r| r.stdout.contains("failed (Result: exit-code)"))
        .expect("one nginx failed");
    assert!(failed.stdout.contains("Address already in use"));
    assert!(
        failed
            .stderr
            .contains("failed to run commands: exit status 3")
    );
    // a node without nginx
    let other = linux(&f)
        .find(|n| !matches!(facts::role(n), "web" | "api" | "gateway"))
        .unwrap();
    let r = sh(other, "systemctl status nginx");
    assert_eq!(r.code, 4);
    assert!(
        r.stderr
            .starts_with("Unit nginx.service could not be found.")
    );
    // df: a few root file systems are nearly full
    let full = linux(&f)
        .filter(|n| {
            facts::mounts(n)
                .iter()
                .any(|m| m.mount == "/" && m.use_pct() > 90)
        })
        .count();
    assert!(full > 0 && full < linux(&f).count() / 5, "{full}");
}

#[test]
fn pending_reboot_nodes_still_run_the_old_kernel() {
    let f = fleet(300);
    let pending = linux(&f).find(|n| n.counts.pending_reboot > 0).unwrap();
    let current = linux(&f)
        .find(|n| n.counts.pending_reboot == 0 && n.platform == pending.platform)
        .unwrap();
    assert_ne!(
        sh(pending, "uname -r").stdout,
        sh(current, "uname -r").stdout
    );
}

#[test]
fn powershell_answers_on_windows_with_crlf_and_errors_like_powershell() {
    let f = fleet(120);
    let w = f.nodes.iter().find(|n| n.windows()).unwrap();
    let r = run(
        w,
        &env(),
        &["Get-Service AmazonSSMAgent".into(), "hostname".into()],
        true,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Running  AmazonSSMAgent"), "{}", r.stdout);
    assert!(r.stdout.contains("\r\n"));
    assert!(!r.stdout.replace("\r\n", "").contains('\n'));
    let bad = run(w, &env(), &["Get-Frobnicator".into()], true);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("is not recognized as the name of a cmdlet")
    );
    assert!(bad.stderr.contains(&w.id), "{}", bad.stderr);
    assert!(
        bad.stderr
            .ends_with("failed to run commands: exit status 1\r\n")
    );
    let hot = run(w, &env(), &["Get-HotFix".into()], true);
    assert!(hot.stdout.contains("KB"), "{}", hot.stdout);
    // PowerShell on a Linux node (the document allows Linux): no pwsh there
    let l = linux(&f).next().unwrap();
    let r = run(l, &env(), &["Get-Date".into()], true);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("pwsh"));
}

#[test]
fn line_splitting_respects_quotes() {
    assert_eq!(
        split_line("echo 'a;b' && grep \"x|y\" f | wc -l"),
        vec![
            (Join::First, vec!["echo 'a;b'".to_string()]),
            (
                Join::And,
                vec!["grep \"x|y\" f".to_string(), "wc -l".to_string()]
            ),
        ]
    );
    assert_eq!(words("echo 'a b' \"c\" d"), vec!["echo", "a b", "c", "d"]);
    assert!(split_line("# a comment").is_empty());
}
