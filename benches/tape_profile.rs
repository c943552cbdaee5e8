//! The tape workloads of `tape_scalar.rs`, one per run, for measurements
//! that survive a loaded machine:
//!
//! - instruction counts: `valgrind --tool=callgrind tape_profile WORKLOAD REPS`
//!   at two values of REPS; the difference over the difference of REPS is
//!   the count of one call, free of set-up.
//! - time: `tape_profile WORKLOAD REPS BATCHES` prints the minimum over
//!   BATCHES of the mean time of REPS calls (other processes only ever add
//!   time, so the minimum is the cleanest estimate).
//!
//! WORKLOAD: `chain`, `chain-record` (recording only, no sweep),
//! `chain-primal`, `rosenbrock`, `rosenbrock-record`, `rosenbrock-primal`,
//! `rosenbrock-array` (array nodes, tape reused), `chain-sweep` (one
//! recording of the chain swept again and again: the sweep alone), `vars`
//! (1000 inputs recorded on a cleared tape, nothing else). n = 1000, except
//! `rosenbrock-array-N` (array nodes, n = N: two sizes separate the fixed
//! cost of the array operations from the cost per element).

#[path = "../tape/benches/common/chain.rs"]
mod chain;
#[path = "../tape/benches/common/rosenbrock.rs"]
mod rosenbrock;

use admix_dual::ScalarFn;
use admix_tape::{GradientTape, Gradients, Tape};
use chain::Chain;
use ndarray::Array1;
use rosenbrock::{array_gradient_on, Rosenbrock};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    // `cargo bench` appends `--bench`: options are not ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let usage = "usage: tape_profile WORKLOAD REPS [BATCHES]";
    let workload = args.first().expect(usage).as_str();
    let reps: usize = args.get(1).and_then(|r| r.parse().ok()).expect(usage);
    let n = workload
        .strip_prefix("rosenbrock-array-")
        .map_or(1000, |n| n.parse().expect(usage));
    let x: Vec<f64> = (0..n)
        .map(|i| 0.5 + 0.4 * (i as f64 * 0.37).sin())
        .collect();
    let mut work = Workspace::new(&x);
    match args.get(2).map(|b| b.parse::<usize>().expect(usage)) {
        None => println!("{}", work.run(workload, reps)),
        Some(batches) => {
            let best = (0..batches)
                .map(|_| {
                    let start = Instant::now();
                    black_box(work.run(workload, reps));
                    start.elapsed().as_secs_f64() / reps as f64
                })
                .fold(f64::INFINITY, f64::min);
            println!("{workload}: {:.3} us", best * 1e6);
        }
    }
}

/// Inputs and reusable tapes, as in an optimisation loop.
struct Workspace {
    x: Vec<f64>,
    x_array: Array1<f64>,
    gradient: GradientTape,
    tape: Tape,
    /// Adjoints of the array workloads and `chain-sweep`, reused across sweeps.
    array_grads: Gradients,
    grad: Vec<f64>,
}

impl Workspace {
    fn new(x: &[f64]) -> Self {
        Self {
            x: x.to_vec(),
            x_array: Array1::from(x.to_vec()),
            gradient: GradientTape::new(),
            tape: Tape::new(),
            array_grads: Gradients::empty(),
            grad: vec![0.0; x.len()],
        }
    }

    /// `reps` calls of `workload`; returns the sum of the values.
    fn run(&mut self, workload: &str, reps: usize) -> f64 {
        let x = black_box(&self.x);
        let mut sum = 0.0;
        if workload == "chain-sweep" {
            self.tape.clear();
            let v = self.tape.vars(x);
            let y = Chain.eval(&v).to_node();
            for _ in 0..reps {
                self.tape.gradient_into(y, &mut self.array_grads);
                sum += self.array_grads.wrt(v[3]);
            }
            return sum;
        }
        for _ in 0..reps {
            sum += match workload {
                "chain" => self
                    .gradient
                    .gradient_into(|v| Chain.eval(v), x, &mut self.grad),
                "chain-record" => record(&mut self.tape, x, |v| Chain.eval(v).value()),
                "chain-primal" => Chain.eval(x),
                "vars" => record(&mut self.tape, x, |v| v[7].value()),
                "rosenbrock" => {
                    self.gradient
                        .gradient_into(|v| Rosenbrock.eval(v), x, &mut self.grad)
                }
                "rosenbrock-record" => record(&mut self.tape, x, |v| Rosenbrock.eval(v).value()),
                "rosenbrock-primal" => Rosenbrock.eval(x),
                w if w.starts_with("rosenbrock-array") => {
                    array_gradient_on(&mut self.tape, &mut self.array_grads, &self.x_array).0
                }
                other => panic!("unknown workload {other}"),
            };
        }
        sum
    }
}

/// Records `f` on the cleared `tape` without sweeping it.
fn record(
    tape: &mut Tape,
    x: &[f64],
    f: impl for<'t> Fn(&[admix_tape::Var<'t, f64>]) -> f64,
) -> f64 {
    tape.clear();
    f(&tape.vars(x))
}
