//! Static vocabulary of the simulated fleet: platforms exactly as SSM reports them, package
//! and KB pools per platform, patch classifications and severities, agent versions.

/// One operating system flavour of the fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    pub key: &'static str,
    /// `PlatformName` as DescribeInstanceInformation reports it.
    pub name: &'static str,
    pub version: &'static str,
    pub windows: bool,
    /// The patch baseline `OperatingSystem` enum.
    pub os: &'static str,
    /// Release tag in package versions (`amzn2023`, `el9`, ...).
    pub dist: &'static str,
    /// Relative weight in a generated fleet.
    pub weight: u32,
}

pub const PLATFORMS: &[Platform] = &[
    Platform {
        key: "al2023",
        name: "Amazon Linux",
        version: "2023",
        windows: false,
        os: "AMAZON_LINUX_2023",
        dist: "amzn2023",
        weight: 30,
    },
    Platform {
        key: "al2",
        name: "Amazon Linux",
        version: "2",
        windows: false,
        os: "AMAZON_LINUX_2",
        dist: "amzn2",
        weight: 16,
    },
    Platform {
        key: "ubuntu2204",
        name: "Ubuntu",
        version: "22.04",
        windows: false,
        os: "UBUNTU",
        dist: "ubuntu22.04",
        weight: 10,
    },
    Platform {
        key: "ubuntu2404",
        name: "Ubuntu",
        version: "24.04",
        windows: false,
        os: "UBUNTU",
        dist: "ubuntu24.04",
        weight: 9,
    },
    Platform {
        key: "rhel9",
        name: "Red Hat Enterprise Linux",
        version: "9.4",
        windows: false,
        os: "REDHAT_ENTERPRISE_LINUX",
        dist: "el9_4",
        weight: 8,
    },
    Platform {
        key: "sles15",
        name: "SLES",
        version: "15.5",
        windows: false,
        os: "SUSE",
        dist: "150500",
        weight: 5,
    },
    Platform {
        key: "win2019",
        name: "Microsoft Windows Server 2019 Datacenter",
        version: "10.0.17763",
        windows: true,
        os: "WINDOWS",
        dist: "",
        weight: 9,
    },
    Platform {
        key: "win2022",
        name: "Microsoft Windows Server 2022 Datacenter",
        version: "10.0.20348",
        windows: true,
        os: "WINDOWS",
        dist: "",
        weight: 13,
    },
];

pub fn platform(idx: u8) -> &'static Platform {
    &PLATFORMS[idx as usize]
}

pub const LATEST_AGENT: &str = "3.3.1611.0";
pub const OLD_AGENTS: &[&str] = &["3.3.987.0", "3.2.2303.0", "3.2.1705.0", "3.1.1732.0"];

/// Linux package base names; combined with [`PKG_VARIANTS`] they give hundreds of distinct packages.
pub const LINUX_PACKAGES: &[&str] = &[
    "openssl",
    "glibc",
    "kernel",
    "curl",
    "systemd",
    "bash",
    "sudo",
    "openssh",
    "python3",
    "vim",
    "less",
    "libxml2",
    "expat",
    "zlib",
    "krb5",
    "nss",
    "ca-certificates",
    "tzdata",
    "amazon-ssm-agent",
    "cloud-init",
    "rpm",
    "dnf",
    "nghttp2",
    "gnutls",
    "libarchive",
    "sqlite",
    "xz",
    "bind",
    "git",
    "perl",
    "gnupg2",
    "pam",
    "shadow-utils",
    "util-linux",
    "coreutils",
    "grub2",
    "dbus",
    "polkit",
    "NetworkManager",
    "chrony",
    "rsyslog",
    "logrotate",
    "cronie",
    "tar",
    "gzip",
    "bzip2",
    "libssh",
    "libgcrypt",
    "libtasn1",
    "p11-kit",
    "cyrus-sasl",
    "openldap",
    "libcap",
    "libselinux",
    "audit",
    "procps-ng",
    "iproute",
    "iptables",
    "nftables",
    "firewalld",
    "kmod",
    "dracut",
    "e2fsprogs",
    "xfsprogs",
    "lvm2",
    "device-mapper",
    "cryptsetup",
    "libblkid",
    "libmount",
    "ncurses",
    "readline",
    "pcre2",
    "libffi",
    "libyaml",
    "json-c",
    "jq",
    "wget",
    "rsync",
    "unzip",
    "zip",
    "nginx",
    "httpd",
    "mod_ssl",
    "php",
    "nodejs",
    "java-17-amazon-corretto",
    "postgresql",
    "mariadb",
    "redis",
    "docker",
    "containerd",
    "runc",
    "ec2-utils",
    "aws-cfn-bootstrap",
    "awscli",
    "libuv",
    "libevent",
    "libidn2",
    "libpsl",
    "libsepol",
    "libsemanage",
    "libuser",
    "libutempter",
    "lua",
    "elfutils",
    "binutils",
    "gcc",
    "make",
    "file",
    "findutils",
    "gawk",
    "grep",
    "sed",
    "diffutils",
    "which",
    "hostname",
    "iputils",
    "traceroute",
    "bind-utils",
    "tcpdump",
    "strace",
    "lsof",
    "sysstat",
];

