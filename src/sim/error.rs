//! Errors as the services answer them.

use serde_json::{Map, Value};

/// One API error: HTTP status, AWS error code and message, plus modeled extra members
/// (e.g. Organizations `Reason`, ACM `throttlingReasons`).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new(400, "ValidationException", message)
    }

    pub fn internal() -> Self {
        ApiError::new(
            500,
            "InternalServerError",
            "An internal error occurred. Please try again.",
        )
    }

    pub fn unknown_operation(op: &str) -> Self {
        ApiError::new(
            400,
            "UnknownOperationException",
            format!("Unknown operation {op}"),
        )
    }

    pub fn invalid_next_token() -> Self {
        ApiError::new(400, "InvalidNextToken", "The specified token is not valid.")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}
