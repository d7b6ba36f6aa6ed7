//! Describe documents (k9s `d`) and raw JSON (k9s `y`) for whatever row the user points at.
//!
//! A [`Doc`] is plain, already-sanitized text in labelled sections plus the record it was
//! built from as JSON. One function per row kind builds it ([`node`], [`certificate`],
//! [`patch`], [`command`], [`invocation`], [`error`], [`account`], [`ou`]); each view's
//! `View::describe` hook (`contract.rs`) returns the one for its selected row. **Adding a
//! kind** (a maintenance window, a baseline, …): write `pub fn window(snap, &Window, now)
//! -> Doc` here and return it from your view's `describe`; the describe pane
//! (`views/describe.rs`) draws, scrolls, searches and copies every `Doc` the same way, and
//! `d`, `y` and `:describe` work in your view with nothing else to register.
//!
//! Remote text goes through [`crate::text::sanitize`] when the document is built, so the pane
//! never draws a raw remote byte. The raw view is `serde_json` of the domain record
//! (`crate::model`): the fields the data layer kept from the API responses, with the API's
//! values (JSON escaping keeps control characters out of the terminal).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::data::Data;
use super::super::table::RowSource;
use super::super::theme::Role;
use super::fmt::age;
use crate::model::{
    Account, Certificate, CollectError, CommandInvocation, CommandSummary, ComplianceRollup,
    FleetSnapshot, MissingKind, Node, NodeKey, OrgUnit, Patch,
};
use crate::text::{sanitize, sanitize_multiline};

/// One line of a describe document.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A section heading.
    Heading(String),
    /// `Label: value` (the value wraps under itself).
    Field {
        label: String,
        value: String,
        role: Role,
    },
    /// `Label:` then one value per line (SANs, CVE ids, InUseBy ARNs).
    List { label: String, values: Vec<String> },
    /// Free text (an error message, command output), one entry per line.
    Text { text: String, role: Role },
}

/// What `d` shows and `y` serialises.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// Row kind: `node`, `certificate`, `patch`, `command`, `invocation`, `error`,
    /// `account`, `ou`, `row`.
    pub kind: &'static str,
    /// The id / ARN of the record (sanitized).
    pub id: String,
    /// Pane title.
    pub title: String,
    pub items: Vec<Item>,
    /// The record as JSON (pretty-printed by [`Doc::raw_text`]).
    pub raw: serde_json::Value,
}

