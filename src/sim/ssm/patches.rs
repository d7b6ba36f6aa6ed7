//! Per-node patch lists (derived lazily from the node seed and counters, so 100k nodes cost
//! nothing until asked), patch states, and the DescribeInstancePatch* operations.

use crate::sim::json_text::{Obj, push_str as push_json_str};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::catalog::{self, Platform};
use super::fleet::RegionFleet;
use super::node::{NodeRec, PatchCounts};
use super::page::{self, err, ts};
use crate::sim::ApiError;
use crate::sim::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PState {
    Installed,
    InstalledOther,
    InstalledPendingReboot,
    InstalledRejected,
    Missing,
    NotApplicable,
    Failed,
    AvailableSecurityUpdate,
}

impl PState {
    pub const ALL: [PState; 8] = [
        PState::Installed,
        PState::InstalledOther,
        PState::InstalledPendingReboot,
        PState::InstalledRejected,
        PState::Missing,
        PState::NotApplicable,
        PState::Failed,
        PState::AvailableSecurityUpdate,
    ];

    /// The spelling AWS sends: CamelCase (`InstalledPendingReboot`), not the model's enum
    /// (`INSTALLED_PENDING_REBOOT`). Source: the aws-cli example
    /// `awscli/examples/ssm/describe-instance-patches.rst` (`"State": "Installed"`,
    /// `"InstalledOther"`, `--filters Key=State,Values=Missing`) and outputs quoted in public
    /// issues (turbot/steampipe-mod-aws-compliance#759: `"State": "NotApplicable"`).
    /// The model (botocore `ssm/2014-11-06` `PatchComplianceDataState`) says UPPER_SNAKE;
    /// the simulator does what AWS does, the client accepts both (README "AWS quirks").
    pub fn as_str(self) -> &'static str {
        match self {
            PState::Installed => "Installed",
            PState::InstalledOther => "InstalledOther",
            PState::InstalledPendingReboot => "InstalledPendingReboot",
            PState::InstalledRejected => "InstalledRejected",
            PState::Missing => "Missing",
            PState::NotApplicable => "NotApplicable",
            PState::Failed => "Failed",
            PState::AvailableSecurityUpdate => "AvailableSecurityUpdate",
        }
    }

    /// Filter values: CamelCase as AWS documents them (`InstalledPendingReboot`); any case,
    /// with or without separators, is accepted (so is the model's UPPER_SNAKE).
    pub fn parse_filter(s: &str) -> Option<PState> {
        PState::ALL
            .into_iter()
            .find(|p| crate::model::wire_enum::same_token(s, p.as_str()))
    }

    pub fn noncompliant(self) -> bool {
        matches!(
            self,
            PState::Missing
                | PState::Failed
                | PState::InstalledPendingReboot
                | PState::InstalledRejected
        )
    }
}

/// Critical / security / other, as the patch-state counters break non-compliance down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Critical,
    Security,
    Other,
}

pub fn category(classification: &str, severity: &str) -> Category {
    if severity == "Critical" {
        Category::Critical
    } else if classification == "Security" || classification == "SecurityUpdates" {
        Category::Security
    } else {
        Category::Other
    }
}

/// Compliance severity (ListComplianceItems / summaries) of a non-compliant patch.
pub fn compliance_severity(c: Category) -> &'static str {
    match c {
        Category::Critical => "CRITICAL",
        Category::Security => "HIGH",
        Category::Other => "MEDIUM",
    }
}

/// One patch on one node.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchItem {
    // the strings live once per pool entry for the whole run ([`entry`]), shared by every
    // node's copy of it (a 40,000-node world derives ~14 million items): copying one is a
    // pointer, neither an allocation nor a shared count
    pub title: &'static str,
    pub kb_id: &'static str,
    pub classification: &'static str,
    pub severity: &'static str,
    pub state: PState,
    pub installed_time: Option<DateTime<Utc>>,
    /// Comma-separated (Missing / Failed security patches only).
    pub cve_ids: &'static str,
    /// `ALAS2023-2024-512`, `RHSA-2024:1234`, `USN-6601-1`, the KB for Windows.
    pub advisory: &'static str,
    /// `openssl-libs-1:3.0.8-1.amzn2023.0.14.x86_64` (what dnf/yum print); KB title on Windows.
    pub package: &'static str,
}

