//! Turning the scenario's code sites into addresses, checking each one against
//! the laid-out image (it must fall in `.text`) or the JIT code heap.

use super::layout::Layout;
use super::sites::Code;
use crate::synth::error::SynthError;

/// The address of `code` in `layout`.
pub fn resolve(layout: &Layout, code: Code) -> Result<u64, SynthError> {
    let bad = |what: String, why: &str| SynthError::Inconsistent { what, why: why.to_string() };
    match code {
        Code::In(module, rva) => {
            let m = layout.module(module).ok_or_else(|| bad(module.to_string(), "no such module"))?;
            let addr = m.image.base + u64::from(rva);
            match m.image.text_range() {
                Some(text) if text.contains(&addr) => Ok(addr),
                _ => Err(bad(format!("{module}+{rva:#x}"), "outside the module's .text")),
            }
        }
        Code::Jit(offset) => {
            let addr = layout.jit_code.start + u64::from(offset);
            if layout.jit_code.contains(&addr) {
                Ok(addr)
            } else {
                Err(bad(format!("JIT code +{offset:#x}"), "outside the committed JIT heap"))
            }
        }
        Code::Entry(module) => layout
            .module(module)
            .map(|m| m.image.base + u64::from(m.image.entry_rva()))
            .ok_or_else(|| bad(module.to_string(), "no such module")),
    }
}
