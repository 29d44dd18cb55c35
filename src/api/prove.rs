//! Claims through the [`Session`]: one decided at a time, or a file's, with the claims
//! that cannot be read kept in their place.

use crate::api::error::{Error, Result};
use crate::api::options::ProveOptions;
use crate::api::results::{ClaimReport, Loaded, Proofs};
use crate::api::session::Session;
use crate::diag::error::{Error as Inner, ErrorKind};

impl Session {
    /// Loads a file of claims to decide, as [`Session::load_named`] does, except that a
    /// claim that cannot be read (it does not parse, or its names clash) does not stop
    /// the file: it is kept in its place, and [`Session::prove_all`] reports it as an
    /// error while deciding the others.
    ///
    /// ```
    /// use gauge::{Verdict, options::ProveOptions};
    ///
    /// let mut s = gauge::Session::new();
    /// s.load_claims("c.gauge", "claim a: x + x = 2*x\nclaim b: x + = 1\nclaim c: x = x")?;
    /// let p = s.prove_all(&ProveOptions::new());
    /// let v: Vec<Verdict> = p.claims().iter().map(|c| c.verdict()).collect();
    /// assert_eq!(v, [Verdict::Proved, Verdict::Error, Verdict::Proved]);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn load_claims(&mut self, name: &str, text: &str) -> Result<Loaded> {
        let statements = self.with(|ws| ws.load_file_keeping_claims(name, text))?;
        Ok(Loaded {
            ws: self.ws.clone(),
            name: name.to_string(),
            statements,
        })
    }

    /// Decides a claim `lhs = rhs`: proved, confirmed by numbers, or refuted with a
    /// counterexample. Its free indices are universally quantified.
    ///
    /// ```
    /// use gauge::Verdict;
    ///
    /// let mut s = gauge::Session::new();
    /// let c = s.prove("diff(eml(x, y), y) = -1/y")?;
    /// assert_eq!(c.verdict(), Verdict::Proved);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn prove(&mut self, claim: &str) -> Result<ClaimReport> {
        self.prove_with(claim, &ProveOptions::new())
    }

    /// Decides a claim with the options' seed, re-checking a proof step by step when
    /// asked.
    ///
    /// ```
    /// use gauge::{Verdict, options::ProveOptions};
    ///
    /// let mut s = gauge::Session::new();
    /// let c = s.prove_with("sin(x)^2 + cos(x)^2 = 1", &ProveOptions::new().with_verify(true))?;
    /// assert_eq!(c.verdict(), Verdict::Proved);
    /// assert_eq!(c.checker_failure(), None);
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn prove_with(&mut self, claim: &str, opts: &ProveOptions) -> Result<ClaimReport> {
        let inner = self.query(|ws| {
            let before = ws.claims.len();
            let loaded = ws.load_file("<claim>", &format!("claim {claim}"));
            // The claim is decided here and not kept: `prove_all` decides the claims
            // that were loaded as statements.
            let claims = ws.claims.split_off(before.min(ws.claims.len()));
            loaded?;
            match claims.as_slice() {
                // A claim decided alone may cite the lemmas proved before it.
                [_] => Ok(crate::prove::lemmas::decide_all(ws, &claims, |ws, c| {
                    crate::api::adjoint::decide_claim(ws, c, opts.seed, opts.verify)
                })
                .remove(0)),
                _ => Err(Inner::new(
                    ErrorKind::Unsupported,
                    "`prove` takes one claim, `lhs = rhs`",
                )
                .with_hint("load several claims with `load` and decide them with `prove_all`")),
            }
        })?;
        Ok(ClaimReport {
            ws: self.ws.clone(),
            inner,
        })
    }

    /// Decides every claim loaded so far (by `claim` statements), each after the claims
    /// it cites as lemmas (`by name`) and otherwise in order; the reports are in order.
    ///
    /// ```
    /// use gauge::{Verdict, options::ProveOptions};
    ///
    /// let mut s = gauge::Session::new();
    /// s.load("claim a: diff(x^2, x) = 2*x\nclaim b: x = x + 1")?;
    /// let p = s.prove_all(&ProveOptions::new());
    /// assert_eq!(p.claims()[0].verdict(), Verdict::Proved);
    /// assert!(p.any(Verdict::Refuted));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn prove_all(&mut self, opts: &ProveOptions) -> Proofs {
        self.decide_from(0, opts)
    }

    /// Loads a text of statements and claims, as [`Session::load_claims`] does, and
    /// decides the claims it holds, not those loaded before: what `gauge prove FILE`
    /// prints for a file of this text.
    ///
    /// ```
    /// use gauge::{Verdict, options::ProveOptions};
    ///
    /// let mut s = gauge::Session::new();
    /// s.load("claim a: x = x")?;
    /// let p = s.prove_text("c.gauge", "let f(x) = x^2\nclaim b: diff(f(x), x) = 2*x", &ProveOptions::new())?;
    /// assert_eq!(p.claims().len(), 1);
    /// assert_eq!(p.claims()[0].name(), Some("b"));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn prove_text(&mut self, name: &str, text: &str, opts: &ProveOptions) -> Result<Proofs> {
        let before = self
            .ws
            .try_borrow()
            .map_err(|_| Error::busy())?
            .claims
            .len();
        self.load_claims(name, text)?;
        Ok(self.decide_from(before, opts))
    }

    /// Decides the claims loaded from the `from`-th on.
    fn decide_from(&mut self, from: usize, opts: &ProveOptions) -> Proofs {
        let claims = match self.ws.try_borrow_mut() {
            Ok(mut ws) => {
                ws.detail = opts.detail;
                let claims = ws.claims.get(from..).unwrap_or_default().to_vec();
                // In the order the citations need; the reports in file order.
                crate::prove::lemmas::decide_all(&mut ws, &claims, |ws, c| {
                    crate::api::adjoint::decide_claim(ws, c, opts.seed, opts.verify)
                })
            }
            Err(_) => Vec::new(),
        };
        let claims = claims
            .into_iter()
            .map(|inner| ClaimReport {
                ws: self.ws.clone(),
                inner,
            })
            .collect();
        Proofs {
            ws: self.ws.clone(),
            claims,
        }
    }
}
