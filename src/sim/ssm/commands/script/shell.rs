//! The Linux side: `sh` running the `commands` lines on a simulated node.

use std::fmt::Write;

use super::facts::{self, ServiceState};
use super::{Env, Join, Out, ScriptRun, filter, split_line, words};
use crate::sim::ssm::node::NodeRec;

struct Ctx<'a> {
    node: &'a NodeRec,
    env: &'a Env<'a>,
    line_no: usize,
}

impl Ctx<'_> {
    /// The script file the agent writes and runs.
    fn script_path(&self) -> String {
        format!(
            "/var/lib/amazon/ssm/{}/document/orchestration/{}/awsrunShellScript/0.awsrunShellScript/_script.sh",
            self.node.id, self.env.command_id
        )
    }

    fn not_found(&self, cmd: &str) -> Out {
        Out::fail(
            127,
            format!(
                "{}: line {}: {cmd}: command not found\n",
                self.script_path(),
                self.line_no
            ),
        )
    }
}

pub fn run(node: &NodeRec, env: &Env, lines: &[String]) -> ScriptRun {
    let mut res = ScriptRun::default();
    let mut last = 0;
    'lines: for (i, line) in lines.iter().flat_map(|l| l.lines()).enumerate() {
        let ctx = Ctx {
            node,
            env,
            line_no: i + 1,
        };
        for (join, pipeline) in split_line(line) {
            let skip = match join {
                Join::And => last != 0,
                Join::Or => last == 0,
                Join::First | Join::Always => false,
            };
            if skip {
                continue;
            }
            let first = words(&pipeline[0]);
            if first.first().map(String::as_str) == Some("exit") {
                last = first.get(1).and_then(|c| c.parse().ok()).unwrap_or(last);
                break 'lines;
            }
            let mut out = Out::default();
            for (k, stage) in pipeline.iter().enumerate() {
                let mut args = words(stage);
                while args.first().is_some_and(|a| a == "sudo" || a == "command") {
                    args.remove(0);
                }
                let Some(cmd) = args.first().cloned() else {
                    continue;
                };
                let next = if k > 0 && (args.len() == 1 || cmd != "cat") {
                    filter(&args, &out.out).unwrap_or_else(|| exec(&ctx, &cmd, &args[1..]))
                } else {
                    exec(&ctx, &cmd, &args[1..])
                };
                res.stderr.push_str(&out.err);
                out = next;
            }
            res.stdout.push_str(&out.out);
            res.stderr.push_str(&out.err);
            last = out.code;
        }
    }
    res.code = last;
    res
}

