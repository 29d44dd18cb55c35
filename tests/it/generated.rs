//! Random identities from a generator: true ones are never refuted, and false ones
//! made from them (a constant, a factor, a swapped sign, a change only far away or at
//! one point) are never confirmed.
//!
//! The generator is deterministic (its own SplitMix64, fixed seeds), so the claims and
//! the table of verdicts it prints are the same on every run. A true claim is a known
//! identity (a template such as `sin(u)^2 + cos(u)^2 = 1` or `diff(u, x) = u'`)
//! instantiated with random subexpressions `u`, `v` over `x` and `y` (and positive
//! ones `p`, `q` where a logarithm or a root needs them), then composed: the same
//! function applied to both sides, the same term added to both, both multiplied by
//! the same positive factor. A false claim takes the recipe of a true one and perturbs
//! it at a random stage of its composition; it is kept only when high-precision
//! interval arithmetic certifies that its sides differ at a witness point that the
//! perturbation was built for.

use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::precise::{self, Comparison};

/// How many true claims, and how many false ones, the test decides.
const CLAIMS: usize = 200;

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// One term of a sum, with its sign.
#[derive(Clone, Debug)]
struct Term {
    negated: bool,
    body: String,
}

fn plus(body: impl Into<String>) -> Term {
    Term {
        negated: false,
        body: body.into(),
    }
}

fn minus(body: impl Into<String>) -> Term {
    Term {
        negated: true,
        body: body.into(),
    }
}

/// A side of a claim: a sum of terms.
type Side = Vec<Term>;

fn render(side: &[Term]) -> String {
    let mut out = String::new();
    for (k, t) in side.iter().enumerate() {
        match (k, t.negated) {
            (0, false) => out.push_str(&t.body),
            (0, true) => out.push_str(&format!("-({})", t.body)),
            (_, false) => out.push_str(&format!(" + {}", t.body)),
            (_, true) => out.push_str(&format!(" - ({})", t.body)),
        }
    }
    out
}

/// What a claim's names are, beyond the scalars `x` and `y`.
#[derive(Clone, Copy, Debug, Default)]
struct Names {
    /// A vector `z`, declared with `tensor z[m]`.
    vector: bool,
    /// A free index `i` over `z`'s axis.
    index: bool,
}

/// A true identity before composition.
#[derive(Clone, Debug)]
struct Identity {
    template: &'static str,
    lhs: Side,
    rhs: Side,
    names: Names,
}

/// One composition step, applied to both sides alike.
#[derive(Clone, Debug)]
enum Compose {
    /// `F(side)` for a function written with `{}` for its argument.
    Apply(&'static str),
    /// `side + t`.
    Add(String),
    /// `w*(side)` with `w` positive.
    Scale(String),
}

fn compose(side: &[Term], c: &Compose) -> Side {
    match c {
        Compose::Apply(f) => vec![plus(f.replace("{}", &render(side)))],
        Compose::Add(t) => {
            let mut s = side.to_vec();
            s.push(plus(t.clone()));
            s
        }
        Compose::Scale(w) => vec![plus(format!("{w}*({})", render(side)))],
    }
}

/// A true claim's recipe: the identity and its compositions.
#[derive(Clone, Debug)]
struct Recipe {
    identity: Identity,
    steps: Vec<Compose>,
}

/// A generated claim, ready to decide.
#[derive(Clone, Debug)]
struct Generated {
    /// The template (true claims) or the perturbation (false ones).
    class: String,
    /// The file text: declarations and the claim.
    text: String,
    /// The claim alone, for messages.
    claim: String,
}

/// Random subexpressions over `x` and `y`.
struct Gen<'a> {
    rng: &'a mut Rng,
}

const CONSTANTS: [&str; 6] = ["(3/7)", "2", "(-1/2)", "(5/3)", "(1/4)", "(-3)"];
const POSITIVE_CONSTANTS: [&str; 4] = ["(5/2)", "3", "(1/3)", "(7/4)"];

