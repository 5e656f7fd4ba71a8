//! Formulas of computed rows (TABLES.md §4): arithmetic over metric codes, evaluated in exact
//! decimals, such as 预算调整率 `abs(budget.adjusted - budget.initial) / budget.initial * 100`.
//!
//! The grammar is small on purpose and written here rather than taken from an expression
//! crate: the ones on crates.io compute in `f64`, while amounts in 万元 must stay exact, and the
//! evaluation must say which metric was missing and when a divisor was 0 instead of producing
//! `NaN` or infinity.
//!
//! ```text
//! expr   = term (("+" | "-") term)*
//! term   = factor (("*" | "/") factor)*
//! factor = number | metric | "(" expr ")" | "-" factor | func "(" expr ("," expr)* ")"
//! func   = "abs" | "min" | "max"
//! metric = [a-z_][a-z0-9_]* ("." [a-z0-9_]+)*
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::arith;

/// A parsed formula; it prints back as its source text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Formula {
    text: String,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Number(Decimal),
    Metric(String),
    Negate(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Abs,
    Min,
    Max,
}

/// Why a formula could not give a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undefined {
    /// A metric has no value as of the window.
    Missing(String),
    /// A divisor was 0 (the formula's text of the divisor).
    DivisionByZero,
}

impl fmt::Display for Undefined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undefined::Missing(metric) => write!(f, "{metric} has no value"),
            Undefined::DivisionByZero => f.write_str("a divisor is 0"),
        }
    }
}

impl Formula {
    /// The metric codes the formula reads, in order of first use.
    pub fn metrics(&self) -> Vec<&str> {
        let mut found = Vec::new();
        self.expr.metrics(&mut found);
        found
    }

    /// Whether the formula divides (and so can be undefined when a divisor is 0).
    pub fn divides(&self) -> bool {
        self.expr.divides()
    }

    /// The value, reading each metric with `value`. Arithmetic saturates (`arith`) rather than
    /// overflowing.
    ///
    /// # Errors
    /// [`Undefined`] when a metric has no value or a divisor is 0.
    pub fn evaluate(
        &self,
        value: &mut dyn FnMut(&str) -> Option<Decimal>,
    ) -> Result<Decimal, Undefined> {
        self.expr.evaluate(value)
    }
}

impl Expr {
    fn metrics<'a>(&'a self, found: &mut Vec<&'a str>) {
        match self {
            Expr::Number(_) => {}
            Expr::Metric(code) => {
                if !found.contains(&code.as_str()) {
                    found.push(code);
                }
            }
            Expr::Negate(inner) => inner.metrics(found),
            Expr::Binary(_, left, right) => {
                left.metrics(found);
                right.metrics(found);
            }
            Expr::Call(_, arguments) => arguments.iter().for_each(|arg| arg.metrics(found)),
        }
    }

    fn divides(&self) -> bool {
        match self {
            Expr::Number(_) | Expr::Metric(_) => false,
            Expr::Negate(inner) => inner.divides(),
            Expr::Binary(op, left, right) => *op == Op::Div || left.divides() || right.divides(),
            Expr::Call(_, arguments) => arguments.iter().any(Expr::divides),
        }
    }

    fn evaluate(
        &self,
        value: &mut dyn FnMut(&str) -> Option<Decimal>,
    ) -> Result<Decimal, Undefined> {
        Ok(match self {
            Expr::Number(number) => *number,
            Expr::Metric(code) => value(code).ok_or_else(|| Undefined::Missing(code.clone()))?,
            Expr::Negate(inner) => arith::sub(Decimal::ZERO, inner.evaluate(value)?),
            Expr::Binary(op, left, right) => {
                let (left, right) = (left.evaluate(value)?, right.evaluate(value)?);
                match op {
                    Op::Add => arith::add(left, right),
                    Op::Sub => arith::sub(left, right),
                    Op::Mul => arith::mul(left, right),
                    Op::Div if right.is_zero() => return Err(Undefined::DivisionByZero),
                    Op::Div => arith::div(left, right),
                }
            }
            Expr::Call(function, arguments) => {
                let values = arguments
                    .iter()
                    .map(|argument| argument.evaluate(value))
                    .collect::<Result<Vec<_>, _>>()?;
                match function {
                    Function::Abs => values[0].abs(),
                    Function::Min => values.into_iter().min().unwrap_or_default(),
                    Function::Max => values.into_iter().max().unwrap_or_default(),
                }
            }
        })
    }
}

