//! Scalar tape: closed-form derivatives, constants, bad input, threads, reuse.

#[path = "../benches/common/rosenbrock.rs"]
mod rosenbrock;

use admix_dual::{Scalar, ScalarFn, VectorFn};
use admix_tape::{gradient, jacobian, GradientTape, Tape, Var};
use approx::assert_relative_eq;
use num_traits::Float;
use rosenbrock::{array_gradient, array_gradient_on, hand_gradient, Rosenbrock};

/// The lecture's fixed case: d/dx x^3 = 3x^2, exact to round-off at every x.
#[test]
fn cube_is_exact() {
    for &x in &[-3.0, -0.1, 0.0, 1e-8, 2.5, 1e5] {
        let (v, g) = admix_tape::gradient_with(|x| x[0] * x[0] * x[0], &[x]);
        assert_eq!(v, x * x * x);
        assert_relative_eq!(g[0], 3.0 * x * x, max_relative = 1e-15);
        let (_, g) = admix_tape::gradient_with(|x| x[0].powi(3), &[x]);
        assert_relative_eq!(g[0], 3.0 * x * x, max_relative = 1e-15);
    }
}

type Unary = for<'t> fn(Var<'t, f64>) -> Var<'t, f64>;

/// Every elementary function against its textbook derivative.
#[test]
fn elementary_functions_match_closed_forms() {
    let x = 0.3_f64;
    let cases: Vec<(&str, Unary, f64)> = vec![
        ("sin", |v| v.sin(), x.cos()),
        ("cos", |v| v.cos(), -x.sin()),
        ("tan", |v| v.tan(), 1.0 / (x.cos() * x.cos())),
        ("exp", |v| v.exp(), x.exp()),
        ("exp2", |v| v.exp2(), x.exp2() * std::f64::consts::LN_2),
        ("exp_m1", |v| v.exp_m1(), x.exp()),
        ("ln", |v| v.ln(), 1.0 / x),
        ("ln_1p", |v| v.ln_1p(), 1.0 / (1.0 + x)),
        ("log2", |v| v.log2(), 1.0 / (x * std::f64::consts::LN_2)),
        ("log10", |v| v.log10(), 1.0 / (x * std::f64::consts::LN_10)),
        (
            "log base 3",
            |v| v.log(Var::constant(3.0)),
            1.0 / (x * 3f64.ln()),
        ),
        ("sqrt", |v| v.sqrt(), 0.5 / x.sqrt()),
        ("cbrt", |v| v.cbrt(), x.powf(-2.0 / 3.0) / 3.0),
        ("recip", |v| v.recip(), -1.0 / (x * x)),
        ("powi(-2)", |v| v.powi(-2), -2.0 / (x * x * x)),
        (
            "powf(2.5)",
            |v| v.powf(Var::constant(2.5)),
            2.5 * x.powf(1.5),
        ),
        ("x^x", |v| v.powf(v), x.powf(x) * (x.ln() + 1.0)),
        ("asin", |v| v.asin(), 1.0 / (1.0 - x * x).sqrt()),
        ("acos", |v| v.acos(), -1.0 / (1.0 - x * x).sqrt()),
        ("atan", |v| v.atan(), 1.0 / (1.0 + x * x)),
        ("sinh", |v| v.sinh(), x.cosh()),
        ("cosh", |v| v.cosh(), x.sinh()),
        ("tanh", |v| v.tanh(), 1.0 / (x.cosh() * x.cosh())),
        ("asinh", |v| v.asinh(), 1.0 / (x * x + 1.0).sqrt()),
        (
            "acosh(1+x)",
            |v| (v + 1.0).acosh(),
            1.0 / ((1.0 + x).powi(2) - 1.0).sqrt(),
        ),
        ("atanh", |v| v.atanh(), 1.0 / (1.0 - x * x)),
        ("abs(-x)", |v| (-v).abs(), 1.0),
        (
            "hypot(x, 2)",
            |v| v.hypot(Var::constant(2.0)),
            x / (x * x + 4.0).sqrt(),
        ),
        (
            "atan2(x, 2)",
            |v| v.atan2(Var::constant(2.0)),
            2.0 / (x * x + 4.0),
        ),
        (
            "atan2(2, x)",
            |v| Var::constant(2.0).atan2(v),
            -2.0 / (x * x + 4.0),
        ),
        ("2 % x", |v| Var::constant(2.0) % v, -(2.0 / x).trunc()),
        ("x / 7", |v| v / 7.0, 1.0 / 7.0),
        ("7 / x", |v| 7.0 / v, -7.0 / (x * x)),
        ("7 - x", |v| 7.0 - v, -1.0),
        ("3 x (scale)", |v| v.scale(3.0), 3.0),
        ("x * x * 3 on the left", |v| 3.0 * (v * v), 6.0 * x),
        ("mul_add", |v| v.mul_add(v, v), 2.0 * x + 1.0),
        (
            "to_degrees",
            |v| v.to_degrees(),
            180.0 / std::f64::consts::PI,
        ),
        ("max(x, 1)", |v| v.max(Var::constant(1.0)), 0.0),
        ("min(x, 1)", |v| v.min(Var::constant(1.0)), 1.0),
        ("floor", |v| v.floor(), 0.0),
        (
            "sin_cos product",
            |v| {
                let (s, c) = v.sin_cos();
                s * c
            },
            (2.0 * x).cos(),
        ),
    ];
    for (name, f, expected) in cases {
        let tape = Tape::new();
        let v = tape.var(x);
        let g = tape.gradient(f(v));
        // Each closed form is evaluated in a few roundings of its own.
        assert_relative_eq!(g.wrt(v), expected, max_relative = 1e-13, epsilon = 1e-15);
        println!("{name}: ok");
    }
}