impl Gen<'_> {
    /// A subexpression that mentions `x` or `y`, of depth at most `depth`; every
    /// result is self-delimiting (a name, a call or a bracket).
    fn var_expr(&mut self, depth: usize) -> String {
        loop {
            let (e, has_var) = self.scalar(depth);
            if has_var {
                return e;
            }
        }
    }

    fn scalar(&mut self, depth: usize) -> (String, bool) {
        if depth == 0 || self.rng.chance(25) {
            return match self.rng.below(5) {
                0 | 1 => ("x".into(), true),
                2 | 3 => ("y".into(), true),
                _ => (self.rng.pick(&CONSTANTS).into(), false),
            };
        }
        let (a, va) = self.scalar(depth - 1);
        let op = self.rng.below(19);
        match op {
            0..=2 => {
                let (mut b, mut vb) = self.scalar(depth - 1);
                // `a - a` and `a + a` are degenerate: draw again, a few times.
                for _ in 0..3 {
                    if b != a {
                        break;
                    }
                    (b, vb) = self.scalar(depth - 1);
                }
                let sym = ["+", "-", "*"][op];
                let e = if op == 2 {
                    format!("{a}*{b}")
                } else {
                    format!("{a} {sym} {b}")
                };
                (format!("({e})"), va || vb)
            }
            3 => (format!("({}*{a})", self.rng.pick(&CONSTANTS)), va),
            4..=12 => {
                let f = [
                    "sin", "cos", "tanh", "sigmoid", "softplus", "atan", "exp", "erf", "sin",
                ][op - 4];
                (format!("{f}({a})"), va)
            }
            13 => {
                let (p, vp) = self.positive(depth - 1);
                (format!("ln({p})"), vp)
            }
            14 => {
                let (p, vp) = self.positive(depth - 1);
                (format!("sqrt({p})"), vp)
            }
            15 => (format!("({a}^{})", self.rng.pick(&["2", "3", "4"])), va),
            16 => {
                let (p, vp) = self.positive(depth - 1);
                (format!("({a}/{p})"), va || vp)
            }
            17 => {
                let (p, vp) = self.positive(depth - 1);
                let k = self.rng.pick(&["(1/2)", "(-1)", "(3/2)", "(1/3)"]);
                (format!("({p}^{k})"), vp)
            }
            _ => (format!("{}({a})", self.rng.pick(&["abs", "relu"])), va),
        }
    }

    /// A subexpression that is positive wherever it is defined, and defined
    /// everywhere.
    fn positive(&mut self, depth: usize) -> (String, bool) {
        if depth == 0 || self.rng.chance(20) {
            return match self.rng.below(5) {
                0 => (self.rng.pick(&POSITIVE_CONSTANTS).into(), false),
                1 => ("(1 + x^2)".into(), true),
                2 => ("exp(y)".into(), true),
                3 => ("(1 + y^2)".into(), true),
                _ => ("(x^2 + 1/3)".into(), true),
            };
        }
        let (a, va) = self.scalar(depth - 1);
        match self.rng.below(9) {
            0 => (format!("exp({a})"), va),
            1 => (format!("(1 + {a}^2)"), va),
            2 => (format!("sigmoid({a})"), va),
            3 => (format!("softplus({a})"), va),
            4 => (format!("cosh({a})"), va),
            5 => (format!("(2 + sin({a}))"), va),
            6 => (format!("sqrt(1 + {a}^2)"), va),
            7 => {
                let (p, vp) = self.positive(depth - 1);
                let (q, vq) = self.positive(depth - 1);
                (format!("({p}*{q})"), vp || vq)
            }
            _ => {
                let (p, vp) = self.positive(depth - 1);
                let (q, vq) = self.positive(depth - 1);
                (format!("({p} + {q})"), vp || vq)
            }
        }
    }

    fn pos_expr(&mut self, depth: usize) -> String {
        loop {
            let (e, has_var) = self.positive(depth);
            if has_var {
                return e;
            }
        }
    }
}

/// gauge's own derivative of `u` by `x`, printed.
fn derivative(u: &str) -> String {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(u).unwrap();
    let x = s.parse_variable("x").unwrap();
    let defs = s.definitions_in_order();
    let d = gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, x, 1, &defs, &[])
        .unwrap()
        .result;
    s.print(d)
}

