//! Every array operation's adjoint against central differences, on random
//! shapes and values; forward values against naive loops.

use admix_tape::{ArrayVar, CustomOp, Tape, TapeError};
use approx::assert_relative_eq;
use ndarray::{array, ArrayD, ArrayViewD, Axis, IxDyn};
use proptest::prelude::*;

type Build = Box<dyn for<'t> Fn(&[ArrayVar<'t>]) -> Result<ArrayVar<'t>, TapeError>>;

/// A test case: operation name, input shapes, whether inputs must be
/// positive (ln, sqrt, division), and the recorded program.
struct Case {
    name: &'static str,
    shapes: Vec<Vec<usize>>,
    positive: bool,
    build: Build,
}

fn case(name: &'static str, shapes: Vec<Vec<usize>>, positive: bool, build: Build) -> Case {
    Case {
        name,
        shapes,
        positive,
        build,
    }
}

/// All operations for shapes m x n (m, n >= 1).
fn cases(m: usize, n: usize) -> Vec<Case> {
    let p = m * (m + 1) / 2;
    vec![
        case(
            "add",
            vec![vec![m, n], vec![m, n]],
            false,
            Box::new(|x| x[0] + x[1]),
        ),
        case(
            "add row",
            vec![vec![m, n], vec![n]],
            false,
            Box::new(|x| x[0] + x[1]),
        ),
        case(
            "sub column",
            vec![vec![m, n], vec![m, 1]],
            false,
            Box::new(|x| x[0] - x[1]),
        ),
        case(
            "mul scalar",
            vec![vec![m, n], vec![]],
            false,
            Box::new(|x| x[0] * x[1]),
        ),
        case(
            "mul",
            vec![vec![m, n], vec![m, n]],
            false,
            Box::new(|x| x[0] * x[1]),
        ),
        case(
            "div row",
            vec![vec![m, n], vec![1, n]],
            true,
            Box::new(|x| x[0] / x[1]),
        ),
        case(
            "div by matrix",
            vec![vec![n], vec![m, n]],
            true,
            Box::new(|x| x[0] / x[1]),
        ),
        case("neg", vec![vec![m, n]], false, Box::new(|x| Ok(-x[0]))),
        case("exp", vec![vec![m, n]], false, Box::new(|x| Ok(x[0].exp()))),
        case("ln", vec![vec![m, n]], true, Box::new(|x| Ok(x[0].ln()))),
        case(
            "sqrt",
            vec![vec![m, n]],
            true,
            Box::new(|x| Ok(x[0].sqrt())),
        ),
        case(
            "powi 3",
            vec![vec![m, n]],
            false,
            Box::new(|x| Ok(x[0].powi(3))),
        ),
        case(
            "powi -2",
            vec![vec![m, n]],
            true,
            Box::new(|x| Ok(x[0].powi(-2))),
        ),
        case(
            "square",
            vec![vec![m, n]],
            false,
            Box::new(|x| Ok(x[0].square())),
        ),
        case(
            "scale offset",
            vec![vec![m]],
            false,
            Box::new(|x| Ok(x[0].scale(-2.5).offset(1.0))),
        ),
        case(
            "matmul mm",
            vec![vec![m, n], vec![n, m]],
            false,
            Box::new(|x| x[0].matmul(x[1])),
        ),
        case(
            "matmul mv",
            vec![vec![m, n], vec![n]],
            false,
            Box::new(|x| x[0].matmul(x[1])),
        ),
        case(
            "matmul vm",
            vec![vec![m], vec![m, n]],
            false,
            Box::new(|x| x[0].matmul(x[1])),
        ),
        case(
            "dot",
            vec![vec![n], vec![n]],
            false,
            Box::new(|x| x[0].dot(x[1])),
        ),
        case(
            "transpose",
            vec![vec![m, n]],
            false,
            Box::new(|x| Ok(x[0].t())),
        ),
        case(
            "reshape",
            vec![vec![m, n]],
            false,
            Box::new(move |x| x[0].reshape(&[n * m])),
        ),
        case("sum", vec![vec![m, n]], false, Box::new(|x| Ok(x[0].sum()))),
        case(
            "sum axis 0",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].sum_axis(0)),
        ),
        case(
            "sum axis 1",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].sum_axis(1)),
        ),
        case("mean", vec![vec![m, n]], false, Box::new(|x| x[0].mean())),
        case(
            "sq_norm axis 0",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].sq_norm_axis(0)),
        ),
        case(
            "sq_norm axis 1",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].sq_norm_axis(1)),
        ),
        case(
            "matmul_add row",
            vec![vec![m, n], vec![n, m], vec![1, m]],
            false,
            Box::new(|x| x[0].matmul_add(x[1], x[2])),
        ),
        case(
            "matmul_add full",
            vec![vec![m, n], vec![n, m], vec![m, m]],
            false,
            Box::new(|x| x[0].matmul_add(x[1], x[2])),
        ),
        case(
            "matmul_add column",
            vec![vec![m, n], vec![n, m], vec![m, 1]],
            false,
            Box::new(|x| x[0].matmul_add(x[1], x[2])),
        ),
        case(
            "sq_norm",
            vec![vec![m, n]],
            false,
            Box::new(|x| Ok(x[0].sq_norm())),
        ),
        case(
            "logsumexp 0",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].logsumexp_axis(0)),
        ),
        case(
            "logsumexp 1",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].logsumexp_axis(1)),
        ),
        case(
            "softmax 1",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].softmax_axis(1)),
        ),
        case(
            "log_softmax 0",
            vec![vec![m, n]],
            false,
            Box::new(|x| x[0].log_softmax_axis(0)),
        ),
        case(
            "slice",
            vec![vec![m, n + 1]],
            false,
            Box::new(move |x| x[0].slice_axis(1, 1..n + 1)),
        ),
        // Rows in the middle: zeros on both sides of the block (first axis).
        case(
            "slice rows",
            vec![vec![m + 2, n]],
            false,
            Box::new(move |x| x[0].slice_axis(0, 1..m + 1)),
        ),
        // Two overlapping slices of one array: the second adds to the first.
        case(
            "slice twice",
            vec![vec![m + 1, n]],
            false,
            Box::new(move |x| x[0].slice_axis(0, 0..m)? * x[0].slice_axis(0, 1..m + 1)?),
        ),
        // Views of views: the slices and reshapes share the input's buffer,
        // each at its own offset.
        case(
            "slice of a reshaped slice",
            vec![vec![m + 2, n]],
            false,
            Box::new(move |x| {
                let flat = x[0].reshape(&[(m + 2) * n])?;
                let tail = flat.slice_axis(0, n..(m + 2) * n)?.reshape(&[m + 1, n])?;
                tail.slice_axis(0, 1..m + 1)?.slice_axis(0, 0..m)
            }),
        ),
        // Linear steps and squares on one input reached twice: the
        // constant adjoint of an unweighted sum is added to arrays and
        // arrays to it.
        case(
            "chain",
            vec![vec![m, n], vec![n]],
            false,
            Box::new(|x| {
                let a = (-x[0]).scale(3.0).offset(1.0);
                let b = (x[0].square() - x[1])?;
                let c = ((a + b)? - x[0].exp())?;
                (c * x[0])? + x[1].square().scale(0.5)
            }),
        ),
        // One array as both operands: both contributions reach one adjoint.
        case(
            "same operand twice",
            vec![vec![m, n]],
            false,
            Box::new(|x| (x[0] * x[0])? + ((x[0] + x[0])? - x[0].scale(0.5))?),
        ),
        case(
            "concat",
            vec![vec![m, n], vec![m, 2]],
            false,
            Box::new(|x| ArrayVar::concat(1, &[x[0], x[1], x[0]])),
        ),
        case(
            "concat rows",
            vec![vec![m, n], vec![2, n]],
            false,
            Box::new(|x| ArrayVar::concat(0, &[x[0], x[1], x[0]])),
        ),
        case(
            "tril_exp_diag",
            vec![vec![p]],
            false,
            Box::new(|x| x[0].tril_exp_diag()),
        ),
        case("diag", vec![vec![m, n]], false, Box::new(|x| x[0].diag())),
        case(
            "get and back",
            vec![vec![m, n]],
            false,
            Box::new(move |x| {
                let tape = x[0].tape();
                let a = x[0].get(&[m - 1, n - 1])?;
                let b = x[0].sum().to_scalar()?;
                let c = num_traits::Float::sin(a * b);
                tape.array_from_scalars(&[a, c, a * 2.0], &[3])
            }),
        ),
        case(
            "custom",
            vec![vec![m, n], vec![n]],
            false,
            Box::new(|x| x[0].tape().custom(ShiftedSquares, &[x[0], x[1]])),
        ),
    ]
}

