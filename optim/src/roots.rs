//! Newton's method for equations: one scalar equation `f(x) = 0`, or a
//! system `F(x) = 0` with as many equations as unknowns.

use admix_dual::{Dual, VectorFn};
use admix_tape::faer::linalg::solvers::Solve;
use admix_tape::faer::ColRef;
use admix_tape::{SparseJacobian, SparseMatrix};

use crate::linalg::{all_finite, lu_solve, norm};
use crate::stop::check_tolerance;
use crate::OptimError;

/// Why a root search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootStatus {
    /// `|f(x)|` (or `|F(x)|`) is within the residual tolerance.
    ConvergedResidual,
    /// The last Newton step was within the step tolerance.
    ConvergedStep,
    /// The iteration limit was reached first: no root found (yet).
    MaxIterations,
    /// `f'(x) = 0` or a singular Jacobian: the Newton step is undefined.
    /// Try another start.
    SingularDerivative,
    /// The start, a value or a derivative was NaN or infinite.
    NonFinite,
}

impl RootStatus {
    /// Whether a root was found.
    pub fn converged(&self) -> bool {
        matches!(self, Self::ConvergedResidual | Self::ConvergedStep)
    }
}

/// The result of a root search.
#[derive(Clone, Debug, PartialEq)]
pub struct RootReport {
    /// Why it stopped.
    pub status: RootStatus,
    /// The last iterate (length 1 for a scalar equation).
    pub x: Vec<f64>,
    /// `|F(x)|` at the last iterate (Euclidean norm).
    pub residual: f64,
    /// Newton steps taken.
    pub iterations: usize,
    /// Every iterate, the start first.
    pub iterates: Vec<Vec<f64>>,
}

/// Newton's method for equations,
///
/// ```text
/// scalar: x <- x - f(x) / f'(x)
/// system: x <- x - J(x)^{-1} F(x)     (J by LU with partial pivoting)
/// ```
///
/// stopping when `|F(x)| <= residual` (converged), when the last step
/// `|dx| <= step * max(1, |x|)` (converged), at `max_iterations` (not
/// converged), or when the step is undefined. Defaults: residual 1e-12,
/// step 1e-14, 100 iterations. Quadratic convergence near a simple root,
/// linear (ratio 1/2) near a double root.
///
/// Derivatives come from forward-mode AD ([`find`](Self::find),
/// [`find_system`](Self::find_system)), from a sparse Jacobian of the tape
/// with a sparse LU solve ([`find_sparse_system`](Self::find_sparse_system),
/// for large systems with few unknowns per equation), or from the caller.
///
/// # Example
/// ```
/// use admix_dual::{Dual, Scalar, VectorFn};
/// use admix_optim::NewtonRoot;
///
/// // x^2 - 2 = 0, f' by forward mode.
/// let report = NewtonRoot::new().find(|x: Dual<f64>| x * x - 2.0, 1.0);
/// assert!(report.status.converged());
/// assert!((report.x[0] - 2f64.sqrt()).abs() < 1e-15);
///
/// // x^2 + y^2 = 4, x = y: the Jacobian by forward mode.
/// struct Circle;
/// impl VectorFn for Circle {
///     fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
///         vec![v[0] * v[0] + v[1] * v[1] - S::constant(4.0), v[0] - v[1]]
///     }
/// }
/// let report = NewtonRoot::new().find_system(&Circle, &[1.0, 2.0])?;
/// assert!((report.x[0] - 2f64.sqrt()).abs() < 1e-12);
/// # Ok::<(), admix_optim::OptimError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewtonRoot {
    residual: f64,
    step: f64,
    max_iterations: usize,
}

impl Default for NewtonRoot {
    fn default() -> Self {
        Self {
            residual: 1e-12,
            step: 1e-14,
            max_iterations: 100,
        }
    }
}

impl NewtonRoot {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Converged when `|F(x)| <= tol` (>= 0).
    pub fn residual(mut self, tol: f64) -> Result<Self, OptimError> {
        self.residual = check_tolerance("residual", tol)?;
        Ok(self)
    }

    /// Converged when the step is at most `tol * max(1, |x|)` (>= 0).
    pub fn step(mut self, tol: f64) -> Result<Self, OptimError> {
        self.step = check_tolerance("step", tol)?;
        Ok(self)
    }

    /// The most Newton steps.
    pub fn max_iterations(mut self, limit: usize) -> Self {
        self.max_iterations = limit;
        self
    }

    /// Solves the scalar `f(x) = 0` from `x0`, with `f'` by forward-mode AD
    /// (one dual evaluation gives both).
    pub fn find(&self, f: impl Fn(Dual<f64>) -> Dual<f64>, x0: f64) -> RootReport {
        self.find_with_derivative(|x| admix_dual::derivative(&f, x), x0)
    }

