//! Source transformation, shown: the evaluation trace written out as a
//! self-contained C or Rust function that computes the value and the
//! derivative(s) in straight-line code, one statement per elementary step.
//!
//! Forward mode puts the tangent line `dwi` under each value line `wi`;
//! reverse mode writes the forward sweep, then the adjoint statements
//! `wi_bar` in reverse order. The partial derivatives are those the dual
//! numbers and the tape use (except the plain textbook forms for `tanh`,
//! `atan2` and `hypot`), so the emitted programs agree with
//! [`Expr::derivatives`] to round-off.

use super::{Expr, Func, Op};
use std::fmt::Write;

/// The language of the emitted function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// C99 with `<math.h>`.
    C,
    /// Rust, `f64` methods only.
    Rust,
}

/// Which derivative program is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Value and one directional derivative: tangent lines next to value lines.
    Forward,
    /// Value and the whole gradient: the forward sweep, then the adjoints.
    Reverse,
}

impl Expr {
    /// The expression as a function called `name` in `language`.
    ///
    /// Forward mode takes the point `x` and a direction `dx` and returns the
    /// value and `grad f . dx`; reverse mode takes `x` and returns the value
    /// and the gradient. In C, `double name(const double x[n], const double
    /// dx[n], double *df)` and `double name(const double x[n], double
    /// grad[n])`; in Rust, `fn name(x: &[f64; n], dx: &[f64; n]) -> (f64, f64)`
    /// and `fn name(x: &[f64; n]) -> (f64, [f64; n])`.
    ///
    /// Derivative conventions: `min`/`max` take the derivative of the
    /// argument they return, `abs` has derivative `signum`, `tanh` has
    /// `1 / cosh^2`, and `atan2`/`hypot` use `x / (x^2 + y^2)` and
    /// `x / hypot` (undefined at the origin, where the library returns 0).
    ///
    /// # Example
    /// ```
    /// use admix::expr::{Expr, Language, Mode};
    ///
    /// let f = Expr::parse("x1*x2 + sin(x1)", &["x1", "x2"])?;
    /// let c = f.emit(Language::C, Mode::Forward, "f");
    /// assert!(c.contains("double dw4 = cos(w1) * dw1;"));
    /// # Ok::<(), admix::expr::ExprError>(())
    /// ```
    pub fn emit(&self, language: Language, mode: Mode, name: &str) -> String {
        let emitter = Emitter {
            expr: self,
            lang: language,
            active: self.active_steps(),
            live: self.live_steps(),
        };
        match mode {
            Mode::Forward => emitter.forward(name),
            Mode::Reverse => emitter.reverse(name),
        }
    }

    /// Which steps depend on an input: constants and what is made of
    /// constants alone need no tangent and no adjoint.
    fn active_steps(&self) -> Vec<bool> {
        let mut active: Vec<bool> = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let is_active = match step.op {
                Op::Input(_) => true,
                op => op.args().iter().any(|&a| active[a]),
            };
            active.push(is_active);
        }
        active
    }

    /// Which steps the output reads, directly or not: an input the
    /// expression does not use gets no line.
    fn live_steps(&self) -> Vec<bool> {
        let mut live = vec![false; self.steps.len()];
        live[self.output] = true;
        for i in (0..self.steps.len()).rev() {
            if live[i] {
                for a in self.steps[i].op.args() {
                    live[a] = true;
                }
            }
        }
        live
    }
}

struct Emitter<'a> {
    expr: &'a Expr,
    lang: Language,
    active: Vec<bool>,
    live: Vec<bool>,
}

fn w(i: usize) -> String {
    format!("w{}", i + 1)
}

fn dw(i: usize) -> String {
    format!("dw{}", i + 1)
}

fn bar(i: usize) -> String {
    format!("w{}_bar", i + 1)
}

