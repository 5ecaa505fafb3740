//! Each demo thread at dump time: its stack bytes (return addresses into the
//! modules and the JIT heap, plausible locals), its register context, and for the
//! crashing thread the exception: the faulting CONTEXT and EXCEPTION_RECORD that
//! KiUserExceptionDispatcher keeps on the stack, the machine frame above them,
//! and the same CONTEXT for the Exception stream.

use super::code::resolve;
use super::layout::Layout;
use super::sites::{self as s};
use super::threads::{CRASH_THREAD, State, ThreadPlan};
use crate::synth::bytes::LeBuf;
use crate::synth::context::{Amd64Registers, context_amd64_bytes};
use crate::synth::error::SynthError;
use crate::synth::rng::SplitMix64;
use crate::synth::stack::{LocalsPool, StackImage, build_stack};
use crate::synth::winnt::STATUS_ACCESS_VIOLATION;

/// One thread, ready to be written.
#[derive(Debug, Clone)]
pub struct ThreadScene {
    /// Its stack.
    pub stack: StackImage,
    /// Its registers as the thread list reports them.
    pub regs: Amd64Registers,
    /// Its Win32 start address.
    pub start_address: u64,
}

/// The access violation.
#[derive(Debug, Clone)]
pub struct CrashScene {
    /// Index of the crashing thread.
    pub thread: usize,
    /// Faulting instruction.
    pub address: u64,
    /// `ExceptionInformation`: write access to address 0.
    pub parameters: [u64; 2],
    /// Registers at the fault.
    pub regs: Amd64Registers,
}

/// Offset of the EXCEPTION_RECORD after the CONTEXT in the dispatcher's frame.
const EXCEPTION_RECORD_OFFSET: u64 = 0x4F0;

/// Build every thread's stack and registers, and the crash.
pub fn build_threads(
    layout: &Layout,
    plans: &[ThreadPlan],
    pool: &LocalsPool,
    seed: u64,
) -> Result<(Vec<ThreadScene>, CrashScene), SynthError> {
    let mut rng = SplitMix64::for_name(seed, "stacks");
    let mut scenes = Vec::with_capacity(plans.len());
    let mut crash = None;
    for (i, plan) in plans.iter().enumerate() {
        let range = layout.stacks.get(i).ok_or_else(|| SynthError::Inconsistent {
            what: format!("thread {:#x}", plan.def.tid),
            why: "no stack range".to_string(),
        })?;
        let mut ips = Vec::with_capacity(plan.def.chain.len());
        for &code in &plan.def.chain {
            ips.push(resolve(layout, code)?);
        }
        let frames = plan.frames(&ips);
        let mut stack = build_stack(range.base, &frames, pool, &mut rng);
        if stack.captured_from < range.limit {
            return Err(SynthError::Inconsistent {
                what: format!("stack of thread {:#x}", plan.def.tid),
                why: "used part is larger than the committed part".to_string(),
            });
        }
        let ip = ips.first().copied().unwrap_or(0);
        let regs = registers(plan, ip, &stack, pool, &mut rng);
        if i == CRASH_THREAD {
            crash = Some(plant_exception(plan, &ips, &mut stack, pool, &mut rng)?);
        }
        scenes.push(ThreadScene { stack, regs, start_address: resolve(layout, plan.def.start)? });
    }
    let crash = crash.ok_or_else(|| SynthError::Inconsistent {
        what: "crashing thread".to_string(),
        why: "not in the thread table".to_string(),
    })?;
    Ok((scenes, crash))
}

fn pick(rng: &mut SplitMix64, values: &[u64]) -> u64 {
    rng.pick(values).copied().unwrap_or(0)
}