/// A true identity from a random template with random arguments.
fn identity(rng: &mut Rng) -> Identity {
    let mut g = Gen { rng };
    let u = g.var_expr(2);
    let v = g.var_expr(2);
    let p = g.pos_expr(2);
    let q = g.pos_expr(1);
    let c = g.rng.pick(&["2", "(1/2)", "(-3)", "(5/4)"]);
    let scalar = Names::default();
    let vector = Names {
        vector: true,
        ..Names::default()
    };
    let indexed = Names {
        vector: true,
        index: true,
    };
    let id = |template, lhs, rhs, names| Identity {
        template,
        lhs,
        rhs,
        names,
    };
    match g.rng.below(38) {
        0 => id(
            "sin^2 + cos^2 = 1",
            vec![plus(format!("sin({u})^2")), plus(format!("cos({u})^2"))],
            vec![plus("1")],
            scalar,
        ),
        1 => id(
            "exp(u + v) = exp(u) exp(v)",
            vec![plus(format!("exp({u} + {v})"))],
            vec![plus(format!("exp({u})*exp({v})"))],
            scalar,
        ),
        2 => id(
            "ln(pq) = ln p + ln q",
            vec![plus(format!("ln({p}*{q})"))],
            vec![plus(format!("ln({p})")), plus(format!("ln({q})"))],
            scalar,
        ),
        3 => id(
            "ln(p/q) = ln p - ln q",
            vec![plus(format!("ln({p}/{q})"))],
            vec![plus(format!("ln({p})")), minus(format!("ln({q})"))],
            scalar,
        ),
        4 => id(
            "ln(p^u) = u ln p",
            vec![plus(format!("ln({p}^{u})"))],
            vec![plus(format!("{u}*ln({p})"))],
            scalar,
        ),
        5 => id(
            "sigmoid(-u) = 1 - sigmoid(u)",
            vec![plus(format!("sigmoid(-{u})"))],
            vec![plus("1"), minus(format!("sigmoid({u})"))],
            scalar,
        ),
        6 => id(
            "softplus(u) - softplus(-u) = u",
            vec![
                plus(format!("softplus({u})")),
                minus(format!("softplus(-{u})")),
            ],
            vec![plus(u.clone())],
            scalar,
        ),
        7 => id(
            "tanh(u) = 2 sigmoid(2u) - 1",
            vec![plus(format!("tanh({u})"))],
            vec![plus(format!("2*sigmoid(2*{u})")), minus("1")],
            scalar,
        ),
        8 => id(
            "tanh(u) = (e^2u - 1)/(e^2u + 1)",
            vec![plus(format!("tanh({u})"))],
            vec![plus(format!("(exp(2*{u}) - 1)/(exp(2*{u}) + 1)"))],
            scalar,
        ),
        9 => id(
            "logsumexp(z + u) = logsumexp(z) + u",
            vec![plus(format!("ln(sum(j, exp(z[j] + {u})))"))],
            vec![plus("logsumexp(z)"), plus(u.clone())],
            vector,
        ),
        10 => id(
            "softmax(z + u) = softmax(z)",
            vec![plus(format!("softmax(z + {u})[i]"))],
            vec![plus("softmax(z)[i]")],
            indexed,
        ),
        11 => id(
            "sum of softmax = 1",
            vec![plus(format!("sum(j, exp({u}*z[j])/sum(k, exp({u}*z[k])))"))],
            vec![plus("1")],
            vector,
        ),
        12 => id(
            "cross-entropy gradient",
            vec![plus(format!("diff(cross_entropy({c}*z, n), z[i])"))],
            vec![
                plus(format!("{c}*softmax({c}*z)[i]")),
                minus(format!("{c}*delta(i, n)")),
            ],
            indexed,
        ),
        13 => id(
            "(a + b)^2 = a^2 + 2ab + b^2",
            vec![plus(format!("({u} + {v})^2"))],
            vec![
                plus(format!("{u}^2")),
                plus(format!("2*{u}*{v}")),
                plus(format!("{v}^2")),
            ],
            scalar,
        ),
        14 => id(
            "a^3 - b^3 = (a - b)(a^2 + ab + b^2)",
            vec![plus(format!("{u}^3")), minus(format!("{v}^3"))],
            vec![plus(format!("({u} - {v})*({u}^2 + {u}*{v} + {v}^2)"))],
            scalar,
        ),
        15 | 16 => {
            let w = g.var_expr(3);
            id(
                "diff(u, x) = gauge's derivative",
                vec![plus(format!("diff({w}, x)"))],
                vec![plus(derivative(&w))],
                scalar,
            )
        }
        17 => id(
            "abs(u)^2 = u^2",
            vec![plus(format!("abs({u})^2"))],
            vec![plus(format!("{u}^2"))],
            scalar,
        ),
        18 => id(
            "relu(u) - relu(-u) = u",
            vec![plus(format!("relu({u})")), minus(format!("relu(-{u})"))],
            vec![plus(u.clone())],
            scalar,
        ),
        19 => id(
            "max + min = a + b",
            vec![
                plus(format!("max({u}, {v})")),
                plus(format!("min({u}, {v})")),
            ],
            vec![plus(u.clone()), plus(v.clone())],
            scalar,
        ),
        20 => id(
            "max - min = abs(a - b)",
            vec![
                plus(format!("max({u}, {v})")),
                minus(format!("min({u}, {v})")),
            ],
            vec![plus(format!("abs({u} - {v})"))],
            scalar,
        ),
        21 => id(
            "sin(2u) = 2 sin u cos u",
            vec![plus(format!("sin(2*{u})"))],
            vec![plus(format!("2*sin({u})*cos({u})"))],
            scalar,
        ),
        22 => id(
            "cos(u + v) = cos u cos v - sin u sin v",
            vec![plus(format!("cos({u} + {v})"))],
            vec![
                plus(format!("cos({u})*cos({v})")),
                minus(format!("sin({u})*sin({v})")),
            ],
            scalar,
        ),
        23 => id(
            "cosh^2 - sinh^2 = 1",
            vec![plus(format!("cosh({u})^2")), minus(format!("sinh({u})^2"))],
            vec![plus("1")],
            scalar,
        ),
        24 => id(
            "sqrt(p) sqrt(q) = sqrt(pq)",
            vec![plus(format!("sqrt({p})*sqrt({q})"))],
            vec![plus(format!("sqrt({p}*{q})"))],
            scalar,
        ),
        25 => id(
            "exp(ln p) = p",
            vec![plus(format!("exp(ln({p}))"))],
            vec![plus(p.clone())],
            scalar,
        ),
        26 => id(
            "p^(u + v) = p^u p^v",
            vec![plus(format!("{p}^({u} + {v})"))],
            vec![plus(format!("{p}^{u}*{p}^{v}"))],
            scalar,
        ),
        27 => id(
            "logit(sigmoid(u)) = u",
            vec![plus(format!("logit(sigmoid({u}))"))],
            vec![plus(u.clone())],
            scalar,
        ),
        28 => id(
            "ln(1 - sigmoid(u)) = -softplus(u)",
            vec![plus(format!("ln(1 - sigmoid({u}))"))],
            vec![minus(format!("softplus({u})"))],
            scalar,
        ),
        29 => id(
            "softplus(u) = u + softplus(-u)",
            vec![plus(format!("softplus({u})"))],
            vec![plus(u.clone()), plus(format!("softplus(-{u})"))],
            scalar,
        ),
        30 => id(
            "sum (z + u)^2 expanded",
            vec![plus(format!("sum(j, (z[j] + {u})^2)"))],
            vec![
                plus("sum(j, z[j]^2)"),
                plus(format!("2*{u}*sum(j, z[j])")),
                plus(format!("len(z)*{u}^2")),
            ],
            vector,
        ),
        31 => {
            let k = 2 + g.rng.below(11);
            id(
                "(a - 1)^k (a + 1)^k = (a^2 - 1)^k",
                vec![plus(format!("({u} - 1)^{k}*({u} + 1)^{k}"))],
                vec![plus(format!("({u}^2 - 1)^{k}"))],
                scalar,
            )
        }
        32 => id(
            "log2 p = ln p / ln 2",
            vec![plus(format!("log2({p})"))],
            vec![plus(format!("ln({p})/ln(2)"))],
            scalar,
        ),
        33 => id(
            "exp(log_softmax) = softmax",
            vec![plus(format!("exp(log_softmax({c}*z)[i])"))],
            vec![plus(format!("softmax({c}*z)[i]"))],
            indexed,
        ),
        34 => id(
            "max shift of logsumexp",
            vec![
                plus("max(z)"),
                plus("ln(sum(j, exp(z[j] - max(z))))"),
                plus(u.clone()),
            ],
            vec![plus("logsumexp(z)"), plus(u.clone())],
            vector,
        ),
        35 => id(
            "silu(u) = u sigmoid(u)",
            vec![plus(format!("silu({u})"))],
            vec![plus(format!("{u}*sigmoid({u})"))],
            scalar,
        ),
        36 => id(
            "bce with logits = bce on sigmoid",
            vec![plus(format!("bce({u}, {v})"))],
            vec![
                minus(format!("{v}*ln(sigmoid({u}))")),
                minus(format!("(1 - {v})*ln(1 - sigmoid({u}))")),
            ],
            scalar,
        ),
        _ => id(
            "sigmoid(u) = e^u/(1 + e^u)",
            vec![plus(format!("sigmoid({u})"))],
            vec![plus(format!("exp({u})/(1 + exp({u}))"))],
            scalar,
        ),
    }
}

