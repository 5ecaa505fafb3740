//! Surviving a dump file that shrinks while it is mapped. Reading a page of a
//! memory map past the file's new end raises SIGBUS, which kills the process;
//! another program truncating (or rewriting) a dump memscape has open must not
//! do that.
//!
//! The mechanism: a SIGBUS handler that, for a fault inside a registered dump
//! mapping, maps one anonymous zero page over the faulting page (`mmap` with
//! `MAP_FIXED` is async-signal-safe) and marks the mapping changed; the read
//! then resumes and sees zeros, and the window says the file changed. Faults
//! anywhere else go to the handler that was there before (or the default,
//! which ends the process as it would have). Chosen over the alternatives:
//! reading whole files into memory breaks "map, never read whole" for dumps of
//! many GiB; a file lease (F_SETLEASE) needs the file's owner and only delays
//! the truncation; `MAP_POPULATE` still faults on truncation; checking the
//! length before each read races with the truncation it checks for.
//!
//! Only atomics and one system call run in the handler. At most [`SLOTS`]
//! maps are guarded at once; more are mapped unguarded (with a log warning).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How many dump mappings can be guarded at the same time.
pub const SLOTS: usize = 64;

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    changed: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // the array initialiser, copied once per slot
const EMPTY: Slot = Slot { start: AtomicUsize::new(0), len: AtomicUsize::new(0), changed: AtomicBool::new(false) };
static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// The handler before ours (a `libc::sigaction`, boxed once and leaked).
static PREVIOUS: AtomicUsize = AtomicUsize::new(0);
static INSTALL: Once = Once::new();

/// A registered mapping; unregisters when dropped (before the map is unmapped:
/// keep it in the same struct as the map, declared before it).
#[derive(Debug)]
pub struct Guard {
    slot: Option<usize>,
}

impl Guard {
    /// Whether a read found the file shorter than when it was mapped.
    pub fn changed(&self) -> bool {
        self.slot.is_some_and(|i| TABLE[i].changed.load(Ordering::SeqCst))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            TABLE[i].len.store(0, Ordering::SeqCst);
            TABLE[i].start.store(0, Ordering::SeqCst);
        }
    }
}

/// Guards `[start, start + len)`, the bytes of a mapped dump.
pub fn guard(start: *const u8, len: usize) -> Guard {
    install();
    let start = start as usize;
    for (i, slot) in TABLE.iter().enumerate() {
        // Claim a free slot (start 0) atomically; its length last, so the
        // handler never sees a half-registered range as covering anything.
        if slot.start.compare_exchange(0, start, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            slot.changed.store(false, Ordering::SeqCst);
            slot.len.store(len, Ordering::SeqCst);
            return Guard { slot: Some(i) };
        }
    }
    log::warn!("more than {SLOTS} dumps are mapped; a file truncated while open could end memscape");
    Guard { slot: None }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf is safe to call; sigaction is given a valid handler
        // and a place to put the previous one, which is then leaked on purpose
        // (it is read by the handler for the rest of the process's life).
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::SeqCst);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            let previous: &'static mut libc::sigaction = Box::leak(Box::new(std::mem::zeroed()));
            if libc::sigaction(libc::SIGBUS, &action, previous) == 0 {
                PREVIOUS.store(previous as *mut libc::sigaction as usize, Ordering::SeqCst);
            } else {
                log::warn!("could not install the SIGBUS guard: {}", std::io::Error::last_os_error());
            }
        }
    });
}

/// The SIGBUS handler: zero page over a truncated dump page, else the old handler.
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t for an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page_size = PAGE.load(Ordering::Relaxed);
    for slot in &TABLE {
        let start = slot.start.load(Ordering::SeqCst);
        let len = slot.len.load(Ordering::SeqCst);
        if start == 0 || addr < start || addr - start >= len {
            continue;
        }
        let page = addr & !(page_size - 1);
        // SAFETY: the page lies inside a live read-only mapping of ours (the
        // guard is dropped before the map); replacing it with a private zero
        // page changes only what memscape reads there.
        let mapped = unsafe {
            libc::mmap(
                page as *mut libc::c_void,
                page_size,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            slot.changed.store(true, Ordering::SeqCst);
            return;
        }
        break;
    }
    chain(sig, info, context);
}

/// Hands the signal to the handler installed before ours; with none, restores
/// the default action so the faulting instruction, run again, ends the process.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let previous = PREVIOUS.load(Ordering::SeqCst) as *const libc::sigaction;
    // SAFETY: PREVIOUS is null or the leaked, never-freed previous action.
    let Some(previous) = (unsafe { previous.as_ref() }) else {
        return default_action(sig);
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        return default_action(sig);
    }
    // SAFETY: a handler installed by someone else, called as it asked to be.
    unsafe {
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = std::mem::transmute(handler);
            f(sig, info, context);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(sig);
        }
    }
}

fn default_action(sig: libc::c_int) {
    // SAFETY: signal() with SIG_DFL is async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
    }
}
