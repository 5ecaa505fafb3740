//! The memscape executable: parses the command line, runs a headless command
//! or opens the window. Errors are printed once, as `error: <file>: <reason>`.
//! A logger is installed first, so warnings from memscape, eframe, rfd and wgpu
//! reach stderr. The window asks for big blocks of memory in huge pages
//! (memscape::huge_pages).

use std::process::ExitCode;

use clap::Parser;
use memscape::cli::{self, Cli};
use memscape::huge_pages::HugePages;

/// The system's allocator; in the window, big blocks in huge pages (see huge_pages.rs).
#[global_allocator]
static ALLOCATOR: HugePages = HugePages;

/// What is logged unless RUST_LOG says otherwise: warnings, but only errors
/// from wgpu and naga, which warn about software renderers (lavapipe) on
/// runs that work (`memscape shot` must stay quiet when it succeeds).
const DEFAULT_LOG_FILTER: &str = "warn,wgpu_hal=error,wgpu_core=error,wgpu=error,naga=error";

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(DEFAULT_LOG_FILTER))
        .format_timestamp(None)
        .format_target(true)
        .init();
    let args = Cli::parse();
    let result = match &args.command {
        Some(command) => {
            if command.renders_offscreen() {
                quiet_headless_vulkan();
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut timings = cli::Timings::new(args.timings);
            let result = cli::run_timed(command, &mut timings, &mut out);
            let result = result.and_then(|()| Ok(std::io::Write::flush(&mut out)?));
            // The figures go to stderr, so they never mix with JSON on stdout.
            timings.report(&mut std::io::stderr().lock()).ok();
            result
        }
        None => {
            // Before the window starts any thread: see huge_pages.rs.
            memscape::huge_pages::turn_on();
            memscape::app::run_window(args.dump, args.compare)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Turns off Mesa's Vulkan device-selection layer for a headless command
/// (unless the user set NODEVICE_SELECT): to order the GPUs it connects to
/// the Wayland compositor, and libwayland prints "error: XDG_RUNTIME_DIR is
/// invalid or not set" (twice) where there is none, on runs that succeed.
/// Offscreen rendering picks its adapter itself, so the layer adds nothing.
fn quiet_headless_vulkan() {
    const VAR: &str = "NODEVICE_SELECT";
    if std::env::var_os(VAR).is_none() {
        // SAFETY: called from main before any thread exists (the logger spawns
        // none), so nothing reads the environment concurrently.
        unsafe { std::env::set_var(VAR, "1") };
    }
}

/// `memscape regions x.dmp | head` closes the pipe early; that is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
