//! Building the table: the exhaustive search, meet-in-the-middle, the recipes, and
//! the audit that decides where each form is right.
//!
//! For the constants, the functions of one variable and those of two, the search
//! runs to its size limit (resuming from a saved state where there is one), and
//! every tree it finds for a primitive, on any class of points, is a candidate; so
//! are the meet-in-the-middle trees of up to about twice that size. Then each recipe
//! (`recipes.txt`: identities such as `sin(x) = -i sinh(ix)`) is compiled with the
//! forms found so far, in both the default and the complex-safe mode, a few rounds
//! over, since recipes use each other. Every candidate is audited against the
//! primitive's source formula (see [`audit::region`](super::audit::region)), and
//! the table keeps, for each primitive, the shortest form on each region that no
//! shorter form on a larger region makes useless.

use std::path::{Path, PathBuf};

use crate::eml::audit;
use crate::eml::compile::{self, Options};
use crate::eml::dag::Dag;
use crate::eml::domain::Region;
use crate::eml::search::{Search, Space};
use crate::eml::table::{Form, PRIMITIVES, Table};
use crate::eml::targets;
use crate::lower::workspace::Workspace;

/// The recipes.
pub const RECIPES: &str = include_str!("recipes.txt");

/// How far the build searches.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The exhaustive search's size limit for the constants, the functions of one
    /// variable and those of two.
    pub k: [u32; 3],
    /// The largest top subtree that meet-in-the-middle splits off one level down.
    pub small: u32,
    /// Where the searches' states are saved and resumed from.
    pub state: Option<PathBuf>,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            k: [33, 19, 15],
            small: 3,
            state: None,
        }
    }
}

/// Each primitive's source formula over `x` and `y`, and its name among the
/// search's targets.
pub fn source(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match name {
        "0" => ("0", Some("0")),
        "-1" => ("-1", Some("-1")),
        "2" => ("2", Some("2")),
        "1/2" => ("1/2", Some("1/2")),
        "2/3" => ("2/3", Some("2/3")),
        "i" => ("sqrt(-1)", Some("i")),
        "pi" => ("pi", Some("pi")),
        "e" => ("e", Some("e")),
        "phi" => ("(1 + sqrt(5))/2", Some("phi")),
        "exp" => ("exp(x)", Some("exp(x)")),
        "ln" => ("ln(x)", Some("ln(x)")),
        "minus" => ("-x", Some("-x")),
        "inv" => ("1/x", Some("1/x")),
        "half" => ("x/2", Some("x/2")),
        "double" => ("2*x", Some("2x")),
        "succ" => ("x + 1", Some("x+1")),
        "pred" => ("x - 1", Some("x-1")),
        "sqr" => ("x^2", Some("x^2")),
        "sqrt" => ("sqrt(x)", Some("sqrt(x)")),
        "sinh" => ("sinh(x)", Some("sinh(x)")),
        "cosh" => ("cosh(x)", Some("cosh(x)")),
        "tanh" => ("tanh(x)", Some("tanh(x)")),
        "sin" => ("sin(x)", Some("sin(x)")),
        "cos" => ("cos(x)", Some("cos(x)")),
        "tan" => ("tan(x)", None),
        "asinh" => ("asinh(x)", None),
        "acosh" => ("acosh(x)", None),
        "atanh" => ("atanh(x)", None),
        "asin" => ("asin(x)", None),
        "acos" => ("acos(x)", None),
        "atan" => ("atan(x)", None),
        "sigmoid" => ("sigmoid(x)", Some("sigmoid(x)")),
        "plus" => ("x + y", Some("x+y")),
        "subtract" => ("x - y", Some("x-y")),
        "times" => ("x*y", Some("x*y")),
        "divide" => ("x/y", Some("x/y")),
        "power" => ("x^y", Some("x^y")),
        "log_b" => ("log(x, y)", Some("log_x(y)")),
        "avg" => ("avg(x, y)", Some("(x+y)/2")),
        "hypot" => ("hypot(x, y)", Some("hypot(x,y)")),
        _ => return None,
    })
}

/// A form found, before the audit.
struct Candidate {
    name: String,
    text: String,
    how: &'static str,
}

