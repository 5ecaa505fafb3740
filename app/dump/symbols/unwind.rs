//! Unwinding with a module's own unwind tables through framehop: PE
//! `.pdata`/`.xdata` (Windows x64), ELF `.eh_frame`/`.eh_frame_hdr` and
//! `.debug_frame`, for x86-64 and AArch64. The glue to minidump-unwind's
//! `FrameWalker` follows minidump-unwind's own `DebugInfoSymbolProvider`
//! (feature `debuginfo`), which cannot be used as it is: it opens only the
//! path the dump records (no symbol folders, no identity check) and panics on
//! any other CPU.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Mutex;

use framehop::{FrameAddress, Unwinder as _};
use minidump_unwind::FrameWalker;
use object::{Object, ObjectSection, ObjectSegment};

use super::mapped::{Bytes, SymbolFile};

type Module = framehop::Module<Bytes>;

/// One unwinder for every module whose binary was found.
pub struct Unwinder {
    arch: Arch,
    /// The bases of the modules added: framehop falls back to frame pointers
    /// for any other address, which must not pass for call frame information.
    bases: HashSet<u64>,
}

enum Arch {
    X86_64(framehop::x86_64::UnwinderX86_64<Bytes>, Mutex<framehop::x86_64::CacheX86_64>),
    Aarch64(framehop::aarch64::UnwinderAarch64<Bytes>, Mutex<framehop::aarch64::CacheAarch64>),
}

impl Unwinder {
    /// An empty unwinder for the dump's CPU (the model's name of it);
    /// `None` for CPUs framehop does not unwind.
    pub fn for_cpu(cpu: &str) -> Option<Unwinder> {
        match cpu {
            "amd64" | "x86_64" => Some(Arch::X86_64(Default::default(), Default::default())),
            "arm64" | "aarch64" => Some(Arch::Aarch64(Default::default(), Default::default())),
            _ => None,
        }
        .map(|arch| Unwinder { arch, bases: HashSet::new() })
    }

    /// Adds `binary`, loaded at `base` for `size` bytes; false when it has no
    /// unwind tables framehop reads.
    pub fn add(&mut self, binary: &SymbolFile, base: u64, size: u64) -> bool {
        super::guard::guarded(|| Ok(self.add_unguarded(binary, base, size))).unwrap_or(false)
    }

    fn add_unguarded(&mut self, binary: &SymbolFile, base: u64, size: u64) -> bool {
        let Ok(obj) = object::File::parse(binary.bytes()) else { return false };
        let Some(end) = base.checked_add(size) else { return false };
        let has_tables = [".pdata", ".eh_frame", ".debug_frame"]
            .iter()
            .any(|n| obj.section_by_name(n).is_some_and(|s| s.file_range().is_some()));
        if !has_tables {
            return false;
        }
        let info = Sections { obj: &obj, file: binary };
        let module = Module::new(binary.path.display().to_string(), base..end, base, info);
        match &mut self.arch {
            Arch::X86_64(u, _) => u.add_module(module),
            Arch::Aarch64(u, _) => u.add_module(module),
        }
        self.bases.insert(base);
        true
    }

    /// Recovers the caller's stack pointer, return address and frame pointer
    /// of the walker's frame in the module at `base`; `None` when that
    /// module's tables were not added or do not cover the address.
    pub fn unwind_frame(&self, base: u64, walker: &mut (dyn FrameWalker + Send)) -> Option<()> {
        if !self.bases.contains(&base) {
            return None;
        }
        let ip = walker.get_instruction();
        let address = if walker.has_grand_callee() {
            // The walker's instruction is the return address less one.
            FrameAddress::from_return_address(ip.checked_add(1)?)?
        } else {
            FrameAddress::from_instruction_pointer(ip)
        };
        let mut read = |addr: u64| walker.get_register_at_address(addr).ok_or(());
        match &self.arch {
            Arch::X86_64(u, cache) => {
                let sp = walker.get_callee_register("rsp")?;
                let bp = walker.get_callee_register("rbp").unwrap_or(0);
                let mut regs = framehop::x86_64::UnwindRegsX86_64::new(ip, sp, bp);
                let mut cache = cache.lock().ok()?;
                let ra = u.unwind_frame(address, &mut regs, &mut cache, &mut read).ok()?;
                drop(cache);
                walker.set_ra(ra?)?;
                walker.set_cfa(regs.sp())?;
                walker.set_caller_register("rbp", regs.bp())?;
            }
            Arch::Aarch64(u, cache) => {
                let sp = walker.get_callee_register("sp")?;
                let fp = walker.get_callee_register("fp").unwrap_or(0);
                let lr = walker.get_callee_register("lr").unwrap_or(0);
                let mut regs = framehop::aarch64::UnwindRegsAarch64::new(lr, sp, fp);
                let mut cache = cache.lock().ok()?;
                let ra = u.unwind_frame(address, &mut regs, &mut cache, &mut read).ok()?;
                drop(cache);
                walker.set_ra(ra?)?;
                walker.set_cfa(regs.sp())?;
                walker.set_caller_register("lr", regs.lr())?;
                walker.set_caller_register("fp", regs.fp())?;
            }
        }
        Some(())
    }
}

/// The section data framehop asks for, as slices of the mapped file.
struct Sections<'a, 'data> {
    obj: &'a object::File<'data>,
    file: &'a SymbolFile,
}

impl framehop::ModuleSectionInfo<Bytes> for Sections<'_, '_> {
    fn base_svma(&self) -> u64 {
        base_svma(self.obj)
    }

    fn section_svma_range(&mut self, name: &[u8]) -> Option<Range<u64>> {
        let s = self.obj.section_by_name_bytes(name)?;
        Some(s.address()..s.address().checked_add(s.size())?)
    }

    fn section_data(&mut self, name: &[u8]) -> Option<Bytes> {
        let (offset, size) = self.obj.section_by_name_bytes(name)?.file_range()?;
        self.file.slice(offset..offset.checked_add(size)?)
    }

    fn segment_svma_range(&mut self, name: &[u8]) -> Option<Range<u64>> {
        let s = self.obj.segments().find(|s| s.name_bytes() == Ok(Some(name)))?;
        Some(s.address()..s.address().checked_add(s.size())?)
    }

    fn segment_data(&mut self, name: &[u8]) -> Option<Bytes> {
        let s = self.obj.segments().find(|s| s.name_bytes() == Ok(Some(name)))?;
        let (offset, size) = s.file_range();
        self.file.slice(offset..offset.checked_add(size)?)
    }
}

/// The address the module's base corresponds to in the file's own address
/// space: a PE's image base; for ELF the lowest loadable segment's address
/// less its file offset (0 for shared objects and PIE, 0x400000 for a
/// classic executable), which is what the dump's module base maps to.
pub fn base_svma(obj: &object::File<'_>) -> u64 {
    match obj {
        object::File::Elf32(_) | object::File::Elf64(_) => {
            obj.segments().filter_map(|s| s.address().checked_sub(s.file_range().0)).min().map_or(0, |b| b & !0xfff)
        }
        _ => obj.relative_address_base(),
    }
}