#[test]
fn constants_never_touch_a_tape() {
    let a = Var::<f64>::zero() + Var::<f64>::constant(2.0) * <Var<f64> as Scalar>::constant(3.0);
    let b = <Var<'_, f64> as num_traits::FromPrimitive>::from_f64(1.5).unwrap();
    assert!(a.is_constant() && b.is_constant());
    assert_eq!((a + b).value(), 7.5);
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = x * a + b;
    assert_eq!(tape.len(), 1); // x only: x*a and +b fold into the pending y
    assert_eq!(tape.gradient(y).wrt(x), 6.0);
    assert_eq!(tape.gradient(y).wrt(a), 0.0);
}

use num_traits::Zero;

#[test]
fn independent_input_has_zero_gradient() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0]);
    let y = x[0] * x[2];
    let g = tape.gradient(y);
    assert_eq!(g.wrt_all(&x), vec![3.0, 0.0, 1.0]);
    // An output that is a constant: all zero.
    let g = tape.gradient(Var::constant(4.0));
    assert_eq!(g.wrt_all(&x), vec![0.0; 3]);
}

#[test]
fn non_finite_values_follow_ieee() {
    // sqrt at 0: value 0, derivative +inf.
    let (v, g) = admix_tape::gradient_with(|x| x[0].sqrt(), &[0.0_f64]);
    assert_eq!(v, 0.0);
    assert_eq!(g[0], f64::INFINITY);
    // ln(x) at -1: NaN value and derivative -1 (1/x), as IEEE gives.
    let (v, g) = admix_tape::gradient_with(|x| x[0].ln() * 0.0 + x[0], &[-1.0_f64]);
    assert!(v.is_nan());
    assert_eq!(g[0], 1.0); // 1 + (1/x) * 0
                           // A NaN input poisons its own gradient only.
    let (_, g) = admix_tape::gradient_with(|x| x[0] * x[1] + x[2], &[f64::NAN, 2.0_f64, 1.0]);
    assert_eq!(g[0], 2.0);
    assert!(g[1].is_nan());
    assert_eq!(g[2], 1.0);
}

#[test]
#[should_panic(expected = "two different tapes")]
fn mixing_tapes_panics_with_a_clear_message() {
    let t1 = Tape::new();
    let t2 = Tape::new();
    let _ = t1.var(1.0) + t2.var(2.0);
}

