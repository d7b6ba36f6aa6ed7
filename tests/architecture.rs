//! The crate's shape, checked by reading `src/`: the SDK stays in the data layer (and the
//! simulator, which speaks the wire), the data layer does not know its test double, and the
//! domain and report modules import each other without circles. A failure names the file
//! and line (or the circle) to fix.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file, line by line (1-based), comments removed (`//`, `///`, `//!`; block
/// comments are not used in this crate).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let code = match l.find("//") {
                // a `//` inside a string literal (URLs) is kept: only whole-line and
                // trailing comments after code matter here
                Some(at) if !l[..at].contains('"') => &l[..at],
                _ => l,
            };
            (i + 1, code.to_string())
        })
        .collect()
}

/// The code before the file's `#[cfg(test)]` module (unit tests may use anything).
fn non_test_lines(path: &Path) -> Vec<(usize, String)> {
    let lines = code_lines(path);
    let end = lines
        .iter()
        .position(|(_, l)| l.trim() == "#[cfg(test)]")
        .unwrap_or(lines.len());
    lines[..end].to_vec()
}

fn rel(p: &Path) -> String {
    p.strip_prefix(src().parent().unwrap())
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn aws_sdk_types_stay_in_the_data_layer_and_the_simulator() {
    let allowed = [src().join("fleet"), src().join("sim")];
    let mut found = Vec::new();
    for f in rust_files(&src()) {
        if allowed.iter().any(|a| f.starts_with(a)) {
            continue;
        }
        for (n, l) in code_lines(&f) {
            for needle in [
                "aws_sdk_",
                "aws_config",
                "aws_credential_types",
                "aws_smithy_",
            ] {
                if l.contains(needle) {
                    found.push(format!("{}:{n}: {}", rel(&f), l.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "SDK types outside src/fleet and src/sim (go through crate::fleet, e.g. fleet::Ssm):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_data_layer_does_not_import_the_simulator_or_the_layers_above_it() {
    let mut found = Vec::new();
    for f in rust_files(&src().join("fleet")) {
        for (n, l) in non_test_lines(&f) {
            for upper in [
                "crate::sim",
                "crate::app",
                "crate::ui",
                "crate::actions",
                "crate::report",
                "crate::cli",
            ] {
                if l.contains(upper) {
                    found.push(format!("{}:{n}: {}", rel(&f), l.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "src/fleet must not depend on the simulator (its test double) nor on the layers \
         that use it (the demo wiring lives in src/app):\n{}",
        found.join("\n")
    );
}

/// The sibling modules a file of `dir` refers to: `super::x`, `crate::<area>::x`,
/// `use super::{x, y::z}`, and the names `dir/mod.rs` re-exports from a module.
fn imports(dir: &Path, area: &str) -> BTreeMap<String, BTreeSet<String>> {
    let module_of = |p: &Path| -> String {
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        if stem == "mod" {
            p.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string()
        } else {
            stem
        }
    };
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { p.join("mod.rs") } else { p })
        .filter(|p| p.exists() && p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| p != &dir.join("mod.rs"))
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    // names re-exported by the parent (`pub use snapshot::{FleetSnapshot, ..}`)
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    let parent = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
    let parent: String = parent.split("#[cfg(test)]").next().unwrap().to_string();
    for stmt in parent.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        for name in names
            .trim_matches(|c| c == '{' || c == '}' || c == ' ' || c == '\n')
            .split(',')
        {
            let name = name.trim();
            if !name.is_empty() {
                reexported.insert(name.to_string(), module.to_string());
            }
        }
    }
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut graph = BTreeMap::new();
    for f in &files {
        let me = module_of(f);
        let text: String = non_test_lines(f)
            .into_iter()
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n");
        let mut deps = BTreeSet::new();
        for prefix in ["super::".to_string(), format!("crate::{area}::")] {
            let mut rest = text.as_str();
            while let Some(at) = rest.find(&prefix) {
                rest = &rest[at + prefix.len()..];
                let mut names = Vec::new();
                if let Some(group) = rest.strip_prefix('{') {
                    // `use super::{a, b::c, D}`: the first word of each top-level item
                    let mut depth = 0;
                    let mut item = String::new();
                    for ch in group.chars() {
                        match ch {
                            '{' => depth += 1,
                            '}' if depth == 0 => break,
                            '}' => depth -= 1,
                            ',' if depth == 0 => {
                                names.push(word(item.trim()));
                                item.clear();
                                continue;
                            }
                            _ => {}
                        }
                        if depth == 0 {
                            item.push(ch);
                        }
                    }
                    names.push(word(item.trim()));
                } else {
                    names.push(word(rest));
                }
                for n in names {
                    let target = if modules.contains(&n) {
                        Some(n)
                    } else {
                        reexported.get(&n).cloned()
                    };
                    if let Some(t) = target
                        && t != me
                    {
                        deps.insert(t);
                    }
                }
            }
        }
        graph.insert(me, deps);
    }
    graph
}

/// A circle in `graph`, if any (as `a → b → a`).
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c.join(" → "));
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_circles_between_the_modules_of_model_and_report() {
    for area in ["model", "report"] {
        let graph = imports(&src().join(area), area);
        assert!(graph.len() > 5, "{area}: modules found: {graph:?}");
        if let Some(c) = circle(&graph) {
            panic!("import circle in src/{area}: {c}");
        }
    }
}

#[test]
fn the_circle_finder_finds_circles() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circle(&g).as_deref(), Some("a → b → c → a"));
    let mut ok = g.clone();
    ok.insert("c".into(), BTreeSet::new());
    assert_eq!(circle(&ok), None);
}
