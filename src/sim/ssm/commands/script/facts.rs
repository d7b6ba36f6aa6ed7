//! What a node "is" when a script asks: kernel, OS release, uptime, disks, memory,
//! services and installed packages — all derived from the node record (seed, platform, tags,
//! patch list), so the same node answers the same way every time, and the answers agree
//! with the rest of the simulated world (package versions with `AWS:Application` inventory,
//! the pending-reboot nodes still running their old kernel, the node's IP and host name).
//!
//! A few nodes are deliberately different, so a fleet-wide command has variants to show:
//! about one web node in eleven has a failed nginx (the port is taken), one in seventeen has
//! it stopped; about one node in twenty-five has a root file system over 90 %.

use chrono::{DateTime, Duration, Utc};

use crate::sim::rng::Rng;
use crate::sim::ssm::node::NodeRec;
use crate::sim::ssm::patches::{self, PState};

/// The node's role: the first word of its `Name` tag (`web-prod-03` → `web`).
pub fn role(n: &NodeRec) -> &str {
    n.tag("Name")
        .and_then(|t| t.split('-').next())
        .unwrap_or("")
}

fn rng(n: &NodeRec, what: &str) -> Rng {
    Rng::derive(n.seed, &format!("script-facts/{what}"))
}

/// `uname -r`. Nodes with patches pending a reboot still run the kernel before the update.
pub fn kernel(n: &NodeRec) -> &'static str {
    let old = n.counts.pending_reboot > 0;
    match (n.platform().key, old) {
        ("al2023", false) => "6.1.115-126.197.amzn2023.x86_64",
        ("al2023", true) => "6.1.112-122.189.amzn2023.x86_64",
        ("al2", false) => "5.10.228-219.884.amzn2.x86_64",
        ("al2", true) => "5.10.227-219.884.amzn2.x86_64",
        ("ubuntu2204", false) => "6.8.0-1019-aws",
        ("ubuntu2204", true) => "6.8.0-1017-aws",
        ("ubuntu2404", false) => "6.8.0-1021-aws",
        ("ubuntu2404", true) => "6.8.0-1018-aws",
        ("rhel9", false) => "5.14.0-427.42.1.el9_4.x86_64",
        ("rhel9", true) => "5.14.0-427.40.1.el9_4.x86_64",
        ("sles15", false) => "5.14.21-150500.55.83-default",
        ("sles15", true) => "5.14.21-150500.55.80-default",
        ("win2019", _) => "10.0.17763.6532",
        (_, _) => "10.0.20348.2849",
    }
}

/// `uname -v`.
pub fn kernel_build(n: &NodeRec) -> &'static str {
    match n.platform().key {
        "ubuntu2204" | "ubuntu2404" => "#19~22.04.1-Ubuntu SMP Wed Oct  9 16:48:22 UTC 2024",
        "rhel9" => "#1 SMP PREEMPT_DYNAMIC Thu Oct 10 12:34:56 EDT 2024",
        "sles15" => "#1 SMP PREEMPT_DYNAMIC Tue Oct 22 09:08:56 UTC 2024 (fe5c0a1)",
        _ => "#1 SMP PREEMPT_DYNAMIC Tue Nov  5 17:36:57 UTC 2024",
    }
}

