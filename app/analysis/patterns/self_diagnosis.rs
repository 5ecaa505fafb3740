//! **Self-Diagnosis (user mode)**: the program found something wrong and
//! stopped itself (`abort()`, `raise(SIGABRT)`, a failed assertion,
//! `__fastfail`, `RaiseFailFastException`, a /GS cookie check) instead of being
//! stopped by a fault. The reason is the program's own: the frame that called
//! the stopping function, and on Windows the fail-fast code, say what it saw.

use super::finding::{Ctx, Finding, Severity, function_name, hex};
use crate::dump::{ExceptionInfo, Platform, StackFrame, fast_fail_name, windbg_module_name};

pub const STATUS_STACK_BUFFER_OVERRUN: u32 = 0xC000_0409;
pub const STATUS_ASSERTION_FAILURE: u32 = 0xC000_0420;
pub const STATUS_FAIL_FAST_EXCEPTION: u32 = 0xC000_0602;
const SIGABRT: u32 = 6;
/// Linux si_code values (the minidump's exception flags).
const SI_USER: u32 = 0;
const SI_TKILL: u32 = -6i32 as u32;
/// macOS EXC_CRASH: an abnormal exit, the signal in the code.
const MAC_EXC_CRASH: u32 = 10;

/// Functions a program calls to stop itself, as symbols name them (after
/// leading underscores and glibc's `GI_` alias prefix are dropped).
const STOPPERS: &[&str] = &[
    "abort",
    "raise",
    "pthread_kill",
    "pthread_kill_implementation",
    "pthread_kill_internal",
    "assert_fail",
    "assert_fail_base",
    "assert_perror_fail",
    "wassert",
    "assert",
    "report_gsfailure",
    "report_securityfailure",
    "report_rangecheckfailure",
    "invoke_watson",
    "invalid_parameter",
    "invalid_parameter_noinfo",
    "invalid_parameter_noinfo_noreturn",
    "RaiseFailFastException",
    "FatalAppExitA",
    "FatalAppExitW",
    "stack_chk_fail",
    "fortify_fail",
    "chk_fail",
    "libc_message",
    "libc_fatal",
    "abort_with_payload",
    "g_assertion_message",
    "g_assertion_message_expr",
    "std::terminate",
];

/// How many of the crashing thread's innermost frames are searched.
const FRAMES_SEARCHED: usize = 16;

/// Whether a frame is in one of the [`STOPPERS`] (exact name).
fn is_stopper(frame: &StackFrame) -> bool {
    let Some(name) = function_name(frame) else { return false };
    let name = name.trim_start_matches('_');
    let name = name.strip_prefix("GI_").map(|n| n.trim_start_matches('_')).unwrap_or(name);
    STOPPERS.contains(&name)
}

/// The stopping functions on the crashing thread (innermost first) and the
/// frame that called the outermost of them.
fn stopper_frames<'a>(cx: &Ctx<'a>) -> Option<(Vec<&'a str>, Option<&'a StackFrame>)> {
    let frames = &cx.crashed_trace()?.frames;
    let top = &frames[..frames.len().min(FRAMES_SEARCHED)];
    let last = top.iter().rposition(is_stopper)?;
    let names = top[..=last].iter().filter(|f| is_stopper(f)).filter_map(function_name).collect();
    Some((names, frames.get(last + 1)))
}

/// What a few fail-fast codes mean.
fn fast_fail_meaning(code: u64) -> Option<&'static str> {
    Some(match code {
        0 | 2 => "a /GS stack cookie was overwritten (stack buffer overrun)",
        3 => "a corrupted LIST_ENTRY was found (memory corruption)",
        5 => "a CRT function was given an invalid argument",
        7 => "abort() or a fatal application exit",
        8 => "a range check failed",
        10 => "Control Flow Guard stopped an indirect call to an invalid target",
        13 => "an invalid CONTEXT was about to be set",
        14 => "a reference count went invalid",
        21 => "an invalid exception handler chain was found",
        50 => "heap metadata corruption was found",
        _ => return None,
    })
}

