//! Every grammar fixture, snapshotted: the canonical form of each valid file and the
//! rendered diagnostic of each invalid one. Also checks that each production of
//! `grammar/gauge.ebnf` has a parser method of the same name.

use crate::common::{gauge, gauge_files, root, stderr, with_snapshots};
use gauge::lower::workspace::Workspace;

#[test]
fn valid_fixtures_print_their_canonical_form() {
    let files = gauge_files(&root().join("grammar/valid"));
    assert!(files.len() >= 8, "the valid fixtures are present");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let mut s = Workspace::with_prelude().expect("prelude loads");
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let stmts = s
            .load_file(&format!("grammar/valid/{name}.gauge"), &text)
            .unwrap_or_else(|e| panic!("{name}.gauge should be valid, got: {e:?}"));
        let printed: Vec<String> = stmts.iter().map(|st| s.print_statement(st)).collect();
        let printed = printed.join("\n");
        // The canonical form is itself valid and reads back to the same statements.
        let mut again = Workspace::with_prelude().unwrap();
        let stmts2 = again
            .load_file("reprint", &printed)
            .expect("canonical form parses");
        let reprinted: Vec<String> = stmts2.iter().map(|st| again.print_statement(st)).collect();
        assert_eq!(
            printed,
            reprinted.join("\n"),
            "{name}: printing is a fixed point"
        );
        with_snapshots(|| insta::assert_snapshot!(format!("valid__{name}"), printed));
    }
}

#[test]
fn invalid_fixtures_give_one_located_diagnostic() {
    let files = gauge_files(&root().join("grammar/invalid"));
    assert!(files.len() >= 20, "the invalid fixtures are present");
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let rel = format!("grammar/invalid/{name}.gauge");
        let out = gauge(&["parse", "-f", &rel]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: exit code 2 for bad input"
        );
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        let err = stderr(&out);
        assert!(err.contains('×'), "{name}: a diagnostic is printed:\n{err}");
        assert!(
            err.contains(&format!("[{rel}:")) || err.contains(&format!("at {rel}:")),
            "{name}: the diagnostic names the file, line and column:\n{err}"
        );
        assert!(!err.contains("panicked"), "{name}: no panic");
        with_snapshots(|| insta::assert_snapshot!(format!("invalid__{name}"), err));
    }
}

#[test]
fn every_production_has_a_parser_method_of_the_same_name() {
    let ebnf = std::fs::read_to_string(root().join("grammar/gauge.ebnf")).unwrap();
    // The parser is `parse.rs` and the files of its child modules in `parse/`.
    let mut parser = std::fs::read_to_string(root().join("src/syntax/parse.rs")).unwrap();
    for entry in std::fs::read_dir(root().join("src/syntax/parse")).unwrap() {
        parser.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut productions = Vec::new();
    for line in ebnf.lines() {
        if let Some((lhs, _)) = line.split_once('=') {
            let lhs = lhs.trim();
            if !lhs.is_empty() && lhs.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                productions.push(lhs.to_string());
            }
        }
    }
    assert!(
        productions.len() >= 15,
        "productions found: {productions:?}"
    );
    for p in productions {
        if p == "letter" || p == "digit" {
            continue;
        }
        assert!(
            parser.contains(&format!("fn {p}<")) || parser.contains(&format!("fn {p}(")),
            "production `{p}` has no parser method"
        );
    }
}
