//! The rule language: small declarative expressions over facts and parameters, written as
//! strings in the data files, parsed and type-checked once at load and evaluated three-valued
//! (Kleene) with a record of every atomic condition visited, so a person can see why.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! or      := and ("||" and)*
//! and     := compare ("&&" compare)*
//! compare := sum (("=="|"!="|"<"|"<="|">"|">=") sum | "in" sum "..=" sum)?
//! sum     := product (("+"|"-") product)*
//! product := unary (("*"|"/") unary)*
//! unary   := ("!"|"-") unary | primary
//! primary := integer | "true" | "false" | fact | param | "(" or ")"
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::Serialize;

use crate::facts::FactId;
use crate::facts::FactValues;
use crate::facts::Type;
use crate::facts::Value;

/// One atomic condition visited while evaluating a boolean rule, and whether it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The source text of the condition, e.g. `age >= 80`.
    pub clause: String,
    /// The facts (and parameters) it reads with their values on the date; `未知` when unknown.
    pub values: Vec<(String, String)>,
    /// Whether it held; `None` when it could not be decided.
    pub holds: Option<bool>,
}

/// A parse or type error in a rule: where in the string and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// The 1-based column (in characters) within the rule's text.
    pub column: usize,
    /// What is wrong, in Chinese.
    pub message_zh: String,
    /// What is wrong, in English.
    pub message_en: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message_en)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Int(i64),
    Bool(bool),
    Fact(FactId),
    Param(String, i64),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    kind: Kind,
    ty: Type,
    start: usize,
    end: usize,
}

/// A parsed, type-checked rule. The source text is kept for display; serialized as that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule as written.
    pub source: String,
    /// Its type: `Bool` for eligibility, `Int` for amounts.
    pub ty: Type,
    node: Node,
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Int(i64),
    Ident(String),
    Op(&'static str),
    End,
}

const OPS: [&str; 17] = ["..=", "&&", "||", "==", "!=", "<=", ">=", "!", "<", ">", "+", "-", "*", "/", "(", ")", "="];

fn column(src: &str, byte: usize) -> usize {
    src.get(..byte).map_or(byte, |s| s.chars().count()) + 1
}

fn err(src: &str, at: usize, zh: String, en: String) -> ExprError {
    ExprError { column: column(src, at), message_zh: zh, message_en: en }
}

