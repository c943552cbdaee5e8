//! The reverse sweep's two loops: a serial chain of nodes (each node's
//! first parent the node before it) hands adjoints over in a register, any
//! other tape goes through memory; which loop runs depends on the last
//! nodes of the tape. Both must give the exact gradient, and the same bits.

use admix_dual::{gradient_of, Dual, Scalar, ScalarFn};
use admix_tape::{GradientTape, Tape, Var};
use approx::assert_relative_eq;

/// A chain with the cases the register hand-over must get right: the
/// first node continues the last input (the edge of the swept range; that
/// input is used nowhere else); a node whose two parents are both the node
/// before it, `v (v + 0.3)` with unequal partials, where `v` is also read
/// by a later node, so the order of the contributions shows in the bits; a
/// node read much later (`keep`); sin/cos/products in between. `node`
/// records a value as a node of its own (identity off the tape).
fn chain<S: Scalar>(x: &[S], node: impl Fn(S) -> S) -> S {
    let n = x.len();
    let mut acc = node(x[n - 1] * x[0]);
    let keep = acc;
    let mut previous = acc;
    for (i, &xi) in x[..n - 1].iter().enumerate() {
        let v = node((acc * xi).sin());
        acc = if i % 3 == 0 {
            node(v * (v + S::constant(0.3)))
        } else {
            node((v * xi).cos())
        };
        if i % 3 == 1 {
            acc = node(acc * previous);
        }
        if i == n / 2 {
            acc = node(acc * keep);
        }
        previous = v;
    }
    acc
}

struct Chain;
impl ScalarFn for Chain {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        chain(x, |s| s)
    }
}

fn inputs() -> Vec<f64> {
    (0..40)
        .map(|i| 0.3 + 0.5 * (i as f64 * 0.71).sin().abs())
        .collect()
}

fn gradient_on(tape: &Tape, x: &[Var<'_>], y: Var<'_>) -> Vec<f64> {
    let g = tape.gradient(y);
    x.iter().map(|&xi| g.wrt(xi)).collect()
}

#[test]
fn chained_sweep_matches_forward_mode() {
    let x0 = inputs();
    let (value, reference) = gradient_of(&Chain, &x0);
    let tape = Tape::new();
    let x = tape.vars(&x0);
    let y = chain(&x, Var::to_node);
    assert_eq!(y.value(), value);
    for (g, r) in gradient_on(&tape, &x, y).iter().zip(&reference) {
        assert_relative_eq!(*g, *r, max_relative = 1e-12, epsilon = 1e-300);
    }
}

#[test]
fn both_sweep_loops_give_the_same_bits() {
    let x0 = inputs();
    // Chained loop: the tape ends with the chain.
    let tape = Tape::new();
    let x = tape.vars(&x0);
    let y = chain(&x, Var::to_node);
    let chained = gradient_on(&tape, &x, y);
    // Plain loop: the same chain followed by nodes that do not continue
    // the node before them (products of two inputs), which y ignores.
    let tape = Tape::new();
    let x = tape.vars(&x0);
    let y = chain(&x, Var::to_node);
    for i in 0..32 {
        (x[i % 7] * x[i % 5 + 10]).to_node();
    }
    let plain = gradient_on(&tape, &x, y);
    for (c, p) in chained.iter().zip(&plain) {
        assert_eq!(c.to_bits(), p.to_bits(), "chained {c:e} vs plain {p:e}");
    }
}

/// A sin/cos chain from `x[0]` over `x[1..]` that hands every step's
/// result to `at(i, step)` (which may replace it); step 5 is read again at
/// step 30, so that node receives two contributions.
fn seeded_chain<S: Scalar>(x: &[S], mut at: impl FnMut(usize, S) -> S) -> S {
    let mut acc = x[0];
    let mut keep = acc;
    for (i, &xi) in x.iter().enumerate().skip(1) {
        acc = if i % 2 == 0 {
            (acc * xi).sin()
        } else {
            (acc * xi).cos()
        };
        if i == 30 {
            acc *= keep;
        }
        acc = at(i, acc);
        if i == 5 {
            keep = acc;
        }
    }
    acc
}

/// The adjoints `wrt` reads for every step of `seeded_chain` recorded as
/// a node; with `trailing`, unrelated nodes follow the chain, so the sweep
/// takes the plain loop instead of the chained one.
fn step_adjoints(x0: &[f64], trailing: bool) -> Vec<f64> {
    let tape = Tape::new();
    let x = tape.vars(x0);
    let mut steps = Vec::new();
    let y = seeded_chain(&x, |_, s| {
        let s = s.to_node();
        steps.push(s);
        s
    });
    if trailing {
        for i in 0..32 {
            (x[i % 7] * x[i % 5 + 10]).to_node();
        }
    }
    let g = tape.gradient(y);
    steps.iter().map(|&s| g.wrt(s)).collect()
}

/// The adjoint of every intermediate node of a serial chain, read with
/// `wrt` after the sweep that hands adjoints over in registers (it used to
/// read 0 there): each against forward mode seeded at that step
/// (`dy/ds_k`), and bitwise against the plain loop.
#[test]
fn intermediate_adjoints_survive_the_chained_sweep() {
    let x0 = inputs();
    let chained = step_adjoints(&x0, false);
    let constants: Vec<Dual<f64>> = x0.iter().map(|&v| Dual::new(v, 0.0)).collect();
    for (k, &adjoint) in chained.iter().enumerate() {
        let forward = seeded_chain(&constants, |i, s| {
            if i == k + 1 {
                Dual::variable(s.re)
            } else {
                s
            }
        });
        assert!(forward.eps != 0.0, "step {k} does not reach the output");
        assert_relative_eq!(adjoint, forward.eps, max_relative = 1e-12);
    }
    let plain = step_adjoints(&x0, true);
    for (k, (c, p)) in chained.iter().zip(&plain).enumerate() {
        assert_eq!(
            c.to_bits(),
            p.to_bits(),
            "step {k}: chained {c:e} vs plain {p:e}"
        );
    }
}

/// `x[1] * x[4]`, then 30 sin/cos steps over `x[5..]`, each a node that
/// continues the one before; on the tape, `x[1]` passes through an array
/// (`get` records a new input node whose adjoint an array step reads back),
/// which the first product continues.
fn through_an_array<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let tape = v[0].tape().expect("the inputs are on a tape");
    let array = tape
        .array_from_scalars(&v[..3], &[3])
        .expect("three scalars fit the shape");
    let element = array.get(&[1]).expect("index in range");
    chain_from(element, &v[4..])
}

