//! `memscape synth` (hidden): writes a big synthetic dump with
//! `synth::big::write_big_dump` and says in one line what it wrote.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::format::human_size;
use crate::synth::big::{BigDumpSpec, write_big_dump};

/// Write the dump and report it.
pub fn run(spec: &BigDumpSpec, output: &Path, out: &mut dyn Write) -> Result<()> {
    let s = write_big_dump(spec, output)?;
    writeln!(
        out,
        "wrote {}: {} regions, {} threads, {} modules (the EXE and {} DLLs), {} captured in {} ranges, {} file",
        output.display(),
        s.regions,
        s.threads,
        s.modules,
        s.modules.saturating_sub(1),
        human_size(s.captured_bytes),
        s.memory_ranges,
        human_size(s.file_bytes)
    )?;
    Ok(())
}