fn exec(ctx: &Ctx, cmd: &str, args: &[String]) -> Out {
    let n = ctx.node;
    let now = ctx.env.start;
    let has = |f: &str| args.iter().any(|a| a == f);
    let rpm = facts::rpm_based(n);
    match cmd {
        "echo" => {
            let (nl, rest) = match args.first().map(String::as_str) {
                Some("-n") => (false, &args[1..]),
                _ => (true, args),
            };
            let text = rest.join(" ").replace("$HOSTNAME", &n.computer_name);
            Out::ok(if nl { format!("{text}\n") } else { text })
        }
        "printf" => Out::ok(
            args.first()
                .map(|f| f.replace("\\n", "\n").replace("\\t", "\t"))
                .unwrap_or_default(),
        ),
        "true" | ":" | "cd" | "export" | "set" | "sleep" | "source" | "." => Out::default(),
        "false" => Out::fail(1, ""),
        "hostname" => Out::ok(match args.first().map(String::as_str) {
            Some("-s") => format!(
                "{}\n",
                n.computer_name.split('.').next().unwrap_or_default()
            ),
            Some("-I") | Some("-i") => format!("{} \n", n.ip),
            _ => format!("{}\n", n.computer_name),
        }),
        "whoami" => Out::ok("root\n"),
        "id" => Out::ok("uid=0(root) gid=0(root) groups=0(root)\n"),
        "uptime" => Out::ok(if has("-p") {
            format!("{}\n", facts::uptime_pretty(n, now))
        } else {
            format!("{}\n", facts::uptime_line(n, now))
        }),
        "date" => Out::ok(format!("{}\n", now.format("%a %b %e %H:%M:%S UTC %Y"))),
        "nproc" => Out::ok(format!("{}\n", facts::cpus(n))),
        "uname" => uname(n, args),
        "cat" => cat(ctx, args),
        "df" => df(n, args),
        "free" => free(n, args),
        "systemctl" => systemctl(ctx, args),
        "service" => match args {
            [svc, action, ..] => {
                let mut a = vec![action.clone(), svc.clone()];
                a.extend(args[2..].iter().cloned());
                systemctl(ctx, &a)
            }
            _ => Out::fail(
                1,
                "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n",
            ),
        },
        "journalctl" => journalctl(n, args, now),
        "rpm" if rpm => rpm_cmd(n, args),
        "dpkg" | "dpkg-query" if !rpm => dpkg(n, args),
        "yum" | "dnf" if rpm && n.platform().key != "sles15" => pm_list(n, cmd, args),
        "zypper" if n.platform().key == "sles15" => pm_list(n, cmd, args),
        "apt" | "apt-get" if !rpm => pm_list(n, cmd, args),
        "openssl" => match (
            args.first().map(String::as_str),
            facts::package(n, openssl_name(n)),
        ) {
            (Some("version"), Some(p)) => {
                Out::ok(format!("OpenSSL {} 30 Jan 2024\n", p.upstream()))
            }
            (Some("version"), None) => ctx.not_found(cmd),
            _ => Out::fail(1, "Invalid command ''; type \"help\" for a list.\n"),
        },
        "nginx" => match facts::package(n, "nginx") {
            Some(p) if has("-v") || has("-V") => Out {
                err: format!("nginx version: nginx/{}\n", p.upstream()),
                ..Out::default()
            },
            Some(_) if has("-t") => nginx_test(n),
            Some(_) => Out::fail(
                1,
                "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n",
            ),
            None => ctx.not_found(cmd),
        },
        "python3" | "python" if has("--version") || has("-V") => {
            match facts::package(n, if rpm { "python3" } else { "python3.10" }) {
                Some(p) => Out::ok(format!("Python {}\n", p.upstream())),
                None => ctx.not_found(cmd),
            }
        }
        "amazon-ssm-agent" | "ssm-agent-worker" => {
            Out::ok(format!("SSM Agent version: {}\n", n.agent_version))
        }
        "curl" | "wget" => curl(ctx, args),
        "ps" => ps(n),
        "ip" | "ifconfig" => ip(n),
        "ls" => ls(args),
        "getenforce" if n.platform().key == "rhel9" => Out::ok("Enforcing\n"),
        "seq" => {
            let nums: Vec<u64> = args.iter().filter_map(|w| w.parse().ok()).collect();
            let (a, b) = match nums.as_slice() {
                [b] => (1, *b),
                [a, b, ..] => (*a, *b),
                _ => (1, 0),
            };
            let mut s = String::new();
            for i in a..=b.min(a + 200_000) {
                let _ = writeln!(s, "{i}");
            }
            Out::ok(s)
        }
        "grep" | "egrep" | "head" | "tail" | "wc" | "sort" | "uniq" => filter(
            &[cmd.to_string()]
                .into_iter()
                .chain(args.iter().cloned())
                .collect::<Vec<_>>(),
            "",
        )
        .unwrap_or_default(),
        _ => ctx.not_found(cmd),
    }
}

fn openssl_name(n: &NodeRec) -> &'static str {
    match n.platform().key {
        "ubuntu2204" | "ubuntu2404" => "libssl3",
        "sles15" => "libopenssl3",
        _ => "openssl",
    }
}

fn uname(n: &NodeRec, args: &[String]) -> Out {
    let host = &n.computer_name;
    let k = facts::kernel(n);
    let all = || {
        format!(
            "Linux {host} {k} {} x86_64 x86_64 x86_64 GNU/Linux\n",
            facts::kernel_build(n)
        )
    };
    Out::ok(match args.first().map(String::as_str) {
        None | Some("-s") => "Linux\n".to_string(),
        Some("-a") => all(),
        Some("-r") => format!("{k}\n"),
        Some("-n") => format!("{host}\n"),
        Some("-m") | Some("-p") | Some("-i") => "x86_64\n".to_string(),
        Some("-o") => "GNU/Linux\n".to_string(),
        Some("-v") => format!("{}\n", facts::kernel_build(n)),
        Some(_) => all(),
    })
}

