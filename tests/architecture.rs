//! The layer rules of DESIGN.md, checked on the source under app/ (comments
//! and string literals do not count, only code):
//!
//! - the layers, lowest first: dump/ (with synth/ beside it: neither names the
//!   other) < analysis/ < layout/ < render/ < scene/ < export/ < ui/ < cli/ <
//!   app.rs and main.rs. A layer names (`crate::x`, also through `crate::{...}`
//!   groups and `super::` chains) only itself and the layers below it. The
//!   helpers in app/: format.rs is for everyone and names nothing of ours;
//!   task.rs (the background-work type) is for ui/ and app.rs only; demo.rs
//!   (the bundled dump) for cli/, ui/ and app.rs only; huge_pages.rs (the
//!   program's allocator) names only format.rs and is for main.rs (and the
//!   benchmarks, outside app/) only. Any other file directly
//!   in app/, or another folder, is in no layer, and that is a violation;
//! - nothing outside app/cli/ and app/main.rs names `crate::cli` (main.rs:
//!   `memscape::cli`);
//! - app/dump/, app/analysis/ and app/layout/ name neither egui, eframe nor
//!   wgpu (nor any `egui_*`/`wgpu_*` crate); render/ and scene/ may;
//! - only app/dump/ names the minidump crates' types (`minidump::`,
//!   `minidump_common::`, `minidump_processor::`, `minidump_unwind::`);
//!   app/synth/, which writes dumps, may name `minidump::format` /
//!   `minidump_common::format` and nothing else of them;
//! - `minidump_synth` appears only in app/synth/ (and app/dump/, for fixtures
//!   in unit tests);
//! - every .rs file under app/ (every mod.rs included) opens with a `//!` doc;
//! - no file under app/ is longer than 700 lines;
//! - no file import cycles: the graph file -> file is built from every path
//!   into the crate (`crate::a::b::X`, `crate::{...}` groups, `super::`,
//!   `self::`, and a mod.rs's paths through its own children, `child::f`),
//!   each resolved to the deepest file it reaches (app/a/b.rs or
//!   app/a/b/mod.rs), through the re-exports (`use`) of the file it lands in;
//!   an item a mod.rs defines, named by a child as `super::X`, is an edge to
//!   that mod.rs; `mod x;` declarations are not edges; an inline module's
//!   `super::` (`mod tests { use super::*; }`) is its own file. Every strongly
//!   connected component (Tarjan) of more than one file is reported, with the
//!   edges inside it.
//!
//! The real source is checked with every violation reported at once; the few
//! known today are listed in `KNOWN_EXCEPTIONS`, and a listed one that no
//! longer occurs fails too (a stale exception), so the list only shrinks.
//! The scanner is tested on in-memory examples that break each rule.

// Test code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const UI_CRATES: [&str; 3] = ["egui", "eframe", "wgpu"];
/// No file under app/ is longer than this.
const MAX_LINES: usize = 700;
const MINIDUMP_READERS: [&str; 4] = ["minidump", "minidump_common", "minidump_processor", "minidump_unwind"];

