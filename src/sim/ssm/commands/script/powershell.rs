//! The Windows side: PowerShell running the `commands` lines on a simulated node. Output
//! lines end with `\r\n`, as real AWS-RunPowerShellScript output does.

use std::fmt::Write;

use super::facts::{self, ServiceState};
use super::{Env, Out, ScriptRun, filter, split_line, words};
use crate::sim::ssm::node::NodeRec;

struct Ctx<'a> {
    node: &'a NodeRec,
    env: &'a Env<'a>,
    line_no: usize,
}

impl Ctx<'_> {
    fn script_path(&self) -> String {
        format!(
            "C:\\ProgramData\\Amazon\\SSM\\InstanceData\\{}\\document\\orchestration\\{}\\awsrunPowerShellScript\\0.awsrunPowerShellScript\\_script.ps1",
            self.node.id, self.env.command_id
        )
    }

    fn not_recognized(&self, cmd: &str, line: &str) -> Out {
        Out::fail(
            1,
            format!(
                "{cmd} : The term '{cmd}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\nAt {}:{} char:1\n+ {line}\n+ {}\n    + CategoryInfo          : ObjectNotFound: ({cmd}:String) [], CommandNotFoundException\n    + FullyQualifiedErrorId : CommandNotFoundException\n \n",
                self.script_path(),
                self.line_no,
                "~".repeat(cmd.chars().count().max(1))
            ),
        )
    }
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
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
        for (_, pipeline) in split_line(line) {
            let first = words(&pipeline[0]);
            if first
                .first()
                .is_some_and(|w| w.eq_ignore_ascii_case("exit"))
            {
                last = first.get(1).and_then(|c| c.parse().ok()).unwrap_or(last);
                break 'lines;
            }
            let mut out = Out::default();
            for (k, stage) in pipeline.iter().enumerate() {
                let args = words(stage);
                let Some(cmd) = args.first().cloned() else {
                    continue;
                };
                let next = if k > 0 {
                    filter(&args, &out.out).unwrap_or_else(|| exec(&ctx, &cmd, &args[1..], stage))
                } else {
                    exec(&ctx, &cmd, &args[1..], stage)
                };
                res.stderr.push_str(&out.err);
                out = next;
            }
            res.stdout.push_str(&crlf(&out.out));
            res.stderr.push_str(&crlf(&out.err));
            // a failed cmdlet does not stop the script; the last one decides the exit status
            last = out.code;
        }
    }
    res.code = last;
    res
}

