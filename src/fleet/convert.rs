//! SDK types → `crate::model` types. Pure functions; nothing else in the crate sees SDK types.
//!
//! Every enum AWS sends is read as its string (`as_str()`: for a value outside the SDK's
//! model that is the raw value of the SDK's `Unknown(..)`) and decoded tolerantly
//! (`crate::model::wire_enum`): case and separators do not matter, an unknown value is kept
//! verbatim. Where the model and observed AWS disagree, AWS is right (README "AWS quirks"):
//! DescribeInstancePatches sends `State` in CamelCase (`InstalledPendingReboot`) although
//! the model's enum is UPPER_SNAKE (aws-cli `awscli/examples/ssm/describe-instance-patches.rst`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::wire_enum::canonical_or_raw;
use crate::model::{
    Account, AccountState, Certificate, CommandInvocation, CommandPluginOutput, CommandSummary,
    Interner, Node, Patch, PatchOperation, PatchState, PingStatus, PlatformType, RebootOption,
};

/// An SDK enum's string (the raw value when the SDK did not know it) in its canonical
/// spelling when it names one of the SDK's values, else verbatim.
fn enum_text<E: AsRef<str>>(v: &E, known: &[&str]) -> String {
    canonical_or_raw(v.as_ref(), known)
}

/// Like [`enum_text`] for an optional member (`""` when absent).
fn opt_enum_text<E: AsRef<str>>(v: Option<&E>, known: &[&str]) -> String {
    v.map(|v| enum_text(v, known)).unwrap_or_default()
}

/// SDK timestamp → chrono (None for the zero / "not set" epoch some APIs send).
pub fn ts(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    if t.secs() == 0 && t.subsec_nanos() == 0 {
        return None;
    }
    exact(t)
}

/// SDK timestamp → chrono at the precision AWS sends. The JSON protocols carry epoch
/// seconds as a number with at most millisecond fractions (`1764512345.346`); read through
/// an `f64` that becomes `…345999956` ns, which a describe or an export would show. Rounded
/// to the millisecond: the time AWS meant.
pub fn exact(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    let ms = (t.subsec_nanos() + 500_000) / 1_000_000;
    let (secs, ms) = if ms == 1000 {
        (t.secs().checked_add(1)?, 0)
    } else {
        (t.secs(), ms)
    };
    DateTime::from_timestamp(secs, ms * 1_000_000)
}

#[cfg(test)]
#[test]
fn timestamps_keep_the_milliseconds_aws_sent() {
    let t = aws_smithy_types::DateTime::from_secs_f64(1_764_512_345.346);
    assert_ne!(
        t.subsec_nanos() % 1_000_000,
        0,
        "the float artifact is there"
    );
    let c = ts(&t).unwrap();
    assert_eq!(
        c.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "2025-11-30T14:19:05.346Z"
    );
    let up = aws_smithy_types::DateTime::from_secs_and_nanos(10, 999_999_700);
    assert_eq!(
        ts(&up).unwrap().timestamp(),
        11,
        "rounds into the next second"
    );
    assert_eq!(ts(&up).unwrap().timestamp_subsec_nanos(), 0);
    assert_eq!(ts(&aws_smithy_types::DateTime::from_secs(0)), None);
}

pub fn ts_opt(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(ts)
}

/// A managed node from DescribeInstanceInformation (patch fields empty until the patch
/// state is applied). `None` without an instance id.
pub fn node_from_info(
    i: &aws_sdk_ssm::types::InstanceInformation,
    account_id: &str,
    region: &str,
) -> Option<Node> {
    node_from_owned_info(i.clone(), account_id, region, &mut Interner::default())
}

