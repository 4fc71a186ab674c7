//! Post-processing of rust-hdl 0.46 `generate_verilog` output.
//!
//! * [`rename_top`]: the generator always calls the top module `top` and every
//!   sub-module `top$<field>`; rename them.
//! * [`flatten_leaves`]: inline every leaf sub-module (DFFs, custom RAM blocks:
//!   modules whose body is `Verilog::Custom` code and that instantiate nothing)
//!   into its parent, so the file contains a single module.  Otherwise
//!   `verilator -Wall` reports DECLFILENAME (one module per file expected).
//!
//! Both passes rely on the very regular text rust-hdl 0.46 emits
//! (`module NAME(args);` ... `endmodule // NAME`, instances as
//! `NAME inst(\n .port(sig),\n ... );`) and panic if it does not look like that.

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Replace whole identifiers (identifier chars include `$`) using `map`.
/// Text inside numeric literals like `8'hff` is left alone.
pub(crate) fn map_identifiers(text: &str, map: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let in_literal = start > 0 && chars[start - 1] == '\'';
            match (in_literal, map(&word)) {
                (false, Some(rep)) => out.push_str(&rep),
                _ => out.push_str(&word),
            }
        } else if c.is_ascii_digit() {
            // numbers, including sized literals 8'hff / 64'h0
            while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '\'') {
                out.push(chars[i]);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Rename module `top` (and the `top$` prefix of sub-modules) to `name`.
pub(crate) fn rename_top(verilog: &str, name: &str) -> String {
    map_identifiers(verilog, &|w| {
        if w == "top" {
            Some(name.to_string())
        } else {
            w.strip_prefix("top$").map(|rest| format!("{name}${rest}"))
        }
    })
}

pub(crate) struct Module {
    pub(crate) name: String,
    pub(crate) text: String, // full text from `module` to `endmodule // name`
}

pub(crate) fn split_modules(verilog: &str) -> Vec<Module> {
    let mut modules = vec![];
    let mut rest = verilog;
    while let Some(pos) = rest.find("\nmodule ") {
        let after = &rest[pos + 1..];
        let name_end = after.find('(').expect("module header");
        let name = after["module ".len()..name_end].trim().to_string();
        let end_marker = format!("endmodule // {name}");
        let end = after.find(&end_marker).expect("endmodule marker") + end_marker.len();
        modules.push(Module {
            name,
            text: after[..end].to_string(),
        });
        rest = &after[end..];
    }
    modules
}

/// Port names of a module, in header order.
pub(crate) fn ports(m: &Module) -> Vec<String> {
    let open = m.text.find('(').unwrap();
    let close = m.text.find(')').unwrap();
    m.text[open + 1..close]
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Names of `output reg` ports.
pub(crate) fn reg_outputs(m: &Module) -> Vec<String> {
    m.text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("output reg"))
        .map(|l| {
            l.trim_end_matches(';')
                .split_whitespace()
                .last()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Body of a leaf module (the custom code), or None if it is not a leaf.
fn leaf_body(m: &Module) -> Option<String> {
    if m.text.contains("// Sub module instances") {
        return None;
    }
    let start = m.text.find("// Update code (custom)")? + "// Update code (custom)".len();
    let end = m.text.rfind("endmodule").unwrap();
    Some(m.text[start..end].to_string())
}

/// Identifiers declared inside a leaf body (`reg ... name` / `reg ... name [..]`).
pub(crate) fn body_locals(body: &str) -> Vec<String> {
    let mut names = vec![];
    for line in body.lines() {
        let l = line.trim();
        let l = l.strip_prefix("(* no_rw_check *)").unwrap_or(l).trim();
        if let Some(decl) = l.strip_prefix("reg").or_else(|| l.strip_prefix("wire")) {
            // drop "[..]" ranges, keep the first identifier
            let mut d = decl.to_string();
            while let (Some(a), Some(b)) = (d.find('['), d.find(']')) {
                d.replace_range(a..=b, " ");
            }
            if let Some(name) = d.split(|c: char| !is_ident_char(c)).find(|s| !s.is_empty()) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// Inline all leaf sub-modules into the module that instantiates them.
/// Returns a file with only the non-leaf modules left.
pub(crate) fn flatten_leaves(verilog: &str) -> String {
    let modules = split_modules(verilog);
    let leaves: Vec<(&Module, String)> = modules
        .iter()
        .filter_map(|m| leaf_body(m).map(|b| (m, b)))
        .collect();
    let mut out = String::new();
    for parent in modules.iter().filter(|m| leaf_body(m).is_none()) {
        let mut text = parent.text.clone();
        for (leaf, body) in &leaves {
            let header = format!("    {} ", leaf.name);
            while let Some(start) = text.find(&header) {
                let end = start + text[start..].find(");\n").expect("instance end") + 3;
                let inst_text = text[start..end].to_string();
                let inst = inst_text[header.len()..]
                    .split('(')
                    .next()
                    .unwrap()
                    .trim()
                    .to_string();
                // .port(signal) connections
                let mut conn = std::collections::HashMap::new();
                for line in inst_text.lines().skip(1) {
                    let l = line.trim().trim_end_matches(',');
                    if let Some(l) = l.strip_prefix('.') {
                        let (p, s) = l.split_once('(').unwrap();
                        conn.insert(p.to_string(), s.trim_end_matches(')').to_string());
                    }
                }
                assert_eq!(conn.len(), ports(leaf).len(), "instance {inst}");
                let locals = body_locals(body);
                let inlined = map_identifiers(body, &|w| {
                    if let Some(s) = conn.get(w) {
                        Some(s.clone())
                    } else if locals.iter().any(|l| l == w) {
                        Some(format!("{inst}${w}"))
                    } else {
                        None
                    }
                });
                let inlined: Vec<&str> = inlined
                    .lines()
                    .map(str::trim_end)
                    .filter(|l| !l.trim().is_empty())
                    .collect();
                let indent = inlined
                    .iter()
                    .map(|l| l.len() - l.trim_start().len())
                    .min()
                    .unwrap_or(0);
                let mut block = format!("    // ---- inlined {} ----\n", leaf.name);
                for l in inlined {
                    block.push_str("    ");
                    block.push_str(&l[indent..]);
                    block.push('\n');
                }
                text.replace_range(start..end, &block);
                // signals driven by an `output reg` of the leaf become regs here
                for p in reg_outputs(leaf) {
                    let sig = &conn[&p];
                    let decl_end = format!(" {sig};");
                    let line = text
                        .lines()
                        .find(|l| l.trim_start().starts_with("wire") && l.ends_with(&decl_end))
                        .unwrap_or_else(|| panic!("no wire declaration for {sig}"))
                        .to_string();
                    text = text.replacen(&line, &line.replacen("wire", "reg", 1), 1);
                }
            }
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// Widths of every signal a flattened module declares (`reg [7:0] x;`,
/// `input wire x;`, `localparam x = 8'h0;`), by name.
fn declared_widths(text: &str) -> std::collections::HashMap<String, usize> {
    let mut widths = std::collections::HashMap::new();
    for line in text.lines() {
        let l = line.trim().trim_end_matches(';');
        let decl = ["input wire", "output reg", "output wire", "reg", "wire"]
            .iter()
            .find_map(|kw| l.strip_prefix(kw).filter(|r| r.starts_with(' ')));
        if let Some(rest) = decl {
            let rest = rest.trim();
            let (width, name) = match rest.strip_prefix('[') {
                Some(r) => {
                    let (range, name) = r.split_once(']').expect("a range");
                    let msb: usize = range.split(':').next().unwrap().trim().parse().unwrap_or(0);
                    (msb + 1, name.trim())
                }
                None => (1, rest),
            };
            widths.insert(name.to_string(), width);
        } else if let Some(rest) = l.strip_prefix("localparam") {
            if let Some((name, value)) = rest.split_once('=') {
                if let Some((w, _)) = value.trim().split_once('\'') {
                    if let Ok(w) = w.parse() {
                        widths.insert(name.trim().to_string(), w);
                    }
                }
            }
        }
    }
    widths
}

/// The width of `x`: a declared signal, `s[i]`, or `s[lo+:w]`.
fn operand_width(x: &str, widths: &std::collections::HashMap<String, usize>) -> Option<usize> {
    match x.split_once('[') {
        None => widths.get(x).copied(),
        Some((_, sel)) => match sel.trim_end_matches(']').split_once("+:") {
            Some((_, w)) => w.trim().trim_matches(|c| c == '(' || c == ')').parse().ok(),
            None => Some(1),
        },
    }
}

/// rust-hdl writes `bit_cast::<N, M>(x)` as `((x) & N'h<N ones>)`, which
/// `verilator -Wall` reports (WIDTH) whenever x is not N bits wide, and the
/// initial value of a register of an enum state as `64'h0`. Rewrite the
/// first as an explicit zero extension `{{k{1'b0}}, x}` (or a part select
/// when narrowing), and the second at the register's width: the same
/// circuit, lint-clean.
pub(crate) fn explicit_widths(text: &str) -> String {
    let widths = declared_widths(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("((") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match cast_at(tail, &widths) {
            Some((replacement, used)) => {
                out.push_str(&replacement);
                rest = &tail[used..];
            }
            None => {
                out.push('(');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.lines()
        .map(|line| {
            let t = line.trim_start();
            match t.strip_suffix(" = 64'h0;") {
                Some(name) if !t.starts_with("localparam") => match widths.get(name) {
                    Some(&w) if w != 64 => line.replace(" = 64'h0;", &format!(" = {w}'h0;")),
                    _ => line.to_string(),
                },
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

/// A cast `((x) & N'h<ones>)` at the start of `text`: its rewrite and length.
fn cast_at(
    text: &str,
    widths: &std::collections::HashMap<String, usize>,
) -> Option<(String, usize)> {
    let inner_end = matching_paren(text, 1)?;
    let x = &text[2..inner_end];
    let simple = x.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && !x.contains(char::is_whitespace)
        && x.split_once('[')
            .is_none_or(|(name, _)| !name.contains('('));
    if !simple {
        return None;
    }
    let after = text[inner_end..].strip_prefix(") & ")?;
    let quote = after.find('\'')?;
    let n: usize = after[..quote].parse().ok()?;
    let hex_end = after[quote + 2..].find(')')? + quote + 2;
    let mask = &after[quote + 2..hex_end];
    if !after[quote..].starts_with("'h") || !is_all_ones(mask, n) {
        return None;
    }
    let w = operand_width(x, widths)?;
    let used = text.len() - after.len() + hex_end + 1;
    let replacement = match w.cmp(&n) {
        std::cmp::Ordering::Less => format!("{{{{{}{{1'b0}}}}, {x}}}", n - w),
        std::cmp::Ordering::Equal => x.to_string(),
        std::cmp::Ordering::Greater if !x.contains('[') => format!("{x}[{}:0]", n - 1),
        std::cmp::Ordering::Greater => return None,
    };
    Some((format!("({replacement})"), used))
}

/// The index of the `)` that closes the `(` at `open`.
fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Whether `hex` is N one bits.
fn is_all_ones(hex: &str, n: usize) -> bool {
    let ones = (n / 4, n % 4);
    let lead = if ones.1 == 0 {
        "".to_string()
    } else {
        format!("{:x}", (1u8 << ones.1) - 1)
    };
    hex == format!("{lead}{}", "f".repeat(ones.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_become_explicit_extensions_and_selects() {
        let text = "    reg  [7:0] a;\n    reg  [9:0] f;\n    reg  [2:0] s$q;\n    initial begin\n       s$q = 64'h0;\n    end\n        f = (((a) & 10'h3ff) << 32'h1) | ((x[4+:(4)]) & 5'h1f) | ((f) & 8'hff);\n";
        let out = explicit_widths(text);
        assert!(
            out.contains("f = (({{2{1'b0}}, a}) << 32'h1) | ({{1{1'b0}}, x[4+:(4)]}) | (f[7:0]);"),
            "{out}"
        );
        assert!(out.contains("s$q = 3'h0;"), "{out}");
    }
}

/// Moves out of every `always @(*)` block each assignment `x = e;` made at
/// the block's top level whose `e` reads only registers (`…$q`) and
/// localparams, when nothing else assigns `x`: it becomes an `always @(*)`
/// of its own, placed right after the block.
///
/// Same circuit: such an `x` is a function of state alone, whatever the
/// block's other statements do. Why: rust-hdl puts all of a block's
/// combinational logic in one `always @(*)`, and Verilator orders logic per
/// always block, so two blocks that feed each other (a block's `done`
/// read by its parent, which drives the block's `load`) form a loop it
/// reports as UNOPTFLAT, although no signal depends on itself.
pub(crate) fn hoist_register_outputs(text: &str) -> String {
    let params: std::collections::HashSet<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("localparam"))
        .filter_map(|r| r.split('=').next())
        .map(str::trim)
        .collect();
    let assigned = |name: &str| {
        text.lines()
            .filter(|l| {
                let t = l.trim_start();
                t.strip_prefix(name)
                    .is_some_and(|r| r.starts_with(" = ") || r.starts_with(" <= "))
            })
            .count()
    };
    let state_only = |expr: &str| {
        let ok = std::cell::Cell::new(true);
        map_identifiers(expr, &|w| {
            ok.set(ok.get() && (w.ends_with("$q") || params.contains(w)));
            None
        });
        ok.get()
    };
    let mut out = Vec::new();
    let mut hoisted: Vec<String> = Vec::new();
    let mut depth = 0i32;
    let mut in_comb = false;
    for line in text.lines() {
        let t = line.trim();
        if t == "always @(*) begin" {
            in_comb = true;
            depth = 0;
        }
        if in_comb && depth == 1 && !t.starts_with("if") {
            if let Some((lhs, rhs)) = t.strip_suffix(';').and_then(|s| s.split_once(" = ")) {
                if !lhs.contains(['[', ' ']) && state_only(rhs) && assigned(lhs) == 1 {
                    hoisted.push(format!("    always @(*) {t}"));
                    continue;
                }
            }
        }
        depth += block_depth_change(line);
        out.push(line.to_string());
        if in_comb && depth == 0 {
            in_comb = false;
            out.append(&mut hoisted);
        }
    }
    out.join("\n") + if text.ends_with('\n') { "\n" } else { "" }
}

/// `begin` minus `end` keywords on a line (whole words only).
fn block_depth_change(line: &str) -> i32 {
    line.split(|c: char| !is_ident_char(c))
        .map(|w| match w {
            "begin" => 1,
            "end" => -1,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod hoist_tests {
    use super::*;

    #[test]
    fn register_only_outputs_leave_their_block() {
        let text = "module m(a);\n    localparam  z = 4'h0;\n    reg  d;\n    reg  [3:0] l$q;\n    always @(*) begin\n        l$d = l$q;\n        d = l$q == z;\n        if (a) begin\n            l$d = z;\n        end\n    end\nendmodule // m\n";
        let out = hoist_register_outputs(text);
        assert!(
            out.contains("    end\n    always @(*) d = l$q == z;\nendmodule"),
            "{out}"
        );
    }
}

/// Drops every `localparam` nothing in the module reads: rust-hdl declares
/// one per variant of every state enum a module uses, and `verilator
/// -Wall` reports the variants the logic never names (UNUSEDPARAM).
pub(crate) fn drop_unused_localparams(text: &str) -> String {
    let mut uses: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for word in text
        .split(|c: char| !is_ident_char(c))
        .filter(|w| !w.is_empty())
    {
        *uses.entry(word.to_string()).or_default() += 1;
    }
    text.lines()
        .filter(|line| {
            let Some(rest) = line.trim().strip_prefix("localparam") else {
                return true;
            };
            let name = rest.split('=').next().unwrap_or("").trim();
            uses.get(name).copied().unwrap_or(0) > 1
        })
        .map(|l| format!("{l}\n"))
        .collect()
}
