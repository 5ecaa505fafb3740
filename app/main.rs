//! The memscape executable: parses the command line, runs a headless command
//! or opens the window. Errors are printed once, as `error: <file>: <reason>`.

use std::process::ExitCode;

use clap::Parser;
use memscape::cli::{self, Cli};

fn main() -> ExitCode {
    let args = Cli::parse();
    let result = match &args.command {
        Some(command) => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut timings = cli::Timings::new(args.timings);
            let result = cli::run_timed(command, &mut timings, &mut out);
            let result = result.and_then(|()| Ok(std::io::Write::flush(&mut out)?));
            // The figures go to stderr, so they never mix with JSON on stdout.
            timings.report(&mut std::io::stderr().lock()).ok();
            result
        }
        None => memscape::app::run_window(args.dump),
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

/// `memscape regions x.dmp | head` closes the pipe early; that is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
