//! Statement-level recording: a result stays pending (value and partials
//! with respect to at most two nodes) until an operation needs it as a
//! node, so `sin(a * b)` is one node. Each test checks a folding case
//! against closed forms written here, and the node count where the fold
//! is the point: a fold with a wrong partial or a wrong curvature flag
//! changes a gradient, a Hessian or a Hessian pattern below.

use admix_dual::{Scalar, ScalarFn};
use admix_tape::{hessian, hvp, sparse_hessian, Tape};
use approx::assert_relative_eq;
use num_traits::Float;

#[test]
fn sin_of_a_product_is_one_node_with_both_partials() {
    let (a0, b0) = (0.7, -1.3);
    let tape = Tape::new();
    let (a, b) = (tape.var(a0), tape.var(b0));
    let y = (a * b).sin();
    assert_eq!(tape.len(), 2, "the product and the sine are still pending");
    let g = tape.gradient(y);
    assert_eq!(tape.len(), 3, "one node for sin(a b), pushed as the output");
    let c = (a0 * b0).cos();
    assert_relative_eq!(g.wrt(a), c * b0, max_relative = 1e-15);
    assert_relative_eq!(g.wrt(b), c * a0, max_relative = 1e-15);
    assert_eq!(y.value(), (a0 * b0).sin());
}

/// f = exp(-(a - b)^2): three functions of one combination fold into one
/// node over (a, b). With d = a - b and e = exp(-d^2):
/// df/da = -2 d e = -df/db; d2f/da2 = d2f/db2 = (4 d^2 - 2) e = -d2f/dadb.
struct Bump;
impl ScalarFn for Bump {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        (-(x[0] - x[1]).powi(2)).exp()
    }
}

#[test]
fn gaussian_bump_folds_and_keeps_exact_first_and_second_derivatives() {
    let (a, b) = (0.4, -0.3);
    let (d, e) = (a - b, (-(a - b) * (a - b)).exp());
    let tape = Tape::new();
    let xs = tape.vars(&[a, b]);
    let g = tape.gradient(Bump.eval(&xs));
    assert_eq!(tape.len(), 3);
    assert_relative_eq!(g.wrt(xs[0]), -2.0 * d * e, max_relative = 1e-14);
    assert_relative_eq!(g.wrt(xs[1]), 2.0 * d * e, max_relative = 1e-14);

    let h = (4.0 * d * d - 2.0) * e;
    let (_, _, hess) = hessian(&Bump, &[a, b]);
    let expected = [[h, -h], [-h, h]];
    for i in 0..2 {
        for j in 0..2 {
            assert_relative_eq!(hess[i][j], expected[i][j], max_relative = 1e-13);
        }
    }
}

/// f = sin(x0 x1) + 3 x2 x3 + exp(-(x4 - x5)^2) + 2 (x6 - 1) + x7 / 4:
/// the Hessian pattern is {0,1}^2, (2,3) and (3,2), {4,5}^2: ten entries.
/// A scaled product flagged as fully curved would add (2,2) and (3,3); a
/// sine of a product flagged as a product would lose (0,0) and (1,1).
struct Mixed;
impl ScalarFn for Mixed {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        (x[0] * x[1]).sin()
            + (x[2] * x[3]).scale(3.0)
            + (-(x[4] - x[5]).powi(2)).exp()
            + (x[6] - S::one()).scale(2.0)
            + x[7] / S::constant(4.0)
    }
}

#[test]
fn folded_nodes_keep_the_exact_hessian_pattern() {
    let x = [0.3, -0.8, 1.1, 0.6, 0.2, -0.5, 2.0, 7.0];
    let (value, grad, hess) = sparse_hessian(&Mixed, &x);
    assert_eq!(hess.compute_nnz(), 10);
    let s = x[0] * x[1];
    let d = x[4] - x[5];
    let e = (-d * d).exp();
    assert_relative_eq!(
        value,
        s.sin() + 3.0 * x[2] * x[3] + e + 2.0 * (x[6] - 1.0) + x[7] / 4.0,
        max_relative = 1e-15
    );
    let expected_grad = [
        s.cos() * x[1],
        s.cos() * x[0],
        3.0 * x[3],
        3.0 * x[2],
        -2.0 * d * e,
        2.0 * d * e,
        2.0,
        0.25,
    ];
    for (g, want) in grad.iter().zip(expected_grad) {
        assert_relative_eq!(*g, want, max_relative = 1e-14);
    }
    let h = (4.0 * d * d - 2.0) * e;
    let mut expected = [[0.0; 8]; 8];
    expected[0][0] = -s.sin() * x[1] * x[1];
    expected[1][1] = -s.sin() * x[0] * x[0];
    expected[0][1] = s.cos() - s * s.sin();
    expected[1][0] = expected[0][1];
    expected[2][3] = 3.0;
    expected[3][2] = 3.0;
    expected[4][4] = h;
    expected[5][5] = h;
    expected[4][5] = -h;
    expected[5][4] = -h;
    let dense = hess.to_dense();
    for (i, row) in expected.iter().enumerate() {
        for (j, want) in row.iter().enumerate() {
            assert_relative_eq!(dense[(i, j)], *want, max_relative = 1e-13, epsilon = 1e-15);
        }
    }
}