/// `/etc/os-release`.
pub fn os_release(n: &NodeRec) -> &'static str {
    match n.platform().key {
        "al2023" => {
            "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\nPRETTY_NAME=\"Amazon Linux 2023.6.20241121\"\nANSI_COLOR=\"0;33\"\nCPE_NAME=\"cpe:2.3:o:amazon:amazon_linux:2023\"\nHOME_URL=\"https://aws.amazon.com/linux/amazon-linux-2023/\"\nDOCUMENTATION_URL=\"https://docs.aws.amazon.com/linux/\"\nSUPPORT_URL=\"https://aws.amazon.com/premiumsupport/\"\nBUG_REPORT_URL=\"https://github.com/amazonlinux/amazon-linux-2023\"\nVENDOR_NAME=\"AWS\"\nVENDOR_URL=\"https://aws.amazon.com/\"\nSUPPORT_END=\"2028-03-15\"\n"
        }
        "al2" => {
            "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\nANSI_COLOR=\"0;33\"\nCPE_NAME=\"cpe:2.3:o:amazon:amazon_linux:2\"\nHOME_URL=\"https://amazonlinux.com/\"\nSUPPORT_END=\"2026-06-30\"\n"
        }
        "ubuntu2204" => {
            "PRETTY_NAME=\"Ubuntu 22.04.5 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.5 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME=jammy\n"
        }
        "ubuntu2404" => {
            "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.1 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME=noble\nLOGO=ubuntu-logo\n"
        }
        "rhel9" => {
            "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.4 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.4 (Plow)\"\nANSI_COLOR=\"0;31\"\nLOGO=\"fedora-logo-icon\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:9::baseos\"\nHOME_URL=\"https://www.redhat.com/\"\nREDHAT_SUPPORT_PRODUCT=\"Red Hat Enterprise Linux\"\nREDHAT_SUPPORT_PRODUCT_VERSION=\"9.4\"\n"
        }
        _ => {
            "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\nANSI_COLOR=\"0;32\"\nCPE_NAME=\"cpe:/o:suse:sles:15:sp5\"\nDOCUMENTATION_URL=\"https://documentation.suse.com/\"\n"
        }
    }
}

/// Whether the node uses rpm (else dpkg).
pub fn rpm_based(n: &NodeRec) -> bool {
    !matches!(n.platform().key, "ubuntu2204" | "ubuntu2404")
}

/// When the node last booted: after its last patch run that rebooted it, else some days
/// after it registered (never in the future).
pub fn boot_time(n: &NodeRec, now: DateTime<Utc>) -> DateTime<Utc> {
    if let Some(r) = &n.report
        && r.reboot_if_needed
        && r.operation == crate::sim::ssm::node::Operation::Install
    {
        return r.end.min(now);
    }
    let mut r = rng(n, "boot");
    let since = (now - n.registered).num_minutes().max(60);
    let ago = r.range(30, since.min(60 * 24 * 120));
    now - Duration::minutes(ago)
}

/// `uptime`: " 07:58:01 up 34 days,  3:04,  0 users,  load average: 0.08, 0.03, 0.01"
pub fn uptime_line(n: &NodeRec, now: DateTime<Utc>) -> String {
    let up = now - boot_time(n, now);
    let days = up.num_days();
    let hm = format!("{:>2}:{:02}", up.num_hours() % 24, up.num_minutes() % 60);
    let span = match days {
        0 => hm,
        1 => format!("1 day, {hm}"),
        d => format!("{d} days, {hm}"),
    };
    let (a, b, c) = load(n);
    format!(
        " {} up {span},  0 users,  load average: {a:.2}, {b:.2}, {c:.2}",
        now.format("%H:%M:%S")
    )
}

/// `uptime -p`
pub fn uptime_pretty(n: &NodeRec, now: DateTime<Utc>) -> String {
    let up = now - boot_time(n, now);
    let (d, h, m) = (up.num_days(), up.num_hours() % 24, up.num_minutes() % 60);
    let mut parts = Vec::new();
    let plural = |n: i64, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    if d > 0 {
        parts.push(plural(d, "day"));
    }
    if h > 0 {
        parts.push(plural(h, "hour"));
    }
    parts.push(plural(m, "minute"));
    format!("up {}", parts.join(", "))
}

/// 1, 5 and 15 minute load averages.
pub fn load(n: &NodeRec) -> (f64, f64, f64) {
    let mut r = rng(n, "load");
    let busy = if role(n) == "batch" || role(n) == "etl" {
        2.0
    } else {
        0.3
    };
    let a = r.unit() * busy;
    (a, a * 0.7 + r.unit() * 0.1, a * 0.5 + r.unit() * 0.05)
}

/// vCPUs.
pub fn cpus(n: &NodeRec) -> u32 {
    [2, 2, 4, 4, 8, 16][rng(n, "cpu").below(6) as usize]
}

/// Memory in MiB: (total, used, buff/cache).
pub fn memory_mib(n: &NodeRec) -> (u64, u64, u64) {
    let mut r = rng(n, "mem");
    let total = [1_910u64, 3_819, 7_802, 15_788, 31_711][r.below(5) as usize];
    let used = total * (15 + r.below(60)) / 100;
    let cache = (total - used) * (10 + r.below(50)) / 100;
    (total, used, cache)
}

