//! Exporting any console table "as shown": the view passes its column headers and its
//! rows as typed [`Cell`]s (numbers, times, empty for unknown — never screen glyphs), in
//! the current filter and sort order, and gets the same safety as the full reports
//! (formula neutralising in CSV, control characters stripped everywhere, Markdown / HTML
//! escaping). JSON keeps the types (numbers, `true`, `null`, RFC 3339 times).

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::SerializeMap;

use super::rows::fmt_time;

/// A typed cell value for exports: numbers stay numbers, times are timestamps, unknown is
/// empty (never a screen glyph such as `·`, `-` or `↑`).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    Time(DateTime<Utc>),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }
    pub fn opt_text(s: Option<&str>) -> Cell {
        match s {
            Some(s) if !s.is_empty() => Cell::Text(crate::text::sanitize(s)),
            _ => Cell::Empty,
        }
    }
    pub fn time(t: Option<DateTime<Utc>>) -> Cell {
        t.map(Cell::Time).unwrap_or(Cell::Empty)
    }
    /// As written to CSV / Markdown / HTML.
    pub fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => {
                let s = format!("{x:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            Cell::Bool(b) => b.to_string(),
            Cell::Time(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

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
    cells: &'a [Cell],
}

fn json_value(c: &Cell) -> serde_json::Value {
    use serde_json::Value;
    match c {
        Cell::Empty => Value::Null,
        Cell::Text(s) => Value::String(safety::json(s)),
        Cell::Int(n) => Value::from(*n),
        Cell::Num(x) => serde_json::Number::from_f64(*x)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Time(_) => Value::String(c.plain()),
    }
}

impl Serialize for RowObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.headers.len()))?;
        for (i, h) in self.headers.iter().enumerate() {
            let v = self
                .cells
                .get(i)
                .map(json_value)
                .unwrap_or(serde_json::Value::Null);
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
    cells: &[Vec<Cell>],
    meta: &TableMeta,
    w: &mut dyn Write,
) -> io::Result<()> {
    let plain = || -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|r| r.iter().map(Cell::plain).collect())
            .collect()
    };
    match format {
        ReportFormat::Csv => csv::write_table(headers, &plain(), w),
        ReportFormat::Json => {
            let doc = JsonTable {
                title: safety::json(&meta.title),
                subtitle: safety::json(&meta.subtitle),
                generated_at: meta.generated_at,
                columns: headers.iter().map(|h| safety::json(h)).collect(),
                rows: cells
                    .iter()
                    .map(|cells| RowObject { headers, cells })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::other)?;
            w.write_all(b"\n")
        }
        ReportFormat::Md => {
            let rows = plain();
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
            for r in &rows {
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
            let rows = plain();
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
            w.write_all(html::render_table(&title, &sub, headers, &rows).as_bytes())
        }
    }
}

/// [`write_table`] into a string.
pub fn table_to_string(
    format: ReportFormat,
    headers: &[String],
    rows: &[Vec<Cell>],
    meta: &TableMeta,
) -> String {
    let mut buf = Vec::new();
    write_table(format, headers, rows, meta, &mut buf).expect("writing into memory cannot fail");
    String::from_utf8(buf).expect("tables are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<String>, Vec<Vec<Cell>>, TableMeta) {
        (
            vec!["Name".into(), "Critical".into()],
            vec![
                vec![Cell::text("=cmd|' /C calc'!A0"), Cell::Int(3)],
                vec![Cell::text("web\u{1b}[31m-01"), Cell::Int(-1)],
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
        assert_eq!(v["rows"][0]["Critical"], 3, "numbers stay numbers");
    }

    #[test]
    fn typed_cells_export_as_data_not_glyphs() {
        let t = DateTime::parse_from_rfc3339("2026-11-20T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let h: Vec<String> = ["MISS", "PATCH GROUP", "SCAN", "IN USE"]
            .map(String::from)
            .to_vec();
        let r = vec![vec![
            Cell::Int(0),
            Cell::Empty,
            Cell::Time(t),
            Cell::Bool(true),
        ]];
        let m = TableMeta::default();
        let csv = table_to_string(ReportFormat::Csv, &h, &r, &m);
        assert!(csv.contains("0,,2026-11-20T06:00:00Z,true"), "{csv}");
        let json = table_to_string(ReportFormat::Json, &h, &r, &m);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["rows"][0]["MISS"], 0);
        assert!(v["rows"][0]["PATCH GROUP"].is_null());
        assert_eq!(v["rows"][0]["SCAN"], "2026-11-20T06:00:00Z");
        assert_eq!(v["rows"][0]["IN USE"], true);
    }

    #[test]
    fn markdown_and_html_as_shown_are_escaped() {
        let (h, mut r, m) = sample();
        r.push(vec![Cell::text("<b>x</b>|y"), Cell::Int(0)]);
        let md = table_to_string(ReportFormat::Md, &h, &r, &m);
        assert!(md.contains("\\<b\\>x\\</b\\>\\|y"), "{md}");
        let html = table_to_string(ReportFormat::Html, &h, &r, &m);
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;|y"), "{html}");
        assert!(!html.contains('\u{1b}'));
    }
}
