//! Rules over the Exception stream: what the crash was.

use super::finding::{Ctx, Finding, Severity, frame_is, hex};
use super::jit::is_jit_code;
use crate::dump::{AccessKind, ExceptionInfo, Platform, RegionKind, RegionState, RegionType};

/// Addresses below this are "NULL plus an offset" (Windows keeps the first
/// 64 KiB unmapped: MM_LOWEST_USER_ADDRESS).
pub const NULL_REGION_END: u64 = 0x1_0000;

/// A stack pointer this close to its stack's allocation base (the reserved
/// end, where the guard page sits) counts as "at the limit".
pub const STACK_NEAR_LIMIT_BYTES: u64 = 16 * 1024;

pub const STATUS_ACCESS_VIOLATION: u32 = 0xC000_0005;
pub const STATUS_IN_PAGE_ERROR: u32 = 0xC000_0006;
pub const STATUS_INVALID_HANDLE: u32 = 0xC000_0008;
pub const STATUS_FLT_DIVIDE_BY_ZERO: u32 = 0xC000_008E;
pub const STATUS_INTEGER_DIVIDE_BY_ZERO: u32 = 0xC000_0094;
pub const STATUS_STACK_OVERFLOW: u32 = 0xC000_00FD;
pub const STATUS_HEAP_CORRUPTION: u32 = 0xC000_0374;
pub const CLR_EXCEPTION: u32 = 0xE043_4352;
pub const CLR_EXCEPTION_V2: u32 = 0xE043_4F4D;
pub const CPP_EXCEPTION: u32 = 0xE06D_7363;
const SIGBUS: u32 = 7;
const SIGFPE: u32 = 8;
const SIGSEGV: u32 = 11;
/// EXC_BAD_ACCESS
const MAC_BAD_ACCESS: u32 = 1;

/// Whether the exception is a memory-access fault (Windows access violation or
/// in-page error, Linux SIGSEGV/SIGBUS, macOS EXC_BAD_ACCESS).
fn is_access_fault(cx: &Ctx, ex: &ExceptionInfo) -> bool {
    match cx.space.system.platform {
        Platform::Linux => matches!(ex.code, SIGSEGV | SIGBUS),
        Platform::MacOs => ex.code == MAC_BAD_ACCESS,
        _ => matches!(ex.code, STATUS_ACCESS_VIOLATION | STATUS_IN_PAGE_ERROR),
    }
}

fn exception_line(ex: &ExceptionInfo) -> String {
    format!("exception code 0x{:08x} ({}) on thread {}", ex.code, ex.name, ex.thread_id)
}

fn access_line(ex: &ExceptionInfo, target: u64) -> String {
    match ex.access {
        Some(a) => format!("access {} of {}", a.name(), hex(target)),
        None => format!("fault address {}", hex(target)),
    }
}

/// **Stack Overflow (user mode)**: exception code 0xC00000FD
/// (STATUS_STACK_OVERFLOW), confidence 0.9, 1.0 when the crashing thread's
/// stack pointer also lies within [`STACK_NEAR_LIMIT_BYTES`] of its stack
/// allocation's base; or an access fault whose target lies within
/// [`STACK_NEAR_LIMIT_BYTES`] of the base of the stack allocation holding the
/// stack pointer (the guard page or below it), confidence 0.7. Needs the
/// region list (MemoryInfoList or LinuxMaps) for the position.
pub fn stack_overflow(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let thread = cx.crashed_thread();
    let sp = thread.and_then(|t| t.sp);
    // The bottom (lowest address) of the allocation holding SP.
    let stack_bottom = sp.and_then(|sp| {
        let i = cx.space.region_index_at(sp)?;
        // Linux grows the main stack down on demand: when it hits its limit
        // the stack pointer is already in the free space just below it.
        let r = match &cx.space.regions[i] {
            r if r.state == RegionState::Free && !cx.windows() => cx
                .space
                .regions
                .get(i + 1)
                .filter(|s| s.kind == RegionKind::Stack && s.base_addr - sp < STACK_NEAR_LIMIT_BYTES)?,
            r => r,
        };
        if r.state == RegionState::Unknown || r.ty != Some(RegionType::Private) && cx.windows() {
            return None;
        }
        let base = if r.alloc_base_addr != 0 { r.alloc_base_addr } else { r.base_addr };
        Some((sp, base))
    });
    let near = stack_bottom.filter(|(sp, base)| sp.saturating_sub(*base) < STACK_NEAR_LIMIT_BYTES);
    let mut f = if ex.code == STATUS_STACK_OVERFLOW && cx.windows() {
        let conf = if near.is_some() { 1.0 } else { 0.9 };
        Finding::new(
            "Stack Overflow (user mode)",
            Severity::Critical,
            conf,
            format!("thread {} ran out of stack (STATUS_STACK_OVERFLOW)", ex.thread_id),
        )
        .evidence(exception_line(ex))
    } else if is_access_fault(cx, ex)
        && let (Some(target), Some((sp, base))) = (ex.target_addr, stack_bottom)
        && target >= base.saturating_sub(STACK_NEAR_LIMIT_BYTES)
        && target < base + STACK_NEAR_LIMIT_BYTES
        // Below the stack pointer, or just below the stack (a store into the
        // new frame lands a few bytes above a pointer that left the stack).
        && (target <= sp || target < base)
    {
        Finding::new(
            "Stack Overflow (user mode)",
            Severity::Critical,
            0.7,
            format!("thread {} faulted at the end of its stack", ex.thread_id),
        )
        .evidence(exception_line(ex))
        .evidence(format!(
            "{} is within {} bytes of the stack allocation base {}",
            access_line(ex, target),
            STACK_NEAR_LIMIT_BYTES,
            hex(base)
        ))
        .region_at(cx.space, target)
    } else {
        return vec![];
    };
    if let Some((sp, base)) = stack_bottom {
        let place = match sp.checked_sub(base) {
            Some(above) => format!("{above} bytes above"),
            None => format!("{} bytes below", base - sp),
        };
        f = f.evidence(format!("stack pointer {} is {place} the stack allocation base {}", hex(sp), hex(base)));
        f = f.region_at(cx.space, sp.max(base));
    }
    vec![f.thread(ex.thread_id)]
}

