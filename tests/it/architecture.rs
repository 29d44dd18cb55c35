//! The shape of the source tree, checked: stages import only the stages their module
//! docs allow, the stages form a DAG, the step checker shares nothing with what it
//! checks, the command line uses only the public facade, and no file grows past its limit.
//!
//! Imports are read from the source text: `crate::stage` paths, including grouped
//! `use crate::{a, b::c}` imports, with comments removed so that doc links do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::root;

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("the source directory is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The text without `//` comments (doc comments included), so that a doc link such as
/// [`crate::lower`] is not read as an import. String literals are kept: none of the
/// sources spells a `crate::` path inside one.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL, say) would cut the line short; that
            // only ever hides text, so it cannot invent an import.
            Some(k) => &line[..k],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a text names through `prefix::` (`crate` or `gauge`).
fn modules_named(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let pat = format!("{prefix}::");
    let mut rest = text;
    while let Some(k) = rest.find(&pat) {
        // Only whole path roots: `mycrate::` must not count as `crate::`.
        let before = rest[..k].chars().next_back();
        rest = &rest[k + pat.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // A grouped import: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.extend(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.extend(first_segment(&item));
        } else {
            out.extend(first_segment(rest));
        }
    }
    out
}

/// The first path segment of `text`, when it is a module-like (lower-case) name.
fn first_segment(text: &str) -> Option<String> {
    let name: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()))
    .then_some(name)
}

/// The crate's top-level modules, from the `mod` declarations in `src/lib.rs`.
fn stages() -> Vec<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs exists");
    without_comments(&lib)
        .lines()
        .filter_map(|l| {
            // `mod x;`, `pub mod x;` or `#[doc(hidden)] pub mod x;`: a module declared in
            // its own file, not an inline `mod x { ... }`.
            let k = l.find("mod ")?;
            let before = l[..k].trim_end();
            if !(before.is_empty() || before.ends_with("pub") || before.ends_with(']')) {
                return None;
            }
            let name = l[k + 4..].trim().strip_suffix(';')?;
            Some(name.trim().to_string())
        })
        .collect()
}

/// The stage a file under `src/` belongs to: its folder, or its stem for a top-level file.
fn stage_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("the file is under src/");
    let first = rel
        .components()
        .next()
        .expect("a relative path has a component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// The stage's own module file: `src/<stage>/mod.rs` or `src/<stage>.rs`.
fn stage_file(src: &Path, stage: &str) -> PathBuf {
    let folder = src.join(stage).join("mod.rs");
    if folder.is_file() {
        folder
    } else {
        src.join(format!("{stage}.rs"))
    }
}

/// What a stage's module docs allow it to import: the names in backticks on its
/// `May import:` line (`nothing` allows nothing).
fn allowed_imports(src: &Path, stage: &str) -> BTreeSet<String> {
    let file = stage_file(src, stage);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    // The line may wrap onto further `//!` lines, up to the end of its paragraph.
    let mut collecting = false;
    let mut allowed = BTreeSet::new();
    let mut found = false;
    for line in text.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            break;
        };
        if let Some(k) = doc.find("May import:") {
            collecting = true;
            found = true;
            allowed.extend(backticked(&doc[k..]));
        } else if collecting && !doc.trim().is_empty() {
            allowed.extend(backticked(doc));
        } else {
            collecting = false;
        }
    }
    assert!(
        found,
        "{}: the module docs say what the stage may import (a `May import:` line)",
        file.display()
    );
    allowed
}

/// The `backticked` words of a line.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The imports between stages: stage -> the other stages it names.
fn stage_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let stages = stages();
    let mut graph: BTreeMap<String, BTreeSet<String>> = stages
        .iter()
        .map(|s| (s.clone(), BTreeSet::new()))
        .collect();
    for file in rust_files(&src) {
        let stage = stage_of(&src, &file);
        if !graph.contains_key(&stage) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        for used in modules_named(&without_comments(&text), "crate") {
            if used != stage && stages.contains(&used) {
                graph.get_mut(&stage).expect("a known stage").insert(used);
            }
        }
    }
    graph
}

#[test]
fn every_stage_imports_only_what_its_docs_allow() {
    let src = root().join("src");
    let graph = stage_graph();
    assert!(
        graph.len() >= 10,
        "the stages are read from src/lib.rs: {graph:?}"
    );
    let mut wrong = Vec::new();
    for (stage, uses) in &graph {
        let allowed = allowed_imports(&src, stage);
        for u in uses {
            if !allowed.contains(u) {
                wrong.push(format!("{stage} imports {u} (allowed: {allowed:?})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports the module docs do not allow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_stages_form_a_dag() {
    let graph = stage_graph();
    // Depth-first search with colours: meeting a node still on the stack is a cycle.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let k = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[k..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("an import cycle between stages: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_step_checker_shares_nothing_with_what_it_checks() {
    let graph = stage_graph();
    let uses = graph.get("verify").expect("verify is a stage");
    for forbidden in ["simplify", "calculus"] {
        assert!(
            !uses.contains(forbidden),
            "verify imports {forbidden}: the checker must re-derive what it checks on its own"
        );
    }
}

#[test]
fn the_command_line_uses_only_the_public_facade() {
    let stages = stages();
    let mut wrong = Vec::new();
    for file in rust_files(&root().join("src/cli")) {
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        for used in modules_named(&without_comments(&text), "gauge") {
            if stages.contains(&used) {
                wrong.push(format!("{}: gauge::{used}", file.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the CLI reaches past the facade:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_file_is_too_long() {
    let src = root().join("src");
    let mut long = Vec::new();
    for file in rust_files(&src) {
        let lines = std::fs::read_to_string(&file)
            .expect("readable")
            .lines()
            .count();
        let limit = if file.starts_with(src.join("cli")) {
            400
        } else {
            1000
        };
        if lines > limit {
            long.push(format!("{}: {lines} lines (limit {limit})", file.display()));
        }
    }
    assert!(
        long.is_empty(),
        "files over their limit:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_unit_tests_hide_in_the_library() {
    // Cargo.toml builds the library and the binary without test harnesses (every test
    // is in this binary), so a `#[cfg(test)]` module under src/ would never run.
    for file in rust_files(&root().join("src")) {
        let text = std::fs::read_to_string(&file).expect("readable");
        assert!(
            !without_comments(&text).contains("cfg(test)"),
            "{}: unit tests under src/ do not run (`test = false`); put them in tests/it/",
            file.display()
        );
    }
}

#[test]
fn every_module_says_what_it_is_for() {
    for file in rust_files(&root().join("src")) {
        let text = std::fs::read_to_string(&file).expect("readable");
        assert!(
            text.trim_start().starts_with("//!"),
            "{}: a module begins with a `//!` comment that says its job",
            file.display()
        );
    }
}

#[test]
fn the_import_reader_sees_grouped_and_inline_paths() {
    let text = "use crate::{expr::pool::Pool, print};\nfn f() { crate::numeric::eval(); }\n\
                // crate::verify is only mentioned\nlet x = mycrate::simplify;";
    let got = modules_named(&without_comments(text), "crate");
    let want: BTreeSet<String> = ["expr", "print", "numeric"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
}
