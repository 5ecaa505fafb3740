//! Rules over the module lists.

use std::collections::{BTreeMap, BTreeSet};

use super::finding::{Ctx, Finding, Severity, hex};
use crate::dump::Platform;

/// **Duplicated Module**: one module file name (case-insensitive) loaded at
/// two or more bases on Windows; elsewhere, from two or more paths (Breakpad
/// lists every segment mapping of one file as a module). One finding per
/// name; confidence 0.9.
pub fn duplicated_module(cx: &Ctx) -> Vec<Finding> {
    let mut by_name: BTreeMap<String, Vec<&crate::dump::Module>> = BTreeMap::new();
    for m in &cx.space.modules {
        by_name.entry(m.name.to_lowercase()).or_default().push(m);
    }
    let mut out = Vec::new();
    for mods in by_name.values() {
        let bases: BTreeSet<u64> = mods.iter().map(|m| m.base_addr).collect();
        let paths: BTreeSet<&str> = mods.iter().map(|m| m.path.as_str()).collect();
        // Breakpad lists each ELF/Mach-O segment mapping as a module: the same
        // file at several bases is one load there.
        let copies = if cx.windows() { bases.len() } else { paths.len() };
        if copies < 2 {
            continue;
        }
        let name = &mods[0].name;
        let mut f =
            Finding::new("Duplicated Module", Severity::Warning, 0.9, format!("{name} is loaded {copies} times"))
                .module(name.clone());
        for m in mods {
            f = f.evidence(format!("{} at {} ({})", m.name, hex(m.base_addr), m.path)).region_at(cx.space, m.base_addr);
        }
        out.push(f);
    }
    out
}

/// **Unloaded Module**: the crash address (the faulting instruction or the
/// fault target) inside an unloaded module's range and no loaded module's,
/// confidence 0.85 (Error); else, with traces, a frame of any thread there,
/// confidence 0.6 (Warning). Code that ran after its module went away.
pub fn unloaded_module(cx: &Ctx) -> Vec<Finding> {
    let space = cx.space;
    let unloaded_at = |addr: u64| {
        (space.module_at(addr).is_none())
            .then(|| space.unloaded_modules.iter().find(|u| addr >= u.base_addr && addr - u.base_addr < u.size_bytes))
            .flatten()
    };
    if let Some(ex) = cx.exception() {
        let candidates = [("faulting instruction", cx.crash_ip()), ("fault address", ex.target_addr)];
        for (what, addr) in candidates {
            let Some(addr) = addr else { continue };
            if let Some(u) = unloaded_at(addr) {
                return vec![
                    Finding::new(
                        "Unloaded Module",
                        Severity::Error,
                        0.85,
                        format!("the crash address {} lies in unloaded module {}", hex(addr), u.name),
                    )
                    .evidence(format!(
                        "{what} {} in {} ({}..{})",
                        hex(addr),
                        u.name,
                        hex(u.base_addr),
                        hex(u.base_addr.saturating_add(u.size_bytes))
                    ))
                    .module(u.name.clone())
                    .thread(ex.thread_id)
                    .region_at(space, addr),
                ];
            }
        }
    }
    let mut f = Finding::new("Unloaded Module", Severity::Warning, 0.6, String::new());
    let mut names = BTreeSet::new();
    for t in cx.traces() {
        for fr in &t.frames {
            if let Some(u) = unloaded_at(fr.instruction_addr) {
                f = f
                    .evidence(format!(
                        "thread {} frame {}: {} in {}",
                        t.thread_id,
                        fr.index,
                        hex(fr.instruction_addr),
                        u.name
                    ))
                    .thread(t.thread_id)
                    .module(u.name.clone());
                names.insert(u.name.clone());
            }
        }
    }
    if names.is_empty() {
        return vec![];
    }
    f.summary =
        format!("stack frames return into unloaded module(s) {}", names.into_iter().collect::<Vec<_>>().join(", "));
    vec![f]
}

/// WOW64 layer modules.
pub const WOW64_MODULES: [&str; 4] = ["wow64.dll", "wow64win.dll", "wow64cpu.dll", "wowarmhw.dll"];