/// The source with comments and the contents of string and char literals
/// blanked out (lengths and newlines kept).
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || (next == Some('#') && !prev_is_ident(&b, i)))
            && !prev_is_ident(&b, i)
        {
            // Raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push_str(&" ".repeat(j + 1 - i));
            i = j + 1;
            while i < b.len() {
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    out.push_str(&" ".repeat(hashes + 1));
                    i += hashes + 1;
                    break;
                }
                out.push(blank(b[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..b.len()).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    out.push_str(&" ".repeat(e + 1 - i));
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every identifier in the code, with its byte offset.
fn identifiers(code: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices().chain(std::iter::once((code.len(), ' '))) {
        match (start, is_ident_char(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The module path of a file under app/ ("app/dump/regions/mod.rs" ->
/// ["dump", "regions"], "app/cli/json.rs" -> ["cli", "json"]).
fn module_path(rel: &str) -> Vec<String> {
    let rel = rel.strip_prefix("app/").unwrap_or(rel);
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    parts
}

/// The code with whitespace runs made one space, and none left around `::`,
/// braces and commas, so `crate :: {\n ui,` reads `crate::{ui,`; with the
/// line of each byte.
fn squeeze(code: &str) -> (String, Vec<usize>) {
    let mut chars: Vec<(char, usize)> = Vec::new();
    let mut line = 1;
    for c in code.chars() {
        if c.is_whitespace() {
            if chars.last().is_some_and(|(p, _)| *p != ' ') {
                chars.push((' ', line));
            }
            if c == '\n' {
                line += 1;
            }
        } else {
            chars.push((c, line));
        }
    }
    let ch = |i: usize| chars.get(i).map(|(c, _)| *c);
    let mut out = String::with_capacity(chars.len());
    let mut lines = Vec::with_capacity(chars.len());
    for (i, &(c, l)) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).and_then(ch);
            let prev2 = i.checked_sub(2).and_then(ch);
            let (next, next2) = (ch(i + 1), ch(i + 2));
            let drop = next.is_none()
                || matches!(prev, Some('{' | ','))
                || (prev == Some(':') && prev2 == Some(':'))
                || matches!(next, Some('}' | ','))
                || (next == Some(':') && next2 == Some(':'));
            if drop {
                continue;
            }
        }
        out.push(c);
        lines.extend(std::iter::repeat_n(l, c.len_utf8()));
    }
    (out, lines)
}

/// One path into the crate, as written in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CratePath {
    /// Segments from the crate root (`super::`, `self::` and child-module
    /// paths already resolved against the module they are written in).
    segments: Vec<String>,
    /// Part of a `use` declaration: the name it brings into scope (the last
    /// segment, or its `as` alias); `None` for a path in code or a glob.
    binds: Option<String>,
    /// 1-based line in the file.
    line: usize,
}

fn ident_at(s: &str, at: usize) -> &str {
    let len = s[at..].find(|c: char| !is_ident_char(c)).unwrap_or(s.len() - at);
    &s[at..at + len]
}

/// Parses the use tree (or plain path) at `s[*at..]`, below `prefix`: `a::b`,
/// `a::{b, c::{d, e as f}}`, `a::*`, `a::{self, b}`. Pushes each full path.
fn parse_tree(s: &str, at: &mut usize, prefix: Vec<String>, in_use: bool, line: usize, out: &mut Vec<CratePath>) {
    let mut path = prefix;
    loop {
        let rest = &s[*at..];
        if rest.starts_with('{') {
            *at += 1;
            loop {
                let rest = &s[*at..];
                if rest.is_empty() {
                    return;
                }
                if rest.starts_with('}') {
                    *at += 1;
                    return;
                }
                if rest.starts_with(',') {
                    *at += 1;
                    continue;
                }
                let before = *at;
                parse_tree(s, at, path.clone(), in_use, line, out);
                if *at == before {
                    *at += 1; // Something this parser does not know: step over it.
                }
            }
        }
        if rest.starts_with('*') {
            *at += 1;
            out.push(CratePath { segments: path, binds: None, line });
            return;
        }
        let id = ident_at(s, *at);
        if id.is_empty() {
            out.push(CratePath { segments: path, binds: None, line });
            return;
        }
        *at += id.len();
        let last_is_self = id == "self";
        if !last_is_self {
            path.push(id.to_string());
        }
        if !last_is_self && s[*at..].starts_with("::") {
            *at += 2;
            continue;
        }
        let mut binds = in_use.then(|| path.last().cloned().unwrap_or_default());
        if let Some(alias) = s[*at..].strip_prefix(" as ") {
            let alias = ident_at(alias, 0);
            *at += " as ".len() + alias.len();
            binds = in_use.then(|| alias.to_string());
        }
        out.push(CratePath { segments: path, binds, line });
        return;
    }
}

/// The `mod x;` declarations of a file (its child modules that are files).
fn child_modules(squeezed: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = squeezed[from..].find("mod ") {
        let at = from + i;
        from = at + 4;
        if at > 0 && is_ident_char(squeezed.as_bytes()[at - 1] as char) {
            continue;
        }
        let name = ident_at(squeezed, at + 4);
        if !name.is_empty() && squeezed[at + 4 + name.len()..].starts_with(';') {
            out.push(name.to_string());
        }
    }
    out
}

/// Every path into the crate that a file writes: `crate::...` (with `{...}`
/// groups), `super::...`, `self::...`, paths through its own child modules
/// (`child::...`), and in app/main.rs `memscape::...`. Inline modules
/// (`mod tests { use super::*; }`) are followed, so their `super::` is the file.
fn crate_paths(rel: &str, code: &str) -> Vec<CratePath> {
    let (squeezed, lines) = squeeze(code);
    let line_of = |offset: usize| lines.get(offset).copied().unwrap_or(1);
    let here = module_path(rel);
    let is_main = rel == "app/main.rs";
    let children = child_modules(&squeezed);
    let bytes = squeezed.as_bytes();
    let mut out = Vec::new();
    // Inline modules: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c == '{' {
            depth += 1;
            i += 1;
            continue;
        }
        if c == '}' {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        let at_word = i == 0 || !is_ident_char(bytes[i - 1] as char);
        if !at_word || !is_ident_char(c) {
            i += 1;
            continue;
        }
        let id = ident_at(&squeezed, i);
        let after_id = i + id.len();
        if id == "mod" {
            let name = ident_at(&squeezed, (after_id + 1).min(squeezed.len()));
            let after_name = &squeezed[(after_id + 1 + name.len()).min(squeezed.len())..];
            if !name.is_empty() && (after_name.starts_with('{') || after_name.starts_with(" {")) {
                inline.push((name.to_string(), depth + 1));
            }
            i = after_id;
            continue;
        }
        // A path continues after `::`; `x::crate` is not the crate.
        // A path continues after `::`, and `.x::<T>()` is a method; neither starts a path.
        let preceded_by_path = squeezed[..i].ends_with("::") || squeezed[..i].ends_with('.');
        if preceded_by_path || !squeezed[after_id..].starts_with("::") {
            i = after_id;
            continue;
        }
        let mut module = here.clone();
        module.extend(inline.iter().map(|(n, _)| n.clone()));
        let (base, start): (Vec<String>, usize) = match id {
            "crate" if !is_main => (Vec::new(), after_id + 2),
            "memscape" if is_main => (Vec::new(), after_id + 2),
            "self" if !is_main => (module, after_id + 2),
            "super" if !is_main => {
                let mut base = module;
                let mut j = i;
                while squeezed[j..].starts_with("super::") {
                    base.pop();
                    j += "super::".len();
                }
                (base, j)
            }
            child if inline.is_empty() && children.iter().any(|c| c == child) => (module, i),
            _ => {
                i = after_id;
                continue;
            }
        };
        let before = squeezed[..i].trim_end();
        let in_use = before.strip_suffix("use").is_some_and(|b| !b.chars().last().is_some_and(is_ident_char));
        let line = line_of(i);
        let mut at = start;
        parse_tree(&squeezed, &mut at, base, in_use, line, &mut out);
        i = at.max(after_id);
    }
    out
}

/// The crate-level modules a file reaches for (the first segment of each path).
fn crate_modules_named(rel: &str, code: &str) -> Vec<String> {
    crate_paths(rel, code).into_iter().filter_map(|p| p.segments.first().cloned()).collect()
}

/// Where a file sits: the folder under app/ ("dump", "ui", ...), or for a
/// file directly in app/ its name ("app", "main", "lib", "format", ...).
fn layer(rel: &str) -> &str {
    let rel = rel.strip_prefix("app/").unwrap_or(rel);
    match rel.split_once('/') {
        Some((dir, _)) => dir,
        None => rel.trim_end_matches(".rs"),
    }
}

/// DESIGN.md's layers, lowest first; a layer may name only itself and the
/// layers below it. synth/ sits beside dump/: neither names the other.
const LAYER_ORDER: [&[&str]; 9] =
    [&["dump", "synth"], &["analysis"], &["layout"], &["render"], &["scene"], &["export"], &["ui"], &["cli"], &["app"]];

/// The files directly in app/ and what they count as: lib.rs is the module
/// tree; main.rs is the app layer with app.rs; format, task and demo are
/// helpers (see [`may_name`]).
const ROOT_FILES: [(&str, &str); 7] = [
    ("lib", "lib"),
    ("main", "app"),
    ("app", "app"),
    ("format", "format"),
    ("task", "task"),
    ("demo", "demo"),
    ("huge_pages", "huge_pages"),
];

/// The layer a file belongs to for the ordering rules, `None` for a file or
/// folder that is in no layer.
fn layer_of_file(rel: &str) -> Option<&'static str> {
    let l = layer(rel);
    if rel.strip_prefix("app/").is_some_and(|r| !r.contains('/')) {
        ROOT_FILES.iter().find(|(f, _)| *f == l).map(|(_, layer)| *layer)
    } else {
        LAYER_ORDER.iter().flat_map(|ls| ls.iter()).find(|x| **x == l).copied()
    }
}

/// The layer a crate-root module belongs to (`crate::ui` -> "ui", `crate::app` -> "app").
fn layer_of_module(top: &str) -> Option<&'static str> {
    if let Some((_, layer)) = ROOT_FILES.iter().find(|(f, _)| *f == top && *f != "main") {
        return Some(layer);
    }
    LAYER_ORDER.iter().flat_map(|ls| ls.iter()).find(|x| **x == top).copied()
}

fn rank(layer: &str) -> Option<usize> {
    LAYER_ORDER.iter().position(|ls| ls.contains(&layer))
}

/// Whether a file of layer `from` may name the module of layer `to`. The root
/// helpers: `format` is for everyone and names nothing of ours; `task` (the
/// background-work type) is for scene/ (the window's scene cache), ui/ and the app only; `demo` (the bundled
/// dump) for cli/, ui/ and the app; both sit at the ui/ level themselves;
/// `huge_pages` (the allocator) names only `format` and is for main.rs.
fn may_name(from: &str, to: &str) -> bool {
    if from == to || from == "lib" || to == "format" {
        return true;
    }
    match to {
        "task" => return matches!(from, "scene" | "ui" | "app"),
        "demo" => return matches!(from, "cli" | "ui" | "app"),
        "huge_pages" => return from == "app",
        _ => {}
    }
    let from_rank = match from {
        "format" | "huge_pages" => return false,
        "task" | "demo" => rank("ui"),
        _ => rank(from),
    };
    match (from_rank, rank(to)) {
        (Some(f), Some(t)) => t < f,
        _ => true,
    }
}

/// Every rule the file breaks, as "path: what".
fn violations(rel: &str, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let first = src.trim_start_matches('\u{feff}').lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.trim_start().starts_with("//!") {
        out.push(format!("{rel}: does not open with a `//!` doc comment"));
    }
    let lines = src.lines().count();
    if lines > MAX_LINES {
        out.push(format!("{rel}: over {MAX_LINES} lines ({lines})"));
    }
    let code = code_only(src);
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let layer = layer(rel);
    let lower = matches!(layer, "dump" | "analysis" | "layout");
    let idents = identifiers(&code);

    if lower {
        for (at, id) in &idents {
            if let Some(c) = UI_CRATES.iter().find(|c| *id == **c || id.starts_with(&format!("{c}_"))) {
                out.push(format!("{rel}:{}: names `{id}` ({c}), which {layer}/ may not use", line_of(*at)));
            }
        }
    }
    let from = layer_of_file(rel);
    if from.is_none() {
        out.push(format!(
            "{rel}: is in no layer (not in one of DESIGN.md's folders, nor app.rs, main.rs, lib.rs, format.rs, \
             task.rs, demo.rs, huge_pages.rs)"
        ));
    }
    let mut named: Vec<String> = crate_modules_named(rel, &code);
    named.sort();
    named.dedup();
    let in_cli = layer == "cli" || rel == "app/main.rs";
    for m in &named {
        if m == "cli" {
            if !in_cli {
                out.push(format!("{rel}: names crate::cli; only app/cli/ and app/main.rs may"));
            }
            continue;
        }
        if let (Some(from), Some(to)) = (from, layer_of_module(m))
            && !may_name(from, to)
        {
            let why = match to {
                "task" => "task is for scene/, ui/ and app.rs only".to_string(),
                "demo" => "demo is for cli/, ui/ and app.rs only".to_string(),
                _ if rank(to) == rank(from) => format!("{to}/ sits beside {from}/"),
                _ => format!("a layer above {from}/"),
            };
            out.push(format!("{rel}: names crate::{m}, {why}"));
        }
    }

    // Paths into the minidump crates: `name::` right after a non-path character.
    for (at, id) in &idents {
        let after = &code[at + id.len()..];
        let after_trim = after.trim_start();
        if !after_trim.starts_with("::") {
            continue;
        }
        // `x::minidump::...` is an item of some module x; `::minidump::` and
        // `use minidump::` are the crate.
        let before = code[..*at].trim_end();
        if before.strip_suffix("::").is_some_and(|p| p.trim_end().chars().last().is_some_and(is_ident_char)) {
            continue;
        }
        let next_seg: String =
            after_trim[2..].trim_start().chars().take_while(|c| is_ident_char(*c) || *c == '{').collect();
        if MINIDUMP_READERS.contains(id) && layer != "dump" {
            let format_only =
                layer == "synth" && (id == &"minidump" || id == &"minidump_common") && next_seg == "format";
            if !format_only {
                out.push(format!(
                    "{rel}:{}: names `{id}::{next_seg}`; only app/dump/ reads minidump types{}",
                    line_of(*at),
                    if layer == "synth" { " (app/synth/ may name only minidump::format)" } else { "" }
                ));
            }
        }
        if *id == "minidump_synth" && !matches!(layer, "synth" | "dump") {
            out.push(format!("{rel}:{}: names minidump_synth outside app/synth/", line_of(*at)));
        }
    }
    out
}

// ---------------------------------------------------------------- the file graph

/// One source file: where it is and its code.
struct Source {
    rel: String,
    code: String,
}

impl Source {
    fn new(rel: &str, src: &str) -> Self {
        Source { rel: rel.to_string(), code: code_only(src) }
    }
}

/// An edge of the file graph: `from` names something of `to` at `line`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    line: usize,
}

