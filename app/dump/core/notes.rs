//! The notes of a Linux core, decoded: threads and their registers
//! (NT_PRSTATUS), the process (NT_PRPSINFO), the signal (NT_SIGINFO), the
//! auxiliary vector (NT_AUXV) and the file mappings (NT_FILE). The layouts
//! are the kernel's (`elf_prstatus`, `elf_prpsinfo`, `siginfo_t`, the NT_FILE
//! table) for 64-bit x86-64 and AArch64; every length is checked against the
//! note before it is read, and a note too short for its type is skipped with
//! a warning.

use std::collections::BTreeMap;

use super::elf::{Machine, Note};

pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRPSINFO: u32 = 3;
pub const NT_AUXV: u32 = 6;
pub const NT_SIGINFO: u32 = 0x5349_4749;
pub const NT_FILE: u32 = 0x4649_4c45;
/// `AT_SYSINFO_EHDR`: where the vDSO is mapped.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// `AT_ENTRY`: the executable's entry point.
pub const AT_ENTRY: u64 = 9;
/// `AT_PHDR`: where the executable's program headers are mapped.
pub const AT_PHDR: u64 = 3;
/// `AT_EXECFN`: the address of the executable's file name as exec'd.
pub const AT_EXECFN: u64 = 31;

/// Where `pr_reg` starts in `elf_prstatus` on 64-bit Linux.
const PR_REG: usize = 112;

/// A thread's registers, as the kernel saved them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registers {
    /// `user_regs_struct`: r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8,
    /// rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss, fs_base,
    /// gs_base, ds, es, fs, gs.
    X86_64([u64; 27]),
    /// `user_pt_regs`: x0..x30, sp, pc, pstate.
    Aarch64([u64; 34]),
}

impl Registers {
    pub fn ip(&self) -> u64 {
        match self {
            Registers::X86_64(r) => r[16],
            Registers::Aarch64(r) => r[32],
        }
    }

    pub fn sp(&self) -> u64 {
        match self {
            Registers::X86_64(r) => r[19],
            Registers::Aarch64(r) => r[31],
        }
    }
}

/// One thread (NT_PRSTATUS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadNote {
    pub tid: u32,
    /// `pr_cursig`: the signal the thread is stopped by (0: none).
    pub signal: u32,
    pub user_time_ms: u64,
    pub system_time_ms: u64,
    pub registers: Registers,
    /// The NT_SIGINFO that follows this thread's NT_PRSTATUS, if any.
    pub siginfo: Option<SigInfo>,
}

/// `siginfo_t`'s first fields and, for faults, the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    /// `si_addr` (meaningful for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
    pub addr: u64,
}

/// NT_PRPSINFO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessNote {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    /// The executable's name, at most 16 bytes (`pr_fname`).
    pub fname: String,
    /// The first 80 bytes of the command line, arguments separated by spaces.
    pub psargs: String,
}

/// One NT_FILE entry: a file-backed mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMapping {
    pub start: u64,
    pub end: u64,
    /// Offset into the file, in bytes.
    pub offset: u64,
    pub path: String,
}

/// Everything the notes say.
#[derive(Debug, Default)]
pub struct Notes {
    pub threads: Vec<ThreadNote>,
    pub process: Option<ProcessNote>,
    pub auxv: Vec<(u64, u64)>,
    pub files: Vec<FileMapping>,
    /// Note types seen: name -> (type, count, bytes), for the Info panel.
    pub seen: BTreeMap<String, (u32, u32, u64)>,
    pub warnings: Vec<String>,
}

