//! The user's config file (`<config dir>/config.toml`): defaults, then the file, then flags.

pub mod aws_profiles;
pub mod layered;
pub mod limits;
pub mod paths;
pub mod tomlpos;

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
        cfg.validate(path, text)?;
        Ok(cfg)
    }

    /// Ranges, ids and names, each refused with the line of its key.
    fn validate(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        use limits::*;
        let invalid = |section: &str, key: &str, problem: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: format!("line {}: {problem}", tomlpos::line_of(text, section, key)),
        };
        for a in &self.accounts {
            if !is_account_id(&a.id) {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "line {}: accounts: `{}` is not a 12-digit account id",
                        line_of_value(text, &a.id),
                        a.id
                    ),
                });
            }
        }
        for id in self.account_profiles.keys() {
            if !is_account_id(id) {
                return Err(invalid(
                    "account_profiles",
                    id,
                    format!("account_profiles: `{id}` is not a 12-digit account id"),
                ));
            }
        }
        let ranged = |key: &str, value: u64, range: &std::ops::RangeInclusive<u64>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(invalid(
                    "",
                    key,
                    format!("{key} = {value} {}", out_of_range(range)),
                ))
            }
        };
        ranged("concurrency", self.concurrency as u64, &CONCURRENCY)?;
        ranged(
            "refresh_interval_secs",
            self.refresh_interval_secs,
            &REFRESH_SECS,
        )?;
        ranged(
            "call_timeout_secs",
            self.call_timeout_secs,
            &CALL_TIMEOUT_SECS,
        )?;
        if !STALE_AFTER_DAYS.contains(&self.stale_after_days) {
            return Err(invalid(
                "",
                "stale_after_days",
                format!(
                    "stale_after_days = {} {}",
                    self.stale_after_days,
                    out_of_range(&STALE_AFTER_DAYS)
                ),
            ));
        }
        let tps = self.rate_limit_tps;
        if !(tps.is_finite() && tps > 0.0 && tps <= MAX_RATE_LIMIT_TPS) {
            return Err(invalid(
                "",
                "rate_limit_tps",
                format!(
                    "rate_limit_tps = {tps} is out of range: use a number of requests per \
                     second above 0 and at most {MAX_RATE_LIMIT_TPS}"
                ),
            ));
        }
        if self.role_name.trim().is_empty() {
            return Err(invalid(
                "",
                "role_name",
                "role_name must not be empty".into(),
            ));
        }
        for (key, list) in [
            ("regions", &self.regions),
            ("all_regions", &self.all_regions),
        ] {
            if let Some(r) = list.iter().find(|r| !crate::model::is_region_name(r)) {
                return Err(invalid(
                    "",
                    key,
                    format!(
                        "{key}: `{r}` is not a region name (expected something like us-east-1)"
                    ),
                ));
            }
        }
        for (key, what, name) in [
            ("theme", "theme", &self.theme),
            ("keymap", "keymap", &self.keymap),
        ] {
            layered::check_name(what, name).map_err(|p| invalid("", key, format!("{key}: {p}")))?;
        }
        Ok(())
    }
}

/// 1-based line where the string `value` first appears quoted (for list entries), or 1.
fn line_of_value(text: &str, value: &str) -> usize {
    let quoted = format!("\"{value}\"");
    text.lines()
        .position(|l| l.contains(&quoted))
        .map_or(1, |i| i + 1)
}

/// Checks before any command that reads AWS runs (console, `snapshot`, `report`): the
/// config file loads, and every named profile it would use exists (see [`aws_profiles`]).
/// The demo uses its own credentials, so its profiles are not checked.
pub fn preflight(
    profile_flag: Option<&str>,
    demo: bool,
    explicit_config: Option<&Path>,
    paths: &Paths,
) -> Result<(), String> {
    let cfg = Config::load(explicit_config, paths).map_err(|e| e.to_string())?;
    if demo {
        return Ok(());
    }
    let cfg_path = explicit_config
        .map(Path::to_path_buf)
        .unwrap_or_else(|| paths.config_file());
    let (config_file, credentials_file) = aws_profiles::files();
    aws_profiles::check(
        profile_flag,
        &cfg,
        &cfg_path,
        &config_file,
        &credentials_file,
    )
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

    /// Each range and name check, with the message the user sees (file and line).
    #[test]
    fn every_setting_is_checked_with_file_and_line() {
        let cases: &[(&str, &str)] = &[
            (
                "regions = [\"us-east-1\"]\nconcurrency = 3000000000000000000\n",
                "c.toml: line 2: concurrency = 3000000000000000000 is out of range: use 1..=4096",
            ),
            (
                "concurrency = 0\n",
                "c.toml: line 1: concurrency = 0 is out of range: use 1..=4096",
            ),
            (
                "\nrefresh_interval_secs = 1\n",
                "c.toml: line 2: refresh_interval_secs = 1 is out of range: use 5..=86400",
            ),
            (
                "refresh_interval_secs = 0\n",
                "c.toml: line 1: refresh_interval_secs = 0 is out of range: use 5..=86400",
            ),
            (
                "call_timeout_secs = 0\n",
                "c.toml: line 1: call_timeout_secs = 0 is out of range: use 1..=600",
            ),
            (
                "call_timeout_secs = 86400\n",
                "c.toml: line 1: call_timeout_secs = 86400 is out of range: use 1..=600",
            ),
            (
                "stale_after_days = -3\n",
                "c.toml: line 1: stale_after_days = -3 is out of range: use 1..=3650",
            ),
            (
                "rate_limit_tps = 0.0\n",
                "c.toml: line 1: rate_limit_tps = 0 is out of range: use a number of requests per second above 0 and at most 10000",
            ),
            (
                "rate_limit_tps = nan\n",
                "c.toml: line 1: rate_limit_tps = NaN is out of range: use a number of requests per second above 0 and at most 10000",
            ),
            (
                "rate_limit_tps = 1e9\n",
                "c.toml: line 1: rate_limit_tps = 1000000000 is out of range: use a number of requests per second above 0 and at most 10000",
            ),
            (
                "readonly = true\ntheme = \"../../etc/x\"\n",
                "c.toml: line 2: theme: `../../etc/x` is not a theme name: use the name of a built-in or of a file in the themes directory, without `.toml` (letters, digits, `-`, `_`, `.`; no path)",
            ),
            (
                "keymap = \"/etc/passwd\"\n",
                "c.toml: line 1: keymap: `/etc/passwd` is not a keymap name: use the name of a built-in or of a file in the keymaps directory, without `.toml` (letters, digits, `-`, `_`, `.`; no path)",
            ),
            (
                "regions = [\"us-east-1\", \"\"]\n",
                "c.toml: line 1: regions: `` is not a region name (expected something like us-east-1)",
            ),
            (
                "\n[[accounts]]\nid = \"12345\"\n",
                "c.toml: line 3: accounts: `12345` is not a 12-digit account id",
            ),
            (
                "concurrency = -1\n",
                "c.toml: line 1, column 15: invalid value: integer `-1`, expected usize",
            ),
        ];
        for (text, want) in cases {
            let got = Config::parse(text, Path::new("c.toml"))
                .map(|_| "accepted".to_string())
                .unwrap_or_else(|e| e.to_string());
            assert_eq!(&got, want, "{text}");
        }
        let ok = "concurrency = 4096\nrefresh_interval_secs = 5\ncall_timeout_secs = 600\n\
                  stale_after_days = 3650\nrate_limit_tps = 10000.0\ntheme = \"my-theme.v2\"\n";
        assert!(Config::parse(ok, Path::new("c.toml")).is_ok());
    }
}