/// A true claim's recipe: an identity and zero to two compositions.
fn recipe(rng: &mut Rng) -> Recipe {
    let identity = identity(rng);
    let mut steps = Vec::new();
    for _ in 0..rng.pick(&[0, 0, 1, 1, 2]) {
        let mut g = Gen { rng };
        steps.push(match g.rng.below(3) {
            0 => Compose::Apply(g.rng.pick(&[
                "exp({})",
                "tanh({})",
                "sigmoid({})",
                "atan({})",
                "softplus({})",
                "({})^3",
                "sin({})",
                "(2*({}) + 1/3)",
            ])),
            1 => Compose::Add(g.var_expr(2)),
            _ => Compose::Scale(g.pos_expr(1)),
        });
    }
    Recipe { identity, steps }
}

fn file_text(names: Names, lhs: &[Term], rhs: &[Term]) -> (String, String) {
    let claim = format!("claim {} = {}", render(lhs), render(rhs));
    let decl = if names.vector { "tensor z[m]\n" } else { "" };
    (format!("{decl}{claim}\n"), claim)
}

fn build(r: &Recipe) -> Generated {
    let (mut lhs, mut rhs) = (r.identity.lhs.clone(), r.identity.rhs.clone());
    for s in &r.steps {
        lhs = compose(&lhs, s);
        rhs = compose(&rhs, s);
    }
    let (text, claim) = file_text(r.identity.names, &lhs, &rhs);
    Generated {
        class: r.identity.template.to_string(),
        text,
        claim,
    }
}