impl PatchItem {
    pub fn category(&self) -> Category {
        category(self.classification, self.severity)
    }

    /// [`PatchItem::json`] written as text onto `out`.
    pub fn write_json(&self, out: &mut String) {
        use std::fmt::Write;
        out.push_str("{\"Title\":");
        push_json_str(out, self.title);
        out.push_str(",\"KBId\":");
        push_json_str(out, self.kb_id);
        out.push_str(",\"Classification\":");
        push_json_str(out, self.classification);
        out.push_str(",\"Severity\":");
        push_json_str(out, self.severity);
        out.push_str(",\"State\":");
        push_json_str(out, self.state.as_str());
        out.push_str(",\"InstalledTime\":");
        let _ = write!(out, "{}", self.installed_time.map(ts).unwrap_or(json!(0)));
        if !self.cve_ids.is_empty() {
            out.push_str(",\"CVEIds\":");
            push_json_str(out, self.cve_ids);
        }
        out.push('}');
    }

    pub fn json(&self) -> Value {
        let mut v = json!({
            "Title": self.title,
            "KBId": self.kb_id,
            "Classification": self.classification,
            "Severity": self.severity,
            "State": self.state.as_str(),
            "InstalledTime": self.installed_time.map(ts).unwrap_or(json!(0)),
        });
        if !self.cve_ids.is_empty() {
            v["CVEIds"] = json!(self.cve_ids);
        }
        v
    }
}

/// Counters of a patch list.
pub fn counts_of(items: &[PatchItem]) -> PatchCounts {
    let mut c = PatchCounts::default();
    for p in items {
        match p.state {
            PState::Installed => c.installed += 1,
            PState::InstalledOther => c.installed_other += 1,
            PState::InstalledPendingReboot => c.pending_reboot += 1,
            PState::InstalledRejected => c.rejected += 1,
            PState::Missing => c.missing += 1,
            PState::NotApplicable => c.not_applicable += 1,
            PState::Failed => c.failed += 1,
            PState::AvailableSecurityUpdate => c.available_security += 1,
        }
        if p.state.noncompliant() {
            match p.category() {
                Category::Critical => c.critical_nc += 1,
                Category::Security => c.security_nc += 1,
                Category::Other => c.other_nc += 1,
            }
        }
    }
    c
}

/// Distinct patches a platform can offer one node.
pub fn pool_size(p: &Platform) -> usize {
    if p.windows {
        900
    } else {
        catalog::LINUX_PACKAGES.len() * catalog::PKG_VARIANTS.len()
    }
}

/// The node's patch list: the materialized one if a command changed it, else derived.
pub fn patch_list(n: &NodeRec) -> Vec<PatchItem> {
    match &n.patches {
        Some(list) => list.clone(),
        None => derive_list(n),
    }
}

/// Everything [`derive_list`] reads of a node.
#[derive(Clone, PartialEq, Eq, Hash)]
struct DerivedKey {
    seed: u64,
    platform: u8,
    counts: PatchCounts,
    reference: DateTime<Utc>,
}

/// Derived lists kept at most (more than the nodes any client pages through at once:
/// the patch index reads a few nodes per account × region).
const DERIVED_KEPT: usize = 2048;

#[derive(Default)]
struct Derived {
    lists: std::collections::HashMap<DerivedKey, std::sync::Arc<Vec<PatchItem>>>,
    /// Insertion order: the oldest goes first.
    order: std::collections::VecDeque<DerivedKey>,
}

static DERIVED: std::sync::LazyLock<std::sync::Mutex<Derived>> =
    std::sync::LazyLock::new(Default::default);

/// The node's patch list without copying it: DescribeInstancePatches pages through a
/// node's list one call at a time, and deriving the whole list again for each page cost
/// more than everything else the simulator does for the call. Derived lists of nodes paged
/// recently are kept, keyed by everything `derive_list` reads (so a changed node is
/// derived afresh); a materialized list is borrowed.
pub fn patch_list_shared(n: &NodeRec) -> ListRef<'_> {
    if let Some(list) = &n.patches {
        return ListRef::Borrowed(list.as_slice());
    }
    let key = DerivedKey {
        seed: n.seed,
        platform: n.platform,
        counts: n.counts,
        reference: derive_reference(n),
    };
    let hit = DERIVED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .lists
        .get(&key)
        .cloned();
    let list = hit.unwrap_or_else(|| {
        let list = std::sync::Arc::new(derive_list(n));
        let mut kept = DERIVED.lock().unwrap_or_else(|p| p.into_inner());
        if kept.lists.insert(key.clone(), list.clone()).is_none() {
            kept.order.push_back(key);
        }
        while kept.order.len() > DERIVED_KEPT {
            if let Some(old) = kept.order.pop_front() {
                kept.lists.remove(&old);
            }
        }
        list
    });
    ListRef::Shared(list)
}

