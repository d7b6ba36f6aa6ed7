//! Request parsing, validation errors and pagination tokens shared by every SSM operation.
//!
//! Tokens are opaque to clients but carry an offset into the (per account × region) list an
//! operation walks, plus a fingerprint of the request, so a token replayed with different
//! filters is rejected with `InvalidNextToken` like AWS does.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::sim::ApiError;

/// `1 validation error detected: ...` as the service words it.
pub fn validation(field: &str, value: impl std::fmt::Display, constraint: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
        lower_first(field)
    ))
}

pub fn missing(field: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(field)
    ))
}

/// An SSM client error with no modeled members beyond the message.
pub fn err(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(400, code, message)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn opt_str<'a>(input: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(serialization(key, other)),
    }
}

pub fn req_str<'a>(input: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(input, key)?.ok_or_else(|| missing(key))
}

pub fn opt_bool(input: &Value, key: &str) -> Result<Option<bool>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(serialization(key, other)),
    }
}

pub fn opt_i64(input: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| serialization(key, n)),
        Some(other) => Err(serialization(key, other)),
    }
}

/// A list member (`[]` when absent).
pub fn opt_list<'a>(input: &'a Value, key: &str) -> Result<&'a [Value], ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(serialization(key, other)),
    }
}

/// A list of strings (`[]` when absent).
pub fn str_list<'a>(input: &'a Value, key: &str) -> Result<Vec<&'a str>, ApiError> {
    opt_list(input, key)?
        .iter()
        .map(|v| v.as_str().ok_or_else(|| serialization(key, v)))
        .collect()
}

fn serialization(key: &str, v: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        400,
        "SerializationException",
        format!("Unexpected value for {key}: {v}"),
    )
}

/// `MaxResults` within `lo..=hi`, else `ValidationException`; absent = `default`.
pub fn max_results(
    input: &Value,
    key: &str,
    lo: i64,
    hi: i64,
    default: usize,
) -> Result<usize, ApiError> {
    match opt_i64(input, key)? {
        None => Ok(default),
        Some(n) if n < lo => Err(validation(
            key,
            n,
            &format!("Member must have value greater than or equal to {lo}"),
        )),
        Some(n) if n > hi => Err(validation(
            key,
            n,
            &format!("Member must have value less than or equal to {hi}"),
        )),
        Some(n) => Ok(n as usize),
    }
}

/// List length within `lo..=hi`.
pub fn check_len(key: &str, len: usize, lo: usize, hi: usize) -> Result<(), ApiError> {
    if len < lo {
        return Err(validation(
            key,
            format!("[{len} items]"),
            &format!("Member must have length greater than or equal to {lo}"),
        ));
    }
    if len > hi {
        return Err(validation(
            key,
            format!("[{len} items]"),
            &format!("Member must have length less than or equal to {hi}"),
        ));
    }
    Ok(())
}

/// The fingerprint of a request: everything but the paging members, hashed.
pub fn fingerprint(op: &str, input: &Value) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    };
    feed(op);
    if let Value::Object(m) = input {
        let mut clean = Map::new();
        for (k, v) in m {
            if k != "NextToken" && k != "MaxResults" {
                clean.insert(k.clone(), v.clone());
            }
        }
        // serde_json's default map is ordered, so this is stable for one request shape.
        let mut keys: Vec<&String> = clean.keys().collect();
        keys.sort();
        for k in keys {
            feed(k);
            feed(&clean[k].to_string());
        }
    }
    h
}

/// Where the page starts (0 without a token), or `InvalidNextToken`.
pub fn start_offset(op: &str, input: &Value) -> Result<usize, ApiError> {
    let Some(tok) = opt_str(input, "NextToken")? else {
        return Ok(0);
    };
    decode_token(tok)
        .filter(|(fp, _)| *fp == fingerprint(op, input))
        .map(|(_, off)| off)
        .ok_or_else(ApiError::invalid_next_token)
}

