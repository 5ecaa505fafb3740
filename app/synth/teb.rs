//! The x64 Thread Environment Block (`_TEB`, 0x2000 bytes on 64-bit Windows
//! Vista / Server 2008) with the fields a dump reader follows: the `NT_TIB`
//! (stack base and limit, self pointer), `ClientId`, the PEB pointer, the last
//! error and `DeallocationStack` (the stack's allocation base).

use super::bytes::LeBuf;

/// Size of an x64 TEB allocation.
pub const TEB_SIZE: u64 = 0x2000;

/// What one thread's TEB says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TebFacts {
    /// Address of the TEB itself (`NtTib.Self`).
    pub teb: u64,
    /// `NtTib.StackBase`: one past the highest stack byte.
    pub stack_base: u64,
    /// `NtTib.StackLimit`: lowest committed stack byte (just above the guard page).
    pub stack_limit: u64,
    /// `DeallocationStack`: the stack allocation's base.
    pub deallocation_stack: u64,
    /// `ClientId.UniqueProcess`.
    pub pid: u32,
    /// `ClientId.UniqueThread`.
    pub tid: u32,
    /// `ProcessEnvironmentBlock`.
    pub peb: u64,
    /// `ThreadLocalStoragePointer` (0 when the thread has no static TLS).
    pub tls_pointer: u64,
    /// `LastErrorValue`.
    pub last_error: u32,
    /// `LastStatusValue`.
    pub last_status: u32,
}

/// The TEB's bytes (field offsets from the x64 `ntdll!_TEB`).
pub fn teb_bytes(f: &TebFacts) -> Vec<u8> {
    let mut t = LeBuf::zeroed(TEB_SIZE as usize);
    t.u64(0x000, 0) // NtTib.ExceptionList (unused on x64)
        .u64(0x008, f.stack_base)
        .u64(0x010, f.stack_limit)
        .u64(0x020, 0x1E00) // NtTib.Version (FiberData slot of a non-fiber thread)
        .u64(0x030, f.teb) // NtTib.Self
        .u64(0x040, u64::from(f.pid)) // ClientId.UniqueProcess
        .u64(0x048, u64::from(f.tid)) // ClientId.UniqueThread
        .u64(0x058, f.tls_pointer)
        .u64(0x060, f.peb)
        .u32(0x068, f.last_error)
        .u32(0x1250, f.last_status) // LastStatusValue
        .u64(0x1478, f.deallocation_stack);
    t.into_vec()
}
