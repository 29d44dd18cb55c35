//! The exhaustive search: every EML tree up to a size, by value, to find the
//! shortest tree of each target function.
//!
//! Trees are enumerated by `K`. Two trees that take the same values at every sample
//! point are the same function as far as the search can tell, so only the first
//! (shortest) is kept; every tree of size `K` is then `eml(a, b)` of kept trees `a`
//! and `b` whose sizes add to `K - 1`, and the search is exhaustive over functions
//! that the sample points tell apart. `exp(a)` and `ln(b)` are computed once per kept
//! tree, so each candidate costs one complex subtraction per point.
//!
//! The sample points are grouped in *classes*: the positive reals, the reals, the
//! strip `|Im| < π`, everywhere but the negative real axis, and every point. A target
//! is matched on each class separately, so the search reports the shortest tree
//! that agrees with the target everywhere as well as the shortest that agrees on the
//! reals only (the paper's `x + y` of size 19 is wrong when `|Im y| > π`). Values
//! follow [`float`](super::float)'s semantics: a point where a tree needs `ln 0` or
//! a rounding-dependent branch has no value there.
//!
//! The state (every kept tree, as pairs of children) is saved after each size, and a
//! search started from a saved state goes on where it stopped.

use std::io::{BufRead, Write};
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::eml::dag::{Dag, Id};
use crate::eml::float::Value;

/// A named class of sample points.
#[derive(Clone, Debug)]
pub struct Class {
    /// The class's name (`positive`, `real`, `strip`, `off-cut`, `complex`).
    pub name: String,
    /// The points in it, by number.
    pub points: Vec<usize>,
}

/// The variables, the sample points and their classes.
#[derive(Clone, Debug)]
pub struct Space {
    /// The variables' names; the leaves are `1` and these.
    pub vars: Vec<String>,
    /// Each point's value of each variable.
    pub points: Vec<Vec<Value>>,
    /// The classes, each a set of points.
    pub classes: Vec<Class>,
}

fn c(re: f64, im: f64) -> Value {
    Value::complex(re, im)
}

impl Space {
    /// The constants: no variables, one point.
    pub fn constants() -> Space {
        Space {
            vars: Vec::new(),
            points: vec![Vec::new()],
            classes: vec![Class {
                name: "complex".into(),
                points: vec![0],
            }],
        }
    }

    /// One variable `x`.
    pub fn unary() -> Space {
        let points = [
            c(0.6137, 0.0),
            c(5.3731, 0.0),
            c(-1.4621, 0.0),
            c(0.3719, 1.2113),
            c(-0.8227, -2.3391),
            c(0.5239, 4.0731),
            c(-1.1179, -3.8951),
        ];
        Space {
            vars: vec!["x".into()],
            points: points.iter().map(|&p| vec![p]).collect(),
            classes: classes(&[
                ("positive", &[0, 1]),
                ("real", &[0, 1, 2]),
                ("strip", &[0, 1, 2, 3, 4]),
                ("off-cut", &[0, 1, 3, 4, 5, 6]),
                ("complex", &[0, 1, 2, 3, 4, 5, 6]),
            ]),
        }
    }

    /// Two variables `x` and `y`.
    pub fn binary() -> Space {
        let points = [
            [c(0.6137, 0.0), c(1.7311, 0.0)],
            [c(5.3089, 0.0), c(3.4127, 0.0)],
            [c(-1.4621, 0.0), c(0.8519, 0.0)],
            [c(0.9373, 0.0), c(-2.2159, 0.0)],
            [c(0.3719, 1.2113), c(-0.6617, 0.5283)],
            [c(-0.8227, -2.3391), c(1.3813, -1.1421)],
            [c(0.5239, 4.0731), c(0.7117, -0.3119)],
            [c(1.2311, -0.4453), c(-0.2901, 3.9713)],
        ];
        Space {
            vars: vec!["x".into(), "y".into()],
            points: points.iter().map(|p| p.to_vec()).collect(),
            classes: classes(&[
                ("positive", &[0, 1]),
                ("real", &[0, 1, 2, 3]),
                ("strip", &[0, 1, 2, 3, 4, 5]),
                ("off-cut", &[0, 1, 4, 5, 6, 7]),
                ("complex", &[0, 1, 2, 3, 4, 5, 6, 7]),
            ]),
        }
    }
}

