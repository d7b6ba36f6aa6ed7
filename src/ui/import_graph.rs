//! A check that `src/ui` has no import circle: every `use` and every inline path
//! (`crate::ui::…`, `super::…`, `self::…`) of each module file, outside its `#[cfg(test)]`
//! module, is resolved to the module file it names; the graph of those edges must be
//! acyclic. (Test modules may import anything: they are not part of the graph.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`["ui", "views", "org"]`) → its source without comments and test modules.
fn modules(root: &Path) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), vec!["ui".to_string()])];
    while let Some((dir, module)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ui is readable") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                let mut m = module.clone();
                m.push(name);
                stack.push((path, m));
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            let mut m = module.clone();
            if stem != "mod" {
                m.push(stem.to_string());
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            out.insert(m, strip(&text));
        }
    }
    out
}

/// Without `//` comments and from the first `#[cfg(test)]` module on.
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod ") && l.contains('{'))
        {
            break;
        }
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Every path continuation after a prefix: `::a::b`, `::{a::B, c}` → [[a, b], [a, B], [c]].
fn continuations(mut s: &str) -> Vec<Vec<String>> {
    let mut segs = Vec::new();
    loop {
        let Some(rest) = s.strip_prefix("::") else {
            return vec![segs];
        };
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut items = Vec::new();
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        items.push(&group[start..i]);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&group[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            let mut out = Vec::new();
            for item in items {
                let item = item.trim();
                let (first, tail) = ident(item);
                if first.is_empty() || first == "self" {
                    out.push(segs.clone());
                    continue;
                }
                for c in continuations(tail) {
                    let mut v = segs.clone();
                    v.push(first.to_string());
                    v.extend(c);
                    out.push(v);
                }
            }
            return out;
        }
        let (id, tail) = ident(rest);
        if id.is_empty() {
            return vec![segs];
        }
        segs.push(id.to_string());
        s = tail;
    }
}

/// The module files each module's paths lead to.
fn edges(mods: &BTreeMap<Vec<String>, String>) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut out: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, text) in mods {
        let mut targets = BTreeSet::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < text.len() {
            let boundary =
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
            let rest = &text[i..];
            let prefix = if !boundary {
                None
            } else if let Some(r) = rest.strip_prefix("crate::ui") {
                Some((vec!["ui".to_string()], r))
            } else if rest.starts_with("super::") || rest.starts_with("self::") {
                let mut base = m.clone();
                let mut r = rest;
                if let Some(x) = r.strip_prefix("self") {
                    r = x;
                } else {
                    // each `super` goes one module up (a file's `super` is its directory)
                    while let Some(x) = r.strip_prefix("super") {
                        base.pop();
                        r = x;
                        if r.starts_with("::super::") {
                            r = &r[2..];
                        } else {
                            break;
                        }
                    }
                }
                Some((base, r))
            } else {
                // a child module named without prefix (`org::SPEC` in `views/mod.rs`)
                let (id, r) = ident(rest);
                let mid_path = i >= 2 && &bytes[i - 2..i] == b"::";
                let mut child = m.clone();
                child.push(id.to_string());
                let known = mods.contains_key(&child);
                (!id.is_empty() && !mid_path && r.starts_with("::") && known).then_some((child, r))
            };
            if let Some((base, r)) = prefix {
                for segs in continuations(r) {
                    let mut target = base.clone();
                    for s in segs {
                        let mut next = target.clone();
                        next.push(s);
                        if mods.contains_key(&next) {
                            target = next;
                        } else {
                            break;
                        }
                    }
                    if &target != m && target.starts_with(&["ui".to_string()]) {
                        targets.insert(target);
                    }
                }
                i += (rest.len() - r.len()).max(1);
                continue;
            }
            i += rest.chars().next().map(char::len_utf8).unwrap_or(1);
        }
        out.insert(m.clone(), targets);
    }
    out
}

/// A circle in the graph, if any (as module paths, first repeated at the end).
fn find_cycle(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        n: &Vec<String>,
        g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        path: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        state.insert(n.clone(), 1);
        path.push(n.clone());
        for t in g.get(n).into_iter().flatten() {
            match state.get(t).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| p == t).unwrap_or(0);
                    let mut c: Vec<String> = path[start..].iter().map(|p| p.join("::")).collect();
                    c.push(t.join("::"));
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(t, g, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn src_ui_has_no_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
    let mods = modules(&root);
    let g = edges(&mods);
    // the checker sees the edges that matter (a broken checker finds no circle)
    let views = vec!["ui".to_string(), "views".to_string()];
    let org = vec!["ui".to_string(), "views".to_string(), "org".to_string()];
    let contract = vec!["ui".into(), "views".into(), "contract".to_string()];
    assert!(g[&views].contains(&org), "the registry names org");
    assert!(g[&org].contains(&contract), "org implements the contract");
    assert!(
        g[&vec!["ui".to_string(), "update".to_string()]]
            .contains(&vec!["ui".to_string(), "state".to_string()])
    );
    if let Some(c) = find_cycle(&g) {
        panic!("import circle in src/ui: {}", c.join(" → "));
    }
}

#[test]
fn the_checker_finds_a_circle_and_reads_use_groups() {
    let mut mods = BTreeMap::new();
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    mods.insert(m("ui"), String::new());
    mods.insert(m("ui::a"), "use super::{b::X, c};\n".to_string());
    mods.insert(m("ui::b"), "fn f() { crate::ui::a::g() }\n".to_string());
    mods.insert(m("ui::c"), strip("// use super::a;\n"));
    let g = edges(&mods);
    assert_eq!(g[&m("ui::a")], BTreeSet::from([m("ui::b"), m("ui::c")]));
    assert!(g[&m("ui::c")].is_empty(), "comments are not imports");
    let c = find_cycle(&g).expect("a → b → a");
    assert!(c.contains(&"ui::a".to_string()) && c.contains(&"ui::b".to_string()));
}
