//! The threads of the big process: thread ids, stack reservations, and call
//! chains at dump time that return into the modules' `.text` (the main thread
//! in a message wait, thread-pool workers in `TppWorkerThread`, application
//! threads waiting on events or I/O, a few running, one of them crashed with an
//! access violation), sized with the x64 frame discipline of `stack.rs` so that
//! a stack scan finds every frame. Addresses of the stacks and TEBs are given
//! by the layout.

use super::images::ModulePlan;
use crate::synth::context::Amd64Registers;
use crate::synth::rng::SplitMix64;
use crate::synth::stack::{Frame, LocalsPool, stack_extent_bytes};
use crate::synth::winnt::{ALLOCATION_GRANULARITY as GRAN, PAGE_SIZE};

/// What a thread is doing when the dump is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadState {
    /// Blocked in system call `number`.
    Waiting(u32),
    /// Running user-mode code.
    Running,
}

/// Windows 10 19045 system-call numbers of the waits the threads sit in.
mod sysno {
    pub const WAIT_SINGLE: u32 = 0x04;
    pub const REMOVE_IO_COMPLETION: u32 = 0x09;
    pub const DELAY_EXECUTION: u32 = 0x34;
    pub const WAIT_MULTIPLE: u32 = 0x5B;
    pub const WAIT_FOR_WORK: u32 = 0x1D6;
}

/// "Function numbers" of `ModulePlan::code_site` with a fixed meaning.
mod func {
    pub const RTL_USER_THREAD_START: u64 = 0;
    pub const BASE_THREAD_INIT_THUNK: u64 = 0;
    pub const NT_WAIT_MULTIPLE: u64 = 1;
    pub const NT_WAIT_FOR_WORK: u64 = 2;
    pub const TPP_WORKER_THREAD: u64 = 3;
    pub const NT_WAIT_SINGLE: u64 = 4;
    pub const NT_REMOVE_IO: u64 = 5;
    pub const NT_DELAY: u64 = 6;
    /// First of the application's own functions.
    pub const APP: u64 = 16;
}

/// One thread.
#[derive(Debug, Clone)]
pub struct ThreadPlan {
    /// Thread id.
    pub tid: u32,
    /// Frames, innermost first (the first `ip` is the thread's rip).
    pub frames: Vec<Frame>,
    /// Waiting or running.
    pub state: ThreadState,
    /// Win32 start address.
    pub start_address: u64,
    /// `Priority`.
    pub priority: i32,
    /// Milliseconds after process start the thread was created.
    pub created_ms: u64,
    /// CPU time in user mode, milliseconds.
    pub user_ms: u64,
    /// CPU time in kernel mode, milliseconds.
    pub kernel_ms: u64,
    /// Stack reservation.
    pub reserve_bytes: u64,
    /// Guard pages under the committed part.
    pub guard_bytes: u64,
    /// Committed part at the top (all of it is captured).
    pub commit_bytes: u64,
    /// Bytes from the innermost rsp up to the stack base.
    pub extent_bytes: u64,
    /// Stack allocation base (set by the layout).
    pub alloc_base: u64,
    /// TEB address (set by the layout).
    pub teb: u64,
}

impl ThreadPlan {
    /// `NtTib.StackBase`.
    pub fn stack_base(&self) -> u64 {
        self.alloc_base + self.reserve_bytes
    }

    /// `NtTib.StackLimit`: the lowest committed byte.
    pub fn stack_limit(&self) -> u64 {
        self.stack_base() - self.commit_bytes
    }

    /// The innermost frame's stack pointer.
    pub fn rsp(&self) -> u64 {
        self.stack_base() - self.extent_bytes
    }

    /// The innermost instruction.
    pub fn rip(&self) -> u64 {
        self.frames.first().map_or(0, |f| f.ip)
    }

