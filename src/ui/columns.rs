//! Column choices per table, persisted in `<config dir>/views.toml` (k9s `views.yaml`):
//!
//! ```toml
//! [nodes]
//! columns = ["NAME", "ACCOUNT", "PLATFORM", "COMPLIANCE", "CRIT PATCHES", "SCAN"]
//! ```
//!
//! Tables are named as below; column titles match case-insensitively. A problem (unknown
//! table, unknown column, not a list) stops startup with the file and line, like a keymap.
//! Wide mode (`ctrl-w`) shows every column whatever is chosen here.

use std::collections::BTreeMap;
use std::path::Path;

use super::table::Column;
use super::views;
use crate::config::layered::{FileError, toml_error};
use crate::config::tomlpos::line_of;

/// Every table whose columns can be chosen: (name in `views.toml`, its columns).
pub fn tables() -> [(&'static str, &'static [Column]); 8] {
    [
        ("org", views::org::COLUMNS),
        ("nodes", views::nodes::COLUMNS),
        ("compliance", views::compliance::COLUMNS),
        ("certs", views::certs::COLUMNS),
        ("commands", views::commands::COLUMNS),
        ("errors", views::errors::COLUMNS),
        ("patches", views::node::PATCH_COLUMNS),
        ("invocations", views::node::INVOCATION_COLUMNS),
    ]
}

/// The table name of a column set (by identity), for the chooser and the config.
pub fn table_name(cols: &[Column]) -> Option<&'static str> {
    // by titles: a `const` column list may live at more than one address
    tables()
        .into_iter()
        .find(|(_, c)| c.len() == cols.len() && c.iter().zip(cols).all(|(a, b)| a.title == b.title))
        .map(|(n, _)| n)
}

/// Chosen columns per table (indices into the table's columns, in display order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnPrefs {
    pub chosen: BTreeMap<String, Vec<usize>>,
}

impl ColumnPrefs {
    /// `<config dir>/views.toml`, or no choices when it does not exist.
    pub fn load(path: &Path) -> Result<ColumnPrefs, FileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => ColumnPrefs::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ColumnPrefs::default()),
            Err(e) => Err(FileError {
                file: path.display().to_string(),
                line: None,
                problem: format!("cannot read: {e}"),
            }),
        }
    }

    pub fn parse(text: &str, label: &str) -> Result<ColumnPrefs, FileError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, label, &e))?;
        let names: Vec<&str> = tables().iter().map(|(n, _)| *n).collect();
        let mut out = ColumnPrefs::default();
        for (section, v) in &table {
            let Some((_, cols)) = tables().into_iter().find(|(n, _)| n == section) else {
                return Err(FileError::at(
                    label,
                    line_of(text, section, ""),
                    format!("unknown table [{section}] (tables: {})", names.join(", ")),
                ));
            };
            let Some(body) = v.as_table() else {
                return Err(FileError::at(
                    label,
                    line_of(text, "", section),
                    format!("`{section}` must be a section: [{section}] columns = [...]"),
                ));
            };
            for (key, val) in body {
                if key != "columns" {
                    return Err(FileError::at(
                        label,
                        line_of(text, section, key),
                        format!("unknown key `{key}` in [{section}] (known: columns)"),
                    ));
                }
                let at = line_of(text, section, key);
                let Some(list) = val.as_array() else {
                    return Err(FileError::at(
                        label,
                        at,
                        "`columns` must be a list of column titles",
                    ));
                };
                let mut chosen = Vec::new();
                for item in list {
                    let Some(title) = item.as_str() else {
                        return Err(FileError::at(
                            label,
                            at,
                            "`columns` must be a list of column titles",
                        ));
                    };
                    let Some(i) = cols
                        .iter()
                        .position(|c| c.title.eq_ignore_ascii_case(title))
                    else {
                        let known: Vec<&str> = cols.iter().map(|c| c.title).collect();
                        return Err(FileError::at(
                            label,
                            at,
                            format!(
                                "[{section}] has no column `{title}` (columns: {})",
                                known.join(", ")
                            ),
                        ));
                    };
                    if chosen.contains(&i) {
                        return Err(FileError::at(
                            label,
                            at,
                            format!("[{section}] lists `{title}` twice"),
                        ));
                    }
                    chosen.push(i);
                }
                if chosen.is_empty() {
                    return Err(FileError::at(
                        label,
                        at,
                        format!("[{section}] chooses no column"),
                    ));
                }
                chosen.sort_unstable();
                out.chosen.insert(section.clone(), chosen);
            }
        }
        Ok(out)
    }

    /// The chosen columns of `cols`, if the user chose.
    pub fn for_columns(&self, cols: &[Column]) -> Option<Vec<usize>> {
        table_name(cols).and_then(|n| self.chosen.get(n).cloned())
    }

    /// The file text for these choices.
    pub fn to_toml(&self) -> String {
        let mut out = String::from("# ssmdeck column choices per table\n");
        for (name, cols) in tables() {
            if let Some(ch) = self.chosen.get(name) {
                let titles: Vec<String> =
                    ch.iter().map(|&i| format!("{:?}", cols[i].title)).collect();
                out.push_str(&format!("\n[{name}]\ncolumns = [{}]\n", titles.join(", ")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_and_problems_name_the_line() {
        let p = ColumnPrefs::parse(
            "[nodes]\ncolumns = [\"name\", \"PLATFORM\", \"SCAN\"]\n",
            "views.toml",
        )
        .unwrap();
        let ch = p.for_columns(views::nodes::COLUMNS).unwrap();
        let titles: Vec<&str> = ch.iter().map(|&i| views::nodes::COLUMNS[i].title).collect();
        assert_eq!(titles, ["NAME", "PLATFORM", "SCAN"]);
        let back = ColumnPrefs::parse(&p.to_toml(), "views.toml").unwrap();
        assert_eq!(back, p);

        let e = ColumnPrefs::parse(
            "[nodes]\n\ncolumns = [\"NAME\", \"COLOUR\"]\n",
            "views.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("views.toml") && e.contains("line 3"), "{e}");
        assert!(e.contains("no column `COLOUR`"), "{e}");
        let e = ColumnPrefs::parse("[pods]\ncolumns = []\n", "views.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown table [pods]") && e.contains("line 1"),
            "{e}"
        );
    }
}
