//! Random identities from a generator: true ones are never refuted, and false ones
//! made from them (a constant, a factor, a swapped sign, a change only far away or at
//! one point) are never confirmed.