fn classes(spec: &[(&str, &[usize])]) -> Vec<Class> {
    spec.iter()
        .map(|(n, p)| Class {
            name: n.to_string(),
            points: p.to_vec(),
        })
        .collect()
}

/// A function to find: its value at each sample point (`None` where it is
/// undefined, which no tree is asked to match).
#[derive(Clone, Debug)]
pub struct Target {
    /// The target's name, such as `x*y`.
    pub name: String,
    /// Its value at each point.
    pub values: Vec<Option<(f64, f64)>>,
}

/// The shortest tree found for a target on a class of points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The target's name.
    pub target: String,
    /// The class's name.
    pub class: String,
    /// The tree, as nested EML text.
    pub text: String,
    /// Its size.
    pub k: u32,
}

/// Where a kept tree comes from: a leaf, or `eml` of two kept trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Leaf(u16),
    Eml(u32, u32),
}

/// Undefined at a point.
const NONE: Value = Value {
    re: f64::NAN,
    im: f64::NAN,
    exact: crate::eml::exact::Exact::UNKNOWN,
};

/// A search in progress.
pub struct Search {
    space: Space,
    entries: Vec<Entry>,
    /// Each kept tree's values at the anchor points (the first class's points,
    /// which every class contains), for the meet-in-the-middle index.
    anchors: Vec<Value>,
    /// Each kept tree's size.
    sizes: Vec<u8>,
    /// The meet-in-the-middle index: from a key of the anchor values to the first
    /// tree with it; `chain[n]` is the next tree with tree `n`'s key (or `u32::MAX`).
    index: FxHashMap<u64, u32>,
    chain: Vec<u32>,
    exps: Vec<Value>,
    lns: Vec<Value>,
    /// `levels[k]` is the range of entries of size `k` (even sizes stay empty).
    levels: Vec<std::ops::Range<usize>>,
    seen: FxHashSet<u64>,
    targets: Vec<Target>,
    /// For each class, the targets defined on all its points, sorted by the real
    /// part of their value at the class's first point.
    lookup: Vec<Vec<(f64, usize)>>,
    found: FxHashMap<(usize, usize), (u32, usize)>,
}

/// Progress of one size, for the caller's log.
#[derive(Clone, Debug)]
pub struct Level {
    /// The size.
    pub k: u32,
    /// Candidates evaluated.
    pub candidates: u64,
    /// New functions kept.
    pub kept: usize,
}

