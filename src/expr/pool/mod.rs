//! The expression pool: one arena of hash-consed, canonical nodes.
//!
//! Every expression lives here as an [`ExprId`]. Nodes are built only through the
//! constructors on [`Pool`] (`add`, `mul`, `pow`, `func`, `sum`, ...), and each
//! constructor returns the canonical node for its arguments: sums and products are
//! flattened, sorted by the structural order of [`crate::expr::order`], like terms and equal
//! bases are collected, and exact constants are folded. Because equal canonical nodes are
//! interned once, structural equality is handle equality, and later stages can memoize
//! by handle.
//!
//! Constructors apply only rewrites that hold for every real value of their arguments
//! (or that merely extend the domain, such as `x/x = 1`, the usual convention for
//! rational functions). Rewrites that need a side condition belong to the simplifier.
//!
//! The pool is split by job, and every part is a child of this module, so that only the
//! pool's own constructors can reach the arena and its memo map (the one place nodes are
//! interned):
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the arena, the memo map, interned names, stored definitions, leaves, calls, derivatives and `rebuild` |
//! | `arith.rs` | canonical sums, products, powers and builtin functions, exact folding |
//! | `index.rs` | deltas, sums over an index, and the axis lengths an index selects |
//! | `free.rs` | free names and indices, and renaming an index without capture |

mod arith;
mod free;
mod guards;
mod index;

use std::cell::RefCell;
use std::rc::Rc;

use hashbrown::HashTable;
use num_bigint::BigInt;
use num_rational::BigRational;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::diag::source::Span;
use crate::expr::definition::{Definition, Reduce};
use crate::expr::form::Form;
use crate::expr::kind::Kind;
use crate::expr::node::{Constant, DefId, ExprId, Node, Symbol};
use crate::syntax::tree::IndexStyle;

pub use arith::{MAX_EXACT_BITS, is_even_integer};
pub(crate) use index::BOUND_INDEX_NAMES;

/// Some kinds of node an expression contains, as bits: each builtin function, a sum, a
/// delta, and an element (of a tensor, or of an indexed definition's call). A matcher
/// that needs one of these in its target can skip, at no cost, every expression that
/// lacks it: the 10,000 terms of a sum of exponentials hold no sum, so a pattern with a
/// sum in it is not tried on them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features(u64);

impl Features {
    const SUM: u64 = 1 << 60;
    const DELTA: u64 = 1 << 61;
    const ELEMENT: u64 = 1 << 62;

    /// The features of a node on its own, without its children.
    fn of_node(node: &Node) -> Features {
        Features(match node {
            Node::Func(f, _) => 1 << (*f as u64),
            Node::Sum { .. } => Features::SUM,
            Node::Delta(_, _) => Features::DELTA,
            Node::Elem(_, _) => Features::ELEMENT,
            Node::Call { indices, .. } if !indices.is_empty() => Features::ELEMENT,
            _ => 0,
        })
    }

    /// Both sets of features.
    pub fn union(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }

    /// Whether the expression has no sum, delta or element: its names are all scalars,
    /// and no index is bound in it.
    pub fn is_plain(self) -> bool {
        self.0 & (Features::SUM | Features::DELTA | Features::ELEMENT) == 0
    }

    /// Whether the expression has a sum in it, which binds an index.
    pub fn has_sum(self) -> bool {
        self.0 & Features::SUM != 0
    }

    /// Whether every feature of `self` is in `other`.
    pub fn within(self, other: Features) -> bool {
        self.0 & !other.0 == 0
    }
}