/// A custom op for the test: rows r_i of x, y_i = |r_i - mu|^2.
struct ShiftedSquares;

impl CustomOp for ShiftedSquares {
    fn name(&self) -> &str {
        "shifted_squares"
    }
    fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> Result<ArrayD<f64>, TapeError> {
        Ok((&inputs[0] - &inputs[1]).mapv(|r| r * r).sum_axis(Axis(1)))
    }
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, f64>],
        _output: ArrayViewD<'_, f64>,
        adjoint: ArrayViewD<'_, f64>,
        wanted: &[bool],
    ) -> Vec<Option<ArrayD<f64>>> {
        let r = &inputs[0] - &inputs[1];
        let dx = &r * &adjoint.insert_axis(Axis(1)) * 2.0;
        let dmu = -dx.sum_axis(Axis(0));
        vec![wanted[0].then_some(dx), wanted[1].then_some(dmu)]
    }
}

/// Fixed, non-uniform weights so that the adjoint reaching the operation
/// is not the same in every element.
fn weights(shape: &[usize]) -> ArrayD<f64> {
    let mut w = ArrayD::zeros(IxDyn(shape));
    for (k, e) in w.iter_mut().enumerate() {
        *e = (1.0 + k as f64).sin();
    }
    w
}

/// f(inputs) = sum(weights * op(inputs)) on a fresh tape, or sum(op(inputs))
/// when not `weighted` (the adjoint reaching the operation is then the same
/// in every element, which the tape carries as one number): value and, when
/// `grad`, the gradient with respect to every input.
fn evaluate(
    c: &Case,
    inputs: &[ArrayD<f64>],
    weighted: bool,
    grad: bool,
) -> (f64, Vec<ArrayD<f64>>) {
    let tape = Tape::new();
    let xs: Vec<ArrayVar<'_>> = inputs
        .iter()
        .map(|a| {
            if grad {
                tape.array_var(a.clone())
            } else {
                tape.array_const(a.clone())
            }
        })
        .collect();
    let y = (c.build)(&xs).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let f = if weighted {
        let w = tape.array_const(weights(&y.shape()));
        (y * w).and_then(|p| p.sum().to_scalar())
    } else {
        y.sum().to_scalar()
    }
    .expect("weights fit");
    if !grad {
        return (f.value(), Vec::new());
    }
    let g = tape.gradient(f);
    (f.value(), xs.iter().map(|&x| g.wrt_array(x)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Adjoints against central differences (step eps^(1/3): error about
    /// 1e-10 times the size of f and its third derivative, so 1e-6
    /// relative to 1 + |f| + |g| is safe).
    #[test]
    fn adjoints_match_central_differences(
        m in 1usize..4,
        n in 1usize..4,
        data in prop::collection::vec(-1.0..1.0_f64, 64),
    ) {
        for (c, weighted) in cases(m, n).iter().flat_map(|c| [(c, true), (c, false)]) {
            let mut offset = 0;
            let inputs: Vec<ArrayD<f64>> = c.shapes.iter().map(|s| {
                let mut a = ArrayD::zeros(IxDyn(s));
                for e in a.iter_mut() {
                    let v = data[offset % data.len()];
                    *e = if c.positive { 0.5 + v * v } else { v };
                    offset += 1;
                }
                a
            }).collect();
            let (f, grads) = evaluate(c, &inputs, weighted, true);
            for (i, g) in grads.iter().enumerate() {
                prop_assert_eq!(g.shape(), inputs[i].shape());
                for k in 0..inputs[i].len() {
                    let h = f64::EPSILON.cbrt();
                    let mut plus = inputs.clone();
                    let mut minus = inputs.clone();
                    *plus[i].iter_mut().nth(k).unwrap() += h;
                    *minus[i].iter_mut().nth(k).unwrap() -= h;
                    let fd = (evaluate(c, &plus, weighted, false).0
                        - evaluate(c, &minus, weighted, false).0) / (2.0 * h);
                    let ad = *g.iter().nth(k).unwrap();
                    prop_assert!(
                        (ad - fd).abs() <= 1e-6 * (1.0 + f.abs() + ad.abs()),
                        "{} (weighted {}): input {} element {}: adjoint {} central {}",
                        c.name, weighted, i, k, ad, fd
                    );
                }
            }
        }
    }
}

#[test]
fn values_match_naive_loops() {
    let tape = Tape::new();
    let x = tape.array_var(array![[1.0, 2.0, 3.0], [-1.0, 0.5, 800.0]]);
    // log-sum-exp along axis 1, naive where it does not overflow.
    let lse = x.logsumexp_axis(1).unwrap().value();
    assert_relative_eq!(
        lse[[0]],
        (1f64.exp() + 2f64.exp() + 3f64.exp()).ln(),
        max_relative = 1e-15
    );
    assert_relative_eq!(lse[[1]], 800.0, max_relative = 1e-15); // exp(800) overflows naively
    let sm = x.softmax_axis(1).unwrap().value();
    assert_relative_eq!(sm.sum_axis(Axis(1))[[0]], 1.0, max_relative = 1e-15);
    assert_relative_eq!(sm[[1, 2]], 1.0, max_relative = 1e-15);
    // Lower triangle of [a, b, c] with exp on the diagonal.
    let l = tape
        .array_var(array![0.0, 2.0, 1.0])
        .tril_exp_diag()
        .unwrap()
        .value();
    assert_eq!(l, array![[1.0, 0.0], [2.0, 1f64.exp()]].into_dyn());
    // Slices of slices and reshapes (views of one buffer) against ndarray's.
    let a = ndarray::Array::from_shape_fn((5, 3), |(i, j)| (10 * i + j) as f64);
    let v = tape.array_var(a.clone());
    let rows = v.slice_axis(0, 1..5).unwrap().slice_axis(0, 2..4).unwrap();
    assert_eq!(rows.value(), a.slice(ndarray::s![3..5, ..]).into_dyn());
    let flat = rows.reshape(&[6]).unwrap().slice_axis(0, 1..4).unwrap();
    assert_eq!(flat.value(), array![31.0, 32.0, 40.0].into_dyn());
    let cols = rows.slice_axis(1, 1..3).unwrap();
    assert_eq!(cols.value(), array![[31.0, 32.0], [41.0, 42.0]].into_dyn());
    // Concatenation along either axis against ndarray's.
    let b = array![[-1.0, -2.0], [-3.0, -4.0]];
    let (u, w) = (
        tape.array_var(a.slice(ndarray::s![..2, ..]).to_owned()),
        tape.array_var(b.clone()),
    );
    let joined = ArrayVar::concat(1, &[u, w, u]).unwrap().value();
    let (a2, b) = (a.slice(ndarray::s![..2, ..]), b.view());
    let expected = ndarray::concatenate(Axis(1), &[a2, b, a2]).unwrap();
    assert_eq!(joined, expected.into_dyn());
    let joined = ArrayVar::concat(0, &[u, u]).unwrap().value();
    let expected = ndarray::concatenate(Axis(0), &[a2, a2]).unwrap();
    assert_eq!(joined, expected.into_dyn());
    // Matrix product against the triple loop.
    let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let b = array![[1.0, -1.0, 2.0], [0.5, 0.0, 1.0]];
    let p = tape
        .array_var(a.clone())
        .matmul(tape.array_var(b.clone()))
        .unwrap()
        .value();
    for i in 0..3 {
        for j in 0..3 {
            let naive: f64 = (0..2).map(|k| a[[i, k]] * b[[k, j]]).sum();
            assert_eq!(p[[i, j]], naive);
        }
    }
}

#[test]
fn shape_mismatches_are_typed_errors_at_recording() {
    let tape = Tape::new();
    let a = tape.array_var(ndarray::Array2::<f64>::zeros((2, 3)));
    let b = tape.array_var(ndarray::Array2::<f64>::zeros((2, 2)));
    assert!(matches!(
        a + b,
        Err(TapeError::ShapeMismatch { op: "add", .. })
    ));
    assert!(matches!(
        a.matmul(a),
        Err(TapeError::ShapeMismatch { op: "matmul", .. })
    ));
    assert!(matches!(
        a.sum_axis(2),
        Err(TapeError::AxisOutOfRange { axis: 2, .. })
    ));
    assert!(matches!(
        a.slice_axis(1, 2..4),
        Err(TapeError::IndexOutOfRange { .. })
    ));
    assert!(matches!(a.tril_exp_diag(), Err(TapeError::BadRank { .. })));
    let v = tape.array_var(array![1.0, 2.0]);
    assert!(matches!(
        v.tril_exp_diag(),
        Err(TapeError::TriangularLength { len: 2 })
    ));
    assert!(matches!(a.to_scalar(), Err(TapeError::BadRank { .. })));
    assert!(matches!(
        a.reshape(&[5]),
        Err(TapeError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ArrayVar::concat(0, &[a, v]),
        Err(TapeError::ShapeMismatch { .. })
    ));
    let other = Tape::new();
    let c = other.array_var(ndarray::Array2::<f64>::zeros((2, 3)));
    assert!(matches!(a + c, Err(TapeError::DifferentTapes { .. })));
    let message = (a + b).unwrap_err().to_string();
    assert!(
        message.contains("[2, 3]") && message.contains("broadcastable"),
        "{message}"
    );
}

#[test]
fn constants_record_no_steps_and_unused_inputs_get_zero() {
    let tape = Tape::new();
    let data = tape.array_const(array![1.0, 2.0]);
    let w = tape.array_var(array![3.0, 4.0]);
    let unused = tape.array_var(array![5.0]);
    let c = data.exp().sum();
    assert!(!c.is_active());
    let f = (w.dot(data).unwrap() * c).unwrap().to_scalar().unwrap();
    let g = tape.gradient(f);
    let cv = 1f64.exp() + 2f64.exp();
    assert_eq!(g.wrt_array(w), array![cv, 2.0 * cv].into_dyn());
    assert_eq!(g.wrt_array(unused), array![0.0].into_dyn());
    assert_eq!(g.wrt_array(data), array![0.0, 0.0].into_dyn());
}

/// Large arrays take pooled buffers once a tape is cleared and reused: the
/// second and third recordings must give exactly the first one's values and
/// gradients (sum of exp(x)^2 * 3 + x: gradient 6 exp(2x) + 1).
#[test]
fn reused_tape_with_pooled_buffers_gives_the_same_results() {
    let x = ndarray::Array1::from_shape_fn(5000, |i| (i as f64 * 0.001).sin()).into_dyn();
    let mut tape = Tape::new();
    let mut first: Option<(f64, ArrayD<f64>)> = None;
    for _ in 0..3 {
        tape.clear();
        let xv = tape.array_var(x.clone());
        let y = (xv.exp().square().scale(3.0) + xv)
            .unwrap()
            .sum()
            .to_scalar()
            .unwrap();
        let g = tape.gradient(y).wrt_array(xv);
        for (gi, xi) in g.iter().zip(x.iter()) {
            assert_relative_eq!(*gi, 6.0 * (2.0 * xi).exp() + 1.0, max_relative = 1e-14);
        }
        match &first {
            None => first = Some((y.value(), g)),
            Some((v, g0)) => {
                assert_eq!(y.value(), *v);
                assert_eq!(&g, g0);
            }
        }
    }
}