pub const PKG_VARIANTS: &[&str] = &["", "-libs", "-devel", "-common", "-tools"];

/// Ubuntu package names differ: a handful of common ones, the rest from the shared pool.
pub const UBUNTU_RENAMES: &[(&str, &str)] = &[
    ("openssl", "libssl3"),
    ("glibc", "libc6"),
    ("kernel", "linux-image-aws"),
    ("python3", "python3.10"),
    ("openssh", "openssh-server"),
    ("nss", "libnss3"),
    ("krb5", "libkrb5-3"),
];

pub const WINDOWS_PRODUCTS: &[&str] = &[
    "Cumulative Update for Windows Server {ver} for x64-based Systems",
    "Security Update for Windows Server {ver} for x64-based Systems",
    "Cumulative Update for .NET Framework 3.5, 4.7.2 and 4.8 for Windows Server {ver} for x64",
    "Servicing Stack Update for Windows Server {ver} for x64-based Systems",
    "Security Monthly Quality Rollup for Windows Server {ver} for x64-based Systems",
    "Update for Windows Server {ver} for x64-based Systems",
    "Security Update for Microsoft Edge (Chromium-based)",
    "Update for Microsoft Defender Antivirus antimalware platform",
    "Windows Malicious Software Removal Tool x64",
    "Security Update for SQL Server 2019 RTM CU",
];

/// (name, version, publisher) of Windows applications in inventory.
pub const WINDOWS_APPS: &[(&str, &str, &str)] = &[
    ("Amazon SSM Agent", "3.3.1611.0", "Amazon Web Services"),
    (
        "AWS Tools for Windows",
        "4.1.574",
        "Amazon Web Services Developer Relations",
    ),
    ("AWS PV Drivers", "8.4.3", "Amazon Web Services"),
    ("Amazon EC2Launch", "2.0.1924", "Amazon Web Services"),
    ("Microsoft Edge", "131.0.2903.70", "Microsoft Corporation"),
    (
        "Microsoft Visual C++ 2019 X64 Minimum Runtime - 14.29.30139",
        "14.29.30139",
        "Microsoft Corporation",
    ),
    (
        "Microsoft Visual C++ 2019 X64 Additional Runtime - 14.29.30139",
        "14.29.30139",
        "Microsoft Corporation",
    ),
    (
        "Microsoft .NET Runtime - 8.0.11 (x64)",
        "64.44.23553",
        "Microsoft Corporation",
    ),
    (
        "Microsoft SQL Server 2019 (64-bit)",
        "15.0.2000.5",
        "Microsoft Corporation",
    ),
    ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
    ("Notepad++ (64-bit x64)", "8.6.2", "Notepad++ Team"),
    ("Google Chrome", "131.0.6778.86", "Google LLC"),
    ("Amazon CloudWatch Agent", "1.300049.1", "Amazon.com, Inc."),
    ("Git", "2.43.0", "The Git Development Community"),
    ("PowerShell 7-x64", "7.4.1.0", "Microsoft Corporation"),
];

pub const ROLES: &[&str] = &[
    "web", "api", "worker", "db", "cache", "batch", "bastion", "jenkins", "kafka", "search", "etl",
    "auth", "gateway", "mq", "report",
];

pub const TEAMS: &[&str] = &[
    "payments",
    "platform",
    "identity",
    "data",
    "checkout",
    "search",
    "sre",
    "mobile-backend",
];

pub const HYBRID_SITES: &[&str] = &["dc1", "dc2", "lon", "fra", "syd"];

pub const EC2_ROLES: &[&str] = &[
    "AmazonSSMRoleForInstancesQuickSetup",
    "SSMInstanceProfile",
    "ec2-ssm-core",
];
pub const HYBRID_ROLE: &str = "service-role/AmazonEC2RunCommandRoleForManagedInstances";

/// A CVE id that looks real (year 2023..=2025, 4–5 digits).
pub fn cve(seed: u64) -> String {
    let year = 2023 + (seed % 3);
    let num = 1000 + (seed / 3) % 52000;
    format!("CVE-{year}-{num}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_is_big_enough_for_the_largest_package_lists() {
        assert!(LINUX_PACKAGES.len() * PKG_VARIANTS.len() >= 600);
        let mut names: Vec<&str> = LINUX_PACKAGES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), LINUX_PACKAGES.len(), "duplicate base package");
        assert!(PLATFORMS.iter().all(|p| p.weight > 0));
    }
}