/// **Virtualized Process**: a Windows dump with WOW64 layer modules
/// ([`WOW64_MODULES`]) loaded (a 32-bit process on 64-bit Windows, dumped as
/// 64-bit: switch to the x86 view, `.effmach x86`), confidence 0.9; or a
/// 32-bit Windows dump whose user-mode limit is 4 GiB (dump reader saw the
/// process run under WOW64), 0.6.
pub fn virtualized_process(cx: &Ctx) -> Vec<Finding> {
    let space = cx.space;
    if space.system.platform != Platform::Windows {
        return vec![];
    }
    let wow: Vec<&str> = space
        .modules
        .iter()
        .map(|m| m.name.as_str())
        .filter(|n| WOW64_MODULES.iter().any(|w| n.eq_ignore_ascii_case(w)))
        .collect();
    let mut f = if !wow.is_empty() {
        let mut f = Finding::new(
            "Virtualized Process",
            Severity::Info,
            0.9,
            format!("a 32-bit process running under WOW64 ({}-bit dump)", space.system.pointer_bits),
        )
        .evidence(format!("WOW64 modules loaded: {}", wow.join(", ")));
        for w in wow {
            f = f.module(w);
        }
        f
    } else if space.system.pointer_bits == 32 && space.system.user_limit_addr > (2u64 << 30) {
        Finding::new("Virtualized Process", Severity::Info, 0.6, "a 32-bit process running under WOW64")
    } else {
        return vec![];
    };
    f = f.evidence(format!(
        "user-mode limit {} ({})",
        hex(space.system.user_limit_addr),
        space.system.user_limit_reason
    ));
    vec![f]
}

/// More modules than this...
pub const VARIETY_MIN_MODULES: usize = 100;
/// ...from at least this many vendors (guessed by [`vendor_of`]).
pub const VARIETY_MIN_VENDORS: usize = 3;

/// A vendor guessed from a module's path: "Microsoft" for the Windows
/// directory, the folder under Program Files, "system" for /usr/lib, /lib,
/// /System; else the module's folder.
pub fn vendor_of(path: &str) -> String {
    let norm = path.replace('\\', "/");
    let lower = norm.to_ascii_lowercase();
    let parts: Vec<&str> = norm.split('/').filter(|p| !p.is_empty()).collect();
    let lparts: Vec<String> = parts.iter().map(|p| p.to_ascii_lowercase()).collect();
    if lparts.iter().any(|p| p == "windows") || lower.contains("/microsoft.net/") {
        return "Microsoft".into();
    }
    if let Some(i) = lparts.iter().position(|p| p.starts_with("program files") || p == "programdata")
        && let Some(v) = parts.get(i + 1)
        && i + 2 < parts.len()
    {
        return (*v).to_string();
    }
    if lower.starts_with("/usr/lib")
        || lower.starts_with("/lib")
        || lower.starts_with("/system/")
        || lower.starts_with("/usr/lib/system")
    {
        return "system".into();
    }
    parts.len().checked_sub(2).and_then(|i| parts.get(i)).map(|s| s.to_string()).unwrap_or_default()
}

/// **Module Variety**: more than [`VARIETY_MIN_MODULES`] modules from at
/// least [`VARIETY_MIN_VENDORS`] vendors ([`vendor_of`]). Confidence 0.6.
pub fn module_variety(cx: &Ctx) -> Vec<Finding> {
    let mods = &cx.space.modules;
    if mods.len() <= VARIETY_MIN_MODULES {
        return vec![];
    }
    let mut vendors: BTreeMap<String, usize> = BTreeMap::new();
    for m in mods {
        *vendors.entry(vendor_of(&m.path)).or_default() += 1;
    }
    if vendors.len() < VARIETY_MIN_VENDORS {
        return vec![];
    }
    let mut top: Vec<(&String, &usize)> = vendors.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let list: Vec<String> =
        top.iter().take(8).map(|(v, n)| format!("{} {n}", if v.is_empty() { "(unknown)" } else { v })).collect();
    vec![
        Finding::new(
            "Module Variety",
            Severity::Info,
            0.6,
            format!("{} modules from {} vendors are loaded", mods.len(), vendors.len()),
        )
        .evidence(format!("{} modules (threshold {VARIETY_MIN_MODULES})", mods.len()))
        .evidence(format!("vendors by module count: {}", list.join(", "))),
    ]
}