impl Search {
    /// A search over `space` for `targets`, holding the leaves (size 1).
    pub fn new(space: Space, targets: Vec<Target>) -> Search {
        let lookup = space
            .classes
            .iter()
            .map(|cl| {
                let mut m: Vec<(f64, usize)> = targets
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| cl.points.iter().all(|&p| t.values[p].is_some()))
                    .filter_map(|(n, t)| Some((t.values[*cl.points.first()?]?.0, n)))
                    .collect();
                m.sort_by(|a, b| a.0.total_cmp(&b.0));
                m
            })
            .collect();
        let mut s = Search {
            space,
            entries: Vec::new(),
            anchors: Vec::new(),
            sizes: Vec::new(),
            index: FxHashMap::default(),
            chain: Vec::new(),
            exps: Vec::new(),
            lns: Vec::new(),
            levels: vec![0..0, 0..0],
            seen: FxHashSet::default(),
            targets,
            lookup,
            found: FxHashMap::default(),
        };
        s.push(
            1,
            Entry::Leaf(0),
            &vec![Value::real(1.0); s.space.points.len()],
        );
        for v in 0..s.space.vars.len() {
            let vals: Vec<Value> = s.space.points.iter().map(|p| p[v]).collect();
            s.push(1, Entry::Leaf(v as u16 + 1), &vals);
        }
        s.levels[1] = 0..s.entries.len();
        s
    }

    /// The largest size searched so far.
    pub fn k(&self) -> u32 {
        (self.levels.len() - 1) as u32
    }

    /// The number of functions kept.
    pub fn kept(&self) -> usize {
        self.entries.len()
    }

    /// Keeps a tree if its function is new; checks it against the targets.
    fn push(&mut self, k: u32, e: Entry, vals: &[Value]) -> bool {
        if vals.iter().all(|v| v.re.is_nan()) || !self.seen.insert(key(vals.iter())) {
            return false;
        }
        let n = self.entries.len();
        self.entries.push(e);
        let anchor_points = &self.space.classes[0].points;
        self.anchors.extend(anchor_points.iter().map(|&p| vals[p]));
        self.sizes.push(k.min(255) as u8);
        self.exps.extend(vals.iter().map(|v| {
            if v.re.is_nan() {
                NONE
            } else {
                v.exp().unwrap_or(NONE)
            }
        }));
        self.lns.extend(vals.iter().map(|v| {
            if v.re.is_nan() {
                NONE
            } else {
                v.ln().unwrap_or(NONE)
            }
        }));
        for (ci, cl) in self.space.classes.iter().enumerate() {
            // Targets are found by a window on one value, not by a hash of rounded
            // values: a value and its target can round to different sides of a
            // rounding boundary (2 and 1.9999999999999996 do).
            let Some(&first) = cl.points.first() else {
                continue;
            };
            let v = vals[first];
            if v.re.is_nan() {
                continue;
            }
            let tol = 1e-11 * (1.0 + v.re.abs());
            let table = &self.lookup[ci];
            let from = table.partition_point(|&(re, _)| re < v.re - tol);
            for &(re, t) in table[from..]
                .iter()
                .take_while(|&&(re, _)| re <= v.re + tol)
            {
                let _ = re;
                let close = cl.points.iter().all(|&p| {
                    let (re, im) = self.targets[t].values[p].unwrap_or((f64::NAN, f64::NAN));
                    let v = vals[p];
                    let scale = 1.0 + re.abs().max(im.abs());
                    (v.re - re).abs() <= 1e-11 * scale && (v.im - im).abs() <= 1e-11 * scale
                });
                if close {
                    self.found.entry((t, ci)).or_insert((k, n));
                }
            }
        }
        true
    }

    /// Searches every tree of the next size (sizes are odd: an even size has no
    /// trees), keeping at most `cap` functions in all; returns what it did.
    pub fn step(&mut self, cap: usize) -> Level {
        let k = self.levels.len() as u32 + 1;
        // The even size in between holds nothing.
        self.levels.push(self.entries.len()..self.entries.len());
        let start = self.entries.len();
        let np = self.space.points.len();
        let mut candidates = 0u64;
        let mut vals = vec![NONE; np];
        'outer: for i in (1..k - 1).step_by(2) {
            let j = k - 1 - i;
            let (ra, rb) = (
                self.levels[i as usize].clone(),
                self.levels[j as usize].clone(),
            );
            for a in ra {
                for b in rb.clone() {
                    candidates += 1;
                    let xs = &self.exps[a * np..(a + 1) * np];
                    let ys = &self.lns[b * np..(b + 1) * np];
                    for ((v, x), y) in vals.iter_mut().zip(xs).zip(ys) {
                        *v = if x.re.is_nan() || y.re.is_nan() {
                            NONE
                        } else {
                            x.minus(*y)
                        };
                    }
                    self.push(k, Entry::Eml(a as u32, b as u32), &vals);
                    if self.entries.len() >= cap {
                        break 'outer;
                    }
                }
            }
        }
        self.levels.push(start..self.entries.len());
        Level {
            k,
            candidates,
            kept: self.entries.len() - start,
        }
    }

    /// The tree of entry `n`, as nested text.
    pub fn text(&self, n: usize) -> String {
        let mut dag = Dag::new();
        let root = self.tree(&mut dag, n);
        dag.text(root)
    }

    fn tree(&self, dag: &mut Dag, n: usize) -> Id {
        // Entries refer only to earlier ones, so building in index order needs no
        // recursion.
        let mut ids: FxHashMap<usize, Id> = FxHashMap::default();
        let mut todo = vec![n];
        let mut order = Vec::new();
        while let Some(m) = todo.pop() {
            if ids.contains_key(&m) || order.contains(&m) {
                continue;
            }
            order.push(m);
            if let Entry::Eml(a, b) = self.entries[m] {
                todo.push(a as usize);
                todo.push(b as usize);
            }
        }
        order.sort_unstable();
        for m in order {
            let id = match self.entries[m] {
                Entry::Leaf(0) => dag.one(),
                Entry::Leaf(v) => dag.var(&self.space.vars[v as usize - 1]),
                Entry::Eml(a, b) => dag.eml(ids[&(a as usize)], ids[&(b as usize)]),
            };
            ids.insert(m, id);
        }
        ids[&n]
    }

    /// Builds the meet-in-the-middle index over every kept tree.
    pub fn build_index(&mut self) {
        let na = self.space.classes[0].points.len();
        let mut cells = [(0i64, None); MAX_CELLS];
        self.index = FxHashMap::default();
        self.index.reserve(self.entries.len());
        self.chain = vec![u32::MAX; self.entries.len()];
        for n in 0..self.entries.len() {
            let vals = &self.anchors[n * na..(n + 1) * na];
            let Some(k) = anchor_cells(vals, &mut cells) else {
                continue;
            };
            let key = cells[..k].iter().fold(KEY_SEED, |h, c| key_step(h, c.0));
            if let Some(first) = self.index.insert(key, n as u32) {
                self.chain[n] = first;
            }
        }
    }

    /// The kept trees whose anchor values are within rounding of `vals`, passed to
    /// `found`.
    fn probe(&self, vals: &[Value], found: &mut dyn FnMut(u32)) {
        let mut cells = [(0i64, None); MAX_CELLS];
        let Some(n) = anchor_cells(vals, &mut cells) else {
            return;
        };
        // Every combination of each component's cell and, near a cell's edge, its
        // neighbour: a value within rounding of an edge may be stored on either side.
        let edges: Vec<usize> = (0..n).filter(|&i| cells[i].1.is_some()).collect();
        for mask in 0u32..(1 << edges.len().min(8)) {
            let mut key = KEY_SEED;
            let mut e = 0;
            for (i, &(c, other)) in cells[..n].iter().enumerate() {
                let mut v = c;
                if other.is_some() && edges.get(e) == Some(&i) {
                    if mask & (1 << e) != 0 {
                        v = other.unwrap_or(c);
                    }
                    e += 1;
                }
                key = key_step(key, v);
            }
            let mut at = self.index.get(&key).copied().unwrap_or(u32::MAX);
            while at != u32::MAX {
                found(at);
                at = self.chain[at as usize];
            }
        }
    }

    /// The shortest `eml(a, b)` of two kept trees that equals `target` on every point
    /// of the class `class` (by number), with its size: for each `a`, the `b` it
    /// needs, `exp(exp(a) - target)`, is looked up in the index (built first with
    /// [`Search::build_index`]). Trees up to twice the searched size are reached.
    pub fn meet(&self, target: &[Option<Value>], class: usize) -> Option<(u32, String)> {
        let anchor_points = &self.space.classes[0].points;
        let points = &self.space.classes[class].points;
        let np = self.space.points.len();
        let mut best: Option<(u32, usize, usize)> = None;
        let mut need = vec![NONE; anchor_points.len()];
        for a in 0..self.entries.len() {
            let ka = u32::from(self.sizes[a]);
            if best.is_some_and(|(k, _, _)| ka + 2 >= k) {
                // Trees come in increasing size: no later `a` can do better.
                break;
            }
            let mut ok = true;
            for (slot, &p) in need.iter_mut().zip(anchor_points) {
                let e = self.exps[a * np + p];
                let Some(t) = target[p] else {
                    ok = false;
                    break;
                };
                if e.re.is_nan() {
                    ok = false;
                    break;
                }
                let w = e.minus(t);
                // A principal logarithm's imaginary part lies in (-π, π].
                if w.im <= -std::f64::consts::PI || w.im > std::f64::consts::PI {
                    ok = false;
                    break;
                }
                match w.exp() {
                    Ok(b) => *slot = b,
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            let mut hits = Vec::new();
            self.probe(&need, &mut |b| hits.push(b));
            for b in hits {
                let b = b as usize;
                let k = ka + u32::from(self.sizes[b]) + 1;
                if best.is_some_and(|(bk, _, _)| k >= bk) {
                    continue;
                }
                let right = points.iter().all(|&p| {
                    let (x, y) = (self.exps[a * np + p], self.lns[b * np + p]);
                    let Some(t) = target[p] else { return false };
                    if x.re.is_nan() || y.re.is_nan() {
                        return false;
                    }
                    let v = x.minus(y);
                    let scale = 1.0 + t.re.abs().max(t.im.abs());
                    (v.re - t.re).abs() <= 1e-11 * scale && (v.im - t.im).abs() <= 1e-11 * scale
                });
                if right {
                    best = Some((k, a, b));
                }
            }
        }
        let (k, a, b) = best?;
        Some((k, format!("eml({}, {})", self.text(a), self.text(b))))
    }

    /// [`Search::meet`] one level down: the shortest `eml(c, eml(a, b))` and
    /// `eml(eml(a, b), c)` with `c` a kept tree of size at most `small` and `a`, `b`
    /// any kept trees, which reaches trees whose top splits off a small subtree. For
    /// `eml(c, B)` the `B` needed is `exp(exp(c) - target)`; for `eml(A, c)` the `A`
    /// needed is the principal `ln(target + ln c)` (other branches are not tried).
    pub fn meet2(
        &self,
        target: &[Option<Value>],
        class: usize,
        small: u32,
    ) -> Option<(u32, String)> {
        let np = self.space.points.len();
        let points = &self.space.classes[class].points;
        let mut best: Option<(u32, String)> = None;
        for c in 0..self.entries.len() {
            let kc = u32::from(self.sizes[c]);
            if kc > small {
                break;
            }
            // eml(c, B): ln B = exp(c) - target.
            let right: Vec<Option<Value>> = (0..np)
                .map(|p| {
                    let t = target[p]?;
                    let e = self.exps[c * np + p];
                    if e.re.is_nan() || !points.contains(&p) {
                        return None;
                    }
                    let w = e.minus(t);
                    if w.im <= -std::f64::consts::PI || w.im > std::f64::consts::PI {
                        return None;
                    }
                    w.exp().ok()
                })
                .collect();
            if points.iter().all(|&p| right[p].is_some())
                && let Some((k, text)) = self.meet(&right, class)
                && best.as_ref().is_none_or(|b| k + kc + 1 < b.0)
            {
                best = Some((k + kc + 1, format!("eml({}, {text})", self.text(c))));
            }
            // eml(A, c): exp(A) = target + ln c.
            let left: Vec<Option<Value>> = (0..np)
                .map(|p| {
                    let t = target[p]?;
                    let l = self.lns[c * np + p];
                    if l.re.is_nan() || !points.contains(&p) {
                        return None;
                    }
                    let w = Value::complex(t.re + l.re, t.im + l.im);
                    w.ln().ok()
                })
                .collect();
            if points.iter().all(|&p| left[p].is_some())
                && let Some((k, text)) = self.meet(&left, class)
                && best.as_ref().is_none_or(|b| k + kc + 1 < b.0)
            {
                best = Some((k + kc + 1, format!("eml({text}, {})", self.text(c))));
            }
        }
        best
    }

    /// The target named `name`'s values at every point, for [`Search::meet`].
    pub fn target_values(&self, name: &str) -> Option<Vec<Option<Value>>> {
        let t = self.targets.iter().find(|t| t.name == name)?;
        Some(
            t.values
                .iter()
                .map(|v| v.map(|(re, im)| Value::complex(re, im)))
                .collect(),
        )
    }

    /// The classes' names, by number.
    pub fn class_names(&self) -> Vec<String> {
        self.space.classes.iter().map(|c| c.name.clone()).collect()
    }

    /// The names of the targets.
    pub fn target_names(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.name.clone()).collect()
    }

    /// What has been found so far, by target then class.
    pub fn found(&self) -> Vec<Found> {
        let mut out: Vec<Found> = self
            .found
            .iter()
            .map(|(&(t, ci), &(k, n))| Found {
                target: self.targets[t].name.clone(),
                class: self.space.classes[ci].name.clone(),
                text: self.text(n),
                k,
            })
            .collect();
        out.sort_by(|a, b| (&a.target, a.k, &a.class).cmp(&(&b.target, b.k, &b.class)));
        out
    }

    /// Saves every kept tree, so that [`Search::load`] can go on from here.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            writeln!(
                w,
                "gauge-eml-search 1 vars={} k={}",
                self.space.vars.join(","),
                self.k()
            )?;
            for (r, range) in self.levels.iter().enumerate() {
                for n in range.clone() {
                    match self.entries[n] {
                        Entry::Leaf(v) => writeln!(w, "{r} L {v}")?,
                        Entry::Eml(a, b) => writeln!(w, "{r} E {a} {b}")?,
                    }
                }
            }
            w.flush()?;
        }
        std::fs::rename(tmp, path)
    }

    /// Goes on from a state [`Search::save`] wrote for the same space: the kept trees
    /// are re-evaluated (and the targets checked) size by size.
    pub fn load(space: Space, targets: Vec<Target>, path: &Path) -> Result<Search, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let head = lines
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| format!("{}: an empty state file", path.display()))?;
        let want = format!("gauge-eml-search 1 vars={} ", space.vars.join(","));
        if !head.starts_with(&want) {
            return Err(format!(
                "{}: not a search state over the variables {:?} (its first line is `{head}`)",
                path.display(),
                space.vars
            ));
        }
        let mut s = Search::new(space, targets);
        let np = s.space.points.len();
        let mut index = 0usize;
        for (ln, line) in lines.enumerate() {
            let line = line.map_err(|e| e.to_string())?;
            let bad = || {
                format!(
                    "{}:{}: expected `size L leaf` or `size E a b`",
                    path.display(),
                    ln + 2
                )
            };
            let f: Vec<&str> = line.split_whitespace().collect();
            let size: usize = f.first().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
            match f.get(1) {
                Some(&"L") => {
                    index += 1;
                    continue;
                }
                Some(&"E") => {}
                _ => return Err(bad()),
            }
            let a: usize = f.get(2).and_then(|x| x.parse().ok()).ok_or_else(bad)?;
            let b: usize = f.get(3).and_then(|x| x.parse().ok()).ok_or_else(bad)?;
            if a >= index || b >= index || size < 3 {
                return Err(bad());
            }
            while s.levels.len() <= size {
                let at = s.entries.len();
                s.levels.push(at..at);
            }
            let vals: Vec<Value> = (0..np)
                .map(|p| {
                    let (x, y) = (s.exps[a * np + p], s.lns[b * np + p]);
                    if x.re.is_nan() || y.re.is_nan() {
                        NONE
                    } else {
                        x.minus(y)
                    }
                })
                .collect();
            if !s.push(size as u32, Entry::Eml(a as u32, b as u32), &vals) {
                return Err(format!(
                    "{}:{}: a tree the state holds twice",
                    path.display(),
                    ln + 2
                ));
            }
            let end = s.entries.len();
            s.levels[size].end = end;
            index += 1;
        }
        Ok(s)
    }
}

