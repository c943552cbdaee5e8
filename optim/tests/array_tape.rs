//! An objective written with the tape's whole-array operations plugs into
//! the solvers through the same traits (the shape the mixture fit uses).

use admix_optim::{CostFunction, Gradient, Lbfgs, Minimizer, OptimError, Stop};
use admix_tape::Tape;
use ndarray::{Array1, Array2};

/// Linear least squares `1/2 |A w - b|^2` recorded as array nodes.
struct LeastSquares {
    a: Array2<f64>,
    b: Array1<f64>,
}

impl LeastSquares {
    fn record(&self, w: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        let tape = Tape::new();
        let wv = tape.array_var(Array1::from(w.to_vec()));
        let a = tape.array_const(self.a.clone());
        let b = tape.array_const(self.b.clone());
        let residual = (a.matmul(wv)? - b)?;
        let loss = residual.sq_norm().scale(0.5).to_scalar()?;
        let grads = tape.gradient(loss);
        Ok((loss.value(), grads.wrt_array(wv).iter().copied().collect()))
    }
}

impl CostFunction for LeastSquares {
    fn cost(&self, w: &[f64]) -> Result<f64, OptimError> {
        Ok(self.record(w)?.0)
    }
}

impl Gradient for LeastSquares {
    fn gradient(&self, w: &[f64]) -> Result<Vec<f64>, OptimError> {
        Ok(self.record(w)?.1)
    }

    fn cost_and_gradient(&self, w: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        self.record(w)
    }
}

/// Solves the normal equations `A^T A w = A^T b` by Gauss-Jordan
/// elimination, the slow obvious way.
fn normal_equations(a: &Array2<f64>, b: &Array1<f64>) -> Vec<f64> {
    let n = a.ncols();
    let ata = a.t().dot(a);
    let atb = a.t().dot(b);
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| ata[[i, j]]).chain([atb[i]]).collect())
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
            .unwrap();
        m.swap(c, p);
        let pivot_row = m[c].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / pivot_row[c];
                for (v, p) in row.iter_mut().zip(&pivot_row).skip(c) {
                    *v -= f * p;
                }
            }
        }
    }
    (0..n).map(|i| m[i][n] / m[i][i]).collect()
}

#[test]
fn lbfgs_minimises_an_array_tape_objective() {
    // Columns sin((i + 1)(j + 1/2)): distinct frequencies, full column rank.
    let a = Array2::from_shape_fn((30, 3), |(i, j)| ((i + 1) as f64 * (j as f64 + 0.5)).sin());
    let b = Array1::from_shape_fn(30, |i| (i as f64).cos());
    let expected = normal_equations(&a, &b);
    let problem = LeastSquares { a, b };
    let report = Minimizer::new(Lbfgs::new())
        .stop(Stop::new().gradient_norm(1e-12).unwrap())
        .minimize(problem, &[0.0; 3])
        .unwrap();
    assert!(report.converged(), "{:?}", report.status);
    // The eigenvalues of A^T A are about 14.4 to 15.7, so |w - w*| <=
    // |g| / 14.4 < 1e-13; 1e-10 leaves room for the reference's round-off.
    for (w, e) in report.x.iter().zip(&expected) {
        assert!((w - e).abs() < 1e-10, "{:?} vs {expected:?}", report.x);
    }
}

#[test]
fn a_shape_error_while_recording_is_an_error_not_a_panic() {
    let problem = LeastSquares {
        a: Array2::zeros((4, 2)),
        b: Array1::zeros(4),
    };
    let err = Minimizer::new(Lbfgs::new())
        .minimize(problem, &[0.0; 3])
        .unwrap_err();
    assert!(matches!(err, OptimError::Tape(_)), "{err}");
}