fn lex(src: &str) -> Result<Vec<(Tok, usize, usize)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            let text: String = src[start..i].chars().filter(|c| *c != '_').collect();
            let n = text.parse::<i64>().map_err(|_| {
                err(src, start, format!("整数 {text} 超出范围"), format!("the integer {text} is too large"))
            })?;
            out.push((Tok::Int(n), start, i));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_owned()), start, i));
        } else if src[i..].starts_with("..") && !src[i..].starts_with("..=") {
            return Err(err(src, i, "区间应写作「a..=b」".into(), "expected `..=` (a range such as 1..=2)".into()));
        } else if let Some(op) = OPS.iter().find(|op| src[i..].starts_with(**op)) {
            if *op == "=" {
                return Err(err(src, i, "应为「==」（比较）".into(), "expected `==` (a comparison), found `=`".into()));
            }
            out.push((Tok::Op(op), i, i + op.len()));
            i += op.len();
        } else {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(err(src, i, format!("无法识别的字符「{ch}」"), format!("unexpected character `{ch}`")));
        }
    }
    out.push((Tok::End, src.len(), src.len()));
    Ok(out)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    params: &'a BTreeMap<String, i64>,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(n) => format!("`{n}`"),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "the end".to_owned(),
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |t| &t.0)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.src.len(), |t| t.1)
    }

    fn prev_end(&self) -> usize {
        self.pos.checked_sub(1).and_then(|p| self.toks.get(p)).map_or(0, |t| t.2)
    }

    fn eat(&mut self, op: &str) -> bool {
        if *self.peek() == Tok::Op(static_op(op)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expected(&self, what_zh: &str, what_en: &str) -> ExprError {
        let found = describe(self.peek());
        err(self.src, self.at(), format!("此处应为{what_zh}"), format!("expected {what_en}, found {found}"))
    }

    fn need(&self, node: &Node, ty: Type, role_zh: &str, role_en: &str) -> Result<(), ExprError> {
        if node.ty == ty {
            return Ok(());
        }
        let text = &self.src[node.start..node.end];
        let (want_zh, want_en) = match ty {
            Type::Int => ("整数", "an integer"),
            Type::Bool => ("真假值", "a boolean"),
        };
        Err(err(
            self.src,
            node.start,
            format!("{role_zh}「{text}」应为{want_zh}"),
            format!("{role_en} `{text}` must be {want_en}, it is {}", node.ty.name()),
        ))
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            self.need(&left, Type::Bool, "「||」的左边", "the left of `||`")?;
            self.need(&right, Type::Bool, "「||」的右边", "the right of `||`")?;
            left = bin(Kind::Or(Box::new(left.clone()), Box::new(right.clone())), Type::Bool, &left, &right);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut left = self.compare()?;
        while self.eat("&&") {
            let right = self.compare()?;
            self.need(&left, Type::Bool, "「&&」的左边", "the left of `&&`")?;
            self.need(&right, Type::Bool, "「&&」的右边", "the right of `&&`")?;
            left = bin(Kind::And(Box::new(left.clone()), Box::new(right.clone())), Type::Bool, &left, &right);
        }
        Ok(left)
    }

    fn compare(&mut self) -> Result<Node, ExprError> {
        let left = self.sum()?;
        if *self.peek() == Tok::Ident("in".to_owned()) {
            self.pos += 1;
            let lo = self.sum()?;
            if !self.eat("..=") {
                return Err(self.expected("「..=」（区间，如 1..=2）", "`..=` (a range such as 1..=2)"));
            }
            let hi = self.sum()?;
            self.need(&left, Type::Int, "「in」的左边", "the left of `in`")?;
            self.need(&lo, Type::Int, "区间下限", "the range's lower bound")?;
            self.need(&hi, Type::Int, "区间上限", "the range's upper bound")?;
            let (start, end) = (left.start, hi.end);
            return Ok(Node { kind: Kind::In(Box::new(left), Box::new(lo), Box::new(hi)), ty: Type::Bool, start, end });
        }
        let op = match self.peek() {
            Tok::Op("==") => Cmp::Eq,
            Tok::Op("!=") => Cmp::Ne,
            Tok::Op("<") => Cmp::Lt,
            Tok::Op("<=") => Cmp::Le,
            Tok::Op(">") => Cmp::Gt,
            Tok::Op(">=") => Cmp::Ge,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.sum()?;
        if matches!(op, Cmp::Eq | Cmp::Ne) {
            if left.ty != right.ty {
                self.need(&right, left.ty, "比较的右边", "the right of the comparison")?;
            }
        } else {
            self.need(&left, Type::Int, "比较的左边", "the left of the comparison")?;
            self.need(&right, Type::Int, "比较的右边", "the right of the comparison")?;
        }
        Ok(bin(Kind::Cmp(op, Box::new(left.clone()), Box::new(right.clone())), Type::Bool, &left, &right))
    }

    fn sum(&mut self) -> Result<Node, ExprError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => Arith::Add,
                Tok::Op("-") => Arith::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.product()?;
            self.need(&left, Type::Int, "算式的左边", "the left of the arithmetic")?;
            self.need(&right, Type::Int, "算式的右边", "the right of the arithmetic")?;
            left = bin(Kind::Arith(op, Box::new(left.clone()), Box::new(right.clone())), Type::Int, &left, &right);
        }
    }

    fn product(&mut self) -> Result<Node, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => Arith::Mul,
                Tok::Op("/") => Arith::Div,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            self.need(&left, Type::Int, "算式的左边", "the left of the arithmetic")?;
            self.need(&right, Type::Int, "算式的右边", "the right of the arithmetic")?;
            left = bin(Kind::Arith(op, Box::new(left.clone()), Box::new(right.clone())), Type::Int, &left, &right);
        }
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        let start = self.at();
        if self.eat("!") {
            let inner = self.unary()?;
            self.need(&inner, Type::Bool, "「!」之后", "the operand of `!`")?;
            let end = inner.end;
            return Ok(Node { kind: Kind::Not(Box::new(inner)), ty: Type::Bool, start, end });
        }
        if self.eat("-") {
            let inner = self.unary()?;
            self.need(&inner, Type::Int, "负号之后", "the operand of `-`")?;
            let end = inner.end;
            return Ok(Node { kind: Kind::Neg(Box::new(inner)), ty: Type::Int, start, end });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let start = self.at();
        let tok = self.peek().clone();
        match tok {
            Tok::Int(n) => {
                self.pos += 1;
                Ok(Node { kind: Kind::Int(n), ty: Type::Int, start, end: self.prev_end() })
            }
            Tok::Op("(") => {
                self.pos += 1;
                let inner = self.or()?;
                if !self.eat(")") {
                    return Err(self.expected("「)」", "`)`"));
                }
                Ok(Node { start, end: self.prev_end(), ..inner })
            }
            Tok::Ident(name) => {
                self.pos += 1;
                let end = self.prev_end();
                let (kind, ty) = match name.as_str() {
                    "true" => (Kind::Bool(true), Type::Bool),
                    "false" => (Kind::Bool(false), Type::Bool),
                    _ => {
                        if let Some(id) = FactId::from_name(&name) {
                            (Kind::Fact(id), id.info().ty)
                        } else if let Some(v) = self.params.get(&name) {
                            (Kind::Param(name.clone(), *v), Type::Int)
                        } else {
                            return Err(err(
                                self.src,
                                start,
                                format!("「{name}」既不是事实项也不是参数"),
                                format!("unknown name `{name}`: it is neither a fact nor a parameter"),
                            ));
                        }
                    }
                };
                Ok(Node { kind, ty, start, end })
            }
            _ => Err(self.expected("数值、事实项、参数或「(」", "a number, a fact, a parameter or `(`")),
        }
    }
}

