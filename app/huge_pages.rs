//! The program's allocator: the system's, except that in the window big
//! blocks are mapped on their own in transparent huge pages (Linux).
//! main.rs installs it and turns it on ([`turn_on`]) before it opens the
//! window, and so do the benchmarks that time the window.
//!
//! A million-region 3D scene writes several blocks of 100 MB and more of
//! fresh memory (the layout's boxes, the instances, the drawn copy, the
//! levels of detail), and the kernel faults them in 4 KiB at a time: on a
//! 2-core virtual machine that was 90 ms for every 128 MiB written, against
//! 7 ms for writing it once faulted, and most of a view switch. In 2 MiB
//! pages it is 14 ms. Most systems give huge pages only where they are
//! asked for (`madvise` in /sys/kernel/mm/transparent_hugepage/enabled),
//! so each block of [`HUGE_FROM`] or more is mapped here, aligned to a huge
//! page, and advised. The kernel falls back to small pages when it has no
//! huge ones; where huge pages are off (`never`) the advice does nothing.
//!
//! Smaller blocks stay glibc's: it reuses freed blocks below 32 MiB (its
//! largest threshold for mapping a block on its own), and mapping each anew
//! here made a Volume picture's draw, which allocates such blocks again and
//! again, twice as slow.
//!
//! Headless commands (`shot`, `info`, ...) keep glibc's blocks: a process
//! that builds one scene gains little (the first huge pages of a process
//! are the slowest to find), and a huge page counts whole in the resident
//! size (a million-region Volume picture's peak went from 576-592 MiB to
//! 593-604, past its 600 MiB budget).
//!
//! Why not only advise glibc's own mappings: glibc grows and moves a big
//! block with `mremap` to wherever the kernel puts it, rarely on a huge
//! page boundary, so its huge pages were split again (a million-region
//! Hilbert scene took 850 ms instead of 250). Here a block grows in place or
//! moves to an aligned place, its pages moved whole, never copied. Why
//! not another allocator (jemalloc, mimalloc): that would change every
//! small allocation too, for this one point.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Blocks this big or bigger are mapped here, in huge pages: glibc maps
/// blocks of 32 MiB and more on their own anyway (never reusing them).
const HUGE_FROM: usize = 32 << 20;

/// The size of a transparent huge page on x86-64 and AArch64 (4 KiB base
/// pages). Blocks are aligned to it and sized in whole ones.
const HUGE_PAGE: usize = 2 << 20;

/// [`System`], but once turned on, blocks of [`HUGE_FROM`] or more mapped
/// in huge pages.
pub struct HugePages;

/// Whether big blocks are mapped here ([`turn_on`]).
static ON: AtomicBool = AtomicBool::new(false);
/// Whether a big block came from the system: then it is too late to turn
/// on (that block would be unmapped here when freed).
static SYSTEM_HAD_BIG: AtomicBool = AtomicBool::new(false);

/// Maps big blocks in huge pages from now on. Call it before other threads
/// start; it does nothing (and says false) once a big block was allocated,
/// or off Linux.
pub fn turn_on() -> bool {
    if !cfg!(target_os = "linux") || SYSTEM_HAD_BIG.load(Ordering::SeqCst) {
        return false;
    }
    ON.store(true, Ordering::SeqCst);
    true
}

/// Whether a block of `layout` is one of ours (decided by its layout,
/// which Rust passes again when the block is grown or freed, and by the
/// switch, which never changes once a big block exists).
fn is_big(layout: &Layout) -> bool {
    let big = layout.size() >= HUGE_FROM && layout.align() <= HUGE_PAGE;
    if big && !ON.load(Ordering::Relaxed) {
        SYSTEM_HAD_BIG.store(true, Ordering::Relaxed);
        return false;
    }
    big
}

