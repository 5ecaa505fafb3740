//! **JIT Code (.NET)**: instructions in memory the .NET runtime compiled at run
//! time. The JIT writes managed methods into private executable memory (the
//! CLR's code heaps), never into a module's image, so a fault or a frame there
//! has no module and no native symbol: it is a managed method, and SOS names it.

use super::finding::{Ctx, Finding, Severity, hex};
use crate::dump::{AddressSpace, Module, Region, RegionKind, RegionState, RegionType};

/// The .NET runtimes, whose presence makes private executable memory JIT code:
/// .NET Framework 4 (clr.dll), 2.0-3.5 (mscorwks.dll), .NET Core / .NET 5+
/// (coreclr.dll, libcoreclr.so, libcoreclr.dylib).
pub const CLR_MODULES: [&str; 5] = ["clr.dll", "mscorwks.dll", "coreclr.dll", "libcoreclr.so", "libcoreclr.dylib"];

/// The loaded .NET runtimes ([`CLR_MODULES`]).
pub fn clr_modules(space: &AddressSpace) -> Vec<&Module> {
    space.modules.iter().filter(|m| CLR_MODULES.iter().any(|c| m.name.eq_ignore_ascii_case(c))).collect()
}

/// The region holding `addr` when it is memory a JIT writes code into:
/// committed, executable, not an image or mapped file, outside every module.
/// Dumps without protections (no region list) never qualify.
pub fn jit_region(space: &AddressSpace, addr: u64) -> Option<&Region> {
    if space.module_at(addr).is_some() {
        return None;
    }
    let r = space.region_at(addr)?;
    let private = r.ty.is_none_or(|t| t == RegionType::Private)
        && !matches!(r.kind, RegionKind::Image | RegionKind::MappedFile | RegionKind::Shareable);
    (r.state == RegionState::Commit && r.protect.is_executable() && private).then_some(r)
}

/// Whether `addr` is JIT-compiled .NET code: a runtime is loaded and `addr` is
/// in a [`jit_region`].
pub fn is_jit_code(space: &AddressSpace, addr: u64) -> bool {
    !clr_modules(space).is_empty() && jit_region(space, addr).is_some()
}

/// Where a thread touches JIT code: its id, the frame index (0 for the
/// thread's own instruction pointer) and the address.
struct Site {
    thread: u32,
    frame: usize,
    addr: u64,
}

/// Every thread's instruction pointer, and with stack traces every frame, that
/// lies in JIT code; one site per (thread, frame).
fn jit_sites(cx: &Ctx) -> Vec<Site> {
    let space = cx.space;
    let mut out: Vec<Site> = Vec::new();
    for t in &space.threads {
        if let Some(ip) = t.ip.filter(|&ip| jit_region(space, ip).is_some()) {
            out.push(Site { thread: t.id, frame: 0, addr: ip });
        }
    }
    for trace in cx.traces() {
        for f in trace.frames.iter().filter(|f| jit_region(space, f.instruction_addr).is_some()) {
            if !out.iter().any(|s| s.thread == trace.thread_id && s.frame == f.index) {
                out.push(Site { thread: trace.thread_id, frame: f.index, addr: f.instruction_addr });
            }
        }
    }
    out.sort_by_key(|s| (s.thread, s.frame));
    out
}

/// How many site lines the evidence lists before "... and N more".
const LISTED_SITES: usize = 8;

/// **JIT Code (.NET)**: a .NET runtime ([`CLR_MODULES`]) is loaded and the
/// faulting instruction, a thread's instruction pointer or (with stack traces)
/// a frame lies in private executable memory ([`jit_region`]). Severity
/// warning when the fault is there (the crash is in a managed method), info
/// otherwise; confidence 0.9. Marks the JIT regions and says what to run next
/// (SOS `!ip2md`, `!clrstack`).
pub fn jit_code(cx: &Ctx) -> Vec<Finding> {
    let space = cx.space;
    let runtimes = clr_modules(space);
    if runtimes.is_empty() {
        return vec![];
    }
    // The fault, when it is in JIT code: its thread, address and code block.
    let fault = cx
        .exception()
        .and_then(|ex| cx.crash_ip().map(|ip| (ex.thread_id, ip)))
        .and_then(|(tid, ip)| jit_region(space, ip).map(|r| (tid, ip, r)));
    let sites = jit_sites(cx);
    if fault.is_none() && sites.is_empty() {
        return vec![];
    }
    let mut threads: Vec<u32> = sites.iter().map(|s| s.thread).collect();
    threads.dedup();
    let (severity, summary) = match fault {
        Some((tid, ip, _)) => (
            Severity::Warning,
            format!(
                "the fault on thread {tid} is in JIT-compiled .NET code at {}: a managed method, not a module",
                hex(ip)
            ),
        ),
        None => (Severity::Info, format!("{} thread(s) run or return into JIT-compiled .NET code", threads.len())),
    };
    let runtime_list: Vec<String> = runtimes
        .iter()
        .map(|m| m.file_version.map(|v| format!("{} {v}", m.name)).unwrap_or_else(|| m.name.clone()))
        .collect();
    let mut f = Finding::new("JIT Code (.NET)", severity, 0.9, summary)
        .evidence(format!("runtime loaded: {}", runtime_list.join(", ")));
    if let Some((tid, ip, r)) = fault {
        f = f
            .evidence(format!(
                "faulting instruction {} is in committed {} private memory at {} (no module)",
                hex(ip),
                r.protect,
                hex(r.base_addr)
            ))
            .region_at(space, ip)
            .thread(tid);
    }
    for s in sites.iter().take(LISTED_SITES) {
        let what = if s.frame == 0 { "instruction pointer".to_string() } else { format!("frame #{:02}", s.frame) };
        f = f.evidence(format!("thread {}: {what} at {} is JIT code", s.thread, hex(s.addr)));
    }
    if sites.len() > LISTED_SITES {
        f = f.evidence(format!("... and {} more", sites.len() - LISTED_SITES));
    }
    let next = fault.map(|(t, ip, _)| (ip, t)).or_else(|| sites.first().map(|s| (s.addr, s.thread)));
    if let (Some((ip, tid)), Some(runtime)) = (next, runtimes.first()) {
        f = f.evidence(next_steps(&runtime.name, ip, tid));
    }
    for s in &sites {
        f = f.region_at(space, s.addr).thread(s.thread);
    }
    for m in runtimes {
        f = f.module(m.name.clone());
    }
    vec![f]
}

/// What to run next, in the debugger that reads this runtime's dumps.
fn next_steps(runtime: &str, ip: u64, tid: u32) -> String {
    let stem = runtime.split('.').next().unwrap_or(runtime).to_ascii_lowercase();
    if stem.starts_with("lib") {
        format!(
            "next: dotnet-dump analyze (or lldb with SOS): ip2md {} names the method; setthread to thread {tid:#x}, then clrstack",
            hex(ip)
        )
    } else {
        format!("next: .loadby sos {stem}; !ip2md {} names the method; ~~[{tid:x}]s then !clrstack", hex(ip))
    }
}
