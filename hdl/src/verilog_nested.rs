//! Flattening for designs with more than one level of rust-hdl sub-blocks
//! (the lanes table: top -> control / lanes -> DFFs and RAMs).
//!
//! [`flatten_leaves`](crate::verilog_text::flatten_leaves) inlines the
//! custom-Verilog leaves (DFFs, RAMs) into their parents. What remains is a
//! tree of `#[hdl_gen]` modules; [`flatten_all`] then inlines every module
//! that instantiates nothing into its parent until one module is left, as
//! `verilator -Wall` wants one module per file. An inlined module keeps its
//! declarations and `always` blocks; its locals get the instance name as a
//! prefix (`lane0$w_acc$q`), exactly the names rust-hdl gives them in the
//! parent's view, and its ports become the parent's signals.

use std::collections::HashMap;

use crate::verilog_text::{
    Module, body_locals, flatten_leaves, map_identifiers, ports, reg_outputs, split_modules,
};

/// The instance of module `child` inside `parent`'s text: (start, end, name).
fn find_instance(parent: &str, child: &str) -> Option<(usize, usize, String)> {
    let header = format!("    {child} ");
    let start = parent.find(&header)?;
    let end = start + parent[start..].find(");\n").expect("instance end") + 3;
    let inst = parent[start + header.len()..end]
        .split('(')
        .next()
        .expect("instance name")
        .trim()
        .to_string();
    Some((start, end, inst))
}

/// `.port(signal)` connections of an instance.
fn connections(inst_text: &str) -> HashMap<String, String> {
    inst_text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let l = line.trim().trim_end_matches(',').strip_prefix('.')?;
            let (p, s) = l.split_once('(')?;
            Some((p.to_string(), s.trim_end_matches(')').to_string()))
        })
        .collect()
}

/// Everything of a `#[hdl_gen]` module but its header, port declarations and
/// `endmodule`, plus the names it declares.
fn body_of(m: &Module) -> (String, Vec<String>) {
    let body: String = m
        .text
        .lines()
        .skip(1)
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("input ") || t.starts_with("output ") || t == "// Module arguments")
        })
        .take_while(|l| !l.starts_with("endmodule"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut locals = body_locals(&body);
    locals.extend(body.lines().filter_map(|l| {
        let rest = l.trim_start().strip_prefix("localparam")?;
        rest.split(|c: char| c == '=' || c.is_whitespace())
            .find(|s| !s.is_empty())
            .map(str::to_string)
    }));
    (body, locals)
}

/// Inline one instance of `child` (which instantiates nothing) into `parent`.
fn inline_one(parent: &mut String, child: &Module, body: &str, locals: &[String]) -> bool {
    let Some((start, end, inst)) = find_instance(parent, &child.name) else {
        return false;
    };
    let conn = connections(&parent[start..end]);
    assert_eq!(conn.len(), ports(child).len(), "instance {inst}");
    let inlined = map_identifiers(body, &|w| {
        conn.get(w)
            .cloned()
            .or_else(|| locals.iter().any(|l| l == w).then(|| format!("{inst}${w}")))
    });
    let block = format!("    // ---- inlined {} ----\n{inlined}", child.name);
    parent.replace_range(start..end, &block);
    // Signals the child drives from an `always` block are regs in the parent.
    for p in reg_outputs(child) {
        let decl_end = format!(" {};", conn[&p]);
        if let Some(line) = parent
            .lines()
            .find(|l| l.trim_start().starts_with("wire") && l.ends_with(&decl_end))
            .map(str::to_string)
        {
            *parent = parent.replacen(&line, &line.replacen("wire", "reg", 1), 1);
        }
    }
    true
}

/// Inline every sub-module, at any depth, into the first (top) module.
pub(crate) fn flatten_all(verilog: &str) -> String {
    // split_modules finds modules after a newline; flatten_leaves output starts with one.
    let mut text = format!("\n{}", flatten_leaves(&plain_field_offsets(verilog)));
    loop {
        let modules = split_modules(&text);
        if modules.len() <= 1 {
            let text = crate::verilog_text::explicit_widths(&text);
            let text = crate::verilog_text::hoist_register_outputs(&text);
            return crate::verilog_text::drop_unused_localparams(&text);
        }
        let names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
        let is_leaf = |m: &Module| !names.iter().any(|n| find_instance(&m.text, n).is_some());
        let (leaves, mut parents): (Vec<&Module>, Vec<&Module>) = modules
            .iter()
            .partition(|m| is_leaf(m) && m.name != modules[0].name);
        assert!(!leaves.is_empty(), "module hierarchy has no leaf");
        let mut out = String::new();
        for parent in parents.drain(..) {
            let mut t = parent.text.clone();
            for leaf in &leaves {
                let (body, locals) = body_of(leaf);
                while inline_one(&mut t, leaf, &body, &locals) {}
            }
            out.push('\n');
            out.push_str(&t);
            out.push('\n');
        }
        text = out;
    }
}

/// rust-hdl writes the offset of a struct field's slice as a 64-bit literal
/// (`flags[(64'h3)+:(1)]`), which `verilator -Wall` reports as a WIDTH
/// warning on every use: write it as a plain integer (`flags[3+:(1)]`).
fn plain_field_offsets(verilog: &str) -> String {
    const OPEN: &str = "[(64'h";
    let mut out = String::with_capacity(verilog.len());
    let mut rest = verilog;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let Some(end) = after.find(")+:") else { break };
        let Ok(offset) = u64::from_str_radix(&after[..end], 16) else {
            break;
        };
        out.push_str(&rest[..at]);
        out.push_str(&format!("[{offset}+:"));
        rest = &after[end + ")+:".len()..];
    }
    out.push_str(rest);
    out
}