    /// The thread's registers: rip and rsp from its frames, the rest what a
    /// thread stopped in a system call (rax the service number, rcx/r11 the
    /// return rip and rflags `syscall` saved, r10 the first argument) or in
    /// running code holds. rbp is 0, as in frame-pointer-less x64 code.
    pub fn registers(&self, pool: &LocalsPool, seed: u64) -> Amd64Registers {
        let mut rng = SplitMix64::new(seed ^ u64::from(self.tid).wrapping_mul(0xA24B_AED4_963E_E407));
        let pick = |rng: &mut SplitMix64, v: &[u64]| rng.pick(v).copied().unwrap_or(0);
        let (rsp, base) = (self.rsp(), self.stack_base());
        let in_stack = |rng: &mut SplitMix64| rsp + 8 * rng.below((base - rsp) / 8);
        let mut r = Amd64Registers {
            rip: self.rip(),
            rsp,
            rbx: pick(&mut rng, &pool.data_pointers),
            rsi: pick(&mut rng, &pool.handles),
            rdi: in_stack(&mut rng),
            ..Default::default()
        };
        r.r[4] = pick(&mut rng, &pool.data_pointers);
        r.r[5] = rng.below(0x100);
        r.r[6] = in_stack(&mut rng);
        match self.state {
            ThreadState::Waiting(number) => {
                r.rax = u64::from(number);
                r.rcx = r.rip;
                r.rdx = rng.below(2);
                r.r[0] = if rng.chance(50) { in_stack(&mut rng) } else { 0 };
                r.r[2] = pick(&mut rng, &pool.handles);
                r.r[3] = 0x246;
                r.eflags = 0x246;
            }
            ThreadState::Running => {
                r.rax = rng.next_u64() >> 20;
                r.rcx = 0;
                r.rdx = pick(&mut rng, &pool.data_pointers);
                r.r[0] = pick(&mut rng, &pool.data_pointers);
                r.r[1] = rng.below(97);
                r.r[3] = 0x202;
                r.eflags = 0x1_0246;
            }
        }
        r
    }
}

/// Which thread crashes (an access violation in application code).
pub fn crash_thread(threads: u32) -> usize {
    (threads / 3) as usize
}

/// The modules the chains use, by role.
struct Roles<'a> {
    ntdll: &'a ModulePlan,
    kernel32: &'a ModulePlan,
    kernelbase: &'a ModulePlan,
    /// The executable and the application DLLs (and the system DLLs when there
    /// are no application DLLs).
    app: Vec<&'a ModulePlan>,
    exe: &'a ModulePlan,
}

impl<'a> Roles<'a> {
    fn new(modules: &'a [ModulePlan]) -> Option<Self> {
        let exe = modules.first()?;
        let ntdll = modules.get(1).unwrap_or(exe);
        let kernel32 = modules.get(2).unwrap_or(ntdll);
        let kernelbase = modules.get(3).unwrap_or(kernel32);
        let system = super::names::system_dll_count(modules.len() - 1);
        let mut app: Vec<&ModulePlan> = std::iter::once(exe).chain(modules.iter().skip(1 + system)).collect();
        if app.len() == 1 {
            app.extend(modules.iter().skip(4));
        }
        Some(Self { ntdll, kernel32, kernelbase, app, exe })
    }

    fn app_site(&self, rng: &mut SplitMix64) -> u64 {
        let m = rng.pick(&self.app).copied().unwrap_or(self.exe);
        m.code_site(func::APP + rng.below(24))
    }
}

/// Plan `count` threads over `modules` (the executable first).
pub fn plan_threads(count: u32, modules: &[ModulePlan], seed: u64) -> Vec<ThreadPlan> {
    let Some(roles) = Roles::new(modules) else { return Vec::new() };
    let mut rng = SplitMix64::for_name(seed, "big threads");
    let crash = crash_thread(count);
    let mut tid = 0x1A4C_u32 + (rng.below(0x400) as u32) * 4;
    let mut created_ms = 0;
    (0..count as usize)
        .map(|i| {
            let t = plan_one(i, i == crash, &roles, &mut rng, tid, created_ms);
            tid += 4 * (1 + rng.below(0x40) as u32);
            created_ms += rng.below(if i < 32 { 400 } else { 60_000 });
            t
        })
        .collect()
}

