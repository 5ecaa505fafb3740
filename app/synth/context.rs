//! A complete x64 `CONTEXT` (`CONTEXT_AMD64`, 1232 bytes) with every integer,
//! control and segment register and a sane `XMM_SAVE_AREA32`, as a thread context
//! in a real dump carries; minidump-synth's `amd64_context` only sets rip and rsp.

use super::bytes::LeBuf;
use super::winnt::CONTEXT_AMD64_ALL;

/// Size of `CONTEXT_AMD64` in bytes.
pub const CONTEXT_AMD64_SIZE: usize = 1232;

/// The register file of one x64 thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amd64Registers {
    /// rax
    pub rax: u64,
    /// rbx
    pub rbx: u64,
    /// rcx
    pub rcx: u64,
    /// rdx
    pub rdx: u64,
    /// rsi
    pub rsi: u64,
    /// rdi
    pub rdi: u64,
    /// rbp
    pub rbp: u64,
    /// rsp
    pub rsp: u64,
    /// r8 .. r15
    pub r: [u64; 8],
    /// rip
    pub rip: u64,
    /// rflags
    pub eflags: u32,
}

/// The bytes of a `CONTEXT_AMD64` holding `regs`, with user-mode segment
/// selectors (cs 0x33, ss/ds/es/gs 0x2b, fs 0x53), default MXCSR 0x1f80 and x87
/// control word 0x27f, and `ContextFlags` = `CONTEXT_ALL`.
pub fn context_amd64_bytes(regs: &Amd64Registers) -> Vec<u8> {
    let mut c = LeBuf::zeroed(CONTEXT_AMD64_SIZE);
    c.u32(0x30, CONTEXT_AMD64_ALL)
        .u32(0x34, 0x1F80) // MxCsr
        .u16(0x38, 0x33) // SegCs
        .u16(0x3A, 0x2B) // SegDs
        .u16(0x3C, 0x2B) // SegEs
        .u16(0x3E, 0x53) // SegFs
        .u16(0x40, 0x2B) // SegGs
        .u16(0x42, 0x2B) // SegSs
        .u32(0x44, regs.eflags)
        .u64(0x78, regs.rax)
        .u64(0x80, regs.rcx)
        .u64(0x88, regs.rdx)
        .u64(0x90, regs.rbx)
        .u64(0x98, regs.rsp)
        .u64(0xA0, regs.rbp)
        .u64(0xA8, regs.rsi)
        .u64(0xB0, regs.rdi);
    for (i, r) in regs.r.iter().enumerate() {
        c.u64(0xB8 + i * 8, *r);
    }
    c.u64(0xF8, regs.rip);
    // FltSave (XMM_SAVE_AREA32) at 0x100.
    c.u16(0x100, 0x027F) // ControlWord
        .u32(0x118, 0x1F80) // MxCsr
        .u32(0x11C, 0xFFFF); // MxCsr_Mask
    c.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_land_at_winnt_offsets() {
        let regs = Amd64Registers { rsp: 0x1111, rip: 0x2222, r: [0, 0, 0, 0, 0, 0, 0, 0x3333], ..Default::default() };
        let bytes = context_amd64_bytes(&regs);
        assert_eq!(bytes.len(), CONTEXT_AMD64_SIZE);
        let at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap_or([0; 8]));
        assert_eq!(at(0x98), 0x1111);
        assert_eq!(at(0xF0), 0x3333);
        assert_eq!(at(0xF8), 0x2222);
    }
}