    /// Solves the square system `F(x) = 0` from `x0`, with the Jacobian by
    /// forward-mode AD.
    ///
    /// `Err` for an empty start, or when `F` does not return one output
    /// per unknown.
    pub fn find_system<F: VectorFn>(&self, f: &F, x0: &[f64]) -> Result<RootReport, OptimError> {
        let n = x0.len();
        let mut failure = None;
        let report = self.find_system_with_jacobian(
            |x| match admix_dual::jacobian(|v| f.eval(v), x) {
                Ok((values, rows)) => (values, rows.into_iter().flatten().collect()),
                Err(err) => {
                    failure = Some(err);
                    (vec![f64::NAN; n], vec![f64::NAN; n * n])
                }
            },
            x0,
        )?;
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(report),
        }
    }

    /// Solves the scalar `f(x) = 0` from `x0`, where `f_df(x)` returns
    /// `(f(x), f'(x))`.
    pub fn find_with_derivative(
        &self,
        mut f_df: impl FnMut(f64) -> (f64, f64),
        x0: f64,
    ) -> RootReport {
        let one_by_one = |x: &[f64]| {
            let (f, df) = f_df(x[0]);
            (vec![f], vec![df])
        };
        self.find_system_with_jacobian(one_by_one, &[x0])
            .expect("one equation in one unknown: the start is not empty and the shapes match")
    }

    /// Solves the square system `F(x) = 0` from `x0` with a sparse
    /// Jacobian ([`admix_tape::SparseJacobian`]: pattern and colouring found
    /// once, then one forward sweep per colour) and faer's sparse LU with
    /// partial pivoting. A discretised 1-D boundary value problem (three
    /// colours) with 10^5 unknowns takes seconds, where the dense
    /// [`find_system`](Self::find_system) would need 80 GB for its Jacobian.
    ///
    /// `Err` for an empty start, or when `F` does not return one output
    /// per unknown.
    ///
    /// # Example
    /// ```
    /// use admix_dual::{Scalar, VectorFn};
    /// use admix_optim::NewtonRoot;
    ///
    /// // x_i^2 + x_{i+1} = 2 (the last: x^2 = 1): a bidiagonal Jacobian.
    /// struct Chain;
    /// impl VectorFn for Chain {
    ///     fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
    ///         let n = x.len();
    ///         (0..n)
    ///             .map(|i| if i + 1 < n { x[i] * x[i] + x[i + 1] - S::constant(2.0) } else { x[i] * x[i] - S::one() })
    ///             .collect()
    ///     }
    /// }
    /// let report = NewtonRoot::new().find_sparse_system(&Chain, &[2.0; 1000])?;
    /// assert!(report.status.converged());
    /// assert!(report.x.iter().all(|&x| (x - 1.0).abs() < 1e-12));
    /// # Ok::<(), admix_optim::OptimError>(())
    /// ```
    pub fn find_sparse_system<F: VectorFn>(
        &self,
        f: &F,
        x0: &[f64],
    ) -> Result<RootReport, OptimError> {
        let mut work = SparseJacobian::new();
        self.iterate(
            |x| work.jacobian(f, x),
            |jac: &SparseMatrix, n| {
                OptimError::check_len("Jacobian rows", n, jac.nrows())?;
                Ok(all_finite(jac.val()))
            },
            |jac, f| {
                let lu = jac.sp_lu().ok()?;
                let dx = lu.solve(ColRef::from_slice(f));
                let dx: Vec<f64> = dx.iter().copied().collect();
                all_finite(&dx).then_some(dx)
            },
            x0,
        )
    }

    /// Solves `F(x) = 0` from `x0`, where `f_jac(x)` returns `F(x)` (length
    /// `n`) and its Jacobian (row-major `n * n`, `J[i][j] = dF_i/dx_j`).
    ///
    /// `Err` only for an empty start or outputs of the wrong length.
    pub fn find_system_with_jacobian(
        &self,
        f_jac: impl FnMut(&[f64]) -> (Vec<f64>, Vec<f64>),
        x0: &[f64],
    ) -> Result<RootReport, OptimError> {
        self.iterate(
            f_jac,
            |jac: &Vec<f64>, n| {
                OptimError::check_len("Jacobian", n * n, jac.len())?;
                Ok(all_finite(jac))
            },
            |jac, f| lu_solve(jac, f.len(), f),
            x0,
        )
    }

    /// The Newton loop for any Jacobian type `J`: `check(jac, n)` tests its
    /// shape (`Err`) and whether it is finite, `solve(jac, f)` returns
    /// `J^{-1} f` or `None` when it is singular.
    fn iterate<J>(
        &self,
        mut f_jac: impl FnMut(&[f64]) -> (Vec<f64>, J),
        check: impl Fn(&J, usize) -> Result<bool, OptimError>,
        mut solve: impl FnMut(&J, &[f64]) -> Option<Vec<f64>>,
        x0: &[f64],
    ) -> Result<RootReport, OptimError> {
        let n = x0.len();
        if n == 0 {
            return Err(OptimError::EmptyStart);
        }
        let mut x = x0.to_vec();
        let mut iterates = vec![x.clone()];
        let mut last_step = f64::INFINITY;
        let mut iterations = 0;
        let finish = |status, x: Vec<f64>, residual, iterations, iterates| RootReport {
            status,
            x,
            residual,
            iterations,
            iterates,
        };
        if !all_finite(&x) {
            return Ok(finish(RootStatus::NonFinite, x, f64::NAN, 0, iterates));
        }
        // Every exit below reports the residual at the returned x.
        loop {
            let (f, jac) = f_jac(&x);
            OptimError::check_len("F(x)", n, f.len())?;
            let jac_finite = check(&jac, n)?;
            let residual = norm(&f);
            let status = if !residual.is_finite() || !all_finite(&x) {
                Some(RootStatus::NonFinite)
            } else if residual <= self.residual {
                Some(RootStatus::ConvergedResidual)
            } else if last_step <= self.step * norm(&x).max(1.0) {
                Some(RootStatus::ConvergedStep)
            } else if iterations >= self.max_iterations {
                Some(RootStatus::MaxIterations)
            } else if !jac_finite {
                Some(RootStatus::NonFinite)
            } else {
                None
            };
            if let Some(status) = status {
                return Ok(finish(status, x, residual, iterations, iterates));
            }
            let Some(dx) = solve(&jac, &f) else {
                return Ok(finish(
                    RootStatus::SingularDerivative,
                    x,
                    residual,
                    iterations,
                    iterates,
                ));
            };
            for (xi, di) in x.iter_mut().zip(&dx) {
                *xi -= di;
            }
            last_step = norm(&dx);
            iterations += 1;
            iterates.push(x.clone());
        }
    }
}