/// **NULL Pointer (data)**: an access fault reading or writing below
/// [`NULL_REGION_END`] (0x10000) while the instruction pointer is not there.
/// Confidence 0.95 when the dump says read or write (Windows), 0.85 when only
/// the fault address is known (Linux si_addr, macOS).
pub fn null_pointer_data(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let Some(target) = ex.target_addr else { return vec![] };
    if !is_access_fault(cx, ex) || target >= NULL_REGION_END || ex.access == Some(AccessKind::Execute) {
        return vec![];
    }
    if cx.crash_ip().is_some_and(|ip| ip < NULL_REGION_END) {
        return vec![];
    }
    let conf = if ex.access.is_some() { 0.95 } else { 0.85 };
    let what = match ex.access {
        Some(AccessKind::Write) => "writing",
        Some(_) => "reading",
        None => "accessing",
    };
    let mut f = Finding::new(
        "NULL Pointer (data)",
        Severity::Critical,
        conf,
        format!("access violation {what} {} (NULL plus an offset) on thread {}", hex(target), ex.thread_id),
    )
    .evidence(exception_line(ex))
    .evidence(format!("{}, below {}", access_line(ex, target), hex(NULL_REGION_END)))
    .thread(ex.thread_id);
    if let Some(ip) = cx.crash_ip() {
        f = f.evidence(format!("faulting instruction {}", hex(ip)));
        if let Some(m) = cx.space.module_at(ip) {
            f = f.module(m.name.clone());
        }
    }
    vec![f]
}

/// **NULL Pointer (code)**: an access fault executing below
/// [`NULL_REGION_END`], or a crash whose instruction pointer is below it
/// (a call through a NULL function pointer). Confidence 0.95.
pub fn null_pointer_code(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let exec_target = (ex.access == Some(AccessKind::Execute)).then_some(ex.target_addr).flatten();
    let ip = cx.crash_ip();
    let low_ip = ip.filter(|ip| *ip < NULL_REGION_END);
    let low_exec = exec_target.filter(|t| *t < NULL_REGION_END);
    let Some(addr) = low_ip.or(low_exec) else { return vec![] };
    let mut f = Finding::new(
        "NULL Pointer (code)",
        Severity::Critical,
        0.95,
        format!("thread {} executed at {} (a call through a NULL pointer)", ex.thread_id, hex(addr)),
    )
    .evidence(exception_line(ex))
    .thread(ex.thread_id);
    if let Some(ip) = low_ip {
        f = f.evidence(format!("instruction pointer {} is below {}", hex(ip), hex(NULL_REGION_END)));
    }
    if let Some(t) = low_exec {
        f = f.evidence(format!("execute access of {}", hex(t)));
    }
    vec![f]
}

