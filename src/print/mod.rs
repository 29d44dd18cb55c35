//! Printing: the plain-text printer that round-trips through the parser, and LaTeX.
//!
//! May import: `diag`, `syntax`, `expr`.

pub mod latex;
pub mod number;
pub mod text;

/// How much of a derivation to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Detail {
    /// Steps grouped as a textbook groups them: a definition, the chain rule, a known
    /// derivative, "simplify"; recurring calls named.
    Brief,
    /// Each round of rules a row; calls of functions kept whole and differentiated in
    /// one step; recurring calls named.
    Normal,
    /// Every definition written out, every rule a row: what `--steps` shows.
    #[default]
    Full,
}

impl Detail {
    /// The detail named `brief`, `normal` or `full`.
    pub fn parse(name: &str) -> Option<Detail> {
        match name {
            "brief" => Some(Detail::Brief),
            "normal" => Some(Detail::Normal),
            "full" => Some(Detail::Full),
            _ => None,
        }
    }
}
