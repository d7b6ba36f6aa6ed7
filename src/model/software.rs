//! Software inventory across the organization: GetInventory aggregations (application
//! name → version → node count) per account × region, merged; platform versions; SSM agent
//! versions; drift (versions other than the application's newest), and which accounts ×
//! regions could not be read (said, never silently left out).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::node::Node;

/// One version of an application across the fleet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareVersion {
    pub version: String,
    pub nodes: u64,
    pub accounts: BTreeSet<String>,
    /// Differs from the application's newest version.
    pub drift: bool,
}

/// One application (by name) across the fleet, versions newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub name: String,
    pub versions: Vec<SoftwareVersion>,
    /// Node × version rows summed (a node with two versions counts twice).
    pub nodes: u64,
    pub accounts: BTreeSet<String>,
    pub newest: String,
    /// The version most nodes run.
    pub majority: String,
}

impl Application {
    /// Versions other than the newest.
    pub fn drifted(&self) -> usize {
        self.versions.iter().filter(|v| v.drift).count()
    }
}

/// An account × region (or a whole account, `region == None`) whose inventory could not be
/// read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareMissing {
    pub account_id: String,
    pub region: Option<String>,
    pub code: String,
    pub message: String,
}

/// The merged software picture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareInventory {
    pub applications: Vec<Application>,
    /// (platform name, version) → nodes.
    pub platforms: Vec<(String, String, u64)>,
    /// SSM agent version → nodes (from the snapshot's DescribeInstanceInformation).
    pub agents: Vec<(String, u64)>,
    /// Account × region units read.
    pub units_read: usize,
    pub missing: Vec<SoftwareMissing>,
}

impl SoftwareInventory {
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// Accounts with anything missing.
    pub fn missing_accounts(&self) -> BTreeSet<&str> {
        self.missing.iter().map(|m| m.account_id.as_str()).collect()
    }

    /// Agent versions of the snapshot's nodes, newest first.
    pub fn set_agents(&mut self, nodes: &[Node]) {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for n in nodes {
            if !n.agent_version.is_empty() {
                *m.entry(n.agent_version.to_string()).or_default() += 1;
            }
        }
        let mut v: Vec<(String, u64)> = m.into_iter().collect();
        v.sort_by(|a, b| compare_versions(&b.0, &a.0));
        self.agents = v;
    }
}