/// The file → file import graph of the lib crate (app/main.rs, the binary,
/// only points into it). A path goes to the deepest file it reaches
/// (`crate::a::b::X` to app/a/b.rs or app/a/b/mod.rs, else app/a.rs or
/// app/a/mod.rs); a name that file binds with `use` (a re-export) is followed
/// to the file it comes from, so `super::X` from a child reaches a sibling
/// when the mod.rs only re-exports X, and the mod.rs itself when X is defined
/// there. `mod x;` declarations are not edges.
fn file_graph(files: &[Source]) -> Vec<Edge> {
    let mut by_module: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.rel != "app/main.rs" {
            by_module.insert(module_path(&f.rel), i);
        }
    }
    let paths: Vec<Vec<CratePath>> = files.iter().map(|f| crate_paths(&f.rel, &f.code)).collect();
    let bindings: Vec<BTreeMap<String, Vec<String>>> = paths
        .iter()
        .map(|ps| ps.iter().filter_map(|p| Some((p.binds.clone()?, p.segments.clone()))).collect())
        .collect();
    // The file a path ends in, following re-exports (a few hops at most).
    let resolve = |path: &[String]| -> Option<usize> {
        let mut path = path.to_vec();
        for _ in 0..8 {
            let k = (0..=path.len()).rev().find(|k| by_module.contains_key(&path[..*k]))?;
            let file = by_module[&path[..k]];
            let Some(next) = path.get(k).and_then(|name| bindings[file].get(name)) else {
                return Some(file);
            };
            let followed: Vec<String> = next.iter().chain(&path[k + 1..]).cloned().collect();
            if followed == path {
                return Some(file);
            }
            path = followed;
        }
        None
    };
    let mut edges = BTreeSet::new();
    for (i, ps) in paths.iter().enumerate() {
        for p in ps {
            if let Some(j) = resolve(&p.segments)
                && j != i
            {
                edges.insert(Edge { from: files[i].rel.clone(), to: files[j].rel.clone(), line: p.line });
            }
        }
    }
    // One edge per pair of files: the first line.
    let mut seen = BTreeSet::new();
    edges.into_iter().filter(|e| seen.insert((e.from.clone(), e.to.clone()))).collect()
}