impl Doc {
    pub fn new(kind: &'static str, id: &str, title: String, raw: &impl Serialize) -> Doc {
        Doc {
            kind,
            id: sanitize(id),
            title: sanitize(&title),
            items: Vec::new(),
            raw: serde_json::to_value(raw).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn heading(&mut self, h: &str) -> &mut Self {
        self.items.push(Item::Heading(h.to_string()));
        self
    }

    /// A field; remote `value`s are sanitized here.
    pub fn field(&mut self, label: &str, value: impl AsRef<str>) -> &mut Self {
        self.field_as(label, value, Role::Text)
    }

    pub fn field_as(&mut self, label: &str, value: impl AsRef<str>, role: Role) -> &mut Self {
        self.items.push(Item::Field {
            label: label.to_string(),
            value: sanitize(value.as_ref()),
            role,
        });
        self
    }

    /// A field only when `value` is not empty.
    pub fn opt(&mut self, label: &str, value: impl AsRef<str>) -> &mut Self {
        if !value.as_ref().trim().is_empty() {
            self.field(label, value);
        }
        self
    }

    pub fn list(&mut self, label: &str, values: &[String]) -> &mut Self {
        self.items.push(Item::List {
            label: label.to_string(),
            values: if values.is_empty() {
                vec!["(none)".into()]
            } else {
                values.iter().map(|v| sanitize(v)).collect()
            },
        });
        self
    }

    /// Multi-line remote text (kept line by line, sanitized).
    pub fn text(&mut self, text: &str, role: Role) -> &mut Self {
        for l in sanitize_multiline(text).lines() {
            self.items.push(Item::Text {
                text: l.to_string(),
                role,
            });
        }
        self
    }

    /// Plain text of the document (what `c` copies in the describe view).
    pub fn plain_text(&self) -> String {
        let w = self.label_width();
        let mut out = format!("{}\n", self.title);
        for it in &self.items {
            match it {
                Item::Heading(h) => out.push_str(&format!("\n{h}\n")),
                Item::Field { label, value, .. } => {
                    out.push_str(&format!("  {label:<w$}  {value}\n"));
                }
                Item::List { label, values } => {
                    for (i, v) in values.iter().enumerate() {
                        let l = if i == 0 { label.as_str() } else { "" };
                        out.push_str(&format!("  {l:<w$}  {v}\n"));
                    }
                }
                Item::Text { text, .. } => out.push_str(&format!("  {text}\n")),
            }
        }
        out
    }

    /// The record as pretty JSON (what `y` shows and `c` copies there).
    pub fn raw_text(&self) -> String {
        serde_json::to_string_pretty(&self.raw).unwrap_or_default()
    }

    /// Width of the label column (longest label, at most 22).
    pub fn label_width(&self) -> usize {
        self.items
            .iter()
            .map(|i| match i {
                Item::Field { label, .. } | Item::List { label, .. } => label.chars().count(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
            .min(22)
    }
}

fn when(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!(
            "{} ({} ago)",
            t.format("%Y-%m-%d %H:%M:%SZ"),
            age(now, Some(t))
        ),
        None => "-".into(),
    }
}

fn account_label(snap: &FleetSnapshot, id: &str) -> String {
    let name = snap.account_name(id);
    if name == id || name.is_empty() {
        id.to_string()
    } else {
        format!("{name} ({id})")
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The collection errors and gaps covering an account (all regions when `region` is None).
fn coverage(doc: &mut Doc, snap: &FleetSnapshot, account_id: &str, region: Option<&str>) {
    let errs: Vec<&CollectError> = snap
        .errors
        .iter()
        .filter(|e| {
            e.account_id.as_deref() == Some(account_id)
                && region.is_none_or(|r| e.region.as_deref().is_none_or(|er| er == r))
        })
        .collect();
    let gaps: Vec<String> = snap
        .missing
        .iter()
        .filter(|m| {
            m.account_id.as_deref() == Some(account_id)
                && region.is_none_or(|r| m.region.as_deref().is_none_or(|mr| mr == r))
        })
        .map(|m| m.describe())
        .collect();
    if errs.is_empty() && gaps.is_empty() {
        return;
    }
    doc.heading("Collection errors");
    for e in errs {
        doc.field_as(
            &format!("{}:{}", e.service, e.operation),
            format!(
                "{} {} — {}",
                e.region.as_deref().unwrap_or("(all regions)"),
                e.code,
                e.message
            ),
            Role::Error,
        );
    }
    if !gaps.is_empty() {
        doc.list("Not read", &gaps);
    }
}

fn rollup(doc: &mut Doc, r: &ComplianceRollup) {
    doc.heading("Compliance (node counts)");
    doc.field("Nodes", r.nodes.to_string())
        .field("Compliant", r.compliant.to_string())
        .field("Non-compliant", r.non_compliant.to_string())
        .field("Unreported", r.unreported.to_string())
        .field("With critical", r.critical.to_string())
        .field("With security", r.security.to_string())
        .field("With failed", r.with_failed.to_string())
        .field("Pending reboot", r.pending_reboot.to_string())
        .field("Stale", r.stale.to_string())
        .field("Online / offline", format!("{} / {}", r.online, r.offline))
        .field("Missing patches", r.missing_patches.to_string())
        .field("Certs ≤30 days", r.certs_expiring_30.to_string());
}

/// A managed node.
pub fn node(snap: &FleetSnapshot, n: &Node, now: DateTime<Utc>) -> Doc {
    let title = if n.name.is_empty() {
        format!("node {}", n.instance_id)
    } else {
        format!("node {} ({})", n.instance_id, n.name)
    };
    let mut d = Doc::new("node", &n.instance_id, title, n);
    d.heading("Identity")
        .field("Instance ID", &n.instance_id)
        .opt("Name", &n.name)
        .opt("Computer name", &n.computer_name)
        .opt("IP address", &n.ip_address)
        .field("Account", account_label(snap, &n.account_id));
    if let Some(a) = snap.account(&n.account_id) {
        d.opt("OU path", &a.ou_path);
    }
    d.field("Region", &n.region)
        .opt("Resource type", n.resource_type.as_ref())
        .field(
            "Platform",
            format!(
                "{} {} ({})",
                n.platform_name.as_ref() as &str,
                n.platform_version.as_ref() as &str,
                n.platform_type.as_str()
            ),
        )
        .field(
            "SSM Agent",
            format!(
                "{}{}",
                n.agent_version.as_ref() as &str,
                if n.agent_outdated {
                    " (a newer version exists)"
                } else {
                    ""
                }
            ),
        )
        .opt("IAM role", n.iam_role.as_deref().unwrap_or(""))
        .field("Registered", when(n.registration_date, now));
    d.heading("Connectivity")
        .field("Ping", n.ping_status.as_str())
        .field("Last ping", when(n.last_ping, now));
    d.heading("Patching")
        .field("Compliance", n.compliance.as_str())
        .field(
            "Patch group",
            n.patch_group
                .as_deref()
                .filter(|g| !g.is_empty())
                .unwrap_or("(none)"),
        )
        .field(
            "Baseline",
            // its name with its id, when the baselines were read
            match (snap.schedules.baseline_of(n), n.baseline_id.as_deref()) {
                (Some(b), Some(id)) => format!("{} ({id})", b.name),
                (None, Some(id)) => id.to_string(),
                (_, None) => "-".into(),
            },
        );
    if n.has_patch_state() {
        d.field(
            "Last operation",
            n.last_operation.as_ref().map(|o| o.as_str()).unwrap_or("-"),
        )
        .field("Started", when(n.last_operation_start, now))
        .field("Ended", when(n.last_operation_end, now))
        .field(
            "Reboot option",
            n.reboot_option.as_ref().map(|r| r.as_str()).unwrap_or("-"),
        )
        .field("Installed", n.installed.to_string())
        .field("Installed other", n.installed_other.to_string())
        .field("Pending reboot", n.installed_pending_reboot.to_string())
        .field("Rejected", n.installed_rejected.to_string())
        .field("Missing", n.missing.to_string())
        .field("Failed", n.failed.to_string())
        .field("Not applicable", n.not_applicable.to_string())
        // AWS's *NonCompliantCount: missing, failed and the like, not missing alone
        .field("Critical non-compl.", n.critical_noncompliant.to_string())
        .field("Security non-compl.", n.security_noncompliant.to_string())
        .field("Other non-compl.", n.other_noncompliant.to_string());
    } else {
        d.field_as(
            "Last operation",
            "never scanned (no patch state reported)",
            Role::Warning,
        );
    }
    node_tags(&mut d, snap, n);
    coverage(&mut d, snap, &n.account_id, Some(&n.region));
    d
}

/// The node's tags (read on the patch schedules' cadence), one field per tag.
fn node_tags(d: &mut Doc, snap: &FleetSnapshot, n: &Node) {
    let key = n.key();
    d.heading("Tags");
    match snap.schedules.tags.of(&key) {
        Some(tags) if !tags.is_empty() => {
            let mut tags: Vec<_> = tags.iter().collect();
            tags.sort_by_key(|t| (t.key != "Name", t.key.to_ascii_lowercase()));
            for t in tags {
                d.field(&sanitize(&t.key), &t.value);
            }
        }
        _ => {
            d.field_as("Tags", snap.schedules.tags.label(&key), Role::Muted);
        }
    }
}

/// An ACM certificate: everything collected, including what no column shows.
pub fn certificate(snap: &FleetSnapshot, c: &Certificate, now: DateTime<Utc>) -> Doc {
    let mut d = Doc::new(
        "certificate",
        &c.arn,
        format!("certificate {}", c.domain_name),
        c,
    );
    let days = c.days_left_at(now);
    d.heading("Certificate")
        .field("Domain", &c.domain_name)
        .field("ARN", &c.arn)
        .field("Account", account_label(snap, &c.account_id))
        .field("Region", &c.region)
        .field("Type", &c.cert_type)
        .field_as(
            "Status",
            &c.status,
            if c.status == "ISSUED" {
                Role::Text
            } else {
                Role::Warning
            },
        )
        .field("Key algorithm", &c.key_algorithm);
    d.list("SANs", &c.subject_alternative_names);
    d.heading("Validity")
        .field(
            "Not before",
            c.not_before
                .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                .unwrap_or_else(|| "-".into()),
        )
        .field(
            "Not after",
            c.not_after
                .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                .unwrap_or_else(|| "-".into()),
        )
        .field_as(
            "Days left",
            match days {
                Some(x) if x < 0 => format!("expired {} days ago", -x),
                Some(x) => x.to_string(),
                None => "-".into(),
            },
            if days.is_some_and(|x| x <= 30) {
                Role::Warning
            } else {
                Role::Text
            },
        );
    d.heading("Use").field("In use", yes(c.in_use));
    d.list("In use by", &c.in_use_by);
    d.heading("Renewal")
        .field(
            "Eligibility",
            c.renewal_eligibility.as_deref().unwrap_or("-"),
        )
        .field("Status", c.renewal_status.as_deref().unwrap_or("-"));
    if let Some(r) = &c.failure_reason {
        d.field_as("Failure reason", r, Role::Error);
    }
    if let Some(r) = c.risk_at(now) {
        d.field_as("Risk", format!("⚠ {r}"), Role::Risk);
    }
    d
}

/// One patch of one node.
pub fn patch(snap: &FleetSnapshot, key: &NodeKey, p: &Patch) -> Doc {
    let mut d = Doc::new("patch", &p.kb_id, format!("patch {}", p.kb_id), p);
    d.heading("Patch")
        .field("Title", &p.title)
        .field("KB / ID", &p.kb_id)
        .field("Classification", &p.classification)
        .field("Severity", &p.severity)
        .field_as("State", p.state.as_str(), super::fmt::state_role(p.state))
        .field(
            "Installed",
            p.installed_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                .unwrap_or_else(|| "-".into()),
        );
    d.list("CVE ids", &p.cve_ids);
    d.heading("Node")
        .field("Instance ID", &key.instance_id)
        .field("Account", account_label(snap, &key.account_id))
        .field("Region", &key.region);
    d
}

/// One application of a node's inventory (`AWS:Application`): every attribute reported.
pub fn application(snap: &FleetSnapshot, key: &NodeKey, a: &super::node_software::App) -> Doc {
    let title = format!("{} {}", a.name, a.version);
    let mut d = Doc::new("application", &title, title.clone(), &a.attributes);
    d.heading("Application")
        .field("Name", &a.name)
        .opt("Version", &a.version)
        .opt("Architecture", &a.arch)
        .opt("Publisher", &a.publisher);
    if let Some(t) = a.installed {
        d.field("Installed", t.format("%Y-%m-%d %H:%M:%SZ").to_string());
    }
    // the rest as the inventory named them
    const SHOWN: &[&str] = &[
        "Name",
        "Version",
        "Architecture",
        "Publisher",
        "InstalledTime",
    ];
    for (k, v) in a
        .attributes
        .iter()
        .filter(|(k, _)| !SHOWN.contains(&k.as_str()))
    {
        d.field(&sanitize(k), v);
    }
    if let Some(t) = a
        .attributes
        .get("InstalledTime")
        .filter(|_| a.installed.is_none())
    {
        d.field("InstalledTime", t);
    }
    d.heading("Node")
        .field("Instance ID", &key.instance_id)
        .field("Account", account_label(snap, &key.account_id))
        .field("Region", &key.region);
    d
}

/// A Run Command command (ListCommands).
pub fn command(snap: &FleetSnapshot, c: &CommandSummary, now: DateTime<Utc>) -> Doc {
    let mut d = Doc::new(
        "command",
        &c.command_id,
        format!("command {} ({})", c.command_id, c.document_name),
        c,
    );
    d.heading("Command")
        .field("Command ID", &c.command_id)
        .field("Document", &c.document_name)
        .field("Account", account_label(snap, &c.account_id))
        .field("Region", &c.region)
        .field_as("Status", &c.status, super::fmt::status_role(&c.status))
        .opt("Status details", &c.status_details)
        .field("Requested", when(c.requested_at, now))
        .opt("Comment", &c.comment);
    d.heading("Targets")
        .field(
            "Progress",
            format!(
                "{} of {} done · {} errors · {} delivery timed out",
                c.completed_count, c.target_count, c.error_count, c.delivery_timed_out_count
            ),
        )
        .field("Max concurrency", &c.max_concurrency)
        .field("Max errors", &c.max_errors);
    if !c.targets.is_empty() {
        d.list("Targets", &c.targets);
    }
    if !c.instance_ids.is_empty() {
        d.list("Instance IDs", &c.instance_ids);
    }
    if !c.parameters.is_empty() {
        d.heading("Parameters");
        for (k, v) in &c.parameters {
            d.field(k, v.join(", "));
        }
    }
    d
}

/// One target of a command, with each step's output as far as the API returned it.
pub fn invocation(snap: &FleetSnapshot, i: &CommandInvocation, now: DateTime<Utc>) -> Doc {
    let mut d = Doc::new(
        "invocation",
        &format!("{}/{}", i.command_id, i.instance_id),
        format!("invocation {} on {}", i.command_id, i.instance_id),
        i,
    );
    d.heading("Invocation")
        .field("Command ID", &i.command_id)
        .field("Instance ID", &i.instance_id)
        .opt("Instance name", &i.instance_name)
        .field("Account", account_label(snap, &i.account_id))
        .field("Region", &i.region)
        .field("Document", &i.document_name)
        .field_as("Status", &i.status, super::fmt::status_role(&i.status))
        .opt("Status details", &i.status_details)
        .field("Requested", when(i.requested_at, now));
    let ended = crate::actions::tracker::is_terminal(&crate::actions::tracker::display_status(
        &i.status,
        &i.status_details,
    ));
    for p in &i.plugins {
        // "skipped (not this platform)" as in the command pane, not AWS's "Success"
        let status = crate::actions::output::step_status(&p.status, &p.stdout);
        let role = if status.starts_with("skipped") {
            Role::Muted
        } else {
            super::fmt::status_role(&p.status)
        };
        d.heading(&format!("Step {}", sanitize(&p.name)))
            .field_as("Status", &status, role)
            .opt("Details", &p.status_details);
        // no exit code until the invocation ended (an InProgress step's 0 is not one)
        if ended && p.response_code >= 0 {
            d.field("Response code", p.response_code.to_string());
        }
        d.field("Started", when(p.started_at, now))
            .field("Finished", when(p.finished_at, now))
            .opt("Output URL", &p.output_url);
        if p.truncated {
            d.field_as(
                "Truncated",
                "the API cut this output; the full text is at the output URL",
                Role::Warning,
            );
        }
        if !p.stdout.is_empty() {
            d.text(&p.stdout, Role::Text);
        }
        if !p.stderr.is_empty() {
            d.text(&p.stderr, Role::Error);
        }
    }
    d
}

/// A collection error: the whole message, where, when, and whether it is retried.
pub fn error(snap: &FleetSnapshot, e: &CollectError, now: DateTime<Utc>) -> Doc {
    let id = format!(
        "{}/{}/{}",
        e.account_id.as_deref().unwrap_or("organization"),
        e.region.as_deref().unwrap_or("-"),
        e.operation
    );
    let mut d = Doc::new(
        "error",
        &id,
        format!("error {} · {}", e.code, e.operation),
        e,
    );
    d.heading("Error")
        .field_as("Code", &e.code, Role::Error)
        .field(
            "Account",
            e.account_id
                .as_deref()
                .map(|a| account_label(snap, a))
                .unwrap_or_else(|| "(organization)".into()),
        )
        .field("Region", e.region.as_deref().unwrap_or("(all regions)"))
        .field("Service", &e.service)
        .field("API", &e.operation)
        .field("When", when(e.at, now))
        .field(
            "Retrying",
            if snap.in_progress {
                "yes — a refresh is running now"
            } else {
                "on the next refresh (refresh now to retry at once)"
            },
        );
    d.heading("Message");
    d.text(&e.message, Role::Text);
    let gaps: Vec<String> = snap
        .missing
        .iter()
        .filter(|m| {
            m.code == e.code
                && m.account_id == e.account_id
                && (m.region.is_none() || m.region == e.region)
        })
        .map(|m| m.describe())
        .collect();
    if !gaps.is_empty() {
        d.heading("What it covers");
        for g in gaps {
            d.text(&g, Role::Warning);
        }
    }
    d
}

/// Whether nothing at all could be read for this account (it shows no nodes because of an
/// error, not because it has none).
pub fn unreadable(snap: &FleetSnapshot, account_id: &str) -> bool {
    let has_nodes = snap.nodes.iter().any(|n| n.account_id == account_id);
    !has_nodes
        && (snap.missing.iter().any(|m| {
            m.account_id.as_deref() == Some(account_id)
                && matches!(m.kind, MissingKind::Account | MissingKind::Source)
        }) || snap
            .errors
            .iter()
            .any(|e| e.account_id.as_deref() == Some(account_id)))
}

/// An account of the organization, with its roll-up and what could not be read.
pub fn account(data: &Data, a: &Account) -> Doc {
    let snap = &data.snapshot;
    let mut d = Doc::new(
        "account",
        &a.id,
        format!("account {} ({})", a.name, a.id),
        a,
    );
    d.heading("Account")
        .field("Name", &a.name)
        .field("ID", &a.id)
        .opt("Email", a.email.as_deref().unwrap_or(""))
        .opt("OU path", &a.ou_path)
        .field("State", a.state.as_str());
    if unreadable(snap, &a.id) {
        d.field_as(
            "Readable",
            "no — no nodes are shown because this account could not be read (below)",
            Role::Error,
        );
    }
    if let Some(r) = data.aggregates.by_account.get(&a.id) {
        rollup(&mut d, r);
    }
    coverage(&mut d, snap, &a.id, None);
    d
}

/// An OU (or the root).
pub fn ou(data: &Data, u: &OrgUnit) -> Doc {
    let snap = &data.snapshot;
    let mut d = Doc::new("ou", &u.id, format!("OU {} ({})", u.name, u.id), u);
    let accounts: Vec<String> = snap
        .accounts
        .iter()
        .filter(|a| a.ou_id.as_deref() == Some(u.id.as_str()))
        .map(|a| format!("{} ({})", a.name, a.id))
        .collect();
    d.heading("Organizational unit")
        .field("Name", &u.name)
        .field("ID", &u.id)
        .field("Path", &u.path)
        .field("Parent", u.parent_id.as_deref().unwrap_or("(root)"));
    d.list("Accounts", &accounts);
    if let Some(r) = data.aggregates.by_ou.get(&u.id) {
        rollup(&mut d, r);
    }
    let gaps: Vec<String> = snap
        .missing
        .iter()
        .filter(|m| m.ou_id.as_deref() == Some(u.id.as_str()))
        .map(|m| m.describe())
        .collect();
    if !gaps.is_empty() {
        d.heading("Not read");
        for g in gaps {
            d.text(&g, Role::Error);
        }
    }
    d
}

/// Any table row, as its columns show it (for rows without a record of their own).
pub fn table_row(view: &str, src: &dyn RowSource, row: usize) -> Doc {
    let cols = src.columns();
    let mut map = serde_json::Map::new();
    for (i, c) in cols.iter().enumerate() {
        map.insert(c.title.to_lowercase(), src.text(row, i).into());
    }
    let id = src.id(row);
    let mut d = Doc::new("row", &id, format!("{view} {id}"), &map);
    d.heading(view);
    for (i, c) in cols.iter().enumerate() {
        d.field(c.title, src.text(row, i));
    }
    d
}