#[test]
#[should_panic(expected = "gradients of another tape")]
fn reading_gradients_of_another_tape_panics() {
    let t1 = Tape::new();
    let t2 = Tape::new();
    let x = t1.var(1.0);
    let y = t2.var(2.0);
    let _ = t2.gradient(y * y).wrt(x);
}

/// A tape dropped and a new one in the same place: with tapes told apart by
/// address, the old gradients would answer for the new variable.
#[test]
#[should_panic(expected = "earlier recording")]
fn gradients_reject_a_new_tape_at_the_old_address() {
    let mut slot = Tape::new();
    let old = {
        let x = slot.var(2.0);
        slot.gradient(x * x)
    };
    let address = std::ptr::addr_of!(slot) as usize;
    slot = Tape::new();
    assert_eq!(std::ptr::addr_of!(slot) as usize, address);
    let y = slot.var(5.0);
    let _ = old.wrt(y);
}

/// A cleared tape keeps its address and its node indices start over.
#[test]
#[should_panic(expected = "earlier recording")]
fn gradients_reject_a_variable_recorded_after_clear() {
    let mut tape = Tape::new();
    let old = {
        let x = tape.var(2.0);
        tape.gradient(x * x)
    };
    tape.clear();
    let y = tape.var(5.0);
    let _ = old.wrt(y);
}

#[test]
fn several_tapes_on_several_threads() {
    let handles: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let x: Vec<f64> = (0..50).map(|i| (i as f64 * 0.1 + k as f64).sin()).collect();
                let mut work = GradientTape::new();
                for _ in 0..20 {
                    let (_, g) = work.gradient(&Rosenbrock, &x);
                    for (a, b) in g.iter().zip(hand_gradient(&x)) {
                        assert_relative_eq!(*a, b, max_relative = 1e-12);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread panicked");
    }
}

#[test]
fn tapes_and_workspaces_move_between_threads() {
    fn assert_send<S: Send>(_: &S) {}
    let work = GradientTape::<f64>::new();
    assert_send(&work);
    assert_send(&Tape::<f64>::new());
    let handle = std::thread::spawn(move || {
        let mut work = work;
        work.gradient(&Rosenbrock, &[1.0, 1.0]).1
    });
    assert_eq!(handle.join().expect("thread panicked"), vec![0.0, 0.0]);
}

#[test]
fn driver_matches_closed_form_and_reuse_keeps_capacity() {
    let x = [-1.2, 1.0, 0.5, 2.0];
    let (v, g) = gradient(&Rosenbrock, &x);
    assert_relative_eq!(v, Rosenbrock.eval(&x), max_relative = 1e-15);
    for (a, b) in g.iter().zip(hand_gradient(&x)) {
        assert_relative_eq!(*a, b, max_relative = 1e-14);
    }
    let mut tape = Tape::<f64>::with_capacity(8);
    for round in 0..3 {
        tape.clear();
        assert!(tape.is_empty());
        let xs = tape.vars(&x);
        let y = Rosenbrock.eval(&xs);
        let g = tape.gradient(y);
        assert_relative_eq!(g.wrt(xs[1]), hand_gradient(&x)[1], max_relative = 1e-14);
        assert!(tape.len() > 8, "round {round}");
    }
}

/// A reused workspace keeps the input nodes of the last call: calls with
/// more, fewer and as many inputs, and with an input recorded inside the
/// function after an operation (not one of the kept leading inputs), each
/// give the closed-form gradient and the node count of a fresh workspace.
#[test]
fn reused_workspace_with_changing_input_counts() {
    let mut work = GradientTape::new();
    for (call, n) in [6, 3, 9, 9, 2, 0, 4].into_iter().enumerate() {
        let x: Vec<f64> = (0..n).map(|i| 0.3 + 0.2 * (i + call) as f64).collect();
        fn f<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
            let extra = match v.first().and_then(|v0| v0.tape()) {
                Some(tape) => tape.var(3.0) * v[0],
                None => Var::constant(0.0),
            };
            Rosenbrock.eval(v) + extra
        }
        let (value, g) = work.gradient_with(f, &x);
        let mut expected = hand_gradient(&x);
        if let Some(g0) = expected.first_mut() {
            *g0 += 3.0;
        }
        let extra = x.first().map_or(0.0, |x0| 3.0 * x0);
        assert_relative_eq!(value, Rosenbrock.eval(&x) + extra, max_relative = 1e-15);
        assert_eq!(g.len(), n, "call {call}");
        for (a, b) in g.iter().zip(&expected) {
            assert_relative_eq!(*a, *b, max_relative = 1e-14);
        }
        let mut fresh = GradientTape::new();
        fresh.gradient_with(f, &x);
        assert_eq!(work.tape_len(), fresh.tape_len(), "call {call}");
    }
}

