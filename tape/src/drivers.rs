//! Drivers: evaluate a function on tape variables and return derivatives,
//! for closures and for functions written once as `ScalarFn`/`VectorFn`.

use crate::{Gradients, Tape, Var};
use admix_dual::{Scalar, ScalarFn, VectorFn};

/// Value and gradient of `f` at `x` by one recording and one reverse sweep.
///
/// For repeated calls (an optimiser loop) use [`GradientTape`], which keeps
/// the tape's memory between calls.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
///
/// struct Rosenbrock;
/// impl ScalarFn for Rosenbrock {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         let (a, b) = (S::one() - x[0], x[1] - x[0] * x[0]);
///         a * a + b.scale(100.0) * b
///     }
/// }
///
/// let (value, grad) = admix_tape::gradient(&Rosenbrock, &[1.0, 1.0]);
/// assert_eq!(value, 0.0);
/// assert_eq!(grad, vec![0.0, 0.0]);
/// ```
pub fn gradient<F: ScalarFn + ?Sized>(f: &F, x: &[f64]) -> (f64, Vec<f64>) {
    GradientTape::new().gradient(f, x)
}

/// Value and gradient of a closure over tape variables at `x`.
///
/// The closure takes `&[Var<T>]` (closures cannot be generic over the
/// number type; use [`gradient`] with a [`ScalarFn`] for that). With
/// `T = Dual<f64>` the result carries directional second derivatives.
///
/// # Example
/// ```
/// use num_traits::Float;
///
/// let (value, grad) = admix_tape::gradient_with(|x| x[0] * x[1].exp(), &[3.0, 0.0]);
/// assert_eq!(value, 3.0);
/// assert_eq!(grad, vec![1.0, 3.0]);
/// ```
pub fn gradient_with<T, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    GradientTape::new().gradient_with(f, x)
}

/// Values and Jacobian (`m` rows of length `n`) of `f` at `x`: one
/// recording, then one reverse sweep per output.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, VectorFn};
///
/// struct Polar;
/// impl VectorFn for Polar {
///     fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
///         vec![x[0] * x[1].cos(), x[0] * x[1].sin()]
///     }
/// }
/// let (_, jac) = admix_tape::jacobian(&Polar, &[2.0, 0.0]);
/// assert_eq!(jac, vec![vec![1.0, 0.0], vec![0.0, 2.0]]);
/// ```
pub fn jacobian<F: VectorFn + ?Sized>(f: &F, x: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    jacobian_with(|v| f.eval(v), x)
}

/// Values and Jacobian rows of a closure over tape variables at `x`.
pub fn jacobian_with<T, F>(f: F, x: &[T]) -> (Vec<T>, Vec<Vec<T>>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Vec<Var<'t, T>>,
{
    let tape = Tape::new();
    let vars = tape.vars(x);
    let ys = f(&vars);
    let values = ys.iter().map(Var::value).collect();
    (values, tape.jacobian(&ys, &vars))
}

/// A reusable workspace for gradients of one function at many points: the
/// tape and the adjoint buffer keep their memory from call to call, so an
/// optimiser loop allocates nothing for the recording after the first call.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
/// use admix_tape::GradientTape;
///
/// struct Sphere;
/// impl ScalarFn for Sphere {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x.iter().map(|&v| v * v).sum()
///     }
/// }
///
/// let mut work = GradientTape::new();
/// let mut x = vec![1.0, -2.0];
/// for _ in 0..50 {
///     let (_, g) = work.gradient(&Sphere, &x);
///     x.iter_mut().zip(&g).for_each(|(x, g)| *x -= 0.25 * g);
/// }
/// assert!(Sphere.eval(&x) < 1e-20);
/// ```
#[derive(Debug, Default)]
pub struct GradientTape<T: Scalar = f64> {
    tape: Tape<T>,
    adjoints: Gradients<T>,
}

impl<T: Scalar> GradientTape<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Self {
            tape: Tape::new(),
            adjoints: Gradients::empty(),
        }
    }

    /// Value and gradient of `f` at `x`.
    pub fn gradient<F: ScalarFn + ?Sized>(&mut self, f: &F, x: &[T]) -> (T, Vec<T>) {
        self.gradient_with(|v| f.eval(v), x)
    }

    /// Value and gradient of a closure over tape variables at `x`.
    pub fn gradient_with<F>(&mut self, f: F, x: &[T]) -> (T, Vec<T>)
    where
        F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
    {
        let mut grad = vec![T::zero(); x.len()];
        let value = self.gradient_into(f, x, &mut grad);
        (value, grad)
    }

    /// Value of the closure at `x`; its gradient is written into `grad`
    /// (which must have `x.len()` elements).
    ///
    /// # Panics
    /// When `grad.len() != x.len()`.
    #[track_caller]
    pub fn gradient_into<F>(&mut self, f: F, x: &[T], grad: &mut [T]) -> T
    where
        F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
    {
        assert_eq!(
            grad.len(),
            x.len(),
            "gradient_into: the gradient buffer must have one slot per input"
        );
        self.tape.clear_keeping_inputs(x.len());
        let vars = self.tape.inputs_from_start(x);
        let y = f(&vars);
        self.tape.input_gradient_into(y, &mut self.adjoints);
        // The cleared tape holds the inputs first: nodes 1..=n.
        grad.copy_from_slice(&self.adjoints.scalars[1..=x.len()]);
        y.value()
    }

    /// Number of scalar nodes of the last recording (for memory reports).
    pub fn tape_len(&self) -> usize {
        self.tape.len()
    }
}
