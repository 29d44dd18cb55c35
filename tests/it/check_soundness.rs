//! Soundness of `check`'s numeric verdicts: wrong gradients fail and right ones pass,
//! class by class (tolerance tied to the dtype, kinks found by search, oracles that
//! share no derivative table).
