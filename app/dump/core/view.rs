//! A core seen as a minidump, as Breakpad's `core2md` does it: a small
//! minidump written in memory with the core's threads (their registers as
//! CONTEXT_AMD64 / CONTEXT_ARM64 and a copy of each stack from the stack
//! pointer up), its modules (ELF build ids as CodeView `BpEL` records), the
//! signal as the exception, the mappings as a LinuxMaps stream, the command
//! line and the process id. The model is read from it by the minidump
//! readers, and the stack walker walks it unchanged, with the same symbol
//! sources as any minidump. The segments' bytes stay in the mapped core.

use minidump_synth::{
    DumpString, Exception, Memory, MiscStream, Module, SimpleStream, SynthMinidump, SystemInfo, Thread,
};
use test_assembler::{Endian, Section};

use super::elf::Machine;
use super::maps::CoreModule;
use super::notes::{Notes, Registers};
use crate::dump::captured::CapturedMemory;

const LE: Endian = Endian::Little;

/// Stack bytes copied per thread at most, from the stack pointer up (the
/// walker reads no more: `MAX_STACK_WINDOW_BYTES`).
pub const MAX_STACK_COPY: u64 = 4 << 20;
/// Stack bytes copied for all threads together at most.
pub const MAX_STACK_TOTAL: u64 = 256 << 20;
/// Below the stack pointer: the x86-64 red zone a leaf function may use.
const RED_ZONE: u64 = 128;

/// `MINIDUMP_STREAM_TYPE::LinuxCmdLine`.
const LINUX_CMD_LINE: u32 = 0x4767_0007;
const PROCESSOR_ARCHITECTURE_AMD64: u16 = 9;
const PROCESSOR_ARCHITECTURE_ARM64: u16 = 12;
const PLATFORM_LINUX: u32 = 0x8201;

/// What the view is made from.
pub struct ViewInputs<'a> {
    pub machine: Machine,
    pub notes: &'a Notes,
    pub modules: &'a [CoreModule],
    pub maps_text: &'a str,
    pub captured: &'a CapturedMemory,
    pub core: &'a [u8],
    /// The thread that took the signal, with it.
    pub signaled: Option<usize>,
}

/// The minidump bytes, and what could not go in.
pub fn write(inp: &ViewInputs<'_>) -> Result<(Vec<u8>, Vec<String>), String> {
    let mut warnings = Vec::new();
    let arch = match inp.machine {
        Machine::X86_64 => PROCESSOR_ARCHITECTURE_AMD64,
        Machine::Aarch64 => PROCESSOR_ARCHITECTURE_ARM64,
    };
    let mut system = SystemInfo::new(LE).set_processor_architecture(arch).set_platform_id(PLATFORM_LINUX);
    // A core says nothing of the machine's CPUs.
    (system.number_of_processors, system.processor_level) = (0, 0);
    let mut dump = SynthMinidump::with_endian(LE).add_system_info(system).set_linux_maps(inp.maps_text.as_bytes());

    let mut copied = 0u64;
    for t in &inp.notes.threads {
        let sp = t.registers.sp();
        let stack = stack_copy(inp, sp, &mut copied);
        let (base, bytes) = stack.unwrap_or((sp, &[][..]));
        let memory = Memory::with_section(Section::with_endian(LE).append_bytes(bytes), base);
        let context = context(&t.registers);
        dump = dump.add_thread(Thread::new(LE, t.tid, &memory, &context)).add_memory(memory).add(context);
    }
    if copied >= MAX_STACK_TOTAL {
        warnings.push(format!(
            "stacks past the first {} MiB are not walked (a copy of each stack is what the walker reads)",
            MAX_STACK_TOTAL >> 20
        ));
    }

    for m in inp.modules {
        let Ok(size) = u32::try_from(m.end - m.base) else {
            warnings.push(format!("{}: larger than 4 GiB; left out of the module list", m.path));
            continue;
        };
        let name = DumpString::new(&m.path, LE);
        // CV_SIGNATURE_ELF, 'BpEL' as a little-endian u32.
        let mut cv = Section::with_endian(LE).D32(0x4270_454c);
        if let Some(id) = &m.build_id {
            cv = cv.append_bytes(id);
        }
        // No version resource: a zeroed VS_FIXEDFILEINFO (no signature) says so.
        let no_version = minidump::format::VS_FIXEDFILEINFO::default();
        let module = Module::new(LE, m.base, size, &name, 0, 0, Some(&no_version)).cv_record(&cv);
        dump = dump.add_module(module).add(name).add(cv);
    }

    if let Some(i) = inp.signaled
        && let Some(t) = inp.notes.threads.get(i)
    {
        let mut e = Exception::new(LE);
        e.thread_id = t.tid;
        // As Breakpad writes a Linux crash: the signal, si_code, si_addr.
        let si = t.siginfo;
        e.exception_record.exception_code = si.map_or(t.signal, |s| s.signo);
        e.exception_record.exception_flags = si.map_or(0, |s| s.code as u32);
        // si_addr is a fault's address only for a fault (si_code > 0); a
        // signal sent by kill() holds the sender's pid there.
        e.exception_record.exception_address = si.filter(|s| s.code > 0).map_or(t.registers.ip(), |s| s.addr);
        dump = dump.add_exception(e);
    }

    if let Some(p) = &inp.notes.process {
        let mut misc = MiscStream::new(LE);
        misc.process_id = Some(p.pid);
        dump = dump.add_stream(misc);
        let args = p.psargs.split(' ').filter(|a| !a.is_empty()).collect::<Vec<_>>().join("\0");
        let section = Section::with_endian(LE).append_bytes(args.as_bytes()).D8(0);
        dump = dump.add_stream(SimpleStream { stream_type: LINUX_CMD_LINE, section });
    }
    let bytes = dump.finish().ok_or("the minidump view could not be laid out")?;
    Ok((bytes, warnings))
}

