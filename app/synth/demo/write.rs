//! Serializing the demo scenario with minidump-synth: every stream in the order
//! dbghelp writes a `.dump /ma`-style full dump (ThreadList, ThreadInfoList,
//! ModuleList, UnloadedModuleList, MemoryInfoList, Exception, SystemInfo,
//! MiscInfo, HandleData, CommentStreamW, Memory64List), the Memory64 data block
//! last, then the header's time stamp set to the crash time.

use minidump_synth::{
    ExListStream, ListStream, MiscFieldsPowerInfo, MiscFieldsProcessTimes, MiscStream, SynthMinidump, UnloadedModule,
};

use super::layout::Layout;
use super::process::{COMMENT, CRASH_UNIX, PID, PROCESS_CREATE_UNIX, SEED, system_facts};
use super::stacks::{CrashScene, ThreadScene};
use super::threads::ThreadPlan;
use crate::synth::comment::comment_stream;
use crate::synth::context::context_amd64_bytes;
use crate::synth::error::SynthError;
use crate::synth::exception::{ExceptionFacts, exception_stream};
use crate::synth::handles::{HandleFacts, handle_data};
use crate::synth::memory::{Capture, Memory64, memory_info_list};
use crate::synth::module::ModuleEntry;
use crate::synth::section::{Blob, LE};
use crate::synth::sysinfo::system_info;
use crate::synth::threadinfo::{ThreadInfo, thread_info_list};
use crate::synth::threadlist::{ThreadEntry, ThreadFields};
use crate::synth::winnt::{
    MINIDUMP_FULL_WITH_INFO, NORMAL_PRIORITY_CLASS, STATUS_ACCESS_VIOLATION, STILL_ACTIVE, filetime_from_unix, stream,
    ticks_from_millis,
};

/// Offset of `MINIDUMP_HEADER.TimeDateStamp`.
const HEADER_TIME_DATE_STAMP: usize = 20;

/// Everything the writer needs.
pub struct Scenario<'a> {
    /// The address space.
    pub layout: &'a Layout,
    /// Thread definitions and frame sizes.
    pub plans: &'a [ThreadPlan],
    /// Stacks and registers.
    pub threads: &'a [ThreadScene],
    /// The fault.
    pub crash: &'a CrashScene,
    /// The handle table.
    pub handles: &'a [HandleFacts],
    /// Captured memory.
    pub captures: Vec<Capture>,
}

