//! Where ssmdeck keeps its files.
//!
//! Config: `$SSMDECK_CONFIG_DIR`, else `$XDG_CONFIG_HOME/ssmdeck`, else `~/.config/ssmdeck`
//! (also on macOS, like k9s/gitui), else the platform config dir.
//! Data (log, audit log, exports): `$SSMDECK_DATA_DIR`, else the platform data dir.
//! Cache (last snapshot): `$SSMDECK_CACHE_DIR`, else the platform cache dir.

use std::path::PathBuf;

use directories::{BaseDirs, ProjectDirs};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    /// Resolve from the environment.
    pub fn resolve() -> Self {
        let project = ProjectDirs::from("", "", "ssmdeck");
        let env_dir = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let config_dir = env_dir("SSMDECK_CONFIG_DIR")
            .or_else(|| env_dir("XDG_CONFIG_HOME").map(|p| p.join("ssmdeck")))
            .or_else(|| BaseDirs::new().map(|b| b.home_dir().join(".config").join("ssmdeck")))
            .or_else(|| project.as_ref().map(|p| p.config_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".ssmdeck"));
        let data_dir = env_dir("SSMDECK_DATA_DIR")
            .or_else(|| project.as_ref().map(|p| p.data_local_dir().to_path_buf()))
            .unwrap_or_else(|| config_dir.join("data"));
        let cache_dir = env_dir("SSMDECK_CACHE_DIR")
            .or_else(|| project.as_ref().map(|p| p.cache_dir().to_path_buf()))
            .unwrap_or_else(|| config_dir.join("cache"));
        Paths {
            config_dir,
            data_dir,
            cache_dir,
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }
    pub fn keymaps_dir(&self) -> PathBuf {
        self.config_dir.join("keymaps")
    }
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("ssmdeck.log")
    }
    pub fn audit_log(&self) -> PathBuf {
        self.data_dir.join("audit.jsonl")
    }
    /// The demo's own audit log: actions against the simulator never mix with the real
    /// record.
    pub fn demo_audit_log(&self) -> PathBuf {
        self.data_dir.join("audit-demo.jsonl")
    }
    /// The audit log for a console run (`--demo` gets [`Paths::demo_audit_log`]).
    pub fn audit_log_for(&self, demo: bool) -> PathBuf {
        if demo {
            self.demo_audit_log()
        } else {
            self.audit_log()
        }
    }
    pub fn exports_dir(&self) -> PathBuf {
        directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(|d| d.to_path_buf()))
            .filter(|d| d.is_dir())
            .unwrap_or_else(|| self.data_dir.join("exports"))
    }
    /// The snapshot cache for one scope (profile/endpoint); `scope_key` is a short stable id.
    pub fn snapshot_cache(&self, scope_key: &str) -> PathBuf {
        self.cache_dir.join(format!("snapshot-{scope_key}.bin"))
    }
}