fn chain_from<S: Scalar>(first: S, x: &[S]) -> S {
    let mut acc = first * x[0];
    for (i, &xi) in x[1..].iter().enumerate().take(30) {
        acc = if i % 2 == 0 {
            (acc * xi).sin()
        } else {
            (acc * xi).cos()
        };
    }
    acc
}

struct ThroughAnArray;
impl ScalarFn for ThroughAnArray {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        chain_from(x[1], &x[4..])
    }
}

/// A function recorded on the inputs' tape.
type Recorded = for<'t> fn(&[Var<'t, f64>]) -> Var<'t, f64>;

/// A `GradientTape` sweeps without storing the adjoints it hands over in
/// registers (it reads the inputs only); its gradients have the bits of
/// `Tape::gradient`, which stores them all, on the chains above and on one
/// whose first node continues the input node of an array's element (whose
/// adjoint the array step reads back), first call and with the input nodes
/// kept.
#[test]
fn gradient_workspace_has_the_bits_of_the_full_sweep() {
    let x0 = inputs();
    let full = |f: Recorded| {
        let tape = Tape::new();
        let x = tape.vars(&x0);
        let y = f(&x);
        gradient_on(&tape, &x, y)
    };
    let cases: [Recorded; 3] = [
        |v| chain(v, Var::to_node),
        |v| seeded_chain(v, |_, s| s.to_node()),
        through_an_array,
    ];
    let mut work = GradientTape::new();
    for f in cases {
        let reference = full(f);
        for call in 0..2 {
            let (_, g) = work.gradient_with(f, &x0);
            for (k, (a, b)) in g.iter().zip(&reference).enumerate() {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "call {call}, input {k}: {a:e} vs {b:e}"
                );
            }
        }
    }
    let (_, forward) = gradient_of(&ThroughAnArray, &x0);
    let (_, g) = work.gradient_with(through_an_array, &x0);
    assert!(forward[1] != 0.0);
    for (a, b) in g.iter().zip(&forward) {
        assert_relative_eq!(*a, *b, max_relative = 1e-12, epsilon = 1e-300);
    }
}