fn cat(ctx: &Ctx, args: &[String]) -> Out {
    let n = ctx.node;
    let mut out = Out::default();
    for f in args.iter().filter(|a| !a.starts_with('-')) {
        let text = match f.as_str() {
            "/etc/os-release" | "/usr/lib/os-release" => Some(facts::os_release(n).to_string()),
            "/etc/system-release" | "/etc/redhat-release" | "/etc/amazon-linux-release"
                if facts::rpm_based(n) =>
            {
                let pretty = facts::os_release(n)
                    .lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_string();
                Some(format!("{pretty}\n"))
            }
            "/etc/hostname" => Some(format!("{}\n", n.computer_name)),
            "/proc/loadavg" => {
                let (a, b, c) = facts::load(n);
                Some(format!("{a:.2} {b:.2} {c:.2} 1/213 {}\n", 2000 + n.seed % 30_000))
            }
            "/proc/uptime" => {
                let up = (ctx.env.start - facts::boot_time(n, ctx.env.start)).num_seconds();
                Some(format!("{up}.41 {}.07\n", up * 2 - 17))
            }
            "/proc/meminfo" => {
                let (t, u, c) = facts::memory_mib(n);
                Some(format!(
                    "MemTotal:       {:>8} kB\nMemFree:        {:>8} kB\nMemAvailable:   {:>8} kB\nCached:         {:>8} kB\n",
                    t * 1024,
                    (t - u - c) * 1024,
                    (t - u) * 1024,
                    c * 1024
                ))
            }
            "/etc/resolv.conf" => Some(
                "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch ec2.internal\n"
                    .to_string(),
            ),
            _ => None,
        };
        match text {
            Some(t) => out.out.push_str(&t),
            None => {
                out.err
                    .push_str(&format!("cat: {f}: No such file or directory\n"));
                out.code = 1;
            }
        }
    }
    out
}

fn human(kib: u64) -> String {
    let k = kib as f64;
    if k >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1}T", k / (1024.0 * 1024.0 * 1024.0))
    } else if k >= 1024.0 * 1024.0 {
        let g = k / (1024.0 * 1024.0);
        if g >= 10.0 {
            format!("{g:.0}G")
        } else {
            format!("{g:.1}G")
        }
    } else if k >= 1024.0 {
        let m = k / 1024.0;
        if m >= 10.0 {
            format!("{m:.0}M")
        } else {
            format!("{m:.1}M")
        }
    } else {
        format!("{kib}K")
    }
}

fn df(n: &NodeRec, args: &[String]) -> Out {
    let h = args
        .iter()
        .any(|a| a.starts_with('-') && (a.contains('h') || a.contains('H')));
    let t = args.iter().any(|a| a.starts_with('-') && a.contains('T'));
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let mounts = facts::mounts(n);
    let chosen: Vec<&facts::Mount> = if paths.is_empty() {
        mounts.iter().collect()
    } else {
        let mut v = Vec::new();
        for p in &paths {
            // the longest mount point that contains the path
            if let Some(m) = mounts
                .iter()
                .filter(|m| p.starts_with(m.mount))
                .max_by_key(|m| m.mount.len())
            {
                v.push(m);
            }
        }
        v
    };
    let mut s = String::new();
    let type_col = if t {
        format!(" {:<8}", "Type")
    } else {
        String::new()
    };
    if h {
        let _ = writeln!(
            s,
            "{:<16}{type_col} {:>5} {:>5} {:>5} {:>4} Mounted on",
            "Filesystem", "Size", "Used", "Avail", "Use%"
        );
    } else {
        let _ = writeln!(
            s,
            "{:<16}{type_col} {:>10} {:>10} {:>10} {:>4} Mounted on",
            "Filesystem", "1K-blocks", "Used", "Available", "Use%"
        );
    }
    for m in chosen {
        let ty = if t {
            format!(" {:<8}", m.fs_type)
        } else {
            String::new()
        };
        let pct = format!("{}%", m.use_pct());
        if h {
            let _ = writeln!(
                s,
                "{:<16}{ty} {:>5} {:>5} {:>5} {:>4} {}",
                m.device,
                human(m.size_kib),
                human(m.used_kib),
                human(m.avail_kib()),
                pct,
                m.mount
            );
        } else {
            let _ = writeln!(
                s,
                "{:<16}{ty} {:>10} {:>10} {:>10} {:>4} {}",
                m.device,
                m.size_kib,
                m.used_kib,
                m.avail_kib(),
                pct,
                m.mount
            );
        }
    }
    Out::ok(s)
}