/// The arena of expressions, their interned names and the definitions they call.
#[derive(Debug, Default)]
pub struct Pool {
    nodes: Vec<Node>,
    heights: Vec<u32>,
    /// Each node's size written out as a tree, saturating: kept at interning, so that
    /// asking "is this smaller?" costs nothing, however large and shared the DAG.
    tree_sizes: Vec<u64>,
    /// Each node's [`Features`]: what kinds of node occur in it, kept at interning.
    features: Vec<Features>,
    /// The handle of every node by the node's hash. The table holds only handles and
    /// looks the nodes up in the arena: a map from node to handle would keep every node
    /// twice, which was half the pool's memory on a sum of 100,000 terms.
    memo: HashTable<ExprId>,
    names: Vec<Box<str>>,
    /// Every name's symbol by the name's hash; the table looks the text up in `names`,
    /// so each name is stored once.
    name_ids: HashTable<Symbol>,
    defs: Vec<Definition>,
    /// Anonymous definitions by their canonical body, parameter kinds and result
    /// ranges (and whether it is written by its element), so that the same
    /// whole-tensor expression written twice is one definition and its calls are one
    /// node.
    anonymous: FxHashMap<(ExprId, Vec<Kind>, Vec<ExprId>, bool), DefId>,
    /// Label tensors (`y` in `Z[n, y[n]]`), each with the length its values stay
    /// below when they index an axis (not in `delta(i, y[n])` alone).
    labels: FxHashMap<Symbol, Option<ExprId>>,
    /// The definitions of the reductions (`max(v)`, `argmax(v)`, ...), made on first
    /// use, in the order of [`Reduce::ALL`].
    reductions: [Option<DefId>; 4],
    /// Memoized free names per node; a cache behind `&self`, since asking which names
    /// are free does not change the pool.
    free: RefCell<Vec<Option<Rc<[Symbol]>>>>,
    fresh_counter: u32,
    /// The work done building nodes: one for each node and one for each of its
    /// children, which is what its memory and the time to build it grow with.
    work: usize,
    /// The work after which the searches under way give up, if any (see
    /// [`Pool::set_budget`]).
    work_limit: Option<usize>,
    /// While recording (see [`Pool::record_guards`]): the parts of the expressions
    /// built that the canonical forms dropped or merged away and that are not
    /// defined everywhere.
    guards: Option<Vec<ExprId>>,
    /// How the user wrote things, for printing only: never part of a node, so that
    /// `0.5` and `1/2` stay one node and equal expressions stay equal ids.
    display: Display,
}

/// How the user asked for things to print: the written form of numbers and the
/// `notation` of names. Printing reads it; no rewrite or proof does.
#[derive(Clone, Debug, Default)]
pub struct Display {
    /// Each number written as a decimal or in scientific notation (`0.044715`,
    /// `1e-3`), by its exact value, as first written: the printers show the value so.
    written: FxHashMap<BigRational, Box<str>>,
    /// Whether the user (not the prelude) wrote a decimal: only then do values that
    /// arise with unreadable fractions print as decimals.
    user_decimals: bool,
    /// The LaTeX of each name given a `notation` statement (`W` as `\mathbf{W}`).
    notation: FxHashMap<Symbol, Box<str>>,
    /// How tensor elements print in LaTeX, as the file's `notation indices` set it
    /// or a rendering's caller overrode it.
    indices: IndexStyle,
    /// The name a `tensor` declaration gave each axis length (`n` for `len(z)` after
    /// `tensor z[n]`), so that LaTeX writes `n` and sums show their bounds.
    length_names: FxHashMap<ExprId, Symbol>,
}

/// A node's hash in the memo table; the same function must hash a node when it is
/// inserted and when it is looked up, and again when the table grows.
fn node_hash(node: &Node) -> u64 {
    use std::hash::BuildHasher;
    FxBuildHasher.hash_one(node)
}

/// A name's hash in the name table.
fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    FxBuildHasher.hash_one(name)
}

/// The work one query may do building expressions before its searches give up, by
/// default, counted as one for each new node and one for each of its children: about
/// 100 MB and a few seconds. Every search that builds expressions (simplification, the
/// prover's expansions, repeated differentiation) stops at it instead of running for
/// minutes and exhausting memory.
pub const DEFAULT_BUDGET: usize = 2_000_000;

impl Pool {
    /// Creates an empty pool.
    pub fn new() -> Pool {
        Pool::default()
    }