/// One mounted file system.
#[derive(Clone, Debug)]
pub struct Mount {
    pub device: String,
    pub fs_type: &'static str,
    pub size_kib: u64,
    pub used_kib: u64,
    pub mount: &'static str,
}

impl Mount {
    pub fn avail_kib(&self) -> u64 {
        self.size_kib.saturating_sub(self.used_kib)
    }
    pub fn use_pct(&self) -> u64 {
        (self.used_kib * 100).div_ceil(self.size_kib.max(1))
    }
}

/// The node's file systems (Linux: root, /boot/efi where the platform has one, tmpfs).
pub fn mounts(n: &NodeRec) -> Vec<Mount> {
    let mut r = rng(n, "disk");
    let size_gib = [8u64, 20, 30, 50, 100][r.below(5) as usize];
    let size_kib = size_gib * 1024 * 1024 - 12_000;
    // ~1 node in 25 is nearly full.
    let pct = if r.below(25) == 0 {
        91 + r.below(9)
    } else {
        18 + r.below(55)
    };
    let used_kib = size_kib * pct / 100;
    let (dev, fs_type) = match n.platform().key {
        "al2023" | "al2" | "rhel9" => ("/dev/nvme0n1p1", "xfs"),
        "sles15" => ("/dev/nvme0n1p3", "xfs"),
        _ => ("/dev/root", "ext4"),
    };
    let (mem, _, _) = memory_mib(n);
    let mut out = vec![
        Mount {
            device: "devtmpfs".into(),
            fs_type: "devtmpfs",
            size_kib: 4096,
            used_kib: 0,
            mount: "/dev",
        },
        Mount {
            device: "tmpfs".into(),
            fs_type: "tmpfs",
            size_kib: mem * 1024 / 2,
            used_kib: 0,
            mount: "/dev/shm",
        },
        Mount {
            device: "tmpfs".into(),
            fs_type: "tmpfs",
            size_kib: mem * 1024 / 5,
            used_kib: 400 + r.below(600),
            mount: "/run",
        },
        Mount {
            device: dev.into(),
            fs_type,
            size_kib,
            used_kib,
            mount: "/",
        },
    ];
    if n.platform().key != "al2" {
        out.push(Mount {
            device: if rpm_based(n) {
                "/dev/nvme0n1p128".into()
            } else {
                "/dev/nvme0n1p15".into()
            },
            fs_type: "vfat",
            size_kib: 10_202,
            used_kib: 1_310,
            mount: "/boot/efi",
        });
    }
    out
}

/// State of a service as systemd (or the Windows SCM) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceState {
    Running,
    /// Stopped cleanly (`inactive (dead)` / `Stopped`).
    Stopped,
    /// Crashed or failed to start (`failed (Result: exit-code)`).
    Failed,
}

/// One service on the node.
#[derive(Clone, Debug)]
pub struct Service {
    pub name: &'static str,
    pub description: &'static str,
    pub state: ServiceState,
    pub pid: u32,
}

