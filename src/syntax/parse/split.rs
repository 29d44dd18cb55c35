//! A file cut into the texts of its statements, before each is parsed.

/// Whether a line starts with a statement's keyword and a space.
fn starts_statement(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    ["let", "assume", "claim", "tensor", "notation"]
        .iter()
        .any(|k| {
            t.strip_prefix(k)
                .is_some_and(|r| r.starts_with([' ', '\t']))
        })
}

/// Splits a file into statement texts at line breaks and `;` outside brackets, and
/// at every line that starts with a statement's keyword.
///
/// Comments are skipped so that a bracket inside a comment does not count; a closing
/// bracket without an opening one is left for the parser to report. A string literal
/// (`notation xhat = "\hat{x}"`) is skipped too, up to its closing quote or its line's
/// end, so that a `#`, `;` or brace inside it is text, not syntax.
pub fn split_statements(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth: i64 = 0;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((p, c)) = chars.next() {
        match c {
            '"' => {
                while let Some(&(_, c2)) = chars.peek() {
                    if c2 == '\n' {
                        break;
                    }
                    chars.next();
                    if c2 == '"' {
                        break;
                    }
                    // `\"` is a quote inside the string.
                    if c2 == '\\' && chars.peek().is_some_and(|&(_, c3)| c3 == '"') {
                        chars.next();
                    }
                }
            }
            '#' => {
                while let Some(&(_, c2)) = chars.peek() {
                    if c2 == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '(' | '[' => depth += 1,
            ')' | ']' => depth = (depth - 1).max(0),
            '\n' | ';' if depth == 0 => {
                out.push(&text[start..p]);
                start = p + 1;
            }
            // A line that starts with a statement's keyword starts a statement, even
            // after a bracket left open: the open bracket is then an error of its own
            // statement, and does not swallow the rest of the file.
            '\n' if starts_statement(&text[p + 1..]) => {
                out.push(&text[start..p]);
                start = p + 1;
                depth = 0;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}
