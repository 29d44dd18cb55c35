//! The paper's published sizes, to measure against: its companion compiler's `K`,
//! its Table 4 exhaustive search (`None` where the search timed out or was not
//! run), and the shortest tree published elsewhere (see `shared/EML.md`).

/// One primitive's published sizes.
#[derive(Clone, Copy, Debug)]
pub struct Published {
    /// The primitive's name in the table.
    pub name: &'static str,
    /// The paper's compiler.
    pub compiler: u64,
    /// The paper's direct search (the value that avoids `ln 0` where it differs).
    pub search: Option<u64>,
    /// The shortest tree published elsewhere.
    pub public: Option<u64>,
}

const fn p(
    name: &'static str,
    compiler: u64,
    search: Option<u64>,
    public: Option<u64>,
) -> Published {
    Published {
        name,
        compiler,
        search,
        public,
    }
}

/// The paper's 36 primitives and the extras (`sin^2 + cos^2` is a formula,
/// measured apart), with their published sizes.
pub const PUBLISHED: &[Published] = &[
    p("0", 7, Some(7), Some(7)),
    p("-1", 17, Some(17), Some(17)),
    p("2", 27, Some(19), Some(19)),
    p("1/2", 91, Some(35), Some(35)),
    p("2/3", 143, Some(39), None),
    p("i", 131, None, Some(75)),
    p("pi", 193, None, Some(121)),
    p("e", 3, Some(3), Some(3)),
    p("phi", 359, None, None),
    p("exp", 3, Some(3), Some(3)),
    p("ln", 7, Some(7), Some(7)),
    p("minus", 57, Some(17), Some(17)),
    p("inv", 65, Some(17), Some(17)),
    p("half", 131, Some(27), Some(43)),
    p("double", 67, Some(19), Some(19)),
    p("succ", 27, Some(19), Some(19)),
    p("pred", 43, Some(11), Some(11)),
    p("sqr", 75, Some(17), Some(17)),
    p("sqrt", 139, Some(43), Some(59)),
    p("sinh", 171, None, Some(81)),
    p("cosh", 187, None, Some(89)),
    p("tanh", 157, None, Some(201)),
    p("sin", 799, None, Some(351)),
    p("cos", 687, None, Some(269)),
    p("tan", 1183, None, Some(651)),
    p("asinh", 271, None, Some(117)),
    p("acosh", 417, None, Some(109)),
    p("atanh", 423, None, Some(101)),
    p("asin", 723, None, Some(305)),
    p("acos", 1015, None, Some(485)),
    p("atan", 659, None, Some(355)),
    p("sigmoid", 923, None, None),
    p("plus", 27, Some(19), Some(19)),
    p("subtract", 83, Some(11), Some(11)),
    p("times", 41, Some(17), Some(17)),
    p("divide", 105, Some(17), Some(17)),
    p("power", 49, Some(25), Some(25)),
    p("log_b", 117, Some(29), Some(37)),
    p("avg", 287, None, Some(69)),
    p("hypot", 313, None, Some(109)),
];

/// One row of the comparison: a primitive's shortest forms in gauge's table, each
/// audited again, beside the published sizes.
#[derive(Clone, Debug)]
pub struct Row {
    /// The published sizes.
    pub published: Published,
    /// The shortest form right wherever the primitive is real: its size, region and
    /// whether the audit verified it on that region.
    pub real: Option<(u64, crate::eml::domain::Region, bool)>,
    /// The shortest form right on the whole complex plane, likewise.
    pub complex: Option<(u64, bool)>,
    /// For a function of one variable: its derivative's `K`, and the distinct nodes
    /// of the derivative's DAG and of the function's, as `gauge eml` compiles them
    /// (filled in by the caller, which can differentiate).
    pub derivative: Option<(String, usize, usize)>,
}

/// Every published primitive against `table`, each form audited on its region.
pub fn compare(table: &crate::eml::table::Table) -> Vec<Row> {
    use crate::eml::domain::Region;
    let audited = |f: &crate::eml::table::Form| -> bool {
        let Some((src, _)) = crate::eml::build::source(&f.name) else {
            return false;
        };
        let Ok(mut ws) = crate::lower::workspace::Workspace::with_prelude() else {
            return false;
        };
        let Ok(id) = ws.parse_expression(src) else {
            return false;
        };
        let mut dag = crate::eml::dag::Dag::new();
        let Ok(root) = dag.parse(&f.text) else {
            return false;
        };
        let arity = crate::eml::table::PRIMITIVES
            .iter()
            .find(|(n, _)| *n == f.name)
            .map_or(0, |p| p.1);
        let vars: Vec<String> = ["x", "y"]
            .iter()
            .take(arity)
            .map(|s| s.to_string())
            .collect();
        crate::eml::audit::region(&mut ws.pool, id, &vars, &dag, root)
            .is_some_and(|(r, a)| f.region.within(r) && a.verified())
    };
    PUBLISHED
        .iter()
        .map(|p| {
            let need = match p.name {
                "ln" | "sqrt" | "power" | "log_b" => Region::Positive,
                _ => Region::Real,
            };
            let real = table
                .best(p.name, need)
                .map(|f| (f.k, f.region, audited(f)));
            let complex = table
                .best(p.name, Region::Complex)
                .map(|f| (f.k, audited(f)));
            Row {
                published: *p,
                real,
                complex,
                derivative: None,
            }
        })
        .collect()
}
