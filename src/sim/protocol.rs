//! Wire encodings, exactly as AWS sends them (contract: `shared/aws-api.md` §1).
//!
//! - awsJson1_1 (SSM, Organizations, ACM): `application/x-amz-json-1.1`, timestamps as epoch-second
//!   numbers, errors as `{"__type": code, "message": ..}` plus modeled members, 4xx/5xx.
//! - awsQuery (STS): `text/xml`, `<OpResponse><OpResult>..</OpResult><ResponseMetadata>..`, ISO-8601
//!   timestamps, errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{Map, Value};

use super::ApiError;

pub type Body = Full<Bytes>;

pub const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const STS_XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// A timestamp as awsJson1_1 sends it: epoch seconds as a JSON number (millisecond fraction).
pub fn ts(t: DateTime<Utc>) -> Value {
    let ms = t.timestamp_millis();
    if ms % 1000 == 0 {
        Value::from(ms / 1000)
    } else {
        serde_json::Number::from_f64(ms as f64 / 1000.0)
            .map(Value::Number)
            .unwrap_or_else(|| Value::from(ms / 1000))
    }
}

/// A timestamp as awsQuery XML sends it: ISO-8601 `2026-01-01T12:00:00Z`.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A successful awsJson1_1 response.
/// `{ key: [items] }`, moving the items (`json!` would serialize them into a copy).
pub fn list_body(key: &str, items: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert(key.to_string(), Value::Array(items));
    Value::Object(m)
}

/// The key of a body already rendered as JSON text ([`raw_body`]).
const RAW: &str = "\u{0}ssmdeck-sim-raw-json";

/// A body already rendered as JSON text: the biggest pages (a node's patches, 100 a page)
/// are written straight from the simulator's records instead of through a `Value` tree,
/// whose building and freeing cost more than the rest of the call.
pub fn raw_body(json: String) -> Value {
    let mut m = Map::new();
    m.insert(RAW.to_string(), Value::String(json));
    Value::Object(m)
}

/// The JSON text of a [`raw_body`], if `body` is one.
pub fn raw_text(body: &Value) -> Option<&str> {
    match body {
        Value::Object(m) if m.len() == 1 => m.get(RAW).and_then(Value::as_str),
        _ => None,
    }
}

/// `body` as a `Value` tree (a [`raw_body`] parsed), for in-process callers.
pub fn materialize(body: Value) -> Value {
    match raw_text(&body) {
        Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        None => body,
    }
}

pub fn json_ok(body: Value, request_id: &str) -> Response<Body> {
    // a raw body's text is the answer as it is (moved, not copied: pages of 50 nodes)
    let tree = |v: &Value| serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    let bytes = match body {
        Value::Object(mut m) if m.len() == 1 => match m.remove(RAW) {
            Some(Value::String(text)) => text.into_bytes(),
            Some(other) => {
                m.insert(RAW.to_string(), other);
                tree(&Value::Object(m))
            }
            None => tree(&Value::Object(m)),
        },
        body => tree(&body),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", JSON_CONTENT_TYPE)
        .header("x-amzn-requestid", request_id)
        .body(Full::new(Bytes::from(bytes)))
        .expect("static response parts are valid")
}

/// The JSON body of an awsJson1_1 error: `__type`, `message` and the modeled extra members.
pub fn json_error_body(err: &ApiError) -> Value {
    let mut m = Map::new();
    m.insert("__type".into(), Value::from(err.code.clone()));
    m.insert("message".into(), Value::from(err.message.clone()));
    for (k, v) in &err.extra {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// An awsJson1_1 error response (status from the error; code also in `x-amzn-ErrorType`).
pub fn json_error(err: &ApiError, request_id: &str) -> Response<Body> {
    let bytes = serde_json::to_vec(&json_error_body(err)).unwrap_or_default();
    Response::builder()
        .status(status(err.status))
        .header("content-type", JSON_CONTENT_TYPE)
        .header("x-amzn-requestid", request_id)
        .header("x-amzn-errortype", err.code.as_str())
        .body(Full::new(Bytes::from(bytes)))
        .expect("static response parts are valid")
}

/// Escape text for XML element content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\r' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// `<name>escaped text</name>`.
pub fn xml_elem(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", xml_escape(text))
}

/// The XML document of a successful awsQuery response; `result_xml` is the already-encoded
/// content of `<{op}Result>`, which is the first child of `<{op}Response>` as the SDK requires.
pub fn query_body(op: &str, result_xml: &str, request_id: &str) -> String {
    format!(
        "<{op}Response xmlns=\"{STS_XMLNS}\">\n  <{op}Result>{result_xml}</{op}Result>\n  \
         <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\n</{op}Response>\n",
        xml_escape(request_id)
    )
}

pub fn query_ok(op: &str, result_xml: &str, request_id: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", request_id)
        .body(Full::new(Bytes::from(query_body(
            op, result_xml, request_id,
        ))))
        .expect("static response parts are valid")
}

/// The XML document of an awsQuery error.
pub fn query_error_body(err: &ApiError, request_id: &str) -> String {
    let kind = if err.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    format!(
        "<ErrorResponse xmlns=\"{STS_XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    {}\n    {}\n  \
         </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        xml_elem("Code", &err.code),
        xml_elem("Message", &err.message),
        xml_escape(request_id)
    )
}

pub fn query_error(err: &ApiError, request_id: &str) -> Response<Body> {
    Response::builder()
        .status(status(err.status))
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", request_id)
        .body(Full::new(Bytes::from(query_error_body(err, request_id))))
        .expect("static response parts are valid")
}

// ---------------------------------------------------------------------------------------------
// Request decoding helpers shared by the JSON services.

/// An optional string member.
pub fn opt_str<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// An optional integer member; a non-integer is a `SerializationException` like AWS answers.
pub fn opt_int(input: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            ApiError::new(
                400,
                "SerializationException",
                format!("Expected an integer for {key}"),
            )
        }),
    }
}

