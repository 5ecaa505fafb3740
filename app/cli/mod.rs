//! The command line: clap definitions and the headless commands (info,
//! regions, modules, threads, patterns, memory, strings, refs, diff, shot,
//! gallery, and the hidden synth and bench-gpu). Each command is thin: it
//! opens the model through dump/, calls the layers below (analysis/ for
//! findings, export/ for pictures, synth/ to write a dump) and prints. Nothing outside cli/ and main.rs names it.

mod args;
mod bench_gpu;
mod diff;
pub mod gallery;
mod info;
mod json;
mod memory;
mod modules;
mod patterns;
mod refs;
mod regions;
pub mod shot;
mod strings;
mod synth;
mod threads;
pub mod timings;

pub use args::{Cli, Command, SymbolArgs};
pub use timings::Timings;

use std::io::Write;

use anyhow::Result;

use crate::dump::symbols::SymbolSources;

/// Runs a headless command, writing to `out`.
pub fn run(command: &Command, out: &mut dyn Write) -> Result<()> {
    run_timed(command, &mut Timings::off(), out)
}

/// The symbol sources the options and the environment name: the options
/// first, then `_NT_SYMBOL_PATH` and `DEBUGINFOD_URLS`.
fn symbol_sources(args: &SymbolArgs) -> SymbolSources {
    let mut s = SymbolSources::named_then_environment(
        args.symbols.clone(),
        args.servers.clone(),
        args.debuginfod.clone(),
        args.cache.clone(),
    );
    if let Some(secs) = args.timeout {
        s.limits.total = std::time::Duration::from_secs(secs.max(1));
    }
    s
}

/// [`run`], recording the time of each phase in `timings`.
pub fn run_timed(command: &Command, timings: &mut Timings, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Info { dump, json } => {
            let space = timings.open(dump)?;
            timings.time("output", || info::run(&space, *json, out))
        }
        Command::Regions { dump, json } => {
            let space = timings.open(dump)?;
            timings.time("output", || regions::run(&space, *json, out))
        }
        Command::Modules { dump, json, symbols } => {
            let space = timings.open(dump)?;
            let sources = symbol_sources(symbols);
            let (status, warnings) =
                timings.time("symbols", || anyhow::Ok(crate::dump::symbols::find_symbols(&space, &sources)))?;
            for w in warnings {
                log::warn!("{w}");
            }
            timings.time("output", || modules::run(&space, &status, *json, out))
        }
        Command::Threads { dump, json, stacks, symbols } => {
            let walk = (*stacks || symbols.any())
                .then(|| crate::dump::WalkOptions { symbols: symbol_sources(symbols), watch: None });
            threads::run(&timings.open(dump)?, *json, walk.as_ref(), timings, out)
        }
        Command::Patterns { dump, json, symbols } => {
            let opts = crate::dump::WalkOptions { symbols: symbol_sources(symbols), watch: None };
            patterns::run(&timings.open(dump)?, *json, &opts, timings, out)
        }
        Command::Memory { dump, addr, length, json } => {
            let space = timings.open(dump)?;
            timings.time("output", || memory::run(&space, *addr, *length, *json, out))
        }
        Command::Strings { dump, min_length, encoding, json } => {
            let space = timings.open(dump)?;
            let opts = crate::analysis::strings::StringOptions {
                min_len: *min_length,
                ascii: encoding != "utf16",
                utf16: encoding != "ascii",
            };
            timings.time("scan", || strings::run(&space, &opts, *json, out))
        }
        Command::Refs { dump, addr, json } => {
            let space = timings.open(dump)?;
            timings.time("scan", || refs::run(&space, *addr, *json, out))
        }
        Command::Diff { a, b, json } => {
            let (a, b) = (timings.open(a)?, timings.open(b)?);
            timings.time("output", || diff::run(&a, &b, *json, out))
        }
        Command::Gallery { dir, size } => gallery::run(dir, *size, out),
        Command::Synth { regions, threads, modules, captured_bytes, seed, output } => {
            let spec = crate::synth::big::BigDumpSpec {
                regions: *regions,
                threads: *threads,
                modules: *modules,
                captured_bytes: *captured_bytes,
                seed: *seed,
            };
            synth::run(&spec, output, out)
        }
        Command::Shot { .. } => shot::run(command, timings, out),
        Command::BenchGpu { dump, view, frames, size } => bench_gpu::run(dump, *view, *frames, *size, timings, out),
    }
}
