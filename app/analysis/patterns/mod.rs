//! Crash-dump-analysis pattern findings: rules over the [`AddressSpace`] (and
//! the stack traces, when walked) that name what a dump shows in the words of
//! Dmitry Vostokov's Crash Dump Analysis Patterns ("NULL Pointer (data)",
//! "Stack Overflow (user mode)", ...).
//!
//! Each pattern is one rule, a function in one of this folder's files
//! (exceptions, threads, modules, memory, dump file), whose doc comment gives
//! its thresholds. [`analyze`] runs them all and sorts the findings, most
//! severe first, then by name, then by summary: the same input gives the same
//! output. Rules that read stack traces (Multiple Exceptions, Blocked Thread,
//! Message Box, Execution Residue, the frame half of Dynamic Memory
//! Corruption, Unloaded Module, JIT Code (.NET) and Self-Diagnosis (user
//! mode)) do not use frames when `traces` is `None`.
//!
//! Pure and deterministic like the rest of analysis/: no egui, no wgpu, no
//! minidump types.

mod cloud;
mod dumpfile;
mod exceptions;
mod finding;
mod jit;
mod memory;
mod modules;
mod self_diagnosis;
mod threads;

use crate::dump::{AddressSpace, WalkResult};

pub(crate) use finding::Ctx;
pub use finding::{Finding, Severity};

/// Runs every rule; findings most severe first, then by name and summary.
pub fn analyze(space: &AddressSpace, traces: Option<&WalkResult>) -> Vec<Finding> {
    let cx = Ctx { space, traces };
    let rules: &[fn(&Ctx) -> Vec<Finding>] = &[
        exceptions::stack_overflow,
        exceptions::null_pointer_data,
        exceptions::null_pointer_code,
        exceptions::invalid_pointer,
        exceptions::wild_code,
        exceptions::managed_code_exception,
        exceptions::cpp_exception,
        exceptions::dynamic_memory_corruption,
        exceptions::divide_by_zero,
        exceptions::invalid_handle,
        self_diagnosis::self_diagnosis,
        jit::jit_code,
        threads::multiple_exceptions,
        threads::spiking_thread,
        threads::blocked_thread,
        threads::message_box,
        threads::execution_residue,
        modules::duplicated_module,
        modules::unloaded_module,
        modules::virtualized_process,
        cloud::cloud_environment,
        modules::module_variety,
        memory::handle_leak,
        memory::insufficient_memory,
        memory::memory_leak,
        dumpfile::embedded_comments,
        dumpfile::truncated_dump,
        dumpfile::abridged_dump,
    ];
    let mut out: Vec<Finding> = rules.iter().flat_map(|rule| rule(&cx)).collect();
    for f in &mut out {
        f.normalize();
    }
    out.sort_by(|a, b| {
        (a.severity, a.name, &a.summary)
            .cmp(&(b.severity, b.name, &b.summary))
            .then(b.confidence.total_cmp(&a.confidence))
    });
    out
}