/// Opaque pagination tokens: `<fingerprint of the request>` + offset, hex-encoded so they look
/// like (and are as unguessable as) the base64 blobs AWS hands out.
pub mod token {
    fn fnv(s: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        h
    }

    /// Encode `offset` (+ a flag) for requests that share `scope` (operation and filters).
    pub fn encode(scope: &str, offset: usize, flag: bool) -> String {
        let fp = fnv(scope);
        let payload = format!("{fp:016x}{offset:08x}{}", u8::from(flag));
        let check = fnv(&payload) & 0xffff_ffff;
        format!("AAE{payload}{check:08x}").to_ascii_uppercase()
    }

    /// Decode a token made by [`encode`] for the same `scope`; `None` when it is not one.
    pub fn decode(scope: &str, token: &str) -> Option<(usize, bool)> {
        let t = token.strip_prefix("AAE")?.to_ascii_lowercase();
        if t.len() != 16 + 8 + 1 + 8 || !t.is_ascii() {
            return None;
        }
        let (payload, check) = t.split_at(25);
        if u64::from_str_radix(check, 16).ok()? != fnv(payload) & 0xffff_ffff {
            return None;
        }
        if u64::from_str_radix(&payload[0..16], 16).ok()? != fnv(scope) {
            return None;
        }
        let offset = usize::from_str_radix(&payload[16..24], 16).ok()?;
        let flag = &payload[24..25] == "1";
        Some((offset, flag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_epoch_numbers_and_iso_strings() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(ts(t), Value::from(1_767_268_800i64));
        let t2 = t + chrono::Duration::milliseconds(178);
        assert_eq!(ts(t2).to_string(), "1767268800.178");
        assert_eq!(iso(t), "2026-01-01T12:00:00Z");
    }

    #[test]
    fn xml_is_escaped_and_result_comes_first() {
        assert_eq!(
            xml_escape("a<b & \"c\"\u{1b}"),
            "a&lt;b &amp; &quot;c&quot;"
        );
        let body = query_body("GetCallerIdentity", "<Account>1</Account>", "rid");
        let after_root = body.split_once('>').unwrap().1.trim_start();
        assert!(after_root.starts_with("<GetCallerIdentityResult>"));
        let err = query_error_body(&ApiError::new(403, "AccessDenied", "no <way>"), "r");
        assert!(err.contains("<Type>Sender</Type>"));
        assert!(err.contains("<Message>no &lt;way&gt;</Message>"));
    }

    #[test]
    fn json_errors_carry_type_message_and_extras() {
        let e =
            ApiError::new(400, "InvalidInputException", "bad").with("Reason", "INVALID_NEXT_TOKEN");
        let v = json_error_body(&e);
        assert_eq!(v["__type"], "InvalidInputException");
        assert_eq!(v["message"], "bad");
        assert_eq!(v["Reason"], "INVALID_NEXT_TOKEN");
    }

    #[test]
    fn tokens_round_trip_and_reject_other_scopes() {
        let t = token::encode("ListAccounts", 40, true);
        assert_eq!(token::decode("ListAccounts", &t), Some((40, true)));
        assert_eq!(token::decode("ListRoots", &t), None);
        assert_eq!(token::decode("ListAccounts", "garbage"), None);
        let mut bad = t.clone();
        bad.replace_range(20..21, if &t[20..21] == "0" { "1" } else { "0" });
        assert_eq!(token::decode("ListAccounts", &bad), None);
    }
}