/// The five classes of perturbation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Constant,
    Factor,
    Sign,
    FarAway,
    OnePoint,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Constant => "a constant",
            Class::Factor => "a factor",
            Class::Sign => "a swapped sign",
            Class::FarAway => "a change far away",
            Class::OnePoint => "a change at one point",
        }
    }
}

/// The perturbations, one of which each false claim gets in turn.
const KINDS: [(Class, &str); 21] = [
    (Class::Constant, "+ 1/3"),
    (Class::Constant, "+ 1e-12"),
    (Class::Constant, "+ 1e-30"),
    (Class::Constant, "+ 10^20 + 1 against + 10^20"),
    (Class::Constant, "+ sqrt(10^40 + 1) - 10^20"),
    (Class::Constant, "+ (pi - 355/113)"),
    (Class::Factor, "2*"),
    (Class::Factor, "(1 + 1e-9)*"),
    (Class::Factor, "(1 + 1e-15)*"),
    (Class::Sign, "one term's sign"),
    (Class::FarAway, "relu(v - 40)"),
    (Class::FarAway, "abs(v - 1000) - (1000 - v)"),
    (Class::FarAway, "relu(-v - 1e5)"),
    (Class::FarAway, "relu(v - 1e6)"),
    (Class::FarAway, "relu(v - 1e9)"),
    (Class::OnePoint, "0^(v^2) at 0"),
    (Class::OnePoint, "0^((v - 1)^2) at 1"),
    (Class::OnePoint, "0^((v + 2)^2) at -2"),
    (Class::OnePoint, "0^((v - 1/4)^2) at 1/4"),
    (Class::OnePoint, "0^(x^2 + y^2) at (0, 0)"),
    (Class::OnePoint, "delta(i, 3) at i = 3"),
];

/// Generic points for `x` and `y`, where a perturbation that changes a claim
/// everywhere shows.
const GENERIC: [(&str, &str); 6] = [
    ("0.5", "-0.75"),
    ("-1.25", "0.375"),
    ("1.75", "2.5"),
    ("-0.625", "-1.5"),
    ("2.25", "0.125"),
    ("0.3", "1.1"),
];

