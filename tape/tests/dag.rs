//! Property tests on generated programs: random expression DAGs over the
//! elementary functions, differentiated by reverse mode, forward mode and
//! central differences; Jacobians by rows against forward columns; Hessians
//! by forward-over-reverse against nested duals.

use admix_dual::Scalar;
use approx::assert_relative_eq;
use proptest::prelude::*;

/// One instruction: an operation on earlier slots (indices taken modulo the
/// number of slots so far, so every program is a valid DAG with sharing).
#[derive(Clone, Debug)]
enum Instr {
    Unary(u8, usize),
    Binary(u8, usize, usize),
}

const UNARY: u8 = 10;
const BINARY: u8 = 6;

/// Elementary functions with domain guards: the argument of ln, sqrt and
/// the reciprocal is kept >= 1 by `1 + x^2`, exp gets a bounded argument,
/// so every program is smooth at every input.
fn unary<S: Scalar>(op: u8, x: S) -> S {
    let one = S::one();
    match op {
        0 => x.sin(),
        1 => x.cos(),
        2 => x.tanh(),
        3 => x.atan(),
        4 => x.tanh().exp(),
        5 => (one + x * x).ln(),
        6 => (one + x * x).sqrt(),
        7 => (one + x * x).recip(),
        8 => x.sin().powi(3),
        _ => -x,
    }
}

fn binary<S: Scalar>(op: u8, x: S, y: S) -> S {
    match op {
        0 => x + y,
        1 => x - y,
        2 => x * y.tanh(),
        3 => x / (S::one() + y * y),
        4 => (S::one() + x * x).powf(y.sin()),
        _ => x.atan2(S::constant(2.0) + y.cos()),
    }
}

/// Runs the program on `x`; returns all slots (inputs first).
fn run<S: Scalar>(program: &[Instr], x: &[S]) -> Vec<S> {
    let mut slots = x.to_vec();
    for instr in program {
        let n = slots.len();
        let v = match *instr {
            Instr::Unary(op, a) => unary(op, slots[a % n]),
            Instr::Binary(op, a, b) => binary(op, slots[a % n], slots[b % n]),
        };
        slots.push(v);
    }
    slots
}

/// The scalar output: the last slot.
fn output<S: Scalar>(program: &[Instr], x: &[S]) -> S {
    *run(program, x).last().expect("at least the inputs")
}

/// Three outputs for Jacobians: the last three slots.
fn outputs<S: Scalar>(program: &[Instr], x: &[S]) -> Vec<S> {
    let slots = run(program, x);
    slots[slots.len() - 3..].to_vec()
}

fn instr() -> impl Strategy<Value = Instr> {
    prop_oneof![
        (0..UNARY, any::<usize>()).prop_map(|(op, a)| Instr::Unary(op, a)),
        (0..BINARY, any::<usize>(), any::<usize>()).prop_map(|(op, a, b)| Instr::Binary(op, a, b)),
    ]
}

fn program_and_point() -> impl Strategy<Value = (Vec<Instr>, Vec<f64>)> {
    (
        prop::collection::vec(instr(), 3..16),
        prop::collection::vec(-2.0..2.0_f64, 1..5),
    )
}