impl Emitter<'_> {
    fn n(&self) -> usize {
        self.expr.variables.len()
    }

    /// Whether the output depends on any input (else Rust would warn of
    /// unused parameters).
    fn reads_inputs(&self) -> bool {
        (0..self.n()).any(|v| self.live[v])
    }

    /// The header comment and, for C, the include.
    fn preamble(&self, out: &mut String, mode: Mode) {
        let vars = self.expr.variables.join(", ");
        let what = match mode {
            Mode::Forward => "value and directional derivative grad f . dx (forward mode)",
            Mode::Reverse => "value and gradient (reverse mode)",
        };
        let order: Vec<String> = self
            .expr
            .variables
            .iter()
            .enumerate()
            .map(|(i, v)| format!("x[{i}] = {v}"))
            .collect();
        let (open, line, close) = match self.lang {
            Language::C => ("/*", " *", " */"),
            Language::Rust => ("//", "//", "//"),
        };
        let _ = writeln!(out, "{open} f({vars}) = {}", self.expr.source);
        let _ = writeln!(out, "{line} {what}.");
        if !order.is_empty() {
            let _ = writeln!(out, "{line} Inputs: {}.", order.join(", "));
        }
        let _ = writeln!(
            out,
            "{line} Written by admix diff --emit, one statement per elementary step."
        );
        if self.lang == Language::C {
            let _ = writeln!(out, "{close}");
            let _ = writeln!(out, "#include <math.h>");
        }
        out.push('\n');
    }

    /// `let wi = ...;` or `double wi = ...;`.
    fn define(&self, out: &mut String, name: &str, value: &str) {
        let _ = match self.lang {
            Language::C => writeln!(out, "    double {name} = {value};"),
            Language::Rust => writeln!(out, "    let {name} = {value};"),
        };
    }

    /// The value lines of the forward sweep, with the tangent line after
    /// each when `tangents` is set.
    fn sweep(&self, out: &mut String, tangents: bool) {
        for (i, step) in self.expr.steps.iter().enumerate() {
            if !self.live[i] {
                continue;
            }
            self.define(out, &w(i), &self.value(i));
            if tangents && self.active[i] {
                let tangent = match step.op {
                    Op::Input(v) => format!("dx[{v}]"),
                    _ => self.tangent(i),
                };
                self.define(out, &dw(i), &tangent);
            }
        }
    }

    fn forward(&self, name: &str) -> String {
        let mut out = String::new();
        self.preamble(&mut out, Mode::Forward);
        let n = self.n();
        let _ = match self.lang {
            Language::C => writeln!(
                out,
                "double {name}(const double x[{n}], const double dx[{n}], double *df)\n{{"
            ),
            Language::Rust => {
                let (x, dx) = if self.reads_inputs() {
                    ("x", "dx")
                } else {
                    ("_x", "_dx")
                };
                writeln!(
                    out,
                    "pub fn {name}({x}: &[f64; {n}], {dx}: &[f64; {n}]) -> (f64, f64) {{"
                )
            }
        };
        self.sweep(&mut out, true);
        let y = self.expr.output;
        let dy = if self.active[y] { dw(y) } else { "0.0".into() };
        let _ = match self.lang {
            Language::C => writeln!(out, "    *df = {dy};\n    return {};\n}}", w(y)),
            Language::Rust => writeln!(out, "    ({}, {dy})\n}}", w(y)),
        };
        out
    }

    fn reverse(&self, name: &str) -> String {
        let mut out = String::new();
        self.preamble(&mut out, Mode::Reverse);
        let n = self.n();
        let _ = match self.lang {
            Language::C => writeln!(
                out,
                "double {name}(const double x[{n}], double grad[{n}])\n{{"
            ),
            Language::Rust => {
                let x = if self.reads_inputs() { "x" } else { "_x" };
                writeln!(
                    out,
                    "pub fn {name}({x}: &[f64; {n}]) -> (f64, [f64; {n}]) {{"
                )
            }
        };
        let comment = match self.lang {
            Language::C => ("/* ", " */"),
            Language::Rust => ("// ", ""),
        };
        let _ = writeln!(out, "    {}forward sweep{}", comment.0, comment.1);
        self.sweep(&mut out, false);
        let _ = writeln!(
            out,
            "    {}reverse sweep: wi_bar = df/dwi{}",
            comment.0, comment.1
        );
        // Every contribution to each adjoint, so the first one declares it
        // (mutable only if more follow) and the others add to it.
        let steps = &self.expr.steps;
        let y = self.expr.output;
        let mut pending = vec![0usize; steps.len()];
        for i in (0..steps.len()).filter(|&i| self.live[i]) {
            for (a, _) in self.partials(i) {
                pending[a] += 1;
            }
        }
        let mut declared = vec![false; steps.len()];
        if self.active[y] {
            self.define(&mut out, &bar(y), "1.0");
            declared[y] = true;
        }
        for i in (0..=y).rev() {
            if !declared[i] {
                continue;
            }
            if !matches!(steps[i].op, Op::Input(_)) {
                let _ = writeln!(
                    out,
                    "    {}{}{}",
                    comment.0,
                    self.expr.describe(i),
                    comment.1
                );
            }
            for (a, partial) in self.partials(i) {
                let term = match partial {
                    Partial::One => bar(i),
                    Partial::MinusOne => format!("-{}", bar(i)),
                    Partial::Expr(p) => format!("{} * {p}", bar(i)),
                };
                pending[a] -= 1;
                let _ = if declared[a] {
                    writeln!(out, "    {} += {term};", bar(a))
                } else {
                    match (self.lang, pending[a] > 0) {
                        (Language::C, _) => writeln!(out, "    double {} = {term};", bar(a)),
                        (Language::Rust, true) => writeln!(out, "    let mut {} = {term};", bar(a)),
                        (Language::Rust, false) => writeln!(out, "    let {} = {term};", bar(a)),
                    }
                };
                declared[a] = true;
            }
        }
        let gradient: Vec<String> = (0..n)
            .map(|v| if declared[v] { bar(v) } else { "0.0".into() })
            .collect();
        let _ = match self.lang {
            Language::C => {
                for (v, g) in gradient.iter().enumerate() {
                    let _ = writeln!(out, "    grad[{v}] = {g};");
                }
                writeln!(out, "    return {};\n}}", w(y))
            }
            Language::Rust => writeln!(out, "    ({}, [{}])\n}}", w(y), gradient.join(", ")),
        };
        out
    }

    /// The right-hand side of value line `i`.
    fn value(&self, i: usize) -> String {
        match self.expr.steps[i].op {
            Op::Input(v) => format!("x[{v}]"),
            Op::Const(c) => self.number(c),
            Op::Add(a, b) => format!("{} + {}", w(a), w(b)),
            Op::Sub(a, b) => format!("{} - {}", w(a), w(b)),
            Op::Mul(a, b) => format!("{} * {}", w(a), w(b)),
            Op::Div(a, b) => format!("{} / {}", w(a), w(b)),
            Op::Neg(a) => format!("-{}", w(a)),
            Op::Powi(a, k) => self.value_of_powi(a, k),
            Op::Pow(a, b) => self.call("pow", "powf", &[w(a), w(b)]),
            Op::Unary(f, a) => self.call(c_name(f), rust_name(f), &[w(a)]),
            Op::Binary(f, a, b) => self.call(c_name(f), rust_name(f), &[w(a), w(b)]),
        }
    }

    /// The right-hand side of tangent line `i`: the chain rule on the
    /// tangents of the active arguments.
    fn tangent(&self, i: usize) -> String {
        let active = |a: usize| self.active[a];
        match self.expr.steps[i].op {
            Op::Add(a, b) if active(a) && active(b) => format!("{} + {}", dw(a), dw(b)),
            Op::Sub(a, b) if active(a) && active(b) => format!("{} - {}", dw(a), dw(b)),
            Op::Mul(a, b) if active(a) && active(b) => {
                format!("{} * {} + {} * {}", dw(a), w(b), w(a), dw(b))
            }
            Op::Div(a, b) if active(b) => {
                let da = if active(a) { dw(a) } else { "0.0".into() };
                format!("({da} - {} * {}) / {}", w(i), dw(b), w(b))
            }
            Op::Binary(f @ (Func::Min | Func::Max), a, b) => {
                let d = |x: usize| if active(x) { dw(x) } else { "0.0".into() };
                self.cond(&self.second_wins(f, a, b), &d(b), &d(a))
            }
            _ => {
                let terms: Vec<String> = self
                    .partials(i)
                    .into_iter()
                    .map(|(a, p)| match p {
                        Partial::One => dw(a),
                        Partial::MinusOne => format!("-{}", dw(a)),
                        Partial::Expr(p) => format!("{p} * {}", dw(a)),
                    })
                    .collect();
                terms.join(" + ")
            }
        }
    }

    /// The partial derivative of step `i` in each active argument.
    fn partials(&self, i: usize) -> Vec<(usize, Partial)> {
        use Partial::{Expr as P, MinusOne, One};
        let v = w(i);
        let list: Vec<(usize, Partial)> = match self.expr.steps[i].op {
            Op::Input(_) | Op::Const(_) => vec![],
            Op::Add(a, b) => vec![(a, One), (b, One)],
            Op::Sub(a, b) => vec![(a, One), (b, MinusOne)],
            Op::Mul(a, b) => vec![(a, P(w(b))), (b, P(w(a)))],
            Op::Div(a, b) => vec![
                (a, P(format!("(1.0 / {})", w(b)))),
                (b, P(format!("(-{v} / {})", w(b)))),
            ],
            Op::Neg(a) => vec![(a, MinusOne)],
            Op::Powi(a, 0) => vec![(a, P("0.0".into()))],
            Op::Powi(a, k) => {
                let power = self.value_of_powi(a, k - 1);
                vec![(a, P(format!("({} * {power})", self.number(f64::from(k)))))]
            }
            Op::Pow(a, b) | Op::Binary(Func::Pow, a, b) => {
                let d_dx = self.cond_term(
                    &format!("{} == 0.0", w(b)),
                    "0.0",
                    &format!(
                        "{} * {}",
                        w(b),
                        self.call("pow", "powf", &[w(a), format!("{} - 1.0", w(b))])
                    ),
                );
                let d_dy = self.cond_term(
                    &format!("{v} == 0.0"),
                    "0.0",
                    &format!("{v} * {}", self.call("log", "ln", &[w(a)])),
                );
                vec![(a, P(d_dx)), (b, P(d_dy))]
            }
            Op::Unary(f, a) => vec![(a, P(self.derivative(f, a, &v)))],
            Op::Binary(Func::Atan2, a, b) => {
                let r2 = format!("({} * {} + {} * {})", w(a), w(a), w(b), w(b));
                vec![
                    (a, P(format!("({} / {r2})", w(b)))),
                    (b, P(format!("(-{} / {r2})", w(a)))),
                ]
            }
            Op::Binary(Func::Hypot, a, b) => vec![
                (a, P(format!("({} / {v})", w(a)))),
                (b, P(format!("({} / {v})", w(b)))),
            ],
            Op::Binary(f @ (Func::Min | Func::Max), a, b) => {
                let second = self.second_wins(f, a, b);
                vec![
                    (a, P(self.cond_term(&second, "0.0", "1.0"))),
                    (b, P(self.cond_term(&second, "1.0", "0.0"))),
                ]
            }
            Op::Binary(f, ..) => unreachable!("{} takes one argument", f.name()),
        };
        list.into_iter().filter(|(a, _)| self.active[*a]).collect()
    }

    /// `f'(wa)` of a one-argument function whose value is `v`, written
    /// with the formulas of the dual numbers (tanh: `1 / cosh^2`, which
    /// reads like the textbook and is as accurate).
    fn derivative(&self, f: Func, a: usize, v: &str) -> String {
        let x = w(a);
        let c = |cn: &str, rn: &str, arg: String| self.call(cn, rn, &[arg]);
        let sqrt_one_minus_square = c("sqrt", "sqrt", format!("(1.0 - {x}) * (1.0 + {x})"));
        let text = match f {
            Func::Sin => c("cos", "cos", x),
            Func::Cos => format!("-{}", c("sin", "sin", x)),
            Func::Tan => format!("1.0 + {v} * {v}"),
            Func::Asin => format!("1.0 / {sqrt_one_minus_square}"),
            Func::Acos => format!("-1.0 / {sqrt_one_minus_square}"),
            Func::Atan => format!("1.0 / (1.0 + {x} * {x})"),
            Func::Sinh => c("cosh", "cosh", x),
            Func::Cosh => c("sinh", "sinh", x),
            Func::Tanh => {
                let cosh = c("cosh", "cosh", x);
                format!("1.0 / ({cosh} * {cosh})")
            }
            Func::Asinh => format!("1.0 / {}", self.call("hypot", "hypot", &[x, "1.0".into()])),
            Func::Acosh => format!(
                "1.0 / {}",
                c("sqrt", "sqrt", format!("({x} - 1.0) * ({x} + 1.0)"))
            ),
            Func::Atanh => format!("1.0 / ((1.0 - {x}) * (1.0 + {x}))"),
            Func::Exp => v.to_string(),
            Func::Exp2 => format!("{v} * {}", self.number(std::f64::consts::LN_2)),
            Func::Expm1 => c("exp", "exp", x),
            Func::Ln => format!("1.0 / {x}"),
            Func::Ln1p => format!("1.0 / (1.0 + {x})"),
            Func::Log2 => format!("1.0 / ({x} * {})", self.number(std::f64::consts::LN_2)),
            Func::Log10 => format!("1.0 / ({x} * {})", self.number(std::f64::consts::LN_10)),
            Func::Sqrt => format!("1.0 / ({v} + {v})"),
            Func::Cbrt => format!("1.0 / (3.0 * {v} * {v})"),
            Func::Abs => match self.lang {
                Language::C => format!("copysign(1.0, {x})"),
                Language::Rust => format!("{x}.signum()"),
            },
            Func::Atan2 | Func::Hypot | Func::Pow | Func::Min | Func::Max => {
                unreachable!("{} takes two arguments", f.name())
            }
        };
        group(text)
    }

    /// `wa^k` as code.
    fn value_of_powi(&self, a: usize, k: i32) -> String {
        match self.lang {
            Language::C => format!("pow({}, {k})", w(a)),
            Language::Rust => format!("{}.powi({k})", w(a)),
        }
    }

    /// True when min/max returns its second argument (a NaN loses, as in
    /// `f64::min`/`f64::max`; a tie goes to the first).
    fn second_wins(&self, f: Func, a: usize, b: usize) -> String {
        let cmp = if f == Func::Max { '>' } else { '<' };
        let nan = match self.lang {
            Language::C => format!("isnan({})", w(a)),
            Language::Rust => format!("{}.is_nan()", w(a)),
        };
        format!("{nan} || {} {cmp} {}", w(b), w(a))
    }

    fn cond(&self, test: &str, then: &str, otherwise: &str) -> String {
        match self.lang {
            Language::C => format!("({test} ? {then} : {otherwise})"),
            Language::Rust => format!("if {test} {{ {then} }} else {{ {otherwise} }}"),
        }
    }

    /// A conditional that can stand as an operand of `*`.
    fn cond_term(&self, test: &str, then: &str, otherwise: &str) -> String {
        match self.lang {
            Language::C => self.cond(test, then, otherwise),
            Language::Rust => format!("({})", self.cond(test, then, otherwise)),
        }
    }

    /// A call: `name(a, b)` in C, `a.name(b)` in Rust.
    fn call(&self, c: &str, rust: &str, args: &[String]) -> String {
        match self.lang {
            Language::C => format!("{c}({})", args.join(", ")),
            Language::Rust => format!(
                "{}.{rust}({})",
                group(args[0].clone()),
                args[1..].join(", ")
            ),
        }
    }

    /// A literal that reads back as exactly `c`.
    fn number(&self, c: f64) -> String {
        match (self.lang, c) {
            (Language::C, c) if c.is_nan() => "NAN".into(),
            (Language::C, c) if c.is_infinite() => "INFINITY".into(),
            (Language::Rust, c) if c.is_nan() => "f64::NAN".into(),
            (Language::Rust, c) if c.is_infinite() => "f64::INFINITY".into(),
            // Debug prints the shortest text that parses back to the same
            // f64, always with a '.' or an exponent: a valid literal in both.
            // Rust needs the type too, to call methods on a constant.
            (Language::C, c) => format!("{c:?}"),
            (Language::Rust, c) => format!("{c:?}_f64"),
        }
    }
}

