//! Many results printed together, sharing subterms: the partial derivatives of a
//! gradient by scalars and the entries of a Hessian by scalars.
//!
//! Printed as trees, the 1,000 partials of a cross-entropy would each repeat the sum of
//! 1,000 exponentials, so the output would grow with the square of the input. Here the
//! subterms the results share are printed once, first, as `let` bindings the results
//! refer to, and the output grows with the DAG.

use std::collections::BTreeMap;
use std::fmt::Write;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::expr::node::{ExprId, Node};
use crate::lower::workspace::Workspace;
use crate::print::latex::{name as latex_name, to_latex_named};
use crate::print::text::to_text_named;
use crate::report::roll::Roll;
use crate::report::{Format, Output, display, json, latex_output};
use crate::simplify::outer::Written;

#[derive(Serialize)]
struct BindingJson {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct GradientJson {
    gradient: BTreeMap<String, String>,
    input: String,
    /// The subterms the partials share, each once, innermost first; the partials refer
    /// to them by name.
    #[serde(rename = "let")]
    lets: Vec<BindingJson>,
}

#[derive(Serialize)]
struct HessianJson {
    /// The full symmetric matrix, row by row, in the order of `names`.
    hessian: Vec<Vec<String>>,
    names: Vec<String>,
    input: String,
    #[serde(rename = "let")]
    lets: Vec<BindingJson>,
    /// The matrix as one entry in index form over `names` and the vectors it indexes,
    /// when it is a diagonal plus an outer product.
    #[serde(skip_serializing_if = "Option::is_none")]
    structure: Option<StructureJson>,
}

#[derive(Serialize)]
struct StructureJson {
    /// The row and column indices, each running over `names`.
    indices: [String; 2],
    entry: String,
    vectors: Vec<VectorJson>,
}

#[derive(Serialize)]
struct VectorJson {
    name: String,
    value: Vec<String>,
}

/// Results and the bindings they share, ready to print.
struct Lets<'w> {
    ws: &'w Workspace,
    /// Each binding's body and name, in printing order.
    lets: Vec<(ExprId, String)>,
    map: FxHashMap<ExprId, String>,
}

