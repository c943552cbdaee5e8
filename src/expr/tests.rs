use super::*;

fn at(src: &str, vars: &[&str], x: &[f64]) -> f64 {
    Expr::parse(src, vars).unwrap().eval_at(x)
}

#[test]
fn precedence_and_associativity_follow_mathematics() {
    assert_eq!(at("1 + 2 * 3", &[], &[]), 7.0);
    assert_eq!(at("(1 + 2) * 3", &[], &[]), 9.0);
    assert_eq!(at("2^3^2", &[], &[]), 512.0);
    assert_eq!(at("-x^2", &["x"], &[3.0]), -9.0);
    assert_eq!(at("8 / 4 / 2", &[], &[]), 1.0);
    assert_eq!(at("10 - 4 - 3", &[], &[]), 3.0);
    assert_eq!(at("x^-2", &["x"], &[2.0]), 0.25);
    assert_eq!(at("1.5e2 + 2E-1", &[], &[]), 150.2);
}

#[test]
fn integer_powers_are_exact_for_negative_bases() {
    assert_eq!(at("x^3", &["x"], &[-2.0]), -8.0);
    // A fractional power of a negative base has no real value.
    assert!(at("x^y", &["x", "y"], &[-2.0, 2.5]).is_nan());
}

#[test]
fn free_names_become_variables_in_order_of_appearance() {
    let f = Expr::parse_free("b*sin(a) + b + pi").unwrap();
    assert_eq!(f.variables(), ["b", "a"]);
    assert!(Expr::parse_free("sin(").is_err());
}

#[test]
fn functions_and_constants() {
    let x = 0.3_f64;
    assert_eq!(at("sin(x) * exp(x)", &["x"], &[x]), x.sin() * x.exp());
    assert_eq!(at("atan2(x, 2)", &["x"], &[x]), x.atan2(2.0));
    assert_eq!(at("log(e)", &[], &[]), 1.0);
    assert_eq!(at("cos(pi)", &[], &[]), -1.0);
}

#[test]
fn trace_lists_inputs_first_then_steps_in_evaluation_order() {
    let f = Expr::parse("x*y + sin(x)", &["x", "y"]).unwrap();
    let lines: Vec<String> = (0..f.steps().len()).map(|i| f.describe(i)).collect();
    assert_eq!(
        lines,
        [
            "w1 = x",
            "w2 = y",
            "w3 = w1*w2",
            "w4 = sin(w1)",
            "w5 = w3 + w4"
        ]
    );
    assert_eq!(f.output(), 4);
}

