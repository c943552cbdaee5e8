//! Sparse Jacobians and Hessians against dense ones computed by nested
//! forward mode (`admix_dual`, no tape): on random sparse programs, on the
//! tridiagonal Jacobian of a discretised boundary value problem and on the
//! arrowhead Hessian of a sum of pair terms.

use admix_dual::{Scalar, ScalarFn, VectorFn};
use admix_tape::{sparse_hessian, sparse_jacobian, SparseHessian, SparseJacobian, SparseMatrix};
use approx::assert_relative_eq;
use proptest::prelude::*;

/// One instruction on earlier slots (indices modulo the slots so far).
#[derive(Clone, Debug)]
enum Instr {
    Unary(u8, usize),
    Binary(u8, usize, usize),
}

/// Smooth everywhere (guarded arguments), curved and linear ones mixed.
fn unary<S: Scalar>(op: u8, x: S) -> S {
    match op {
        0 => x.sin(),
        1 => x.scale(3.0),
        2 => x.tanh(),
        3 => (S::one() + x * x).ln(),
        4 => -x,
        _ => x.powi(2),
    }
}

fn binary<S: Scalar>(op: u8, x: S, y: S) -> S {
    match op {
        0 => x + y,
        1 => x - y,
        2 => x * y,
        3 => x / (S::one() + y * y),
        _ => x.atan2(S::constant(2.0) + y.cos()),
    }
}

/// A term: a small program over a few inputs (its support); the last slot.
#[derive(Clone, Debug)]
struct Term {
    support: Vec<usize>,
    program: Vec<Instr>,
}

impl Term {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        let mut slots: Vec<S> = self.support.iter().map(|&i| x[i % x.len()]).collect();
        for instr in &self.program {
            let n = slots.len();
            let v = match *instr {
                Instr::Unary(op, a) => unary(op, slots[a % n]),
                Instr::Binary(op, a, b) => binary(op, slots[a % n], slots[b % n]),
            };
            slots.push(v);
        }
        *slots.last().expect("a non-empty support")
    }
}

/// Outputs: one per term (Jacobians); the sum of the terms (Hessians).
#[derive(Clone, Debug)]
struct Program(Vec<Term>);

impl VectorFn for Program {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        self.0.iter().map(|t| t.eval(x)).collect()
    }
}

impl ScalarFn for Program {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        self.0.iter().map(|t| t.eval(x)).sum()
    }
}