/// The strongly connected components of more than one file (Tarjan), each
/// sorted, in a stable order.
fn cycles(edges: &[Edge]) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in edges {
        next.entry(e.from.as_str()).or_default().push(e.to.as_str());
        next.entry(e.to.as_str()).or_default();
    }
    struct Tarjan<'a> {
        next: &'a BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for &w in &self.next[v] {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        next: &next,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in next.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out.sort();
    t.out
}

/// Each import cycle as "import cycle: a, b, c (a:12 -> b, b:3 -> a, ...)".
fn cycle_violations(files: &[Source]) -> Vec<String> {
    let edges = file_graph(files);
    cycles(&edges)
        .into_iter()
        .map(|component| {
            let inside: Vec<String> = edges
                .iter()
                .filter(|e| component.contains(&e.from) && component.contains(&e.to))
                .map(|e| format!("{}:{} -> {}", e.from, e.line, e.to))
                .collect();
            format!("import cycle: {} ({})", component.join(", "), inside.join(", "))
        })
        .collect()
}

/// Every violation of the whole tree: each file's rules, then the cycles.
fn tree_violations(files: &[Source], sources: &[String]) -> Vec<String> {
    let mut all: Vec<String> = files.iter().zip(sources).flat_map(|(f, src)| violations(&f.rel, src)).collect();
    all.extend(cycle_violations(files));
    all
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The violations known today, each being fixed by someone: a violation's text
/// up to its parenthesis (a cycle's files without its edges, a file's size
/// without its count). One that no longer occurs fails the test as a stale
/// exception: delete it here when its fix lands. The goal is an empty list.
const KNOWN_EXCEPTIONS: &[&str] = &[];

/// Whether `violation` is the known exception `known`: the same text, or the
/// same text up to the parenthesis that gives the details.
fn is_known(violation: &str, known: &str) -> bool {
    violation == known || violation.strip_prefix(known).is_some_and(|rest| rest.starts_with(" ("))
}

/// What the real tree owes: violations not in the list, and listed exceptions
/// that no longer occur. Both are failures.
fn unexcused(all: &[String], known: &[&str]) -> (Vec<String>, Vec<String>) {
    let new: Vec<String> = all.iter().filter(|v| !known.iter().any(|k| is_known(v, k))).cloned().collect();
    let stale: Vec<String> =
        known.iter().filter(|k| !all.iter().any(|v| is_known(v, k))).map(|k| k.to_string()).collect();
    (new, stale)
}

#[test]
fn app_source_keeps_the_layer_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    rust_files(&root.join("app"), &mut paths);
    assert!(paths.len() > 10, "found only {} .rs files under app/", paths.len());
    let mut files = Vec::new();
    let mut sources = Vec::new();
    for f in &paths {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        files.push(Source::new(&rel, &src));
        sources.push(src);
    }
    let all = tree_violations(&files, &sources);
    for v in &all {
        println!("{v}");
    }
    let (new, stale) = unexcused(&all, KNOWN_EXCEPTIONS);
    let mut report = Vec::new();
    if !new.is_empty() {
        report.push(format!("{} architecture violations:\n  {}", new.len(), new.join("\n  ")));
    }
    if !stale.is_empty() {
        report.push(format!(
            "{} stale exceptions (no longer occur; delete them from KNOWN_EXCEPTIONS):\n  {}",
            stale.len(),
            stale.join("\n  ")
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

// ---------------------------------------------------------------- the scanner can fail

#[test]
fn scanner_flags_ui_crates_in_lower_layers_but_not_in_comments() {
    let ok = "//! Doc.\n// egui is mentioned in a comment\n/* wgpu too */\nfn f() { let s = \"egui\"; }\n";
    assert_eq!(violations("app/dump/x.rs", ok), Vec::<String>::new());
    let bad = "//! Doc.\nuse egui::Ui;\nfn f(x: egui_plot::Plot) {}\n";
    let v = violations("app/layout/x.rs", bad);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].contains("app/layout/x.rs:2") && v[0].contains("egui"), "{v:?}");
    let bad = "//! Doc.\nfn f(d: &wgpu::Device) {}\nfn g() -> eframe::App {}\n";
    assert_eq!(violations("app/analysis/x.rs", bad).len(), 2);
    // Higher layers may use them.
    assert!(violations("app/ui/x.rs", "//! Doc.\nuse egui::Ui;\n").is_empty());
}

#[test]
fn scanner_flags_higher_layers_through_groups_and_super() {
    let v = violations("app/dump/x.rs", "//! Doc.\nuse crate::ui::theme;\n");
    assert!(v.iter().any(|m| m.contains("crate::ui")), "{v:?}");
    let v = violations("app/layout/x.rs", "//! Doc.\nuse crate::{\n    dump::AddressSpace,\n    render::Cam,\n};\n");
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("crate::render"), "{v:?}");
    let v = violations("app/dump/regions/x.rs", "//! Doc.\nuse super::super::super::cli::run;\n");
    assert!(v.iter().any(|m| m.contains("crate::cli")), "{v:?}");
    // super:: within the layer is fine.
    assert!(
        violations("app/dump/regions/x.rs", "//! Doc.\nuse super::painter::P;\nuse super::super::model::M;\n")
            .is_empty()
    );
    let v = violations("app/render/x.rs", "//! Doc.\nfn f() { crate::app::run(); }\n");
    assert!(v.iter().any(|m| m.contains("crate::app")), "{v:?}");
    assert!(violations("app/render/x.rs", "//! Doc.\nuse crate::layout::Geometry;\n").is_empty());
    assert!(violations("app/export/x.rs", "//! Doc.\nuse crate::render::Offscreen;\n").is_empty());
    let v = violations("app/export/x.rs", "//! Doc.\nuse crate::{render, ui::theme};\n");
    assert!(v.iter().any(|m| m.contains("crate::ui")), "{v:?}");
}

#[test]
fn scanner_flags_minidump_types_outside_the_dump_layer() {
    assert!(violations("app/dump/x.rs", "//! Doc.\nuse minidump::{Minidump, MinidumpThreadList};\n").is_empty());
    let v = violations("app/cli/x.rs", "//! Doc.\nuse minidump::Minidump;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    let v = violations("app/analysis/x.rs", "//! Doc.\nfn f(s: &minidump_unwind::CallStack) {}\n");
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(violations("app/ui/x.rs", "//! Doc.\nfn f() { let t = ::minidump::format::X; }\n").len(), 1);
    // app/synth: minidump::format yes, other minidump types no, minidump_synth yes.
    let synth_ok = "//! Doc.\nuse minidump::format as md;\nuse minidump_common::format::MINIDUMP_STREAM_TYPE;\n\
                    use minidump_synth::SynthMinidump;\n";
    assert_eq!(violations("app/synth/x.rs", synth_ok), Vec::<String>::new());
    let v = violations("app/synth/x.rs", "//! Doc.\nuse minidump::Minidump;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    let v = violations("app/cli/x.rs", "//! Doc.\nuse minidump_synth::SynthMinidump;\n");
    assert_eq!(v.len(), 1, "{v:?}");
    // Not the crate: a module of ours that happens to be called minidump, and prose.
    assert!(
        violations("app/cli/x.rs", "//! Reads a minidump::Minidump? No.\nuse crate::dump::minidump::X;\n").is_empty()
    );
    assert!(violations("app/cli/x.rs", "//! Doc.\nfn f() { let s = \"minidump::Minidump\"; }\n").is_empty());
}

#[test]
fn scanner_requires_a_module_doc() {
    assert_eq!(violations("app/cli/x.rs", "use std::io;\n").len(), 1);
    assert_eq!(violations("app/cli/mod.rs", "/// Item doc, not a module doc.\nmod x;\n").len(), 1);
    assert!(violations("app/cli/mod.rs", "\n//! Module doc.\nmod x;\n").is_empty());
}

#[test]
fn code_only_blanks_comments_and_literals() {
    let src = "a /* b /* c */ d */ e // f\n\"g\\\"h\" 'i' '\\n' r#\"j\"# k<'l>";
    let code = code_only(src);
    let words: Vec<&str> = identifiers(&code).into_iter().map(|(_, w)| w).collect();
    assert_eq!(words, vec!["a", "e", "k", "l"]);
    assert_eq!(code.len(), src.len());
}

/// Positive controls on the real source: the scanner sees what app/ does name.
#[test]
fn scanner_sees_the_real_imports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    let cli = read("app/cli/mod.rs");
    assert!(crate_modules_named("app/cli/mod.rs", &code_only(&cli)).iter().any(|m| m == "dump"));
    // app/dump/open.rs names minidump types: the same text elsewhere is flagged.
    let open = read("app/dump/open.rs");
    assert!(violations("app/dump/open.rs", &open).is_empty());
    let moved = violations("app/analysis/open.rs", &open);
    assert!(moved.iter().any(|v| v.contains("minidump::")), "{moved:?}");
}

// ---------------------------------------------------------------- the file graph can fail

fn sources(files: &[(&str, &str)]) -> Vec<Source> {
    files.iter().map(|(rel, src)| Source::new(rel, src)).collect()
}

fn edges_of(files: &[(&str, &str)]) -> Vec<(String, String)> {
    file_graph(&sources(files)).into_iter().map(|e| (e.from, e.to)).collect()
}

fn edge(from: &str, to: &str) -> (String, String) {
    (from.to_string(), to.to_string())
}

#[test]
fn cycle_scanner_flags_a_two_cycle() {
    let files = sources(&[
        ("app/lib.rs", "//! Root.\npub mod render;\n"),
        ("app/render/mod.rs", "//! R.\nmod a;\nmod b;\n"),
        ("app/render/a.rs", "//! A.\nuse super::b::B;\npub struct A(B);\n"),
        ("app/render/b.rs", "//! B.\n\npub struct B;\nfn f() -> crate::render::a::A {\n    todo!()\n}\n"),
    ]);
    let v = cycle_violations(&files);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].starts_with("import cycle: app/render/a.rs, app/render/b.rs ("), "{v:?}");
    // The edges, with the lines that make them.
    assert!(v[0].contains("app/render/a.rs:2 -> app/render/b.rs"), "{v:?}");
    assert!(v[0].contains("app/render/b.rs:4 -> app/render/a.rs"), "{v:?}");
}