/// The dump file's bytes.
pub fn write_dump(s: Scenario<'_>) -> Result<Vec<u8>, SynthError> {
    let mut dump = SynthMinidump::with_endian(LE).flags(MINIDUMP_FULL_WITH_INFO);
    let memory = Memory64::new(s.captures)?;

    // ThreadList, with one CONTEXT per thread.
    let mut thread_list = ListStream::new(stream::THREAD_LIST, LE);
    for ((plan, scene), &teb) in s.plans.iter().zip(s.threads).zip(&s.layout.tebs) {
        let context = Blob::new(&context_amd64_bytes(&scene.regs));
        let location = context.location();
        let size = scene.stack.base - scene.stack.rsp;
        let rva = memory.rva_of(scene.stack.rsp, size).ok_or_else(|| SynthError::Inconsistent {
            what: format!("stack of thread {:#x}", plan.def.tid),
            why: "not captured".to_string(),
        })?;
        thread_list = thread_list.add(ThreadEntry::new(&ThreadFields {
            id: plan.def.tid,
            suspend_count: 0,
            priority_class: NORMAL_PRIORITY_CLASS,
            priority: plan.def.priority as u32,
            teb,
            stack_start: scene.stack.rsp,
            stack_size: size as u32,
            stack_rva: &rva,
            context: &location,
        }));
        dump = dump.add(context);
    }
    dump = dump.add_stream(thread_list);

    // ThreadInfoList.
    let create = filetime_from_unix(PROCESS_CREATE_UNIX, 0);
    let infos: Vec<ThreadInfo> = s
        .plans
        .iter()
        .zip(s.threads)
        .map(|(plan, scene)| ThreadInfo {
            id: plan.def.tid,
            dump_flags: 0,
            dump_error: 0,
            exit_status: STILL_ACTIVE,
            create_time: create + ticks_from_millis(plan.def.created_ms),
            exit_time: 0,
            kernel_time: ticks_from_millis(plan.def.kernel_ms),
            user_time: ticks_from_millis(plan.def.user_ms),
            start_address: scene.start_address,
            affinity: super::process::AFFINITY,
        })
        .collect();
    dump = dump.add_stream(thread_info_list(&infos));

    // ModuleList.
    let mut module_list = ListStream::new(stream::MODULE_LIST, LE);
    for m in &s.layout.modules {
        let (entry, name, cv) = ModuleEntry::new(&m.facts(SEED));
        module_list = module_list.add(entry);
        dump = dump.add(name).add(cv);
    }
    dump = dump.add_stream(module_list);

    // UnloadedModuleList.
    let mut unloaded = ExListStream::new(stream::UNLOADED_MODULE_LIST, 24, LE);
    for &(name, base, size, timestamp) in &s.layout.unloaded {
        let path = minidump_synth::DumpString::new(&format!(r"D:\Windows\system32\{name}"), LE);
        let checksum = size - size / 9;
        unloaded = unloaded.add(UnloadedModule::new(LE, base, size, &path, timestamp, checksum));
        dump = dump.add(path);
    }
    dump = dump.add_stream(unloaded);

    // MemoryInfoList.
    dump = dump.add_stream(memory_info_list(&s.layout.space.regions()));

    // Exception, with the faulting CONTEXT.
    let exception_context = Blob::new(&context_amd64_bytes(&s.crash.regs));
    let location = exception_context.location();
    let crash_tid = s.plans.get(s.crash.thread).map(|p| p.def.tid).ok_or_else(|| SynthError::Inconsistent {
        what: "exception".to_string(),
        why: "names a thread that does not exist".to_string(),
    })?;
    dump = dump.add(exception_context).add_stream(exception_stream(
        &ExceptionFacts {
            thread_id: crash_tid,
            code: STATUS_ACCESS_VIOLATION,
            flags: 0,
            address: s.crash.address,
            parameters: s.crash.parameters.to_vec(),
        },
        &location,
    ));

    // SystemInfo.
    let (sysinfo, csd) = system_info(&system_facts());
    dump = dump.add(csd).add_stream(sysinfo);

    // MiscInfo (MINIDUMP_MISC_INFO_2).
    let user_ms: u64 = s.plans.iter().map(|p| p.def.user_ms).sum();
    let kernel_ms: u64 = s.plans.iter().map(|p| p.def.kernel_ms).sum();
    let mut misc = MiscStream::new(LE);
    misc.process_id = Some(PID);
    misc.process_times = Some(MiscFieldsProcessTimes {
        process_create_time: PROCESS_CREATE_UNIX as u32,
        process_user_time: (user_ms / 1000) as u32,
        process_kernel_time: (kernel_ms / 1000) as u32,
    });
    misc.power_info = Some(MiscFieldsPowerInfo {
        processor_max_mhz: 2400,
        processor_current_mhz: 2400,
        processor_mhz_limit: 2400,
        processor_max_idle_state: 1,
        processor_current_idle_state: 1,
    });
    dump = dump.add_stream(misc);

    // HandleData.
    let (handle_stream, strings) = handle_data(s.handles);
    for string in strings {
        dump = dump.add(string);
    }
    dump = dump.add_stream(handle_stream);

    // CommentStreamW.
    dump = dump.add_stream(comment_stream(COMMENT));

    // Memory64List, its data block last.
    let (memory_stream, memory_data) = memory.into_parts();
    dump = dump.add_stream(memory_stream).add(memory_data);

    let mut bytes = dump.finish().ok_or(SynthError::Unresolved)?;
    if let Some(stamp) = bytes.get_mut(HEADER_TIME_DATE_STAMP..HEADER_TIME_DATE_STAMP + 4) {
        stamp.copy_from_slice(&(CRASH_UNIX as u32).to_le_bytes());
    }
    Ok(bytes)
}
