//! The AWS profiles of the user's shared config and credentials files, for `:ctx`: parsed
//! with the SDK's own parser (`aws_config::profile::load`, which honours `AWS_CONFIG_FILE`
//! and `AWS_SHARED_CREDENTIALS_FILE` exactly as the credential chain does), reduced to what
//! can be shown without a network call and without a secret.

use aws_types::os_shim_internal::{Env, Fs};

use crate::config::aws_profiles::ProfileInfo;

/// Every profile of the files, sorted by name (`default` first).
pub async fn list() -> Result<Vec<ProfileInfo>, String> {
    list_with(&Fs::real(), &Env::real()).await
}

async fn list_with(fs: &Fs, env: &Env) -> Result<Vec<ProfileInfo>, String> {
    let set = aws_config::profile::load(fs, env, &Default::default(), None)
        .await
        .map_err(|e| format!("cannot read the AWS config files: {e}"))?;
    let mut out: Vec<ProfileInfo> = set
        .profiles()
        .filter_map(|name| set.get_profile(name))
        .map(|p| describe(p.name(), |k| p.get(k).map(str::to_string)))
        .collect();
    out.sort_by(|a, b| {
        (a.name != "default")
            .cmp(&(b.name != "default"))
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}

/// One profile from its properties. Only names, ARNs, ids and regions are copied; keys,
/// tokens and the `credential_process` command (it may carry a secret) never are.
fn describe(name: &str, get: impl Fn(&str) -> Option<String>) -> ProfileInfo {
    let (auth, detail) = if let Some(role) = get("role_arn") {
        let from = get("source_profile")
            .map(|p| format!("from profile {p}"))
            .or_else(|| get("credential_source").map(|c| format!("from {c}")))
            .or_else(|| get("web_identity_token_file").map(|_| "with a web identity token".into()))
            .unwrap_or_default();
        let mfa = if get("mfa_serial").is_some() {
            " (MFA)"
        } else {
            ""
        };
        ("role", format!("{role} {from}{mfa}").trim().to_string())
    } else if get("sso_account_id").is_some() || get("sso_session").is_some() {
        let mut parts = Vec::new();
        if let Some(a) = get("sso_account_id") {
            parts.push(format!("account {a}"));
        }
        if let Some(r) = get("sso_role_name") {
            parts.push(format!("role {r}"));
        }
        if let Some(s) = get("sso_session") {
            parts.push(format!("session {s}"));
        } else if let Some(u) = get("sso_start_url") {
            parts.push(u);
        }
        ("sso", parts.join(", "))
    } else if get("credential_process").is_some() {
        (
            "process",
            "credential_process (command not shown)".to_string(),
        )
    } else if get("aws_access_key_id").is_some() {
        ("keys", "access keys (values not shown)".to_string())
    } else if get("web_identity_token_file").is_some() {
        ("web-identity", "web identity token file".to_string())
    } else {
        (
            "-",
            "no credentials here: the chain's next source".to_string(),
        )
    };
    ProfileInfo {
        name: name.to_string(),
        region: get("region"),
        auth: auth.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn profiles_from_both_files_without_a_secret() {
        let config = "[default]\nregion = us-east-1\n\
            [profile org-admin]\nsso_session = corp\nsso_account_id = 111111111111\n\
            sso_role_name = ReadOnly\nregion = eu-west-1\n\
            [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
            [profile audit]\nrole_arn = arn:aws:iam::222222222222:role/Audit\nsource_profile = org-admin\nmfa_serial = arn:aws:iam::1:mfa/me\n\
            [profile tool]\ncredential_process = /bin/get-creds --token SECRET-TOKEN\n";
        let creds = "[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = SECRET-KEY\n";
        let fs = Fs::from_slice(&[("/c/config", config), ("/c/credentials", creds)]);
        let env = Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/c/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/c/credentials"),
            ("HOME", "/home/nobody"),
        ]);
        let got = list_with(&fs, &env).await.unwrap();
        let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "audit", "ci", "org-admin", "tool"]);
        let by = |n: &str| got.iter().find(|p| p.name == n).unwrap();
        assert_eq!(by("default").region.as_deref(), Some("us-east-1"));
        assert_eq!(by("default").auth, "-");
        assert_eq!(by("org-admin").auth, "sso");
        assert_eq!(
            by("org-admin").detail,
            "account 111111111111, role ReadOnly, session corp"
        );
        assert_eq!(by("audit").auth, "role");
        assert_eq!(
            by("audit").detail,
            "arn:aws:iam::222222222222:role/Audit from profile org-admin (MFA)"
        );
        assert_eq!(by("ci").auth, "keys");
        assert_eq!(by("tool").auth, "process");
        let all = format!("{got:?}");
        for secret in ["SECRET-TOKEN", "SECRET-KEY", "AKIDEXAMPLE"] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }
    }

    #[tokio::test]
    async fn no_files_no_profiles() {
        let env = Env::from_slice(&[("HOME", "/home/nobody")]);
        assert!(
            list_with(&Fs::from_slice(&[]), &env)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