    /// The node behind a handle.
    pub fn node(&self, id: ExprId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Lets the work that starts now build nodes worth at most `budget` (one for each
    /// node and one for each of its children) before [`Pool::over_budget`] says to
    /// stop; `None` lifts the bound.
    pub fn set_budget(&mut self, budget: Option<usize>) {
        self.work_limit = budget.map(|n| self.work.saturating_add(n));
    }

    /// What the work under way may still build (`None`: no bound), so that a bounded
    /// side task can take a budget of its own and give the rest back.
    pub fn budget_left(&self) -> Option<usize> {
        self.work_limit.map(|limit| limit.saturating_sub(self.work))
    }

    /// Whether the work under way has built more than its budget allows. Nodes are
    /// still built past it (an expression never becomes invalid); the searches that
    /// check this stop early and return what they have, which is still right.
    pub fn over_budget(&self) -> bool {
        self.work_limit.is_some_and(|limit| self.work > limit)
    }

    /// Records that the user wrote the number `value` as `text` (a decimal such as
    /// `0.044715`, or `1e-3`), so that it prints as written. The first writing of a
    /// value is kept.
    pub fn set_written(&mut self, value: &BigRational, text: &str) {
        self.display
            .written
            .entry(value.clone())
            .or_insert_with(|| text.into());
    }

    /// Notes that the user wrote a decimal (see [`Pool::user_decimals`]).
    pub fn note_user_decimal(&mut self) {
        self.display.user_decimals = true;
    }

    /// Whether the user wrote a decimal anywhere: then a value that arises with a
    /// fraction too long to read (`26829/200000`) prints as a decimal.
    pub fn user_decimals(&self) -> bool {
        self.display.user_decimals
    }

    /// How the user wrote the number `value`, if as a decimal or in scientific notation.
    pub fn written(&self, value: &BigRational) -> Option<&str> {
        self.display.written.get(value).map(|t| &**t)
    }

    /// Sets the LaTeX that the name `s` prints as (a `notation` statement); a later
    /// statement for the same name replaces an earlier one.
    pub fn set_notation(&mut self, s: Symbol, latex: &str) {
        self.display.notation.insert(s, latex.into());
    }

    /// Records that a `tensor` declaration named the axis length `len` (a
    /// [`Node::Len`]) `name`; the first name is kept.
    pub fn set_length_name(&mut self, len: ExprId, name: Symbol) {
        self.display.length_names.entry(len).or_insert(name);
    }

    /// The name a declaration gave the axis length `len`, if any.
    pub fn length_name(&self, len: ExprId) -> Option<Symbol> {
        self.display.length_names.get(&len).copied()
    }

    /// Sets how tensor elements print in LaTeX (`notation indices = brackets`, or a
    /// rendering's own choice); returns the style it replaces, so that a rendering
    /// can put the file's back.
    pub fn set_index_style(&mut self, style: IndexStyle) -> IndexStyle {
        std::mem::replace(&mut self.display.indices, style)
    }

    /// How tensor elements print in LaTeX: `z_{i}` or `z[i]`.
    pub fn index_style(&self) -> IndexStyle {
        self.display.indices
    }

    /// The LaTeX a `notation` statement gave the name `s`, if any.
    pub fn notation(&self, s: Symbol) -> Option<&str> {
        self.display.notation.get(&s).map(|t| &**t)
    }

    /// How many distinct nodes the pool holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the pool holds no node yet.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Interns a name.
    pub fn symbol(&mut self, name: &str) -> Symbol {
        if let Some(s) = self.lookup_symbol(name) {
            return s;
        }
        let s = Symbol(self.names.len() as u32);
        self.names.push(name.into());
        let names = &self.names;
        self.name_ids
            .insert_unique(name_hash(name), s, |&old| name_hash(&names[old.0 as usize]));
        s
    }

    /// The symbol for a name if it was ever interned.
    pub fn lookup_symbol(&self, name: &str) -> Option<Symbol> {
        self.name_ids
            .find(name_hash(name), |&s| &*self.names[s.0 as usize] == name)
            .copied()
    }

    /// Makes room for about `nodes` more nodes and `names` more names, so that a large
    /// input's arena and tables are allocated once at their size instead of growing by
    /// doubling, which copies every node and rehashes every handle at each step.
    pub fn reserve(&mut self, nodes: usize, names: usize) {
        self.nodes.reserve(nodes);
        self.heights.reserve(nodes);
        self.tree_sizes.reserve(nodes);
        self.features.reserve(nodes);
        let arena = &self.nodes;
        self.memo
            .reserve(nodes, |&id| node_hash(&arena[id.index()]));
        self.names.reserve(names);
        let texts = &self.names;
        self.name_ids
            .reserve(names, |&s| name_hash(&texts[s.0 as usize]));
    }

    /// The text of a name.
    pub fn name(&self, s: Symbol) -> &str {
        &self.names[s.0 as usize]
    }

    /// Stores a definition and returns its handle.
    pub fn add_definition(&mut self, def: Definition) -> DefId {
        let id = DefId(self.defs.len() as u32);
        self.defs.push(def);
        id
    }

    /// Stores an anonymous definition (one with a [`Definition::form`]) whose
    /// parameters and result indices are named canonically, or returns the one already
    /// stored with the same body, parameter kinds and result ranges.
    pub fn add_anonymous(&mut self, def: Definition) -> DefId {
        let kinds = def.params.iter().map(|p| p.kind).collect();
        // A vector written by its element prints as a reduction's `j, body`, which only
        // a reduction can take: it is never shared with a whole-tensor expression of the
        // same body.
        let indexed = matches!(def.form, Some(crate::expr::form::Form::Indexed(_)));
        let key = (def.body, kinds, def.index_ranges.clone(), indexed);
        if let Some(&id) = self.anonymous.get(&key) {
            return id;
        }
        let id = self.add_definition(def);
        self.anonymous.insert(key, id);
        id
    }

    /// The length the values of the label tensor `s` stay below, if `s` indexes an
    /// axis somewhere (`y` in `Z[n, y[n]]` ranges below `len(Z, 1)`).
    pub fn label_range(&self, s: Symbol) -> Option<ExprId> {
        self.labels.get(&s).copied().flatten()
    }

    /// Records that the values of the tensor `s` are used as indices, below `len` when
    /// they index an axis of that length; returns the length recorded before when it
    /// was another (the two must then be equal).
    pub fn set_label_range(&mut self, s: Symbol, len: Option<ExprId>) -> Option<ExprId> {
        let old = self.labels.get(&s).copied().flatten();
        match (old, len) {
            (Some(o), Some(l)) if o != l => Some(o),
            (None, l) => {
                self.labels.insert(s, l);
                None
            }
            _ => None,
        }
    }

    /// Whether the values of the tensor `s` are used as indices.
    pub fn is_label(&self, s: Symbol) -> bool {
        self.labels.contains_key(&s)
    }

    /// Every stored definition, named or anonymous, in the order they were made.
    pub fn definitions(&self) -> impl Iterator<Item = &Definition> {
        self.defs.iter()
    }

    /// Every anonymous definition stored, in no particular order.
    pub fn anonymous_definitions(&self) -> Vec<DefId> {
        self.anonymous.values().copied().collect()
    }

    /// The definition of a reduction over a vector, made on first use: one tensor
    /// parameter of rank 1, no result indices, and a body that is a placeholder (a
    /// name no point binds), since no formula writes a maximum. Nothing expands its
    /// calls ([`Pool::call_subst`] declines them).
    pub fn reduction(&mut self, r: Reduce, span: Span) -> DefId {
        let slot = Reduce::ALL.iter().position(|&x| x == r).unwrap_or(0);
        if let Some(id) = self.reductions[slot] {
            return id;
        }
        let name = self.symbol(r.name());
        let v = self.symbol("%v");
        let placeholder = self.symbol(&format!("%{}", r.name()));
        let body = self.sym(placeholder);
        let id = self.add_definition(Definition {
            name,
            params: vec![crate::expr::definition::Param {
                name: v,
                kind: Kind::Tensor(1),
                range: None,
                lengths: Vec::new(),
            }],
            indices: Vec::new(),
            index_ranges: Vec::new(),
            equal_lengths: Vec::new(),
            labels: Vec::new(),
            body,
            builtin: None,
            span,
            form: None,
            reduce: Some(r),
        });
        self.reductions[slot] = Some(id);
        id
    }

    /// The reduction a definition is, if it is one.
    pub fn reduction_of(&self, def: DefId) -> Option<Reduce> {
        self.defs[def.0 as usize].reduce
    }

    /// The reduction a node calls and the vector it reduces, if it is such a call.
    pub fn as_reduction(&self, id: ExprId) -> Option<(Reduce, ExprId)> {
        match self.node(id) {
            Node::Call { def, args, .. } => Some((self.reduction_of(*def)?, *args.first()?)),
            _ => None,
        }
    }

    /// A stored definition.
    pub fn definition(&self, id: DefId) -> &Definition {
        &self.defs[id.0 as usize]
    }

    /// The one place nodes enter the arena: returns the existing handle of an equal node,
    /// so callers must pass canonical nodes (the constructors in this module and its
    /// children do).
    fn intern(&mut self, node: Node) -> ExprId {
        let hash = node_hash(&node);
        if let Some(&id) = self.memo.find(hash, |&id| self.nodes[id.index()] == node) {
            return id;
        }
        let id = ExprId(self.nodes.len() as u32);
        let (height, size) = self.measures_of(&node);
        self.heights.push(height);
        self.tree_sizes.push(size);
        self.work = self
            .work
            .saturating_add(1 + crate::expr::node::children(&node).len());
        let own = Features::of_node(&node);
        let features = crate::expr::node::children(&node)
            .into_iter()
            .fold(own, |acc, c| acc.union(self.features[c.index()]));
        self.features.push(features);
        self.nodes.push(node);
        let nodes = &self.nodes;
        self.memo
            .insert_unique(hash, id, |&old| node_hash(&nodes[old.index()]));
        id
    }

    /// The handle of a node already interned, if it is.
    fn interned(&self, node: &Node) -> Option<ExprId> {
        self.memo
            .find(node_hash(node), |&id| self.nodes[id.index()] == *node)
            .copied()
    }

    /// A node's height (0 for a leaf, else one more than its tallest child) and its size
    /// written out as a tree (one more than its children's, saturating).
    fn measures_of(&self, node: &Node) -> (u32, u64) {
        let (mut tallest, mut size) = (0u32, 1u64);
        let mut child = |id: &ExprId| {
            tallest = tallest.max(self.heights[id.index()]);
            size = size.saturating_add(self.tree_sizes[id.index()]);
        };
        match node {
            Node::Elem(_, xs) | Node::Add(xs) | Node::Mul(xs) => xs.iter().for_each(child),
            Node::Pow(a, b)
            | Node::Delta(a, b)
            | Node::Sum {
                range: a, body: b, ..
            }
            | Node::Diff {
                expr: a, var: b, ..
            } => {
                child(a);
                child(b);
            }
            Node::Func(_, a) => child(a),
            Node::Call { args, indices, .. } => args.iter().chain(indices.iter()).for_each(child),
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => return (0, 1),
        }
        (tallest + 1, size)
    }

    /// The size of an expression written out as a tree (a repeated subexpression counts
    /// each time), kept for every node as it is made, so that asking costs nothing
    /// however large the expression: the simplifier asks at every node which of two
    /// forms is smaller. Saturates at `u64::MAX` instead of overflowing.
    pub fn tree_size(&self, id: ExprId) -> u64 {
        self.tree_sizes[id.index()]
    }

    /// The height of an expression (0 for a leaf, else one more than its tallest child);
    /// the structural order uses it
    /// to tell deep expressions apart without walking down them.
    pub fn height(&self, id: ExprId) -> u32 {
        self.heights[id.index()]
    }

    /// The kinds of node that occur in an expression (see [`Features`]).
    pub fn features(&self, id: ExprId) -> Features {
        self.features[id.index()]
    }

    // ----- leaves -------------------------------------------------------------------

    /// An exact rational number.
    pub fn num(&mut self, r: BigRational) -> ExprId {
        self.intern(Node::Num(r))
    }

    /// An integer.
    pub fn int(&mut self, n: i64) -> ExprId {
        self.num(BigRational::from_integer(n.into()))
    }

    /// A rational `n/d` (d must not be 0).
    pub fn rational(&mut self, n: i64, d: i64) -> ExprId {
        self.num(BigRational::new(n.into(), d.into()))
    }

    /// `pi` or `e`.
    pub fn constant(&mut self, c: Constant) -> ExprId {
        self.intern(Node::Const(c))
    }

    /// A scalar variable.
    pub fn sym(&mut self, s: Symbol) -> ExprId {
        self.intern(Node::Sym(s))
    }

    /// An index variable.
    pub fn index(&mut self, s: Symbol) -> ExprId {
        self.intern(Node::Index(s))
    }

    /// A whole tensor (a definition argument).
    pub fn tensor(&mut self, s: Symbol) -> ExprId {
        self.intern(Node::Tensor(s))
    }

    /// A tensor element.
    pub fn elem(&mut self, tensor: Symbol, indices: Vec<ExprId>) -> ExprId {
        self.intern(Node::Elem(tensor, indices.into_boxed_slice()))
    }

    /// The length of axis `axis` of a tensor.
    pub fn len_of(&mut self, tensor: Symbol, axis: u32) -> ExprId {
        self.intern(Node::Len(tensor, axis))
    }

    /// The number a node is, if it is one.
    pub fn as_num(&self, id: ExprId) -> Option<&BigRational> {
        match self.node(id) {
            Node::Num(r) => Some(r),
            _ => None,
        }
    }

    /// Whether a node is the number `value`.
    pub fn is_int(&self, id: ExprId, value: i64) -> bool {
        self.as_num(id)
            .is_some_and(|r| r.is_integer() && r.numer() == &BigInt::from(value))
    }

    // ----- calls, derivatives and rebuilding ----------------------------------------

    /// A call of a definition. An element of an anonymous definition that only selects
    /// or transposes a tensor (`Z[n, :]`, `X.T`) is that tensor's element: there is no
    /// arithmetic to keep a name for, and `Z[n, :][j]` is `Z[n, j]`. So is an element of
    /// a vector written by its element (a reduction's `j, body`): it is the body at the
    /// index, which is how the user wrote it.
    pub fn call(&mut self, def: DefId, args: Vec<ExprId>, indices: Vec<ExprId>) -> ExprId {
        let d = &self.defs[def.0 as usize];
        let bakes = d.form.is_some()
            && d.params
                .iter()
                .zip(&args)
                .any(|(p, &a)| self.written_in(p.kind, a));
        if bakes {
            let (def, args) = self.specialize(def, &args);
            return self.call(def, args, indices);
        }
        let direct = !indices.is_empty()
            && self.defs[def.0 as usize]
                .form
                .as_ref()
                .is_some_and(|f| f.is_direct() || matches!(f, Form::Indexed(_)));
        let call = self.intern(Node::Call {
            def,
            args: args.into_boxed_slice(),
            indices: indices.into_boxed_slice(),
        });
        if direct {
            return self.expand_call(call).unwrap_or(call);
        }
        call
    }

    /// Whether [`Pool::specialize`] writes an argument for a parameter of `kind` into
    /// an anonymous body: an index argument that is not an index name (`0`, `y[n]`).
    fn written_in(&self, kind: Kind, arg: ExprId) -> bool {
        kind == Kind::Index && !matches!(self.nodes[arg.index()], Node::Index(_))
    }

    /// An anonymous definition with every index argument that is not an index name
    /// written into its body: the definition that lowering the call's written form would
    /// make, so that `softmax(A[0, :])` is one node however it came about (written so,
    /// or a row `A[n, :]` with n = 0 substituted). The remaining parameters are
    /// renumbered.
    ///
    /// Scalar and tensor arguments are never written in. They are the parameters of a
    /// named definition that its body's whole-tensor expressions use (`Z` in
    /// `let f(Z) = sum(n, log_softmax(Z[n, :])[1])`): written into the anonymous body,
    /// `Z` would be out of reach when `f` is called with another tensor, however the
    /// body was rebuilt before that call (renaming a bound index rebuilds it). As
    /// arguments, calling `f` substitutes into them.
    fn specialize(&mut self, def: DefId, args: &[ExprId]) -> (DefId, Vec<ExprId>) {
        let d = self.defs[def.0 as usize].clone();
        let mut subst = crate::expr::subst::Subst::default();
        let mut params = Vec::new();
        let mut kept = Vec::new();
        for (p, &a) in d.params.iter().zip(args) {
            if !self.written_in(p.kind, a) {
                let name = self.symbol(&format!("%p{}", params.len()));
                match p.kind {
                    Kind::Index => {
                        let new = self.index(name);
                        subst.indices.insert(p.name, new);
                    }
                    Kind::Scalar => {
                        let new = self.sym(name);
                        subst.scalars.insert(p.name, new);
                    }
                    Kind::Tensor(_) => {
                        let new = self.tensor(name);
                        subst.tensors.insert(p.name, new);
                    }
                }
                params.push(crate::expr::definition::Param {
                    name,
                    kind: p.kind,
                    range: p.range,
                    lengths: p.lengths.clone(),
                });
                kept.push(a);
                continue;
            }
            match p.kind {
                Kind::Scalar => subst.scalars.insert(p.name, a),
                Kind::Index => subst.indices.insert(p.name, a),
                Kind::Tensor(_) => subst.tensors.insert(p.name, a),
            };
        }
        let body = self.substitute(d.body, &subst);
        for p in &mut params {
            p.range = p.range.map(|r| self.substitute(r, &subst));
        }
        let ranges = d
            .index_ranges
            .iter()
            .map(|&r| self.substitute(r, &subst))
            .collect();
        let form = d
            .form
            .as_ref()
            .map(|f| f.map_leaves(&mut |leaf| self.substitute(leaf, &subst)));
        let special = Definition {
            params,
            index_ranges: ranges,
            body,
            form,
            ..d
        };
        (self.add_anonymous(special), kept)
    }

    /// An unevaluated derivative; `order` 0 is the expression itself and repeated
    /// derivatives in the same variable merge (`diff(diff(f, x), x) = diff(f, x, 2)`)
    /// while the merged order stays within the language's limit, so that it prints as
    /// text the parser accepts.
    pub fn diff(&mut self, expr: ExprId, var: ExprId, order: u32) -> ExprId {
        if order == 0 {
            return expr;
        }
        if let Node::Diff {
            expr: inner,
            var: v,
            order: k,
        } = self.node(expr).clone()
            && v == var
            && k.saturating_add(order) <= crate::expr::node::MAX_DIFF_ORDER
        {
            return self.intern(Node::Diff {
                expr: inner,
                var,
                order: k + order,
            });
        }
        self.intern(Node::Diff { expr, var, order })
    }

    /// Rebuilds a node with new children, given in the order of
    /// [`crate::expr::node::children`], through the canonical constructors. Rewriting passes
    /// map the children and call this, so each pass is one short recursion.
    pub fn rebuild(&mut self, id: ExprId, kids: &[ExprId]) -> ExprId {
        match self.node(id).clone() {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => id,
            Node::Elem(s, _) => self.elem(s, kids.to_vec()),
            Node::Add(_) => self.add(kids.to_vec()),
            Node::Mul(_) => self.mul(kids.to_vec()),
            Node::Pow(_, _) => self.pow(kids[0], kids[1]),
            Node::Func(f, _) => self.func(f, kids[0]),
            Node::Delta(_, _) => self.delta(kids[0], kids[1]),
            Node::Sum { index, .. } => self.sum(index, kids[0], kids[1]),
            Node::Call { def, args, .. } => {
                let (a, i) = kids.split_at(args.len());
                self.call(def, a.to_vec(), i.to_vec())
            }
            Node::Diff { order, .. } => self.diff(kids[0], kids[1], order),
        }
    }
}
