//! AWS Certificate Manager (`CertificateManager.*`, awsJson1_1): generated certificates per
//! account × region, ListCertificates (statuses, `Includes`, the RSA_2048 default, MaxItems
//! 1..1000, NextToken) and DescribeCertificate.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::protocol::{opt_int, opt_str, token, ts};
use super::rng::Rng;
use super::world::{AccountStatus, Organization, World};
use super::{ApiError, CallCtx, SimConfig};

pub const KEY_TYPES: &[&str] = &[
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
];
pub const STATUSES: &[&str] = &[
    "PENDING_VALIDATION",
    "ISSUED",
    "INACTIVE",
    "EXPIRED",
    "VALIDATION_TIMED_OUT",
    "REVOKED",
    "FAILED",
];
const KEY_USAGES: &[&str] = &[
    "DIGITAL_SIGNATURE",
    "NON_REPUDIATION",
    "KEY_ENCIPHERMENT",
    "DATA_ENCIPHERMENT",
    "KEY_AGREEMENT",
    "CERTIFICATE_SIGNING",
    "CRL_SIGNING",
    "ENCIPHER_ONLY",
    "DECIPHER_ONLY",
    "ANY",
    "CUSTOM",
];
const EXT_KEY_USAGES: &[&str] = &[
    "TLS_WEB_SERVER_AUTHENTICATION",
    "TLS_WEB_CLIENT_AUTHENTICATION",
    "CODE_SIGNING",
    "EMAIL_PROTECTION",
    "TIME_STAMPING",
    "OCSP_SIGNING",
    "IPSEC_END_SYSTEM",
    "IPSEC_TUNNEL",
    "IPSEC_USER",
    "ANY",
    "NONE",
    "CUSTOM",
];
pub const MAX_ITEMS: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertType {
    AmazonIssued,
    Imported,
    Private,
}

impl CertType {
    pub fn as_str(self) -> &'static str {
        match self {
            CertType::AmazonIssued => "AMAZON_ISSUED",
            CertType::Imported => "IMPORTED",
            CertType::Private => "PRIVATE",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct DomainValidation {
    pub domain: String,
    pub validation_domain: String,
    pub status: &'static str,
    pub record_name: String,
    pub record_value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Renewal {
    /// PENDING_AUTO_RENEWAL | PENDING_VALIDATION | SUCCESS | FAILED
    pub status: &'static str,
    pub reason: Option<&'static str>,
    pub updated: DateTime<Utc>,
}

/// One certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct Cert {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub domain: String,
    pub sans: Vec<String>,
    pub cert_type: CertType,
    /// ISSUED | EXPIRED | PENDING_VALIDATION
    pub status: &'static str,
    pub key_algorithm: &'static str,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub imported_at: Option<DateTime<Utc>>,
    pub in_use_by: Vec<String>,
    pub renewal: Option<Renewal>,
    pub renewal_eligibility: &'static str,
    pub serial: Option<String>,
    pub issuer: Option<String>,
    pub signature_algorithm: Option<&'static str>,
    pub validations: Vec<DomainValidation>,
    pub ca_arn: Option<String>,
}

impl Cert {
    pub fn in_use(&self) -> bool {
        !self.in_use_by.is_empty()
    }

    fn key_usages(&self) -> Vec<&'static str> {
        if self.status == "PENDING_VALIDATION" {
            Vec::new()
        } else if self.key_algorithm.starts_with("EC_") {
            vec!["DIGITAL_SIGNATURE"]
        } else {
            vec!["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"]
        }
    }

    fn ext_key_usages(&self) -> Vec<&'static str> {
        if self.status == "PENDING_VALIDATION" {
            Vec::new()
        } else {
            vec![
                "TLS_WEB_SERVER_AUTHENTICATION",
                "TLS_WEB_CLIENT_AUTHENTICATION",
            ]
        }
    }
}

