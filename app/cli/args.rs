//! Command-line syntax (DESIGN.md's contract).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::layout::View;
use crate::layout::layout3d::HeightMetric;
use crate::scene::byte_picture::{BytesMode, BytesOrder};
use crate::scene::theme::{ColorMode, ExportTheme};

/// Where symbols come from (every command that walks stacks or lists modules).
#[derive(clap::Args, Clone, Debug, Default, PartialEq)]
pub struct SymbolArgs {
    /// A symbol folder, repeatable: a Breakpad tree (app.pdb/ID/app.sym), a
    /// symstore tree (app.pdb/GUIDAGE/app.pdb, app.exe/TIMESTAMPSIZE/app.exe),
    /// a .build-id tree, or a flat folder of PE, PDB, ELF and .debug files
    /// (matched by debug id / build id, never by name).
    #[arg(long = "symbols", value_name = "PATH")]
    pub symbols: Vec<PathBuf>,
    /// A symbol server in symstore layout over HTTP(S), repeatable
    /// (URL/app.pdb/GUIDAGE/app.pdb, .pd_ CAB files, Breakpad .sym files).
    /// Nothing is downloaded unless a server is named here or in
    /// _NT_SYMBOL_PATH / DEBUGINFOD_URLS.
    #[arg(long = "symbol-server", value_name = "URL", value_parser = parse_url)]
    pub servers: Vec<String>,
    /// A debuginfod server for ELF build ids, repeatable (also DEBUGINFOD_URLS).
    #[arg(long = "debuginfod", value_name = "URL", value_parser = parse_url)]
    pub debuginfod: Vec<String>,
    /// Where downloads are kept, in symstore and .build-id layout (default:
    /// ~/.cache/memscape/symbols, or _NT_SYMBOL_PATH's cache).
    #[arg(long = "symbol-cache", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Seconds one download may take at most (default 600).
    #[arg(long = "symbol-timeout", value_name = "SECS", hide = true)]
    pub timeout: Option<u64>,
}

impl SymbolArgs {
    /// Whether any symbol option was given.
    pub fn any(&self) -> bool {
        *self != SymbolArgs::default()
    }
}

fn parse_url(s: &str) -> Result<String, String> {
    if crate::dump::symbols::is_url(s) {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not an http:// or https:// URL"))
    }
}

fn parse_view(s: &str) -> Result<View, String> {
    View::from_name(s).ok_or_else(|| format!("unknown view '{s}' (strip, hilbert, treemap, city, volume)"))
}

/// `--camera YAW,PITCH,DISTANCE[,X,Y,Z]`: the angles and distance, and the
/// point looked at (None: the scene's centre).
pub type CameraArg = ([f32; 3], Option<[f32; 3]>);

fn parse_camera(s: &str) -> Result<CameraArg, String> {
    let bad = || format!("'{s}' is not YAW,PITCH,DISTANCE[,X,Y,Z] (degrees, degrees, world units)");
    let nums = s
        .split(',')
        .map(|v| v.trim().parse::<f32>().ok().filter(|x| x.is_finite()).ok_or_else(bad))
        .collect::<Result<Vec<f32>, String>>()?;
    let (angles, target) = match nums.as_slice() {
        [y, p, d] => ([*y, *p, *d], None),
        [y, p, d, tx, ty, tz] => ([*y, *p, *d], Some([*tx, *ty, *tz])),
        _ => return Err(bad()),
    };
    if angles[2] <= 0.0 || !(-89.0..=89.0).contains(&angles[1]) {
        return Err(format!("'{s}': pitch must be within -89..89 and distance above 0"));
    }
    Ok((angles, target))
}

fn parse_metric(s: &str) -> Result<HeightMetric, String> {
    HeightMetric::ALL
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(s))
        .ok_or_else(|| format!("unknown height metric '{s}' (size, committed, captured, protection, cpu)"))
}

fn parse_size(s: &str) -> Result<[u32; 2], String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"))?;
    let parse = |v: &str| v.trim().parse::<u32>().map_err(|_| format!("'{s}' is not WIDTHxHEIGHT"));
    let (w, h) = (parse(w)?, parse(h)?);
    let max = crate::render::offscreen::MAX_PICTURE_SIDE_PX;
    if w == 0 || h == 0 || w > max || h > max {
        return Err(format!("{w}x{h}: each side must be 1..={max} pixels"));
    }
    Ok([w, h])
}

/// A byte count: plain bytes, or with a K, M, G, KiB, MiB or GiB suffix
/// (binary multiples, any case).
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => return Err(format!("'{s}' is not a size (bytes, or K/M/G/KiB/MiB/GiB)")),
    };
    let n: u64 = digits.parse().map_err(|_| format!("'{s}' is not a size (bytes, or K/M/G/KiB/MiB/GiB)"))?;
    n.checked_mul(1 << shift).ok_or_else(|| format!("'{s}' is too large"))
}