/// Builds the table, reporting progress through `log`.
pub fn build(opts: &BuildOptions, log: &mut dyn FnMut(&str)) -> Result<Table, String> {
    let mut cands: Vec<Candidate> = Vec::new();
    for arity in 0..3usize {
        searched(opts, arity, &mut cands, log)?;
    }
    let mut cache = Cache::default();
    let mut table = audited(&cands, &mut cache, log);
    for round in 1..=8 {
        let before = table_text(&table);
        for line in RECIPES.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((name, term)) = line.split_once(" = ") {
                for general in [false, true] {
                    if let Some(text) = compose(&table, term.trim(), general) {
                        cands.push(Candidate {
                            name: name.trim().to_string(),
                            text,
                            how: "composed",
                        });
                    }
                }
                continue;
            }
            let Some((name, formula)) = line.split_once(':') else {
                return Err(format!(
                    "recipes.txt: `{line}` is not `name: formula` or `name = term`"
                ));
            };
            for complex_safe in [false, true] {
                let Ok(mut ws) = Workspace::with_prelude() else {
                    return Err("the prelude does not load".into());
                };
                let Ok(id) = ws.parse_expression(formula.trim()) else {
                    return Err(format!("recipes.txt: `{formula}` does not parse"));
                };
                let Ok(c) =
                    compile::compile_with(&mut ws.pool, id, Options { complex_safe }, &table)
                else {
                    continue;
                };
                cands.push(Candidate {
                    name: name.trim().to_string(),
                    text: c.dag.text(c.root),
                    how: "composed",
                });
            }
        }
        table = audited(&cands, &mut cache, log);
        log(&format!(
            "recipes, round {round}: {} forms",
            table.forms().len()
        ));
        if table_text(&table) == before {
            break;
        }
    }
    Ok(table)
}

/// A term of primitives (`ln(inv(exp(x)))`, `times(x, c:1/2)`, `eml(x, 1)`) built
/// from the table's forms: each primitive's shortest form, or with `general` its
/// form on the largest region. `None` when a primitive has no form.
fn compose(table: &Table, term: &str, general: bool) -> Option<String> {
    let mut dag = Dag::new();
    let root = term_node(table, &mut dag, term.trim(), general)?;
    Some(dag.text(root))
}

fn term_node(table: &Table, dag: &mut Dag, t: &str, general: bool) -> Option<crate::eml::dag::Id> {
    let t = t.trim();
    match t {
        "x" | "y" => return Some(dag.var(t)),
        "1" => return Some(dag.one()),
        _ => {}
    }
    let pick = |name: &str| -> Option<Form> {
        let forms = table.of(name);
        let f = if general {
            forms.into_iter().max_by_key(|f| {
                (
                    Region::ALL.iter().position(|r| *r == f.region),
                    std::cmp::Reverse(f.k),
                )
            })
        } else {
            forms.into_iter().next()
        };
        f.cloned()
    };
    if let Some(c) = t.strip_prefix("c:") {
        return Some(pick(c)?.build(dag, &[]));
    }
    let open = t.find('(')?;
    let (name, rest) = (&t[..open], t[open + 1..].strip_suffix(')')?);
    // Split the arguments at top-level commas.
    let mut args = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(&rest[start..]);
    let mut ids = Vec::new();
    for a in args {
        ids.push(term_node(table, dag, a, general)?);
    }
    match (name, ids.as_slice()) {
        ("eml", [a, b]) => Some(dag.eml(*a, *b)),
        ("exp", [a]) => Some(dag.exp(*a)),
        _ => Some(pick(name)?.build(dag, &ids)),
    }
}