#[test]
fn forward_over_reverse_through_folded_nodes_matches_closed_form() {
    // Hessian of sin(x0 x1) times v = (1, 2), by hand.
    let x = [0.9, 0.4];
    let s = x[0] * x[1];
    let h01 = s.cos() - s * s.sin();
    let h = [[-s.sin() * x[1] * x[1], h01], [h01, -s.sin() * x[0] * x[0]]];
    let (_, _, hv) = hvp(&Mixed2, &x, &[1.0, 2.0]).unwrap();
    for i in 0..2 {
        assert_relative_eq!(hv[i], h[i][0] + 2.0 * h[i][1], max_relative = 1e-14);
    }
}

struct Mixed2;
impl ScalarFn for Mixed2 {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        (x[0] * x[1]).sin()
    }
}

/// u = a b and v = a - b are pending; each use pushes its own copy (two
/// equal nodes), which must not change any derivative:
/// y = u u + sin(u) + v v: dy/da = (2 u + cos u) b + 2 v,
/// dy/db = (2 u + cos u) a - 2 v.
#[test]
fn a_pending_result_used_twice_is_pushed_twice_and_stays_exact() {
    let (a0, b0) = (1.5, -0.4);
    let tape = Tape::new();
    let (a, b) = (tape.var(a0), tape.var(b0));
    let u = a * b;
    let v = a - b;
    let y = u * u + u.sin() + v * v;
    let g = tape.gradient(y);
    let (u0, v0) = (a0 * b0, a0 - b0);
    assert_relative_eq!(
        y.value(),
        u0 * u0 + u0.sin() + v0 * v0,
        max_relative = 1e-15
    );
    assert_relative_eq!(
        g.wrt(a),
        (2.0 * u0 + u0.cos()) * b0 + 2.0 * v0,
        max_relative = 1e-14
    );
    assert_relative_eq!(
        g.wrt(b),
        (2.0 * u0 + u0.cos()) * a0 - 2.0 * v0,
        max_relative = 1e-14
    );
    // 2 inputs; u u: u twice; sin(u) + that: sin(u) and the product;
    // v v: v twice; the last sum: both operands; the output: one.
    assert_eq!(tape.len(), 2 + 2 + 2 + 2 + 2 + 1);
}

#[test]
fn pending_outputs_seed_vjp_and_jacobian_rows() {
    let (a0, b0) = (2.0, 3.0);
    let tape = Tape::new();
    let (a, b) = (tape.var(a0), tape.var(b0));
    // All three outputs are pending: one parent with partial 2 (a + a
    // would be two parents), two parents, and one parent through a constant.
    let y0 = a.scale(2.0) + 1.0;
    let y1 = a * b;
    let y2 = 5.0 / b;
    let g = tape.vjp(&[y0, y1, y2], &[1.0, 10.0, 100.0]);
    assert_eq!(g.wrt(a), 2.0 + 10.0 * b0);
    assert_relative_eq!(
        g.wrt(b),
        10.0 * a0 - 100.0 * 5.0 / (b0 * b0),
        max_relative = 1e-15
    );
    let before = tape.len();
    let jac = tape.jacobian(&[y0, y1, y2], &[a, b]);
    assert_eq!(tape.len(), before + 3, "each pending output pushed once");
    assert_eq!(jac[0], vec![2.0, 0.0]);
    assert_eq!(jac[1], vec![b0, a0]);
    assert_eq!(jac[2][0], 0.0);
    assert_relative_eq!(jac[2][1], -5.0 / (b0 * b0), max_relative = 1e-15);
}

/// Constants on either side of every operator, around pending results:
/// f = (3 - x y) / 2 + 1 / (x - y) + 4 x^2 - y / 8,
/// df/dx = -y / 2 - 1 / (x - y)^2 + 8 x, df/dy = -x / 2 + 1 / (x - y)^2 - 1 / 8.
#[test]
fn constants_mixed_with_pending_results() {
    let (x0, y0) = (1.25, -0.5);
    let tape = Tape::new();
    let (x, y) = (tape.var(x0), tape.var(y0));
    let f = (3.0 - x * y) / 2.0 + 1.0 / (x - y) + 4.0 * (x * x) - y / 8.0;
    let g = tape.gradient(f);
    let r = 1.0 / ((x0 - y0) * (x0 - y0));
    assert_relative_eq!(
        f.value(),
        (3.0 - x0 * y0) / 2.0 + 1.0 / (x0 - y0) + 4.0 * x0 * x0 - y0 / 8.0,
        max_relative = 1e-15
    );
    assert_relative_eq!(g.wrt(x), -y0 / 2.0 - r + 8.0 * x0, max_relative = 1e-14);
    assert_relative_eq!(g.wrt(y), -x0 / 2.0 + r - 0.125, max_relative = 1e-14);
}

