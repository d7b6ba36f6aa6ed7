//! The user's config file (`<config dir>/config.toml`): defaults, then the file, then flags.

pub mod paths;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use paths::Paths;

pub const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";
/// Calls in flight at most, by default: high enough that AWS's per-API rate limits, not the
/// pool, set the pace (a 100-account organization at 80 ms per call keeps ~300 in flight).
pub const DEFAULT_CONCURRENCY: usize = 512;

/// One account in an explicit account list (instead of Organizations discovery).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// OU path shown in the tree (`Workloads/Prod`).
    #[serde(default)]
    pub ou_path: Option<String>,
    /// Use this AWS profile for the account instead of AssumeRole (SSO users).
    #[serde(default)]
    pub profile: Option<String>,
}

/// The config file. Every key is optional; unknown keys are an error (typos must not
/// silently do nothing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// AWS profile for the caller.
    pub profile: Option<String>,
    /// Regions to read by default.
    pub regions: Vec<String>,
    /// What `--regions all` means: the regions where the org uses SSM.
    pub all_regions: Vec<String>,
    /// Role assumed in member accounts.
    pub role_name: String,
    pub external_id: Option<String>,
    /// Explicit account list; when set, Organizations is not used for discovery.
    pub accounts: Vec<AccountEntry>,
    /// Per-account profile mapping (account id → profile), used instead of AssumeRole.
    pub account_profiles: BTreeMap<String, String>,
    /// Seconds between live refreshes.
    pub refresh_interval_secs: u64,
    /// A node whose last patch scan is older than this is stale.
    pub stale_after_days: i64,
    /// Ceiling on API calls in flight across all accounts and regions (the per-key rate
    /// limit, adapted to throttling, is what paces a refresh; this only caps it).
    pub concurrency: usize,
    /// Per account × region × API request rate (requests per second), the most; halved
    /// for a key that AWS throttles, recovered gradually.
    pub rate_limit_tps: f64,
    /// Per-call timeout in seconds.
    pub call_timeout_secs: u64,
    pub readonly: bool,
    pub theme: String,
    pub keymap: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            profile: None,
            regions: Vec::new(),
            all_regions: Vec::new(),
            role_name: DEFAULT_ROLE_NAME.to_string(),
            external_id: None,
            accounts: Vec::new(),
            account_profiles: BTreeMap::new(),
            refresh_interval_secs: 60,
            stale_after_days: 7,
            concurrency: DEFAULT_CONCURRENCY,
            rate_limit_tps: 10.0,
            call_timeout_secs: 20,
            readonly: false,
            theme: "default".to_string(),
            keymap: "default".to_string(),
        }
    }
}

/// A config file that could not be used: says which file, where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Load `path` if given (it must exist), else `<config dir>/config.toml` if it exists,
    /// else the defaults.
    pub fn load(explicit: Option<&Path>, paths: &Paths) -> Result<Config, ConfigError> {
        let (path, must_exist) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (paths.config_file(), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Io { path, source }),
        }
    }

    /// Parse config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(text, &e),
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        for a in &self.accounts {
            if !is_account_id(&a.id) {
                return Err(invalid(format!(
                    "accounts: `{}` is not a 12-digit account id",
                    a.id
                )));
            }
        }
        for id in self.account_profiles.keys() {
            if !is_account_id(id) {
                return Err(invalid(format!(
                    "account_profiles: `{id}` is not a 12-digit account id"
                )));
            }
        }
        if self.concurrency == 0 {
            return Err(invalid("concurrency must be at least 1".into()));
        }
        if self.refresh_interval_secs == 0 {
            return Err(invalid("refresh_interval_secs must be at least 1".into()));
        }
        if self.rate_limit_tps.is_nan() || self.rate_limit_tps <= 0.0 {
            return Err(invalid("rate_limit_tps must be a positive number".into()));
        }
        if self.role_name.trim().is_empty() {
            return Err(invalid("role_name must not be empty".into()));
        }
        Ok(())
    }
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// "line L, column C: problem" from a toml error (the toml crate's own message is multi-line).
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_file_missing() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().into(),
            data_dir: dir.path().into(),
            cache_dir: dir.path().into(),
        };
        let cfg = Config::load(None, &paths).unwrap();
        assert_eq!(cfg.role_name, DEFAULT_ROLE_NAME);
        assert_eq!(cfg.refresh_interval_secs, 60);
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let err = Config::parse(
            "regions = [\"us-east-1\"]\nrole_nmae = \"x\"\n",
            Path::new("/cfg/config.toml"),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("/cfg/config.toml: line 2"), "{msg}");
        assert!(msg.contains("role_nmae"), "{msg}");
    }

    #[test]
    fn bad_account_id_is_rejected() {
        let err = Config::parse("[[accounts]]\nid = \"123\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("12-digit"), "{err}");
    }

    #[test]
    fn explicit_missing_file_is_an_error() {
        let paths = Paths {
            config_dir: "/nonexistent".into(),
            data_dir: "/x".into(),
            cache_dir: "/x".into(),
        };
        let err = Config::load(Some(Path::new("/nonexistent/ssmdeck.toml")), &paths).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ssmdeck.toml"));
    }
}
