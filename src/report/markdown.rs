//! Markdown for GitHub and Jupyter: the LaTeX output rewritten with `$$` display math,
//! which both render with MathJax.
//!
//! Markdown is never rendered on its own: it is made from the LaTeX that the same
//! result prints, so that the two cannot say different things. The rewriting is line
//! by line, on the shapes the LaTeX reports print:
//!
//! - each `align*` environment becomes a `$$` block holding an `aligned` one (Markdown's
//!   math takes no `align*`), and each `\[ ... \]` a `$$` block; a bare formula (LaTeX
//!   that is not a document) is a block of its own;
//! - `$$` stands on lines of its own, with a blank line before and after, and every
//!   line between is indented by four spaces: no Markdown block (a list item, a
//!   heading, a quote, a rule) starts on a line indented that far, so a row that begins
//!   with `-` or `+` stays math wherever a renderer lets Markdown see it first;
//! - a claim's heading (`\noindent\texttt{name} ...`) becomes `**name** ...`, a lemma
//!   `**Lemma (name).**` with its statement, and its proof `*Proof.*`;
//! - in the margins, `Lemma~\ref{lem:name}` becomes the lemma's name (MathJax and KaTeX
//!   have no `\ref`), and text mode keeps no macro, since MathJax sets `\text{...}`
//!   literally: `\_` moves out of the text, and `~` becomes a space;
//! - a `%` comment that says something (a counterexample, the facts used, where a
//!   derivative is valid) becomes a sentence, and the preamble of a document goes;
//! - a `tabular` (a traced program's verdicts) becomes a Markdown table, its
//!   `\texttt{...}` cells code.

/// Markdown from LaTeX as the reports print it, bare or as a document.
pub fn from_latex(latex: &str) -> String {
    let lines = body_lines(latex);
    let mut blocks: Vec<String> = Vec::new();
    // The last claim's heading, from its comment: a document repeats it as text, after
    // the comments on the facts and lemmas that the claim used.
    let mut heading_said = String::new();
    let mut k = 0;
    while k < lines.len() {
        let line = lines[k].trim();
        k += 1;
        if line.is_empty() || line == "\\end{lemma}" || line == "\\end{proof}" {
            continue;
        }
        if line == "\\begin{align*}" || line == "\\[" {
            let end = if line == "\\[" {
                "\\]"
            } else {
                "\\end{align*}"
            };
            let mut rows = Vec::new();
            while k < lines.len() && lines[k].trim() != end {
                rows.push(lines[k]);
                k += 1;
            }
            // The closing line, when the input has it.
            k += 1;
            let aligned = end != "\\]";
            blocks.push(math_block(&rows, aligned));
        } else if let Some(comment) = line.strip_prefix('%') {
            match heading(comment.trim()) {
                Some((name, rest)) => {
                    heading_said = format!("**{}** {}.", escape(&name), escape(rest));
                    blocks.push(heading_said.clone());
                }
                None => blocks.push(sentence(comment.trim())),
            }
        } else if let Some(rest) = line.strip_prefix("\\noindent\\texttt{") {
            let (name, rest) = rest.split_once('}').unwrap_or((rest, ""));
            let said = format!(
                "**{}** {}",
                escape(&unescape_text(name)),
                escape(rest.trim())
            );
            if said != heading_said {
                blocks.push(said);
            }
        } else if let Some(rest) = line.strip_prefix("\\begin{lemma}") {
            let name = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map_or("", |(n, _)| n);
            blocks.push(format!("**Lemma ({}).**", escape(&unescape_text(name))));
        } else if line.starts_with("\\begin{tabular}") {
            let mut rows = Vec::new();
            while k < lines.len() && lines[k].trim() != "\\end{tabular}" {
                rows.push(lines[k]);
                k += 1;
            }
            k += 1;
            blocks.push(table(&rows));
        } else if line == "\\begin{proof}" {
            blocks.push("*Proof.*".to_string());
        } else {
            // Outside a document, a formula is printed bare, one per line.
            blocks.push(math_block(&[line], false));
        }
    }
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

/// Text that is not math (a command without a formula to show) as a fenced code block,
/// `info` naming its language; the fence is longer than any run of backticks inside.
pub fn code_block(text: &str, info: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{info}\n{}\n{fence}\n", text.trim_end_matches('\n'))
}

/// The lines of the body: a document's preamble and `\end{document}` dropped.
fn body_lines(latex: &str) -> Vec<&str> {
    let lines: Vec<&str> = latex.lines().collect();
    match lines.iter().position(|l| l.trim() == "\\begin{document}") {
        Some(start) => lines[start + 1..]
            .iter()
            .copied()
            .filter(|l| l.trim() != "\\end{document}")
            .collect(),
        None => lines,
    }
}

/// A `$$` block of math rows, inside `aligned` when they come from `align*`.
fn math_block(rows: &[&str], aligned: bool) -> String {
    let mut out = vec!["$$".to_string()];
    if aligned {
        out.push("\\begin{aligned}".to_string());
    }
    for row in rows.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        out.push(format!("    {}", mathjax_text(row)));
    }
    if aligned {
        out.push("\\end{aligned}".to_string());
    }
    out.push("$$".to_string());
    out.join("\n")
}

