//! The captured bytes, made on the fly a chunk at a time and never held whole:
//! the special pages from the existing builders (PE headers, TEBs, the PEB,
//! heap and segment headers, the process parameters, KUSER_SHARED_DATA,
//! stacks with their return addresses) and, everywhere else, a cheap
//! deterministic fill per page: zero pages, heap-like pages (small integers,
//! text, pointers into the same range) and incompressible pages.

use std::io::Write;

use super::captures::{Capture, Content};
use super::plan::{ENVIRONMENT_OFFSET, HEAP_LIST_OFFSET, PARAMETERS_OFFSET, PROCESS_HEAP_PAGES, Plan};
use super::process::{heap_facts, heap_list_capacity, kuser_facts, peb_facts, process_parameters, teb_facts};
use crate::synth::bytes::LeBuf;
use crate::synth::heap::{heap_page, segment_page};
use crate::synth::kuser::kuser_page;
use crate::synth::peb::{heap_list_bytes, peb_page, process_parameters as params_bytes};
use crate::synth::rng::{SplitMix64, fnv1a64};
use crate::synth::stack::build_stack;
use crate::synth::teb::teb_bytes;
use crate::synth::winnt::PAGE_SIZE;

const PAGE: usize = PAGE_SIZE as usize;
/// Pages made before each write.
const CHUNK_PAGES: usize = 256;

/// Writes the bytes of each capture of a plan.
pub struct Filler<'a> {
    plan: &'a Plan,
    /// The spec's seed.
    seed: u64,
    /// The seed of the generic fill and the stack locals.
    fill_seed: u64,
    chunk: Vec<u8>,
}

impl<'a> Filler<'a> {
    /// A filler for `plan`.
    pub fn new(plan: &'a Plan, seed: u64) -> Self {
        Self { plan, seed, fill_seed: seed ^ fnv1a64(b"big fill"), chunk: Vec::with_capacity(CHUNK_PAGES * PAGE) }
    }

    /// Write `c.bytes` bytes for capture `c`.
    pub fn write(&mut self, c: &Capture, out: &mut dyn Write) -> std::io::Result<()> {
        let sk = &self.plan.skeleton;
        // Special bytes at the start of the range; the rest is filled.
        let head: Vec<u8> = match c.content {
            Content::Kuser => kuser_page(&kuser_facts()),
            Content::Peb => peb_page(&peb_facts(self.plan)),
            Content::Teb(i) => teb_facts(self.plan, i as usize, self.seed).map(|f| teb_bytes(&f)).unwrap_or_default(),
            Content::Image(i) => sk.modules.get(i as usize).map(|m| m.image.header_page()).unwrap_or_default(),
            Content::Heap(i) => sk.heaps.get(i as usize).map(|h| self.heap_head(i, h)).unwrap_or_default(),
            Content::Segment { heap, index } => sk
                .heaps
                .get(heap as usize)
                .and_then(|h| {
                    let &(_, reserved, committed) = h.segments.get(index as usize)?;
                    Some(segment_page(&heap_facts(h), index as usize, reserved, committed))
                })
                .unwrap_or_default(),
            Content::Stack(i) => return self.write_stack(c, i as usize, out),
            Content::Data => Vec::new(),
        };
        let head = &head[..head.len().min(c.bytes as usize)];
        out.write_all(head)?;
        self.write_filled(c.base + head.len() as u64, c.end(), (c.base, c.end()), out)
    }

    /// Heap `i`'s first page, and for the process heap the pages holding the
    /// environment, the process parameters and the `PEB.ProcessHeaps` array.
    fn heap_head(&self, i: u32, h: &super::heap_plan::HeapPlan) -> Vec<u8> {
        let mut head = heap_page(&heap_facts(h));
        if i == 0 {
            let mut rest = LeBuf::zeroed((PROCESS_HEAP_PAGES as usize - 1) * PAGE);
            let (params, env) =
                params_bytes(&process_parameters(), h.base + PARAMETERS_OFFSET, h.base + ENVIRONMENT_OFFSET);
            rest.put((ENVIRONMENT_OFFSET - PAGE_SIZE) as usize, &env);
            rest.put((PARAMETERS_OFFSET - PAGE_SIZE) as usize, &params);
            let bases: Vec<u64> = self.plan.skeleton.heaps.iter().map(|h| h.base).collect();
            rest.put(
                (HEAP_LIST_OFFSET - PAGE_SIZE) as usize,
                &heap_list_bytes(&bases, heap_list_capacity(bases.len())),
            );
            head.extend_from_slice(rest.as_slice());
        }
        head
    }