fn static_op(op: &str) -> &'static str {
    OPS.iter().find(|o| **o == op).copied().unwrap_or("")
}

fn bin(kind: Kind, ty: Type, left: &Node, right: &Node) -> Node {
    Node { kind, ty, start: left.start, end: right.end }
}

impl Rule {
    /// Parses and type-checks `source`; `params` are the catalog's parameters (name → value),
    /// `ty` the type the rule must have.
    pub fn parse(source: &str, params: &BTreeMap<String, i64>, ty: Type) -> Result<Rule, ExprError> {
        let toks = lex(source)?;
        let mut p = Parser { src: source, toks, pos: 0, params };
        let node = p.or()?;
        if *p.peek() != Tok::End {
            return Err(p.expected("运算符或结尾", "an operator or the end"));
        }
        p.need(&node, ty, "规则", "the rule")?;
        Ok(Rule { source: source.to_owned(), ty, node })
    }

    /// The value on the facts given, without recording reasons.
    pub fn value(&self, facts: &FactValues) -> Value {
        eval(&self.node, facts)
    }

    /// The value of a boolean rule, recording every atomic condition visited into `reasons`.
    pub fn explain(&self, facts: &FactValues, reasons: &mut Vec<Reason>) -> Value {
        self.traced(&self.node, facts, reasons)
    }

    /// The facts the rule reads, in order of first use.
    pub fn facts(&self) -> Vec<FactId> {
        let mut out = Vec::new();
        refs(&self.node, &mut out, &mut Vec::new());
        out
    }