/// Applies a perturbation of `kind` to a recipe at a random stage of its composition,
/// giving the false claim and its witness points for `x` and `y`.
fn perturb(r: &Recipe, kind: usize, rng: &mut Rng) -> Option<(Generated, Vec<(String, String)>)> {
    let (class, label) = KINDS[kind];
    let names = r.identity.names;
    let stage = rng.below(r.steps.len() + 1);
    let (mut lhs, mut rhs) = (r.identity.lhs.clone(), r.identity.rhs.clone());
    for s in &r.steps[..stage] {
        lhs = compose(&lhs, s);
        rhs = compose(&rhs, s);
    }
    let var = if rng.chance(70) { "x" } else { "y" };
    let generic = || {
        GENERIC
            .iter()
            .map(|&(x, y)| (x.to_string(), y.to_string()))
            .collect::<Vec<_>>()
    };
    // Points with `var` at each of `values`, the other scalar generic.
    let at = |values: &[&str]| {
        let mut pts = Vec::new();
        for v in values {
            for &(x, y) in &GENERIC[..3] {
                pts.push(if var == "x" {
                    (v.to_string(), y.to_string())
                } else {
                    (x.to_string(), v.to_string())
                });
            }
        }
        pts
    };
    let (witness, added): (Vec<(String, String)>, Option<Term>) = match kind {
        0 => (generic(), Some(plus("1/3"))),
        1 => (generic(), Some(plus("1e-12"))),
        2 => (generic(), Some(plus("1e-30"))),
        3 => {
            let (big, bigger) = (plus("10^20"), plus("10^20 + 1"));
            if rng.chance(50) {
                lhs.push(bigger);
                rhs.push(big);
            } else {
                lhs.push(big);
                rhs.push(bigger);
            }
            (generic(), None)
        }
        4 => (generic(), Some(plus("sqrt(10^40 + 1) - 10^20"))),
        5 => (generic(), Some(plus("(pi - 355/113)"))),
        6..=8 => {
            let f = ["2", "(1 + 1e-9)", "(1 + 1e-15)"][kind - 6];
            rhs = vec![plus(format!("{f}*({})", render(&rhs)))];
            (generic(), None)
        }
        9 => {
            let side = if rng.chance(75) { &mut rhs } else { &mut lhs };
            let k = rng.below(side.len());
            side[k].negated = !side[k].negated;
            (generic(), None)
        }
        10 => (
            at(&["80", "120", "50"]),
            Some(plus(format!("relu({var} - 40)"))),
        ),
        11 => (
            at(&["2000", "1500", "4000"]),
            Some(plus(format!("abs({var} - 1000) - (1000 - {var})"))),
        ),
        12 => (
            at(&["-200000", "-150000", "-400000"]),
            Some(plus(format!("relu(-{var} - 1e5)"))),
        ),
        13 => (
            at(&["2000000", "1500000", "4000000"]),
            Some(plus(format!("relu({var} - 1e6)"))),
        ),
        14 => (
            at(&["2000000000", "1500000000", "4000000000"]),
            Some(plus(format!("relu({var} - 1e9)"))),
        ),
        15 => (at(&["0"]), Some(plus(format!("0^({var}^2)")))),
        16 => (at(&["1"]), Some(plus(format!("0^(({var} - 1)^2)")))),
        17 => (at(&["-2"]), Some(plus(format!("0^(({var} + 2)^2)")))),
        18 => (at(&["0.25"]), Some(plus(format!("0^(({var} - 1/4)^2)")))),
        19 => (vec![("0".into(), "0".into())], Some(plus("0^(x^2 + y^2)"))),
        // Only a claim about the elements `[i]` of a vector can change at one index.
        _ if names.index => (generic(), Some(plus("delta(i, 3)"))),
        _ => return None,
    };
    if let Some(t) = added {
        if rng.chance(80) {
            rhs.push(t);
        } else {
            lhs.push(t);
        }
    }
    for s in &r.steps[stage..] {
        lhs = compose(&lhs, s);
        rhs = compose(&rhs, s);
    }
    let (text, claim) = file_text(names, &lhs, &rhs);
    Some((
        Generated {
            class: format!("{}: {label}", class.name()),
            text,
            claim,
        },
        witness,
    ))
}

/// The claim's two sides with their derivatives taken, in a fresh workspace.
fn sides(
    text: &str,
) -> (
    Workspace,
    gauge::expr::node::ExprId,
    gauge::expr::node::ExprId,
) {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("generated", text)
        .unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let c = s.claims[0].clone();
    assert!(c.unreadable.is_none(), "{text}: {:?}", c.unreadable);
    let take = gauge::calculus::derivation::take_derivatives;
    let (l, _) = take(&mut s.pool, c.lhs).unwrap();
    let (r, _) = take(&mut s.pool, c.rhs).unwrap();
    (s, l, r)
}

/// The binding text for a point: `x` and `y` where the claim uses them, and the
/// vector, its free index and its label where it has them (`z` 5 long, so that
/// `delta(i, 3)` has an `i` to be 1 at).
fn point(text: &str, x: &str, y: &str, k: usize) -> String {
    let mut parts = Vec::new();
    if uses(text, "x") {
        parts.push(format!("x={x}"));
    }
    if uses(text, "y") {
        parts.push(format!("y={y}"));
    }
    if uses(text, "z") {
        parts.push("z=[0.3, -1.25, 0.75, 1.5, -0.5]".into());
    }
    if uses(text, "i") {
        parts.push(format!("i={}", [3, 0, 1, 4][k % 4]));
    }
    if uses(text, "n") {
        parts.push(format!("n={}", [1, 3][k % 2]));
    }
    parts.join(", ")
}

