//! The bytes of the CLR's JIT code heap where the demo's threads execute, what
//! `u @rip` shows in a debugger: methods the JIT emitted back to back (a frame
//! prologue, loads, calls, an epilogue, `int 3` padding to 16 bytes), and at
//! the faulting instruction the C# `*result = value` compiled to
//! `mov dword ptr [rax],ecx`, rax being the NULL pointer.

use crate::synth::rng::SplitMix64;
use crate::synth::winnt::PAGE_SIZE;

/// `mov rax,qword ptr [rbp+28h]; mov ecx,dword ptr [rbp+30h]`: the pointer and
/// the value, loaded just before the write.
const LOADS: [u8; 7] = [0x48, 0x8B, 0x45, 0x28, 0x8B, 0x4D, 0x30];
/// `mov dword ptr [rax],ecx`: the NULL write.
pub const NULL_WRITE: [u8; 2] = [0x89, 0x08];

/// `push rbp; push rdi; push rsi; sub rsp,30h; mov rbp,rsp`.
const PROLOGUE: [u8; 10] = [0x55, 0x57, 0x56, 0x48, 0x83, 0xEC, 0x30, 0x48, 0x8B, 0xEC];
/// `add rsp,30h; pop rsi; pop rdi; pop rbp; ret`.
const EPILOGUE: [u8; 8] = [0x48, 0x83, 0xC4, 0x30, 0x5E, 0x5F, 0x5D, 0xC3];

/// One page of JIT-compiled code at `page`; `fault` (inside the page) gets
/// the NULL write and the loads before it, on instruction boundaries (`nop`s
/// pad up to them, as the JIT pads for alignment).
pub fn code_page(page: u64, fault: Option<u64>, rng: &mut SplitMix64) -> Vec<u8> {
    let size = PAGE_SIZE as usize;
    // Where the loads before the write start, when the page holds the fault.
    let mut pending = fault
        .and_then(|f| f.checked_sub(page))
        .map(|o| o as usize)
        .filter(|&at| at >= LOADS.len() + PROLOGUE.len() && at + NULL_WRITE.len() <= size)
        .map(|at| at - LOADS.len());
    let mut out = Vec::with_capacity(size + 64);
    // Emits `bytes`, or first the fault's instructions when `bytes` would run
    // past where they start.
    let mut emit = |out: &mut Vec<u8>, bytes: &[u8]| {
        if let Some(start) = pending
            && out.len() + bytes.len() > start
        {
            out.resize(start, 0x90);
            out.extend_from_slice(&LOADS);
            out.extend_from_slice(&NULL_WRITE);
            pending = None;
        }
        out.extend_from_slice(bytes);
    };
    while out.len() < size {
        emit(&mut out, &PROLOGUE);
        for _ in 0..3 + rng.below(6) {
            match rng.below(3) {
                // mov rax,qword ptr [rbp+disp8]
                0 => emit(&mut out, &[0x48, 0x8B, 0x45, 0x08 * (1 + rng.below(8) as u8)]),
                // mov ecx,dword ptr [rbp+disp8]
                1 => emit(&mut out, &[0x8B, 0x4D, 0x08 * (1 + rng.below(8) as u8)]),
                // call rel32 (into the CLR's stubs)
                _ => {
                    let mut call = [0xE8, 0, 0, 0, 0];
                    call[1..].copy_from_slice(&(rng.next_u32() & 0x000F_FFF0).to_le_bytes());
                    emit(&mut out, &call);
                }
            }
        }
        emit(&mut out, &EPILOGUE);
        while out.len() % 16 != 0 {
            emit(&mut out, &[0xCC]);
        }
    }
    out.truncate(size);
    out
}
