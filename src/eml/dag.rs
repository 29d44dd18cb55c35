//! The EML DAG: trees over `1`, the variables and `eml(a, b)`, hash-consed so that a
//! repeated subtree is one node.
//!
//! Sizes follow the paper. `K` is the RPN length of the *tree* the DAG stands for
//! (leaves plus eml nodes, Mathematica's LeafCount), so sharing does not make it
//! smaller: `K(eml(x, 1)) = 3`, `K(ln x) = 7`. Because a DAG can stand for a tree of
//! astronomical size, `K` is a big integer. Depth counts eml levels (a leaf has depth
//! 0), and the distinct nodes are the DAG's own size.

use std::fmt::Write as _;

use num_bigint::BigUint;
use rustc_hash::FxHashMap;

/// A handle to a node of a [`Dag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(u32);

impl Id {
    /// The node's position in its DAG.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One node: the constant 1, a variable (by its number in the DAG's list of names),
/// or `eml(a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// The constant 1.
    One,
    /// The variable with this number.
    Var(u16),
    /// `exp(a) - ln(b)`.
    Eml(Id, Id),
}

/// A hash-consed store of EML nodes. Children always come before their parents.
#[derive(Clone, Debug, Default)]
pub struct Dag {
    nodes: Vec<Node>,
    index: FxHashMap<Node, Id>,
    vars: Vec<String>,
}

/// An error in EML text: where, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The byte offset of the problem.
    pub offset: usize,
    /// What was expected there.
    pub message: String,
}

impl Dag {
    /// An empty DAG.
    pub fn new() -> Dag {
        Dag::default()
    }

    /// The number of distinct nodes stored.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node behind a handle.
    pub fn node(&self, id: Id) -> Node {
        self.nodes[id.index()]
    }

    /// The variables' names, by number.
    pub fn vars(&self) -> &[String] {
        &self.vars
    }

    fn intern(&mut self, node: Node) -> Id {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = Id(u32::try_from(self.nodes.len()).expect("an EML DAG of fewer than 2^32 nodes"));
        self.nodes.push(node);
        self.index.insert(node, id);
        id
    }

    /// The constant 1.
    pub fn one(&mut self) -> Id {
        self.intern(Node::One)
    }

    /// The variable named `name`, added to the list of names if new.
    pub fn var(&mut self, name: &str) -> Id {
        let k = match self.vars.iter().position(|v| v == name) {
            Some(k) => k,
            None => {
                self.vars.push(name.to_string());
                self.vars.len() - 1
            }
        };
        self.intern(Node::Var(k as u16))
    }

    /// `eml(a, b)`.
    pub fn eml(&mut self, a: Id, b: Id) -> Id {
        self.intern(Node::Eml(a, b))
    }

    /// `exp(a)`, which is `eml(a, 1)`.
    pub fn exp(&mut self, a: Id) -> Id {
        let one = self.one();
        self.eml(a, one)
    }