/// Every certificate, per account × region.
#[derive(Default)]
pub struct AcmWorld {
    by_scope: HashMap<(String, String), Vec<Cert>>,
    total: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Band {
    Expired,
    D7,
    D14,
    D30,
    D45,
    Later,
}

#[derive(Clone, Copy, Debug)]
struct Profile {
    ty: CertType,
    key: &'static str,
    band: Band,
    in_use: bool,
    /// Forced renewal status (AMAZON_ISSUED).
    renewal: Option<&'static str>,
    /// A fresh request still waiting for DNS validation.
    pending: bool,
}

const fn p(ty: CertType, key: &'static str, band: Band, in_use: bool) -> Profile {
    Profile {
        ty,
        key,
        band,
        in_use,
        renewal: None,
        pending: false,
    }
}

/// The first certificates (round-robin over the accounts) cover every case a console must show.
const FORCED: &[Profile] = &[
    Profile {
        renewal: Some("FAILED"),
        ..p(CertType::AmazonIssued, "RSA_2048", Band::Expired, true)
    },
    p(CertType::Imported, "RSA_2048", Band::D7, true),
    Profile {
        renewal: Some("FAILED"),
        ..p(CertType::AmazonIssued, "RSA_2048", Band::D14, true)
    },
    Profile {
        renewal: Some("PENDING_VALIDATION"),
        ..p(CertType::AmazonIssued, "EC_prime256v1", Band::D30, true)
    },
    p(CertType::Private, "RSA_2048", Band::D45, true),
    p(CertType::Imported, "RSA_4096", Band::Later, true),
    p(CertType::AmazonIssued, "EC_secp384r1", Band::Later, false),
    p(CertType::Imported, "EC_prime256v1", Band::Expired, false),
    p(CertType::AmazonIssued, "RSA_2048", Band::D7, true),
    p(CertType::Private, "RSA_4096", Band::D30, true),
    Profile {
        pending: true,
        ..p(CertType::AmazonIssued, "RSA_2048", Band::Later, false)
    },
    p(CertType::Imported, "RSA_2048", Band::D45, true),
    p(CertType::AmazonIssued, "RSA_2048", Band::Later, true),
    p(CertType::AmazonIssued, "RSA_2048", Band::D14, false),
];

fn random_profile(rng: &mut Rng) -> Profile {
    let ty = *rng.weighted(&[
        (CertType::AmazonIssued, 55),
        (CertType::Imported, 30),
        (CertType::Private, 15),
    ]);
    let key = if ty == CertType::AmazonIssued {
        *rng.weighted(&[("RSA_2048", 80), ("EC_prime256v1", 12), ("EC_secp384r1", 8)])
    } else {
        *rng.weighted(&[
            ("RSA_2048", 70),
            ("RSA_4096", 12),
            ("EC_prime256v1", 10),
            ("EC_secp384r1", 8),
        ])
    };
    let band = *rng.weighted(&[
        (Band::Expired, 7),
        (Band::D7, 6),
        (Band::D14, 6),
        (Band::D30, 9),
        (Band::D45, 9),
        (Band::Later, 63),
    ]);
    Profile {
        ty,
        key,
        band,
        in_use: rng.chance(0.6),
        renewal: None,
        pending: ty == CertType::AmazonIssued && rng.chance(0.04),
    }
}

const HOSTS: &[&str] = &[
    "api", "www", "app", "auth", "admin", "grafana", "internal", "*", "static", "ws", "portal",
    "status", "hooks", "sso",
];
const PUBLIC_CAS: &[&str] = &[
    "DigiCert Inc",
    "Let's Encrypt",
    "Sectigo Limited",
    "GlobalSign nv-sa",
];

fn upper_alnum(rng: &mut Rng, n: usize) -> String {
    const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| CH[rng.below(CH.len() as u64) as usize] as char)
        .collect()
}

/// (application, environment) from an account name like `payments-prod`.
fn app_env(name: &str) -> (String, &'static str) {
    for (suffix, env) in [
        ("-prod", "prod"),
        ("-staging", "staging"),
        ("-dev", "dev"),
        ("-sandbox", "sandbox"),
    ] {
        if let Some(i) = name.find(suffix) {
            return (name[..i].to_string(), env);
        }
    }
    if name.ends_with("-management") {
        return ("corp".into(), "prod");
    }
    (name.to_string(), "prod")
}

