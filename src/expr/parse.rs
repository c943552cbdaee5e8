//! Tokenizer and recursive-descent parser from text to an evaluation trace.

use super::{Expr, ExprError, Func, Op, TraceStep};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Ident(String),
    Symbol(char),
}

/// Splits `src` into tokens, each with its byte position for error messages.
fn tokenize(src: &str) -> Result<Vec<(usize, Token)>, ExprError> {
    let mut tokens = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(pos, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() || c == '.' {
            let mut end = pos;
            let mut prev = ' ';
            while let Some(&(i, d)) = chars.peek() {
                let exponent_sign = (d == '+' || d == '-') && (prev == 'e' || prev == 'E');
                if d.is_ascii_digit() || d == '.' || d == 'e' || d == 'E' || exponent_sign {
                    end = i + d.len_utf8();
                    prev = d;
                    chars.next();
                } else {
                    break;
                }
            }
            let text = &src[pos..end];
            let value = text.parse::<f64>().map_err(|_| ExprError::BadNumber {
                position: pos,
                text: text.to_string(),
            })?;
            tokens.push((pos, Token::Number(value)));
        } else if c.is_alphabetic() || c == '_' {
            let mut end = pos;
            while let Some(&(i, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' {
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push((pos, Token::Ident(src[pos..end].to_string())));
        } else if "+-*/^(),".contains(c) {
            tokens.push((pos, Token::Symbol(c)));
            chars.next();
        } else {
            return Err(ExprError::UnexpectedChar {
                position: pos,
                found: c,
            });
        }
    }
    Ok(tokens)
}

/// The most nested levels (parentheses, unary signs, right-hand sides of `^`,
/// call arguments) the parser accepts. Each level costs a few stack frames;
/// 256 is far beyond any hand-written formula and far below a thread's stack.
pub(super) const MAX_DEPTH: usize = 256;

/// Builds the step list while parsing, so the trace order is evaluation order.
struct Parser<'a> {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
    variables: &'a [String],
    steps: Vec<TraceStep>,
    /// Levels of `unary` now open: every recursion of the grammar passes there.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(p, _)| *p)
    }

    fn eat(&mut self, symbol: char) -> bool {
        if self.peek() == Some(&Token::Symbol(symbol)) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: char) -> Result<(), ExprError> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{symbol}'")))
        }
    }

    fn unexpected(&self, expected: &str) -> ExprError {
        ExprError::Unexpected {
            position: self.position(),
            expected: expected.to_string(),
            found: match self.peek() {
                None => "end of input".to_string(),
                Some(Token::Number(v)) => format!("number {v}"),
                Some(Token::Ident(name)) => format!("name '{name}'"),
                Some(Token::Symbol(c)) => format!("'{c}'"),
            },
        }
    }

    fn push(&mut self, op: Op) -> usize {
        self.steps.push(TraceStep { op });
        self.steps.len() - 1
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self) -> Result<usize, ExprError> {
        let mut left = self.product()?;
        loop {
            if self.eat('+') {
                let right = self.product()?;
                left = self.push(Op::Add(left, right));
            } else if self.eat('-') {
                let right = self.product()?;
                left = self.push(Op::Sub(left, right));
            } else {
                return Ok(left);
            }
        }
    }

    /// product := unary (('*' | '/') unary)*
    fn product(&mut self) -> Result<usize, ExprError> {
        let mut left = self.unary()?;
        loop {
            if self.eat('*') {
                let right = self.unary()?;
                left = self.push(Op::Mul(left, right));
            } else if self.eat('/') {
                let right = self.unary()?;
                left = self.push(Op::Div(left, right));
            } else {
                return Ok(left);
            }
        }
    }

    /// unary := '-' unary | power   (so -x^2 is -(x^2), as in mathematics)
    ///
    /// Every recursive path of the grammar enters here, so this is where the
    /// nesting depth is counted and limited.
    fn unary(&mut self) -> Result<usize, ExprError> {
        if self.depth == MAX_DEPTH {
            return Err(ExprError::TooDeep {
                position: self.position(),
                limit: MAX_DEPTH,
            });
        }
        self.depth += 1;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    /// The grammar of [`Parser::unary`], one level deeper.
    fn unary_inner(&mut self) -> Result<usize, ExprError> {
        if self.eat('-') {
            let arg = self.unary()?;
            Ok(self.push(Op::Neg(arg)))
        } else if self.eat('+') {
            self.unary()
        } else {
            self.power()
        }
    }

    /// power := atom ('^' unary)?   (right associative: 2^3^2 = 2^9)
    ///
    /// An integer literal exponent (`x^3`, `x^-2`) becomes `powi`, exact and
    /// defined for negative bases; any other exponent becomes `powf`.
    fn power(&mut self) -> Result<usize, ExprError> {
        let base = self.atom()?;
        if !self.eat('^') {
            return Ok(base);
        }
        if let Some(n) = self.integer_exponent() {
            return Ok(self.push(Op::Powi(base, n)));
        }
        let exponent = self.unary()?;
        Ok(self.push(Op::Pow(base, exponent)))
    }

    /// Consumes `n` or `-n` when it is a whole exponent on its own (not
    /// followed by another `^`), returning it.
    fn integer_exponent(&mut self) -> Option<i32> {
        let negative = self.peek() == Some(&Token::Symbol('-'));
        let at = self.next + usize::from(negative);
        let value = match self.tokens.get(at) {
            Some((_, Token::Number(v))) if v.fract() == 0.0 && v.abs() <= 1e6 => *v,
            _ => return None,
        };
        if matches!(self.tokens.get(at + 1), Some((_, Token::Symbol('^')))) {
            return None;
        }
        self.next = at + 1;
        let n = value as i32;
        Some(if negative { -n } else { n })
    }

    /// atom := number | constant | variable | function '(' args ')' | '(' sum ')'
    fn atom(&mut self) -> Result<usize, ExprError> {
        let position = self.position();
        match self.peek().cloned() {
            Some(Token::Number(value)) => {
                self.next += 1;
                Ok(self.push(Op::Const(value)))
            }
            Some(Token::Symbol('(')) => {
                self.next += 1;
                let inner = self.sum()?;
                self.expect(')')?;
                Ok(inner)
            }
            Some(Token::Ident(name)) => {
                self.next += 1;
                if self.peek() == Some(&Token::Symbol('(')) {
                    self.next += 1;
                    self.call(&name, position)
                } else if let Some(index) = self.variables.iter().position(|v| *v == name) {
                    // Inputs are the first steps, so a variable is its own step.
                    Ok(index)
                } else if name == "pi" {
                    Ok(self.push(Op::Const(std::f64::consts::PI)))
                } else if name == "e" {
                    Ok(self.push(Op::Const(std::f64::consts::E)))
                } else {
                    Err(ExprError::UnknownVariable { position, name })
                }
            }
            _ => Err(self.unexpected("a number, a variable, a function or '('")),
        }
    }

    /// The arguments of a function call, after its opening parenthesis.
    fn call(&mut self, name: &str, position: usize) -> Result<usize, ExprError> {
        let mut args = vec![self.sum()?];
        while self.eat(',') {
            args.push(self.sum()?);
        }
        self.expect(')')?;
        let func = Func::from_name(name).ok_or_else(|| ExprError::UnknownFunction {
            position,
            name: name.to_string(),
        })?;
        if args.len() != func.arity() {
            return Err(ExprError::WrongArity {
                position,
                name: name.to_string(),
                expected: func.arity(),
                got: args.len(),
            });
        }
        let op = match (func.arity(), args.as_slice()) {
            (1, &[a]) => Op::Unary(func, a),
            (_, &[a, b]) => Op::Binary(func, a, b),
            _ => unreachable!("arity checked above"),
        };
        Ok(self.push(op))
    }
}

/// Parses `src` with the given variable names; see [`Expr::parse`].
pub(super) fn parse(src: &str, variables: &[String]) -> Result<Expr, ExprError> {
    let mut parser = Parser {
        tokens: tokenize(src)?,
        next: 0,
        end: src.len(),
        variables,
        steps: Vec::new(),
        depth: 0,
    };
    // Inputs come first so that w1..wn are the variables, as in the lecture notes.
    for index in 0..variables.len() {
        parser.push(Op::Input(index));
    }
    let output = parser.sum()?;
    if parser.peek().is_some() {
        return Err(parser.unexpected("an operator or the end of the expression"));
    }
    Ok(Expr::from_steps(
        src.to_string(),
        variables.to_vec(),
        parser.steps,
        output,
    ))
}