fn instr() -> impl Strategy<Value = Instr> {
    prop_oneof![
        (0..6u8, any::<usize>()).prop_map(|(op, a)| Instr::Unary(op, a)),
        (0..5u8, any::<usize>(), any::<usize>()).prop_map(|(op, a, b)| Instr::Binary(op, a, b)),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    (
        prop::collection::vec(any::<usize>(), 1..4),
        prop::collection::vec(instr(), 0..6),
    )
        .prop_map(|(support, program)| Term { support, program })
}

fn program_and_point() -> impl Strategy<Value = (Program, Vec<f64>)> {
    (
        prop::collection::vec(term(), 1..10),
        prop::collection::vec(-2.0..2.0_f64, 1..12),
    )
        .prop_map(|(terms, x)| (Program(terms), x))
}

/// Every entry of `sparse` equals the dense matrix's (rows of columns);
/// entries outside the pattern read as zero.
fn assert_equal(sparse: &SparseMatrix, dense: &[Vec<f64>], tol: f64) {
    let m = sparse.to_dense();
    assert_eq!(
        (m.nrows(), m.ncols()),
        (dense.len(), dense.first().map_or(m.ncols(), Vec::len))
    );
    for (i, row) in dense.iter().enumerate() {
        for (j, &d) in row.iter().enumerate() {
            assert_relative_eq!(m[(i, j)], d, max_relative = tol, epsilon = tol);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sparse_jacobian_equals_dense_forward_mode((f, x) in program_and_point()) {
        let (values, jac) = sparse_jacobian(&f, &x);
        let (dvalues, dense) = admix_dual::jacobian(|v| VectorFn::eval(&f, v), &x).unwrap();
        prop_assert_eq!(values, dvalues);
        assert_equal(&jac, &dense, 1e-12);
    }

    #[test]
    fn sparse_hessian_equals_dense_nested_duals((f, x) in program_and_point()) {
        let (value, grad, hess) = sparse_hessian(&f, &x);
        let (dvalue, dgrad, dense) = admix_dual::hessian(|v| ScalarFn::eval(&f, v), &x);
        assert_relative_eq!(value, dvalue, max_relative = 1e-14);
        for (g, d) in grad.iter().zip(&dgrad) {
            assert_relative_eq!(*g, *d, max_relative = 1e-12, epsilon = 1e-12);
        }
        assert_equal(&hess, &dense, 1e-10);
    }
}

/// -u'' + u^3 = 1 on (0, 1), u = 0 at both ends, n interior points:
/// residual r_i = (2 u_i - u_{i-1} - u_{i+1}) / h^2 + u_i^3 - 1.
struct Bvp;

impl VectorFn for Bvp {
    fn eval<S: Scalar>(&self, u: &[S]) -> Vec<S> {
        let n = u.len();
        let h2 = ((n + 1) as f64).powi(2);
        (0..n)
            .map(|i| {
                let mut lap = u[i].scale(2.0);
                if i > 0 {
                    lap -= u[i - 1];
                }
                if i + 1 < n {
                    lap -= u[i + 1];
                }
                lap.scale(h2) + u[i].powi(3) - S::one()
            })
            .collect()
    }
}

/// Closed form: tridiag(-1, 2 + 3 u_i^2 h^2, -1) / h^2, three colours.
#[test]
fn bvp_jacobian_is_the_closed_form_tridiagonal() {
    let n = 50;
    let u: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin()).collect();
    let h2 = ((n + 1) as f64).powi(2);
    let mut work = SparseJacobian::new();
    let (_, jac) = work.jacobian(&Bvp, &u);
    assert_eq!(work.colours(), 3);
    assert_eq!(jac.compute_nnz(), 3 * n - 2);
    let m = jac.to_dense();
    for i in 0..n {
        for j in 0..n {
            let expected = if i == j {
                2.0 * h2 + 3.0 * u[i] * u[i]
            } else if i.abs_diff(j) == 1 {
                -h2
            } else {
                0.0
            };
            assert_relative_eq!(m[(i, j)], expected, max_relative = 1e-15);
        }
    }
}

/// sum_{i>0} sin(x_0 x_i) + x_0 x_i^2.
struct Pairs;

impl ScalarFn for Pairs {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        x[1..]
            .iter()
            .map(|&xi| (x[0] * xi).sin() + x[0] * xi * xi)
            .sum()
    }
}

/// Closed form of the arrowhead, from two colours.
#[test]
fn pair_terms_give_the_closed_form_arrowhead() {
    let n = 30;
    let x: Vec<f64> = (0..n).map(|i| 0.2 + 0.05 * i as f64).collect();
    let mut work = SparseHessian::new();
    let (_, _, hess) = work.hessian(&Pairs, &x);
    assert_eq!(work.colours(), 2);
    assert_eq!(hess.compute_nnz(), 3 * n - 2);
    let m = hess.to_dense();
    let x0 = x[0];
    let h00: f64 = x[1..].iter().map(|&xi| -xi * xi * (x0 * xi).sin()).sum();
    assert_relative_eq!(m[(0, 0)], h00, max_relative = 1e-13);
    for i in 1..n {
        let xi = x[i];
        let h0i = (x0 * xi).cos() - x0 * xi * (x0 * xi).sin() + 2.0 * xi;
        let hii = -x0 * x0 * (x0 * xi).sin() + 2.0 * x0;
        assert_relative_eq!(m[(0, i)], h0i, max_relative = 1e-13);
        assert_relative_eq!(m[(i, 0)], h0i, max_relative = 1e-13);
        assert_relative_eq!(m[(i, i)], hii, max_relative = 1e-13);
        for j in 1..n {
            if j != i {
                assert_eq!(m[(i, j)], 0.0);
            }
        }
    }
}

/// f = x_0 x_1 where x_0 > 0, x_0 x_2 elsewhere: the second call takes the
/// other branch, so a workspace that kept the first pattern would miss
/// column 2.
struct Branch;

impl VectorFn for Branch {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        let other = if x[0].value_f64() > 0.0 { x[1] } else { x[2] };
        vec![x[0] * other, x[1]]
    }
}

#[test]
fn a_changed_branch_gets_a_new_pattern() {
    let mut work = SparseJacobian::new();
    let (_, first) = work.jacobian(&Branch, &[1.0, 2.0, 3.0]);
    assert_eq!(first.to_dense()[(0, 1)], 1.0);
    let (_, second) = work.jacobian(&Branch, &[-1.0, 2.0, 3.0]);
    let m = second.to_dense();
    assert_eq!(m[(0, 0)], 3.0);
    assert_eq!(m[(0, 2)], -1.0);
    assert_eq!(m[(0, 1)], 0.0);
}

/// Reuse at new points keeps the colouring and stays exact.
#[test]
fn reused_workspaces_agree_with_one_shot_drivers() {
    let mut jac = SparseJacobian::new();
    let mut hes = SparseHessian::new();
    for k in 0..3 {
        let x: Vec<f64> = (0..12).map(|i| (i as f64 + k as f64).cos()).collect();
        let (_, a) = jac.jacobian(&Bvp, &x);
        let (_, b) = sparse_jacobian(&Bvp, &x);
        assert_eq!(a.to_dense(), b.to_dense());
        let (_, _, a) = hes.hessian(&Pairs, &x);
        let (_, _, b) = sparse_hessian(&Pairs, &x);
        assert_eq!(a.to_dense(), b.to_dense());
    }
    assert_eq!((jac.colours(), hes.colours()), (3, 2));
}

/// A linear function: empty Hessian pattern, no colour, gradient still right.
#[test]
fn linear_function_has_an_empty_hessian() {
    struct Linear;
    impl ScalarFn for Linear {
        fn eval<S: Scalar>(&self, x: &[S]) -> S {
            x[0].scale(2.0) - x[1]
        }
    }
    let (value, grad, hess) = sparse_hessian(&Linear, &[1.0, 5.0]);
    assert_eq!(value, -3.0);
    assert_eq!(grad, vec![2.0, -1.0]);
    assert_eq!(hess.compute_nnz(), 0);
}
