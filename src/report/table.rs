//! Exporting any console table "as shown": the view passes its column headers and its
//! rows as strings, in the current filter and sort order, and gets the same safety as the
//! full reports (formula neutralising in CSV, control characters stripped everywhere,
//! Markdown / HTML escaping).

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::SerializeMap;

use super::rows::fmt_time;
use super::{ReportFormat, csv, html, safety};

/// What the exported table is (shown as title / metadata in JSON, Markdown and HTML).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableMeta {
    /// e.g. `nodes`.
    pub title: String,
    /// e.g. `filter: account:prod compliance:non · sorted by Critical ↓ · 42 of 600 rows`.
    pub subtitle: String,
    pub generated_at: DateTime<Utc>,
}

struct RowObject<'a> {
    headers: &'a [String],
    cells: &'a [String],
}

impl Serialize for RowObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.headers.len()))?;
        for (i, h) in self.headers.iter().enumerate() {
            let v = self
                .cells
                .get(i)
                .map(|c| safety::json(c))
                .unwrap_or_default();
            m.serialize_entry(&safety::json(h), &v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct JsonTable<'a> {
    title: String,
    subtitle: String,
    generated_at: DateTime<Utc>,
    columns: Vec<String>,
    rows: Vec<RowObject<'a>>,
}

/// Write a table in `format`. `rows` are in display order; cells are raw (unescaped) text.
pub fn write_table(
    format: ReportFormat,
    headers: &[String],
    rows: &[Vec<String>],
    meta: &TableMeta,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ReportFormat::Csv => csv::write_table(headers, rows, w),
        ReportFormat::Json => {
            let doc = JsonTable {
                title: safety::json(&meta.title),
                subtitle: safety::json(&meta.subtitle),
                generated_at: meta.generated_at,
                columns: headers.iter().map(|h| safety::json(h)).collect(),
                rows: rows
                    .iter()
                    .map(|cells| RowObject { headers, cells })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::other)?;
            w.write_all(b"\n")
        }
        ReportFormat::Md => {
            let mut out = format!("## ssmdeck: {}\n\n", safety::md(&meta.title));
            if !meta.subtitle.is_empty() {
                out.push_str(&format!("{}\n\n", safety::md(&meta.subtitle)));
            }
            out.push_str(&format!(
                "| {} |\n|{}|\n",
                headers
                    .iter()
                    .map(|h| safety::md(h))
                    .collect::<Vec<_>>()
                    .join(" | "),
                headers.iter().map(|_| "---").collect::<Vec<_>>().join("|")
            ));
            for r in rows {
                out.push_str(&format!(
                    "| {} |\n",
                    r.iter()
                        .map(|c| safety::md(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
            out.push_str(&format!(
                "\n_{} rows · exported {}_\n",
                rows.len(),
                fmt_time(Some(meta.generated_at))
            ));
            w.write_all(out.as_bytes())
        }
        ReportFormat::Html => {
            let sub = if meta.subtitle.is_empty() {
                format!(
                    "{} rows · exported {}",
                    rows.len(),
                    fmt_time(Some(meta.generated_at))
                )
            } else {
                format!(
                    "{} · {} rows · exported {}",
                    meta.subtitle,
                    rows.len(),
                    fmt_time(Some(meta.generated_at))
                )
            };
            let title = format!("ssmdeck: {}", meta.title);
            w.write_all(html::render_table(&title, &sub, headers, rows).as_bytes())
        }
    }
}

/// [`write_table`] into a string.
pub fn table_to_string(
    format: ReportFormat,
    headers: &[String],
    rows: &[Vec<String>],
    meta: &TableMeta,
) -> String {
    let mut buf = Vec::new();
    write_table(format, headers, rows, meta, &mut buf).expect("writing into memory cannot fail");
    String::from_utf8(buf).expect("tables are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<String>, Vec<Vec<String>>, TableMeta) {
        (
            vec!["Name".into(), "Critical".into()],
            vec![
                vec!["=cmd|' /C calc'!A0".into(), "3".into()],
                vec!["web\u{1b}[31m-01".into(), "-1".into()],
            ],
            TableMeta {
                title: "nodes".into(),
                subtitle: "filter: sev:critical".into(),
                generated_at: DateTime::parse_from_rfc3339("2026-11-23T06:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
            },
        )
    }

    #[test]
    fn csv_as_shown_is_neutralised_and_keeps_order() {
        let (h, r, m) = sample();
        let out = table_to_string(ReportFormat::Csv, &h, &r, &m);
        let mut rd = ::csv::Reader::from_reader(out.as_bytes());
        let rows: Vec<Vec<String>> = rd
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[0], vec!["'=cmd|' /C calc'!A0", "3"]);
        assert_eq!(rows[1], vec!["web-01", "-1"]);
    }

    #[test]
    fn json_as_shown_keeps_column_order() {
        let (h, r, m) = sample();
        let out = table_to_string(ReportFormat::Json, &h, &r, &m);
        let name_at = out.find("\"Name\": \"web-01\"").expect(&out);
        let crit_at = out[name_at..].find("\"Critical\"").unwrap();
        assert!(crit_at > 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["columns"], serde_json::json!(["Name", "Critical"]));
        assert_eq!(v["rows"][0]["Name"], "=cmd|' /C calc'!A0");
    }

    #[test]
    fn markdown_and_html_as_shown_are_escaped() {
        let (h, mut r, m) = sample();
        r.push(vec!["<b>x</b>|y".into(), "0".into()]);
        let md = table_to_string(ReportFormat::Md, &h, &r, &m);
        assert!(md.contains("\\<b\\>x\\</b\\>\\|y"), "{md}");
        let html = table_to_string(ReportFormat::Html, &h, &r, &m);
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;|y"), "{html}");
        assert!(!html.contains('\u{1b}'));
    }
}