/// Runs (or resumes) one search and adds what it finds for the primitives.
fn searched(
    opts: &BuildOptions,
    arity: usize,
    cands: &mut Vec<Candidate>,
    log: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let space = match arity {
        0 => Space::constants(),
        1 => Space::unary(),
        _ => Space::binary(),
    };
    let names: Vec<&str> = PRIMITIVES
        .iter()
        .filter(|(_, a)| *a == arity)
        .filter_map(|(n, _)| source(n)?.1)
        .collect();
    let targets = targets::targets(&space, &names);
    let path = opts
        .state
        .as_ref()
        .map(|d| d.join(format!("search-{arity}.state")));
    let mut s = match path.as_deref().filter(|p| p.exists()) {
        Some(p) => Search::load(space, targets, p)?,
        None => Search::new(space, targets),
    };
    while s.k() < opts.k[arity] {
        let level = s.step(usize::MAX);
        log(&format!(
            "search over {arity} variable(s): K = {}, {} candidates, {} new functions",
            level.k, level.candidates, level.kept
        ));
        if let Some(p) = path.as_deref() {
            save(&s, p)?;
        }
    }
    let of_target = |t: &str| {
        PRIMITIVES
            .iter()
            .find(|(n, _)| source(n).and_then(|s| s.1) == Some(t))
            .map(|(n, _)| n.to_string())
    };
    // The exhaustive search's finds are the shortest on their class: meeting in the
    // middle is only tried where it found nothing.
    let mut done = rustc_hash::FxHashSet::default();
    for f in s.found() {
        done.insert((f.target.clone(), f.class.clone()));
        if let Some(name) = of_target(&f.target) {
            cands.push(Candidate {
                name,
                text: f.text,
                how: "search",
            });
        }
    }
    s.build_index();
    for t in s.target_names() {
        let (Some(name), Some(values)) = (of_target(&t), s.target_values(&t)) else {
            continue;
        };
        for (class, class_name) in s.class_names().iter().enumerate() {
            if done.contains(&(t.clone(), class_name.clone())) {
                continue;
            }
            if let Some((_, text)) = s.meet(&values, class) {
                cands.push(Candidate {
                    name: name.clone(),
                    text,
                    how: "mitm",
                });
            }
            if opts.small > 0
                && let Some((_, text)) = s.meet2(&values, class, opts.small)
            {
                cands.push(Candidate {
                    name: name.clone(),
                    text,
                    how: "mitm",
                });
            }
        }
        log(&format!("meet-in-the-middle: {t}"));
    }
    Ok(())
}

fn save(s: &Search, p: &Path) -> Result<(), String> {
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    s.save(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// The candidates audited: for each primitive, the shortest form on each region,
/// without those a shorter form on a larger region makes useless.
/// The regions audited so far, by primitive and form, so that a round of recipes
/// audits only what is new.
type Cache = rustc_hash::FxHashMap<(String, String), Option<Region>>;

fn audited(cands: &[Candidate], cache: &mut Cache, log: &mut dyn FnMut(&str)) -> Table {
    let mut forms: Vec<Form> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for c in cands {
        if !seen.insert((c.name.clone(), c.text.clone())) {
            continue;
        }
        let Some((src, _)) = source(&c.name) else {
            continue;
        };
        let Ok(mut ws) = Workspace::with_prelude() else {
            continue;
        };
        let Ok(id) = ws.parse_expression(src) else {
            continue;
        };
        let mut dag = Dag::new();
        let Ok(root) = dag.parse(&c.text) else {
            continue;
        };
        let Some(k) = dag.k_u64(root) else { continue };
        // Skip the audit when a form as short on the whole plane is already kept.
        if forms
            .iter()
            .any(|f| f.name == c.name && f.region == Region::Complex && f.k <= k)
        {
            continue;
        }
        let vars: Vec<String> = ["x", "y"]
            .iter()
            .take(
                PRIMITIVES
                    .iter()
                    .find(|(n, _)| *n == c.name)
                    .map_or(0, |p| p.1),
            )
            .map(|s| s.to_string())
            .collect();
        let key = (c.name.clone(), c.text.clone());
        let region = match cache.get(&key) {
            Some(r) => *r,
            None => {
                let r = audit::region(&mut ws.pool, id, &vars, &dag, root).map(|(r, _)| r);
                if r.is_none() {
                    log(&format!(
                        "rejected: a {} form of size {k} is wrong everywhere it was audited",
                        c.name
                    ));
                }
                cache.insert(key, r);
                r
            }
        };
        let Some(region) = region else {
            continue;
        };
        forms.push(Form {
            name: c.name.clone(),
            region,
            k,
            how: c.how.to_string(),
            text: c.text.clone(),
        });
    }
    // Shortest first, so that the first form kept of a region is the one to keep.
    forms.sort_by(|a, b| (&a.name, a.k).cmp(&(&b.name, b.k)));
    let mut kept: Vec<Form> = Vec::new();
    for f in forms {
        let useless = kept
            .iter()
            .any(|g| g.name == f.name && f.region.within(g.region) && g.k <= f.k);
        if !useless {
            kept.push(f);
        }
    }
    let text = kept.iter().map(Form::line).collect::<String>();
    Table::parse(&text).unwrap_or_default()
}

/// The table as the text `forms.txt` holds.
pub fn table_text(table: &Table) -> String {
    let mut out = String::from(
        "# gauge's EML forms: `name region K how form` (see src/eml/table.rs).\n\
         # Written by `gauge eml-table --rebuild`; do not edit by hand.\n",
    );
    for f in table.forms() {
        out.push_str(&f.line());
    }
    out
}