/// A row of math with its `\text{...}` groups made literal for MathJax, which sets the
/// text of `\text` as it stands: a lemma cited by `\ref` is cited by name, `~` is a
/// space, and each `\_` is set in math mode between two text groups.
fn mathjax_text(row: &str) -> String {
    const OPEN: &str = "\\text{";
    let mut out = String::with_capacity(row.len());
    let mut rest = row;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let Some(close) = text_group_end(after) else {
            // An unbalanced group is left as it is, for the renderer to report.
            out.push_str(&rest[at..]);
            return out;
        };
        let text = cite_by_name(&after[..close]).replace('~', " ");
        out.push_str(OPEN);
        out.push_str(&text.replace("\\_", "}\\_\\text{"));
        out.push('}');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The rows of a `tabular` as a Markdown table, the first row its header.
fn table(rows: &[&str]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty() && *r != "\\hline")
        .map(|r| {
            let r = r.strip_suffix("\\\\").unwrap_or(r);
            split_cells(r).into_iter().map(cell).collect()
        })
        .collect();
    let Some(head) = cells.first() else {
        return String::new();
    };
    let line = |row: &[String]| format!("| {} |", row.join(" | "));
    let mut out = vec![line(head), line(&vec!["---".to_string(); head.len()])];
    out.extend(cells[1..].iter().map(|row| line(row)));
    out.join("\n")
}

/// A row of a `tabular` split at each `&` that is not escaped.
fn split_cells(row: &str) -> Vec<&str> {
    let mut cells = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (k, c) in row.char_indices() {
        match c {
            '&' if !escaped => {
                cells.push(&row[start..k]);
                start = k + 1;
            }
            _ => {}
        }
        escaped = c == '\\' && !escaped;
    }
    cells.push(&row[start..]);
    cells
}

/// A table cell: `\texttt{...}` as code, other text escaped; a `|` is escaped in both,
/// since a table splits its cells before it reads code.
fn cell(tex: &str) -> String {
    let tex = tex.trim();
    match tex
        .strip_prefix("\\texttt{")
        .and_then(|t| t.strip_suffix('}'))
    {
        Some(code) => {
            let code = code
                .replace("\\textbackslash{}", "\\")
                .replace("\\^{}", "^")
                .replace("\\~{}", "~");
            let mut plain = String::new();
            let mut chars = code.chars().peekable();
            while let Some(c) = chars.next() {
                // `\\` stands for itself; any other backslash escapes the next character.
                match (c, chars.peek()) {
                    ('\\', Some(&n)) if "{}_&%$#".contains(n) => {}
                    _ => plain.push(c),
                }
            }
            code_span(&plain).replace('|', "\\|")
        }
        None => escape(tex),
    }
}

/// Text as a Markdown code span, its backticks longer than any run inside.
fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// Where the group that `text` is the inside of closes: the byte of its `}`.
fn text_group_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(k),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// `Lemma~\ref{lem:name}` as `Lemma~name`, the name escaped for text mode.
fn cite_by_name(text: &str) -> String {
    const REF: &str = "\\ref{lem:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(REF) {
        out.push_str(&rest[..at]);
        let after = &rest[at + REF.len()..];
        let (name, tail) = after.split_once('}').unwrap_or((after, ""));
        out.push_str(&name.replace('_', "\\_"));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A claim's heading comment, `name (line N): verdict`, as the name and the rest.
fn heading(comment: &str) -> Option<(String, &str)> {
    let at = comment.find(" (line ")?;
    let rest = &comment[at + 1..];
    let (line, verdict) = rest.strip_prefix("(line ")?.split_once("): ")?;
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    (plain(line) && plain(verdict)).then(|| (comment[..at].to_string(), rest))
}

/// A comment as a sentence: capitalized, with a final period.
fn sentence(comment: &str) -> String {
    let mut chars = comment.chars();
    let mut s: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !s.ends_with(['.', '!', '?', ':']) {
        s.push('.');
    }
    escape(&s)
}

/// LaTeX text as plain text: gauge escapes only `_` in the names it sets as text.
fn unescape_text(text: &str) -> String {
    text.replace("\\_", "_")
}

/// Plain text escaped for Markdown: the characters that would start emphasis, code,
/// HTML, an entity, strikethrough, a table or math are escaped with a backslash. Brackets and
/// parentheses are not, since Jupyter reads `\[` and `\(` as the start of math.
fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (k, &c) in chars.iter().enumerate() {
        // An `_` between letters or digits starts no emphasis, so names such as
        // `ce_grad` stay as they are written.
        let inside_word = |k: usize| chars.get(k).is_some_and(|c| c.is_alphanumeric());
        let special = match c {
            '_' => !(k > 0 && inside_word(k - 1) && inside_word(k + 1)),
            _ => matches!(c, '\\' | '`' | '*' | '<' | '>' | '&' | '~' | '$' | '|'),
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