/// A node's patch list, borrowed or shared ([`patch_list_shared`]).
pub enum ListRef<'a> {
    Borrowed(&'a [PatchItem]),
    Shared(std::sync::Arc<Vec<PatchItem>>),
}

impl std::ops::Deref for ListRef<'_> {
    type Target = [PatchItem];
    fn deref(&self) -> &[PatchItem] {
        match self {
            ListRef::Borrowed(l) => l,
            ListRef::Shared(l) => l.as_slice(),
        }
    }
}

fn derive_reference(n: &NodeRec) -> DateTime<Utc> {
    n.report
        .as_ref()
        .map(|r| r.end)
        .unwrap_or(n.registered + Duration::days(1))
}

/// Derive the patch list that matches `n.counts` exactly, from the node seed.
pub fn derive_list(n: &NodeRec) -> Vec<PatchItem> {
    let p = n.platform();
    let c = n.counts;
    let mut rng = Rng::new(n.seed ^ 0x7061_7463_6865_7321);
    let pool = pool_size(p) as u64;
    let start = rng.below(pool);
    let stride = [7u64, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]
        .into_iter()
        .filter(|s| !pool.is_multiple_of(*s))
        .nth(rng.below(4) as usize)
        .unwrap_or(1);
    let mut k = 0u64;
    let mut next_idx = move || {
        let i = (start + k * stride) % pool;
        k += 1;
        i as usize
    };
    let reference = derive_reference(n);

    let mut out = Vec::with_capacity(
        (c.installed + c.installed_other + c.noncompliant() + c.not_applicable) as usize,
    );
    let (mut crit, mut sec) = (c.critical_nc, c.security_nc);
    for (state, count) in [
        (PState::Failed, c.failed),
        (PState::InstalledPendingReboot, c.pending_reboot),
        (PState::InstalledRejected, c.rejected),
        (PState::Missing, c.missing),
    ] {
        for _ in 0..count {
            let cat = if crit > 0 {
                crit -= 1;
                Category::Critical
            } else if sec > 0 {
                sec -= 1;
                Category::Security
            } else {
                Category::Other
            };
            out.push(make_item(p, next_idx(), state, cat, &mut rng, reference));
        }
    }
    for (state, count) in [
        (PState::AvailableSecurityUpdate, c.available_security),
        (PState::Installed, c.installed),
        (PState::InstalledOther, c.installed_other),
        (PState::NotApplicable, c.not_applicable),
    ] {
        for _ in 0..count {
            let cat = if state == PState::AvailableSecurityUpdate {
                Category::Security
            } else {
                *rng.weighted(&[
                    (Category::Critical, 4),
                    (Category::Security, 36),
                    (Category::Other, 60),
                ])
            };
            out.push(make_item(p, next_idx(), state, cat, &mut rng, reference));
        }
    }
    out
}

fn mix(a: u64, b: u64) -> u64 {
    let mut r = Rng::new(a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b);
    r.next_u64()
}

