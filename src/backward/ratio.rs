//! A constant ratio between a gradient and the correct one, matched with the named
//! dimensions: at two instances whose sizes differ, `N` and the constant that equals
//! `N` at one of them give different ratios at the other, so the match is told apart.

/// The simplest `±c * d1^e1 * d2^e2` (c in 1, 2, 3, 4, 1/2, 1/3, 1/4; at most two
/// named dimensions, exponents -2..2) that equals the ratio at every instance, to
/// 1e-9, as text (`N`, `-1`, `1/D`, `2*N`).
pub fn match_sizes(instances: &[(Vec<(String, usize)>, f64)]) -> Option<String> {
    let (first, _) = instances.first()?;
    let dims: Vec<&str> = first.iter().map(|(d, _)| d.as_str()).collect();
    let size = |sizes: &[(String, usize)], d: &str| {
        sizes.iter().find(|(n, _)| n == d).map(|(_, s)| *s as f64)
    };
    let constants: [(f64, &str); 7] = [
        (1.0, ""),
        (2.0, "2"),
        (3.0, "3"),
        (4.0, "4"),
        (0.5, "1/2"),
        (1.0 / 3.0, "1/3"),
        (0.25, "1/4"),
    ];
    // Candidate factors of named dimensions, simplest first.
    let mut factors: Vec<Vec<(&str, i32)>> = vec![Vec::new()];
    for e in [1, -1, 2, -2] {
        for &d in &dims {
            factors.push(vec![(d, e)]);
        }
    }
    for e1 in [1, -1] {
        for e2 in [1, -1] {
            for (i, &a) in dims.iter().enumerate() {
                for &b in &dims[i + 1..] {
                    factors.push(vec![(a, e1), (b, e2)]);
                }
            }
        }
    }
    for f in &factors {
        for &(c, c_text) in &constants {
            for sign in [1.0, -1.0] {
                let fits = instances.iter().all(|(sizes, r)| {
                    let mut v = sign * c;
                    for &(d, e) in f {
                        match size(sizes, d) {
                            Some(s) => v *= s.powi(e),
                            None => return false,
                        }
                    }
                    (v - r).abs() <= 1e-9 * r.abs().max(1e-300)
                });
                if fits {
                    return Some(text(sign, c_text, f));
                }
            }
        }
    }
    None
}

/// `±c * d1^e1 * ...` as text, with negative exponents as a denominator.
fn text(sign: f64, c: &str, factors: &[(&str, i32)]) -> String {
    let power = |d: &str, e: i32| {
        if e.abs() == 1 {
            d.to_string()
        } else {
            format!("{d}^{}", e.abs())
        }
    };
    let num: Vec<String> = factors
        .iter()
        .filter(|f| f.1 > 0)
        .map(|f| power(f.0, f.1))
        .collect();
    let den: Vec<String> = factors
        .iter()
        .filter(|f| f.1 < 0)
        .map(|f| power(f.0, f.1))
        .collect();
    let (c_num, c_den) = match c.split_once('/') {
        Some((n, d)) => (n.to_string(), Some(d.to_string())),
        None => (c.to_string(), None),
    };
    let mut top: Vec<String> = Vec::new();
    if !c_num.is_empty() && (c_num != "1" || num.is_empty()) {
        top.push(c_num);
    }
    top.extend(num);
    let mut bottom: Vec<String> = c_den.into_iter().collect();
    bottom.extend(den);
    let mut out = if top.is_empty() {
        "1".to_string()
    } else {
        top.join("*")
    };
    if !bottom.is_empty() {
        out = if bottom.len() == 1 {
            format!("{out}/{}", bottom[0])
        } else {
            format!("{out}/({})", bottom.join("*"))
        };
    }
    if sign < 0.0 { format!("-{out}") } else { out }
}

/// What a ratio means, as a parenthesis for the report: `N` is a missing `1/N`, `-1`
/// a flipped sign.
pub fn describe(ratio: &str) -> String {
    if ratio == "-1" {
        return " (the sign is flipped)".to_string();
    }
    let (sign, mag) = match ratio.strip_prefix('-') {
        Some(m) => (" and the sign is flipped", m),
        None => ("", ratio),
    };
    let inverse = match mag.split_once('/') {
        Some(("1", d)) => format!("an extra 1/{d}"),
        Some((n, d)) => format!("a factor {n}/{d} too many"),
        None if mag.contains('*') => format!("missing 1/({mag})"),
        None => format!("missing 1/{mag}"),
    };
    format!(" ({inverse}{sign})")
}
