//! The command line: clap definitions and the headless commands (info,
//! regions, modules, threads, patterns, shot, gallery, and the hidden
//! synth). Each command is thin: it opens the model through dump/, calls the
//! layers below (analysis/ for findings, export/ for pictures, synth/ to
//! write a dump) and prints. Nothing outside cli/ and main.rs names it.

mod args;
pub mod gallery;
mod info;
mod json;
mod modules;
mod patterns;
mod regions;
pub mod shot;
mod synth;
mod threads;
pub mod timings;

pub use args::{Cli, Command};
pub use timings::Timings;

use std::io::Write;

use anyhow::Result;

/// Runs a headless command, writing to `out`.
pub fn run(command: &Command, out: &mut dyn Write) -> Result<()> {
    run_timed(command, &mut Timings::off(), out)
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
            let status = timings.time("symbols", || anyhow::Ok(crate::dump::symbols::find_symbols(&space, symbols)))?;
            timings.time("output", || modules::run(&space, &status, *json, out))
        }
        Command::Threads { dump, json, stacks, symbols, symbol_urls } => {
            let walk = (*stacks || !symbols.is_empty() || !symbol_urls.is_empty())
                .then(|| crate::dump::WalkOptions { symbol_dirs: symbols.clone(), symbol_urls: symbol_urls.clone() });
            threads::run(&timings.open(dump)?, *json, walk.as_ref(), timings, out)
        }
        Command::Patterns { dump, json, symbols } => {
            let opts = crate::dump::WalkOptions { symbol_dirs: symbols.clone(), symbol_urls: Vec::new() };
            patterns::run(&timings.open(dump)?, *json, &opts, timings, out)
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
        Command::Shot {
            dump,
            view,
            size,
            output,
            select,
            camera,
            height,
            theme,
            transparent,
            title,
            legend,
            callouts,
            tile_px,
        } => {
            let opts = crate::export::PictureOptions {
                view: *view,
                size_px: *size,
                select: *select,
                camera: camera.map(|c| c.0),
                camera_target: camera.and_then(|c| c.1),
                metric: *height,
                theme: *theme,
                transparent: *transparent,
                title: title.clone(),
                legend: *legend,
                callouts: *callouts,
                tile_px: *tile_px,
                ..crate::export::PictureOptions::new(*view, *size)
            };
            shot::run(&timings.open(dump)?, &opts, output, timings, out)
        }
    }
}