/// The token that resumes `op` with this request at `offset`.
pub fn next_token(op: &str, input: &Value, offset: usize) -> String {
    let plain = format!("ssmsim1|{:016x}|{offset}", fingerprint(op, input));
    let mut out = String::with_capacity(plain.len() * 2);
    for b in plain.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn decode_token(tok: &str) -> Option<(u64, usize)> {
    if !tok.len().is_multiple_of(2) || tok.len() > 200 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..tok.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(tok.get(i..i + 2)?, 16).ok())
        .collect();
    let plain = String::from_utf8(bytes?).ok()?;
    let mut parts = plain.split('|');
    if parts.next()? != "ssmsim1" {
        return None;
    }
    let fp = u64::from_str_radix(parts.next()?, 16).ok()?;
    let off = parts.next()?.parse().ok()?;
    Some((fp, off))
}

/// One page of an already materialized list: the items and the token for the rest.
pub fn page<T: Clone>(
    op: &str,
    input: &Value,
    items: &[T],
    start: usize,
    max: usize,
) -> (Vec<T>, Option<String>) {
    let start = start.min(items.len());
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| next_token(op, input, end));
    (items[start..end].to_vec(), next)
}

/// Put `NextToken` into a response object when there is one.
pub fn with_token(mut out: Value, token: Option<String>) -> Value {
    if let (Some(t), Value::Object(m)) = (token, &mut out) {
        m.insert("NextToken".into(), Value::String(t));
    }
    out
}

/// Epoch seconds as a JSON number (millisecond precision), the awsJson timestamp encoding.
pub fn ts(t: DateTime<Utc>) -> Value {
    let ms = t.timestamp_millis();
    if ms % 1000 == 0 {
        Value::from(ms / 1000)
    } else {
        Value::from(ms as f64 / 1000.0)
    }
}

/// ISO-8601 with milliseconds (`2019-02-14T19:26:26.439Z`), for the fields AWS sends as strings.
pub fn iso_ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// ISO-8601 to the second (`2026-01-01T12:00:00Z`), inventory `CaptureTime` style.
pub fn iso_s(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parse the ISO time values clients send in filters (`2024-07-07T00:00:00Z`, or a date).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// `i-` + 8 or 17 word characters, or `mi-` + 17 (the model's InstanceId pattern).
pub fn is_instance_id(s: &str) -> bool {
    crate::sim::validate::patterns::instance_id(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_round_trips_and_binds_to_the_request() {
        let a = json!({"InstanceId": "i-1", "MaxResults": 10});
        let tok = next_token("Op", &a, 30);
        let mut again = a.clone();
        again["NextToken"] = json!(tok);
        again["MaxResults"] = json!(20);
        assert_eq!(start_offset("Op", &again).unwrap(), 30);
        let mut other = again.clone();
        other["InstanceId"] = json!("i-2");
        assert_eq!(
            start_offset("Op", &other).unwrap_err().code,
            "InvalidNextToken"
        );
        let bad = json!({"NextToken": "garbage"});
        assert_eq!(
            start_offset("Op", &bad).unwrap_err().code,
            "InvalidNextToken"
        );
    }

    #[test]
    fn max_results_bounds() {
        assert_eq!(
            max_results(&json!({}), "MaxResults", 5, 50, 10).unwrap(),
            10
        );
        let e = max_results(&json!({"MaxResults": 51}), "MaxResults", 5, 50, 10).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("less than or equal to 50"));
        assert!(max_results(&json!({"MaxResults": 4}), "MaxResults", 5, 50, 10).is_err());
    }

    #[test]
    fn instance_id_pattern() {
        assert!(is_instance_id("i-0123456789abcdef0"));
        assert!(is_instance_id("i-01234567"));
        assert!(is_instance_id("mi-0123456789abcdef0"));
        assert!(!is_instance_id("i-123"));
        assert!(!is_instance_id("x-0123456789abcdef0"));
    }

    #[test]
    fn timestamps() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T12:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(t), json!(1767268800.25));
        assert_eq!(iso_ms(t), "2026-01-01T12:00:00.250Z");
        assert_eq!(
            parse_time("2026-01-01T12:00:00Z").unwrap().timestamp(),
            1767268800
        );
    }
}