/// Whether `name` is a token of `text` (`x` is one of `x + 1` but not of `exp(1)`).
fn uses(text: &str, name: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|t| t == name)
}

/// Where the claim's sides certainly differ: the first witness point at which
/// high-precision interval arithmetic separates them (or finds the right side
/// undefined where the left one is defined), as its binding text.
fn certified_difference(text: &str, witness: &[(String, String)]) -> Option<String> {
    let (mut s, l, r) = sides(text);
    for (k, (x, y)) in witness.iter().enumerate() {
        let at = point(text, x, y, k);
        let b = s
            .parse_bindings(&at)
            .unwrap_or_else(|e| panic!("{text} at {at}: {e:?}"));
        if let Comparison::Differ { .. } | Comparison::LhsOnly { .. } =
            precise::compare(&mut s.pool, l, r, &b)
        {
            return Some(at);
        }
    }
    None
}

/// The 200 true claims (with their recipes) and the 200 false ones.
fn claims() -> (Vec<(Recipe, Generated)>, Vec<Generated>) {
    let mut rng = Rng(14);
    let truths: Vec<(Recipe, Generated)> = (0..CLAIMS)
        .map(|_| {
            let r = recipe(&mut rng);
            let g = build(&r);
            (r, g)
        })
        .collect();
    // A true claim's sides never certainly differ at a generic point: a generator
    // that built a false "identity" would be a bug of this test.
    for (_, g) in &truths {
        let generic: Vec<(String, String)> = GENERIC[..2]
            .iter()
            .map(|&(x, y)| (x.to_string(), y.to_string()))
            .collect();
        let at = certified_difference(&g.text, &generic);
        assert!(
            at.is_none(),
            "the generator's identity {} is false at {at:?}",
            g.claim
        );
    }
    let mut falsehoods = Vec::new();
    for k in 0..CLAIMS {
        let kind = k % KINDS.len();
        let made = (0..CLAIMS).find_map(|attempt| {
            let (r, _) = &truths[(k * 7 + attempt) % CLAIMS];
            let (g, witness) = perturb(r, kind, &mut rng)?;
            certified_difference(&g.text, &witness).map(|_| g)
        });
        falsehoods.push(
            made.unwrap_or_else(|| panic!("no certified false claim of kind {:?}", KINDS[kind])),
        );
    }
    (truths, falsehoods)
}

/// A claim's verdict (its name, or `error (why)`, undecided included) and a checker
/// failure's message, if a proof failed the step checker.
type Decided = (String, Option<String>);

/// Decides one claim in a fresh workspace, with every proof re-checked.
fn decide(g: &Generated, seed: u64) -> Decided {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("generated", &g.text)
        .unwrap_or_else(|e| panic!("{}: {e:?}", g.text));
    let c = s.claims[0].clone();
    let r = gauge::prove::prove_with(&mut s, &c, seed, true);
    let failure = r.checker_failure.as_ref().map(|f| format!("{f:?}"));
    let verdict = match &r.verdict {
        gauge::prove::Outcome::Failed(e) => format!("error ({})", e.message),
        other => other.name().to_string(),
    };
    (verdict, failure)
}

/// Decides every claim, on two threads, in order.
fn decide_all(all: &[&Generated]) -> Vec<Decided> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out: Vec<std::sync::Mutex<Option<Decided>>> =
        all.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(g) = all.get(k) else { break };
                    *out[k].lock().unwrap() = Some(decide(g, 14 + k as u64));
                }
            });
        }
    });
    out.into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}

/// Verdict counts of one row of the table: proved, confirmed, refuted, error or
/// undecided.
#[derive(Clone, Copy, Default)]
struct Counts([usize; 4]);

impl Counts {
    fn add(&mut self, verdict: &str) {
        let k = match verdict {
            "proved" => 0,
            "confirmed" => 1,
            "refuted" => 2,
            _ => 3,
        };
        self.0[k] += 1;
    }

    fn row(&self, label: &str) -> String {
        let [p, c, r, e] = self.0;
        format!(
            "{label:<48} {:>6} {p:>7} {c:>10} {r:>8} {e:>16}\n",
            p + c + r + e
        )
    }
}

fn header() -> String {
    format!(
        "{:<48} {:>6} {:>7} {:>10} {:>8} {:>16}\n",
        "class", "claims", "proved", "confirmed", "refuted", "error/undecided"
    )
}