fn exec(ctx: &Ctx, cmd: &str, args: &[String], line: &str) -> Out {
    let n = ctx.node;
    let now = ctx.env.start;
    let host = n.computer_name.split('.').next().unwrap_or_default();
    let lower = cmd.to_ascii_lowercase();
    match lower.as_str() {
        "write-output" | "echo" | "write-host" => Out::ok(format!(
            "{}\n",
            args.join(" ").replace("$env:COMPUTERNAME", host)
        )),
        "hostname" => Out::ok(format!("{host}\n")),
        "$env:computername" => Out::ok(format!("{host}\n")),
        "whoami" => Out::ok("nt authority\\system\n"),
        "get-date" | "date" => Out::ok(format!(
            "\n{}\n\n",
            now.format("%A, %B %-d, %Y %-I:%M:%S %p")
        )),
        "start-sleep" | "set-location" | "cd" | "$erroractionpreference" => Out::default(),
        "$psversiontable" => Out::ok(format!(
            "\nName                           Value\n----                           -----\nPSVersion                      5.1.{}\nPSEdition                      Desktop\nCLRVersion                     4.0.30319.42000\nBuildVersion                   10.0.{}\n\n",
            facts::kernel(n).trim_start_matches("10.0."),
            facts::kernel(n).trim_start_matches("10.0.")
        )),
        "[environment]::osversion" | "[system.environment]::osversion" => Out::ok(format!(
            "\nPlatform ServicePack Version      VersionString\n-------- ----------- -------      -------------\n Win32NT             {:<12} Microsoft Windows NT {}.0\n\n",
            facts::kernel(n),
            facts::kernel(n)
        )),
        "get-ciminstance" | "get-wmiobject" | "gwmi" => {
            if args
                .iter()
                .any(|a| a.eq_ignore_ascii_case("Win32_OperatingSystem"))
            {
                Out::ok(format!(
                    "\nSystemDirectory : C:\\Windows\\system32\nOrganization    : Amazon.com\nBuildNumber     : {}\nRegisteredUser  : EC2\nSerialNumber    : 00430-00000-00000-AA{:03}\nVersion         : 10.0.{}\nCaption         : {}\n\n",
                    n.platform().version.trim_start_matches("10.0."),
                    n.seed % 1000,
                    n.platform().version.trim_start_matches("10.0."),
                    n.platform().name
                ))
            } else {
                Out::fail(1, "Get-CimInstance : Invalid class\n")
            }
        }
        "get-service" | "gsv" => get_service(n, args),
        "restart-service" | "start-service" | "stop-service" => {
            let services = facts::windows_services(n);
            match args.iter().find(|a| !a.starts_with('-')) {
                Some(name) if !services.iter().any(|s| s.name.eq_ignore_ascii_case(name)) => {
                    Out::fail(
                        1,
                        format!("{cmd} : Cannot find any service with service name '{name}'.\n"),
                    )
                }
                _ => Out::default(),
            }
        }
        "get-process" | "ps" | "gps" => {
            let mut s = String::from(
                "\nHandles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\n-------  ------    -----      -----     ------     --  -- -----------\n",
            );
            for svc in facts::windows_services(n)
                .iter()
                .filter(|s| s.state == ServiceState::Running)
            {
                let _ = writeln!(
                    s,
                    "{:>7} {:>7} {:>8} {:>10} {:>10.2} {:>6}   0 {}",
                    200 + svc.pid % 700,
                    10 + svc.pid % 40,
                    5_000 + svc.pid,
                    12_000 + svc.pid * 2,
                    (svc.pid % 900) as f64 / 7.0,
                    svc.pid,
                    svc.name
                );
            }
            s.push('\n');
            Out::ok(s)
        }
        "get-hotfix" => {
            let mut s = String::from(
                "\nSource        Description      HotFixID      InstalledBy          InstalledOn\n------        -----------      --------      -----------          -----------\n",
            );
            let wanted: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            let mut found = false;
            for (kb, desc, at) in facts::hotfixes(n) {
                if !wanted.is_empty() && !wanted.iter().any(|w| w.eq_ignore_ascii_case(&kb)) {
                    continue;
                }
                found = true;
                let _ = writeln!(
                    s,
                    "{:<13} {:<16} {:<13} {:<20} {}",
                    host,
                    desc,
                    kb,
                    "NT AUTHORITY\\SYSTEM",
                    at.map(|t| t.format("%-m/%-d/%Y 12:00:00 AM").to_string())
                        .unwrap_or_default()
                );
            }
            if !found && !wanted.is_empty() {
                return Out::fail(
                    1,
                    format!(
                        "Get-HotFix : Cannot find the requested hotfix on the '{host}' computer. Verify the input and run the command again.\n"
                    ),
                );
            }
            s.push('\n');
            Out::ok(s)
        }
        "get-psdrive" | "get-volume" => {
            let mut r = crate::sim::rng::Rng::derive(n.seed, "script-facts/windisk");
            let size = [30u64, 50, 100, 200][r.below(4) as usize];
            let pct = if r.below(25) == 0 {
                92 + r.below(7)
            } else {
                25 + r.below(50)
            };
            let used = size as f64 * pct as f64 / 100.0;
            Out::ok(format!(
                "\nName           Used (GB)     Free (GB) Provider      Root\n----           ---------     --------- --------      ----\nC                  {used:>6.2}        {:>6.2} FileSystem    C:\\\n\n",
                size as f64 - used
            ))
        }
        "ipconfig" => Out::ok(format!(
            "\nWindows IP Configuration\n\n\nEthernet adapter Ethernet:\n\n   Connection-specific DNS Suffix  . : ec2.internal\n   Link-local IPv6 Address . . . . . : fe80::{:x}:{:x}%5\n   IPv4 Address. . . . . . . . . . . : {}\n   Subnet Mask . . . . . . . . . . . : 255.255.240.0\n   Default Gateway . . . . . . . . . : {}.1\n",
            n.seed % 0xffff,
            (n.seed >> 16) % 0xffff,
            n.ip,
            n.ip.rsplit_once('.').map(|(a, _)| a).unwrap_or("10.0.0")
        )),
        "systeminfo" => Out::ok(format!(
            "\nHost Name:                 {host}\nOS Name:                   {}\nOS Version:                {} N/A Build {}\nOS Manufacturer:           Microsoft Corporation\nSystem Boot Time:          {}\nSystem Type:               x64-based PC\nTotal Physical Memory:     {} MB\nHotfix(s):                 {} Hotfix(s) Installed.\n",
            n.platform().name,
            n.platform().version,
            n.platform().version.trim_start_matches("10.0."),
            facts::boot_time(n, now).format("%-m/%-d/%Y, %-I:%M:%S %p"),
            facts::memory_mib(n).0,
            facts::hotfixes(n).len()
        )),
        "test-path" => Out::ok(
            if args
                .first()
                .is_some_and(|p| p.to_ascii_lowercase().starts_with("c:\\windows"))
            {
                "True\n"
            } else {
                "False\n"
            },
        ),
        "get-content" | "type" | "gc" => {
            let path = args
                .iter()
                .find(|a| !a.starts_with('-'))
                .cloned()
                .unwrap_or_default();
            if path.eq_ignore_ascii_case("C:\\Windows\\System32\\drivers\\etc\\hosts") {
                Out::ok(
                    "# Copyright (c) 1993-2009 Microsoft Corp.\n#\n# localhost name resolution is handled within DNS itself.\n#\t127.0.0.1       localhost\n",
                )
            } else {
                Out::fail(
                    1,
                    format!("Get-Content : Cannot find path '{path}' because it does not exist.\n"),
                )
            }
        }
        "amazon-ssm-agent.exe" | "& 'c:\\program files\\amazon\\ssm\\amazon-ssm-agent.exe'" => {
            Out::ok(format!("SSM Agent version: {}\n", n.agent_version))
        }
        _ => {
            if cmd.starts_with('$') || cmd.starts_with('#') {
                // variables and comments evaluate to nothing worth printing here
                return Out::default();
            }
            ctx.not_recognized(cmd, line)
        }
    }
}