fn platform_hash(p: &Platform) -> u64 {
    p.key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn make_item(
    p: &Platform,
    idx: usize,
    state: PState,
    cat: Category,
    rng: &mut Rng,
    reference: DateTime<Utc>,
) -> PatchItem {
    let e = entry(p, idx, cat);
    let installed_time = match state {
        PState::Installed | PState::InstalledOther => {
            Some(reference - Duration::hours(rng.range(30, 9600)))
        }
        PState::InstalledPendingReboot => Some(reference - Duration::minutes(rng.range(5, 600))),
        PState::InstalledRejected => Some(reference - Duration::days(rng.range(30, 300))),
        _ => None,
    };
    let cve_ids = if matches!(state, PState::Missing | PState::Failed) && cat != Category::Other {
        &e.cve_ids
    } else {
        ""
    };
    PatchItem {
        title: &e.title,
        kb_id: &e.kb_id,
        classification: e.classification,
        severity: e.severity,
        state,
        installed_time,
        cve_ids,
        advisory: &e.advisory,
        package: &e.package,
    }
}

/// What pool entry `idx` of a platform is, whichever node has it: (Title, KBId, advisory,
/// package, the CVE ids it fixes when open, classification, severity). They depend on the
/// platform and the entry only (and, on Windows, the category), so every node's list
/// shares them; they are made once, the first time a node needs them, and kept.
struct Entry {
    title: String,
    kb_id: String,
    advisory: String,
    package: String,
    cve_ids: String,
    classification: &'static str,
    severity: &'static str,
}

const CATEGORIES: usize = 3;

fn entry(p: &Platform, idx: usize, cat: Category) -> &'static Entry {
    // one write-once slot per platform × pool entry × category: reading a made entry is
    // one load, with no lock and no shared count between the simulator's threads
    type Slots = Box<[std::sync::OnceLock<Entry>]>;
    static TABLES: std::sync::LazyLock<Vec<Slots>> = std::sync::LazyLock::new(|| {
        catalog::PLATFORMS
            .iter()
            .map(|p| {
                (0..pool_size(p) * CATEGORIES)
                    .map(|_| std::sync::OnceLock::new())
                    .collect()
            })
            .collect()
    });
    let make = || {
        let v = mix(platform_hash(p), idx as u64);
        let (classification, severity) = vocabulary(p, cat, v);
        let (title, kb_id, advisory, package) = if p.windows {
            windows_names(p, idx, cat, v)
        } else {
            linux_names(p, idx, v)
        };
        let n = 1 + (v >> 40) % 3;
        let pool = cve_pool_seed(p, idx);
        let cve_ids = (0..n)
            .map(|i| catalog::cve(mix(pool, i)))
            .collect::<Vec<_>>()
            .join(",");
        Entry {
            title,
            kb_id,
            advisory,
            package,
            cve_ids,
            classification,
            severity,
        }
    };
    let slot = catalog::PLATFORMS
        .iter()
        .position(|q| q.key == p.key)
        .and_then(|i| TABLES[i].get(idx * CATEGORIES + cat as usize));
    match slot {
        Some(slot) => slot.get_or_init(make),
        // not a catalog platform or entry (never made by the world): kept all the same
        None => Box::leak(Box::new(make())),
    }
}

/// Seed of the CVE ids a patch fixes, from a pool shared by the whole world: a Linux
/// package's CVEs depend on its base package only (`openssl`, `openssl-libs` and
/// Ubuntu's `libssl3` fix the same CVEs on every platform, account and region), a
/// Windows update's on its monthly slot. So one CVE spans many nodes and accounts, as a
/// real advisory does.
fn cve_pool_seed(p: &Platform, idx: usize) -> u64 {
    if p.windows {
        mix(0x5749_4e44_4f57_5321, (idx % 48) as u64)
    } else {
        mix(
            0x4c49_4e55_5850_4b47,
            (idx / catalog::PKG_VARIANTS.len()) as u64,
        )
    }
}

fn vocabulary(p: &Platform, cat: Category, v: u64) -> (&'static str, &'static str) {
    let alt = (v >> 20).is_multiple_of(2);
    if p.windows {
        return match cat {
            Category::Critical => ("SecurityUpdates", "Critical"),
            Category::Security => (
                "SecurityUpdates",
                if alt { "Important" } else { "Moderate" },
            ),
            Category::Other => (
                [
                    "Updates",
                    "CriticalUpdates",
                    "UpdateRollups",
                    "DefinitionUpdates",
                ][((v >> 24) % 4) as usize],
                "Unspecified",
            ),
        };
    }
    match (p.os, cat) {
        (_, Category::Critical) => ("Security", "Critical"),
        ("UBUNTU", Category::Security) => ("Security", if alt { "High" } else { "Medium" }),
        ("UBUNTU", Category::Other) => ("Recommended", if alt { "Low" } else { "Medium" }),
        ("SUSE", Category::Security) => ("Security", if alt { "Important" } else { "Moderate" }),
        ("SUSE", Category::Other) => ("Recommended", if alt { "Low" } else { "Moderate" }),
        ("REDHAT_ENTERPRISE_LINUX", Category::Security) => {
            ("Security", if alt { "Important" } else { "Moderate" })
        }
        ("REDHAT_ENTERPRISE_LINUX", Category::Other) => {
            (if alt { "Bugfix" } else { "Enhancement" }, "None")
        }
        (_, Category::Security) => ("Security", if alt { "Important" } else { "Medium" }),
        (_, Category::Other) => (
            if alt { "Bugfix" } else { "Enhancement" },
            if alt { "Medium" } else { "Low" },
        ),
    }
}