/// The exception's own reason, when it is a self-stop: (summary words,
/// evidence lines, confidence).
fn exception_reason(cx: &Ctx, ex: &ExceptionInfo) -> Option<(String, Vec<String>, f32)> {
    let platform = cx.space.system.platform;
    let code_line = format!("exception code 0x{:08x} ({}) on thread {}", ex.code, ex.name, ex.thread_id);
    match (platform, ex.code) {
        (Platform::Windows, STATUS_STACK_BUFFER_OVERRUN) => match ex.parameters.first() {
            Some(&code) => {
                let name = fast_fail_name(code).unwrap_or_else(|| format!("fail-fast code {code}"));
                let mut lines = vec![code_line, format!("__fastfail({name}), code {code}")];
                let meaning = fast_fail_meaning(code);
                lines.extend(meaning.map(|m| format!("{name}: {m}")));
                let what = match meaning {
                    Some(m) => format!("__fastfail({name}): {m}"),
                    None => format!("__fastfail({name})"),
                };
                Some((what, lines, 0.9))
            }
            None => Some((
                "a /GS security check failed (stack buffer overrun)".into(),
                vec![code_line, "no fail-fast code: the legacy /GS failure report".into()],
                0.85,
            )),
        },
        (Platform::Windows, STATUS_FAIL_FAST_EXCEPTION) => {
            Some(("RaiseFailFastException".into(), vec![code_line, "raised by RaiseFailFastException".into()], 0.9))
        }
        (Platform::Windows, STATUS_ASSERTION_FAILURE) => {
            Some(("an assertion failed".into(), vec![code_line, "an NT_ASSERT-style assertion failure".into()], 0.9))
        }
        (Platform::Linux, SIGABRT) => {
            let (how, conf) = match ex.flags {
                SI_TKILL => ("sent by the process to its own thread (tgkill, as abort() and raise() do)", 0.85),
                SI_USER => ("sent with kill(): by the process itself or by another one (a watchdog)", 0.6),
                _ => ("si_code not from abort()", 0.7),
            };
            let si_code = ex.flags as i32;
            Some(("SIGABRT".into(), vec![code_line, format!("si_code {si_code}: {how}")], conf))
        }
        (Platform::MacOs, MAC_EXC_CRASH) if ex.detail.contains("SIGABRT") => {
            Some(("SIGABRT".into(), vec![code_line, format!("{}: the process aborted", ex.detail)], 0.85))
        }
        _ => None,
    }
}

/// **Self-Diagnosis (user mode)**: the crash is a self-stop (Windows
/// STATUS_STACK_BUFFER_OVERRUN with its fail-fast code, STATUS_FAIL_FAST_EXCEPTION,
/// STATUS_ASSERTION_FAILURE; Linux SIGABRT, confidence 0.85 when tgkill sent it,
/// 0.6 when kill() did; macOS EXC_CRASH from SIGABRT), and/or the crashing
/// thread's innermost frames run through `abort`, `raise`, an assertion or a
/// fail-fast function ([`STOPPERS`]). Both: 0.95; frames alone: 0.7 at
/// severity error. The frame that called the stopper is named: there the
/// program saw what made it stop.
pub fn self_diagnosis(cx: &Ctx) -> Vec<Finding> {
    let reason = cx.exception().and_then(|ex| exception_reason(cx, ex));
    let frames = stopper_frames(cx);
    let Some(tid) = cx.crashed_thread_id() else { return vec![] };
    let (what, mut lines, conf, severity) = match (&reason, &frames) {
        (Some((what, lines, conf)), Some(_)) => (what.clone(), lines.clone(), conf.max(0.95), Severity::Critical),
        (Some((what, lines, conf)), None) => (what.clone(), lines.clone(), *conf, Severity::Critical),
        (None, Some((names, _))) => {
            (format!("{}()", names.last().copied().unwrap_or("abort")), vec![], 0.7, Severity::Error)
        }
        (None, None) => return vec![],
    };
    let mut summary = format!("the program stopped itself on thread {tid}: {what}");
    if let Some((names, caller)) = &frames {
        lines.push(format!("stopping frames: {}", names.join(" <- ")));
        match caller {
            Some(c) => {
                let name = c.function.clone().unwrap_or_else(|| hex(c.instruction_addr));
                let module = c.module.as_deref().map(|m| format!("{}!", windbg_module_name(m))).unwrap_or_default();
                summary.push_str(&format!(", called from {module}{name}"));
                lines.push(format!(
                    "called from frame #{:02} {module}{name}: where the program saw the problem",
                    c.index
                ));
            }
            None => lines.push("the caller of the stopping function is not on the walked stack".into()),
        }
    } else if cx.traces.is_some() {
        lines.push("no abort/raise/assert frame named on the crashing stack (no symbols for it?)".into());
    }
    let mut f = Finding::new("Self-Diagnosis (user mode)", severity, conf, summary).thread(tid);
    for l in lines {
        f = f.evidence(l);
    }
    if let Some(ip) = cx.crash_ip() {
        f = f.region_at(cx.space, ip);
        if let Some(m) = cx.space.module_at(ip) {
            f = f.module(m.name.clone());
        }
    }
    vec![f]
}
