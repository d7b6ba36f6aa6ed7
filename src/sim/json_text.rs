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
/// fraction when there is one. Written digit by digit: `write!` was an eighth of the
/// simulator's CPU in a 40,000-node refresh (#13; pages carry 4 timestamps per node).
pub fn push_ts(out: &mut String, t: DateTime<Utc>) {
    let ms = t.timestamp_millis();
    let (secs, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    if frac == 0 {
        push_int(out, secs);
    } else if (1..100_000_000_000).contains(&secs) {
        // the shortest decimal of the f64 `ms / 1000.0` that `protocol::ts` sends: at this
        // magnitude doubles are far finer than a millisecond, so it is these digits, trailing
        // zeros dropped (a test compares the two)
        push_int(out, secs);
        // `frac` is 1..=999: three digits after the point, trailing zeros dropped
        let d = [frac / 100, frac / 10 % 10, frac % 10].map(|d| b'0' + d as u8);
        let n = if d[2] != b'0' {
            3
        } else if d[1] != b'0' {
            2
        } else {
            1
        };
        out.push('.');
        out.push_str(std::str::from_utf8(&d[..n]).unwrap_or_default());
    } else {
        let _ = write!(out, "{}", super::protocol::ts(t));
    }
}

/// An integer in decimal (what `write!(out, "{v}")` writes, without the formatter).
pub fn push_int(out: &mut String, v: i64) {
    out.push_str(itoa::Buffer::new().format(v));
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

    pub fn num(&mut self, k: &str, v: impl Into<i64>) -> &mut Self {
        let out = self.key(k);
        push_int(out, v.into());
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

    #[test]
    fn timestamps_and_integers_are_the_text_the_formatter_writes() {
        // every millisecond fraction, at whole and fractional seconds, now and long ago,
        // and the slow path's cases (before 1970, the epoch itself)
        let mut cases: Vec<i64> = (0..1000).map(|f| 1_764_547_200_000 + f).collect();
        cases.extend([0, 1, 999, 1000, 1001, -1, -999, -1000, -1_500, 86_400_000]);
        cases.extend((0..200).map(|k| 946_684_800_000 + k * 7_919_731_337));
        for ms in cases {
            let t = DateTime::from_timestamp_millis(ms).unwrap();
            let mut out = String::new();
            push_ts(&mut out, t);
            assert_eq!(out, super::super::protocol::ts(t).to_string(), "{ms} ms");
        }
        for v in [
            0,
            7,
            10,
            99,
            100,
            -1,
            -10,
            4_294_967_295,
            i64::MIN,
            i64::MAX,
        ] {
            let mut out = String::new();
            push_int(&mut out, v);
            assert_eq!(out, v.to_string());
        }
    }
}