/// The captured bytes from just below `sp` to the end of its mapping, at
/// most [`MAX_STACK_COPY`], within the total budget.
fn stack_copy<'a>(inp: &ViewInputs<'a>, sp: u64, copied: &mut u64) -> Option<(u64, &'a [u8])> {
    let base = sp.saturating_sub(RED_ZONE) & !15;
    let ranges = inp.captured.ranges();
    let r = ranges.get(ranges.partition_point(|r| r.end_addr() <= base))?;
    if r.base_addr > base {
        return None;
    }
    let len = (r.end_addr() - base).min(MAX_STACK_COPY).min(MAX_STACK_TOTAL.saturating_sub(*copied));
    if len == 0 {
        return None;
    }
    let bytes = inp.captured.read(inp.core, base, len as usize)?;
    *copied += len;
    Some((base, bytes))
}

/// The registers as the minidump CONTEXT of their CPU.
fn context(regs: &Registers) -> Section {
    match regs {
        Registers::X86_64(r) => {
            let [
                r15,
                r14,
                r13,
                r12,
                rbp,
                rbx,
                r11,
                r10,
                r9,
                r8,
                rax,
                rcx,
                rdx,
                rsi,
                rdi,
                _orig,
                rip,
                cs,
                eflags,
                rsp,
                ss,
                _fsb,
                _gsb,
                ds,
                es,
                fs,
                gs,
            ] = *r;
            Section::with_endian(LE)
                .append_repeated(0, 6 * 8) // P1Home..P6Home
                .D32(0x0010_0007) // CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS
                .D32(0) // MxCsr
                .D16(cs as u16)
                .D16(ds as u16)
                .D16(es as u16)
                .D16(fs as u16)
                .D16(gs as u16)
                .D16(ss as u16)
                .D32(eflags as u32)
                .append_repeated(0, 6 * 8) // Dr0..Dr7
                .D64(rax)
                .D64(rcx)
                .D64(rdx)
                .D64(rbx)
                .D64(rsp)
                .D64(rbp)
                .D64(rsi)
                .D64(rdi)
                .D64(r8)
                .D64(r9)
                .D64(r10)
                .D64(r11)
                .D64(r12)
                .D64(r13)
                .D64(r14)
                .D64(r15)
                .D64(rip)
                .append_repeated(0, 512) // FltSave
                .append_repeated(0, 26 * 16) // VectorRegister
                .append_repeated(0, 6 * 8) // VectorControl, DebugControl, branch and exception records
        }
        Registers::Aarch64(r) => {
            let mut s = Section::with_endian(LE)
                .D32(0x0040_0003) // CONTEXT_ARM64 | CONTROL | INTEGER
                .D32(r[33] as u32); // cpsr (pstate)
            for x in &r[..31] {
                s = s.D64(*x);
            }
            s.D64(r[31]) // sp
                .D64(r[32]) // pc
                .append_repeated(0, 32 * 16) // float registers
                .D32(0) // fpcr
                .D32(0) // fpsr
                .append_repeated(0, 8 * 4 + 8 * 8 + 2 * 4 + 2 * 8) // debug registers
        }
    }
}