/// Every claim decided, once for all the tests of this file: the table of counts,
/// and the claims whose verdicts are unsound, by kind.
struct Run {
    table: String,
    checker_failures: Vec<String>,
    true_refuted: Vec<String>,
    false_proved: Vec<String>,
    false_confirmed: Vec<String>,
}

fn run() -> &'static Run {
    static RUN: std::sync::OnceLock<Run> = std::sync::OnceLock::new();
    RUN.get_or_init(decide_every_claim)
}

fn decide_every_claim() -> Run {
    let started = std::time::Instant::now();
    let (truths, falsehoods) = claims();
    let generated = started.elapsed();
    let all: Vec<&Generated> = truths
        .iter()
        .map(|(_, g)| g)
        .chain(falsehoods.iter())
        .collect();
    let verdicts = decide_all(&all);
    let mut run = Run {
        table: String::new(),
        checker_failures: Vec::new(),
        true_refuted: Vec::new(),
        false_proved: Vec::new(),
        false_confirmed: Vec::new(),
    };
    let mut by_template = std::collections::BTreeMap::<&str, Counts>::new();
    let mut by_kind = vec![Counts::default(); KINDS.len()];
    let (mut true_total, mut false_total) = (Counts::default(), Counts::default());
    for (k, (g, (verdict, failure))) in all.iter().zip(&verdicts).enumerate() {
        let truth = k < CLAIMS;
        if let Some(f) = failure {
            run.checker_failures
                .push(format!("{} [{}]: {f}", g.claim, g.class));
        }
        let bare = verdict.split(' ').next().unwrap_or_default();
        let line = format!("[{}] {}", g.class, g.claim);
        if truth {
            by_template.entry(&g.class).or_default().add(bare);
            true_total.add(bare);
            if bare == "refuted" {
                run.true_refuted.push(line);
            }
        } else {
            by_kind[(k - CLAIMS) % KINDS.len()].add(bare);
            false_total.add(bare);
            match bare {
                "proved" => run.false_proved.push(line),
                "confirmed" => run.false_confirmed.push(line),
                _ => {}
            }
        }
    }
    let table = &mut run.table;
    table.push_str(&header());
    for (template, counts) in &by_template {
        table.push_str(&counts.row(&format!("true: {template}")));
    }
    table.push_str(&true_total.row("TRUE, ALL"));
    for class in [
        Class::Constant,
        Class::Factor,
        Class::Sign,
        Class::FarAway,
        Class::OnePoint,
    ] {
        let mut sub = Counts::default();
        for (k, &(c, label)) in KINDS.iter().enumerate() {
            if c == class {
                table.push_str(&by_kind[k].row(&format!("false: {}: {label}", c.name())));
                for (s, n) in sub.0.iter_mut().zip(by_kind[k].0) {
                    *s += n;
                }
            }
        }
        table.push_str(&sub.row(&format!("FALSE, {}", class.name().to_uppercase())));
    }
    table.push_str(&false_total.row("FALSE, ALL"));
    // The true claims the prover could not prove, each with what numbers said: the
    // rules the prover still lacks.
    for (k, (g, (verdict, _))) in all.iter().zip(&verdicts).enumerate() {
        if verdict.starts_with("error") || (k < CLAIMS && verdict.starts_with("confirmed")) {
            table.push_str(&format!("{verdict} [{}]: {}\n", g.class, g.claim));
        }
    }
    println!(
        "generated identities (seed 14; generated in {:.1} s, decided in {:.1} s)\n{}",
        generated.as_secs_f64(),
        (started.elapsed() - generated).as_secs_f64(),
        run.table
    );
    run
}

#[test]
fn generated_true_identities_are_never_refuted_and_false_ones_never_proved() {
    let run = run();
    assert!(
        run.checker_failures.is_empty(),
        "proofs failed the step checker:\n{}",
        run.checker_failures.join("\n")
    );
    assert!(
        run.true_refuted.is_empty() && run.false_proved.is_empty(),
        "true claims refuted:\n{}\nfalse claims proved:\n{}\n{}",
        run.true_refuted.join("\n"),
        run.false_proved.join("\n"),
        run.table
    );
}

#[test]
fn generated_false_identities_are_never_confirmed() {
    let run = run();
    assert!(
        run.false_confirmed.is_empty(),
        "{} of {CLAIMS} false claims confirmed:\n{}\n{}",
        run.false_confirmed.len(),
        run.false_confirmed.join("\n"),
        run.table
    );
}
