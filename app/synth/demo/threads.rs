//! The twenty threads of the demo process: what each one is (main thread, CLR
//! debugger helper, finalizer, thread-pool gate/timer/worker/I-O threads, the
//! Azure runtime proxy's native threads, RPC and NT thread-pool workers, the role's
//! managed threads), its call chain at dump time, its stack reservation, creation
//! time and CPU times. Thread 16 is the crashing worker (a NULL write in the
//! role's JIT-compiled C#, now inside WER); thread 17 burns CPU in JIT-compiled code.

use super::sites::{self as s, Code, sysno};
use crate::synth::rng::SplitMix64;
use crate::synth::stack::{Frame, stack_extent_bytes};
use crate::synth::winnt::PAGE_SIZE;

/// What a thread is doing at dump time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Blocked in the kernel in system call `number`.
    Waiting(u32),
    /// Running user-mode code (was preempted by the dump).
    Running,
}

/// One thread of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadDef {
    /// Thread id.
    pub tid: u32,
    /// What the thread is, WinDbg-style.
    pub role: &'static str,
    /// Code locations, innermost (the current instruction) first.
    pub chain: Vec<Code>,
    /// What it is doing.
    pub state: State,
    /// Win32 start address.
    pub start: Code,
    /// Stack reservation in bytes.
    pub reserve_bytes: u64,
    /// Guard region in bytes.
    pub guard_bytes: u64,
    /// `Priority` (THREAD_PRIORITY_*).
    pub priority: i32,
    /// Milliseconds after process creation the thread was created.
    pub created_ms: u64,
    /// CPU time in user mode, milliseconds.
    pub user_ms: u64,
    /// CPU time in kernel mode, milliseconds.
    pub kernel_ms: u64,
}

/// Index of the crashing thread in [`thread_defs`].
pub const CRASH_THREAD: usize = 16;
/// Recursion depth of the busy thread's `Crunch.Step`.
const CRUNCH_DEPTH: usize = 96;

fn native_thread(inner: &[Code]) -> Vec<Code> {
    let mut v = inner.to_vec();
    v.extend([s::BASE_THREAD_INIT_THUNK, s::RTL_USER_THREAD_START]);
    v
}

fn clr_thread(inner: &[Code]) -> Vec<Code> {
    let mut v = inner.to_vec();
    v.push(s::INTERMEDIATE_THREAD_PROC);
    native_thread(&v)
}

fn managed_thread(inner: &[Code]) -> Vec<Code> {
    let mut v = inner.to_vec();
    v.extend([
        s::THREAD_START_CONTEXT,
        s::EC_RUN_INTERNAL,
        s::EC_RUN,
        s::THREAD_START,
        s::CALL_DESCR_WORKER,
        s::CALL_DESCR_WITH_HANDLER,
        s::METHOD_DESC_CALL_DESCR,
        s::KICKOFF_WORKER,
        s::DISPATCH_INNER,
        s::DISPATCH_MIDDLE,
        s::DISPATCH_OUTER,
        s::KICKOFF_THREAD,
    ]);
    clr_thread(&v)
}

const MANAGED_WAIT_ONE: [Code; 8] = [
    s::NT_WAIT_MULTIPLE,
    s::WAIT_MULTIPLE_EX,
    s::WAIT_MULTIPLE_SO_TOLERANT,
    s::DO_APPROPRIATE_APT_STATE_WAIT,
    s::DO_APPROPRIATE_WAIT_WORKER,
    s::DO_APPROPRIATE_WAIT,
    s::COR_WAIT_ONE_NATIVE,
    s::WAIT_ONE,
];

#[allow(clippy::too_many_arguments)]
fn t(
    tid: u32,
    role: &'static str,
    chain: Vec<Code>,
    state: State,
    start: Code,
    reserve_bytes: u64,
    priority: i32,
    created_ms: u64,
    (user_ms, kernel_ms): (u64, u64),
) -> ThreadDef {
    ThreadDef {
        tid,
        role,
        chain,
        state,
        start,
        reserve_bytes,
        guard_bytes: if reserve_bytes >= 0x10_0000 { 0x3000 } else { 0x2000 },
        priority,
        created_ms,
        user_ms,
        kernel_ms,
    }
}