/// The services of a Linux node: the base system plus what its role runs.
pub fn linux_services(n: &NodeRec) -> Vec<Service> {
    let mut r = rng(n, "services");
    let ubuntu = !rpm_based(n);
    let mut names: Vec<(&'static str, &'static str)> = vec![
        ("sshd", "OpenSSH server daemon"),
        ("amazon-ssm-agent", "amazon-ssm-agent"),
        (
            if ubuntu { "chrony" } else { "chronyd" },
            "NTP client/server",
        ),
        (if ubuntu { "cron" } else { "crond" }, "Command Scheduler"),
        ("rsyslog", "System Logging Service"),
    ];
    if ubuntu {
        names[0] = ("ssh", "OpenBSD Secure Shell server");
        names[1] = ("snap.amazon-ssm-agent.amazon-ssm-agent", "amazon-ssm-agent");
    }
    match role(n) {
        "web" | "gateway" | "api" => {
            names.push(("nginx", "The nginx HTTP and reverse proxy server"))
        }
        "db" => names.push(("postgresql", "PostgreSQL database server")),
        "cache" => names.push(("redis", "Redis persistent key-value database")),
        "mq" => names.push(("rabbitmq-server", "RabbitMQ broker")),
        "jenkins" => names.push(("jenkins", "Jenkins Continuous Integration Server")),
        "kafka" => names.push(("kafka", "Apache Kafka server")),
        "search" => names.push(("opensearch", "OpenSearch")),
        _ => {}
    }
    if role(n) == "api" || role(n) == "worker" {
        names.push(("docker", "Docker Application Container Engine"));
    }
    names
        .into_iter()
        .map(|(name, description)| {
            let state = match name {
                // A few nodes deliberately differ.
                "nginx" if n.seed % 11 == 3 => ServiceState::Failed,
                "nginx" if n.seed % 17 == 5 => ServiceState::Stopped,
                "postgresql" | "redis" if n.seed % 19 == 7 => ServiceState::Failed,
                "docker" if n.seed % 13 == 2 => ServiceState::Stopped,
                _ => ServiceState::Running,
            };
            Service {
                name,
                description,
                state,
                pid: 600 + r.below(40_000) as u32,
            }
        })
        .collect()
}

/// The services of a Windows node.
pub fn windows_services(n: &NodeRec) -> Vec<Service> {
    let mut r = rng(n, "services");
    let mut names: Vec<(&'static str, &'static str)> = vec![
        ("AmazonSSMAgent", "Amazon SSM Agent"),
        ("EventLog", "Windows Event Log"),
        ("W32Time", "Windows Time"),
        ("WinRM", "Windows Remote Management (WS-Management)"),
        ("Spooler", "Print Spooler"),
        ("wuauserv", "Windows Update"),
    ];
    match role(n) {
        "web" | "gateway" | "api" => names.push(("W3SVC", "World Wide Web Publishing Service")),
        "db" => names.push(("MSSQLSERVER", "SQL Server (MSSQLSERVER)")),
        _ => {}
    }
    names
        .into_iter()
        .map(|(name, description)| {
            let state = match name {
                "W3SVC" if n.seed % 11 == 3 => ServiceState::Stopped,
                "Spooler" if n.seed.is_multiple_of(3) => ServiceState::Stopped,
                "wuauserv" if !n.seed.is_multiple_of(5) => ServiceState::Stopped,
                "MSSQLSERVER" if n.seed % 19 == 7 => ServiceState::Stopped,
                _ => ServiceState::Running,
            };
            Service {
                name,
                description,
                state,
                pid: 400 + r.below(9_000) as u32,
            }
        })
        .collect()
}

/// Packages every node of a platform has, listed in inventory or not.
const BASE_PACKAGES: &[&str] = &[
    "openssl",
    "libssl3",
    "libopenssl3",
    "glibc",
    "libc6",
    "kernel",
    "linux-image-aws",
    "bash",
    "systemd",
    "curl",
    "sudo",
    "openssh",
    "openssh-server",
    "python3",
    "python3.10",
    "ca-certificates",
    "tzdata",
    "amazon-ssm-agent",
    "coreutils",
    "zlib",
    "rpm",
    "dnf",
    "tar",
    "gzip",
];

/// An installed package: name, version-release (as `rpm -q` / `dpkg -l` print it), arch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub epoch: String,
    pub version: String,
    pub arch: String,
}

impl Package {
    /// `rpm -q`: `openssl-3.0.8-1.amzn2023.0.14.x86_64`.
    pub fn rpm_q(&self) -> String {
        format!("{}-{}.{}", self.name, self.version, self.arch)
    }
    /// The upstream part (`3.0.8`).
    pub fn upstream(&self) -> &str {
        self.version.split('-').next().unwrap_or(&self.version)
    }
}

