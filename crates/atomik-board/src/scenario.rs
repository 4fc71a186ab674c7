//! The shared scenario: one text file of ops and the results they must
//! give (`crates/atomik-board/scenario.txt`), which the Rust, C, Python and
//! CLI faces of the driver all run against `atomik board cosim --pty`.
//!
//! One op per line: `load ADDR VALUE`, `accum ADDR DELTA`, `read ADDR`,
//! `swap ADDR NEW`, `swap_keep ADDR`; numbers in decimal or `0x` hex. After
//! an op, `= VALUE` is the result it must return, and after a READ's value,
//! `clean` or `dirty` whether its accumulator must be zero. A line outside
//! `batch` ... `end` is one single-op call of the face (`load`, `read`,
//! ...); the lines between them are one batch call. `#` starts a comment.
//!
//! The expected results are the core `Table`'s: a test runs the file
//! through `atomik::Table` and fails on any difference.

use crate::codec::{Op, has_data};
use atomik::Opcode;

/// The scenario every face runs.
pub const SCENARIO: &str = include_str!("../scenario.txt");

/// What an op must return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The value.
    pub value: u64,
    /// For a READ: whether the accumulator must be zero (`None`: unchecked).
    pub clean: Option<bool>,
}

/// One op of the scenario and what it must return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The op.
    pub op: Op,
    /// Its expected result (`None`: not checked, or the op has none).
    pub expect: Option<Expect>,
}

/// One call of a face: a single op, or a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// A line outside `batch` ... `end`: the face's single-op call.
    Single(Step),
    /// The lines between `batch` and `end`: one batch call.
    Batch(Vec<Step>),
}

impl Call {
    /// Its steps, in order.
    pub fn steps(&self) -> &[Step] {
        match self {
            Call::Single(s) => std::slice::from_ref(s),
            Call::Batch(b) => b,
        }
    }
}

/// A line that is not part of the format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number (0 for [`parse_step`] on its own).
    pub line: usize,
    /// The line.
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        write!(f, "`{}`: {}", self.text, self.why)
    }
}

impl std::error::Error for ParseError {}

fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn opcode(word: &str) -> Option<Opcode> {
    Opcode::ALL
        .into_iter()
        .find(|c| c.mnemonic().eq_ignore_ascii_case(word))
}

/// Parses one op line (no `batch`/`end`); `Ok(None)` for a blank line or a
/// comment.
pub fn parse_step(text: &str) -> Result<Option<Step>, ParseError> {
    let err = |why: &str| ParseError {
        line: 0,
        text: text.to_string(),
        why: why.to_string(),
    };
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    let (op_text, expect_text) = match text.split_once('=') {
        Some((o, e)) => (o, Some(e)),
        None => (text, None),
    };
    let words: Vec<&str> = op_text.split_whitespace().collect();
    let Some(&name) = words.first() else {
        return Err(err("no op before `=`"));
    };
    let code = opcode(name).ok_or_else(|| err("unknown op"))?;
    let arity = if has_data(code) { 3 } else { 2 };
    if words.len() != arity {
        return Err(err(&format!("{name} takes {} operands", arity - 1)));
    }
    let addr = number(words[1])
        .and_then(|a| u8::try_from(a).ok())
        .ok_or_else(|| err("the address must be a number from 0 to 255"))?;
    let data = match words.get(2) {
        Some(w) => number(w).ok_or_else(|| err("not a 64-bit number"))?,
        None => 0,
    };
    let expect = match expect_text {
        None => None,
        Some(_) if !code.has_result() => return Err(err("LOAD and ACCUM return nothing")),
        Some(e) => Some(parse_expect(e, code).map_err(err)?),
    };
    Ok(Some(Step {
        op: Op::new(code, addr, data),
        expect,
    }))
}