fn get_service(n: &NodeRec, args: &[String]) -> Out {
    let services = facts::windows_services(n);
    let wanted: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let mut s = String::from(
        "\nStatus   Name               DisplayName\n------   ----               -----------\n",
    );
    let mut err = String::new();
    let mut code = 0;
    let row = |s: &mut String, svc: &facts::Service| {
        let status = match svc.state {
            ServiceState::Running => "Running",
            ServiceState::Stopped | ServiceState::Failed => "Stopped",
        };
        let _ = writeln!(s, "{status:<8} {:<18} {}", svc.name, svc.description);
    };
    if wanted.is_empty() {
        for svc in &services {
            row(&mut s, svc);
        }
    } else {
        for w in wanted {
            let pat = w.trim_end_matches('*').to_ascii_lowercase();
            let matched: Vec<&facts::Service> = services
                .iter()
                .filter(|svc| {
                    let name = svc.name.to_ascii_lowercase();
                    if w.ends_with('*') {
                        name.starts_with(&pat)
                    } else {
                        name == pat
                    }
                })
                .collect();
            if matched.is_empty() && !w.ends_with('*') {
                let _ = writeln!(
                    err,
                    "Get-Service : Cannot find any service with service name '{w}'.\n    + CategoryInfo          : ObjectNotFound: ({w}:String) [Get-Service], ServiceCommandException\n    + FullyQualifiedErrorId : NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand\n "
                );
                code = 1;
            }
            for svc in matched {
                row(&mut s, svc);
            }
        }
    }
    s.push('\n');
    Out { out: s, err, code }
}
