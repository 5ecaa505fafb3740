//! ThreadList, ThreadNames, ThreadInfoList and the Exception stream: who ran,
//! where their stacks are, and which one crashed.

use minidump::{
    Minidump, MinidumpException, MinidumpMiscInfo, MinidumpSystemInfo, MinidumpThreadInfoList, MinidumpThreadList,
    MinidumpThreadNames,
};

use super::captured::CapturedRange;
use super::exception_names::{exception_name, is_windows_access_fault};
use super::model::{AccessKind, ExceptionInfo, Platform, Thread};

/// FILETIME (100 ns since 1601) to Unix seconds.
fn filetime_to_unix(ft: u64) -> Option<u64> {
    const EPOCH_DIFF_S: u64 = 11_644_473_600;
    (ft / 10_000_000).checked_sub(EPOCH_DIFF_S)
}

/// Threads, plus the stack ranges the ThreadList points at (to be counted as captured memory).
pub(crate) fn read_threads<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    system: Option<&MinidumpSystemInfo>,
    misc: Option<&MinidumpMiscInfo>,
    file_len: u64,
    warnings: &mut Vec<String>,
) -> (Vec<Thread>, Vec<CapturedRange>) {
    let list = match dump.get_stream::<MinidumpThreadList>() {
        Ok(list) => list,
        Err(minidump::Error::StreamNotFound) => {
            warnings.push("no ThreadList stream".into());
            return (Vec::new(), Vec::new());
        }
        Err(e) => {
            warnings.push(format!("ThreadList unreadable: {e}"));
            return (Vec::new(), Vec::new());
        }
    };
    let names = dump.get_stream::<MinidumpThreadNames>().ok();
    let infos = match dump.get_stream::<MinidumpThreadInfoList>() {
        Ok(i) => Some(i),
        Err(minidump::Error::StreamNotFound) => None,
        Err(e) => {
            warnings.push(format!("ThreadInfoList unreadable: {e}"));
            None
        }
    };
    let mut stacks = Vec::new();
    let mut bad_context = 0usize;
    let threads = list
        .threads
        .iter()
        .map(|t| {
            let raw = &t.raw;
            let stack_start = raw.stack.start_of_memory_range;
            let stack_size = u64::from(raw.stack.memory.data_size);
            let stack_rva = u64::from(raw.stack.memory.rva);
            let in_file = stack_rva.saturating_add(stack_size) <= file_len;
            let captured = if in_file && stack_size > 0 { stack_size } else { 0 };
            if captured > 0 {
                stacks.push(CapturedRange { base_addr: stack_start, size_bytes: captured, file_offset: stack_rva });
            }
            let context = system.and_then(|s| t.context(s, misc));
            if context.is_none() && raw.thread_context.data_size > 0 {
                bad_context += 1;
            }
            let info = infos.as_ref().and_then(|i| i.get_thread_info(raw.thread_id));
            Thread {
                id: raw.thread_id,
                name: names
                    .as_ref()
                    .and_then(|n| n.get_name(raw.thread_id))
                    .filter(|n| !n.is_empty())
                    .map(|n| n.into_owned()),
                crashed: false,
                teb_addr: raw.teb,
                stack_start_addr: stack_start,
                stack_end_addr: stack_start.saturating_add(stack_size),
                stack_captured_bytes: captured,
                sp: context.as_ref().map(|c| c.get_stack_pointer()),
                ip: context.as_ref().map(|c| c.get_instruction_pointer()),
                suspend_count: raw.suspend_count,
                priority: raw.priority,
                user_time_ms: info.map(|i| i.raw.user_time / 10_000),
                kernel_time_ms: info.map(|i| i.raw.kernel_time / 10_000),
                create_time_unix: info.and_then(|i| filetime_to_unix(i.raw.create_time)),
                start_addr: info.map(|i| i.raw.start_address),
                dump_flags: info.map(|i| i.raw.dump_flags),
                exit_status: info.map(|i| i.raw.exit_status),
            }
        })
        .collect();
    if bad_context > 0 {
        warnings.push(format!("{bad_context} thread contexts could not be read (no SP/IP for them)"));
    }
    (threads, stacks)
}

pub(crate) fn read_exception<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    platform: Platform,
    system: Option<&MinidumpSystemInfo>,
    misc: Option<&MinidumpMiscInfo>,
    pointer_bits: u32,
    warnings: &mut Vec<String>,
) -> Option<ExceptionInfo> {
    let ex = match dump.get_stream::<MinidumpException>() {
        Ok(e) => e,
        Err(minidump::Error::StreamNotFound) => return None,
        Err(e) => {
            warnings.push(format!("Exception stream unreadable: {e}"));
            return None;
        }
    };
    let rec = &ex.raw.exception_record;
    let mask = |a: u64| if pointer_bits == 32 { a & 0xFFFF_FFFF } else { a };
    let n = (rec.number_parameters as usize).min(rec.exception_information.len());
    let parameters: Vec<u64> = rec.exception_information[..n].iter().map(|p| mask(*p)).collect();
    let detail = system.map(|s| ex.get_crash_reason(s.os, s.cpu).to_string()).unwrap_or_default();
    let name = exception_name(platform, rec.exception_code)
        .map(str::to_string)
        .unwrap_or_else(|| if detail.is_empty() { format!("0x{:08x}", rec.exception_code) } else { detail.clone() });
    let (access, target_addr) = match platform {
        Platform::Windows if is_windows_access_fault(rec.exception_code) && parameters.len() >= 2 => {
            let access = match parameters[0] {
                0 => Some(AccessKind::Read),
                1 => Some(AccessKind::Write),
                8 => Some(AccessKind::Execute),
                _ => None,
            };
            (access, Some(parameters[1]))
        }
        // Breakpad and Crashpad store the faulting address (si_addr, the Mach
        // code[1]) as the exception address on these platforms.
        Platform::Linux if matches!(rec.exception_code, 4 | 7 | 8 | 11) => (None, Some(mask(rec.exception_address))),
        Platform::MacOs if rec.exception_code == 1 => (None, Some(mask(rec.exception_address))),
        _ => (None, None),
    };
    // Touch the context so a broken one is reported once, here.
    if system.is_some_and(|s| ex.context(s, misc).is_none()) && ex.raw.thread_context.data_size > 0 {
        warnings.push("the exception's thread context could not be read".into());
    }
    Some(ExceptionInfo {
        code: rec.exception_code,
        name,
        detail,
        flags: rec.exception_flags,
        address: mask(rec.exception_address),
        instruction_addr: system.and_then(|s| ex.context(s, misc)).map(|c| mask(c.get_instruction_pointer())),
        target_addr,
        access,
        parameters,
        thread_id: ex.thread_id,
    })
}

/// The exception context's instruction and stack pointers, which beat the
/// thread list's (those show the exception handler that wrote the dump).
pub(crate) fn exception_context_pointers<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    system: Option<&MinidumpSystemInfo>,
    misc: Option<&MinidumpMiscInfo>,
) -> Option<(u64, u64)> {
    let ex = dump.get_stream::<MinidumpException>().ok()?;
    let ctx = ex.context(system?, misc)?;
    Some((ctx.get_instruction_pointer(), ctx.get_stack_pointer()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_converts() {
        // 2011-05-14 00:00:00 UTC
        assert_eq!(filetime_to_unix(129_498_336_000_000_000), Some(1_305_360_000));
        assert_eq!(filetime_to_unix(0), None);
    }
}
