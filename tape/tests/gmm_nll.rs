//! The array-node Gaussian-mixture likelihood of the benchmark: value
//! against the plain ndarray code, gradient against central differences.

#[path = "../benches/common/gmm_model.rs"]
mod gmm_model;

use admix_tape::Tape;
use approx::assert_relative_eq;
use gmm_model::{nll_plain, nll_tape, Params, Problem};

#[test]
fn gmm_nll_value_and_gradient() {
    let mut problem = Problem::new(40, 3, 2, 7);
    let tape = Tape::new();
    let x = tape.array_const(problem.x.clone());
    let w = Params::record(&tape, &problem);
    let nll = nll_tape(x, &w).expect("shapes fit");
    assert_relative_eq!(nll.value(), nll_plain(&problem), max_relative = 1e-13);
    let g = tape.gradient(nll);
    let (g_logits, g_means, g_raw) = (
        g.wrt_array(w.logits),
        g.wrt_array(w.means),
        g.wrt_array(w.raw),
    );
    // Central differences, step eps^(1/3): error ~1e-10 relative to |nll|.
    let h = f64::EPSILON.cbrt();
    let scale = 1e-6 * (1.0 + nll.value().abs());
    for which in 0..3 {
        let len = [problem.logits.len(), problem.means.len(), problem.raw.len()][which];
        for e in 0..len {
            let mut at = |delta: f64| {
                let slot = match which {
                    0 => problem.logits.iter_mut().nth(e),
                    1 => problem.means.iter_mut().nth(e),
                    _ => problem.raw.iter_mut().nth(e),
                }
                .expect("in range");
                *slot += delta;
                let f = nll_plain(&problem);
                let slot = match which {
                    0 => problem.logits.iter_mut().nth(e),
                    1 => problem.means.iter_mut().nth(e),
                    _ => problem.raw.iter_mut().nth(e),
                }
                .expect("in range");
                *slot -= delta;
                f
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            let ad = *[&g_logits, &g_means, &g_raw][which]
                .iter()
                .nth(e)
                .expect("in range");
            assert!(
                (ad - fd).abs() <= scale,
                "param {which}[{e}]: adjoint {ad} central {fd}"
            );
        }
    }
}

/// Re-recording on a cleared tape reuses the array buffers of the previous
/// recording and gives the same value and gradient as a fresh tape.
#[test]
fn cleared_tape_reuses_buffers_and_agrees() {
    let problem = Problem::new(3000, 3, 2, 11);
    let fresh = {
        let tape = Tape::new();
        let x = tape.array_const(problem.x.clone());
        let w = Params::record(&tape, &problem);
        let nll = nll_tape(x, &w).expect("shapes fit");
        (nll.value(), tape.gradient(nll).wrt_array(w.means))
    };
    let mut tape = Tape::new();
    for _ in 0..3 {
        tape.clear();
        let x = tape.array_const(problem.x.clone());
        let w = Params::record(&tape, &problem);
        let nll = nll_tape(x, &w).expect("shapes fit");
        assert_eq!(nll.value(), fresh.0);
        assert_eq!(tape.gradient(nll).wrt_array(w.means), fresh.1);
    }
}

/// Array tapes on several threads at once give the single-threaded result.
#[test]
fn array_tapes_on_several_threads() {
    let run = |seed: u64| {
        let problem = Problem::new(500, 3, 2, seed);
        let tape = Tape::new();
        let x = tape.array_const(problem.x.clone());
        let w = Params::record(&tape, &problem);
        let nll = nll_tape(x, &w).expect("shapes fit");
        tape.gradient(nll).wrt_array(w.raw)
    };
    let expected: Vec<_> = (0..3).map(run).collect();
    let handles: Vec<_> = (0..3).map(|s| std::thread::spawn(move || run(s))).collect();
    for (h, e) in handles.into_iter().zip(expected) {
        assert_eq!(h.join().expect("thread panicked"), e);
    }
}
