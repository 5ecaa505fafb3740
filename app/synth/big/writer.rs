//! The streaming minidump writer. minidump-synth assembles a whole dump in
//! memory (sections, labels, then one `Vec<u8>`), which a dump of millions of
//! regions and gigabytes of memory cannot afford; this writer computes every
//! offset first and then streams the file through a `BufWriter`: header and
//! directory, the small streams (SystemInfo, MiscInfo, CommentStreamW, thread
//! contexts, ThreadList, ThreadInfoList, module names and CodeView records,
//! ModuleList, Exception), the MemoryInfoList and the Memory64List descriptors
//! entry by entry, then the data block, made a chunk at a time by `fill.rs`.
//! Memory use is the plan's metadata (tens of bytes per region), not the dump.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::captures::Content;
use super::fill::Filler;
use super::plan::Plan;
use super::process::{AFFINITY, DUMP_UNIX, PROCESS_CREATE_UNIX, pid, system_facts};
use super::spec::{BigDumpSpec, BigDumpSummary};
use super::streams::{self, DIRECTORY_ENTRY_SIZE, HEADER_SIZE, Location, THREAD_SIZE, THREAD_STACK_RVA, ThreadRecord};
use super::threads::crash_thread;
use crate::synth::context::context_amd64_bytes;
use crate::synth::error::SynthError;
use crate::synth::exception::ExceptionFacts;
use crate::synth::threadinfo::ThreadInfo;
use crate::synth::winnt::{
    NORMAL_PRIORITY_CLASS, STATUS_ACCESS_VIOLATION, STILL_ACTIVE, filetime_from_unix, stream, ticks_from_millis,
};

/// `MiscInfoStream`.
const MISC_INFO: u32 = 15;
/// `MiniDumpWithFullMemory | MiniDumpWithFullMemoryInfo | MiniDumpWithThreadInfo`.
const FLAGS: u64 = 0x0002 | 0x0800 | 0x1000;
/// Streams in the directory.
const STREAMS: usize = 9;

/// Write the dump `spec` describes to `path`. The spec is validated first; a
/// file that fails half-way is removed.
pub fn write_big_dump(spec: &BigDumpSpec, path: &Path) -> Result<BigDumpSummary, SynthError> {
    let plan = Plan::new(spec)?;
    let front = Front::build(&plan, spec)?;
    let io = |source| SynthError::Io { path: path.to_path_buf(), source };
    let file = File::create(path).map_err(io)?;
    let written = match stream_file(&plan, spec.seed, &front, file) {
        Ok(n) => n,
        Err(e) => {
            // Best effort: the error that matters is the one being returned.
            let _ = std::fs::remove_file(path);
            return Err(io(e));
        }
    };
    let captured: u64 = plan.captures.iter().map(|c| c.bytes).sum();
    if written != front.data_start + captured {
        return Err(SynthError::Inconsistent {
            what: path.display().to_string(),
            why: format!("{written} bytes written, {} planned", front.data_start + captured),
        });
    }
    Ok(BigDumpSummary {
        regions: plan.regions.len() as u64,
        threads: plan.skeleton.threads.len() as u32,
        modules: plan.skeleton.modules.len() as u32,
        captured_bytes: captured,
        memory_ranges: plan.captures.len() as u64,
        file_bytes: written,
    })
}

/// A writer that counts what goes through it (the output may be a pipe or a
/// device, whose length says nothing).
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn stream_file(plan: &Plan, seed: u64, front: &Front, file: File) -> std::io::Result<u64> {
    let mut out = Counting { inner: BufWriter::with_capacity(4 << 20, file), bytes: 0 };
    out.write_all(&front.bytes)?;
    out.write_all(&streams::memory_info_header(plan.regions.len() as u64))?;
    for r in &plan.regions {
        out.write_all(&streams::memory_info(r))?;
    }
    out.write_all(&streams::memory64_header(plan.captures.len() as u64, front.data_start))?;
    for c in &plan.captures {
        out.write_all(&streams::memory64_descriptor(c.base, c.bytes))?;
    }
    let mut filler = Filler::new(plan, seed);
    for c in &plan.captures {
        filler.write(c, &mut out)?;
    }
    out.flush()?;
    Ok(out.bytes)
}