impl FromStr for Formula {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.expr()?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(format!("unexpected {token} after a complete formula"));
        }
        Ok(Self {
            text: text.trim().to_owned(),
            expr,
        })
    }
}

impl TryFrom<String> for Formula {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Formula> for String {
    fn from(formula: Formula) -> Self {
        formula.text
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Number(Decimal),
    Name(String),
    Symbol(char),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Number(number) => write!(f, "the number {number}"),
            Token::Name(name) => write!(f, "{name:?}"),
            Token::Symbol(symbol) => write!(f, "{symbol:?}"),
        }
    }
}

/// Longest formula accepted, in characters: a framework row, not a program.
const MAX_FORMULA_CHARS: usize = 500;
/// Deepest nesting accepted, so that parsing never exhausts the stack.
const MAX_DEPTH: usize = 32;

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    if text.chars().count() > MAX_FORMULA_CHARS {
        return Err(format!(
            "a formula has at most {MAX_FORMULA_CHARS} characters"
        ));
    }
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut end = start;
            while let Some(&(index, c)) = chars.peek() {
                if c.is_ascii_digit() || c == '.' {
                    end = index + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let literal = &text[start..end];
            let number = Decimal::from_str_exact(literal)
                .map_err(|_| format!("{literal:?} is not a decimal number"))?;
            tokens.push(Token::Number(number));
        } else if c.is_ascii_lowercase() || c == '_' {
            let mut end = start;
            while let Some(&(index, c)) = chars.peek() {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.' {
                    end = index + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let name = &text[start..end];
            if name.ends_with('.') || name.contains("..") {
                return Err(format!("{name:?} is not a metric code"));
            }
            tokens.push(Token::Name(name.to_owned()));
        } else if "+-*/(),".contains(c) {
            tokens.push(Token::Symbol(c));
            chars.next();
        } else {
            return Err(format!(
                "{c:?} at character {} is not part of a formula (numbers, metric codes, + - * / ( ) , abs min max)",
                text[..start].chars().count() + 1
            ));
        }
    }
    if tokens.is_empty() {
        return Err("the formula is empty".to_owned());
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn symbol(&mut self, symbol: char) -> bool {
        if self.peek() == Some(&Token::Symbol(symbol)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: char) -> Result<(), String> {
        if self.symbol(symbol) {
            Ok(())
        } else {
            Err(match self.peek() {
                Some(token) => format!("expected {symbol:?}, found {token}"),
                None => format!("expected {symbol:?} at the end"),
            })
        }
    }

    fn depth_check(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            Err(format!("a formula nests at most {MAX_DEPTH} deep"))
        } else {
            Ok(())
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.sum(0)
    }

    fn sum(&mut self, depth: usize) -> Result<Expr, String> {
        self.depth_check(depth)?;
        let mut left = self.product(depth)?;
        loop {
            let op = if self.symbol('+') {
                Op::Add
            } else if self.symbol('-') {
                Op::Sub
            } else {
                return Ok(left);
            };
            let right = self.product(depth)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.factor(depth)?;
        loop {
            let op = if self.symbol('*') {
                Op::Mul
            } else if self.symbol('/') {
                Op::Div
            } else {
                return Ok(left);
            };
            let right = self.factor(depth)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, String> {
        self.depth_check(depth)?;
        let Some(token) = self.peek().cloned() else {
            return Err("the formula ends where a number or a metric was expected".to_owned());
        };
        self.at += 1;
        match token {
            Token::Number(number) => Ok(Expr::Number(number)),
            Token::Symbol('-') => Ok(Expr::Negate(Box::new(self.factor(depth + 1)?))),
            Token::Symbol('(') => {
                let inner = self.sum(depth + 1)?;
                self.expect(')')?;
                Ok(inner)
            }
            Token::Name(name) if self.peek() == Some(&Token::Symbol('(')) => {
                let function = match name.as_str() {
                    "abs" => Function::Abs,
                    "min" => Function::Min,
                    "max" => Function::Max,
                    _ => return Err(format!("{name:?} is not a function (abs, min, max)")),
                };
                self.at += 1;
                let mut arguments = vec![self.sum(depth + 1)?];
                while self.symbol(',') {
                    arguments.push(self.sum(depth + 1)?);
                }
                self.expect(')')?;
                match (function, arguments.len()) {
                    (Function::Abs, 1) => {}
                    (Function::Abs, count) => {
                        return Err(format!("abs takes one argument, not {count}"));
                    }
                    (_, 1) => {
                        return Err(format!("{name} takes at least two arguments"));
                    }
                    _ => {}
                }
                Ok(Expr::Call(function, arguments))
            }
            Token::Name(name) => Ok(Expr::Metric(name)),
            Token::Symbol(symbol) => Err(format!(
                "{symbol:?} where a number or a metric was expected"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn eval(formula: &str, values: &[(&str, &str)]) -> Result<Decimal, Undefined> {
        let values: HashMap<&str, Decimal> = values.iter().map(|(k, v)| (*k, d(v))).collect();
        formula
            .parse::<Formula>()
            .unwrap()
            .evaluate(&mut |code| values.get(code).copied())
    }

    #[test]
    fn budget_adjustment_rate_is_the_absolute_change_over_the_initial_budget() {
        let formula = "abs(budget.adjusted - budget.initial) / budget.initial * 100";
        assert_eq!(
            eval(
                formula,
                &[("budget.adjusted", "880"), ("budget.initial", "1000")]
            ),
            Ok(d("12"))
        );
        assert_eq!(
            eval(
                formula,
                &[("budget.adjusted", "1120"), ("budget.initial", "1000")]
            ),
            Ok(d("12"))
        );
        assert_eq!(
            eval(
                formula,
                &[("budget.adjusted", "5"), ("budget.initial", "0")]
            ),
            Err(Undefined::DivisionByZero)
        );
        assert_eq!(
            eval(formula, &[("budget.adjusted", "5")]),
            Err(Undefined::Missing("budget.initial".into()))
        );
        let parsed: Formula = formula.parse().unwrap();
        assert_eq!(parsed.metrics(), ["budget.adjusted", "budget.initial"]);
        assert!(parsed.divides());
        assert_eq!(parsed.to_string(), formula);
    }

    #[test]
    fn precedence_unary_minus_and_functions() {
        assert_eq!(eval("1 + 2 * 3", &[]), Ok(d("7")));
        assert_eq!(eval("(1 + 2) * 3", &[]), Ok(d("9")));
        assert_eq!(eval("10 - 4 - 3", &[]), Ok(d("3")));
        assert_eq!(eval("12 / 4 / 3", &[]), Ok(d("1")));
        assert_eq!(eval("-2 * -3", &[]), Ok(d("6")));
        assert_eq!(eval("min(3, 1, 2) + max(4, 5)", &[]), Ok(d("6")));
        assert_eq!(eval("abs(-0.25)", &[]), Ok(d("0.25")));
        assert!(!"1 + staff.actual".parse::<Formula>().unwrap().divides());
    }

    #[test]
    fn malformed_formulas_say_why() {
        for (text, reason) in [
            ("", "empty"),
            ("1 +", "ends where"),
            ("(1 + 2", "expected ')'"),
            ("1 2", "unexpected the number 2"),
            ("sqrt(4)", "not a function"),
            ("abs(1, 2)", "one argument"),
            ("min(1)", "at least two"),
            ("1e3", "\"e3\""),
            ("12,5", "unexpected ','"),
            ("budget.", "not a metric code"),
            ("A - I", "'A' at character 1"),
            ("1.2.3", "not a decimal"),
        ] {
            let error = text.parse::<Formula>().unwrap_err();
            assert!(error.contains(reason), "{text:?}: {error}");
        }
        let deep = format!("{}1{}", "(".repeat(40), ")".repeat(40));
        assert!(deep.parse::<Formula>().unwrap_err().contains("nests"));
        let long = "1 + ".repeat(200) + "1";
        assert!(long.parse::<Formula>().unwrap_err().contains("at most"));
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        let value = eval("x * x * x", &[("x", "79228162514264337593543950335")]).unwrap();
        assert_eq!(value, Decimal::MAX);
    }
}