/// A hash of values rounded to about 30 bits, with undefined points marked.
fn key<'a>(vals: impl Iterator<Item = &'a Value>) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut mix = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 31;
    };
    for v in vals {
        if v.re.is_nan() {
            mix(0xdead_beef);
            continue;
        }
        let m = v.re.abs().max(v.im.abs());
        if m == 0.0 {
            mix(0);
            mix(0);
            continue;
        }
        let e = m.log2().floor() as i32;
        let scale = (2f64).powi(30 - e);
        mix((v.re * scale).round() as i64 as u64);
        mix((v.im * scale).round() as i64 as u64);
        mix(e as u64);
    }
    h
}

/// At most this many real components in the anchor values (four complex points).
const MAX_CELLS: usize = 8;

/// The cell of each real component of the anchor values on a grid of 2^-24 in
/// the logarithm of its magnitude, and the neighbouring cell when the component lies within rounding of
/// an edge, written to `out`; returns how many, or `None` when a value is undefined.
fn anchor_cells(vals: &[Value], out: &mut [(i64, Option<i64>); MAX_CELLS]) -> Option<usize> {
    let mut n = 0;
    for v in vals.iter().take(MAX_CELLS / 2) {
        if v.re.is_nan() {
            return None;
        }
        for c in [v.re, v.im] {
            // The sign and the logarithm of the magnitude: a grid of the same
            // relative width for tiny and huge values alike; 0 is a cell of its own.
            if c == 0.0 {
                out[n] = (i64::MIN, None);
                n += 1;
                continue;
            }
            let m = c.abs().log2() * (1u64 << 24) as f64;
            let cell = m.floor();
            let slack = 0.05;
            let sign = if c < 0.0 { 1i64 << 62 } else { 0 };
            let other = if m - cell < slack {
                Some(sign + cell as i64 - 1)
            } else if cell + 1.0 - m < slack {
                Some(sign + cell as i64 + 1)
            } else {
                None
            };
            let cell = sign + cell as i64;
            out[n] = (cell, other);
            n += 1;
        }
    }
    Some(n)
}

const KEY_SEED: u64 = 0x2545_f491_4f6c_dd1d;

fn key_step(h: u64, c: i64) -> u64 {
    let mut h = h ^ c as u64;
    h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}
