//! Named AWS profiles must exist. A profile given with `--profile` / `AWS_PROFILE`, as
//! `profile` in the config, or mapped to an account (`account_profiles`, `[[accounts]]
//! profile`) that is in neither the AWS config file nor the shared credentials file is an
//! error before anything runs — otherwise the credential chain would quietly fall back to
//! environment credentials and show another account's fleet.
//!
//! The files are the SDK's: `AWS_CONFIG_FILE` (default `~/.aws/config`, sections `[default]`
//! and `[profile NAME]`) and `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`,
//! sections `[NAME]`). `default` is never required to exist (it is the chain's own default).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Config;

/// What `:ctx` shows of one profile: only what is known without a network call, and never a
/// secret (no key, no token, no `credential_process` command line).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileInfo {
    pub name: String,
    /// `region =` of the profile, if any.
    pub region: Option<String>,
    /// How it gets credentials: `sso`, `role`, `process`, `keys`, `web-identity`, or `-`
    /// (nothing in the files: the credential chain's next source).
    pub auth: String,
    /// The non-secret details of that: the role ARN and its source, the SSO account and
    /// role, "values not shown" for keys.
    pub detail: String,
}

/// The two files, from the environment like the SDK.
pub fn files() -> (PathBuf, PathBuf) {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
        .unwrap_or_default();
    let from_env =
        |var: &str, default: &str| match std::env::var(var).ok().filter(|v| !v.is_empty()) {
            Some(v) => match v.strip_prefix("~/") {
                Some(rest) => home.join(rest),
                None => PathBuf::from(v),
            },
            None => home.join(".aws").join(default),
        };
    (
        from_env("AWS_CONFIG_FILE", "config"),
        from_env("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    )
}

/// Profile names defined in the config file and the credentials file (missing files define
/// none).
pub fn known(config_file: &Path, credentials_file: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, is_config) in [(config_file, true), (credentials_file, false)] {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim();
            let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) else {
                continue;
            };
            let header = header.trim();
            let name = if is_config {
                match header.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ if header == "default" => header,
                    _ => continue, // sso-session, services, ...
                }
            } else {
                header
            };
            let name = name.trim_matches(|c| c == '"' || c == '\'');
            if !name.is_empty() {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// Every named profile the run would use: the flag's (or `AWS_PROFILE`'s) else the
/// config's, and the per-account ones. `Err` names the first missing one and where it came
/// from.
pub fn check(
    flag: Option<&str>,
    cfg: &Config,
    cfg_path: &Path,
    config_file: &Path,
    credentials_file: &Path,
) -> Result<(), String> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    match flag {
        Some(p) => wanted.push((p.to_string(), "--profile / AWS_PROFILE".into())),
        None => {
            if let Some(p) = &cfg.profile {
                wanted.push((p.clone(), format!("{}: profile", cfg_path.display())));
            }
        }
    }
    for (id, p) in &cfg.account_profiles {
        wanted.push((
            p.clone(),
            format!("{}: account_profiles.{id}", cfg_path.display()),
        ));
    }
    for a in &cfg.accounts {
        if let Some(p) = &a.profile {
            wanted.push((
                p.clone(),
                format!("{}: accounts ({}) profile", cfg_path.display(), a.id),
            ));
        }
    }
    if wanted.iter().all(|(p, _)| p == "default") {
        return Ok(());
    }
    let known = known(config_file, credentials_file);
    for (p, from) in wanted {
        if p == "default" || known.contains(&p) {
            continue;
        }
        let there = if known.is_empty() {
            "no profiles there".to_string()
        } else {
            format!(
                "profiles there: {}",
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        return Err(format!(
            "profile `{p}` ({from}) is not in {} or {} ({there}); \
             set AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE if your files are elsewhere",
            config_file.display(),
            credentials_file.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AccountEntry;

    fn files_in(dir: &Path) -> (PathBuf, PathBuf) {
        std::fs::write(
            dir.join("config"),
            "[default]\nregion = us-east-1\n\n[profile ops]\nregion = eu-west-1\n\
             [sso-session corp]\nsso_region = us-east-1\n[profile  \"spaced\" ]\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("credentials"),
            "# keys\n[ci-user]\naws_access_key_id = AKIDEXAMPLE\n",
        )
        .unwrap();
        (dir.join("config"), dir.join("credentials"))
    }

    #[test]
    fn profiles_come_from_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = files_in(dir.path());
        let got: Vec<String> = known(&c, &k).into_iter().collect();
        assert_eq!(got, ["ci-user", "default", "ops", "spaced"]);
        assert!(known(&dir.path().join("none"), &dir.path().join("none")).is_empty());
    }

    #[test]
    fn a_missing_named_profile_is_an_error_naming_where_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = files_in(dir.path());
        let cfg_path = Path::new("/cfg/config.toml");
        let cfg = Config::default();
        assert!(check(Some("ops"), &cfg, cfg_path, &c, &k).is_ok());
        assert!(check(Some("ci-user"), &cfg, cfg_path, &c, &k).is_ok());
        assert!(check(None, &cfg, cfg_path, &c, &k).is_ok());
        assert_eq!(
            check(Some("nosuchprofile"), &cfg, cfg_path, &c, &k).unwrap_err(),
            format!(
                "profile `nosuchprofile` (--profile / AWS_PROFILE) is not in {} or {} \
                 (profiles there: ci-user, default, ops, spaced); set AWS_CONFIG_FILE / \
                 AWS_SHARED_CREDENTIALS_FILE if your files are elsewhere",
                c.display(),
                k.display()
            )
        );
        let in_cfg = Config {
            profile: Some("gone".into()),
            ..Config::default()
        };
        let e = check(None, &in_cfg, cfg_path, &c, &k).unwrap_err();
        assert!(
            e.starts_with("profile `gone` (/cfg/config.toml: profile) is not in"),
            "{e}"
        );
        // the flag wins over the config's profile
        assert!(check(Some("ops"), &in_cfg, cfg_path, &c, &k).is_ok());
        let mapped = Config {
            accounts: vec![AccountEntry {
                id: "111111111111".into(),
                profile: Some("sso-a".into()),
                ..AccountEntry::default()
            }],
            ..Config::default()
        };
        let e = check(None, &mapped, cfg_path, &c, &k).unwrap_err();
        assert!(
            e.starts_with(
                "profile `sso-a` (/cfg/config.toml: accounts (111111111111) profile) is not in"
            ),
            "{e}"
        );
        // no files at all: only `default` is fine
        let none = dir.path().join("none");
        assert!(check(Some("default"), &cfg, cfg_path, &none, &none).is_ok());
        let e = check(Some("ops"), &cfg, cfg_path, &none, &none).unwrap_err();
        assert!(e.contains("(no profiles there)"), "{e}");
    }
}
