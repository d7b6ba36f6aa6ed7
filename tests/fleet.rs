//! The fleet data layer through the real AWS SDK: against moto (a third-party emulator) and
//! against ssmdeck's own simulator.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use ssmdeck::fleet::{Fleet, Scope, StaticCredentials};
use ssmdeck::model::{DiscoverySource, FleetSnapshot};

/// A moto_server child process, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_moto() -> Option<Moto> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: moto_server not available ({e}); `.ci/run` installs it");
            return None;
        }
    };
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(moto);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("SKIPPED: moto_server did not start listening within 20 s");
    None
}

fn scope_for(url: &str, regions: &[&str]) -> Scope {
    Scope {
        endpoint_url: Some(url.to_string()),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        static_credentials: Some(StaticCredentials {
            access_key_id: "AKIAMOTOTEST00000001".into(),
            secret_access_key: "x".into(),
        }),
        call_timeout: Duration::from_secs(10),
        cache_file: None,
        ..Scope::default()
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_organization_and_certificates_through_assume_role() {
    let Some(moto) = start_moto() else { return };
    let setup = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fleet_moto_setup.py"
        ))
        .arg(&moto.url)
        .output()
        .expect("python3 runs");
    if !setup.status.success() {
        let err = String::from_utf8_lossy(&setup.stderr);
        if err.contains("ModuleNotFoundError") {
            eprintln!("SKIPPED: boto3/cryptography missing for the moto setup: {err}");
            return;
        }
        panic!("moto setup failed: {err}");
    }
    let world: Value = serde_json::from_slice(&setup.stdout).unwrap();

    let fleet = Fleet::connect(scope_for(&moto.url, &["us-east-1", "eu-west-1"]))
        .await
        .expect("connect to moto");
    assert_eq!(
        fleet.caller().account_id,
        world["management"].as_str().unwrap()
    );
    let snap = fleet.collect_once(None).await;

    // the organization: OUs and accounts with their paths
    assert_eq!(snap.organization.source, DiscoverySource::Organizations);
    assert!(snap.organization.id.is_some());
    let unit_paths: Vec<&str> = snap
        .organization
        .units
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    for p in [
        "Root/Workloads",
        "Root/Workloads/Prod",
        "Root/Workloads/Dev",
        "Root/Security",
    ] {
        assert!(unit_paths.contains(&p), "{p} missing from {unit_paths:?}");
    }
    for a in world["accounts"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let got = snap
            .account(id)
            .unwrap_or_else(|| panic!("account {id} not discovered"));
        assert_eq!(got.name, a["name"].as_str().unwrap());
        assert_eq!(got.ou_path, a["ou_path"].as_str().unwrap());
        assert!(got.state.is_active());
    }
    assert!(
        snap.account(world["management"].as_str().unwrap())
            .is_some()
    );

    // certificates, read in each member account through AssumeRole, in both regions
    let expected = world["certificates"].as_array().unwrap();
    assert_eq!(
        snap.certificates.len(),
        expected.len(),
        "{:#?}",
        snap.certificates
    );
    for c in expected {
        let arn = c["arn"].as_str().unwrap();
        let got = snap
            .certificates
            .iter()
            .find(|x| x.arn == arn)
            .unwrap_or_else(|| panic!("certificate {arn} missing"));
        assert_eq!(got.account_id, c["account_id"].as_str().unwrap());
        assert_eq!(got.region, c["region"].as_str().unwrap());
        assert_eq!(got.domain_name, c["domain_name"].as_str().unwrap());
        assert_eq!(got.cert_type, "IMPORTED");
        let days = c["days"].as_i64().unwrap();
        let left = got.days_left.unwrap();
        assert!(left == days || left == days - 1, "{left} vs {days}");
    }

    // what moto lacks is an error per account × region, not a lost snapshot
    let accounts = snap.accounts.len();
    let ssm_errors: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.service == "ssm" && e.operation == "DescribeInstanceInformation")
        .collect();
    assert_eq!(ssm_errors.len(), accounts * 2, "{:#?}", snap.errors);
    for e in &ssm_errors {
        assert!(e.account_id.is_some() && e.region.is_some());
        assert!(!e.code.is_empty() && !e.message.is_empty());
    }
    assert!(snap.complete);
    assert_eq!(snap.progress.done, snap.progress.total);
    assert_eq!(snap.progress.total as usize, accounts * 2);

    // the JSON contract of `ssmdeck snapshot`
    let json = serde_json::to_value(&snap).unwrap();
    for k in [
        "organization",
        "accounts",
        "nodes",
        "certificates",
        "errors",
        "collected_at",
    ] {
        assert!(json.get(k).is_some(), "top-level key {k} missing");
    }
    let acct = keys(&json["accounts"][0]);
    for k in ["id", "name", "ou_path", "state"] {
        assert!(acct.contains(&k.to_string()), "accounts.{k}");
    }
    let cert = &json["certificates"][0];
    for k in [
        "arn",
        "account_id",
        "region",
        "domain_name",
        "type",
        "status",
        "key_algorithm",
        "not_after",
        "days_left",
        "in_use",
        "renewal_eligibility",
        "renewal_status",
    ] {
        assert!(cert.get(k).is_some(), "certificates.{k}");
    }
    let not_after = cert["not_after"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(not_after).is_ok(),
        "{not_after}"
    );
    let err = keys(&json["errors"][0]);
    for k in ["account_id", "region", "service", "code", "message"] {
        assert!(err.contains(&k.to_string()), "errors.{k}");
    }
    let back: FleetSnapshot = serde_json::from_value(json).unwrap();
    assert_eq!(back.certificates, snap.certificates);
}
