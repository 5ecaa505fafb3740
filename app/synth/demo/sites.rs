//! Code addresses the demo's threads execute or return to, as module + RVA (inside
//! that module's `.text`) or offsets into the CLR's JIT code heap, named after the
//! functions they would be in on a real Windows Server 2008 SP2 / .NET 4 system.
//! There are no symbols for these builds here: the RVAs are made up, but every
//! one is validated against the module's section table when the dump is built.

/// A code location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `module!rva`.
    In(&'static str, u32),
    /// An offset into the JIT code heap (managed code has no module).
    Jit(u32),
    /// The entry point (`AddressOfEntryPoint`) of a module.
    Entry(&'static str),
}

const fn ntdll(rva: u32) -> Code {
    Code::In("ntdll.dll", rva)
}
const fn k32(rva: u32) -> Code {
    Code::In("kernel32.dll", rva)
}
const fn clr(rva: u32) -> Code {
    Code::In("clr.dll", rva)
}
const fn mscorlib(rva: u32) -> Code {
    Code::In("mscorlib.ni.dll", rva)
}

/// x64 system-call stubs in ntdll are 16 bytes apart; the return address after
/// `syscall` is stub + 0xA.
const fn syscall_stub(number: u32) -> Code {
    ntdll(0x4F000 + number * 0x10 + 0xA)
}

/// System-call numbers of the wait functions (in the order of the stubs).
pub mod sysno {
    /// NtWaitForSingleObject.
    pub const WAIT_SINGLE: u32 = 0x01;
    /// NtRemoveIoCompletion.
    pub const REMOVE_IO_COMPLETION: u32 = 0x09;
    /// NtWaitForMultipleObjects.
    pub const WAIT_MULTIPLE: u32 = 0x23;
    /// NtDelayExecution.
    pub const DELAY_EXECUTION: u32 = 0x31;
    /// NtAlpcSendWaitReceivePort.
    pub const ALPC_SEND_WAIT_RECEIVE: u32 = 0x8A;
    /// NtWaitForWorkViaWorkerFactory.
    pub const WAIT_FOR_WORK: u32 = 0x10C;
}

// ntdll.dll 6.0.6002.18446
/// ntdll!NtWaitForSingleObject+0xa
pub const NT_WAIT_SINGLE: Code = syscall_stub(sysno::WAIT_SINGLE);
/// ntdll!NtRemoveIoCompletion+0xa
pub const NT_REMOVE_IO: Code = syscall_stub(sysno::REMOVE_IO_COMPLETION);
/// ntdll!NtWaitForMultipleObjects+0xa
pub const NT_WAIT_MULTIPLE: Code = syscall_stub(sysno::WAIT_MULTIPLE);
/// ntdll!NtDelayExecution+0xa
pub const NT_DELAY: Code = syscall_stub(sysno::DELAY_EXECUTION);
/// ntdll!NtAlpcSendWaitReceivePort+0xa
pub const NT_ALPC_SEND_WAIT: Code = syscall_stub(sysno::ALPC_SEND_WAIT_RECEIVE);
/// ntdll!NtWaitForWorkViaWorkerFactory+0xa
pub const NT_WAIT_WORK: Code = syscall_stub(sysno::WAIT_FOR_WORK);
/// ntdll!RtlUserThreadStart+0x21
pub const RTL_USER_THREAD_START: Code = ntdll(0x2C541);
/// ntdll!TppWorkerThread (function start)
pub const TPP_WORKER_THREAD_FN: Code = ntdll(0x2B0E0);
/// ntdll!TppWorkerThread+0x3f8
pub const TPP_WORKER_THREAD: Code = ntdll(0x2B4D8);
/// ntdll!KiUserExceptionDispatcher+0x2e
pub const KI_USER_EXCEPTION_DISPATCHER: Code = ntdll(0x4CF0E);
/// ntdll!RtlDispatchException+0x3cb
pub const RTL_DISPATCH_EXCEPTION: Code = ntdll(0x3010B);
/// ntdll!RtlpExecuteHandlerForException+0xd
pub const RTL_EXECUTE_HANDLER: Code = ntdll(0x4D10D);
/// ntdll!__C_specific_handler+0x8c
pub const C_SPECIFIC_HANDLER: Code = ntdll(0x30DDC);
/// ntdll!RtlUserThreadStart$filt$0+0x3f
pub const RTL_USER_THREAD_START_FILTER: Code = ntdll(0xA40EF);

// kernel32.dll 6.0.6002.18449
/// kernel32!BaseThreadInitThunk+0xd
pub const BASE_THREAD_INIT_THUNK: Code = k32(0x1BE3D);
/// kernel32!WaitForSingleObjectEx+0x9c
pub const WAIT_SINGLE_EX: Code = k32(0x2F5FC);
/// kernel32!WaitForMultipleObjectsEx+0x10b
pub const WAIT_MULTIPLE_EX: Code = k32(0x2F40B);
/// kernel32!SleepEx+0x84
pub const SLEEP_EX: Code = k32(0x2AB34);
/// kernel32!GetQueuedCompletionStatus+0x48
pub const GET_QUEUED_COMPLETION: Code = k32(0x3A1C8);
/// kernel32!UnhandledExceptionFilter+0x1cc
pub const UNHANDLED_EXCEPTION_FILTER: Code = k32(0x8A9FC);
/// kernel32!WerpReportFault+0x77
pub const WERP_REPORT_FAULT: Code = k32(0x8E2C7);
/// kernel32!WerpReportFaultInternal+0x4e5
pub const WERP_REPORT_FAULT_INTERNAL: Code = k32(0x8DD55);

// clr.dll 4.0.30319.235
/// clr!Thread::intermediateThreadProc (function start)
pub const INTERMEDIATE_THREAD_PROC_FN: Code = clr(0x1D3A0);
/// clr!Thread::intermediateThreadProc+0x7d
pub const INTERMEDIATE_THREAD_PROC: Code = clr(0x1D41D);
/// clr!CallDescrWorker+0x82
pub const CALL_DESCR_WORKER: Code = clr(0x1522);
/// clr!CallDescrWorkerWithHandler+0xd3
pub const CALL_DESCR_WITH_HANDLER: Code = clr(0x16C3);
/// clr!MethodDesc::CallDescr+0x2b1
pub const METHOD_DESC_CALL_DESCR: Code = clr(0x1AA61);
/// clr!ThreadNative::KickOffThread_Worker+0xd3
pub const KICKOFF_WORKER: Code = clr(0x1E383);
/// clr!ManagedThreadBase_DispatchInner+0x2d
pub const DISPATCH_INNER: Code = clr(0x1DB8D);
/// clr!ManagedThreadBase_DispatchMiddle+0x6c
pub const DISPATCH_MIDDLE: Code = clr(0x1DC0C);
/// clr!ManagedThreadBase_DispatchOuter+0x4c
pub const DISPATCH_OUTER: Code = clr(0x1DC8C);
/// clr!ThreadNative::KickOffThread+0xc5
pub const KICKOFF_THREAD: Code = clr(0x1E2A5);
/// clr!CLREvent::WaitEx+0xc1
pub const CLR_EVENT_WAIT: Code = clr(0x5F01);
/// clr!ThreadpoolMgr::UnfairSemaphore::Wait+0x13b
pub const UNFAIR_SEMAPHORE_WAIT: Code = clr(0x2AF7B);
/// clr!ThreadpoolMgr::WorkerThreadStart+0x241
pub const WORKER_THREAD_START: Code = clr(0x2B431);
/// clr!ThreadpoolMgr::CompletionPortThreadStart+0x1cb
pub const COMPLETION_PORT_THREAD_START: Code = clr(0x14CB6B);
/// clr!ThreadpoolMgr::GateThreadStart+0x8d
pub const GATE_THREAD_START: Code = clr(0x14E15D);
/// clr!ThreadpoolMgr::TimerThreadFire+0x8a
pub const TIMER_THREAD_FIRE: Code = clr(0x14F42A);
/// clr!ThreadpoolMgr::TimerThreadStart+0x49
pub const TIMER_THREAD_START: Code = clr(0x14F2E9);
/// clr!ClrSleepEx+0x22
pub const CLR_SLEEP_EX: Code = clr(0x6D6C2);
/// clr!EESleepEx+0x2d
pub const EE_SLEEP_EX: Code = clr(0x6D74D);
/// clr!Thread::UserSleep+0x71
pub const THREAD_USER_SLEEP: Code = clr(0x1F0A1);
/// clr!ThreadNative::Sleep+0xf1
pub const THREAD_NATIVE_SLEEP: Code = clr(0x1F1E1);
/// clr!WaitForMultipleObjectsEx_SO_TOLERANT+0x62
pub const WAIT_MULTIPLE_SO_TOLERANT: Code = clr(0x3B0E2);
/// clr!Thread::DoAppropriateAptStateWait+0x53
pub const DO_APPROPRIATE_APT_STATE_WAIT: Code = clr(0x3B183);
/// clr!Thread::DoAppropriateWaitWorker+0x151
pub const DO_APPROPRIATE_WAIT_WORKER: Code = clr(0x3B481);
/// clr!Thread::DoAppropriateWait+0x73
pub const DO_APPROPRIATE_WAIT: Code = clr(0x3B5C3);
/// clr!WaitHandleNative::CorWaitMultipleNative+0x1c8
pub const COR_WAIT_MULTIPLE_NATIVE: Code = clr(0x3C1A8);
/// clr!WaitHandleNative::CorWaitOneNative+0x1bf
pub const COR_WAIT_ONE_NATIVE: Code = clr(0x3C02F);
/// clr!DebuggerRCThread::MainLoop+0xe9
pub const DEBUGGER_MAIN_LOOP: Code = clr(0x2A5839);
/// clr!DebuggerRCThread::ThreadProc+0xcb
pub const DEBUGGER_THREAD_PROC: Code = clr(0x2A5A1B);
/// clr!DebuggerRCThread::ThreadProcStatic (function start)
pub const DEBUGGER_THREAD_PROC_STATIC_FN: Code = clr(0x2A5AB0);
/// clr!DebuggerRCThread::ThreadProcStatic+0x5c
pub const DEBUGGER_THREAD_PROC_STATIC: Code = clr(0x2A5B0C);
/// clr!WKS::WaitForFinalizerEvent+0xcc
pub const WAIT_FOR_FINALIZER_EVENT: Code = clr(0x9E51C);
/// clr!WKS::GCHeap::FinalizerThreadWorker+0x4a
pub const FINALIZER_THREAD_WORKER: Code = clr(0x9E62A);
/// clr!ManagedThreadBase_NoADTransition+0x42
pub const MANAGED_THREAD_BASE_NO_AD: Code = clr(0x1E922);
/// clr!WKS::GCHeap::FinalizerThreadStart+0x193
pub const FINALIZER_THREAD_START: Code = clr(0x9E8B3);
/// clr!RunMain+0x24c
pub const RUN_MAIN: Code = clr(0x2E86C);
/// clr!Assembly::ExecuteMainMethod+0xd5
pub const ASSEMBLY_EXECUTE_MAIN: Code = clr(0x2E9A5);
/// clr!SystemDomain::ExecuteMainMethod+0x4e0
pub const SYSTEM_DOMAIN_EXECUTE_MAIN: Code = clr(0x2F3D0);
/// clr!ExecuteEXE+0x43
pub const EXECUTE_EXE: Code = clr(0x2F8D3);
/// clr!_CorExeMainInternal+0xc4
pub const COR_EXE_MAIN_INTERNAL: Code = clr(0x2F9B4);
/// clr!CorExeMain+0x15
pub const CLR_COR_EXE_MAIN: Code = clr(0x2FA25);

/// mscoreei!CorExeMain+0x3b
pub const MSCOREEI_COR_EXE_MAIN: Code = Code::In("mscoreei.dll", 0x3A7DB);
/// mscoree!CorExeMain_Exported+0x57
pub const MSCOREE_COR_EXE_MAIN: Code = Code::In("mscoree.dll", 0x5BE7);

// mscorlib.ni.dll
/// System.Threading.ThreadHelper.ThreadStart_Context(System.Object)+0x61
pub const THREAD_START_CONTEXT: Code = mscorlib(0x2B6A11);
/// System.Threading.ExecutionContext.Run(..., Boolean)+0x1a5
pub const EC_RUN_INTERNAL: Code = mscorlib(0x2E3A4C);
/// System.Threading.ExecutionContext.Run(...)+0x15
pub const EC_RUN: Code = mscorlib(0x2E3B05);
/// System.Threading.ThreadHelper.ThreadStart()+0x4d
pub const THREAD_START: Code = mscorlib(0x2B6B2D);
/// System.Threading.WaitHandle.WaitAny(...)+0x3a
pub const WAIT_ANY: Code = mscorlib(0x5D7A1A);
/// System.Threading.WaitHandle.WaitOne(...)+0x2d
pub const WAIT_ONE: Code = mscorlib(0x2C1F6D);
/// System.Threading.Thread.Sleep(Int32)+0xe
pub const THREAD_SLEEP: Code = mscorlib(0x3F1E2A);

// Azure runtime proxy (native) and its CRT.
/// WaRuntimeProxy!RuntimeProxy::WaitForAgentMessage+0x5c
pub const PROXY_WAIT: Code = Code::In("WaRuntimeProxy.dll", 0x1A44C);
/// WaRuntimeProxy!RuntimeProxy::MessageLoop+0x117
pub const PROXY_LOOP: Code = Code::In("WaRuntimeProxy.dll", 0x1A2D7);
/// WaRuntimeProxy!RuntimeProxy::HealthPipeListener+0x9e
pub const PROXY_PIPE_LISTENER: Code = Code::In("WaRuntimeProxy.dll", 0x1B0FE);
/// MSVCR80!_callthreadstartex+0x17
pub const CALLTHREADSTARTEX: Code = Code::In("MSVCR80.dll", 0x1D6E7);
/// MSVCR80!_threadstartex (function start)
pub const THREADSTARTEX_FN: Code = Code::In("MSVCR80.dll", 0x1D720);
/// MSVCR80!_threadstartex+0x7f
pub const THREADSTARTEX: Code = Code::In("MSVCR80.dll", 0x1D79F);

// rpcrt4.dll
/// RPCRT4!LRPC_ADDRESS::ReceiveLotsaCalls+0x1a9
pub const LRPC_RECEIVE: Code = Code::In("RPCRT4.dll", 0x5B4E9);
/// RPCRT4!ThreadStartRoutine (function start)
pub const RPC_THREAD_START_FN: Code = Code::In("RPCRT4.dll", 0x3F180);
/// RPCRT4!ThreadStartRoutine+0x24
pub const RPC_THREAD_START: Code = Code::In("RPCRT4.dll", 0x3F1A4);

// JIT-compiled managed code.
/// WaWorkerHost.Program.Main(System.String[])+0x2ce
pub const HOST_MAIN: Code = Code::Jit(0x0C8E);
/// Microsoft.WindowsAzure.ServiceRuntime.Implementation.Loader.RoleRuntimeBridge.<StartRole>b__0()+0x61
pub const BRIDGE_START_ROLE: Code = Code::Jit(0x2F61);
/// TestWAERWorker.WorkerRole.Run()+0xa7
pub const WORKER_RUN: Code = Code::Jit(0x4A27);
/// TestWAERWorker.WorkerRole.ProcessBatch(Batch)+0x5a
pub const PROCESS_BATCH: Code = Code::Jit(0x4B7A);
/// TestWAERWorker.WorkerRole.WriteResult(Int32*, Int32)+0x1c: the C# `*result = value`
/// compiled to `mov dword ptr [rax],ecx`, with rax = 0 (the NULL write).
pub const WRITE_RESULT_FAULT: Code = Code::Jit(0x4D1C);
/// TestWAERWorker.Crunch.Step(Int32, Int64)+0x57 (the recursive call's return)
pub const CRUNCH_STEP: Code = Code::Jit(0x5E13);
/// TestWAERWorker.Crunch.Step(Int32, Int64)+0x3b (the instruction executing)
pub const CRUNCH_IP: Code = Code::Jit(0x5DF7);
/// TestWAERWorker.Crunch.Loop()+0x40
pub const CRUNCH_LOOP: Code = Code::Jit(0x6140);
/// Microsoft.WindowsAzure.Diagnostics.DiagnosticMonitor.PollConfiguration()+0x95
pub const DIAG_POLL: Code = Code::Jit(0x7A55);
/// Microsoft.WindowsAzure.ServiceRuntime.RoleEnvironment.PollCurrentState()+0x49
pub const ENV_POLL: Code = Code::Jit(0x8B09);
/// Microsoft.WindowsAzure.StorageClient.Tasks.Task`1.Wait()+0x31
pub const STORAGE_WAIT: Code = Code::Jit(0x9C31);
