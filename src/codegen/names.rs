//! Names in generated code: a name of the language that a target reserves (a keyword,
//! a builtin the code calls, a module it imports) is renamed by appending `_`, and so
//! is every name that could then collide with a renamed one or with the generated
//! code's own names (those that start or end with `_` or hold `__`). The renaming is
//! one-to-one, and the docstring lists it.

use crate::codegen::Target;

/// Python keywords, and the builtins and modules the generated Python uses.
const PYTHON: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "match",
    "case",
    "type",
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "float",
    "int",
    "len",
    "list",
    "max",
    "min",
    "pow",
    "print",
    "range",
    "round",
    "set",
    "str",
    "sum",
    "tuple",
    "zip",
    "np",
    "jnp",
    "jax",
    "torch",
    "math",
    "value_and_grad",
    "check_against",
    "ValueAndGrad",
    "self",
    "ctx",
];

/// Rust keywords (strict and reserved), and the names the generated Rust uses.
const RUST: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "Self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "try",
    "union",
    "f64",
    "usize",
    "Vec",
    "value_and_grad",
    "check_against",
    "std",
];

/// Greek letters, spelt out in ASCII so that every target reads them.
const GREEK: &[(char, &str)] = &[
    ('α', "alpha"),
    ('β', "beta"),
    ('γ', "gamma"),
    ('δ', "delta"),
    ('ε', "epsilon"),
    ('ζ', "zeta"),
    ('η', "eta"),
    ('θ', "theta"),
    ('ι', "iota"),
    ('κ', "kappa"),
    ('λ', "lambda"),
    ('μ', "mu"),
    ('ν', "nu"),
    ('ξ', "xi"),
    ('ο', "omicron"),
    ('π', "pi"),
    ('ρ', "rho"),
    ('σ', "sigma"),
    ('ς', "sigma"),
    ('τ', "tau"),
    ('υ', "upsilon"),
    ('φ', "phi"),
    ('χ', "chi"),
    ('ψ', "psi"),
    ('ω', "omega"),
];

/// The name `name` has in code for `target`.
pub fn code_name(name: &str, target: Target) -> String {
    let mut out = String::with_capacity(name.len());
    let mut spelt = false;
    for c in name.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            spelt = true;
            match GREEK.iter().find(|g| g.0 == c) {
                Some(g) => out.push_str(g.1),
                None => out.push_str(&format!("u{:x}", c as u32)),
            }
        }
    }
    let reserved = match target {
        Target::Rust => RUST,
        Target::Numpy | Target::Jax | Target::Torch => PYTHON,
    };
    if spelt
        || reserved.contains(&out.as_str())
        || out.starts_with('_')
        || out.ends_with('_')
        || out.contains("__")
    {
        out.push('_');
    }
    out
}