fn parse_package(kb_id: &str, package: &str) -> Option<Package> {
    let (name, arch) = kb_id.rsplit_once('.')?;
    // rpm: name-epoch:version.arch ; deb: name_version_arch
    let rest = package.strip_prefix(name)?;
    let (epoch, version) = if let Some(deb) = rest.strip_prefix('_') {
        ("", deb.strip_suffix(&format!("_{arch}")).unwrap_or(deb))
    } else {
        let evr = rest
            .strip_prefix('-')?
            .strip_suffix(&format!(".{arch}"))
            .unwrap_or(rest);
        match evr.split_once(':') {
            Some((e, v)) => (e, v),
            None => ("", evr),
        }
    };
    Some(Package {
        name: name.to_string(),
        epoch: epoch.to_string(),
        version: version.to_string(),
        arch: arch.to_string(),
    })
}

/// One release back: the version a node runs while the update is Missing or Failed.
fn older(version: &str) -> String {
    let bytes = version.as_bytes();
    let Some(end) = bytes.iter().rposition(|b| b.is_ascii_digit()) else {
        return version.to_string();
    };
    let start = bytes[..=end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let n: u64 = version[start..=end].parse().unwrap_or(0);
    if n == 0 {
        return version.to_string();
    }
    format!("{}{}{}", &version[..start], n - 1, &version[end + 1..])
}

/// The installed version of `name` on the node, if installed: the inventory's version
/// where the patch list has the package installed, one release back where the update is
/// missing or failed, the platform's current version for base packages (and nginx on the
/// nodes that serve web traffic) that the patch list does not track.
pub fn package(n: &NodeRec, name: &str) -> Option<Package> {
    if n.windows() {
        return None;
    }
    let list = patches::patch_list(n);
    let item = list
        .iter()
        .find(|p| p.kb_id.rsplit_once('.').map(|(x, _)| x) == Some(name));
    match item {
        Some(p) => {
            let mut pkg = parse_package(p.kb_id, p.package)?;
            match p.state {
                PState::Installed | PState::InstalledOther | PState::InstalledPendingReboot => {
                    Some(pkg)
                }
                PState::Missing | PState::Failed | PState::InstalledRejected => {
                    pkg.version = older(&pkg.version);
                    Some(pkg)
                }
                PState::NotApplicable | PState::AvailableSecurityUpdate => None,
            }
        }
        None => {
            let web = matches!(role(n), "web" | "gateway" | "api");
            if !(BASE_PACKAGES.contains(&name) || (web && name == "nginx")) {
                return None;
            }
            let (kb, package) = patches::pool_package(n.platform(), name)?;
            parse_package(&kb, &package)
        }
    }
}

/// Every installed package (`rpm -qa`, `dpkg -l`): the inventory's list.
pub fn all_packages(n: &NodeRec) -> Vec<Package> {
    if n.windows() {
        return Vec::new();
    }
    patches::patch_list(n)
        .iter()
        .filter(|p| p.state != PState::NotApplicable)
        .filter_map(|p| {
            let mut pkg = parse_package(p.kb_id, p.package)?;
            if matches!(p.state, PState::Missing | PState::Failed) {
                pkg.version = older(&pkg.version);
            }
            Some(pkg)
        })
        .collect()
}

/// The KBs installed on a Windows node (`Get-HotFix`), with when.
pub fn hotfixes(n: &NodeRec) -> Vec<(String, &'static str, Option<DateTime<Utc>>)> {
    patches::patch_list(n)
        .iter()
        .filter(|p| matches!(p.state, PState::Installed | PState::InstalledOther))
        .map(|p| {
            let desc = if p.classification == "SecurityUpdates" {
                "Security Update"
            } else {
                "Update"
            };
            (p.kb_id.to_string(), desc, p.installed_time)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_strings_parse() {
        let p = parse_package(
            "openssl-libs.x86_64",
            "openssl-libs-1:3.0.8-1.amzn2023.0.14.x86_64",
        )
        .unwrap();
        assert_eq!(p.rpm_q(), "openssl-libs-3.0.8-1.amzn2023.0.14.x86_64");
        assert_eq!(p.epoch, "1");
        assert_eq!(p.upstream(), "3.0.8");
        let d = parse_package("libssl3.amd64", "libssl3_3.0.2-0ubuntu1.12_amd64").unwrap();
        assert_eq!(d.version, "3.0.2-0ubuntu1.12");
        assert_eq!(older("3.0.8-1.amzn2023.0.14"), "3.0.8-1.amzn2023.0.13");
        assert_eq!(older("1.0"), "1.0");
    }
}