// SAFETY: small blocks are `System`'s, passed on as they came. A big block
// is a private anonymous mapping of whole huge pages, aligned to one (so
// to any alignment up to `HUGE_PAGE`), zeroed by the kernel, owned by
// whoever holds it until it is unmapped in `dealloc` or `realloc`.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match is_big(&layout) {
            true => big::map(layout.size()),
            // SAFETY: the caller's contract for `layout`, passed on.
            false => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match is_big(&layout) {
            // Fresh anonymous mappings are zeroed.
            true => big::map(layout.size()),
            // SAFETY: as above.
            false => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match is_big(&layout) {
            // SAFETY: a big block of this size was mapped by `big::map`.
            true => unsafe { big::unmap(block, layout.size()) },
            // SAFETY: as above.
            false => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract: `layout.align()` is valid and
        // `new_size`, rounded up to it, does not overflow isize.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_big(&layout), is_big(&new_layout)) {
            // SAFETY: a big block of `layout.size()` mapped by `big::map`.
            (true, true) => unsafe { big::remap(block, layout.size(), new_size) },
            // SAFETY: as above.
            (false, false) => unsafe { System.realloc(block, layout, new_size) },
            // Across the line: a new block, the bytes copied, the old one freed.
            _ => {
                // SAFETY: `new_layout` is valid (above); both blocks hold at
                // least the bytes copied, and the old one is freed once.
                unsafe {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    moved
                }
            }
        }
    }
}

/// The whole huge pages that hold `size` bytes (None past the address space).
fn huge_pages_for(size: usize) -> Option<usize> {
    size.checked_next_multiple_of(HUGE_PAGE)
}

#[cfg(target_os = "linux")]
mod big {
    //! Big blocks: private anonymous mappings of whole huge pages, aligned.

    use super::{HUGE_PAGE, huge_pages_for};
    use libc::{MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_FAILED, MAP_PRIVATE, PROT_READ, PROT_WRITE, c_void};

