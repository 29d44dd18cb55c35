//! Rolling a list written once per variable into one line in index form: the vector
//! `[exp(a)/s1, exp(b)/s1, exp(c)/s1]` over the variables `(a, b, c)` prints as
//! `u[i] = exp(i)/s1`, and the sum `exp(a) + exp(b) + exp(c)` as `sum(i, exp(i))`,
//! where the index `i` runs over the variables, as it does in the structured Hessian's
//! entry `i, j in (a, b, c): u[i]*(delta(i, j) - u[j])`.
//!
//! The work is done on the printed text, token by token, because that is what the
//! reader compares: the `let` names are already in place, so a shared subterm such as
//! `s1` (which mentions every variable) is one opaque token and does not stop the roll.
//! A list rolls only when replacing each element's own variable by the index gives one
//! and the same text for every element; that text then mentions no variable at all
//! (each variable was replaced in its own element), so writing the index back in for
//! the k-th variable gives the k-th element exactly, and nothing is lost.
//!
//! This module only rearranges printed text; it imports nothing from the rest of the
//! crate.

/// Whether `c` continues a name in printed text.
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\''
}

/// Whether `s` is a plain name, the only kind of variable rolled: an element name such
/// as `w[0]` is left alone.
fn plain(s: &str) -> bool {
    s.chars().next().is_some_and(|c| !c.is_ascii_digit()) && s.chars().all(name_char)
}

/// `text` with every whole-name occurrence of `name` replaced by `by`, and whether
/// there was one.
fn replace_name(text: &str, name: &str, by: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let mut rest = text;
    let mut before: Option<char> = None;
    while !rest.is_empty() {
        let starts_name = rest.starts_with(name)
            && !before.is_some_and(name_char)
            && !rest[name.len()..].chars().next().is_some_and(name_char);
        if starts_name {
            out.push_str(by);
            found = true;
            before = name.chars().last();
            rest = &rest[name.len()..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            before = Some(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    (out, found)
}

/// Rolls lists over one set of variables into index form with one index name.
pub struct Roll<'a> {
    names: &'a [String],
    index: &'a str,
}

impl<'a> Roll<'a> {
    /// A roller over `names` writing `index`, or `None` when some name is not a plain
    /// name, there are fewer than two, or the index reads as one of them.
    pub fn new(names: &'a [String], index: &'a str) -> Option<Roll<'a>> {
        let usable = names.len() >= 2
            && names.iter().all(|n| plain(n))
            && plain(index)
            && !names.iter().any(|n| n == index);
        usable.then_some(Roll { names, index })
    }

    /// The one text that each element of `items` (the k-th belonging to the k-th
    /// variable) is, with the index for its variable; `None` when they differ.
    pub fn vector(&self, items: &[String]) -> Option<String> {
        if items.len() != self.names.len() {
            return None;
        }
        let mut template: Option<String> = None;
        for (item, name) in items.iter().zip(self.names) {
            let (t, _) = replace_name(item, name, self.index);
            if self.mentions_a_name(&t) || template.as_ref().is_some_and(|s| *s != t) {
                return None;
            }
            template = Some(t);
        }
        template.filter(|t| contains_name(t, self.index))
    }

    /// The terms of a sum, each printed, with one group of terms that holds one term per
    /// variable, all alike up to the variable, written as `sum(index, term)`; `None`
    /// when no such group exists. The other terms keep their order, before the sum.
    pub fn sum(&self, terms: &[String]) -> Option<String> {
        // Each term that mentions exactly one variable, with that variable's position
        // and the term with the index in its place.
        let mut rolled: Vec<Option<(usize, String)>> = Vec::with_capacity(terms.len());
        for term in terms {
            let mut only = None;
            let mut count = 0;
            for (k, name) in self.names.iter().enumerate() {
                let (t, found) = replace_name(term, name, self.index);
                if found {
                    count += 1;
                    only = Some((k, t));
                }
            }
            rolled.push(if count == 1 { only } else { None });
        }
        // The first template that one term of each variable shares.
        let template = rolled.iter().flatten().find_map(|(_, t)| {
            let mut seen = vec![false; self.names.len()];
            for (k, other) in rolled.iter().flatten() {
                if other == t {
                    if seen[*k] {
                        return None;
                    }
                    seen[*k] = true;
                }
            }
            seen.iter().all(|&s| s).then(|| t.clone())
        })?;
        let mut parts: Vec<String> = terms
            .iter()
            .zip(&rolled)
            .filter(|(_, r)| r.as_ref().is_none_or(|(_, t)| *t != template))
            .map(|(term, _)| term.clone())
            .collect();
        parts.push(format!("sum({}, {template})", self.index));
        let mut text = parts[0].clone();
        for p in &parts[1..] {
            match p.strip_prefix('-') {
                Some(rest) => {
                    text.push_str(" - ");
                    text.push_str(rest);
                }
                None => {
                    text.push_str(" + ");
                    text.push_str(p);
                }
            }
        }
        Some(text)
    }

    fn mentions_a_name(&self, text: &str) -> bool {
        self.names.iter().any(|n| contains_name(text, n))
    }
}

fn contains_name(text: &str, name: &str) -> bool {
    replace_name(text, name, name).1
}