fn free(n: &NodeRec, args: &[String]) -> Out {
    let (t, u, c) = facts::memory_mib(n);
    let f = t - u - c;
    let fmt = |mib: u64| -> String {
        if args.iter().any(|a| a == "-h") {
            if mib >= 1024 {
                format!("{:.1}Gi", mib as f64 / 1024.0)
            } else {
                format!("{mib}Mi")
            }
        } else if args.iter().any(|a| a == "-g") {
            format!("{}", mib / 1024)
        } else if args.iter().any(|a| a == "-m") {
            format!("{mib}")
        } else {
            format!("{}", mib * 1024)
        }
    };
    Out::ok(format!(
        "{:>15} {:>11} {:>11} {:>11} {:>11} {:>11}\nMem:   {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}\nSwap:  {:>11} {:>11} {:>11}\n",
        "total",
        "used",
        "free",
        "shared",
        "buff/cache",
        "available",
        fmt(t),
        fmt(u),
        fmt(f),
        fmt(1),
        fmt(c),
        fmt(t - u),
        fmt(0),
        fmt(0),
        fmt(0)
    ))
}

fn find_service<'a>(services: &'a [facts::Service], name: &str) -> Option<&'a facts::Service> {
    let name = name.trim_end_matches(".service");
    services.iter().find(|s| {
        s.name == name
            || (name == "sshd" && s.name == "ssh")
            || (name == "amazon-ssm-agent" && s.name.ends_with("amazon-ssm-agent"))
    })
}