    /// A new aligned block of at least `size` bytes, advised to use huge
    /// pages; null when the system has no room.
    pub(super) fn map(size: usize) -> *mut u8 {
        let Some(len) = huge_pages_for(size) else { return std::ptr::null_mut() };
        let Some(span) = len.checked_add(HUGE_PAGE) else { return std::ptr::null_mut() };
        // SAFETY: a new private anonymous mapping (no address asked for);
        // then only parts of it are unmapped and advised.
        unsafe {
            let at = libc::mmap(std::ptr::null_mut(), span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if at == MAP_FAILED {
                return std::ptr::null_mut();
            }
            // Mapped one huge page more than needed: cut back to the aligned part.
            let start = (at as usize).next_multiple_of(HUGE_PAGE);
            let head = start - at as usize;
            if head > 0 {
                libc::munmap(at, head);
            }
            let tail = span - head - len;
            if tail > 0 {
                libc::munmap((start + len) as *mut c_void, tail);
            }
            libc::madvise(start as *mut c_void, len, MADV_HUGEPAGE);
            start as *mut u8
        }
    }

    /// Unmaps a block [`map`] made for `size` bytes.
    ///
    /// # Safety
    /// `block` came from `map(size)` (or `remap(.., size)`) and is not used again.
    pub(super) unsafe fn unmap(block: *mut u8, size: usize) {
        if let Some(len) = huge_pages_for(size) {
            // SAFETY: the block's whole mapping, which the caller gives up.
            unsafe { libc::munmap(block.cast(), len) };
        }
    }

    /// The block of `size` bytes at `block` grown or shrunk to `new_size`:
    /// in place when it can be, else moved (its pages, not their bytes) to
    /// a new aligned block. Null, the block untouched, when there is no room.
    ///
    /// # Safety
    /// As [`unmap`]: `block` came from `map(size)`; on success it is given up.
    pub(super) unsafe fn remap(block: *mut u8, size: usize, new_size: usize) -> *mut u8 {
        let (Some(len), Some(new_len)) = (huge_pages_for(size), huge_pages_for(new_size)) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `block..block + len` is the caller's mapping; the calls
        // below cut it, grow it where nothing else is mapped (mremap
        // without MAYMOVE fails rather than move or overwrite), or move
        // its pages onto a new mapping of ours and give the old range up.
        unsafe {
            if new_len <= len {
                if new_len < len {
                    libc::munmap(block.add(new_len).cast(), len - new_len);
                }
                return block;
            }
            if libc::mremap(block.cast(), len, new_len, 0) != MAP_FAILED {
                libc::madvise(block.add(len).cast(), new_len - len, MADV_HUGEPAGE);
                return block;
            }
            let moved = map(new_size);
            if moved.is_null() {
                return moved;
            }
            let flags = libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED;
            if libc::mremap(block.cast(), len, len, flags, moved.cast::<c_void>()) == MAP_FAILED {
                std::ptr::copy_nonoverlapping(block, moved, size.min(new_size));
                libc::munmap(block.cast(), len);
            }
            moved
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod big {
    //! Not reached: only Linux maps big blocks here (`is_big`).

    pub(super) fn map(_size: usize) -> *mut u8 {
        std::ptr::null_mut()
    }

    pub(super) unsafe fn unmap(_block: *mut u8, _size: usize) {}

    pub(super) unsafe fn remap(_block: *mut u8, _size: usize, _new_size: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 64).expect("a valid layout")
    }

    #[test]
    fn big_blocks_are_aligned_zeroed_and_keep_their_bytes_when_grown_or_shrunk() {
        // The allocator is not this test binary's: turning it on only
        // decides how `HugePages` itself maps what the test asks of it.
        turn_on();
        let size = HUGE_FROM + 12_345;
        // SAFETY: each block is used inside its size, resized with the
        // layout it has, and freed once.
        unsafe {
            let block = HugePages.alloc_zeroed(layout(size));
            assert!(!block.is_null());
            if ON.load(Ordering::SeqCst) {
                assert_eq!(block as usize % HUGE_PAGE, 0, "aligned to a huge page");
            }
            assert!((0..size).step_by(4093).all(|i| *block.add(i) == 0), "zeroed");
            for i in (0..size).step_by(4093) {
                block.add(i).write((i % 251) as u8);
            }
            // Another block right after, so that growing must move.
            let neighbour = HugePages.alloc(layout(HUGE_FROM));
            let (mut at, mut current, mut filled) = (block, size, size);
            for new_size in [size * 3, size * 3 + 1, HUGE_FROM, 1000, HUGE_FROM * 2] {
                at = HugePages.realloc(at, layout(current), new_size);
                assert!(!at.is_null());
                (current, filled) = (new_size, filled.min(new_size));
                let same = (0..filled).step_by(4093).all(|i| *at.add(i) == (i % 251) as u8);
                assert!(same, "bytes kept growing or shrinking to {new_size}");
            }
            HugePages.dealloc(at, layout(current));
            HugePages.dealloc(neighbour, layout(HUGE_FROM));
        }
    }

    #[test]
    fn small_blocks_and_odd_layouts_are_the_systems() {
        turn_on();
        assert!(!is_big(&layout(HUGE_FROM - 1)));
        assert!(!is_big(&Layout::from_size_align(HUGE_FROM, HUGE_PAGE * 2).expect("a valid layout")));
        assert_eq!(is_big(&layout(HUGE_FROM)), cfg!(target_os = "linux"));
        assert_eq!(huge_pages_for(1), Some(HUGE_PAGE));
        assert_eq!(huge_pages_for(HUGE_PAGE), Some(HUGE_PAGE));
        assert_eq!(huge_pages_for(usize::MAX - 3), None, "no wrap");
        // SAFETY: a small block, written inside its size, freed once.
        unsafe {
            let block = HugePages.alloc(layout(100));
            assert!(!block.is_null());
            block.write(9);
            HugePages.dealloc(block, layout(100));
        }
    }
}
