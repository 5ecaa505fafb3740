//! The layer rules of DESIGN.md, checked on the source under app/ (comments
//! and string literals do not count, only code):
//!
//! - app/dump/, app/analysis/ and app/layout/ name neither egui, eframe nor
//!   wgpu (nor any `egui_*`/`wgpu_*` crate), nor the higher layers
//!   `crate::ui`, `crate::render`, `crate::app`, `crate::cli`, `crate::export`
//!   (also through `crate::{...}` groups and `super::` chains);
//! - app/render/ and app/export/ do not name `crate::ui`, `crate::app` or
//!   `crate::cli`;
//! - only app/dump/ names the minidump crates' types (`minidump::`,
//!   `minidump_common::`, `minidump_processor::`, `minidump_unwind::`);
//!   app/synth/, which writes dumps, may name `minidump::format` /
//!   `minidump_common::format` and nothing else of them;
//! - `minidump_synth` appears only in app/synth/ (and app/dump/, for fixtures
//!   in unit tests);
//! - every .rs file under app/ (every mod.rs included) opens with a `//!` doc.
//!
//! The scanner is tested on in-memory examples that break each rule.

use std::path::{Path, PathBuf};

const UI_CRATES: [&str; 3] = ["egui", "eframe", "wgpu"];
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

/// The crate-level modules a file reaches for: `crate::x`, `crate::{x, y}`,
/// `super::...::x` resolved against the file's own module path.
fn crate_modules_named(rel: &str, code: &str) -> Vec<String> {
    // Whitespace runs become one space, and none is left around `::`, braces
    // and commas, so `crate :: {\n ui,` reads `crate::{ui,`.
    let mut squeezed = code.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = squeezed.len();
        for (from, to) in [(" ::", "::"), (":: ", "::"), ("{ ", "{"), (" }", "}"), (", ", ","), (" ,", ",")] {
            squeezed = squeezed.replace(from, to);
        }
        if squeezed.len() == before {
            break;
        }
    }
    let here = module_path(rel);
    let mut out = Vec::new();
    let bytes = squeezed.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_word = i == 0 || !is_ident_char(bytes[i - 1] as char);
        let rest = &squeezed[i..];
        let (base, after) = if at_word && rest.starts_with("crate::") {
            (Vec::new(), i + "crate::".len())
        } else if at_word && rest.starts_with("super::") {
            let mut base = here.clone();
            let mut j = i;
            while squeezed[j..].starts_with("super::") {
                base.pop();
                j += "super::".len();
            }
            (base, j)
        } else {
            i += 1;
            continue;
        };
        let tail = &squeezed[after..];
        let names: Vec<String> = if let Some(group) = tail.strip_prefix('{') {
            // Top-level names of the group.
            let mut depth = 0;
            let mut names = Vec::new();
            let mut current = String::new();
            let mut taking = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(std::mem::take(&mut current));
                        taking = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && taking {
                    if is_ident_char(c) {
                        current.push(c);
                    } else {
                        taking = false;
                    }
                }
            }
            names.push(current);
            names
        } else {
            vec![tail.chars().take_while(|c| is_ident_char(*c)).collect()]
        };
        for n in names.into_iter().filter(|n| !n.is_empty()) {
            // The first path segment below the crate root.
            let top = base.first().cloned().unwrap_or(n);
            out.push(top);
        }
        i = after;
    }
    out
}

/// Where a file sits: "dump", "analysis", ... (the folder under app/), or ""
/// for files directly in app/.
fn layer(rel: &str) -> &str {
    let rel = rel.strip_prefix("app/").unwrap_or(rel);
    match rel.split_once('/') {
        Some((dir, _)) => dir,
        None => "",
    }
}

/// Every rule the file breaks, as "path: what".
fn violations(rel: &str, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let first = src.trim_start_matches('\u{feff}').lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.trim_start().starts_with("//!") {
        out.push(format!("{rel}: does not open with a `//!` doc comment"));
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
    let named = crate_modules_named(rel, &code);
    let forbidden: &[&str] = match layer {
        "dump" | "analysis" | "layout" => &["ui", "render", "app", "cli", "export"],
        "render" | "export" => &["ui", "app", "cli"],
        _ => &[],
    };
    for m in named.iter().filter(|m| forbidden.contains(&m.as_str())) {
        out.push(format!("{rel}: names crate::{m}, a layer above {layer}/"));
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

#[test]
fn app_source_keeps_the_layer_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("app"), &mut files);
    assert!(files.len() > 10, "found only {} .rs files under app/", files.len());
    let mut all = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        all.extend(violations(&rel, &src));
    }
    assert!(all.is_empty(), "{} layer-rule violations:\n  {}", all.len(), all.join("\n  "));
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