/// Central difference of `f` along coordinate `i`, step h = eps^(1/3) (1 + |x_i|):
/// truncation h^2 |f'''| / 6 and round-off eps |f| / h are both about 1e-11
/// times the size of f and its derivatives, so 1e-6 relative to
/// `1 + |f| + |g|` is a safe, still sharp, tolerance.
fn central(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = f64::EPSILON.cbrt() * (1.0 + x[i].abs());
    let mut xp = x.to_vec();
    let mut xm = x.to_vec();
    xp[i] += h;
    xm[i] -= h;
    (f(&xp) - f(&xm)) / (xp[i] - xm[i])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Reverse mode equals forward mode to round-off (both are exact; only
    /// the order of the floating-point sums differs) and central
    /// differences to their truncation error.
    #[test]
    fn reverse_forward_and_differences_agree((program, x) in program_and_point()) {
        let (value, grad) = admix_tape::gradient_with(|v| output(&program, v), &x);
        let (fvalue, fgrad) = admix_dual::gradient(|v| output(&program, v), &x);
        prop_assert_eq!(value, output(&program, &x));
        prop_assert_eq!(value, fvalue);
        for i in 0..x.len() {
            assert_relative_eq!(grad[i], fgrad[i], max_relative = 1e-12, epsilon = 1e-12);
            let fd = central(|v| output(&program, v), &x, i);
            let scale = 1.0 + value.abs() + grad[i].abs();
            prop_assert!(
                (grad[i] - fd).abs() <= 1e-6 * scale,
                "input {}: reverse {} central {}", i, grad[i], fd
            );
        }
    }

    /// Jacobian by reverse rows equals Jacobian by forward columns.
    #[test]
    fn jacobian_rows_equal_forward_columns((program, x) in program_and_point()) {
        let (values, rows) = admix_tape::jacobian_with(|v| outputs(&program, v), &x);
        let (fvalues, cols) = admix_dual::jacobian(|v| outputs(&program, v), &x).unwrap();
        prop_assert_eq!(values, fvalues);
        for (r, c) in rows.iter().zip(&cols) {
            for (a, b) in r.iter().zip(c) {
                assert_relative_eq!(*a, *b, max_relative = 1e-12, epsilon = 1e-12);
            }
        }
    }

    /// Hessian by forward-over-reverse equals Hessian by nested duals.
    #[test]
    fn hessian_forward_over_reverse_equals_nested_duals((program, x) in program_and_point()) {
        let (value, grad, hess) = admix_tape::hessian_with(|v| output(&program, v), &x);
        let (nvalue, ngrad, nhess) = admix_dual::hessian(|v| output(&program, v), &x);
        prop_assert_eq!(value, nvalue);
        for i in 0..x.len() {
            assert_relative_eq!(grad[i], ngrad[i], max_relative = 1e-12, epsilon = 1e-12);
            for j in 0..x.len() {
                assert_relative_eq!(hess[i][j], nhess[i][j], max_relative = 1e-10, epsilon = 1e-10);
            }
        }
    }
}

/// x^3 as a fixed case of the generated family: reverse, forward, central.
#[test]
fn cube_fixed_case() {
    let cube = |x: &[f64]| x[0] * x[0] * x[0];
    for &x in &[-2.0, 0.5, 3.0] {
        let (_, g) = admix_tape::gradient_with(|v| v[0] * v[0] * v[0], &[x]);
        let (_, fg) = admix_dual::derivative(|v| v * v * v, x);
        assert_eq!(g[0], 3.0 * x * x);
        assert_eq!(fg, 3.0 * x * x);
        assert_relative_eq!(central(cube, &[x], 0), 3.0 * x * x, max_relative = 1e-9);
        let (_, _, h) = admix_tape::hessian_with(|v| v[0] * v[0] * v[0], &[x]);
        assert_eq!(h[0][0], 6.0 * x);
    }
}

/// Hessian of the Rosenbrock function against its closed form.
#[test]
fn rosenbrock_hessian_closed_form() {
    fn rosenbrock<S: Scalar>(v: &[S]) -> S {
        let b = v[1] - v[0] * v[0];
        (S::one() - v[0]).powi(2) + S::constant(100.0) * b * b
    }
    let (x, y) = (0.7, -0.4);
    let (_, _, h) = admix_tape::hessian_with(|v| rosenbrock(v), &[x, y]);
    let expected = [
        [2.0 - 400.0 * (y - 3.0 * x * x), -400.0 * x],
        [-400.0 * x, 200.0],
    ];
    for i in 0..2 {
        for j in 0..2 {
            assert_relative_eq!(h[i][j], expected[i][j], max_relative = 1e-14);
        }
    }
    let (_, _, hv) =
        admix_tape::hvp_with(|v| rosenbrock(v), &[x, y], &[1.0, 2.0]).expect("lengths agree");
    assert_relative_eq!(
        hv[0],
        expected[0][0] + 2.0 * expected[0][1],
        max_relative = 1e-14
    );
    assert_relative_eq!(
        hv[1],
        expected[1][0] + 2.0 * expected[1][1],
        max_relative = 1e-14
    );
}
