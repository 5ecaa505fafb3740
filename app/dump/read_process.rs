//! Process facts: pid, times (MiscInfo), and on Linux the pid from
//! /proc/pid/status and the command line (LinuxCmdLine).

use minidump::{Minidump, MinidumpLinuxProcStatus, MinidumpMiscInfo};
use std::time::UNIX_EPOCH;

use super::model::ProcessInfo;

/// Longest command line kept; longer ones are cut, not refused.
const MAX_COMMAND_LINE_BYTES: usize = 64 * 1024;

pub(crate) fn read_process<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    misc: Option<&MinidumpMiscInfo>,
) -> ProcessInfo {
    let mut p = ProcessInfo { dump_time_unix: u64::from(dump.header.time_date_stamp), ..Default::default() };
    if let Some(misc) = misc {
        p.process_id = misc.raw.process_id().copied();
        p.create_time_unix =
            misc.process_create_time().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs());
        p.user_time_s = misc.raw.process_user_time().copied();
        p.kernel_time_s = misc.raw.process_kernel_time().copied();
    }
    if p.process_id.is_none()
        && let Ok(status) = dump.get_stream::<MinidumpLinuxProcStatus>()
    {
        p.process_id = status
            .iter()
            .find(|(k, _)| k.as_bytes() == b"Pid")
            .and_then(|(_, v)| std::str::from_utf8(v.as_bytes()).ok()?.trim().parse().ok());
    }
    let cmdline_type = minidump::format::MINIDUMP_STREAM_TYPE::LinuxCmdLine as u32;
    if let Ok(raw) = dump.get_raw_stream(cmdline_type) {
        let raw = &raw[..raw.len().min(MAX_COMMAND_LINE_BYTES)];
        let args: Vec<String> =
            raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if !args.is_empty() {
            p.command_line = Some(args.join(" "));
        }
    }
    p
}