impl Notes {
    /// The value of auxiliary vector entry `key`.
    pub fn aux(&self, key: u64) -> Option<u64> {
        self.auxv.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// A NUL-terminated string in a fixed field.
fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A note type's name, as readelf prints it.
fn type_name(n: &Note<'_>) -> String {
    match (n.name, n.n_type) {
        (b"CORE", NT_PRSTATUS) => "NT_PRSTATUS".into(),
        (b"CORE", 2) => "NT_FPREGSET".into(),
        (b"CORE", NT_PRPSINFO) => "NT_PRPSINFO".into(),
        (b"CORE", NT_AUXV) => "NT_AUXV".into(),
        (b"CORE", NT_SIGINFO) => "NT_SIGINFO".into(),
        (b"CORE", NT_FILE) => "NT_FILE".into(),
        (b"LINUX", 0x202) => "NT_X86_XSTATE".into(),
        (name, t) => format!("{} 0x{t:x}", String::from_utf8_lossy(name)),
    }
}

/// Decodes every note of a core of `machine`.
pub fn decode(notes: &[Note<'_>], machine: Machine) -> Notes {
    let mut out = Notes::default();
    for n in notes {
        let seen = out.seen.entry(type_name(n)).or_insert((n.n_type, 0, 0));
        seen.1 += 1;
        seen.2 += n.desc.len() as u64;
        if n.name != b"CORE" {
            continue;
        }
        match n.n_type {
            NT_PRSTATUS => match prstatus(n.desc, machine) {
                Some(t) => out.threads.push(t),
                None => {
                    out.warnings.push(format!("an NT_PRSTATUS note of {} bytes is too short; skipped", n.desc.len()))
                }
            },
            NT_PRPSINFO if out.process.is_none() => out.process = prpsinfo(n.desc),
            NT_SIGINFO => {
                if let (Some(si), Some(t)) = (siginfo(n.desc), out.threads.last_mut()) {
                    t.siginfo = Some(si);
                }
            }
            NT_AUXV if out.auxv.is_empty() => {
                out.auxv = n.desc.chunks_exact(16).filter_map(|c| Some((u64_at(c, 0)?, u64_at(c, 8)?))).collect();
            }
            NT_FILE if out.files.is_empty() => match file_table(n.desc) {
                Ok(f) => out.files = f,
                Err(why) => out.warnings.push(format!("the NT_FILE note is damaged ({why}): file names are missing")),
            },
            _ => {}
        }
    }
    out
}

fn timeval_ms(b: &[u8], at: usize) -> u64 {
    let s = u64_at(b, at).unwrap_or(0);
    let us = u64_at(b, at + 8).unwrap_or(0);
    s.saturating_mul(1000).saturating_add(us / 1000)
}

fn prstatus(d: &[u8], machine: Machine) -> Option<ThreadNote> {
    let count = match machine {
        Machine::X86_64 => 27,
        Machine::Aarch64 => 34,
    };
    let regs: Vec<u64> = (0..count).map(|i| u64_at(d, PR_REG + 8 * i)).collect::<Option<_>>()?;
    let registers = match machine {
        Machine::X86_64 => Registers::X86_64(regs.try_into().ok()?),
        Machine::Aarch64 => Registers::Aarch64(regs.try_into().ok()?),
    };
    Some(ThreadNote {
        tid: u32_at(d, 32)?,
        signal: u32::from(u16::from_le_bytes(d.get(12..14)?.try_into().ok()?)),
        user_time_ms: timeval_ms(d, 48),
        system_time_ms: timeval_ms(d, 64),
        registers,
        siginfo: None,
    })
}

fn prpsinfo(d: &[u8]) -> Option<ProcessNote> {
    Some(ProcessNote {
        uid: u32_at(d, 16)?,
        pid: u32_at(d, 24)?,
        ppid: u32_at(d, 28)?,
        fname: c_string(d.get(40..56)?),
        psargs: c_string(d.get(56..136)?).trim_end().to_string(),
    })
}

fn siginfo(d: &[u8]) -> Option<SigInfo> {
    Some(SigInfo { signo: u32_at(d, 0)?, code: u32_at(d, 8)? as i32, addr: u64_at(d, 16)? })
}

/// NT_FILE: count, page size, `count` (start, end, page offset) triples,
/// then `count` NUL-terminated paths.
fn file_table(d: &[u8]) -> Result<Vec<FileMapping>, String> {
    let count = u64_at(d, 0).ok_or("no header")?;
    let page = u64_at(d, 8).ok_or("no header")?;
    // Every entry takes 24 bytes and at least one for its name: a count the
    // note cannot hold is refused before anything is sized by it.
    let fits = (d.len().saturating_sub(16) / 25) as u64;
    if count > fits {
        return Err(format!("{count} entries claimed, room for {fits}"));
    }
    let count = count as usize;
    let mut names = d.get(16 + 24 * count..).ok_or("no names")?.split(|&c| c == 0);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let at = 16 + 24 * i;
        let (start, end, pgoff) = (u64_at(d, at), u64_at(d, at + 8), u64_at(d, at + 16));
        let (Some(start), Some(end), Some(pgoff)) = (start, end, pgoff) else { return Err("an entry is cut".into()) };
        let name = names.next().ok_or("fewer names than entries")?;
        if start < end {
            out.push(FileMapping {
                start,
                end,
                offset: pgoff.saturating_mul(page),
                path: String::from_utf8_lossy(name).into_owned(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_tables_are_bounded_by_the_note() {
        let mut d = Vec::new();
        d.extend(2u64.to_le_bytes());
        d.extend(4096u64.to_le_bytes());
        for (s, e, o) in [(0x1000u64, 0x3000u64, 0u64), (0x3000, 0x4000, 2)] {
            d.extend(s.to_le_bytes());
            d.extend(e.to_le_bytes());
            d.extend(o.to_le_bytes());
        }
        d.extend(b"/bin/a\0/lib/b.so\0");
        let f = file_table(&d).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!((f[1].start, f[1].offset, f[1].path.as_str()), (0x3000, 0x2000, "/lib/b.so"));
        // A count far beyond the note is refused, not allocated.
        d[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(file_table(&d).is_err());
        assert!(file_table(&d[..10]).is_err());
    }

    #[test]
    fn short_notes_are_skipped() {
        assert!(prstatus(&[0u8; 100], Machine::X86_64).is_none());
        assert!(prpsinfo(&[0u8; 50]).is_none());
        assert!(siginfo(&[0u8; 8]).is_none());
    }
}
