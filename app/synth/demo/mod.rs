//! The bundled demo dump: a full-memory minidump of WaWorkerHost.exe, the host
//! process of a Windows Azure worker role (.NET 4 on a Windows Server 2008 SP2 x64
//! guest), taken by Windows Error Reporting after the role's C# code
//! (TestWAERWorker.dll, IL-only, JIT-compiled into a PAGE_EXECUTE_READWRITE
//! block of the CLR's code heap) wrote through a NULL pointer. Every byte comes from the
//! tables in this folder and a fixed-seed generator, so the file is identical on
//! every machine; `tests/demo_dump.rs` keeps `assets/demo/azure-worker-crash.dmp`
//! equal to it.
//!
//! Depends only on the `synth` building blocks; nothing outside `synth` is used.

mod bottomup;
mod code;
mod functions;
mod handles;
mod jit;
mod layout;
mod memory;
mod modules;
mod plans;
mod process;
mod shapes;
mod sites;
mod stacks;
mod symbols;
mod threads;
mod write;

use crate::synth::error::SynthError;
use crate::synth::rng::SplitMix64;
use crate::synth::stack::LocalsPool;

/// The demo dump's bytes: the same on every call and every machine.
///
/// # Panics
///
/// Only if the scenario's own tables are inconsistent, which the test suite
/// rules out; nothing here depends on input.
pub fn demo_dump_bytes() -> Vec<u8> {
    match build_demo_dump() {
        Ok(bytes) => bytes,
        Err(e) => panic!("the demo dump scenario is inconsistent: {e}"),
    }
}

pub use symbols::SymbolFile;

/// The Breakpad symbol files of the demo's modules (paths in a symbol tree).
pub fn demo_symbol_files() -> Vec<SymbolFile> {
    symbols::symbol_files(process::SEED)
}

/// Build the demo dump, reporting (instead of panicking on) an inconsistent scenario.
pub fn build_demo_dump() -> Result<Vec<u8>, SynthError> {
    let seed = process::SEED;
    let plans = threads::plan_threads(&mut SplitMix64::for_name(seed, "frames"));
    let layout = layout::lay_out(&plans, seed)?;
    let handles = handles::handle_table(seed, process::PID);
    let pool = locals_pool(&layout, &handles, seed);
    let (scenes, crash) = stacks::build_threads(&layout, &plans, &pool, seed)?;
    let tids: Vec<u32> = plans.iter().map(|p| p.def.tid).collect();
    let captures = memory::captures(&layout, &scenes, &tids, crash.address, seed)?;
    write::write_dump(write::Scenario {
        layout: &layout,
        plans: &plans,
        threads: &scenes,
        crash: &crash,
        handles: &handles,
        captures,
    })
}

/// Heap and GC addresses and handle values for stack locals and registers.
fn locals_pool(layout: &layout::Layout, table: &[crate::synth::handles::HandleFacts], seed: u64) -> LocalsPool {
    let mut rng = SplitMix64::for_name(seed, "pool");
    let mut data_pointers = Vec::new();
    for h in &layout.heaps {
        for _ in 0..8 {
            let offset = rng.range(0x0A80, h.committed_bytes.max(0x1000)) & !0xF;
            data_pointers.push(h.base + offset);
        }
    }
    let gc = &layout.gc_gen0;
    for _ in 0..32 {
        data_pointers.push(rng.range(gc.start, gc.end) & !0x7);
    }
    let mut handles = handles::handles_of(table, "Event");
    handles.extend(handles::handles_of(table, "Semaphore"));
    handles.extend(handles::handles_of(table, "IoCompletion"));
    LocalsPool { data_pointers, handles }
}
