//! Rules over threads: CPU times and, when walked, their stacks.

use std::collections::BTreeSet;

use super::finding::{Ctx, Finding, Severity, frame_is, hex};
use crate::dump::FrameTrust;

/// Exception dispatch routines.
pub const DISPATCH_FUNCTIONS: [&str; 3] =
    ["KiUserExceptionDispatcher", "RtlDispatchException", "KiUserExceptionDispatch"];

/// **Multiple Exceptions (user mode)**: exception dispatch frames
/// ([`DISPATCH_FUNCTIONS`]) anywhere on the stacks of two or more threads.
/// Confidence 0.8. Needs traces with function names (symbols).
pub fn multiple_exceptions(cx: &Ctx) -> Vec<Finding> {
    let threads: Vec<u32> = cx
        .traces()
        .iter()
        .filter(|t| t.frames.iter().any(|f| frame_is(f, &DISPATCH_FUNCTIONS)))
        .map(|t| t.thread_id)
        .collect();
    if threads.len() < 2 {
        return vec![];
    }
    let ids: Vec<String> = threads.iter().map(|t| t.to_string()).collect();
    let mut f = Finding::new(
        "Multiple Exceptions (user mode)",
        Severity::Error,
        0.8,
        format!("{} threads are dispatching exceptions", threads.len()),
    )
    .evidence(format!("exception dispatch frames on threads {}", ids.join(", ")));
    f.threads = threads;
    vec![f]
}

/// Fewer threads with CPU times than this and Spiking Thread says nothing.
pub const SPIKING_MIN_THREADS: usize = 2;
/// The busiest thread needs at least this much CPU time (user + kernel)...
pub const SPIKING_MIN_MS: u64 = 1_000;
/// ...and at least this share of all threads' CPU time...
pub const SPIKING_MIN_SHARE: f64 = 0.5;
/// ...and this many times the next busiest thread's.
pub const SPIKING_RATIO: u64 = 4;

/// **Spiking Thread**: from ThreadInfoList CPU times, one thread with at least
/// [`SPIKING_MIN_MS`] of user + kernel time, at least [`SPIKING_MIN_SHARE`] of
/// all threads' total and [`SPIKING_RATIO`] times the next busiest (at least
/// [`SPIKING_MIN_THREADS`] threads with times). Confidence 0.5 + half the share.
pub fn spiking_thread(cx: &Ctx) -> Vec<Finding> {
    let mut times: Vec<(u64, u32)> = cx
        .space
        .threads
        .iter()
        .filter_map(|t| match (t.user_time_ms, t.kernel_time_ms) {
            (None, None) => None,
            (u, k) => Some((u.unwrap_or(0).saturating_add(k.unwrap_or(0)), t.id)),
        })
        .collect();
    if times.len() < SPIKING_MIN_THREADS {
        return vec![];
    }
    times.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total: u64 = times.iter().map(|t| t.0).fold(0, u64::saturating_add);
    let (top, id) = times[0];
    let next = times[1].0;
    let share = top as f64 / total.max(1) as f64;
    if top < SPIKING_MIN_MS || share < SPIKING_MIN_SHARE || top < next.saturating_mul(SPIKING_RATIO) {
        return vec![];
    }
    let t = cx.space.threads.iter().find(|t| t.id == id);
    let mut f = Finding::new(
        "Spiking Thread",
        Severity::Warning,
        (0.5 + share / 2.0) as f32,
        format!("thread {id} used {:.0}% of the process's thread CPU time", share * 100.0),
    )
    .evidence(format!(
        "thread {id}: user {} ms, kernel {} ms",
        t.and_then(|t| t.user_time_ms).unwrap_or(0),
        t.and_then(|t| t.kernel_time_ms).unwrap_or(0)
    ))
    .evidence(format!("next busiest thread: {next} ms; all {} threads: {total} ms", times.len()))
    .thread(id);
    if let Some(m) = t.and_then(|t| t.ip).and_then(|ip| cx.space.module_at(ip)) {
        f = f.module(m.name.clone());
    }
    vec![f]
}

/// Wait and delay calls.
pub const WAIT_FUNCTIONS: [&str; 19] = [
    "NtWaitFor",
    "ZwWaitFor",
    "NtDelayExecution",
    "ZwDelayExecution",
    "NtRemoveIoCompletion",
    "ZwRemoveIoCompletion",
    "NtUserMsgWaitForMultipleObjects",
    "WaitForSingleObject",
    "WaitForMultipleObjects",
    "SleepEx",
    "Sleep",
    "RtlSleepConditionVariable",
    "futex_wait",
    "__futex_abstimed_wait",
    "futex_abstimed_wait",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "__lll_lock_wait",
    "mach_msg_trap",
];
/// How many innermost frames Blocked Thread looks at (the wait call is often
/// under a system-call stub).
pub const BLOCKED_TOP_FRAMES: usize = 2;