#[test]
fn cycle_scanner_flags_a_three_cycle_through_groups() {
    let files = sources(&[
        ("app/lib.rs", "//! Root.\npub mod layout;\n"),
        ("app/layout/mod.rs", "//! L.\npub mod a;\npub mod b;\npub mod c;\n"),
        // a -> b through a nested group, b -> c through super::, c -> a through `self` in a group.
        ("app/layout/a.rs", "//! A.\nuse crate::{\n    dump::X,\n    layout::{b::{B, Bee}},\n};\n"),
        ("app/layout/b.rs", "//! B.\nuse super::c::C as See;\n"),
        ("app/layout/c.rs", "//! C.\nuse crate::layout::{a::{self}, c};\n"),
    ]);
    let v = cycle_violations(&files);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].starts_with("import cycle: app/layout/a.rs, app/layout/b.rs, app/layout/c.rs ("), "{v:?}");
}

#[test]
fn cycle_scanner_passes_a_plain_tree() {
    let files = [
        ("app/lib.rs", "//! Root.\npub mod dump;\npub mod layout;\n"),
        ("app/dump/mod.rs", "//! D.\nmod model;\npub use model::Space;\n"),
        ("app/dump/model.rs", "//! M.\npub struct Space;\n"),
        // mod.rs re-exports its children's types (`self::` and bare child paths);
        // `mod x;` declarations are not edges.
        ("app/layout/mod.rs", "//! L.\nmod a;\nmod b;\npub use self::a::A;\npub use b::{B, make};\n"),
        // Inline test modules: their `super::*` is this file.
        ("app/layout/a.rs", "//! A.\npub struct A;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"),
        // `super::A` is a re-export of a.rs's A: the edge goes to a.rs, not mod.rs.
        ("app/layout/b.rs", "//! B.\nuse super::A;\nuse crate::dump::Space;\npub struct B(A);\npub fn make() {}\n"),
    ];
    assert_eq!(cycle_violations(&sources(&files)), Vec::<String>::new());
    assert_eq!(
        edges_of(&files),
        vec![
            edge("app/dump/mod.rs", "app/dump/model.rs"),
            edge("app/layout/b.rs", "app/dump/model.rs"),
            edge("app/layout/b.rs", "app/layout/a.rs"),
            edge("app/layout/mod.rs", "app/layout/a.rs"),
            edge("app/layout/mod.rs", "app/layout/b.rs"),
        ]
    );
}

