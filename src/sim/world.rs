//! The generated organization (OUs, accounts, roles, delegated administrator), derived from
//! `SimConfig::seed`. The container of every service's data, [`World`], lives in the
//! simulator's root module (re-exported here), so the services' data modules (ACM, SSM)
//! can read the organization without a circle back to the container.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

pub use super::World;
use super::rng::Rng;
use super::{AccountSeed, SimConfig};

/// The role every created member account has, with admin rights (trusts the management account).
pub const ADMIN_ROLE: &str = "OrganizationAccountAccessRole";
/// A read-only role in every created member account (trusts the management account and the
/// delegated administrator).
pub const READONLY_ROLE: &str = "SSMDeckReadOnly";
/// The service principal whose delegated administrator may call the Organizations list APIs.
pub const SSM_PRINCIPAL: &str = "ssm.amazonaws.com";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Suspended,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "ACTIVE",
            AccountStatus::Suspended => "SUSPENDED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinedMethod {
    Created,
    Invited,
}

impl JoinedMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinedMethod::Created => "CREATED",
            JoinedMethod::Invited => "INVITED",
        }
    }
}

/// An IAM role the simulator lets callers assume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    /// Accounts whose principals the role's trust policy allows.
    pub trusted_accounts: Vec<String>,
    pub max_session_secs: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgUnit {
    /// `r-xxxx` for the root, `ou-xxxx-yyyyyyyy` otherwise.
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// Names from the root: `Root/Workloads/Prod`.
    pub name_path: String,
    /// Organizations `Path`: `o-xxxxxxxxxx/r-xxxx/ou-xxxx-yyyyyyyy/`.
    pub id_path: String,
    pub arn: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub arn: String,
    pub parent_id: String,
    /// `Root/Workloads/Prod`.
    pub ou_path: String,
    /// Organizations `Paths[0]`: `o-x/r-y/ou-a/ou-b/<id>/`.
    pub id_path: String,
    pub status: AccountStatus,
    pub joined_method: JoinedMethod,
    pub joined: DateTime<Utc>,
    pub roles: Vec<Role>,
}

impl Account {
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegatedAdmin {
    pub account_id: String,
    pub service_principal: String,
    pub enabled: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// `o-xxxxxxxxxx`.
    pub id: String,
    pub arn: String,
    pub management_account_id: String,
    /// The company's DNS domain (emails, certificate names).
    pub domain: String,
    /// The root first, then every OU, parents before children.
    pub units: Vec<OrgUnit>,
    pub accounts: Vec<Account>,
    pub delegated_admins: Vec<DelegatedAdmin>,
}

/// Where an account of the template goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Root,
    Prod,
    Staging,
    Dev,
    Security,
    Infrastructure,
    Sandbox,
    Suspended,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Management,
    Created,
    Invited,
    Suspended,
    DelegatedAdmin,
}

/// The first accounts, in the order they are created (so small organizations still have
/// the interesting cases): 12 by default.
const TEMPLATE: &[(&str, Place, Kind)] = &[
    ("management", Place::Root, Kind::Management),
    ("payments-prod", Place::Prod, Kind::Created),
    ("payments-staging", Place::Staging, Kind::Created),
    ("platform-dev", Place::Dev, Kind::Created),
    ("ops-tooling", Place::Infrastructure, Kind::DelegatedAdmin),
    ("legacy-datacenter", Place::Suspended, Kind::Suspended),
    ("acquired-analytics", Place::Sandbox, Kind::Invited),
    ("web-prod", Place::Prod, Kind::Created),
    ("data-prod", Place::Prod, Kind::Created),
    ("web-staging", Place::Staging, Kind::Created),
    ("security-audit", Place::Security, Kind::Created),
    ("log-archive", Place::Security, Kind::Created),
];

const TEAMS: &[&str] = &[
    "checkout",
    "search",
    "identity",
    "billing",
    "catalog",
    "mobile-api",
    "ledger",
    "risk",
    "fraud",
    "ml-platform",
    "reporting",
    "notifications",
    "inventory",
    "shipping",
    "pricing",
    "recommendations",
    "media",
    "crm",
    "support",
    "hr-apps",
    "finance",
    "edge",
    "streaming",
    "iot",
    "maps",
    "warehouse",
    "orders",
    "loyalty",
    "partners",
    "compliance",
    "growth",
    "payments",
    "web",
    "data",
    "platform",
    "observability",
    "gateway",
    "auth",
    "docs",
    "erp",
];

const COMPANIES: &[(&str, &str)] = &[
    ("acme", "acmecorp.io"),
    ("globex", "globex-corp.net"),
    ("initech", "initech.dev"),
    ("umbrella", "umbrella-labs.com"),
    ("hooli", "hooli.xyz"),
    ("stark", "starkindustries.io"),
    ("wayne", "wayne-ent.com"),
    ("tyrell", "tyrell.systems"),
];

fn lower_alnum(rng: &mut Rng, n: usize) -> String {
    const CH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| CH[rng.below(CH.len() as u64) as usize] as char)
        .collect()
}

