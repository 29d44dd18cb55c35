//! gauge's integration tests, one binary with a module per feature (linking the crate
//! once instead of once per file).
//!
//! Tests that run the `gauge` binary use `common::gauge`; tests of a stage reach it
//! through the crate's hidden stage modules.

mod adjoint;
mod architecture;
mod backward;
mod batch;
mod calculus;
mod calculus_props;
mod canonical;
mod check;
mod check_scale;
mod check_soundness;
mod cli;
mod cli_args;
mod codegen;
mod common;
mod cse;
mod deep;
mod eml;
mod eml_mpmath;
mod eml_reference;
mod equalities;
mod eval;
mod facade;
mod files;
mod gathers;
mod generated;
mod grammar;
mod identities;
mod latex;
mod latex_engines;
mod layers;
mod layers_adjoint;
mod lemmas;
mod markdown;
mod meet;
mod norms;
mod oracle_props;
mod precise;
mod prove;
mod readable;
mod reductions;
mod reference;
mod robustness;
mod roll;
mod roundtrip;
mod shifts;
mod simplify;
mod soundness;
mod syntax;
mod tables;
mod tape;
mod tensor_forms;
mod values;
mod verify;
mod written;