/// [`node_from_info`] taking the SDK's value: its strings move into the node instead of
/// being copied, and repeated values come from the unit's `interner` (a 40,000-node refresh
/// converts 40,000 of these; #13).
pub fn node_from_owned_info(
    i: aws_sdk_ssm::types::InstanceInformation,
    account_id: &str,
    region: &str,
    interner: &mut Interner,
) -> Option<Node> {
    use aws_sdk_ssm::types::ResourceType;
    let instance_id = i.instance_id?;
    let computer_name = i.computer_name.unwrap_or_default();
    let name = match i.name {
        Some(n) if !n.is_empty() => n,
        _ => computer_name.clone(),
    };
    let platform_type = i.platform_type.as_ref().map_or(PlatformType::Unknown, |t| {
        PlatformType::from_wire(t.as_str())
    });
    let resource_type = match i.resource_type.as_ref().map(|r| r.as_str()) {
        None => interner.get(""),
        // the usual case: already one of the model's spellings
        Some(r) if ResourceType::values().contains(&r) => interner.get(r),
        Some(r) => interner.get(&canonical_or_raw(r, ResourceType::values())),
    };
    Some(Node {
        instance_id,
        account_id: account_id.to_string(),
        region: region.to_string(),
        name,
        computer_name,
        ip_address: i.ip_address.unwrap_or_default(),
        resource_type,
        platform_type,
        platform_name: interner.get(i.platform_name.as_deref().unwrap_or_default()),
        platform_version: interner.get(i.platform_version.as_deref().unwrap_or_default()),
        agent_version: interner.get(i.agent_version.as_deref().unwrap_or_default()),
        // "Indicates whether the latest version of SSM Agent is running on your Linux managed
        // node. This field doesn't indicate whether or not the latest version is installed
        // on Windows managed nodes" (model text of InstanceInformation.IsLatestVersion)
        agent_outdated: platform_type == PlatformType::Linux && i.is_latest_version == Some(false),
        ping_status: i
            .ping_status
            .as_ref()
            .map_or(PingStatus::Unknown, |p| PingStatus::from_wire(p.as_str())),
        last_ping: ts_opt(i.last_ping_date_time.as_ref()),
        registration_date: ts_opt(i.registration_date.as_ref()),
        iam_role: i
            .iam_role
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| interner.get(r)),
        ..Node::default()
    })
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// Apply a DescribeInstancePatchStates entry to its node and derive compliance.
pub fn apply_patch_state(node: &mut Node, s: &aws_sdk_ssm::types::InstancePatchState) {
    apply_patch_state_with(node, s, &mut Interner::default());
}

/// [`apply_patch_state`] with a unit's [`Interner`] for the repeated group and baseline.
pub fn apply_patch_state_with(
    node: &mut Node,
    s: &aws_sdk_ssm::types::InstancePatchState,
    interner: &mut Interner,
) {
    if !s.patch_group().is_empty() {
        node.patch_group = Some(interner.get(s.patch_group()));
    }
    if !s.baseline_id().is_empty() {
        node.baseline_id = Some(interner.get(s.baseline_id()));
    }
    node.installed = count(s.installed_count());
    node.installed_other = count(s.installed_other_count());
    node.installed_pending_reboot = count(s.installed_pending_reboot_count().unwrap_or(0));
    node.installed_rejected = count(s.installed_rejected_count().unwrap_or(0));
    node.missing = count(s.missing_count());
    node.failed = count(s.failed_count());
    node.not_applicable = count(s.not_applicable_count());
    node.critical_noncompliant = count(s.critical_non_compliant_count().unwrap_or(0));
    node.security_noncompliant = count(s.security_non_compliant_count().unwrap_or(0));
    node.other_noncompliant = count(s.other_non_compliant_count().unwrap_or(0));
    // An operation we do not know still means the node reported: kept as it came.
    node.last_operation = Some(PatchOperation::from_wire(s.operation().as_str()));
    node.last_operation_start = ts(s.operation_start_time());
    node.last_operation_end = ts(s.operation_end_time());
    node.reboot_option = s
        .reboot_option()
        .map(|r| RebootOption::from_wire(r.as_str()));
    node.compliance = node.derive_compliance();
}