/// `text` in parentheses unless it is a single term such as `cos(w1)`.
fn group(text: String) -> String {
    if text.contains(' ') {
        format!("({text})")
    } else {
        text
    }
}

/// A partial derivative: the common cases kept out of the products.
enum Partial {
    One,
    MinusOne,
    Expr(String),
}

/// The C library's name of a function.
fn c_name(f: Func) -> &'static str {
    match f {
        Func::Ln => "log",
        Func::Ln1p => "log1p",
        Func::Abs => "fabs",
        Func::Min => "fmin",
        Func::Max => "fmax",
        f => f.name(),
    }
}

/// The `f64` method's name of a function.
fn rust_name(f: Func) -> &'static str {
    match f {
        Func::Expm1 => "exp_m1",
        Func::Ln1p => "ln_1p",
        Func::Pow => "powf",
        f => f.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lecture() -> Expr {
        Expr::parse("x1*x2 + sin(x1)", &["x1", "x2"]).unwrap()
    }

    #[test]
    fn forward_puts_each_tangent_under_its_value() {
        let c = lecture().emit(Language::C, Mode::Forward, "f");
        let body: Vec<&str> = c.lines().skip_while(|l| !l.starts_with('{')).collect();
        assert_eq!(
            body,
            [
                "{",
                "    double w1 = x[0];",
                "    double dw1 = dx[0];",
                "    double w2 = x[1];",
                "    double dw2 = dx[1];",
                "    double w3 = w1 * w2;",
                "    double dw3 = dw1 * w2 + w1 * dw2;",
                "    double w4 = sin(w1);",
                "    double dw4 = cos(w1) * dw1;",
                "    double w5 = w3 + w4;",
                "    double dw5 = dw3 + dw4;",
                "    *df = dw5;",
                "    return w5;",
                "}",
            ]
        );
    }

    #[test]
    fn reverse_writes_the_adjoints_in_reverse_order() {
        let rust = lecture().emit(Language::Rust, Mode::Reverse, "f");
        let body: Vec<&str> = rust
            .lines()
            .skip_while(|l| !l.contains("reverse sweep"))
            .collect();
        let adjoint_lines: Vec<&str> = body[1..]
            .iter()
            .copied()
            .filter(|l| l.contains("_bar"))
            .collect();
        assert_eq!(
            adjoint_lines,
            [
                "    let w5_bar = 1.0;",
                "    let w3_bar = w5_bar;",
                "    let w4_bar = w5_bar;",
                "    let mut w1_bar = w4_bar * w1.cos();",
                "    w1_bar += w3_bar * w2;",
                "    let w2_bar = w3_bar * w1;",
                "    (w5, [w1_bar, w2_bar])",
            ]
        );
    }

    #[test]
    fn constants_carry_no_tangent_and_unused_inputs_a_zero_gradient() {
        let f = Expr::parse("2*x", &["x", "y"]).unwrap();
        let c = f.emit(Language::C, Mode::Forward, "g");
        assert!(
            c.contains("double w3 = 2.0;\n    double w4 = w3 * w1;\n    double dw4 = w3 * dw1;")
        );
        let r = f.emit(Language::C, Mode::Reverse, "g");
        assert!(r.contains("grad[1] = 0.0;"));
        let k = Expr::parse("3", &["x"]).unwrap();
        assert!(k
            .emit(Language::Rust, Mode::Forward, "k")
            .contains("(w2, 0.0)"));
        assert!(k
            .emit(Language::Rust, Mode::Reverse, "k")
            .contains("(w2, [0.0])"));
    }
}
