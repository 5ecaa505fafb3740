//! Command-line syntax (DESIGN.md's contract).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::layout::ViewKind;

fn parse_view(s: &str) -> Result<ViewKind, String> {
    ViewKind::ALL
        .into_iter()
        .find(|v| v.name().eq_ignore_ascii_case(s))
        .ok_or_else(|| format!("unknown view '{s}' (strip, hilbert, treemap)"))
}

fn parse_size(s: &str) -> Result<[u32; 2], String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"))?;
    let parse = |v: &str| v.trim().parse::<u32>().map_err(|_| format!("'{s}' is not WIDTHxHEIGHT"));
    let (w, h) = (parse(w)?, parse(h)?);
    if w == 0 || h == 0 || w > 16384 || h > 16384 {
        return Err(format!("{w}x{h}: each side must be 1..=16384 pixels"));
    }
    Ok([w, h])
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim().trim_start_matches("0x").trim_start_matches("0X").replace('`', "");
    u64::from_str_radix(&t, 16).map_err(|_| format!("'{s}' is not a hex address"))
}

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
    /// Render a map offscreen to a PNG (no window or X server needed).
    Shot {
        dump: PathBuf,
        /// strip, hilbert or treemap.
        #[arg(long, value_parser = parse_view)]
        view: ViewKind,
        /// Picture size in pixels, WIDTHxHEIGHT.
        #[arg(long, default_value = "1600x1000", value_parser = parse_size)]
        size: [u32; 2],
        /// Where to write the PNG.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Select (outline) the region containing this address (hex).
        #[arg(long, value_parser = parse_addr)]
        select: Option<u64>,
    },
    /// Threads with their stacks and registers, like ~*.
    Threads {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
    },
}
