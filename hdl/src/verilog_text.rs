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