#[test]
fn errors_say_where_and_what() {
    assert!(matches!(
        Expr::parse("x + z", &["x"]),
        Err(ExprError::UnknownVariable { position: 4, .. })
    ));
    assert!(matches!(
        Expr::parse("foo(x)", &["x"]),
        Err(ExprError::UnknownFunction { position: 0, .. })
    ));
    assert!(matches!(
        Expr::parse("atan2(x)", &["x"]),
        Err(ExprError::WrongArity {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        Expr::parse("(x + 1", &["x"]),
        Err(ExprError::Unexpected { .. })
    ));
    assert!(matches!(
        Expr::parse("x $ 1", &["x"]),
        Err(ExprError::UnexpectedChar { found: '$', .. })
    ));
    assert!(matches!(
        Expr::parse("x", &["x", "x"]),
        Err(ExprError::DuplicateVariable { .. })
    ));
    assert!(matches!(
        Expr::parse("", &["x"]),
        Err(ExprError::Unexpected { .. })
    ));
    assert!(matches!(
        Expr::parse("x y", &["x", "y"]),
        Err(ExprError::Unexpected { .. })
    ));
}

#[test]
fn nesting_is_limited_with_an_error_that_names_the_limit() {
    use super::parse::MAX_DEPTH;
    let nested = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
    // n parentheses open n + 1 levels (the outermost expression is one).
    assert!(Expr::parse(&nested(MAX_DEPTH - 1), &["x"]).is_ok());
    let err = Expr::parse(&nested(MAX_DEPTH), &["x"]).unwrap_err();
    assert_eq!(
        err,
        ExprError::TooDeep {
            position: MAX_DEPTH,
            limit: MAX_DEPTH
        }
    );
    assert!(err.to_string().contains("256 levels"), "{err}");
    // Hostile depths of every recursive rule fail the same way, without
    // overflowing the stack.
    let n = 100_000;
    let hostile = [
        nested(n),
        format!("{}x", "-".repeat(n)),
        format!("{}x", "+".repeat(n)),
        format!("{}2", "2^".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        format!("{}x{}", "atan2(1, ".repeat(n), ")".repeat(n)),
    ];
    for text in hostile {
        let err = Expr::parse(&text, &["x"]).unwrap_err();
        assert!(
            matches!(
                err,
                ExprError::TooDeep {
                    limit: MAX_DEPTH,
                    ..
                }
            ),
            "{}...: {err}",
            &text[..20]
        );
    }
}

/// Fuzz-style properties: whatever the text, parsing returns an expression
/// or an error (no panic, no stack overflow), and every derivative of an
/// expression that parses can be computed without a panic.
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Runs everything `admix diff` runs on `text`.
    fn parse_and_differentiate(text: &str) {
        let variables = ["x", "y"];
        if let Ok(f) = Expr::parse(text, &variables) {
            let x = [0.7, -1.3];
            f.derivatives(&x, true).expect("a finite point");
            f.forward_trace(&x, 0);
            f.reverse_trace(&x);
            f.step_errors(&x, 1);
        }
    }

    /// Valid expressions that mutations start from.
    const SEEDS: &[&str] = &[
        "x^3",
        "x*y + sin(x)",
        "-x^-2 + 2^3^2",
        "atan2(y, 2 + cos(x)) * exp(-x^2/2)",
        "(1 + x^2)^(0.5) - ln(1 + y^2) / 1.5e2",
        "hypot(x, y) + pi*e",
    ];

    /// Pieces the grammar knows, so that generated text gets past the tokenizer.
    const PIECES: &[&str] = &[
        "x", "y", "z", "1", "2.5", "1e308", "1e-400", ".", "e", "pi", "+", "-", "*", "/", "^", "(",
        ")", ",", " ", "sin", "atan2", "sqrt", "ln", "powi", "1e", "3^", "-7",
    ];

    /// One edit of a character vector: delete, insert, replace or duplicate.
    #[derive(Debug, Clone)]
    enum Edit {
        Delete(usize, usize),
        Insert(usize, &'static str),
        Replace(usize, char),
        Duplicate(usize, usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (any::<usize>(), 1..8usize).prop_map(|(at, n)| Edit::Delete(at, n)),
            (any::<usize>(), prop::sample::select(PIECES)).prop_map(|(at, p)| Edit::Insert(at, p)),
            (any::<usize>(), any::<char>()).prop_map(|(at, c)| Edit::Replace(at, c)),
            (any::<usize>(), 1..16usize).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        ]
    }

    fn mutate(seed: &str, edits: &[Edit]) -> String {
        let mut chars: Vec<char> = seed.chars().collect();
        for e in edits {
            let len = chars.len();
            let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
            match *e {
                Edit::Delete(i, n) => {
                    let i = at(i);
                    chars.drain(i..(i + n).min(len));
                }
                Edit::Insert(i, piece) => {
                    let i = at(i);
                    chars.splice(i..i, piece.chars());
                }
                Edit::Replace(i, c) if len > 0 => chars[i % len] = c,
                Edit::Replace(_, c) => chars.push(c),
                Edit::Duplicate(i, n) => {
                    let i = at(i);
                    let copy: Vec<char> = chars[i..(i + n).min(len)].to_vec();
                    chars.splice(i..i, copy);
                }
            }
        }
        chars.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            parse_and_differentiate(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn arbitrary_token_sequences(pieces in prop::collection::vec(prop::sample::select(PIECES), 0..120)) {
            parse_and_differentiate(&pieces.concat());
        }

        #[test]
        fn mutations_of_valid_expressions(
            seed in prop::sample::select(SEEDS),
            edits in prop::collection::vec(edit(), 1..4),
        ) {
            parse_and_differentiate(&mutate(seed, &edits));
        }
    }
}