fn parse_addr(s: &str) -> Result<u64, String> {
    crate::format::parse_hex_addr(s).ok_or_else(|| format!("'{s}' is not a hex address"))
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
    /// Compare the dump with this earlier dump of the process: the maps
    /// colour what was born, died or changed, and a Changes tab lists it.
    #[arg(long, value_name = "EARLIER", requires = "dump")]
    pub compare: Option<PathBuf>,
    /// Print the wall time of each phase (open, model, analysis, layout,
    /// render, encode, output) and the peak resident memory on stderr.
    #[arg(long, global = true)]
    pub timings: bool,
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
    /// Loaded and unloaded modules, like lmv, with the symbol files found for each.
    Modules {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        symbols: SymbolArgs,
    },
    /// Crash-dump-analysis patterns found in the dump (stacks walked first),
    /// named as Vostokov's catalog names them.
    Patterns {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        symbols: SymbolArgs,
    },
    /// The bytes at an address, like db: hex and ASCII, `??` where the dump
    /// holds nothing.
    Memory {
        dump: PathBuf,
        /// The first address (hex).
        #[arg(value_parser = parse_addr)]
        addr: u64,
        /// How many bytes (plain, or with K/M/G); default 128, as db shows.
        #[arg(long, default_value = "128", value_parser = parse_byte_size)]
        length: u64,
        #[arg(long)]
        json: bool,
    },
    /// Strings in captured memory, as GNU `strings -a -n N` finds them in
    /// each captured range (`-e l` for UTF-16LE).
    Strings {
        dump: PathBuf,
        /// Characters a string has at least.
        #[arg(long, default_value_t = crate::analysis::strings::DEFAULT_MIN_LEN, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65536))]
        min_length: usize,
        /// ascii, utf16 (little-endian) or all.
        #[arg(long, default_value = "all", value_parser = ["ascii", "utf16", "all"])]
        encoding: String,
        #[arg(long)]
        json: bool,
    },
    /// What points into the region holding ADDR: every aligned pointer-size
    /// word in captured memory whose value lies in that region.
    Refs {
        dump: PathBuf,
        #[arg(value_parser = parse_addr)]
        addr: u64,
        #[arg(long)]
        json: bool,
    },
    /// What was born, died or changed between two dumps of a process (A
    /// before, B after): bytes per kind, modules, threads, every changed range.
    Diff {
        a: PathBuf,
        b: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Render a map offscreen to a PNG (no window or X server needed).
    Shot {
        dump: PathBuf,
        /// strip, hilbert, treemap, city, volume, or bytes (the byte picture:
        /// the dump's captured bytes, or the --select'ed region's, as pixels).
        #[arg(long, value_parser = parse_shot_view)]
        view: ShotView,
        /// The byte picture's colours: class (binvis' byte classes), entropy, or raw.
        #[arg(long, default_value = "class", value_parser = parse_bytes_mode)]
        bytes_mode: BytesMode,
        /// The byte picture's order: hilbert or linear.
        #[arg(long, default_value = "hilbert", value_parser = parse_bytes_order)]
        order: BytesOrder,
        /// Picture size in pixels, WIDTHxHEIGHT.
        #[arg(long, default_value = "1600x1000", value_parser = parse_size)]
        size: [u32; 2],
        /// Where to write the PNG.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Select (outline) the region containing this address (hex).
        #[arg(long, value_parser = parse_addr)]
        select: Option<u64>,
        /// The 3D views' camera: YAW,PITCH,DISTANCE (degrees, degrees, world units),
        /// and optionally the point looked at, X,Y,Z (default: the scene's centre);
        /// without it the camera fits the scene.
        #[arg(long, value_parser = parse_camera, allow_hyphen_values = true)]
        camera: Option<CameraArg>,
        /// What City heights encode: size, committed, captured, protection or cpu.
        #[arg(long, default_value = "size", value_parser = parse_metric)]
        height: HeightMetric,
        /// dark or light: the background, sky and text (region colours stay the palette's).
        #[arg(long, default_value = "dark", value_parser = parse_theme)]
        theme: ExportTheme,
        /// Background pixels (2D: map background and margins; 3D: the sky) fully transparent.
        #[arg(long)]
        transparent: bool,
        /// A title block in the top-left corner: TEXT, or without it the dump's
        /// name, process, OS and exception.
        #[arg(long, value_name = "TEXT", num_args = 0..=1)]
        title: Option<Option<String>>,
        /// The legend with bytes per kind in the bottom-left corner.
        #[arg(long)]
        legend: bool,
        /// Callout labels for the selected region and the regions of pattern findings.
        #[arg(long)]
        callouts: bool,
        /// Compare with this earlier dump: the map is coloured by change (born,
        /// died as outlines, changed; unchanged dimmed).
        #[arg(long, value_name = "EARLIER")]
        compare: Option<PathBuf>,
        /// What the colours encode: kind, protection, state, captured, entropy
        /// or class (the class most captured bytes are in); with --compare, change.
        #[arg(long = "colour", alias = "color", value_name = "MODE", value_parser = parse_colour)]
        colour: Option<ColorMode>,
        /// Render in tiles of at most N px per side (default: the GPU's
        /// largest texture; pictures larger than that are always tiled).
        #[arg(long, value_name = "N", hide = true)]
        tile_px: Option<u32>,
    },
    /// Rebuild the picture gallery: every view of the demo dump, with the
    /// crashing instruction's region selected and without, as PNGs in DIR.
    Gallery {
        dir: PathBuf,
        /// Picture size in pixels, WIDTHxHEIGHT.
        #[arg(long, default_value = "1600x1000", value_parser = parse_size)]
        size: [u32; 2],
    },
    /// Threads with their stacks and registers, like ~*; with --stacks, every
    /// thread's call stack, like ~*kb or minidump-stackwalk.
    Threads {
        dump: PathBuf,
        #[arg(long)]
        json: bool,
        /// Walk every thread's stack (CFI from the symbol files, else frame
        /// pointers and stack scanning). Any symbol option implies it.
        #[arg(long)]
        stacks: bool,
        #[command(flatten)]
        symbols: SymbolArgs,
    },
    /// Frame times of a view: the window's renderers drawing N frames with
    /// a moving camera, as percentiles (for tests/benches/README.md).
    #[command(hide = true)]
    BenchGpu {
        dump: PathBuf,
        /// strip, hilbert, treemap, city or volume.
        #[arg(long, value_parser = parse_view)]
        view: View,
        /// Frames timed (after one that uploads and warms up).
        #[arg(long, default_value_t = 300)]
        frames: u32,
        /// Frame size in pixels, WIDTHxHEIGHT.
        #[arg(long, default_value = "1920x1080", value_parser = parse_size)]
        size: [u32; 2],
    },
    /// Write a big synthetic Windows 10 x64 full-memory dump (for load tests).
    #[command(hide = true)]
    Synth {
        /// MemoryInfoList entries, free gaps included (at most 1,000,000).
        #[arg(long, default_value_t = 10_000)]
        regions: u64,
        /// Threads (1..=2,000).
        #[arg(long, default_value_t = 50)]
        threads: u32,
        /// Modules: the executable and the DLLs (1..=1,000).
        #[arg(long, default_value_t = 100)]
        modules: u32,
        /// Captured memory: bytes, or with K/M/G/KiB/MiB/GiB (at most 4 GiB).
        #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_byte_size)]
        captured_bytes: u64,
        /// Seed of every random choice: same knobs and seed, same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the dump.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

impl Command {
    /// Whether the command renders on the GPU without a window (`shot`, `gallery`, `bench-gpu`).
    pub fn renders_offscreen(&self) -> bool {
        matches!(self, Command::Shot { .. } | Command::Gallery { .. } | Command::BenchGpu { .. })
    }
}

/// What `shot` draws: a map view, or the byte picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShotView {
    Map(View),
    Bytes,
}

fn parse_shot_view(s: &str) -> Result<ShotView, String> {
    if s.trim().eq_ignore_ascii_case("bytes") {
        return Ok(ShotView::Bytes);
    }
    parse_view(s).map(ShotView::Map).map_err(|e| format!("{e}, or bytes"))
}

fn parse_bytes_mode(s: &str) -> Result<BytesMode, String> {
    BytesMode::from_name(s).ok_or_else(|| format!("unknown bytes mode '{s}' (class, entropy, raw)"))
}

fn parse_bytes_order(s: &str) -> Result<BytesOrder, String> {
    BytesOrder::from_name(s).ok_or_else(|| format!("unknown order '{s}' (hilbert, linear)"))
}

fn parse_colour(s: &str) -> Result<ColorMode, String> {
    ColorMode::from_name(s)
        .ok_or_else(|| format!("unknown colouring '{s}' (kind, protection, state, captured, entropy, class, change)"))
}

fn parse_theme(s: &str) -> Result<ExportTheme, String> {
    ExportTheme::from_name(s).ok_or_else(|| format!("unknown theme '{s}' (dark or light)"))
}
