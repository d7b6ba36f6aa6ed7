//! Errors of the actions, worded for the user (they end up in toasts and dialogs).

/// Why read-only mode is on (so the message can say how to turn it off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOnlySource {
    /// `--readonly` on the command line.
    Flag,
    /// `readonly = true` in the config file.
    Config,
}

impl ReadOnlySource {
    pub fn describe(self) -> &'static str {
        match self {
            ReadOnlySource::Flag => "ssmdeck was started with --readonly",
            ReadOnlySource::Config => "`readonly = true` is set in the config file",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The gate is closed.
    #[error("read-only mode: {operation} was not sent because {}. Nothing was changed.", source_.describe())]
    ReadOnly {
        operation: String,
        source_: ReadOnlySource,
    },
    /// The audit log could not be written: ssmdeck refuses to act without a record.
    #[error("{operation} was not sent: the audit log {path} cannot be written ({message})")]
    Audit {
        operation: String,
        path: String,
        message: String,
    },
    /// No client / credentials for the account × region.
    #[error("{account_id} {region}: no credentials for {operation}: {message}")]
    Credentials {
        operation: String,
        account_id: String,
        region: String,
        message: String,
    },
    /// The AWS call failed.
    #[error("{operation} in {account_id} {region} failed: {code}: {message}")]
    Aws {
        operation: String,
        account_id: String,
        region: String,
        code: String,
        message: String,
    },
    /// A session could not be started (missing tool, offline node, ...).
    #[error("{0}")]
    Session(String),
}

impl ActionError {
    pub fn is_read_only(&self) -> bool {
        matches!(self, ActionError::ReadOnly { .. })
    }

    /// The AWS error code, when the service answered one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ActionError::Aws { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl ActionError {
    /// A data-layer error of `operation` in `account_id` × `region`, worded for the user
    /// (remote text sanitized).
    pub fn from_fleet(
        operation: &str,
        account_id: &str,
        region: &str,
        e: crate::fleet::FleetError,
    ) -> ActionError {
        use crate::fleet::FleetError;
        let (code, message) = match e {
            FleetError::Credentials { .. } => {
                return ActionError::Credentials {
                    operation: operation.into(),
                    account_id: account_id.into(),
                    region: region.into(),
                    message: crate::text::sanitize(&e.to_string()),
                };
            }
            FleetError::Api { code, message, .. } => (code, message),
            FleetError::Cancelled => ("Cancelled".to_string(), "cancelled".to_string()),
            other => ("Error".to_string(), other.to_string()),
        };
        ActionError::Aws {
            operation: operation.into(),
            account_id: account_id.into(),
            region: region.into(),
            code: crate::text::sanitize(&code),
            message: crate::text::sanitize(&message),
        }
    }

    /// No answer within `after` (the caller's own deadline around a data-layer call).
    pub fn timeout(
        operation: &str,
        account_id: &str,
        region: &str,
        after: std::time::Duration,
    ) -> ActionError {
        ActionError::Aws {
            operation: operation.into(),
            account_id: account_id.into(),
            region: region.into(),
            code: "Timeout".into(),
            message: format!("no answer within {} s", after.as_secs()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_message_says_why_and_how() {
        let e = ActionError::ReadOnly {
            operation: "SendCommand".into(),
            source_: ReadOnlySource::Flag,
        };
        let m = e.to_string();
        assert!(m.contains("read-only"), "{m}");
        assert!(m.contains("--readonly"), "{m}");
        assert!(m.contains("SendCommand"), "{m}");
        let e = ActionError::ReadOnly {
            operation: "CancelCommand".into(),
            source_: ReadOnlySource::Config,
        };
        assert!(e.to_string().contains("config file"));
    }
}