#[test]
fn an_intermediate_adjoint_is_read_through_to_node() {
    let x0 = 0.8;
    let tape = Tape::new();
    let x = tape.var(x0);
    let u = (x * x).to_node();
    let y = u.sin() * 3.0;
    let g = tape.gradient(y);
    assert_relative_eq!(g.wrt(u), 3.0 * (x0 * x0).cos(), max_relative = 1e-15);
    assert_relative_eq!(g.wrt(x), 6.0 * x0 * (x0 * x0).cos(), max_relative = 1e-15);
}

#[test]
#[should_panic(expected = "Var::to_node")]
fn reading_the_adjoint_of_a_pending_result_panics_with_the_fix() {
    let tape = Tape::new();
    let x = tape.var(0.8);
    let u = x * x;
    let g = tape.gradient(u.sin());
    let _ = g.wrt(u);
}

#[test]
fn the_chain_records_one_node_per_step() {
    // acc = sin(acc x_i) / cos(acc x_i): one node per step after the
    // first (whose product with the constant 1 folds into the next).
    let x: Vec<f64> = (0..10).map(|i| 0.5 + 0.05 * i as f64).collect();
    let tape = Tape::new();
    let xs = tape.vars(&x);
    let mut acc: admix_tape::Var = Scalar::constant(1.0);
    for (i, &xi) in xs.iter().enumerate() {
        acc = if i % 2 == 0 {
            (acc * xi).sin()
        } else {
            (acc * xi).cos()
        };
    }
    let g = tape.gradient(acc);
    assert_eq!(tape.len(), 10 + 10);
    // Reference: the same recurrence differentiated forward by hand.
    let (mut v, mut dv) = (1.0_f64, vec![0.0; 10]);
    for (i, &xi) in x.iter().enumerate() {
        let arg = v * xi;
        let (out, slope) = if i % 2 == 0 {
            (arg.sin(), arg.cos())
        } else {
            (arg.cos(), -arg.sin())
        };
        for d in dv.iter_mut() {
            *d *= slope * xi;
        }
        dv[i] += slope * v;
        v = out;
    }
    assert_eq!(acc.value(), v);
    for (k, want) in dv.iter().enumerate() {
        assert_relative_eq!(g.wrt(xs[k]), *want, max_relative = 1e-12);
    }
}

/// Operands linear in one parent fold into a product without a push, their
/// partials (here -1, 2 and 1/4) multiplied in:
/// f = (1 - a)^2 + (2 a)(b / 4): df/da = -2 (1 - a) + b / 2, df/db = a / 2.
#[test]
fn products_of_one_parent_combinations_fold_with_their_partials() {
    let (a0, b0) = (0.3, 5.0);
    let tape = Tape::new();
    let (a, b) = (tape.var(a0), tape.var(b0));
    let f = (1.0 - a) * (1.0 - a) + (a * 2.0) * (b / 4.0);
    let g = tape.gradient(f);
    // 2 inputs; the two products pending; the sum pushes both; the output.
    assert_eq!(tape.len(), 2 + 2 + 1);
    assert_relative_eq!(g.wrt(a), -2.0 * (1.0 - a0) + b0 / 2.0, max_relative = 1e-15);
    assert_relative_eq!(g.wrt(b), a0 / 2.0, max_relative = 1e-15);
}

/// The sweep skips the inputs recorded before any operation; inputs
/// recorded later sit between operations and must not end that run.
/// f = (x^2) y z with u = x^2 a node between x and (y, z):
/// df/dx = 2 x y z, df/dy = x^2 z, df/dz = x^2 y.
#[test]
fn inputs_recorded_between_operations_keep_their_adjoints() {
    let (x0, y0, z0) = (1.5, -2.0, 0.5);
    let tape = Tape::new();
    let x = tape.vars(&[x0])[0];
    let u = (x * x).to_node();
    let yz = tape.vars(&[y0, z0]);
    let f = u * yz[0] * yz[1];
    let g = tape.gradient(f);
    assert_eq!(g.wrt(x), 2.0 * x0 * y0 * z0);
    assert_eq!(g.wrt(yz[0]), x0 * x0 * z0);
    assert_eq!(g.wrt(yz[1]), x0 * x0 * y0);
}