    fn traced(&self, node: &Node, v: &FactValues, out: &mut Vec<Reason>) -> Value {
        match &node.kind {
            Kind::And(a, b) => {
                let l = self.traced(a, v, out);
                if l == Value::Bool(false) {
                    return l;
                }
                and(l, self.traced(b, v, out))
            }
            Kind::Or(a, b) => {
                let l = self.traced(a, v, out);
                if l == Value::Bool(true) {
                    return l;
                }
                or(l, self.traced(b, v, out))
            }
            Kind::Not(a) => not(self.traced(a, v, out)),
            _ => {
                let value = eval(node, v);
                if matches!(node.kind, Kind::Cmp(..) | Kind::In(..) | Kind::Fact(_)) {
                    let mut facts = Vec::new();
                    let mut params = Vec::new();
                    refs(node, &mut facts, &mut params);
                    let mut values: Vec<(String, String)> =
                        facts.iter().map(|f| (f.name().to_owned(), v.get(*f).show())).collect();
                    values.extend(params.into_iter().map(|(n, x)| (n, x.to_string())));
                    let holds = match value {
                        Value::Bool(b) => Some(b),
                        _ => None,
                    };
                    out.push(Reason { clause: strip_parens(&self.source[node.start..node.end]).to_owned(), values, holds });
                }
                value
            }
        }
    }
}

/// The text without balanced parentheses around the whole of it.
fn strip_parens(mut text: &str) -> &str {
    loop {
        let t = text.trim();
        let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) else {
            return t;
        };
        // the first '(' must close at the very end
        let mut depth = 0i32;
        for c in inner.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return t;
            }
        }
        text = inner;
    }
}

fn refs(node: &Node, facts: &mut Vec<FactId>, params: &mut Vec<(String, i64)>) {
    match &node.kind {
        Kind::Int(_) | Kind::Bool(_) => {}
        Kind::Fact(f) => {
            if !facts.contains(f) {
                facts.push(*f);
            }
        }
        Kind::Param(n, x) => {
            if !params.iter().any(|(m, _)| m == n) {
                params.push((n.clone(), *x));
            }
        }
        Kind::Not(a) | Kind::Neg(a) => refs(a, facts, params),
        Kind::And(a, b) | Kind::Or(a, b) | Kind::Cmp(_, a, b) | Kind::Arith(_, a, b) => {
            refs(a, facts, params);
            refs(b, facts, params);
        }
        Kind::In(a, b, c) => {
            refs(a, facts, params);
            refs(b, facts, params);
            refs(c, facts, params);
        }
    }
}

fn and(l: Value, r: Value) -> Value {
    match (l, r) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Unknown,
    }
}

fn or(l: Value, r: Value) -> Value {
    match (l, r) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
        _ => Value::Unknown,
    }
}

fn not(v: Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        other => other,
    }
}