/// A Linux package of the platform's pool by name (`openssl`, `libssl3`, `openssl-libs`),
/// whether or not a node's patch list has it: (KBId `name.arch`, package as the package
/// manager prints it: `openssl-1:3.0.8-1.amzn2023.0.14.x86_64` / `libssl3_3.0.2-0ubuntu1.12_amd64`).
/// The version is the one a node's patch list gives the same package.
pub fn pool_package(p: &Platform, name: &str) -> Option<(String, String)> {
    if p.windows {
        return None;
    }
    (0..pool_size(p)).find_map(|idx| {
        let v = mix(platform_hash(p), idx as u64);
        let (_, kb_id, _, package) = linux_names(p, idx, v);
        (kb_id.rsplit_once('.').map(|(n, _)| n) == Some(name)).then_some((kb_id, package))
    })
}

/// (Title, KBId, advisory, package NEVRA) of a Linux package.
fn linux_names(p: &Platform, idx: usize, v: u64) -> (String, String, String, String) {
    let base = catalog::LINUX_PACKAGES[idx / catalog::PKG_VARIANTS.len()];
    let variant = catalog::PKG_VARIANTS[idx % catalog::PKG_VARIANTS.len()];
    let ubuntu = p.os == "UBUNTU";
    let name = if ubuntu {
        let base = catalog::UBUNTU_RENAMES
            .iter()
            .find(|(from, _)| *from == base)
            .map(|(_, to)| *to)
            .unwrap_or(base)
            .to_lowercase();
        let variant = match variant {
            "-devel" => "-dev",
            "-libs" => "-lib",
            v => v,
        };
        format!("{base}{variant}")
    } else if p.os == "SUSE" && base == "openssl" {
        format!("libopenssl3{variant}")
    } else {
        format!("{base}{variant}")
    };
    let arch = if matches!(base, "ca-certificates" | "tzdata" | "awscli") {
        if ubuntu { "all" } else { "noarch" }
    } else if ubuntu {
        "amd64"
    } else {
        "x86_64"
    };
    let upstream = known_upstream(base, p.key)
        .map(String::from)
        .unwrap_or_else(|| format!("{}.{}.{}", 1 + v % 9, (v >> 8) % 30, (v >> 16) % 20));
    let rel = 1 + (v >> 24) % 40;
    let build = (v >> 32) % 20;
    let year = 2024 + (v >> 36) % 2;
    let adv_n = (v >> 44) % 900;
    let epoch = if base == "openssl" || base == "bind" {
        1
    } else {
        0
    };
    let (version, advisory) = match p.key {
        "al2023" => (
            format!("{upstream}-{rel}.amzn2023.0.{build}"),
            format!("ALAS2023-{year}-{}", 400 + adv_n),
        ),
        "al2" => (
            format!("{upstream}-{rel}.amzn2.0.{build}"),
            format!("ALAS2-{year}-{}", 2300 + adv_n),
        ),
        "rhel9" => (
            format!("{upstream}-{rel}.el9_4"),
            format!("RHSA-{year}:{}", 1000 + adv_n * 7),
        ),
        "sles15" => (
            format!("{upstream}-150500.{rel}.{build}.1"),
            format!("SUSE-SU-{year}:{}-1", 1000 + adv_n * 3),
        ),
        _ => (
            format!("{upstream}-{}ubuntu{}.{build}", rel % 4, 1 + build % 3),
            format!("USN-{}-1", 6400 + adv_n),
        ),
    };
    if ubuntu {
        let title = format!("{name}.{arch}:{version}");
        let package = format!("{name}_{version}_{arch}");
        (title, format!("{name}.{arch}"), advisory, package)
    } else {
        let title = format!("{name}.{arch}:{epoch}:{version}");
        let package = format!("{name}-{epoch}:{version}.{arch}");
        (title, format!("{name}.{arch}"), advisory, package)
    }
}