#[test]
fn cycle_scanner_sees_items_defined_in_a_mod_rs() {
    // A child naming an item mod.rs defines, while mod.rs calls the child: a cycle.
    let cycle = [
        ("app/lib.rs", "//! Root.\npub mod analysis;\n"),
        ("app/analysis/mod.rs", "//! A.\nmod rules;\npub struct Finding;\npub fn run() { rules::check(); }\n"),
        ("app/analysis/rules.rs", "//! R.\nuse super::Finding;\npub fn check() {}\n"),
    ];
    let v = cycle_violations(&sources(&cycle));
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].starts_with("import cycle: app/analysis/mod.rs, app/analysis/rules.rs ("), "{v:?}");
    // Only the `mod rules;` declaration: no cycle.
    let tree = [cycle[0], ("app/analysis/mod.rs", "//! A.\nmod rules;\npub struct Finding;\n"), cycle[2]];
    assert_eq!(cycle_violations(&sources(&tree)), Vec::<String>::new());
    assert_eq!(edges_of(&tree), vec![edge("app/analysis/rules.rs", "app/analysis/mod.rs")]);
    // A method called with a turbofish, named like the child module, is no path to it.
    let method = [cycle[0], ("app/analysis/mod.rs", "//! A.\nmod rules;\nfn f(x: X) { x.rules::<u8>(); }\n"), cycle[2]];
    assert_eq!(edges_of(&method), vec![edge("app/analysis/rules.rs", "app/analysis/mod.rs")]);
}