/// The threads, in creation order (the order of the thread list).
pub fn thread_defs() -> Vec<ThreadDef> {
    use State::{Running, Waiting};
    const MB: u64 = 0x10_0000;
    const K256: u64 = 0x4_0000;
    let worker = || {
        clr_thread(&[
            s::NT_WAIT_SINGLE,
            s::WAIT_SINGLE_EX,
            s::CLR_EVENT_WAIT,
            s::UNFAIR_SEMAPHORE_WAIT,
            s::WORKER_THREAD_START,
        ])
    };
    let io = || clr_thread(&[s::NT_REMOVE_IO, s::GET_QUEUED_COMPLETION, s::COMPLETION_PORT_THREAD_START]);
    let tpp = || native_thread(&[s::NT_WAIT_WORK, s::TPP_WORKER_THREAD]);
    let mut crash = vec![
        s::NT_WAIT_MULTIPLE,
        s::WAIT_MULTIPLE_EX,
        s::WERP_REPORT_FAULT_INTERNAL,
        s::WERP_REPORT_FAULT,
        s::UNHANDLED_EXCEPTION_FILTER,
        s::RTL_USER_THREAD_START_FILTER,
        s::C_SPECIFIC_HANDLER,
        s::RTL_EXECUTE_HANDLER,
        s::RTL_DISPATCH_EXCEPTION,
        s::KI_USER_EXCEPTION_DISPATCHER,
        s::WRITE_RESULT_FAULT,
        s::PROCESS_BATCH,
        s::WORKER_RUN,
        s::BRIDGE_START_ROLE,
    ];
    crash = managed_thread(&crash);
    let mut busy = vec![s::CRUNCH_IP];
    busy.extend(std::iter::repeat_n(s::CRUNCH_STEP, CRUNCH_DEPTH));
    busy.push(s::CRUNCH_LOOP);
    let busy = managed_thread(&busy);
    let mut storage = MANAGED_WAIT_ONE.to_vec();
    storage.push(s::STORAGE_WAIT);
    let mut diag = MANAGED_WAIT_ONE.to_vec();
    diag.push(s::DIAG_POLL);

    vec![
        t(
            0x0AB4,
            "Main thread (WaWorkerHost Program.Main, waiting on role events)",
            vec![
                s::NT_WAIT_MULTIPLE,
                s::WAIT_MULTIPLE_EX,
                s::WAIT_MULTIPLE_SO_TOLERANT,
                s::DO_APPROPRIATE_APT_STATE_WAIT,
                s::DO_APPROPRIATE_WAIT_WORKER,
                s::DO_APPROPRIATE_WAIT,
                s::COR_WAIT_MULTIPLE_NATIVE,
                s::WAIT_ANY,
                s::HOST_MAIN,
                s::CALL_DESCR_WORKER,
                s::CALL_DESCR_WITH_HANDLER,
                s::METHOD_DESC_CALL_DESCR,
                s::RUN_MAIN,
                s::ASSEMBLY_EXECUTE_MAIN,
                s::SYSTEM_DOMAIN_EXECUTE_MAIN,
                s::EXECUTE_EXE,
                s::COR_EXE_MAIN_INTERNAL,
                s::CLR_COR_EXE_MAIN,
                s::MSCOREEI_COR_EXE_MAIN,
                s::MSCOREE_COR_EXE_MAIN,
                s::BASE_THREAD_INIT_THUNK,
                s::RTL_USER_THREAD_START,
            ],
            Waiting(sysno::WAIT_MULTIPLE),
            Code::Entry("WaWorkerHost.exe"),
            MB,
            0,
            0,
            (2_156, 1_093),
        ),
        t(
            0x0AC8,
            "NT thread pool worker (ntdll!TppWorkerThread)",
            tpp(),
            Waiting(sysno::WAIT_FOR_WORK),
            s::TPP_WORKER_THREAD_FN,
            MB,
            0,
            41,
            (0, 15),
        ),
        t(
            0x0AD0,
            "CLR debugger helper thread",
            native_thread(&[
                s::NT_WAIT_MULTIPLE,
                s::WAIT_MULTIPLE_EX,
                s::DEBUGGER_MAIN_LOOP,
                s::DEBUGGER_THREAD_PROC,
                s::DEBUGGER_THREAD_PROC_STATIC,
            ]),
            Waiting(sysno::WAIT_MULTIPLE),
            s::DEBUGGER_THREAD_PROC_STATIC_FN,
            K256,
            0,
            212,
            (0, 0),
        ),
        t(
            0x0AD8,
            "CLR finalizer thread",
            clr_thread(&[
                s::NT_WAIT_MULTIPLE,
                s::WAIT_MULTIPLE_EX,
                s::WAIT_FOR_FINALIZER_EVENT,
                s::FINALIZER_THREAD_WORKER,
                s::MANAGED_THREAD_BASE_NO_AD,
                s::FINALIZER_THREAD_START,
            ]),
            Waiting(sysno::WAIT_MULTIPLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            2,
            219,
            (4_602, 312),
        ),
        t(
            0x0AE4,
            "WaRuntimeProxy agent message loop",
            native_thread(&[
                s::NT_WAIT_SINGLE,
                s::WAIT_SINGLE_EX,
                s::PROXY_WAIT,
                s::PROXY_LOOP,
                s::CALLTHREADSTARTEX,
                s::THREADSTARTEX,
            ]),
            Waiting(sysno::WAIT_SINGLE),
            s::THREADSTARTEX_FN,
            MB,
            0,
            388,
            (1_903, 2_418),
        ),
        t(
            0x0AF0,
            "WaRuntimeProxy health pipe listener",
            native_thread(&[
                s::NT_WAIT_MULTIPLE,
                s::WAIT_MULTIPLE_EX,
                s::PROXY_PIPE_LISTENER,
                s::CALLTHREADSTARTEX,
                s::THREADSTARTEX,
            ]),
            Waiting(sysno::WAIT_MULTIPLE),
            s::THREADSTARTEX_FN,
            MB,
            0,
            391,
            (312, 905),
        ),
        t(
            0x0B04,
            "RPC LRPC listener (ALPC)",
            native_thread(&[s::NT_ALPC_SEND_WAIT, s::LRPC_RECEIVE, s::RPC_THREAD_START]),
            Waiting(sysno::ALPC_SEND_WAIT_RECEIVE),
            s::RPC_THREAD_START_FN,
            K256,
            0,
            405,
            (15, 46),
        ),
        t(
            0x0B10,
            "CLR thread pool gate thread",
            clr_thread(&[s::NT_DELAY, s::SLEEP_EX, s::CLR_SLEEP_EX, s::GATE_THREAD_START]),
            Waiting(sysno::DELAY_EXECUTION),
            s::INTERMEDIATE_THREAD_PROC_FN,
            K256,
            0,
            1_377,
            (187, 421),
        ),
        t(
            0x0B18,
            "CLR thread pool timer thread",
            clr_thread(&[s::NT_DELAY, s::SLEEP_EX, s::CLR_SLEEP_EX, s::TIMER_THREAD_FIRE, s::TIMER_THREAD_START]),
            Waiting(sysno::DELAY_EXECUTION),
            s::INTERMEDIATE_THREAD_PROC_FN,
            K256,
            0,
            1_380,
            (93, 171),
        ),
        t(
            0x0B20,
            "CLR I/O completion thread",
            io(),
            Waiting(sysno::REMOVE_IO_COMPLETION),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            1_402,
            (1_326, 640),
        ),
        t(
            0x0B2C,
            "CLR I/O completion thread",
            io(),
            Waiting(sysno::REMOVE_IO_COMPLETION),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            1_415,
            (998, 531),
        ),
        t(
            0x0B3C,
            "CLR thread pool worker",
            worker(),
            Waiting(sysno::WAIT_SINGLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            1_431,
            (3_744, 218),
        ),
        t(
            0x0B58,
            "CLR thread pool worker",
            worker(),
            Waiting(sysno::WAIT_SINGLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            1_460,
            (2_995, 140),
        ),
        t(
            0x0B64,
            "RoleEnvironment state poller (managed)",
            managed_thread(&[
                s::NT_DELAY,
                s::SLEEP_EX,
                s::EE_SLEEP_EX,
                s::THREAD_USER_SLEEP,
                s::THREAD_NATIVE_SLEEP,
                s::THREAD_SLEEP,
                s::ENV_POLL,
            ]),
            Waiting(sysno::DELAY_EXECUTION),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            2_118,
            (530, 265),
        ),
        t(
            0x0B80,
            "DiagnosticMonitor configuration poller (managed)",
            managed_thread(&diag),
            Waiting(sysno::WAIT_MULTIPLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            2_940,
            (1_887, 702),
        ),
        t(
            0x0B90,
            "NT thread pool worker (ntdll!TppWorkerThread)",
            tpp(),
            Waiting(sysno::WAIT_FOR_WORK),
            s::TPP_WORKER_THREAD_FN,
            MB,
            0,
            3_005,
            (0, 0),
        ),
        t(
            0x0BA8,
            "TestWAERWorker.WorkerRole.Run: crashed (NULL write in JIT-compiled C#), waiting for WER",
            crash,
            Waiting(sysno::WAIT_MULTIPLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            11_872,
            (61_437, 2_906),
        ),
        t(
            0x0BB4,
            "TestWAERWorker Crunch.Loop: CPU-bound managed loop",
            busy,
            Running,
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            11_951,
            (12_418_531, 40_875),
        ),
        t(
            0x0BC0,
            "StorageClient task wait (managed)",
            managed_thread(&storage),
            Waiting(sysno::WAIT_MULTIPLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            12_204,
            (7_051, 1_420),
        ),
        t(
            0x0BD4,
            "CLR thread pool worker",
            worker(),
            Waiting(sysno::WAIT_SINGLE),
            s::INTERMEDIATE_THREAD_PROC_FN,
            MB,
            0,
            23_190_412,
            (15, 0),
        ),
    ]
}

/// A thread with its frames sized: enough to reserve and commit its stack.
#[derive(Debug, Clone)]
pub struct ThreadPlan {
    /// The definition.
    pub def: ThreadDef,
    /// Locals size per chain entry (0 for an innermost system-call stub).
    pub locals: Vec<u64>,
    /// Committed stack bytes (covers the used part, page rounded, plus slack).
    pub commit_bytes: u64,
}

impl ThreadPlan {
    /// The frames, given the address of each chain entry.
    pub fn frames(&self, ips: &[u64]) -> Vec<Frame> {
        ips.iter().zip(&self.locals).map(|(&ip, &locals_bytes)| Frame { ip, locals_bytes }).collect()
    }
}

/// Size each frame's locals the way its code would (CLR frames are big, syscall
/// stubs have none, the exception dispatcher holds a CONTEXT and an
/// EXCEPTION_RECORD) and decide how much of each stack is committed.
pub fn plan_threads(rng: &mut SplitMix64) -> Vec<ThreadPlan> {
    thread_defs()
        .into_iter()
        .map(|def| {
            let locals: Vec<u64> =
                def.chain.iter().enumerate().map(|(i, &code)| locals_for(code, i == 0, def.state, rng)).collect();
            let frames: Vec<Frame> = locals.iter().map(|&locals_bytes| Frame { ip: 0, locals_bytes }).collect();
            let used = stack_extent_bytes(&frames);
            let slack_pages = 1 + rng.below(4);
            let commit_bytes = (used.next_multiple_of(PAGE_SIZE) + slack_pages * PAGE_SIZE)
                .min(def.reserve_bytes - def.guard_bytes - PAGE_SIZE);
            ThreadPlan { def, locals, commit_bytes }
        })
        .collect()
}

fn locals_for(code: Code, innermost: bool, state: State, rng: &mut SplitMix64) -> u64 {
    if innermost && matches!(state, State::Waiting(_)) {
        return 0; // system-call stubs have no frame
    }
    match code {
        c if c == s::KI_USER_EXCEPTION_DISPATCHER => 0x588, // CONTEXT + EXCEPTION_RECORD
        c if c == s::WRITE_RESULT_FAULT => 0x58,
        c if c == s::WERP_REPORT_FAULT_INTERNAL => 0x6F8,
        c if c == s::UNHANDLED_EXCEPTION_FILTER => 0x1E8,
        c if c == s::CRUNCH_STEP => 0xB8,
        c if c == s::TPP_WORKER_THREAD => 0x3D8,
        c if c == s::BASE_THREAD_INIT_THUNK => 0x28,
        c if c == s::RTL_USER_THREAD_START => 0x48,
        Code::Jit(_) => rng.range(0x58, 0x1F8),
        Code::In("ntdll.dll", _) => rng.range(0x48, 0x1A8),
        Code::In("kernel32.dll", _) => rng.range(0x58, 0x1E8),
        Code::In("clr.dll", _) => rng.range(0x98, 0x4F8),
        Code::In("mscorlib.ni.dll", _) => rng.range(0x78, 0x2E8),
        _ => rng.range(0x78, 0x2B8),
    }
}
