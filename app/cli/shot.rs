//! `memscape shot`: the view rendered offscreen (no window, no X server)
//! and written as a PNG. The picture is export/'s; this only reports it.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::timings::Timings;
use crate::dump::AddressSpace;
use crate::export::{PictureOptions, save_picture};

/// Writes the picture of `opts` to `output` and says so on `out`.
pub fn run(
    space: &AddressSpace,
    opts: &PictureOptions,
    output: &Path,
    timings: &mut Timings,
    out: &mut dyn Write,
) -> Result<()> {
    let [w, h] = save_picture(space, opts, output, &mut |name, took| timings.record(name, took))?;
    writeln!(out, "wrote {} ({w}x{h}, {} view)", output.display(), opts.view.name())?;
    Ok(())
}
