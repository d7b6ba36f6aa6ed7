//! GetCommandInvocation's string timestamps. (Command and invocation conversions are
//! shared with the data layer: `crate::fleet::convert`.)

use chrono::{DateTime, Utc};

/// GetCommandInvocation's ISO-8601 *strings* (`""` when not started).
pub fn iso_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        // some emulators (moto) leave the zone out: the API's times are UTC
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_strings_with_and_without_zone() {
        let a = iso_time(Some("2019-02-14T19:26:26.439Z")).unwrap();
        assert_eq!(a.timestamp(), 1_550_172_386);
        let b = iso_time(Some("2019-02-14T19:26:26.439")).unwrap();
        assert_eq!(a, b);
        assert_eq!(iso_time(Some("")), None);
        assert_eq!(iso_time(None), None);
    }
}