impl AcmWorld {
    pub fn generate(cfg: &SimConfig, org: &Organization, epoch: DateTime<Utc>) -> AcmWorld {
        let accounts: Vec<_> = org
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Active)
            .collect();
        let mut world = AcmWorld::default();
        if cfg.regions.is_empty() {
            return world;
        }
        let company = org.domain.split('.').next().unwrap_or("corp").to_string();
        let mut slot = 0usize;
        for i in 0..cfg.certs_per_account {
            for (ai, acct) in accounts.iter().enumerate() {
                let mut rng = Rng::derive(cfg.seed, &format!("acm/{}/{i}", acct.id));
                let profile = FORCED
                    .get(slot)
                    .copied()
                    .unwrap_or_else(|| random_profile(&mut rng));
                slot += 1;
                let region = cfg.regions[(i + ai) % cfg.regions.len()].clone();
                let cert = make_cert(&mut rng, profile, acct, &region, org, &company, epoch);
                world
                    .by_scope
                    .entry((acct.id.clone(), region))
                    .or_default()
                    .push(cert);
                world.total += 1;
            }
        }
        world
    }

    /// The certificates of one account in one region (generation order).
    pub fn certs(&self, account_id: &str, region: &str) -> &[Cert] {
        self.by_scope
            .get(&(account_id.to_string(), region.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every certificate.
    pub fn all(&self) -> impl Iterator<Item = &Cert> {
        self.by_scope.values().flatten()
    }

    pub fn total(&self) -> usize {
        self.total
    }
}

fn make_cert(
    rng: &mut Rng,
    profile: Profile,
    acct: &super::world::Account,
    region: &str,
    org: &Organization,
    company: &str,
    epoch: DateTime<Utc>,
) -> Cert {
    let (app, env) = app_env(&acct.name);
    let host = *rng.pick(HOSTS);
    let zone = match (profile.ty, env) {
        (CertType::Private, _) => format!("{app}.{env}.{company}.internal"),
        (_, "prod") => format!("{app}.{}", org.domain),
        _ => format!("{app}.{env}.{}", org.domain),
    };
    let domain = format!("{host}.{zone}");
    let mut sans = vec![domain.clone()];
    if host == "*" {
        sans.push(zone.clone());
    } else if rng.chance(0.4) {
        let other = *rng.pick(HOSTS);
        let extra = format!("{other}.{zone}");
        if !sans.contains(&extra) {
            sans.push(extra);
        }
    }

    let days_left: i64 = match profile.band {
        Band::Expired => rng.range(-90, -1),
        Band::D7 => rng.range(0, 6),
        Band::D14 => rng.range(8, 13),
        Band::D30 => rng.range(15, 29),
        Band::D45 => rng.range(31, 44),
        Band::Later => rng.range(46, 390),
    };
    let not_after = epoch + Duration::days(days_left) + Duration::seconds(rng.range(3600, 82_800));
    let validity = match profile.ty {
        CertType::AmazonIssued => Duration::days(395),
        CertType::Imported => Duration::days(*rng.pick(&[90, 365, 397])),
        CertType::Private => Duration::days(365),
    };
    let not_before = not_after - validity;
    let uuid = rng.uuid();
    let arn = format!("arn:aws:acm:{region}:{}:certificate/{uuid}", acct.id);

    let in_use_by: Vec<String> = if profile.in_use && !profile.pending {
        let n = rng.range(1, 3);
        (0..n)
            .map(|k| match (k, rng.below(3)) {
                (0, _) | (_, 0) => format!(
                    "arn:aws:elasticloadbalancing:{region}:{}:loadbalancer/app/{app}-{env}-alb{}/{}",
                    acct.id,
                    if k == 0 { String::new() } else { format!("-{k}") },
                    rng.hex(16)
                ),
                (_, 1) if region == "us-east-1" && profile.ty != CertType::Private => format!(
                    "arn:aws:cloudfront::{}:distribution/E{}",
                    acct.id,
                    upper_alnum(rng, 13)
                ),
                _ => format!("arn:aws:apigateway:{region}::/domainnames/{}", domain.replace('*', "wildcard")),
            })
            .collect()
    } else {
        Vec::new()
    };

    let created = if profile.pending {
        epoch - Duration::hours(rng.range(1, 60))
    } else {
        not_before - Duration::minutes(rng.range(2, 600))
    };
    let status = if profile.pending {
        "PENDING_VALIDATION"
    } else if days_left < 0 {
        "EXPIRED"
    } else {
        "ISSUED"
    };

    let mut validations = Vec::new();
    if profile.ty == CertType::AmazonIssued {
        for d in &sans {
            let vd = d.trim_start_matches("*.").to_string();
            validations.push(DomainValidation {
                record_name: format!("_{}.{vd}.", rng.hex(32)),
                record_value: format!("_{}.{}.acm-validations.aws.", rng.hex(32), rng.hex(10)),
                domain: d.clone(),
                validation_domain: vd,
                status: if profile.pending {
                    "PENDING_VALIDATION"
                } else {
                    "SUCCESS"
                },
            });
        }
    }

    // Renewal: ACM renews AMAZON_ISSUED certificates that are in use, starting 60 days out.
    let renewal = if profile.ty != CertType::AmazonIssued || profile.pending {
        None
    } else if let Some(s) = profile.renewal {
        Some(s)
    } else if profile.in_use && days_left < 0 {
        Some("FAILED")
    } else if profile.in_use && days_left <= 60 {
        Some("PENDING_AUTO_RENEWAL")
    } else {
        None
    }
    .map(|s| Renewal {
        status: s,
        reason: match s {
            "FAILED" => Some(*rng.pick(&[
                "CAA_ERROR",
                "DOMAIN_VALIDATION_DENIED",
                "NO_AVAILABLE_CONTACTS",
            ])),
            "PENDING_VALIDATION" => None,
            _ => None,
        },
        updated: epoch - Duration::hours(rng.range(1, 24 * 20)),
    });
    if let Some(r) = &renewal
        && r.status == "PENDING_VALIDATION"
    {
        for v in &mut validations {
            v.status = "PENDING_VALIDATION";
        }
    }
    let renewal_eligibility = match profile.ty {
        CertType::Imported => "INELIGIBLE",
        CertType::Private => "ELIGIBLE",
        CertType::AmazonIssued if profile.in_use => "ELIGIBLE",
        CertType::AmazonIssued => "INELIGIBLE",
    };
    let issued = !profile.pending;
    let serial = issued.then(|| (0..16).map(|_| rng.hex(2)).collect::<Vec<_>>().join(":"));
    let issuer = issued.then(|| match profile.ty {
        CertType::AmazonIssued => "Amazon".to_string(),
        CertType::Imported => rng.pick(PUBLIC_CAS).to_string(),
        CertType::Private => format!("{} Internal Issuing CA", capitalize(company)),
    });
    let signature_algorithm = issued.then_some(match profile.key {
        "EC_secp384r1" => "SHA384WITHECDSA",
        k if k.starts_with("EC_") => "SHA256WITHECDSA",
        _ => "SHA256WITHRSA",
    });
    let ca_arn = (profile.ty == CertType::Private).then(|| {
        format!(
            "arn:aws:acm-pca:{region}:{}:certificate-authority/{}",
            org.management_account_id,
            Rng::derive(0xca, &format!("{}/{region}", org.id)).uuid()
        )
    });

    Cert {
        arn,
        account_id: acct.id.clone(),
        region: region.to_string(),
        domain,
        sans,
        cert_type: profile.ty,
        status,
        key_algorithm: profile.key,
        not_before: issued.then_some(not_before),
        not_after: issued.then_some(not_after),
        created_at: created,
        issued_at: (issued && profile.ty != CertType::Imported)
            .then(|| not_before + Duration::minutes(rng.range(1, 30))),
        imported_at: (profile.ty == CertType::Imported)
            .then(|| not_before + Duration::hours(rng.range(1, 72))),
        in_use_by,
        renewal,
        renewal_eligibility,
        serial,
        issuer,
        signature_algorithm,
        validations,
        ca_arn,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn constraint(value: &str, field: &str, rule: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

fn string_list(
    input: &Value,
    field: &str,
    wire: &str,
    allowed: &[&str],
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(v) = input.get(wire) else {
        return Ok(None);
    };
    let Some(arr) = v.as_array() else {
        return Err(ApiError::new(
            400,
            "SerializationException",
            format!("Expected a list for {wire}"),
        ));
    };
    let mut out = Vec::new();
    for x in arr {
        let s = x.as_str().unwrap_or_default();
        if !allowed.contains(&s) {
            return Err(constraint(
                &format!("[{s}]"),
                field,
                &format!(
                    "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                    allowed.join(", ")
                ),
            ));
        }
        out.push(s.to_string());
    }
    Ok(Some(out))
}

/// Answer one `CertificateManager.<op>` call.
pub fn handle(world: &World, op: &str, input: &Value, ctx: &CallCtx) -> Result<Value, ApiError> {
    match op {
        "ListCertificates" => list_certificates(world, input, ctx),
        "DescribeCertificate" => describe_certificate(world, input, ctx),
        other => Err(ApiError::unknown_operation(other)),
    }
}

fn list_certificates(world: &World, input: &Value, ctx: &CallCtx) -> Result<Value, ApiError> {
    let max = match opt_int(input, "MaxItems")? {
        None => MAX_ITEMS,
        Some(n) if !(1..=MAX_ITEMS).contains(&n) => {
            let rule = if n < 1 {
                "Member must have value greater than or equal to 1"
            } else {
                "Member must have value less than or equal to 1000"
            };
            return Err(constraint(&n.to_string(), "maxItems", rule));
        }
        Some(n) => n,
    } as usize;
    let statuses = string_list(
        input,
        "certificateStatuses",
        "CertificateStatuses",
        STATUSES,
    )?;
    let includes = input.get("Includes").cloned().unwrap_or(Value::Null);
    let key_types = string_list(&includes, "includes.keyTypes", "keyTypes", KEY_TYPES)?
        .unwrap_or_else(|| vec!["RSA_1024".into(), "RSA_2048".into()]);
    let key_usage = string_list(&includes, "includes.keyUsage", "keyUsage", KEY_USAGES)?;
    let ext_usage = string_list(
        &includes,
        "includes.extendedKeyUsage",
        "extendedKeyUsage",
        EXT_KEY_USAGES,
    )?;
    let export = opt_str(&includes, "exportOption");
    let managed_by = opt_str(&includes, "managedBy");
    let sort_by = opt_str(input, "SortBy");
    let sort_order = opt_str(input, "SortOrder");
    if sort_by.is_some() != sort_order.is_some() {
        return Err(ApiError::validation(
            "SortBy and SortOrder must be specified together.",
        ));
    }
    if let Some(s) = sort_by
        && s != "CREATED_AT"
    {
        return Err(constraint(
            s,
            "sortBy",
            "Member must satisfy enum value set: [CREATED_AT]",
        ));
    }
    if let Some(o) = sort_order
        && o != "ASCENDING"
        && o != "DESCENDING"
    {
        return Err(constraint(
            o,
            "sortOrder",
            "Member must satisfy enum value set: [ASCENDING, DESCENDING]",
        ));
    }

    let mut certs: Vec<&Cert> = world
        .acm
        .certs(&ctx.account_id, &ctx.region)
        .iter()
        .filter(|c| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == c.status))
        })
        .filter(|c| key_types.iter().any(|k| k == c.key_algorithm))
        .filter(|c| {
            key_usage.as_ref().is_none_or(|u| {
                u.iter()
                    .any(|x| x == "ANY" || c.key_usages().contains(&x.as_str()))
            })
        })
        .filter(|c| {
            ext_usage.as_ref().is_none_or(|u| {
                u.iter()
                    .any(|x| x == "ANY" || c.ext_key_usages().contains(&x.as_str()))
            })
        })
        .filter(|_| export.is_none_or(|e| e == "DISABLED"))
        .filter(|_| managed_by.is_none())
        .collect();
    if sort_by.is_some() {
        certs.sort_by_key(|c| c.created_at);
        if sort_order == Some("DESCENDING") {
            certs.reverse();
        }
    }

    let scope = format!(
        "ListCertificates/{}/{}/{:?}/{:?}/{:?}/{:?}/{:?}/{:?}/{:?}",
        ctx.account_id,
        ctx.region,
        statuses,
        key_types,
        key_usage,
        ext_usage,
        export,
        sort_by,
        sort_order
    );
    let start = match opt_str(input, "NextToken") {
        None => 0,
        Some(t) => match token::decode(&scope, t) {
            Some((off, _)) if off <= certs.len() => off,
            _ => {
                return Err(ApiError::new(
                    400,
                    "InvalidArgsException",
                    "The NextToken is not valid for this request.",
                ));
            }
        },
    };
    let end = (start + max).min(certs.len());
    let list: Vec<Value> = certs[start..end].iter().map(|c| summary_json(c)).collect();
    let mut out = crate::sim::protocol::list_body("CertificateSummaryList", list);
    if end < certs.len() {
        out["NextToken"] = token::encode(&scope, end, false).into();
    }
    Ok(out)
}

fn put_ts(m: &mut Map<String, Value>, key: &str, t: Option<DateTime<Utc>>) {
    if let Some(t) = t {
        m.insert(key.into(), ts(t));
    }
}

fn summary_json(c: &Cert) -> Value {
    let mut m = Map::new();
    m.insert("CertificateArn".into(), c.arn.clone().into());
    m.insert("DomainName".into(), c.domain.clone().into());
    m.insert("SubjectAlternativeNameSummaries".into(), json!(c.sans));
    m.insert("HasAdditionalSubjectAlternativeNames".into(), false.into());
    m.insert("Status".into(), c.status.into());
    m.insert("Type".into(), c.cert_type.as_str().into());
    m.insert("KeyAlgorithm".into(), c.key_algorithm.into());
    m.insert("KeyUsages".into(), json!(c.key_usages()));
    m.insert("ExtendedKeyUsages".into(), json!(c.ext_key_usages()));
    m.insert("ExportOption".into(), "DISABLED".into());
    m.insert("InUse".into(), c.in_use().into());
    if c.cert_type == CertType::Private {
        m.insert("Exported".into(), false.into());
    }
    m.insert("RenewalEligibility".into(), c.renewal_eligibility.into());
    put_ts(&mut m, "NotBefore", c.not_before);
    put_ts(&mut m, "NotAfter", c.not_after);
    put_ts(&mut m, "CreatedAt", Some(c.created_at));
    put_ts(&mut m, "IssuedAt", c.issued_at);
    put_ts(&mut m, "ImportedAt", c.imported_at);
    Value::Object(m)
}

fn validation_json(v: &DomainValidation) -> Value {
    json!({
        "DomainName": v.domain,
        "ValidationDomain": v.validation_domain,
        "ValidationStatus": v.status,
        "ResourceRecord": {"Name": v.record_name, "Type": "CNAME", "Value": v.record_value},
        "ValidationMethod": "DNS",
    })
}

fn detail_json(c: &Cert) -> Value {
    let mut m = Map::new();
    m.insert("CertificateArn".into(), c.arn.clone().into());
    m.insert("DomainName".into(), c.domain.clone().into());
    m.insert("SubjectAlternativeNames".into(), json!(c.sans));
    if !c.validations.is_empty() {
        m.insert(
            "DomainValidationOptions".into(),
            Value::Array(c.validations.iter().map(validation_json).collect()),
        );
    }
    if let Some(s) = &c.serial {
        m.insert("Serial".into(), s.clone().into());
    }
    m.insert("Subject".into(), format!("CN={}", c.domain).into());
    if let Some(i) = &c.issuer {
        m.insert("Issuer".into(), i.clone().into());
    }
    put_ts(&mut m, "CreatedAt", Some(c.created_at));
    put_ts(&mut m, "IssuedAt", c.issued_at);
    put_ts(&mut m, "ImportedAt", c.imported_at);
    m.insert("Status".into(), c.status.into());
    put_ts(&mut m, "NotBefore", c.not_before);
    put_ts(&mut m, "NotAfter", c.not_after);
    m.insert("KeyAlgorithm".into(), c.key_algorithm.into());
    if let Some(s) = c.signature_algorithm {
        m.insert("SignatureAlgorithm".into(), s.into());
    }
    m.insert("InUseBy".into(), json!(c.in_use_by));
    m.insert("Type".into(), c.cert_type.as_str().into());
    if let Some(r) = &c.renewal {
        let mut rs = json!({
            "RenewalStatus": r.status,
            "DomainValidationOptions": c.validations.iter().map(validation_json).collect::<Vec<_>>(),
            "UpdatedAt": ts(r.updated),
        });
        if let Some(reason) = r.reason {
            rs["RenewalStatusReason"] = reason.into();
        }
        m.insert("RenewalSummary".into(), rs);
    }
    m.insert(
        "KeyUsages".into(),
        Value::Array(c.key_usages().iter().map(|k| json!({"Name": k})).collect()),
    );
    m.insert(
        "ExtendedKeyUsages".into(),
        Value::Array(
            c.ext_key_usages()
                .iter()
                .map(|k| {
                    let oid = if *k == "TLS_WEB_SERVER_AUTHENTICATION" {
                        "1.3.6.1.5.5.7.3.1"
                    } else {
                        "1.3.6.1.5.5.7.3.2"
                    };
                    json!({"Name": k, "OID": oid})
                })
                .collect(),
        ),
    );
    if let Some(ca) = &c.ca_arn {
        m.insert("CertificateAuthorityArn".into(), ca.clone().into());
    }
    m.insert("RenewalEligibility".into(), c.renewal_eligibility.into());
    let ct = if c.cert_type == CertType::AmazonIssued {
        "ENABLED"
    } else {
        "DISABLED"
    };
    m.insert(
        "Options".into(),
        json!({"CertificateTransparencyLoggingPreference": ct}),
    );
    json!({ "Certificate": Value::Object(m) })
}

fn describe_certificate(world: &World, input: &Value, ctx: &CallCtx) -> Result<Value, ApiError> {
    let Some(arn) = opt_str(input, "CertificateArn") else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null",
        ));
    };
    if arn.len() < 20 || arn.len() > 2048 {
        return Err(constraint(
            arn,
            "certificateArn",
            "Member must have length between 20 and 2048",
        ));
    }
    let well_formed = arn.starts_with("arn:aws:acm:")
        && arn.split(':').count() == 6
        && arn
            .split(':')
            .nth(5)
            .is_some_and(|r| r.starts_with("certificate/"));
    if !well_formed {
        return Err(ApiError::new(
            400,
            "InvalidArnException",
            format!("String '{arn}' is not a valid ARN."),
        ));
    }
    world
        .acm
        .certs(&ctx.account_id, &ctx.region)
        .iter()
        .find(|c| c.arn == arn)
        .map(detail_json)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "ResourceNotFoundException",
                format!("Could not find certificate {arn}."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn world() -> (SimConfig, Organization, AcmWorld, DateTime<Utc>) {
        let cfg = SimConfig::default();
        let epoch = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let org = Organization::generate(&cfg, epoch);
        let acm = AcmWorld::generate(&cfg, &org, epoch);
        (cfg, org, acm, epoch)
    }

    #[test]
    fn default_world_covers_every_case() {
        let (_, org, acm, epoch) = world();
        assert!((70..=90).contains(&acm.total()), "{}", acm.total());
        let all: Vec<&Cert> = acm.all().collect();
        let days = |c: &Cert| c.not_after.map(|t| (t - epoch).num_days());
        assert!(all.iter().any(|c| c.status == "EXPIRED"));
        for (lo, hi) in [(0, 7), (8, 14), (15, 30), (31, 45), (46, 400)] {
            assert!(
                all.iter()
                    .any(|c| days(c).is_some_and(|d| d >= lo && d <= hi)),
                "no certificate with {lo}..={hi} days left"
            );
        }
        for t in [
            CertType::AmazonIssued,
            CertType::Imported,
            CertType::Private,
        ] {
            assert!(all.iter().any(|c| c.cert_type == t));
        }
        for k in ["RSA_2048", "RSA_4096", "EC_prime256v1", "EC_secp384r1"] {
            assert!(all.iter().any(|c| c.key_algorithm == k));
        }
        assert!(
            all.iter()
                .any(|c| c.cert_type == CertType::Imported && c.in_use())
        );
        for r in ["FAILED", "PENDING_VALIDATION", "PENDING_AUTO_RENEWAL"] {
            assert!(
                all.iter()
                    .any(|c| c.renewal.as_ref().is_some_and(|x| x.status == r))
            );
        }
        // No certificates in the suspended account; every other account has some.
        for a in &org.accounts {
            let n = all.iter().filter(|c| c.account_id == a.id).count();
            assert_eq!(n == 0, a.status == AccountStatus::Suspended, "{}", a.name);
        }
    }
}
