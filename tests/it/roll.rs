//! Rolling printed lists over the variables into index form (`report::roll`).

use gauge::report::roll::Roll;

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_vector_of_one_template_rolls_and_a_mixed_one_does_not() {
    let n = names(&["a", "b", "ab"]);
    let r = Roll::new(&n, "i").unwrap();
    let items = names(&["exp(a)/s1", "exp(b)/s1", "exp(ab)/s1"]);
    assert_eq!(r.vector(&items).as_deref(), Some("exp(i)/s1"));
    // `a` inside `ab` or `sa` is not the variable a.
    let items = names(&["exp(a)/sa", "exp(b)/sa", "exp(ab)/sa"]);
    assert_eq!(r.vector(&items).as_deref(), Some("exp(i)/sa"));
    // An element that mentions another variable does not roll.
    let items = names(&["a*b", "b*b", "ab*b"]);
    assert_eq!(r.vector(&items), None);
    let items = names(&["exp(a)", "exp(b)", "2*exp(ab)"]);
    assert_eq!(r.vector(&items), None);
}

#[test]
fn a_sum_rolls_the_group_that_covers_every_variable_once() {
    let n = names(&["x", "y", "z"]);
    let r = Roll::new(&n, "k").unwrap();
    let terms = names(&["1", "exp(x)", "exp(y)", "exp(z)"]);
    assert_eq!(r.sum(&terms).as_deref(), Some("1 + sum(k, exp(k))"));
    let terms = names(&["-w", "exp(z)", "exp(x)", "exp(y)"]);
    assert_eq!(r.sum(&terms).as_deref(), Some("-w + sum(k, exp(k))"));
    let terms = names(&["exp(x)", "-x^2", "exp(y)", "-y^2", "exp(z)"]);
    assert_eq!(
        r.sum(&terms).as_deref(),
        Some("-x^2 - y^2 + sum(k, exp(k))")
    );
    // One variable missing, or one twice: no roll.
    assert_eq!(r.sum(&names(&["exp(x)", "exp(y)"])), None);
    assert_eq!(r.sum(&names(&["exp(x)", "exp(x)", "exp(y)"])), None);
    assert_eq!(r.sum(&names(&["x*y", "exp(z)"])), None);
}

#[test]
fn element_names_and_a_clashing_index_are_not_rolled() {
    let n = names(&["w[0]", "w[1]"]);
    assert!(Roll::new(&n, "i").is_none());
    let n = names(&["i", "j"]);
    assert!(Roll::new(&n, "i").is_none());
}