fn parse_expect(text: &str, code: Opcode) -> Result<Expect, &'static str> {
    let mut words = text.split_whitespace();
    let value = words
        .next()
        .and_then(number)
        .ok_or("`=` must be followed by a 64-bit number")?;
    let clean = match words.next() {
        None => None,
        Some(_) if code != Opcode::Read => return Err("only a READ reports clean or dirty"),
        Some("clean") => Some(true),
        Some("dirty") => Some(false),
        Some(_) => return Err("after the value: `clean`, `dirty` or nothing"),
    };
    if words.next().is_some() {
        return Err("trailing words");
    }
    Ok(Expect { value, clean })
}

/// Parses a whole scenario into its calls.
pub fn parse(text: &str) -> Result<Vec<Call>, ParseError> {
    let mut calls = Vec::new();
    let mut batch: Option<Vec<Step>> = None;
    for (i, line) in text.lines().enumerate() {
        let at = |mut e: ParseError| {
            e.line = i + 1;
            e
        };
        let bad = |why: &str| ParseError {
            line: i + 1,
            text: line.to_string(),
            why: why.to_string(),
        };
        match (line.trim(), batch.as_mut()) {
            ("batch", None) => batch = Some(Vec::new()),
            ("batch", Some(_)) => return Err(bad("`batch` inside a batch")),
            ("end", Some(_)) => calls.push(Call::Batch(batch.take().unwrap_or_default())),
            ("end", None) => return Err(bad("`end` without `batch`")),
            (l, Some(b)) => b.extend(parse_step(l).map_err(at)?),
            (l, None) => calls.extend(parse_step(l).map_err(at)?.map(Call::Single)),
        }
    }
    match batch {
        Some(_) => Err(ParseError {
            line: text.lines().count(),
            text: String::new(),
            why: "`batch` without `end`".into(),
        }),
        None => Ok(calls),
    }
}

/// The first way `got` (a call's results, one per READ, SWAP and
/// SWAP_KEEP) differs from what `steps` expect, as a message.
pub fn check(steps: &[Step], got: &[crate::OpResult]) -> Result<(), String> {
    let with_result: Vec<&Step> = steps.iter().filter(|s| s.op.code.has_result()).collect();
    if with_result.len() != got.len() {
        return Err(format!(
            "{} results for {} ops that return one",
            got.len(),
            with_result.len()
        ));
    }
    for (s, g) in with_result.into_iter().zip(got) {
        let Some(e) = s.expect else { continue };
        if g.value != e.value || e.clean.is_some_and(|c| c != g.clean) {
            return Err(format!(
                "{} {}: got {:#x} (clean {}), expected {:#x}{}",
                s.op.code.mnemonic(),
                s.op.addr,
                g.value,
                g.clean,
                e.value,
                e.clean.map_or(String::new(), |c| format!(" (clean {c})"))
            ));
        }
    }
    Ok(())
}

/// Runs `call` on `t` as the Rust face does: a single op through the
/// method it names (`load`, `accum`, `read_clean`, `swap`, `swap_keep`), a
/// batch through `execute`. Returns the results, one per READ, SWAP and
/// SWAP_KEEP.
pub fn run<T: crate::Transport>(
    t: &mut crate::BoardTable<T>,
    call: &Call,
) -> crate::Result<Vec<crate::OpResult>> {
    let step = match call {
        Call::Batch(steps) => {
            let ops: Vec<Op> = steps.iter().map(|s| s.op).collect();
            return t.execute(&ops);
        }
        Call::Single(step) => step,
    };
    let (addr, data) = (usize::from(step.op.addr), step.op.data);
    let value = |value| crate::OpResult {
        value,
        clean: false,
    };
    Ok(match step.op.code {
        Opcode::Load => t.load(addr, data).map(|()| Vec::new())?,
        Opcode::Accum => t.accum(addr, data).map(|()| Vec::new())?,
        Opcode::Read => vec![t.read_clean(addr)?],
        Opcode::Swap => vec![value(t.swap(addr, data)?)],
        Opcode::SwapKeep => vec![value(t.swap_keep(addr)?)],
    })
}