    /// The nodes reachable from `root`, children before parents.
    pub fn reachable(&self, root: Id) -> Vec<Id> {
        let mut seen = vec![false; self.nodes.len()];
        let mut order = Vec::new();
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if expanded {
                order.push(id);
                continue;
            }
            if std::mem::replace(&mut seen[id.index()], true) {
                continue;
            }
            stack.push((id, true));
            if let Node::Eml(a, b) = self.node(id) {
                stack.push((b, false));
                stack.push((a, false));
            }
        }
        order
    }

    /// The sizes of the tree `root` stands for.
    pub fn measure(&self, root: Id) -> Measure {
        let order = self.reachable(root);
        let mut k: FxHashMap<Id, BigUint> = FxHashMap::default();
        let mut depth: FxHashMap<Id, u32> = FxHashMap::default();
        for &id in &order {
            let (kk, d) = match self.node(id) {
                Node::One | Node::Var(_) => (BigUint::from(1u32), 0),
                Node::Eml(a, b) => (&k[&a] + &k[&b] + 1u32, 1 + depth[&a].max(depth[&b])),
            };
            k.insert(id, kk);
            depth.insert(id, d);
        }
        Measure {
            k: k.remove(&root).unwrap_or_default(),
            depth: depth[&root],
            distinct: order.len(),
        }
    }

    /// The tree's `K` when it fits in a `u64`.
    pub fn k_u64(&self, root: Id) -> Option<u64> {
        u64::try_from(self.measure(root).k).ok()
    }

    /// Copies the tree `root` of `other` into this DAG, with `other`'s variables
    /// replaced by the nodes `args` gives for them (by their number in `other`).
    pub fn splice(&mut self, other: &Dag, root: Id, args: &[Id]) -> Id {
        let mut map: FxHashMap<Id, Id> = FxHashMap::default();
        for id in other.reachable(root) {
            let new = match other.node(id) {
                Node::One => self.one(),
                Node::Var(k) => args[k as usize],
                Node::Eml(a, b) => self.eml(map[&a], map[&b]),
            };
            map.insert(id, new);
        }
        map[&root]
    }

    /// The nested text `eml(1, eml(x, 1))`.
    pub fn text(&self, root: Id) -> String {
        self.text_with(root, &FxHashMap::default(), true)
    }

    /// The subtrees worth a name of their own: eml nodes used more than once in the
    /// DAG below `root`, in the order they must be bound (children first).
    pub fn shared(&self, root: Id) -> Vec<Id> {
        let order = self.reachable(root);
        let mut uses: FxHashMap<Id, usize> = FxHashMap::default();
        for &id in &order {
            if let Node::Eml(a, b) = self.node(id) {
                *uses.entry(a).or_default() += 1;
                *uses.entry(b).or_default() += 1;
            }
        }
        order
            .into_iter()
            .filter(|&id| id != root && matches!(self.node(id), Node::Eml(..)))
            .filter(|id| uses.get(id).copied().unwrap_or(0) > 1)
            .filter(|&id| !self.is_exp_of_leaf(id))
            .collect()
    }

    /// `eml(leaf, 1)`: short enough to repeat rather than name.
    fn is_exp_of_leaf(&self, id: Id) -> bool {
        match self.node(id) {
            Node::Eml(a, b) => !matches!(self.node(a), Node::Eml(..)) && self.node(b) == Node::One,
            _ => false,
        }
    }

    /// The DAG as `let` bindings: one line per shared subtree (`t1 = eml(x, 1)`), then
    /// the result in terms of them. Names are `t1`, `t2`, ... skipping any that is a
    /// variable's name.
    pub fn bindings(&self, root: Id) -> (Vec<(String, String)>, String) {
        let shared = self.shared(root);
        let mut names: FxHashMap<Id, String> = FxHashMap::default();
        let mut next = 1usize;
        let mut lines = Vec::new();
        for id in shared {
            let name = loop {
                let n = format!("t{next}");
                next += 1;
                if !self.vars.contains(&n) {
                    break n;
                }
            };
            let body = self.text_with(id, &names, true);
            lines.push((name.clone(), body));
            names.insert(id, name);
        }
        let result = self.text_with(root, &names, true);
        (lines, result)
    }

    /// Nested text in which the named nodes print as their names (`root` itself is
    /// written out when `expand_root`).
    fn text_with(&self, root: Id, names: &FxHashMap<Id, String>, expand_root: bool) -> String {
        let mut out = String::new();
        let mut work = vec![Piece::Node(root)];
        let mut first = true;
        while let Some(p) = work.pop() {
            match p {
                Piece::Text(s) => out.push_str(s),
                Piece::Node(id) => {
                    let top = std::mem::replace(&mut first, false);
                    if let Some(n) = names.get(&id).filter(|_| !(top && expand_root)) {
                        out.push_str(n);
                        continue;
                    }
                    match self.node(id) {
                        Node::One => out.push('1'),
                        Node::Var(k) => out.push_str(&self.vars[k as usize]),
                        Node::Eml(a, b) => {
                            out.push_str("eml(");
                            work.push(Piece::Text(")"));
                            work.push(Piece::Node(b));
                            work.push(Piece::Text(", "));
                            work.push(Piece::Node(a));
                        }
                    }
                }
            }
        }
        out
    }

    /// The tree in LaTeX, `\operatorname{eml}(1, x)`, with shared subtrees named
    /// `t_1, t_2, ...` in an `aligned` block when there are any.
    pub fn latex(&self, root: Id) -> String {
        let (lines, result) = self.bindings(root);
        let tex = |s: &str| {
            let mut t = s.replace("eml(", "\\operatorname{eml}(");
            // `t12` reads as t_{12}.
            let mut out = String::new();
            let mut chars = t.drain(..).peekable();
            let mut prev_alpha = false;
            while let Some(c) = chars.next() {
                if c == 't' && !prev_alpha && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    out.push_str("t_{");
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        out.push(d);
                        chars.next();
                    }
                    out.push('}');
                    prev_alpha = false;
                    continue;
                }
                prev_alpha = c.is_ascii_alphanumeric() || c == '\\' || c == '_';
                out.push(c);
            }
            out
        };
        if lines.is_empty() {
            return tex(&result);
        }
        let mut out = String::from("\\begin{aligned}\n");
        for (name, body) in &lines {
            let _ = writeln!(out, "{} &= {} \\\\", tex(name), tex(body));
        }
        let _ = writeln!(out, "f &= {}", tex(&result));
        out.push_str("\\end{aligned}");
        out
    }

    /// Reads nested EML text (`eml(1, eml(x, 1))`): the constant `1`, names, and
    /// `eml(a, b)`. Returns the root.
    pub fn parse(&mut self, text: &str) -> Result<Id, ParseError> {
        let bytes = text.as_bytes();
        let mut pos = 0usize;
        // An explicit stack: a form from the table can nest thousands of levels deep.
        enum Frame {
            Left,
            Right(Id),
        }
        let mut frames: Vec<Frame> = Vec::new();
        let skip = |pos: &mut usize| {
            while *pos < bytes.len() && bytes[*pos].is_ascii_whitespace() {
                *pos += 1;
            }
        };
        let expect = |pos: &mut usize, c: u8, what: &str| -> Result<(), ParseError> {
            skip(pos);
            if bytes.get(*pos) == Some(&c) {
                *pos += 1;
                Ok(())
            } else {
                Err(ParseError {
                    offset: *pos,
                    message: format!("expected {what}"),
                })
            }
        };
        loop {
            skip(&mut pos);
            // One operand.
            let start = pos;
            while pos < bytes.len() && (bytes[pos].is_ascii_alphanumeric() || bytes[pos] == b'_') {
                pos += 1;
            }
            let word = &text[start..pos];
            let mut value = match word {
                "" => {
                    return Err(ParseError {
                        offset: start,
                        message: "expected `1`, a variable or `eml(`".into(),
                    });
                }
                "eml" => {
                    expect(&mut pos, b'(', "`(` after `eml`")?;
                    frames.push(Frame::Left);
                    continue;
                }
                "1" => self.one(),
                w if w.as_bytes()[0].is_ascii_alphabetic() => self.var(w),
                _ => {
                    return Err(ParseError {
                        offset: start,
                        message: format!("`{word}` is not `1` or a variable name"),
                    });
                }
            };
            // Close every frame this operand completes.
            loop {
                match frames.pop() {
                    None => {
                        skip(&mut pos);
                        if pos != bytes.len() {
                            return Err(ParseError {
                                offset: pos,
                                message: "expected the end of the text".into(),
                            });
                        }
                        return Ok(value);
                    }
                    Some(Frame::Left) => {
                        expect(&mut pos, b',', "`,` between eml's two arguments")?;
                        frames.push(Frame::Right(value));
                        break;
                    }
                    Some(Frame::Right(a)) => {
                        expect(&mut pos, b')', "`)` closing `eml(`")?;
                        value = self.eml(a, value);
                    }
                }
            }
        }
    }
}

/// The sizes the paper reports, and the DAG's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    /// The RPN length of the tree: leaves plus eml nodes.
    pub k: BigUint,
    /// eml levels; a leaf has depth 0.
    pub depth: u32,
    /// Distinct nodes in the DAG.
    pub distinct: usize,
}

/// A piece of printed output, for printing without recursion.
enum Piece {
    Node(Id),
    Text(&'static str),
}
