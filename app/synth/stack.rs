//! Synthetic x64 thread stacks: return addresses laid out with the Windows x64
//! frame discipline (each return-address slot 8 mod 16, frames an odd number of
//! qwords, 0x28 bytes of start-up frame under the stack base) and locals that look
//! like real ones (zeros, small integers, handles, pointers into the stack and
//! the heaps), so a stack scan finds exactly the intended frames.

use super::bytes::LeBuf;
use super::rng::SplitMix64;
use super::winnt::PAGE_SIZE;

/// One frame: the function's code address (the current instruction for the
/// innermost frame, a return address for the others) and the size of its locals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Instruction pointer of this frame.
    pub ip: u64,
    /// Bytes of locals, spills and home space; rounded up to 8 mod 16.
    pub locals_bytes: u64,
}

/// A built stack: the captured bytes from the page holding rsp up to the base.
#[derive(Debug, Clone)]
pub struct StackImage {
    /// One past the highest byte (`NtTib.StackBase`).
    pub base: u64,
    /// The stack pointer of the innermost frame.
    pub rsp: u64,
    /// Address of the first byte in `bytes` (rsp rounded down to a page).
    pub captured_from: u64,
    /// `bytes[i]` is the byte at `captured_from + i`.
    pub bytes: LeBuf,
    /// Per frame (same order as the input): the address of its locals area.
    pub frame_addrs: Vec<u64>,
    /// Per frame: the address of the slot holding its `ip` as a return address
    /// (none for the innermost frame).
    pub slot_addrs: Vec<Option<u64>>,
}

impl StackImage {
    /// Write `data` at virtual address `addr` (ignored outside the capture).
    pub fn patch(&mut self, addr: u64, data: &[u8]) {
        if let Some(offset) = addr.checked_sub(self.captured_from) {
            self.bytes.put(offset as usize, data);
        }
    }

    /// The captured bytes from rsp to the base, as `ThreadList` cites them.
    pub fn from_rsp(&self) -> &[u8] {
        let skip = (self.rsp - self.captured_from) as usize;
        self.bytes.as_slice().get(skip..).unwrap_or(&[])
    }
}

/// Values locals are drawn from besides noise: heap blocks and handles.
#[derive(Debug, Clone, Default)]
pub struct LocalsPool {
    /// Addresses inside heaps or the GC heap.
    pub data_pointers: Vec<u64>,
    /// Handle values the thread might hold.
    pub handles: Vec<u64>,
}

/// Lay out `frames` (innermost first; the last is the thread's start-up function)
/// under `base`. The innermost frame's locals sit at rsp.
pub fn build_stack(base: u64, frames: &[Frame], pool: &LocalsPool, rng: &mut SplitMix64) -> StackImage {
    let (rsp, frame_addrs, slot_addrs) = positions(base, frames);
    let captured_from = rsp / PAGE_SIZE * PAGE_SIZE;
    let mut bytes = LeBuf::zeroed((base - captured_from) as usize);
    let at = |addr: u64| (addr - captured_from) as usize;

    // Stale data below rsp: old frames of earlier calls.
    let mut addr = captured_from;
    while addr < rsp {
        let v = local_value(rng, pool, rsp, base);
        bytes.u64(at(addr), v);
        addr += 8;
    }
    for (i, frame) in frames.iter().enumerate() {
        if let Some(slot) = slot_addrs[i] {
            bytes.u64(at(slot), frame.ip);
        }
        let start = frame_addrs[i];
        let end = slot_addrs.get(i + 1).copied().flatten().unwrap_or(base - 0x28);
        let mut addr = start;
        while addr < end {
            let v = local_value(rng, pool, start, base);
            bytes.u64(at(addr), v);
            addr += 8;
        }
    }
    StackImage { base, rsp, captured_from, bytes, frame_addrs, slot_addrs }
}

/// Bytes between the innermost rsp and the stack base once `frames` are laid out.
pub fn stack_extent_bytes(frames: &[Frame]) -> u64 {
    const PROBE_BASE: u64 = 1 << 40;
    PROBE_BASE - positions(PROBE_BASE, frames).0
}

/// Walk down from `base`: the innermost rsp, each frame's locals address and each
/// return-address slot.
fn positions(base: u64, frames: &[Frame]) -> (u64, Vec<u64>, Vec<Option<u64>>) {
    let round = |n: u64| (n.max(8) & !0xF) | 8;
    let mut cursor = base - 0x28; // start-up frame: fake zero return + home space
    let mut frame_addrs = vec![0; frames.len()];
    let mut slot_addrs = vec![None; frames.len()];
    for (i, frame) in frames.iter().enumerate().rev() {
        let locals = if i == 0 && frame.locals_bytes == 0 { 0 } else { round(frame.locals_bytes) };
        cursor -= locals;
        frame_addrs[i] = cursor;
        if i > 0 {
            cursor -= 8;
            slot_addrs[i] = Some(cursor);
        }
    }
    (cursor, frame_addrs, slot_addrs)
}

fn local_value(rng: &mut SplitMix64, pool: &LocalsPool, low: u64, base: u64) -> u64 {
    match rng.below(100) {
        0..=41 => 0,
        42..=55 => rng.below(0x200),
        56..=69 => low + rng.below(base.saturating_sub(low) / 8) * 8,
        70..=81 => rng.pick(&pool.data_pointers).copied().unwrap_or(0),
        82..=89 => rng.pick(&pool.handles).copied().unwrap_or(0),
        90..=93 => 0xFFFF_FFFF,
        94..=96 => 1,
        _ => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_slots_are_8_mod_16_and_hold_the_callers() {
        let frames = [
            Frame { ip: 0x7700_1000, locals_bytes: 0 },
            Frame { ip: 0x7700_2000, locals_bytes: 0x40 },
            Frame { ip: 0x7700_3000, locals_bytes: 0x98 },
        ];
        let mut rng = SplitMix64::new(3);
        let s = build_stack(0x20_0000, &frames, &LocalsPool::default(), &mut rng);
        assert_eq!(s.rsp % 16, 8);
        assert_eq!(s.bytes.len() as u64, 0x20_0000 - s.captured_from);
        for (i, slot) in s.slot_addrs.iter().enumerate().skip(1) {
            let slot = slot.unwrap_or(0);
            assert_eq!(slot % 16, 8);
            assert_eq!(s.bytes.get_u64((slot - s.captured_from) as usize), frames[i].ip);
        }
        assert_eq!(s.slot_addrs[1], Some(s.rsp));
    }
}
