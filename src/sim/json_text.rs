//! JSON written straight as text, for the simulator's biggest and most frequent pages
//! (DescribeInstanceInformation, DescribeInstancePatchStates, DescribeInstancePatches):
//! building a `serde_json::Value` tree per item (a map node and a string per field), then
//! serializing and freeing it, was more than half the simulator's CPU in a 40,000-node
//! refresh (#13), CPU the client's benchmark shares. The bodies are the same JSON (tests
//! parse both and compare).

use std::fmt::Write;

use chrono::{DateTime, Utc};

/// `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    // no early exit: the whole (short) string is checked, which the compiler vectorises
    let escape = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !escape {
        // nothing to escape (nearly every string): copied as it is
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // serde_json's escaping, without a `Value`
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// A timestamp as awsJson1_1 sends it (`protocol::ts`): epoch seconds, with the millisecond
/// fraction when there is one.
pub fn push_ts(out: &mut String, t: DateTime<Utc>) {
    let ms = t.timestamp_millis();
    if ms % 1000 == 0 {
        let _ = write!(out, "{}", ms / 1000);
    } else {
        let _ = write!(out, "{}", super::protocol::ts(t));
    }
}

/// One JSON object being written: `{"k":v,...}`.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        // keys are the model's member names: nothing to escape, so no scan
        debug_assert!(!k.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
        self.out
    }

    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        let out = self.key(k);
        push_str(out, v);
        self
    }

    pub fn num(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        let out = self.key(k);
        let _ = write!(out, "{v}");
        self
    }

    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        let out = self.key(k);
        out.push_str(if v { "true" } else { "false" });
        self
    }

    pub fn ts(&mut self, k: &str, t: DateTime<Utc>) -> &mut Self {
        let out = self.key(k);
        push_ts(out, t);
        self
    }

    /// A nested object, written by `f`.
    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        let out = self.key(k);
        let mut inner = Obj::new(out);
        f(&mut inner);
        inner.end();
        self
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

/// `{"<key>":[items...],"NextToken":..}` from items already written as text.
pub fn list_page(key: &str, items: &[String], next: Option<&str>) -> String {
    let mut out = String::with_capacity(32 + items.iter().map(|i| i.len() + 1).sum::<usize>());
    out.push('{');
    push_str(&mut out, key);
    out.push_str(":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    if let Some(t) = next {
        out.push_str(",\"NextToken\":");
        push_str(&mut out, t);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn objects_written_as_text_parse_to_the_same_json_as_values() {
        let t = DateTime::from_timestamp_millis(1_764_547_200_123).unwrap();
        let whole = DateTime::from_timestamp(1_764_547_200, 0).unwrap();
        let mut out = String::new();
        let mut o = Obj::new(&mut out);
        o.str("Name", "web \"01\"\u{1b}[31m")
            .num("Count", 7u32)
            .bool("Latest", false)
            .ts("At", t)
            .ts("Whole", whole)
            .obj("Inner", |i| {
                i.num("Success", 2);
            });
        o.end();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            parsed,
            json!({
                "Name": "web \"01\"\u{1b}[31m",
                "Count": 7,
                "Latest": false,
                "At": super::super::protocol::ts(t),
                "Whole": super::super::protocol::ts(whole),
                "Inner": {"Success": 2},
            })
        );
        let page = list_page("Items", &[out.clone(), out], Some("tok"));
        let parsed: Value = serde_json::from_str(&page).unwrap();
        assert_eq!(parsed["Items"].as_array().unwrap().len(), 2);
        assert_eq!(parsed["NextToken"], "tok");
    }
}