fn plan_one(i: usize, crashed: bool, roles: &Roles<'_>, rng: &mut SplitMix64, tid: u32, created_ms: u64) -> ThreadPlan {
    let locals = |rng: &mut SplitMix64| rng.range(0x28, 0x110);
    // (ip, locals) pairs, innermost first, without the two start-up frames.
    let mut chain: Vec<(u64, u64)> = Vec::new();
    let kind = if i == 0 {
        0
    } else if crashed {
        1
    } else {
        2 + rng.below(100)
    };
    let (state, start_address) = match kind {
        // Main thread: a message-loop wait under the program's main function.
        0 => {
            chain.push((roles.ntdll.code_site(func::NT_WAIT_MULTIPLE), 0));
            chain.push((roles.kernelbase.code_site(func::NT_WAIT_MULTIPLE), locals(rng)));
            for _ in 0..rng.range(3, 10) {
                chain.push((roles.app_site(rng), locals(rng)));
            }
            chain.push((roles.exe.code_site(1), locals(rng)));
            chain.push((roles.exe.code_site(0), 0x28));
            (ThreadState::Waiting(sysno::WAIT_MULTIPLE), roles.exe.code_site(0))
        }
        // Thread-pool workers waiting for work.
        2..=31 => {
            chain.push((roles.ntdll.code_site(func::NT_WAIT_FOR_WORK), 0));
            chain.push((roles.ntdll.code_site(func::TPP_WORKER_THREAD), 0x108));
            (ThreadState::Waiting(sysno::WAIT_FOR_WORK), roles.ntdll.code_site(func::TPP_WORKER_THREAD))
        }
        // Running (the crashed one among them), some deep in a recursion.
        1 | 32..=35 => {
            let depth = if rng.chance(30) { rng.range(40, 90) } else { rng.range(3, 14) };
            let recursive = roles.app_site(rng);
            chain.push((roles.app_site(rng), locals(rng)));
            let frame_locals = locals(rng);
            for d in 0..depth {
                let ip = if depth > 20 && d > 2 { recursive } else { roles.app_site(rng) };
                chain.push((ip, if depth > 20 { frame_locals } else { locals(rng) }));
            }
            let start = roles.app_site(rng);
            chain.push((start, locals(rng)));
            (ThreadState::Running, start)
        }
        // Application threads waiting on events, I/O or a timer.
        _ => {
            let (number, f) = match rng.below(10) {
                0..=5 => (sysno::WAIT_SINGLE, func::NT_WAIT_SINGLE),
                6..=7 => (sysno::REMOVE_IO_COMPLETION, func::NT_REMOVE_IO),
                _ => (sysno::DELAY_EXECUTION, func::NT_DELAY),
            };
            chain.push((roles.ntdll.code_site(f), 0));
            chain.push((roles.kernelbase.code_site(f), locals(rng)));
            for _ in 0..rng.range(1, 12) {
                chain.push((roles.app_site(rng), locals(rng)));
            }
            let start = roles.app_site(rng);
            chain.push((start, locals(rng)));
            (ThreadState::Waiting(number), start)
        }
    };
    chain.push((roles.kernel32.code_site(func::BASE_THREAD_INIT_THUNK), 0x28));
    chain.push((roles.ntdll.code_site(func::RTL_USER_THREAD_START), 0x48));
    let frames: Vec<Frame> = chain.into_iter().map(|(ip, locals_bytes)| Frame { ip, locals_bytes }).collect();

    let extent_bytes = stack_extent_bytes(&frames);
    let commit_bytes = extent_bytes.next_multiple_of(PAGE_SIZE) + PAGE_SIZE * rng.range(1, 5);
    let guard_bytes = if rng.chance(85) { PAGE_SIZE } else { PAGE_SIZE * rng.range(2, 4) };
    let mut reserve_bytes = match rng.below(100) {
        _ if i == 0 => 0x10_0000,
        0..=69 => 0x10_0000,
        70..=89 => 0x4_0000,
        90..=96 => 0x8_0000,
        _ => 0x40_0000,
    };
    // The reserved part under the guard pages is never empty.
    reserve_bytes = reserve_bytes.max((commit_bytes + guard_bytes + PAGE_SIZE).next_multiple_of(GRAN));
    let (user_ms, kernel_ms) = match state {
        ThreadState::Running => (rng.range(20_000, 900_000), rng.range(100, 40_000)),
        ThreadState::Waiting(_) => (rng.below(4_000), rng.below(2_000)),
    };
    ThreadPlan {
        tid,
        frames,
        state,
        start_address,
        priority: if rng.chance(10) { 2 } else { 0 },
        created_ms,
        user_ms,
        kernel_ms,
        reserve_bytes,
        guard_bytes,
        commit_bytes,
        extent_bytes,
        alloc_base: 0,
        teb: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::images::plan_modules;
    use super::*;

    #[test]
    fn every_return_address_is_in_a_module_text_and_stacks_fit() {
        for dlls in [1, 2, 3, 30] {
            let modules = plan_modules(dlls, 3);
            let threads = plan_threads(60, &modules, 3);
            assert_eq!(threads.len(), 60);
            for t in &threads {
                for f in &t.frames {
                    assert!(
                        modules.iter().any(|m| m.image.text_range().is_some_and(|r| r.contains(&f.ip))),
                        "{:#x} of thread {:#x}",
                        f.ip,
                        t.tid
                    );
                }
                assert!(t.extent_bytes < t.commit_bytes);
                assert!(t.commit_bytes + t.guard_bytes < t.reserve_bytes);
                assert_eq!(t.reserve_bytes % GRAN, 0);
            }
            assert_eq!(threads[crash_thread(60)].state, ThreadState::Running);
        }
    }
}