/// Registers of a thread stopped in a system call (rcx/r11 hold the user rip and
/// rflags as `syscall` left them, rax the service number, r10 the first argument)
/// or preempted while running managed code.
fn registers(
    plan: &ThreadPlan,
    ip: u64,
    stack: &StackImage,
    pool: &LocalsPool,
    rng: &mut SplitMix64,
) -> Amd64Registers {
    let in_stack = |rng: &mut SplitMix64| stack.rsp + 8 * rng.below((stack.base - stack.rsp) / 8);
    let mut r = Amd64Registers {
        rip: ip,
        rsp: stack.rsp,
        rbx: pick(rng, &pool.data_pointers),
        rsi: pick(rng, &pool.handles),
        rdi: in_stack(rng),
        rbp: 0,
        ..Default::default()
    };
    for (i, reg) in r.r.iter_mut().enumerate().skip(4) {
        *reg = match i {
            4 => pick(rng, &pool.data_pointers),
            5 => rng.below(0x100),
            6 => in_stack(rng),
            _ => 0,
        };
    }
    match plan.def.state {
        State::Waiting(number) => {
            r.rax = u64::from(number);
            r.rcx = ip;
            r.rdx = rng.below(2);
            r.r[0] = if rng.chance(50) { in_stack(rng) } else { 0 }; // r8: timeout
            r.r[2] = pick(rng, &pool.handles); // r10: the handle
            r.r[3] = 0x246; // r11: rflags
            r.eflags = 0x246;
        }
        State::Running => {
            r.rax = rng.next_u64() >> 20;
            r.rcx = rng.below(0x4000);
            r.rdx = pick(rng, &pool.data_pointers);
            r.r[0] = pick(rng, &pool.data_pointers);
            r.r[1] = rng.below(97);
            r.r[2] = 0;
            r.r[3] = 0x202;
            r.rbp = stack.rsp + 0x40;
            r.eflags = 0x202;
        }
    }
    r
}

/// Write the dispatcher's CONTEXT, EXCEPTION_RECORD and machine frame into the
/// crashing thread's stack and return the fault.
fn plant_exception(
    plan: &ThreadPlan,
    ips: &[u64],
    stack: &mut StackImage,
    pool: &LocalsPool,
    rng: &mut SplitMix64,
) -> Result<CrashScene, SynthError> {
    let index_of = |code| {
        plan.def.chain.iter().position(|&c| c == code).ok_or_else(|| SynthError::Inconsistent {
            what: "crashing thread".to_string(),
            why: format!("{code:?} is not on its stack"),
        })
    };
    let dispatcher = index_of(s::KI_USER_EXCEPTION_DISPATCHER)?;
    let fault = index_of(s::WRITE_RESULT_FAULT)?;
    let address = ips.get(fault).copied().unwrap_or(0);
    let machine_frame = stack.slot_addrs.get(fault).copied().flatten().ok_or_else(|| SynthError::Inconsistent {
        what: "faulting frame".to_string(),
        why: "has no return slot".to_string(),
    })?;
    let fault_rsp = machine_frame + 0x28;
    let regs = Amd64Registers {
        rax: 0, // the NULL pointer being written through
        rcx: 0x2A,
        rdx: pick(rng, &pool.data_pointers),
        rbx: pick(rng, &pool.data_pointers),
        rsp: fault_rsp,
        rbp: 0,
        rsi: 0x40,
        rdi: pick(rng, &pool.data_pointers),
        r: [0x40, 0, 0, 0x246, pick(rng, &pool.data_pointers), 0, fault_rsp + 0x60, 0],
        rip: address,
        eflags: 0x1_0246,
    };
    let parameters = [1, 0];

    let mut record = LeBuf::zeroed(0x98);
    record
        .u32(0x00, STATUS_ACCESS_VIOLATION)
        .u32(0x04, 0) // ExceptionFlags
        .u64(0x08, 0) // ExceptionRecord
        .u64(0x10, address)
        .u32(0x18, parameters.len() as u32)
        .u64(0x20, parameters[0])
        .u64(0x28, parameters[1]);
    let context_at = stack.frame_addrs.get(dispatcher).copied().unwrap_or(0);
    stack.patch(context_at, &context_amd64_bytes(&regs));
    stack.patch(context_at + EXCEPTION_RECORD_OFFSET, record.as_slice());
    // MACHINE_FRAME: Rip (already the slot's value), SegCs, EFlags, Rsp, SegSs.
    let mut frame = LeBuf::zeroed(0x20);
    frame.u64(0x00, 0x33).u64(0x08, u64::from(regs.eflags)).u64(0x10, fault_rsp).u64(0x18, 0x2B);
    stack.patch(machine_frame + 8, frame.as_slice());
    Ok(CrashScene { thread: CRASH_THREAD, address, parameters, regs })
}
