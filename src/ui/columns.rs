//! Column choices per table, persisted in `<config dir>/views.toml` (k9s `views.yaml`):
//!
//! ```toml
//! [nodes]
//! columns = ["NAME", "ACCOUNT", "PLATFORM", "COMPLIANCE", "CRIT PATCHES", "SCAN"]
//! ```
//!
//! Tables are named as below; column titles match case-insensitively; the order of the
//! list is the order drawn. A problem (unknown table, unknown column, not a list) stops
//! startup with the file and line, like a keymap. Wide mode (`ctrl-w`) shows every column
//! whatever is chosen here. The column chooser (`C`) edits this file.

use std::collections::BTreeMap;
use std::path::Path;

use super::table::Column;
use crate::config::layered::{FileError, toml_error};
use crate::config::tomlpos::line_of;

/// The tables whose columns can be chosen: (name in `views.toml`, its columns). The list
/// lives with the views (`crate::ui::views::column_tables`); this module only reads it, so
/// the views can depend on [`ColumnPrefs`] without an import circle.
pub type Tables = [(&'static str, &'static [Column])];

/// A column set's identity: its titles (a `const` column list may live at more than one
/// address, so identity is by titles).
fn signature(cols: &[Column]) -> String {
    cols.iter()
        .map(|c| c.title)
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Chosen columns per table (indices into the table's columns, in display order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnPrefs {
    /// Table name → chosen column indices.
    pub chosen: BTreeMap<String, Vec<usize>>,
    /// Column-set signature → table name, for the tables the file was read against.
    names: BTreeMap<String, String>,
    /// Table name → its column titles (for writing the file back).
    titles: BTreeMap<String, Vec<&'static str>>,
}

impl ColumnPrefs {
    /// `<config dir>/views.toml`, or no choices when it does not exist.
    pub fn load(path: &Path, tables: &Tables) -> Result<ColumnPrefs, FileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => ColumnPrefs::parse(&text, &path.display().to_string(), tables),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ColumnPrefs::default()),
            Err(e) => Err(FileError {
                file: path.display().to_string(),
                line: None,
                problem: format!("cannot read: {e}"),
            }),
        }
    }

    pub fn parse(text: &str, label: &str, tables: &Tables) -> Result<ColumnPrefs, FileError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, label, &e))?;
        let names: Vec<&str> = tables.iter().map(|(n, _)| *n).collect();
        let mut out = ColumnPrefs::default();
        for (name, cols) in tables {
            out.names.insert(signature(cols), name.to_string());
            out.titles
                .insert(name.to_string(), cols.iter().map(|c| c.title).collect());
        }
        for (section, v) in &table {
            let Some(&(_, cols)) = tables.iter().find(|(n, _)| n == section) else {
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
                out.chosen.insert(section.clone(), chosen);
            }
        }
        Ok(out)
    }

    /// The chosen columns of `cols`, if the user chose.
    pub fn for_columns(&self, cols: &[Column]) -> Option<Vec<usize>> {
        self.names
            .get(&signature(cols))
            .and_then(|n| self.chosen.get(n).cloned())
    }

    /// Choose `chosen` (in order) for table `name` (its columns `cols`); `None`: back to
    /// the view's defaults.
    pub fn set(&mut self, name: &str, cols: &[Column], chosen: Option<Vec<usize>>) {
        self.names.insert(signature(cols), name.to_string());
        self.titles
            .insert(name.to_string(), cols.iter().map(|c| c.title).collect());
        match chosen {
            Some(c) => {
                self.chosen.insert(name.to_string(), c);
            }
            None => {
                self.chosen.remove(name);
            }
        }
    }

    /// The name in `views.toml` of the table with columns `cols`.
    pub fn table_of(tables: &Tables, cols: &[Column]) -> Option<&'static str> {
        let sig = signature(cols);
        tables
            .iter()
            .find(|(_, c)| signature(c) == sig)
            .map(|(n, _)| *n)
    }

    /// The file text for these choices.
    pub fn to_toml(&self) -> String {
        let mut out = String::from("# ssmdeck column choices per table\n");
        for (name, cols) in &self.titles {
            if let Some(ch) = self.chosen.get(name) {
                let titles: Vec<String> = ch.iter().map(|&i| format!("{:?}", cols[i])).collect();
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
            &crate::ui::views::column_tables(),
        )
        .unwrap();
        let ch = p.for_columns(crate::ui::views::nodes::COLUMNS).unwrap();
        let titles: Vec<&str> = ch
            .iter()
            .map(|&i| crate::ui::views::nodes::COLUMNS[i].title)
            .collect();
        assert_eq!(titles, ["NAME", "PLATFORM", "SCAN"]);
        let back = ColumnPrefs::parse(
            &p.to_toml(),
            "views.toml",
            &crate::ui::views::column_tables(),
        )
        .unwrap();
        assert_eq!(back, p);

        let e = ColumnPrefs::parse(
            "[nodes]\n\ncolumns = [\"NAME\", \"COLOUR\"]\n",
            "views.toml",
            &crate::ui::views::column_tables(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("views.toml") && e.contains("line 3"), "{e}");
        assert!(e.contains("no column `COLOUR`"), "{e}");
        let e = ColumnPrefs::parse(
            "[pods]\ncolumns = []\n",
            "views.toml",
            &crate::ui::views::column_tables(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown table [pods]") && e.contains("line 1"),
            "{e}"
        );
    }
}