#[test]
fn tarjan_finds_every_component() {
    let e = |from: &str, to: &str| Edge { from: from.into(), to: to.into(), line: 1 };
    let edges = [e("a", "b"), e("b", "a"), e("b", "c"), e("c", "d"), e("d", "e"), e("e", "c"), e("e", "f")];
    assert_eq!(cycles(&edges), vec![vec!["a", "b"], vec!["c", "d", "e"]]);
    assert!(cycles(&[e("a", "b"), e("b", "c"), e("a", "c")]).is_empty());
}

#[test]
fn scanner_keeps_the_layer_order() {
    let flagged = |rel: &str, src: &str, what: &str| {
        let v = violations(rel, &format!("//! Doc.\n{src}\n"));
        assert!(v.iter().any(|m| m.contains(what)), "{rel} with {src:?}: {v:?}");
    };
    let fine = |rel: &str, src: &str| {
        let v = violations(rel, &format!("//! Doc.\n{src}\n"));
        assert_eq!(v, Vec::<String>::new(), "{rel} with {src:?}");
    };
    // scene/ sits between render/ and export/, and may use egui's painter types.
    fine("app/scene/x.rs", "use crate::render::lod::Lod;\nuse crate::layout::View;\nuse egui::Color32;");
    flagged("app/scene/x.rs", "use crate::export::png;", "crate::export, a layer above scene/");
    flagged("app/scene/x.rs", "use crate::ui::theme;", "crate::ui, a layer above scene/");
    flagged("app/render/x.rs", "use crate::scene::Scene;", "crate::scene, a layer above render/");
    fine("app/export/x.rs", "use crate::scene::Scene;");
    flagged("app/export/x.rs", "use crate::ui::theme;", "crate::ui");
    fine("app/ui/x.rs", "use crate::{export::png, scene::Scene, render::Gpu, analysis::stats};");
    flagged("app/analysis/x.rs", "use crate::layout::View;", "crate::layout, a layer above analysis/");
    // synth/ sits beside dump/.
    flagged("app/synth/x.rs", "use crate::dump::AddressSpace;", "dump/ sits beside synth/");
    flagged("app/dump/x.rs", "use crate::synth::rng::SplitMix64;", "synth/ sits beside dump/");
    fine("app/cli/x.rs", "use crate::synth::big::BigDumpSpec;");
    // The root helpers.
    fine("app/dump/x.rs", "use crate::format::human_size;");
    flagged("app/format.rs", "use crate::dump::RegionKind;", "crate::dump");
    fine("app/ui/x.rs", "use crate::task::Task;");
    fine("app/app.rs", "use crate::{task::Task, demo};");
    flagged("app/cli/x.rs", "use crate::task::Task;", "task is for scene/, ui/ and app.rs only");
    flagged("app/render/x.rs", "use crate::task::Task;", "task is for scene/, ui/ and app.rs only");
    fine("app/cli/x.rs", "use crate::demo::open_demo;");
    flagged("app/export/x.rs", "use crate::demo::open_demo;", "demo is for cli/, ui/ and app.rs only");
    fine("app/demo.rs", "use crate::dump::AddressSpace;");
    fine("app/main.rs", "#[global_allocator]\nstatic A: memscape::huge_pages::HugePages = HugePages;");
    flagged("app/huge_pages.rs", "use crate::dump::RegionKind;", "crate::dump");
    flagged("app/scene/x.rs", "use crate::huge_pages::HugePages;", "crate::huge_pages");
    // A file outside the layers.
    flagged("app/scene_job.rs", "use crate::layout::View;", "app/scene_job.rs: is in no layer");
    flagged("app/widgets/x.rs", "", "is in no layer");
}