/// Upstream versions of well-known packages, per platform (others are made up).
fn known_upstream(base: &str, platform: &str) -> Option<&'static str> {
    const TABLE: &[(&str, [&str; 6])] = &[
        // al2023, al2, ubuntu2204, ubuntu2404, rhel9, sles15
        (
            "openssl",
            ["3.0.8", "1.0.2k", "3.0.2", "3.0.13", "3.0.7", "3.1.4"],
        ),
        (
            "kernel",
            [
                "6.1.115", "5.10.228", "5.15.0", "6.8.0", "5.14.0", "5.14.21",
            ],
        ),
        ("glibc", ["2.34", "2.26", "2.35", "2.39", "2.34", "2.31"]),
        (
            "curl",
            ["8.5.0", "8.3.0", "7.81.0", "8.5.0", "7.76.1", "8.0.1"],
        ),
        (
            "systemd",
            ["252.23", "219", "249.11", "255.4", "252", "254.10"],
        ),
        (
            "bash",
            ["5.2.15", "4.2.46", "5.1", "5.2.21", "5.1.8", "4.4"],
        ),
        (
            "sudo",
            [
                "1.9.15", "1.8.23", "1.9.9", "1.9.15p5", "1.9.5p2", "1.9.12p1",
            ],
        ),
        (
            "openssh",
            ["8.7p1", "7.4p1", "8.9p1", "9.6p1", "8.7p1", "9.3p2"],
        ),
        (
            "python3",
            ["3.9.16", "3.7.16", "3.10.12", "3.12.3", "3.9.18", "3.6.15"],
        ),
        (
            "git",
            ["2.40.1", "2.40.1", "2.34.1", "2.43.0", "2.43.5", "2.43.0"],
        ),
        (
            "nginx",
            ["1.24.0", "1.22.1", "1.18.0", "1.24.0", "1.20.1", "1.21.5"],
        ),
        (
            "docker",
            ["25.0.6", "25.0.6", "24.0.7", "26.1.3", "24.0.9", "24.0.7"],
        ),
        (
            "tzdata",
            ["2024a", "2024a", "2024a", "2024a", "2024a", "2024a"],
        ),
        (
            "zlib",
            ["1.2.11", "1.2.7", "1.2.11", "1.3", "1.2.11", "1.2.13"],
        ),
        (
            "libxml2",
            ["2.10.4", "2.9.1", "2.9.13", "2.9.14", "2.9.13", "2.10.3"],
        ),
        (
            "amazon-ssm-agent",
            [
                "3.3.1611.0",
                "3.3.1611.0",
                "3.3.1611.0",
                "3.3.1611.0",
                "3.3.1611.0",
                "3.3.1611.0",
            ],
        ),
    ];
    let col = match platform {
        "al2023" => 0,
        "al2" => 1,
        "ubuntu2204" => 2,
        "ubuntu2404" => 3,
        "rhel9" => 4,
        _ => 5,
    };
    TABLE.iter().find(|(b, _)| *b == base).map(|(_, v)| v[col])
}

fn windows_names(
    p: &Platform,
    idx: usize,
    cat: Category,
    v: u64,
) -> (String, String, String, String) {
    let kb = 5_000_000 + (idx as u64 * 37 + if p.key == "win2019" { 11 } else { 0 }) % 45_000;
    let ver = if p.key == "win2019" { "2019" } else { "2022" };
    let products = catalog::WINDOWS_PRODUCTS;
    let product = match cat {
        Category::Critical | Category::Security => {
            products[[0usize, 1, 4, 6, 9][((v >> 12) % 5) as usize]]
        }
        Category::Other => products[[2usize, 3, 5, 7, 8][((v >> 12) % 5) as usize]],
    };
    let year = 2023 + (v >> 28) % 3;
    let month = 1 + (v >> 32) % 12;
    let title = format!(
        "{year}-{month:02} {} (KB{kb})",
        product.replace("{ver}", ver)
    );
    let kb_id = format!("KB{kb}");
    (title.clone(), kb_id.clone(), kb_id, title)
}

// ---------------------------------------------------------------------------------------
// Operations