fn systemctl(ctx: &Ctx, args: &[String]) -> Out {
    let n = ctx.node;
    let now = ctx.env.start;
    let services = facts::linux_services(n);
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let action = positional
        .first()
        .map(|s| s.as_str())
        .unwrap_or("list-units");
    let units = &positional[1.min(positional.len())..];
    let missing = |u: &str| {
        Out::fail(
            4,
            format!(
                "Unit {}.service could not be found.\n",
                u.trim_end_matches(".service")
            ),
        )
    };
    match action {
        "status" => {
            let mut out = Out::default();
            for u in units {
                let Some(s) = find_service(&services, u) else {
                    let m = missing(u);
                    out.err.push_str(&m.err);
                    out.code = 4;
                    continue;
                };
                out.out.push_str(&status_text(n, s, now));
                if s.state != ServiceState::Running && out.code == 0 {
                    out.code = 3;
                }
            }
            out
        }
        "is-active" => {
            let mut out = Out::default();
            for u in units {
                let (word, code) = match find_service(&services, u).map(|s| s.state) {
                    Some(ServiceState::Running) => ("active", 0),
                    Some(ServiceState::Failed) => ("failed", 3),
                    Some(ServiceState::Stopped) | None => ("inactive", 3),
                };
                let _ = writeln!(out.out, "{word}");
                out.code = out.code.max(code);
            }
            out
        }
        "is-enabled" => {
            let mut out = Out::default();
            for u in units {
                match find_service(&services, u) {
                    Some(_) => out.out.push_str("enabled\n"),
                    None => {
                        out.err.push_str(&format!(
                            "Failed to get unit file state for {}.service: No such file or directory\n",
                            u.trim_end_matches(".service")
                        ));
                        out.code = 1;
                    }
                }
            }
            out
        }
        "start" | "restart" | "reload" | "stop" | "enable" | "disable" | "try-restart" => {
            for u in units {
                match find_service(&services, u) {
                    None => {
                        return Out::fail(
                            5,
                            format!(
                                "Failed to {action} {}.service: Unit {}.service not found.\n",
                                u.trim_end_matches(".service"),
                                u.trim_end_matches(".service")
                            ),
                        );
                    }
                    Some(s)
                        if s.state == ServiceState::Failed
                            && matches!(action, "start" | "restart" | "try-restart") =>
                    {
                        return Out::fail(
                            1,
                            format!(
                                "Job for {0}.service failed because the control process exited with error code.\nSee \"systemctl status {0}.service\" and \"journalctl -xeu {0}.service\" for details.\n",
                                s.name
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
            Out::default()
        }
        "list-units" | "--failed" => {
            let only_failed = args
                .iter()
                .any(|a| a == "--failed" || a == "--state=failed");
            let mut s = String::from(
                "  UNIT                                      LOAD   ACTIVE SUB     DESCRIPTION\n",
            );
            let mut count = 0;
            for svc in &services {
                let (active, sub) = match svc.state {
                    ServiceState::Running => ("active", "running"),
                    ServiceState::Failed => ("failed", "failed"),
                    ServiceState::Stopped => ("inactive", "dead"),
                };
                if only_failed && svc.state != ServiceState::Failed {
                    continue;
                }
                let mark = if svc.state == ServiceState::Failed {
                    "●"
                } else {
                    " "
                };
                let _ = writeln!(
                    s,
                    "{mark} {:<41} loaded {:<6} {:<7} {}",
                    format!("{}.service", svc.name),
                    active,
                    sub,
                    svc.description
                );
                count += 1;
            }
            let _ = writeln!(s, "\n{count} loaded units listed.");
            Out::ok(s)
        }
        other => Out::fail(1, format!("Unknown command verb {other}.\n")),
    }
}

fn status_text(n: &NodeRec, s: &facts::Service, now: chrono::DateTime<chrono::Utc>) -> String {
    let boot = facts::boot_time(n, now);
    let since = boot + chrono::Duration::seconds(20 + (n.seed % 40) as i64);
    let ago = now - since;
    let ago_text = if ago.num_days() > 0 {
        format!("{} days ago", ago.num_days())
    } else {
        format!("{}h {}min ago", ago.num_hours(), ago.num_minutes() % 60)
    };
    let stamp = since.format("%a %Y-%m-%d %H:%M:%S UTC");
    let unit_dir = if facts::rpm_based(n) {
        "/usr/lib/systemd/system"
    } else {
        "/lib/systemd/system"
    };
    let (dot, active) = match s.state {
        ServiceState::Running => ("●", format!("active (running) since {stamp}; {ago_text}")),
        ServiceState::Failed => (
            "×",
            format!("failed (Result: exit-code) since {stamp}; {ago_text}"),
        ),
        ServiceState::Stopped => ("○", "inactive (dead)".to_string()),
    };
    let mut t = String::new();
    let _ = writeln!(t, "{dot} {}.service - {}", s.name, s.description);
    let _ = writeln!(
        t,
        "     Loaded: loaded ({unit_dir}/{}.service; enabled; preset: disabled)",
        s.name
    );
    let _ = writeln!(t, "     Active: {active}");
    match s.state {
        ServiceState::Running => {
            let (_, used, _) = facts::memory_mib(n);
            let _ = writeln!(t, "   Main PID: {} ({})", s.pid, s.name);
            let _ = writeln!(t, "      Tasks: {} (limit: 4586)", 2 + n.seed % 9);
            let _ = writeln!(t, "     Memory: {:.1}M", (used % 97) as f64 + 3.4);
            let _ = writeln!(t, "        CPU: {}ms", 80 + n.seed % 9000);
            let _ = writeln!(t, "     CGroup: /system.slice/{}.service", s.name);
            let _ = writeln!(
                t,
                "             └─{} {}",
                s.pid,
                if s.name == "nginx" {
                    "\"nginx: master process /usr/sbin/nginx\""
                } else {
                    s.name
                }
            );
        }
        ServiceState::Failed => {
            let _ = writeln!(
                t,
                "    Process: {} ExecStart=/usr/sbin/{} (code=exited, status=1/FAILURE)",
                s.pid, s.name
            );
            let _ = writeln!(t, "        CPU: 23ms");
            let _ = writeln!(t);
            for l in failure_log(s.name) {
                let _ = writeln!(
                    t,
                    "{} {} {}",
                    since.format("%b %d %H:%M:%S"),
                    n.computer_name.split('.').next().unwrap_or(""),
                    l
                );
            }
        }
        ServiceState::Stopped => {}
    }
    t
}

fn failure_log(name: &str) -> Vec<String> {
    match name {
        "nginx" => vec![
            "nginx[1207]: nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)"
                .into(),
            "nginx[1207]: nginx: configuration file /etc/nginx/nginx.conf test failed".into(),
            "systemd[1]: nginx.service: Control process exited, code=exited, status=1/FAILURE"
                .into(),
            "systemd[1]: nginx.service: Failed with result 'exit-code'.".into(),
            "systemd[1]: Failed to start nginx.service - The nginx HTTP and reverse proxy server."
                .into(),
        ],
        other => vec![
            format!(
                "systemd[1]: {other}.service: Main process exited, code=exited, status=1/FAILURE"
            ),
            format!("systemd[1]: {other}.service: Failed with result 'exit-code'."),
        ],
    }
}

fn journalctl(n: &NodeRec, args: &[String], now: chrono::DateTime<chrono::Utc>) -> Out {
    let unit = args
        .iter()
        .position(|a| a == "-u")
        .and_then(|i| args.get(i + 1))
        .map(|u| u.trim_end_matches(".service").to_string());
    let services = facts::linux_services(n);
    let host = n.computer_name.split('.').next().unwrap_or("");
    let Some(unit) = unit else {
        return Out::ok(format!(
            "{} {host} systemd[1]: Started session-1.scope - Session 1 of User root.\n",
            now.format("%b %d %H:%M:%S")
        ));
    };
    let Some(s) = find_service(&services, &unit) else {
        return Out::ok("-- No entries --\n");
    };
    let stamp = now.format("%b %d %H:%M:%S");
    let mut out = String::new();
    let lines: Vec<String> = match s.state {
        ServiceState::Failed => failure_log(s.name),
        ServiceState::Running => vec![
            format!(
                "systemd[1]: Starting {}.service - {}...",
                s.name, s.description
            ),
            format!(
                "systemd[1]: Started {}.service - {}.",
                s.name, s.description
            ),
        ],
        ServiceState::Stopped => vec![
            format!(
                "systemd[1]: Stopping {}.service - {}...",
                s.name, s.description
            ),
            format!("systemd[1]: {}.service: Deactivated successfully.", s.name),
            format!(
                "systemd[1]: Stopped {}.service - {}.",
                s.name, s.description
            ),
        ],
    };
    for l in lines {
        let _ = writeln!(out, "{stamp} {host} {l}");
    }
    Out::ok(out)
}

fn nginx_test(n: &NodeRec) -> Out {
    let ok = !facts::linux_services(n)
        .iter()
        .any(|s| s.name == "nginx" && s.state == ServiceState::Failed);
    if ok {
        Out {
            err: "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n".into(),
            ..Out::default()
        }
    } else {
        Out::fail(
            1,
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\nnginx: configuration file /etc/nginx/nginx.conf test failed\n",
        )
    }
}

fn rpm_cmd(n: &NodeRec, args: &[String]) -> Out {
    let opts: String = args
        .iter()
        .filter(|a| a.starts_with('-'))
        .map(|a| a.trim_start_matches('-'))
        .collect();
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if opts.contains('a') {
        let mut s = String::new();
        let mut all = facts::all_packages(n);
        all.sort_by(|a, b| a.name.cmp(&b.name));
        for p in all
            .iter()
            .filter(|p| names.is_empty() || names.iter().any(|q| p.name.contains(q.as_str())))
        {
            let _ = writeln!(s, "{}", p.rpm_q());
        }
        return Out::ok(s);
    }
    if !opts.contains('q') {
        return Out::fail(1, "rpm: no operation specified\n");
    }
    let mut out = Out::default();
    for q in names {
        match facts::package(n, q) {
            Some(p) => {
                let _ = writeln!(out.out, "{}", p.rpm_q());
            }
            None => {
                // rpm prints this to stdout
                let _ = writeln!(out.out, "package {q} is not installed");
                out.code = 1;
            }
        }
    }
    out
}

fn dpkg(n: &NodeRec, args: &[String]) -> Out {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let status = args.iter().any(|a| a == "-s" || a == "--status");
    if status {
        let mut out = Out::default();
        for q in names {
            match facts::package(n, q) {
                Some(p) => {
                    let _ = write!(
                        out.out,
                        "Package: {}\nStatus: install ok installed\nPriority: optional\nArchitecture: {}\nVersion: {}\n\n",
                        p.name, p.arch, p.version
                    );
                }
                None => {
                    let _ = writeln!(
                        out.err,
                        "dpkg-query: package '{q}' is not installed and no information is available"
                    );
                    out.code = 1;
                }
            }
        }
        return out;
    }
    let mut s = String::from(
        "Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n||/ Name                 Version                      Architecture Description\n+++-====================-============================-============-=================================\n",
    );
    let mut code = 0;
    let mut err = String::new();
    let line = |s: &mut String, p: &facts::Package| {
        let _ = writeln!(
            s,
            "ii  {:<20} {:<28} {:<12} {} package",
            format!("{}:{}", p.name, p.arch),
            p.version,
            p.arch,
            p.name
        );
    };
    if names.is_empty() {
        let mut all = facts::all_packages(n);
        all.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &all {
            line(&mut s, p);
        }
    } else {
        for q in names {
            let pat = q.trim_end_matches('*');
            let matched: Vec<facts::Package> = if q.ends_with('*') {
                facts::all_packages(n)
                    .into_iter()
                    .filter(|p| p.name.starts_with(pat))
                    .collect()
            } else {
                facts::package(n, q).into_iter().collect()
            };
            if matched.is_empty() {
                let _ = writeln!(err, "dpkg-query: no packages found matching {q}");
                code = 1;
            }
            for p in &matched {
                line(&mut s, p);
            }
        }
    }
    Out { out: s, err, code }
}

/// `dnf list installed X`, `yum list installed X`, `apt list --installed X`,
/// `zypper se -i X`. Anything else (install, update) reports nothing to do: the simulated
/// node never changes.
fn pm_list(n: &NodeRec, cmd: &str, args: &[String]) -> Out {
    let names: Vec<&String> = args
        .iter()
        .filter(|a| {
            !a.starts_with('-')
                && !matches!(a.as_str(), "list" | "installed" | "info" | "se" | "search")
        })
        .collect();
    let listing = args
        .iter()
        .any(|a| a == "list" || a == "se" || a == "search");
    if !listing {
        return Out::ok(match cmd {
            "apt" | "apt-get" => "Reading package lists...\nBuilding dependency tree...\nReading state information...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n".to_string(),
            _ => "Last metadata expiration check: 0:12:41 ago.\nDependencies resolved.\nNothing to do.\nComplete!\n".to_string(),
        });
    }
    let mut s = match cmd {
        "apt" => "Listing...\n".to_string(),
        "zypper" => "Loading repository data...\nReading installed packages...\n\nS  | Name | Summary | Type\n---+------+---------+--------\n".to_string(),
        _ => "Installed Packages\n".to_string(),
    };
    let mut found = false;
    for q in names {
        if let Some(p) = facts::package(n, q) {
            found = true;
            let _ = match cmd {
                "apt" => writeln!(s, "{}/now {} {} [installed]", p.name, p.version, p.arch),
                "zypper" => writeln!(s, "i+ | {} | {} package | package", p.name, p.name),
                _ => writeln!(
                    s,
                    "{:<40} {:<36} @System",
                    format!("{}.{}", p.name, p.arch),
                    if p.epoch.is_empty() {
                        p.version.clone()
                    } else {
                        format!("{}:{}", p.epoch, p.version)
                    }
                ),
            };
        }
    }
    if found || cmd == "apt" {
        Out::ok(s)
    } else {
        Out::fail(1, "Error: No matching Packages to list\n")
    }
}

fn curl(ctx: &Ctx, args: &[String]) -> Out {
    let n = ctx.node;
    let url = args
        .iter()
        .find(|a| a.starts_with("http"))
        .cloned()
        .unwrap_or_default();
    if let Some(path) = url
        .strip_prefix("http://169.254.169.254/latest/meta-data/")
        .or_else(|| url.strip_prefix("http://169.254.169.254/latest/meta-data"))
    {
        if n.hybrid {
            return Out::fail(
                28,
                "curl: (28) Failed to connect to 169.254.169.254 port 80 after 2001 ms: Timeout was reached\n",
            );
        }
        let v = match path.trim_matches('/') {
            "instance-id" => n.id.clone(),
            "local-ipv4" => n.ip.clone(),
            "local-hostname" | "hostname" => n.computer_name.clone(),
            "placement/region" => ctx.env.region.to_string(),
            "placement/availability-zone" => format!("{}a", ctx.env.region),
            "ami-id" => format!("ami-0{:016x}", n.seed >> 4),
            "" => "ami-id\nhostname\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nplacement/\n".into(),
            _ => {
                return Out::ok(
                    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<title>404 - Not Found</title>\n",
                );
            }
        };
        return Out::ok(v);
    }
    if url.starts_with("http://localhost") || url.starts_with("http://127.0.0.1") {
        let up = facts::linux_services(n)
            .iter()
            .any(|s| s.name == "nginx" && s.state == ServiceState::Running);
        return if up {
            Out::ok("OK\n")
        } else {
            Out::fail(
                7,
                "curl: (7) Failed to connect to localhost port 80 after 0 ms: Couldn't connect to server\n",
            )
        };
    }
    Out::fail(
        6,
        format!(
            "curl: (6) Could not resolve host: {}\n",
            url.split('/').nth(2).unwrap_or(&url)
        ),
    )
}

fn ps(n: &NodeRec) -> Out {
    let mut s = String::from(
        "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot           1  0.0  0.3 171500 13032 ?        Ss   Nov29   0:04 /usr/lib/systemd/systemd --switched-root --system\n",
    );
    for svc in facts::linux_services(n)
        .iter()
        .filter(|s| s.state == ServiceState::Running)
    {
        let _ = writeln!(
            s,
            "root     {:>7}  0.{}  0.4 {:>6} {:>5} ?        Ssl  Nov29   0:{:02} /usr/sbin/{}",
            svc.pid,
            svc.pid % 10,
            200_000 + svc.pid * 3,
            10_000 + svc.pid % 9000,
            svc.pid % 60,
            svc.name
        );
    }
    Out::ok(s)
}

fn ip(n: &NodeRec) -> Out {
    Out::ok(format!(
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000\n    link/ether 0a:{:02x}:{:02x}:3c:9e:11 brd ff:ff:ff:ff:ff:ff\n    inet {}/20 metric 512 brd {}.255 scope global dynamic eth0\n",
        n.seed % 256,
        (n.seed >> 8) % 256,
        n.ip,
        n.ip.rsplit_once('.').map(|(a, _)| a).unwrap_or("10.0.0")
    ))
}

fn ls(args: &[String]) -> Out {
    let path = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
        .unwrap_or(".");
    let listing = match path.trim_end_matches('/') {
        "" | "/" => {
            "bin\nboot\ndev\netc\nhome\nlib\nlib64\nmnt\nopt\nproc\nroot\nrun\nsbin\nsrv\nsys\ntmp\nusr\nvar\n"
        }
        "." | "/var/lib/amazon/ssm" => "",
        "/etc/nginx" => "conf.d\nmime.types\nnginx.conf\n",
        "/tmp" => "",
        "/var/log" => "amazon\naudit\nboot.log\ncron\njournal\nmessages\nsecure\n",
        other => {
            return Out::fail(
                2,
                format!("ls: cannot access '{other}': No such file or directory\n"),
            );
        }
    };
    Out::ok(listing)
}
