//! Command-line syntax (DESIGN.md's contract).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "memscape",
    version,
    about = "Maps of a process's virtual address space, read from crash and memory dumps",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Dump to open in the window; without it memscape opens its demo dump.
    pub dump: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summary of the dump, in the spirit of WinDbg's !address -summary.
    Info {
        dump: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Every region of the address space, like !address.
    Regions {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Loaded and unloaded modules, like lmv.
    Modules {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Threads with their stacks and registers, like ~*.
    Threads {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
}