/// **Blocked Thread**: threads (other than the crashing one) whose innermost
/// [`BLOCKED_TOP_FRAMES`] frames include a wait or delay call
/// ([`WAIT_FUNCTIONS`]: NtWaitFor*, ZwWaitFor*, NtDelayExecution,
/// WaitForSingleObject..., futex and pthread_cond_wait on Linux). One finding
/// naming them all; confidence 0.6. Needs traces with function names.
pub fn blocked_thread(cx: &Ctx) -> Vec<Finding> {
    let crashed = cx.crashed_thread_id();
    let mut blocked = Vec::new();
    for t in cx.traces() {
        if Some(t.thread_id) == crashed {
            continue;
        }
        if let Some(fr) = t.frames.iter().take(BLOCKED_TOP_FRAMES).find(|f| frame_is(f, &WAIT_FUNCTIONS)) {
            blocked.push((t.thread_id, fr.location()));
        }
    }
    if blocked.is_empty() {
        return vec![];
    }
    let mut f = Finding::new(
        "Blocked Thread",
        Severity::Info,
        0.6,
        format!("{} thread(s) wait in a wait or delay call", blocked.len()),
    );
    for (id, loc) in blocked {
        f = f.evidence(format!("thread {id}: {loc}")).thread(id);
    }
    vec![f]
}

/// Message-box and modal-loop functions.
pub const MESSAGE_BOX_FUNCTIONS: [&str; 5] =
    ["MessageBox", "SoftModalMessageBox", "NtUserWaitMessage", "ZwUserWaitMessage", "MessageBoxIndirect"];

/// **Message Box**: a frame in [`MESSAGE_BOX_FUNCTIONS`] (MessageBox*,
/// NtUserWaitMessage, ...) anywhere on any thread's stack. Confidence 0.8.
/// Needs traces with function names.
pub fn message_box(cx: &Ctx) -> Vec<Finding> {
    let mut hits = Vec::new();
    for t in cx.traces() {
        if let Some(fr) = t.frames.iter().find(|f| frame_is(f, &MESSAGE_BOX_FUNCTIONS)) {
            hits.push((t.thread_id, fr.location()));
        }
    }
    if hits.is_empty() {
        return vec![];
    }
    let mut f = Finding::new(
        "Message Box",
        Severity::Warning,
        0.8,
        format!("{} thread(s) show a message box or wait in a modal loop", hits.len()),
    );
    for (id, loc) in hits {
        f = f.evidence(format!("thread {id}: {loc}")).thread(id);
    }
    vec![f]
}

/// The most stack bytes Execution Residue scans, from the stack pointer up.
pub const RESIDUE_SCAN_BYTES: u64 = 256 * 1024;
/// How many residue addresses a finding lists as evidence.
pub const RESIDUE_EVIDENCE: usize = 8;

/// **Execution Residue**: pointer-sized words on the crashing thread's
/// captured stack (from the stack pointer up, at most [`RESIDUE_SCAN_BYTES`])
/// that point into module code (image memory marked executable, or, without
/// protections, anywhere in a module) and that the unwinder did not use as a
/// frame (neither a frame's instruction address nor one past it). Fires on
/// one or more such words; confidence 0.4 (residue is normal and needs a
/// reading). Needs traces: the walk says which words were used.
pub fn execution_residue(cx: &Ctx) -> Vec<Finding> {
    let Some(trace) = cx.crashed_trace() else { return vec![] };
    let Some(thread) = cx.crashed_thread() else { return vec![] };
    let space = cx.space;
    if space.modules.is_empty() {
        return vec![];
    }
    let bits = space.system.pointer_bits;
    let step = if bits == 64 { 8 } else { 4 };
    let used: BTreeSet<u64> = trace
        .frames
        .iter()
        .filter(|f| f.trust != FrameTrust::Inline)
        .flat_map(|f| [f.instruction_addr, f.instruction_addr.wrapping_add(1)])
        .collect();
    let start = thread.sp.unwrap_or(thread.stack_start_addr).max(thread.stack_start_addr);
    let end = thread.stack_end_addr.min(start.saturating_add(RESIDUE_SCAN_BYTES));
    let mut residue: Vec<(u64, u64)> = Vec::new();
    // A hostile stack range can sit at the top of the address space: neither
    // the alignment nor the walk may wrap (a wrapped start would scan 2^64 bytes).
    let Some(mut addr) = start.checked_next_multiple_of(step) else { return vec![] };
    while addr.saturating_add(step) <= end {
        if let Some(v) = space.captured.read_pointer(space.bytes(), addr, bits)
            && v >= 0x1_0000
            && !used.contains(&v)
            && space.module_at(v).is_some()
            && space.region_at(v).is_none_or(|r| r.protect.0 == 0 || r.protect.is_executable())
        {
            residue.push((addr, v));
        }
        addr += step;
    }
    if residue.is_empty() {
        return vec![];
    }
    let mut f = Finding::new(
        "Execution Residue",
        Severity::Info,
        0.4,
        format!(
            "{} word(s) on thread {}'s stack point into module code the unwinder did not use",
            residue.len(),
            thread.id
        ),
    )
    .thread(thread.id);
    for (at, v) in residue.iter().take(RESIDUE_EVIDENCE) {
        let m = space.module_at(*v).map(|m| format!("{}+0x{:x}", m.name, v - m.base_addr)).unwrap_or_default();
        f = f.evidence(format!("[{}] = {} {m}", hex(*at), hex(*v)));
    }
    if residue.len() > RESIDUE_EVIDENCE {
        f = f.evidence(format!("... and {} more", residue.len() - RESIDUE_EVIDENCE));
    }
    for (_, v) in &residue {
        if let Some(m) = space.module_at(*v) {
            f = f.module(m.name.clone());
        }
    }
    if let Some(sp) = thread.sp {
        f = f.region_at(space, sp);
    }
    vec![f]
}
