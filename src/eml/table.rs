//! The table of forms: the shortest known EML tree of each calculator primitive, on
//! each region where one was found, with how it was found.
//!
//! The table is data, committed in `forms.txt` beside this file and rebuilt by
//! `gauge eml-table` (the exhaustive search, then composition, then the audit). A
//! line reads `name region K how form`: the primitive's name (`exp`, `plus`, `pi`),
//! the region of every argument on which the audit found the form right, its size,
//! how it was found (`search` for the exhaustive search, which also proves that no
//! shorter tree exists on that region's sample points; `mitm` for the
//! meet-in-the-middle extension; `composed` for a composition of other forms), and
//! the form itself, over `x` (the first argument) and `y`.

use crate::eml::dag::{Dag, Id};
use crate::eml::domain::Region;

/// The committed table.
pub const FORMS: &str = include_str!("forms.txt");

/// One form of one primitive.
#[derive(Clone, Debug)]
pub struct Form {
    /// The primitive's name.
    pub name: String,
    /// Where the form is right, for every argument.
    pub region: Region,
    /// Its size, as the table states it.
    pub k: u64,
    /// How it was found: `search`, `mitm` or `composed`.
    pub how: String,
    /// The form, as nested EML text over `x` and `y`.
    pub text: String,
}

/// The forms, read from text in the table's format.
#[derive(Clone, Debug, Default)]
pub struct Table {
    forms: Vec<Form>,
    /// The constant forms' values, computed on first use.
    constants: std::sync::OnceLock<Vec<(crate::eml::complex::C64, usize)>>,
}

/// The primitives' names and their number of arguments.
pub const PRIMITIVES: &[(&str, usize)] = &[
    ("0", 0),
    ("-1", 0),
    ("2", 0),
    ("1/2", 0),
    ("2/3", 0),
    ("i", 0),
    ("pi", 0),
    ("e", 0),
    ("phi", 0),
    ("exp", 1),
    ("ln", 1),
    ("minus", 1),
    ("inv", 1),
    ("half", 1),
    ("double", 1),
    ("succ", 1),
    ("pred", 1),
    ("sqr", 1),
    ("sqrt", 1),
    ("sinh", 1),
    ("cosh", 1),
    ("tanh", 1),
    ("sin", 1),
    ("cos", 1),
    ("tan", 1),
    ("asinh", 1),
    ("acosh", 1),
    ("atanh", 1),
    ("asin", 1),
    ("acos", 1),
    ("atan", 1),
    ("sigmoid", 1),
    ("plus", 2),
    ("subtract", 2),
    ("times", 2),
    ("divide", 2),
    ("power", 2),
    ("log_b", 2),
    ("avg", 2),
    ("hypot", 2),
];

impl Table {
    /// The committed table.
    pub fn committed() -> &'static Table {
        static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| Table::parse(FORMS).unwrap_or_default())
    }

    /// Reads a table; an error names the line.
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut forms = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| format!("forms.txt:{}: {what}", n + 1);
            let mut f = line
                .splitn(5, char::is_whitespace)
                .filter(|s| !s.is_empty());
            let (Some(name), Some(region), Some(k), Some(how), Some(text)) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                return Err(bad("expected `name region K how form`"));
            };
            let region = Region::from_name(region).ok_or_else(|| bad("an unknown region"))?;
            let k = k.parse().map_err(|_| bad("K is not a number"))?;
            forms.push(Form {
                name: name.to_string(),
                region,
                k,
                how: how.to_string(),
                text: text.trim().to_string(),
            });
        }
        Ok(Table {
            forms,
            constants: std::sync::OnceLock::new(),
        })
    }

    /// Every constant form (one without variables) with its value.
    pub fn constants(&self) -> Vec<(crate::eml::complex::C64, &Form)> {
        let values = self.constants.get_or_init(|| {
            self.forms
                .iter()
                .enumerate()
                .filter_map(|(n, f)| {
                    let mut dag = Dag::new();
                    let root = dag.parse(&f.text).ok()?;
                    if !dag.vars().is_empty() {
                        return None;
                    }
                    let v = crate::eml::float::eval(&dag, root, &[]).ok()?;
                    Some((crate::eml::complex::C64::new(v.re, v.im), n))
                })
                .collect()
        });
        values.iter().map(|&(v, n)| (v, &self.forms[n])).collect()
    }

    /// Every form, in the table's order.
    pub fn forms(&self) -> &[Form] {
        &self.forms
    }

    /// The shortest form of `name` that is right on `need` (every form whose region
    /// contains `need`), or `None`.
    pub fn best(&self, name: &str, need: Region) -> Option<&Form> {
        self.forms
            .iter()
            .filter(|f| f.name == name && need.within(f.region))
            .min_by_key(|f| f.k)
    }

    /// The forms of `name`, shortest first.
    pub fn of(&self, name: &str) -> Vec<&Form> {
        let mut v: Vec<&Form> = self.forms.iter().filter(|f| f.name == name).collect();
        v.sort_by_key(|f| f.k);
        v
    }
}

impl Form {
    /// The form as a line of the table, ending in a newline.
    pub fn line(&self) -> String {
        format!(
            "{} {} {} {} {}\n",
            self.name,
            self.region.name(),
            self.k,
            self.how,
            self.text
        )
    }

    /// The form in `dag`, its `x` and `y` replaced by `args`.
    pub fn build(&self, dag: &mut Dag, args: &[Id]) -> Id {
        let mut own = Dag::new();
        // The table's forms parse: a test reads every line.
        let root = own.parse(&self.text).unwrap_or_else(|_| own.one());
        let mut map = Vec::new();
        for v in own.vars() {
            let k = match v.as_str() {
                "y" => 1,
                _ => 0,
            };
            map.push(args.get(k).copied().unwrap_or_else(|| dag.one()));
        }
        dag.splice(&own, root, &map)
    }
}