/// **Invalid Pointer**: an access fault (read or write) whose target is at or
/// above [`NULL_REGION_END`] and lies in free or reserved (uncommitted) space,
/// or at or above the user-mode limit. Confidence 0.85 with a MemoryInfoList,
/// 0.7 with LinuxMaps (whose gaps are free), 0.6 for a target past the limit
/// with a synthesized region list; no finding when the state is unknown.
pub fn invalid_pointer(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let Some(target) = ex.target_addr else { return vec![] };
    if !is_access_fault(cx, ex) || target < NULL_REGION_END || ex.access == Some(AccessKind::Execute) {
        return vec![];
    }
    if cx.crash_ip() == Some(target) {
        return vec![];
    }
    let space = cx.space;
    let (conf, why) = if target >= space.system.user_limit_addr {
        (0.6, format!("{} is at or above the user-mode limit {}", hex(target), hex(space.system.user_limit_addr)))
    } else {
        let Some(r) = space.region_at(target) else { return vec![] };
        let conf = match space.region_source {
            crate::dump::RegionSource::MemoryInfoList => 0.85,
            crate::dump::RegionSource::LinuxMaps | crate::dump::RegionSource::ElfCore => 0.7,
            crate::dump::RegionSource::Synthesized => return vec![],
        };
        match r.state {
            RegionState::Free | RegionState::Reserve => {
                (conf, format!("{} lies in {} space ({} region at {})", hex(target), r.state, r.kind, hex(r.base_addr)))
            }
            _ => return vec![],
        }
    };
    let f = Finding::new(
        "Invalid Pointer",
        Severity::Critical,
        conf,
        format!("thread {} accessed {}, which points at no committed memory", ex.thread_id, hex(target)),
    )
    .evidence(exception_line(ex))
    .evidence(access_line(ex, target))
    .evidence(why)
    .region_at(space, target)
    .thread(ex.thread_id);
    vec![f]
}

/// **Wild Code**: the crashing instruction pointer (at or above
/// [`NULL_REGION_END`]) lies outside every loaded module and outside image
/// memory (confidence 0.8; 0.9 when its region is free or reserved), or inside
/// committed memory the region list marks non-executable (0.75). Needs at
/// least one module in the dump. Code a .NET runtime compiled at run time
/// ([`is_jit_code`]) is not wild: JIT Code (.NET) reports it.
pub fn wild_code(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let Some(ip) = cx.crash_ip() else { return vec![] };
    let space = cx.space;
    if ip < NULL_REGION_END || space.modules.is_empty() || is_jit_code(space, ip) {
        return vec![];
    }
    let region = space.region_at(ip);
    let in_module = space.module_at(ip).is_some();
    let image = region.is_some_and(|r| r.ty == Some(RegionType::Image));
    let known = space.region_source != crate::dump::RegionSource::Synthesized;
    let (conf, why) = if !in_module && !image {
        let free = known && region.is_some_and(|r| matches!(r.state, RegionState::Free | RegionState::Reserve));
        let place =
            region.map(|r| format!("{} {} region at {}", r.state, r.kind, hex(r.base_addr))).unwrap_or_default();
        (if free { 0.9 } else { 0.8 }, format!("instruction pointer {} is outside every module ({place})", hex(ip)))
    } else if let Some(r) =
        region.filter(|r| known && r.state == RegionState::Commit && r.protect.0 != 0 && !r.protect.is_executable())
    {
        (0.75, format!("instruction pointer {} is in non-executable memory ({}, {})", hex(ip), r.kind, r.protect))
    } else {
        return vec![];
    };
    let f = Finding::new(
        "Wild Code",
        Severity::Critical,
        conf,
        format!("thread {} was executing at {}, which is not module code", ex.thread_id, hex(ip)),
    )
    .evidence(exception_line(ex))
    .evidence(why)
    .region_at(space, ip)
    .thread(ex.thread_id);
    vec![f]
}

/// **Managed Code Exception**: 0xE0434352 (CLR 4+ / .NET Core) or 0xE0434F4D
/// (CLR 2) raised. Confidence 0.95 when the matching runtime (clr.dll or
/// coreclr.dll; mscorwks.dll) is loaded, 0.6 on the code alone.
pub fn managed_code_exception(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let runtimes: &[&str] = match ex.code {
        CLR_EXCEPTION => &["clr.dll", "coreclr.dll"],
        CLR_EXCEPTION_V2 => &["mscorwks.dll"],
        _ => return vec![],
    };
    let loaded: Vec<&str> = cx
        .space
        .modules
        .iter()
        .map(|m| m.name.as_str())
        .filter(|n| runtimes.iter().any(|r| n.eq_ignore_ascii_case(r)))
        .collect();
    let conf = if loaded.is_empty() { 0.6 } else { 0.95 };
    let mut f = Finding::new(
        "Managed Code Exception",
        Severity::Error,
        conf,
        format!("a .NET exception (0x{:08x}) was raised on thread {}", ex.code, ex.thread_id),
    )
    .evidence(exception_line(ex))
    .thread(ex.thread_id);
    f = if loaded.is_empty() {
        f.evidence(format!("no {} loaded", runtimes.join(" or ")))
    } else {
        f.evidence(format!("runtime loaded: {}", loaded.join(", ")))
    };
    for m in loaded {
        f = f.module(m);
    }
    vec![f]
}