impl Organization {
    pub fn generate(cfg: &SimConfig, epoch: DateTime<Utc>) -> Organization {
        let mut rng = Rng::derive(cfg.seed, "organization");
        let (company, domain) = *rng.pick(COMPANIES);
        let org_id = format!("o-{}", lower_alnum(&mut rng, 10));
        let root_id = format!("r-{}", lower_alnum(&mut rng, 4));
        let root_suffix = root_id[2..].to_string();

        // Account ids first: the management account's id is in every ARN.
        let mut used = HashSet::new();
        let mut ids = Vec::with_capacity(cfg.accounts);
        while ids.len() < cfg.accounts {
            let id = format!("{:012}", rng.range(100_000_000_000, 999_999_999_999));
            if used.insert(id.clone()) {
                ids.push(id);
            }
        }
        let mgmt = ids[0].clone();
        let arn_base = format!("arn:aws:organizations::{mgmt}");

        // OU tree.
        let mut units = vec![OrgUnit {
            id: root_id.clone(),
            name: "Root".into(),
            parent_id: None,
            name_path: "Root".into(),
            id_path: format!("{org_id}/{root_id}/"),
            arn: format!("{arn_base}:root/{org_id}/{root_id}"),
        }];
        let add_ou = |units: &mut Vec<OrgUnit>, rng: &mut Rng, name: &str, parent: usize| {
            let id = format!("ou-{root_suffix}-{}", lower_alnum(rng, 8));
            let p = units[parent].clone();
            units.push(OrgUnit {
                id: id.clone(),
                name: name.into(),
                parent_id: Some(p.id.clone()),
                name_path: format!("{}/{name}", p.name_path),
                id_path: format!("{}{id}/", p.id_path),
                arn: format!("{arn_base}:ou/{org_id}/{id}"),
            });
            units.len() - 1
        };
        let workloads = add_ou(&mut units, &mut rng, "Workloads", 0);
        let prod = add_ou(&mut units, &mut rng, "Prod", workloads);
        let staging = add_ou(&mut units, &mut rng, "Staging", workloads);
        let dev = add_ou(&mut units, &mut rng, "Dev", workloads);
        let security = add_ou(&mut units, &mut rng, "Security", 0);
        let infra = add_ou(&mut units, &mut rng, "Infrastructure", 0);
        let sandbox = add_ou(&mut units, &mut rng, "Sandbox", 0);
        let suspended = add_ou(&mut units, &mut rng, "Suspended", 0);
        let unit_of = |p: Place| match p {
            Place::Root => 0,
            Place::Prod => prod,
            Place::Staging => staging,
            Place::Dev => dev,
            Place::Security => security,
            Place::Infrastructure => infra,
            Place::Sandbox => sandbox,
            Place::Suspended => suspended,
        };

        // Who goes where.
        let mut plan: Vec<(String, Place, Kind)> = Vec::with_capacity(cfg.accounts);
        let mut names: HashSet<String> = HashSet::new();
        for i in 0..cfg.accounts {
            let (name, place, kind) = if let Some(&(n, p, k)) = TEMPLATE.get(i) {
                let n = if k == Kind::Management {
                    format!("{company}-management")
                } else {
                    n.to_string()
                };
                (n, p, k)
            } else {
                let place = *rng.weighted(&[
                    (Place::Prod, 30),
                    (Place::Staging, 20),
                    (Place::Dev, 25),
                    (Place::Sandbox, 13),
                    (Place::Security, 4),
                    (Place::Infrastructure, 8),
                ]);
                let env = match place {
                    Place::Prod => "prod",
                    Place::Staging => "staging",
                    Place::Dev => "dev",
                    Place::Sandbox => "sandbox",
                    Place::Security => "security",
                    _ => "shared",
                };
                let team = rng.pick(TEAMS);
                let mut name = format!("{team}-{env}");
                let mut n = 2;
                while names.contains(&name) {
                    name = format!("{team}-{env}-{n}");
                    n += 1;
                }
                (name, place, Kind::Created)
            };
            names.insert(name.clone());
            plan.push((name, place, kind));
        }

        let delegated_id = plan
            .iter()
            .position(|(_, _, k)| *k == Kind::DelegatedAdmin)
            .map(|i| ids[i].clone());

        // Joined timestamps: the organization is a few years old.
        let founded = epoch - Duration::days(rng.range(4 * 365, 7 * 365));
        let span_secs = (epoch - Duration::days(20) - founded).num_seconds().max(1);
        let mut accounts = Vec::with_capacity(cfg.accounts);
        for (i, (name, place, kind)) in plan.into_iter().enumerate() {
            let id = ids[i].clone();
            let unit = &units[unit_of(place)];
            let joined = if kind == Kind::Management {
                founded
            } else {
                founded + Duration::seconds(rng.range(3600, span_secs))
            };
            let email = if kind == Kind::Management {
                format!("aws-root@{domain}")
            } else if kind == Kind::Invited {
                format!("aws-admin@{name}.example.com")
            } else {
                format!("aws+{name}@{domain}")
            };
            let mut trusted_ro = vec![mgmt.clone()];
            if let Some(d) = &delegated_id
                && d != &id
            {
                trusted_ro.push(d.clone());
            }
            let roles = match kind {
                Kind::Management | Kind::Invited => Vec::new(),
                _ => vec![
                    Role {
                        name: ADMIN_ROLE.into(),
                        trusted_accounts: vec![mgmt.clone()],
                        max_session_secs: 3600,
                    },
                    Role {
                        name: READONLY_ROLE.into(),
                        trusted_accounts: trusted_ro,
                        max_session_secs: 43_200,
                    },
                ],
            };
            accounts.push(Account {
                arn: format!("{arn_base}:account/{org_id}/{id}"),
                id_path: format!("{}{id}/", unit.id_path),
                id,
                name,
                email,
                parent_id: unit.id.clone(),
                ou_path: unit.name_path.clone(),
                status: if kind == Kind::Suspended {
                    AccountStatus::Suspended
                } else {
                    AccountStatus::Active
                },
                joined_method: if kind == Kind::Invited {
                    JoinedMethod::Invited
                } else {
                    JoinedMethod::Created
                },
                joined,
                roles,
            });
        }
        let delegated_admins = delegated_id
            .into_iter()
            .map(|account_id| DelegatedAdmin {
                account_id,
                service_principal: SSM_PRINCIPAL.into(),
                enabled: epoch - Duration::days(rng.range(30, 400)),
            })
            .collect();

        Organization {
            arn: format!("{arn_base}:organization/{org_id}"),
            id: org_id,
            management_account_id: mgmt,
            domain: domain.to_string(),
            units,
            accounts,
            delegated_admins,
        }
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn unit(&self, id: &str) -> Option<&OrgUnit> {
        self.units.iter().find(|u| u.id == id)
    }

    pub fn root(&self) -> &OrgUnit {
        &self.units[0]
    }

    pub fn management(&self) -> &Account {
        &self.accounts[0]
    }

    /// OUs directly under `parent_id`.
    pub fn child_units(&self, parent_id: &str) -> Vec<&OrgUnit> {
        self.units
            .iter()
            .filter(|u| u.parent_id.as_deref() == Some(parent_id))
            .collect()
    }

    /// Accounts directly under `parent_id`.
    pub fn child_accounts(&self, parent_id: &str) -> Vec<&Account> {
        self.accounts
            .iter()
            .filter(|a| a.parent_id == parent_id)
            .collect()
    }

    /// Whether `account_id` is a delegated administrator (for any service).
    pub fn is_delegated_admin(&self, account_id: &str) -> bool {
        self.delegated_admins
            .iter()
            .any(|d| d.account_id == account_id)
    }

    /// The accounts as the SSM fleet generator sees them.
    pub fn account_seeds(&self) -> Vec<AccountSeed> {
        self.accounts
            .iter()
            .map(|a| AccountSeed {
                id: a.id.clone(),
                name: a.name.clone(),
                ou_path: a.ou_path.clone(),
                active: a.status == AccountStatus::Active,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn epoch() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn default_org_has_the_interesting_accounts() {
        let org = Organization::generate(&SimConfig::default(), epoch());
        assert_eq!(org.accounts.len(), 12);
        assert_eq!(org.management().parent_id, org.root().id);
        let suspended: Vec<_> = org
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Suspended)
            .collect();
        assert_eq!(suspended.len(), 1);
        assert_eq!(suspended[0].ou_path, "Root/Suspended");
        let invited: Vec<_> = org
            .accounts
            .iter()
            .filter(|a| a.joined_method == JoinedMethod::Invited)
            .collect();
        assert_eq!(invited.len(), 1);
        assert!(invited[0].roles.is_empty());
        assert!(org.management().roles.is_empty());
        assert_eq!(org.delegated_admins.len(), 1);
        // Three levels: Root → Workloads → Prod.
        assert!(
            org.units
                .iter()
                .any(|u| u.name_path == "Root/Workloads/Prod")
        );
        assert!(org.accounts.iter().all(|a| a.id.len() == 12));
        let ids: HashSet<_> = org.accounts.iter().map(|a| &a.id).collect();
        assert_eq!(ids.len(), 12);
    }

    #[test]
    fn scales_to_500_accounts_with_unique_names() {
        let cfg = SimConfig {
            accounts: 500,
            ..SimConfig::default()
        };
        let org = Organization::generate(&cfg, epoch());
        assert_eq!(org.accounts.len(), 500);
        let names: HashSet<_> = org.accounts.iter().map(|a| &a.name).collect();
        assert_eq!(names.len(), 500);
        for u in &org.units[1..] {
            assert!(!org.child_accounts(&u.id).is_empty() || u.name == "Workloads");
        }
    }

    #[test]
    fn same_seed_same_org_other_seed_other_org() {
        let a = Organization::generate(&SimConfig::default(), epoch());
        let b = Organization::generate(&SimConfig::default(), epoch());
        assert_eq!(a, b);
        let c = Organization::generate(
            &SimConfig {
                seed: 7,
                ..SimConfig::default()
            },
            epoch(),
        );
        assert_ne!(a.management_account_id, c.management_account_id);
    }
}
