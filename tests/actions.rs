//! Actions end to end through the real AWS SDK: against moto (SendCommand +
//! GetCommandInvocation through the same client code the console uses) and against the
//! ssmdeck simulator (patch now across accounts and regions, splitting, read-only, cancel,
//! truncation).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ssmdeck::actions::audit::{AuditLog, Outcome};
use ssmdeck::actions::{ActionError, Gate, ReadOnlySource, SendRequest, StaticClients, watch};

/// moto_server on a free loopback port, killed on drop.
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

fn start_moto() -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("SKIPPED: moto_server not available ({e}); `.ci/run` installs it");
            return None;
        }
    };
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(moto);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("SKIPPED: moto_server did not start listening within 20 s");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_send_command_and_get_invocation_through_the_gate() {
    let Some(moto) = start_moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(None, dir.path().join("audit.jsonl"));
    gate.set_caller("arn:aws:iam::123456789012:user/tester");
    let clients = StaticClients::new(Some(moto.url.clone()), "AKIDMOTOTEST", "moto-secret-value");
    let req = SendRequest {
        account_id: "123456789012".into(),
        region: "eu-west-1".into(),
        document: "AWS-RunPatchBaseline".into(),
        parameters: BTreeMap::from([("Operation".to_string(), vec!["Scan".to_string()])]),
        instance_ids: vec!["i-0123456789abcdef0".into(), "i-0123456789abcdef1".into()],
        max_concurrency: Some("1".into()),
        max_errors: Some("1".into()),
        comment: Some("ssmdeck moto test".into()),
        timeout_seconds: None,
    };
    let cmd = gate
        .send_command(&clients, &req)
        .await
        .expect("SendCommand via moto");
    assert_eq!(cmd.command_id.len(), 36, "a UUID command id: {cmd:?}");
    assert_eq!(cmd.document_name, "AWS-RunPatchBaseline");
    let mut ids = cmd.instance_ids.clone();
    ids.sort();
    assert_eq!(ids, req.instance_ids);
    assert_eq!(cmd.max_concurrency, "1");
    assert_eq!(cmd.parameters["Operation"], vec!["Scan"]);

    // moto reports one step, aws:runShellScript, when no PluginName is given
    let client = clients.client("eu-west-1");
    let out = watch::get_invocation(
        &client,
        &cmd.command_id,
        "123456789012",
        "eu-west-1",
        "i-0123456789abcdef0",
        None,
        Duration::from_secs(10),
    )
    .await
    .expect("GetCommandInvocation via moto");
    assert_eq!(out.status, "Success");
    assert_eq!(out.response_code, 0);
    assert!(
        out.started_at.is_some() && out.finished_at.is_some(),
        "{out:?}"
    );
    assert!(out.truncation_note().is_none());

    // an unknown command id is a clear AWS error, not a hang
    let err = watch::get_invocation(
        &client,
        "00000000-0000-0000-0000-000000000000",
        "123456789012",
        "eu-west-1",
        "i-0123456789abcdef0",
        None,
        Duration::from_secs(10),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ActionError::Aws { .. }), "{err}");

    // the audit log has the command id and no secret
    let recs = AuditLog::read(&gate.audit_path()).unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].outcome, Outcome::Sent);
    assert_eq!(recs[0].command_id.as_deref(), Some(cmd.command_id.as_str()));
    assert_eq!(recs[0].caller, "arn:aws:iam::123456789012:user/tester");
    let text = std::fs::read_to_string(gate.audit_path()).unwrap();
    assert!(!text.contains("moto-secret-value"));

    // read-only: the same request never reaches moto
    let ro = Gate::new(Some(ReadOnlySource::Config), dir.path().join("ro.jsonl"));
    let err = ro.send_command(&clients, &req).await.unwrap_err();
    assert!(err.is_read_only());
    assert!(err.to_string().contains("config file"), "{err}");
}