    /// The committed part of a stack: stale data under the page holding rsp,
    /// then the frames built by `stack::build_stack`.
    fn write_stack(&mut self, c: &Capture, i: usize, out: &mut dyn Write) -> std::io::Result<()> {
        let Some(t) = self.plan.skeleton.threads.get(i) else {
            return self.write_filled(c.base, c.end(), (c.base, c.end()), out);
        };
        let mut rng = SplitMix64::new(self.fill_seed ^ (i as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let stack = build_stack(t.stack_base(), &t.frames, &self.plan.pool, &mut rng);
        let from = stack.captured_from.clamp(c.base, c.end());
        self.write_filled(c.base, from, (c.base, c.end()), out)?;
        let skip = (from - stack.captured_from) as usize;
        out.write_all(stack.bytes.as_slice().get(skip..).unwrap_or(&[]))
    }

    /// Filled pages for `from..to` (page aligned), pointers aimed into `range`.
    fn write_filled(&mut self, from: u64, to: u64, range: (u64, u64), out: &mut dyn Write) -> std::io::Result<()> {
        let mut addr = from;
        while addr < to {
            let pages = (((to - addr) / PAGE_SIZE) as usize).clamp(1, CHUNK_PAGES);
            self.chunk.resize(pages * PAGE, 0);
            for (k, page) in self.chunk.chunks_exact_mut(PAGE).enumerate() {
                fill_page(page, addr + (k * PAGE) as u64, range, self.fill_seed);
            }
            out.write_all(&self.chunk)?;
            addr += (pages * PAGE) as u64;
        }
        Ok(())
    }
}

/// One page of generic memory at `addr`, the same for the same page and seed.
pub fn fill_page(page: &mut [u8], addr: u64, range: (u64, u64), seed: u64) {
    let mut x = SplitMix64::new(seed ^ addr).next_u64() | 1;
    let span = (range.1 - range.0).max(16);
    match x % 16 {
        // A third of the pages are zero, as in any process.
        0..=4 => page.fill(0),
        // Heap-like: zeros, small numbers, text, pointers into the range.
        5..=11 => {
            for q in page.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = match x & 7 {
                    0..=2 => 0,
                    3 => (x >> 40) & 0xFFFF,
                    4 | 5 => range.0 + (((x >> 12) % span) & !0xF),
                    6 => ((x >> 8) & 0x0F0F_0F0F_0F0F_0F0F) + 0x6161_6161_6161_6161,
                    _ => x,
                };
                q.copy_from_slice(&v.to_le_bytes());
            }
        }
        // Compressed or encrypted data.
        _ => {
            for q in page.chunks_exact_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                q.copy_from_slice(&x.to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_deterministic_and_varied() {
        let mut a = vec![0u8; PAGE];
        let mut b = vec![0u8; PAGE];
        let mut kinds = [0usize; 3];
        for p in 0..64u64 {
            let addr = 0x1_0000_0000 + p * PAGE_SIZE;
            fill_page(&mut a, addr, (0x1_0000_0000, 0x1_0004_0000), 9);
            fill_page(&mut b, addr, (0x1_0000_0000, 0x1_0004_0000), 9);
            assert_eq!(a, b);
            let zeros = a.iter().filter(|&&x| x == 0).count();
            kinds[if zeros == PAGE {
                0
            } else if zeros > PAGE / 4 {
                1
            } else {
                2
            }] += 1;
        }
        assert!(kinds.iter().all(|&k| k > 0), "{kinds:?}");
    }
}