/// Everything before the MemoryInfoList, and where the data block starts.
struct Front {
    bytes: Vec<u8>,
    data_start: u64,
}

impl Front {
    fn build(plan: &Plan, spec: &BigDumpSpec) -> Result<Self, SynthError> {
        let sk = &plan.skeleton;
        let mut f = Front { bytes: vec![0; HEADER_SIZE + STREAMS * DIRECTORY_ENTRY_SIZE], data_start: 0 };
        let mut dir: Vec<(u32, Location)> = Vec::with_capacity(STREAMS);

        let facts = system_facts();
        let csd = f.push(&streams::minidump_string(&facts.csd_version));
        dir.push((stream::SYSTEM_INFO, f.push(&streams::system_info(&facts, csd.1))));
        let user_ms: u64 = sk.threads.iter().map(|t| t.user_ms).sum();
        let kernel_ms: u64 = sk.threads.iter().map(|t| t.kernel_ms).sum();
        let misc = streams::misc_info(
            pid(spec.seed),
            PROCESS_CREATE_UNIX as u32,
            (user_ms / 1000) as u32,
            (kernel_ms / 1000) as u32,
        );
        dir.push((MISC_INFO, f.push(&misc)));
        let comment = format!(
            "memscape synth: a synthetic Windows 10 x64 full-memory dump ({} regions, {} threads, {} DLLs, seed {}); \
             every address and byte is made up.",
            spec.regions, spec.threads, spec.modules, spec.seed
        );
        dir.push((stream::COMMENT_W, f.push(&streams::comment(&comment))));

        // Contexts, then the thread list that points at them and at the stacks.
        let crash = crash_thread(spec.threads);
        let regs: Vec<_> = sk.threads.iter().map(|t| t.registers(&plan.pool, spec.seed)).collect();
        let contexts: Vec<Location> = regs.iter().map(|r| f.push(&context_amd64_bytes(r))).collect();
        let mut list = Vec::with_capacity(4 + sk.threads.len() * THREAD_SIZE);
        list.extend_from_slice(&(sk.threads.len() as u32).to_le_bytes());
        for (t, &context) in sk.threads.iter().zip(&contexts) {
            list.extend_from_slice(&streams::thread(&ThreadRecord {
                id: t.tid,
                priority: t.priority,
                priority_class: NORMAL_PRIORITY_CLASS,
                teb: t.teb,
                stack_start: t.rsp(),
                stack_size: u32::try_from(t.extent_bytes).unwrap_or(u32::MAX),
                context,
            }));
        }
        let thread_list = f.push(&list);
        dir.push((stream::THREAD_LIST, thread_list));

        let create = filetime_from_unix(PROCESS_CREATE_UNIX, 0);
        let infos: Vec<ThreadInfo> = sk
            .threads
            .iter()
            .map(|t| ThreadInfo {
                id: t.tid,
                dump_flags: 0,
                dump_error: 0,
                exit_status: STILL_ACTIVE,
                create_time: create + ticks_from_millis(t.created_ms),
                exit_time: 0,
                kernel_time: ticks_from_millis(t.kernel_ms),
                user_time: ticks_from_millis(t.user_ms),
                start_address: t.start_address,
                affinity: AFFINITY,
            })
            .collect();
        dir.push((stream::THREAD_INFO_LIST, f.push(&streams::thread_info_list(&infos))));

        let mut modules = Vec::with_capacity(4 + sk.modules.len() * 108);
        modules.extend_from_slice(&(sk.modules.len() as u32).to_le_bytes());
        for m in &sk.modules {
            let name = f.push(&streams::minidump_string(&m.facts.path));
            let cv = f.push(&streams::codeview(&m.facts));
            modules.extend_from_slice(&streams::module(&m.facts, name.1, cv));
        }
        dir.push((stream::MODULE_LIST, f.push(&modules)));

        // The crash: a read through a NULL member pointer in application code.
        let crashed = sk.threads.get(crash).ok_or_else(|| SynthError::Inconsistent {
            what: "exception".into(),
            why: "the crashing thread does not exist".into(),
        })?;
        let context = f.push(&context_amd64_bytes(&regs[crash]));
        let facts = ExceptionFacts {
            thread_id: crashed.tid,
            code: STATUS_ACCESS_VIOLATION,
            flags: 0,
            address: crashed.rip(),
            parameters: vec![0, 0x18],
        };
        dir.push((stream::EXCEPTION, f.push(&streams::exception(&facts, context))));

        // The big streams follow the front; the data block follows them.
        f.pad();
        let info_rva = f.bytes.len() as u64;
        let info_size = streams::MEMORY_INFO_HEADER_SIZE + streams::MEMORY_INFO_SIZE * plan.regions.len() as u64;
        let m64_rva = info_rva + info_size;
        let m64_size = streams::MEMORY64_HEADER_SIZE + streams::MEMORY64_DESCRIPTOR_SIZE * plan.captures.len() as u64;
        f.data_start = m64_rva + m64_size;
        dir.push((
            stream::MEMORY_INFO_LIST,
            (u32_of(info_size, "MemoryInfoList")?, u32_of(info_rva, "MemoryInfoList")?),
        ));
        dir.push((stream::MEMORY64_LIST, (u32_of(m64_size, "Memory64List")?, u32_of(m64_rva, "Memory64List")?)));

        // Stack descriptors carry 32-bit RVAs into the data block.
        let mut offset = f.data_start;
        let mut stack_rvas = vec![None; sk.threads.len()];
        for c in &plan.captures {
            if let Content::Stack(i) = c.content
                && let Some(t) = sk.threads.get(i as usize)
            {
                stack_rvas[i as usize] = Some(offset + (t.rsp() - c.base));
            }
            offset += c.bytes;
        }
        for (i, rva) in stack_rvas.into_iter().enumerate() {
            let what = format!("stack of thread #{i}");
            let rva = u32_of(
                rva.ok_or_else(|| SynthError::Inconsistent { what: what.clone(), why: "not captured".into() })?,
                &what,
            )?;
            let at = thread_list.1 as usize + 4 + i * THREAD_SIZE + THREAD_STACK_RVA;
            f.bytes[at..at + 4].copy_from_slice(&rva.to_le_bytes());
        }

        let header = streams::header(STREAMS as u32, HEADER_SIZE as u32, DUMP_UNIX as u32, FLAGS);
        f.bytes[..HEADER_SIZE].copy_from_slice(&header);
        for (i, (ty, at)) in dir.iter().enumerate() {
            let o = HEADER_SIZE + i * DIRECTORY_ENTRY_SIZE;
            f.bytes[o..o + DIRECTORY_ENTRY_SIZE].copy_from_slice(&streams::directory_entry(*ty, *at));
        }
        Ok(f)
    }

    /// Append `data` at the next 8-byte boundary; where it went.
    fn push(&mut self, data: &[u8]) -> Location {
        self.pad();
        let rva = self.bytes.len() as u32;
        self.bytes.extend_from_slice(data);
        (data.len() as u32, rva)
    }

    fn pad(&mut self) {
        self.bytes.resize(self.bytes.len().next_multiple_of(8), 0);
    }
}

/// `v` as a 32-bit size or RVA.
fn u32_of(v: u64, what: &str) -> Result<u32, SynthError> {
    u32::try_from(v).map_err(|_| SynthError::Inconsistent {
        what: what.to_string(),
        why: format!("lies at {v:#x}, past the 4 GiB a 32-bit RVA reaches"),
    })
}
