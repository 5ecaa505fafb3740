//! Self-Diagnosis (user mode) on a real abort (Linux x86-64): a C program built
//! here with gcc calls `abort()` from `check_invariant`; its SIGABRT handler,
//! as a crash reporter's would, saves the signal's registers and siginfo for
//! the writer outside and waits. minidump-writer then captures the process
//! (ptrace) with that crash context, exactly as an out-of-process crash
//! reporter does, and memscape must say the program stopped itself: SIGABRT
//! sent by the process to its own thread (glibc's abort() raises it with
//! tgkill, si_code SI_TKILL). The near miss is the same program not
//! aborting, captured while it waits: no exception, no finding.
//! Skipped (with a note) without gcc unless `MEMSCAPE_REQUIRE_TOOLS=1`;
//! `MEMSCAPE_KEEP_ABORT_DUMP=PATH` keeps the abort's dump for a closer look.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use memscape::analysis::patterns::{Finding, Severity, analyze};
use memscape::dump::{AddressSpace, Platform};
use minidump_writer::crash_context::CrashContext;
use minidump_writer::minidump_writer::MinidumpWriterConfig;

use common::process::{Reaper, start_ready};
use common::{c_compiler, scratch_path};

const PROGRAM: &str = r#"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static const char *context_path;

/* What a crash reporter's handler does: keep the signal's context for the
   writer outside the process, say so, and wait to be captured. */
static void on_abort(int sig, siginfo_t *info, void *ctx) {
    ucontext_t *uc = ctx;
    int fd = open(context_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    (void)sig;
    if (write(fd, uc->uc_mcontext.gregs, sizeof uc->uc_mcontext.gregs) < 0) _exit(2);
    if (write(fd, info, sizeof *info) < 0) _exit(2);
    close(fd);
    if (write(1, "READY\n", 6) < 0) _exit(2);
    for (;;) pause();
}

__attribute__((noinline)) void check_invariant(long balance) {
    if (balance < 0)
        abort();
    if (write(1, "READY\n", 6) < 0) _exit(2);
    for (;;) pause();
}

int main(int argc, char **argv) {
    struct sigaction sa;
    if (argc != 3) return 2;
    context_path = argv[1];
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_abort;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGABRT, &sa, 0);
    check_invariant(atol(argv[2]));
    return 0;
}
"#;

/// Bytes of `gregs` (23 registers) and of a `siginfo_t` the handler writes.
const GREGS_BYTES: usize = 23 * 8;
const SIGINFO_BYTES: usize = 128;

fn build(gcc: &str) -> PathBuf {
    let dir = scratch_path("abort-prog");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("abort_prog.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let exe = dir.join("abort_prog");
    let out = Command::new(gcc).args(["-g", "-O1", "-o"]).arg(&exe).arg(&source).output().expect("run gcc");
    assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
    exe
}

/// Runs the program with `balance` and waits (at most 30 s) for its READY line.
fn start(exe: &Path, context: &Path, balance: &str) -> Reaper {
    start_ready(Command::new(exe).arg(context).arg(balance), "READY")
}

/// The crash context from what the handler wrote: registers and signal.
fn crash_context(pid: i32, saved: &[u8]) -> CrashContext {
    assert_eq!(saved.len(), GREGS_BYTES + SIGINFO_BYTES, "the handler's context file");
    // A zeroed context (the crate builds one from bytes; no unsafe here).
    let mut cc = CrashContext::from_bytes(&vec![0u8; std::mem::size_of::<CrashContext>()]).unwrap();
    for (i, reg) in saved[..GREGS_BYTES].chunks_exact(8).enumerate() {
        cc.context.uc_mcontext.gregs[i] = i64::from_le_bytes(reg.try_into().unwrap());
    }
    let info = &saved[GREGS_BYTES..];
    let i32_at = |at: usize| i32::from_le_bytes(info[at..at + 4].try_into().unwrap());
    // siginfo_t: si_signo, si_errno, si_code, then (kill/tgkill) si_pid, si_uid.
    cc.siginfo.ssi_signo = i32_at(0) as u32;
    cc.siginfo.ssi_errno = i32_at(4);
    cc.siginfo.ssi_code = i32_at(8);
    cc.siginfo.ssi_pid = i32_at(16) as u32;
    cc.siginfo.ssi_uid = i32_at(20) as u32;
    cc.pid = pid;
    cc.tid = pid;
    cc
}

fn capture(child: &Reaper, context: Option<CrashContext>) -> AddressSpace {
    let pid = child.0.id() as i32;
    let path = scratch_path("abort-dump");
    let mut file = std::fs::File::create(&path).unwrap();
    let mut writer = MinidumpWriterConfig::new(pid, pid);
    let context_given = context.is_some();
    if let Some(inner) = context {
        writer.set_crash_context(minidump_writer::CrashContextExt { inner });
    }
    if let Err(e) = writer.write(&mut file) {
        panic!("minidump-writer could not capture pid {pid}: {e} (it needs ptrace: root or CAP_SYS_PTRACE)");
    }
    drop(file);
    if context_given && let Some(keep) = std::env::var_os("MEMSCAPE_KEEP_ABORT_DUMP") {
        std::fs::copy(&path, keep).expect("keep the abort dump");
    }
    let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&path);
    space
}

fn self_diagnosis(space: &AddressSpace) -> Option<Finding> {
    analyze(space, None).into_iter().find(|f| f.name == "Self-Diagnosis (user mode)")
}

#[test]
fn a_real_abort_is_self_diagnosis() {
    let Some(gcc) = c_compiler() else { return };
    let exe = build(gcc);
    let context_path = exe.with_file_name("context.bin");

    let child = start(&exe, &context_path, "-1");
    let saved = std::fs::read(&context_path).expect("the handler's context file");
    let cc = crash_context(child.0.id() as i32, &saved);
    assert_eq!(cc.siginfo.ssi_signo, 6, "the handler saw SIGABRT");
    let space = capture(&child, Some(cc));
    drop(child);

    assert_eq!(space.system.platform, Platform::Linux);
    let ex = space.exception.as_ref().expect("the capture's exception");
    assert_eq!((ex.code, ex.name.as_str()), (6, "SIGABRT"));
    let f = self_diagnosis(&space).unwrap_or_else(|| panic!("no Self-Diagnosis: {:#?}", analyze(&space, None)));
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.summary.contains("stopped itself") && f.summary.contains("SIGABRT"), "{f:#?}");
    assert!(
        f.evidence.iter().any(|e| e.contains("si_code -6: sent by the process to its own thread")),
        "glibc's abort() uses tgkill: {f:#?}"
    );
    assert_eq!(f.threads, vec![ex.thread_id]);
    // The faulting instruction is libc's, where tgkill returned.
    let module = space.module_at(ex.instruction_addr.expect("the context's rip")).map(|m| m.name.clone());
    assert!(module.as_deref().is_some_and(|m| m.starts_with("libc")), "rip in {module:?}");

    // The same program, not aborting: no exception, no finding.
    let calm = start(&exe, &context_path.with_file_name("unused.bin"), "1");
    let space = capture(&calm, None);
    drop(calm);
    assert!(self_diagnosis(&space).is_none(), "{:#?}", analyze(&space, None));
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}