fn eval(node: &Node, v: &FactValues) -> Value {
    match &node.kind {
        Kind::Int(n) => Value::Int(*n),
        Kind::Bool(b) => Value::Bool(*b),
        Kind::Fact(f) => v.get(*f),
        Kind::Param(_, x) => Value::Int(*x),
        Kind::Not(a) => not(eval(a, v)),
        Kind::Neg(a) => match eval(a, v) {
            Value::Int(n) => n.checked_neg().map_or(Value::Unknown, Value::Int),
            _ => Value::Unknown,
        },
        Kind::And(a, b) => {
            let l = eval(a, v);
            if l == Value::Bool(false) { l } else { and(l, eval(b, v)) }
        }
        Kind::Or(a, b) => {
            let l = eval(a, v);
            if l == Value::Bool(true) { l } else { or(l, eval(b, v)) }
        }
        Kind::Cmp(op, a, b) => match (eval(a, v), eval(b, v)) {
            (Value::Int(x), Value::Int(y)) => Value::Bool(match op {
                Cmp::Eq => x == y,
                Cmp::Ne => x != y,
                Cmp::Lt => x < y,
                Cmp::Le => x <= y,
                Cmp::Gt => x > y,
                Cmp::Ge => x >= y,
            }),
            (Value::Bool(x), Value::Bool(y)) => Value::Bool(match op {
                Cmp::Eq => x == y,
                _ => x != y,
            }),
            _ => Value::Unknown,
        },
        Kind::Arith(op, a, b) => match (eval(a, v), eval(b, v)) {
            (Value::Int(x), Value::Int(y)) => {
                let r = match op {
                    Arith::Add => x.checked_add(y),
                    Arith::Sub => x.checked_sub(y),
                    Arith::Mul => x.checked_mul(y),
                    Arith::Div => x.checked_div(y),
                };
                r.map_or(Value::Unknown, Value::Int)
            }
            _ => Value::Unknown,
        },
        Kind::In(x, lo, hi) => match (eval(x, v), eval(lo, v), eval(hi, v)) {
            (Value::Int(x), Value::Int(lo), Value::Int(hi)) => Value::Bool(lo <= x && x <= hi),
            _ => Value::Unknown,
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::facts::Facts;

    fn params() -> BTreeMap<String, i64> {
        BTreeMap::from([("dibao_standard".to_owned(), 123_600), ("zero".to_owned(), 0)])
    }

    fn on() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 4, 1).expect("a date")
    }

    fn person(age_years: i32, income: Option<i64>) -> FactValues {
        let f = Facts {
            birth_date: NaiveDate::from_ymd_opt(2026 - age_years, 1, 1).expect("a date"),
            income_per_head_fen: income,
            disability_grade: Some(2),
            ..Facts::default()
        };
        FactValues::new(&f, on())
    }

    fn rule(src: &str, ty: Type) -> Rule {
        Rule::parse(src, &params(), ty).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn parses_and_evaluates_with_precedence() {
        let p = person(85, Some(50_000));
        assert_eq!(rule("1 + 2 * 3", Type::Int).value(&p), Value::Int(7));
        assert_eq!(rule("(1 + 2) * 3", Type::Int).value(&p), Value::Int(9));
        assert_eq!(rule("dibao_standard * 13 / 10", Type::Int).value(&p), Value::Int(160_680));
        assert_eq!(rule("-3 + 10 - 2", Type::Int).value(&p), Value::Int(5));
        assert_eq!(rule("age >= 80 && resident && alive", Type::Bool).value(&p), Value::Bool(true));
        assert_eq!(rule("age >= 90 || !resident", Type::Bool).value(&p), Value::Bool(false));
        assert_eq!(rule("disability_grade in 1..=2", Type::Bool).value(&p), Value::Bool(true));
        assert_eq!(rule("age in 80..=84", Type::Bool).value(&p), Value::Bool(false));
        assert_eq!(rule("dibao == false", Type::Bool).value(&p), Value::Bool(true));
        assert_eq!(rule("household_size != 1", Type::Bool).value(&p), Value::Bool(false));
        assert_eq!(rule("true && !false", Type::Bool).value(&p), Value::Bool(true));
    }

    #[test]
    fn three_valued_logic() {
        let p = person(70, None);
        assert_eq!(rule("income_per_head < dibao_standard", Type::Bool).value(&p), Value::Unknown);
        assert_eq!(rule("false && income_per_head < 1", Type::Bool).value(&p), Value::Bool(false));
        assert_eq!(rule("income_per_head < 1 && false", Type::Bool).value(&p), Value::Bool(false));
        assert_eq!(rule("true || income_per_head < 1", Type::Bool).value(&p), Value::Bool(true));
        assert_eq!(rule("income_per_head < 1 || true", Type::Bool).value(&p), Value::Bool(true));
        assert_eq!(rule("income_per_head < 1 && true", Type::Bool).value(&p), Value::Unknown);
        assert_eq!(rule("!(income_per_head < 1)", Type::Bool).value(&p), Value::Unknown);
        assert_eq!(rule("dibao_standard - income_per_head", Type::Int).value(&p), Value::Unknown);
        assert_eq!(rule("10 / zero", Type::Int).value(&p), Value::Unknown);
        assert_eq!(rule("10 / zero > 1 || age > 60", Type::Bool).value(&p), Value::Bool(true));
    }

    #[test]
    fn records_reasons_for_atoms() {
        let p = person(85, None);
        let r = rule("age >= 80 && resident && income_per_head < dibao_standard", Type::Bool);
        let mut reasons = Vec::new();
        assert_eq!(r.explain(&p, &mut reasons), Value::Unknown);
        assert_eq!(reasons.len(), 3);
        assert_eq!(reasons[0].clause, "age >= 80");
        assert_eq!(reasons[0].values, vec![("age".to_owned(), "85".to_owned())]);
        assert_eq!(reasons[0].holds, Some(true));
        assert_eq!(reasons[1].clause, "resident");
        assert_eq!(reasons[2].clause, "income_per_head < dibao_standard");
        assert_eq!(reasons[2].holds, None);
        assert_eq!(reasons[2].values[0], ("income_per_head".to_owned(), "未知".to_owned()));
        assert_eq!(reasons[2].values[1], ("dibao_standard".to_owned(), "123600".to_owned()));
        // short circuit: a false left side stops the record
        let mut reasons = Vec::new();
        let young = person(30, None);
        assert_eq!(r.explain(&young, &mut reasons), Value::Bool(false));
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].holds, Some(false));
        let mut reasons = Vec::new();
        rule("((age >= 80)) && (age - 1) > 1 && (age) > (1)", Type::Bool).explain(&p, &mut reasons);
        assert_eq!(reasons[0].clause, "age >= 80");
        assert_eq!(reasons[1].clause, "(age - 1) > 1");
        assert_eq!(reasons[2].clause, "(age) > (1)");
    }

    #[test]
    fn errors_give_the_column_and_what_was_expected() {
        let e = Rule::parse("age >= 80 && salary > 1", &params(), Type::Bool).expect_err("unknown name");
        assert_eq!(e.column, 14);
        assert!(e.message_en.contains("`salary`") && e.message_en.contains("neither a fact nor a parameter"), "{e}");
        assert!(e.message_zh.contains("salary"));
        let e = Rule::parse("age >= ", &params(), Type::Bool).expect_err("incomplete");
        assert_eq!(e.column, 8);
        assert!(e.message_en.contains("expected a number"), "{e}");
        let e = Rule::parse("(age > 1", &params(), Type::Bool).expect_err("unclosed");
        assert!(e.message_en.contains("expected `)`"), "{e}");
        let e = Rule::parse("age = 1", &params(), Type::Bool).expect_err("single =");
        assert_eq!(e.column, 5);
        let e = Rule::parse("age # 1", &params(), Type::Bool).expect_err("bad char");
        assert!(e.message_en.contains('#'));
        let e = Rule::parse("age 1", &params(), Type::Bool).expect_err("trailing");
        assert_eq!(e.column, 5);
        let e = Rule::parse("disability_grade in 1..2", &params(), Type::Bool).expect_err("range");
        assert!(e.message_en.contains("..="), "{e}");
    }

    #[test]
    fn type_errors() {
        let e = Rule::parse("age + 1", &params(), Type::Bool).expect_err("not bool");
        assert!(e.message_en.contains("must be a boolean"), "{e}");
        let e = Rule::parse("age > 1", &params(), Type::Int).expect_err("not int");
        assert!(e.message_en.contains("must be an integer"), "{e}");
        let e = Rule::parse("age && alive", &params(), Type::Bool).expect_err("int in &&");
        assert_eq!(e.column, 1);
        let e = Rule::parse("alive + 1", &params(), Type::Int).expect_err("bool in +");
        assert!(e.message_en.contains("`alive`"));
        let e = Rule::parse("alive == 1", &params(), Type::Bool).expect_err("mixed ==");
        assert_eq!(e.column, 10);
        let e = Rule::parse("!age", &params(), Type::Bool).expect_err("! on int");
        assert_eq!(e.column, 2);
        let e = Rule::parse("alive in 1..=2", &params(), Type::Bool).expect_err("bool in range");
        assert_eq!(e.column, 1);
    }
}
