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
