//! Lowering: names, kinds, shapes and definitions turn a syntax tree into pool
//! expressions inside a workspace (the pool, the scope, facts and claims).
//!
//! May import: `diag`, `syntax`, `expr`, `print`.
//!
//! | module | job |
//! |---|---|
//! | [`workspace`] | the internal workspace: pool, sources, scope, facts, claims, loading text |
//! | [`lowerer`] | the lowerer's state and its entry points: statements and expressions |
//! | [`scope`] | the global scope, and resolving names to binders, parameters or globals |
//! | `statement` | `let` definitions, `assume` facts and claims |
//! | `value` | expressions in value, index and tensor-argument position |
//! | `apply` | calls with whole tensors: builtins elementwise, definitions row by row |
//! | `tensor` | whole-tensor expressions: broadcasting, `@`, `.T`, rows, definitions applied row by row |
//! | `call` | calls of definitions and builtins, arguments by parameter kind |
//! | `declare` | `tensor` declarations: ranks and named axis lengths |
//! | `builtin` | `sum`, `len`, arity checks and "did you mean" hints |
//! | `reduce` | `max(j, body)`, `min`, `argmax`, `argmin`: reductions over a vector |
//! | `derivative` | `diff`, `grad` and `hessian` nodes and their variables |
//! | [`prelude`] | the definitions shipped with gauge, in gauge's own language |
//!
//! The private files each add methods to [`lowerer::Lowerer`]; they share its state
//! through `pub(super)` fields, which nothing outside this module can reach.

mod apply;
mod builtin;
mod call;
mod declare;
mod derivative;
pub mod lowerer;
pub mod prelude;
mod reduce;
pub mod scope;
mod statement;
mod tensor;
mod value;
pub mod workspace;