#[test]
fn scanner_keeps_the_cli_to_itself() {
    let v = violations("app/app.rs", "//! Doc.\nuse crate::cli::shot;\n");
    assert_eq!(v, vec!["app/app.rs: names crate::cli; only app/cli/ and app/main.rs may"]);
    let v = violations("app/ui/x.rs", "//! Doc.\nfn f() { crate::cli::shot::render(); }\n");
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(violations("app/cli/x.rs", "//! Doc.\nuse crate::cli::args::Cli;\nuse super::json;\n").is_empty());
    // main.rs is the binary: it names the library as `memscape::`.
    assert!(violations("app/main.rs", "//! Doc.\nuse memscape::cli::{self, Cli};\n").is_empty());
    let v = violations("app/main.rs", "//! Doc.\nfn main() { memscape::task::Task::spawn(); }\n");
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn scanner_flags_long_files() {
    let src = |n: usize| format!("//! Doc.\n{}", "fn f() {}\n".repeat(n - 1));
    assert!(violations("app/ui/x.rs", &src(MAX_LINES)).is_empty());
    let v = violations("app/ui/x.rs", &src(MAX_LINES + 1));
    assert_eq!(v, vec![format!("app/ui/x.rs: over {MAX_LINES} lines ({})", MAX_LINES + 1)]);
}

#[test]
fn exceptions_must_still_occur() {
    let found = ["import cycle: a, b (a:1 -> b, b:2 -> a)".to_string(), "x.rs: over 700 lines (800)".to_string()];
    let (new, stale) = unexcused(&found, &["import cycle: a, b", "x.rs: over 700 lines", "gone: fixed"]);
    assert!(new.is_empty(), "{new:?}");
    assert_eq!(stale, vec!["gone: fixed"]);
    // A cycle that grew is a new violation (and its old entry is stale).
    let found = ["import cycle: a, b, c (...)".to_string()];
    let (new, stale) = unexcused(&found, &["import cycle: a, b"]);
    assert_eq!((new.len(), stale.len()), (1, 1));
}