/// Compare version strings by their number and text runs (`3.0.10` > `3.0.9`,
/// `1.9.15p5` > `1.9.15`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            let split = i == bytes.len()
                || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit()
                || !bytes[i].is_ascii_alphanumeric()
                || !bytes[i - 1].is_ascii_alphanumeric();
            if split {
                let part = &s[start..i];
                if part.bytes().any(|b| b.is_ascii_alphanumeric()) {
                    out.push((part.as_bytes()[0].is_ascii_digit(), part));
                }
                start = i;
            }
        }
        out
    }
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(rb.iter()) {
        let o = match (x.0, y.0) {
            (true, true) => {
                let (p, q) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                p.len().cmp(&q.len()).then_with(|| p.cmp(q))
            }
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.1.cmp(y.1),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ra.len().cmp(&rb.len()).then_with(|| a.cmp(b))
}

/// Merges per-unit aggregation rows into a [`SoftwareInventory`].
#[derive(Debug, Default)]
pub struct SoftwareMerger {
    apps: BTreeMap<String, BTreeMap<String, (u64, BTreeSet<String>)>>,
    platforms: BTreeMap<(String, String), u64>,
    units_read: usize,
    failures: BTreeMap<String, Vec<(String, String, String)>>,
}

impl SoftwareMerger {
    /// One account × region read: (name, version, nodes) rows and platform rows.
    pub fn add_unit(
        &mut self,
        account: &str,
        apps: &[(String, String, u64)],
        platforms: &[(String, String, u64)],
    ) {
        self.units_read += 1;
        for (name, version, count) in apps {
            let e = self
                .apps
                .entry(name.clone())
                .or_default()
                .entry(version.clone())
                .or_default();
            e.0 += count;
            e.1.insert(account.to_string());
        }
        for (name, version, count) in platforms {
            *self
                .platforms
                .entry((name.clone(), version.clone()))
                .or_default() += count;
        }
    }

    /// One account × region that failed.
    pub fn add_failure(&mut self, account: &str, region: &str, code: &str, message: &str) {
        self.failures.entry(account.to_string()).or_default().push((
            region.to_string(),
            code.to_string(),
            message.to_string(),
        ));
    }

    /// The merged picture. `regions_per_account`: an account all of whose regions failed
    /// with the same code (AccessDenied, typically) is one entry, not one per region.
    pub fn finish(self, regions_per_account: usize) -> SoftwareInventory {
        let mut applications: Vec<Application> = self
            .apps
            .into_iter()
            .map(|(name, versions)| {
                let mut vs: Vec<SoftwareVersion> = versions
                    .into_iter()
                    .map(|(version, (nodes, accounts))| SoftwareVersion {
                        version,
                        nodes,
                        accounts,
                        drift: false,
                    })
                    .collect();
                vs.sort_by(|a, b| compare_versions(&b.version, &a.version));
                let newest = vs.first().map(|v| v.version.clone()).unwrap_or_default();
                let majority = vs
                    .iter()
                    .max_by(|a, b| {
                        a.nodes
                            .cmp(&b.nodes)
                            .then_with(|| compare_versions(&a.version, &b.version))
                    })
                    .map(|v| v.version.clone())
                    .unwrap_or_default();
                for v in &mut vs {
                    v.drift = v.version != newest;
                }
                let accounts = vs.iter().flat_map(|v| v.accounts.iter().cloned()).collect();
                Application {
                    nodes: vs.iter().map(|v| v.nodes).sum(),
                    name,
                    versions: vs,
                    accounts,
                    newest,
                    majority,
                }
            })
            .collect();
        applications.sort_by_key(|a| a.name.to_lowercase());
        let mut platforms: Vec<(String, String, u64)> = self
            .platforms
            .into_iter()
            .map(|((n, v), c)| (n, v, c))
            .collect();
        platforms.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        let mut missing = Vec::new();
        for (account, fails) in self.failures {
            let same = fails.windows(2).all(|w| w[0].1 == w[1].1);
            if fails.len() >= regions_per_account.max(1) && same {
                let (_, code, message) = &fails[0];
                missing.push(SoftwareMissing {
                    account_id: account,
                    region: None,
                    code: code.clone(),
                    message: message.clone(),
                });
            } else {
                for (region, code, message) in fails {
                    missing.push(SoftwareMissing {
                        account_id: account.clone(),
                        region: Some(region),
                        code,
                        message,
                    });
                }
            }
        }
        SoftwareInventory {
            applications,
            platforms,
            agents: Vec::new(),
            units_read: self.units_read,
            missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(compare_versions("3.0.10", "3.0.9"), Ordering::Greater);
        assert_eq!(compare_versions("1.9.15p5", "1.9.15"), Ordering::Greater);
        assert_eq!(
            compare_versions("3.3.1611.0", "3.3.987.0"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("2.0", "2.0"), Ordering::Equal);
    }

    #[test]
    fn merged_with_drift_and_one_error_per_denied_account() {
        let mut m = SoftwareMerger::default();
        m.add_unit(
            "111",
            &[
                ("openssl".into(), "3.0.8".into(), 5),
                ("openssl".into(), "3.0.7".into(), 2),
            ],
            &[],
        );
        m.add_unit("222", &[("openssl".into(), "3.0.8".into(), 1)], &[]);
        m.add_failure("333", "us-east-1", "AccessDeniedException", "no");
        m.add_failure("333", "eu-west-1", "AccessDeniedException", "no");
        m.add_failure("444", "us-east-1", "ThrottlingException", "slow");
        let inv = m.finish(2);
        let app = &inv.applications[0];
        assert_eq!(app.newest, "3.0.8");
        assert_eq!(app.majority, "3.0.8");
        assert_eq!(app.nodes, 8);
        assert_eq!(app.accounts.len(), 2);
        assert_eq!(app.drifted(), 1);
        assert!(app.versions.iter().any(|v| v.version == "3.0.7" && v.drift));
        assert_eq!(inv.missing.len(), 2);
        assert!(
            inv.missing
                .iter()
                .any(|x| x.account_id == "333" && x.region.is_none())
        );
        assert!(
            inv.missing
                .iter()
                .any(|x| x.account_id == "444" && x.region.is_some())
        );
        assert!(!inv.is_complete());
    }
}