/// `InstancePatchState` of a node that has reported, written as JSON text onto `out`
/// (`sim::json_text`); false (nothing written) for a node that never reported.
pub fn write_patch_state(f: &RegionFleet, n: &NodeRec, out: &mut String) -> bool {
    let Some(r) = n.report.as_ref() else {
        return false;
    };
    let c = n.counts;
    let mut o = Obj::new(out);
    o.str("InstanceId", &n.id)
        .str("PatchGroup", n.patch_group().unwrap_or(""))
        .str("BaselineId", &f.baseline_id_for(n))
        .str("SnapshotId", &r.snapshot_id)
        .str("OwnerInformation", "")
        .num("InstalledCount", c.installed)
        .num("InstalledOtherCount", c.installed_other)
        .num("InstalledPendingRebootCount", c.pending_reboot)
        .num("InstalledRejectedCount", c.rejected)
        .num("MissingCount", c.missing)
        .num("FailedCount", c.failed)
        .num("UnreportedNotApplicableCount", 0)
        .num("NotApplicableCount", c.not_applicable)
        .ts("OperationStartTime", r.start)
        .ts("OperationEndTime", r.end)
        .str("Operation", r.operation.as_str())
        .str(
            "RebootOption",
            if r.reboot_if_needed {
                "RebootIfNeeded"
            } else {
                "NoReboot"
            },
        )
        .num("CriticalNonCompliantCount", c.critical_nc)
        .num("SecurityNonCompliantCount", c.security_nc)
        .num("OtherNonCompliantCount", c.other_nc);
    if n.windows() {
        o.num("AvailableSecurityUpdateCount", c.available_security);
    }
    if let Some(t) = r.last_no_reboot {
        o.ts("LastNoRebootInstallOperationTime", t);
    }
    o.end();
    true
}

