//! Bad input never breaks gauge: arbitrary text and token soup end in a value or a
//! diagnostic, never a panic; nesting past the limit is an error, not a stack overflow;
//! a 10 MB input parses and prints in linear time; evaluation never returns a silent NaN.

use gauge::diag::error::ErrorKind;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use proptest::prelude::*;

fn session() -> Workspace {
    Workspace::with_prelude().expect("prelude loads")
}

/// Tokens of the language, with some near misses, for token-soup inputs.
const TOKENS: &[&str] = &[
    "x",
    "y",
    "z",
    "W",
    "i",
    "k",
    "j",
    "0",
    "1",
    "2.5",
    "1e-3",
    "1e9999",
    "pi",
    "e",
    "α",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "==",
    "<",
    "<=",
    ">",
    "!=",
    ":",
    ";",
    "#",
    "\n",
    "let",
    "assume",
    "claim",
    "sum",
    "delta",
    "diff",
    "grad",
    "hessian",
    "len",
    "exp",
    "ln",
    "log",
    "sqrt",
    "softmax",
    "cross_entropy",
    "eml",
    "sigmoid",
    "abs",
    " ",
    "@",
    "'",
    "\"",
    "\t",
    "é",
    "0x1F",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|ts| ts.concat())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let mut s = session();
        let _ = s.parse_expression(&text);
        let _ = s.load_file("fuzz.gauge", &text);
        let _ = s.parse_bindings(&text);
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        let mut s = session();
        if let Ok(id) = s.parse_expression(&text) {
            // Whatever parses also prints and reads back.
            let printed = s.print(id);
            let again = s.parse_expression(&printed);
            prop_assert!(again.is_ok(), "`{}` printed as `{}`, which fails: {:?}", text, printed, again);
        }
        let _ = s.load_file("soup.gauge", &text);
        let _ = s.parse_bindings(&text);
    }

    #[test]
    fn evaluation_is_a_number_or_an_error_never_nan(
        text in token_soup(),
        x in -10.0f64..10.0,
        y in -10.0f64..10.0,
    ) {
        let mut s = session();
        if let Ok(id) = s.parse_expression(&text) {
            let at = s
                .parse_bindings(&format!("x={x:?}, y={y:?}, i=0, k=1, j=0, z=[0.5, -1, 2], W=[[1, 2, 3], [4, 5, 6], [7, 8, 9]], α=0.25"))
                .expect("the bindings are valid");
            if let Ok(v) = s.eval(id, &at) {
                prop_assert!(v.is_finite(), "`{}` evaluated to {}", text, v);
            }
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    let inputs = [
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x", "-".repeat(n)),
        format!("x{}", "^x".repeat(n)),
        format!("{}x{}", "exp(".repeat(n), ")".repeat(n)),
        format!("{}x{}", "z[".repeat(n), "]".repeat(n)),
    ];
    for text in &inputs {
        let mut s = session();
        let e = s.parse_expression(text).expect_err("too deep");
        assert_eq!(e.kind, ErrorKind::Limit);
        assert!(
            e.message
                .contains("nests deeper than the limit of 20000 levels"),
            "{}",
            e.message
        );
    }
    let mut s = session();
    let e = s
        .parse_bindings(&format!("z={}1{}", "[".repeat(n), "]".repeat(n)))
        .expect_err("too deep");
    assert!(e.message.contains("nests deeper"));
}

#[test]
fn nesting_just_under_the_limit_works() {
    // Deeper inputs, up to the limit itself and on small stacks, are `deep`'s tests.
    let mut s = session();
    let text = format!("{}x{}", "(".repeat(2500), ")".repeat(2500));
    let id = s.parse_expression(&text).expect("2,500 levels are fine");
    assert_eq!(s.print(id), "x");
    let text = format!("{}x{}", "exp(".repeat(1200), ")".repeat(1200));
    let id = s
        .parse_expression(&text)
        .expect("1,200 nested calls are fine");
    let again = s.parse_expression(&s.print(id)).unwrap();
    assert_eq!(id, again);
}

#[test]
fn a_ten_megabyte_sum_parses_and_prints() {
    // 500,000 terms, each a distinct scalar with a coefficient: about 10 MB of text.
    let mut text = String::with_capacity(11_000_000);
    for k in 0..500_000 {
        if k > 0 {
            text.push_str(" + ");
        }
        text.push_str(&format!("1.25*x{k}"));
    }
    assert!(text.len() > 6_000_000);
    let mut s = session();
    let id = s.parse_expression(&text).expect("a long sum parses");
    let printed = s.print(id);
    assert!(printed.starts_with("1.25*x0 + 1.25*x1 + 1.25*x2"));
    assert!(printed.ends_with("1.25*x499999"));
}

#[test]
fn huge_exact_powers_stay_unevaluated() {
    let mut s = session();
    let id = s.parse_expression("2^(10^9)").unwrap();
    assert_eq!(s.print(id), "2^1000000000");
    let id = s.parse_expression("(10^4000)^(10^4000)").unwrap();
    assert!(s.print(id).contains('^'));
    let id = s.parse_expression("2^100").unwrap();
    assert_eq!(s.print(id), "1267650600228229401496703205376");
}

#[test]
fn exact_numbers_beyond_f64_are_an_error_in_every_numeric_path() {
    // check: an error that names the number, not a table of NaN.
    let mut s = session();
    let e = s.parse_expression("logsumexp(z)*4^(8^3)*x").unwrap();
    let err = gauge::numeric::tape::Tape::compile(&mut s.pool, e).expect_err("an error");
    assert_eq!(err.kind, ErrorKind::Domain);
    assert!(
        err.message.contains("beyond the range of f64"),
        "{}",
        err.message
    );
    // prove: an exact proof needs no f64, and its steps are checked exactly; a claim
    // that only numbers could decide is an error.
    let mut s = session();
    s.load_file(
        "claims",
        "claim diff(4^(8^3)*x^2, x) = 2*4^512*x\nclaim diff(4^(8^3)*x^2, x) = 4^512*x",
    )
    .unwrap();
    let claims = s.claims.clone();
    let a = gauge::prove::prove_with(&mut s, &claims[0], 1, true);
    assert_eq!(a.verdict.name(), "proved");
    assert!(a.checker_failure.is_none(), "{:?}", a.checker_failure);
    let b = gauge::prove::prove_with(&mut s, &claims[1], 1, true);
    assert_eq!(b.verdict.name(), "error");
}