struct Polar;
impl VectorFn for Polar {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        vec![x[0] * x[1].cos(), x[0] * x[1].sin(), x[0] * x[0]]
    }
}

#[test]
fn jacobian_rows_and_vjp_match_closed_form() {
    let (r, t) = (2.0_f64, 0.7_f64);
    let (_, jac) = jacobian(&Polar, &[r, t]);
    let expected = [
        [t.cos(), -r * t.sin()],
        [t.sin(), r * t.cos()],
        [2.0 * r, 0.0],
    ];
    for (row, e) in jac.iter().zip(expected) {
        for (a, b) in row.iter().zip(e) {
            assert_relative_eq!(*a, b, max_relative = 1e-15);
        }
    }
    let tape = Tape::new();
    let x = tape.vars(&[r, t]);
    let ys = Polar.eval(&x);
    let w = [1.0, -2.0, 0.5];
    let g = tape.vjp(&ys, &w);
    for j in 0..2 {
        let direct: f64 = (0..3).map(|i| w[i] * expected[i][j]).sum();
        assert_relative_eq!(g.wrt(x[j]), direct, max_relative = 1e-14);
    }
}

/// Rosenbrock written with nine whole-vector nodes gives the hand-written
/// gradient too (slices, broadcasting offsets, squares, sum, to_scalar).
#[test]
fn array_node_rosenbrock_matches_the_hand_written_gradient() {
    let x = ndarray::Array1::from_shape_fn(50, |i| {
        0.5 + 0.4 * (i as f64 * 0.37).sin() - 0.6 * (i % 3) as f64
    });
    let xs = x.as_slice().expect("contiguous");
    let (value, g) = array_gradient(&x);
    assert_relative_eq!(value, Rosenbrock.eval(xs), max_relative = 1e-14);
    for (a, b) in g.iter().zip(hand_gradient(xs)) {
        assert_relative_eq!(*a, b, max_relative = 1e-13, epsilon = 1e-13);
    }
}

/// One tape and one `Gradients` reused across recordings of different
/// lengths, as in an optimisation loop: the value buffers of the last
/// recording and the adjoint buffers of the last sweep are refilled, and
/// no stale value of them reaches the next gradient.
#[test]
fn array_node_buffers_reused_across_recordings_hold_no_stale_values() {
    let mut tape = Tape::new();
    let mut grads = admix_tape::Gradients::empty();
    for (round, n) in [200, 7, 200, 1000, 3, 200].into_iter().enumerate() {
        let x = ndarray::Array1::from_shape_fn(n, |i| {
            0.3 + 0.5 * ((i + 11 * round) as f64 * 0.61).cos()
        });
        let xs = x.as_slice().expect("contiguous");
        let (value, g) = array_gradient_on(&mut tape, &mut grads, &x);
        assert_relative_eq!(value, Rosenbrock.eval(xs), max_relative = 1e-14);
        assert_eq!(g.len(), n);
        for (a, b) in g.iter().zip(hand_gradient(xs)) {
            assert_relative_eq!(*a, b, max_relative = 1e-13, epsilon = 1e-13);
        }
    }
}