/// `{"InstancePatchStates":[..],"NextToken":..}` of reported nodes, written as text.
fn patch_states_page(f: &RegionFleet, nodes: &[&NodeRec], next: Option<String>) -> Value {
    let mut out = String::with_capacity(64 + nodes.len() * 700);
    out.push_str("{\"InstancePatchStates\":[");
    let mut first = true;
    for n in nodes {
        let mark = out.len();
        if !first {
            out.push(',');
        }
        if write_patch_state(f, n, &mut out) {
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    out.push(']');
    if let Some(t) = next {
        out.push_str(",\"NextToken\":");
        push_json_str(&mut out, &t);
    }
    out.push('}');
    crate::sim::protocol::raw_body(out)
}

pub fn describe_instance_patch_states(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeInstancePatchStates";
    let max = page::max_results(input, "MaxResults", 10, 100, 50)?;
    if input.get("InstanceIds").is_none() {
        return Err(page::missing("InstanceIds"));
    }
    let ids = page::str_list(input, "InstanceIds")?;
    let start = page::start_offset(OP, input)?;
    // page over the nodes that have a state; only the page's states are rendered
    let reported: Vec<&NodeRec> = ids
        .iter()
        .filter_map(|id| f.node(id))
        .filter(|n| n.report.is_some())
        .collect();
    let (page_nodes, next) = page::page(OP, input, &reported, start, max);
    Ok(patch_states_page(f, &page_nodes, next))
}

pub fn describe_instance_patch_states_for_patch_group(
    f: &RegionFleet,
    input: &Value,
) -> Result<Value, ApiError> {
    const OP: &str = "DescribeInstancePatchStatesForPatchGroup";
    let max = page::max_results(input, "MaxResults", 10, 100, 50)?;
    let group = page::req_str(input, "PatchGroup")?;
    let filters = page::opt_list(input, "Filters")?;
    let mut parsed = Vec::new();
    for flt in filters {
        let key = page::req_str(flt, "Key")?;
        let values = page::str_list(flt, "Values")?;
        let ty = page::req_str(flt, "Type")?;
        let getter: fn(&PatchCounts) -> u32 = match key {
            "InstalledCount" => |c| c.installed,
            "InstalledOtherCount" => |c| c.installed_other,
            "InstalledPendingRebootCount" => |c| c.pending_reboot,
            "InstalledRejectedCount" => |c| c.rejected,
            "MissingCount" => |c| c.missing,
            "FailedCount" => |c| c.failed,
            "UnreportedNotApplicableCount" => |_| 0,
            "NotApplicableCount" => |c| c.not_applicable,
            _ => {
                return Err(err(
                    "InvalidFilter",
                    format!("The filter key {key} is not valid."),
                ));
            }
        };
        let [value] = values.as_slice() else {
            return Err(err(
                "InvalidFilter",
                format!("Filter {key} needs exactly one value."),
            ));
        };
        let Ok(value) = value.parse::<u32>() else {
            return Err(err(
                "InvalidFilter",
                format!("Filter {key} value {value} is not a non-negative integer."),
            ));
        };
        parsed.push((getter, ty, value));
    }
    let start = page::start_offset(OP, input)?;
    let states: Vec<&NodeRec> = f
        .nodes
        .iter()
        .filter(|n| n.report.is_some() && n.patch_group() == Some(group))
        .filter(|n| {
            parsed.iter().all(|(get, ty, want)| {
                let have = get(&n.counts);
                match *ty {
                    "Equal" => have == *want,
                    "NotEqual" => have != *want,
                    "LessThan" => have < *want,
                    _ => have > *want,
                }
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &states, start, max);
    Ok(patch_states_page(f, &items, next))
}

pub fn describe_instance_patches(f: &RegionFleet, input: &Value) -> Result<Value, ApiError> {
    const OP: &str = "DescribeInstancePatches";
    let max = page::max_results(input, "MaxResults", 10, 100, 50)?;
    let id = page::req_str(input, "InstanceId")?;
    let node = f.node_checked(id)?;
    let filters = page::opt_list(input, "Filters")?;
    let mut parsed: Vec<(&str, Vec<String>)> = Vec::new();
    for flt in filters {
        let key = page::req_str(flt, "Key")?;
        let values: Vec<String> = page::str_list(flt, "Values")?
            .into_iter()
            .map(String::from)
            .collect();
        match key {
            "Classification" | "KBId" | "Severity" => parsed.push((key, values)),
            "State" => {
                let mut states = Vec::new();
                for v in &values {
                    let Some(s) = PState::parse_filter(v) else {
                        return Err(err(
                            "InvalidFilter",
                            format!("The filter value {v} is not valid for key State."),
                        ));
                    };
                    states.push(s.as_str().to_string());
                }
                parsed.push(("State", states));
            }
            _ => {
                return Err(err(
                    "InvalidFilter",
                    format!(
                        "The filter key {key} is not valid. Valid keys: Classification, KBId, Severity, State"
                    ),
                ));
            }
        }
    }
    let start = page::start_offset(OP, input)?;
    if node.report.is_none() {
        return Ok(json!({ "Patches": [] }));
    }
    let all = patch_list_shared(node);
    let list: Vec<&PatchItem> = all
        .iter()
        .filter(|p| {
            parsed.iter().all(|(k, vals)| {
                let have = match *k {
                    "Classification" => p.classification,
                    "KBId" => &*p.kb_id,
                    "Severity" => p.severity,
                    _ => p.state.as_str(),
                };
                vals.iter().any(|v| v == have)
            })
        })
        .collect();
    let (items, next) = page::page(OP, input, &list, start, max);
    // written as text: the same JSON as `PatchItem::json` (a test holds them equal)
    let mut out = String::with_capacity(64 + items.len() * 256);
    out.push_str("{\"Patches\":[");
    for (i, p) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        p.write_json(&mut out);
    }
    out.push(']');
    if let Some(t) = next {
        out.push_str(",\"NextToken\":");
        push_json_str(&mut out, &t);
    }
    out.push('}');
    Ok(crate::sim::protocol::raw_body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_written_as_text_are_the_same_json() {
        let item = PatchItem {
            title: "openssl \"quoted\" \u{1b}[31m",
            kb_id: "openssl.x86_64",
            classification: "Security",
            severity: "Critical",
            state: PState::Missing,
            installed_time: None,
            cve_ids: "CVE-2026-1,CVE-2026-2",
            advisory: "",
            package: "",
        };
        let installed = PatchItem {
            state: PState::Installed,
            installed_time: Some(chrono::Utc::now()),
            cve_ids: "",
            ..item.clone()
        };
        for p in [item, installed] {
            let mut text = String::new();
            p.write_json(&mut text);
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, p.json(), "{text}");
        }
    }

    #[test]
    fn filter_states_parse_in_any_case() {
        assert_eq!(
            PState::parse_filter("InstalledPendingReboot"),
            Some(PState::InstalledPendingReboot)
        );
        assert_eq!(PState::parse_filter("missing"), Some(PState::Missing));
        assert_eq!(
            PState::parse_filter("INSTALLED_OTHER"),
            Some(PState::InstalledOther)
        );
        assert_eq!(PState::parse_filter("Broken"), None);
    }
}