/// Whole days from `now` to `not_after` (negative when expired).
pub fn days_left(not_after: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i64> {
    not_after.map(|t| (t - now).num_seconds().div_euclid(86_400))
}

/// A certificate from the ListCertificates summary.
pub fn cert_from_summary(
    c: &aws_sdk_acm::types::CertificateSummary,
    account_id: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Option<Certificate> {
    use aws_sdk_acm::types::{
        CertificateStatus, CertificateType, KeyAlgorithm, RenewalEligibility,
    };
    let arn = c.certificate_arn()?.to_string();
    let not_after = ts_opt(c.not_after());
    Some(Certificate {
        arn,
        account_id: account_id.to_string(),
        region: region.to_string(),
        domain_name: c.domain_name().unwrap_or_default().to_string(),
        subject_alternative_names: c.subject_alternative_name_summaries().to_vec(),
        cert_type: opt_enum_text(c.r#type(), CertificateType::values()),
        status: opt_enum_text(c.status(), CertificateStatus::values()),
        key_algorithm: opt_enum_text(c.key_algorithm(), KeyAlgorithm::values()),
        not_before: ts_opt(c.not_before()),
        not_after,
        days_left: days_left(not_after, now),
        in_use: c.in_use().unwrap_or(false),
        in_use_by: Vec::new(),
        renewal_eligibility: c
            .renewal_eligibility()
            .map(|r| enum_text(r, RenewalEligibility::values())),
        renewal_status: None,
        failure_reason: None,
    })
}

/// Whether the summary lacks what the views need (who uses it; renewal status).
pub fn needs_detail(c: &Certificate) -> bool {
    c.in_use || c.cert_type == "AMAZON_ISSUED" || c.status == "FAILED"
}

/// Complete a certificate with DescribeCertificate.
pub fn apply_cert_detail(
    c: &mut Certificate,
    d: &aws_sdk_acm::types::CertificateDetail,
    now: DateTime<Utc>,
) {
    use aws_sdk_acm::types::{FailureReason, RenewalEligibility, RenewalStatus};
    c.in_use_by = d.in_use_by().to_vec();
    if !c.in_use_by.is_empty() {
        c.in_use = true;
    }
    if let Some(r) = d.renewal_summary() {
        c.renewal_status = Some(enum_text(r.renewal_status(), RenewalStatus::values()));
        if let Some(reason) = r.renewal_status_reason() {
            c.failure_reason = Some(enum_text(reason, FailureReason::values()));
        }
    }
    if let Some(f) = d.failure_reason() {
        c.failure_reason = Some(enum_text(f, FailureReason::values()));
    }
    if c.subject_alternative_names.is_empty() {
        c.subject_alternative_names = d.subject_alternative_names().to_vec();
    }
    if c.not_after.is_none() {
        c.not_after = ts_opt(d.not_after());
        c.days_left = days_left(c.not_after, now);
    }
    if c.not_before.is_none() {
        c.not_before = ts_opt(d.not_before());
    }
    if let Some(e) = d.renewal_eligibility() {
        c.renewal_eligibility = Some(enum_text(e, RenewalEligibility::values()));
    }
}

pub fn command_from_sdk(
    c: &aws_sdk_ssm::types::Command,
    account_id: &str,
    region: &str,
) -> Option<CommandSummary> {
    use aws_sdk_ssm::types::CommandStatus;
    let command_id = c.command_id()?.to_string();
    let parameters: BTreeMap<String, Vec<String>> = c
        .parameters()
        .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Some(CommandSummary {
        command_id,
        account_id: account_id.to_string(),
        region: region.to_string(),
        document_name: c.document_name().unwrap_or_default().to_string(),
        comment: c.comment().unwrap_or_default().to_string(),
        status: opt_enum_text(c.status(), CommandStatus::values()),
        status_details: c.status_details().unwrap_or_default().to_string(),
        requested_at: ts_opt(c.requested_date_time()),
        parameters,
        instance_ids: c.instance_ids().to_vec(),
        targets: c
            .targets()
            .iter()
            .map(|t| format!("{}={}", t.key().unwrap_or_default(), t.values().join(",")))
            .collect(),
        target_count: count(c.target_count()),
        completed_count: count(c.completed_count()),
        error_count: count(c.error_count()),
        delivery_timed_out_count: count(c.delivery_timed_out_count()),
        max_concurrency: c.max_concurrency().unwrap_or_default().to_string(),
        max_errors: c.max_errors().unwrap_or_default().to_string(),
    })
}

/// GetCommandInvocation's ISO-8601 *strings* (`""` when not started).
pub fn iso_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        // some emulators (moto) leave the zone out: the API's times are UTC
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// ListCommandInvocations output is cut at 2,500 characters.
pub const INVOCATION_OUTPUT_LIMIT: usize = 2_500;

pub fn invocation_from_sdk(
    i: &aws_sdk_ssm::types::CommandInvocation,
    account_id: &str,
    region: &str,
) -> CommandInvocation {
    use aws_sdk_ssm::types::{CommandInvocationStatus, CommandPluginStatus};
    CommandInvocation {
        command_id: i.command_id().unwrap_or_default().to_string(),
        account_id: account_id.to_string(),
        region: region.to_string(),
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        instance_name: i.instance_name().unwrap_or_default().to_string(),
        document_name: i.document_name().unwrap_or_default().to_string(),
        status: opt_enum_text(i.status(), CommandInvocationStatus::values()),
        status_details: i.status_details().unwrap_or_default().to_string(),
        requested_at: ts_opt(i.requested_date_time()),
        plugins: i
            .command_plugins()
            .iter()
            .map(|p| {
                let out = p.output().unwrap_or_default().to_string();
                CommandPluginOutput {
                    name: p.name().unwrap_or_default().to_string(),
                    status: opt_enum_text(p.status(), CommandPluginStatus::values()),
                    status_details: p.status_details().unwrap_or_default().to_string(),
                    response_code: p.response_code(),
                    started_at: ts_opt(p.response_start_date_time()),
                    finished_at: ts_opt(p.response_finish_date_time()),
                    truncated: out.chars().count() >= INVOCATION_OUTPUT_LIMIT,
                    stdout: out,
                    stderr: String::new(),
                    output_url: p.standard_output_url().unwrap_or_default().to_string(),
                }
            })
            .collect(),
    }
}

/// A patch `State`: AWS sends `Installed`, `InstalledPendingReboot`, ... (CamelCase; the
/// SDK reads them as `Unknown(..)`), the model says `INSTALLED`, ...; both decode, and a
/// state we do not know stays as it came (never counted compliant or non-compliant).
pub fn patch_state(s: &aws_sdk_ssm::types::PatchComplianceDataState) -> PatchState {
    PatchState::from_wire(s.as_str())
}

/// GetCommandInvocation `Status` (canonical spelling, or verbatim).
pub fn invocation_status(s: Option<&aws_sdk_ssm::types::CommandInvocationStatus>) -> String {
    opt_enum_text(s, aws_sdk_ssm::types::CommandInvocationStatus::values())
}

pub fn patch_from_sdk(p: aws_sdk_ssm::types::PatchComplianceData) -> Patch {
    // by value: a 40,000-node index reads ~14 million entries, and moving the strings out
    // of the decoded page saves copying each one again
    Patch {
        state: patch_state(&p.state),
        installed_time: ts(&p.installed_time),
        title: p.title,
        kb_id: p.kb_id,
        classification: p.classification,
        severity: p.severity,
        cve_ids: p
            .cve_ids
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// Organizations account state (`State`, else the retired `Status`), tolerantly; an unknown
/// value is kept as it came.
pub fn account_state(a: &aws_sdk_organizations::types::Account) -> AccountState {
    match (a.state(), a.status()) {
        (Some(s), _) => AccountState::from_wire(s.as_str()),
        (None, Some(s)) => AccountState::from_wire(s.as_str()),
        (None, None) => AccountState::Unknown,
    }
}

pub fn account_from_sdk(
    a: &aws_sdk_organizations::types::Account,
    ou_id: &str,
    ou_path: &str,
) -> Option<Account> {
    let id = a.id()?.to_string();
    Some(Account {
        name: a
            .name()
            .filter(|n| !n.is_empty())
            .unwrap_or(&id)
            .to_string(),
        id,
        email: a.email().map(str::to_string),
        ou_id: Some(ou_id.to_string()),
        ou_path: ou_path.to_string(),
        state: account_state(a),
    })
}

/// The patch group a node's tags assign: `Patch Group`, else `PatchGroup` (the two keys
/// Patch Manager reads), when not empty.
pub fn patch_group_tag(tags: &[aws_sdk_ssm::types::Tag]) -> Option<String> {
    ["Patch Group", "PatchGroup"].iter().find_map(|k| {
        tags.iter()
            .find(|t| t.key() == *k)
            .map(|t| t.value().trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_strings_with_and_without_zone() {
        let a = iso_time(Some("2019-02-14T19:26:26.439Z")).unwrap();
        assert_eq!(a.timestamp(), 1_550_172_386);
        let b = iso_time(Some("2019-02-14T19:26:26.439")).unwrap();
        assert_eq!(a, b);
        assert_eq!(iso_time(Some("")), None);
        assert_eq!(iso_time(None), None);
    }

    use aws_sdk_ssm::types as ssm;
    use aws_smithy_types::DateTime as SdkTime;

    fn info() -> ssm::InstanceInformation {
        ssm::InstanceInformation::builder()
            .instance_id("i-0123456789abcdef0")
            .ping_status(ssm::PingStatus::ConnectionLost)
            .platform_type(ssm::PlatformType::Linux)
            .platform_name("Ubuntu")
            .platform_version("22.04")
            .agent_version("3.2.1.0")
            .is_latest_version(false)
            .computer_name("web-1.internal")
            .ip_address("10.0.0.1")
            .resource_type(ssm::ResourceType::Ec2Instance)
            .last_ping_date_time(SdkTime::from_secs(1_700_000_000))
            .build()
    }

    fn state(missing: i32, pending: i32) -> ssm::InstancePatchState {
        ssm::InstancePatchState::builder()
            .instance_id("i-0123456789abcdef0")
            .patch_group("Production")
            .baseline_id("pb-0123456789abcdef0")
            .installed_count(10)
            .missing_count(missing)
            .failed_count(0)
            .installed_pending_reboot_count(pending)
            .not_applicable_count(3)
            .critical_non_compliant_count(missing)
            .operation(ssm::PatchOperationType::Scan)
            .operation_start_time(SdkTime::from_secs(1_700_000_000))
            .operation_end_time(SdkTime::from_secs(1_700_000_100))
            .build()
            .unwrap()
    }

    #[test]
    fn node_fields_and_compliance() {
        let mut n = node_from_info(&info(), "111111111111", "eu-west-1").unwrap();
        assert_eq!(n.name, "web-1.internal");
        assert_eq!(n.ping_status, PingStatus::ConnectionLost);
        assert!(n.agent_outdated);
        // IsLatestVersion means nothing on Windows (model text): never "outdated" from it
        let win = ssm::InstanceInformation::builder()
            .instance_id("i-0123456789abcdef1")
            .platform_type(ssm::PlatformType::Windows)
            .is_latest_version(false)
            .build();
        assert!(!node_from_info(&win, "1", "r").unwrap().agent_outdated);
        assert_eq!(n.resource_type, "EC2Instance");
        assert_eq!(n.compliance, crate::model::Compliance::Unreported);
        apply_patch_state(&mut n, &state(0, 0));
        assert_eq!(n.compliance, crate::model::Compliance::Compliant);
        assert_eq!(n.patch_group.as_deref(), Some("Production"));
        assert_eq!(n.last_operation_end.unwrap().timestamp(), 1_700_000_100);
        apply_patch_state(&mut n, &state(2, 0));
        assert_eq!(n.compliance, crate::model::Compliance::NonCompliant);
        assert_eq!(n.critical_noncompliant, 2);
        apply_patch_state(&mut n, &state(0, 1));
        assert_eq!(n.compliance, crate::model::Compliance::NonCompliant);
    }

    #[test]
    fn certificate_days_and_detail() {
        use aws_sdk_acm::types as acm;
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let s = acm::CertificateSummary::builder()
            .certificate_arn("arn:aws:acm:eu-west-1:111111111111:certificate/abc")
            .domain_name("shop.example.com")
            .r#type(acm::CertificateType::AmazonIssued)
            .status(acm::CertificateStatus::Issued)
            .key_algorithm(acm::KeyAlgorithm::EcPrime256v1)
            .not_after(SdkTime::from_secs(1_700_000_000 + 10 * 86_400 + 5))
            .in_use(true)
            .build();
        let mut c = cert_from_summary(&s, "111111111111", "eu-west-1", now).unwrap();
        assert_eq!(c.days_left, Some(10));
        assert_eq!(c.key_algorithm, "EC_prime256v1");
        assert!(needs_detail(&c));
        let d = acm::CertificateDetail::builder()
            .in_use_by("arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/x")
            .renewal_summary(
                acm::RenewalSummary::builder()
                    .renewal_status(acm::RenewalStatus::Failed)
                    .renewal_status_reason(acm::FailureReason::CaaError)
                    .set_domain_validation_options(Some(vec![]))
                    .updated_at(SdkTime::from_secs(1_700_000_000))
                    .build()
                    .unwrap(),
            )
            .build();
        apply_cert_detail(&mut c, &d, now);
        assert_eq!(c.renewal_status.as_deref(), Some("FAILED"));
        assert_eq!(c.failure_reason.as_deref(), Some("CAA_ERROR"));
        assert_eq!(c.in_use_by.len(), 1);
        assert_eq!(c.risk_at(chrono::Utc::now()), Some("renewal failed"));
        // expired: negative days
        assert_eq!(
            days_left(DateTime::from_timestamp(1_700_000_000 - 3600, 0), now),
            Some(-1)
        );
    }

    #[test]
    fn patches_and_accounts() {
        let p = ssm::PatchComplianceData::builder()
            .title("openssl")
            .kb_id("openssl.x86_64:3.0.8")
            .classification("Security")
            .severity("Critical")
            .state(ssm::PatchComplianceDataState::InstalledPendingReboot)
            .installed_time(SdkTime::from_secs(0))
            .cve_ids("CVE-2024-1, CVE-2024-2")
            .build()
            .unwrap();
        let p = patch_from_sdk(p);
        assert_eq!(p.state, PatchState::InstalledPendingReboot);
        assert_eq!(p.installed_time, None);
        assert_eq!(p.cve_ids, vec!["CVE-2024-1", "CVE-2024-2"]);

        use aws_sdk_organizations::types as org;
        let a = org::Account::builder()
            .id("222222222222")
            .name("prod")
            .status(org::AccountStatus::Suspended)
            .build();
        let a = account_from_sdk(&a, "ou-ab-12345678", "Root/Workloads").unwrap();
        assert_eq!(a.state, AccountState::Suspended);
        assert_eq!(a.ou_path, "Root/Workloads");
    }

    #[test]
    fn patch_group_comes_from_either_tag_key() {
        use aws_sdk_ssm::types::Tag;
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
        assert_eq!(
            patch_group_tag(&[tag("Env", "prod"), tag("PatchGroup", "Web")]),
            Some("Web".into())
        );
        // `Patch Group` wins over `PatchGroup`; empty values do not count
        assert_eq!(
            patch_group_tag(&[tag("PatchGroup", "B"), tag("Patch Group", "A")]),
            Some("A".into())
        );
        assert_eq!(
            patch_group_tag(&[tag("Patch Group", " "), tag("PatchGroup", "B")]),
            Some("B".into())
        );
        assert_eq!(patch_group_tag(&[tag("Name", "x")]), None);
    }

    // ---------------------------------------------------------------------------------
    // Every enum the client reads decodes in both spellings (the model's and the one AWS
    // sends), and a value it does not know stays verbatim (sanitized), never counted as
    // something else.

    #[test]
    fn ping_status_both_spellings_and_unknown() {
        let with = |v: &str| {
            let i = ssm::InstanceInformation::builder()
                .instance_id("i-0123456789abcdef0")
                .ping_status(ssm::PingStatus::from(v))
                .build();
            node_from_info(&i, "1", "r").unwrap().ping_status
        };
        assert_eq!(with("Online"), PingStatus::Online);
        assert_eq!(with("ONLINE"), PingStatus::Online);
        assert_eq!(with("CONNECTION_LOST"), PingStatus::ConnectionLost);
        assert_eq!(with("connection-lost"), PingStatus::ConnectionLost);
        assert_eq!(with("Inactive"), PingStatus::Inactive);
        let odd = with("Hibernating\u{1b}[31m");
        assert!(!odd.is_known());
        assert_eq!(odd.as_str(), "Hibernating");
        let mut n = node_from_info(&info(), "1", "r").unwrap();
        n.ping_status = odd;
        assert!(!n.is_online());
    }

    #[test]
    fn platform_and_resource_type_both_spellings_and_unknown() {
        let with = |p: &str, r: &str| {
            let i = ssm::InstanceInformation::builder()
                .instance_id("i-0123456789abcdef0")
                .platform_type(ssm::PlatformType::from(p))
                .resource_type(ssm::ResourceType::from(r))
                .build();
            let n = node_from_info(&i, "1", "r").unwrap();
            (n.platform_type, n.resource_type.to_string())
        };
        assert_eq!(
            with("Linux", "EC2Instance"),
            (PlatformType::Linux, "EC2Instance".into())
        );
        assert_eq!(
            with("WINDOWS", "MANAGED_INSTANCE"),
            (PlatformType::Windows, "ManagedInstance".into())
        );
        assert_eq!(with("macos", "ec2instance").0, PlatformType::MacOS);
        let (p, r) = with("FreeBSD", "IoTThing");
        assert_eq!((p.as_str(), p.is_known()), ("FreeBSD", false));
        assert_eq!(r, "IoTThing");
    }

    #[test]
    fn patch_state_both_spellings_and_unknown() {
        use ssm::PatchComplianceDataState as S;
        for (aws, model, want) in [
            ("Installed", "INSTALLED", PatchState::Installed),
            (
                "InstalledOther",
                "INSTALLED_OTHER",
                PatchState::InstalledOther,
            ),
            (
                "InstalledPendingReboot",
                "INSTALLED_PENDING_REBOOT",
                PatchState::InstalledPendingReboot,
            ),
            (
                "InstalledRejected",
                "INSTALLED_REJECTED",
                PatchState::InstalledRejected,
            ),
            ("Missing", "MISSING", PatchState::Missing),
            ("NotApplicable", "NOT_APPLICABLE", PatchState::NotApplicable),
            ("Failed", "FAILED", PatchState::Failed),
            (
                "AvailableSecurityUpdate",
                "AVAILABLE_SECURITY_UPDATE",
                PatchState::AvailableSecurityUpdate,
            ),
        ] {
            // what AWS sends is outside the SDK's enum: it reads Unknown
            assert!(!S::values().contains(&aws), "{aws}");
            assert_eq!(patch_state(&S::from(aws)), want, "{aws}");
            assert_eq!(patch_state(&S::from(model)), want, "{model}");
        }
        let odd = patch_state(&S::from("Superseded"));
        assert_eq!(odd.as_str(), "Superseded");
        assert!(!odd.is_noncompliant() && !odd.is_known());
    }

    #[test]
    fn operation_and_reboot_option_both_spellings_and_unknown() {
        let with = |op: &str, reboot: &str| {
            let s = ssm::InstancePatchState::builder()
                .instance_id("i-0123456789abcdef0")
                .patch_group("")
                .baseline_id("pb-0123456789abcdef0")
                .operation(ssm::PatchOperationType::from(op))
                .reboot_option(ssm::RebootOption::from(reboot))
                .operation_start_time(SdkTime::from_secs(1))
                .operation_end_time(SdkTime::from_secs(2))
                .build()
                .unwrap();
            let mut n = node_from_info(&info(), "1", "r").unwrap();
            apply_patch_state(&mut n, &s);
            (n.last_operation.unwrap(), n.reboot_option.unwrap())
        };
        assert_eq!(
            with("Install", "NoReboot"),
            (PatchOperation::Install, RebootOption::NoReboot)
        );
        assert_eq!(
            with("SCAN", "REBOOT_IF_NEEDED"),
            (PatchOperation::Scan, RebootOption::RebootIfNeeded)
        );
        let (op, reboot) = with("Audit", "RebootAlways");
        // an operation we do not know is not read as a Scan: kept as it came
        assert_eq!(op.as_str(), "Audit");
        assert_eq!(reboot.as_str(), "RebootAlways");
    }

    #[test]
    fn command_invocation_and_plugin_statuses_both_spellings_and_unknown() {
        let cmd = |s: &str| {
            let c = ssm::Command::builder()
                .command_id("0b1f2d5e-0000-4000-8000-000000000000")
                .status(ssm::CommandStatus::from(s))
                .build();
            command_from_sdk(&c, "1", "r").unwrap().status
        };
        assert_eq!(cmd("Success"), "Success");
        assert_eq!(cmd("IN_PROGRESS"), "InProgress");
        assert_eq!(cmd("timed_out"), "TimedOut");
        assert_eq!(cmd("Throttled"), "Throttled");
        let inv = |s: &str, p: &str| {
            let i = ssm::CommandInvocation::builder()
                .status(ssm::CommandInvocationStatus::from(s))
                .command_plugins(
                    ssm::CommandPlugin::builder()
                        .name("PatchLinux")
                        .status(ssm::CommandPluginStatus::from(p))
                        .build(),
                )
                .build();
            let c = invocation_from_sdk(&i, "1", "r");
            (c.status, c.plugins[0].status.clone())
        };
        assert_eq!(
            inv("Delayed", "Success"),
            ("Delayed".into(), "Success".into())
        );
        assert_eq!(
            inv("CANCELLING", "IN_PROGRESS"),
            ("Cancelling".into(), "InProgress".into())
        );
        assert_eq!(inv("Paused", "Weird"), ("Paused".into(), "Weird".into()));
        assert_eq!(
            invocation_status(Some(&ssm::CommandInvocationStatus::from("timedout"))),
            "TimedOut"
        );
        assert_eq!(invocation_status(None), "");
    }

    #[test]
    fn certificate_enums_both_spellings_and_unknown() {
        use aws_sdk_acm::types as acm;
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let s = acm::CertificateSummary::builder()
            .certificate_arn("arn:aws:acm:eu-west-1:111111111111:certificate/abc")
            .r#type(acm::CertificateType::from("AmazonIssued"))
            .status(acm::CertificateStatus::from("pending-validation"))
            .key_algorithm(acm::KeyAlgorithm::from("EC_PRIME256V1"))
            .renewal_eligibility(acm::RenewalEligibility::from("Eligible"))
            .build();
        let mut c = cert_from_summary(&s, "1", "r", now).unwrap();
        assert_eq!(c.cert_type, "AMAZON_ISSUED");
        assert_eq!(c.status, "PENDING_VALIDATION");
        assert_eq!(c.key_algorithm, "EC_prime256v1");
        assert_eq!(c.renewal_eligibility.as_deref(), Some("ELIGIBLE"));
        assert!(needs_detail(&c), "recognized as AMAZON_ISSUED");
        let d = acm::CertificateDetail::builder()
            .renewal_summary(
                acm::RenewalSummary::builder()
                    .renewal_status(acm::RenewalStatus::from("Failed"))
                    .renewal_status_reason(acm::FailureReason::from("caa-error"))
                    .set_domain_validation_options(Some(vec![]))
                    .updated_at(SdkTime::from_secs(1_700_000_000))
                    .build()
                    .unwrap(),
            )
            .build();
        apply_cert_detail(&mut c, &d, now);
        assert_eq!(c.renewal_status.as_deref(), Some("FAILED"));
        assert_eq!(c.failure_reason.as_deref(), Some("CAA_ERROR"));
        assert_eq!(c.risk_at(chrono::Utc::now()), Some("renewal failed"));
        // unknown values stay as they came
        let s = acm::CertificateSummary::builder()
            .certificate_arn("arn:aws:acm:eu-west-1:111111111111:certificate/def")
            .r#type(acm::CertificateType::from("QUANTUM"))
            .status(acm::CertificateStatus::from("ON_HOLD"))
            .key_algorithm(acm::KeyAlgorithm::from("ML_DSA_65"))
            .build();
        let c = cert_from_summary(&s, "1", "r", now).unwrap();
        assert_eq!(
            (
                c.cert_type.as_str(),
                c.status.as_str(),
                c.key_algorithm.as_str()
            ),
            ("QUANTUM", "ON_HOLD", "ML_DSA_65")
        );
    }

    #[test]
    fn account_state_and_status_both_spellings_and_unknown() {
        use aws_sdk_organizations::types as org;
        let state = |st: Option<&str>, status: Option<&str>| {
            let mut b = org::Account::builder().id("222222222222");
            if let Some(s) = st {
                b = b.state(org::AccountState::from(s));
            }
            if let Some(s) = status {
                b = b.status(org::AccountStatus::from(s));
            }
            account_state(&b.build())
        };
        assert_eq!(state(Some("ACTIVE"), None), AccountState::Active);
        assert_eq!(state(Some("Active"), None), AccountState::Active);
        assert_eq!(
            state(Some("PendingActivation"), None),
            AccountState::PendingActivation
        );
        assert_eq!(state(None, Some("suspended")), AccountState::Suspended);
        assert_eq!(
            state(None, Some("PENDING_CLOSURE")),
            AccountState::PendingClosure
        );
        // State wins over the retired Status
        assert_eq!(state(Some("CLOSED"), Some("ACTIVE")), AccountState::Closed);
        assert_eq!(state(None, None), AccountState::Unknown);
        let odd = state(Some("RESTRICTED"), Some("ACTIVE"));
        assert_eq!(odd.as_str(), "RESTRICTED");
        assert!(!odd.is_active());
    }
}