/// **C++ Exception**: 0xE06D7363 ("msc") raised by the Visual C++ runtime's
/// `throw`. Confidence 0.95.
pub fn cpp_exception(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    if ex.code != CPP_EXCEPTION {
        return vec![];
    }
    let mut f = Finding::new(
        "C++ Exception",
        Severity::Error,
        0.95,
        format!("a C++ exception was thrown on thread {} and not caught", ex.thread_id),
    )
    .evidence(exception_line(ex))
    .thread(ex.thread_id);
    if let Some(magic) = ex.parameters.first() {
        f = f.evidence(format!("parameter 0 (magic) {}", hex(*magic)));
    }
    vec![f]
}

/// Functions the heap manager calls when it detects corruption.
pub const HEAP_FAILURE_FUNCTIONS: [&str; 5] = [
    "RtlpHeapHandleError",
    "RtlReportCriticalFailure",
    "RtlpReportHeapFailure",
    "RtlpLogHeapFailure",
    "RtlpHpHeapHandleError",
];
/// Heap routines an access violation inside which suggests corruption.
pub const HEAP_FREE_FUNCTIONS: [&str; 4] = ["RtlFreeHeap", "RtlpFreeHeap", "HeapFree", "RtlpLowFragHeapFree"];
/// How many frames from the top of the crashing stack the heap rules look at.
pub const HEAP_TOP_FRAMES: usize = 8;

/// **Dynamic Memory Corruption (process heap)**: exception code 0xC0000374
/// (STATUS_HEAP_CORRUPTION), confidence 0.95; or, with traces, a heap-failure
/// routine ([`HEAP_FAILURE_FUNCTIONS`]) in the crashing stack's top
/// [`HEAP_TOP_FRAMES`] frames (0.85), or an access violation with a heap-free
/// routine ([`HEAP_FREE_FUNCTIONS`]) there (0.7).
pub fn dynamic_memory_corruption(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let top = cx.crashed_trace().map(|t| &t.frames[..t.frames.len().min(HEAP_TOP_FRAMES)]).unwrap_or_default();
    let failure = top.iter().find(|fr| frame_is(fr, &HEAP_FAILURE_FUNCTIONS));
    let free = top.iter().find(|fr| frame_is(fr, &HEAP_FREE_FUNCTIONS)).filter(|_| is_access_fault(cx, ex));
    let (conf, why) = if ex.code == STATUS_HEAP_CORRUPTION {
        (0.95, exception_line(ex))
    } else if let Some(fr) = failure {
        (0.85, format!("heap failure frame {} on the crashing stack", fr.location()))
    } else if let Some(fr) = free {
        (0.7, format!("access violation inside {} on the crashing stack", fr.location()))
    } else {
        return vec![];
    };
    let mut f = Finding::new(
        "Dynamic Memory Corruption (process heap)",
        Severity::Critical,
        conf,
        format!("the heap manager found a corrupted heap on thread {}", ex.thread_id),
    )
    .evidence(why)
    .thread(ex.thread_id);
    for fr in failure.into_iter().chain(free) {
        if let Some(m) = &fr.module {
            f = f.module(m.clone());
        }
    }
    vec![f]
}

/// **Divide by Zero (user mode)**: 0xC0000094 (integer) or 0xC000008E
/// (floating point) on Windows, confidence 0.95; SIGFPE on Linux, 0.8 (it
/// also reports overflow).
pub fn divide_by_zero(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    let conf = match (cx.space.system.platform, ex.code) {
        (Platform::Linux, SIGFPE) => 0.8,
        (Platform::Windows, STATUS_INTEGER_DIVIDE_BY_ZERO | STATUS_FLT_DIVIDE_BY_ZERO) => 0.95,
        _ => return vec![],
    };
    let mut f = Finding::new(
        "Divide by Zero (user mode)",
        Severity::Critical,
        conf,
        format!("thread {} divided by zero", ex.thread_id),
    )
    .evidence(exception_line(ex))
    .thread(ex.thread_id);
    if let Some(m) = cx.crash_ip().and_then(|ip| cx.space.module_at(ip)) {
        f = f.module(m.name.clone());
    }
    vec![f]
}

/// **Invalid Handle**: 0xC0000008 (STATUS_INVALID_HANDLE, raised when a
/// closed or bogus handle is used under a debugger or with strict handle
/// checks). Confidence 0.95.
pub fn invalid_handle(cx: &Ctx) -> Vec<Finding> {
    let Some(ex) = cx.exception() else { return vec![] };
    if ex.code != STATUS_INVALID_HANDLE || !cx.windows() {
        return vec![];
    }
    vec![
        Finding::new(
            "Invalid Handle",
            Severity::Error,
            0.95,
            format!("thread {} used an invalid handle", ex.thread_id),
        )
        .evidence(exception_line(ex))
        .thread(ex.thread_id),
    ]
}
