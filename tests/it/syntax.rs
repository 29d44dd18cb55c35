//! The syntax stage's small laws: exact number literals, the parser's precedence and
//! limits, and line and column counting.

mod number {
    use gauge::syntax::number::*;
    use num_bigint::BigInt;
    use num_rational::BigRational;

    fn q(n: i64, d: i64) -> BigRational {
        BigRational::new(n.into(), d.into())
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("2.1"), Ok(q(21, 10)));
        assert_eq!(parse_decimal("1e-3"), Ok(q(1, 1000)));
        assert_eq!(parse_decimal(".5"), Ok(q(1, 2)));
        assert_eq!(parse_decimal("6.02E2"), Ok(q(602, 1)));
        assert_eq!(parse_decimal("1e+2"), Ok(q(100, 1)));
        assert_eq!(parse_decimal("0e999"), Ok(q(0, 1)));
    }

    #[test]
    fn huge_exponents_are_refused() {
        assert_eq!(
            parse_decimal("1e99999"),
            Err(LiteralError::ExponentTooLarge)
        );
        assert_eq!(
            parse_decimal("1e99999999999999999999999"),
            Err(LiteralError::ExponentTooLarge)
        );
    }

    #[test]
    fn rationals_print_as_the_language_reads_them() {
        assert_eq!(format_rational(&q(21, 10)), "21/10");
        assert_eq!(format_rational(&q(-3, 1)), "-3");
    }

    #[test]
    fn conversion_to_f64_handles_huge_parts() {
        assert_eq!(rational_to_f64(&q(1, 3)), 1.0 / 3.0);
        let big = parse_decimal("1e400").unwrap() / parse_decimal("1e399").unwrap();
        assert_eq!(rational_to_f64(&big), 10.0);
        let tiny = parse_decimal("1e-300").unwrap();
        assert!((rational_to_f64(&tiny) - 1e-300).abs() < 1e-310);
    }

    #[test]
    fn exact_roots() {
        assert_eq!(exact_root(&BigInt::from(27), 3), Some(BigInt::from(3)));
        assert_eq!(exact_root(&BigInt::from(2), 2), None);
    }
}

mod parse {
    use gauge::diag::error::{Error, ErrorKind};
    use gauge::diag::source::SourceId;
    use gauge::syntax::parse::*;
    use gauge::syntax::tree::{Expr, ExprKind};

    fn parse(s: &str) -> Result<Expr, Error> {
        Grammar::new(s, SourceId(0)).parse_expression()
    }

    #[test]
    fn power_is_right_associative_and_binds_tighter_than_minus() {
        let e = parse("-x^2").unwrap();
        assert!(
            matches!(e.kind, ExprKind::Neg(ref inner) if matches!(inner.kind, ExprKind::Pow(..)))
        );
        let e = parse("a^b^c").unwrap();
        match e.kind {
            ExprKind::Pow(_, ref ex) => assert!(matches!(ex.kind, ExprKind::Pow(..))),
            _ => panic!("expected a power"),
        }
    }

    #[test]
    fn error_position_points_past_a_dangling_operator() {
        let e = parse("exp(x) - ").unwrap_err();
        assert_eq!(e.span().unwrap().start, 9);
    }

    #[test]
    fn nesting_is_bounded() {
        let n = gauge::syntax::parse::MAX_DEPTH;
        let deep = format!("{}x{}", "(".repeat(n + 1), ")".repeat(n + 1));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit);
        assert!(e.message.contains("nests deeper"));
        // The error is inside the `(` that is one level too many.
        assert_eq!(e.span().unwrap().start, n + 1);
        let deep = format!("{}x{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&deep).is_ok());
    }

    #[test]
    fn statements_split_outside_brackets() {
        let parts = split_statements("let f(x) = (x +\n 1)\nclaim f(1) = 2 # (\nlet g = 3");
        assert_eq!(parts.len(), 3);
    }
}

mod source {
    use gauge::diag::source::*;

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        assert_eq!(line_col("abc", 0), LineCol { line: 1, column: 1 });
        assert_eq!(line_col("ab\ncd", 4), LineCol { line: 2, column: 2 });
        assert_eq!(line_col("α+x", 3), LineCol { line: 1, column: 3 });
        assert_eq!(line_col("x", 99), LineCol { line: 1, column: 2 });
    }
}