impl<'w> Lets<'w> {
    /// The bindings of `results`, with `named` (a name node and its body, each) bound
    /// as well: after the shared subterms their bodies use, before those that use them.
    fn new(ws: &'w Workspace, results: &[ExprId], named: &[(ExprId, ExprId)]) -> Lets<'w> {
        let mut roots: Vec<ExprId> = named.iter().map(|p| p.1).collect();
        roots.extend_from_slice(results);
        let shared = crate::simplify::cse::bindings_of(&ws.pool, &roots);
        let names: Vec<_> = named
            .iter()
            .filter_map(|p| match ws.pool.node(p.0) {
                Node::Sym(s) => Some(*s),
                _ => None,
            })
            .collect();
        let (late, mut lets): (Vec<_>, Vec<_>) = shared
            .into_iter()
            .partition(|(id, _)| ws.pool.free_symbols(*id).iter().any(|s| names.contains(s)));
        lets.extend(named.iter().map(|&(n, body)| (body, ws.print(n))));
        lets.extend(late);
        let map = lets.iter().cloned().collect();
        Lets { ws, lets, map }
    }

    /// An expression with the bindings' names in it; a binding's own body is printed
    /// whole.
    fn text(&self, id: ExprId) -> String {
        to_text_named(&self.ws.pool, id, &[], &self.map)
    }

    /// Each of `ids` printed as a part of a larger expression: by its name when it is
    /// bound.
    fn parts(&self, ids: &[ExprId]) -> Vec<String> {
        ids.iter()
            .map(|id| match self.map.get(id) {
                Some(name) => name.clone(),
                None => self.text(*id),
            })
            .collect()
    }

    /// The results, labelled, after the `let` lines.
    fn text_lines(&self, results: &[(String, ExprId)]) -> String {
        let mut o = String::new();
        for (id, name) in &self.lets {
            let _ = writeln!(o, "let {name} = {}", self.text(*id));
        }
        for (label, id) in results {
            let _ = writeln!(o, "{label}: {}", self.text(*id));
        }
        o
    }

    /// The `let` bindings as LaTeX displays, `s_{1} = ...`, one each.
    fn latex_bindings(&self, out: &Output) -> Vec<String> {
        let roots: Vec<ExprId> = self.lets.iter().map(|(id, _)| *id).collect();
        let tex = to_latex_named(&self.ws.pool, &roots, &self.map);
        self.lets
            .iter()
            .zip(&tex)
            .map(|((_, name), body)| {
                display(&format!("{} = {body}", latex_name(name)), out.standalone())
            })
            .collect()
    }

    /// The same as LaTeX displays: `s_{1} = ...`, then `label = ...` for each result,
    /// where the labels are LaTeX.
    fn latex_lines(&self, results: &[(String, ExprId)], out: &Output) -> String {
        let mut roots: Vec<ExprId> = self.lets.iter().map(|(id, _)| *id).collect();
        roots.extend(results.iter().map(|r| r.1));
        let tex = to_latex_named(&self.ws.pool, &roots, &self.map);
        let labels = self
            .lets
            .iter()
            .map(|(_, name)| latex_name(name))
            .chain(results.iter().map(|r| r.0.clone()));
        let lines: Vec<String> = labels
            .zip(&tex)
            .map(|(label, body)| display(&format!("{label} = {body}"), out.standalone()))
            .collect();
        latex_output(&lines.join("\n"), out.standalone())
    }

    fn json(&self) -> Vec<BindingJson> {
        self.lets
            .iter()
            .map(|(id, name)| BindingJson {
                name: name.clone(),
                value: self.text(*id),
            })
            .collect()
    }
}

/// Every partial derivative of `input` by the scalar variables `names`, one per line,
/// after the `let` bindings of the subterms they share.
pub fn scalar_gradient(
    ws: &Workspace,
    input: ExprId,
    names: &[String],
    parts: &[ExprId],
    out: &Output,
) -> String {
    let lets = Lets::new(ws, parts, &[]);
    match out.format() {
        Format::Text => {
            let results: Vec<(String, ExprId)> =
                names.iter().cloned().zip(parts.iter().copied()).collect();
            lets.text_lines(&results)
        }
        Format::Latex => {
            let results: Vec<(String, ExprId)> = names
                .iter()
                .zip(parts)
                .map(|(n, &p)| {
                    (
                        format!("\\frac{{\\partial f}}{{\\partial {}}}", latex_name(n)),
                        p,
                    )
                })
                .collect();
            lets.latex_lines(&results, out)
        }
        Format::Json => {
            let j = GradientJson {
                gradient: names
                    .iter()
                    .zip(parts)
                    .map(|(n, p)| (n.clone(), lets.text(*p)))
                    .collect(),
                input: ws.print(input),
                lets: lets.json(),
            };
            format!("{}\n", json::to_string(&j))
        }
    }
}

/// The second partial derivatives of `input` by the scalar variables `names`, where
/// `rows[i][k]` is by `names[i]` and `names[i + k]`. `products` are the first partials
/// the entries are written in terms of (a name node and its body, each), bound like
/// the shared subterms.
///
/// A matrix with a `structure` (a diagonal plus an outer product) prints in text and
/// LaTeX as its one entry in index form and the vectors it indexes, 2n expressions
/// instead of n^2; otherwise the upper triangle prints one entry per line (the rest
/// follows by symmetry). JSON always has the whole matrix, and the structure besides.
pub fn scalar_hessian(
    ws: &Workspace,
    input: ExprId,
    names: &[String],
    rows: &[Vec<ExprId>],
    products: &[(ExprId, ExprId)],
    structure: Option<&Written>,
    out: &Output,
) -> String {
    let entries: Vec<ExprId> = rows.iter().flatten().copied().collect();
    let pairs: Vec<(usize, usize)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| (0..row.len()).map(move |k| (i, i + k)))
        .collect();
    match (out.format(), structure) {
        (Format::Text, Some(w)) => {
            let lets = Lets::new(ws, &structure_roots(w), &[]);
            // The vectors and sums over the variables print in index form where they
            // roll (see `roll`): with the index the entry already runs over them.
            let roll = Roll::new(names, &w.indices[0]);
            let mut o = String::new();
            for (id, name) in &lets.lets {
                let body = match (&roll, ws.pool.node(*id)) {
                    (Some(r), Node::Add(terms)) => r.sum(&lets.parts(terms)),
                    _ => None,
                };
                let body = body.unwrap_or_else(|| lets.text(*id));
                let _ = writeln!(o, "let {name} = {body}");
            }
            for (name, v) in &w.vectors {
                let items: Vec<String> = v.iter().map(|&e| lets.text(e)).collect();
                match roll.as_ref().and_then(|r| r.vector(&items)) {
                    Some(t) => writeln!(o, "{name}[{}] = {t}", w.indices[0]),
                    None => writeln!(o, "{name} = [{}]", items.join(", ")),
                }
                .unwrap_or_default();
            }
            let _ = writeln!(
                o,
                "{}, {} in ({}): {}",
                w.indices[0],
                w.indices[1],
                names.join(", "),
                lets.text(w.entry)
            );
            o
        }
        (Format::Latex, Some(w)) => {
            let roots = structure_roots(w);
            let lets = Lets::new(ws, &roots, &[]);
            let mut lines = lets.latex_bindings(out);
            let tex = to_latex_named(&ws.pool, &roots, &lets.map);
            let mut tex = tex.into_iter();
            for (name, v) in &w.vectors {
                let items: Vec<String> = tex.by_ref().take(v.len()).collect();
                lines.push(display(
                    &format!("{} = \\left({}\\right)", latex_name(name), items.join(", ")),
                    out.standalone(),
                ));
            }
            let entry = tex.next().unwrap_or_default();
            let over: Vec<String> = names.iter().map(|n| latex_name(n)).collect();
            let (i, j) = (latex_name(&w.indices[0]), latex_name(&w.indices[1]));
            lines.push(display(
                &format!(
                    "H_{{{i}{j}}} = {entry}, \\quad {i}, {j} \\in ({})",
                    over.join(", ")
                ),
                out.standalone(),
            ));
            latex_output(&lines.join("\n"), out.standalone())
        }
        (Format::Text, None) => {
            let lets = Lets::new(ws, &entries, products);
            let results: Vec<(String, ExprId)> = pairs
                .iter()
                .zip(&entries)
                .map(|(&(i, j), &e)| (format!("{}, {}", names[i], names[j]), e))
                .collect();
            lets.text_lines(&results)
        }
        (Format::Latex, None) => {
            let lets = Lets::new(ws, &entries, products);
            let results: Vec<(String, ExprId)> = pairs
                .iter()
                .zip(&entries)
                .map(|(&(i, j), &e)| {
                    let by = if i == j {
                        format!("\\partial {}^{{2}}", latex_name(&names[i]))
                    } else {
                        format!(
                            "\\partial {}\\,\\partial {}",
                            latex_name(&names[i]),
                            latex_name(&names[j])
                        )
                    };
                    (format!("\\frac{{\\partial^{{2}} f}}{{{by}}}"), e)
                })
                .collect();
            lets.latex_lines(&results, out)
        }
        (Format::Json, _) => {
            let mut roots = entries.clone();
            if let Some(w) = structure {
                roots.extend(structure_roots(w));
            }
            let lets = Lets::new(ws, &roots, products);
            let n = names.len();
            let mut matrix = vec![vec![String::new(); n]; n];
            for (&(i, j), &e) in pairs.iter().zip(&entries) {
                let t = lets.text(e);
                matrix[j][i] = t.clone();
                matrix[i][j] = t;
            }
            let structure = structure.map(|w| StructureJson {
                indices: w.indices.clone(),
                entry: lets.text(w.entry),
                vectors: w
                    .vectors
                    .iter()
                    .map(|(name, v)| VectorJson {
                        name: name.clone(),
                        value: v.iter().map(|&e| lets.text(e)).collect(),
                    })
                    .collect(),
            });
            let j = HessianJson {
                hessian: matrix,
                names: names.to_vec(),
                input: ws.print(input),
                lets: lets.json(),
                structure,
            };
            format!("{}\n", json::to_string(&j))
        }
    }
}

/// The expressions a structured matrix prints: each vector's elements, in order, then
/// the entry.
fn structure_roots(w: &Written) -> Vec<ExprId> {
    let mut roots: Vec<ExprId> = w.vectors.iter().flat_map(|v| v.1.iter().copied()).collect();
    roots.push(w.entry);
    roots
}
